// One base error for the package; callers branch on `code` (it survives worker boundaries, classes do not).

/** Every failure code eo-fetch raises. */
export const EO_FETCH_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'HTTP_ERROR',
  'NETWORK_ERROR',
  'TIMEOUT',
  'RATE_LIMITED',
  'RETRIES_EXHAUSTED',
  'SIZE_MISMATCH',
  'CHECKSUM_MISMATCH',
  'VERIFY_FAILED',
  'DUPLICATE_PATH',
  'ABORTED',
  'INVALID_RESPONSE',
  'MISSING_CREDENTIALS',
  'AUTH_FAILED',
  'UNKNOWN_PROVIDER',
  'UNKNOWN_BAND',
  'NO_MATCHES',
  'ORDER_NOT_CONFIRMED',
  'ORDER_FAILED',
  'PAGING_LOOP',
  'PAGE_LIMIT',
  'RESPONSE_TOO_LARGE',
  'CREDENTIAL_SCOPE',
  'UNSUPPORTED_CAPABILITY',
  'INVALID_ITEM',
  'AOI_TOO_LARGE',
  'WRITE_FAILED',
  'NOT_READY',
  'PATH_IN_USE',
] as const;

/** One of {@link EO_FETCH_ERROR_CODES}. */
export type EoFetchErrorCode = (typeof EO_FETCH_ERROR_CODES)[number];

/**
 * Base class of every error thrown by eo-fetch.
 * Branch on {@link EoFetchError.code}.
 *
 * @example
 * ```ts
 * try { await client.search({ collections: ['sentinel-2-l2a'] }); }
 * catch (err) { if (err instanceof EoFetchError && err.code === 'RATE_LIMITED') console.log('slow down'); }
 * ```
 */
export class EoFetchError extends Error {
  override name = 'EoFetchError';
  /**
   * @param code - machine-readable failure code
   * @param message - what went wrong, naming the bad value and the fix
   * @param options - native `cause`
   */
  constructor(
    readonly code: EoFetchErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An HTTP request failed with an error status (after retries when the status was retryable).
 *
 * @example
 * ```ts
 * if (err instanceof HttpError && err.status === 404) console.log(`missing: ${err.url}`);
 * ```
 */
export class HttpError extends EoFetchError {
  override name = 'HttpError';
  /** Milliseconds the server asked us to wait (`Retry-After`), when it did. */
  readonly retryAfterMs?: number;
  /**
   * @param url - request URL (query strings with tokens are redacted)
   * @param status - HTTP status code
   * @param message - human-readable explanation
   * @param options - native `cause`, parsed `retryAfterMs`, and a `code` override
   */
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
    options: ErrorOptions & { retryAfterMs?: number; code?: EoFetchErrorCode } = {},
  ) {
    super(
      options.code ??
        (status === 429 ? 'RATE_LIMITED' : status === 401 || status === 403 ? 'AUTH_FAILED' : 'HTTP_ERROR'),
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
