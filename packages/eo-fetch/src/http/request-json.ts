// JSON requests with retries: the building block of the STAC and SentinelHub clients. Browser-safe.
import { EoFetchError, HttpError } from '../errors.js';
import { parseRetryAfter, type RetryPolicy, redactUrl, withRetry } from './retry.js';

/** A `fetch`-compatible function (global fetch, undici, a test double). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Options shared by every JSON call. */
export interface RequestJsonOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** Strings that must never appear in an error message (secrets); replaced by `***`. */
  redact?: readonly string[];
  /** Largest response body read, in bytes (default {@link DEFAULT_MAX_JSON_BYTES}); more is `RESPONSE_TOO_LARGE`. */
  maxBytes?: number;
}

/** Default cap on one JSON response (64 MiB): far above any catalogue page, far below what exhausts memory. */
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Reads a response body as UTF-8 text, stopping with a typed error once it exceeds `maxBytes`.
 *
 * @param res - the response
 * @param url - request URL (redacted in the message)
 * @param maxBytes - byte cap
 * @returns the text
 * @throws {@link EoFetchError} `RESPONSE_TOO_LARGE`
 */
export async function readTextBounded(res: Response, url: string, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new EoFetchError(
      'RESPONSE_TOO_LARGE',
      `response from ${redactUrl(url)} exceeds ${maxBytes} bytes; refusing to read it (raise maxBytes if it is expected)`,
    );
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Builds an {@link HttpError} from a failed response: status, a short excerpt of the body, and Retry-After.
 *
 * @param res - the non-OK response (its body is consumed)
 * @param url - request URL (redacted in the message)
 * @param redact - secrets to scrub from the excerpt
 * @returns the error (not thrown)
 */
export async function httpErrorFromResponse(
  res: Response,
  url: string,
  redact: readonly string[] = [],
): Promise<HttpError> {
  let excerpt = '';
  try {
    excerpt = (await res.text()).slice(0, 300).replace(/\s+/g, ' ').trim();
  } catch {
    // body unreadable: the status says enough
  }
  const msg = scrub(
    `HTTP ${res.status} ${res.statusText} from ${res.url ? redactUrl(res.url) : redactUrl(url)}${excerpt ? `: ${excerpt}` : ''}`,
    redact,
  );
  return new HttpError(redactUrl(url), res.status, msg, {
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/** Replaces every occurrence of each secret in `text` by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/**
 * Sends a request and parses a JSON answer, retrying timeouts, resets and retryable statuses.
 *
 * @param url - absolute URL
 * @param init - method, headers, body (a plain object body is JSON-encoded)
 * @param options - fetch, signal, retry policy, secrets to redact
 * @returns the parsed JSON
 * @throws {@link HttpError} for error statuses; {@link EoFetchError} `INVALID_RESPONSE` for non-JSON bodies
 * @example
 * ```ts
 * const root = await requestJson<{ links: unknown[] }>('https://earth-search.aws.element84.com/v1');
 * ```
 */
export async function requestJson<T = unknown>(
  url: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
  options: RequestJsonOptions = {},
): Promise<T> {
  const doFetch = options.fetch ?? ((u: string, i?: RequestInit) => fetch(u, i));
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(init.headers as Record<string, string>),
  };
  let body: BodyInit | undefined;
  if (init.body !== undefined && init.body !== null) {
    if (
      typeof init.body === 'string' ||
      init.body instanceof Uint8Array ||
      init.body instanceof URLSearchParams
    ) {
      body = init.body as BodyInit;
    } else {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  return withRetry(
    async (signal) => {
      const res = await doFetch(url, { ...init, headers, body, signal });
      if (!res.ok) throw await httpErrorFromResponse(res, url, options.redact);
      const text = await readTextBounded(res, url, options.maxBytes ?? DEFAULT_MAX_JSON_BYTES);
      try {
        return (text ? JSON.parse(text) : null) as T;
      } catch (err) {
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `expected JSON from ${redactUrl(url)}, got ${JSON.stringify(text.slice(0, 80))}; check the endpoint URL`,
          { cause: err },
        );
      }
    },
    { policy: options.retry, signal: options.signal, url },
  );
}
