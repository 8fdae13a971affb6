// `worldstrat eval <url>` on the v1.1 release layout served as zips (made by Python's zipfile, an independent
// writer) from a 127.0.0.1 range server shaped like Zenodo (`/records/<id>/files/<name>?download=1`): the same
// scores as the extracted folder, and a typed network exit when the server ignores Range.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const PYTHON = '/usr/bin/python3';
const hasPythonZip = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import zipfile'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const run = requireTool(`${PYTHON} (zipfile)`, hasPythonZip);

// TIFFs stored (read by window), everything else deflated; the L2A zip with Zip64 records.
const MAKE_ZIPS = `
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
def pack(name, top, keep, zip64=False):
    with zipfile.ZipFile(os.path.join(out, name), 'w', allowZip64=True) as z:
        for d, _, files in sorted(os.walk(os.path.join(root, top))):
            for f in sorted(files):
                p = os.path.join(d, f)
                rel = os.path.relpath(p, root).replace(os.sep, '/')
                if not keep(rel): continue
                method = zipfile.ZIP_STORED if f.endswith('.tiff') else zipfile.ZIP_DEFLATED
                info = zipfile.ZipInfo(rel, date_time=(2022, 7, 1, 0, 0, 0))
                info.compress_type = method
                with open(p, 'rb') as src, z.open(info, 'w', force_zip64=zip64) as dst:
                    dst.write(src.read())
pack('hr_dataset.zip', 'hr_dataset', lambda r: True)
pack('lr_dataset_l2a.zip', 'lr_dataset', lambda r: '/L2A/' in r, zip64=True)
pack('lr_dataset_l1c.zip', 'lr_dataset', lambda r: '/L1C/' in r)
`;

const CONFIG = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
let dir: string;
let cleanup: () => Promise<void>;
let root: string;
let weights: string;
let server: Server;
let origin: string;
const files = new Map<string, Buffer>();
let ignoreRange = false;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-remote-'));
  root = join(dir, 'ds');
  await generateSyntheticDataset(root, { aois: 4, revisits: 2, hrSize: 96, seed: 5 });
  weights = join(dir, 'w.safetensors');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(weights, stateDictToSafetensors(initStateDict(CONFIG, { seed: 1 }), CONFIG));
  if (!run) return;
  execFileSync(PYTHON, ['-c', MAKE_ZIPS, root, dir]);
  for (const n of ['hr_dataset.zip', 'lr_dataset_l2a.zip', 'lr_dataset_l1c.zip'])
    files.set(n, readFileSync(join(dir, n)));
  for (const n of ['metadata.csv', 'stratified_train_val_test_split.csv'])
    files.set(n, readFileSync(join(root, n)));
  server = createServer((req, res) => {
    const m = /^\/records\/15382551\/files\/([^?]+)/.exec(req.url ?? '');
    const body = m ? files.get(decodeURIComponent(m[1])) : undefined;
    if (!body) return void res.writeHead(404).end();
    const r = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!r || ignoreRange) {
      res.writeHead(200, { 'content-length': String(body.length) });
      return void res.end(body);
    }
    const start = Number(r[1]);
    const end = Math.min(Number(r[2]), body.length - 1);
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}` });
    res.end(body.subarray(start, end + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  await cleanup();
});

describe.runIf(run)('worldstrat eval on a remote v1.1 release', () => {
  it('scores the remote zips exactly like the extracted folder', async () => {
    const args = ['--weights', weights, '--split', 'val', '--batch-size', '9', '--json'];
    const local = await cli('eval', root, ...args);
    expect(local.code, local.err).toBe(0);
    const remote = await cli('eval', `${origin}/records/15382551`, ...args);
    expect(remote.code, remote.err).toBe(0);
    const a = JSON.parse(local.out);
    const b = JSON.parse(remote.out);
    expect(b.scenes).toEqual(a.scenes);
    expect(b.scenes.length).toBeGreaterThan(0);
    expect(b.scores).toEqual(a.scores);
  }, 60_000);

  it('a server that ignores Range → exit 6 (network) naming the zip, quickly', async () => {
    ignoreRange = true;
    try {
      const t0 = performance.now();
      const r = await cli('eval', `${origin}/records/15382551`, '--weights', weights, '--split', 'val');
      expect(r.code).toBe(6);
      expect(r.err).toContain('hr_dataset.zip');
      expect(r.err).toContain('REMOTE_READ_FAILED');
      expect(performance.now() - t0).toBeLessThan(15_000);
    } finally {
      ignoreRange = false;
    }
  }, 30_000);
});
