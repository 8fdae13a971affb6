import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsup';

// The land topologies loadLandMask uses ship inside dist/land/ (copied at build time from world-atlas, a build
// dependency): users install 3.6 MB of land polygons instead of all of world-atlas (8 MB, mostly country maps).
const LAND_FILES = ['land-10m.json', 'land-50m.json', 'land-110m.json'];
const require = createRequire(import.meta.url);

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/arrow.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // no source maps: with their embedded sources they would double the installed size (budgets in pack-smoke)
  sourcemap: false,
  clean: true,
  target: 'node20',
  splitting: true,
  esbuildPlugins: [
    {
      name: 'shipped-land-topology',
      setup(build) {
        build.onResolve({ filter: /^world-atlas\/land-\d+m\.json$/ }, (args) => ({
          path: `./land/${args.path.slice('world-atlas/'.length)}`,
          external: true,
        }));
      },
    },
  ],
  async onSuccess() {
    mkdirSync('dist/land', { recursive: true });
    for (const f of LAND_FILES) copyFileSync(require.resolve(`world-atlas/${f}`), join('dist/land', f));
    const pkgDir = dirname(require.resolve('world-atlas/package.json'));
    copyFileSync(join(pkgDir, 'LICENSE'), 'dist/land/LICENSE.world-atlas');
  },
});
