// Checks for untrusted JSON-shaped input (GeoJSON, TopoJSON, decoded tables) at the parsing boundary: each
// returns the checked value with its static type or throws a GeoSamplingError naming the place in the document.
import type { BBox } from '@worldstrat/core';
import { GeoSamplingError, type GeoSamplingErrorCode } from '../errors.js';

/** Where a value sits (`AOI GeoJSON features[3].properties.bounds`), the table row, and an optional code. */
export interface Place {
  where: string;
  row?: number;
  /** Code for every failure of this check (e.g. `INVALID_MASK`); default: by kind of failure. */
  code?: GeoSamplingErrorCode;
}

/** A short, safe description of any value for messages (never calls a hostile `toString`). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return typeof value;
}

export function fail(place: Place, fallback: GeoSamplingErrorCode, message: string): never {
  throw new GeoSamplingError(place.code ?? fallback, `${place.where} ${message}`, { row: place.row });
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkRecord(value: unknown, place: Place, what: string): Record<string, unknown> {
  if (!isRecord(value)) fail(place, 'PARSE_ERROR', `must be ${what}, got ${describeValue(value)}`);
  return value;
}

export function checkArray(value: unknown, place: Place, what: string): unknown[] {
  if (!Array.isArray(value)) fail(place, 'PARSE_ERROR', `must be ${what}, got ${describeValue(value)}`);
  return value;
}

export function checkFiniteNumber(value: unknown, place: Place): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(place, 'PARSE_ERROR', `must be a finite number, got ${describeValue(value)}`);
  return value;
}

function checkLon(value: unknown, place: Place): number {
  const lon = checkFiniteNumber(value, place);
  if (lon < -180 || lon > 180) fail(place, 'INVALID_LONGITUDE', `longitude ${lon} is not in [-180, 180]`);
  return lon;
}

function checkLat(value: unknown, place: Place): number {
  const lat = checkFiniteNumber(value, place);
  if (lat < -90 || lat > 90) fail(place, 'INVALID_LATITUDE', `latitude ${lat} is not in [-90, 90]`);
  return lat;
}

const at = (place: Place, suffix: string): Place => ({ ...place, where: `${place.where}${suffix}` });

/** A position as checked: `[lon, lat, ...]` (extra members, e.g. altitude, are kept). */
export type LonLat = [number, number, ...number[]];

function isGoodPosition(p: unknown): p is LonLat {
  if (!Array.isArray(p) || p.length < 2) return false;
  for (const v of p) if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90;
}

/** A GeoJSON position `[lon, lat, ...]`: finite numbers, lon in [-180, 180], lat in [-90, 90]. */
export function checkPosition(value: unknown, place: Place): LonLat {
  // Fast path first: land polygons hold ~10⁵–10⁶ positions, and places are built only to report a failure.
  if (isGoodPosition(value)) return value;
  const p = checkArray(value, place, 'a position [lon, lat]');
  if (p.length < 2) fail(place, 'PARSE_ERROR', `must be a position [lon, lat], got ${describeValue(p)}`);
  for (let i = 2; i < p.length; i++) checkFiniteNumber(p[i], at(place, `[${i}]`));
  checkLon(p[0], at(place, '[0]'));
  checkLat(p[1], at(place, '[1]'));
  return p as unknown as LonLat;
}

/** A linear ring: at least 4 positions, the last equal to the first (RFC 7946 §3.1.6). */
export function checkRing(value: unknown, place: Place): LonLat[] {
  const ring = checkArray(value, place, 'a linear ring (array of positions)');
  if (ring.length < 4) fail(place, 'PARSE_ERROR', `is a ring of ${ring.length} positions; a ring needs ≥ 4`);
  for (let i = 0; i < ring.length; i++)
    if (!isGoodPosition(ring[i])) checkPosition(ring[i], at(place, `[${i}]`));
  const first = ring[0] as LonLat;
  const last = ring[ring.length - 1] as LonLat;
  if (first[0] !== last[0] || first[1] !== last[1])
    fail(place, 'PARSE_ERROR', 'is not closed: its last position must equal its first');
  return ring as LonLat[];
}

/** Polygon coordinates: one or more linear rings. */
export function checkPolygonCoordinates(value: unknown, place: Place): LonLat[][] {
  const rings = checkArray(value, place, 'an array of linear rings');
  if (rings.length === 0) fail(place, 'PARSE_ERROR', 'is a polygon without rings');
  for (let i = 0; i < rings.length; i++) checkRing(rings[i], at(place, `[${i}]`));
  return rings as LonLat[][];
}

/** MultiPolygon coordinates: an array of polygon coordinates. */
export function checkMultiPolygonCoordinates(value: unknown, place: Place): LonLat[][][] {
  const polys = checkArray(value, place, 'an array of polygons');
  for (let i = 0; i < polys.length; i++) checkPolygonCoordinates(polys[i], at(place, `[${i}]`));
  return polys as LonLat[][][];
}

/**
 * Widest box accepted with `minLon > maxLon` (read across the antimeridian), in degrees of longitude. Such a box
 * is as wide as `maxLon + 360 − minLon`; from 180° on, the narrow box `[maxLon, …, minLon, …]` is the likelier
 * meaning (two longitudes swapped: `[32.264, 28.217, 32.248, 28.231]` would be a 359.98° box).
 */
