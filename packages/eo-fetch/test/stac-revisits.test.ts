// Revisit download from COGs served with HTTP Range by a local STAC server: window reads, warp onto the AOI's
// 10 m grid, baseline ≥ 04.00 harmonisation, release layout, manifest re-runs, Planetary Computer signing.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import { type BBox, encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aoiGrid,
  BAND_RESOLUTION_M,
  type CanonicalBand,
  catalogueEntryFromStacItem,
  createPlanetaryComputerSigner,
  downloadRevisits,
  downloadStacRevisits,
  earthSearch,
  L1C_BANDS,
  L2A_BANDS,
  lrRevisitPaths,
  matchRevisits,
  type PlanetaryComputerSigner,
  planetaryComputer,
  readManifest,
  type StacItem,
} from '../src/node.js';
import { makeItem, type StacServer, startStacServer } from './support/stac-server.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const EPSG = 32632;
const bounds = aoiBounds(8.54, 47.37, 2.5) as BBox;
const aoi = { name: 'Landcover-42', bounds, areaKm2: 2.5 };
const [[cx, cy]] = transformCoords(4326, EPSG, [[(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]]);
const X0 = Math.floor((cx - 4000) / 60) * 60;
const Y0 = Math.ceil((cy + 4000) / 60) * 60;
const BAND_INDEX = Object.fromEntries(L1C_BANDS.map((b, i) => [b, i])) as Record<string, number>;
/** DN of band `b` at UTM (x, y): linear, so bilinear resampling reproduces it exactly. */
const dnAt = (b: CanonicalBand, x: number, y: number) =>
  1500 + 100 * BAND_INDEX[b] + 0.05 * (x - X0) + 0.03 * (Y0 - y);

function bandCog(band: CanonicalBand): Uint8Array {
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(8040 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const x = X0 + (c + 0.5) * res;
      const y = Y0 - (r + 0.5) * res;
      data[r * size + c] = isScl ? (x < cx ? 8 : 4) : Math.round(dnAt(band, x, y));
    }
  return encodeGeoTiff(
    {
      width: size,
      height: size,
      dtype: isScl ? 'uint8' : 'uint16',
      bands: [data],
      noData: 0,
      geo: { epsg: EPSG, transform: [X0, res, 0, Y0, 0, -res] },
    },
    // uncompressed bands (window reads must visibly fetch less than the file); SCL deflate-compressed
    isScl
      ? { cog: true, tileSize: 256, compression: 'deflate', predictor: true }
      : { cog: true, tileSize: 256, compression: 'none' },
  );
}

let server: StacServer;
let root: string;
const cogs = new Map<CanonicalBand, Uint8Array>();
beforeAll(async () => {
  server = await startStacServer([]);
  root = await mkdtemp(join(tmpdir(), 'eo-fetch-rev-'));
  for (const b of [...L1C_BANDS, 'SCL'] as CanonicalBand[]) {
    cogs.set(b, bandCog(b));
    server.files.set(`/data/${b}.tif`, cogs.get(b)!);
  }
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const itemFor = (
  id: string,
  baseline: string,
  day: number,
  keys: (b: CanonicalBand) => string,
  extra: Partial<StacItem['properties']> = {},
) =>
  makeItem(
    id,
    `2022-06-${String(day).padStart(2, '0')}T10:30:00Z`,
    day,
    [bounds[0] - 0.05, bounds[1] - 0.05, bounds[2] + 0.05, bounds[3] + 0.05],
    {
      properties: { 's2:processing_baseline': baseline, ...extra },
      assets: Object.fromEntries(
        ([...L1C_BANDS, 'SCL'] as CanonicalBand[]).map((b) => [
          keys(b),
          { href: `${server.url}/data/${b}.tif`, type: 'image/tiff' },
        ]),
      ),
    },
  );

describe('downloadStacRevisits', () => {
  it('writes harmonised float32 reflectance on the AOI grid from window reads, with masks and metadata', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const items = [itemFor('S2B_NEW', '05.09', 10, esKey), itemFor('S2A_OLD', '03.01', 12, esKey)];
    const match = matchRevisits(
      [aoi],
      items.map((i) => catalogueEntryFromStacItem(i)),
      { targetDate: '2022-06-10' },
    );
    const manifestPath = join(root, 'lr-manifest.jsonl');
    const report = await downloadStacRevisits([aoi], match.revisits, {
      root,
      provider: earthSearch,
      manifestPath,
    });
    expect(report.failed).toEqual([]);
    expect(report.results.map((r) => [r.n, r.itemId, r.skipped])).toEqual([
      [1, 'S2B_NEW', false],
      [2, 'S2A_OLD', false],
    ]);

    const grid = aoiGrid(bounds);
    expect(grid.width).toBeGreaterThan(150);
    expect(grid.width).toBeLessThan(166);
    const centres: [number, number][] = [];
    for (let r = 0; r < grid.height; r++)
      for (let c = 0; c < grid.width; c++)
        centres.push([
          grid.transform[0] + (c + 0.5) * grid.transform[1],
          grid.transform[3] + (r + 0.5) * grid.transform[5],
        ]);
    const utm = transformCoords(4326, EPSG, centres);
    for (const [n, offset] of [
      [1, 1000],
      [2, 0],
    ] as const) {
      const paths = lrRevisitPaths(aoi.name, n, 'L2A');
      const data = await readGeoTiffFile(join(root, paths.data));
      expect(data).toMatchObject({ width: grid.width, height: grid.height, dtype: 'float32', noData: 0 });
      expect(data.geo?.epsg).toBe(4326);
      expect(data.bands).toHaveLength(12);
      for (const [bi, band] of L2A_BANDS.entries()) {
        let maxErr = 0;
        for (let i = 0; i < utm.length; i++) {
          const want = (dnAt(band, utm[i][0], utm[i][1]) - offset) / 10000;
          maxErr = Math.max(maxErr, Math.abs(data.bands[bi][i] - want));
        }
        expect(maxErr, `${band} of revisit ${n}`).toBeLessThan(1.2e-4);
      }
      const clm = await readGeoTiffFile(join(root, paths.layer('CLM')));
      const cloudy = Array.from(clm.bands[0]).filter((v) => v === 1).length / clm.bands[0].length;
      expect(cloudy).toBeGreaterThan(0.4);
      expect(cloudy).toBeLessThan(0.6);
      const mask = await readGeoTiffFile(join(root, paths.layer('dataMask')));
      expect(Array.from(mask.bands[0]).every((v) => v === 1)).toBe(true);
      const meta = JSON.parse(await readFile(join(root, paths.metadata), 'utf8'));
      expect(meta).toMatchObject({
        target_date: '2022-06-10',
        area: 2.5,
        item_id: n === 1 ? 'S2B_NEW' : 'S2A_OLD',
        provider: 'earth-search',
      });
      expect(meta.delta).toBe(n === 1 ? '0' : '2');
      expect(meta.cloud_fraction).toBeCloseTo(cloudy, 1);
    }
    // only the AOI window was fetched: for two revisits, still less than one copy of the 10 m band file
    expect(cogs.get('B02')!.length).toBeGreaterThan(1_000_000);
    expect(server.bytesServed.get('/data/B02.tif')!).toBeLessThan(cogs.get('B02')!.length);

    // re-run: everything is in the manifest, nothing is fetched
    const manifest = await readManifest(manifestPath);
    expect([...manifest.values()].filter((r) => r.status === 'verified')).toHaveLength(2 * 5);
    const before = server.requests.length;
    const again = await downloadStacRevisits([aoi], match.revisits, {
      root,
      provider: earthSearch,
      manifestPath,
    });
    expect(again.results.every((r) => r.skipped)).toBe(true);
    expect(server.requests.length).toBe(before);
  });

  it('a re-run redoes a revisit whose verified file changed on disk at the same size and mtime, and only that one', async () => {
    // each item reads its own COG paths, so the requests of each revisit can be counted
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const items = [itemFor('S2B_FLIP', '05.09', 10, esKey), itemFor('S2A_KEEP', '05.09', 12, esKey)];
    for (const [item, dir] of [
      [items[0], 'rev-a'],
      [items[1], 'rev-b'],
    ] as const)
      for (const b of [...L1C_BANDS, 'SCL'] as CanonicalBand[]) {
        server.files.set(`/data/${dir}/${b}.tif`, cogs.get(b)!);
        item.assets[esKey(b)].href = `${server.url}/data/${dir}/${b}.tif`;
      }
    const match = matchRevisits(
      [aoi],
      items.map((i) => catalogueEntryFromStacItem(i)),
      { targetDate: '2022-06-10' },
    );
    const root4 = join(root, 'flip');
    const manifestPath = join(root4, 'lr-manifest.jsonl');
    const reads = (dir: string) => server.requests.filter((r) => r.url.startsWith(`/data/${dir}/`)).length;
    const run = () =>
      downloadStacRevisits([aoi], match.revisits, { root: root4, provider: earthSearch, manifestPath });
    expect((await run()).failed).toEqual([]);
    const readsA = reads('rev-a');
    const readsB = reads('rev-b');
    expect(readsA).toBeGreaterThan(0);
    expect(readsB).toBeGreaterThan(0);

    // one byte of revisit 1's data TIFF changes; size and mtime stay as verified
    const data = join(root4, lrRevisitPaths(aoi.name, 1, 'L2A').data);
    const verified = (await readManifest(manifestPath)).get(data)!;
    expect(verified.status).toBe('verified');
    const before = await stat(data);
    const buf = await readFile(data);
    buf[buf.length >> 1] ^= 0x01;
    await writeFile(data, buf);
    await utimes(data, before.atime, before.mtime);
    expect((await stat(data)).size).toBe(verified.bytes);

    const again = await run();
    expect(again.failed).toEqual([]);
    expect(again.results.map((r) => [r.n, r.skipped])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(reads('rev-a')).toBe(2 * readsA); // revisit 1 read again, once
    expect(reads('rev-b')).toBe(readsB); // revisit 2 untouched
    expect(sha256(await readFile(data))).toBe(verified.sha256);

    // and the rewritten revisit is complete again
    const third = await run();
    expect(third.results.every((r) => r.skipped)).toBe(true);
    expect([reads('rev-a'), reads('rev-b')]).toEqual([2 * readsA, readsB]);
  });

  it("a resume removes the stale temps of the revisit it redoes, never a concurrent run's fresh temp", async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    // run 1: revisit 2's band file is missing (404), so only revisit 1 completes
    const items = (b04: string) => {
      const a = itemFor('S2_RES_A', '05.09', 10, esKey);
      const b = itemFor('S2_RES_B', '05.09', 12, esKey);
      b.assets[esKey('B04')].href = `${server.url}${b04}`;
      return [a, b].map((i) => catalogueEntryFromStacItem(i));
    };
    const rootR = join(root, 'resume-temps');
    const manifestPath = join(rootR, 'lr-manifest.jsonl');
    const opts = { root: rootR, provider: earthSearch, bands: ['B04'] as CanonicalBand[], manifestPath };
    const run = (b04: string) =>
      downloadStacRevisits(
        [aoi],
        matchRevisits([aoi], items(b04), { targetDate: '2022-06-10' }).revisits,
        opts,
      );
    const first = await run('/data/gone/B04.tif');
    expect(first.results.map((r) => r.n)).toEqual([1]);
    expect(first.failed.map((f) => [f.n, f.error.code])).toEqual([[2, 'HTTP_ERROR']]);

    const levelDir = join(rootR, 'lr_dataset', aoi.name, 'L2A');
    const p2 = lrRevisitPaths(aoi.name, 2, 'L2A');
    const name = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);
    // a killed run's temp of revisit 2, idle for 11 minutes: stale
    const stale = join(levelDir, `${name(p2.data)}.0123456789ab.tmp`);
    await writeFile(stale, 'left by kill -9');
    const t = new Date(Date.now() - 11 * 60_000);
    await utimes(stale, t, t);
    // a second run sharing the folder is writing revisit 2's sidecar right now (its handle still open)
    const fresh = join(levelDir, `${name(p2.metadata)}.fedcba987654.tmp`);
    const other = await open(fresh, 'w');
    try {
      await other.write('{"written by": "another run",');

      // run 2 resumes: revisit 1 is skipped, revisit 2 is done now, sweeping its temps first
      const second = await run('/data/B04.tif');
      expect(second.failed).toEqual([]);
      expect(second.results.map((r) => [r.n, r.skipped])).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(existsSync(join(rootR, p2.data))).toBe(true);
      expect(existsSync(stale)).toBe(false);
      // the other run's temp is still there, and its write goes on into the same file
      expect(existsSync(fresh)).toBe(true);
      await other.write(' "done": true}');
    } finally {
      await other.close();
    }
    expect(JSON.parse(await readFile(fresh, 'utf8'))).toEqual({ 'written by': 'another run', done: true });
  });

  it('a revisit the disk refuses fails as WRITE_FAILED naming the file (not INVALID_RESPONSE), writing nothing', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits(
      [aoi],
      [catalogueEntryFromStacItem(itemFor('S2_NOROOM', '05.09', 10, esKey))],
      {
        targetDate: '2022-06-10',
      },
    );
    const rootW = join(root, 'blocked');
    // a file where the AOI's folder should be: the level folder cannot be made
    await mkdir(join(rootW, 'lr_dataset'), { recursive: true });
    await writeFile(join(rootW, 'lr_dataset', aoi.name), 'in the way');
    const report = await downloadStacRevisits([aoi], match.revisits, {
      root: rootW,
      provider: earthSearch,
      bands: ['B04'],
    });
    expect(report.results).toEqual([]);
    expect(report.failed).toHaveLength(1);
    const { error } = report.failed[0];
    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toContain(
      `${join(rootW, lrRevisitPaths(aoi.name, 1, 'L2A').data)}: cannot write: a part of the path is a file, not a folder (ENOTDIR`,
    );
    expect(await readFile(join(rootW, 'lr_dataset', aoi.name), 'utf8')).toBe('in the way');
  });

  it('writes L1C revisits with 13 bands (B10 included) and a dataMask', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const item = itemFor('S2A_L1C', '03.01', 10, esKey, {});
    item.collection = 'sentinel-2-l1c';
    const match = matchRevisits([aoi], [catalogueEntryFromStacItem(item)], { targetDate: '2022-06-10' });
    const root3 = join(root, 'l1c');
    const report = await downloadStacRevisits([aoi], match.revisits, {
      root: root3,
      provider: earthSearch,
      level: 'L1C',
    });
    expect(report.failed).toEqual([]);
    const paths = lrRevisitPaths(aoi.name, 1, 'L1C');
    expect(report.results[0].files.sort()).toEqual(
      [paths.data, paths.layer('dataMask'), paths.metadata].sort(),
    );
    const data = await readGeoTiffFile(join(root3, paths.data));
    expect(data.bands).toHaveLength(13);
    // band 11 (B10, 60 m) holds B10's ramp: 1500 + 100·10 + ...
    const grid = aoiGrid(bounds);
    const [[x, y]] = transformCoords(4326, EPSG, [
      [grid.transform[0] + 80.5 * grid.transform[1], grid.transform[3] + 80.5 * grid.transform[5]],
    ]);
    const i = 80 * grid.width + 80;
    expect(data.bands[10][i]).toBeCloseTo(dnAt('B10', x, y) / 10000, 4);
    expect(data.bands[11][i]).toBeCloseTo(dnAt('B11', x, y) / 10000, 4);
  });

  it('retries range reads that fail with 5xx and gives up on persistent failures with a typed error', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits(
      [aoi],
      [catalogueEntryFromStacItem(itemFor('S2_FLAKY', '03.01', 10, esKey))],
      {
        targetDate: '2022-06-10',
      },
    );
    const opts = {
      provider: earthSearch,
      bands: ['B04'] as CanonicalBand[],
      retry: { baseDelayMs: 5, retries: 2 },
    };
    server.fileFaults = [503, 502];
    const ok = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, 'flaky') });
    expect(ok.failed).toEqual([]);
    expect(server.fileFaults).toEqual([]);
    server.fileFaults = [503, 503, 503, 503];
    const bad = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, 'dead') });
    expect(bad.failed[0].error.code).toBe('RETRIES_EXHAUSTED');
    expect(server.fileFaults).toEqual([503]); // 3 attempts, no more
    server.fileFaults = [];
  });

  it("a band read slower than retry.timeoutMs is a retried TIMEOUT of its revisit, never the call's ABORTED", async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits(
      [aoi],
      [10, 11].map((day) => catalogueEntryFromStacItem(itemFor(`S2_SLOW_${day}`, '03.01', day, esKey))),
      { targetDate: '2022-06-10', nRevisits: 2 },
    );
    expect(match.revisits).toHaveLength(2);
    // the object store goes silent after the headers of the first three range requests: every attempt of the
    // first revisit's band read runs into the per-attempt limit, then the store answers again
    server.fileFaults = ['stall', 'stall', 'stall'];
    const stallsBefore = server.stalls;
    const t0 = Date.now();
    const report = await downloadStacRevisits([aoi], match.revisits, {
      root: join(root, 'slow'),
      provider: earthSearch,
      bands: ['B04'],
      concurrency: 1,
      retry: { timeoutMs: 400, retries: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    server.fileFaults = [];
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(server.stalls - stallsBefore).toBe(3);
    expect(report.failed.map((f) => f.n)).toEqual([1]);
    const err = report.failed[0].error;
    expect(err.code).toBe('RETRIES_EXHAUSTED');
    expect((err.cause as { code?: string }).code).toBe('TIMEOUT');
    expect(err.message).toBe(
      `gave up after 3 attempts: request to ${server.url}/data/B04.tif timed out; raise timeoutMs if the server is slow`,
    );
    // the other revisit's result is kept, its files written
    expect(report.results.map((r) => [r.n, r.itemId])).toEqual([[2, 'S2_SLOW_11']]);
    expect(existsSync(join(root, 'slow', lrRevisitPaths(aoi.name, 2, 'L2A').data))).toBe(true);
    expect(existsSync(join(root, 'slow', lrRevisitPaths(aoi.name, 1, 'L2A').data))).toBe(false);
  });

  it('retries COG range answers cut off mid-body (undici "terminated") or shorter than their Content-Range', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits([aoi], [catalogueEntryFromStacItem(itemFor('S2_CUT', '03.01', 10, esKey))], {
      targetDate: '2022-06-10',
    });
    const opts = {
      provider: earthSearch,
      bands: ['B04'] as CanonicalBand[],
      retry: { baseDelayMs: 5, retries: 2 },
    };
    const clean = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, 'clean') });
    expect(clean.failed).toEqual([]);
    const want = await readFile(join(root, 'clean', lrRevisitPaths(aoi.name, 1, 'L2A').data));
    for (const fault of ['cut', 'short'] as const) {
      server.fileFaults = [fault, fault];
      const res = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, fault) });
      expect(res.failed, fault).toEqual([]);
      expect(server.fileFaults).toEqual([]);
      // the retried read gives the very file an undisturbed run writes
      const got = await readFile(join(root, fault, lrRevisitPaths(aoi.name, 1, 'L2A').data));
      expect(Buffer.compare(got, want), fault).toBe(0);
    }
    // persistent truncation ends in a typed, retried failure, not a crash or a wrong pixel
    server.fileFaults = ['cut', 'cut', 'cut', 'cut'];
    const bad = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, 'cut-dead') });
    server.fileFaults = [];
    expect(bad.failed[0].error.code).toBe('RETRIES_EXHAUSTED');
    expect((bad.failed[0].error.cause as { code?: string }).code).toBe('NETWORK_ERROR');
  });

  it("another library's error quoting a signed URL is redacted in the revisit's failure", async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits([aoi], [catalogueEntryFromStacItem(itemFor('S2_SIGN', '03.02', 10, esKey))], {
      targetDate: '2022-06-10',
    });
    // a caller's own signer that fails with a plain Error quoting the signed asset URL
    const signer = {
      signHref: async (href: string) => {
        throw new Error(`token service refused ${href}?se=2026-12-07&sig=SECRET-SAS-0123`);
      },
      signItem: async <T>(item: T) => item,
    } as unknown as PlanetaryComputerSigner;
    const res = await downloadStacRevisits([aoi], match.revisits, {
      provider: earthSearch,
      bands: ['B04'] as CanonicalBand[],
      root: join(root, 'signer-error'),
      signer,
    });
    expect(res.failed).toHaveLength(1);
    expect(res.failed[0].error.code).toBe('INVALID_RESPONSE');
    expect(res.failed[0].error.message).toContain('token service refused');
    expect(res.failed[0].error.message).toContain('/data/B04.tif');
    expect(res.failed[0].error.message).not.toContain('SECRET-SAS-0123');
  });

  it('a COG whose IFD chain loops, or one over readLimits, fails its revisit fast with a typed error naming the URL', async () => {
    const esKey = (b: CanonicalBand) => earthSearch.assetKeys[b]!;
    const match = matchRevisits([aoi], [catalogueEntryFromStacItem(itemFor('S2_LOOP', '03.01', 10, esKey))], {
      targetDate: '2022-06-10',
    });
    const opts = {
      provider: earthSearch,
      bands: ['B04'] as CanonicalBand[],
      retry: { baseDelayMs: 5, retries: 2 },
    };
    const good = cogs.get('B04') as Uint8Array;
    // point the first IFD's next-IFD offset back at itself (little-endian classic TIFF)
    const looped = good.slice();
    const view = new DataView(looped.buffer);
    const ifd = view.getUint32(4, true);
    view.setUint32(ifd + 2 + 12 * view.getUint16(ifd, true), ifd, true);
    server.files.set('/data/B04.tif', looped);
    try {
      const t0 = performance.now();
      const res = await downloadStacRevisits([aoi], match.revisits, { ...opts, root: join(root, 'loop') });
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(res.failed).toHaveLength(1);
      expect(res.failed[0].error.code).toBe('INVALID_RESPONSE');
      expect((res.failed[0].error.cause as { code?: string }).code).toBe('CORRUPT_TIFF');
      expect(res.failed[0].error.message).toContain('/data/B04.tif');
      expect(res.failed[0].error.message).toMatch(/IFD loop/);
      expect(existsSync(join(root, 'loop', lrRevisitPaths(aoi.name, 1, 'L2A').data))).toBe(false);
    } finally {
      server.files.set('/data/B04.tif', good);
    }
    const limited = await downloadStacRevisits([aoi], match.revisits, {
      ...opts,
      root: join(root, 'limited'),
      readLimits: { maxPixels: 100 },
    });
    expect(limited.failed).toHaveLength(1);
    expect((limited.failed[0].error.cause as { code?: string }).code).toBe('TOO_LARGE');
    expect(limited.failed[0].error.message).toContain('maxPixels = 100');
    expect(existsSync(join(root, 'limited', lrRevisitPaths(aoi.name, 1, 'L2A').data))).toBe(false);
    const unlimited = await downloadStacRevisits([aoi], match.revisits, {
      ...opts,
      root: join(root, 'unlimited'),
    });
    expect(unlimited.failed).toEqual([]);
  });

  it('signs Planetary Computer hrefs and reports per-revisit failures without stopping the others', async () => {
    // the test server stands in for one storage account (its host) and container (`data`): its token's signature
    server.requireQuery = `sig=test-${encodeURIComponent(new URL(server.url).host)}/data`;
    const first = server.requests.length;
    try {
      const pcKey = (b: CanonicalBand) => b;
      const good = itemFor('PC_GOOD', '04.00', 10, pcKey);
      const bad = itemFor('PC_BAD', '04.00', 11, pcKey);
      bad.assets.B04 = { href: `${server.url}/data/missing.tif` };
      const match = matchRevisits(
        [aoi],
        [good, bad].map((i) => catalogueEntryFromStacItem(i)),
        { targetDate: '2022-06-10' },
      );
      const signer = createPlanetaryComputerSigner({
        tokenUrl: `${server.url}/api/sas/v1/token`,
        isStorageHref: (u) => u.origin === server.url, // the test server stands in for blob storage
      });
      const root2 = join(root, 'pc');
      const report = await downloadStacRevisits([aoi], match.revisits, {
        root: root2,
        provider: planetaryComputer,
        signer,
        bands: ['B04', 'B8A'],
        retry: { baseDelayMs: 5 },
      });
      expect(report.results.map((r) => r.itemId)).toEqual(['PC_GOOD']);
      expect(report.failed).toHaveLength(1);
      expect(report.failed[0]).toMatchObject({
        itemId: 'PC_BAD',
        error: { code: 'HTTP_ERROR', status: 404 },
      });
      expect(signer.tokenRequests).toBe(1);
      const data = await readGeoTiffFile(join(root2, lrRevisitPaths(aoi.name, 1, 'L2A').data));
      expect(data.bands).toHaveLength(2);
      const fileRequests = server.requests.slice(first).filter((r) => r.url.startsWith('/data/'));
      expect(fileRequests.filter((r) => !r.url.includes('sig=')).map((r) => r.url)).toEqual([]);
    } finally {
      server.requireQuery = undefined;
    }
  });

  it('asks Planetary Computer for one token per container for a whole call and a whole stage, not one per revisit', async () => {
    const PC_TOKEN_HOST = 'planetarycomputer.microsoft.com';
    const blob = 'https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2';
    const tokenUrls: string[] = [];
    let unsigned = 0;
    // PC's token endpoint and a blob account, served by the local server (its COGs under /data)
    const pcFetch = (async (input: string, init?: RequestInit) => {
      const url = new URL(input);
      if (url.hostname === PC_TOKEN_HOST) {
        tokenUrls.push(url.pathname);
        return new Response(
          JSON.stringify({ token: 'sv=2021&sr=c&sig=PC-TOKEN', 'msft:expiry': '2999-01-01T00:00:00Z' }),
          { headers: { 'content-type': 'application/json' } },
        );
      }
      if (url.searchParams.get('sig') !== 'PC-TOKEN') unsigned++;
      return fetch(`${server.url}/data${url.pathname.slice('/sentinel2-l2'.length)}${url.search}`, init);
    }) as typeof fetch;
    const pcItem = (id: string, day: number) => {
      const item = itemFor(id, '04.00', day, (b) => b);
      for (const a of Object.values(item.assets)) a.href = a.href.replace(`${server.url}/data`, blob);
      return item;
    };
    const match = matchRevisits(
      [aoi],
      [10, 11, 12].map((d) => catalogueEntryFromStacItem(pcItem(`PC_${d}`, d))),
      { targetDate: '2022-06-10' },
    );
    expect(match.revisits).toHaveLength(3);
    const report = await downloadStacRevisits([aoi], match.revisits, {
      root: join(root, 'pc-shared'),
      provider: planetaryComputer,
      bands: ['B04'],
      fetch: pcFetch,
      concurrency: 1,
    });
    expect(report.failed).toEqual([]);
    expect(report.results).toHaveLength(3);
    expect(tokenUrls).toEqual(['/api/sas/v1/token/sentinel2l2a01/sentinel2-l2']);
    expect(unsigned).toBe(0);
    // the stage: one signer for every revisit (and level) it downloads
    tokenUrls.length = 0;
    const staged = await downloadRevisits(
      [aoi],
      { L2A: match.revisits },
      {
        root: join(root, 'pc-stage'),
        provider: { kind: 'stac', provider: planetaryComputer },
        levels: ['L2A'],
        concurrency: 1,
        fetch: pcFetch,
      },
    );
    expect(staged.failures).toEqual([]);
    expect(staged.downloads.L2A).toMatchObject({ downloaded: 3 });
    expect(tokenUrls).toEqual(['/api/sas/v1/token/sentinel2l2a01/sentinel2-l2']);
  });
});
