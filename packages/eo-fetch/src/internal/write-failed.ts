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

/** Errors made by {@link writeFailed}, with the file each names (found again by {@link failedWritePath}). */
const failedPaths = new WeakMap<object, string>();

/** Errors made by {@link notStartedDiskFull}: their job never began, so nothing of it is to be cleaned up. */
const notStartedErrors = new WeakSet<object>();

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
  const out = new EoFetchError('WRITE_FAILED', `${path}: cannot write: ${reason}${note ? `; ${note}` : ''}`, {
    cause: err,
  });
  failedPaths.set(out, path);
  return out;
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

/**
 * The system code when `err` says the disk itself is out of room (`ENOSPC` full, `EDQUOT` quota used up), so
 * every later write on it would fail too; undefined for anything else (a read-only or unwritable folder, a
 * folder in the way: those concern one path and the other files may still be written).
 */
export function diskFullCode(err: unknown): 'ENOSPC' | 'EDQUOT' | undefined {
  const code = systemError(err)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? code : undefined;
}

/** The file a `WRITE_FAILED` of {@link writeFailed} (anywhere in `err`'s cause chain) names, if any. */
export function failedWritePath(err: unknown): string | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    const path = typeof e === 'object' ? failedPaths.get(e) : undefined;
    if (path !== undefined) return path;
  }
  return undefined;
}

/** What a batch learnt about its disk: the first write that found it full. */
export interface DiskFullState {
  full?: { path: string; code: 'ENOSPC' | 'EDQUOT' };
}

/**
 * Notes in `state` that `err`, a failure of the write of `path`, found the disk full (the first one only).
 *
 * @returns whether `err` is such a failure
 */
export function noteDiskFull(state: DiskFullState, path: string, err: unknown): boolean {
  const code = diskFullCode(err);
  if (code && !state.full) state.full = { path, code };
  return code !== undefined;
}

/**
 * `WRITE_FAILED` for work of a batch that was not started because an earlier write of the same batch found the
 * disk full: `<what>: not started: the disk is full, see <first file> (ENOSPC); free some space and run again`.
 * No request was sent for it and nothing of it was written or removed.
 *
 * @param what - the file (or revisit) not started
 * @param full - the first write that found the disk full
 */
export function notStartedDiskFull(what: string, full: NonNullable<DiskFullState['full']>): EoFetchError {
  const [words, fix] = REASONS[full.code] as readonly [string, string];
  const err = new EoFetchError(
    'WRITE_FAILED',
    `${what}: not started: ${words}, see ${full.path} (${full.code}); ${fix}`,
  );
  notStartedErrors.add(err);
  return err;
}

/** Whether `err` is a {@link notStartedDiskFull} error (nothing was sent or written for its job). */
export function isNotStarted(err: unknown): boolean {
  return typeof err === 'object' && err !== null && notStartedErrors.has(err);
}
