// Argument checks of the public non-TIFF functions: rasters, arrays and options come from callers, JSON
// configs and other tools, so their shape is checked before anything is read or allocated (never re-exported).

import { describeValue } from '@worldstrat/core';
import { RasterIoError } from '../errors.js';
import { DEFAULT_RASTER_IO_LIMITS } from '../read/limits.js';
import { DTYPES, type Raster } from '../types.js';
import { dtypeOfArray } from './typed-array.js';

/** A caller's value quoted for a message (core's rendering: short, never throws). */
export { describeValue };

/** Throws `INVALID_ARGUMENT` with `message` (the argument checks below, and the option checks beside them). */
export function invalid(message: string): never {
  throw new RasterIoError('INVALID_ARGUMENT', message);
}

/** An options argument: absent (→ `{}`) or a plain object. */
export function checkOptions<T extends object>(
  fn: string,
  options: T | undefined | null,
  name = 'options',
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    invalid(`${fn}: ${name} must be an object, got ${describeValue(options)}`);
  // every signal option is checked here, before any read starts (a bad one found mid-read left reads running)
  const { signal } = options as { signal?: unknown };
  if (signal !== undefined && !isAbortSignal(signal))
    invalid(`${fn}: ${name}.signal must be an AbortSignal, got ${describeValue(signal)}`);
  return options;
}

/** An AbortSignal, from this realm or another (checked by shape: `aborted` and the listener methods). */
function isAbortSignal(v: unknown): v is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) return true;
  const s = v as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function'
  );
}

