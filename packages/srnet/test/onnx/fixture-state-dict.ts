// Test helper: load a parity fixture (weights + input + output) into a StateDict, expanding the `aliases`
// metadata (shared modules are stored once in the fixtures; see shared/fixtures/parity/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@worldstrat/raster-io';
import type { ModelConfig } from '../../src/models/config.js';
import { resolveModelConfig } from '../../src/models/config.js';
import type { StateDict } from '../../src/models/state-dict.js';

/** shared/ (the read-only fixtures and data), computed from this file's location. */
export const sharedDir = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

export interface ParityFixture {
  config: ModelConfig;
  stateDict: StateDict;
  input: { data: Float32Array; shape: [number, number, number, number, number] };
  output: { data: Float32Array; shape: number[] };
}

export function loadParityFixture(name: 'srcnn-r1' | 'srcnn-r8' | 'highresnet-r8'): ParityFixture {
  const bytes = readFileSync(`${sharedDir}fixtures/parity/${name}.safetensors`);
  const { tensors, metadata } = readSafetensors(bytes, { name });
  const stateDict: StateDict = {};
  for (const [key, t] of Object.entries(tensors)) {
    if (key === 'input' || key === 'output' || key.startsWith('debug.')) continue;
    stateDict[key] = { shape: t.shape, data: t.data as Float32Array };
  }
  const aliases = JSON.parse(metadata.aliases ?? '{}') as Record<string, string>;
  for (const [alias, target] of Object.entries(aliases)) {
    const t = stateDict[target];
    if (!t) throw new Error(`${name}: alias ${alias} points at missing ${target}`);
    stateDict[alias] = t;
  }
  const args = JSON.parse(metadata.model_args ?? '{}') as { output_size: [number, number] };
  const config = resolveModelConfig({
    kind: name.startsWith('highresnet') ? 'highresnet' : 'srcnn',
    revisits: Number(metadata.revisits),
    outputSize: args.output_size,
  });
  const input = tensors.input as { data: Float32Array; shape: number[] };
  const output = tensors.output as { data: Float32Array; shape: number[] };
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
