import { MetricsError } from '../errors.js';

/** Numeric array input accepted by the metrics (CHW/BCHW order). */
export type NumericArray = Float32Array | Float64Array | ArrayLike<number>;

/** Checks that every entry of `shape` is a positive integer and returns the element count. */
export function shapeSize(fn: string, shape: readonly number[], rank: readonly number[]): number {
  if (!Array.isArray(shape) || !rank.includes(shape.length)) {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: shape must have ${rank.join(' or ')} entries, got ${JSON.stringify(shape)}`,
    );
  }
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) {
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: shape entries must be positive integers, got ${JSON.stringify(shape)}`,
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
  if (data == null || typeof data.length !== 'number') {
    throw new MetricsError('INVALID_SHAPE', `${fn}: ${what} must be a Float32Array (or array of numbers)`);
  }
  if (data.length !== n) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: ${what} has ${data.length} elements but shape ${JSON.stringify(shape)} needs ${n}; pass the shape of the data`,
    );
  }
}

/** Checks two arrays have the same length. */
export function checkSameLength(fn: string, a: NumericArray, b: NumericArray): void {
  if (a == null || b == null || typeof a.length !== 'number' || typeof b.length !== 'number') {
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

/** Throws `NON_FINITE_INPUT` naming the first NaN/±Inf element. */
export function checkFinite(fn: string, what: string, data: NumericArray): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is NaN exactly for NaN and ±Infinity.
    if (v - v !== 0) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: ${what}[${i}] is ${v}; metrics need finite values (mask or replace NaN/Inf first)`,
      );
    }
  }
}
