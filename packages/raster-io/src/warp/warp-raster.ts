// Inverse-mapping reprojection of a Raster onto a target grid (GDAL gdalwarp semantics, exact transformer).
import { pointTransformer } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import { fromFloat } from '../resample/dtype-cast.js';
import type { DType, GeoTransform, Raster, RasterArray } from '../types.js';
import { checkProjectedGrid, type ProjectedGrid } from './project-grid.js';

/** Resampling of {@link warpRaster}: GDAL's `near`, `bilinear` and `cubic` (Keys, a = −0.5). */
export const WARP_METHODS = ['nearest', 'bilinear', 'cubic'] as const;
/** One warp resampling method. */
export type WarpMethod = (typeof WARP_METHODS)[number];

/** A target pixel grid: CRS, GDAL geotransform and size. */
export interface TargetGrid {
  epsg: number;
  transform: GeoTransform;
  width: number;
  height: number;
}

/** Options of {@link warpRaster}. */
export interface WarpOptions {
  /** Resampling; default `'bilinear'`. */
  method?: WarpMethod;
  /** Output no-data value for target pixels with no valid source; default the source's, else NaN (float) or 0. */
  noData?: number;
  /** Output dtype; default the source's. Integer outputs are rounded and clamped. */
  dtype?: DType;
  /**
   * Maximum error, in source pixels, of the approximate transformer (GDAL `-et`): per target row the exact
   * transform is computed at the ends and midpoints, and linear interpolation is used wherever the midpoint
   * error is within this threshold (recursively halving otherwise). Default 0 = exact for every pixel
   * (`gdalwarp -et 0`); gdalwarp's default is 0.125.
   */
  errorThresholdPx?: number;
  /**
   * The grid's pixel centres already in the source CRS ({@link projectGrid}): the warp then runs no proj4 and
   * equals the exact warp bit for bit (`errorThresholdPx` is ignored). Must match the grid and source CRS.
   */
  projected?: ProjectedGrid;
  /** Abort between rows. */
  signal?: AbortSignal;
  /** Progress per block of rows: `{ stage: 'warp', done: rows, total: height }`. */
  onProgress?: (p: { stage: 'warp'; done: number; total: number }) => void;
}

const DEFAULT_WARP = { method: 'bilinear' } as const satisfies WarpOptions;

/** Keys cubic convolution kernel with a = −0.5 (GDAL's `cubic`). */
function cubicW(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return (1.5 * ax - 2.5) * ax * ax + 1;
  if (ax < 2) return ((-0.5 * ax + 2.5) * ax - 4) * ax + 2;
  return 0;
}

