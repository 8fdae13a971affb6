// safetensors reader: 8-byte LE header length, JSON header, raw little-endian data. No dependency.

import { setMember } from '@worldstrat/core';
import { RasterIoError } from '../errors.js';
import { checkBytes, checkOptions, checkString, describeValue, invalid } from '../internal/check-args.js';
import { bfloat16ToFloat, halfToFloat } from './half-float.js';
import {
  SAFETENSORS_DTYPE_BYTES,
  SAFETENSORS_DTYPES,
  type SafetensorsData,
  type SafetensorsDType,
  type SafetensorsFile,
  type SafetensorsTensor,
} from './safetensors-types.js';

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Name used in error messages (a file name or URL). Default `'<bytes>'`. */
  name?: string;
  /** Only decode these tensors (others are validated but not copied). Default: all. */
  only?: readonly string[];
}

/** Largest header the official implementation accepts (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** `options.only` as a set: an array of tensor names (a string would be taken letter by letter). */
function onlyNames(only: unknown): Set<string> {
  if (!Array.isArray(only) || !only.every((k) => typeof k === 'string'))
    invalid(`readSafetensors: options.only must be an array of tensor names, got ${describeValue(only)}`);
  return new Set(only);
}

function fail(name: string, message: string, cause?: unknown): never {
  throw new RasterIoError('INVALID_SAFETENSORS', `${name}: ${message}`, cause ? { cause } : undefined);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function decodeData(dtype: SafetensorsDType, raw: Uint8Array): SafetensorsData {
  // `raw` is a fresh copy starting at offset 0 of its own buffer, so every view below is aligned.
  const buf = raw.buffer as ArrayBuffer;
  const n = raw.byteLength / SAFETENSORS_DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf, 0, n);
    case 'F32':
      return new Float32Array(buf, 0, n);
    case 'I64':
      return new BigInt64Array(buf, 0, n);
    case 'U64':
      return new BigUint64Array(buf, 0, n);
    case 'I32':
      return new Int32Array(buf, 0, n);
    case 'U32':
      return new Uint32Array(buf, 0, n);
    case 'I16':
      return new Int16Array(buf, 0, n);
    case 'U16':
      return new Uint16Array(buf, 0, n);
    case 'I8':
      return new Int8Array(buf, 0, n);
    case 'U8':
      return raw;
    case 'BOOL':
      for (let i = 0; i < raw.length; i++) raw[i] = raw[i] ? 1 : 0;
      return raw;
    case 'F16':
    case 'BF16': {
      const bits = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      const conv = dtype === 'F16' ? halfToFloat : bfloat16ToFloat;
      for (let i = 0; i < n; i++) out[i] = conv(bits[i] as number);
      return out;
    }
  }
}

/**
 * Parses a safetensors file held in memory.
 *
 * Validates the header like the official implementation: header length within the file, a JSON object,
 * known dtypes, integer shapes, `data_offsets` whose length equals `prod(shape) × itemsize`, tensors that
 * neither overlap nor leave gaps, and a data section fully covered. Data are copied (the result never
 * aliases `bytes`). `F16`/`BF16` decode to `Float32Array`, `I64`/`U64` to `BigInt64Array`/`BigUint64Array`.
 *
 * @param bytes - the whole file.
 * @param options - `name` for error messages, `only` to decode a subset.
 * @returns tensors by name and the `__metadata__` map (empty when absent).
 * @throws RasterIoError `INVALID_SAFETENSORS` naming the file and the bad field.
 * @example
 * const { tensors, metadata } = readSafetensors(bytes);
 * const w = tensors['conv.weight']; // { dtype: 'F32', shape: [8, 3, 3, 3], data: Float32Array }
 */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadSafetensorsOptions = {},
): SafetensorsFile {
  checkBytes('readSafetensors', 'bytes', bytes);
  const { name: given, only: wanted } = checkOptions('readSafetensors', options);
  const name = given === undefined ? '<bytes>' : checkString('readSafetensors', 'options.name', given);
  const only = wanted === undefined ? null : onlyNames(wanted);
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength < 8)
    fail(name, `file is ${u8.byteLength} bytes; a safetensors file starts with an 8-byte header length`);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const headerLen = dv.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES))
    fail(name, `header length ${headerLen} exceeds the 100 MB limit; this is not a safetensors file`);
  const n = Number(headerLen);
  if (8 + n > u8.byteLength)
    fail(
      name,
      `header length ${n} runs past the end of the file (${u8.byteLength} bytes); the file is truncated`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n)));
  } catch (err) {
    fail(name, 'header is not valid UTF-8 JSON', err);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(name, 'header JSON must be an object of {name: {dtype, shape, data_offsets}}');
  const dataStart = 8 + n;
  const dataLen = u8.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: SafetensorsDType; shape: number[]; start: number; end: number }[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        fail(name, '__metadata__ must be an object of string values');
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== 'string')
          fail(name, `__metadata__.${mk} is ${typeof mv}; metadata values must be strings`);
        setMember(metadata, mk, mv);
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== 'object') fail(name, `tensor "${key}" must be an object`);
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(dtype))
      fail(
        name,
        `tensor "${key}" has dtype ${describeValue(dtype)}; supported: ${SAFETENSORS_DTYPES.join(', ')}`,
      );
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegInt))
      fail(
        name,
        `tensor "${key}" has shape ${describeValue(shape)}; expected an array of non-negative integers`,
      );
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !isNonNegInt(offs[0]) ||
      !isNonNegInt(offs[1]) ||
      offs[1] < offs[0]
    )
      fail(
        name,
        `tensor "${key}" has data_offsets ${describeValue(offs)}; expected [start, end] with start <= end`,
      );
    const [start, end] = offs as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const itemBytes = SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDType];
    if (end - start !== numel * itemBytes)
      fail(
        name,
        `tensor "${key}" (${dtype} ${describeValue(shape, 200)}) needs ${numel * itemBytes} bytes but data_offsets [${start}, ${end}] span ${end - start}`,
      );
    if (end > dataLen)
      fail(
        name,
        `tensor "${key}" data_offsets end ${end} runs past the data section (${dataLen} bytes); the file is truncated`,
      );
    entries.push({ key, dtype: dtype as SafetensorsDType, shape: [...(shape as number[])], start, end });
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.start !== cursor)
      fail(
        name,
        e.start < cursor
          ? `tensor "${e.key}" overlaps the previous tensor (starts at ${e.start}, previous ends at ${cursor})`
          : `gap in the data section before tensor "${e.key}" (${cursor}..${e.start})`,
      );
    cursor = e.end;
  }
  if (cursor !== dataLen)
    fail(
      name,
      `data section is ${dataLen} bytes but the tensors cover ${cursor}; trailing bytes or a missing tensor`,
    );
  if (only) {
    for (const k of only) if (!entries.some((e) => e.key === k)) fail(name, `no tensor named "${k}"`);
  }
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    if (only && !only.has(e.key)) continue;
    // copy into a fresh buffer (Buffer#slice would return a view into Node's pooled buffer)
    const raw = new Uint8Array(e.end - e.start);
    raw.set(u8.subarray(dataStart + e.start, dataStart + e.end));
    setMember(tensors, e.key, { dtype: e.dtype, shape: e.shape, data: decodeData(e.dtype, raw) });
  }
  return { tensors, metadata };
}
