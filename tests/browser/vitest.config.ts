import { defineConfig } from 'vitest/config';

// Bundles are built from the packages' dist (what users install), so no source aliases here.
export default defineConfig({ test: { testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false } });
