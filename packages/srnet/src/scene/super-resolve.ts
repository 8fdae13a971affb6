// Whole-scene super-resolution: normalise, cut overlapping LR chips, run any InferenceEngine in batches,
// and blend the SR chips with feathered weights into one georeferenced output raster.
import type { GeoTransform, Raster } from '@worldstrat/raster-io';
import type { InferenceEngine, PredictOutput } from '../engine.js';
import { abortError, SrnetError } from '../errors.js';
import {
  type ChipAxis,
  type ChipGrid,
  defaultOverlap,
  featherWeights,
  planChipGrid,
  reflectIndex,
} from './chip-grid.js';
import { type BandNormalisation, JIF_S2_NORMALISATION } from './normalisation.js';
import { isMissing, type RevisitPadding, type RevisitSelection, selectRevisits } from './select-revisits.js';

/** Progress of {@link superResolve}: `select` (revisit ranking) then `infer` (chips done of total). */
export interface SceneProgress {
  stage: 'select' | 'infer';
  done: number;
  total: number;
}

/** Options of {@link superResolve}. */
export interface SuperResolveOptions {
  /** The model to run (ONNX Runtime or TF.js engine). */
  engine: InferenceEngine;
  /** LR chip size the model runs on (default 50, the training chip). */
  chipSize?: number;
  /**
   * LR pixels shared by neighbouring chips (default: the smallest valid overlap ≥ chipSize/4, i.e. 25 for
   * 50 → 156). Must be a multiple of `chipSize / gcd(chipSize, outputSize)` so chips land on whole output pixels.
   */
  overlap?: number;
  /** Chips per `predict()` call (default 8). Memory holds two batches of chips at most. */
  batchSize?: number;
  /** 0-based band indices of the rasters to feed, in model channel order (default 0..inChannels−1). */
  bands?: number[];
  /** `'jif'` (default: WorldStrat's 12-band S2 constants), `'none'` (input already normalised) or custom. */
  normalisation?: BandNormalisation | 'jif' | 'none';
  /**
   * Linear conversion of the raster values to reflectance before normalisation: `x · scale + offset`
   * (default 1 and 0: the rasters already hold L2A reflectance, as WorldStrat's do). For L2A DN use
   * `{ scale: 1e-4, offset: -0.1 }` on processing baseline ≥ 04.00 (or raster-io `dnToReflectance` first).
   */
  reflectance?: { scale?: number; offset?: number };
  /**
   * Largest plausible |reflectance| (after `reflectance` scale/offset). Larger finite values (e.g. 1e30 from a
   * broken product) are treated as missing, like NaN, and reported in `warnings`. Default
   * {@link MAX_PLAUSIBLE_REFLECTANCE}; `Infinity` turns the check off.
   */
  maxReflectance?: number;
  /** How to fill model revisit slots when the scene has fewer revisits (default `repeat`). */
  revisitPadding?: RevisitPadding;
  /** Optional cloud masks (SentinelHub CLM, 0 = clear), one per revisit, used only to rank revisits. */
  cloudMasks?: (Raster | undefined)[];
  signal?: AbortSignal;
  onProgress?: (progress: SceneProgress) => void;
}

/** The result of {@link superResolve}. */
export interface SuperResolveResult {
  /** float32 SR raster: `outChannels` bands, `noData` NaN, same CRS, transform scaled by the size ratio. */
  raster: Raster;
  /** 1 where the output is valid, 0 where no revisit had data at the source LR pixel (those pixels are NaN). */
  validMask: Uint8Array;
  /** The chip layout used. */
  grid: ChipGrid;
  /** Which revisits were used and why. */
  revisits: RevisitSelection;
  /** Output pixels per LR pixel, [y, x] (156/50 = 3.12 for the benchmark models). */
  scale: [number, number];
  /** Problems with the used revisits that the product silently works around otherwise (empty bands, absurd values). */
  warnings: SceneWarning[];
}

/**
 * Largest plausible |reflectance|: L2A reflectance is about 0..1.5 and 16-bit DN stay below 65 536, so a
 * magnitude beyond 1e5 is a broken value, not a bright pixel.
 */
export const MAX_PLAUSIBLE_REFLECTANCE = 1e5;

/**
 * A problem with one band of one used revisit. `EMPTY_BAND`: no pixel of the band holds data (all NaN / ±Inf /
 * noData / implausible), so the revisit contributes nothing there and its slot is filled from the others.
 * `IMPLAUSIBLE_VALUES`: `count` finite pixels exceed `maxReflectance`; they are treated as missing.
 */
