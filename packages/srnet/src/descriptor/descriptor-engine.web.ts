// Third-party SR models (ONNX + MLM descriptor) in the browser, on onnxruntime-web's wasm execution provider:
// the same band selection, value scaling and layout adaptation as the Node engine (descriptor-engine.ts).
import { loadOrtWeb, type OrtWebOptions, webSessionOptions } from '../onnx/onnx-engine.web.js';
import {
  checkDescriptorEngineArguments,
  createDescriptorEngineOn,
  type DescriptorEngine,
  type DescriptorModelOptions,
} from './descriptor-engine.js';
import type { SrModelDescriptor } from './mlm-descriptor.js';

/** Options of {@link createWebDescriptorEngine}. */
export interface WebDescriptorEngineOptions extends DescriptorModelOptions, OrtWebOptions {}

/**
 * Create an onnxruntime-web engine for a third-party SR model described by an MLM document (the browser twin of
 * the Node `createDescriptorEngine`): spread {@link descriptorSceneOptions} into `superResolve` options to run
 * a whole scene.
 *
 * @param descriptor - from {@link parseMlmDescriptor}.
 * @param onnx - the model bytes, fetched by the caller (resolve `descriptor.modelHref` against the document URL).
 * @param options - `wasmPaths` (where onnxruntime-web's ort-wasm-simd-threaded.wasm/.mjs are served), `numThreads`, tile size/scale
 *   for variable-size models, output units.
 * @returns an engine for `superResolve`.
 * @throws SrnetError `BAD_MODEL_DESCRIPTOR`, `ARCHITECTURE_MISMATCH`, `BAD_ONNX`, `BACKEND_UNAVAILABLE`.
 * @example
 * const engine = await createWebDescriptorEngine(parseMlmDescriptor(json, url), onnx, { wasmPaths: '/ort/' });
 * const { raster } = await superResolve(scene, { engine, ...descriptorSceneOptions(engine, scene) });
 */
export async function createWebDescriptorEngine(
  descriptor: SrModelDescriptor,
  onnx: Uint8Array,
  options: WebDescriptorEngineOptions = {},
): Promise<DescriptorEngine> {
  checkDescriptorEngineArguments('createWebDescriptorEngine', descriptor, onnx, options);
  return createDescriptorEngineOn(() => loadOrtWeb(options), webSessionOptions(), descriptor, onnx, options);
}
