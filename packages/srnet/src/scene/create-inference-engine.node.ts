// One factory for both inference engines, so callers pick `engine: 'onnx' | 'tfjs'` by name.
import type { BackendPreference } from '../backends/select-backend.js';
import type { InferenceEngine } from '../engine.js';
import { SrnetError } from '../errors.js';
import { checkObject } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { type ModelConfig, resolveModelConfig } from '../models/config.js';
import type { StateDict } from '../models/state-dict.js';
import { createOnnxEngine } from '../onnx/onnx-engine.node.js';
import { createTfjsEngine } from '../tfjs-engine.js';

/** The engines srnet offers: ONNX Runtime (fast CPU inference) or TF.js (training, any backend). */
export type EngineKind = 'onnx' | 'tfjs';

/** An engine to create from weights: kind + config + PyTorch-layout state_dict. */
export interface EngineSpec {
  engine: EngineKind;
  config: Partial<ModelConfig> & Pick<ModelConfig, 'kind'>;
  stateDict: StateDict;
  /** ONNX Runtime intra-op threads (default: ORT's choice). */
  threads?: number;
  /** TF.js backend (default `'auto'`). */
  backend?: BackendPreference;
}

/**
 * Create an {@link InferenceEngine} by name from (config, state_dict): `'onnx'` exports the model to ONNX in
 * memory and runs it on onnxruntime-node (CPU); `'tfjs'` builds the TF.js model on the chosen backend.
 *
 * @throws SrnetError `BAD_CONFIG` for an unknown engine name, plus the engines' own errors.
 * @example
 * const engine = await createInferenceEngine({ engine: 'onnx', config, stateDict, threads: 2 });
 */
export async function createInferenceEngine(spec: EngineSpec): Promise<InferenceEngine> {
  checkObject('createInferenceEngine', 'spec', spec, 'BAD_CONFIG');
  if (spec.engine === 'onnx') {
    return createOnnxEngine(
      { config: resolveModelConfig(spec.config), stateDict: spec.stateDict },
      spec.threads !== undefined ? { intraOpNumThreads: spec.threads } : {},
    );
  }
  if (spec.engine === 'tfjs')
    return createTfjsEngine(spec.config, spec.stateDict, { backend: spec.backend ?? 'auto' });
  throw new SrnetError('BAD_CONFIG', `engine ${showValue(spec.engine)} is not one of 'onnx', 'tfjs'`);
}
