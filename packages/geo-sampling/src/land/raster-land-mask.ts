import { type ByteSource, httpSource, openGeoTiff, type Raster, readRaster } from '@worldstrat/raster-io';
import { GeoSamplingError } from '../errors.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';
import type { LandMask } from './land-mask.js';

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
 * Wraps a user-supplied mask raster (any GeoTIFF/COG read with `@worldstrat/raster-io`) as a {@link LandMask}.
 * The raster must be georeferenced in EPSG:4326 (lon/lat degrees, north-up); the pixel that contains the point
 * decides (floor of the fractional pixel index; the east/south edges belong to the next pixel).
 * @param raster a north-up EPSG:4326 raster, e.g. from `readRaster(await openGeoTiff(httpSource(url)))`.
 * @param options land values, band and the out-of-extent answer.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_MASK` when the raster has no georeferencing, another CRS, a rotated
 *   transform or the band does not exist.
 * @example
 * const mask = landMaskFromRaster(raster, { land: [1] });
 */
export function landMaskFromRaster(raster: Raster, options: RasterLandMaskOptions = {}): LandMask {
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

/** Options of {@link loadLandMaskFromGeoTiff}. */
export interface LoadLandMaskFromGeoTiffOptions extends RasterLandMaskOptions {
  /** Overview level to read (0 = full resolution, default). */
  level?: number;
  signal?: AbortSignal;
}

/**
 * Reads a user-supplied mask GeoTIFF/COG (URL, byte source or bytes) with `@worldstrat/raster-io` and wraps it
 * with {@link landMaskFromRaster}. The mask band is read once, whole (choose an overview `level` for large
 * global masks).
 * @param input http(s) URL, a raster-io `ByteSource` (e.g. `fileSource(path)`), or the file bytes.
 * @param options land values, band, overview level, out-of-extent answer, signal.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_MASK` (see {@link landMaskFromRaster}); raster-io errors for unreadable files.
 * @example
 * const mask = await loadLandMaskFromGeoTiff('https://example.org/land-mask.tif', { land: [1] });
 * const pts = await samplePointsOnLand(100, { seed: 1, mask });
 */
export async function loadLandMaskFromGeoTiff(
  input: string | ByteSource | Uint8Array | ArrayBuffer,
  options: LoadLandMaskFromGeoTiffOptions = {},
): Promise<LandMask> {
  const tiff = await openGeoTiff(
    typeof input === 'string' ? httpSource(input, { signal: options.signal }) : input,
    {
      signal: options.signal,
    },
  );
  try {
    const band = options.band ?? 0;
    const raster = await readRaster(tiff, {
      bands: [band],
      level: options.level ?? 0,
      signal: options.signal,
    });
    return landMaskFromRaster(raster, { ...options, band: 0 });
  } finally {
    await tiff.close();
  }
}
