// Leftovers of atomic writes interrupted by kill -9: `<final>.<12 hex>.tmp` (core's writeFileAtomic, which
// also backs writeGeoTiff). A later run of the same stage removes the ones next to files it is about to write,
// and only those: a temp file of any other name is not ours to delete. Nor is a temp another run is writing
// right now (a second process, or a second rebuild sharing the folder): only regular files unmodified for
// `olderThanMs` (10 minutes by default) are stale, the rule dataset applies to its `.extracting` temps. A
// symbolic link or a folder with a temp's name is never touched, and no link is followed.
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkFunction,
  checkNonEmptyString,
  checkNumber,
  checkOptions,
} from '../internal/check-arguments.js';

const ATOMIC_TEMP = /^(.+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Default {@link RemoveStaleTempsOptions.olderThanMs}: 10 minutes. An atomic write finishes its temp in one go
 * (write, fsync, rename), so a temp untouched that long belongs to a run that was killed.
 */
export const DEFAULT_STALE_TEMP_MS = 10 * 60_000;

/** Options of {@link removeStaleTemps}. */
export interface RemoveStaleTempsOptions {
  /**
   * Only temps whose last modification is at least this many milliseconds old are removed (default
   * {@link DEFAULT_STALE_TEMP_MS}); younger ones may be another run's write in progress. `0` removes every
   * temp the stage owns (only when no other run can share the folder).
   */
  olderThanMs?: number;
}

/**
 * Removes stale atomic-write temp files in `dir` whose final name passes `owns`: regular files named exactly
 * `<final>.<12 hex>.tmp`, unmodified for `olderThanMs`. Symbolic links and folders are left alone (never
 * followed); a temp that vanishes or cannot be removed meanwhile is skipped.
 *
 * @param dir - folder to look in (a missing folder is fine)
 * @param owns - true for final file names this stage writes (e.g. `AOI-3-L2A_data.tiff`)
 * @param options - `olderThanMs`: minimum age of a temp to remove (default 10 minutes)
 * @returns the names removed
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for an empty `dir`, an `owns` that is not a function or an
 *   `olderThanMs` that is not a number ≥ 0
 * @example
 * ```ts
 * await removeStaleTemps('dataset/downloads', (name) => name.endsWith('.extracted.json'));
 * ```
 */
export async function removeStaleTemps(
  dir: string,
  owns: (finalName: string) => boolean,
  options?: RemoveStaleTempsOptions,
): Promise<string[]> {
  const fn = 'removeStaleTemps';
  checkNonEmptyString(fn, 'dir', dir);
  checkFunction(fn, 'owns', owns);
  const { olderThanMs = DEFAULT_STALE_TEMP_MS } = checkOptions(fn, options);
  checkNumber(fn, 'options.olderThanMs', olderThanMs, { min: 0, infinite: true });
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = ATOMIC_TEMP.exec(name);
    if (!m || !owns(m[1] as string)) continue;
    const path = join(dir, name);
    // lstat: a link named like a temp is not one (and is never followed); a folder is not ours either
    const st = await lstat(path).catch(() => null);
    if (!st?.isFile() || Date.now() - st.mtimeMs < olderThanMs) continue;
    // gone meanwhile (another run swept it) or not removable: nothing of ours to report
    if (
      await unlink(path).then(
        () => true,
        () => false,
      )
    )
      removed.push(name);
  }
  return removed;
}
