// Per-band percentiles (numpy 'linear') and a percentile stretch to [0, 1] for display.

import { RasterIoError } from '../errors.js';
import { checkNumberArray, checkOptions, describeValue } from '../internal/check-args.js';

/** Options of {@link percentiles} and {@link percentileStretch}. */
export interface PercentileOptions {
  /** Value to ignore (besides NaN). */
  noData?: number | null;
}

/** The sorted values that are not NaN or `noData` (nor ±Infinity when `finiteOnly`). */
function validValues(
  data: ArrayLike<number>,
  noData: number | null | undefined,
  finiteOnly = false,
): Float64Array {
  const vals = new Float64Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (Number.isNaN(v) || (noData !== null && noData !== undefined && v === noData)) continue;
    if (finiteOnly && !Number.isFinite(v)) continue;
    vals[n++] = v;
  }
  return vals.subarray(0, n).sort();
}

/** `noData`: a number (NaN allowed), null or absent; a string would never equal a pixel. */
function checkNoData(fn: string, noData: unknown): number | null | undefined {
  if (noData !== undefined && noData !== null && typeof noData !== 'number')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: noData must be a number or null, got ${describeValue(noData)}`,
    );
  return noData;
}

/** numpy's `_lerp`: from the nearer end, so a result is the same float numpy returns (not one ulp off). */
function numpyLerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Percentiles of the valid values with linear interpolation between order statistics (numpy's default
 * `method='linear'`, bit for bit): position `p/100 · (n − 1)`.
 *
 * @param data - values (NaN and `noData` ignored).
 * @param ps - percentiles in [0, 100].
 * @param options - `noData`.
 * @returns one value per percentile (NaN when there is no valid value).
 * @throws RasterIoError `INVALID_ARGUMENT` for a percentile outside [0, 100].
 * @example
 * percentiles([1, 2, 3, 4], [0, 50, 100]); // [1, 2.5, 4]
 */
export function percentiles(
  data: ArrayLike<number>,
  ps: readonly number[],
  options: PercentileOptions = {},
): number[] {
  return percentilesOf('percentiles', data, ps, options, false);
}

function percentilesOf(
  fn: string,
  data: ArrayLike<number>,
  ps: readonly number[],
  options: PercentileOptions,
  finiteOnly: boolean,
): number[] {
  checkNumberArray(fn, 'data', data);
  if (!Array.isArray(ps))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `percentiles must be an array of numbers, got ${describeValue(ps)}`,
    );
  for (const p of ps)
    if (typeof p !== 'number' || !(p >= 0 && p <= 100))
      throw new RasterIoError('INVALID_ARGUMENT', `percentile ${describeValue(p)} is outside [0, 100]`);
  const s = validValues(data, checkNoData(fn, checkOptions(fn, options).noData), finiteOnly);
  if (s.length === 0) return ps.map(() => Number.NaN);
  return ps.map((p) => {
    const pos = (p / 100) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return numpyLerp(s[lo] as number, s[hi] as number, pos - lo);
  });
}

/** Options of {@link percentileStretch}. */
export interface PercentileStretchOptions extends PercentileOptions {
  /** Lower percentile; default 2. */
  low?: number;
  /** Upper percentile; default 98. */
  high?: number;
}

/** Result of {@link percentileStretch}: the stretched band and the limits used. */
export interface StretchResult {
  data: Float32Array;
  min: number;
  max: number;
}

/**
 * Stretches one band to [0, 1] between two percentiles of its valid values (default 2–98):
 * `clamp((v − p_low)/(p_high − p_low), 0, 1)`. Invalid pixels (NaN / `noData`) become NaN. A flat band
 * (p_low = p_high) maps valid pixels to 0. ±Infinity pixels are left out of the percentiles and stretch to 0 / 1.
 *
 * @param data - one band.
 * @param options - `low`, `high`, `noData`.
 * @returns the stretched band and the limits.
 * @throws RasterIoError `INVALID_ARGUMENT` when `low >= high` or outside [0, 100].
 * @example
 * const { data, min, max } = percentileStretch(band, { low: 2, high: 98 });
 */
export function percentileStretch(
  data: ArrayLike<number>,
  options: PercentileStretchOptions = {},
): StretchResult {
  const { low = 2, high = 98 } = checkOptions('percentileStretch', options);
  if (typeof low !== 'number' || typeof high !== 'number' || !(low < high))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `percentileStretch needs numbers low < high (got ${describeValue(low)}, ${describeValue(high)})`,
    );
  // ±Infinity pixels would make a limit infinite and every finite pixel NaN: they stretch to 0 or 1 instead
  const [min, max] = percentilesOf('percentileStretch', data, [low, high], options, true) as [number, number];
  return { data: stretchLinear(data, min, max, options.noData), min, max };
}

/**
 * Linear stretch between fixed limits: `clamp((v − min)/(max − min), 0, 1)`; NaN/`noData` → NaN.
 *
 * @param data - one band.
 * @param min - value mapped to 0.
 * @param max - value mapped to 1.
 * @param noData - value treated as invalid.
 * @returns the stretched band.
 * @example
 * stretchLinear([0, 5, 10], 0, 10); // [0, 0.5, 1]
 */
export function stretchLinear(
  data: ArrayLike<number>,
  min: number,
  max: number,
  noData?: number | null,
): Float32Array {
  const out = new Float32Array(data.length);
  // limits more than Number.MAX_VALUE apart (±1e308): halves keep the range and each difference finite
  const half = Number.isFinite(min) && Number.isFinite(max) && !Number.isFinite(max - min);
  const [lo, hi] = half ? [min / 2, max / 2] : [min, max];
  const range = hi - lo;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (Number.isNaN(v) || (noData !== null && noData !== undefined && v === noData) || Number.isNaN(range)) {
      out[i] = Number.NaN;
      continue;
    }
    const t = range > 0 ? ((half ? v / 2 : v) - lo) / range : 0;
    out[i] = t < 0 ? 0 : t > 1 ? 1 : t;
  }
  return out;
}
