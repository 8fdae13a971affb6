// Inverse-mapping reprojection of a Raster onto a target grid (GDAL gdalwarp semantics, exact or approximate
// transformer, source validity masks).

import { pointTransformer } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import {
  checkOptions,
  checkRaster as checkRasterArgument,
  checkTransform,
  describeValue,
  withinMemory,
} from '../internal/check-args.js';
import { DEFAULT_RASTER_IO_LIMITS } from '../read/limits.js';
import { adjustNoDataToDtype, allocBand, castToDtype } from '../resample/dtype-cast.js';
import { DTYPES, type DType, type GeoTransform, type Raster, type RasterArray } from '../types.js';
import { approxRow } from './approx-transformer.js';
import { type LongitudeWrap, sourceLongitudeWrap } from './longitude-wrap.js';
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
  centreIndex,
  cubicRow,
  cubicScratch,
  type KernelRow,
  type KernelSource,
  nearestRow,
  type WarpAccumulator,
} from './warp-kernels.js';
import { type GdalType, toIntegerBand, usesGeneralKernel, workingType } from './warp-output.js';
import { invertTransform, warpGeometry } from './warp-source-window.js';

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
   * Maximum error, in source pixels, of gdalwarp's approximate transformer (`-et`): per target row the first,
   * middle and last points are transformed exactly, and the run is interpolated on the line through its ends where
   * the middle is within this threshold of it (|Δx| + |Δy|), else split into [0, middle) and [middle, n), runs of 5
   * points or fewer exact; a point interpolated just off the source is transformed again exactly. Default 0 = exact
   * for every pixel (`gdalwarp -et 0`); gdalwarp's default is 0.125. A warp within one CRS is always exact.
   */
  errorThresholdPx?: number;
  /**
   * The grid's pixel centres already in the source CRS ({@link projectGrid}): the warp then runs no proj4 and
   * equals the exact warp bit for bit (`errorThresholdPx` is ignored). Must match the grid and source CRS.
   */
  projected?: ProjectedGrid;
  /**
   * Source validity, one byte per source pixel (row-major, `width × height`): 0 marks a pixel invalid in every
   * band, any other value valid, as gdalwarp uses a per-dataset mask (GDAL's internal mask; `readMask` returns one,
   * 255/0). An invalid pixel is not used as data nor blended into its neighbours, and a target pixel whose centre
   * falls on one gets no value.
   */
  srcMask?: Uint8Array;
  /**
   * 0-based index of the source band that is an alpha band (GDAL colour interpretation Alpha), used as gdalwarp
   * uses one by default: its zeros are invalid pixels (as in `srcMask`), it is not resampled, and the output's band
   * at this index holds the alpha of the source pixel under each target pixel centre where that pixel got a value,
   * 0 elsewhere (fully transparent).
   */
  alphaBand?: number;
  /** Abort between rows. */
  signal?: AbortSignal;
  /** Progress per block of rows: `{ stage: 'warp', done: rows, total: height }`. */
  onProgress?: (p: { stage: 'warp'; done: number; total: number }) => void;
}

const DEFAULT_WARP = { method: 'bilinear' } as const satisfies WarpOptions;

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
 * Target pixels whose centre maps outside the source, or onto a pixel that is masked (`srcMask`, alpha 0) or
 * no-data in every band, get `noData` (for `nearest`, a band whose pixel is no-data gets it too); masked pixels
 * are never taps. Like gdalwarp, a source 1 pixel wide or high is sampled nearest, and integer outputs round half up
 * and keep valid values off `noData`.
 *
 * @param raster - georeferenced source raster (`geo` required).
 * @param grid - target CRS, transform and size (see {@link utmGridForBBox}).
 * @param options - method, noData, dtype, errorThresholdPx, projected, srcMask, alphaBand, signal, onProgress.
 * @returns the warped raster with `geo` = the target grid and `noData` set.
 * @throws RasterIoError `NO_GEOREFERENCING` without `raster.geo`, `UNKNOWN_CRS` for unregistered codes,
 *   `INVALID_ARGUMENT` for a bad grid, a `srcMask` of the wrong size or an `alphaBand` that is no band, `ABORTED`
 *   when the signal fires.
 * @example
 * const grid = utmGridForBBox([15.0, 52.0, 15.02, 52.015], 10);
 * const utm = warpRaster(lonLatRaster, grid, { method: 'bilinear' });
 */
