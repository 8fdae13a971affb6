// JSON requests with retries: the building block of the STAC and SentinelHub clients. Browser-safe.
import { fetchWithGuardedRedirects } from '@worldstrat/raster-io';
import { EoFetchError, type EoFetchErrorCode, HttpError } from '../errors.js';
import {
  checkFunction,
  checkIterable,
  checkNumber,
  checkOptions,
  checkResponse,
  checkRetryPolicy,
  checkSignal,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';
import { headerSecrets } from './header-secrets.js';
import { headersRecord } from './headers.js';
import { parseRetryAfter, type RetryPolicy, redactUrl, redactUrlsIn, withRetry } from './retry.js';
import { secretsScrubber } from './secret-forms.js';
import { moveUrlCredentials, urlSecrets } from './url-credentials.js';

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

/** A redirect {@link fetchWithGuardedRedirects} will not follow, as this package's error. */
export function redirectFailure(code: EoFetchErrorCode, message: string): EoFetchError {
  return new EoFetchError(code, message);
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
  checkResponse('readTextBounded', 'res', res);
  checkString('readTextBounded', 'url', url);
  checkNumber('readTextBounded', 'maxBytes', maxBytes, { min: 0, infinite: true });
  const decoder = new TextDecoder();
  let text = '';
  await readBounded(res, url, maxBytes, (chunk) => {
    text += decoder.decode(chunk, { stream: true });
  });
  return text + decoder.decode();
}

/**
 * Reads a response body as bytes, stopping with a typed error once it exceeds `maxBytes`. The bytes counted are
 * the decoded ones (what `fetch` hands over after inflating a gzip answer), so a compression bomb stops at the cap.
 *
 * @param res - the response
 * @param url - request URL (redacted in the message)
 * @param maxBytes - byte cap
 * @returns the body
 * @throws {@link EoFetchError} `RESPONSE_TOO_LARGE`
 */
export async function readBytesBounded(res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  checkResponse('readBytesBounded', 'res', res);
  checkString('readBytesBounded', 'url', url);
  checkNumber('readBytesBounded', 'maxBytes', maxBytes, { min: 0, infinite: true });
  const chunks: Uint8Array[] = [];
  await readBounded(res, url, maxBytes, (chunk) => chunks.push(chunk));
  return concat(chunks);
}

/** Hands each chunk of a body to `take`, refusing a declared or actual size over `maxBytes`. */
async function readBounded(
  res: Response,
  url: string,
  maxBytes: number,
  take: (chunk: Uint8Array) => void,
): Promise<void> {
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
  if (!res.body) return;
  const reader = res.body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    take(value);
  }
}

/** Most bytes of an error body read for its excerpt; the rest is dropped unread. */
export const ERROR_BODY_MAX_BYTES = 64 * 1024;
/** Longest wait for an error body (a server trickling a large error page must not stall the caller). */
export const ERROR_BODY_MAX_MS = 2_000;
const EXCERPT_CHARS = 300;

/** A body read chunk by chunk, and how to drop the rest (which must also end a pending read). */
export interface BodyReader {
  read(): Promise<IteratorResult<Uint8Array> | ReadableStreamReadResult<Uint8Array>>;
  cancel(): void;
}

/** A {@link BodyReader} over a web `Response` body (cancelling the reader ends a pending read). */
export function webBodyReader(res: Response): BodyReader {
  const reader = res.body?.getReader();
  return {
    read: () => (reader ? reader.read() : Promise.resolve({ done: true, value: undefined })),
    cancel: () => {
      reader?.cancel().catch(() => {});
    },
  };
}

/**
 * Reads at most `maxBytes` of a body, for at most `maxMs`, then drops the rest; never throws.
 *
 * @param body - the body reader
 * @param maxBytes - byte cap
 * @param maxMs - time cap
 * @returns the UTF-8 text of what was read
 */
export async function readBoundedText(
  body: BodyReader,
  maxBytes = ERROR_BODY_MAX_BYTES,
  maxMs = ERROR_BODY_MAX_MS,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), maxMs);
  });
  try {
    while (n < maxBytes) {
      const step = await Promise.race([body.read(), deadline]);
      if (step === 'late' || step.done || !step.value) break;
      chunks.push(step.value.subarray(0, maxBytes - n));
      n += step.value.byteLength;
    }
  } catch {
    // a body that fails mid-way: keep what arrived
  } finally {
    clearTimeout(timer);
    body.cancel();
  }
  return new TextDecoder().decode(concat(chunks));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** A one-line excerpt of an error body. */
