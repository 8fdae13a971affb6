import { defineConfig } from 'tsup';

// Peers are external already; listed again so the optional native modules can never be bundled.
const external = [
  'onnxruntime-node',
  'onnxruntime-web',
  'onnxruntime-web/wasm',
  'webgpu',
  '@tensorflow/tfjs-node-gpu',
];
// tfjs-core's gradient registrations exist only as ESM modules Node cannot load: bundled into our build.
const gradients = 'src/internal/register-gradients.ts';
const noExternal = [/^@tensorflow\/tfjs-core\/dist\//];

export default defineConfig([
  {
    // ESM is emitted file by file (not bundled) so a bundler can drop every module a consumer does not use
    // (sideEffects: false): importing one constant must not pull tfjs-core or protobufjs into a browser bundle.
    entry: ['src/**/*.ts', `!${gradients}`],
    bundle: false,
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
    // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
    sourcemap: false,
    target: 'node20',
    external,
  },
  {
    entry: { 'internal/register-gradients': gradients },
    format: ['esm'],
    // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
    sourcemap: false,
    target: 'node20',
    noExternal,
  },
  {
    // CommonJS consumers load everything anyway: one bundle per entry.
    entry: ['src/index.ts', 'src/node.ts'],
    format: ['cjs'],
    dts: true,
    // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
    sourcemap: false,
    target: 'node20',
    splitting: true,
    // import.meta.url in the CommonJS build (the data-parallel trainer finds its worker script next to the bundle)
    shims: true,
    external,
    noExternal,
  },
]);