/** An optional flag: absent or a boolean. */
export function checkOptionalBoolean(fn: string, name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    invalid(`${fn}: ${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** A size in pixels: a positive safe integer. */
export function checkPositiveInteger(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    invalid(`${fn}: ${name} must be a positive integer, got ${describeValue(value)}`);
  return value;
}

/** An array of numbers or a typed array (a plain `{ length }` object would be walked element by element). */
export function checkNumberArray(fn: string, name: string, value: unknown): ArrayLike<number> {
  // BigInt64Array/BigUint64Array hold bigints, which arithmetic with numbers throws on
  const ok =
    Array.isArray(value) ||
    (ArrayBuffer.isView(value) &&
      !(value instanceof DataView) &&
      !(value instanceof BigInt64Array) &&
      !(value instanceof BigUint64Array) &&
      typeof (value as any).length === 'number');
  if (!ok) invalid(`${fn}: ${name} must be an array or typed array of numbers, got ${describeValue(value)}`);
  // A plain array from JSON may hold null (JSON's NaN) or numeric strings, which arithmetic would coerce.
  if (Array.isArray(value))
    for (const [i, v] of value.entries())
      if (typeof v !== 'number') invalid(`${fn}: ${name}[${i}] must be a number, got ${describeValue(v)}`);
  return value as ArrayLike<number>;
}

/** A raster argument (an object with `bands`) rather than a bare band array. */
export function isRasterArgument(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** A finite number option (`name` in messages). */
export function checkFiniteNumber(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid(`${fn}: ${name} must be a finite number, got ${describeValue(value)}`);
  return value;
}

/** Pixels one raster argument may hold: the reader's default limit, so no caller-declared size runs away. */
const MAX_RASTER_PIXELS = DEFAULT_RASTER_IO_LIMITS.maxPixels;

/**
 * A raster argument: a positive `width × height` (at most 2^31 pixels), a known dtype, at least one band, each
 * band a raster typed array (Uint8Array … Float64Array) with `width × height` values, a numeric `noData` and a geotransform of six
 * finite numbers when present.
 */
export function checkRaster(fn: string, raster: unknown, name = 'raster'): Raster {
  if (raster === null || typeof raster !== 'object')
    invalid(`${fn}: ${name} must be a raster object, got ${describeValue(raster)}`);
  const r = raster as Raster;
  checkPositiveInteger(fn, `${name}.width`, r.width);
  checkPositiveInteger(fn, `${name}.height`, r.height);
  if (r.width * r.height > MAX_RASTER_PIXELS)
    invalid(`${fn}: ${name} is ${r.width}×${r.height}, more than ${MAX_RASTER_PIXELS} pixels`);
  if (!(DTYPES as readonly unknown[]).includes(r.dtype))
    invalid(`${fn}: ${name}.dtype must be one of ${DTYPES.join(', ')}, got ${describeValue(r.dtype)}`);
  if (!Array.isArray(r.bands) || r.bands.length === 0)
    invalid(`${fn}: ${name}.bands must be a non-empty array of typed arrays, got ${describeValue(r.bands)}`);
  const n = r.width * r.height;
  for (const [i, band] of r.bands.entries()) {
    // Any raster typed array: the functions convert bands by value (only the TIFF writer needs `dtype` exact).
    if (!ArrayBuffer.isView(band) || bandDtype(band) === undefined)
      invalid(`${fn}: ${name}.bands[${i}] must be a raster typed array, got ${describeValue(band)}`);
    if (band.length !== n)
      invalid(
        `${fn}: ${name}.bands[${i}] has ${band.length} values; a ${r.width}×${r.height} raster needs ${n}`,
      );
  }
  if (r.noData !== undefined && r.noData !== null && typeof r.noData !== 'number')
    invalid(`${fn}: ${name}.noData must be a number or null, got ${describeValue(r.noData)}`);
  if (r.geo != null) checkGeo(fn, `${name}.geo`, r.geo);
  return r;
}

function bandDtype(band: ArrayBufferView): string | undefined {
  try {
    return dtypeOfArray(band);
  } catch {
    return undefined;
  }
}

/** A geo block: a non-negative integer EPSG code and six finite geotransform numbers. */
export function checkGeo(fn: string, name: string, geo: unknown): void {
  if (geo === null || typeof geo !== 'object')
    invalid(`${fn}: ${name} must be { epsg, transform }, got ${describeValue(geo)}`);
  const g = geo as { epsg: unknown; transform: unknown };
  if (typeof g.epsg !== 'number' || !Number.isSafeInteger(g.epsg) || g.epsg < 0)
    invalid(`${fn}: ${name}.epsg must be a non-negative integer, got ${describeValue(g.epsg)}`);
  checkTransform(fn, `${name}.transform`, g.transform);
}

/** A GDAL geotransform: six finite numbers. */
export function checkTransform(fn: string, name: string, t: unknown): void {
  if (!Array.isArray(t) || t.length !== 6 || !t.every((v) => typeof v === 'number' && Number.isFinite(v)))
    invalid(`${fn}: ${name} must be six finite numbers, got ${describeValue(t)}`);
}

/** A string argument (a URL, a path). */
export function checkString(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string') invalid(`${fn}: ${name} must be a string, got ${describeValue(value)}`);
  return value;
}

/** An object argument with the named function members (a ByteSource, an opened GeoTiff...). */
export function checkObjectWith(fn: string, name: string, value: unknown, members: readonly string[]): void {
  const ok =
    value !== null &&
    typeof value === 'object' &&
    members.every((m) =>
      m === 'levels' ? Array.isArray((value as any)[m]) : typeof (value as any)[m] === 'function',
    );
  if (!ok)
    invalid(`${fn}: ${name} must be an object with ${members.join(', ')}, got ${describeValue(value)}`);
}

/** Bytes: a Uint8Array or an ArrayBuffer. */
export function checkBytes(fn: string, name: string, value: unknown): void {
  if (!(value instanceof Uint8Array) && !(value instanceof ArrayBuffer))
    invalid(`${fn}: ${name} must be a Uint8Array or an ArrayBuffer, got ${describeValue(value)}`);
}

/** V8's RangeErrors for memory it cannot give: a typed array or buffer past what this process may allocate. */
const ALLOCATION_FAILURE =
  /Array buffer allocation failed|Invalid typed array length|Invalid array buffer length|Invalid array length/;

/**
 * Runs `run`; a failed allocation inside it (within the documented size limits, yet more than this machine gives)
 * is `TOO_LARGE` naming `fn`, never V8's plain RangeError.
 */
export function withinMemory<T>(fn: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw allocationAsTooLarge(fn, e);
  }
}

/** {@link withinMemory} for asynchronous work. */
export async function withinMemoryAsync<T>(fn: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw allocationAsTooLarge(fn, e);
  }
}

function allocationAsTooLarge(fn: string, e: unknown): unknown {
  if (!(e instanceof RangeError) || !ALLOCATION_FAILURE.test(e.message)) return e;
  return new RasterIoError(
    'TOO_LARGE',
    `${fn}: its output and work arrays do not fit in the memory this process can allocate (${e.message}); ask for a smaller output`,
    { cause: e },
  );
}
