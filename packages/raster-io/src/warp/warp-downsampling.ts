// gdalwarp's bilinear and cubic when the target is coarser than the source: the kernel is stretched by the
// ratio of the resolutions, so a target pixel averages every source pixel under it instead of sampling the 2×2
// or 4×4 around its centre (which aliases). The ratio, the source window the taps are clipped to and the kernel
// radius follow GDAL 3.6 for a warp done in one piece (GDALWarpOperation::ComputeSourceWindow and
// GDALWarpKernel::PerformWarp; GDAL cuts a warp into pieces only past its 64 MiB working memory).
import type { RasterArray } from '../types.js';
import type { KernelRow, KernelSource, WarpAccumulator } from './warp-kernels.js';
import { sampledXScale, sampleSourceExtent, type WarpGeometry } from './warp-source-window.js';

/** One axis of a downsampling warp: the source window the taps are clipped to, the kernel scale and radius. */
export interface DownsamplingAxis {
  offset: number;
  size: number;
  /** Target pixels per source pixel (< 1), snapped to 1/n within 0.05 of it, as GDAL snaps it. */
  scale: number;
  /** Taps each side: ceil(filter radius / scale). */
  radius: number;
}

/** Both axes of a downsampling warp; the stretched kernel is used when either scale is below 0.95. */
export interface DownsamplingPlan {
  x: DownsamplingAxis;
  y: DownsamplingAxis;
}

/**
 * The downsampling plan of a warp, or null when GDAL uses its fixed 2×2 / 4×4 kernels (both scales ≥ 0.95) or
 * the grid misses the source. The source window and its scales come from {@link sampleSourceExtent}; where the
 * window-based x-scale is over 100 times smaller than the y-scale (a window as wide as a global source, across
 * the antimeridian or around a pole) it is the local one ({@link sampledXScale}), as gdalwarp corrects it.
 * `filterRadius` is 1 for bilinear, 2 for cubic.
 */
export function downsamplingPlan(g: WarpGeometry, filterRadius: number): DownsamplingPlan | null {
  const e = sampleSourceExtent(g);
  if (!e) return null;
  // gdalwarp widens the window by 10 pixels when a sample point failed
  const extraPad = e.failed > 0 ? 10 : 0;
  const x = axisPlan(e.minU, e.maxU, g.target.width, g.source.width, filterRadius, extraPad);
  const y = axisPlan(e.minV, e.maxV, g.target.height, g.source.height, filterRadius, extraPad);
  if (!x || !y) return null;
  if (y.scale / x.scale > 100) {
    const local = sampledXScale(g);
    if (local !== null) {
      x.scale = local;
      x.radius = local < 1 ? Math.ceil(filterRadius / local) : filterRadius;
    }
  }
  if (x.scale >= 0.95 && y.scale >= 0.95) return null;
  // a kernel wider than its window: GDAL falls back to the 2×2 bilinear
  if (x.radius > x.size || y.radius > y.size) return null;
  return { x, y };
}

/** A value within 1e-6 of an integer is that integer (GDAL rounds the sampled extent so). */
function snapToInteger(v: number): number {
  const r = Math.round(v);
  return Math.abs(r - v) < 1e-6 ? r : v;
}

