// Inverse-mapping reprojection of a Raster onto a target grid (GDAL gdalwarp semantics, exact transformer).

import { pointTransformer, transformCoords } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import {
  checkOptions,
  checkRaster as checkRasterArgument,
  checkTransform,
  describeValue,
} from '../internal/check-args.js';
import { DEFAULT_RASTER_IO_LIMITS } from '../read/limits.js';
import { adjustNoDataToDtype } from '../resample/dtype-cast.js';
import { DTYPES, type DType, type GeoTransform, type Raster, type RasterArray } from '../types.js';
import { checkProjectedGrid, type ProjectedGrid } from './project-grid.js';
import {
  downsampledRow,
  downsampledScratch,
  downsamplingPlan,
  keysCubicWeight,
  linearWeight,
} from './warp-downsampling.js';
import {
  bilinearRow,
  cubicRow,
  cubicScratch,
  type KernelRow,
  type KernelSource,
  nearestRow,
  type WarpAccumulator,
} from './warp-kernels.js';
import { type GdalType, toIntegerBand, usesGeneralKernel, workingType } from './warp-output.js';

/**
 * Resampling of {@link warpRaster}: GDAL's `near`, `bilinear` and `cubic` (Keys, a = −0.5); bilinear and cubic
 * stretch their kernel onto coarser grids as gdalwarp does.
 */
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
  /**
   * Output no-data value for target pixels with no valid source; default the source's, else NaN (float) or 0.
   * A value the output dtype cannot hold is adjusted as gdalwarp adjusts `-dstnodata` (uint8 300 → 255).
   */
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

function invertTransform(t: GeoTransform, what: string): GeoTransform {
  const [ox, a, b, oy, d, e] = t;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || det === 0)
    throw new RasterIoError('INVALID_ARGUMENT', `${what} geotransform ${describeValue(t)} is not invertible`);
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
 * - `cubic`: 4×4 Keys (a = −0.5) taps; a band falls back to bilinear where a tap is outside or no-data in that
 *   band, as GDAL does.
 *
 * Target pixels whose centre maps outside the source, or onto a pixel that is no-data in every band, get
 * `noData` (for `nearest`, a band whose pixel is no-data gets it too). Like gdalwarp, a source 1 pixel wide or
 * high is sampled nearest, and integer outputs round half up and keep valid values off `noData`.
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
  // float outputs are written straight into their dtype (the same rounding as a float64 pass then a copy)
  const out: WarpAccumulator[] = raster.bands.map(() =>
    plan.dtype === 'float32' ? new Float32Array(W * H) : new Float64Array(W * H),
  );
  // integer outputs are filled with NaN where there is no value, so that a valid value equal to noData is told apart
  const kernelNoData = plan.integer ? Number.NaN : plan.noData;
  const src: KernelSource = {
    bands: raster.bands,
    width: raster.width,
    height: raster.height,
    noData: raster.noData ?? Number.NaN,
  };
  const fillRow = rowKernel(plan, W, raster, grid);
  const mapper = makeRowMapper(raster, grid, plan.threshold, plan.projected);
  const { signal, onProgress } = plan;
  const progressEvery = Math.max(1, Math.floor(H / 20));
  for (let row = 0; row < H; row++) {
    if (signal?.aborted)
      throw new RasterIoError('ABORTED', `warpRaster aborted at row ${row} of ${H}`, {
        cause: signal.reason,
      });
    mapper.mapRow(row + 0.5);
    fillRow(out, { offset: row * W, width: W, us: mapper.us, vs: mapper.vs }, src, kernelNoData);
    if (onProgress && ((row + 1) % progressEvery === 0 || row + 1 === H))
      onProgress({ stage: 'warp', done: row + 1, total: H });
  }
  return {
    width: W,
    height: H,
    dtype: plan.dtype,
    bands: toOutputBands(out, plan),
    noData: plan.noData,
    geo: { epsg: grid.epsg, transform: [...grid.transform] as GeoTransform },
  };
}

