// Resize a whole Raster (every band) and rescale its geotransform.

import { RasterIoError } from '../errors.js';
import { checkOptions, checkRaster, describeValue, withinMemory } from '../internal/check-args.js';
import { DTYPES, type DType, type Raster, type RasterArray } from '../types.js';
import { fromFloat, toFloat32 } from './dtype-cast.js';
import { type ResizeOptions, type ResizePlanes, resizePlanes } from './resize.js';

/** Options of {@link resizeRaster}: the kernel plus the output dtype. */
export interface ResizeRasterOptions extends ResizeOptions {
  /** Output dtype; default the input's. Integer outputs are rounded and clamped to the dtype's range. */
  dtype?: DType;
}

/**
 * A band as resize planes: float32 for the types float32 holds exactly (the torch-matching path), float64 for
 * 32-bit integers and float64, which float32 would round (16777217 → 16777216, 1e300 → Infinity).
 */
function planesOf(band: RasterArray): ResizePlanes {
  if (band instanceof Float64Array) return band;
  if (band instanceof Int32Array || band instanceof Uint32Array) return Float64Array.from(band);
  return toFloat32(band);
}

/**
 * Resizes every band of a raster to `width × height` with {@link resize} and scales the geotransform so the
 * footprint is unchanged (pixel size × in/out).
 *
 * No-data pixels are treated as values; use `method: 'nearest'` for masks and classes. Int32, uint32 and float64
 * bands are resized in float64 (`nearest` keeps their values exactly), the others in float32, as torch does.
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
  return withinMemory('resizeRaster', () => {
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
      const out = resizePlanes(planesOf(band), [1, raster.height, raster.width], [height, width], kernel);
      return dtype === 'float32' && out instanceof Float32Array ? out : fromFloat(out, dtype);
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
  });
}
