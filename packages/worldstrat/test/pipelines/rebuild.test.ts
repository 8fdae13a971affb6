// End-to-end rebuild against local servers: eo-fetch's STAC API + COG test server (range requests) and its
// SentinelHub-compatible server, with classification rasters generated here (LCCS in EPSG:4326 read from a
// file, SMOD in Mollweide ESRI:54009 read over HTTP).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv } from '@worldstrat/core';
import {
  BAND_RESOLUTION_M,
  type CanonicalBand,
  earthSearch,
  L1C_BANDS,
  L2A_BANDS,
  lrRevisitPaths,
} from '@worldstrat/eo-fetch';
import { readManifest, sha256File } from '@worldstrat/eo-fetch/node';
import { type BBox, encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ShServer, startShServer } from '../../../eo-fetch/test/support/sentinel-hub-server.js';
import { makeItem, type StacServer, startStacServer } from '../../../eo-fetch/test/support/stac-server.js';
import { LocalExecutor } from '../../src/executors/local-executor.node.js';
import { runCli } from '../../src/node.js';
import { planRebuild, type RebuildOptions, rebuild } from '../../src/pipelines/rebuild.node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN, spawnCli } from '../support/spawn-cli.js';

/** Paths opened for reading through node:fs/promises `open` (every hash of a file goes through it). */
const opened = vi.hoisted(() => ({ reads: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, flags, ...rest) => {
    if (flags === undefined || flags === 'r') opened.reads.push(String(path));
    return fs.open(path, flags, ...rest);
  };
  return { ...fs, open, default: { ...fs, open } };
});

const CENTRE = [8.54, 47.37] as const;
const REGION: BBox = [8.52, 47.36, 8.56, 47.38];
const SPLIT_LON = 8.54;
const SPLIT_LAT = 47.37;
/** Land-cover code by position: west cropland (10), north-east urban (190), south-east forest (50). */
const lccsAt = (lon: number, lat: number) => (lon < SPLIT_LON ? 10 : lat >= SPLIT_LAT ? 190 : 50);
const IPCC_OF: Record<number, string> = { 10: 'Agriculture', 190: 'Settlement', 50: 'Forest' };
const MOLL = 'ESRI:54009';
const allLand = { source: 'test: all land', isLand: () => true };

let dir: string;
let cleanup: () => Promise<void>;
let stac: StacServer;
let lccsPath: string;
let smodUrl: string;
let smodSplitX: number;
let smodX0: number;

function lccsRaster(): Uint8Array {
  const res = 0.0025;
  const [x0, y0] = [8.45, 47.45];
  const w = 80;
  const h = 60;
  const data = new Uint8Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) data[r * w + c] = lccsAt(x0 + (c + 0.5) * res, y0 - (r + 0.5) * res);
  return encodeGeoTiff(
    {
      width: w,
      height: h,
      dtype: 'uint8',
      bands: [data],
      noData: 0,
      geo: { epsg: 4326, transform: [x0, res, 0, y0, 0, -res] },
    },
    { tiled: true, tileSize: 256 },
  );
}

/** SMOD in Mollweide, 1 km: 30 (urban centre) east of the centre meridian's Mollweide x, else 11. */
function smodRaster(): Uint8Array {
  const [[xa, ya], [xb, yb]] = transformCoords(4326, MOLL, [
    [8.4, 47.25],
    [8.7, 47.5],
  ]);
  const x0 = Math.floor(Math.min(xa, xb) / 1000) * 1000;
  smodX0 = x0;
  const y0 = Math.ceil(Math.max(ya, yb) / 1000) * 1000;
  const w = Math.ceil((Math.max(xa, xb) - x0) / 1000);
  const h = Math.ceil((y0 - Math.min(ya, yb)) / 1000);
  [[smodSplitX]] = transformCoords(4326, MOLL, [[SPLIT_LON, SPLIT_LAT]]);
  const data = new Int16Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) data[r * w + c] = x0 + (c + 0.5) * 1000 >= smodSplitX ? 30 : 11;
  return encodeGeoTiff(
    {
      width: w,
      height: h,
      dtype: 'int16',
      bands: [data],
      noData: -200,
      geo: { epsg: 54009, transform: [x0, 1000, 0, y0, 0, -1000] },
    },
    { tiled: true, tileSize: 256 },
  );
}

