// The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that srnet writes and reads, as a
// protobufjs reflection root plus matching TypeScript interfaces. Field numbers are those of onnx.proto; the
// wire format is plain proto2, so any ONNX runtime or the Python `onnx` package reads what we write.
import protobuf from 'protobufjs/light.js';

/** ONNX `TensorProto.DataType` values used here. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  DOUBLE: 11,
} as const;

/** ONNX `AttributeProto.AttributeType` values. */
export const OnnxAttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** `TensorProto`: dims, element type and data (we write `raw_data`, little-endian). */
export interface OnnxTensor {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  rawData?: Uint8Array;
  docString?: string;
}

/** `AttributeProto` (only the scalar, string, tensor and list forms). */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

/** `NodeProto`: one operator call. */
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: OnnxAttribute[];
  docString?: string;
}

/** `TensorShapeProto.Dimension`: a fixed size or a symbolic name. */
export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
}

/** `ValueInfoProto` restricted to tensor types. */
export interface OnnxValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } } };
  docString?: string;
}

/** `GraphProto`. */
export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  docString?: string;
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  valueInfo?: OnnxValueInfo[];
}

/** `OperatorSetIdProto`. */
export interface OnnxOpsetId {
  domain?: string;
  version: number;
}

/** `ModelProto`. */
export interface OnnxModel {
  irVersion: number;
  opsetImport: OnnxOpsetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: { key: string; value: string }[];
}

const PACKED = { packed: true };

/** protobufjs JSON descriptor of the schema subset (package `onnx`). */
const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: PACKED },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: PACKED },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: PACKED },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: PACKED },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

function getModelType(): protobuf.Type {
  if (!modelType) modelType = protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
  return modelType;
}

/** Serialise a ModelProto to ONNX wire bytes. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = getModelType();
  return type.encode(type.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/**
 * Parse ONNX wire bytes into a plain ModelProto object (int64 fields as numbers, bytes as Uint8Array).
 * Throws protobufjs' error on malformed input; callers wrap it.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const type = getModelType();
  const message = type.decode(bytes);
  return type.toObject(message, { longs: Number, defaults: false, arrays: true }) as OnnxModel;
}
