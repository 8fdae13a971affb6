// Region-scale super-resolution end to end against eo-fetch's local STAC API + COG server on 127.0.0.1: plan on
// the UTM grid, tiles through the executor (in-process and two BullMQ worker processes of the built CLI with a
// Redis started here), feathered mosaic COG checked by gdalinfo and GDAL's COG validator; resumed re-runs.
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StacServer } from '../../../eo-fetch/test/support/stac-server.js';
import type { Executor } from '../../src/executors/executor.js';
import { LocalExecutor } from '../../src/executors/local-executor.node.js';
import { QueueExecutor } from '../../src/executors/queue-executor.node.js';
import { hrWindowOf, type MosaicGrid } from '../../src/pipelines/region-mosaic.node.js';
import { planRegion } from '../../src/pipelines/region-plan.js';
import {
  type RegionSuperresolveOptions,
  regionSuperresolvePipeline,
} from '../../src/pipelines/region-superresolve.node.js';
import { tempDir } from '../support/fixtures.js';
import { mosaicInMemory } from '../support/mosaic-in-memory.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { REGION_EPSG, type RegionFixture, startRegionFixture } from '../support/region-fixture.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN, spawnCli } from '../support/spawn-cli.js';

const EPSG = REGION_EPSG;
const REGION = [8.535, 47.365, 8.553, 47.372] as [number, number, number, number];
const VALIDATOR = 'osgeo_utils.samples.validate_cloud_optimized_geotiff'; // python3-gdal, run as a module
const hasGdal = spawnSync('gdalinfo', ['--version'], { stdio: 'ignore' }).status === 0;
const gdalOk = requireTool('gdalinfo', hasGdal);
const validatorOk = requireTool(
  'GDAL COG validator (python3-gdal)',
  spawnSync('/usr/bin/python3', ['-c', `import ${VALIDATOR}`], { stdio: 'ignore' }).status === 0,
);
const queueOk =
  requireTool('redis-server', hasRedisServer()) && requireTool('built CLI', existsSync(CLI_BIN));

let dir: string;
let cleanup: () => Promise<void>;
let fixture: RegionFixture;
let stac: StacServer;
let weights: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-region-sr-'));
  fixture = await startRegionFixture(dir);
  stac = fixture.stac;
  weights = fixture.weights;
}, 60_000);
afterAll(async () => {
  await fixture?.close();
  await cleanup?.();
});

const options = (name: string, tileSizePx: number): RegionSuperresolveOptions =>
  fixture.options(name, REGION, tileSizePx);

