// How gdalwarp (GDAL 3.6) turns resampled values into integer output: the data type it works in, its rounding,
// and the step that keeps a valid value off the no-data value. Which of its kernels runs decides the last step
// and the 1-pixel-source fallback, so that choice is modelled here too.
import { allocBand, castToDtype, fromFloat } from '../resample/dtype-cast.js';
import type { DType, RasterArray } from '../types.js';
import type { WarpMethod } from './warp-raster.js';

/** A GDAL data type as its union rules see it: bits, signedness, float. */
export interface GdalType {
  bits: number;
  signed: boolean;
  float: boolean;
}

const OF_DTYPE: Readonly<Record<DType, GdalType>> = {
  uint8: { bits: 8, signed: false, float: false },
  uint16: { bits: 16, signed: false, float: false },
  int16: { bits: 16, signed: true, float: false },
  uint32: { bits: 32, signed: false, float: false },
  int32: { bits: 32, signed: true, float: false },
  float32: { bits: 32, signed: true, float: true },
  float64: { bits: 64, signed: true, float: true },
};

/** The smallest GDAL type with these properties (GDAL 3.6 has no signed 8-bit type). */
function findType(minBits: number, signed: boolean, float: boolean): GdalType {
  let bits = signed ? Math.max(minBits, 16) : minBits;
  if (float) bits = Math.max(bits, 32);
  if (bits <= 8) return { bits: 8, signed: false, float: false };
  if (bits <= 16) return { bits: 16, signed, float: false };
  if (bits <= 32) return { bits: 32, signed, float };
  if (bits === 64 && !float) return { bits: 64, signed, float: false };
  return { bits: 64, signed: true, float: true };
}

/** The type both values fit in: a float or signed side doubles the other side's bits. */
function union(a: GdalType, b: GdalType): GdalType {
  let bits = Math.max(a.bits, b.bits);
  if (a.float !== b.float) bits = a.float ? Math.max(a.bits, 2 * b.bits) : Math.max(b.bits, 2 * a.bits);
  else if (a.signed !== b.signed)
    bits = a.signed ? Math.max(a.bits, 2 * b.bits) : Math.max(b.bits, 2 * a.bits);
  return findType(bits, a.signed || b.signed, a.float || b.float);
}

/** The smallest type holding a value (a no-data value widens the working type to hold it). */
function typeOfValue(v: number): GdalType {
  if (!Number.isInteger(v) || v >= 2 ** 64 || v < -(2 ** 63))
    return findType(Math.fround(v) === v ? 32 : 64, true, true);
  const fits = (lo: number, hi: number) => v >= lo && v <= hi;
  const bits = fits(-128, 255) ? 8 : fits(-32768, 65535) ? 16 : fits(-(2 ** 31), 2 ** 32 - 1) ? 32 : 64;
  return findType(bits, v < 0, false);
}

/**
 * gdalwarp's working type: the output type widened by the source and output no-data values. The source
 * type does not count (gdalwarp reads the source into the output's type).
 */
export function workingType(dtype: DType, srcNoData: number | null, dstNoData: number | null): GdalType {
  let t = OF_DTYPE[dtype];
  if (srcNoData !== null) t = union(t, typeOfValue(srcNoData));
  if (dstNoData !== null) t = union(t, typeOfValue(dstNoData));
  return t;
}

/**
 * Whether gdalwarp resamples with its general kernel instead of a fast path. Its fast paths: nearest for 8- and
 * 16-bit integers and float32, masks or not; bilinear and cubic for those types when nothing is masked (no
 * source or output no-data value).
 */
export function usesGeneralKernel(method: WarpMethod, t: GdalType, masked: boolean): boolean {
  const fastType = t.float ? t.bits === 32 : t.bits <= 16;
  return method === 'nearest' ? !fastType : masked || !fastType;
}

/** Range of an integer GDAL type. */
function rangeOf(t: GdalType): [number, number] {
  if (!t.signed) return [0, 2 ** t.bits - 1];
  return [-(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1];
}

/** How accumulated values become one integer output band (NaN = no value). */
export interface IntegerOutput {
  dtype: DType;
  noData: number;
  working: GdalType;
  /** Whether a valid value equal to `noData` is moved off it (only gdalwarp's general kernel does so). */
  avoidNoData: boolean;
}

/**
 * The output band. In an integer working type gdalwarp clamps, rounds half up (`floor(x + 0.5)`) and, in its
 * general kernel, moves a valid value that lands on the no-data value one step away: up from the type's minimum,
 * down otherwise; the result is then clamped to the output type. A float working type rounds half away from zero.
 */
export function toIntegerBand(values: Float64Array, out: IntegerOutput): RasterArray {
  if (out.working.float) return fromFloat(values, out.dtype, out.noData);
  const [lo, hi] = rangeOf(out.working);
  const [outLo, outHi] = rangeOf(OF_DTYPE[out.dtype]);
  const nd = out.noData;
  // a no-data value the output type cannot hold (a source's 300 on uint8) is stored clamped, as GDAL copies it
  const fill = castToDtype(nd, out.dtype);
  const nudge = out.avoidNoData;
  const band = allocBand(out.dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      band[i] = fill;
      continue;
    }
    let q = v < lo ? lo : v > hi ? hi : Math.floor(v + 0.5);
    if (nudge && q === nd) q = q === lo ? q + 1 : q - 1;
    band[i] = q < outLo ? outLo : q > outHi ? outHi : q;
  }
  return band;
}
