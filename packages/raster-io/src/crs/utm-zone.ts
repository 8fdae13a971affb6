// UTM zones are computed by @worldstrat/core; raster-io reports bad coordinates as its own error.
import {
  CoreError,
  type UtmZone,
  utmEpsgForLonLat as utmEpsgForLonLatCore,
  utmZoneForLonLat as utmZoneForLonLatCore,
} from '@worldstrat/core';
import { RasterIoError } from '../errors.js';

export type { UtmZone };

function asRasterIoError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof CoreError) throw new RasterIoError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  }
}

/**
 * The UTM zone that contains a lon/lat point (WGS-84), with the Norway and Svalbard exceptions
 * (`utmZoneForLonLat` of @worldstrat/core).
 *
 * @param lon - longitude in degrees, [-180, 180].
 * @param lat - latitude in degrees, [-90, 90].
 * @returns zone number and hemisphere.
 * @throws RasterIoError `INVALID_ARGUMENT` for out-of-range or non-finite coordinates.
 * @example
 * utmZoneForLonLat(5, 60); // { zone: 32, hemisphere: 'N' } (Norway exception)
 */
export function utmZoneForLonLat(lon: number, lat: number): UtmZone {
  return asRasterIoError(() => utmZoneForLonLatCore(lon, lat));
}

/**
 * The EPSG code of the WGS-84 UTM zone containing a lon/lat point: 326xx north, 327xx south.
 *
 * @param lon - longitude in degrees.
 * @param lat - latitude in degrees.
 * @returns an EPSG code in 32601–32660 or 32701–32760.
 * @throws RasterIoError `INVALID_ARGUMENT` for out-of-range coordinates.
 * @example
 * utmEpsgForLonLat(-43.2, -22.9); // 32723 (Rio de Janeiro)
 */
export function utmEpsgForLonLat(lon: number, lat: number): number {
  return asRasterIoError(() => utmEpsgForLonLatCore(lon, lat));
}
