import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // Peers are external already; listed again so the optional native modules can never be bundled.
  external: ['onnxruntime-node', 'webgpu', '@tensorflow/tfjs-node-gpu'],
});
