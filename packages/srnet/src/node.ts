// Node-only entry of @worldstrat/srnet (the only place node:* modules are imported).
export * from './index.js';
export { createOnnxEngine } from './onnx/onnx-engine.node.js';
export type { OnnxEngineOptions, OnnxEngineSource } from './onnx/onnx-engine.node.js';
export { superResolveToFile, writeSuperResolvedGeoTiff } from './scene/write-super-resolved.node.js';
export type { WriteSuperResolvedOptions } from './scene/write-super-resolved.node.js';