export interface SceneWarning {
  code: 'EMPTY_BAND' | 'IMPLAUSIBLE_VALUES';
  /** Index of the revisit in the scene. */
  revisit: number;
  /** 0-based band index of the raster. */
  band: number;
  /** Pixels affected. */
  count: number;
  message: string;
}

/** Scan the used bands of the used revisits for empty bands and implausible values. */
function sceneWarnings(
  scene: Raster[],
  used: number[],
  bands: number[],
  maxAbsRaw: number,
  maxReflectance: number,
): SceneWarning[] {
  const out: SceneWarning[] = [];
  for (const i of used) {
    const r = scene[i] as Raster;
    for (const b of bands) {
      const data = r.bands[b] as ArrayLike<number>;
      let missing = 0;
      let absurd = 0;
      let worst = 0;
      for (let p = 0; p < data.length; p++) {
        const v = data[p] as number;
        if (isMissing(v, r.noData)) missing++;
        else if (Math.abs(v) > maxAbsRaw) {
          absurd++;
          if (Math.abs(v) > Math.abs(worst)) worst = v;
        }
      }
      if (absurd > 0)
        out.push({
          code: 'IMPLAUSIBLE_VALUES',
          revisit: i,
          band: b,
          count: absurd,
          message: `revisit ${i} band ${b}: ${absurd} pixel(s) beyond ±${maxReflectance} reflectance (e.g. ${Number(worst.toPrecision(3))}); treated as missing`,
        });
      if (missing + absurd === data.length)
        out.push({
          code: 'EMPTY_BAND',
          revisit: i,
          band: b,
          count: data.length,
          message: `revisit ${i} band ${b} holds no valid pixel (${missing} NaN/Inf/noData, ${absurd} implausible); filled from the other revisits`,
        });
    }
  }
  return out;
}

function sameTransform(a: GeoTransform, b: GeoTransform): boolean {
  const tol = 1e-6 * Math.max(Math.abs(a[1]), Math.abs(a[5]), 1e-12);
  return a.every((v, i) => Math.abs(v - (b[i] as number)) <= tol);
}

/** Check that the revisits are co-registered and georeferenced; returns [width, height]. */
export function checkScene(scene: Raster[]): [number, number] {
  if (scene.length === 0)
    throw new SrnetError(
      'SCENE_SIZE_MISMATCH',
      'scene has no revisits; pass at least one co-registered Raster',
    );
  const first = scene[0] as Raster;
  for (const [i, r] of scene.entries()) {
    if (r.width !== first.width || r.height !== first.height) {
      throw new SrnetError(
        'SCENE_SIZE_MISMATCH',
        `revisit ${i} is ${r.width}×${r.height} but revisit 0 is ${first.width}×${first.height}; warp all revisits to one grid first (raster-io warpRaster)`,
        { index: i },
      );
    }
    if (!r.geo) {
      throw new SrnetError(
        'MISSING_GEOREFERENCING',
        `revisit ${i} has no georeferencing (geo block); read it from a GeoTIFF or set raster.geo = { epsg, transform }`,
        { index: i },
      );
    }
    const g0 = first.geo as NonNullable<Raster['geo']>;
    if (r.geo.epsg !== g0.epsg) {
      throw new SrnetError(
        'CRS_MISMATCH',
        `revisit ${i} is in EPSG:${r.geo.epsg} but revisit 0 is in EPSG:${g0.epsg}; reproject to one CRS first (raster-io warpRaster)`,
        { index: i },
      );
    }
    if (!sameTransform(r.geo.transform, g0.transform)) {
      throw new SrnetError(
        'CRS_MISMATCH',
        `revisit ${i} has geotransform [${r.geo.transform.join(', ')}], revisit 0 has [${g0.transform.join(', ')}]; the revisits are not co-registered — warp them to one grid first`,
        { index: i },
      );
    }
  }
  return [first.width, first.height];
}

/** The geotransform of the output grid: same origin, pixel size divided by the scale. */
export function scaleTransform(t: GeoTransform, scaleY: number, scaleX: number): GeoTransform {
  return [t[0], t[1] / scaleX, t[2] / scaleY, t[3], t[4] / scaleX, t[5] / scaleY];
}