/** The validated settings of one warp. */
interface WarpPlan {
  method: WarpMethod;
  dtype: DType;
  noData: number;
  threshold: number;
  projected?: ProjectedGrid;
  signal?: AbortSignal;
  onProgress?: WarpOptions['onProgress'];
  /** gdalwarp's working type and whether a no-data value is in force (see {@link gdalModel}). */
  working: GdalType;
  masked: boolean;
  /** Whether the output is an integer type (converted by {@link toIntegerBand}). */
  integer: boolean;
}

const MAX_WARP_PIXELS = DEFAULT_RASTER_IO_LIMITS.maxPixels;

/** The types of the raster, grid and options, before the geometry is checked. */
function checkWarpArguments(raster: Raster, grid: TargetGrid, opts: WarpOptions): void {
  const fn = 'warpRaster';
  checkRasterArgument(fn, raster);
  if (grid === null || typeof grid !== 'object')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: grid must be { epsg, transform, width, height }, got ${describeValue(grid)}`,
    );
  checkTransform(fn, 'grid.transform', grid.transform);
  const bad = (name: string, value: unknown, want: string): never => {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: ${name} must be ${want}, got ${describeValue(value)}`,
    );
  };
  if (opts.dtype !== undefined && !(DTYPES as readonly unknown[]).includes(opts.dtype))
    bad('dtype', opts.dtype, `one of ${DTYPES.join(', ')}`);
  if (opts.noData !== undefined && typeof opts.noData !== 'number') bad('noData', opts.noData, 'a number');
  const et = opts.errorThresholdPx;
  if (et !== undefined && (typeof et !== 'number' || !Number.isFinite(et)))
    bad('errorThresholdPx', et, 'a finite number');
  if (opts.signal != null && typeof opts.signal.aborted !== 'boolean')
    bad('signal', opts.signal, 'an AbortSignal');
  if (opts.onProgress != null && typeof opts.onProgress !== 'function')
    bad('onProgress', opts.onProgress, 'a function');
  const p = opts.projected as ProjectedGrid | undefined;
  const projectedOk =
    p === undefined ||
    (p !== null &&
      typeof p === 'object' &&
      p.grid !== null &&
      typeof p.grid === 'object' &&
      Array.isArray(p.grid.transform) &&
      p.x instanceof Float64Array &&
      p.y instanceof Float64Array);
  if (!projectedOk) bad('projected', p, 'the result of projectGrid');
}

/** Stage 1: checks the method, source georeferencing, grid size, bands, transforms and threshold (in that order). */
function planWarp(raster: Raster, grid: TargetGrid, options: WarpOptions): WarpPlan {
  const opts = { ...DEFAULT_WARP, ...checkOptions('warpRaster', options) };
  if (!(WARP_METHODS as readonly string[]).includes(opts.method))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `unknown warp method ${describeValue(opts.method)}; use ${WARP_METHODS.join(', ')}`,
    );
  checkWarpArguments(raster, grid, opts);
  if (!raster.geo)
    throw new RasterIoError(
      'NO_GEOREFERENCING',
      'warpRaster needs a georeferenced source raster (raster.geo is missing)',
    );
  const { width: W, height: H } = grid;
  if (!Number.isSafeInteger(W) || W < 1 || !Number.isSafeInteger(H) || H < 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `target grid size ${describeValue(W)}×${describeValue(H)} must be positive integers`,
    );
  if (W * H > MAX_WARP_PIXELS)
    throw new RasterIoError('TOO_LARGE', `target grid ${W}×${H} has more than ${MAX_WARP_PIXELS} pixels`);
  checkRaster(raster);
  const dtype = opts.dtype ?? raster.dtype;
  const isFloat = dtype === 'float32' || dtype === 'float64';
  // an asked no-data value is adjusted to the output type as gdalwarp adjusts -dstnodata (300 → 255 in uint8),
  // and reported so; a source's own is kept as gdalwarp keeps it (its pixels are stored clamped)
  const noData =
    opts.noData !== undefined
      ? adjustNoDataToDtype(opts.noData, dtype)
      : (raster.noData ?? (isFloat ? Number.NaN : 0));
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
    ...gdalModel(raster.noData ?? null, opts.noData, dtype, noData),
    integer: !isFloat,
    threshold,
    ...(opts.projected ? { projected: opts.projected } : {}),
    signal: opts.signal,
    onProgress: opts.onProgress,
  };
}

