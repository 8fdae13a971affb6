// One base error for the package; callers branch on `code` (it survives worker boundaries, classes do not).

/** Every failure code @worldstrat/geo-sampling throws. */
export const GEO_SAMPLING_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_SEED',
  'INVALID_LATITUDE',
  'INVALID_LONGITUDE',
  'INVALID_AREA',
  'DUPLICATE_NAME',
  'MISSING_COLUMN',
  'UNKNOWN_COLUMN',
  'MISSING_NAME',
  'PARSE_ERROR',
  'LAND_MASK_NOT_LOADED',
  'INVALID_MASK',
  'NO_LAND_FOUND',
  'POLAR_AOI',
  'ABORTED',
  'MISSING_PEER',
  'FILE_NOT_FOUND',
  'UNREADABLE_FILE',
] as const;

/** One of {@link GEO_SAMPLING_ERROR_CODES}. */
export type GeoSamplingErrorCode = (typeof GEO_SAMPLING_ERROR_CODES)[number];

/**
 * The single error class of @worldstrat/geo-sampling. `code` says what went wrong, `row` (0-based data row,
 * where the error comes from one row of a table) says where.
 */
export class GeoSamplingError extends Error {
  override name = 'GeoSamplingError';
  constructor(
    readonly code: GeoSamplingErrorCode,
    message: string,
    options?: ErrorOptions & { row?: number },
  ) {
    super(message, options);
    if (options?.row !== undefined) this.row = options.row;
  }
  /** 0-based data row of the offending input, when the error is about one row of a table. */
  row?: number;
}