// band COGs in UTM 32N around the centre (like eo-fetch's revisit test): DN linear in x/y
const EPSG = 32632;
function bandCog(band: CanonicalBand, cx: number, cy: number): Uint8Array {
  const X0 = Math.floor((cx - 4000) / 60) * 60;
  const Y0 = Math.ceil((cy + 4000) / 60) * 60;
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(8040 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  const bi = L2A_BANDS.indexOf(band as (typeof L2A_BANDS)[number]);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) data[r * size + c] = isScl ? 4 : 1500 + 100 * bi + ((r + c) % 50);
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

const itemBbox = [REGION[0] - 0.05, REGION[1] - 0.05, REGION[2] + 0.05, REGION[3] + 0.05];
const ITEMS = [
  // day, cloud: matching ranks |Δdays| to 2022-06-10 + cloud → S2_10 (Δ0, 30%) and S2_12 (Δ2, 5%) win
  ['S2_10', 10, 30],
  ['S2_12', 12, 5],
  ['S2_25', 25, 50],
] as const;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-rebuild-'));
  stac = await startStacServer([]);
  const [[cx, cy]] = transformCoords(4326, EPSG, [[CENTRE[0], CENTRE[1]]]);
  for (const b of new Set([...L2A_BANDS, ...L1C_BANDS, 'SCL'] as CanonicalBand[]))
    stac.files.set(`/data/${b}.tif`, bandCog(b, cx, cy));
  stac.files.set('/data/class-smod.tif', smodRaster());
  smodUrl = `${stac.url}/data/class-smod.tif`;
  lccsPath = join(dir, 'lccs.tif');
  await writeFile(lccsPath, lccsRaster());
  for (const [id, day, cloud] of ITEMS)
    stac.items.push(
      makeItem(id, `2022-06-${String(day).padStart(2, '0')}T10:30:00Z`, cloud, itemBbox, {
        properties: { 's2:processing_baseline': '05.09', 's2:datatake_id': id },
        assets: Object.fromEntries(
          ([...L2A_BANDS, 'SCL'] as CanonicalBand[]).map((b) => [
            earthSearch.assetKeys[b]!,
            {
              href: `${stac.url}/data/${b}.tif`,
              type: 'image/tiff; application=geotiff; profile=cloud-optimized',
            },
          ]),
        ),
      }),
    );
  // the same acquisitions (same datatakes) as L1C products (another collection, 13 bands, no SCL)
  for (const [id, day, cloud] of ITEMS)
    stac.items.push(
      makeItem(`${id}_L1C`, `2022-06-${String(day).padStart(2, '0')}T10:30:00Z`, cloud, itemBbox, {
        collection: 'sentinel-2-l1c',
        properties: { 's2:processing_baseline': '05.09', 's2:datatake_id': id },
        assets: Object.fromEntries(
          (L1C_BANDS as readonly CanonicalBand[]).map((b) => [
            earthSearch.assetKeys[b]!,
            {
              href: `${stac.url}/data/${b}.tif`,
              type: 'image/tiff; application=geotiff; profile=cloud-optimized',
            },
          ]),
        ),
      }),
    );
});
afterAll(async () => {
  await stac.close();
  await cleanup();
});

const baseOptions = (root: string): RebuildOptions => ({
  root,
  region: REGION,
  landMask: allLand,
  landcover: lccsPath,
  smod: smodUrl,
  target: 3,
  poolSize: 30,
  seed: 7,
  provider: { kind: 'stac', url: stac.url, provider: earthSearch },
  dateRange: ['2022-06-01', '2022-06-30'],
  targetDate: '2022-06-10',
  nRevisits: 2,
  concurrency: 2,
});

const searches = () => stac.requests.filter((r) => r.url.startsWith('/search')).length;
const cogReads = () =>
  stac.requests.filter((r) => r.url.startsWith('/data/B') || r.url.startsWith('/data/SCL')).length;

/** Flips one byte of a file in place, then restores its mtime: only a content check can tell. */
async function flipByteKeepingStat(path: string): Promise<void> {
  const st = await stat(path);
  const buf = await readFile(path);
  buf[buf.length >> 1] ^= 0x01;
  await writeFile(path, buf);
  await utimes(path, st.atime, st.mtime);
  const now = await stat(path);
  expect(now.size).toBe(st.size);
  expect(Math.abs(now.mtimeMs - st.mtimeMs)).toBeLessThan(1); // utimes keeps whole ms
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p.slice(root.length + 1));
    }
  };
  await walk(root);
  return out;
}

