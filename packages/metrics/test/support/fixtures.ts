// Test support: locate ../shared fixtures and read safetensors files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sharedDir = new URL('../../../../../shared/', import.meta.url);

/** Absolute path of a file under shared/fixtures/parity. */
export function parityFixturePath(name: string): string {
  return fileURLToPath(new URL(`fixtures/parity/${name}`, sharedDir));
}

export interface Tensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array | Float64Array;
}

/**
 * Minimal safetensors reader for the parity fixtures (F32/F64/I32 only). raster-io's `readSafetensors` is the
 * library implementation; this helper keeps the metrics tests independent of it.
 */
export function readSafetensorsFixture(name: string): Record<string, Tensor> {
  const bytes = readFileSync(parityFixturePath(name));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  const base = 8 + headerLen;
  const out: Record<string, Tensor> = {};
  for (const [key, info] of Object.entries<any>(header)) {
    if (key === '__metadata__') continue;
    const [start, end] = info.data_offsets as [number, number];
    const raw = bytes.slice(base + start, base + end);
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    let data: Float32Array | Int32Array | Float64Array;
    if (info.dtype === 'F32') data = new Float32Array(buf);
    else if (info.dtype === 'I32') data = new Int32Array(buf);
    else if (info.dtype === 'F64') data = new Float64Array(buf);
    else throw new Error(`unsupported dtype ${info.dtype} for ${key}`);
    out[key] = { dtype: info.dtype, shape: info.shape, data };
  }
  return out;
}
