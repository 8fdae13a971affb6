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

/** Converts float values to a dtype: integers are rounded (half away from zero) and clamped; NaN → `nan`. */
export function fromFloat(values: ArrayLike<number>, dtype: DType, nan = 0): RasterArray {
  const out = allocBand(dtype, values.length);
  const r = RANGES[dtype];
  if (!r) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
    return out;
  }
  const [lo, hi] = r;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      out[i] = nan;
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
