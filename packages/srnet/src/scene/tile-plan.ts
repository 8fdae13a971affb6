// Seamless whole-scene inference: large tiles of LR input with a margin covering the model's receptive field,
// run without the final resize; each tile writes only the output pixels of its core, resampled bilinearly on the
// scene-wide grid. Every output pixel is computed once and equals a single whole-scene pass.
import type { InferenceEngine, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import { argumentError, checkNumber, checkObject } from '../internal/check-arguments.js';
import { MODEL_KINDS, type ModelConfig } from '../models/config.js';
import { describeOutput, outputFits } from './chip-plan.js';
import { fillRegion, type SceneInput } from './scene-input.js';

/** The tile layout along one axis. */
export interface TileAxis {
  /** LR input range of each tile, `[inStart, inEnd)`, clipped to the scene. */
  inStart: number[];
  inEnd: number[];
  /** Output pixels each tile writes, `[outStart, outEnd)`: a partition of the output axis. */
  outStart: number[];
  outEnd: number[];
}

/** The 2-D tile grid of a scene (`tiling: 'seamless'`). */
export interface TileGrid {
  /** Largest tile side in LR px, margins included. */
  tileSize: number;
  /** LR px of context on each inner side of a tile (receptive field + resampling support). */
  margin: number;
  x: TileAxis;
  y: TileAxis;
  /** Number of tiles (`x.inStart.length · y.inStart.length`). */
  count: number;
}

/** Default tile side (LR px, margins included): large enough that margins cost ~20 %, small enough for memory. */
export const DEFAULT_TILE_SIZE = 256;

/**
 * How far (LR px) a pixel's output can depend on input: 'same' convolutions before the pixel shuffle (encoder
 * DoubleConv2d, SRCNN fusion + residual blocks or one residual block + conv per HighRes-net fusion level) and
 * the SR convolutions after it (in zoomed px).
 */
export function receptiveRadius(cfg: ModelConfig): number {
  const fn = 'receptiveRadius';
  checkObject(fn, 'config', cfg, 'BAD_CONFIG');
  if (!(MODEL_KINDS as readonly unknown[]).includes(cfg.kind))
    argumentError(fn, 'config.kind', "'srcnn' or 'highresnet'", cfg.kind, 'BAD_CONFIG');
  for (const key of ['kernelSize', 'srKernelSize', 'zoomFactor', 'revisits'] as const)
    checkNumber(fn, `config.${key}`, cfg[key], 'BAD_CONFIG', { integer: true, min: 1 });
  if (cfg.kind === 'srcnn')
    checkNumber(fn, 'config.residualLayers', cfg.residualLayers, 'BAD_CONFIG', { integer: true, min: 0 });
  const r = (cfg.kernelSize - 1) / 2;
  const fusion =
    cfg.kind === 'srcnn' ? 2 + 2 * cfg.residualLayers : 3 * Math.ceil(Math.log2(Math.max(1, cfg.revisits)));
  const srZoomed = 2 * ((cfg.srKernelSize - 1) / 2);
  return (2 + fusion) * r + Math.ceil(srZoomed / cfg.zoomFactor);
}

/**
 * Cut points `0 = c0 < c1 < … < cn = length` of n tile cores whose inputs (core + margin on each inner side) all
 * have about the same width `(length + 2·margin·(n − 1)) / n`: edge tiles need one margin, interior tiles two.
 */
function balancedCuts(length: number, n: number, margin: number): number[] {
  const width = (length + 2 * margin * (n - 1)) / n;
  const cuts = [0];
  for (let k = 1; k < n; k++) cuts.push(Math.round(k * width - (2 * k - 1) * margin));
  cuts.push(length);
  return cuts;
}

/** Whether every core is non-empty and every tile input (core + inner margins, clipped) fits in `tile`. */
function cutsFit(cuts: number[], length: number, tile: number, margin: number): boolean {
  for (let k = 0; k + 1 < cuts.length; k++) {
    const c0 = cuts[k] as number;
    const c1 = cuts[k + 1] as number;
    if (c1 <= c0 || Math.min(length, c1 + margin) - Math.max(0, c0 - margin) > tile) return false;
  }
  return true;
}

function planTileAxis(
  length: number,
  outLength: number,
  scale: number,
  tile: number,
  margin: number,
): TileAxis {
  // Fewest tiles: n tiles of width ≤ tile cover length + 2·margin·(n − 1) input px.
  let n = Math.max(1, Math.ceil((length - 2 * margin) / (tile - 2 * margin)));
  let cuts = balancedCuts(length, n, margin);
  // Rounding can push one tile a pixel over; one more tile always fits (bounded by length tiles of 1 px).
  while (!cutsFit(cuts, length, tile, margin) && n < length) cuts = balancedCuts(length, ++n, margin);
  const axis: TileAxis = { inStart: [], inEnd: [], outStart: [], outEnd: [] };
  for (let k = 0; k < n; k++) {
    const c0 = cuts[k] as number;
    const c1 = cuts[k + 1] as number;
    axis.inStart.push(Math.max(0, c0 - margin));
    axis.inEnd.push(Math.min(length, c1 + margin));
    axis.outStart.push(k === 0 ? 0 : Math.round(c0 * scale));
    axis.outEnd.push(k === n - 1 ? outLength : Math.round(c1 * scale));
  }
  return axis;
}

/**
 * Plan the tiles of a `width × height` LR scene whose output grid is `outWidth × outHeight` at `scale` [y, x]
 * output px per LR px. Tiles start at the scene edge (the model's own reflect padding applies there, as for the
 * first chip of the chip plan) and never read beyond it.
 *
 * @throws SrnetError `BAD_SCENE_OPTIONS` when the tile leaves no core inside its margins.
 */
export function planTileGrid(
  width: number,
  height: number,
  out: [number, number],
  scale: [number, number],
  tileSize: number,
  margin: number,
): TileGrid {
  if (!Number.isInteger(tileSize) || tileSize < 2 * margin + 1) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `tileSize ${tileSize} must be an integer > 2 × the ${margin}-px margin this model needs (receptive field + resampling); use ≥ ${4 * margin} (default ${DEFAULT_TILE_SIZE})`,
      { tileSize, margin },
    );
  }
  const x = planTileAxis(width, out[1], scale[1], tileSize, margin);
  const y = planTileAxis(height, out[0], scale[0], tileSize, margin);
  return { tileSize, margin, x, y, count: x.inStart.length * y.inStart.length };
}