export function warpRaster(raster: Raster, grid: TargetGrid, options: WarpOptions = {}): Raster {
  return withinMemory('warpRaster', () => {
    const plan = planWarp(raster, grid, options);
    const { width: W, height: H } = grid;
    const { alphaBand } = plan;
    const dataBands = raster.bands.filter((_, i) => i !== alphaBand);
    // float outputs are written straight into their dtype (the same rounding as a float64 pass then a copy)
    const out: WarpAccumulator[] = dataBands.map(() =>
      plan.dtype === 'float32' ? new Float32Array(W * H) : new Float64Array(W * H),
    );
    // integer outputs (and outputs with an alpha band) are filled with NaN where there is no value, so that a valid
    // value equal to noData is told apart
    const kernelNoData = plan.integer || alphaBand !== undefined ? Number.NaN : plan.noData;
    const src: KernelSource = {
      bands: dataBands,
      width: raster.width,
      height: raster.height,
      noData: raster.noData ?? Number.NaN,
      valid: sourceValidity(raster, plan),
    };
    const alphaOut = alphaBand === undefined ? null : new Float64Array(W * H);
    const kernel = rowKernel(plan, W, raster, grid);
    const mapper = makeRowMapper(raster, grid, plan.threshold, plan.projected);
    const { signal, onProgress } = plan;
    const progressEvery = Math.max(1, Math.floor(H / 20));
    for (let row = 0; row < H; row++) {
      if (signal?.aborted)
        throw new RasterIoError('ABORTED', `warpRaster aborted at row ${row} of ${H}`, {
          cause: signal.reason,
        });
      mapper.mapRow(row + 0.5);
      if (mapper.approximate) retryNearWindow(mapper, W, kernel.window);
      const kernelRow = { offset: row * W, width: W, us: mapper.us, vs: mapper.vs };
      kernel.fill(out, kernelRow, src, kernelNoData);
      if (alphaOut) alphaRow(alphaOut, kernelRow, src, out, raster.bands[alphaBand as number] as RasterArray);
      if (onProgress && ((row + 1) % progressEvery === 0 || row + 1 === H))
        onProgress({ stage: 'warp', done: row + 1, total: H });
    }
    const bands = toOutputBands(out, plan);
    if (alphaOut) bands.splice(alphaBand as number, 0, castBand(alphaOut, plan.dtype));
    return {
      width: W,
      height: H,
      dtype: plan.dtype,
      bands,
      noData: plan.noData,
      geo: { epsg: grid.epsg, transform: [...grid.transform] as GeoTransform },
    };
  });
}

/** The kernels' validity mask: `srcMask` and the alpha band's non-zero pixels (null when neither is given). */
function sourceValidity(raster: Raster, plan: WarpPlan): Uint8Array | null {
  const { srcMask, alphaBand } = plan;
  if (alphaBand === undefined) return srcMask ?? null;
  const alpha = raster.bands[alphaBand] as RasterArray;
  const valid = new Uint8Array(alpha.length);
  for (let i = 0; i < valid.length; i++)
    valid[i] = (alpha[i] as number) !== 0 && (srcMask === undefined || srcMask[i] !== 0) ? 1 : 0;
  return valid;
}

/**
 * One row of the output alpha band, as gdalwarp writes its destination alpha: the alpha of the source pixel under
 * the target pixel centre where some band got a value (0 where none did).
 */
