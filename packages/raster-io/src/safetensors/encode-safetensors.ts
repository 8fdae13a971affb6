// safetensors writer: space-padded JSON header (multiple of 8), tensors sorted by itemsize then name.

import { setMember } from '@worldstrat/core';
import { RasterIoError } from '../errors.js';
import { describeValue } from '../internal/check-args.js';
import { floatToBfloat16, floatToHalf } from './half-float.js';
import {
  SAFETENSORS_DTYPE_BYTES,
  SAFETENSORS_DTYPES,
  type SafetensorsData,
  type SafetensorsDType,
} from './safetensors-types.js';

/** A tensor to encode. `dtype` defaults from the array type (Float32Array → F32, ...). */
export interface SafetensorsInput {
  dtype?: SafetensorsDType;
  shape: readonly number[];
  data: SafetensorsData | readonly number[];
}

function fail(message: string): never {
  throw new RasterIoError('INVALID_SAFETENSORS', message);
}

function defaultDType(data: SafetensorsInput['data']): SafetensorsDType {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  return 'F32';
}

/**
 * Tensor data: a typed array, or a plain array of numbers (bigints for 64-bit integers). A `{ length }` object
 * would make the encoder allocate and walk that many elements, and strings or null would be coerced.
 */
function checkTensorData(key: string, data: unknown): void {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return;
  if (!Array.isArray(data)) fail(`tensor "${key}": data must be a typed array or an array of numbers`);
  for (const [i, v] of data.entries())
    if (typeof v !== 'number' && typeof v !== 'bigint')
      fail(`tensor "${key}": data[${i}] must be a number, got ${describeValue(v)}`);
}

/** Smallest and largest value of each 8–32-bit integer dtype. */
const INT_RANGE = {
  I8: [-128, 127],
  U8: [0, 255],
  I16: [-32768, 32767],
  U16: [0, 65535],
  I32: [-2147483648, 2147483647],
  U32: [0, 4294967295],
} as const;

/** Range of the 64-bit integer dtypes, as bigints (a double cannot hold their ends). */
const BIGINT_RANGE = { I64: [-(2n ** 63n), 2n ** 63n - 1n], U64: [0n, 2n ** 64n - 1n] } as const;

/** The ±Inf bit pattern (sign cleared) of each 16-bit float dtype. */
const HALF_INFINITY = { F16: 0x7c00, BF16: 0x7f80 } as const;

/** A value the dtype cannot hold: refused, since writing it would silently store another number. */
function badValue(key: string, dtype: SafetensorsDType, i: number, v: unknown, why: string): never {
  return fail(`tensor "${key}": ${dtype} element ${i} is ${describeValue(v)}, ${why}`);
}

function encodeData(
  key: string,
  dtype: SafetensorsDType,
  data: SafetensorsInput['data'],
  numel: number,
): Uint8Array {
  if (data.length !== numel) fail(`tensor "${key}": shape has ${numel} elements but data has ${data.length}`);
  const out = new Uint8Array(numel * SAFETENSORS_DTYPE_BYTES[dtype]);
  switch (dtype) {
    case 'I64':
    case 'U64':
      encodeBigInts(key, dtype, data, out);
      return out;
    case 'F64':
    case 'F32':
    case 'F16':
    case 'BF16':
      encodeFloats(key, dtype, data, out);
      return out;
    case 'BOOL':
      for (let i = 0; i < numel; i++) out[i] = Number(data[i] as number | bigint) ? 1 : 0;
      return out;
    default:
      encodeSmallInts(key, dtype, data, out);
      return out;
  }
}

/** I64/U64 from integers (numbers or bigints) within the dtype's range. */
function encodeBigInts(
  key: string,
  dtype: 'I64' | 'U64',
  data: SafetensorsInput['data'],
  out: Uint8Array,
): void {
  const t = dtype === 'I64' ? new BigInt64Array(out.buffer) : new BigUint64Array(out.buffer);
  const [lo, hi] = BIGINT_RANGE[dtype];
  for (let i = 0; i < t.length; i++) {
    const v = data[i] as number | bigint;
    if (typeof v !== 'bigint' && !Number.isInteger(v)) badValue(key, dtype, i, v, 'not an integer');
    const b = BigInt(v);
    if (b < lo || b > hi) badValue(key, dtype, i, v, `outside ${dtype}'s range ${lo}..${hi}`);
    t[i] = b;
  }
}

/** I8…U32 from integers within the dtype's range (a typed array would wrap or truncate anything else). */
function encodeSmallInts(
  key: string,
  dtype: keyof typeof INT_RANGE,
  data: SafetensorsInput['data'],
  out: Uint8Array,
): void {
  const Ctor = {
    I8: Int8Array,
    U8: Uint8Array,
    I16: Int16Array,
    U16: Uint16Array,
    I32: Int32Array,
    U32: Uint32Array,
  }[dtype];
  const t = new Ctor(out.buffer as ArrayBuffer);
  const [lo, hi] = INT_RANGE[dtype];
  for (let i = 0; i < t.length; i++) {
    const v = Number(data[i] as number | bigint);
    if (!Number.isInteger(v)) badValue(key, dtype, i, data[i], 'not an integer');
    if (v < lo || v > hi) badValue(key, dtype, i, data[i], `outside ${dtype}'s range ${lo}..${hi}`);
    t[i] = v;
  }
}

