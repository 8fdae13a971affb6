// `worldstrat --version` prints package.json's version: in-process, and from the built binary when present.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from './support/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('worldstrat --version', () => {
  it("prints package.json's version and exits 0", async () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  // the built binary (`pnpm test` builds first); without a build it skips on a developer machine, in CI it fails
  const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.runIf(existsSync(BIN) || Boolean(process.env.CI))('the built binary prints the same version', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