function alphaRow(
  alphaOut: Float64Array,
  row: KernelRow,
  src: KernelSource,
  dataOut: readonly WarpAccumulator[],
  alpha: RasterArray,
): void {
  const { offset, width: W, us, vs } = row;
  for (let col = 0; col < W; col++) {
    const i = offset + col;
    const u = us[col] as number;
    const v = vs[col] as number;
    let found = false;
    if (dataOut.length === 0) {
      const inside = u >= 0 && u < src.width && v >= 0 && v < src.height;
      found = inside && src.valid?.[centreIndex(src.width, src.height, u, v)] !== 0;
    } else
      for (let b = 0; b < dataOut.length && !found; b++)
        found = !Number.isNaN((dataOut[b] as WarpAccumulator)[i] as number);
    alphaOut[i] = found ? (alpha[centreIndex(src.width, src.height, u, v)] as number) : 0;
  }
}

/** Alpha values as a band of the output dtype (clamped to its range). */
function castBand(values: Float64Array, dtype: DType): RasterArray {
  const band = allocBand(dtype, values.length);
  for (let i = 0; i < values.length; i++) band[i] = castToDtype(values[i] as number, dtype);
  return band;
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
  /** Source validity (`srcMask`) and the alpha band, when given. */
  srcMask?: Uint8Array;
  alphaBand?: number;
  /** Whether gdalwarp would have a source validity mask (a mask or alpha band: its general kernel runs). */
  validity: boolean;
  /** Whether the output is an integer type (converted by {@link toIntegerBand}). */
  integer: boolean;
}

const MAX_WARP_PIXELS = DEFAULT_RASTER_IO_LIMITS.maxPixels;

/** The types of the raster, grid and options, before the geometry is checked. */
/** The target grid's size: positive integers, at most {@link MAX_WARP_PIXELS} pixels (the output is allocated). */
function checkGridSize(grid: TargetGrid): void {
  const { width: W, height: H } = grid;
  if (!Number.isSafeInteger(W) || W < 1 || !Number.isSafeInteger(H) || H < 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `target grid size ${describeValue(W)}×${describeValue(H)} must be positive integers`,
    );
  if (W * H > MAX_WARP_PIXELS)
    throw new RasterIoError('TOO_LARGE', `target grid ${W}×${H} has more than ${MAX_WARP_PIXELS} pixels`);
}

/**
 * The checks of a target grid and the output options that need no source: what `warpGeoTiff` must pass before it
 * allocates an all-nodata result for a grid that misses the file.
 * @throws RasterIoError `INVALID_ARGUMENT` or `TOO_LARGE`, as {@link warpRaster} throws them
 */
export function checkTargetGrid(
  fn: string,
  grid: TargetGrid,
  opts: Pick<WarpOptions, 'dtype' | 'noData'>,
): void {
  checkGridShape(fn, grid);
  checkOutputOptions(fn, opts);
  checkGridSize(grid);
}

function checkGridShape(fn: string, grid: TargetGrid): void {
  if (grid === null || typeof grid !== 'object')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: grid must be { epsg, transform, width, height }, got ${describeValue(grid)}`,
    );
  checkTransform(fn, 'grid.transform', grid.transform);
}

function checkOutputOptions(fn: string, opts: Pick<WarpOptions, 'dtype' | 'noData'>): void {
  if (opts.dtype !== undefined && !(DTYPES as readonly unknown[]).includes(opts.dtype))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: dtype must be one of ${DTYPES.join(', ')}, got ${describeValue(opts.dtype)}`,
    );
  if (opts.noData !== undefined && typeof opts.noData !== 'number')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: noData must be a number, got ${describeValue(opts.noData)}`,
    );
}

function checkWarpArguments(raster: Raster, grid: TargetGrid, opts: WarpOptions): void {
  const fn = 'warpRaster';
  checkRasterArgument(fn, raster);
  checkGridShape(fn, grid);
  const bad = (name: string, value: unknown, want: string): never => {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: ${name} must be ${want}, got ${describeValue(value)}`,
    );
  };
  checkOutputOptions(fn, opts);
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
  checkGridSize(grid);
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
  checkValidityOptions(raster, opts);
  return {
    method: opts.method,
    dtype,
    noData,
    ...gdalModel(raster.noData ?? null, opts.noData, dtype, noData),
    ...(opts.srcMask ? { srcMask: opts.srcMask } : {}),
    ...(opts.alphaBand !== undefined ? { alphaBand: opts.alphaBand } : {}),
    validity: opts.srcMask !== undefined || opts.alphaBand !== undefined,
    integer: !isFloat,
    threshold,
    ...(opts.projected ? { projected: opts.projected } : {}),
    signal: opts.signal,
    onProgress: opts.onProgress,
  };
}

