// UTM zone of a lon/lat, with the Norway (32V) and Svalbard (31X–37X) exceptions. Pure arithmetic, so raster-io
// (reprojection grids) and geo-sampling (AOI projections) share it without a projection library.
import { describeValue } from './describe-value.js';
import { CoreError } from './errors.js';

/** A UTM zone: number 1–60 and hemisphere. */
export interface UtmZone {
  zone: number;
  hemisphere: 'N' | 'S';
}

/**
 * The UTM zone that contains a lon/lat point (WGS-84), with the standard exceptions: zone 32 is widened
 * to 3°–12°E for 56°–64°N (south-west Norway) and zones 31/33/35/37 cover 0°–9°/9°–21°/21°–33°/33°–42°E
 * for 72°–84°N, both edges included (Svalbard). Longitude 180 belongs to zone 60; the equator is northern. Exact for every double:
 * a longitude below a zone's western edge `-180 + 6(zone − 1)` by any amount, however small, is in the zone
 * to the west (`-1e-15` is in zone 30, `0` in zone 31).
 * @param lon longitude in degrees, [-180, 180].
 * @param lat latitude in degrees, [-90, 90].
 * @returns zone number and hemisphere.
 * @throws CoreError `INVALID_ARGUMENT` for out-of-range or non-finite coordinates.
 * @example
 * utmZoneForLonLat(5, 60); // { zone: 32, hemisphere: 'N' } (Norway exception)
 */
export function utmZoneForLonLat(lon: number, lat: number): UtmZone {
  if (!Number.isFinite(lon) || lon < -180 || lon > 180 || !Number.isFinite(lat) || lat < -90 || lat > 90)
    throw new CoreError(
      'INVALID_ARGUMENT',
      `lon/lat (${describeValue(lon)}, ${describeValue(lat)}) is outside [-180, 180] × [-90, 90]`,
    );
  let zone = Math.min(Math.floor((lon + 180) / 6) + 1, 60);
  // `lon + 180` rounds: a longitude a few ulps west of a zone edge lands on the edge (-1e-15 + 180 === 180,
  // 6 - 2^-50 + 180 === 186) and the point would go one zone east. The edges -180 + 6k are exact doubles, so
  // comparing lon with the zone's own edges makes the zone exact for every double.
  if (lon < -180 + 6 * (zone - 1)) zone -= 1;
  else if (zone < 60 && lon >= -180 + 6 * zone) zone += 1;
  if (lat >= 56 && lat < 64 && lon >= 3 && lon < 12) zone = 32;
  // 84°N itself included, as the `utm` package (which upstream's sentinelhub-py uses) includes it
  if (lat >= 72 && lat <= 84 && lon >= 0 && lon < 42) {
    if (lon < 9) zone = 31;
    else if (lon < 21) zone = 33;
    else if (lon < 33) zone = 35;
    else zone = 37;
  }
  return { zone, hemisphere: lat >= 0 ? 'N' : 'S' };
}

/**
 * The EPSG code of the WGS-84 UTM zone containing a lon/lat point: 326xx north, 327xx south.
 * @param lon longitude in degrees.
 * @param lat latitude in degrees.
 * @returns an EPSG code in 32601–32660 or 32701–32760.
 * @throws CoreError `INVALID_ARGUMENT` for out-of-range coordinates.
 * @example
 * utmEpsgForLonLat(-43.2, -22.9); // 32723 (Rio de Janeiro)
 */
export function utmEpsgForLonLat(lon: number, lat: number): number {
  const { zone, hemisphere } = utmZoneForLonLat(lon, lat);
  return (hemisphere === 'N' ? 32600 : 32700) + zone;
}

/**
 * proj4 string of a WGS-84 UTM zone (`+south` for the southern hemisphere).
 * @param zone zone number 1–60.
 * @param south southern hemisphere (a boolean).
 * @throws CoreError `INVALID_ARGUMENT` for a zone that is not a whole number from 1 to 60, or a `south` that is no boolean.
 * @returns the proj4 definition.
 * @example
 * utmProj4(33, true); // '+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs'
 */
export function utmProj4(zone: number, south: boolean): string {
  if (!Number.isInteger(zone) || zone < 1 || zone > 60)
    throw new CoreError(
      'INVALID_ARGUMENT',
      `UTM zone ${describeValue(zone)} is not a whole number from 1 to 60`,
    );
  // a truthy non-boolean ('false' from a config, 0n) silently gave the southern zone
  if (typeof south !== 'boolean')
    throw new CoreError(
      'INVALID_ARGUMENT',
      `utmProj4: south must be true or false, got ${describeValue(south)}`,
    );
  return `+proj=utm +zone=${zone}${south ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`;
}
