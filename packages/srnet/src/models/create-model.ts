// Seeded model construction.

import { requireBackend } from '../backends/require-backend.js';
import { checkConfigArgument, checkOptions, checkSeed } from '../internal/check-arguments.js';
import { SeededRandom } from '../internal/random.js';
import { uniqueParamSpecs, validateModelConfig } from './architecture.js';
import { type ModelConfig, resolveModelConfig } from './config.js';
import type { SrModel } from './sr-model.js';
import type { StateDict } from './state-dict.js';
import { modelFromStateDict } from './weights.js';

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /**
   * Seed of the initialisation: an integer in 0..2^32−1 (default 0; anything else is `BAD_CONFIG`). Same seed →
   * same weights on every backend.
   */
  seed?: number;
}

/**
 * Draw a fresh PyTorch-default initialisation as a state_dict: for every unique parameter in state_dict order,
 * conv weights and biases ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a=√5, which is PyTorch's Conv2d
 * default), PReLU slopes = 0.25. Values come from a seeded sfc32 stream (not PyTorch's generator, so the numbers
 * differ from a torch run with the same seed; exact parity with torch's initialisation is out of reach anyway, since it depends on
 * torch's global RNG state and call order).
 *
 * @param config - model configuration (partial; defaults filled)
 * @param options - seed
 * @returns PyTorch-layout weights (aliases share the StateTensor)
 * @example const sd = initStateDict({ kind: 'srcnn', revisits: 1 }, { seed: 42 });
 */
export function initStateDict(
  config: Partial<ModelConfig> = {},
  options: CreateModelOptions = {},
): StateDict {
  checkConfigArgument('initStateDict', config);
  const o = checkOptions('initStateDict', options, 'BAD_CONFIG');
  if (o.seed !== undefined) checkSeed('initStateDict', 'options.seed', o.seed);
  const cfg = resolveModelConfig(config);
  validateModelConfig(cfg);
  const rng = new SeededRandom(o.seed ?? 0);
  const out: StateDict = {};
  for (const s of uniqueParamSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (s.kind === 'prelu') data.fill(0.25);
    else {
      const bound = 1 / Math.sqrt(s.fanIn);
      for (let i = 0; i < n; i++) data[i] = (rng.next() * 2 - 1) * bound;
    }
    out[s.key] = { shape: [...s.shape], data };
  }
  return out;
}

/**
 * Create a model with seeded PyTorch-default initialisation (see {@link initStateDict}).
 *
 * @param config - model configuration (partial; benchmark defaults filled in)
 * @param options - seed
 * @returns a new model on the current TF.js backend
 * @throws SrnetError `BAD_CONFIG`
 * @example const model = createModel({ kind: 'highresnet', revisits: 8 }, { seed: 1 });
 */
export function createModel(config: Partial<ModelConfig> = {}, options: CreateModelOptions = {}): SrModel {
  checkConfigArgument('createModel', config);
  checkOptions('createModel', options, 'BAD_CONFIG');
  const cfg = resolveModelConfig(config);
  const stateDict = initStateDict(cfg, options); // checks the config fully
  requireBackend('createModel');
  return modelFromStateDict(cfg, stateDict);
}
