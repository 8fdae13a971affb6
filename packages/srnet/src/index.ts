// Public API of @worldstrat/srnet: named re-exports only.

export type {
  BackendAttempt,
  BackendName,
  BackendPreference,
  BackendSelection,
  SelectBackendOptions,
} from './backends/select-backend.js';
export { BACKEND_NAMES, selectBackend } from './backends/select-backend.js';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from './backends/wasm/register-wasm-training-kernels.js';
export type {
  DescriptorEngine,
  DescriptorModelOptions,
} from './descriptor/descriptor-engine.js';
export {
  descriptorBandIndices,
  descriptorNormalisation,
  descriptorSceneOptions,
} from './descriptor/descriptor-engine.js';
export type { WebDescriptorEngineOptions } from './descriptor/descriptor-engine.web.js';
export { createWebDescriptorEngine } from './descriptor/descriptor-engine.web.js';
export type { BandScaling, SrModelDescriptor } from './descriptor/mlm-descriptor.js';
export { MAX_DESCRIPTOR_BYTES, parseMlmDescriptor } from './descriptor/mlm-descriptor.js';
export type { InferenceEngine, PredictInput, PredictOutput, PredictUnresizedOptions } from './engine.js';
export type { SrnetErrorCode } from './errors.js';
// TF.js part (models, weights, backends, losses, training).
export { SRNET_ERROR_CODES, SrnetError } from './errors.js';
export type { RandomState } from './internal/random.js';
export { SeededRandom } from './internal/random.js';
export { loadModel, saveModel, TFJS_ARTIFACTS_FORMAT } from './io/tfjs-io.js';
export type { RegisteredLossOptions, RegisteredLossTensors } from './losses/registered-loss.js';
export { registeredLoss, shiftedTargets } from './losses/registered-loss.js';
export type { ParamKind, ParamSpec } from './models/architecture.js';
export {
  checkStateDict,
  countParameters,
  detectArchitecture,
  fusionLevels,
  stateDictSpec,
  uniqueParamSpecs,
  validateModelConfig,
} from './models/architecture.js';
export type { ModelConfig, ModelKind } from './models/config.js';
export { DEFAULT_MODEL_CONFIG, MODEL_KINDS, resolveModelConfig } from './models/config.js';
export type { CreateModelOptions } from './models/create-model.js';
export { createModel, initStateDict } from './models/create-model.js';
export type { ForwardOptions } from './models/sr-model.js';
export { SrModel } from './models/sr-model.js';
export type { StateDict, StateTensor } from './models/state-dict.js';
export { validateInput } from './models/validate-input.js';
export type {
  LoadedStateDict,
  StateDictFromSafetensorsOptions,
  StateDictToSafetensorsOptions,
} from './models/weights.js';
export {
  exportStateDict,
  loadStateDict,
  modelFromStateDict,
  stateDictFromSafetensors,
  stateDictToSafetensors,
} from './models/weights.js';
export type { ExportOnnxOptions } from './onnx/export-onnx.js';
// ONNX export and whole-scene inference (src/onnx, src/scene).
export {
  checkExportableConfig,
  exportOnnx,
  ONNX_CONFIG_METADATA_KEY,
  ONNX_INPUT_NAME,
  ONNX_IR_VERSION,
  ONNX_OUTPUT_NAME,
} from './onnx/export-onnx.js';
export type { OnnxWebEngineOptions, OrtWebOptions } from './onnx/onnx-engine.web.js';
export { createOnnxWebEngine } from './onnx/onnx-engine.web.js';
export type { OnnxModelInfo, OnnxTensorInfo } from './onnx/onnx-model-info.js';
export { readOnnxModelInfo } from './onnx/onnx-model-info.js';
export type {
  OnnxAttribute,
  OnnxDimension,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxOpsetId,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx/onnx-proto.js';
export { OnnxAttributeType, OnnxDataType } from './onnx/onnx-proto.js';
export type { OnnxEngineSource, OnnxModelOptions } from './onnx/onnx-session.js';
export type { ChipAxis, ChipGrid } from './scene/chip-grid.js';
export { defaultOverlap, planChipGrid, reflectIndex } from './scene/chip-grid.js';
export type { BandNormalisation } from './scene/normalisation.js';
export { JIF_S2_BANDS, JIF_S2_MEAN, JIF_S2_NORMALISATION, JIF_S2_STD } from './scene/normalisation.js';
export { MAX_OUTPUT_PIXELS, MAX_OUTPUT_SAMPLES } from './scene/scene-limits.js';
export type { RevisitPadding, RevisitSelection } from './scene/select-revisits.js';
export { badPixelFraction, isMissing, selectRevisits } from './scene/select-revisits.js';
export type {
  SceneProgress,
  SceneWarning,
  SuperResolveOptions,
  SuperResolveResult,
} from './scene/super-resolve.js';
export {
  checkScene,
  MAX_PLAUSIBLE_REFLECTANCE,
  scaleTransform,
  superResolve,
} from './scene/super-resolve.js';
export type { TileAxis, TileGrid } from './scene/tile-plan.js';
export { DEFAULT_TILE_SIZE, planTileGrid, receptiveRadius } from './scene/tile-plan.js';
export type { TfjsEngine, TfjsEngineOptions } from './tfjs-engine.js';
export { createTfjsEngine } from './tfjs-engine.js';
export type { AdamConfig } from './train/adam.js';
export { cosineDecayLr, cosineWarmRestartsLr, PyTorchAdam, WORLDSTRAT_ADAM } from './train/adam.js';
export type { TrainingCheckpoint } from './train/checkpoint.js';
export { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from './train/checkpoint.js';
export type { TrainingMemoryEstimate } from './train/memory.js';
export { estimateTrainingMemory, trainingMemoryBudget } from './train/memory.js';
export type {
  BatchSource,
  CheckpointSink,
  TrainBatch,
  TrainOptions,
  TrainProgress,
  TrainResult,
  ValidationSummary,
} from './train/train.js';
export { train, trainStep, validate } from './train/train.js';