export const MAX_ANTIMERIDIAN_BOX_WIDTH_DEG = 180;

/**
 * Why a box with `minLon > maxLon` is not read as a box across the antimeridian (its longitudes look swapped),
 * or undefined when it is one (or has `minLon ≤ maxLon`).
 */
export function swappedLongitudesProblem(box: readonly number[]): string | undefined {
  const [minLon, , maxLon] = box as [number, number, number];
  if (!(minLon > maxLon)) return undefined;
  const width = maxLon + 360 - minLon;
  if (width < MAX_ANTIMERIDIAN_BOX_WIDTH_DEG) return undefined;
  return `has minLon ${minLon} > maxLon ${maxLon}: across the antimeridian that is a box ${Number(width.toFixed(6))}° wide, so the longitudes look swapped; write [${maxLon}, ${box[1]}, ${minLon}, ${box[3]}] (a box across ±180° has minLon > maxLon and is less than ${MAX_ANTIMERIDIAN_BOX_WIDTH_DEG}° wide)`;
}

/**
 * A lon/lat box `[minLon, minLat, maxLon, maxLat]`: finite numbers in range, `minLat ≤ maxLat`;
 * `minLon > maxLon` is a box across the antimeridian, taken only when that box is less than 180° wide
 * ({@link swappedLongitudesProblem}).
 */
export function checkBBox(value: unknown, place: Place): BBox {
  const b = checkArray(value, place, 'a box [minLon, minLat, maxLon, maxLat]');
  if (b.length !== 4)
    fail(
      place,
      'PARSE_ERROR',
      `must hold 4 numbers [minLon, minLat, maxLon, maxLat], got ${describeValue(b)}`,
    );
  const box: BBox = [
    checkLon(b[0], at(place, '[0]')),
    checkLat(b[1], at(place, '[1]')),
    checkLon(b[2], at(place, '[2]')),
    checkLat(b[3], at(place, '[3]')),
  ];
  if (box[1] > box[3]) fail(place, 'INVALID_LATITUDE', `has minLat ${box[1]} > maxLat ${box[3]}`);
  const swapped = swappedLongitudesProblem(box);
  if (swapped !== undefined) fail(place, 'INVALID_LONGITUDE', swapped);
  return box;
}

/**
 * A GeoJSON `bbox` member (RFC 7946 §5): 4 numbers, or 6 for 3D coordinates
 * `[minLon, minLat, minAlt, maxLon, maxLat, maxAlt]`, whose altitudes are checked and dropped.
 */
export function checkGeoJsonBBox(value: unknown, place: Place): BBox {
  const b = checkArray(value, place, 'a bbox [minLon, minLat, maxLon, maxLat]');
  if (b.length !== 4 && b.length !== 6)
    fail(
      place,
      'PARSE_ERROR',
      `must hold 4 numbers [minLon, minLat, maxLon, maxLat] or 6 [minLon, minLat, minAlt, maxLon, maxLat, maxAlt], got ${describeValue(b)}`,
    );
  if (b.length === 4) return checkBBox(b, place);
  // each member checked at its own index, so a message names the one at fault
  const box = [
    checkLon(b[0], at(place, '[0]')),
    checkLat(b[1], at(place, '[1]')),
    checkLon(b[3], at(place, '[3]')),
    checkLat(b[4], at(place, '[4]')),
  ];
  checkFiniteNumber(b[2], at(place, '[2]'));
  checkFiniteNumber(b[5], at(place, '[5]'));
  return checkBBox(box, place);
}

/**
 * The smallest lon/lat box around polygons, read on the longitude circle: the box leaves out the widest
 * longitude gap, so parts split at ±180° (RFC 7946) give a box with `minLon > maxLon`, not the whole globe.
 */
export function boundsOfPolygons(polygons: readonly (readonly LonLat[])[][]): BBox {
  const spans: [number, number][] = [];
  let minLat = Number.POSITIVE_INFINITY;
  let maxLat = Number.NEGATIVE_INFINITY;
  for (const poly of polygons) {
    let w = Number.POSITIVE_INFINITY;
    let e = Number.NEGATIVE_INFINITY;
    for (const [lon, lat] of poly[0]) {
      w = Math.min(w, lon);
      e = Math.max(e, lon);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
    spans.push([w, e]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  // The gap across ±180° wins ties, so ordinary boxes keep minLon ≤ maxLon.
  let best = merged[0][0] + 360 - merged[merged.length - 1][1];
  let box: BBox = [merged[0][0], minLat, merged[merged.length - 1][1], maxLat];
  for (let i = 0; i + 1 < merged.length; i++) {
    const gap = merged[i + 1][0] - merged[i][1];
    if (gap > best) {
      best = gap;
      box = [merged[i + 1][0], minLat, merged[i][1], maxLat];
    }
  }
  return box;
}

/**
 * Strict decimal number syntax of a CSV cell (`12`, `-0.5`, `1e-05`); no hex, no `Infinity`, no blanks. The
 * fraction is one optional group: `\d+\.?\d*` could split a digit run two ways and backtrack quadratically.
 */
const DECIMAL = /^[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV cell as a finite number, or NaN when it is empty or not a decimal number. */
export function parseDecimal(cell: string | undefined): number {
  if (cell === undefined) return Number.NaN;
  const t = cell.trim();
  return DECIMAL.test(t) ? Number(t) : Number.NaN;
}
