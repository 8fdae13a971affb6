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
    throw new GeoSamplingError(
      'INVALID_LATITUDE',
      `latitude ${describeValue(lat)}${at(site)} is not a number in [-90, 90]; check the column order (lat/lon) and units (degrees)`,
      { row: site?.row },
    );
  }
}

/** Throws unless `lon` is a finite number in [-180, 180]. */
export function assertLongitude(lon: number, site?: ValueSite): void {
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw new GeoSamplingError(
      'INVALID_LONGITUDE',
      `longitude ${describeValue(lon)}${at(site)} is not a number in [-180, 180]; wrap it into [-180, 180] first`,
      { row: site?.row },
    );
  }
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
      `${what} = ${n} is more than the ${max} an array can hold`,
    );
}

/** The longest JavaScript array: samplers that return `n` points need `n` at most this. */
export const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

/** Throws an ABORTED error when the signal has fired. */
export function checkAborted(signal?: AbortSignal): void {
  throwIfAborted(
    signal,
    (s) => new GeoSamplingError('ABORTED', 'operation aborted by its AbortSignal', { cause: s.reason }),
  );
}