/**
 * Super-resolve a whole scene: R co-registered, georeferenced revisits of any size.
 *
 * Steps: (1) choose the revisits (see `selectRevisits`: best R by fewest NaN/nodata/cloud pixels, or pad a
 * short list by repeating); (2) for each overlapping `chipSize` chip, normalise per band exactly as training
 * does (`(x − mean) / std`), filling missing pixels (NaN, ±Inf, noData) with the mean of the revisits that have
 * data there, or with the band mean when none has; pixels beyond the scene edge are mirrored; (3) run the
 * engine in batches (the next batch is cut before the current one is awaited); (4) blend the SR chips with
 * separable linear feathering over the overlap into an output grid of `outputSize / chipSize` px per LR px;
 * (5) mask: output pixels whose LR pixel had no data in any used revisit are NaN (`validMask` 0).
 * Values beyond `maxReflectance` count as missing; empty bands and such values are listed in `warnings`.
 *
 * Memory: the output raster plus two batches of chips (and a W×H byte mask); chips are cut on the fly.
 *
 * @param scene - revisits as raster-io Rasters (any numeric dtype), all the same size, CRS and geotransform.
 * @param options - engine, chip size, overlap, batch size, normalisation, progress, signal.
 * @returns the SR raster (float32, NaN noData, scaled geotransform) and what was done.
 * @throws SrnetError `SCENE_SIZE_MISMATCH`, `CRS_MISMATCH`, `MISSING_GEOREFERENCING`, `BAD_BANDS`,
 *   `BAD_SCENE_OPTIONS`, `ABORTED`.
 * @example
 * const engine = await createOnnxEngine(onnxBytes, { intraOpNumThreads: 2 });
 * const { raster } = await superResolve(revisits, { engine, overlap: 25 });
 */