/** An array of non-negative integers, every index present (`every` skips the holes of `[, 3]`). */
function isShape(shape: unknown): shape is number[] {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) if (!(Number.isSafeInteger(shape[i]) && shape[i] >= 0)) return false;
  return true;
}

/**
 * F64/F32/F16/BF16 from numbers. NaN and ±Inf are written as given; a finite value past the dtype's largest one
 * is refused (it would be stored as ±Inf).
 */
function encodeFloats(
  key: string,
  dtype: 'F64' | 'F32' | 'F16' | 'BF16',
  data: SafetensorsInput['data'],
  out: Uint8Array,
): void {
  const n = out.byteLength / SAFETENSORS_DTYPE_BYTES[dtype];
  const num = (i: number): number => Number(data[i] as number | bigint);
  // a bigint is finite however large: one past the dtype's range is refused, not stored as ±Inf
  const finite = (i: number): boolean => typeof data[i] === 'bigint' || Number.isFinite(data[i]);
  if (dtype === 'F64' || dtype === 'F32') {
    const t = dtype === 'F64' ? new Float64Array(out.buffer) : new Float32Array(out.buffer);
    // float32 values fit both dtypes, doubles F64: nothing to check
    if (data instanceof Float32Array || (dtype === 'F64' && data instanceof Float64Array)) {
      for (let i = 0; i < n; i++) t[i] = num(i);
      return;
    }
    const largest = dtype === 'F64' ? '±1.7976931348623157e+308' : '±3.4028234663852886e+38';
    for (let i = 0; i < n; i++) {
      t[i] = num(i);
      if (!Number.isFinite(t[i] as number) && finite(i))
        badValue(key, dtype, i, data[i], `beyond ${dtype}'s largest finite value (${largest})`);
    }
    return;
  }
  const t = new Uint16Array(out.buffer);
  const conv = dtype === 'F16' ? floatToHalf : floatToBfloat16;
  const inf = HALF_INFINITY[dtype];
  for (let i = 0; i < n; i++) {
    t[i] = conv(num(i));
    if (((t[i] as number) & 0x7fff) === inf && finite(i))
      badValue(key, dtype, i, data[i], `beyond ${dtype}'s largest finite value`);
  }
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file.
 *
 * The JSON header is padded with spaces to a multiple of 8 bytes and tensors are laid out by decreasing
 * item size, then by name, so every tensor is aligned for zero-copy typed-array views. `F16`/`BF16`
 * narrow with round-to-nearest-even from any numeric array, rounding each value once (float64 values too, as
 * NumPy's float16 does; PyTorch goes through float32 and can land 1 ulp away on near-halfway float64 values).
 *
 * @param tensors - tensors by name; `dtype` defaults from the typed-array type.
 * @param metadata - optional `__metadata__` (string values only).
 * @returns the file bytes.
 * Values must fit the dtype: integer dtypes take integers within their range (numbers, or bigints for any), float
 * dtypes take NaN and ±Inf but refuse a finite value that would overflow to ±Inf; nothing is wrapped, truncated
 * or saturated.
 *
 * @throws RasterIoError `INVALID_SAFETENSORS` for a bad shape, a length mismatch, a non-string metadata value, or
 *   a value the dtype cannot hold (naming the tensor, the element index and the value).
 * @example
 * const bytes = encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { note: 'x' });
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors))
    fail(`tensors must be an object of named tensors, got ${describeValue(tensors)}`);
  if (metadata != null && (typeof metadata !== 'object' || Array.isArray(metadata)))
    fail(`metadata must be an object of strings, got ${describeValue(metadata)}`);
  const keys = Object.keys(tensors);
  if (keys.includes('__metadata__')) fail('"__metadata__" is reserved; pass metadata as the second argument');
  const prepared = keys.map((key) => {
    const t = tensors[key] as SafetensorsInput;
    if (t === null || typeof t !== 'object')
      fail(`tensor "${key}" must be { dtype?, shape, data }, got ${describeValue(t)}`);
    checkTensorData(key, t.data);
    const dtype = t.dtype ?? defaultDType(t.data);
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(dtype))
      fail(`tensor "${key}": dtype ${describeValue(dtype)} is not one of ${SAFETENSORS_DTYPES.join(', ')}`);
    if (!isShape(t.shape))
      fail(`tensor "${key}": shape ${describeValue(t.shape)} must be non-negative integers`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    return { key, dtype, shape: [...t.shape], bytes: encodeData(key, dtype, t.data, numel) };
  });
  prepared.sort(
    (a, b) =>
      SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string')
        fail(`metadata "${k}" is ${typeof v}; metadata values must be strings (JSON.stringify it)`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const p of prepared) {
    setMember(header, p.key, {
      dtype: p.dtype,
      shape: p.shape,
      data_offsets: [offset, offset + p.bytes.byteLength],
    });
    offset += p.bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const p of prepared) {
    out.set(p.bytes, pos);
    pos += p.bytes.byteLength;
  }
  return out;
}