/** `srcMask`: one byte per source pixel; `alphaBand`: the index of one of its bands. */
function checkValidityOptions(raster: Raster, opts: WarpOptions): void {
  const { srcMask, alphaBand } = opts;
  const n = raster.width * raster.height;
  if (srcMask !== undefined && (!(srcMask instanceof Uint8Array) || srcMask.length !== n))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `warpRaster: srcMask must be a Uint8Array of ${n} bytes (one per pixel of the ${raster.width}×${raster.height} source), got ${describeValue(srcMask)}${srcMask instanceof Uint8Array ? ` of ${srcMask.length}` : ''}`,
    );
  if (
    alphaBand !== undefined &&
    (!Number.isSafeInteger(alphaBand) || alphaBand < 0 || alphaBand >= raster.bands.length)
  )
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `warpRaster: alphaBand must be the index of a source band (0..${raster.bands.length - 1}), got ${describeValue(alphaBand)}`,
    );
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
  /** Transforms one column of the row last mapped again, exactly (a no-op where the row already is exact). */
  exactAgain(col: number): void;
  /** Whether `mapRow` interpolates (GDAL's approximate transformer). */
  approximate: boolean;
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
  const wrap = sourceLongitudeWrap(geo, raster.width, raster.height);
  if (projected) return projectedRowMapper(projected, W, [sox, i00, i01, soy, i10, i11], wrap);
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
    if (wrap) x = wrap(x);
    const dx = x - sox;
    const dy = y - soy;
    us[col] = i00 * dx + i01 * dy;
    vs[col] = i10 * dx + i11 * dy;
  };
  // gdalwarp's approximate transformer where there is a projection (the same CRS is exact: affine)
  const approximate = threshold > 0 && project !== null;
  let rowY = 0.5;
  const mapRow = (py: number): void => {
    rowY = py;
    if (approximate) approxRow(us, vs, W, threshold, (col) => exact(col, py));
    else for (let col = 0; col < W; col++) exact(col, py);
  };
  return { us, vs, mapRow, exactAgain: (col) => exact(col, rowY), approximate };
}

/** Row mapper over precomputed source-CRS coordinates: the same arithmetic as the exact mapper. */
function projectedRowMapper(
  p: ProjectedGrid,
  W: number,
  inv: GeoTransform,
  wrap: LongitudeWrap | null,
): RowMapper {
  const [sox, i00, i01, soy, i10, i11] = inv;
  const us = new Float64Array(W);
  const vs = new Float64Array(W);
  const { x: xs, y: ys } = p;
  const mapRow = (py: number): void => {
    const o = Math.floor(py) * W;
    for (let col = 0; col < W; col++) {
      const x = xs[o + col] as number;
      const dx = (wrap ? wrap(x) : x) - sox;
      const dy = (ys[o + col] as number) - soy;
      us[col] = i00 * dx + i01 * dy;
      vs[col] = i10 * dx + i11 * dy;
    }
  };
  return { us, vs, mapRow, exactAgain: () => {}, approximate: false };
}

