// One base error for the package; callers branch on `code`.

/** Every failure code @worldstrat/stratify throws. */
export const STRATIFY_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNKNOWN_CLASS',
  'EMPTY_CLASS',
  'SHORTFALL',
  'NO_GEOREFERENCING',
  'UNKNOWN_CRS',
  'POINT_OUTSIDE_RASTER',
  'RASTER_NOT_FOUND',
  'ABORTED',
] as const;

/** One of {@link STRATIFY_ERROR_CODES}. */
export type StratifyErrorCode = (typeof STRATIFY_ERROR_CODES)[number];

/** The single error class of @worldstrat/stratify; `code` says what went wrong. */
export class StratifyError extends Error {
  override name = 'StratifyError';
  constructor(
    readonly code: StratifyErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
