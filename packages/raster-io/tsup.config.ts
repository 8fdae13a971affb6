import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
  sourcemap: false,
  clean: true,
  target: 'node20',
  splitting: true,
});
