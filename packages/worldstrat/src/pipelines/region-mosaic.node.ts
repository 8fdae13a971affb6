// The region mosaic: super-resolved tiles blended with linear feathering weights into one COG, one band of
// block rows at a time (each tile's rows read through windowed reads, fed to raster-io's streaming COG
// writer), so memory is bounded by the mosaic's width × one block row, not by the region.
import { join } from 'node:path';
import { sha256File } from '@worldstrat/eo-fetch/node';
import type { GeoTiffLevel, RasterArray } from '@worldstrat/raster-io';
import {
  type CogWriter,
  createCogWriter,
  openGeoTiffFile,
  readGeoTiffFile,
} from '@worldstrat/raster-io/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import type { PipelineContext } from './pipeline.js';
import type { RegionPlan, RegionTile } from './region-plan.js';

/** Rows blended per step: the COG writer's tile size, so each step completes one row of blocks. */
const BLOCK_ROWS = 512;

/** The SR output grid: the LR grid `fx` × `fy` times finer. */
export interface MosaicGrid {
  fx: number;
  fy: number;
  width: number;
  height: number;
  transform: [number, number, number, number, number, number];
}

/** A tile's pixels on the SR grid. */
export interface MosaicWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One finished tile: its file (relative to the work folder), recorded sha256 and SR window. */
export interface MosaicTile {
  file: string;
  sha256: string;
  window: MosaicWindow;
}

/** A tile's padded window on the SR grid (whole pixels covering it). */
export function hrWindowOf(tile: RegionTile, g: MosaicGrid): MosaicWindow {
  const p = tile.padded;
  const x = Math.floor(p.x * g.fx);
  const y = Math.floor(p.y * g.fy);
  return {
    x,
    y,
    width: Math.min(g.width, Math.ceil((p.x + p.width) * g.fx)) - x,
    height: Math.min(g.height, Math.ceil((p.y + p.height) * g.fy)) - y,
  };
}

/**
 * 1-D blend weight of a tile at LR coordinate `u`: 1 in its core, a linear ramp over the middle `overlap`
 * px of each inner seam (the outer half of the padding, where its convolutions saw the tile edge, gets 0).
 * Neighbouring tiles' weights sum to 1, so their product over x and y is a partition of unity.
 */
export function featherWeight(u: number, a: number, b: number, size: number, overlap: number): number {
  const h = overlap / 2;
  let w = 1;
  if (a > 0) w = overlap > 0 ? Math.min(w, Math.max(0, (u - (a - h)) / overlap)) : u >= a ? w : 0;
  if (b < size) w = overlap > 0 ? Math.min(w, Math.max(0, (b + h - u) / overlap)) : u < b ? w : 0;
  return w;
}

/** Overview factors until the smallest level is ≈ one 256 px block. */
export function overviewFactors(width: number, height: number): number[] {
  const out: number[] = [];
  for (let f = 2; Math.max(width, height) / f >= 128; f *= 2) out.push(f);
  return out;
}

/** A verified tile ready to be read row band by row band. */
interface OpenTile {
  path: string;
  window: MosaicWindow;
  core: RegionTile['core'];
  /** Its x weights (one per SR column of the window). */
  wx: Float32Array;
}

/**
 * Stage 1: every tile's sha256 against its record (once, before any pixel is read) and its size and band
 * count against the window and the other tiles.
 * @returns the tiles and their band count
 */
async function verifyTiles(
  plan: RegionPlan,
  g: MosaicGrid,
  tiles: readonly MosaicTile[],
  workDir: string,
  signal: AbortSignal | undefined,
): Promise<{ open: OpenTile[]; bands: number }> {
  const open: OpenTile[] = [];
  let bands = 0;
  for (const [i, t] of tiles.entries()) {
    throwIfAborted(signal);
    const path = join(workDir, t.file);
    const actual = await sha256File(path).catch(() => 'missing');
    if (actual !== t.sha256)
      throw new WorldStratError(
        'CHECKSUM_MISMATCH',
        `region tile ${path}: sha256 ${actual} differs from the tile's record ${t.sha256}; run again to redo it`,
      );
    const tiff = await openGeoTiffFile(path, { signal });
    const { width, height, bandCount: samplesPerPixel } = tiff.levels[0] as GeoTiffLevel;
    await tiff.close();
    bands ||= samplesPerPixel;
    if (width !== t.window.width || height !== t.window.height || samplesPerPixel !== bands)
      throw new WorldStratError(
        'SHAPE_MISMATCH',
        `region tile ${path} is ${width} × ${height} px × ${samplesPerPixel} bands; its window is ${t.window.width} × ${t.window.height} and the first tile has ${bands} bands`,
      );
    const core = (plan.tiles[i] as RegionTile).core;
    const wx = Float32Array.from({ length: t.window.width }, (_, k) =>
      featherWeight((t.window.x + k + 0.5) / g.fx, core.x, core.x + core.width, plan.width, plan.overlapPx),
    );
    open.push({ path, window: t.window, core, wx });
  }
  return { open, bands };
}

