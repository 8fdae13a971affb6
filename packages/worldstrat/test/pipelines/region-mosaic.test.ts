// The streamed region mosaic on synthetic tiles (no model): a region wider than the old 1024 px limit,
// byte-identical to the in-memory assembly it replaced, GDAL-valid; tiles verified before any pixel is
// written; abort and bad tiles leave the previous mosaic untouched.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '@worldstrat/eo-fetch/node';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, ExecutorUnit } from '../../src/executors/executor.js';
import type { RegionTileParams, RegionTileResult } from '../../src/executors/region-tile-unit.node.js';
import {
  assembleMosaic,
  hrWindowOf,
  type MosaicGrid,
  type MosaicTile,
} from '../../src/pipelines/region-mosaic.node.js';
import { planRegion, type RegionPlan } from '../../src/pipelines/region-plan.js';
import { regionSuperresolvePipeline } from '../../src/pipelines/region-superresolve.node.js';
import { tempDir } from '../support/fixtures.js';
import { mosaicInMemory } from '../support/mosaic-in-memory.js';
import { requireTool } from '../support/require-tool.js';

const VALIDATOR = 'osgeo_utils.samples.validate_cloud_optimized_geotiff';
const validatorOk = requireTool(
  'GDAL COG validator (python3-gdal)',
  spawnSync('/usr/bin/python3', ['-c', `import ${VALIDATOR}`], { stdio: 'ignore' }).status === 0,
);

/** The scene every tile sees, by SR pixel of the mosaic (so blended seams must reproduce it). */
const scene = (x: number, y: number): number => 100 * Math.sin(x / 37) * Math.cos(y / 53) + 0.01 * x;

let dir: string;
let cleanup: () => Promise<void>;
let plan: RegionPlan;
let g: MosaicGrid;
let tiles: MosaicTile[];
/** A pixel only tile 0 covers, set to NaN there: the mosaic has no data there. */
const HOLE = { x: 20, y: 30 };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-region-mosaic-'));
  // ≈ 12 × 6.7 km: 1250 × 700 LR px, beyond the 1024 px side the in-memory mosaic allowed.
  plan = planRegion([8.4, 47.3, 8.56, 47.36], { tileSizePx: 600, overlapPx: 100, alignPx: 50 });
  const t = plan.transform;
  g = {
    fx: 2,
    fy: 2,
    width: plan.width * 2,
    height: plan.height * 2,
    transform: [t[0], t[1] / 2, 0, t[3], 0, t[5] / 2],
  };
  await mkdir(join(dir, 'tiles'), { recursive: true });
  tiles = [];
  for (const [k, tile] of plan.tiles.entries()) {
    const win = hrWindowOf(tile, g);
    const band = new Float32Array(win.width * win.height);
    for (let j = 0; j < win.height; j++)
      for (let i = 0; i < win.width; i++) band[j * win.width + i] = scene(win.x + i, win.y + j);
    if (k === 0) {
      band[HOLE.y * win.width + HOLE.x] = Number.NaN;
      band.fill(Number.NaN, 500 * win.width + 1150, 500 * win.width + 1250); // in the seam: the neighbour fills it
    }
    const file = `tiles/${tile.name}.tif`;
    await writeGeoTiff(
      join(dir, file),
      { width: win.width, height: win.height, dtype: 'float32', bands: [band] },
      { tiled: true },
    );
    tiles.push({ file, sha256: await sha256File(join(dir, file)), window: win });
  }
}, 120_000);
afterAll(async () => {
  await cleanup?.();
});

describe('assembleMosaic (streamed)', () => {
  it('a region wider than 1024 LR px: byte-identical to the in-memory mosaic, the scene across seams, GDAL-valid', async () => {
    expect(plan.width).toBeGreaterThan(1024);
    expect(plan.tiles.length).toBe(6);
    const out = join(dir, 'streamed.tif');
    const stages = new Map<string, number>();
    const r = await assembleMosaic(plan, g, tiles, dir, out, {
      onProgress: (p) => stages.set(p.stage, p.done),
    });
    expect(r.overviews).toEqual([2, 4, 8, 16]);
    expect(stages.get('assemble')).toBe(Math.ceil(g.height / 512));
    const ref = join(dir, 'in-memory.tif');
    const refBytes = await mosaicInMemory(
      plan,
      g,
      tiles.map((t) => ({ path: join(dir, t.file), window: t.window })),
      ref,
    );
    expect(r.bytes).toBe(refBytes);
    expect(Buffer.compare(readFileSync(out), readFileSync(ref))).toBe(0);
    const m = await readGeoTiffFile(out, { window: { x: 0, y: 0, width: g.width, height: 1100 } });
    const band = m.bands[0] as Float32Array;
    expect(Number.isNaN(band[HOLE.y * g.width + HOLE.x] as number)).toBe(true);
    let worst = 0;
    for (
      let y = 3;
      y < 1100;
      y += 7 // row 500 (the NaN run tile 1 fills) is on this stride
    )
      for (let x = 0; x < g.width; x += 3)
        if (!(x === HOLE.x && y === HOLE.y))
          worst = Math.max(worst, Math.abs((band[y * g.width + x] as number) - scene(x, y)));
    expect(worst).toBeLessThan(1e-4);
    expect(m.geo?.epsg).toBe(plan.epsg);
    if (validatorOk) {
      const v = spawnSync('/usr/bin/python3', ['-m', VALIDATOR, '--full-check=yes', out], {
        encoding: 'utf8',
      });
      expect(v.stdout + v.stderr).toContain('is a valid cloud optimized GeoTIFF');
    }
  }, 120_000);

  it('abort during assembly: ABORTED, no temporary file, the previous mosaic untouched', async () => {
    const out = join(dir, 'aborted', 'mosaic.tif');
    await mkdir(join(dir, 'aborted'), { recursive: true });
    writeFileSync(out, 'previous mosaic');
    const ac = new AbortController();
    const err = await assembleMosaic(plan, g, tiles, dir, out, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'assemble' && p.done === 1) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect(readFileSync(out, 'utf8')).toBe('previous mosaic');
    expect(readdirSync(join(dir, 'aborted'))).toEqual(['mosaic.tif']);
  }, 60_000);

  it('a tile changed on disk or of the wrong size fails before the mosaic is touched', async () => {
    const out = join(dir, 'bad', 'mosaic.tif');
    await mkdir(join(dir, 'bad'), { recursive: true });
    writeFileSync(out, 'previous mosaic');
    const changed = tiles.map((t, i) => (i === 4 ? { ...t, sha256: '0'.repeat(64) } : t));
    await expect(assembleMosaic(plan, g, changed, dir, out, {})).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringContaining(tiles[4]?.file as string),
    });
    const small = tiles.map((t, i) =>
      i === 2 ? { ...t, window: { ...t.window, width: t.window.width + 1 } } : t,
    );
    await expect(assembleMosaic(plan, g, small, dir, out, {})).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
    });
    expect(readFileSync(out, 'utf8')).toBe('previous mosaic');
    expect(readdirSync(join(dir, 'bad'))).toEqual(['mosaic.tif']);
  });
});