/** One axis: GDAL's source window (padded, clipped) and the kernel scale computed from it. */
function axisPlan(
  minRaw: number,
  maxRaw: number,
  targetSize: number,
  sourceSize: number,
  filterRadius: number,
  extraPad: number,
): DownsamplingAxis | null {
  if (minRaw > sourceSize || maxRaw < 0) return null;
  const min = snapToInteger(minRaw);
  const max = snapToInteger(maxRaw);
  const unsnapped = Math.max(1e-3, targetSize / (max - min));
  const pad = (unsnapped < 0.95 ? Math.ceil(filterRadius / unsnapped) : filterRadius) + extraPad;
  const first = Math.trunc(Math.max(0, min));
  const end = Math.min(Math.ceil(max), sourceSize);
  const raw = Math.max(0, Math.min(sourceSize - first, max - min));
  let offset: number;
  let size: number;
  if (end - first > 0.9 * sourceSize) [offset, size] = [0, sourceSize];
  else {
    offset = Math.max(0, Math.min(first - pad, sourceSize));
    size = Math.max(0, Math.min(sourceSize - offset, end - offset + pad));
  }
  if (size === 0 || raw === 0) return null;
  const extra = size - raw;
  let scale = targetSize / (size - extra);
  if (size >= targetSize && size <= targetSize + extra) scale = 1;
  if (scale < 1) {
    const n = Math.floor(1 / scale + 0.5);
    if (Math.abs(1 / scale - n) < 0.05) scale = 1 / n;
  }
  const radius = scale < 1 ? Math.ceil(filterRadius / scale) : filterRadius;
  return { offset, size, scale, radius };
}

/** The kernel weight at distance `t` source pixels: linear (bilinear) or Keys with a = −0.5 (cubic). */
export type KernelWeight = (t: number) => number;

export const linearWeight: KernelWeight = (t) => {
  const a = Math.abs(t);
  return a <= 1 ? 1 - a : 0;
};

export const keysCubicWeight: KernelWeight = (t) => {
  const a = Math.abs(t);
  if (a <= 1) return t * t * (1.5 * a - 2.5) + 1;
  if (a <= 2) return t * t * (-0.5 * a + 2.5) - 4 * a + 2;
  return 0;
};

/**
 * The taps of one target pixel, shared by its bands: the first source row and column (`row0`, `col0`, full-source
 * indices), their counts, the weights along each axis and the product of the weight sums.
 */
export interface DownsampledTaps {
  wx: Float64Array;
  wy: Float64Array;
  col0: number;
  cols: number;
  row0: number;
  rows: number;
  norm: number;
}

export function downsampledScratch(plan: DownsamplingPlan): DownsampledTaps {
  const wx = new Float64Array(2 * plan.x.radius + 1);
  const wy = new Float64Array(2 * plan.y.radius + 1);
  return { wx, wy, col0: 0, cols: 0, row0: 0, rows: 0, norm: 1 };
}

/**
 * One target row with the stretched kernel (GDAL's GWKResample family): taps `1 − radius … radius` around the
 * point, clipped to the source window, weighted by `weight((i − δ) · scale)` per axis. Without a source no-data
 * value the sum is divided by the product of the weight sums (as GDAL does). With one (or where a tap is NaN),
 * each band leaves its invalid taps out and renormalises the rest, a weight sum within 1e-5 of 1 is not divided
 * by. A pixel whose own source pixel is invalid (no-data or NaN) in every band stays no-data, also when the
 * no-data value is NaN (gdalwarp's per-band masks plus the all-bands mask of UNIFIED_SRC_NODATA=PARTIAL). Points
 * outside the window are no-data.
 */
export function downsampledRow(
  out: readonly WarpAccumulator[],
  row: KernelRow,
  src: KernelSource,
  outNoData: number,
  plan: DownsamplingPlan,
  weight: KernelWeight,
  taps: DownsampledTaps,
): void {
  const { offset, width: W, us, vs } = row;
  const nd = Number(src.noData);
  const ond = Number(outNoData);
  const { valid } = src;
  const masked = !Number.isNaN(nd) || valid !== null;
  for (let col = 0; col < W; col++) {
    const u = us[col] as number;
    const v = vs[col] as number;
    const skip = !inWindow(plan, u, v) || centreInvalidEverywhere(src, plan, u, v, nd);
    if (!skip) tapsAt(plan, u, v, weight, taps);
    for (let b = 0; b < src.bands.length; b++) {
      const value = skip
        ? Number.NaN
        : bandValue(src.bands[b] as RasterArray, valid, src.width, nd, masked, taps);
      (out[b] as WarpAccumulator)[offset + col] = Number.isNaN(value) ? ond : value;
    }
  }
}

