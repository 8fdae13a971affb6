// Entry checks of core's exported functions: a JavaScript caller, a JSON config or another tool hands over
// whatever it has, so an argument that cannot work becomes a CoreError `INVALID_ARGUMENT` naming the function,
// the argument and the value, never a TypeError from deep inside. Internal: not exported from the package.
import { describeValue } from '../describe-value.js';
import { CoreError } from '../errors.js';

/** The `INVALID_ARGUMENT` error: `<fn>: <what> must be <expected>, got <value>`. */
export function invalidArgument(fn: string, what: string, expected: string, value: unknown): CoreError {
  return new CoreError('INVALID_ARGUMENT', `${fn}: ${what} must be ${expected}, got ${describeValue(value)}`);
}

/** A string. */
export function checkString(fn: string, what: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(fn, what, 'a string', value);
  return value;
}

/** A number (NaN and ±Infinity included; see {@link checkFinite}). */
export function checkNumber(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidArgument(fn, what, 'a number', value);
  return value;
}

/** A finite number. */
export function checkFinite(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidArgument(fn, what, 'a finite number', value);
  return value;
}

/** A function. */
export function checkFunction<F>(fn: string, what: string, value: F): F {
  if (typeof value !== 'function') throw invalidArgument(fn, what, 'a function', value);
  return value;
}

/** An object (not null); functions count, since members are all that is read. */
export function checkObject(fn: string, what: string, value: unknown): object {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    throw invalidArgument(fn, what, 'an object', value);
  return value;
}

/** An options argument: absent (`{}`) or an object that is not an array. */
export function checkOptions<T extends object>(fn: string, value: T | undefined, what = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(fn, what, 'an object or undefined', value);
  return value;
}

/** An array, or another iterable object (a Set, a generator); strings are not lists. */
export function checkIterable<T>(fn: string, what: string, value: Iterable<T>): Iterable<T> {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  )
    throw invalidArgument(fn, what, 'an array', value);
  return value;
}

/** What `onAbort` needs of a signal: `addEventListener`/`removeEventListener` (an `AbortSignal`, or a polyfill's). */
export function isSignalLike(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function'
  );
}

/** An `AbortSignal` (anything with `addEventListener`/`removeEventListener`). */
export function checkSignal(fn: string, what: string, value: unknown): AbortSignal {
  if (!isSignalLike(value)) throw invalidArgument(fn, what, 'an AbortSignal', value);
  return value;
}
