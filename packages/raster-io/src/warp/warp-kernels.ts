// The resampling kernels of warpRaster, one target row at a time, band by band. Their loops see only typed
// arrays and numbers: no per-pixel call of a closure (a call V8 does not inline boxes its double arguments into
// heap numbers, and a band read through such a call is slow), so each kernel compiles once and stays optimised
// whatever mix of dtypes and rasters a process warps. That is also why each method repeats the row loop
// instead of sharing one that calls a per-pixel sampler, and why each reads its no-data values through
// `Number()`: used as they come (tagged), they made V8 box every output value before storing it.
import type { RasterArray } from '../types.js';

/** Output rows as they are filled: float32 for float32 outputs, float64 for the rest. */
export type WarpAccumulator = Float64Array | Float32Array;

/**
 * The source of a warp as the kernels read it. `noData` is NaN when the source has none (NaN is no-data anyway).
 * `valid` (one byte per pixel, 0 = invalid in every band, as gdalwarp's unified source validity mask) or null.
 */
export interface KernelSource {
  bands: readonly RasterArray[];
  width: number;
  height: number;
  noData: number;
  valid: Uint8Array | null;
}

/** One target row: where it starts in the output bands, its width and its source pixel coordinates. */
export interface KernelRow {
  offset: number;
  width: number;
  us: Float64Array;
  vs: Float64Array;
}

/** Keys cubic convolution kernel with a = −0.5 (GDAL's `cubic`). */
function cubicW(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return (1.5 * ax - 2.5) * ax * ax + 1;
  if (ax < 2) return ((-0.5 * ax + 2.5) * ax - 4) * ax + 2;
  return 0;
}

const inside = (u: number, v: number, sw: number, sh: number): boolean =>
  // NaN coordinates fail these comparisons too
  u >= 0 && u < sw && v >= 0 && v < sh;

/** The source pixel gdalwarp takes as the one holding (u, v): a 1e-10 nudge (a point that close below an edge is past it), clamped to the image. */
export function centreIndex(sw: number, sh: number, u: number, v: number): number {
  return Math.min(Math.floor(v + 1e-10), sh - 1) * sw + Math.min(Math.floor(u + 1e-10), sw - 1);
}

/**
 * Whether the source pixel containing (u, v) ({@link centreIndex}) is masked, or no-data (or NaN) in every band:
 * gdalwarp gives such a target pixel no value, whatever its neighbours hold (a pixel invalid in some bands only is
 * resampled per band).
 */
function centreInvalid(
  bands: readonly RasterArray[],
  valid: Uint8Array | null,
  sw: number,
  sh: number,
  nd: number,
  u: number,
  v: number,
) {
  const i = centreIndex(sw, sh, u, v);
  if (valid !== null && valid[i] === 0) return true;
  for (let b = 0; b < bands.length; b++) {
    const t = (bands[b] as RasterArray)[i] as number;
    if (!(t === nd || Number.isNaN(t))) return false;
  }
  return true;
}

/**
 * Bilinear value of one band at source pixel coordinates (u, v): the 2×2 taps around the point, weights
 * renormalised over the taps inside the image, not no-data and not masked (GDAL's behaviour at borders); NaN when
 * no tap is usable, or when the pixel holding the point is masked or no-data in every band ({@link centreInvalid}).
 * That pixel weighs at least 1/4, so it is looked at only where a quarter of the weight is missing (valid pixels
 * pay nothing).
 */
function bilinearAt(
  bands: readonly RasterArray[],
  valid: Uint8Array | null,
  band: RasterArray,
  sw: number,
  sh: number,
  nd: number,
  u: number,
  v: number,
): number {
  const fx = u - 0.5;
  const fy = v - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const rx = fx - x0;
  const ry = fy - y0;
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
      const k = yy * sw + xx;
      const s = band[k] as number;
      if (s === nd || Number.isNaN(s) || (valid !== null && valid[k] === 0)) continue;
      acc += w * s;
      wsum += w;
    }
  }
  if (wsum < 1e-6 || (wsum < 0.76 && centreInvalid(bands, valid, sw, sh, nd, u, v))) return Number.NaN;
  return acc / wsum;
}

/** The source pixel containing the point (NaN when it is no-data or masked). */
export function nearestRow(
  out: readonly WarpAccumulator[],
  row: KernelRow,
  src: KernelSource,
  outNoData: number,
): void {
  const { offset, width: W, us, vs } = row;
  const { bands, valid, width: sw, height: sh } = src;
  const nd = Number(src.noData);
  const ond = Number(outNoData);
  for (let b = 0; b < bands.length; b++) {
    const band = bands[b] as RasterArray;
    const dst = out[b] as WarpAccumulator;
    for (let col = 0; col < W; col++) {
      const u = us[col] as number;
      const v = vs[col] as number;
      let val = ond;
      if (inside(u, v, sw, sh)) {
        const k = Math.floor(v) * sw + Math.floor(u);
        const s = band[k] as number;
        if (!(s === nd || Number.isNaN(s) || (valid !== null && valid[k] === 0))) val = s;
      }
      dst[offset + col] = val;
    }
  }
}

