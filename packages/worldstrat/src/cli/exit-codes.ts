// Exit codes of the worldstrat CLI, derived from error `code`s (which survive across packages and workers).

/** Exit codes (documented in the README and in `worldstrat --help`). */
export const EXIT_CODES = Object.freeze({
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  DATA: 4,
  WRITE: 5,
  NETWORK: 6,
  ABORTED: 130,
});

/**
 * The exit code for an error thrown by any worldstrat package: usage/argument errors → 2, missing inputs → 3,
 * bad data (layout, unreadable files, shapes) → 4, write failures → 5, network/service failures (downloads,
 * catalogue and SentinelHub requests) → 6, Ctrl-C → 130, anything else → 1.
 *
 * @param err - the error (any value).
 * @returns the process exit code.
 * @example
 * ```ts
 * exitCodeFor(new WorldStratError('DATASET_NOT_FOUND', '…')); // 3
 * ```
 */
export function exitCodeFor(err: unknown): number {
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ABORTED' || code === 'ABORT_ERR') return EXIT_CODES.ABORTED;
  if (code.startsWith('commander.')) return EXIT_CODES.USAGE;
  if (/^(INVALID_|CONFIG_ERROR|UNKNOWN_|BAD_|MISSING_COLUMN|MISSING_CREDENTIALS)/.test(code))
    return EXIT_CODES.USAGE;
  if (/NOT_FOUND|^ENOENT$/.test(code)) return EXIT_CODES.NOT_FOUND;
  if (
    /^(DATASET_LAYOUT|MISSING_FILES|UNREADABLE_FILE|DUPLICATE|SHAPE_MISMATCH|NOT_A_TIFF|TRUNCATED|UNSUPPORTED_|CHECKSUM_MISMATCH|UNSAFE_ARCHIVE_PATH|ARCHIVE_CORRUPT)/.test(
      code,
    )
  ) {
    return EXIT_CODES.DATA;
  }
  if (/^(WRITE_FAILED|EACCES|ENOSPC|EEXIST|EROFS)$/.test(code)) return EXIT_CODES.WRITE;
  if (
    /^(DOWNLOAD_FAILED|HTTP_ERROR|NETWORK_ERROR|TIMEOUT|RATE_LIMITED|RETRIES_EXHAUSTED|INVALID_RESPONSE|AUTH_FAILED|ORDER_FAILED)$/.test(
      code,
    )
  )
    return EXIT_CODES.NETWORK;
  return EXIT_CODES.UNEXPECTED;
}