/** Max |a − b| over pixels at least `margin` px from the border (both finite there). */
function interiorDiff(a: Float32Array, b: Float32Array, w: number, h: number, margin: number): number {
  let m = 0;
  for (let y = margin; y < h - margin; y++)
    for (let x = margin; x < w - margin; x++) {
      const i = y * w + x;
      expect(Number.isFinite(a[i]) && Number.isFinite(b[i])).toBe(true);
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
  return m;
}

let single: { file: string; width: number; height: number; lrWidth: number };

describe('region superresolve (in process)', () => {
  it('one tile: a mosaic on the UTM grid of the centre', async () => {
    const one = await regionSuperresolvePipeline.run(options('single', 400));
    expect(one.tiles).toEqual({ total: 1, computed: 1, skipped: 0 });
    expect(one.epsg).toBe(EPSG);
    expect([one.lrWidth, one.lrHeight]).toEqual([150, 100]); // ≈ 1.36 × 0.78 km, rounded up to the 50 px chip
    expect([one.width, one.height]).toEqual([150 * 3.12, 100 * 3.12]); // srnet: 50 LR px → 156 SR px
    single = { file: one.out, width: one.width, height: one.height, lrWidth: one.lrWidth };
  }, 60_000);

  it('3 × 2 feathered tiles equal the one-tile mosaic within 1e-4 away from the border; the COG is GDAL-valid', async () => {
    const one = single;
    const stages = new Set<string>();
    const tiled = await regionSuperresolvePipeline.run(options('tiled', 50), {
      onProgress: (p) => stages.add(p.stage),
    });
    expect(tiled.tiles.total).toBe(6);
    for (const s of ['region-sr-tile', 'assemble', 'write']) expect(stages).toContain(s);
    expect([tiled.width, tiled.height]).toEqual([one.width, one.height]);
    const a = await readGeoTiffFile(one.file);
    const b = await readGeoTiffFile(tiled.out);
    expect(a.geo?.epsg).toBe(EPSG);
    expect(b.geo?.transform).toEqual(a.geo?.transform);
    const margin = Math.ceil(8 * (one.width / one.lrWidth)); // 8 LR px
    // the scene is a plane, so the SR mosaic varies: equality is not the trivial one of a constant
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of a.bands[0] as Float32Array)
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect(hi - lo).toBeGreaterThan(1e-3);
    for (let k = 0; k < a.bands.length; k++) {
      const d = interiorDiff(
        a.bands[k] as Float32Array,
        b.bands[k] as Float32Array,
        a.width,
        a.height,
        margin,
      );
      expect(d, `band ${k}`).toBeLessThan(1e-4);
    }
    if (gdalOk) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', tiled.out], { encoding: 'utf8' }));
      expect(info.size).toEqual([tiled.width, tiled.height]);
      expect(info.coordinateSystem.wkt).toContain('UTM zone 32N');
      expect(info.bands[0].type).toBe('Float32');
      expect(info.bands[0].overviews.length).toBe(tiled.overviews.length);
      expect(tiled.overviews.length).toBeGreaterThan(0);
    }
    if (validatorOk) {
      const v = spawnSync('/usr/bin/python3', ['-m', VALIDATOR, tiled.out], { encoding: 'utf8' });
      expect(v.stdout + v.stderr).toContain('is a valid cloud optimized GeoTIFF');
      expect(v.status).toBe(0);
    }
    // The streamed mosaic is byte for byte the one the in-memory assembly wrote from the same tiles.
    const plan = planRegion(REGION, {
      tileSizePx: 50,
      overlapPx: options('tiled', 50).tileOverlapPx ?? 0,
      alignPx: 50,
    });
    const g = {
      fx: tiled.width / tiled.lrWidth,
      fy: tiled.height / tiled.lrHeight,
      width: tiled.width,
      height: tiled.height,
      transform: b.geo?.transform as MosaicGrid['transform'],
    };
    const ref = join(tiled.workDir, 'in-memory.tif');
    const tiles = plan.tiles.map((t) => ({
      path: join(tiled.workDir, 'tiles', `${t.name}.tif`),
      window: hrWindowOf(t, g),
    }));
    expect(await mosaicInMemory(plan, g, tiles, ref)).toBe(tiled.bytes);
    expect(Buffer.compare(await readFile(tiled.out), await readFile(ref))).toBe(0);
  }, 120_000);

  it("srnet's default 25 px chip overlap: tiles padded by 100 px (the default) equal one tile within 1e-4", async () => {
    const wide: [number, number, number, number] = [8.53, 47.365, 8.565, 47.369];
    const base = (name: string, tileSizePx: number): RegionSuperresolveOptions => {
      const { overlap: _chipOverlap, ...o } = fixture.options(name, wide, tileSizePx);
      return { ...o, tileOverlapPx: 100 };
    };
    const one = await regionSuperresolvePipeline.run(base('wide-one', 400));
    const four = await regionSuperresolvePipeline.run(base('wide-four', 100));
    expect([one.tiles.total, four.tiles.total]).toEqual([1, 3]); // 300 × 50 LR px
    const a = await readGeoTiffFile(one.out);
    const b = await readGeoTiffFile(four.out);
    const margin = Math.ceil(8 * (one.width / one.lrWidth));
    for (let k = 0; k < a.bands.length; k++)
      expect(
        interiorDiff(a.bands[k] as Float32Array, b.bands[k] as Float32Array, a.width, a.height, margin),
        `band ${k}`,
      ).toBeLessThan(1e-4);
  }, 60_000);

  it('a re-run keeps verified tiles; a tile changed on disk is redone', async () => {
    const o = options('tiled', 50);
    const before = await readFile(o.out);
    const again = await regionSuperresolvePipeline.run(o);
    expect(again.tiles).toEqual({ total: 6, computed: 0, skipped: 6 });
    expect(Buffer.compare(await readFile(o.out), before)).toBe(0);
    const tile = join(again.workDir, 'tiles', 'tile_0_1.tif');
    const bytes = await readFile(tile);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(tile, bytes);
    const third = await regionSuperresolvePipeline.run(o);
    expect(third.tiles).toEqual({ total: 6, computed: 1, skipped: 5 });
    expect(Buffer.compare(await readFile(o.out), before)).toBe(0);
    expect(readdirSync(join(again.workDir, 'tiles')).filter((f) => /tmp|partial|lonlat/.test(f))).toEqual([]);
  }, 60_000);

  it('tiles go to the executor largest first; their results come back in plan order', async () => {
    const o = options('tiled', 50);
    const before = await readFile(o.out);
    const submitted: string[] = [];
    const local = new LocalExecutor();
    const recording: Executor = {
      kind: 'local',
      run: (stage, units, opts, context) => {
        submitted.push(...units.map((u) => u.unit));
        return local.run(stage, units, opts, context);
      },
      close: () => local.close(),
    };
    const again = await regionSuperresolvePipeline.run({ ...o, executor: recording });
    expect(again.tiles).toEqual({ total: 6, computed: 0, skipped: 6 });
    const plan = planRegion(REGION, { tileSizePx: 50, overlapPx: o.tileOverlapPx ?? 0, alignPx: 50 });
    const area = new Map(plan.tiles.map((t) => [t.name, t.padded.width * t.padded.height]));
    expect(new Set(area.values()).size).toBeGreaterThan(1); // border tiles are smaller: the order matters
    expect([...submitted].sort()).toEqual(plan.tiles.map((t) => t.name).sort());
    expect(submitted).not.toEqual(plan.tiles.map((t) => t.name));
    const areas = submitted.map((n) => area.get(n) as number);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
    // each result was matched back to its own tile: the mosaic is unchanged
    expect(Buffer.compare(await readFile(o.out), before)).toBe(0);
  }, 60_000);

  it('CLI: --region <GeoJSON file> writes the same mosaic as the API; usage errors exit 2', async () => {
    const geojson = join(dir, 'region.geojson');
    const [w, so, e, n] = REGION;
    await writeFile(
      geojson,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: {},
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [w, so],
                  [e, so],
                  [e, n],
                  [w, n],
                  [w, so],
                ],
              ],
            },
          },
        ],
      }),
    );
    const out = join(dir, 'cli', 'mosaic.tif');
    const r = await cli(
      '--json',
      'superresolve',
      '--region',
      geojson,
      '--dates',
      '2022-06-01/2022-06-30',
      '--stac-url',
      stac.url,
      '--weights',
      weights,
      '--out',
      out,
      '--tile-size',
      '50',
      '--tile-overlap',
      '50',
      '--overlap',
      '0',
    );
    expect(r.err).not.toContain('rror');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).tiles).toEqual({ total: 6, computed: 6, skipped: 0 });
    expect(Buffer.compare(await readFile(out), await readFile(join(dir, 'tiled', 'mosaic.tif')))).toBe(0);
    const bad = await cli(
      'superresolve',
      '--region',
      '8.5,47.3,8.6,47.4',
      '--weights',
      weights,
      '--out',
      out,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--dates');
    const odd = await cli(
      'superresolve',
      '--region',
      '8.5,47.3,8.6,47.4',
      '--dates',
      '2022-06-01/2022-06-30',
      '--weights',
      weights,
      '--out',
      out,
      '--tile-size',
      '64',
    );
    expect(odd.code).toBe(2);
    expect(odd.err).toContain('multiples of 50');
    // no padding between tiles leaves a seam at every border: refused before any request
    const seams = await cli(
      '--json',
      'superresolve',
      '--region',
      geojson,
      '--dates',
      '2022-06-01/2022-06-30',
      '--stac-url',
      stac.url,
      '--weights',
      weights,
      '--out',
      join(dir, 'cli', 'seams.tif'),
      '--tile-size',
      '50',
      '--tile-overlap',
      '0',
    );
    expect([seams.code, JSON.parse(seams.out).error.code], seams.out).toEqual([2, 'INVALID_ARGUMENT']);
    expect(JSON.parse(seams.out).error.message).toContain(
      'tile overlap 0 LR px is below one chip (50 px) with 6 tiles',
    );
    expect(existsSync(join(dir, 'cli', 'seams.tif'))).toBe(false);
  }, 60_000);

  it('no scene in the window: every tile fails with its code and the run is TILES_FAILED; no mosaic', async () => {
    const o = { ...options('empty', 50), dateRange: ['2021-01-01', '2021-01-31'] as [string, string] };
    const err = await regionSuperresolvePipeline.run(o).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TILES_FAILED' });
    expect((err as Error).message).toContain('6 of 6 region tile(s) failed (REVISITS_NOT_FOUND)');
    expect(existsSync(o.out)).toBe(false);
  }, 30_000);

  it('refuses a mosaic path that is the weights file before any request; the weights are kept', async () => {
    const copy = join(dir, 'region-w.safetensors');
    const bytes = await readFile(weights);
    await writeFile(copy, bytes);
    const n = stac.requests.length;
    const err = await regionSuperresolvePipeline
      .run({ ...options('same', 400), weights: copy, out: join(dir, '.', 'region-w.safetensors') })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`is the model file ${copy}`),
    });
    expect((await readFile(copy)).equals(bytes)).toBe(true);
    expect(stac.requests.length).toBe(n);
  });

  it('refuses a region beyond the side limit (REGION_TOO_LARGE) and over-wide tiles before any request', async () => {
    const n = stac.requests.length;
    const err = await regionSuperresolvePipeline
      .run({ ...options('big', 200), region: [7, 46, 9.5, 48] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGION_TOO_LARGE' });
    expect((err as Error).message).toContain('limits: 8192 px a side');
    const tooWide = await regionSuperresolvePipeline
      .run({ ...options('wide', 1000), tileOverlapPx: 600 })
      .catch((e: unknown) => e);
    expect(tooWide).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('smaller tiles'),
    });
    expect(stac.requests.length).toBe(n);
  });
});

describe.runIf(queueOk)('region superresolve on 2 queue workers', () => {
  let redis: TestRedis;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
    for (let i = 0; i < 2; i++)
      workers.push(
        spawnCli(['worker', '--queue', redis.url, '--stages', 'region-sr-tile', '--quiet'], dir).child,
      );
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    await redis?.stop();
  });

  it('equals the in-process result', async () => {
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    try {
      const r = await regionSuperresolvePipeline.run({ ...options('queued', 50), executor });
      expect(r.tiles.total).toBe(6);
      const inProcess = await readGeoTiffFile(join(dir, 'tiled', 'mosaic.tif'));
      const queued = await readGeoTiffFile(r.out);
      for (let k = 0; k < queued.bands.length; k++)
        expect(Array.from(queued.bands[k] as Float32Array)).toEqual(
          Array.from(inProcess.bands[k] as Float32Array),
        );
      expect(single.width).toBe(r.width);
    } finally {
      await executor.close();
    }
  }, 90_000);
});
