// One base error for the package; callers branch on `code` (it survives worker boundaries, classes do not).
export const RASTER_IO_ERROR_CODES = [
  'NOT_A_TIFF',
  'TRUNCATED',
  'UNSUPPORTED_CODEC',
  'UNSUPPORTED_DTYPE',
  'UNSUPPORTED_PHOTOMETRIC',
  'UNSUPPORTED_CRS',
  'CODEC_ALREADY_REGISTERED',
  'WINDOW_OUT_OF_BOUNDS',
  'BAND_OUT_OF_RANGE',
  'NO_GEOREFERENCING',
  'UNKNOWN_CRS',
  'RANGE_REQUEST_FAILED',
  'HTTP_ERROR',
  'TIMEOUT',
  'INVALID_ARGUMENT',
  'INVALID_SAFETENSORS',
  'WRITE_FAILED',
  'ABORTED',
  'CORRUPT_TIFF',
  'CORRUPT_BLOCK',
  'TOO_LARGE',
  'ROWS_OUT_OF_ORDER',
  'WRITER_CLOSED',
  'WORKER_FAILED',
  'UNREADABLE_FILE',
  'FILE_NOT_FOUND',
] as const;

/** One of {@link RASTER_IO_ERROR_CODES}. */
export type RasterIoErrorCode = (typeof RASTER_IO_ERROR_CODES)[number];

export class RasterIoError extends Error {
  override name = 'RasterIoError';
  constructor(
    readonly code: RasterIoErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A TIFF uses a compression we cannot decode. */
export class UnsupportedCodecError extends RasterIoError {
  override name = 'UnsupportedCodecError';
  constructor(
    readonly compression: number,
    readonly file?: string,
  ) {
    super(
      'UNSUPPORTED_CODEC',
      `${file ? `${file}: ` : ''}no codec for TIFF compression ${compression}; supported: 1 (none), 2/3/4 (CCITT, 1-bit), 5 (LZW), 7 (JPEG, 8-bit baseline), 8/32946 (deflate), 32773 (PackBits), 34887 (LERC; LERC_ZSTD in Node), 50000 (ZSTD, Node), 34925 (LZMA, Node), 50001 (WEBP, Node with libwebp); add one with registerCodec(${compression}, load) or convert the file with gdal_translate -co COMPRESS=DEFLATE`,
    );
  }
}

/** An HTTP source answered with an error status (404, 416, 5xx...). */
export class HttpSourceError extends RasterIoError {
  override name = 'HttpSourceError';
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(status === 416 ? 'RANGE_REQUEST_FAILED' : 'HTTP_ERROR', message, options);
  }
}