export async function superResolve(
  scene: Raster[],
  options: SuperResolveOptions,
): Promise<SuperResolveResult> {
  const { engine, signal, onProgress } = options;
  const cfg = engine.config;
  const [W, H] = checkScene(scene);
  const chip = options.chipSize ?? 50;
  const outChip: [number, number] = [cfg.outputSize[0], cfg.outputSize[1]];
  if (chip * cfg.zoomFactor > Math.min(outChip[0], outChip[1])) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `chipSize ${chip} × zoom ${cfg.zoomFactor} exceeds the model's output ${outChip.join('×')}: the final resize would downsample; use chipSize ≤ ${Math.floor(Math.min(...outChip) / cfg.zoomFactor)}`,
    );
  }
  const overlap = options.overlap ?? defaultOverlap(chip, outChip);
  const grid = planChipGrid(W, H, chip, overlap, outChip);
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new SrnetError('BAD_SCENE_OPTIONS', `batchSize ${batchSize} must be a positive integer`);

  const C = cfg.inChannels;
  const bandCount = Math.min(...scene.map((r) => r.bands.length));
  const bands = options.bands ?? Array.from({ length: C }, (_, i) => i);
  if (bands.length !== C || bands.some((b) => !Number.isInteger(b) || b < 0 || b >= bandCount)) {
    throw new SrnetError(
      'BAD_BANDS',
      `bands [${bands.join(', ')}] must be ${C} indices in 0..${bandCount - 1} (the model takes ${C} bands; the revisits have ${bandCount})`,
      { bands, bandCount },
    );
  }
  const norm = options.normalisation ?? 'jif';
  let mean: number[];
  let std: number[];
  if (norm === 'none') {
    mean = new Array(C).fill(0);
    std = new Array(C).fill(1);
  } else {
    const n = norm === 'jif' ? JIF_S2_NORMALISATION : norm;
    if (n.mean.length !== C || n.std.length !== C) {
      throw new SrnetError(
        'BAD_SCENE_OPTIONS',
        `normalisation has ${n.mean.length} means / ${n.std.length} stds but the model takes ${C} bands; pass normalisation: { mean, std } with ${C} values, or 'none'`,
      );
    }
    mean = Array.from(n.mean);
    std = Array.from(n.std);
  }

  // Fold the reflectance conversion into the normalisation: ((x·a + c) − m) / s = (x − (m − c)/a) / (s/a).
  const a = options.reflectance?.scale ?? 1;
  const c0 = options.reflectance?.offset ?? 0;
  if (!(Number.isFinite(a) && a !== 0 && Number.isFinite(c0))) {
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `reflectance { scale: ${a}, offset: ${c0} } must be finite with scale ≠ 0`,
    );
  }
  mean = mean.map((m) => (m - c0) / a);
  std = std.map((s) => s / a);
  const maxReflectance = options.maxReflectance ?? MAX_PLAUSIBLE_REFLECTANCE;
  if (!(maxReflectance > 0))
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `maxReflectance ${maxReflectance} must be > 0 (Infinity: no check)`,
    );
  // In raster units: |x| > (B + |c|)/|a| implies |x·a + c| > B, so only truly implausible values are dropped.
  const maxAbsRaw = (maxReflectance + Math.abs(c0)) / Math.abs(a);

  for (const [i, m] of (options.cloudMasks ?? []).entries()) {
    if (m && (m.width !== W || m.height !== H || m.bands.length < 1)) {
      throw new SrnetError(
        'SCENE_SIZE_MISMATCH',
        `cloud mask ${i} is ${m.width}×${m.height} (${m.bands.length} bands) but the revisits are ${W}×${H}; pass one single-band mask per revisit on the same grid`,
        { index: i },
      );
    }
  }

  onProgress?.({ stage: 'select', done: 0, total: scene.length });
  const selection = selectRevisits(scene, cfg.revisits, bands, {
    padding: options.revisitPadding,
    cloudMasks: options.cloudMasks,
    maxAbs: maxAbsRaw,
  });
  onProgress?.({ stage: 'select', done: scene.length, total: scene.length });

  const R = cfg.revisits;
  const used = selection.used;
  const n = used.length;
  const slotK = selection.slots.map((s) => (s < 0 ? -1 : used.indexOf(s)));
  const src = used.map((i) => bands.map((b) => (scene[i] as Raster).bands[b] as ArrayLike<number>));
  const noData = used.map((i) => (scene[i] as Raster).noData);
  const warnings = sceneWarnings(scene, used, bands, maxAbsRaw, maxReflectance);

  // LR validity: 1 where at least one used revisit has every used band.
  const lrValid = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) {
    for (let k = 0; k < n; k++) {
      let ok = true;
      for (let b = 0; ok && b < C; b++)
        ok = !isMissing((src[k] as ArrayLike<number>[])[b]?.[p] as number, noData[k], maxAbsRaw);
      if (ok) {
        lrValid[p] = 1;
        break;
      }
    }
  }

  const chipPixels = chip * chip;
  const perChip = R * C * chipPixels;
  const xs = grid.x.origins;
  const ys = grid.y.origins;
  const total = grid.count;
  const raw = new Float64Array(n * C);
  const valid = new Uint8Array(n);

  // Cut, fill and normalise chip `index` (row-major over the grid) into dst at chip slot `slot`.
  const fillChip = (dst: Float32Array, slot: number, index: number): void => {
    const y0 = ys[Math.floor(index / xs.length)] as number;
    const x0 = xs[index % xs.length] as number;
    const base = slot * perChip;
    for (let yy = 0; yy < chip; yy++) {
      const sy = reflectIndex(y0 + yy, H);
      for (let xx = 0; xx < chip; xx++) {
        const p = sy * W + reflectIndex(x0 + xx, W);
        for (let k = 0; k < n; k++) {
          let ok = 1;
          const arrs = src[k] as ArrayLike<number>[];
          for (let b = 0; b < C; b++) {
            const v = (arrs[b] as ArrayLike<number>)[p] as number;
            raw[k * C + b] = v;
            if (isMissing(v, noData[k], maxAbsRaw)) ok = 0;
          }
          valid[k] = ok;
        }
        const off = yy * chip + xx;
        for (let b = 0; b < C; b++) {
          let sum = 0;
          let cnt = 0;
          for (let k = 0; k < n; k++) {
            if (valid[k]) {
              sum += raw[k * C + b] as number;
              cnt++;
            }
          }
          const m = mean[b] as number;
          const s = std[b] as number;
          const fill = cnt > 0 ? (sum / cnt - m) / s : 0;
          for (let j = 0; j < R; j++) {
            const k = slotK[j] as number;
            const v = k < 0 ? 0 : valid[k] ? ((raw[k * C + b] as number) - m) / s : fill;
            dst[base + (j * C + b) * chipPixels + off] = v;
          }
        }
      }
    }
  };

  const outC = cfg.outChannels;
  const OW = grid.x.outLength;
  const OH = grid.y.outLength;
  const acc = Array.from({ length: outC }, () => new Float32Array(OW * OH));
  const [oh, ow] = outChip;
  const weightCache = new Map<string, Float32Array>();
  const weights = (len: number, ramp: number, first: boolean, last: boolean): Float32Array => {
    const key = `${len}:${ramp}:${first}:${last}`;
    let w = weightCache.get(key);
    if (!w) {
      w = featherWeights(len, ramp, !first, !last);
      weightCache.set(key, w);
    }
    return w;
  };

  const accumulate = (out: PredictOutput, indices: number[]): void => {
    const [, , c, h, w] = out.shape;
    if (c !== outC || h !== oh || w !== ow) {
      throw new SrnetError(
        'BAD_INPUT_SHAPE',
        `engine '${engine.name}' returned chips of shape [${out.shape.join(', ')}], expected [B, 1, ${outC}, ${oh}, ${ow}] from its config`,
      );
    }
    for (const [slot, index] of indices.entries()) {
      const cy = Math.floor(index / xs.length);
      const cx = index % xs.length;
      const Y0 = grid.y.outOrigins[cy] as number;
      const X0 = grid.x.outOrigins[cx] as number;
      const wy = weights(oh, grid.y.rampOut, cy === 0, cy === ys.length - 1);
      const wx = weights(ow, grid.x.rampOut, cx === 0, cx === xs.length - 1);
      const yEnd = Math.min(oh, OH - Y0);
      const xEnd = Math.min(ow, OW - X0);
      for (let oy = 0; oy < yEnd; oy++) {
        const rowOut = (Y0 + oy) * OW + X0;
        const wyv = wy[oy] as number;
        for (let ch = 0; ch < outC; ch++) {
          const plane = acc[ch] as Float32Array;
          const srcOff = ((slot * outC + ch) * oh + oy) * ow;
          for (let ox = 0; ox < xEnd; ox++) {
            plane[rowOut + ox] =
              (plane[rowOut + ox] as number) + wyv * (wx[ox] as number) * (out.data[srcOff + ox] as number);
          }
        }
      }
    }
  };

  let inflight: { promise: Promise<PredictOutput>; indices: number[] } | null = null;
  let done = 0;
  onProgress?.({ stage: 'infer', done: 0, total });
  for (let start = 0; start < total; start += batchSize) {
    if (signal?.aborted) {
      await inflight?.promise.catch(() => undefined);
      throw abortError(signal);
    }
    const count = Math.min(batchSize, total - start);
    const input = new Float32Array(count * perChip);
    const indices = Array.from({ length: count }, (_, i) => start + i);
    for (const [slot, index] of indices.entries()) fillChip(input, slot, index);
    const promise = engine.predict({ data: input, shape: [count, R, C, chip, chip] }, { signal });
    promise.catch(() => undefined); // handled below; avoid an unhandled rejection while the previous batch drains
    if (inflight) {
      accumulate(await inflight.promise, inflight.indices);
      done += inflight.indices.length;
      onProgress?.({ stage: 'infer', done, total });
    }
    inflight = { promise, indices };
  }
  if (inflight) {
    accumulate(await inflight.promise, inflight.indices);
    done += inflight.indices.length;
    onProgress?.({ stage: 'infer', done, total });
  }

  // Normalise by the blend weights and mask pixels without data. The chips form a full grid and their weights
  // are separable, so the accumulated weight at (Y, X) is Sy[Y]·Sx[X]: two 1-D sums instead of a weight plane.
  const axisSums = (axis: ChipAxis, len: number, out: number): Float64Array => {
    const sum = new Float64Array(out);
    const n = axis.outOrigins.length;
    for (const [i, o] of axis.outOrigins.entries()) {
      const w = weights(len, axis.rampOut, i === 0, i === n - 1);
      for (let k = 0; k < len && o + k < out; k++) sum[o + k] = (sum[o + k] as number) + (w[k] as number);
    }
    return sum;
  };
  const Sy = axisSums(grid.y, oh, OH);
  const Sx = axisSums(grid.x, ow, OW);
  const validMask = new Uint8Array(OW * OH);
  const sy = grid.y.scale;
  const sx = grid.x.scale;
  for (let Y = 0; Y < OH; Y++) {
    const ly = Math.min(H - 1, Math.floor((Y + 0.5) / sy));
    for (let X = 0; X < OW; X++) {
      const q = Y * OW + X;
      const lx = Math.min(W - 1, Math.floor((X + 0.5) / sx));
      const ok = lrValid[ly * W + lx] === 1;
      validMask[q] = ok ? 1 : 0;
      const wv = (Sy[Y] as number) * (Sx[X] as number);
      for (let ch = 0; ch < outC; ch++) {
        const plane = acc[ch] as Float32Array;
        plane[q] = ok ? (plane[q] as number) / wv : Number.NaN;
      }
    }
  }

  const geo = (scene[0] as Raster).geo as NonNullable<Raster['geo']>;
  return {
    raster: {
      width: OW,
      height: OH,
      dtype: 'float32',
      bands: acc,
      noData: Number.NaN,
      geo: { epsg: geo.epsg, transform: scaleTransform(geo.transform, sy, sx) },
    },
    validMask,
    grid,
    revisits: selection,
    scale: [sy, sx],
    warnings,
  };
}
