// Per-output-index taps (source indices + float32 weights) for every resize method, computed once per axis.
// Emulates PyTorch's float32 ("opmath") index/weight arithmetic with Math.fround so results match torch's
// CPU kernels (ATen UpSampleKernel.cpp, torch 1.13) to float32 rounding.
import { RasterIoError } from '../errors.js';

/** Resampling methods of {@link resize}. */
export const RESIZE_METHODS = ['nearest', 'bilinear', 'bicubic', 'lanczos3'] as const;
/** One resampling method. */
export type ResizeMethod = (typeof RESIZE_METHODS)[number];

/**
 * Taps of one axis: output index `o` reads `idx[o*k + t]` with weight `w[o*k + t]`, `t < k`. When
 * `start`/`count` are present the taps of every output are the contiguous run
 * `start[o] .. start[o] + count[o] − 1` (weights at `w[o*k .. o*k + count[o] − 1]`), which the fast path uses.
 */
export interface AxisTaps {
  inSize: number;
  outSize: number;
  k: number;
  idx: Int32Array;
  w: Float64Array;
  start?: Int32Array;
  count?: Int32Array;
}

/** Adds `start`/`count` when every output's taps are consecutive source indices. */
function withRuns(t: AxisTaps, counts?: Int32Array): AxisTaps {
  const { outSize, k, idx } = t;
  const start = new Int32Array(outSize);
  const count = counts ?? new Int32Array(outSize).fill(k);
  for (let o = 0; o < outSize; o++) {
    const s0 = idx[o * k] as number;
    for (let j = 1; j < (count[o] as number); j++) if (idx[o * k + j] !== s0 + j) return t;
    start[o] = s0;
  }
  return { ...t, start, count };
}

const f = Math.fround;

/** PyTorch's cubic convolution coefficients for fraction t (`get_cubic_upsample_coefficients`). */
function cubicCoeffs(t: number, a: number, out: number[]): void {
  const c1 = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1;
  const c2 = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  out[0] = c2(t + 1);
  out[1] = c1(t);
  out[2] = c1(1 - t);
  out[3] = c2(2 - t);
}

function triangle(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? f(1 - ax) : 0;
}

/** PIL / torch AA bicubic filter (a = -0.5). */
function aaCubic(x: number): number {
  const a = -0.5;
  const ax = Math.abs(x);
  if (ax < 1) return f(f(f(a + 2) * ax - f(a + 3)) * ax * ax + 1);
  if (ax < 2) return f(f(f(f(a * ax) - 5 * a) * ax + 8 * a) * ax - 4 * a);
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function lanczos3(x: number): number {
  return x > -3 && x < 3 ? f(sinc(x) * sinc(x / 3)) : 0;
}

/**
 * The torchvision / PIL antialiased ("separable filter with support scaled by the downsampling factor")
 * taps, as ATen `_compute_indices_min_size_weights_aa` computes them: float32 weights normalised to sum 1.
 */
function aaTaps(
  inSize: number,
  outSize: number,
  filter: (x: number) => number,
  interpSize: number,
): AxisTaps {
  const scale = f(inSize / outSize);
  const support = f(scale >= 1 ? f(interpSize * 0.5 * scale) : interpSize * 0.5);
  const invscale = scale >= 1 ? f(1 / scale) : 1;
  const k = Math.ceil(support) * 2 + 1;
  const idx = new Int32Array(outSize * k);
  const w = new Float64Array(outSize * k);
  const tmp = new Float64Array(k);
  const counts = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const center = f(scale * (i + 0.5));
    const xmin = Math.max(Math.trunc(f(center - support) + 0.5), 0);
    const xsize = Math.min(Math.trunc(f(center + support) + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      // (j + xmin - center + 0.5) * invscale as C++ evaluates it: float subtraction, then double, then float
      const wj = filter(f((f(j + xmin - center) + 0.5) * invscale));
      tmp[j] = wj;
      total = f(total + wj);
    }
    counts[i] = Math.max(xsize, 0);
    for (let j = 0; j < k; j++) {
      idx[i * k + j] = Math.min(xmin + Math.min(j, Math.max(xsize - 1, 0)), inSize - 1);
      w[i * k + j] = j < xsize ? (total !== 0 ? f((tmp[j] as number) / total) : (tmp[j] as number)) : 0;
    }
  }
  return withRuns({ inSize, outSize, k, idx, w }, counts);
}

/**
 * torch `upsample_bilinear2d`, align_corners=False: source = max(0, scale·(dst+0.5) − 0.5) with the scale
 * rounded to float32 (`float(in)/out`) and the source index and lambdas in double (CPU accumulate type);
 * this reproduces the fixture to ~3e-7 where all-float32 or all-float64 arithmetic is off by ~2e-5.
 */
function bilinearTaps(inSize: number, outSize: number): AxisTaps {
  const scale = f(inSize / outSize);
  const idx = new Int32Array(outSize * 2);
  const w = new Float64Array(outSize * 2);
  for (let i = 0; i < outSize; i++) {
    let src = scale * (i + 0.5) - 0.5;
    if (src < 0) src = 0;
    const i0 = Math.min(Math.trunc(src), inSize - 1);
    const l1 = Math.min(Math.max(src - i0, 0), 1);
    const l0 = 1 - l1;
    idx[2 * i] = i0;
    idx[2 * i + 1] = i0 + (i0 < inSize - 1 ? 1 : 0);
    w[2 * i] = l0;
    w[2 * i + 1] = l1;
  }
  return { inSize, outSize, k: 2, idx, w };
}

/**
 * torch `upsample_bicubic2d`, align_corners=False, a = −0.75; source not clamped, taps index-clamped.
 * Scale rounded to float32, source and coefficients in double (matches the fixture to ~1e-6 where
 * all-float32 arithmetic is off by ~3e-6).
 */
function bicubicTaps(inSize: number, outSize: number): AxisTaps {
  const scale = f(inSize / outSize);
  const idx = new Int32Array(outSize * 4);
  const w = new Float64Array(outSize * 4);
  const c = [0, 0, 0, 0];
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(src);
    cubicCoeffs(src - i0, -0.75, c);
    for (let t = 0; t < 4; t++) {
      idx[4 * i + t] = Math.max(Math.min(i0 - 1 + t, inSize - 1), 0);
      w[4 * i + t] = c[t] as number;
    }
  }
  return { inSize, outSize, k: 4, idx, w };
}