/** Whether full-source pixel coordinates (u, v) fall in the source window (NaN does not). */
function inWindow({ x, y }: DownsamplingPlan, u: number, v: number): boolean {
  return u >= x.offset && v >= y.offset && u + 1e-10 <= x.offset + x.size && v + 1e-10 <= y.offset + y.size;
}

/** Whether the source pixel under (u, v) is masked, or no-data (or NaN) in every band. */
function centreInvalidEverywhere(
  src: KernelSource,
  { x, y }: DownsamplingPlan,
  u: number,
  v: number,
  nd: number,
) {
  const cx = Math.min(Math.floor(u + 1e-10), x.offset + x.size - 1);
  const cy = Math.min(Math.floor(v + 1e-10), y.offset + y.size - 1);
  const i = cy * src.width + cx;
  if (src.valid !== null && src.valid[i] === 0) return true;
  for (const band of src.bands) {
    const s = band[i] as number;
    if (!(s === nd || Number.isNaN(s))) return false;
  }
  return true;
}

/** The taps around full-source pixel coordinates (u, v): `1 − radius … radius` per axis, clipped to the window. */
function tapsAt(
  { x, y }: DownsamplingPlan,
  u: number,
  v: number,
  weight: KernelWeight,
  taps: DownsampledTaps,
): void {
  const lx = u - x.offset;
  const ly = v - y.offset;
  const ix = Math.floor(lx - 0.5);
  const iy = Math.floor(ly - 0.5);
  const i0 = Math.max(1 - x.radius, -ix);
  const j0 = Math.max(1 - y.radius, -iy);
  taps.col0 = x.offset + ix + i0;
  taps.row0 = y.offset + iy + j0;
  taps.cols = Math.min(x.radius, x.size - 1 - ix) - i0 + 1;
  taps.rows = Math.min(y.radius, y.size - 1 - iy) - j0 + 1;
  const sumX = axisWeights(taps.wx, taps.cols, i0, lx - 0.5 - ix, Math.min(x.scale, 1), weight);
  const sumY = axisWeights(taps.wy, taps.rows, j0, ly - 0.5 - iy, Math.min(y.scale, 1), weight);
  taps.norm = sumX * sumY;
}

/** `count` weights `weight((tap − δ) · scale)` for taps `first …` into `w`; returns their sum. */
function axisWeights(
  w: Float64Array,
  count: number,
  first: number,
  delta: number,
  scale: number,
  weight: KernelWeight,
): number {
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const value = weight((first + k - delta) * scale);
    w[k] = value;
    sum += value;
  }
  return sum;
}

/** One band's stretched-kernel value over the taps (masked ones left out); NaN for no value. */
function bandValue(
  band: RasterArray,
  valid: Uint8Array | null,
  sw: number,
  nd: number,
  masked: boolean,
  taps: DownsampledTaps,
): number {
  const { wx, wy, col0, cols, row0, rows } = taps;
  let acc = 0;
  let accW = 0;
  let skipped = false;
  for (let j = 0; j < rows; j++) {
    const start = (row0 + j) * sw + col0;
    let rowAcc = 0;
    let rowW = 0;
    for (let i = 0; i < cols; i++) {
      const s = band[start + i] as number;
      if (s === nd || Number.isNaN(s) || (valid !== null && valid[start + i] === 0)) {
        skipped = true;
        continue;
      }
      const w = wx[i] as number;
      rowAcc += s * w;
      rowW += w;
    }
    const w = wy[j] as number;
    acc += rowAcc * w;
    accW += rowW * w;
  }
  if (!masked && !skipped) return acc / taps.norm;
  if (accW < 1e-6) return Number.NaN;
  return accW < 0.99999 || accW > 1.00001 ? acc / accW : acc;
}
