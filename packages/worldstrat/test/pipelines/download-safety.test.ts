// download-release at the boundaries: a failed run never removes a file it did not write, a kill -9 of the
// real CLI resumes from any working directory without fetching verified files again, stalls end in retries,
// and URL credentials never reach stdout, stderr, --json or the manifest.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { matchRevisits } from '@worldstrat/eo-fetch';
import { PARTIAL_SUFFIX, readManifest } from '@worldstrat/eo-fetch/node';
import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  md5,
  membersOf,
  type ReleaseServer,
  startReleaseServer,
  tarGz,
} from '../../../dataset/test/support/release-server.js';
import { type ShServer, startShServer } from '../../../eo-fetch/test/support/sentinel-hub-server.js';
import { downloadRelease, generateSyntheticDataset, md5File } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN as BIN, spawnCli } from '../support/spawn-cli.js';

const FILES = [
  'metadata.csv',
  'stratified_train_val_test_split.csv',
  'hr_dataset.tar.gz',
  'lr_dataset_l2a.tar.gz',
];

let dir: string;
let cleanup: () => Promise<void>;
let server: ReleaseServer;
const sums: Record<string, string> = {};
/** Relative path → bytes of the unpacked release. */
const expected = new Map<string, Buffer>();

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-dl-safety-'));
  const src = join(dir, 'source');
  await generateSyntheticDataset(src, { aois: 2, revisits: 2, hrSize: 60, compression: 'none' });
  server = await startReleaseServer();
  const hr = await membersOf(join(src, 'hr_dataset'), 'hr_dataset/');
  const l2a = await membersOf(join(src, 'lr_dataset'), 'lr_dataset/');
  const files: Record<string, Uint8Array> = {
    'hr_dataset.tar.gz': await tarGz(hr),
    'lr_dataset_l2a.tar.gz': await tarGz(l2a),
    'metadata.csv': await readFile(join(src, 'metadata.csv')),
    'stratified_train_val_test_split.csv': await readFile(join(src, 'stratified_train_val_test_split.csv')),
  };
  for (const m of [...hr, ...l2a]) expected.set(m.name, Buffer.from(m.data!));
  for (const [name, bytes] of Object.entries(files)) {
    server.files.set(name, bytes);
    sums[name] = md5(bytes);
  }
});
afterAll(async () => {
  await server.close();
  await cleanup();
});
beforeEach(() => {
  server.hits.clear();
  server.ranges.clear();
  server.faults.clear();
  server.trickle = undefined;
});

const md5Flags = (names: readonly string[]) => names.flatMap((n) => ['--md5', `${n}=${sums[n]}`]);

async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function nonEmptyPartials(root: string): Promise<string[]> {
  const partials = (await listFiles(root)).filter((f) => f.endsWith(PARTIAL_SUFFIX));
  const sizes = await Promise.all(
    partials.map((f) =>
      stat(f)
        .then((s) => s.size)
        .catch(() => 0),
    ),
  );
  return partials.filter((_, i) => (sizes[i] as number) > 0);
}

