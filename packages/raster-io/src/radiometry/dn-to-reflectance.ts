// DN → reflectance (÷10000, clamp [0,1]) as the WorldStrat pipeline does (float32 arithmetic).

import { RasterIoError } from '../errors.js';
import {
  checkNumberArray,
  checkOptionalBoolean,
  checkOptions,
  checkRaster,
  describeValue,
  isRasterArgument,
} from '../internal/check-args.js';
import type { Raster } from '../types.js';

/** Options of {@link dnToReflectance}. */
export interface DnToReflectanceOptions {
  /** Divisor; default 10000 (`SPOT_MAX_EXPECTED_VALUE_12_BIT`, also Sentinel-2's quantification value). */
  scale?: number;
  /** Clamp to [0, 1]; default true. */
  clamp?: boolean;
}

function convertBand(band: ArrayLike<number>, scale: number, clamp: boolean): Float32Array {
  const out = new Float32Array(band.length);
  for (let i = 0; i < band.length; i++) {
    // float32 division of the (exact) DN, like torch `int32_tensor / 10000`
    const v = Math.fround((band[i] as number) / scale);
    out[i] = clamp ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
  }
  return out;
}

/**
 * Converts digital numbers to reflectance: `v / 10000`, clamped to [0, 1]. NaN stays NaN.
 *
 * @param input - one band (any numeric array) or a whole raster.
 * @param options - `scale` (default 10000), `clamp` (default true).
 * @returns a `Float32Array` for a band, or a float32 raster for a raster (whose no-data pixels become NaN,
 *   with `noData` set to NaN).
 * @throws RasterIoError `INVALID_ARGUMENT` for a non-positive scale.
 * @example
 * const refl = dnToReflectance(new Uint16Array([0, 5000, 12000])); // [0, 0.5, 1]
 */
export function dnToReflectance(input: ArrayLike<number>, options?: DnToReflectanceOptions): Float32Array;
export function dnToReflectance(input: Raster, options?: DnToReflectanceOptions): Raster;
export function dnToReflectance(
  input: ArrayLike<number> | Raster,
  options: DnToReflectanceOptions = {},
): Float32Array | Raster {
  const fn = 'dnToReflectance';
  const { scale = 10000, clamp: clampOption } = checkOptions(fn, options);
  const clamp = checkOptionalBoolean(fn, 'options.clamp', clampOption) ?? true;
  if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `dnToReflectance scale must be a positive number (got ${describeValue(scale)})`,
    );
  if (!isRasterArgument(input)) return convertBand(checkNumberArray(fn, 'input', input), scale, clamp);
  const raster = checkRaster(fn, input);
  const nd = raster.noData;
  const bands = raster.bands.map((b) => {
    const out = convertBand(b, scale, clamp);
    if (nd !== undefined && nd !== null)
      for (let i = 0; i < b.length; i++) if (b[i] === nd) out[i] = Number.NaN;
    return out;
  });
  const result: Raster = { width: raster.width, height: raster.height, dtype: 'float32', bands };
  if (nd !== undefined && nd !== null) result.noData = Number.NaN;
  if (raster.geo) result.geo = raster.geo;
  return result;
}
