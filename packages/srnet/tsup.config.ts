import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // optionalDependencies are not externalised by tsup; native/optional modules must stay runtime imports.
  external: ['onnxruntime-node', 'webgpu', '@tensorflow/tfjs-node-gpu'],
});
