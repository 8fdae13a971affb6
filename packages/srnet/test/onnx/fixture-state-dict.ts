// Test helper: load a parity fixture (weights + input + output) with srnet's own importer
// (stateDictFromSafetensors expands the fixtures' `aliases` table; see shared/fixtures/parity/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../../src/models/config.js';
import type { StateDict } from '../../src/models/state-dict.js';
import { stateDictFromSafetensors } from '../../src/models/weights.js';

/** shared/ (the read-only fixtures and data), computed from this file's location. */
export const sharedDir = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

export interface ParityFixture {
  config: ModelConfig;
  stateDict: StateDict;
  input: { data: Float32Array; shape: [number, number, number, number, number] };
  output: { data: Float32Array; shape: number[] };
}

export function loadParityFixture(name: 'srcnn-r1' | 'srcnn-r8' | 'highresnet-r8'): ParityFixture {
  const bytes = new Uint8Array(readFileSync(`${sharedDir}fixtures/parity/${name}.safetensors`));
  // the srnet importer: aliases expanded, architecture detected from keys and shapes
  const { stateDict, config, extras } = stateDictFromSafetensors(bytes);
  const input = extras.input as { data: Float32Array; shape: number[] };
  const output = extras.output as { data: Float32Array; shape: number[] };
  return {
    config,
    stateDict,
    input: { data: input.data, shape: input.shape as ParityFixture['input']['shape'] },
    output: { data: output.data, shape: output.shape },
  };
}

/** Max of |a−b| − (abs + rel·|b|) over all elements (≤ 0 means within tolerance), plus the max abs diff. */
export function toleranceExcess(a: Float32Array, b: Float32Array, abs = 1e-4, rel = 1e-5) {
  let excess = Number.NEGATIVE_INFINITY;
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= maxAbs)) maxAbs = d; // NaN propagates
    const e = d - (abs + rel * Math.abs(b[i] as number));
    if (!(e <= excess)) excess = e;
  }
  return { excess, maxAbs };
}
