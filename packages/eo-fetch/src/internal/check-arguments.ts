// Argument checks at the entry of the public functions: callers, JSON configs and other tools hand over whatever
// they have, so each argument's shape is checked before it is read, and a wrong one is an `INVALID_ARGUMENT`
// EoFetchError naming the function, the argument and the value (never re-exported).
import { describeValue } from '@worldstrat/core';
import { EoFetchError } from '../errors.js';

/** Throws `INVALID_ARGUMENT`: `<fn>: <name> must be <expected>, got <value>`. */
export function invalidArgument(fn: string, name: string, expected: string, value: unknown): never {
  throw new EoFetchError(
    'INVALID_ARGUMENT',
    `${fn}: ${name} must be ${expected}, got ${describeValue(value)}`,
  );
}

const isObject = (v: unknown): v is Record<string, any> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A required object argument (not null, not an array). */
export function checkObject<T>(fn: string, name: string, value: T): T {
  if (!isObject(value)) invalidArgument(fn, name, 'an object', value);
  return value;
}

/** An options argument: absent (→ `{}`) or an object. */
export function checkOptions<T extends object>(fn: string, value: T | undefined, name = 'options'): T {
  if (value === undefined) return {} as T;
  return checkObject(fn, name, value);
}

/** A string argument (`optional`: undefined is accepted too). */
export function checkString(fn: string, name: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'string') invalidArgument(fn, name, 'a string', value);
}

/** A non-empty string argument. */
export function checkNonEmptyString(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') invalidArgument(fn, name, 'a non-empty string', value);
}

/** A function argument (`optional`: undefined is accepted too). */
export function checkFunction(fn: string, name: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'function') invalidArgument(fn, name, 'a function', value);
}

/** An array argument. */
export function checkArray(fn: string, name: string, value: unknown): void {
  if (!Array.isArray(value)) invalidArgument(fn, name, 'an array', value);
}

/** An array whose entries are objects (AOIs, revisits, records). */
export function checkObjectArray(fn: string, name: string, value: unknown): void {
  checkArray(fn, name, value);
  for (const [i, v] of (value as unknown[]).entries()) checkObject(fn, `${name}[${i}]`, v);
}

/** Anything `for…of` walks except a string (arrays, Sets, generators). */
export function checkIterable(fn: string, name: string, value: unknown): void {
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  )
    invalidArgument(fn, name, 'an array', value);
}

/** Numbers as an array or a typed array (a plain `{ length }` object would be walked element by element). */
export function checkNumberArray(fn: string, name: string, value: unknown): void {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView)))
    invalidArgument(fn, name, 'an array or typed array of numbers', value);
}

/** An array of strings. */
export function checkStringArray(fn: string, name: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    invalidArgument(fn, name, 'an array of strings', value);
}

/** Limits of {@link checkNumber}. */
export interface NumberRule {
  optional?: boolean;
  integer?: boolean;
  min?: number;
  /** Also accept ±Infinity (otherwise finite numbers only). */
  infinite?: boolean;
}

/** A number argument: finite (or ±Infinity with `infinite`), an integer with `integer`, at least `min`. */
export function checkNumber(fn: string, name: string, value: unknown, rule: NumberRule = {}): void {
  if (rule.optional && value === undefined) return;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (rule.infinite || Number.isFinite(value)) &&
    (!rule.integer || Number.isInteger(value) || (rule.infinite && !Number.isFinite(value))) &&
    (rule.min === undefined || value >= rule.min);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : rule.infinite ? 'a number' : 'a finite number';
    invalidArgument(fn, name, rule.min === undefined ? kind : `${kind} ≥ ${rule.min}`, value);
  }
}

/** An AbortSignal (or a look-alike with `aborted` and `addEventListener`), or undefined. */
export function checkSignal(fn: string, name: string, value: unknown): void {
  if (value === undefined) return;
  const s = value as { aborted?: unknown; addEventListener?: unknown } | null;
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function'
  )
    invalidArgument(fn, name, 'an AbortSignal', value);
}

/** A Response (or a look-alike with `headers.get`). */
export function checkResponse(fn: string, name: string, value: unknown): void {
  const headers = (value as { headers?: { get?: unknown } } | null)?.headers;
  if (!isObject(value) || !headers || typeof headers.get !== 'function')
    invalidArgument(fn, name, 'a fetch Response', value);
}

