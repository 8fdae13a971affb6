// Path and temp-file helpers shared by the .tar.gz and .zip extractors: a traversal test on whole path segments
// (`..foo` is a name, `../foo` an escape) and temp files under random names created exclusively, so that no
// archive member and no file already on disk is ever taken for a temp file.
import { randomBytes } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';

/** Random names tried before giving up (each collides with odds of 2^-64). */
const TEMP_TRIES = 8;

/**
 * Whether a normalised, root-relative path leaves its root: absolute, or its first segment is `..`. A name
 * that merely starts with dots (`..foo`, `...`) stays inside.
 */
export function leavesRoot(rel: string): boolean {
  return isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`);
}

/**
 * Create an empty temp file in `target`'s folder under a random hidden name. Opened with `wx`: a name that
 * exists (another member extracted earlier, a user's file) is never truncated, another name is drawn instead.
 *
 * @returns its path and an open handle; the caller renames it onto `target` or unlinks it.
 */
export async function createTempBeside(target: string): Promise<{ path: string; fh: FileHandle }> {
  for (let i = 1; ; i++) {
    const path = join(dirname(target), `.${randomBytes(8).toString('hex')}.extracting`);
    try {
      return { path, fh: await open(path, 'wx') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= TEMP_TRIES) throw e;
    }
  }
}