export function errorExcerpt(text: string): string {
  return text
    .slice(0, 4 * EXCERPT_CHARS)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, EXCERPT_CHARS);
}

/**
 * Builds an {@link HttpError} from a failed response: status, a short excerpt of the body (at most
 * {@link ERROR_BODY_MAX_BYTES} read, for at most {@link ERROR_BODY_MAX_MS}), and Retry-After. The URLs and the
 * excerpt are redacted: URL credentials, and every string of `redact`.
 *
 * @param res - the non-OK response (its body is consumed or cancelled)
 * @param url - request URL (redacted in the message)
 * @param redact - secrets to scrub from the excerpt
 * @returns the error (not thrown)
 */
export async function httpErrorFromResponse(
  res: Response,
  url: string,
  redact: readonly string[] = [],
): Promise<HttpError> {
  checkResponse('httpErrorFromResponse', 'res', res);
  checkString('httpErrorFromResponse', 'url', url);
  checkIterable('httpErrorFromResponse', 'redact', redact);
  // scrubbed before it is cut: an echo the excerpt ends inside would keep its first part
  const excerpt = errorExcerpt(scrub(await readBoundedText(webBodyReader(res)), redact));
  const msg = scrub(
    redactUrlsIn(
      `HTTP ${res.status} ${res.statusText} from ${res.url ? redactUrl(res.url) : redactUrl(url)}${excerpt ? `: ${excerpt}` : ''}`,
    ),
    redact,
  );
  return new HttpError(redactUrl(url), res.status, msg, {
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/**
 * Replaces every occurrence of each secret in `text` by `***`: as given, and in every spelling a server may echo
 * it in (percent-encoded by any escaper, form-encoded with `+` for a space, JSON-escaped, HTML references).
 */
export function scrub(text: string, secrets: readonly string[]): string {
  checkString('scrub', 'text', text);
  checkIterable('scrub', 'secrets', secrets);
  const list = [...secrets];
  // a secret of another type (a cyclic object, a BigInt) has no spelling to look for, and would make the
  // scrubber's cache key (JSON) throw
  const i = list.findIndex((s) => typeof s !== 'string');
  if (i >= 0) invalidArgument('scrub', `secrets[${i}]`, 'a string', list[i]);
  const scrubber = scrubberOf(list);
  return scrubCutSecrets(scrubber ? scrubber(text, '***') : text, list);
}

/** Fewest leading characters of a secret taken for it where a quoted value was cut short. */
const MIN_CUT_PREFIX = 4;
/** Most characters a message quotes of one value before cutting it (excerpts stay far shorter). */
const MAX_CUT_PREFIX = 512;

/**
 * A value quoted for a message is cut at its end (`...` or `…`): a secret running into the cut shows only its
 * start, which the whole-secret scrub cannot see. Such starts (4 characters or more) become `***` too.
 */
function scrubCutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const marker of ['...', '…'])
    for (let at = out.indexOf(marker); at >= 0; at = out.indexOf(marker, at + marker.length)) {
      let longest = 0;
      for (const s of secrets)
        for (let k = Math.min(s.length - 1, at, MAX_CUT_PREFIX); k > longest && k >= MIN_CUT_PREFIX; k--)
          if (out.endsWith(s.slice(0, k), at)) {
            longest = k;
            break;
          }
      if (longest === 0) continue;
      out = `${out.slice(0, at - longest)}***${out.slice(at)}`;
      at += 3 - longest;
    }
  return out;
}

/** The last secrets' scrubber: an error chain is scrubbed many times over with the same list. */
let lastScrubber: { key: string; scrubber: ReturnType<typeof secretsScrubber> } | undefined;

function scrubberOf(secrets: readonly string[]): ReturnType<typeof secretsScrubber> {
  const key = JSON.stringify([...secrets]);
  if (lastScrubber?.key !== key) lastScrubber = { key, scrubber: secretsScrubber([...secrets]) };
  return lastScrubber.scrubber;
}

/**
 * Checks the arguments of {@link requestJson} before the first attempt: a URL that cannot be parsed would
 * otherwise fail every retry as a network error, and a NaN retry count retry forever.
 */
function checkRequest(fn: string, url: unknown, init: unknown, options: RequestJsonOptions): void {
  checkString(fn, 'url', url);
  let parsed: URL | undefined;
  try {
    // a page-relative URL is one in a browser
    parsed = new URL(url as string, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    parsed = undefined;
  }
  // quoted redacted: a URL that does not parse may still hold `user:password@` or a signature
  if (!parsed) invalidArgument(fn, 'url', 'an absolute URL', redactUrl(url as string));
  checkOptions(fn, init as object | undefined, 'init');
  checkOptions(fn, options);
  checkFunction(fn, 'options.fetch', options.fetch, true);
  checkSignal(fn, 'options.signal', options.signal);
  checkRetryPolicy(fn, 'options.retry', options.retry);
  if (options.redact !== undefined) checkIterable(fn, 'options.redact', options.redact);
  checkNumber(fn, 'options.maxBytes', options.maxBytes, { optional: true, min: 0, infinite: true });
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
  checkRequest('requestJson', url, init, options);
  const doFetch = options.fetch ?? ((u: string, i?: RequestInit) => fetch(u, i));
  // every form of RequestInit headers (a Headers instance, pairs, a record): spreading the first two keeps nothing
  const given = headersRecord(init.headers, 'requestJson', 'init.headers');
  // fetch refuses a URL with `user:password@`: its credentials go as Basic auth (to this origin only, as the
  // guarded redirects drop credential headers elsewhere) and are scrubbed like the listed secrets
  const moved = moveUrlCredentials(url, given);
  const target = moved.url;
  // longest first, so a secret containing another is replaced whole
  const redact = [...(options.redact ?? []), ...urlSecrets(url), ...headerSecrets(given)].sort(
    (a, b) => b.length - a.length,
  );
  const accepts = Object.keys(moved.headers).some((k) => k.toLowerCase() === 'accept');
  const headers: Record<string, string> = {
    ...(accepts ? {} : { accept: 'application/json' }),
    ...moved.headers,
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
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
  }
  try {
    return await withRetry(
      async (signal) => {
        // credential headers do not follow a redirect to another origin
        const res = await fetchWithGuardedRedirects(
          doFetch,
          target,
          { ...init, headers, body, signal },
          {
            fail: redirectFailure,
          },
        );
        if (!res.ok) throw await httpErrorFromResponse(res, target, redact);
        const text = await readTextBounded(res, target, options.maxBytes ?? DEFAULT_MAX_JSON_BYTES);
        try {
          return (text ? JSON.parse(text) : null) as T;
        } catch (err) {
          throw new EoFetchError(
            'INVALID_RESPONSE',
            `expected JSON from ${redactUrl(target)}, got ${JSON.stringify(text.slice(0, 80))}; check the endpoint URL`,
            { cause: err },
          );
        }
      },
      { policy: options.retry, signal: options.signal, url: target },
    );
  } catch (err) {
    // a quoted body (and JSON.parse's excerpt of it in the cause) may echo a key the request carried
    throw scrubErrorChain(err, redact);
  }
}

/**
 * Scrubs URL credentials and every string of `secrets` from the messages, stacks and other string properties of
 * `err` and its causes, in place (a cause such as fetch's TypeError quotes the raw URL in its message and keeps
 * it as `input`; JSON.parse's quotes the body).
 *
 * @param err - the thrown value
 * @param secrets - strings to replace by `***`
 * @returns `err`
 */
export function scrubErrorChain<E>(err: E, secrets: readonly string[]): E {
  const seen = new Set<unknown>();
  const clean = (text: string) => scrub(redactUrlsIn(text), secrets);
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    // the stack was captured with the original message; `input`, `url`… are printed by inspect()
    for (const key of ['message', 'stack', ...Object.keys(e).filter((k) => k !== 'code' && k !== 'name')]) {
      const value = (e as unknown as Record<string, unknown>)[key];
      if (typeof value !== 'string') continue;
      const cleaned = clean(value);
      if (cleaned === value) continue;
      try {
        Object.defineProperty(e, key, { value: cleaned, configurable: true, writable: true });
      } catch {
        // a frozen property of another library's error: nothing to do but leave it
      }
    }
  }
  return err;
}
