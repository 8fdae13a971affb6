// Shared vitest settings: tests import sibling packages from their sources (no build needed while developing).
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

export const workspaceAlias = [
  { find: /^@worldstrat\/([a-z-]+)\/node$/, replacement: `${packagesDir}$1/src/node.ts` },
  { find: /^@worldstrat\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
  { find: /^worldstrat$/, replacement: `${packagesDir}worldstrat/src/index.ts` },
  { find: /^worldstrat\/node$/, replacement: `${packagesDir}worldstrat/src/node.ts` },
];

// Tests only: Vite's transform of the 3 MB world-atlas TopoJSON takes ~10–20 s per test file on these machines.
// Serve it as a tiny virtual module that reads and parses the file at run time instead (Node: ~0.3 s).
const PREFIX = '\0fast-json:';
export const fastWorldAtlasJson: Plugin = {
  name: 'fast-world-atlas-json',
  enforce: 'pre',
  async resolveId(source, importer) {
    if (!/^world-atlas\/[\w-]+\.json$/.test(source)) return null;
    const resolved = await this.resolve(source, importer, { skipSelf: true });
    // Encoded so the id contains neither '.json' (Vite's JSON plugin) nor 'node_modules' (vitest externals).
    return resolved ? `${PREFIX}${Buffer.from(resolved.id.split('?')[0]).toString('base64url')}.js` : null;
  },
  load(id) {
    if (!id.startsWith(PREFIX)) return null;
    const file = Buffer.from(id.slice(PREFIX.length, -'.js'.length), 'base64url').toString();
    return `import { readFileSync } from 'node:fs';\nexport default JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));\n`;
  },
};

export function packageVitestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    plugins: [fastWorldAtlasJson],
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
