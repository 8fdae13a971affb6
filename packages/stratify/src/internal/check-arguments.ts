// Entry checks of stratify's exported functions: JavaScript callers, JSON configs and other tools hand over
// whatever they have, so an argument that cannot work becomes a StratifyError `INVALID_ARGUMENT` naming the
// function, the argument and the value (core's `describeValue`), never a TypeError from deep inside.
import { CoreError, describeValue } from '@worldstrat/core';
import { StratifyError } from '../errors.js';

/** The `INVALID_ARGUMENT` error: `<fn>: <what> must be <expected>, got <value>`. */
export function invalidArgument(fn: string, what: string, expected: string, value: unknown): StratifyError {
  return new StratifyError(
    'INVALID_ARGUMENT',
    `${fn}: ${what} must be ${expected}, got ${describeValue(value)}`,
  );
}

/** A string. */
export function checkString(fn: string, what: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(fn, what, 'a string', value);
  return value;
}

/** A function. */
export function checkFunction<F>(fn: string, what: string, value: F): F {
  if (typeof value !== 'function') throw invalidArgument(fn, what, 'a function', value);
  return value;
}

/** An object that is not null or an array (a row, an options object the caller must pass). */
export function checkObject<T>(fn: string, what: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(fn, what, 'an object', value);
  return value;
}

/** An optional options argument: absent (`{}`) or an object that is not an array. */
export function checkOptions<T extends object>(fn: string, value: T | undefined, what = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(fn, what, 'an object or undefined', value);
  return value;
}

/** Most items of a list argument: far past any table, and a bound on what walking it costs. */
export const MAX_LIST_ITEMS = 100_000_000;

/**
 * An array without holes of at most {@link MAX_LIST_ITEMS} items: `new Array(2 ** 32 - 1)` has no elements to
 * check but walking it takes minutes, and a hole is skipped by `map` and `for…of` alike (a row silently lost).
 */
export function checkArray<T>(fn: string, what: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw invalidArgument(fn, what, 'an array', value);
  checkDense(fn, what, value);
  return value;
}

function checkDense(fn: string, what: string, value: readonly unknown[]): void {
  if (value.length > MAX_LIST_ITEMS)
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `${fn}: ${what} must have at most ${MAX_LIST_ITEMS} items, got an array of length ${value.length}`,
    );
  for (let i = 0; i < value.length; i++)
    if (!(i in value))
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `${fn}: ${what}[${i}] is a hole (an array with empty slots)`,
      );
}

/** An array (as {@link checkArray}) or another iterable object (a Set, a typed array, a generator); a string is not a list. */
export function checkIterable<T>(fn: string, what: string, value: Iterable<T>): Iterable<T> {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  )
    throw invalidArgument(fn, what, 'an array', value);
  if (Array.isArray(value)) checkDense(fn, what, value);
  return value;
}

/** A non-negative safe integer (counts, ids, rounds). */
export function checkCount(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidArgument(fn, what, 'an integer ≥ 0', value);
  return value;
}

/**
 * A seed for core's `createRng` (a non-negative safe integer), checked here so the message names the function and
 * the option; a bad seed stays core's `INVALID_SEED` everywhere.
 */
export function checkSeed(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new CoreError(
      'INVALID_SEED',
      `${fn}: ${what} must be a non-negative safe integer, got ${describeValue(value)}`,
    );
  return value;
}

/** One of a few strings (an option switch), or its default when absent. */
export function checkOneOf<T extends string>(
  fn: string,
  what: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw invalidArgument(fn, what, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  return value as T;
}

/**
 * An on/off switch, or false when absent: a JSON config's `"false"` or `0` is refused, not read as its truthiness
 * (`compat: "false"` switched upstream's rounding on).
 */
export function checkFlag(fn: string, what: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidArgument(fn, what, 'true, false or undefined', value);
  return value;
}

/**
 * An AbortSignal or nothing: anything else (the AbortController itself, a string) used to be ignored, so aborting
 * never stopped the work.
 */
export function checkSignal(fn: string, what: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const aborted =
    typeof value === 'object' && value !== null ? (value as { aborted?: unknown }).aborted : undefined;
  if (typeof aborted !== 'boolean')
    throw invalidArgument(fn, what, 'an AbortSignal (pass controller.signal)', value);
  return value as AbortSignal;
}

/**
 * Throws once a loop over an iterable argument reaches its item `index` past {@link MAX_LIST_ITEMS}:
 * {@link checkIterable} bounds an array's length, but a generator may never end (a hang while the heap fills).
 */
export function checkItemIndex(fn: string, what: string, index: number): void {
  if (index >= MAX_LIST_ITEMS)
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `${fn}: ${what} yielded more than ${MAX_LIST_ITEMS} items; pass a finite list`,
    );
}

/** A legend code: a number (a numeric string read from a table still looks up); anything else cannot be one. */
export function checkCode(fn: string, code: unknown): void {
  if (typeof code !== 'number' && typeof code !== 'string')
    throw invalidArgument(fn, 'code', 'a number', code);
}