describe('rebuild (STAC)', () => {
  it('plans, downloads, resumes after Ctrl-C and writes the release layout; a re-run sends nothing', async () => {
    const root = join(dir, 'stac');
    // interrupted during the downloads
    const ctrl = new AbortController();
    const stages = new Set<string>();
    const err = await rebuild(baseOptions(root), {
      signal: ctrl.signal,
      onProgress: (p) => {
        stages.add(p.stage);
        if (p.stage.startsWith('download') && p.done >= 1) ctrl.abort();
      },
    }).catch((e) => e);
    expect(err.code).toBe('ABORTED');
    expect([...stages]).toEqual(expect.arrayContaining(['sample', 'classify', 'search L2A', 'download L2A']));
    expect(existsSync(join(root, 'rebuild', 'plan.json'))).toBe(true);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
    const searchesAfterPlan = searches();
    expect(searchesAfterPlan).toBe(3); // one search per AOI

    const res = await rebuild(baseOptions(root));
    expect(res.planReused).toBe(true);
    expect(searches()).toBe(searchesAfterPlan);
    expect(res.aois).toBe(3);
    expect(res.revisits.L2A).toBe(6);
    expect(res.downloads.L2A!.skipped).toBeGreaterThanOrEqual(1);
    expect(res.downloads.L2A!.downloaded + res.downloads.L2A!.skipped).toBe(6);
    expect(res.failures).toEqual([]);
    expect((await listFiles(root)).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const plan = JSON.parse(await readFile(join(root, 'rebuild', 'plan.json'), 'utf8'));
    // rebalancing over three equally weighted classes gives one AOI per class; classes agree with the rasters
    expect(plan.aois.map((a: { IPCC: string }) => a.IPCC).sort()).toEqual([
      'Agriculture',
      'Forest',
      'Settlement',
    ]);
    for (const a of plan.aois) {
      expect(a.IPCC).toBe(IPCC_OF[lccsAt(a.lon, a.lat)]);
      const [[mx]] = transformCoords(4326, MOLL, [[a.lon, a.lat]]);
      const col = Math.floor((mx - smodX0) / 1000);
      expect(a.SMOD_id).toBe(smodX0 + (col + 0.5) * 1000 >= smodSplitX ? 30 : 11);
      expect(a.lon).toBeGreaterThanOrEqual(REGION[0]);
      expect(a.lon).toBeLessThanOrEqual(REGION[2]);
      expect(a.name).toMatch(/^Landcover-\d+$/);
      for (const n of [1, 2]) {
        const r = await readGeoTiffFile(join(root, lrRevisitPaths(a.name, n, 'L2A').data));
        expect(r.dtype).toBe('float32');
        expect(r.bands).toHaveLength(12);
        expect(r.width).toBeGreaterThan(150);
        expect(r.width).toBeLessThan(170);
      }
    }
    const meta = parseCsv(await readFile(join(root, 'metadata.csv'), 'utf8'));
    expect(meta.header).toEqual(
      expect.arrayContaining([
        'tile',
        'n',
        'lowres_date',
        'highres_date',
        'cloud_cover',
        'delta',
        'IPCC Class',
        'SMOD',
      ]),
    );
    expect(meta.rows).toHaveLength(6);
    expect(meta.rows.filter((r) => r.n === '1').map((r) => r.lowres_date)).toEqual(
      Array(3).fill('2022-06-10'),
    );
    expect(meta.rows.filter((r) => r.n === '2').map((r) => [r.lowres_date, r.delta])).toEqual(
      Array(3).fill(['2022-06-12', '2']),
    );
    const split = parseCsv(await readFile(join(root, 'stratified_train_val_test_split.csv'), 'utf8'));
    expect(split.header).toEqual(['__col0', 'tile', 'IPCC Class', 'SMOD', 'source', 'joint_class', 'split']);
    expect(split.rows.map((r) => r.tile).sort()).toEqual(
      plan.aois.map((a: { name: string }) => a.name).sort(),
    );
    for (const r of split.rows) expect(r.joint_class).toBe(`Landcover/${r['IPCC Class']}/${r.SMOD}`);

    // third run: nothing to search, nothing to read
    const reads = cogReads();
    const again = await rebuild(baseOptions(root));
    expect(again.downloads.L2A).toEqual({ downloaded: 0, skipped: 6, failed: 0, planned: 0 });
    expect(cogReads()).toBe(reads);
    expect(searches()).toBe(searchesAfterPlan);

    // other options → a new plan (the saved one is not reused blindly)
    const other = await rebuild({ ...baseOptions(root), nRevisits: 1, dryRun: true });
    expect(other.planReused).toBe(false);
    expect(other.revisits.L2A).toBe(3);
  });

  it('in-process resume with untouched revisit files reads none of them (stat fingerprints in the manifest)', async () => {
    const root = join(dir, 'untouched');
    const options = { ...baseOptions(root), nRevisits: 1 };
    expect((await rebuild(options)).downloads.L2A).toMatchObject({ downloaded: 3, skipped: 0, failed: 0 });
    const manifest = await readManifest(join(root, 'rebuild', 'manifest-L2A.jsonl'), { root });
    const files = [...manifest.keys()];
    expect(files.length).toBeGreaterThanOrEqual(3 * 4);
    for (const rec of manifest.values()) expect(rec.fingerprint, rec.path).toBeDefined();
    const reads = cogReads();
    opened.reads = [];
    const again = await rebuild(options);
    expect(again.failures).toEqual([]);
    expect(again.downloads.L2A).toEqual({ downloaded: 0, skipped: 3, failed: 0, planned: 0 });
    expect(opened.reads.filter((p) => files.includes(p))).toEqual([]);
    expect(cogReads()).toBe(reads);
  });

  it('a resume through the local executor (per-AOI units) reads none of its untouched files either', async () => {
    const root = join(dir, 'untouched-units');
    const options = { ...baseOptions(root), nRevisits: 1 };
    const first = await rebuild({ ...options, executor: new LocalExecutor({ fetch }) });
    expect(first.downloads.L2A).toMatchObject({ downloaded: 3, skipped: 0, failed: 0 });
    const lr = join(root, 'lr_dataset');
    const files = (await listFiles(lr)).map((f) => join(lr, f));
    expect(files.length).toBeGreaterThanOrEqual(3 * 4);
    const reads = cogReads();
    opened.reads = [];
    const again = await rebuild({ ...options, executor: new LocalExecutor({ fetch }) });
    expect(again.failures).toEqual([]);
    expect(again.downloads.L2A).toEqual({ downloaded: 0, skipped: 3, failed: 0, planned: 0 });
    // neither the units' resume nor their check after the run re-hashes an untouched file
    expect(opened.reads.filter((p) => files.includes(p))).toEqual([]);
    expect(cogReads()).toBe(reads);
  });

  it('in-process resume redoes a revisit whose verified file changed at the same size and mtime, and only it', async () => {
    const root = join(dir, 'flip');
    const options = { ...baseOptions(root), nRevisits: 1 };
    expect((await rebuild(options)).downloads.L2A).toEqual({
      downloaded: 3,
      skipped: 0,
      failed: 0,
      planned: 0,
    });
    const plan = JSON.parse(await readFile(join(root, 'rebuild', 'plan.json'), 'utf8'));
    const data = join(root, lrRevisitPaths(plan.aois[0].name, 1, 'L2A').data);
    const manifest = join(root, 'rebuild', 'manifest-L2A.jsonl');
    const verified = (await readManifest(manifest, { root })).get(data)!;
    expect(verified.status).toBe('verified');

    await flipByteKeepingStat(data);
    const reads = cogReads();
    const again = await rebuild(options);
    expect(again.failures).toEqual([]);
    expect(again.downloads.L2A).toEqual({ downloaded: 1, skipped: 2, failed: 0, planned: 0 });
    expect(await sha256File(data)).toBe(verified.sha256);
    const redoReads = cogReads() - reads;
    expect(redoReads).toBeGreaterThan(0);

    // the same revisit with its file gone costs the same reads: only that revisit was fetched again
    await rm(data);
    const before = cogReads();
    expect((await rebuild(options)).downloads.L2A).toEqual({
      downloaded: 1,
      skipped: 2,
      failed: 0,
      planned: 0,
    });
    expect(cogReads() - before).toBe(redoReads);
    const after = cogReads();
    expect((await rebuild(options)).downloads.L2A).toEqual({
      downloaded: 0,
      skipped: 3,
      failed: 0,
      planned: 0,
    });
    expect(cogReads()).toBe(after);
  });

  it('downloads L2A and L1C revisits (separate collections and manifests) for --levels L2A,L1C', async () => {
    const root = join(dir, 'levels');
    const res = await rebuild({
      ...baseOptions(root),
      target: 1,
      poolSize: 5,
      nRevisits: 1,
      levels: ['L2A', 'L1C'],
    });
    expect(res.searchRequests).toBe(2); // one AOI, one search per level
    expect(res.downloads).toEqual({
      L2A: { downloaded: 1, skipped: 0, failed: 0, planned: 0 },
      L1C: { downloaded: 1, skipped: 0, failed: 0, planned: 0 },
    });
    const plan = JSON.parse(await readFile(join(root, 'rebuild', 'plan.json'), 'utf8'));
    const name = plan.aois[0].name;
    expect(plan.revisits.L1C[0].entry.id).toBe('S2_10_L1C');
    expect((await readGeoTiffFile(join(root, lrRevisitPaths(name, 1, 'L1C').data))).bands).toHaveLength(13);
    expect((await readGeoTiffFile(join(root, lrRevisitPaths(name, 1, 'L2A').data))).bands).toHaveLength(12);
    expect(existsSync(join(root, 'rebuild', 'manifest-L1C.jsonl'))).toBe(true);
  });

  it('search as per-AOI executor units: the same plan (two levels, shortfalls, SMOD) and the same NO_MATCHES', async () => {
    const options = { ...baseOptions(join(dir, 'units')), levels: ['L2A', 'L1C'] as const, nRevisits: 4 };
    const inProcess = await planRebuild({ ...options, levels: [...options.levels] });
    const before = searches();
    const viaUnits = await planRebuild({
      ...options,
      levels: [...options.levels],
      executor: new LocalExecutor({ fetch }),
    });
    expect(JSON.stringify(viaUnits)).toBe(JSON.stringify(inProcess));
    expect(searches() - before).toBe(inProcess.searchRequests);
    // 3 acquisitions for 4 wanted: every AOI is short where revisits are selected (L2A, once); L1C gets the
    // same acquisitions under the same n
    expect(viaUnits.matchShortfalls.map((m) => m.level)).toEqual(Array(viaUnits.aois.length).fill('L2A'));
    for (const level of ['L2A', 'L1C'] as const)
      expect(viaUnits.revisits[level]?.map((r) => [r.aoi, r.n, r.entry.id.replace(/_L1C$/, '')])).toEqual(
        viaUnits.revisits.L2A?.map((r) => [r.aoi, r.n, r.entry.id]),
      );
    const empty = {
      ...baseOptions(join(dir, 'units-empty')),
      dateRange: ['2021-01-01', '2021-01-31'] as [string, string],
    };
    await expect(planRebuild(empty)).rejects.toMatchObject({ code: 'NO_MATCHES' });
    await expect(planRebuild({ ...empty, executor: new LocalExecutor({ fetch }) })).rejects.toMatchObject({
      code: 'NO_MATCHES',
    });
  });

  it('dry run searches the catalogue, counts the band reads, and writes nothing', async () => {
    const root = join(dir, 'dry');
    const reads = cogReads();
    const res = await rebuild({ ...baseOptions(root), dryRun: true });
    expect(res.searchRequests).toBe(3);
    expect(res.plannedRequests).toBe(6 * 13); // 12 bands + SCL per revisit
    expect(res.downloads.L2A).toEqual({ downloaded: 0, skipped: 0, failed: 0, planned: 6 });
    expect(existsSync(root)).toBe(false);
    expect(cogReads()).toBe(reads);
  });

  it('tops up a short class by sampling more points, and plans from a POI file', async () => {
    // 5 pool points cannot fill a cube-root allocation of 6 AOIs: the draw samples more points
    const plan = await planRebuild({ ...baseOptions(join(dir, 'topup')), poolSize: 5, target: 6 });
    expect(plan.aois).toHaveLength(6);
    expect(plan.pool.toppedUp).toBeGreaterThan(0);
    expect(plan.shortfalls).toEqual([]);
    expect(new Set(plan.aois.map((a) => a.name)).size).toBe(6);
    expect(plan.allocation.reduce((n, a) => n + a.count, 0)).toBe(6);

    const pois = join(dir, 'pois.csv');
    await writeFile(pois, 'name,lat,lon\nUNHCR-a,47.365,8.525\nUNHCR-b,47.376,8.552\nUNHCR-c,47.364,8.551\n');
    const fromFile = await planRebuild({ ...baseOptions(join(dir, 'pois')), pointsFile: pois, target: 3 });
    expect(fromFile.aois.map((a) => [a.name, a.IPCC]).sort()).toEqual([
      ['UNHCR-a', 'Agriculture'],
      ['UNHCR-b', 'Settlement'],
      ['UNHCR-c', 'Forest'],
    ]);
    expect(fromFile.searchRequests).toBe(3);
  });

  it('refuses inputs it would overwrite: a points file that is its metadata table, a raster in its folders', async () => {
    const root = join(dir, 'same');
    await mkdir(join(root, 'lr_dataset'), { recursive: true });
    const table = join(root, 'metadata.csv');
    const text = 'name,lat,lon\nUNHCR-a,47.365,8.525\nUNHCR-b,47.376,8.552\nUNHCR-c,47.364,8.551\n';
    await writeFile(table, text);
    const n = searches();
    await expect(rebuild({ ...baseOptions(root), pointsFile: table, target: 3 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`the metadata table ${table} is the points file ${table}`),
    });
    expect(await readFile(table, 'utf8')).toBe(text);
    const inside = join(root, 'lr_dataset', 'lccs.tif');
    await writeFile(inside, await readFile(lccsPath));
    await expect(rebuild({ ...baseOptions(root), landcover: inside, target: 3 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`land-cover raster ${inside} lies inside the dataset folder`),
    });
    expect(searches()).toBe(n);
    expect(existsSync(join(root, 'rebuild'))).toBe(false);
  });

  it('reports a missing classification raster as DATASET_NOT_FOUND', async () => {
    await expect(
      rebuild({ ...baseOptions(join(dir, 'x')), landcover: join(dir, 'nope.tif') }),
    ).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
    });
  });
});

