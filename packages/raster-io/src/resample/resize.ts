// Separable resize of planar Float32 images with precomputed per-output taps (torch semantics).

import { RasterIoError } from '../errors.js';
import { checkOptionalBoolean, checkOptions, describeValue, withinMemory } from '../internal/check-args.js';
import { DEFAULT_RASTER_IO_LIMITS } from '../read/limits.js';
import { type AxisTaps, RESIZE_METHODS, type ResizeMethod, resizeTaps } from './resize-taps.js';

/** Options of {@link resize}. */
export interface ResizeOptions {
  /** Kernel; default `'bilinear'`. */
  method?: ResizeMethod;
  /**
   * Antialias when downsampling (torchvision `Resize(..., antialias=True)` / PIL). Default `false`
   * (`F.interpolate` semantics). With `bilinear` this is torchvision's AA algorithm at every scale (the
   * WorldStrat LR 158→160 and HR 1054→500 transforms).
   */
  antialias?: boolean;
}

const DEFAULT_METHOD: ResizeMethod = 'bilinear';

const tapCache = new Map<string, AxisTaps>();
function cachedTaps(inSize: number, outSize: number, method: ResizeMethod, antialias: boolean): AxisTaps {
  const key = `${method}:${antialias ? 1 : 0}:${inSize}:${outSize}`;
  let taps = tapCache.get(key);
  if (!taps) {
    taps = resizeTaps(inSize, outSize, method, antialias);
    if (tapCache.size > 64) tapCache.clear();
    tapCache.set(key, taps);
  }
  return taps;
}

/** True when the taps are the identity (same size, one unit tap per index), so the pass can be skipped. */
function isIdentity(t: AxisTaps): boolean {
  if (t.inSize !== t.outSize) return false;
  for (let o = 0; o < t.outSize; o++)
    for (let j = 0; j < t.k; j++) {
      const w = t.w[o * t.k + j] as number;
      if (w !== 0 && (w !== 1 || t.idx[o * t.k + j] !== o)) return false;
    }
  return true;
}

/** Planes in float32 (every dtype that float32 holds exactly) or float64 (32-bit integers, float64). */
export type ResizePlanes = Float32Array | Float64Array;

/** A new array of `src`'s precision. */
const like = (src: ResizePlanes, n: number): ResizePlanes =>
  src instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);

function horizontal(src: ResizePlanes, planesRows: number, taps: AxisTaps): ResizePlanes {
  const { inSize, outSize, k, idx, w, start, count } = taps;
  const dst = like(src, planesRows * outSize);
  if (start && count) {
    // contiguous runs (AA kernels): no index table, no padded zero taps
    for (let r = 0; r < planesRows; r++) {
      const si = r * inSize;
      const di = r * outSize;
      for (let o = 0, t = 0; o < outSize; o++, t += k) {
        const s0 = si + (start[o] as number);
        const c = count[o] as number;
        let acc = 0;
        for (let j = 0; j < c; j++) acc += (src[s0 + j] as number) * (w[t + j] as number);
        dst[di + o] = acc;
      }
    }
    return dst;
  }
  for (let r = 0; r < planesRows; r++) {
    const si = r * inSize;
    const di = r * outSize;
    for (let o = 0, t = 0; o < outSize; o++, t += k) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += (src[si + (idx[t + j] as number)] as number) * (w[t + j] as number);
      dst[di + o] = acc;
    }
  }
  return dst;
}

function vertical(src: ResizePlanes, planes: number, width: number, taps: AxisTaps): ResizePlanes {
  const { inSize, outSize, k, idx, w } = taps;
  const dst = like(src, planes * outSize * width);
  const acc = new Float64Array(width);
  for (let p = 0; p < planes; p++) {
    const sp = p * inSize * width;
    for (let o = 0, t = 0; o < outSize; o++, t += k) {
      acc.fill(0);
      for (let j = 0; j < k; j++) {
        const wj = w[t + j] as number;
        if (wj === 0) continue;
        const row = sp + (idx[t + j] as number) * width;
        for (let x = 0; x < width; x++) acc[x] = (acc[x] as number) + (src[row + x] as number) * wj;
      }
      dst.set(acc, (p * outSize + o) * width);
    }
  }
  return dst;
}

// Samples one resize may allocate (its output, or the width pass before it): the reader's pixel limit.
const MAX_RESIZE_SAMPLES = DEFAULT_RASTER_IO_LIMITS.maxPixels;
/** Longest output side: the Earth's circumference at 10 m; its tap table takes up to 384 MiB. */
const MAX_RESIZE_SIDE = 2 ** 22;

