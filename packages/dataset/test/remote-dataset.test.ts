// openDataset over the v1.1 release zips: remote (a Zenodo-shaped record URL on a 127.0.0.1 range server), a
// local folder of the zips, and one local zip — each must serve exactly the scenes and pixels of the extracted
// folder, with bounded request counts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileUrl } from '../src/dataset/dataset-store.node.js';
import { DatasetError } from '../src/errors.js';
import { generateSyntheticDataset, openDataset, type WorldStratDataset } from '../src/node.js';
import { tempDir } from './support/fixtures.js';
import { type RangeServer, startRangeServer } from './support/range-server.js';
import { membersOf } from './support/release-server.js';
import { buildZip, type ZipInput } from './support/zip-writer.js';

const RECORD = 'records/15382551';
let dir: string;
let cleanup: () => Promise<void>;
let root: string;
let server: RangeServer;
let reference: WorldStratDataset;

/** The three v1.1 zips of a release folder: HR stored, L2A TIFFs stored + .metadata deflated (Zip64 + data
 * descriptors), L1C all deflated. */
async function releaseZips(): Promise<Record<string, Uint8Array>> {
  const hr = await membersOf(join(root, 'hr_dataset'), 'hr_dataset/');
  const lr = await membersOf(join(root, 'lr_dataset'), 'lr_dataset/');
  const dirEntry = (name: string): ZipInput => ({ name, data: new Uint8Array() });
  const l2a = lr.filter((m) => m.name.split('/')[2] === 'L2A');
  const l1c = lr.filter((m) => m.name.split('/')[2] === 'L1C');
  return {
    'hr_dataset.zip': buildZip([dirEntry('hr_dataset/'), ...hr.map((m) => ({ name: m.name, data: m.data! }))])
      .bytes,
    'lr_dataset_l2a.zip': buildZip(
      l2a.map((m) => ({ name: m.name, data: m.data!, method: m.name.endsWith('.tiff') ? 0 : 8 })),
      { zip64: true, dataDescriptor: true },
    ).bytes,
    'lr_dataset_l1c.zip': buildZip(l1c.map((m) => ({ name: m.name, data: m.data!, method: 8 as const })))
      .bytes,
  };
}

async function expectSamePixels(ds: WorldStratDataset, names: string[]): Promise<void> {
  expect(ds.scenes.map((s) => s.name)).toEqual(reference.scenes.map((s) => s.name));
  expect(ds.split()).toBeDefined();
  for (const name of names) {
    const a = await ds.loadScene(ds.scenes.find((s) => s.name === name)!);
    const b = await reference.loadScene(reference.scenes.find((s) => s.name === name)!);
    expect(a.lrShape).toEqual(b.lrShape);
    expect(Buffer.from(a.lr.buffer).equals(Buffer.from(b.lr.buffer))).toBe(true);
    expect(Buffer.from(a.hr.buffer).equals(Buffer.from(b.hr.buffer))).toBe(true);
    expect(Buffer.from(a.lrc!.buffer).equals(Buffer.from(b.lrc!.buffer))).toBe(true);
  }
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  root = join(dir, 'extracted');
  await generateSyntheticDataset(root, { aois: 5, revisits: 8, hrSize: 96, seed: 7, l1c: true });
  reference = await openDataset(root, { revisits: 8, masks: true });
  server = await startRangeServer();
  const zips = await releaseZips();
  const zipDir = join(dir, 'zips');
  mkdirSync(zipDir);
  for (const [name, bytes] of Object.entries(zips)) {
    server.files.set(`${RECORD}/files/${name}`, bytes);
    writeFileSync(join(zipDir, name), bytes);
  }
  for (const t of ['metadata.csv', 'stratified_train_val_test_split.csv']) {
    const bytes = await readFile(join(root, t));
    server.files.set(`${RECORD}/files/${t}`, bytes);
    writeFileSync(join(zipDir, t), bytes);
  }
}, 60_000);
afterAll(async () => {
  await server?.close();
  await cleanup();
});

