// One convention for failed download batches: a refused local write (disk full, read-only) is WRITE_FAILED (the
// CLI's write exit code, and no re-run helps until the disk is fixed), anything else DOWNLOAD_FAILED.
import { WorldStratError } from '../errors.js';

/** The failure a batch is reported by: the first local write failure, else the first failure. */
export function leadingFailure<F extends { code?: string }>(failures: readonly F[]): F | undefined {
  return failures.find((f) => f.code === 'WRITE_FAILED') ?? failures[0];
}

/**
 * The error for a batch with failed downloads: `WRITE_FAILED` when the local disk refused a write (its hint:
 * free space, then resume), else `DOWNLOAD_FAILED` with the caller's `retry` hint, if any.
 *
 * @param failures - the batch's failures (their `code`s decide)
 * @param what - what failed, quoting {@link leadingFailure}
 * @param retry - what to do about a failed download, e.g. `run again to retry`
 */
export function downloadFailureError(
  failures: readonly { code?: string }[],
  what: string,
  retry?: string,
): WorldStratError {
  const disk = failures.some((f) => f.code === 'WRITE_FAILED');
  const hint = disk ? 'free disk space (or fix the folder), then run again to resume' : retry;
  return new WorldStratError(disk ? 'WRITE_FAILED' : 'DOWNLOAD_FAILED', hint ? `${what}; ${hint}` : what);
}
