// One base error for @worldstrat/dataset; callers (and the worldstrat CLI's exit codes) branch on `code`.

/** Every error code @worldstrat/dataset raises. */
export const DATASET_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'DATASET_NOT_FOUND',
  'DATASET_LAYOUT',
  'UNREADABLE_FILE',
  'SHAPE_MISMATCH',
  'WRITE_FAILED',
  'ABORTED',
  'CHECKSUM_MISMATCH',
  'DOWNLOAD_FAILED',
  'UNSAFE_ARCHIVE_PATH',
  'ARCHIVE_CORRUPT',
  'CORRUPT_ZIP',
  'UNSUPPORTED_ZIP',
  'REMOTE_READ_FAILED',
] as const;

/** One of {@link DATASET_ERROR_CODES}. */
export type DatasetErrorCode = (typeof DATASET_ERROR_CODES)[number];

/**
 * Base class of every error thrown by `@worldstrat/dataset`.
 *
 * @example
 * ```ts
 * try { await openDataset('nowhere'); } catch (e) { if (e instanceof DatasetError) console.log(e.code); }
 * ```
 */
export class DatasetError extends Error {
  override name = 'DatasetError';
  /**
   * @param code - machine-readable reason; survives worker boundaries where classes do not.
   * @param message - names the bad value (file, URL) and the fix.
   * @param options - native `cause`.
   */
  constructor(
    readonly code: DatasetErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Throw an `ABORTED` DatasetError if the signal fired.
 *
 * @param signal - optional abort signal.
 * @throws {DatasetError} code `ABORTED` when `signal.aborted`.
 * @example
 * ```ts
 * throwIfAborted(controller.signal);
 * ```
 */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new DatasetError('ABORTED', 'operation aborted', { cause: signal.reason });
  }
}
