// srnet's browser ONNX path: onnxruntime-web must stay a lazy chunk, loaded on the first engine.
export { createWebDescriptorEngine, descriptorSceneOptions, parseMlmDescriptor } from '@worldstrat/srnet';
