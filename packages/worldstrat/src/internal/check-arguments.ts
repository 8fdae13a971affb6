// Entry checks of the exported functions: JavaScript callers, JSON configs and other tools pass whatever they
// have, so a wrong shape is an INVALID_ARGUMENT WorldStratError that names the function, the argument and the
// value, never a TypeError from deep inside or a silently wrong result.
import { describeValue } from '@worldstrat/core';
import { WorldStratError } from '../errors.js';

/** The `INVALID_ARGUMENT` error `${fn}: ${what} must be ${expected}, got <value>`. */
export function argumentError(fn: string, what: string, expected: string, value: unknown): WorldStratError {
  return new WorldStratError(
    'INVALID_ARGUMENT',
    `${fn}: ${what} must be ${expected}, got ${describeValue(value)}`,
  );
}

/** A non-null object that is not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks `value` is an object (not null, not an array) and returns it. */
export function checkObject<T>(fn: string, what: string, value: T): T {
  if (!isPlainObject(value)) throw argumentError(fn, what, 'an object', value);
  return value;
}

/** Checks an options argument is absent or an object, and returns it (`{}` when absent). */
export function checkOptions<T extends object>(fn: string, options: T | undefined, what = 'options'): T {
  if (options === undefined) return {} as T;
  return checkObject(fn, what, options);
}

/** Checks `value` is an array (array methods are used on it) and returns it. */
export function checkArray<T>(fn: string, what: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw argumentError(fn, what, 'an array', value);
  return value;
}

/** Checks `value` is an array or a typed array of numbers (iterated with `for…of` and `length`). */
export function checkNumberList(fn: string, what: string, value: unknown): void {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView)))
    throw argumentError(fn, what, 'an array of numbers', value);
}

/** Checks `value` is a string. */
export function checkString(fn: string, what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw argumentError(fn, what, 'a string', value);
}

/** Checks `value` is absent (undefined or null, which the plots treat as missing) or a string. */
export function checkOptionalString(fn: string, what: string, value: unknown): void {
  if (value !== undefined && value !== null) checkString(fn, what, value);
}

/** Checks `value` is absent (undefined or null) or a finite number in `[min, max]`. */
export function checkOptionalNumber(
  fn: string,
  what: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw argumentError(fn, what, `a finite number in ${min}..${max}`, value);
}

/** Checks `value` is absent (undefined or null) or an integer in `[min, max]`. */
export function checkOptionalInteger(
  fn: string,
  what: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value === undefined || value === null) return;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw argumentError(fn, what, `an integer in ${min}..${max}`, value);
}

/** Checks `value` is a finite number. */
export function checkFiniteNumber(fn: string, what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw argumentError(fn, what, 'a finite number', value);
}

/**
 * Checks an interleaved 8-bit RGB image: positive integer size, `channels` 3 and a Uint8Array (or
 * Uint8ClampedArray) of `width·height·3` samples.
 */
export function checkRgb8Image(fn: string, what: string, image: unknown): void {
  checkObject(fn, what, image);
  const { width, height, channels, data } = image as Record<string, unknown>;
  if (!Number.isSafeInteger(width) || (width as number) < 1)
    throw argumentError(fn, `${what}.width`, 'a positive integer', width);
  if (!Number.isSafeInteger(height) || (height as number) < 1)
    throw argumentError(fn, `${what}.height`, 'a positive integer', height);
  if (channels !== 3) throw argumentError(fn, `${what}.channels`, '3', channels);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray))
    throw argumentError(fn, `${what}.data`, 'a Uint8Array', data);
  const n = (width as number) * (height as number) * 3;
  if (data.length !== n)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${fn}: ${what}.data has ${data.length} samples; ${width}×${height}×3 needs ${n}`,
    );
}

/** The smallest and largest of `values` without spreading them onto the stack (no RangeError for long lists). */
export function minMax(values: readonly number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
