// Public API of @worldstrat/eo-fetch: named re-exports only (browser-safe).

export type { EoFetchErrorCode } from './errors.js';
export { EoFetchError, HttpError } from './errors.js';
export type { FetchLike, RequestJsonOptions } from './http/request-json.js';
export { httpErrorFromResponse, requestJson, scrub } from './http/request-json.js';
export type { RetryEvent, RetryPolicy, WithRetryOptions } from './http/retry.js';
export {
  backoffDelay,
  classifyFetchError,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  redactUrl,
  retryDelay,
  sleep,
  withRetry,
} from './http/retry.js';