/** Bilinear taps (half-pixel centres, edge-clamped) of output pixels [outStart, outEnd) in a tile's zoomed input. */
function taps(
  outStart: number,
  outEnd: number,
  ratio: number,
  zoomedStart: number,
  zoomedLength: number,
): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const n = outEnd - outStart;
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const f = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const local = Math.min(zoomedLength - 1, Math.max(0, (outStart + j + 0.5) * ratio - 0.5 - zoomedStart));
    const a = Math.floor(local);
    i0[j] = a;
    i1[j] = Math.min(a + 1, zoomedLength - 1);
    f[j] = local - a;
  }
  return { i0, i1, f };
}

/** What {@link runTiles} needs besides the scene input. */
export interface TileRun {
  engine: InferenceEngine;
  grid: TileGrid;
  /** Output planes, one per output channel, `outWidth × outHeight`. */
  planes: Float32Array[];
  outWidth: number;
  /** Zoomed px per output px [y, x] (`zoom · chipSize / outputSize`, the model's own resize ratio). */
  ratio: [number, number];
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
}

/** Resample one tile's unresized output into the output planes it owns. */
function writeTile(run: TileRun, out: PredictOutput, tx: number, ty: number, zoom: number): void {
  const { grid, planes, outWidth: OW } = run;
  const x0 = grid.x.inStart[tx] as number;
  const y0 = grid.y.inStart[ty] as number;
  const w = (grid.x.inEnd[tx] as number) - x0;
  const h = (grid.y.inEnd[ty] as number) - y0;
  const expected = [1, 1, planes.length, h * zoom, w * zoom];
  if (!outputFits(out, expected)) {
    const got = describeOutput(out);
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `engine '${run.engine.name}' returned an unresized tile of shape ${got.shape}, expected [${expected.join(', ')}] (${got.length} values, ${expected.reduce((a, b) => a * b, 1)} needed)`,
      { shape: out?.shape, expected },
    );
  }
  const [, , c, zh, zw] = out.shape;
  const X0 = grid.x.outStart[tx] as number;
  const Y0 = grid.y.outStart[ty] as number;
  const tx_ = taps(X0, grid.x.outEnd[tx] as number, run.ratio[1], x0 * zoom, zw);
  const ty_ = taps(Y0, grid.y.outEnd[ty] as number, run.ratio[0], y0 * zoom, zh);
  for (let ch = 0; ch < c; ch++) {
    const plane = planes[ch] as Float32Array;
    const src = out.data.subarray(ch * zh * zw, (ch + 1) * zh * zw);
    for (let j = 0; j < ty_.f.length; j++) {
      const r0 = (ty_.i0[j] as number) * zw;
      const r1 = (ty_.i1[j] as number) * zw;
      const fy = ty_.f[j] as number;
      const row = (Y0 + j) * OW + X0;
      for (let i = 0; i < tx_.f.length; i++) {
        const a = tx_.i0[i] as number;
        const b = tx_.i1[i] as number;
        const fx = tx_.f[i] as number;
        const top = (src[r0 + a] as number) + fx * ((src[r0 + b] as number) - (src[r0 + a] as number));
        const bot = (src[r1 + a] as number) + fx * ((src[r1 + b] as number) - (src[r1 + a] as number));
        plane[row + i] = top + fy * (bot - top);
      }
    }
  }
}