/**
 * A `Partial<RetryPolicy>` argument: absent or an object whose members, when set, are what the retry loop
 * needs (a NaN retry count would retry forever, a timeout beyond 2^31 − 1 ms fires at once).
 */
export function checkRetryPolicy(fn: string, name: string, value: unknown): void {
  if (value === undefined) return;
  const p = checkObject(fn, name, value) as Record<string, unknown>;
  checkNumber(fn, `${name}.retries`, p.retries, { optional: true, integer: true, min: 0 });
  for (const k of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'])
    checkNumber(fn, `${name}.${k}`, p[k], { optional: true, min: 0, infinite: k === 'maxRetryAfterMs' });
  if (
    p.timeoutMs !== undefined &&
    !(typeof p.timeoutMs === 'number' && p.timeoutMs > 0 && p.timeoutMs <= MAX_TIMER_MS)
  )
    invalidArgument(fn, `${name}.timeoutMs`, `a number of ms in (0, ${MAX_TIMER_MS}]`, p.timeoutMs);
  if (
    p.retryStatuses !== undefined &&
    (!Array.isArray(p.retryStatuses) || p.retryStatuses.some((s) => !Number.isInteger(s)))
  )
    invalidArgument(fn, `${name}.retryStatuses`, 'an array of HTTP status codes', p.retryStatuses);
  checkNumber(fn, `${name}.seed`, p.seed, { optional: true });
}

/** Longest delay a timer takes (a longer one fires after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** AOIs: a list of objects (their names and bounds are checked where they are used). */
export function checkAois(fn: string, name: string, value: unknown): void {
  checkIterable(fn, name, value);
  let i = 0;
  for (const a of value as Iterable<unknown>) checkObject(fn, `${name}[${i++}]`, a);
}

/** One revisit as `matchRevisits` returns it: an object with an `entry` object. */
export function checkRevisit(fn: string, name: string, value: unknown): void {
  const r = checkObject(fn, name, value) as Record<string, unknown>;
  checkObject(fn, `${name}.entry`, r.entry);
}

/**
 * One revisit written as a table row (`revisitsToCsv`, `revisitsToTable`): every column of its type, as
 * `matchRevisits` gives it. An object there became `[object Object]` or a TypeError, a fractional `n` was truncated.
 */
export function checkRevisitRow(fn: string, name: string, value: unknown): void {
  checkRevisit(fn, name, value);
  const r = value as Record<string, unknown>;
  const entry = r.entry as Record<string, unknown>;
  checkString(fn, `${name}.aoi`, r.aoi);
  checkString(fn, `${name}.targetDate`, r.targetDate);
  for (const key of ['id', 'source', 'datetime']) checkString(fn, `${name}.entry.${key}`, entry[key]);
  for (const key of ['n', 'deltaDays']) checkNumber(fn, `${name}.${key}`, r[key], { integer: true });
  for (const key of ['rank', 'areaKm2', 'coverage']) checkNumber(fn, `${name}.${key}`, r[key]);
  if (entry.cloudCover !== null) checkNumber(fn, `${name}.entry.cloudCover`, entry.cloudCover);
}

/** A list of revisits (see {@link checkRevisit}). */
export function checkRevisits(fn: string, name: string, value: unknown): void {
  checkArray(fn, name, value);
  for (const [i, r] of (value as unknown[]).entries()) checkRevisit(fn, `${name}[${i}]`, r);
}

/** A stage context: absent or an object with an optional signal, `onProgress` and `log`. */
export function checkStageContext<T extends object>(fn: string, value: T | undefined): T {
  const c = checkOptions(fn, value, 'context') as Record<string, unknown>;
  checkSignal(fn, 'context.signal', c.signal);
  checkFunction(fn, 'context.onProgress', c.onProgress, true);
  checkFunction(fn, 'context.log', c.log, true);
  return c as T;
}

/** Absent, or one of `allowed` (an unknown switch would silently act as the default). */
export function checkOneOf(fn: string, name: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string))
    invalidArgument(fn, name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
}

/**
 * What a thrown value says, for a message: an Error's (or an error-like object's) message, a string as it is,
 * anything else described (`null`, `42`…); never throws itself, whatever was thrown.
 */
export function thrownMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  try {
    const message = (err as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // a getter that throws: described below
  }
  return `it threw ${describeValue(err)}`;
}
