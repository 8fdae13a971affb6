// One base error for the umbrella package; callers (and the CLI's exit codes) branch on `code`.
import { throwIfAborted as throwIfSignalAborted } from '@worldstrat/core';

/** Every error code the worldstrat package raises. The CLI maps each to an exit code (see `exitCodeFor`). */
export const WORLDSTRAT_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'DATASET_NOT_FOUND',
  'DATASET_LAYOUT',
  'MISSING_FILES',
  'UNREADABLE_FILE',
  'DUPLICATE_TILE',
  'SHAPE_MISMATCH',
  'CONFIG_ERROR',
  'WRITE_FAILED',
  'ABORTED',
  'CHECKSUM_MISMATCH',
  'DOWNLOAD_FAILED',
  'UNSAFE_ARCHIVE_PATH',
  'ARCHIVE_CORRUPT',
  'REVISITS_NOT_FOUND',
  'TRAINING_FAILED',
  'QUEUE_UNAVAILABLE',
  'REGION_TOO_LARGE',
  'TILES_FAILED',
  'MODEL_BANDS_UNAVAILABLE',
  'UNITS_FAILED',
  'LOCK_TIMEOUT',
  'AUTH_FAILED',
] as const;

/** One of {@link WORLDSTRAT_ERROR_CODES}. */
export type WorldStratErrorCode = (typeof WORLDSTRAT_ERROR_CODES)[number];

/**
 * Base class of every error thrown by `worldstrat`.
 *
 * @example
 * ```ts
 * try { await openDataset('nowhere'); } catch (e) { if (e instanceof WorldStratError) console.log(e.code); }
 * ```
 */
export class WorldStratError extends Error {
  override name = 'WorldStratError';
  /**
   * @param code - machine-readable reason; survives worker boundaries where classes do not.
   * @param message - names the bad value and the fix.
   * @param options - native `cause`.
   */
  constructor(
    readonly code: WorldStratErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Throw an `ABORTED` WorldStratError if the signal fired.
 *
 * @param signal - optional abort signal.
 * @throws {WorldStratError} code `ABORTED` when `signal.aborted`.
 * @example
 * ```ts
 * throwIfAborted(controller.signal);
 * ```
 */
export function throwIfAborted(signal?: AbortSignal): void {
  throwIfSignalAborted(signal, worldStratAbortError);
}

/** The `ABORTED` WorldStratError of a fired signal (the error factory for @worldstrat/core's abort helpers). */
export function worldStratAbortError(signal: AbortSignal): WorldStratError {
  return new WorldStratError('ABORTED', 'operation aborted', { cause: signal.reason });
}
