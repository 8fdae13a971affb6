// Node-only entry of @worldstrat/srnet (the only place node:* modules are imported).

export type {
  DescriptorEngineOptions,
  SuperResolveWithDescriptorOptions,
} from './descriptor/descriptor-engine.node.js';
export {
  createDescriptorEngine,
  loadModelDescriptor,
  superResolveWithDescriptor,
} from './descriptor/descriptor-engine.node.js';
export * from './index.js';
export { fileModelHandler } from './io/file-model-handler.node.js';
export type { OnnxEngineOptions } from './onnx/onnx-engine.node.js';
export { createOnnxEngine } from './onnx/onnx-engine.node.js';
export type { EngineKind, EngineSpec } from './scene/create-inference-engine.node.js';
export { createInferenceEngine } from './scene/create-inference-engine.node.js';
export type { WriteSuperResolvedOptions } from './scene/write-super-resolved.node.js';
export { superResolveToFile, writeSuperResolvedGeoTiff } from './scene/write-super-resolved.node.js';
export { fileCheckpointStore, readCheckpointFile } from './train/checkpoint-store.node.js';
export type { DataParallelOptions } from './train/data-parallel.node.js';
export {
  dataParallelWorkerScript,
  defaultDataParallelWorkers,
  trainDataParallel,
} from './train/data-parallel.node.js';
