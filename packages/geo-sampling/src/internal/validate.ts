import { throwIfAborted } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { describeValue } from './geometry-checks.js';

/** Where a value came from, for error messages ("row 12 of pois.csv"). */
export interface ValueSite {
  row?: number;
  what?: string;
}

function at(site?: ValueSite): string {
  if (!site) return '';
  const parts: string[] = [];
  if (site.what) parts.push(site.what);
  if (site.row !== undefined) parts.push(`row ${site.row}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Throws unless `lat` is a finite number in [-90, 90]. */
export function assertLatitude(lat: number, site?: ValueSite): void {
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    // the fix differs: a value that is no number has no column order or unit to check
    const fix = Number.isFinite(lat) ? '; check the column order (lat/lon) and units (degrees)' : '';
    throw new GeoSamplingError(
      'INVALID_LATITUDE',
      `latitude ${describeValue(lat)}${at(site)} is not a number in [-90, 90]${fix}`,
      { row: site?.row },
    );
  }
}

/** Throws unless `lon` is a finite number in [-180, 180]. */
export function assertLongitude(lon: number, site?: ValueSite): void {
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    const fix = Number.isFinite(lon) ? '; wrap it into [-180, 180] first' : '';
    throw new GeoSamplingError(
      'INVALID_LONGITUDE',
      `longitude ${describeValue(lon)}${at(site)} is not a number in [-180, 180]${fix}`,
      { row: site?.row },
    );
  }
}

/**
 * How far (degrees) an AOI's lon/lat may lie outside its bounds: rounding slack only, about a metre, so a table
 * whose lon/lat columns are swapped (a lat-first table) is caught.
 */
export const POINT_IN_BOUNDS_TOLERANCE_DEG = 1e-5;

/**
 * True when `lon` lies in [west, east] within `tol`, on the longitude circle (a box across the antimeridian when
 * west > east; −180 and 180 are one meridian).
 */
function lonInSpan(lon: number, west: number, east: number, tol: number): boolean {
  const unwrappedEast = west <= east ? east : east + 360;
  return [lon - 360, lon, lon + 360].some((x) => x >= west - tol && x <= unwrappedEast + tol);
}

/**
 * Throws unless the AOI point (lon, lat) lies in its own `bounds` (within {@link POINT_IN_BOUNDS_TOLERANCE_DEG};
 * boxes across the antimeridian included): `INVALID_LONGITUDE` or `INVALID_LATITUDE` naming the site.
 */
export function assertPointInBounds(
  lon: number,
  lat: number,
  bounds: readonly number[],
  site?: ValueSite,
): void {
  const [west, south, east, north] = bounds as [number, number, number, number];
  const tol = POINT_IN_BOUNDS_TOLERANCE_DEG;
  const lonOk = lonInSpan(lon, west, east, tol);
  if (lonOk && lat >= south - tol && lat <= north + tol) return;
  throw new GeoSamplingError(
    lonOk ? 'INVALID_LATITUDE' : 'INVALID_LONGITUDE',
    `point lon ${lon}, lat ${lat}${at(site)} lies outside its own bounds [${bounds.join(', ')}]; are lon and lat swapped (a table written lat-first)? lon/lat must be a point of the box (its centre in the released tables)`,
    { row: site?.row },
  );
}

/** Throws unless `areaKm2` is a finite number > 0. */
export function assertArea(areaKm2: number, site?: ValueSite): void {
  if (typeof areaKm2 !== 'number' || !Number.isFinite(areaKm2) || areaKm2 <= 0) {
    throw new GeoSamplingError(
      'INVALID_AREA',
      `area ${describeValue(areaKm2)} km²${at(site)} must be a finite number > 0 (e.g. 2.5 or 22.5)`,
      { row: site?.row },
    );
  }
}

/** Throws unless `n` is a non-negative safe integer, at most `max`. */
export function assertCount(n: number, what: string, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `${what} must be a non-negative integer, got ${describeValue(n)}`,
    );
  }
  if (n > max)
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `${what} = ${n} is more than ${max}, the most one call takes`,
    );
}

/**
 * Most points one sampling call returns: each is an object of ~64 bytes, so 10^7 take ~0.7 GB of heap, and
 * 2·10^8 ended the process out of memory instead of failing typed. Larger pools are drawn in several calls
 * (`firstId` continues the ids).
 */
export const MAX_SAMPLE_POINTS = 10_000_000;

/** Throws an ABORTED error when the signal has fired. */
export function checkAborted(signal?: AbortSignal): void {
  throwIfAborted(
    signal,
    (s) => new GeoSamplingError('ABORTED', 'operation aborted by its AbortSignal', { cause: s.reason }),
  );
}