/** An executor whose "model" writes the scene onto each tile's window (2 bands): the pipeline without SR cost. */
function sceneExecutor(): Executor & { units: number } {
  const ex = {
    kind: 'local' as const,
    units: 0,
    async run<P, R>(_stage: string, units: readonly ExecutorUnit<P>[]) {
      const outcomes = [];
      for (const u of units as unknown as ExecutorUnit<RegionTileParams>[]) {
        ex.units++;
        const { window: win, workDir, tile } = u.params;
        const a = new Float32Array(win.width * win.height);
        for (let j = 0; j < win.height; j++)
          for (let i = 0; i < win.width; i++) a[j * win.width + i] = scene(win.x + i, win.y + j);
        const file = join('tiles', `${tile}.tif`);
        const bytes = await writeGeoTiff(
          join(workDir, file),
          { width: win.width, height: win.height, dtype: 'float32', bands: [a, a.map((v) => -v)] },
          { tiled: true },
        );
        const value: RegionTileResult = {
          tile,
          file,
          sha256: await sha256File(join(workDir, file)),
          bytes,
          skipped: false,
        };
        outcomes.push({ unit: u.unit, ok: true as const, value: value as unknown as R });
      }
      return { outcomes, detached: false };
    },
    async close() {},
  };
  return ex;
}

describe('regionSuperresolvePipeline beyond the old 1024 px side', () => {
  it('an ≈ 11 km strip (over 1024 LR px) runs end to end into a GDAL-valid mosaic; maxSidePx 1024 still refuses it', async () => {
    const config = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8 });
    const weights = join(dir, 'srcnn.safetensors');
    writeFileSync(weights, stateDictToSafetensors(initStateDict(config, { seed: 5 }), config));
    const executor = sceneExecutor();
    const options = {
      region: [8.4, 47.365, 8.546, 47.3685] as [number, number, number, number],
      dateRange: ['2022-06-01', '2022-06-30'] as [string, string],
      weights,
      out: join(dir, 'strip', 'mosaic.tif'),
      tileSizePx: 400,
      tileOverlapPx: 50,
      executor,
    };
    const tooLarge = await regionSuperresolvePipeline
      .run({ ...options, maxSidePx: 1024 })
      .catch((e: unknown) => e);
    expect(tooLarge).toMatchObject({ code: 'REGION_TOO_LARGE' });
    expect(executor.units).toBe(0);
    const r = await regionSuperresolvePipeline.run(options);
    expect(r.lrWidth).toBeGreaterThan(1024);
    expect(r.tiles).toEqual({ total: 3, computed: 3, skipped: 0 });
    expect([r.width, r.height]).toEqual([r.lrWidth * 3.12, r.lrHeight * 3.12]);
    const m = await readGeoTiffFile(r.out);
    expect(m.bands.length).toBe(2);
    let worst = 0;
    for (let y = 0; y < r.height; y += 5)
      for (let x = 0; x < r.width; x += 3) {
        const k = y * r.width + x;
        worst = Math.max(worst, Math.abs(((m.bands[0] as Float32Array)[k] as number) - scene(x, y)));
        worst = Math.max(worst, Math.abs(((m.bands[1] as Float32Array)[k] as number) + scene(x, y)));
      }
    expect(worst).toBeLessThan(1e-4);
    if (validatorOk) {
      const v = spawnSync('/usr/bin/python3', ['-m', VALIDATOR, r.out], { encoding: 'utf8' });
      expect(v.stdout + v.stderr).toContain('is a valid cloud optimized GeoTIFF');
    }
  }, 120_000);
});