describe('rebuild (SentinelHub)', () => {
  let sh: ShServer;
  beforeAll(async () => {
    sh = await startShServer();
    for (const [id, day, cloud] of ITEMS)
      sh.catalogItems.push(
        makeItem(id, `2022-06-${String(day).padStart(2, '0')}T10:30:00Z`, cloud, itemBbox, {
          properties: { 's2:datatake_id': id },
        }),
      );
  });
  afterAll(() => sh.close());

  it('dry run estimates processing units; a real run writes L2A data + masks through the Process API', async () => {
    const root = join(dir, 'sh');
    const options: RebuildOptions = {
      ...baseOptions(root),
      target: 2,
      nRevisits: 1,
      provider: {
        kind: 'sentinelhub',
        baseUrl: sh.url,
        credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
      },
    };
    const dry = await rebuild({ ...options, dryRun: true });
    expect(dry.plannedRequests).toBe(2 * 4); // data + CLM + CLP + dataMask per revisit
    expect(dry.processingUnits).toBeGreaterThan(0);
    expect(sh.requests.filter((r) => r.path.includes('/process'))).toHaveLength(0);

    const res = await rebuild(options);
    expect(res.failures).toEqual([]);
    expect(res.downloads.L2A).toMatchObject({ downloaded: 2, failed: 0 });
    expect(sh.requests.filter((r) => r.path.includes('/process'))).toHaveLength(8);
    const plan = JSON.parse(await readFile(join(root, 'rebuild', 'plan.json'), 'utf8'));
    for (const a of plan.aois) {
      const paths = lrRevisitPaths(a.name, 1, 'L2A');
      const data = await readGeoTiffFile(join(root, paths.data));
      expect(data.bands).toHaveLength(12);
      expect(existsSync(join(root, paths.layer('CLM')))).toBe(true);
      expect(existsSync(join(root, paths.metadata))).toBe(true);
    }
    const again = await rebuild(options);
    expect(again.downloads.L2A).toMatchObject({ downloaded: 0, skipped: 2 });
    expect(sh.requests.filter((r) => r.path.includes('/process'))).toHaveLength(8);

    // a verified TIFF changed at the same size and mtime is fetched again on resume, and only that file
    const data = join(root, lrRevisitPaths(plan.aois[0].name, 1, 'L2A').data);
    const verified = (await readManifest(join(root, 'rebuild', 'manifest-L2A.jsonl'), { root })).get(data)!;
    await flipByteKeepingStat(data);
    expect((await rebuild(options)).failures).toEqual([]);
    expect(sh.requests.filter((r) => r.path.includes('/process'))).toHaveLength(9);
    expect(await sha256File(data)).toBe(verified.sha256);
  });

  it('with spot: the SPOT acquisition date becomes each AOI’s Sentinel-2 target date', async () => {
    const poly = (b: number[]) => ({
      type: 'Polygon' as const,
      coordinates: [
        [
          [b[0], b[1]],
          [b[2], b[1]],
          [b[2], b[3]],
          [b[0], b[3]],
          [b[0], b[1]],
        ],
      ],
    });
    sh.spotFeatures.push(
      {
        geometry: poly(itemBbox),
        properties: { id: 'SPOT-25', acquisitionDate: '2022-06-25T10:00:00Z', cloudCover: 0 },
      },
      // far away: never covers an AOI
      {
        geometry: poly([0, 0, 0.1, 0.1]),
        properties: { id: 'SPOT-FAR', acquisitionDate: '2022-06-10T10:00:00Z', cloudCover: 0 },
      },
    );
    const plan = await planRebuild({
      ...baseOptions(join(dir, 'sh-spot')),
      target: 2,
      nRevisits: 2,
      provider: {
        kind: 'sentinelhub',
        baseUrl: sh.url,
        credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
      },
      spot: {},
    });
    expect(plan.aois.map((a) => [a.targetDate, a.spot?.id])).toEqual(
      Array(2).fill(['2022-06-25', 'SPOT-25']),
    );
    expect(plan.spotMissing).toEqual([]);
    expect(plan.searchRequests).toBe(4); // 2 SPOT + 2 Sentinel-2 searches
    // ranked against 06-25: S2_12 (|Δ| rank 2 + cloud rank 1) and S2_25 (1 + 3) beat S2_10 (3 + 2)
    for (const a of plan.aois)
      expect(plan.revisits.L2A!.filter((r) => r.aoi === a.name).map((r) => r.entry.id)).toEqual([
        'S2_12',
        'S2_25',
      ]);
    await expect(planRebuild({ ...baseOptions(join(dir, 'stac-spot')), spot: {} })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('planRebuild dates', () => {
  // Date.parse read '2022/06/01' as local midnight (the previous UTC day east of Greenwich) and took any text
  // it could guess at; the days are now read strictly, whatever the machine's time zone
  it.each([
    [['2022/06/01', '2022-06-30'], 'date "2022/06/01" is not an ISO-8601 day'],
    [['2022-06-01', 'June 30, 2022'], 'date "June 30, 2022" is not an ISO-8601 day'],
    [['2022-06-01', '2022-02-30'], 'date "2022-02-30" is not a calendar date'],
  ])('%j is INVALID_ARGUMENT before any work', async (dateRange, message) => {
    const o = { ...baseOptions(join(dir, 'dates')), dateRange: dateRange as [string, string] };
    await expect(planRebuild(o)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(message),
    });
    await expect(
      planRebuild({ ...baseOptions(join(dir, 'dates')), targetDate: '06/10/2022' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('worldstrat rebuild (CLI)', () => {
  it('takes its options from --config and prints a JSON dry-run plan', async () => {
    const cfg = join(dir, 'rebuild.json');
    const o = baseOptions(join(dir, 'cli'));
    await writeFile(
      cfg,
      JSON.stringify({
        rebuild: {
          region: REGION.join(','),
          landMask: 'none',
          landcover: lccsPath,
          smod: smodUrl,
          target: 3,
          poolSize: 30,
          seed: 7,
          stacUrl: stac.url,
          from: '2022-06-01',
          to: '2022-06-30',
          targetDate: o.targetDate,
          revisits: 2,
        },
      }),
    );
    let out = '';
    const code = await runCli(
      ['node', 'worldstrat', '--json', 'rebuild', o.root, '--config', cfg, '--dry-run'],
      {
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          out += t;
        },
        isTTY: false,
      },
    );
    expect(code, out).toBe(0);
    const res = JSON.parse(out);
    expect(res).toMatchObject({ dryRun: true, aois: 3, plannedRequests: 78, searchRequests: 3 });
  });
});

describe('worldstrat rebuild --idle-timeout and --max-items', () => {
  const args = (root: string) => [
    'rebuild',
    root,
    '--region',
    REGION.join(','),
    '--land-mask',
    'none',
    '--landcover',
    lccsPath,
    '--smod',
    join(dir, 'smod-idle.tif'),
    '--target',
    '3',
    '--pool-size',
    '30',
    '--seed',
    '7',
    '--stac-url',
    stac.url,
    '--from',
    '2022-06-01',
    '--to',
    '2022-06-30',
    '--target-date',
    '2022-06-10',
    '--revisits',
    '1',
  ];

  // A local SMOD file: the injected stalls must hit the band COGs, not the classification raster.
  beforeAll(() => writeFile(join(dir, 'smod-idle.tif'), smodRaster()));

  it('rejects a bad value with exit 2', async () => {
    for (const v of ['-1', 'soon', '1e9']) {
      const r = await cli(...args(join(dir, 'idle-bad')), '--idle-timeout', v);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain('--idle-timeout');
    }
    expect(existsSync(join(dir, 'idle-bad'))).toBe(false);
  });

  it('--max-items caps each AOI search: a catalogue with more pages fails with PAGE_LIMIT (exit 6)', async () => {
    const bad = await cli(...args(join(dir, 'cap-bad')), '--max-items', '0');
    expect(bad.code).toBe(2);
    // 250 more covering scenes: three pages of 100, while a 100-item cap allows two
    const extra = Array.from({ length: 250 }, (_, i) =>
      makeItem(`EXTRA_${i}`, '2022-06-20T10:30:00Z', 40, itemBbox),
    );
    stac.items.push(...extra);
    try {
      const s0 = searches();
      const r = await cli('--json', ...args(join(dir, 'cap')), '--max-items', '100', '--dry-run');
      expect(r.code, r.out + r.err).toBe(6);
      expect(r.out).toContain('PAGE_LIMIT');
      // at most two pages for each of the 3 AOIs
      expect(searches() - s0).toBeGreaterThanOrEqual(2);
      expect(searches() - s0).toBeLessThanOrEqual(6);
      // the default cap (240 items for the window) reads all three pages
      const ok = await cli('--json', ...args(join(dir, 'cap')), '--dry-run');
      expect(ok.code, ok.out + ok.err).toBe(0);
    } finally {
      stac.items.splice(stac.items.indexOf(extra[0]!), extra.length);
    }
  });

  it('reaches the revisit downloads: stalled COG reads are given up after the idle time and retried', async () => {
    stac.fileFaults.length = 0;
    stac.fileFaults.push('stall', 'stall');
    const stallsBefore = stac.stalls;
    const t0 = Date.now();
    // 1.5 s: long enough that a loaded machine's healthy reads never look idle, short against the 60 s default
    const r = await cli('--json', ...args(join(dir, 'idle')), '--idle-timeout', '1.5');
    const ms = Date.now() - t0;
    stac.fileFaults.length = 0;
    expect(stac.stalls - stallsBefore).toBe(2);
    // With the default (60 s) the stalled reads alone would take two minutes.
    expect(ms).toBeLessThan(20_000);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.downloads.L2A).toMatchObject({ downloaded: 3, failed: 0 });
  }, 40_000);
});

describe('worldstrat stratify / search / fetch (CLI building blocks)', () => {
  it('stratify classifies points from both rasters and rebalances with --target', async () => {
    const pts = join(dir, 'pts.csv');
    const rows = [
      ['w1', 8.525, 47.365],
      ['w2', 8.53, 47.375],
      ['w3', 8.535, 47.362],
      ['ne1', 8.55, 47.375],
      ['ne2', 8.555, 47.378],
      ['se1', 8.55, 47.365],
    ] as const;
    await writeFile(pts, `name,lon,lat\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const out = join(dir, 'pts-classified.csv');
    const r = await cli('--json', 'stratify', pts, '--landcover', lccsPath, '--smod', smodUrl, '--out', out);
    expect(r.code, r.err + r.out).toBe(0);
    const table = parseCsv(await readFile(out, 'utf8'));
    expect(table.header).toEqual([
      'name',
      'lon',
      'lat',
      'source',
      'landcover_id',
      'LCCS',
      'IPCC',
      'SMOD_id',
      'SMOD',
    ]);
    for (const [i, [, lon, lat]] of rows.entries()) {
      expect(table.rows[i].IPCC).toBe(IPCC_OF[lccsAt(lon, lat)]);
      const [[mx]] = transformCoords(4326, MOLL, [[lon, lat]]);
      const col = Math.floor((mx - smodX0) / 1000);
      expect(Number(table.rows[i].SMOD_id)).toBe(smodX0 + (col + 0.5) * 1000 >= smodSplitX ? 30 : 11);
    }
    const drawn = await cli(
      '--json',
      'stratify',
      pts,
      '--landcover',
      lccsPath,
      '--target',
      '3',
      '--seed',
      '2',
    );
    expect(drawn.code).toBe(0);
    const res = JSON.parse(drawn.out);
    expect(res.rows.map((x: { IPCC: string }) => x.IPCC).sort()).toEqual([
      'Agriculture',
      'Forest',
      'Settlement',
    ]);
    // read limits from the command line reach the class rasters
    const tight = await cli(
      'stratify',
      pts,
      '--landcover',
      lccsPath,
      '--smod',
      smodUrl,
      '--max-block-bytes',
      '1',
    );
    expect(tight.code, tight.err).toBe(4);
    expect(tight.err).toMatch(/TOO_LARGE.*lccs\.tif/);
    const missing = await cli('stratify', pts);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--landcover');
  });

  it('search writes matches that fetch downloads (resumable, dry run counts requests)', async () => {
    const aoisPath = join(dir, 'two-aois.csv');
    const { createAois } = await import('@worldstrat/geo-sampling');
    const { writeAoisFile } = await import('@worldstrat/geo-sampling/node');
    await writeAoisFile(
      aoisPath,
      createAois(
        [
          { name: 'A-1', lon: 8.53, lat: 47.37 },
          { name: 'A-2', lon: 8.55, lat: 47.372 },
        ],
        2.5,
      ),
    );
    const matches = join(dir, 'matches.json');
    const s = await cli(
      '--json',
      'search',
      '--aois',
      aoisPath,
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-30',
      '--target-date',
      '2022-06-10',
      '--revisits',
      '2',
      '--stac-url',
      stac.url,
      '--out',
      matches,
    );
    expect(s.code, s.err + s.out).toBe(0);
    const found = JSON.parse(s.out);
    expect(found.searchRequests).toBe(2);
    expect(
      found.revisits.L2A.map((r: { aoi: string; n: number; id: string }) => `${r.aoi}#${r.n}=${r.id}`),
    ).toEqual(['A-1#1=S2_10', 'A-1#2=S2_12', 'A-2#1=S2_10', 'A-2#2=S2_12']);
    const root = join(dir, 'fetched');
    const dry = await cli('--json', 'fetch', root, '--matches', matches, '--dry-run');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out).plannedRequests).toBe(4 * 13);
    expect(existsSync(root)).toBe(false);
    // one abort listener per signal, removed when done: no MaxListenersExceededWarning on a real run
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const f = await cli('--json', 'fetch', root, '--matches', matches).finally(() =>
      process.off('warning', onWarning),
    );
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    expect(f.code, f.err + f.out).toBe(0);
    expect(JSON.parse(f.out).downloads.L2A).toEqual({ downloaded: 4, skipped: 0, failed: 0, planned: 0 });
    expect((await readGeoTiffFile(join(root, lrRevisitPaths('A-2', 2, 'L2A').data))).bands).toHaveLength(12);
    const again = await cli('--json', 'fetch', root, '--matches', matches);
    expect(JSON.parse(again.out).downloads.L2A).toEqual({ downloaded: 0, skipped: 4, failed: 0, planned: 0 });

    // the built CLI from another working directory through a relative root, then this process by the absolute
    // one: the manifest's root-relative paths still name the complete revisits, so only an incomplete one (its
    // sidecar lost, a temp file of a killed write beside it) is fetched again, and the temp file is removed
    expect(existsSync(CLI_BIN), 'run `pnpm --filter worldstrat build` first').toBe(true);
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    const p11 = lrRevisitPaths('A-1', 1, 'L2A');
    const stale = join(root, `${p11.data}.0123456789ab.tmp`);
    await writeFile(stale, 'half a tiff');
    // a killed run's temp: only temps unmodified for 10 minutes are stale (a fresh one may be another run's)
    const longAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(stale, longAgo, longAgo);
    await rm(join(root, p11.metadata));
    const ranges = () => [...stac.rangeHits.values()].reduce((a, b) => a + b, 0);
    const before = ranges();
    const redo = await spawnCli(['--json', 'fetch', '../fetched', '--matches', matches], elsewhere).done;
    expect(redo.code, redo.err).toBe(0);
    expect(JSON.parse(redo.out).downloads.L2A).toEqual({ downloaded: 1, skipped: 3, failed: 0, planned: 0 });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(root, p11.metadata))).toBe(true);
    const oneRevisit = ranges() - before;
    expect(oneRevisit).toBeGreaterThan(0);
    const abs = await cli('--json', 'fetch', root, '--matches', matches);
    expect(JSON.parse(abs.out).downloads.L2A).toEqual({ downloaded: 0, skipped: 4, failed: 0, planned: 0 });
    expect(ranges()).toBe(before + oneRevisit);
    // read limits from the command line reach the COG window reads: every revisit fails, typed, none written
    const tightRoot = join(dir, 'fetched-tight');
    const tight = await cli('--json', 'fetch', tightRoot, '--matches', matches, '--max-pixels', '10');
    // --json prints the per-revisit report, then the typed error (DOWNLOAD_FAILED: exit 6)
    expect(tight.code).toBe(6);
    const report = JSON.parse(tight.out.slice(0, tight.out.indexOf('\n}\n') + 2));
    expect(report.downloads.L2A).toMatchObject({ downloaded: 0, failed: 4 });
    expect(report.failures[0].message).toMatch(
      /B01\.tif: \[TOO_LARGE\] the samples to read .* over limits\.maxPixels = 10/,
    );
    expect(existsSync(join(tightRoot, lrRevisitPaths('A-1', 1, 'L2A').data))).toBe(false);
    const bad = await cli('fetch', root, '--matches', join(dir, 'nope.json'));
    expect(bad.code).toBe(3);
    // a local disk that refuses the writes (here a file where the revisit folders go) is WRITE_FAILED, the
    // write exit code (5), not a network failure to retry
    const blockedRoot = join(dir, 'fetched-blocked');
    await mkdir(blockedRoot, { recursive: true });
    await writeFile(join(blockedRoot, 'lr_dataset'), 'not a folder');
    const blocked = await cli('--json', 'fetch', blockedRoot, '--matches', matches);
    expect(blocked.code, blocked.err + blocked.out).toBe(5);
    const blockedReport = JSON.parse(blocked.out.slice(0, blocked.out.indexOf('\n}\n') + 2));
    expect(blockedReport.downloads.L2A).toMatchObject({ downloaded: 0, failed: 4 });
    expect(blockedReport.failures.map((f: { code: string }) => f.code)).toEqual(
      Array(4).fill('WRITE_FAILED'),
    );
    const said = blocked.out.slice(blocked.out.indexOf('\n}\n') + 2) + blocked.err;
    expect(said).toMatch(/WRITE_FAILED/);
    expect(said).toMatch(/free disk space \(or fix the folder\), then run again to resume/);
    expect(await readFile(join(blockedRoot, 'lr_dataset'), 'utf8')).toBe('not a folder');
  });
});
