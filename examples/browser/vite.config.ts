// Static build (relative base, so dist/ can be served from any folder). The TF.js wasm files are copied into
// dist/wasm/ by the plugin below; backends stay lazy chunks (dynamic imports inside srnet).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

const copyWasm: Plugin = {
  name: 'copy-tfjs-wasm',
  apply: 'build',
  writeBundle(options) {
    const out = join(options.dir as string, 'wasm');
    mkdirSync(out, { recursive: true });
    for (const f of readdirSync(wasmDir))
      if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, f));
  },
};

export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  plugins: [copyWasm],
});
