// Public API of @worldstrat/srnet: named re-exports only.
export { DEFAULT_MODEL_CONFIG, MODEL_KINDS, resolveModelConfig } from './models/config.js';
export type { ModelConfig, ModelKind } from './models/config.js';
export type { StateDict, StateTensor } from './models/state-dict.js';
export type { InferenceEngine, PredictInput, PredictOutput } from './engine.js';
