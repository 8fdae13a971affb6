// A user-supplied land mask read from a GeoTIFF/COG. Lives here, not in geo-sampling, so geo-sampling needs no
// raster reader: stratify already reads class rasters through raster-io.
import { type LandMask, landMaskFromRaster, type RasterLandMaskOptions } from '@worldstrat/geo-sampling';
import { type ByteSource, httpSource, openGeoTiff, readRaster } from '@worldstrat/raster-io';
import { checkOptions } from '../internal/check-arguments.js';

/** Options of {@link loadLandMaskFromGeoTiff}. */
export interface LoadLandMaskFromGeoTiffOptions extends RasterLandMaskOptions {
  /** Overview level to read (0 = full resolution, default). */
  level?: number;
  signal?: AbortSignal;
}

/**
 * Reads a user-supplied mask GeoTIFF/COG (URL, byte source or bytes) with `@worldstrat/raster-io` and wraps it
 * with geo-sampling's `landMaskFromRaster`. The mask band is read once, whole (choose an overview `level` for
 * large global masks).
 * @param input http(s) URL, a raster-io `ByteSource` (e.g. `fileSource(path)`), or the file bytes.
 * @param options land values, band, overview level, out-of-extent answer, signal.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_MASK` (no EPSG:4326 north-up georeferencing, missing band); raster-io
 *   errors for unreadable files; StratifyError `INVALID_ARGUMENT` for options that are not an object.
 * @example
 * const mask = await loadLandMaskFromGeoTiff('https://example.org/land-mask.tif', { land: [1] });
 * const pts = await samplePointsOnLand(100, { seed: 1, mask });
 */
export async function loadLandMaskFromGeoTiff(
  input: string | ByteSource | Uint8Array | ArrayBuffer,
  opts?: LoadLandMaskFromGeoTiffOptions,
): Promise<LandMask> {
  const options = checkOptions('loadLandMaskFromGeoTiff', opts);
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
