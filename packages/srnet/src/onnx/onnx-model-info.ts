// Read back what an ONNX file is: opset, inputs/outputs and the srnet config stored in its metadata.
import { setMember } from '@worldstrat/core';
import { SrnetError } from '../errors.js';
import { argumentError, checkOptionalString, checkOptions } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import type { ModelConfig } from '../models/config.js';
import { modelConfigFromJson } from '../models/config-json.js';
import { ONNX_CONFIG_METADATA_KEY } from './export-onnx.js';
import { decodeOnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-proto.js';

/** One graph input or output: name and dims (numbers, or symbolic names such as `batch`). */
export interface OnnxTensorInfo {
  name: string;
  dims: (number | string)[];
}

/** What {@link readOnnxModelInfo} finds in an ONNX file. */
export interface OnnxModelInfo {
  irVersion: number;
  /** Default-domain opset version (0 when absent). */
  opset: number;
  producerName: string;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** All `metadata_props`. */
  metadata: Record<string, string>;
  /** The srnet ModelConfig stored by {@link exportOnnx}, or null for files written by other tools. */
  config: ModelConfig | null;
  /** Count of nodes per op type. */
  opCounts: Record<string, number>;
}

/** Largest dimension accepted in a graph's input/output shapes (ORT's own limit is int64, ours is memory). */
const MAX_DIM = 2 ** 31 - 1;

/** A graph input/output; a fixed dim must be a whole number ≥ 0 (`where` is e.g. `graph.input[0]`). */
function tensorInfo(v: OnnxValueInfo, file: string, where: string): OnnxTensorInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    dims: dims.map((d, i) => {
      if (d.dimValue === undefined) return d.dimParam ?? '?';
      const n = Number(d.dimValue);
      if (!Number.isSafeInteger(n) || n < 0 || n > MAX_DIM)
        throw new SrnetError(
          'BAD_ONNX',
          `${file}: ${where}.type.tensor_type.shape.dim[${i}].dim_value = ${n}; expected an integer in 0..${MAX_DIM}`,
          { file, where: `${where}.type.tensor_type.shape.dim[${i}]` },
        );
      return n;
    }),
  };
}

/** The srnet config stored in the metadata, checked member by member. */
function configFromMetadata(raw: string, file: string): ModelConfig {
  const key = `metadata '${ONNX_CONFIG_METADATA_KEY}'`;
  const fail = (where: string, message: string): never => {
    throw new SrnetError('BAD_ONNX', `${file}: ${key}${where ? `.${where}` : ''} ${message}`, {
      file,
      where: `${ONNX_CONFIG_METADATA_KEY}${where ? `.${where}` : ''}`,
    });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    return fail('', `is not JSON (${(cause as Error).message}): ${showValue(raw)}`);
  }
  // exportOnnx builds HighResNet R=1 graphs (no fusion level)
  return modelConfigFromJson(parsed, fail, { singleRevisitHighResNet: true });
}

/** The `metadata_props` as a record; a repeated key is BAD_ONNX (onnx.checker refuses it; which one would win?). */
function metadataOf(props: { key?: string; value?: string }[], file: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [i, { key = '', value = '' }] of props.entries()) {
    if (Object.hasOwn(metadata, key))
      throw new SrnetError(
        'BAD_ONNX',
        `${file}: metadata_props[${i}] repeats the key ${showValue(key)} of an earlier entry; keep one entry per key`,
        { file, key },
      );
    setMember(metadata, key, value);
  }
  return metadata;
}

/** ONNX TensorProto.DataType FLOAT. */
const ONNX_FLOAT = 1;

function checkFiniteInitializer(t: OnnxTensor, name: string): void {
  if (t.dataType !== ONNX_FLOAT) return;
  let values: ArrayLike<number> = t.floatData ?? [];
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    // raw_data is little-endian; copy to an aligned buffer
    const copy = new Uint8Array(raw.byteLength - (raw.byteLength % 4));
    copy.set(raw.subarray(0, copy.byteLength));
    values = new Float32Array(copy.buffer);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0)
      throw new SrnetError(
        'NON_FINITE_WEIGHTS',
        `${name}: ONNX initializer "${t.name}" holds ${v} at flat index ${i}; export the weights again from a model that did not diverge`,
        { file: name, tensor: t.name, index: i },
      );
  }
}

