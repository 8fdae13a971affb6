import { describeValue, utmEpsgForLonLat, utmProj4 } from '@worldstrat/core';
import proj4 from 'proj4';
import { GeoSamplingError } from '../errors.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';

const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';

/**
 * proj4 definition string of a WGS-84 UTM EPSG code (32601–32660, 32701–32760).
 * @param epsg the EPSG code.
 * @returns e.g. `+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs`.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for other codes.
 * @example
 * utmProj4Definition(32733); // '+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs'
 */
export function utmProj4Definition(epsg: number): string {
  // the type first: arithmetic on a Symbol or a BigInt throws a TypeError
  const code = typeof epsg === 'number' ? epsg : Number.NaN;
  const zone = code % 100;
  const base = code - zone;
  if (!Number.isInteger(code) || (base !== 32600 && base !== 32700) || zone < 1 || zone > 60) {
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `utmProj4Definition: EPSG:${describeValue(epsg)} is not a WGS-84 UTM code (32601–32660 north, 32701–32760 south)`,
    );
  }
  return utmProj4(zone, base === 32700);
}

/**
 * Projects lon/lat (WGS-84) to UTM easting/northing in metres (proj4).
 * @param lon longitude in degrees.
 * @param lat latitude in degrees.
 * @param epsg target UTM EPSG code (default: the point's own zone, {@link utmEpsgForLonLat}).
 * @returns `[easting, northing]` in metres.
 * @throws GeoSamplingError for bad coordinates or a non-UTM code.
 * @example
 * lonLatToUtm(3, 0); // [500000, 0] in zone 31N
 */
export function lonLatToUtm(lon: number, lat: number, epsg?: number): [number, number] {
  assertLongitude(lon);
  assertLatitude(lat);
  const code = epsg ?? utmEpsgForLonLat(lon, lat);
  const [e, n] = proj4(WGS84, utmProj4Definition(code), [lon, lat]);
  return [e, n];
}