describe('openDataset on a remote v1.1 release (HTTP range requests)', () => {
  it('Zenodo record URLs resolve to …/records/<id>/files/<name>?download=1', () => {
    expect(releaseFileUrl('https://zenodo.org/records/15382551')('hr_dataset.zip')).toBe(
      'https://zenodo.org/records/15382551/files/hr_dataset.zip?download=1',
    );
    expect(releaseFileUrl('https://zenodo.org/record/15382551/')('metadata.csv')).toBe(
      'https://zenodo.org/records/15382551/files/metadata.csv?download=1',
    );
    expect(releaseFileUrl('https://mirror.example/ws/v1.1/')('hr_dataset.zip')).toBe(
      'https://mirror.example/ws/v1.1/hr_dataset.zip',
    );
  });

  it('a share link keeps its query on every file URL (merged with download=1); a folder URL keeps its own', () => {
    expect(releaseFileUrl('https://zenodo.org/records/15382551?token=Secret123x')('hr_dataset.zip')).toBe(
      'https://zenodo.org/records/15382551/files/hr_dataset.zip?token=Secret123x&download=1',
    );
    expect(releaseFileUrl('https://zenodo.org/record/15382551/?token=T#files')('metadata.csv')).toBe(
      'https://zenodo.org/records/15382551/files/metadata.csv?token=T&download=1',
    );
    expect(releaseFileUrl('https://mirror.example/ws/?sig=a%2Fb')('hr_dataset.zip')).toBe(
      'https://mirror.example/ws/hr_dataset.zip?sig=a%2Fb',
    );
  });

  it('a record URL with ?token= sends the token with every request and never shows it', async () => {
    server.resetCounts();
    const ds = await openDataset(`${server.origin}/${RECORD}?token=Secret123x`, { revisits: 8, masks: true });
    expect(server.requests).toContain(
      `GET /${RECORD}/files/stratified_train_val_test_split.csv?token=Secret123x&download=1`,
    );
    expect(server.requests).toContain(`GET /${RECORD}/files/hr_dataset.zip?token=Secret123x&download=1`);
    expect(server.requests.length).toBeGreaterThan(1);
    for (const line of server.requests) expect(line).toMatch(/\?token=Secret123x&download=1$/);
    expect(ds.root).toBe(`${server.origin}/${RECORD}`);
    expect(ds.scenes.map((s) => s.name)).toEqual(reference.scenes.map((s) => s.name));
    const rows = await ds.metadataRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(server.requests.at(-1)).toBe(`GET /${RECORD}/files/metadata.csv?token=Secret123x&download=1`);
    // a record the server does not have: the error names the file, not the token
    const err: unknown = await openDataset(`${server.origin}/records/999?token=Secret123x`, {
      revisits: 8,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toContain(`${server.origin}/records/999`);
    expect((err as DatasetError).message).not.toContain('Secret123x');
  });

  it('a base URL with a long run of slashes resolves in linear time (trailing slashes trimmed as before)', () => {
    const run = '/'.repeat(128 * 1024);
    const t0 = performance.now();
    expect(releaseFileUrl(`https://mirror.example${run}x`)('hr_dataset.zip')).toBe(
      `https://mirror.example${run}x/hr_dataset.zip`,
    );
    expect(releaseFileUrl(`https://mirror.example/ws${run}`)('hr_dataset.zip')).toBe(
      'https://mirror.example/ws/hr_dataset.zip',
    );
    // `/\/+$/` retries the run from every slash: seconds here
    expect(performance.now() - t0).toBeLessThan(4000); // linear: milliseconds; the quadratic code took 8–20 s
  });

  it('serves the same scenes and pixels as the extracted folder, with bounded requests and a block cache', async () => {
    server.resetCounts();
    const ds = await openDataset(`${server.origin}/${RECORD}`, { revisits: 8, masks: true });
    // split CSV + (size, tail, directory) for the HR and L2A zips; the L1C zip is never touched
    expect(ds.requestCount).toBe(server.totalHits());
    expect(server.totalHits()).toBeLessThanOrEqual(7);
    expect(server.hits.get(`${RECORD}/files/lr_dataset_l1c.zip`)).toBeUndefined();
    expect(ds.root).toBe(`${server.origin}/${RECORD}`);
    expect(ds.scenes[0].hrPath).toBe(
      `${server.origin}/${RECORD}/hr_dataset/${ds.scenes[0].name}/${ds.scenes[0].name}_ps.tiff`,
    );
    const first = ds.scenes[0];
    server.resetCounts();
    await ds.loadScene(first);
    // HR + 8 revisits + 8 masks: a few blocks, far fewer than one request per file read
    const oneAoi = server.totalHits();
    expect(oneAoi).toBeGreaterThan(0);
    expect(oneAoi).toBeLessThanOrEqual(12);
    server.resetCounts();
    await ds.loadScene(first);
    expect(server.totalHits()).toBe(0);
    await expectSamePixels(
      ds,
      ds.scenes.slice(0, 3).map((s) => s.name),
    );
    // metadata.csv: one more request, then cached
    server.resetCounts();
    const rows = await ds.metadataRows();
    expect(rows).toEqual(await reference.metadataRows());
    expect(rows.length).toBe(5 * 8);
    expect(rows[0].tile).toBe(reference.scenes[0].name);
    await ds.metadataRows();
    expect(server.totalHits()).toBe(1);
  });

  it('a remote table that is not UTF-8 is UNREADABLE_FILE naming it and the byte (as a local one is)', async () => {
    const record = 'records/15382552';
    for (const [key, bytes] of server.files)
      if (key.startsWith(`${RECORD}/files/`)) server.files.set(key.replace(RECORD, record), bytes);
    // a Latin-1 "ü" (0xFC) in the split table's first AOI name
    const split = Buffer.from(await readFile(join(root, 'stratified_train_val_test_split.csv')));
    const at = split.indexOf('\n') + 2;
    split[at] = 0xfc;
    server.files.set(`${record}/files/stratified_train_val_test_split.csv`, split);
    const err = await openDataset(`${server.origin}/${record}`, { revisits: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('UNREADABLE_FILE');
    expect((err as Error).message).toBe(
      `table ${server.origin}/${record}/stratified_train_val_test_split.csv is not UTF-8 text at byte ${at} (line 2); save it as UTF-8`,
    );
  });

  it('a local folder of the v1.1 zips and one local zip of the whole layout give the same pixels', async () => {
    const fromZips = await openDataset(join(dir, 'zips'), { revisits: 8, masks: true });
    expect(fromZips.split().train.length).toBe(reference.split().train.length);
    await expectSamePixels(fromZips, [reference.scenes[1].name, reference.scenes[4].name]);
    const all = [...(await membersOf(root, 'WorldStrat/')).filter((m) => !m.name.includes('/L1C/'))].map(
      (m) => ({ name: m.name, data: m.data!, method: (m.name.endsWith('.tiff') ? 0 : 8) as 0 | 8 }),
    );
    const one = join(dir, 'worldstrat.zip');
    writeFileSync(one, buildZip(all).bytes);
    const single = await openDataset(one, { revisits: 8, masks: true });
    expect(single.split().train.length).toBe(reference.split().train.length);
    await expectSamePixels(single, [reference.scenes[2].name]);
  });

  it('one zip made by macOS Finder (__MACOSX/…/._<name> beside every file) gives the same scenes and pixels', async () => {
    const members = (await membersOf(root, 'WorldStrat/')).filter((m) => !m.name.includes('/L1C/'));
    const junk = new Uint8Array(4096);
    junk.set(new TextEncoder().encode('\x00\x05\x16\x07Mac OS X'));
    const all = members.flatMap((m) => {
      const at = m.name.lastIndexOf('/');
      const apple = `__MACOSX/${m.name.slice(0, at)}/._${m.name.slice(at + 1)}`;
      return [
        // the AppleDouble entry first: it sorts before the real file, as the old scanner took it
        { name: apple, data: junk, method: 0 as const },
        { name: m.name, data: m.data!, method: (m.name.endsWith('.tiff') ? 0 : 8) as 0 | 8 },
      ];
    });
    const one = join(dir, 'worldstrat-macos.zip');
    writeFileSync(one, buildZip(all).bytes);
    const ds = await openDataset(one, { revisits: 8, masks: true, verifyFiles: true });
    expect(ds.problems).toEqual([]);
    for (const s of ds.scenes)
      for (const p of [s.hrPath, ...s.lrPaths, ...s.lrcPaths]) expect(p.split('/').pop()).not.toMatch(/^\._/);
    await expectSamePixels(ds, [reference.scenes[0].name]);
  });

  it('credentials in the URL go to the server as Authorization and appear in no message', async () => {
    server.files.set(
      'records/1/files/stratified_train_val_test_split.csv',
      new TextEncoder().encode('tile,split\n'),
    );
    const base = `${server.origin.replace('http://', 'http://reader:s3cret@')}/records/1`;
    const e = await openDataset(base).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('REMOTE_READ_FAILED');
    expect((e as DatasetError).message).toContain('hr_dataset.zip');
    expect((e as DatasetError).message).not.toContain('s3cret');
    expect(String((e as Error).stack)).not.toContain('s3cret');
    const sent = server.auth.get('records/1/files/hr_dataset.zip') ?? [];
    expect(sent[0]).toBe(`Basic ${Buffer.from('reader:s3cret').toString('base64')}`);
  });

  it('credentials stay on the dataset origin across a redirect; one remote zip of the whole layout opens too', async () => {
    const other = await startRangeServer();
    try {
      const layout = (await membersOf(root, 'WorldStrat/'))
        .filter((m) => !m.name.includes('/L1C/'))
        .map((m) => ({ name: m.name, data: m.data!, method: (m.name.endsWith('.tiff') ? 0 : 8) as 0 | 8 }));
      other.files.set('mirror/worldstrat.zip', buildZip(layout).bytes);
      server.redirects.set('dl/worldstrat.zip', `${other.origin}/mirror/worldstrat.zip`);
      const url = `${server.origin.replace('http://', 'http://reader:s3cret@')}/dl/worldstrat.zip`;
      const ds = await openDataset(url, {
        revisits: 8,
        masks: true,
        remote: { headers: { 'x-api-key': 'k3y' } },
      });
      expect(ds.root).not.toContain('s3cret');
      await expectSamePixels(ds, [reference.scenes[3].name]);
      expect(server.auth.get('dl/worldstrat.zip')?.[0]).toMatch(/^Basic /);
      expect(other.auth.get('mirror/worldstrat.zip')).toBeUndefined();
      expect(other.hits.get('mirror/worldstrat.zip')).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });
});
