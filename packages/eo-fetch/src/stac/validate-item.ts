// Structural checks of catalogue items: what a search hit must satisfy before its footprint, time and cloud
// cover are trusted. Catalogues serve absurd values (lat 91, lon 500, 1e308, cloud cover "lots").

import { describeValue } from '@worldstrat/core';
import { scrub } from '../http/request-json.js';
import { redactUrlsIn } from '../http/retry.js';

/** An item a search skipped, and why. */
export interface InvalidItem {
  /** Item id, or null when the item had none. */
  id: string | null;
  reason: string;
}

/** Coordinates walked per geometry before giving up (a footprint has tens to thousands). */
const MAX_COORDINATES = 1_000_000;

/** RFC 3339 date-time: full date, time and offset (`Date.parse` alone takes `"0"` as 2000-01-01). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds of an RFC 3339 date-time, or undefined when `text` is not one or names a day or time that does
 * not exist (`2021-02-30`, `25:00`, offset `+25:00`).
 *
 * @param text - anything a document holds where a timestamp belongs
 * @returns epoch milliseconds or undefined
 */
export function rfc3339Ms(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, , , oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > new Date(Date.UTC(Number(y), month, 0)).getUTCDate()) return undefined;
  // no leap second (:60): a Date cannot hold it, and no catalogue stamps one
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 59) return undefined;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return undefined;
  const ms = Date.parse(text.replace(/[tz ]/gi, (c) => (c === ' ' ? 'T' : c.toUpperCase())));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Longest item id accepted: ids end up in manifests, metadata files and logs. */
export const MAX_ITEM_ID_CHARS = 1024;