/** torch `nearest`: src = min(floor(dst · float32(in/out)), in − 1) (not the "nearest-exact" mode). */
function nearestTaps(inSize: number, outSize: number): AxisTaps {
  const idx = new Int32Array(outSize);
  const w = new Float64Array(outSize).fill(1);
  const scale = f(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    if (inSize === outSize) idx[i] = i;
    else if (outSize === 2 * inSize) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(f(i * scale)), inSize - 1);
  }
  return { inSize, outSize, k: 1, idx, w };
}

/**
 * Computes the taps of one axis for a method.
 *
 * @param inSize - input length (pixels).
 * @param outSize - output length (pixels).
 * @param method - resampling method.
 * @param antialias - widen the filter by the downsampling factor (torchvision/PIL semantics). For
 *   `bilinear` and `bicubic` this switches to torch's `_upsample_*_aa` kernels (AA bicubic uses a = −0.5,
 *   like PIL); `lanczos3` is PIL's Lanczos when true and an unscaled 6-tap Lanczos when false; ignored for
 *   `nearest`.
 * @returns the axis taps.
 */
export function resizeTaps(
  inSize: number,
  outSize: number,
  method: ResizeMethod,
  antialias: boolean,
): AxisTaps {
  if (!Number.isSafeInteger(inSize) || inSize < 1 || !Number.isSafeInteger(outSize) || outSize < 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resize sizes must be positive integers (got ${inSize} → ${outSize})`,
    );
  switch (method) {
    case 'nearest':
      return nearestTaps(inSize, outSize);
    case 'bilinear':
      return antialias ? aaTaps(inSize, outSize, triangle, 2) : bilinearTaps(inSize, outSize);
    case 'bicubic':
      return antialias ? aaTaps(inSize, outSize, aaCubic, 4) : bicubicTaps(inSize, outSize);
    case 'lanczos3':
      return antialias ? aaTaps(inSize, outSize, lanczos3, 6) : lanczosPlainTaps(inSize, outSize);
    default:
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `unknown resize method ${JSON.stringify(method)}; use one of ${RESIZE_METHODS.join(', ')}`,
      );
  }
}

/** Lanczos-3 without antialiasing: 6 taps around the half-pixel source position, normalised, index-clamped. */
function lanczosPlainTaps(inSize: number, outSize: number): AxisTaps {
  const scale = inSize / outSize;
  const k = 6;
  const idx = new Int32Array(outSize * k);
  const w = new Float64Array(outSize * k);
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(src) - 2;
    let total = 0;
    for (let t = 0; t < k; t++) total += lanczos3(src - (i0 + t));
    for (let t = 0; t < k; t++) {
      idx[i * k + t] = Math.max(Math.min(i0 + t, inSize - 1), 0);
      w[i * k + t] = lanczos3(src - (i0 + t)) / total;
    }
  }
  return { inSize, outSize, k, idx, w };
}
