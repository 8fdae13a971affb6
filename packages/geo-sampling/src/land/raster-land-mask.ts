import type { GeoTransform } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';
import type { LandMask } from './land-mask.js';

/**
 * The decoded mask raster {@link landMaskFromRaster} needs: a raster-io `Raster` fits, and so does any
 * band-sequential grid with an EPSG:4326 geo block (geo-sampling reads no files itself).
 */
export interface MaskRaster {
  width: number;
  height: number;
  /** Band-sequential pixel values, `width × height` each. */
  bands: readonly ArrayLike<number>[];
  /** Pixel type name (informational; values are read as numbers). */
  dtype?: string;
  noData?: number | null;
  geo?: { epsg: number; transform: GeoTransform };
}

/** Options of {@link landMaskFromRaster}. */
export interface RasterLandMaskOptions {
  /** Which pixel values mean land: a list of codes or a predicate. Default: any value ≠ 0 and ≠ noData. */
  land?: readonly number[] | ((value: number) => boolean);
  /** Answer for points outside the raster's extent (default false = not land). */
  outside?: boolean;
  /** Band index (0-based, default 0). */
  band?: number;
}

/**
 * Wraps a user-supplied mask raster (e.g. a GeoTIFF/COG read with `@worldstrat/raster-io`) as a {@link LandMask}.
 * The raster must be georeferenced in EPSG:4326 (lon/lat degrees, north-up); the pixel that contains the point
 * decides (floor of the fractional pixel index; the east/south edges belong to the next pixel).
 * @param raster a north-up EPSG:4326 raster, e.g. from raster-io's `readRaster`; `loadLandMaskFromGeoTiff` of
 *   `@worldstrat/stratify` reads one from a URL or file.
 * @param options land values, band and the out-of-extent answer.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_MASK` when the raster has no georeferencing, another CRS, a rotated
 *   transform or the band does not exist.
 * @example
 * const mask = landMaskFromRaster(raster, { land: [1] });
 */
export function landMaskFromRaster(raster: MaskRaster, options: RasterLandMaskOptions = {}): LandMask {
  if (!raster.geo) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      'mask raster has no georeferencing; write it with an EPSG:4326 geotransform',
    );
  }
  if (raster.geo.epsg !== 4326) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `mask raster is in EPSG:${raster.geo.epsg}; warp it to EPSG:4326 first (gdalwarp -t_srs EPSG:4326)`,
    );
  }
  const [ox, pw, rx, oy, ry, ph] = raster.geo.transform;
  if (rx !== 0 || ry !== 0 || pw <= 0 || ph >= 0) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `mask raster transform [${raster.geo.transform.join(', ')}] is not north-up`,
    );
  }
  const bandIndex = options.band ?? 0;
  const data = raster.bands[bandIndex];
  if (!data) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `mask raster has ${raster.bands.length} band(s); band ${bandIndex} does not exist`,
    );
  }
  const noData = raster.noData ?? null;
  const spec = options.land;
  const test: (v: number) => boolean =
    typeof spec === 'function'
      ? spec
      : Array.isArray(spec)
        ? (
            (set) => (v: number) =>
              set.has(v)
          )(new Set(spec as number[]))
        : (v: number) => v !== 0 && v !== noData && !Number.isNaN(v);
  const outside = options.outside ?? false;
  const { width, height } = raster;
  return {
    source: `raster ${width}×${height} (EPSG:4326)`,
    isLand(lon: number, lat: number): boolean {
      assertLongitude(lon);
      assertLatitude(lat);
      const col = Math.floor((lon - ox) / pw);
      const row = Math.floor((lat - oy) / ph);
      if (col < 0 || row < 0 || col >= width || row >= height) return outside;
      return test(data[row * width + col]);
    },
  };
}
