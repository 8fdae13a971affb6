// Test support: locate ../shared fixtures and read safetensors files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@worldstrat/raster-io';

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

/** Reads a parity fixture with raster-io's `readSafetensors` (F32/I32 tensors in these files). */
export function readSafetensorsFixture(name: string): Record<string, Tensor> {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(parityFixturePath(name))), { name });
  return tensors as unknown as Record<string, Tensor>;
}
