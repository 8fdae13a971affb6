// One answer, for every package, to "did this file-system call fail because nothing is at the path?": ENOENT, or
// ENOTDIR (a regular file stands where the path needs a folder, as in `scene.tif/x`). Callers turn it into their
// own `FILE_NOT_FOUND`-style code; every other failure (a folder, permissions, I/O) is a different error.

/**
 * Whether `err` is a system error saying nothing is at the path (`ENOENT`, or `ENOTDIR`: the path runs through a file).
 *
 * @param err - what a `node:fs` call threw or rejected with (anything: non-errors are false).
 * @returns true for those two codes only.
 * @example
 * try { await stat(path); } catch (e) { if (isMissingPathError(e)) return undefined; throw e; }
 */
export function isMissingPathError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
