// Checks of the exported functions' arguments at entry: JavaScript callers, JSON configs and other tools pass
// whatever they have. Each check throws GeoSamplingError `INVALID_ARGUMENT` naming the function, the argument
// and the value, and accepts everything that worked before (typed arrays for boxes, extra members, absent
// options).
import { type BBox, describeValue, listShapeProblem } from '@worldstrat/core';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import { checkBBox } from './geometry-checks.js';
import { assertArea, assertLatitude, assertLongitude, assertPointInBounds } from './validate.js';

/** `INVALID_ARGUMENT`: `<fn>: <argument> must be <what>, got <value>`. */
export function argumentError(fn: string, name: string, what: string, value: unknown): GeoSamplingError {
  return new GeoSamplingError(
    'INVALID_ARGUMENT',
    `${fn}: ${name} must be ${what}, got ${describeValue(value)}`,
  );
}

/** True for an object that is not null, not an array and not a function. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object argument (extra members are fine). */
export function checkObject<T>(fn: string, name: string, value: T): T {
  if (!isObject(value)) throw argumentError(fn, name, 'an object', value);
  return value;
}

/** An options argument: absent (`{}` then) or an object. */
export function checkOptions<T extends object>(fn: string, options: T | undefined, name = 'options'): T {
  if (options === undefined) return {} as T;
  return checkObject(fn, name, options);
}

/** Most items of a list argument: far past any table, and a bound on what walking it costs. */
const MAX_LIST_ITEMS = 100_000_000;

/**
 * An array argument without holes, of at most {@link MAX_LIST_ITEMS} items: `new Array(2 ** 32 - 1)` has no
 * elements to check but walking it takes minutes, and `map` skips a hole (an AOI silently lost).
 */
export function checkArrayArgument<T>(fn: string, name: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw argumentError(fn, name, 'an array', value);
  const bad = listShapeProblem(value, MAX_LIST_ITEMS);
  if (bad)
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `${fn}: ${name}${bad.index === undefined ? '' : `[${bad.index}]`} ${bad.problem}`,
    );
  return value;
}

/** A string argument. */
export function checkString(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw argumentError(fn, name, 'a string', value);
  return value;
}

/** A file path: a non-empty string. */
export function checkPath(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw argumentError(fn, name, 'a non-empty string', value);
  return value;
}

/** A number argument (NaN and ±Infinity included: the caller's number is written as given). */
function checkNumber(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw argumentError(fn, name, 'a number', value);
  return value;
}

/** An object with a `name` method (a land mask's `isLand`, a generator's `next`). */
export function checkMethod(fn: string, name: string, value: unknown, method: string): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    throw argumentError(fn, name, `an object with a ${method}() method`, value);
  if (typeof (value as Record<string, unknown>)[method] !== 'function')
    throw argumentError(fn, `${name}.${method}`, 'a function', (value as Record<string, unknown>)[method]);
}

/** A box `[minLon, minLat, maxLon, maxLat]`: an array or typed array of four finite numbers. */
export function checkBox(fn: string, name: string, value: unknown): BBox {
  // the length first: Array.from of a 2^32 − 1 long (empty) array takes seconds
  const list =
    (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) &&
    (value as ArrayLike<unknown>).length === 4
      ? Array.from(value as ArrayLike<unknown>)
      : undefined;
  if (list?.length !== 4 || !list.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw argumentError(fn, name, 'four finite numbers [minLon, minLat, maxLon, maxLat]', value);
  return value as BBox;
}

/** An AOI as the writers read it: string name, box bounds, numeric lon/lat/area, string source and parent. */
export function checkAoiArgument(fn: string, name: string, value: unknown): void {
  const a = checkObject(fn, name, value) as Record<string, unknown>;
  checkString(fn, `${name}.name`, a.name);
  checkBox(fn, `${name}.bounds`, a.bounds);
  checkNumber(fn, `${name}.lon`, a.lon);
  checkNumber(fn, `${name}.lat`, a.lat);
  checkNumber(fn, `${name}.areaKm2`, a.areaKm2);
  if (a.source !== undefined) checkString(fn, `${name}.source`, a.source);
  if (a.parent !== undefined) checkString(fn, `${name}.parent`, a.parent);
}

/**
 * An array of AOIs to write, each checked as {@link checkAoiArgument} and then as every AOI reader takes it back
 * (a writer must not write a table its readers refuse): a name that is not blank and not repeated, lon/lat and
 * bounds in range with minLat ≤ maxLat, an area > 0. Those errors carry the readers' codes (`MISSING_NAME`,
 * `DUPLICATE_NAME`, `INVALID_LONGITUDE`, `INVALID_LATITUDE`, `INVALID_AREA`).
 */
export function checkAoisArgument(fn: string, name: string, value: unknown): void {
  const aois = checkArrayArgument(fn, name, value as readonly unknown[]);
  const seen = new Map<string, number>();
  for (let i = 0; i < aois.length; i++) {
    const site = `${fn}: ${name}[${i}]`;
    checkAoiArgument(fn, `${name}[${i}]`, aois[i]);
    const a = aois[i] as Aoi;
    if (!a.name.trim())
      throw new GeoSamplingError('MISSING_NAME', `${site}.name is blank; every AOI needs a name`);
    const prev = seen.get(a.name);
    if (prev !== undefined)
      throw new GeoSamplingError('DUPLICATE_NAME', `${site}.name '${a.name}' repeats ${name}[${prev}]`);
    seen.set(a.name, i);
    assertLongitude(a.lon, { what: `${site}.lon` });
    assertLatitude(a.lat, { what: `${site}.lat` });
    assertArea(a.areaKm2, { what: `${site}.areaKm2` });
    checkBBox(Array.from(a.bounds), { where: `${site}.bounds` });
    assertPointInBounds(a.lon, a.lat, Array.from(a.bounds), { what: `${site}.lon/lat` });
  }
}

/**
 * An array of points `{ id, lon, lat }` (`numbers`: as the samplers make them, a non-negative integer id of at
 * most `maxId` and lon/lat in range). A writer wrote NaN as `nan`, a latitude of 1e9, and an id of 2^31 as
 * −2^31 in an int32 column.
 */
export function checkPointsArgument(
  fn: string,
  name: string,
  value: unknown,
  numbers = true,
  maxId = Number.MAX_SAFE_INTEGER,
): void {
  const points = checkArrayArgument(fn, name, value as readonly unknown[]);
  for (let i = 0; i < points.length; i++) {
    const p = checkObject(fn, `${name}[${i}]`, points[i]) as Record<string, unknown>;
    if (!numbers) continue;
    const { id, lon, lat } = p;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id > maxId)
      throw argumentError(fn, `${name}[${i}].id`, `an integer in [0, ${maxId}]`, id);
    checkNumber(fn, `${name}[${i}].lon`, lon);
    checkNumber(fn, `${name}[${i}].lat`, lat);
    assertLongitude(lon as number, { what: `${fn}: ${name}[${i}].lon` });
    assertLatitude(lat as number, { what: `${fn}: ${name}[${i}].lat` });
  }
}

