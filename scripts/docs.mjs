// `pnpm run docs [--check]`: regenerates (or, with --check, verifies without writing) every generated README section:
// the API lists and the CLI exit-code tables. Exits non-zero when a check finds a stale section.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
let failed = false;
for (const script of ['generate-api-docs.mjs', 'update-exit-code-tables.mjs']) {
  const r = spawnSync(process.execPath, [path.join(here, script), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed = true;
}
if (failed) {
  if (process.argv.includes('--check'))
    console.error('generated README sections are stale: run `pnpm run docs`');
  process.exit(1);
}
