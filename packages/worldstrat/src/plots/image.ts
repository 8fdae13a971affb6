// Float CHW images → displayable 8-bit RGB, with a shared stretch so panels are comparable.
import { WorldStratError } from '../errors.js';
import { argumentError, checkNumberList } from '../internal/check-arguments.js';

/** An interleaved 8-bit RGB image. */
export interface Rgb8Image {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

/** Options of {@link toRgb8}. */
export interface ToRgb8Options {
  /** Channels used as R, G, B (0-based). Default [0, 1, 2] (or [0, 0, 0] for one channel). */
  bands?: readonly [number, number, number];
  /** Value range mapped to 0..255; default: the 2–98 % percentiles of the selected bands. */
  range?: readonly [number, number];
  /** Gamma applied after the stretch. Default 1. */
  gamma?: number;
}

/**
 * The [p, 100−p] percentile range of the selected channels (a display stretch to share across panels).
 *
 * @param data - (C, H, W).
 * @param shape - [C, H, W].
 * @param bands - channels to include.
 * @param p - lower percentile in percent. Default 2.
 * @returns [lo, hi].
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `data` is not an array of numbers, `shape` not three
 * non-negative integers, `bands` not non-negative integers or `p` not a number in 0..100.
 */
export function displayRange(
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  bands: readonly number[] = [0, 1, 2],
  p = 2,
): [number, number] {
  checkDisplayRangeArguments(data, shape, bands, p);
  const plane = shape[1] * shape[2];
  const vals: number[] = [];
  const step = Math.max(1, Math.floor((plane * bands.length) / 200_000));
  for (const b of bands)
    for (let i = 0; i < plane; i += step) {
      const v = data[Math.min(b, shape[0] - 1) * plane + i];
      if (Number.isFinite(v)) vals.push(v);
    }
  if (vals.length === 0) return [0, 1];
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(((vals.length - 1) * p) / 100)];
  const hi = vals[Math.ceil(((vals.length - 1) * (100 - p)) / 100)];
  return hi > lo ? [lo, hi] : [lo, lo + 1e-6];
}

function checkDisplayRangeArguments(data: unknown, shape: unknown, bands: unknown, p: unknown): void {
  const fn = 'displayRange';
  if (
    data === null ||
    typeof data !== 'object' ||
    !Number.isSafeInteger((data as ArrayLike<number>).length) ||
    (data as ArrayLike<number>).length < 0
  )
    throw argumentError(fn, 'data', 'an array of numbers', data);
  checkNumberList(fn, 'shape', shape);
  const s = shape as ArrayLike<unknown>;
  if (s.length !== 3 || ![0, 1, 2].every((i) => Number.isSafeInteger(s[i]) && (s[i] as number) >= 0))
    throw argumentError(fn, 'shape', '[C, H, W] non-negative integers', shape);
  checkNumberList(fn, 'bands', bands);
  for (const b of bands as ArrayLike<unknown> & Iterable<unknown>)
    if (!Number.isSafeInteger(b) || (b as number) < 0)
      throw argumentError(fn, 'bands', 'non-negative integer channel indices', bands);
  if (typeof p !== 'number' || !(p >= 0 && p <= 100))
    throw argumentError(fn, 'p', 'a percentile in 0..100', p);
}

/**
 * Convert a float (C, H, W) image to 8-bit RGB with a linear stretch (and optional gamma).
 *
 * @param data - (C, H, W) values.
 * @param shape - [C, H, W].
 * @param options - band selection, range, gamma.
 * @returns an interleaved RGB image.
 * @throws {WorldStratError} `SHAPE_MISMATCH` when data and shape disagree.
 * @example
 * ```ts
 * const rgb = toRgb8(hr, [3, 156, 156], { range: [0, 0.3] });
 * ```
 */
export function toRgb8(
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  options: ToRgb8Options = {},
): Rgb8Image {
  const [c, h, w] = shape;
  if (data.length !== c * h * w) {
    throw new WorldStratError('SHAPE_MISMATCH', `toRgb8: ${data.length} values ≠ ${c}×${h}×${w}`);
  }
  const bands = options.bands ?? (c >= 3 ? [0, 1, 2] : [0, 0, 0]);
  const [lo, hi] = options.range ?? displayRange(data, shape, bands);
  const g = options.gamma ?? 1;
  const out = new Uint8Array(w * h * 3);
  const plane = w * h;
  for (let k = 0; k < 3; k++) {
    const base = bands[k] * plane;
    for (let i = 0; i < plane; i++) {
      let v = (data[base + i] - lo) / (hi - lo);
      v = v < 0 || !Number.isFinite(v) ? 0 : v > 1 ? 1 : v;
      out[i * 3 + k] = Math.round(255 * (g === 1 ? v : v ** (1 / g)));
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/**
 * Nearest-neighbour upscale (for showing small LR chips at HR size without smoothing them).
 *
 * @param img - the image.
 * @param width - output width.
 * @param height - output height.
 * @returns the resized image.
 */
export function resizeNearestRgb8(img: Rgb8Image, width: number, height: number): Rgb8Image {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor((y * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor((x * img.width) / width));
      const s = (sy * img.width + sx) * 3;
      const d = (y * width + x) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  }
  return { width, height, channels: 3, data: out };
}