/** Blend rows `y0 .. y0 + n - 1` of one tile (`bands`: its pixels on those rows) into the accumulators. */
function accumulateRows(
  acc: Float32Array[],
  wsum: Float32Array,
  bands: readonly RasterArray[],
  t: OpenTile,
  y0: number,
  n: number,
  bandY0: number,
  plan: RegionPlan,
  g: MosaicGrid,
): void {
  const { window: win, core: c, wx } = t;
  for (let j = 0; j < n; j++) {
    const y = y0 + j;
    const wy = featherWeight((y + 0.5) / g.fy, c.y, c.y + c.height, plan.height, plan.overlapPx);
    if (wy === 0) continue;
    const row = (y - bandY0) * g.width + win.x;
    for (let i = 0; i < win.width; i++) {
      const w = (wx[i] as number) * wy;
      if (w === 0) continue;
      let ok = true;
      for (const band of bands) if (Number.isNaN(band[j * win.width + i] as number)) ok = false;
      if (!ok) continue; // no data there in this tile: the neighbours' weights decide
      for (const [b, band] of bands.entries())
        (acc[b] as Float32Array)[row + i] += w * (band[j * win.width + i] as number);
      wsum[row + i] += w;
    }
  }
}

/** Stage 2: blends rows `y0 .. y0 + n - 1` of the mosaic from the tiles crossing them. */
async function blendRows(
  plan: RegionPlan,
  g: MosaicGrid,
  open: readonly OpenTile[],
  bands: number,
  y0: number,
  n: number,
  signal: AbortSignal | undefined,
): Promise<Float32Array[]> {
  const acc = Array.from({ length: bands }, () => new Float32Array(g.width * n));
  const wsum = new Float32Array(g.width * n);
  for (const t of open) {
    const a = Math.max(y0, t.window.y);
    const b = Math.min(y0 + n, t.window.y + t.window.height);
    if (a >= b) continue;
    const r = await readGeoTiffFile(t.path, {
      signal,
      window: { x: 0, y: a - t.window.y, width: t.window.width, height: b - a },
    });
    accumulateRows(acc, wsum, r.bands, t, a, b - a, y0, plan, g);
  }
  for (let p = 0; p < wsum.length; p++) {
    const w = wsum[p] as number;
    for (const band of acc) band[p] = w > 0 ? (band[p] as number) / w : Number.NaN;
  }
  return acc;
}

/**
 * Verify every tile (sha256, size, bands), then blend them block row by block row into a float32 COG (NaN
 * no-data, deflate + predictor, internal overviews) written by raster-io's streaming writer: the previous
 * `out` stays until the new one is complete. Progress stages: `assemble` (block rows), `write` (blocks).
 *
 * @returns bytes written and the overview factors
 * @throws {WorldStratError} `CHECKSUM_MISMATCH`, `SHAPE_MISMATCH`, `ABORTED`; raster-io errors of the reads
 *   and the write
 */
export async function assembleMosaic(
  plan: RegionPlan,
  g: MosaicGrid,
  tiles: readonly MosaicTile[],
  workDir: string,
  out: string,
  context: PipelineContext,
): Promise<{ bytes: number; overviews: number[] }> {
  const { signal } = context;
  const { open, bands } = await verifyTiles(plan, g, tiles, workDir, signal);
  const overviews = overviewFactors(g.width, g.height);
  const writer: CogWriter = await createCogWriter(out, {
    width: g.width,
    height: g.height,
    bands,
    dtype: 'float32',
    noData: Number.NaN,
    geo: { epsg: plan.epsg, transform: g.transform },
    tileSize: BLOCK_ROWS,
    compression: 'deflate',
    predictor: true,
    overviews,
    ...(signal ? { signal } : {}),
    onProgress: (p) => context.onProgress?.({ stage: 'write', done: p.done, total: p.total }),
  });
  try {
    const steps = Math.ceil(g.height / BLOCK_ROWS);
    for (let s = 0; s < steps; s++) {
      throwIfAborted(signal);
      const y0 = s * BLOCK_ROWS;
      const n = Math.min(BLOCK_ROWS, g.height - y0);
      await writer.writeRows(y0, await blendRows(plan, g, open, bands, y0, n, signal));
      context.onProgress?.({ stage: 'assemble', done: s + 1, total: steps });
    }
    return { bytes: await writer.close(), overviews };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
