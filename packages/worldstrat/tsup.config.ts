import { defineConfig } from 'tsup';

export default defineConfig({
  // train-worker: the worker_thread entry of parallel training (resolved next to the bundle at run time).
  entry: ['src/index.ts', 'src/node.ts', 'src/cli.ts', 'src/train-worker.node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
  sourcemap: false,
  clean: true,
  target: 'node20',
  splitting: true,
  // import.meta.url in the CommonJS build (trainWorkerScript resolves the worker next to the bundle).
  shims: true,
  // Bundle the Natural Earth TopoJSON (≈50 kB; Node ESM cannot import a JSON dependency without an import
  // attribute) and gifenc (CommonJS main without named exports; its ESM build is only reachable by bundlers).
  noExternal: [/^world-atlas/, 'gifenc'],
});
