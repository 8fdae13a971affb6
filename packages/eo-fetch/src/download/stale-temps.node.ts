// Leftovers of atomic writes interrupted by kill -9: `<final>.<12 hex>.tmp` (core's writeFileAtomic, which
// also backs writeGeoTiff). A later run of the same stage removes the ones next to files it is about to write,
// and only those: a temp file of any other name is not ours to delete.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFunction, checkNonEmptyString } from '../internal/check-arguments.js';

const ATOMIC_TEMP = /^(.+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes atomic-write temp files in `dir` whose final name passes `owns`.
 *
 * @param dir - folder to look in (a missing folder is fine)
 * @param owns - true for final file names this stage writes (e.g. `AOI-3-L2A_data.tiff`)
 * @returns the names removed
 * @example
 * ```ts
 * await removeStaleTemps('dataset/downloads', (name) => name.endsWith('.extracted.json'));
 * ```
 */
export async function removeStaleTemps(dir: string, owns: (finalName: string) => boolean): Promise<string[]> {
  checkNonEmptyString('removeStaleTemps', 'dir', dir);
  checkFunction('removeStaleTemps', 'owns', owns);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = ATOMIC_TEMP.exec(name);
    if (!m || !owns(m[1])) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