function invertTransform(t: GeoTransform, what: string): GeoTransform {
  const [ox, a, b, oy, d, e] = t;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || det === 0)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${what} geotransform ${JSON.stringify(t)} is not invertible`,
    );
  // pixel = inv * (x - ox, y - oy)
  return [ox, e / det, -b / det, oy, -d / det, a / det];
}

function checkRaster(r: Raster): void {
  const n = r.width * r.height;
  r.bands.forEach((b, i) => {
    if (b.length !== n)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `band ${i} has ${b.length} values; a ${r.width}×${r.height} raster needs ${n}`,
      );
  });
}

/**
 * Reprojects a raster onto a target grid by inverse mapping: each target pixel centre is transformed to the
 * source CRS (exactly, point by point, through proj4; like `gdalwarp -et 0`), then sampled:
 *
 * - `nearest`: the source pixel containing the point;
 * - `bilinear`: 2×2 taps around the point, weights renormalised over taps that are inside the image and not
 *   no-data (GDAL's behaviour at borders);
 * - `cubic`: 4×4 Keys (a = −0.5) taps; falls back to bilinear where a tap is outside or no-data, as GDAL does.
 *
 * Target pixels whose centre maps outside the source (or onto no-data for `nearest`) get `noData`.
 *
 * @param raster - georeferenced source raster (`geo` required).
 * @param grid - target CRS, transform and size (see {@link utmGridForBBox}).
 * @param options - method, noData, dtype, signal, onProgress.
 * @returns the warped raster with `geo` = the target grid and `noData` set.
 * @throws RasterIoError `NO_GEOREFERENCING` without `raster.geo`, `UNKNOWN_CRS` for unregistered codes,
 *   `INVALID_ARGUMENT` for a bad grid, `ABORTED` when the signal fires.
 * @example
 * const grid = utmGridForBBox([15.0, 52.0, 15.02, 52.015], 10);
 * const utm = warpRaster(lonLatRaster, grid, { method: 'bilinear' });
 */
export function warpRaster(raster: Raster, grid: TargetGrid, options: WarpOptions = {}): Raster {
  const plan = planWarp(raster, grid, options);
  const { width: W, height: H } = grid;
  const nb = raster.bands.length;
  // float outputs are written straight into their dtype (the same rounding as a float64 pass then a copy)
  const out: WarpAccumulator[] = raster.bands.map(() =>
    plan.dtype === 'float32' ? new Float32Array(W * H) : new Float64Array(W * H),
  );
  const vals = new Float64Array(nb);
  const sample = makeSampler(raster, plan.method, vals);
  const mapper = makeRowMapper(raster, grid, plan.threshold, plan.projected);
  const { signal, onProgress } = plan;
  const progressEvery = Math.max(1, Math.floor(H / 20));
  for (let row = 0; row < H; row++) {
    if (signal?.aborted)
      throw new RasterIoError('ABORTED', `warpRaster aborted at row ${row} of ${H}`, {
        cause: signal.reason,
      });
    mapper.mapRow(row + 0.5);
    fillRow(out, row, W, mapper.us, mapper.vs, raster, sample, vals, plan.noData);
    if (onProgress && ((row + 1) % progressEvery === 0 || row + 1 === H))
      onProgress({ stage: 'warp', done: row + 1, total: H });
  }
  return {
    width: W,
    height: H,
    dtype: plan.dtype,
    bands: toOutputBands(out, plan.dtype, plan.noData),
    noData: plan.noData,
    geo: { epsg: grid.epsg, transform: [...grid.transform] as GeoTransform },
  };
}

/** Output rows as they are filled: float32 for float32 outputs, float64 for the rest. */
type WarpAccumulator = Float64Array | Float32Array;

/** The validated settings of one warp. */
interface WarpPlan {
  method: WarpMethod;
  dtype: DType;
  noData: number;
  threshold: number;
  projected?: ProjectedGrid;
  signal?: AbortSignal;
  onProgress?: WarpOptions['onProgress'];
}

/** Stage 1: checks the method, source georeferencing, grid size, bands, transforms and threshold (in that order). */
function planWarp(raster: Raster, grid: TargetGrid, options: WarpOptions): WarpPlan {
  const opts = { ...DEFAULT_WARP, ...options };
  if (!(WARP_METHODS as readonly string[]).includes(opts.method))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `unknown warp method ${JSON.stringify(opts.method)}; use ${WARP_METHODS.join(', ')}`,
    );
  if (!raster.geo)
    throw new RasterIoError(
      'NO_GEOREFERENCING',
      'warpRaster needs a georeferenced source raster (raster.geo is missing)',
    );
  const { width: W, height: H } = grid;
  if (!Number.isSafeInteger(W) || W < 1 || !Number.isSafeInteger(H) || H < 1)
    throw new RasterIoError('INVALID_ARGUMENT', `target grid size ${W}×${H} must be positive integers`);
  checkRaster(raster);
  const dtype = opts.dtype ?? raster.dtype;
  const isFloat = dtype === 'float32' || dtype === 'float64';
  const noData = opts.noData ?? raster.noData ?? (isFloat ? Number.NaN : 0);
  invertTransform(raster.geo.transform, 'source');
  invertTransform(grid.transform, 'target');
  const threshold = opts.errorThresholdPx ?? 0;
  if (!(threshold >= 0))
    throw new RasterIoError('INVALID_ARGUMENT', `errorThresholdPx must be >= 0 (got ${threshold})`);
  if (opts.projected) checkProjectedGrid(opts.projected, grid, raster.geo.epsg);
  return {
    method: opts.method,
    dtype,
    noData,
    threshold,
    ...(opts.projected ? { projected: opts.projected } : {}),
    signal: opts.signal,
    onProgress: opts.onProgress,
  };
}

/** Samples every band at source pixel coordinates (u, v) into `vals`; false when no band has a valid value. */
type Sampler = (u: number, v: number) => boolean;

/** Stage 2: the resampling kernel, writing into `vals` (NaN for a band without a usable tap). */
function makeSampler(raster: Raster, method: WarpMethod, vals: Float64Array): Sampler {
  const bands = raster.bands;
  const nb = bands.length;
  const sw = raster.width;
  const sh = raster.height;
  const srcNoData = raster.noData ?? null;
  const isNd = (v: number) => (srcNoData === null ? Number.isNaN(v) : v === srcNoData || Number.isNaN(v));

  // Bilinear with renormalisation over valid, in-bounds taps. Returns false when no tap is usable.
  const bilinear = (u: number, v: number): boolean => {
    const fx = u - 0.5;
    const fy = v - 0.5;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const rx = fx - x0;
    const ry = fy - y0;
    let any = false;
    for (let b = 0; b < nb; b++) {
      const band = bands[b] as RasterArray;
      let acc = 0;
      let wsum = 0;
      for (let j = 0; j < 2; j++) {
        const yy = y0 + j;
        if (yy < 0 || yy >= sh) continue;
        const wy = j ? ry : 1 - ry;
        for (let i = 0; i < 2; i++) {
          const xx = x0 + i;
          if (xx < 0 || xx >= sw) continue;
          const w = wy * (i ? rx : 1 - rx);
          if (w === 0) continue;
          const s = band[yy * sw + xx] as number;
          if (isNd(s)) continue;
          acc += w * s;
          wsum += w;
        }
      }
      if (wsum < 1e-6) {
        vals[b] = Number.NaN;
        continue;
      }
      vals[b] = acc / wsum;
      any = true;
    }
    return any;
  };

  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const cubic = (u: number, v: number): boolean => {
    const fx = u - 0.5;
    const fy = v - 0.5;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    if (x0 - 1 < 0 || x0 + 2 >= sw || y0 - 1 < 0 || y0 + 2 >= sh) return bilinear(u, v);
    const rx = fx - x0;
    const ry = fy - y0;
    for (let k = 0; k < 4; k++) {
      wx[k] = cubicW(k - 1 - rx);
      wy[k] = cubicW(k - 1 - ry);
    }
    for (let b = 0; b < nb; b++) {
      const band = bands[b] as RasterArray;
      let acc = 0;
      for (let j = 0; j < 4; j++) {
        const row = (y0 - 1 + j) * sw + x0 - 1;
        let r = 0;
        for (let i = 0; i < 4; i++) {
          const s = band[row + i] as number;
          if (isNd(s)) return bilinear(u, v);
          r += (wx[i] as number) * s;
        }
        acc += (wy[j] as number) * r;
      }
      vals[b] = acc;
    }
    return true;
  };

  const nearest = (u: number, v: number): boolean => {
    const idx = Math.floor(v) * sw + Math.floor(u);
    let any = false;
    for (let b = 0; b < nb; b++) {
      const s = (bands[b] as RasterArray)[idx] as number;
      if (isNd(s)) vals[b] = Number.NaN;
      else {
        vals[b] = s;
        any = true;
      }
    }
    return any;
  };
  return method === 'nearest' ? nearest : method === 'cubic' ? cubic : bilinear;
}

/** Source pixel coordinates of one target row, filled by `mapRow(py)` into `us`/`vs`. */
interface RowMapper {
  us: Float64Array;
  vs: Float64Array;
  mapRow(py: number): void;
}

/** Stage 3: target pixel centres → source pixel coordinates, exact or GDAL's approximate transformer. */
function makeRowMapper(
  raster: Raster,
  grid: TargetGrid,
  threshold: number,
  projected: ProjectedGrid | undefined,
): RowMapper {
  const geo = raster.geo as NonNullable<Raster['geo']>;
  const W = grid.width;
  const [tox, ta, tb, toy, td, te] = grid.transform;
  const [sox, i00, i01, soy, i10, i11] = invertTransform(geo.transform, 'source');
  if (projected) return projectedRowMapper(projected, W, [sox, i00, i01, soy, i10, i11]);
  const project = grid.epsg === geo.epsg ? null : pointTransformer(grid.epsg, geo.epsg);
  const us = new Float64Array(W);
  const vs = new Float64Array(W);
  const tmp = new Float64Array(2);
  // exact source pixel coordinates of target pixel (col, row) into us/vs
  const exact = (col: number, py: number): void => {
    const px = col + 0.5;
    let x = tox + ta * px + tb * py;
    let y = toy + td * px + te * py;
    if (project) {
      project(x, y, tmp);
      x = tmp[0] as number;
      y = tmp[1] as number;
    }
    const dx = x - sox;
    const dy = y - soy;
    us[col] = i00 * dx + i01 * dy;
    vs[col] = i10 * dx + i11 * dy;
  };
  // GDAL-style approximate transformer: linear between exact points while the midpoint error is small
  const approx = (a: number, b: number, py: number): void => {
    if (b - a < 2) return;
    const m = (a + b) >> 1;
    exact(m, py);
    const t = (m - a) / (b - a);
    const ua = us[a] as number;
    const va = vs[a] as number;
    const ub = us[b] as number;
    const vb = vs[b] as number;
    const err = Math.max(
      Math.abs(ua + (ub - ua) * t - (us[m] as number)),
      Math.abs(va + (vb - va) * t - (vs[m] as number)),
    );
    if (err <= threshold) {
      for (let c = a + 1; c < b; c++) {
        const s = (c - a) / (b - a);
        us[c] = ua + (ub - ua) * s;
        vs[c] = va + (vb - va) * s;
      }
      return;
    }
    approx(a, m, py);
    approx(m, b, py);
  };
  const mapRow = (py: number): void => {
    if (threshold > 0 && project && W > 2) {
      exact(0, py);
      exact(W - 1, py);
      approx(0, W - 1, py);
    } else for (let col = 0; col < W; col++) exact(col, py);
  };
  return { us, vs, mapRow };
}

/** Row mapper over precomputed source-CRS coordinates: the same arithmetic as the exact mapper. */
function projectedRowMapper(p: ProjectedGrid, W: number, inv: GeoTransform): RowMapper {
  const [sox, i00, i01, soy, i10, i11] = inv;
  const us = new Float64Array(W);
  const vs = new Float64Array(W);
  const { x: xs, y: ys } = p;
  const mapRow = (py: number): void => {
    const o = Math.floor(py) * W;
    for (let col = 0; col < W; col++) {
      const dx = (xs[o + col] as number) - sox;
      const dy = (ys[o + col] as number) - soy;
      us[col] = i00 * dx + i01 * dy;
      vs[col] = i10 * dx + i11 * dy;
    }
  };
  return { us, vs, mapRow };
}

/** Stage 4: samples one target row into the float64 output bands (noData where nothing valid maps). */
function fillRow(
  out: WarpAccumulator[],
  row: number,
  W: number,
  us: Float64Array,
  vs: Float64Array,
  raster: Raster,
  sample: Sampler,
  vals: Float64Array,
  noData: number,
): void {
  const nb = out.length;
  const sw = raster.width;
  const sh = raster.height;
  for (let col = 0; col < W; col++) {
    const u = us[col] as number;
    const v = vs[col] as number;
    const o = row * W + col;
    // NaN coordinates fail these comparisons too
    if (!(u >= 0 && u < sw && v >= 0 && v < sh) || !sample(u, v)) {
      for (let b = 0; b < nb; b++) (out[b] as WarpAccumulator)[o] = noData;
      continue;
    }
    for (let b = 0; b < nb; b++) {
      const val = vals[b] as number;
      (out[b] as WarpAccumulator)[o] = Number.isNaN(val) ? noData : val;
    }
  }
}

/** Stage 5: the accumulators as the output dtype (float ones already are; integers rounded and clamped). */
function toOutputBands(out: WarpAccumulator[], dtype: DType, noData: number): RasterArray[] {
  return out.map((b) =>
    dtype === 'float32' || dtype === 'float64' ? b : fromFloat(b as Float64Array, dtype, noData),
  );
}