describe('a failed download-release keeps what is already there', () => {
  it('leaves a verified metadata.csv and archive byte-identical after HTTP 500, a reset and an MD5 mismatch', async () => {
    const root = join(dir, 'keep');
    const files = ['metadata.csv', 'hr_dataset.tar.gz'];
    const paths = [join(root, 'metadata.csv'), join(root, 'downloads', 'hr_dataset.tar.gz')];
    await downloadRelease({ root, baseUrl: server.url, md5: sums, files, extract: false });
    const before = await Promise.all(paths.map((p) => readFile(p)));
    const faults = [{ kind: 'status', status: 500 }, { kind: 'reset' }, { kind: 'corrupt' }] as const;
    for (const fault of faults) {
      // without its manifest (a fresh downloads/ folder) the run fetches both files again, and fails
      await rm(join(root, 'downloads', 'manifest.jsonl'), { force: true });
      for (const f of files) server.faults.set(f, fault);
      const err = await downloadRelease({
        root,
        baseUrl: server.url,
        md5: sums,
        files,
        extract: false,
        retries: 1,
        baseDelayMs: 1,
      }).catch((e) => e);
      expect(err.code, fault.kind).toBe(fault.kind === 'corrupt' ? 'CHECKSUM_MISMATCH' : 'DOWNLOAD_FAILED');
      for (const [i, p] of paths.entries())
        expect(Buffer.compare(await readFile(p), before[i]), `${fault.kind}: ${p}`).toBe(0);
    }
    expect(server.hits.get('metadata.csv')).toBe(1 + 3 * 2);
    server.faults.clear();
    const ok = await downloadRelease({ root, baseUrl: server.url, md5: sums, files, extract: false });
    expect(ok.files.map((f) => f.download)).toEqual(['downloaded', 'downloaded']);
    for (const [i, p] of paths.entries()) expect(Buffer.compare(await readFile(p), before[i])).toBe(0);
  });
});