/** `[outH, outW]`: positive integers whose output fits {@link MAX_RESIZE_SAMPLES}. */
function checkOutputSize(planes: number, h: number, size: unknown): [number, number] {
  const [outH, outW] = Array.isArray(size) && size.length === 2 ? size : [Number.NaN, Number.NaN];
  if (![outH, outW].every((v) => Number.isSafeInteger(v) && v >= 1))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resize size ${describeValue(size)} must be positive integers [outH, outW]`,
    );
  if (planes * Math.max(h, outH) * outW > MAX_RESIZE_SAMPLES)
    throw new RasterIoError(
      'TOO_LARGE',
      `resize to ${outH}×${outW} (${planes} planes) exceeds ${MAX_RESIZE_SAMPLES} samples`,
    );
  // each output row and column has a table of up to 8 taps (12 bytes each) besides the pixels
  if (Math.max(outH, outW) > MAX_RESIZE_SIDE)
    throw new RasterIoError(
      'TOO_LARGE',
      `resize to ${outH}×${outW}: a side over ${MAX_RESIZE_SIDE} px (its tap table alone would take ${Math.round((Math.max(outH, outW) * 96) / 2 ** 20)} MiB)`,
    );
  return [outH, outW];
}

/**
 * Resizes planar (`[planes, h, w]`, row-major) float32 images with PyTorch's kernels.
 *
 * - `nearest`: torch `'nearest'`, src = min(floor(dst · in/out), in − 1).
 * - `bilinear`: `F.interpolate(..., 'bilinear', align_corners=False)` (half-pixel centres, source clamped
 *   at 0); with `antialias: true` torchvision's antialiased bilinear.
 * - `bicubic`: `F.interpolate(..., 'bicubic', align_corners=False)`, a = −0.75, index-clamped taps; with
 *   `antialias: true` torch's AA bicubic (PIL, a = −0.5).
 * - `lanczos3`: PIL's Lanczos (a = 3, support scaled when downsampling) with `antialias: true`, otherwise a
 *   fixed 6-tap normalised Lanczos-3.
 *
 * Taps and float32 weights are computed once per axis (cached) and applied separably: width first, then
 * height, as torchvision does.
 *
 * @param data - `planes·h·w` values.
 * @param shape - `[planes, h, w]`.
 * @param size - `[outH, outW]`.
 * @param options - method (default bilinear) and antialias (default false).
 * @returns a new `Float32Array` of `planes·outH·outW` values.
 * @throws RasterIoError `INVALID_ARGUMENT` for a length/shape mismatch, non-positive sizes or an unknown method,
 *   `TOO_LARGE` for an output of more than 2^31 samples or a side over 2^22 px (whose tap tables alone take
 *   hundreds of MiB).
 * @example
 * const lr160 = resize(lr158, [12, 158, 158], [160, 160], { method: 'bilinear', antialias: true });
 */
export function resize(
  data: Float32Array,
  shape: readonly [number, number, number],
  size: readonly [number, number],
  options: ResizeOptions = {},
): Float32Array {
  return withinMemory('resize', () => {
    if (!(data instanceof Float32Array))
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `resize data must be a Float32Array, got ${describeValue(data)}`,
      );
    return resizePlanes(data, shape, size, options) as Float32Array;
  });
}

/**
 * {@link resize} in the precision of `data`: float64 planes are resized with the same taps and weights, their
 * sums kept in float64 (so `nearest` copies values exactly, and 32-bit integers and float64 keep their values).
 */
export function resizePlanes(
  data: ResizePlanes,
  shape: readonly [number, number, number],
  size: readonly [number, number],
  options: ResizeOptions = {},
): ResizePlanes {
  const given = checkOptions('resize', options);
  const method = given.method ?? DEFAULT_METHOD;
  const antialias = checkOptionalBoolean('resize', 'options.antialias', given.antialias) ?? false;
  if (!(RESIZE_METHODS as readonly string[]).includes(method))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `unknown resize method ${describeValue(method)}; use one of ${RESIZE_METHODS.join(', ')}`,
    );
  if (!Array.isArray(shape) || shape.length !== 3)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resize shape must be [planes, h, w], got ${describeValue(shape)}`,
    );
  const [planes, h, w] = shape;
  if (![planes, h, w].every((v) => Number.isSafeInteger(v) && v >= 1))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resize shape ${describeValue(shape)} must be positive integers [planes, h, w]`,
    );
  if (data.length !== planes * h * w)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resize data has ${data.length} values but shape ${describeValue(shape)} needs ${planes * h * w}`,
    );
  const [outH, outW] = checkOutputSize(planes, h, size);
  const tx = cachedTaps(w, outW, method, antialias);
  const ty = cachedTaps(h, outH, method, antialias);
  let cur = data;
  if (!isIdentity(tx)) cur = horizontal(cur, planes * h, tx);
  if (!isIdentity(ty)) cur = vertical(cur, planes, outW, ty);
  return cur === data ? data.slice() : cur;
}
