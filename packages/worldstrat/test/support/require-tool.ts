import { execFileSync } from 'node:child_process';

// Tests that compare with external tools (GDAL's command-line tools, python3-gdal) skip on a developer machine
// that lacks them, saying why; under CI (CI set, as .ci/run does) a missing tool fails the run instead, so a
// comparison never passes by not running.

/**
 * Whether tests needing `tool` should run.
 *
 * @param tool - what is needed, as the message should name it.
 * @param available - whether it was found.
 * @returns true when available; false (with a printed reason) on a developer machine without it.
 * @throws Error when it is missing and `process.env.CI` is set.
 */
export function requireTool(tool: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI)
    throw new Error(
      `${tool} is required when CI is set but is not available (install gdal-bin and python3-gdal)`,
    );
  console.warn(`skipping tests that need ${tool}: not available here (CI requires it)`);
  return false;
}

/** Whether GDAL's command-line tools run here (`gdalinfo --version`, checked once per test file). */
export const hasGdal: boolean = (() => {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