/**
 * Stage 4: the row kernel of the method (noData where nothing valid maps): for bilinear and cubic onto a grid
 * coarser than the source, gdalwarp's stretched kernel ({@link downsamplingPlan}).
 */
function rowKernel(plan: WarpPlan, width: number, raster: Raster, grid: TargetGrid): RowKernel {
  const { method } = plan;
  const whole: SourceWindow = { x0: 0, y0: 0, x1: raster.width, y1: raster.height };
  if (method === 'nearest' || samplesNearest(plan, raster)) return { fill: nearestRow, window: whole };
  const geometry = warpGeometry(raster.geo as NonNullable<Raster['geo']>, raster, grid);
  const down = downsamplingPlan(geometry, method === 'bilinear' ? 1 : 2);
  if (down) {
    const weight = method === 'bilinear' ? linearWeight : keysCubicWeight;
    const scratch = downsampledScratch(down);
    const { x, y } = down;
    return {
      fill: (out, row, src, noData) => downsampledRow(out, row, src, noData, down, weight, scratch),
      window: { x0: x.offset, y0: y.offset, x1: x.offset + x.size, y1: y.offset + y.size },
    };
  }
  if (method === 'bilinear') return { fill: bilinearRow, window: whole };
  const scratch = cubicScratch(width);
  return { fill: (out, row, src, noData) => cubicRow(out, row, src, noData, scratch), window: whole };
}

/** The source pixels a kernel reads, in full-source pixel coordinates (end exclusive). */
interface SourceWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A row kernel and the source window its points must fall in. */
interface RowKernel {
  fill: (out: WarpAccumulator[], row: KernelRow, src: KernelSource, noData: number) => void;
  window: SourceWindow;
}

/**
 * gdalwarp's second try for an interpolated point just off the source window (less than a pixel: past its
 * start, or past its end by up to 1 − 1e-10): that point is transformed again, alone, exactly, and kept if it
 * then falls inside. Interpolation can put a point a few hundredths of a pixel past an edge that it is inside of.
 */
function retryNearWindow(mapper: RowMapper, width: number, w: SourceWindow): void {
  const { us, vs } = mapper;
  for (let col = 0; col < width; col++) {
    const u = us[col] as number;
    const v = vs[col] as number;
    const low = u < w.x0 || v < w.y0;
    const high = !low && (u + 1e-10 > w.x1 || v + 1e-10 > w.y1);
    const retry =
      (low && u > w.x0 - 1 && v > w.y0 - 1) || (high && u + 1e-10 < w.x1 + 1 && v + 1e-10 < w.y1 + 1);
    if (retry) mapper.exactAgain(col);
  }
}

/**
 * Whether bilinear or cubic sample nearest: gdalwarp's general kernel does so for a source 1 pixel wide or high
 * (both axes); its fast paths (no no-data value, 8/16-bit or float32) interpolate it.
 */
function samplesNearest(plan: WarpPlan, raster: Raster): boolean {
  if (raster.width !== 1 && raster.height !== 1) return false;
  return usesGeneralKernel(plan.method, plan.working, plan.masked || plan.validity);
}

/** Stage 5: the accumulators as the output dtype (float ones already are; integers as gdalwarp writes them). */
function toOutputBands(out: WarpAccumulator[], plan: WarpPlan): RasterArray[] {
  if (!plan.integer) {
    // with an alpha band the kernels marked "no value" with NaN (see warpRaster)
    if (plan.alphaBand !== undefined && !Number.isNaN(plan.noData))
      for (const b of out)
        for (let i = 0; i < b.length; i++) if (Number.isNaN(b[i] as number)) b[i] = plan.noData;
    return out;
  }
  const { dtype, noData, working, masked, method } = plan;
  // only a no-data value in force is avoided, and only by gdalwarp's general kernel
  const avoidNoData = masked && usesGeneralKernel(method, working, masked || plan.validity);
  return out.map((b) => toIntegerBand(b as Float64Array, { dtype, noData, working, avoidNoData }));
}
