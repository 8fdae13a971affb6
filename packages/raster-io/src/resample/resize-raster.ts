// Resize a whole Raster (every band) and rescale its geotransform.

import { RasterIoError } from '../errors.js';
import { checkOptions, checkRaster, describeValue } from '../internal/check-args.js';
import { DTYPES, type DType, type Raster } from '../types.js';
import { fromFloat, toFloat32 } from './dtype-cast.js';
import { type ResizeOptions, resize } from './resize.js';

/** Options of {@link resizeRaster}: the kernel plus the output dtype. */
export interface ResizeRasterOptions extends ResizeOptions {
  /** Output dtype; default the input's. Integer outputs are rounded and clamped to the dtype's range. */
  dtype?: DType;
}

/**
 * Resizes every band of a raster to `width × height` with {@link resize} and scales the geotransform so the
 * footprint is unchanged (pixel size × in/out).
 *
 * No-data pixels are treated as values; use `method: 'nearest'` for masks and classes.
 *
 * @param raster - input raster.
 * @param width - output width in pixels.
 * @param height - output height in pixels.
 * @param options - kernel (default bilinear), antialias, output dtype.
 * @returns a new raster.
 * @throws RasterIoError `INVALID_ARGUMENT` for non-positive sizes or bands of the wrong length.
 * @example
 * const half = resizeRaster(scene, scene.width / 2, scene.height / 2, { method: 'bilinear', antialias: true });
 */
export function resizeRaster(
  raster: Raster,
  width: number,
  height: number,
  options: ResizeRasterOptions = {},
): Raster {
  checkRaster('resizeRaster', raster);
  const { dtype = raster.dtype, ...kernel } = checkOptions('resizeRaster', options);
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resizeRaster size must be positive integers (got ${describeValue(width)}×${describeValue(height)})`,
    );
  if (!(DTYPES as readonly unknown[]).includes(dtype))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `resizeRaster dtype must be one of ${DTYPES.join(', ')}, got ${describeValue(dtype)}`,
    );
  const bands = raster.bands.map((band) => {
    const out = resize(toFloat32(band), [1, raster.height, raster.width], [height, width], kernel);
    return dtype === 'float32' ? out : fromFloat(out, dtype);
  });
  const result: Raster = { width, height, dtype, bands };
  if (raster.noData !== undefined) result.noData = raster.noData;
  if (raster.geo) {
    const [ox, a, b, oy, d, e] = raster.geo.transform;
    const sx = raster.width / width;
    const sy = raster.height / height;
    result.geo = { ...raster.geo, transform: [ox, a * sx, b * sy, oy, d * sx, e * sy] };
  }
  return result;
}
