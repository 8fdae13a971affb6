// safetensors dtypes, element sizes and the typed arrays they decode to.

/** Tensor dtypes of the safetensors format that this reader/writer handles. */
export const SAFETENSORS_DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
] as const;
/** One safetensors dtype name (`'F32'`, `'I64'`, ...). */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/**
 * The typed array a tensor decodes to. `F16` and `BF16` decode to `Float32Array` (exact widening);
 * `I64`/`U64` decode to `BigInt64Array`/`BigUint64Array` (exact); `BOOL` decodes to `Uint8Array` (0/1).
 */
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** One tensor: dtype, row-major shape and its elements. */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsData;
}

/** A decoded safetensors file: tensors by name plus the string-to-string `__metadata__`. */
export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Bytes per element of each dtype. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};
