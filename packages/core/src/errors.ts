/** Machine-readable reason of a {@link CoreError}; callers branch on it. */
export const CORE_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_SEED',
  'INVALID_DATE',
  'ABORTED',
  'WRITE_FAILED',
  'INVALID_CSV',
  'FILE_NOT_FOUND',
  'UNREADABLE_FILE',
] as const;

/** One of {@link CORE_ERROR_CODES}. */
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/**
 * The one error class of `@worldstrat/core`: bad seeds, bad dates, malformed CSV tables, aborted sleeps, failed
 * atomic writes and files that cannot be read safely.
 *
 * @example
 * ```ts
 * try { parseIsoDay('2021-02-30'); } catch (err) { if (err instanceof CoreError && err.code === 'INVALID_DATE') { ... } }
 * ```
 */
export class CoreError extends Error {
  override name = 'CoreError';
  /**
   * @param code - the machine-readable reason.
   * @param message - names the bad value and the fix.
   * @param options - native `cause`.
   */
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