/**
 * What gdalwarp would run: a no-data value is in force when the source or the options give one, or the output
 * is float (NaN: `-dstnodata nan`); an integer output without one is gdalwarp without `-dstnodata`.
 */
function gdalModel(
  srcNoData: number | null,
  optNoData: number | undefined,
  dtype: DType,
  noData: number,
): { working: GdalType; masked: boolean } {
  const isFloat = dtype === 'float32' || dtype === 'float64';
  const masked = srcNoData !== null || optNoData !== undefined || isFloat;
  return { working: workingType(dtype, srcNoData, masked ? noData : null), masked };
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

/**
 * Stage 4: the row kernel of the method (noData where nothing valid maps): for bilinear and cubic onto a grid
 * coarser than the source, gdalwarp's stretched kernel ({@link downsamplingPlan}).
 */
function rowKernel(
  plan: WarpPlan,
  width: number,
  raster: Raster,
  grid: TargetGrid,
): (out: WarpAccumulator[], row: KernelRow, src: KernelSource, noData: number) => void {
  const { method } = plan;
  if (method === 'nearest' || samplesNearest(plan, raster)) return nearestRow;
  const down = downsamplingPlan(sourcePixelsOf(raster, grid), grid, raster, method === 'bilinear' ? 1 : 2);
  if (down) {
    const weight = method === 'bilinear' ? linearWeight : keysCubicWeight;
    const scratch = downsampledScratch(down);
    return (out, row, src, noData) => downsampledRow(out, row, src, noData, down, weight, scratch);
  }
  if (method === 'bilinear') return bilinearRow;
  const scratch = cubicScratch(width);
  return (out, row, src, noData) => cubicRow(out, row, src, noData, scratch);
}

/** Target pixel coordinates → source pixel coordinates, exactly, for a batch of points (the source window's). */
function sourcePixelsOf(
  raster: Raster,
  grid: TargetGrid,
): (points: [number, number][]) => [number, number][] {
  const geo = raster.geo as NonNullable<Raster['geo']>;
  const [tox, ta, tb, toy, td, te] = grid.transform;
  const [sox, i00, i01, soy, i10, i11] = invertTransform(geo.transform, 'source');
  return (points) => {
    const world = points.map(([px, py]): [number, number] => [
      tox + ta * px + tb * py,
      toy + td * px + te * py,
    ]);
    const there = grid.epsg === geo.epsg ? world : transformCoords(grid.epsg, geo.epsg, world);
    return there.map(([x, y]) => [i00 * (x - sox) + i01 * (y - soy), i10 * (x - sox) + i11 * (y - soy)]);
  };
}

/**
 * Whether bilinear or cubic sample nearest: gdalwarp's general kernel does so for a source 1 pixel wide or high
 * (both axes); its fast paths (no no-data value, 8/16-bit or float32) interpolate it.
 */
function samplesNearest(plan: WarpPlan, raster: Raster): boolean {
  if (raster.width !== 1 && raster.height !== 1) return false;
  return usesGeneralKernel(plan.method, plan.working, plan.masked);
}

/** Stage 5: the accumulators as the output dtype (float ones already are; integers as gdalwarp writes them). */
function toOutputBands(out: WarpAccumulator[], plan: WarpPlan): RasterArray[] {
  if (!plan.integer) return out;
  const { dtype, noData, working, masked, method } = plan;
  // only a no-data value in force is avoided, and only by gdalwarp's general kernel
  const avoidNoData = masked && usesGeneralKernel(method, working, masked);
  return out.map((b) => toIntegerBand(b as Float64Array, { dtype, noData, working, avoidNoData }));
}
