// Entry checks of the exported functions: JavaScript callers, JSON configs and other tools pass whatever they
// have, so a wrong shape is an INVALID_ARGUMENT WorldStratError that names the function, the argument and the
// value, never a TypeError from deep inside or a silently wrong result.
import { CoreError, describeValue, formatIsoDay, parseIsoDay } from '@worldstrat/core';
import { WorldStratError } from '../errors.js';

/** The `INVALID_ARGUMENT` error `${fn}: ${what} must be ${expected}, got <value>`. */
export function argumentError(fn: string, what: string, expected: string, value: unknown): WorldStratError {
  return new WorldStratError(
    'INVALID_ARGUMENT',
    `${fn}: ${what} must be ${expected}, got ${describeValue(value)}`,
  );
}

/**
 * The UTC day `YYYY-MM-DD` of an ISO-8601 day (with `allowTime`, a date-time: its UTC day; no zone = UTC), read
 * strictly by core's `parseIsoDay`: `Date.parse` took `2022/01/01` as local midnight, the previous UTC day east
 * of Greenwich. A bad one is `INVALID_ARGUMENT` naming `what`.
 */
export function checkDay(value: unknown, what: string, allowTime = false): string {
  try {
    return formatIsoDay(parseIsoDay(String(value), { what, allowTime }));
  } catch (err) {
    if (err instanceof CoreError) throw new WorldStratError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  }
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

/** Checks `value` is absent (undefined or null) or an object (not an array). */
export function checkOptionalObject(fn: string, what: string, value: unknown): void {
  if (value !== undefined && value !== null) checkObject(fn, what, value);
}

/** Checks `value` is a function. */
export function checkFunction(fn: string, what: string, value: unknown): void {
  if (typeof value !== 'function') throw argumentError(fn, what, 'a function', value);
}

/** Checks `value` is absent (undefined or null) or a function. */
export function checkOptionalFunction(fn: string, what: string, value: unknown): void {
  if (value !== undefined && value !== null) checkFunction(fn, what, value);
}

/** Checks `value` is absent (undefined or null) or an `AbortSignal` (anything with add/removeEventListener). */
export function checkOptionalSignal(fn: string, what: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const s = value as Partial<AbortSignal>;
  if (
    typeof value !== 'object' ||
    typeof s.addEventListener !== 'function' ||
    typeof s.removeEventListener !== 'function'
  )
    throw argumentError(fn, what, 'an AbortSignal', value);
}

/** Checks `value` is an array of strings (at most `max` of them). */
export function checkStringList(fn: string, what: string, value: unknown, max = 1_000_000): void {
  if (!Array.isArray(value)) throw argumentError(fn, what, 'an array of strings', value);
  if (value.length > max)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${fn}: ${what} has ${value.length} entries, more than ${max}`,
    );
  for (const [i, v] of value.entries()) checkString(fn, `${what}[${i}]`, v);
}

/** Checks `value` is absent (undefined or null) or one of `allowed`. */
export function checkOptionalChoice(
  fn: string,
  what: string,
  value: unknown,
  allowed: readonly unknown[],
): void {
  if (value === undefined || value === null || allowed.includes(value)) return;
  throw argumentError(fn, what, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
}

/**
 * Checks a pipeline context (absent, or an object whose `signal`, `onProgress` and `log` are absent or of their
 * kind) and returns it (`{}` when absent).
 */
export function checkContext<T extends object>(fn: string, context: T | undefined, what = 'context'): T {
  if (context === undefined) return {} as T;
  checkObject(fn, what, context);
  const c = context as Record<string, unknown>;
  checkOptionalSignal(fn, `${what}.signal`, c.signal);
  checkOptionalFunction(fn, `${what}.onProgress`, c.onProgress);
  checkOptionalFunction(fn, `${what}.log`, c.log);
  return context;
}

/** Checks `value` is an object with the methods `methods` (a Redis client, a dataset, an engine...). */
export function checkWithMethods(
  fn: string,
  what: string,
  value: unknown,
  expected: string,
  methods: readonly string[],
): void {
  if (
    value === null ||
    typeof value !== 'object' ||
    methods.some((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
  )
    throw argumentError(fn, what, expected, value);
}

/** Checks `value` is absent (undefined or null), `'auto'` or an integer in `[min, max]`. */
export function checkOptionalIntegerOrAuto(
  fn: string,
  what: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (value === 'auto') return;
  if (value === undefined || value === null) return;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw argumentError(fn, what, `'auto' or an integer in ${min}..${max}`, value);
}

/** Checks `value` is absent (undefined or null) or a finite number (its range is checked where it is used). */
export function checkOptionalFinite(fn: string, what: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw argumentError(fn, what, 'a finite number', value);
}

/** The numeric training options `trainModel` and `runBenchmark` share: finite numbers where given. */
export function checkTrainingNumbers(
  fn: string,
  options: { microBatchSize?: unknown; cosineT0?: unknown } & Record<string, unknown>,
): void {
  for (const k of [
    'epochs',
    'maxSteps',
    'batchSize',
    'learningRate',
    'cosineDecaySteps',
    'seed',
    'checkpointEvery',
  ])
    checkOptionalFinite(fn, `options.${k}`, options[k]);
  if (options.microBatchSize !== 'auto')
    checkOptionalFinite(fn, 'options.microBatchSize', options.microBatchSize);
  if (options.cosineT0 !== false) checkOptionalFinite(fn, 'options.cosineT0', options.cosineT0);
}

/** Checks `value` is a number (NaN and ±Infinity included: scores may be infinite). */
export function checkNumber(fn: string, what: string, value: unknown): void {
  if (typeof value !== 'number') throw argumentError(fn, what, 'a number', value);
}

/** Checks a model spec (`ModelSpec`): a name and a config object with a positive integer `revisits`. */
export function checkModelSpec(fn: string, what: string, spec: unknown): void {
  checkObject(fn, what, spec);
  const { name, config } = spec as Record<string, unknown>;
  checkString(fn, `${what}.name`, name);
  checkObject(fn, `${what}.config`, config);
  const revisits = (config as Record<string, unknown>).revisits;
  if (!Number.isSafeInteger(revisits) || (revisits as number) < 1)
    throw argumentError(fn, `${what}.config.revisits`, 'a positive integer', revisits);
}
