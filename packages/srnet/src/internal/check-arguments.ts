// Entry checks of the exported functions: JavaScript callers, JSON configs and other tools pass whatever they
// have, so each argument is checked for the shape the function reads (an object with its members, an array, a
// number) before anything touches it or TF.js. Failures are SrnetErrors with the code of the argument's domain,
// naming the function, the argument and the value.
import { SrnetError, type SrnetErrorCode } from '../errors.js';
import { showValue } from './show-value.js';

/** Throws `code` with `fn: name must be <expected>, got <value>`. */
export function argumentError(
  fn: string,
  name: string,
  expected: string,
  value: unknown,
  code: SrnetErrorCode,
): never {
  throw new SrnetError(code, `${fn}: ${name} must be ${expected}, got ${showValue(value)}`, {
    argument: name,
  });
}

/** A non-null object that is not an array (a record, a class instance, a Map). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks `value` is an object (not null, not an array) and returns it. */
export function checkObject<T>(fn: string, name: string, value: unknown, code: SrnetErrorCode): T {
  if (!isRecord(value)) argumentError(fn, name, 'an object', value, code);
  return value as T;
}

/** Checks an optional options argument: absent → `{}`, else an object. */
export function checkOptions<T extends object>(
  fn: string,
  value: T | undefined,
  code: SrnetErrorCode,
  name = 'options',
): T {
  if (value === undefined) return {} as T;
  return checkObject<T>(fn, name, value, code);
}

/**
 * Checks a partial model config argument: absent (undefined or null: the defaults) or an object; returns it.
 */
export function checkConfigArgument<T>(fn: string, value: unknown, name = 'config'): T | undefined {
  if (value === undefined || value === null) return undefined;
  return checkObject<T>(fn, name, value, 'BAD_CONFIG');
}

/** Checks a state_dict argument: an object of `{ shape, data }` tensors (the tensors are checked later). */
export function checkStateDictArgument(fn: string, value: unknown, name = 'stateDict'): void {
  checkObject(fn, name, value, 'MISSING_WEIGHTS');
}

/** Checks `value` is an array (typed arrays and array-likes are not). */
export function checkArray<T>(fn: string, name: string, value: unknown, code: SrnetErrorCode): T[] {
  if (!Array.isArray(value)) argumentError(fn, name, 'an array', value, code);
  return value as T[];
}

/** An array, typed array or other object with a whole-number `length`. */
export function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  if (value === null || typeof value !== 'object') return false;
  const n = (value as { length?: unknown }).length;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Checks `value` is an array, a typed array or another array-like and returns it. */
export function checkArrayLike<T = number>(
  fn: string,
  name: string,
  value: unknown,
  code: SrnetErrorCode,
): ArrayLike<T> {
  if (!isArrayLike(value)) argumentError(fn, name, 'an array or typed array', value, code);
  return value as ArrayLike<T>;
}

/** Checks `value` is a string. */
export function checkString(fn: string, name: string, value: unknown, code: SrnetErrorCode): string {
  if (typeof value !== 'string') argumentError(fn, name, 'a string', value, code);
  return value;
}

/** Checks an optional string member (absent → undefined). */
export function checkOptionalString(
  fn: string,
  name: string,
  value: unknown,
  code: SrnetErrorCode,
): string | undefined {
  return value === undefined ? undefined : checkString(fn, name, value, code);
}

/** Checks `value` is a finite number (optionally an integer within `[min, max]`). */
export function checkNumber(
  fn: string,
  name: string,
  value: unknown,
  code: SrnetErrorCode,
  range: { integer?: boolean; min?: number; max?: number } = {},
): number {
  const { integer = false, min = -Infinity, max = Infinity } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    value >= min &&
    value <= max;
  if (!ok) {
    const kind = integer ? 'an integer' : 'a finite number';
    const bounds =
      min > -Infinity && max < Infinity
        ? ` in ${min}..${max}`
        : min > -Infinity
          ? ` ≥ ${min}`
          : max < Infinity
            ? ` ≤ ${max}`
            : '';
    argumentError(fn, name, `${kind}${bounds}`, value, code);
  }
  return value as number;
}

/** Largest seed: SeededRandom takes 32 bits, so a larger or fractional one would silently equal another. */
export const MAX_SEED = 2 ** 32 - 1;

