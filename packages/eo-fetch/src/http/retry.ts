// Retry machinery shared by every network call in the package: per-attempt timeouts, exponential backoff with
// seeded jitter, Retry-After handling and error classification. Browser-safe (fetch + AbortSignal only).

import { CoreError, createRng, onAbort, sleep as sleepOrAbort, throwIfAborted } from '@worldstrat/core';
import { redactUrl as redactUrlOf } from '@worldstrat/raster-io';
import { EoFetchError, HttpError } from '../errors.js';
import {
  checkFunction,
  checkNumber,
  checkObject,
  checkOptions,
  checkRetryPolicy,
  checkSignal,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';

/** How requests are retried. All durations in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `retries + 1` requests per call). */
  retries: number;
  /** First backoff step; attempt k waits about `baseDelayMs * 2^k` (with jitter). */
  baseDelayMs: number;
  /** Cap of one backoff step. */
  maxDelayMs: number;
  /** Time limit of one attempt, headers and body included. */
  timeoutMs: number;
  /** Longest `Retry-After` we honour; a longer one fails with `RATE_LIMITED`. */
  maxRetryAfterMs: number;
  /** HTTP statuses that are retried. */
  retryStatuses: readonly number[];
  /** Seed of the jitter PRNG (reproducible spacing of retries). */
  seed: number;
}

/** Defaults: 5 retries, 500 ms → 30 s backoff, 120 s per attempt, Retry-After up to 5 min. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 120_000,
  maxRetryAfterMs: 300_000,
  retryStatuses: Object.freeze([408, 425, 429, 500, 502, 503, 504]) as readonly number[],
  seed: 0x5eed,
});

/**
 * Parses an HTTP `Retry-After` value: delay-seconds or an HTTP-date.
 *
 * @param value - header value (`"3"`, `"Wed, 21 Oct 2015 07:28:00 GMT"`), or null
 * @param nowMs - current time (for HTTP-dates)
 * @returns milliseconds to wait (finite, ≥ 0), or undefined when absent/unparseable
 * @example
 * ```ts
 * parseRetryAfter('2'); // 2000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  checkString('parseRetryAfter', 'value', value);
  checkNumber('parseRetryAfter', 'nowMs', nowMs);
  const v = value.trim();
  // a delay of 400 digits is Infinity as a number: keep it finite (and far above any maxRetryAfterMs)
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(Number.MAX_SAFE_INTEGER, Math.round(Number(v) * 1000));
  const t = httpDateMs(v, nowMs);
  if (t === undefined) return undefined;
  return Math.max(0, t - nowMs);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(
  `^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Day, month (0-11), year, hours, minutes, seconds. */
type DateParts = [number, number, number, number, number, number];

const partsOf = (day: string, month: string, year: number, time: string[]): DateParts => [
  Number(day.trim()),
  MONTHS.indexOf(month),
  year,
  Number(time[0]),
  Number(time[1]),
  Number(time[2]),
];

/** The fields of an HTTP-date in any of its three forms (RFC 850's two-digit year put in its century). */
function httpDateParts(v: string, nowMs: number): DateParts | undefined {
  const imf = IMF_FIXDATE.exec(v);
  if (imf) return partsOf(imf[1] as string, imf[2] as string, Number(imf[3]), imf.slice(4));
  const rfc850 = RFC850_DATE.exec(v);
  if (rfc850) {
    // a two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7)
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(rfc850[3]);
    if (year > thisYear + 50) year -= 100;
    return partsOf(rfc850[1] as string, rfc850[2] as string, year, rfc850.slice(4));
  }
  const asctime = ASCTIME_DATE.exec(v);
  if (asctime)
    return partsOf(asctime[2] as string, asctime[1] as string, Number(asctime[6]), asctime.slice(3, 6));
  return undefined;
}

/**
 * An HTTP-date (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime forms, all UTC) in ms, else undefined.
 * `Date.parse` would take any text it can guess at ("in 2099" is a date decades away) and asctime as local time.
 */
function httpDateMs(v: string, nowMs: number): number | undefined {
  const parts = httpDateParts(v, nowMs);
  if (!parts) return undefined;
  const [day, month, year, h, min, sec] = parts;
  // 31 Feb or 25:00 would roll over in Date.UTC: not a date
  if (h > 23 || min > 59 || sec > 60) return undefined;
  const t = Date.UTC(year, month, day, h, min, sec);
  return new Date(t).getUTCDate() === day ? t : undefined;
}

/**
 * Removes credentials from a URL before it goes into an error, a log or a manifest (raster-io owns the rule:
 * `user:password@` → `***@`, token-like query values → `***`).
 *
 * @param url - the URL text
 * @returns the URL with credentials replaced by `***`
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when `url` is not a string
 */
