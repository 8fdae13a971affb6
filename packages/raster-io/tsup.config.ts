import { defineConfig } from 'tsup';

export default defineConfig({
  // the decode worker is its own entry: worker_threads loads it by path next to the bundle
  entry: { index: 'src/index.ts', node: 'src/node.ts', 'decode-worker': 'src/read/decode-worker.node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
  sourcemap: false,
  clean: true,
  target: 'node20',
  splitting: true,
  // import.meta.url in the CommonJS build (the pool finds the worker script next to itself)
  shims: true,
});