/** Checks a seed: an integer in 0..{@link MAX_SEED} (0.9 and 2^32 + 7 used to seed like 0 and 7). */
export function checkSeed(fn: string, name: string, value: unknown): number {
  return checkNumber(fn, name, value, 'BAD_CONFIG', { integer: true, min: 0, max: MAX_SEED });
}

/** Checks `value` is a function. */
export function checkFunction<T extends (...args: never[]) => unknown>(
  fn: string,
  name: string,
  value: unknown,
  code: SrnetErrorCode,
): T {
  if (typeof value !== 'function') argumentError(fn, name, 'a function', value, code);
  return value as T;
}

/** Checks an optional AbortSignal (anything with a boolean `aborted` and `addEventListener`). */
export function checkSignal(fn: string, name: string, value: unknown, code: SrnetErrorCode): void {
  if (value === undefined) return;
  const s = value as { aborted?: unknown; addEventListener?: unknown };
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function'
  )
    argumentError(fn, name, 'an AbortSignal', value, code);
}

/**
 * Checks `value` looks like an srnet model (an `SrModel`: `config`, `specs`, `variables` and
 * `trainableVariables`), before TF.js touches its variables.
 */
export function checkModel<T>(
  fn: string,
  name: string,
  value: unknown,
  code: SrnetErrorCode = 'BAD_CONFIG',
): T {
  const m = value as Record<string, unknown> | null;
  if (
    !isRecord(m) ||
    !isRecord(m.config) ||
    !Array.isArray(m.specs) ||
    !isRecord(m.variables) ||
    typeof (m.variables as { get?: unknown }).get !== 'function' ||
    typeof m.trainableVariables !== 'function'
  )
    argumentError(fn, name, 'an SrModel (from createModel, modelFromStateDict or loadModel)', value, code);
  return value as T;
}

/**
 * Checks `value` looks like a TF.js tensor of `rank` (a `shape` of whole numbers and a `dtype`), before any TF.js
 * op sees it.
 */
export function checkTensor<T>(
  fn: string,
  name: string,
  value: unknown,
  rank: number,
  code: SrnetErrorCode = 'BAD_INPUT_SHAPE',
): T {
  const t = value as { shape?: unknown; dtype?: unknown; isDisposed?: unknown } | null;
  const shape = t?.shape;
  if (
    t === null ||
    typeof t !== 'object' ||
    !Array.isArray(shape) ||
    shape.length !== rank ||
    !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
    typeof t.dtype !== 'string'
  )
    argumentError(fn, name, `a rank-${rank} TF.js tensor`, value, code);
  if (t.isDisposed === true)
    throw new SrnetError('DISPOSED', `${fn}: ${name} is a disposed tensor`, { argument: name });
  return value as T;
}

/**
 * Checks a raster argument has what srnet reads: whole-number `width` and `height`, and `bands` as an array of
 * arrays or typed arrays of `width × height` values each.
 */
export function checkRasterArg(fn: string, name: string, value: unknown, code: SrnetErrorCode): void {
  const r = value as { width?: unknown; height?: unknown; bands?: unknown } | null;
  if (!isRecord(r)) argumentError(fn, name, 'a Raster object', value, code);
  for (const key of ['width', 'height'] as const)
    if (!Number.isSafeInteger(r[key]) || (r[key] as number) < 0)
      argumentError(fn, `${name}.${key}`, 'a whole number', r[key], code);
  if (!Array.isArray(r.bands)) argumentError(fn, `${name}.bands`, 'an array of bands', r.bands, code);
  const pixels = (r.width as number) * (r.height as number);
  for (const [i, b] of (r.bands as unknown[]).entries()) {
    if (!isArrayLike(b)) argumentError(fn, `${name}.bands[${i}]`, 'an array or typed array', b, code);
    // a short band reads NaN past its end: pixels would go silently missing (a long one: silently ignored)
    if (b.length !== pixels)
      throw new SrnetError(
        code,
        `${fn}: ${name}.bands[${i}] holds ${b.length} values but the raster is ${r.width as number}×${r.height as number} (${pixels} pixels); pass one value per pixel`,
        { argument: `${name}.bands[${i}]`, length: b.length, pixels },
      );
    // a typed array holds numbers by construction; a plain array (JSON) is checked value by value
    if (!ArrayBuffer.isView(b))
      for (let p = 0; p < b.length; p++)
        if (typeof b[p] !== 'number' && b[p] !== null)
          argumentError(fn, `${name}.bands[${i}][${p}]`, 'a number (or null for no data)', b[p], code);
  }
}