function checkFiniteAttributes(node: OnnxNode, name: string): void {
  for (const a of node.attribute ?? []) {
    const values = [a.f ?? 0, ...(a.floats ?? [])];
    const bad = values.find((v) => v - v !== 0);
    if (bad !== undefined)
      throw new SrnetError(
        'NON_FINITE_WEIGHTS',
        `${name}: ONNX node "${node.name ?? node.opType}" (${node.opType}) attribute "${a.name}" holds ${bad}; export the weights again from a model that did not diverge`,
        { file: name, node: node.name, attribute: a.name },
      );
  }
}

/**
 * Decode the header facts of an ONNX model (without running it).
 *
 * @param bytes - an ONNX ModelProto.
 * @param options - `name`: the file the bytes came from, named in every error.
 * @returns opset, IO signatures, metadata and the srnet config if the file carries one.
 * @throws SrnetError `BAD_ONNX` when the bytes are not a ModelProto, a metadata key repeats or the stored config
 *   is malformed;
 *   `NON_FINITE_WEIGHTS` when an srnet graph holds a NaN/±Inf float initializer.
 * @example
 * const info = readOnnxModelInfo(bytes); // info.config?.kind === 'highresnet'
 */
export function readOnnxModelInfo(bytes: Uint8Array, options: { name?: string } = {}): OnnxModelInfo {
  const fn = 'readOnnxModelInfo';
  const o = checkOptions(fn, options, 'BAD_ONNX');
  const name = checkOptionalString(fn, 'options.name', o.name, 'BAD_ONNX') ?? '<bytes>';
  if (!(bytes instanceof Uint8Array))
    argumentError(fn, 'bytes', `a Uint8Array (the bytes of ${name})`, bytes, 'BAD_ONNX');
  let model: ReturnType<typeof decodeOnnxModel>;
  try {
    model = decodeOnnxModel(bytes);
  } catch (cause) {
    throw new SrnetError(
      'BAD_ONNX',
      `${name}: not an ONNX ModelProto (${bytes.byteLength} bytes): ${(cause as Error).message}; pass the bytes of a .onnx file`,
      { file: name },
      { cause },
    );
  }
  if (!model.graph) {
    throw new SrnetError(
      'BAD_ONNX',
      `${name}: ONNX model (${bytes.byteLength} bytes) has no graph; pass the bytes of a .onnx file`,
      { file: name },
    );
  }
  const metadata = metadataOf(model.metadataProps ?? [], name);
  const raw = metadata[ONNX_CONFIG_METADATA_KEY];
  const config = Object.hasOwn(metadata, ONNX_CONFIG_METADATA_KEY)
    ? configFromMetadata(raw as string, name)
    : null;
  // srnet graphs hold float32 weights only; a NaN/Inf one would make every output NaN
  if (config) for (const t of model.graph.initializer ?? []) checkFiniteInitializer(t, name);
  // ... and their PReLU slopes as LeakyRelu `alpha` attributes
  if (config) for (const n of model.graph.node ?? []) checkFiniteAttributes(n, name);
  const opCounts: Record<string, number> = {};
  for (const n of model.graph.node ?? []) {
    const op = n.opType ?? '';
    setMember(opCounts, op, (Object.hasOwn(opCounts, op) ? (opCounts[op] as number) : 0) + 1);
  }
  return {
    irVersion: Number(model.irVersion ?? 0),
    opset: Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0),
    producerName: model.producerName ?? '',
    inputs: (model.graph.input ?? []).map((v, i) => tensorInfo(v, name, `graph.input[${i}]`)),
    outputs: (model.graph.output ?? []).map((v, i) => tensorInfo(v, name, `graph.output[${i}]`)),
    metadata,
    config,
    opCounts,
  };
}
