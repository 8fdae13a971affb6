import { describeValue } from '@worldstrat/core';
import { MetricsError } from '../errors.js';

/** Numeric array input accepted by the metrics (CHW/BCHW order). */
export type NumericArray = Float32Array | Float64Array | ArrayLike<number>;

/** Checks that every entry of `shape` is a positive integer and returns the element count. */
export function shapeSize(fn: string, shape: readonly number[], rank: readonly number[]): number {
  if (!Array.isArray(shape) || !rank.includes(shape.length)) {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: shape must have ${rank.join(' or ')} entries, got ${describe(shape)}`,
    );
  }
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) {
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: shape entries must be positive integers, got ${describe(shape)}`,
      );
    }
    n *= d;
  }
  return n;
}

/** Checks the array has exactly `n` elements. */
export function checkLength(
  fn: string,
  what: string,
  data: NumericArray,
  n: number,
  shape: readonly number[],
): void {
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: ${what} must be a Float32Array (or array of numbers), got ${describe(data)}`,
    );
  }
  if (data.length !== n) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: ${what} has ${data.length} elements but shape ${describe(shape)} needs ${n}; pass the shape of the data`,
    );
  }
}

/** Checks two arrays have the same length. */
export function checkSameLength(fn: string, a: NumericArray, b: NumericArray): void {
  if (!isArrayLike(a) || !isArrayLike(b)) {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: both inputs must be Float32Arrays (or arrays of numbers)`,
    );
  }
  if (a.length !== b.length) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: prediction has ${a.length} elements, target has ${b.length}; both must have the same shape`,
    );
  }
  if (a.length === 0) throw new MetricsError('INVALID_SHAPE', `${fn}: inputs are empty`);
}

function isArrayLike(data: unknown): data is NumericArray {
  return data !== null && typeof data === 'object' && typeof (data as NumericArray).length === 'number';
}

/**
 * Throws `NON_FINITE_INPUT` naming the first NaN/±Inf element, or the first one that is not a number at all:
 * `null` (what JSON makes of NaN), a string or a boolean would otherwise be coerced to a number.
 */
export function checkFinite(fn: string, what: string, data: NumericArray): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is NaN exactly for NaN and ±Infinity.
    if (typeof v !== 'number' || v - v !== 0) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: ${what}[${i}] is ${describe(v)}; metrics need finite numbers (mask or replace NaN/Inf first)`,
      );
    }
  }
}

/** A caller's value quoted for a message (core's rendering: short, never throws). */
export const describe = (value: unknown): string => describeValue(value);

/**
 * Checks an options argument is absent or an object, and returns a snapshot of it (`{}` when absent): every
 * string-keyed member, own or inherited (class getters too), read exactly once. A getter or Proxy trap that
 * throws becomes `INVALID_OPTION` instead of escaping as a bare TypeError, and a getter cannot pass the checks
 * with one value and then hand the computation another.
 */
export function checkOptions<T extends object>(fn: string, options: T | undefined, name = 'options'): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object') {
    throw new MetricsError('INVALID_OPTION', `${fn}: ${name} must be an object, got ${describe(options)}`);
  }
  let key = '';
  try {
    // Array.isArray itself throws on a revoked Proxy.
    if (Array.isArray(options)) {
      throw new MetricsError('INVALID_OPTION', `${fn}: ${name} must be an object, got ${describe(options)}`);
    }
    return snapshot(options, (k) => {
      key = k;
    }) as T;
  } catch (cause) {
    if (cause instanceof MetricsError) throw cause;
    const where = key === '' ? name : `${name}.${key}`;
    throw new MetricsError('INVALID_OPTION', `${fn}: reading ${where} threw ${describe(cause)}`, { cause });
  }
}

/** Copies the string-keyed members of `source` and its prototypes (up to Object.prototype) into a null-prototype object. */
function snapshot(source: object, reading: (key: string) => void): Record<string, unknown> {
  // Null prototype: an own "__proto__" member stays a plain member, as it was on the source.
  const copy: Record<string, unknown> = Object.create(null);
  for (let o: object | null = source; o !== null && o !== Object.prototype; o = Reflect.getPrototypeOf(o)) {
    for (const k of Reflect.ownKeys(o)) {
      if (typeof k !== 'string' || k === 'constructor' || Object.hasOwn(copy, k)) continue;
      reading(k);
      copy[k] = (source as Record<string, unknown>)[k];
    }
  }
  return copy;
}

/**
 * Checks a computed score is finite: finite inputs can still overflow float64 (values near ±1e154 square to
 * Infinity), and a score of Infinity or NaN must not be returned as a number.
 */
export function checkScore(fn: string, what: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new MetricsError(
      'NON_FINITE_INPUT',
      `${fn}: the ${what} is ${value} because the inputs overflow float64; rescale them`,
    );
  }
  return value;
}
