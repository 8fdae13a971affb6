// A resume that checks verified files by content (the STAC revisit path, and the SentinelHub path through the
// engine with `verifyExisting: 'sha256'`) reads a file only when its lstat differs from the fingerprint recorded
// when it was hashed, or when that fingerprint is racily clean; untouched files are not read at all.
//
// File reads are counted by wrapping `open` of node:fs/promises for this file only (every hash opens the file
// read-only through it); everything else is the real code on real files and manifests.
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import { type BBox, encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BAND_RESOLUTION_M,
  type CanonicalBand,
  catalogueEntryFromStacItem,
  downloadSentinelHubRevisits,
  downloadStacRevisits,
  earthSearch,
  L1C_BANDS,
  lrRevisitPaths,
  type ManifestRecord,
  matchRevisits,
  readManifest,
  SentinelHubClient,
} from '../src/node.js';
import { type ShServer, startShServer } from './support/sentinel-hub-server.js';
import { makeItem, type StacServer, startStacServer } from './support/stac-server.js';

/** Paths opened for reading (flags absent or 'r'), in order. */
const opened = vi.hoisted(() => ({ reads: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, flags, ...rest) => {
    if (flags === undefined || flags === 'r') opened.reads.push(String(path));
    return fs.open(path, flags, ...rest);
  };
  return { ...fs, open, default: { ...fs, open } };
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const EPSG = 32632;
const bounds = aoiBounds(8.54, 47.37, 2.5) as BBox;
const aoi = { name: 'Landcover-42', bounds, areaKm2: 2.5 };
const [[cx, cy]] = transformCoords(4326, EPSG, [[(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]]);
const X0 = Math.floor((cx - 4000) / 60) * 60;
const Y0 = Math.ceil((cy + 4000) / 60) * 60;

function bandCog(band: CanonicalBand, i: number): Uint8Array {
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(8040 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++)
      data[r * size + c] = isScl ? (c < size / 2 ? 8 : 4) : 1500 + 100 * i + r + c;
  return encodeGeoTiff(
    {
      width: size,
      height: size,
      dtype: isScl ? 'uint8' : 'uint16',
      bands: [data],
      noData: 0,
      geo: { epsg: EPSG, transform: [X0, res, 0, Y0, 0, -res] },
    },
    { cog: true, tileSize: 256, compression: 'none' },
  );
}

const BANDS = [...L1C_BANDS, 'SCL'] as CanonicalBand[];
let server: StacServer;
let sh: ShServer;
let dir: string;
beforeAll(async () => {
  server = await startStacServer([]);
  sh = await startShServer();
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-fp-'));
  // each revisit reads its own COG paths, so the requests of each can be counted
  for (const rev of ['rev-a', 'rev-b'])
    BANDS.forEach((b, i) => {
      server.files.set(`/data/${rev}/${b}.tif`, bandCog(b, i));
    });
});
afterAll(async () => {
  await server.close();
  await sh.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  opened.reads = [];
});

const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
const itemFor = (id: string, day: number, rev: string) =>
  makeItem(
    id,
    `2022-06-${String(day).padStart(2, '0')}T10:30:00Z`,
    day,
    [bounds[0] - 0.05, bounds[1] - 0.05, bounds[2] + 0.05, bounds[3] + 0.05],
    {
      properties: { 's2:processing_baseline': '05.09' },
      assets: Object.fromEntries(
        BANDS.map((b) => [esKey(b), { href: `${server.url}/data/${rev}/${b}.tif`, type: 'image/tiff' }]),
      ),
    },
  );
const match = () =>
  matchRevisits(
    [aoi],
    [itemFor('S2B_A', 10, 'rev-a'), itemFor('S2A_B', 12, 'rev-b')].map((i) => catalogueEntryFromStacItem(i)),
    { targetDate: '2022-06-10' },
  );

/** Two STAC revisits downloaded into a fresh root; the manifest, counters and a re-run. */
async function stacDataset(name: string) {
  const root = join(dir, name);
  const manifestPath = join(root, 'lr-manifest.jsonl');
  const revisits = match().revisits;
  const run = () => downloadStacRevisits([aoi], revisits, { root, provider: earthSearch, manifestPath });
  server.requests.length = 0;
  const first = await run();
  expect(first.failed).toEqual([]);
  expect(first.results.map((r) => r.skipped)).toEqual([false, false]);
  const manifest = await readManifest(manifestPath);
  const files = [...manifest.keys()];
  expect(files).toHaveLength(2 * 5);
  const cogReads = (rev: string) => server.requests.filter((r) => r.url.startsWith(`/data/${rev}/`)).length;
  const datasetReads = () => opened.reads.filter((p) => files.includes(p));
  const data = (n: number) => join(root, lrRevisitPaths(aoi.name, n, 'L2A').data);
  opened.reads = [];
  return { root, manifestPath, run, files, cogReads, datasetReads, data, manifest };
}

/** Flips one byte of a file in place and restores its mtime (the ctime moves: userland cannot set it). */
async function flipByteKeepingMtime(path: string): Promise<void> {
  const st = await stat(path);
  const buf = await readFile(path);
  buf[buf.length >> 1] ^= 0x01;
  await writeFile(path, buf);
  await utimes(path, st.atime, st.mtime);
  const now = await stat(path);
  expect(now.size).toBe(st.size);
  expect(Math.abs(now.mtimeMs - st.mtimeMs)).toBeLessThan(1);
}

/** Rewrites a manifest with `edit` applied to each stored line. */
async function editManifest(path: string, edit: (rec: Record<string, unknown>) => Record<string, unknown>) {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim());
  await writeFile(path, lines.map((l) => `${JSON.stringify(edit(JSON.parse(l)))}\n`).join(''));
}

describe('STAC revisits: resume by fingerprint', () => {
  it('records a fingerprint for every verified file, and a resume with untouched files reads none of them', async () => {
    const ds = await stacDataset('untouched');
    for (const rec of ds.manifest.values()) {
      const st = await stat(rec.path);
      expect(rec.fingerprint, rec.path).toMatchObject({
        size: rec.bytes,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
        ino: st.ino,
        dev: st.dev,
      });
      // taken once the file's timestamps were clearly in the past: not racily clean
      expect(rec.fingerprint!.at).toBeGreaterThan(Math.max(st.mtimeMs, st.ctimeMs));
    }
    const requests = server.requests.length;
    const manifestText = await readFile(ds.manifestPath, 'utf8');
    const again = await ds.run();
    expect(again.failed).toEqual([]);
    expect(again.results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([]);
    expect(server.requests.length).toBe(requests);
    expect(await readFile(ds.manifestPath, 'utf8')).toBe(manifestText); // nothing to refresh
  });

  it('a file changed at the same size with its mtime restored is still detected (ctime moved): only that revisit is redone', async () => {
    const ds = await stacDataset('flip');
    const [a, b] = [ds.cogReads('rev-a'), ds.cogReads('rev-b')];
    const data1 = ds.data(1);
    const verified = ds.manifest.get(data1)!;
    await flipByteKeepingMtime(data1);
    const again = await ds.run();
    expect(again.failed).toEqual([]);
    expect(again.results.map((r) => [r.n, r.skipped])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect([ds.cogReads('rev-a'), ds.cogReads('rev-b')]).toEqual([2 * a, b]);
    expect(sha256(await readFile(data1))).toBe(verified.sha256);
    // revisit 2's files were not read; of revisit 1's old files only the changed one was (then the rewrite hashed
    // its new files once each)
    const rev2 = ds.files.filter((p) => ds.manifest.get(p)!.revisit === 2);
    expect(ds.datasetReads().filter((p) => rev2.includes(p))).toEqual([]);
    expect(ds.datasetReads().filter((p) => p === data1)).toHaveLength(2);
    expect(ds.datasetReads()).toHaveLength(1 + 5);
    opened.reads = [];
    const third = await ds.run();
    expect(third.results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([]);
  });

  it('a file replaced by a copy with the same content (new inode) is re-hashed once and kept, and its fingerprint refreshed', async () => {
    const ds = await stacDataset('copy');
    const requests = server.requests.length;
    const data2 = ds.data(2);
    const ino = (await stat(data2)).ino;
    await copyFile(data2, `${data2}.copy`);
    await rename(`${data2}.copy`, data2);
    expect((await stat(data2)).ino).not.toBe(ino);
    const again = await ds.run();
    expect(again.results.map((r) => r.skipped)).toEqual([true, true]);
    expect(server.requests.length).toBe(requests); // not downloaded again
    expect(ds.datasetReads()).toEqual([data2]);
    const refreshed = (await readManifest(ds.manifestPath)).get(data2)!;
    const st = await stat(data2);
    expect(refreshed).toMatchObject({ status: 'verified', sha256: ds.manifest.get(data2)!.sha256 });
    expect(refreshed.fingerprint).toMatchObject({ ino: st.ino, ctimeMs: st.ctimeMs, size: st.size });
    opened.reads = [];
    expect((await ds.run()).results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([]);
  });

  it('an old manifest without fingerprints is re-hashed as before (each file once), then fingerprinted', async () => {
    const ds = await stacDataset('old');
    await editManifest(ds.manifestPath, ({ fingerprint: _drop, ...rec }) => rec);
    expect([...(await readManifest(ds.manifestPath)).values()].some((r) => r.fingerprint)).toBe(false);
    const requests = server.requests.length;
    const again = await ds.run();
    expect(again.results.map((r) => r.skipped)).toEqual([true, true]);
    expect(server.requests.length).toBe(requests);
    expect([...ds.datasetReads()].sort()).toEqual([...ds.files].sort());
    // a malformed fingerprint is not trusted either: the file is re-hashed
    await editManifest(ds.manifestPath, (rec) =>
      rec.path === ds.files[0].slice(ds.root.length + 1) ? { ...rec, fingerprint: { size: 'x' } } : rec,
    );
    expect((await readManifest(ds.manifestPath)).get(ds.files[0])!.fingerprint).toBeUndefined();
    opened.reads = [];
    expect((await ds.run()).results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([ds.files[0]]);
    opened.reads = [];
    expect((await ds.run()).results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([]);
  });

  it('a racily clean fingerprint (taken in the millisecond of the last write) is not trusted: the file is re-hashed', async () => {
    const ds = await stacDataset('racy');
    const racy = async (path: string, sha?: string) => {
      const st = await stat(path);
      const rel = path.slice(ds.root.length + 1);
      await editManifest(ds.manifestPath, (rec) =>
        rec.path === rel
          ? {
              ...rec,
              ...(sha ? { sha256: sha } : {}),
              fingerprint: {
                size: st.size,
                mtimeMs: st.mtimeMs,
                ctimeMs: st.ctimeMs,
                ino: st.ino,
                dev: st.dev,
                at: Math.floor(Math.max(st.mtimeMs, st.ctimeMs)) + 0.5,
              },
            }
          : rec,
      );
    };
    // unchanged content: re-hashed, kept, fingerprint refreshed (trusted now)
    const data1 = ds.data(1);
    await racy(data1);
    const requests = server.requests.length;
    expect((await ds.run()).results.map((r) => r.skipped)).toEqual([true, true]);
    expect(ds.datasetReads()).toEqual([data1]);
    expect(server.requests.length).toBe(requests);
    const refreshed = (await readManifest(ds.manifestPath)).get(data1)!.fingerprint!;
    expect(refreshed.at).toBeGreaterThan(Math.max(refreshed.mtimeMs, refreshed.ctimeMs));

    // the racy case itself: the file changed after its hash within the same tick, so its lstat still matches
    // the fingerprint exactly; only the re-hash the guard forces tells
    const data2 = ds.data(2);
    const verified = ds.manifest.get(data2)!;
    await flipByteKeepingMtime(data2);
    await racy(data2, verified.sha256); // the record of the old content, with the changed file's lstat
    opened.reads = [];
    const again = await ds.run();
    expect(again.results.map((r) => [r.n, r.skipped])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(sha256(await readFile(data2))).toBe(verified.sha256);
  });
});

describe('SentinelHub revisits (engine, verifyExisting sha256): resume by fingerprint', () => {
  const entries = [0, 1].map((i) => ({
    id: `S2_${i}`,
    source: 'Sentinel2',
    datetime: `2021-03-1${i}T08:30:00.000Z`,
    cloudCover: i * 5,
    geometry: {
      type: 'Polygon' as const,
      coordinates: [
        [
          [29, -3],
          [31, -3],
          [31, -1],
          [29, -1],
          [29, -3],
        ],
      ],
    },
  }));
  const shAoi = { name: 'UNHCR-RWA001', bounds: aoiBounds(30.1, -1.95, 2.5) as BBox, areaKm2: 2.5 };

  it('untouched TIFFs are not read on resume; one changed at the same size and mtime is fetched again, alone', async () => {
    const revisits = matchRevisits([shAoi], entries, { targetDate: '2021-03-10' }).revisits;
    const c = new SentinelHubClient(
      { clientId: sh.clientId, clientSecret: sh.clientSecret },
      { baseUrl: sh.url, retry: { baseDelayMs: 5 } },
    );
    const root = join(dir, 'sh');
    const manifestPath = join(root, 'manifest.jsonl');
    const run = () =>
      downloadSentinelHubRevisits(c, [shAoi], revisits, {
        root,
        manifestPath,
        levels: ['L2A'],
        verifyExisting: 'sha256',
      });
    const processed = () => sh.requests.filter((r) => r.path === '/api/v1/process').length;
    const first = await run();
    expect(first.failed).toEqual([]);
    expect(first.downloaded).toBe(8);
    const manifest = await readManifest(manifestPath);
    const files = [...manifest.keys()];
    const tiffReads = () => opened.reads.filter((p) => files.includes(p));
    for (const rec of manifest.values())
      expect(rec.fingerprint, rec.path).toMatchObject({ size: rec.bytes, ino: (await stat(rec.path)).ino });
    const sent = processed();

    opened.reads = [];
    const again = await run();
    expect(again).toMatchObject({ skipped: 8, downloaded: 0, failed: [] });
    expect(tiffReads()).toEqual([]);
    expect(processed()).toBe(sent);

    const data = join(root, lrRevisitPaths(shAoi.name, 1, 'L2A').data);
    const verified: ManifestRecord = manifest.get(data)!;
    await flipByteKeepingMtime(data);
    opened.reads = [];
    const third = await run();
    expect(third).toMatchObject({ skipped: 7, downloaded: 1, failed: [] });
    expect(processed()).toBe(sent + 1);
    expect(sha256(await readFile(data))).toBe(verified.sha256);
    // the changed file was re-hashed (then its new copy fingerprinted); no other TIFF was read
    expect(new Set(tiffReads())).toEqual(new Set([data]));
    opened.reads = [];
    expect(await run()).toMatchObject({ skipped: 8, downloaded: 0 });
    expect(tiffReads()).toEqual([]);
  });
});
