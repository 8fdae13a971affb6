import { RasterIoError } from '../errors.js';
import type { DType, RasterArray } from '../types.js';

type Ctor = new (n: number | ArrayBufferLike, byteOffset?: number, length?: number) => RasterArray;

/** Typed-array constructor for each dtype. */
export const DTYPE_ARRAY: Readonly<Record<DType, Ctor>> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as unknown as Record<DType, Ctor>;

/** Whether this platform stores multi-byte numbers little-endian (word-at-a-time paths assume it). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether a view (or buffer) is shared memory; by tag, so a SharedArrayBuffer of another realm counts too. */
export function isSharedMemory(x: ArrayBufferView | ArrayBufferLike): boolean {
  const buffer = ArrayBuffer.isView(x) ? x.buffer : x;
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** Bytes per sample of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  uint8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** TIFF SampleFormat (1 uint, 2 int, 3 float) of each dtype. */
export const DTYPE_SAMPLE_FORMAT: Readonly<Record<DType, 1 | 2 | 3>> = {
  uint8: 1,
  uint16: 1,
  int16: 2,
  uint32: 1,
  int32: 2,
  float32: 3,
  float64: 3,
};

/** The dtype for a TIFF (SampleFormat, BitsPerSample) pair, or undefined when we do not support it. */
export function dtypeFromTiff(sampleFormat: number, bits: number): DType | undefined {
  const key = `${sampleFormat}:${bits}`;
  return (
    {
      '1:8': 'uint8',
      '1:16': 'uint16',
      '2:16': 'int16',
      '1:32': 'uint32',
      '2:32': 'int32',
      '3:32': 'float32',
      '3:64': 'float64',
    } as Record<string, DType>
  )[key];
}

/** The dtype of a typed array (throws for arrays that are not a RasterArray). */
export function dtypeOfArray(a: ArrayBufferView): DType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  throw new RasterIoError('UNSUPPORTED_DTYPE', `unsupported band array type ${a.constructor.name}`);
}

/** A typed view of `bytes` (copied when misaligned). */
export function viewAs(dtype: DType, bytes: Uint8Array): RasterArray {
  const size = DTYPE_BYTES[dtype];
  const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new DTYPE_ARRAY[dtype](b.buffer, b.byteOffset, Math.floor(b.byteLength / size));
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The samples' bits for copying one by one: a float32 array as a Uint32Array over the same memory (a copy through
 * JS numbers widens to float64 and back, which sets a signalling NaN's quiet bit); other arrays as they are
 * (integers copy exactly, and float64 loads and stores keep every NaN's bits).
 */
export function sampleBits(a: RasterArray): RasterArray {
  return a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a;
}
