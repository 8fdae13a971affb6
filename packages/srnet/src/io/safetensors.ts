// Minimal safetensors codec for weight IO (browser-safe). Format: 8-byte little-endian header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets}, __metadata__?: {str: str}}, then raw little-endian data.
import { SrnetError } from '../errors.js';

/** Tensor dtypes this codec reads and writes. */
export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'I16' | 'U16' | 'U32';

/** A decoded tensor. I64 is returned as a BigInt64Array. */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data:
    | Float32Array
    | Float64Array
    | Int32Array
    | BigInt64Array
    | Uint8Array
    | Int8Array
    | Int16Array
    | Uint16Array
    | Uint32Array;
}

/** Contents of a safetensors file. */
export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const CTORS = {
  F32: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  I64: BigInt64Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  U16: Uint16Array,
  U32: Uint32Array,
} as const;

/**
 * Decode safetensors bytes. Tensor data is copied (aligned, independent of `bytes`).
 *
 * @param bytes - the whole file
 * @returns tensors by name and the string metadata
 * @throws SrnetError `BAD_SAFETENSORS` when the header is truncated, not JSON, or names an unknown dtype
 * @example const { tensors } = parseSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) throw bad(`file is ${bytes.byteLength} bytes; a safetensors file has at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.byteLength - 8) throw bad(`header length ${n} exceeds the file size ${bytes.byteLength}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (cause) {
    throw bad('header is not valid JSON', cause);
  }
  const base = 8 + n;
  const tensors: Record<string, SafetensorsTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const { dtype, shape, data_offsets } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    const Ctor = CTORS[dtype as SafetensorsDType];
    if (!Ctor) throw bad(`tensor "${name}" has dtype ${dtype}; supported: ${Object.keys(CTORS).join(', ')}`);
    const [start, end] = data_offsets;
    if (start < 0 || end < start || base + end > bytes.byteLength) {
      throw bad(`tensor "${name}" data_offsets [${start}, ${end}] fall outside the file`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * Ctor.BYTES_PER_ELEMENT) {
      throw bad(
        `tensor "${name}" holds ${end - start} bytes but shape [${shape}] × ${dtype} needs ${count * Ctor.BYTES_PER_ELEMENT}`,
      );
    }
    const copy = bytes.slice(base + start, base + end);
    tensors[name] = {
      dtype: dtype as SafetensorsDType,
      shape: [...shape],
      data: new Ctor(copy.buffer, 0, count),
    };
  }
  return { tensors, metadata };
}

/**
 * Encode tensors (stored in name order, no gaps) and optional string metadata as safetensors bytes.
 *
 * @param tensors - name → tensor; F32 arrays may be given without a dtype
 * @param metadata - string → string
 * @returns the file bytes
 * @example const bytes = encodeSafetensorsFile({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 */
export function encodeSafetensorsFile(
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name] as SafetensorsTensor;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count)
      throw bad(`tensor "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${count}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
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
  for (const name of names) {
    const d = (tensors[name] as SafetensorsTensor).data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

function bad(message: string, cause?: unknown): SrnetError {
  return new SrnetError(
    'BAD_SAFETENSORS',
    `invalid safetensors: ${message}`,
    {},
    cause ? { cause } : undefined,
  );
}