export function redactUrl(url: string): string {
  checkString('redactUrl', 'url', url);
  return redactUrlOf(url);
}

/**
 * Redacts every URL inside a free text (error messages that quote URLs, e.g. from undici or raster-io). The
 * scheme may be followed by any run of slashes or backslashes, as the URL parser (and so fetch) takes it.
 *
 * @param text - any text
 * @returns the text with each `http(s):/…` token passed through {@link redactUrl}
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/https?:[/\\]+[^\s"'<>)]+/gi, (u) => redactUrl(u));
}

/** Sleeps `ms`, rejecting with an `ABORTED` error when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  // core checks `ms` and `signal`: its argument errors become this package's
  return sleepOrAbort(ms, signal, abortError).catch((err: unknown) => {
    if (err instanceof CoreError) throw new EoFetchError('INVALID_ARGUMENT', err.message, { cause: err });
    throw err;
  });
}

/** @internal builds the package's ABORTED error from a signal. */
export function abortError(signal: AbortSignal): EoFetchError {
  return new EoFetchError('ABORTED', 'operation aborted by its AbortSignal', { cause: signal.reason });
}

/**
 * `promise`, or `ABORTED` as soon as `signal` fires: a caller waiting on work shared with others (one token
 * request for many callers) stops waiting without cancelling the work the others still wait for.
 *
 * @internal
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => reject(abortError(signal)));
    promise.then(
      (v) => {
        off();
        resolve(v);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

/**
 * One request shared by every caller that joins it (a token several jobs wait for), each waiting on its own
 * signal. The request runs under a signal of its own, aborted once every caller that joined with a signal has
 * stopped waiting and none has joined again for {@link SHARED_REQUEST_GRACE_MS}: a caller whose attempt timed out
 * retries and joins again (a slow token server still answers them all), while a request everyone abandoned
 * (Ctrl-C) must not keep the process alive through its retries. A caller without a signal waits for good.
 */
export class SharedRequest<T> {
  readonly promise: Promise<T>;
  readonly #controller = new AbortController();
  #waiting = 0;
  #unbounded = false;
  #grace: ReturnType<typeof setTimeout> | undefined;