/** Why `id` cannot identify an item, or undefined when it can (a non-empty string, bounded, no control codes). */
export function invalidItemId(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return 'item has no string id';
  if (id.length > MAX_ITEM_ID_CHARS)
    return `item id of ${id.length} characters is longer than ${MAX_ITEM_ID_CHARS}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(id)) return `item id ${quoted(id)} holds control characters`;
  return undefined;
}

/**
 * How an invalid item is reported: its id when that is usable, else null with its position (`at`, e.g.
 * `features[3]`) put before the reason.
 */
export function invalidItemReport(item: unknown, reason: string, at: string): InvalidItem {
  const id = (item as { id?: unknown } | null)?.id;
  return invalidItemId(id) === undefined
    ? { id: id as string, reason }
    : { id: null, reason: `${at}: ${reason}` };
}

/**
 * `bad` with `secrets` (and URL credentials) scrubbed from its id and reason: a server may echo a key or token
 * inside an item, and the report goes to callbacks and logs.
 */
export function scrubbedInvalidItem(bad: InvalidItem, secrets: readonly string[]): InvalidItem {
  const clean = (t: string) => scrub(redactUrlsIn(t), secrets);
  return { ...bad, id: bad.id === null ? null : clean(bad.id), reason: clean(bad.reason) };
}

/** An item's id for a message: quoted and cut short, whatever the document holds there. */
export function describeItemId(item: unknown): string {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? quoted(id) : `(id ${quoted(id)})`;
}

/** A value quoted for an error message, at most `max` characters (a hostile document can hold megabytes). */
export const quoted = (v: unknown, max = 80): string => describeValue(v, max);

/**
 * Why a lon/lat position is unusable, or undefined when it is fine.
 *
 * @param p - `[lon, lat, ...]`
 * @returns the reason or undefined
 */
export function invalidPosition(p: unknown): string | undefined {
  if (!Array.isArray(p) || p.length < 2) return 'a position is not [lon, lat]';
  const [lon, lat] = p;
  if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat))
    return `position ${quoted(p.slice(0, 2))} is not finite numbers`;
  if (lon < -180 || lon > 180) return `longitude ${lon} is outside [-180, 180]`;
  if (lat < -90 || lat > 90) return `latitude ${lat} is outside [-90, 90]`;
  // an elevation (or anything past it) is a number too
  for (let i = 2; i < p.length; i++)
    if (typeof p[i] !== 'number' || !Number.isFinite(p[i]))
      return `position ${quoted(p)} is not finite numbers`;
  return undefined;
}

/**
 * Why a GeoJSON geometry's coordinates are unusable, or undefined when they are fine.
 * Wrong nesting, non-finite or out-of-range degrees, rings with fewer than 4 positions. A bad position's
 * reason ends with where it is (`at geometry.coordinates[0][2]`).
 *
 * @param g - the geometry
 * @param at - what the geometry is called in the document (default `geometry`)
 * @returns the reason or undefined
 */
export function invalidGeometry(g: unknown, at = 'geometry'): string | undefined {
  if (!g || typeof g !== 'object' || Array.isArray(g)) return `${at} is not an object`;
  const { type, coordinates } = g as { type?: unknown; coordinates?: unknown };
  const depth: Record<string, number> = {
    Point: 0,
    MultiPoint: 1,
    LineString: 1,
    MultiLineString: 2,
    Polygon: 2,
    MultiPolygon: 3,
  };
  if (typeof type !== 'string' || !Object.hasOwn(depth, type))
    return `${at}.type ${quoted(type)} is not supported`;
  let seen = 0;
  const walk = (c: unknown, d: number, path: string): string | undefined => {
    if (d === 0) {
      if (++seen > MAX_COORDINATES) return `${at} has more than ${MAX_COORDINATES} positions`;
      const why = invalidPosition(c);
      return why && `${why} at ${path}`;
    }
    if (!Array.isArray(c) || c.length === 0) return `${type} coordinates are not nested arrays at ${path}`;
    if (d === 1 && (type === 'Polygon' || type === 'MultiPolygon') && c.length < 4)
      return `${type} ring has ${c.length} positions (at least 4) at ${path}`;
    for (let i = 0; i < c.length; i++) {
      const why = walk(c[i], d - 1, `${path}[${i}]`);
      if (why) return why;
    }
    return undefined;
  };
  return walk(coordinates, depth[type], `${at}.coordinates`);
}

/**
 * Why a STAC item cannot be trusted, or undefined when it is fine.
 * No usable id (a string of 1 to 1024 characters without control characters), not a Feature, bad geometry or bbox, no parseable `datetime` (nor `start_datetime`/`end_datetime`), an
 * `eo:cloud_cover` that is not a number in [0, 100], or `assets` that is not an object. A missing `eo:cloud_cover` or missing `assets` is allowed (a
 * `fields` search may drop them); consumers treat them as unknown. With `partial` (a `fields` search), missing
 * `type`, `geometry`, `properties` and `datetime` are allowed too; what is present is still checked.
 *
 * @param item - anything a search returned
 * @param options - `partial` for items of a `fields` search
 * @returns the reason or undefined
 * @example
 * ```ts
 * validateStacItem({ type: 'Feature', id: 'x', geometry: null, properties: { datetime: 'soon' } });
 * // 'properties.datetime "soon" is not an RFC 3339 date-time'
 * ```
 */
export function validateStacItem(item: unknown, options: { partial?: boolean } = {}): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return 'item is not an object';
  const it = item as Record<string, unknown>;
  const badId = invalidItemId(it.id);
  if (badId) return badId;
  // a `fields` search returns only what was asked for: check what is there
  const absent = (k: string) => options.partial === true && it[k] === undefined;
  if (it.type !== 'Feature' && !absent('type')) return `type is ${quoted(it.type)}, not "Feature"`;
  if (it.geometry !== null && !absent('geometry')) {
    const why = invalidGeometry(it.geometry);
    if (why) return why;
  }
  if (it.bbox !== undefined) {
    const b = it.bbox;
    if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6)) return 'bbox is not 4 or 6 numbers';
    const half = b.length / 2;
    const why = invalidPosition(b.slice(0, half)) ?? invalidPosition(b.slice(half));
    if (why) return `bbox: ${why}`;
    // west may exceed east (across the antimeridian); south never exceeds north
    if (b[1] > b[half + 1]) return `bbox ${quoted(b)} has its south edge north of its north edge`;
  }
  if (absent('properties')) return validAssets(it);
  const p = it.properties;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return 'properties is not an object';
  const props = p as Record<string, unknown>;
  const time = (k: string) => {
    const v = props[k];
    if (rfc3339Ms(v) === undefined) return `properties.${k} ${quoted(v)} is not an RFC 3339 date-time`;
    return undefined;
  };
  if (props.datetime === undefined && options.partial) {
    // dropped by `fields`
  } else if (props.datetime === null || props.datetime === undefined) {
    const why = time('start_datetime') ?? time('end_datetime');
    if (why) return `datetime is null and ${why}`;
  } else {
    const why = time('datetime');
    if (why) return why;
  }
  return validRange(props, time) ?? validCloudAndAssets(it, props);
}

/** `start_datetime`/`end_datetime` beside a `datetime`: RFC 3339 when given, and the start not after the end. */
function validRange(
  props: Record<string, unknown>,
  time: (k: string) => string | undefined,
): string | undefined {
  const given = (k: string) => props[k] !== undefined && props[k] !== null;
  for (const k of ['start_datetime', 'end_datetime']) {
    const why = given(k) ? time(k) : undefined;
    if (why) return why;
  }
  if (given('start_datetime') && given('end_datetime')) {
    const [start, end] = [rfc3339Ms(props.start_datetime), rfc3339Ms(props.end_datetime)];
    if (start !== undefined && end !== undefined && start > end)
      return `properties.start_datetime ${quoted(props.start_datetime)} is after end_datetime ${quoted(props.end_datetime)}`;
  }
  return undefined;
}

function validCloudAndAssets(
  it: Record<string, unknown>,
  props: Record<string, unknown>,
): string | undefined {
  const cc = props['eo:cloud_cover'];
  if (cc !== undefined && cc !== null && (typeof cc !== 'number' || !(cc >= 0 && cc <= 100)))
    return `eo:cloud_cover ${quoted(cc)} is not a number in [0, 100]`;
  return validAssets(it);
}

function validAssets(it: Record<string, unknown>): string | undefined {
  if (it.assets !== undefined && (!it.assets || typeof it.assets !== 'object' || Array.isArray(it.assets)))
    return 'assets is not an object';
  return undefined;
}
