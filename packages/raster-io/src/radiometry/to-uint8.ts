// Linear conversions to 8 bit: the upstream 8-bit radiometry (trunc, /10000) and a 12-bit variant.

import { RasterIoError } from '../errors.js';
import { checkNumberArray, checkOptions } from '../internal/check-args.js';

/** Options of {@link toUint8}. */
export interface ToUint8Options {
  /** Input value mapped to 255; default 10000. */
  max?: number;
  /** Input value mapped to 0; default 0. */
  min?: number;
  /** `'trunc'` (upstream `ToPILImage`: ×255 then byte cast) or `'round'`; default `'trunc'`. */
  rounding?: 'trunc' | 'round';
}

/**
 * Maps values linearly to uint8: `op(255 · clamp((v − min)/(max − min), 0, 1))` in float32 arithmetic.
 * With the defaults this is the upstream `convert_to_8bit_radiometry.py` rule, `trunc(255·clamp(v/10000, 0, 1))`.
 * NaN maps to 0.
 *
 * @param data - input values.
 * @param options - `min`, `max`, `rounding`.
 * @returns a new `Uint8Array`.
 * @throws RasterIoError `INVALID_ARGUMENT` when `max <= min`.
 * @example
 * toUint8(new Uint16Array([0, 5000, 10000, 12000])); // [0, 127, 255, 255]
 */
export function toUint8(data: ArrayLike<number>, options: ToUint8Options = {}): Uint8Array {
  checkNumberArray('toUint8', 'data', data);
  const { min = 0, max = 10000 } = checkOptions('toUint8', options);
  if (typeof min !== 'number' || typeof max !== 'number' || !(max > min))
    throw new RasterIoError('INVALID_ARGUMENT', `toUint8 needs max > min (got min ${min}, max ${max})`);
  const round = options.rounding === 'round';
  const f = Math.fround;
  const range = max - min;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    let v = f(f((data[i] as number) - min) / range);
    if (!(v > 0)) v = 0;
    else if (v > 1) v = 1;
    const s = f(v * 255);
    out[i] = round ? Math.round(s) : Math.trunc(s);
  }
  return out;
}

/**
 * The upstream WorldStrat 8-bit conversion: `trunc(255 · clamp(v/10000, 0, 1))`.
 *
 * @param data - DNs (12-bit radiometry products scaled by 10000) or reflectance × 10000.
 * @returns a new `Uint8Array`.
 * @example
 * to8BitRadiometry(new Uint16Array([10000])); // [255]
 */
export function to8BitRadiometry(data: ArrayLike<number>): Uint8Array {
  return toUint8(data, { max: 10000, rounding: 'trunc' });
}

/**
 * Linear 12-bit → 8-bit: `round(255 · clamp(v/4095, 0, 1))` (for raw 12-bit counts, 0–4095).
 *
 * @param data - 12-bit counts.
 * @returns a new `Uint8Array`.
 * @example
 * twelveBitTo8Bit(new Uint16Array([0, 2048, 4095])); // [0, 128, 255]
 */
export function twelveBitTo8Bit(data: ArrayLike<number>): Uint8Array {
  return toUint8(data, { max: 4095, rounding: 'round' });
}
