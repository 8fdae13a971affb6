// A small helper that accumulates ONNX nodes and initializers with unique value names.
import {
  type OnnxAttribute,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.js';

/** Attribute values the builder can encode: numbers are INT unless wrapped with {@link floatAttr}. */
export type AttrValue = number | string | number[] | { float: number } | { tensor: OnnxTensor };

/** Mark a number attribute as FLOAT (plain numbers are encoded as INT). */
export function floatAttr(value: number): { float: number } {
  return { float: value };
}

function toAttribute(name: string, value: AttrValue): OnnxAttribute {
  if (typeof value === 'number') return { name, type: OnnxAttributeType.INT, i: value };
  if (typeof value === 'string')
    return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: OnnxAttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.TENSOR, t: value.tensor };
}

/** Little-endian bytes of a Float32Array (copied; the ONNX wire format is little-endian). */
export function float32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return out;
}

/** Accumulates a graph: nodes in topological order (append order), initializers by unique name. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /** A fresh value name starting with `prefix`. */
  fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.used.has(name)) name = `${prefix}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  /** Whether a value (initializer or node output) with this name exists. */
  has(name: string): boolean {
    return this.used.has(name);
  }

  /** Append a node; returns its (single) output name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    const out = outName ?? this.fresh(opType.toLowerCase());
    if (outName) this.used.add(outName);
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return out;
  }

  /** Add a float32 initializer once under `name` (later calls with the same name reuse it). */
  float32(name: string, dims: number[], data: Float32Array): string {
    if (this.used.has(name)) return name;
    this.used.add(name);
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: float32Bytes(data) });
    return name;
  }

  /** Add an int64 constant initializer (shapes, axes, pads). */
  int64(values: number[], prefix = 'const'): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [values.length], dataType: OnnxDataType.INT64, int64Data: values });
    return name;
  }

  /** Assemble the GraphProto. */
  build(name: string, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[], docString?: string): OnnxGraph {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: inputs,
      output: outputs,
      docString,
    };
  }
}

/** A float tensor ValueInfo with fixed or symbolic dimensions. */
export function tensorValueInfo(name: string, dims: (number | string)[]): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
