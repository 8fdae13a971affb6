import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // Bundle the Natural Earth TopoJSON (≈50 kB; Node ESM cannot import a JSON dependency without an import
  // attribute) and gifenc (CommonJS main without named exports; its ESM build is only reachable by bundlers).
  noExternal: [/^world-atlas/, 'gifenc'],
});
