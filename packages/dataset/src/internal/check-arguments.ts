// Checks of the exported functions' arguments at entry: JavaScript callers, JSON configs and other tools pass
// whatever they have. Each check throws DatasetError `INVALID_ARGUMENT` naming the function, the argument and
// the value, and accepts everything that worked before (typed arrays or arrays of numbers where either was
// read, extra members, absent options).
import { describeValue } from '@worldstrat/core';
import { DatasetError } from '../errors.js';

/** `INVALID_ARGUMENT`: `<fn>: <argument> must be <what>, got <value>`. */
export function argumentError(fn: string, name: string, what: string, value: unknown): DatasetError {
  return new DatasetError('INVALID_ARGUMENT', `${fn}: ${name} must be ${what}, got ${describeValue(value)}`);
}

/** An object argument (not null, not an array; extra members are fine). */
export function checkObject<T>(fn: string, name: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw argumentError(fn, name, 'an object', value);
  return value;
}

/** An options argument: absent (`{}` then) or an object. */
export function checkOptions<T extends object>(fn: string, options: T | undefined, name = 'options'): T {
  if (options === undefined) return {} as T;
  return checkObject(fn, name, options);
}

/** An array argument. */
export function checkArrayArgument<T>(fn: string, name: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw argumentError(fn, name, 'an array', value);
  return value;
}

/** A string argument; `nonEmpty` also refuses `''` (a path, a URL). */
export function checkString(fn: string, name: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string' || (nonEmpty && value === ''))
    throw argumentError(fn, name, nonEmpty ? 'a non-empty string' : 'a string', value);
  return value;
}

/** A file or folder path: a non-empty string. */
export function checkPath(fn: string, name: string, value: unknown): string {
  return checkString(fn, name, value, true);
}

/** An integer in [min, max]. */
export function checkInteger(
  fn: string,
  name: string,
  value: unknown,
  min: number,
  max = 2 ** 31 - 1,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw argumentError(fn, name, `an integer in ${min}..${max}`, value);
  return value;
}

/** A finite number. */
export function checkFinite(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw argumentError(fn, name, 'a finite number', value);
  return value;
}

const isTypedArray = (value: unknown): value is ArrayLike<number> =>
  ArrayBuffer.isView(value) && !(value instanceof DataView);

/** Numbers read by index: a typed array or an array. */
export function checkNumbers(fn: string, name: string, value: unknown): ArrayLike<number> {
  if (!isTypedArray(value) && !Array.isArray(value))
    throw argumentError(fn, name, 'a Float32Array (or an array of numbers)', value);
  return value as ArrayLike<number>;
}

/** A typed array (its `subarray`/`set` are used). */
export function checkTypedArray(fn: string, name: string, value: unknown): ArrayLike<number> {
  if (!isTypedArray(value)) throw argumentError(fn, name, 'a Float32Array', value);
  return value;
}

/** A shape: an array of `rank` entries (the entries are checked against the data by the caller). */
export function checkShape(fn: string, name: string, value: unknown, labels: string): readonly number[] {
  const rank = labels.split(',').length;
  if (!Array.isArray(value) || value.length !== rank) throw argumentError(fn, name, `[${labels}]`, value);
  return value;
}

/** An object with the methods `methods` (a generator's `next`/`int`/`normal`, a byte source's `read`). */
export function checkMethods(fn: string, name: string, value: unknown, methods: readonly string[]): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    throw argumentError(fn, name, `an object with ${methods.map((m) => `${m}()`).join(', ')}`, value);
  for (const m of methods) {
    const member = (value as Record<string, unknown>)[m];
    if (typeof member !== 'function') throw argumentError(fn, `${name}.${m}`, 'a function', member);
  }
}

/** The synthetic model's generator: `next`, `int` and `normal` (a `createRng` of @worldstrat/core). */
export function checkSynthRng(fn: string, name: string, value: unknown): void {
  checkMethods(fn, name, value, ['next', 'int', 'normal']);
}

/**
 * A synthetic scene as `synthesizeScene` returns it: per-pixel `classes` and `texture` of one length, and (with
 * `sized`) its width × height and a positive pixel size.
 */
export function checkScene(fn: string, name: string, value: unknown, sized: boolean): void {
  const s = checkObject(fn, name, value) as Record<string, unknown>;
  const classes = s.classes;
  if (!isTypedArray(classes)) throw argumentError(fn, `${name}.classes`, 'a Uint8Array', classes);
  const n = classes.length;
  if (!isTypedArray(s.texture) || s.texture.length !== n)
    throw argumentError(fn, `${name}.texture`, `a Float32Array of ${n} values (one per class)`, s.texture);
  if (!sized) return;
  const width = checkInteger(fn, `${name}.width`, s.width, 1);
  const height = checkInteger(fn, `${name}.height`, s.height, 1);
  if (width * height !== n)
    throw argumentError(fn, `${name}.width × height`, `the ${n} pixels of its classes`, [width, height]);
  const px = s.pixelSizeM;
  if (typeof px !== 'number' || !(px > 0) || px === Number.POSITIVE_INFINITY)
    throw argumentError(fn, `${name}.pixelSizeM`, 'a positive finite number', px);
}

/** Revisit parameters as `drawRevisitParams` returns them (12 gains and offsets, a 2-vector shift). */
export function checkRevisitParams(fn: string, name: string, value: unknown): void {
  const params = checkArrayArgument(fn, name, value as readonly unknown[]);
  for (let r = 0; r < params.length; r++) {
    const at = `${name}[${r}]`;
    const p = checkObject(fn, at, params[r]) as Record<string, unknown>;
    const shift = checkNumbers(fn, `${at}.shiftPx`, p.shiftPx);
    if (shift.length !== 2) throw argumentError(fn, `${at}.shiftPx`, '[s_y, s_x]', shift);
    for (const key of ['gain', 'offset']) {
      const v = checkNumbers(fn, `${at}.${key}`, p[key]);
      if (v.length !== 12) throw argumentError(fn, `${at}.${key}`, '12 numbers (one per band)', v);
    }
    checkFinite(fn, `${at}.noiseSigma`, p.noiseSigma);
    checkFinite(fn, `${at}.cloudTarget`, p.cloudTarget);
  }
}

/** Optional members of an options object: `signal` an AbortSignal (anything with `aborted`), callbacks functions. */
export function checkSignalAndCallbacks(
  fn: string,
  options: Record<string, unknown>,
  callbacks: readonly string[] = ['onProgress'],
  at = 'options',
): void {
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || !('aborted' in signal)))
    throw argumentError(fn, `${at}.signal`, 'an AbortSignal', options.signal);
  for (const name of callbacks)
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw argumentError(fn, `${at}.${name}`, 'a function', options[name]);
}

/** An optional string member of an options object. */
export function checkOptionalString(fn: string, name: string, value: unknown): void {
  if (value !== undefined) checkString(fn, name, value);
}