  constructor(run: (signal: AbortSignal) => Promise<T>) {
    this.promise = run(this.#controller.signal);
    this.promise.catch(() => {}); // each caller handles it through join
    const settle = () => clearTimeout(this.#grace);
    this.promise.then(settle, settle);
  }

  /** Whether every caller stopped waiting, so the request was aborted: a new caller starts another. */
  get abandoned(): boolean {
    return this.#controller.signal.aborted;
  }

  /** The request's result, or ABORTED as soon as `signal` fires. */
  join(signal?: AbortSignal): Promise<T> {
    clearTimeout(this.#grace);
    if (!signal) this.#unbounded = true;
    else if (!signal.aborted) {
      this.#waiting++;
      const off = onAbort(signal, () => {
        this.#waiting--;
        this.#leftAlone();
      });
      this.promise.then(off, off);
    } else this.#leftAlone();
    return signal ? raceSignal(this.promise, signal) : this.promise;
  }

  #leftAlone(): void {
    if (this.#waiting > 0 || this.#unbounded) return;
    clearTimeout(this.#grace);
    this.#grace = setTimeout(() => this.#controller.abort(), SHARED_REQUEST_GRACE_MS);
    this.#grace.unref?.();
  }
}

/** How long a shared request nobody waits for runs on, for callers that retry and join it again. */
export const SHARED_REQUEST_GRACE_MS = 2000;

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/**
 * Turns whatever `fetch` or a body read threw into an {@link EoFetchError}.
 * `ABORTED` only when the caller's signal fired (an `ABORTED` raised by an inner signal becomes `TIMEOUT`),
 * `TIMEOUT` (the attempt's time limit), `NETWORK_ERROR` (resets, refused connections, truncated bodies), or the
 * error itself when it already is one.
 *
 * @param err - the thrown value
 * @param url - request URL (redacted in the message)
 * @param userSignal - the caller's signal
 * @param timeoutSignal - the attempt's timeout signal
 * @returns a classified error
 */
export function classifyFetchError(
  err: unknown,
  url: string,
  userSignal?: AbortSignal,
  timeoutSignal?: { readonly aborted?: boolean; readonly timedOut?: boolean; readonly idled?: number },
): EoFetchError {
  checkString('classifyFetchError', 'url', url);
  if (userSignal?.aborted) return err instanceof EoFetchError ? err : abortError(userSignal);
  // an ABORTED from an inner signal (an attempt's time limit, an idle timer, a shared token request's own
  // limit) is no abort of the caller's: it is this attempt timing out, retried like any other
  if (err instanceof EoFetchError && err.code !== 'ABORTED') return err;
  const safe = redactUrl(url);
  if (timeoutSignal?.idled)
    return new EoFetchError(
      'TIMEOUT',
      `request to ${safe} stalled: no data for ${timeoutSignal.idled / 1000} s; raise the idle timeout if the server is that slow`,
      { cause: err },
    );
  if (
    timeoutSignal?.aborted ||
    timeoutSignal?.timedOut ||
    (err as { name?: string })?.name === 'TimeoutError'
  )
    return new EoFetchError(
      'TIMEOUT',
      `request to ${safe} timed out; raise timeoutMs if the server is slow`,
      {
        cause: err,
      },
    );
  if (err instanceof EoFetchError)
    return new EoFetchError('TIMEOUT', `request to ${safe} was cut off by a time limit: ${err.message}`, {
      cause: err,
    });
  let code: string | undefined;
  for (let e: any = err; e && !code; e = e.cause)
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) code = e.code;
  const msg = redactUrlsIn((err as Error)?.message ?? String(err));
  return new EoFetchError('NETWORK_ERROR', `network failure for ${safe}: ${code ?? msg}`, { cause: err });
}

/** The signal of one attempt: fires on the caller's abort, when the attempt's time limit passes, or when no
 * data arrived for the idle limit. */
export interface AttemptSignal {
  signal: AbortSignal;
  /** True once the time limit fired. */
  readonly timedOut: boolean;
  /** The idle limit in ms once it fired (no data for that long), else 0. */
  readonly idled: number;
  /** Marks progress (bytes arrived): restarts the idle timer. */
  touch(): void;
  /** Clears the timers and the listener on the caller's signal (call in `finally`). */
  dispose(): void;
}

/**
 * Creates an {@link AttemptSignal} (a plain AbortController + timers: cheaper than `AbortSignal.any` and free of
 * its listener build-up on long-lived parent signals in Node 20).
 *
 * @param userSignal - the caller's signal
 * @param timeoutMs - time limit of the attempt
 * @param idleMs - longest silence (no headers, no body bytes) before the attempt is aborted; 0 or absent: none
 * @returns the attempt signal
 */
export function attemptSignal(
  userSignal: AbortSignal | undefined,
  timeoutMs: number,
  idleMs = 0,
): AttemptSignal {
  const ctrl = new AbortController();
  let timedOut = false;
  let idled = 0;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort(new DOMException(`attempt exceeded ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const onIdle = () => {
    idled = idleMs;
    ctrl.abort(new DOMException(`no data for ${idleMs} ms`, 'TimeoutError'));
  };
  let idleTimer = idleMs > 0 ? setTimeout(onIdle, idleMs) : undefined;
  let unsubscribe = () => {};
  if (userSignal?.aborted) ctrl.abort(userSignal.reason);
  else if (userSignal) unsubscribe = onAbort(userSignal, () => ctrl.abort(userSignal.reason));
  return {
    signal: ctrl.signal,
    get timedOut() {
      return timedOut;
    },
    get idled() {
      return idled;
    },
    touch() {
      if (!idleTimer || ctrl.signal.aborted) return;
      // Node's refresh() re-arms the same timer (no allocation per chunk); browsers get a new one
      const t = idleTimer as { refresh?: () => unknown };
      if (typeof t.refresh === 'function') t.refresh();
      else {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(onIdle, idleMs);
      }
    },
    dispose() {
      clearTimeout(timer);
      clearTimeout(idleTimer);
      unsubscribe();
    },
  };
}

/** What a retry loop reports before it sleeps. */
export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: EoFetchError;
}

/** Options of {@link withRetry}. */
export interface WithRetryOptions {
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Jitter source; defaults to a PRNG seeded with `policy.seed`. */
  random?: () => number;
  /** Called before each backoff sleep. */
  onRetry?: (e: RetryEvent) => void;
  /** Called before each attempt; may wait (e.g. a host paused by Retry-After). */
  beforeAttempt?: () => Promise<void>;
  /** Request URL, for error messages (redacted). */
  url?: string;
}

/** True for failures that another attempt may fix (timeouts, resets, truncation, damaged bodies, retryable statuses, `NOT_READY`). */
export function isRetryable(err: EoFetchError, policy: Pick<RetryPolicy, 'retryStatuses'>): boolean {
  checkObject('isRetryable', 'err', err);
  // a 202 Accepted: the server is producing the file (an offline archive product); ask again later
  if (err.code === 'NOT_READY') return true;
  if (err instanceof HttpError) {
    const statuses = (policy as Partial<RetryPolicy> | null | undefined)?.retryStatuses;
    if (!Array.isArray(statuses))
      invalidArgument('isRetryable', 'policy.retryStatuses', 'an array of HTTP status codes', statuses);
    return statuses.includes(err.status);
  }
  // a body that fails its size/checksum/format check is a damaged transfer: fetch it again (bounded)
  return ['TIMEOUT', 'NETWORK_ERROR', 'SIZE_MISMATCH', 'CHECKSUM_MISMATCH', 'VERIFY_FAILED'].includes(
    err.code,
  );
}

/**
 * Backoff before retry number `attempt` (0-based), with equal jitter.
 * `min(maxDelayMs, baseDelayMs·2^attempt)`, half fixed and half uniform, so retries never synchronise into a storm.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  checkBackoff('backoffDelay', attempt, policy, random);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Checks the arguments of {@link backoffDelay} (numbers a NaN would turn into a NaN delay). */
function checkBackoff(fn: string, attempt: unknown, policy: unknown, random: unknown): void {
  checkNumber(fn, 'attempt', attempt, { min: 0 });
  const p = checkObject(fn, 'policy', policy) as Record<string, unknown>;
  checkNumber(fn, 'policy.baseDelayMs', p.baseDelayMs, { min: 0 });
  checkNumber(fn, 'policy.maxDelayMs', p.maxDelayMs, { min: 0 });
  checkFunction(fn, 'random', random);
}

/** Delay before retrying `err`: its Retry-After when given (429/503), else the jittered backoff. */
export function retryDelay(
  err: EoFetchError,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  checkObject('retryDelay', 'err', err);
  checkBackoff('retryDelay', attempt, policy, random);
  checkNumber('retryDelay', 'policy.maxRetryAfterMs', policy.maxRetryAfterMs, { min: 0, infinite: true });
  const ra = err instanceof HttpError ? err.retryAfterMs : undefined;
  if (ra !== undefined) {
    if (ra > policy.maxRetryAfterMs)
      throw new EoFetchError(
        'RATE_LIMITED',
        `${err.message}; the server asks to wait ${Math.round(ra / 1000)} s (Retry-After), more than maxRetryAfterMs=${policy.maxRetryAfterMs}; raise it or retry later`,
        { cause: err },
      );
    return ra;
  }
  return backoffDelay(attempt, policy, random);
}

/** The defaults with every member of `policy` that is set (a member left undefined keeps its default). */
function retryPolicyOf(policy: Partial<RetryPolicy> | undefined): RetryPolicy {
  const out: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  for (const [k, v] of Object.entries(policy ?? {})) if (v !== undefined) (out as any)[k] = v;
  return out;
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error occurs, or `policy.retries` retries are spent.
 * Each attempt gets a signal that fires on the caller's abort or on the attempt's `timeoutMs`.
 *
 * @param attempt - one try; receives the attempt signal and the 0-based attempt number
 * @param options - policy, signal, jitter, hooks
 * @returns the attempt's result
 * @throws {@link EoFetchError} `RETRIES_EXHAUSTED` (cause = last error), `ABORTED`, or the non-retryable error
 * @example
 * ```ts
 * const text = await withRetry(async (signal) => (await fetch(url, { signal })).text(), { policy: { retries: 3 } });
 * ```
 */
export async function withRetry<T>(
  attempt: (signal: AbortSignal, attemptNo: number) => Promise<T>,
  options: WithRetryOptions = {},
): Promise<T> {
  checkFunction('withRetry', 'attempt', attempt);
  checkOptions('withRetry', options);
  checkRetryPolicy('withRetry', 'options.policy', options.policy);
  checkSignal('withRetry', 'options.signal', options.signal);
  for (const k of ['random', 'onRetry', 'beforeAttempt'] as const)
    checkFunction('withRetry', `options.${k}`, options[k], true);
  checkString('withRetry', 'options.url', options.url, true);
  const policy = retryPolicyOf(options.policy);
  const random = options.random ?? createRng(policy.seed >>> 0).next;
  const { signal } = options;
  for (let n = 0; ; n++) {
    throwIfAborted(signal, abortError);
    await options.beforeAttempt?.();
    const att = attemptSignal(signal, policy.timeoutMs);
    let error: EoFetchError;
    try {
      return await attempt(att.signal, n);
    } catch (err) {
      error = classifyFetchError(err, options.url ?? '', signal, att);
    } finally {
      att.dispose();
    }
    if (error.code === 'ABORTED' || !isRetryable(error, policy)) throw error;
    if (n >= policy.retries)
      throw new EoFetchError('RETRIES_EXHAUSTED', `gave up after ${n + 1} attempts: ${error.message}`, {
        cause: error,
      });
    const delayMs = retryDelay(error, n, policy, random);
    options.onRetry?.({ attempt: n, delayMs, error });
    await sleep(delayMs, signal);
  }
}