/** Bilinear resampling of one row (see {@link bilinearAt}); no value where the centre is invalid in every band. */
export function bilinearRow(
  out: readonly WarpAccumulator[],
  row: KernelRow,
  src: KernelSource,
  outNoData: number,
): void {
  const { offset, width: W, us, vs } = row;
  const { bands, valid, width: sw, height: sh } = src;
  const nd = Number(src.noData);
  const ond = Number(outNoData);
  for (let b = 0; b < bands.length; b++) {
    const band = bands[b] as RasterArray;
    const dst = out[b] as WarpAccumulator;
    for (let col = 0; col < W; col++) {
      const u = us[col] as number;
      const v = vs[col] as number;
      const val = inside(u, v, sw, sh) ? bilinearAt(bands, valid, band, sw, sh, nd, u, v) : Number.NaN;
      dst[offset + col] = Number.isNaN(val) ? ond : val;
    }
  }
}

/** Per-row scratch of {@link cubicRow}: which pixels have all 4×4 taps inside, and their 4 + 4 tap weights. */
export interface CubicScratch {
  cubic: Uint8Array;
  wx: Float64Array;
  wy: Float64Array;
}

/** Scratch for rows of `width` pixels. */
export function cubicScratch(width: number): CubicScratch {
  return { cubic: new Uint8Array(width), wx: new Float64Array(4 * width), wy: new Float64Array(4 * width) };
}

/** The 4×4 Keys sum of one band from its first tap and the pixel's weights at `k`; NaN when a tap is no-data or masked. */
function cubicAt(
  band: RasterArray,
  valid: Uint8Array | null,
  first: number,
  sw: number,
  nd: number,
  wx: Float64Array,
  wy: Float64Array,
  k: number,
): number {
  let acc = 0;
  for (let j = 0; j < 4; j++) {
    const start = first + j * sw;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const s = band[start + i] as number;
      if (s === nd || Number.isNaN(s) || (valid !== null && valid[start + i] === 0)) return Number.NaN;
      r += (wx[k + i] as number) * s;
    }
    acc += (wy[k + j] as number) * r;
  }
  return acc;
}

/**
 * Keys cubic resampling of one row: 4×4 taps. Where the taps leave the image, or one is no-data in this band,
 * that band is bilinear (GDAL's fallback, band by band); no value where the centre is invalid in every band.
 */
export function cubicRow(
  out: readonly WarpAccumulator[],
  row: KernelRow,
  src: KernelSource,
  outNoData: number,
  scratch: CubicScratch,
): void {
  const { offset, width: W, us, vs } = row;
  const { bands, valid, width: sw, height: sh } = src;
  const nd = Number(src.noData);
  const ond = Number(outNoData);
  const { cubic, wx, wy } = scratch;
  for (let col = 0; col < W; col++) {
    const fx = (us[col] as number) - 0.5;
    const fy = (vs[col] as number) - 0.5;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const ok = x0 - 1 >= 0 && x0 + 2 < sw && y0 - 1 >= 0 && y0 + 2 < sh;
    cubic[col] = ok ? 1 : 0;
    if (!ok) continue;
    const rx = fx - x0;
    const ry = fy - y0;
    for (let k = 0; k < 4; k++) {
      wx[4 * col + k] = cubicW(k - 1 - rx);
      wy[4 * col + k] = cubicW(k - 1 - ry);
    }
  }
  for (let b = 0; b < bands.length; b++) {
    const band = bands[b] as RasterArray;
    const dst = out[b] as WarpAccumulator;
    for (let col = 0; col < W; col++) {
      const u = us[col] as number;
      const v = vs[col] as number;
      let val = Number.NaN;
      if (inside(u, v, sw, sh)) {
        // all 16 taps valid include the centre; otherwise bilinear applies the centre rule
        if (cubic[col]) {
          const first = (Math.floor(v - 0.5) - 1) * sw + Math.floor(u - 0.5) - 1;
          val = cubicAt(band, valid, first, sw, nd, wx, wy, 4 * col);
        }
        if (Number.isNaN(val)) val = bilinearAt(bands, valid, band, sw, sh, nd, u, v);
      }
      dst[offset + col] = Number.isNaN(val) ? ond : val;
    }
  }
}
