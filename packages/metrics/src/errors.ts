/** Machine-readable reason of a {@link MetricsError}; callers branch on it (it survives worker boundaries). */
export const METRICS_ERROR_CODES = [
  'INVALID_SHAPE',
  'SHAPE_MISMATCH',
  'NON_FINITE_INPUT',
  'EMPTY_MASK',
  'IMAGE_TOO_SMALL',
  'INVALID_OPTION',
  'DEGENERATE_INPUT',
] as const;

/** One of {@link METRICS_ERROR_CODES}. */
export type MetricsErrorCode = (typeof METRICS_ERROR_CODES)[number];

/**
 * The one error class of `@worldstrat/metrics`. Every bad input (wrong shape, NaN/Inf, empty clear mask,
 * image smaller than the kernel support, bad option) throws it instead of returning a NaN score.
 *
 * @example
 * ```ts
 * try { mse(a, b); } catch (err) { if (err instanceof MetricsError && err.code === 'SHAPE_MISMATCH') { ... } }
 * ```
 */
export class MetricsError extends Error {
  override name = 'MetricsError';
  /**
   * @param code - the machine-readable reason.
   * @param message - names the bad value and the fix.
   * @param options - native `cause`.
   */
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
