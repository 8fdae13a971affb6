// Float32 <-> raster dtype conversions shared by resample, warp and radiometry (internal, not re-exported).
import type { DType, RasterArray } from '../types.js';

const RANGES: Readonly<Record<DType, [number, number] | null>> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: null,
  float64: null,
};

/** Allocates a typed array of a raster dtype. */
export function allocBand(dtype: DType, length: number): RasterArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

/** Copies any band into a Float32Array (values as numbers). */
export function toFloat32(band: ArrayLike<number>): Float32Array {
  return band instanceof Float32Array ? band : Float32Array.from(band);
}

/**
 * One value as GDAL's `GDALCopyWords` stores it in an integer dtype: rounded half away from zero, clamped to the
 * type, NaN → 0 (a typed-array store would wrap 300 to 44 in uint8). Float dtypes take it as it is.
 */
export function castToDtype(v: number, dtype: DType): number {
  const r = RANGES[dtype];
  if (!r) return v;
  if (Number.isNaN(v)) return 0;
  const q = v < 0 ? -Math.round(-v) : Math.round(v);
  return q < r[0] ? r[0] : q > r[1] ? r[1] : q;
}

/**
 * A no-data value as gdalwarp adjusts `-dstnodata` to the output dtype (`GDALAdjustValueToDataType`): integers are
 * clamped to the type, else rounded half up (`floor(v + 0.5)`), NaN becomes what x86-64 makes of GDAL's cast
 * (−2^31 for int32, 0 for the others); float32 is clamped to ±FLT_MAX and rounded to float32 (±Inf, NaN kept).
 */
export function adjustNoDataToDtype(v: number, dtype: DType): number {
  const r = RANGES[dtype];
  if (!r) return dtype === 'float64' || !Number.isFinite(v) ? v : clampFround(v);
  if (Number.isNaN(v)) return dtype === 'int32' ? r[0] : 0;
  if (v < r[0]) return r[0];
  if (v > r[1]) return r[1];
  return Number.isInteger(v) ? v : Math.floor(v + 0.5);
}

/** Largest finite float32. */
const FLT_MAX = 3.4028234663852886e38;

/** A finite double rounded to float32 without overflowing to ±Inf (values past FLT_MAX are clamped first). */
function clampFround(v: number): number {
  return Math.fround(Math.max(-FLT_MAX, Math.min(FLT_MAX, v)));
}

/** Converts float values to a dtype: integers are rounded (half away from zero) and clamped; NaN → `nan`. */
export function fromFloat(values: ArrayLike<number>, dtype: DType, nan = 0): RasterArray {
  const out = allocBand(dtype, values.length);
  const r = RANGES[dtype];
  if (!r) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
    return out;
  }
  const [lo, hi] = r;
  // clamped as GDAL stores it, never wrapped by the typed-array store
  const fill = castToDtype(nan, dtype);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      out[i] = fill;
      continue;
    }
    const q = v < 0 ? -Math.round(-v) : Math.round(v);
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return out;
}

/** The raster dtype of a typed array. */
export function dtypeOf(band: RasterArray): DType {
  if (band instanceof Uint8Array) return 'uint8';
  if (band instanceof Uint16Array) return 'uint16';
  if (band instanceof Int16Array) return 'int16';
  if (band instanceof Uint32Array) return 'uint32';
  if (band instanceof Int32Array) return 'int32';
  if (band instanceof Float32Array) return 'float32';
  return 'float64';
}