describe('kill -9 of the CLI, resumed from other working directories', () => {
  it('fetches no verified file twice, resumes partial ones, cleans its own stale temps, and ends verified', async () => {
    expect(existsSync(BIN), `${BIN} is missing: run \`pnpm --filter worldstrat build\` first`).toBe(true);
    const cwdA = join(dir, 'cwd-a');
    const cwdB = join(dir, 'cwd-b');
    await mkdir(cwdA, { recursive: true });
    await mkdir(cwdB, { recursive: true });
    const abs = join(cwdA, 'ds');
    const args = (root: string) => [
      'download-release',
      root,
      '--base-url',
      server.url,
      '--files',
      FILES.join(','),
      ...md5Flags(FILES),
      '--concurrency',
      '2',
    ];
    server.trickle = { chunks: 12, ms: 60 };
    const run1 = spawnCli(args('ds'), cwdA);
    const manifestPath = join(abs, 'downloads', 'manifest.jsonl');
    const deadline = Date.now() + 45_000; // includes the CLI's start, slow on a loaded runner
    for (;;) {
      const verified = [...(await readManifest(manifestPath, { root: abs })).values()].filter(
        (r) => r.status === 'verified',
      ).length;
      // a partial file with bytes in it (an empty one, just created, is fetched from the start again)
      const partials = await nonEmptyPartials(abs);
      if (verified >= 1 && partials.length >= 1) break;
      if (Date.now() > deadline)
        throw new Error(`the CLI never reached the kill point (verified=${verified})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    run1.child.kill('SIGKILL');
    expect((await run1.done).signal).toBe('SIGKILL');
    server.trickle = undefined;

    const verifiedBefore = [...(await readManifest(manifestPath, { root: abs })).values()]
      .filter((r) => r.status === 'verified')
      .map((r) => r.itemId!);
    const partialNames = (await nonEmptyPartials(abs)).map((f) =>
      f.slice(f.lastIndexOf('/') + 1, -PARTIAL_SUFFIX.length),
    );
    expect(verifiedBefore.length).toBeGreaterThanOrEqual(1);
    expect(partialNames.length).toBeGreaterThanOrEqual(1);
    // leftovers of a marker write killed mid-way (ours), beside a temp file that is not ours
    const staleMarker = join(abs, 'downloads', 'hr_dataset.tar.gz.extracted.json.0123456789ab.tmp');
    const notOurs = join(abs, 'downloads', 'notes.txt.0123456789ab.tmp');
    await writeFile(staleMarker, '{"half');
    await writeFile(notOurs, 'user data');
    // a killed run's temps: only those unmodified for 10 minutes are stale (a fresh one may be another run's)
    const longAgo = new Date(Date.now() - 11 * 60_000);
    for (const f of [staleMarker, notOurs]) await utimes(f, longAgo, longAgo);
    const hitsBefore = new Map(server.hits);

    // from another directory, through another relative path
    const run2 = await spawnCli(['--json', ...args('../cwd-a/ds')], cwdB).done;
    expect(run2.code, run2.err).toBe(0);
    const res2 = JSON.parse(run2.out) as { files: { name: string; download: string }[] };
    for (const name of verifiedBefore) {
      expect(res2.files.find((f) => f.name === name)?.download, name).toBe('skipped');
      expect(server.hits.get(name), `${name} fetched again`).toBe(hitsBefore.get(name));
    }
    // resumed from a little before each partial's end (compared with the partial's last bytes), not from 0
    for (const name of partialNames) expect(server.ranges.get(name)?.[0], name).toMatch(/^bytes=\d+-$/);
    expect(existsSync(staleMarker)).toBe(false);
    expect(await readFile(notOurs, 'utf8')).toBe('user data');
    expect(
      (await listFiles(abs)).filter((f) => f.endsWith(PARTIAL_SUFFIX) || f.endsWith('.extracting')),
    ).toEqual([]);

    // and by its absolute path (from this process's working directory): nothing is requested at all
    const hitsAfter2 = [...server.hits.values()].reduce((a, b) => a + b, 0);
    const run3 = await cli('--json', ...args(abs));
    expect(run3.code, run3.err).toBe(0);
    const res3 = JSON.parse(run3.out) as { files: { download: string; extraction?: { status: string } }[] };
    expect(res3.files.map((f) => f.download)).toEqual(FILES.map(() => 'skipped'));
    expect(res3.files.filter((f) => f.extraction).map((f) => f.extraction!.status)).toEqual([
      'already-extracted',
      'already-extracted',
    ]);
    expect([...server.hits.values()].reduce((a, b) => a + b, 0)).toBe(hitsAfter2);

    // every final file is the published one
    expect(await md5File(join(abs, 'metadata.csv'))).toBe(sums['metadata.csv']);
    for (const a of ['hr_dataset.tar.gz', 'lr_dataset_l2a.tar.gz'])
      expect(await md5File(join(abs, 'downloads', a))).toBe(sums[a]);
    for (const [rel, bytes] of expected)
      expect(Buffer.compare(await readFile(join(abs, rel)), bytes), rel).toBe(0);
    // the manifest names files relative to the dataset root only
    const text = await readFile(manifestPath, 'utf8');
    expect(text).not.toContain(dir);
  });
});

describe('download-release --idle-timeout', () => {
  it('retries a server that sends headers and then nothing, and rejects bad values', async () => {
    const root = join(dir, 'idle');
    server.faults.set('metadata.csv', { kind: 'stall', times: 1 });
    const t0 = Date.now();
    const r = await cli(
      '--json',
      'download-release',
      root,
      '--base-url',
      server.url,
      '--files',
      'metadata.csv',
      ...md5Flags(['metadata.csv']),
      '--idle-timeout',
      '1', // a loaded runner can hold the loop 300 ms: the healthy retry must not idle out too
    );
    expect(r.code, r.err).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(JSON.parse(r.out)).toMatchObject({ retries: 1, requests: 2 });
    expect(server.hits.get('metadata.csv')).toBe(2);
    for (const bad of ['-1', 'soon', '1e9']) {
      const b = await cli('download-release', root, '--idle-timeout', bad);
      expect(b.code, bad).not.toBe(0);
      expect(b.err, bad).toContain(`--idle-timeout ${bad}: expected seconds between 0 (off) and 86400`);
    }
    // a config file's value is checked too (it does not pass through the option parser)
    const cfg = join(dir, 'idle-config.json');
    await writeFile(cfg, JSON.stringify({ idleTimeout: -5 }));
    const c = await cli('--json', 'download-release', root, '--config', cfg, '--files', 'metadata.csv');
    expect(c.code).not.toBe(0);
    expect(JSON.parse(c.out).error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(JSON.parse(c.out).error.message).toContain('--idle-timeout -5');
  });
});

describe('credentials in the base URL', () => {
  it('never reach stdout, stderr, --json or any file written, even when the server echoes them', async () => {
    const PASSWORD = 'pw-SECRET-4b3c2d1e';
    const planted = [PASSWORD, Buffer.from(`alice:${PASSWORD}`).toString('base64')];
    const base = server.url.replace('//', `//alice:${PASSWORD}@`);
    const root = join(dir, 'secrets');
    const said: string[] = [];
    const ok = await cli(
      '--json',
      'download-release',
      root,
      '--base-url',
      base,
      '--files',
      'stratified_train_val_test_split.csv',
      ...md5Flags(['stratified_train_val_test_split.csv']),
    );
    expect(ok.code, ok.err).toBe(0);
    said.push(ok.out, ok.err);
    // the CLI shows the mirror without its userinfo
    expect(JSON.parse(ok.out).files[0].url).toMatch(/^http:\/\/(\*\*\*@)?127\.0\.0\.1:\d+\/files\//);
    server.faults.set('metadata.csv', { kind: 'echo', status: 500 });
    for (const json of [['--json'], []]) {
      const bad = await cli(
        ...json,
        'download-release',
        root,
        '--base-url',
        base,
        '--files',
        'metadata.csv',
        '--retries',
        '1',
      );
      expect(bad.code).not.toBe(0);
      said.push(bad.out, bad.err);
    }
    expect(said.join('\n')).toContain('denied'); // the echoing error page did reach the messages
    for (const f of await listFiles(root)) said.push(await readFile(f, 'latin1'));
    const all = said.join('\n');
    for (const s of planted) expect(all, s).not.toContain(s);
  });
});

describe('worldstrat fetch (SentinelHub) with a server that echoes the bearer token', () => {
  it('prints and writes neither the token nor the client secret (stdout, stderr, --json, manifest, files)', async () => {
    const sh: ShServer = await startShServer();
    try {
      const bounds = aoiBounds(30, -2, 2.5) as BBox;
      const aoi = { name: 'UNHCR-RWA001', bounds, areaKm2: 2.5 };
      const ring: [number, number][] = [
        [29, -3],
        [31, -3],
        [31, -1],
        [29, -1],
        [29, -3],
      ];
      const entry = {
        id: 'S2_0',
        source: 'Sentinel2',
        datetime: '2021-03-10T08:30:00.000Z',
        cloudCover: 0,
        geometry: { type: 'Polygon' as const, coordinates: [ring] },
      };
      const { revisits } = matchRevisits([aoi], [entry], { targetDate: '2021-03-10' });
      const matches = join(dir, 'sh-matches.json');
      await writeFile(
        matches,
        JSON.stringify({
          version: 1,
          provider: { kind: 'sentinelhub', baseUrl: sh.url },
          levels: ['L2A'],
          targetDate: '2021-03-10',
          aois: [aoi],
          revisits: { L2A: revisits },
        }),
      );
      const cfg = join(dir, 'sh.json');
      await writeFile(cfg, JSON.stringify({ sh_client_id: sh.clientId, sh_client_secret: sh.clientSecret }));
      const root = join(dir, 'sh-root');
      const said: string[] = [];
      for (const json of [['--json'], []]) {
        sh.processFaults = ['echo-auth'];
        const r = await cli(
          ...json,
          'fetch',
          root,
          '--matches',
          matches,
          '--sh-config',
          cfg,
          '--concurrency',
          '1',
        );
        expect(r.code, r.out + r.err).not.toBe(0);
        said.push(r.out, r.err);
      }
      const tokens = [...sh.validTokens];
      expect(tokens.length).toBeGreaterThan(0);
      expect(said.join('\n')).toContain('backend rejected Bearer ***'); // the echo did reach the message
      for (const f of await listFiles(root)) said.push(await readFile(f, 'latin1'));
      expect(said.join('\n')).toContain('"status":"failed"'); // the manifest was among the files read
      const all = said.join('\n');
      for (const s of [...tokens, sh.clientSecret]) expect(all, s).not.toContain(s);
    } finally {
      await sh.close();
    }
  });
});
