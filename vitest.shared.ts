// Shared vitest settings: tests import sibling packages from their sources (no build needed while developing).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

export const workspaceAlias = [
  { find: /^@worldstrat\/([a-z-]+)\/node$/, replacement: `${packagesDir}$1/src/node.ts` },
  { find: /^@worldstrat\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
  { find: /^worldstrat$/, replacement: `${packagesDir}worldstrat/src/index.ts` },
  { find: /^worldstrat\/node$/, replacement: `${packagesDir}worldstrat/src/node.ts` },
];

export function packageVitestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { alias: workspaceAlias },
    test: {
      include: overrides.include ?? ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      passWithNoTests: true,
    },
  });
}