/**
 * Interior tiles (a full margin on all four sides: no scene edge within the receptive radius of the core) run
 * after the edge tiles, flagged `interior`, once a scene has this many of them: an engine that switches graphs
 * for them (the ONNX engine) pays one switch there and one back, worth it only over several tiles.
 */
export const MIN_INTERIOR_TILES = 4;

/** The order tiles run in (edge tiles first, then interior ones) and which of them are interior. */
export function tileOrder(
  grid: TileGrid,
  width: number,
  height: number,
): { order: number[]; interior: boolean[] } {
  const inner = (a: TileAxis, length: number) =>
    a.inStart.map((s, k) => s > 0 && (a.inEnd[k] as number) < length);
  const ix = inner(grid.x, width);
  const iy = inner(grid.y, height);
  const nx = ix.length;
  const interior = Array.from(
    { length: grid.count },
    (_, t) => (ix[t % nx] && iy[Math.floor(t / nx)]) === true,
  );
  const all = interior.map((_, t) => t);
  if (interior.filter(Boolean).length < MIN_INTERIOR_TILES)
    return { order: all, interior: interior.map(() => false) };
  return { order: [...all.filter((t) => !interior[t]), ...all.filter((t) => interior[t])], interior };
}

/**
 * Run every tile through `engine.predictUnresized` (one tile per call; the next tile is cut while the current
 * one runs, into the other of two reused input buffers) and write the output planes. Edge tiles run first,
 * then interior ones ({@link tileOrder}).
 *
 * @throws SrnetError `BAD_INPUT_SHAPE` (engine output of the wrong shape), `ABORTED`.
 */
export async function runTiles(input: SceneInput, run: TileRun): Promise<void> {
  const { engine, grid, signal } = run;
  const predict = engine.predictUnresized?.bind(engine);
  if (!predict) throw new SrnetError('BAD_SCENE_OPTIONS', `engine '${engine.name}' has no predictUnresized`);
  const zoom = engine.config.zoomFactor;
  const nx = grid.x.inStart.length;
  const R = input.revisits;
  const C = input.channels;
  // Two input buffers of the largest tile, alternating: one is cut while the other's tile is in flight (engines
  // may read the input until their promise settles), instead of a fresh ~25 MB array per 256-px tile.
  const widest = (a: TileAxis) => Math.max(...a.inEnd.map((e, k) => e - (a.inStart[k] as number)));
  const buffers = [0, 1].map(() => new Float32Array(R * C * widest(grid.x) * widest(grid.y)));
  let inflight: { promise: Promise<PredictOutput>; tx: number; ty: number } | null = null;
  let done = 0;
  const { order, interior } = tileOrder(grid, input.width, input.height);
  const drain = async (): Promise<void> => {
    if (!inflight) return;
    writeTile(run, await inflight.promise, inflight.tx, inflight.ty, zoom);
    run.onTile?.(++done, grid.count);
  };
  for (const [k, t] of order.entries()) {
    if (signal?.aborted) {
      await inflight?.promise.catch(() => undefined);
      throw abortError(signal);
    }
    const tx = t % nx;
    const ty = Math.floor(t / nx);
    const x0 = grid.x.inStart[tx] as number;
    const y0 = grid.y.inStart[ty] as number;
    const w = (grid.x.inEnd[tx] as number) - x0;
    const h = (grid.y.inEnd[ty] as number) - y0;
    const data = (buffers[k % 2] as Float32Array).subarray(0, R * C * w * h);
    fillRegion(input, data, 0, x0, y0, w, h);
    // Promise.resolve: an engine answering synchronously (no promise) used to throw a TypeError at .catch
    const promise = Promise.resolve(
      predict({ data, shape: [1, R, C, h, w] }, { signal, interior: interior[t] === true }),
    );
    promise.catch(() => undefined); // handled in drain(); no unhandled rejection while the previous tile drains
    await drain();
    inflight = { promise, tx, ty };
  }
  await drain();
}