/**
 * A first id: a non-negative safe integer whose last id (`firstId + n − 1`) is still a safe integer. A fraction
 * gave ids 0.5, 1.5, …, and from 2^53 on `firstId + 1 === firstId`: points shared one id.
 */
export function checkFirstId(fn: string, name: string, value: unknown, n = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw argumentError(fn, name, 'a non-negative integer', value);
  if (n > 0 && value > Number.MAX_SAFE_INTEGER - (n - 1))
    throw argumentError(fn, name, `at most 2^53 − ${n} so that ${n} ids stay exact integers`, value);
  return value;
}

/**
 * `options.signal`: absent or an AbortSignal-like object with a boolean `aborted`. Anything else (the
 * AbortController itself, a number) used to be ignored, so aborting it never stopped the sampler.
 */
function checkSignal(fn: string, value: unknown): void {
  if (value === undefined) return;
  const aborted =
    typeof value === 'object' && value !== null ? (value as { aborted?: unknown }).aborted : undefined;
  if (typeof aborted !== 'boolean')
    throw argumentError(fn, 'options.signal', 'an AbortSignal (pass controller.signal)', value);
}

/** The members of the samplers' options, each read once (a getter or Proxy cannot change one after its check). */
const SAMPLE_OPTION_KEYS = [
  'seed',
  'rng',
  'mask',
  'firstId',
  'signal',
  'onProgress',
  'maxRejectionsInARow',
] as const;

/**
 * The samplers' options: an object (or absent) whose `rng`, `mask`, `firstId`, `signal` and `onProgress`,
 * when given, are a generator, a land mask, a non-negative integer, an AbortSignal and a function. Returns a
 * plain copy of the known members (`{}` when absent), read once each.
 */
export function checkSampleOptions<T extends object>(fn: string, options: T | undefined): T {
  const given = checkOptions(fn, options) as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const key of SAMPLE_OPTION_KEYS) {
    const value = given[key];
    if (value !== undefined) o[key] = value;
  }
  if (o.rng !== undefined) checkMethod(fn, 'options.rng', o.rng, 'next');
  if (o.mask !== undefined) checkMethod(fn, 'options.mask', o.mask, 'isLand');
  if (o.firstId !== undefined) checkFirstId(fn, 'options.firstId', o.firstId);
  checkSignal(fn, o.signal);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw argumentError(fn, 'options.onProgress', 'a function', o.onProgress);
  return o as T;
}

/** An array of POIs as `readPois` returns them: numeric lon/lat, a string name, a `properties` object. */
export function checkPoisArgument(fn: string, name: string, value: unknown): void {
  const pois = checkArrayArgument(fn, name, value as readonly unknown[]);
  for (let i = 0; i < pois.length; i++) {
    const p = checkObject(fn, `${name}[${i}]`, pois[i]) as Record<string, unknown>;
    checkString(fn, `${name}[${i}].name`, p.name);
    checkNumber(fn, `${name}[${i}].lon`, p.lon);
    checkNumber(fn, `${name}[${i}].lat`, p.lat);
    checkObject(fn, `${name}[${i}].properties`, p.properties);
  }
}

/** Bytes: a Uint8Array (a Node Buffer is one). */
export function checkBytes(fn: string, name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw argumentError(fn, name, 'a Uint8Array', value);
  return value;
}
