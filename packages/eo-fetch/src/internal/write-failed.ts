// Local writes that fail: a full disk, a used-up quota, a read-only or unwritable folder. They become
// `WRITE_FAILED` EoFetchErrors naming the file and saying what is wrong in words, never a `NETWORK_ERROR`:
// another attempt would only fill the same disk again, so they are not retried (never re-exported).

import { EoFetchError } from '../errors.js';
import { redactUrlsIn } from '../http/retry.js';

/** What a system error code means for a write, in words, and what to do about it. */
const REASONS: Record<string, readonly [what: string, fix: string]> = {
  ENOSPC: ['the disk is full', 'free some space and run again'],
  EDQUOT: ['the disk quota is used up', 'free some space or raise the quota and run again'],
  EROFS: ['the file system is read-only', 'write to a writable folder'],
  EACCES: ['the folder is not writable', 'fix its permissions or write elsewhere'],
  EPERM: ['the folder is not writable', 'fix its permissions or write elsewhere'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'move that file away or write elsewhere'],
  EEXIST: ['a part of the path is a file, not a folder', 'move that file away or write elsewhere'],
  EISDIR: ['a folder is in the way of the file', 'move it away or write elsewhere'],
  EFBIG: ['the file is larger than the file system allows', 'write to another file system'],
  EIO: ['the disk reported an I/O error', 'check the disk'],
};

/** The first error of `err`'s cause chain that carries a system error code (`ENOSPC`, `EACCES`…). */
function systemError(err: unknown): (Error & { code: string }) | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 10;
    e = e.cause as typeof e, i++
  )
    if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && e.code in REASONS)
      return e as Error & { code: string };
  return undefined;
}

/**
 * Whether `err` is a failed local write: a system error of the kind {@link writeFailed} words, or the
 * `WRITE_FAILED` of core's `writeFileAtomic` / raster-io's `writeGeoTiff`.
 */
export function isWriteFailure(err: unknown): boolean {
  return systemError(err) !== undefined || (err as { code?: unknown } | null)?.code === 'WRITE_FAILED';
}

/**
 * `WRITE_FAILED` for a write of `path` that failed with `err`: `<path>: cannot write: the disk is full (ENOSPC:
 * no space left on device, write); free some space and run again`, or the writer's own message when no system
 * error is behind it. URLs in the message are redacted; an EoFetchError is kept as is.
 *
 * @param path - the file that was being written (its final name)
 * @param err - what the file system step threw
 * @param note - appended after the reason (e.g. what became of the temp file)
 */
export function writeFailed(path: string, err: unknown, note?: string): EoFetchError {
  if (err instanceof EoFetchError) return err;
  const sys = systemError(err);
  const detail = redactUrlsIn(String((sys ?? (err as Error | undefined))?.message ?? err));
  // without a system error (a TIFF over 4 GiB, a short write) the writer's own words say what happened
  const [what, fix] = sys ? (REASONS[sys.code] as readonly [string, string]) : [];
  const reason = what ? `${what} (${detail}); ${fix}` : detail;
  return new EoFetchError('WRITE_FAILED', `${path}: cannot write: ${reason}${note ? `; ${note}` : ''}`, {
    cause: err,
  });
}

/**
 * What to throw when an atomic write of `path` (core's `writeFileAtomic`, raster-io's `writeGeoTiff`) failed:
 * a failure of the disk becomes {@link writeFailed}'s `WRITE_FAILED` (the writer has removed its temp file and
 * never touched `path`), anything else is returned as it is.
 */
export function atomicWriteError(path: string, err: unknown): unknown {
  return isWriteFailure(err)
    ? writeFailed(
        path,
        err,
        'its temp file was removed and the file already at this path, if any, is unchanged',
      )
    : err;
}
