// SentinelHub client: OAuth client credentials (token cached, refreshed before expiry, one retry on 401),
// Catalog search (STAC, `context.next` paging), dataimport search for SPOT (`links.next` paging), Process API,
// quotas and orders (dry run by default, explicit confirm, never a blind retry of order creation). Credentials
// live in private fields and are scrubbed from every error message. Browser-safe.
import { withoutTrailingSlashes } from '@worldstrat/core';
import { fetchWithGuardedRedirects } from '@worldstrat/raster-io';
import { EoFetchError, HttpError } from '../errors.js';
import { headersRecord, withoutHeader } from '../http/headers.js';
import {
  type FetchLike,
  httpErrorFromResponse,
  readBytesBounded,
  readTextBounded,
  redirectFailure,
  requestJson,
  scrubErrorChain,
} from '../http/request-json.js';
import { type RetryPolicy, redactUrl, SharedRequest, withRetry } from '../http/retry.js';
import { splitUrlCredentials } from '../http/url-credentials.js';
import {
  checkFunction,
  checkNumber,
  checkOptions,
  checkRetryPolicy,
  checkString,
} from '../internal/check-arguments.js';
import { bboxAreaKm2 } from '../matching/geodesic-area.js';
import { StacClient, type StacSearchOptions } from '../stac/stac-client.js';
import type { StacItem, StacSearchParams } from '../stac/stac-types.js';
import { quoted, scrubbedInvalidItem } from '../stac/validate-item.js';
import type { ProcessRequest } from './evalscripts.js';

/** Trailing slashes; the lookbehind keeps a long run of `/` before another character linear (`/\/+$/` is quadratic). */

/** OAuth client credentials. */
export interface SentinelHubCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * API root of the deployment that issued them (a config profile's `sh_base_url`), used when the client's
   * options name none.
   */
  baseUrl?: string;
  /** Token endpoint of that deployment (a profile's `sh_token_url`), used when the client's options name none. */
  tokenUrl?: string;
}

/** Options of {@link SentinelHubClient}. */
export interface SentinelHubClientOptions {
  /** API root (default `https://services.sentinel-hub.com`; Copernicus Data Space: `https://sh.dataspace.copernicus.eu`). */
  baseUrl?: string;
  /** Token endpoint (default `<baseUrl>/oauth/token`). */
  tokenUrl?: string;
  /** Refresh the token this long before it expires (default 60 s). */
  refreshMarginMs?: number;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Clock (tests). */
  now?: () => number;
  /** Hard cap on pages of one search or listing (default 1000); an endless listing stops with `PAGE_LIMIT`. */
  pageLimit?: number;
  /**
   * Largest Process API answer read by {@link SentinelHubClient.process}, in bytes as decoded (a gzip answer is
   * counted inflated); more is `RESPONSE_TOO_LARGE` (default {@link DEFAULT_MAX_PROCESS_BYTES}).
   */
  maxProcessBytes?: number;
}

/**
 * Default {@link SentinelHubClientOptions.maxProcessBytes}: 512 MiB, above the largest Process API answer (2500 ×
 * 2500 px × 13 FLOAT32 bands is 325 MB), far below what a compression bomb would make of memory.
 */
export const DEFAULT_MAX_PROCESS_BYTES = 512 * 1024 * 1024;

/** Default hard cap on pages of one SentinelHub search or listing. */
const DEFAULT_SH_PAGE_LIMIT = 1000;

/** A SPOT search hit of the dataimport API (the fields WorldStrat uses). */
export interface SpotFeature {
  type?: 'Feature';
  geometry:
    | { type: 'Polygon'; coordinates: number[][][] }
    | { type: 'MultiPolygon'; coordinates: number[][][][] };
  properties: {
    id: string;
    acquisitionDate: string;
    cloudCover?: number;
    incidenceAngle?: number;
    azimuthAngle?: number;
    illuminationAzimuthAngle?: number;
    illuminationElevationAngle?: number;
    constellation?: string;
    resolution?: number;
    [k: string]: unknown;
  };
  _links?: Record<string, { href: string }>;
  [k: string]: unknown;
}

/** SPOT search parameters. */
export interface SpotSearchParams {
  bbox: number[];
  from: string;
  to: string;
  maxCloudCoverage?: number;
  maxIncidenceAngle?: number;
}

/** A dataimport order (fields used downstream). */
export interface SentinelHubOrder {
  id: string;
  name: string;
  collectionId?: string;
  status: string;
  created?: string;
  sqkm?: number;
  input?: {
    bounds?: { bbox?: number[]; properties?: { crs?: string } };
    data?: unknown[];
    provider?: string;
  };
  [k: string]: unknown;
}

/** A BYOC collection (SPOT orders are delivered into one). */
export interface ByocCollection {
  id: string;
  name: string;
  s3Bucket?: string;
  [k: string]: unknown;
}

/** A quota entry. */
export interface SentinelHubQuota {
  collectionId: string;
  quotaSqkm: number;
  quotaUsed: number;
  [k: string]: unknown;
}

/** Input of {@link SentinelHubClient.createOrder}. */
export interface SpotOrderInput {
  /** Order name (the AOI name). */
  name: string;
  collectionId: string;
  bbox: number[];
  productIds: string[];
}

/** Result of {@link SentinelHubClient.createOrder} / {@link SentinelHubClient.confirmOrder}. */
export type OrderResult =
  | {
      dryRun: true;
      request: Record<string, unknown>;
      method: 'POST';
      url: string;
      /** Geodesic area of the order bbox in km² (what the order will roughly cost in quota). */
      sqkm?: number;
    }
  | { dryRun: false; order: SentinelHubOrder; recovered: boolean };

/** The origin of a configured URL, or a typed error naming the option. */
function originOf(url: string, option: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.origin;
  } catch {
    // fall through to the typed error
  }
  // redacted as text: a URL that does not parse may still hold `user:password@` or a signature
  throw new EoFetchError(
    'INVALID_ARGUMENT',
    `SentinelHub ${option} must be an http(s) URL, got ${JSON.stringify(redactUrl(url))}`,
  );
}

/** Statuses whose responses carry no body (a Response built with one throws). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * `res` with its delay `Retry-After` turned from milliseconds into seconds. SentinelHub's services send the wait
 * in milliseconds (their rate-limit documentation; sentinelhub-py divides it by 1000), while every reader of the
 * header (the retry loops, the download engine given `sh.fetch`) takes the HTTP unit, seconds: a 2000 ms wait
 * read as 2000 s is refused as `RATE_LIMITED`. An HTTP-date is left as it is.
 */
function retryAfterInSeconds(res: Response): Response {
  const raw = res.headers.get('retry-after')?.trim();
  if (!raw || !/^\d+(\.\d+)?$/.test(raw) || res.status < 200 || res.status > 599) return res;
  const headers = new Headers(res.headers);
  // capped, so the seconds stay a plain decimal (a 1e25 ms wait would print as "1e+22", which no reader takes)
  headers.set('retry-after', String(Math.min(Number(raw), Number.MAX_SAFE_INTEGER) / 1000));
  const out = new Response(NULL_BODY_STATUSES.has(res.status) ? null : res.body, {
    status: res.status,
    statusText: res.statusText,
    headers,
  });
  Object.defineProperty(out, 'url', { value: res.url });
  return out;
}

/** `href` resolved against `base`, or `INVALID_RESPONSE` naming where the link came from. */
function resolveLink(href: string, base: string, where: string): string {
  try {
    return new URL(href, base).toString();
  } catch {
    throw new EoFetchError('INVALID_RESPONSE', `${where} ${quoted(redactUrl(href))} is not a URL`);
  }
}

/** Where an entry of a listing is wrong, or undefined when it is usable. */
type EntryCheck = (entry: Record<string, unknown>) => string | undefined;

const stringMembers =
  (...keys: string[]): EntryCheck =>
  (e) => {
    const k = keys.find((key) => typeof e[key] !== 'string');
    return k && `${k} ${quoted(e[k])} is not a string`;
  };

const isAmount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A dataimport order: string id, name and status, a non-negative `sqkm`, `input.data` a list of products. */
const orderProblem: EntryCheck = (o) => {
  const why = stringMembers('id', 'name', 'status')(o);
  if (why) return why;
  if (o.sqkm !== undefined && o.sqkm !== null && !isAmount(o.sqkm))
    return `sqkm ${quoted(o.sqkm)} is not a non-negative number`;
  const input: unknown = o.input;
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) return 'input is not an object';
  const data: unknown = (input as { data?: unknown }).data;
  if (data === undefined || data === null) return undefined;
  if (!Array.isArray(data)) return 'input.data is not an array';
  for (const [i, d] of data.entries()) {
    if (!d || typeof d !== 'object') return `input.data[${i}] is not an object`;
    const products: unknown = (d as { products?: unknown }).products;
    if (products === undefined || products === null) continue;
    if (!Array.isArray(products)) return `input.data[${i}].products is not an array`;
    const j = products.findIndex((p) => !p || typeof p !== 'object' || typeof p.id !== 'string');
    if (j >= 0) return `input.data[${i}].products[${j}] has no string id`;
  }
  return undefined;
};

/** A quota: string `collectionId`, non-negative `quotaSqkm` and `quotaUsed`. */
const quotaProblem: EntryCheck = (q) => {
  const why = stringMembers('collectionId')(q);
  if (why) return why;
  const k = (['quotaSqkm', 'quotaUsed'] as const).find((key) => !isAmount(q[key]));
  return k && `${k} ${quoted(q[k])} is not a non-negative number`;
};

/** `doc` as an entry that passes `check`, or `INVALID_RESPONSE` naming `where` and the member. */
function checkedEntry<T>(doc: unknown, check: EntryCheck, where: string): T {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new EoFetchError('INVALID_RESPONSE', `${where} is not an object`);
  const why = check(doc as Record<string, unknown>);
  if (why) throw new EoFetchError('INVALID_RESPONSE', `${where}: ${why}`);
  return doc as T;
}

/** Largest token response read (an OAuth token answer is a few kilobytes). */
const MAX_TOKEN_BYTES = 1024 * 1024;
/** Longest token lifetime believed, in seconds (SentinelHub issues tokens for an hour). */
const MAX_TOKEN_LIFETIME_S = 366 * 24 * 3600;

/** JSON of a body already read, or `INVALID_RESPONSE` that quotes none of it (a token answer holds secrets). */
function parseJsonText(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EoFetchError('INVALID_RESPONSE', `token endpoint ${redactUrl(url)} did not answer JSON`);
  }
}

/**
 * The access token and its expiry from an OAuth token answer: `access_token` a non-empty string, `expires_in`
 * (seconds) or `expires_at` (epoch seconds) positive finite numbers when given; the token never in a message.
 */
function tokenOf(res: unknown, url: string, now: number): { value: string; expiresAt: number } {
  const bad = (why: string) =>
    new EoFetchError('INVALID_RESPONSE', `token endpoint ${redactUrl(url)} answered ${why}`);
  if (!res || typeof res !== 'object' || Array.isArray(res)) throw bad('something that is not a JSON object');
  const {
    access_token: value,
    expires_in: expiresIn,
    expires_at: expiresAt,
  } = res as Record<string, unknown>;
  // a bearer token is visible ASCII (RFC 6750's b64token and the JWTs issued): anything else cannot be sent in a
  // header, and fetch's refusal would be retried as a network failure
  if (typeof value !== 'string' || value === '' || value.length > 64 * 1024 || !/^[\x21-\x7e]+$/.test(value))
    throw bad(`no usable access_token (a ${Array.isArray(value) ? 'array' : typeof value})`);
  if (expiresAt !== undefined && expiresAt !== null) {
    if (typeof expiresAt !== 'number' || !(expiresAt > 0 && expiresAt * 1000 <= 8.64e15))
      throw bad(`expires_at ${quoted(expiresAt)}, not epoch seconds`);
    // an expiry already past is no lifetime: caching it would fetch a new token for every call
    if (expiresAt * 1000 <= now)
      throw bad(
        `expires_at ${quoted(expiresAt)}, already past (now ${Math.floor(now / 1000)}): no lifetime left`,
      );
    return { value, expiresAt: expiresAt * 1000 };
  }
  if (expiresIn === undefined || expiresIn === null) return { value, expiresAt: now + 3600_000 };
  if (typeof expiresIn !== 'number' || !(expiresIn > 0 && expiresIn <= MAX_TOKEN_LIFETIME_S))
    throw bad(`expires_in ${quoted(expiresIn)}, not a lifetime in seconds`);
  return { value, expiresAt: now + expiresIn * 1000 };
}

/**
 * A SentinelHub API client.
 *
 * @example
 * ```ts
 * const sh = new SentinelHubClient(await loadSentinelHubCredentials());
 * for await (const item of sh.catalogSearch({ collections: ['sentinel-2-l2a'], bbox, datetime: '2021-01-01T00:00:00Z/..',
 *   filter: 'eo:cloud_cover < 100', limit: 100 })) console.log(item.id);
 * ```
 */
export class SentinelHubClient {
  readonly baseUrl: string;
  readonly tokenUrl: string;
  #creds: SentinelHubCredentials;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: SharedRequest<string> | undefined;
  #opts: SentinelHubClientOptions;
  /** Token requests made (diagnostics). */
  tokenRequests = 0;

  /**
   * @param credentials - client id and secret (see `loadSentinelHubCredentials`)
   * @param options - base URL, token URL, fetch, retry policy
   * @throws {@link EoFetchError} `MISSING_CREDENTIALS` when either value is empty
   */
  constructor(credentials: SentinelHubCredentials, options: SentinelHubClientOptions = {}) {
    if (!credentials?.clientId || !credentials?.clientSecret)
      throw new EoFetchError(
        'MISSING_CREDENTIALS',
        'SentinelHub client id and secret are required; set SH_CLIENT_ID and SH_CLIENT_SECRET or use a config file',
      );
    const fn = 'SentinelHubClient';
    checkOptions(fn, options);
    for (const k of ['baseUrl', 'tokenUrl'] as const) checkString(fn, `options.${k}`, options[k], true);
    checkNumber(fn, 'options.refreshMarginMs', options.refreshMarginMs, { optional: true });
    checkNumber(fn, 'options.maxProcessBytes', options.maxProcessBytes, { optional: true, min: 0 });
    for (const k of ['fetch', 'now'] as const) checkFunction(fn, `options.${k}`, options[k], true);
    checkRetryPolicy(fn, 'options.retry', options.retry);
    this.#creds = { ...credentials };
    this.#opts = options;
    checkString(fn, 'credentials.baseUrl', credentials.baseUrl, true);
    checkString(fn, 'credentials.tokenUrl', credentials.tokenUrl, true);
    // endpoints loaded with the credentials (a sentinelhub-py profile of another deployment, e.g. Copernicus Data
    // Space) are where that secret belongs: it never goes to the default service's token endpoint instead
    this.baseUrl = withoutTrailingSlashes(
      options.baseUrl ?? credentials.baseUrl ?? 'https://services.sentinel-hub.com',
    );
    this.tokenUrl = options.tokenUrl ?? credentials.tokenUrl ?? `${this.baseUrl}/oauth/token`;
    this.#origin = originOf(this.baseUrl, 'baseUrl');
    const tokenOrigin = originOf(this.tokenUrl, 'tokenUrl');
    // the token request's body holds the secret and fetch refuses userinfo: a URL with one can never work
    if (splitUrlCredentials(this.tokenUrl).authorization !== undefined)
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `SentinelHub tokenUrl ${JSON.stringify(redactUrl(this.tokenUrl))} carries user:password@; the client id and secret go in the request body, so remove the userinfo`,
      );
    this.#serviceOrigins = new Set([this.#origin, tokenOrigin]);
    if (options.pageLimit !== undefined && !(Number.isInteger(options.pageLimit) && options.pageLimit > 0))
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `pageLimit must be a positive integer, got ${options.pageLimit}`,
      );
  }

  #origin: string;
  /** Origins of the service and its token endpoint: their Retry-After is in milliseconds. */
  #serviceOrigins: ReadonlySet<string>;

  /** The underlying fetch, with the service's millisecond Retry-After read as the HTTP unit (seconds). */
  readonly #send: FetchLike = async (url, init) => {
    const doFetch = this.#opts.fetch ?? ((u: string, i?: RequestInit) => fetch(u, i));
    const res = await doFetch(url, init);
    let origin: string | undefined;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = undefined;
    }
    return origin !== undefined && this.#serviceOrigins.has(origin) ? retryAfterInSeconds(res) : res;
  };

  /** Throws `CREDENTIAL_SCOPE` unless `url` is on the service's origin (the only one the token is for). */
  #assertOwnOrigin(url: string, what: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `${what}: ${JSON.stringify(redactUrl(url))} is not an absolute URL`,
      );
    }
    if (origin !== this.#origin)
      throw new EoFetchError(
        'CREDENTIAL_SCOPE',
        `${what}: ${origin} is not the SentinelHub service origin ${this.#origin}; the access token is only sent there`,
      );
  }

  /** Counts pages of one listing; throws `PAGE_LIMIT` past the cap and `PAGING_LOOP` on a repeated key. */
  #pageGuard(what: string): (key: string) => void {
    const limit = this.#opts.pageLimit ?? DEFAULT_SH_PAGE_LIMIT;
    const seen = new Set<string>();
    return (key) => {
      if (seen.has(key))
        throw new EoFetchError(
          'PAGING_LOOP',
          `${what}: the server repeated a page already read after ${seen.size} pages`,
        );
      if (seen.size >= limit)
        throw new EoFetchError(
          'PAGE_LIMIT',
          `${what} still had more pages after ${limit} requests; pass maxItems or raise pageLimit`,
        );
      seen.add(key);
    };
  }

  /** Never reveal the credentials through JSON.stringify: URLs redacted (userinfo, token-like query values). */
  toJSON(): Record<string, unknown> {
    return { baseUrl: redactUrl(this.baseUrl), tokenUrl: redactUrl(this.tokenUrl), clientId: '***' };
  }

  /** What `util.inspect` (console.log) shows: the redacted {@link toJSON} view, not the URLs as configured. */
  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return { ...this.toJSON(), tokenRequests: this.tokenRequests };
  }

  /** Tokens this client was issued (the last few), so an echo of a replaced token is scrubbed too. */
  #issued: string[] = [];

  private get secrets(): string[] {
    return [this.#creds.clientSecret, this.#creds.clientId, ...this.#issued];
  }

  private now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /**
   * A valid access token: the cached one, or a new one when it is missing or about to expire.
   *
   * @param signal - abort signal
   * @returns the bearer token
   * @throws {@link HttpError} `AUTH_FAILED` when the token endpoint rejects the credentials (message scrubbed)
   */
  async accessToken(signal?: AbortSignal): Promise<string> {
    const margin = this.#opts.refreshMarginMs ?? 60_000;
    if (this.#token && this.#token.expiresAt - margin > this.now()) return this.#token.value;
    // one request shared by every caller, bounded by the client's own retry policy: tied to the first caller's
    // signal (often one attempt's time limit), its firing would fail every caller as an abort; it stops once
    // every caller has stopped waiting
    let shared = this.#pending;
    if (!shared || shared.abandoned) {
      const mine = new SharedRequest((s) => this.#requestToken(s));
      const done = () => {
        if (this.#pending === mine) this.#pending = undefined;
      };
      mine.promise.then(done, done);
      this.#pending = shared = mine;
    }
    return shared.join(signal);
  }

  /** Fetches a new token (retried per the client's policy) and caches it. */
  #requestToken(signal: AbortSignal): Promise<string> {
    return (async () => {
      const doFetch = this.#send;
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.#creds.clientId,
        client_secret: this.#creds.clientSecret,
      }).toString();
      try {
        const res = await withRetry(
          async (s) => {
            this.tokenRequests++;
            // the body holds the client secret: never re-sent to another origin by a redirect
            const r = await fetchWithGuardedRedirects(
              doFetch,
              this.tokenUrl,
              {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
                body,
                signal: s,
              },
              { secretBody: true, what: 'SentinelHub token request', fail: redirectFailure },
            );
            if (!r.ok) {
              const e = await httpErrorFromResponse(r, this.tokenUrl, this.secrets);
              throw r.status === 400 || r.status === 401 || r.status === 403
                ? new HttpError(
                    e.url,
                    e.status,
                    `SentinelHub token request refused (HTTP ${r.status}); check the client id/secret (${e.message})`,
                    { code: 'AUTH_FAILED' },
                  )
                : e;
            }
            return parseJsonText(await readTextBounded(r, this.tokenUrl, MAX_TOKEN_BYTES), this.tokenUrl);
          },
          { policy: { retries: 3, ...this.#opts.retry }, url: this.tokenUrl, signal },
        );
        const token = tokenOf(res, this.tokenUrl, this.now());
        this.#token = token;
        this.#issued = [token.value, ...this.#issued].slice(0, 16);
        return token.value;
      } catch (err) {
        throw this.scrubError(err);
      }
    })();
  }

  /** Forgets the cached token (the next call fetches a new one). */
  invalidateToken(): void {
    this.#token = undefined;
  }

  /** Runs `run`; what it throws is scrubbed of the credentials (a server may echo one in valid JSON). */
  async #scrubbed<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.scrubError(err);
    }
  }

  private scrubError(err: unknown): unknown {
    // stacks too: one already formatted (by an inner layer's scrub) still quotes the raw message
    return scrubErrorChain(err, this.secrets);
  }

  /**
   * A `fetch` that adds the bearer token and, on HTTP 401, fetches a new token and retries once. Pass it to
   * the download engine (`downloadAll(jobs, { fetch: sh.fetch })`) or a {@link StacClient}. Only URLs on the
   * service origin (`baseUrl`) are accepted: any other throws `CREDENTIAL_SCOPE` before a byte is sent.
   */
  readonly fetch: FetchLike = async (url, init = {}) => {
    this.#assertOwnOrigin(url, 'SentinelHub request');
    // every form of RequestInit headers (a Headers instance, pairs, a record) is kept
    const own = headersRecord(init.headers, 'SentinelHubClient.fetch', 'init.headers');
    // the bearer token (and any caller header) stays on the service origin through redirects
    const send = async () =>
      fetchWithGuardedRedirects(
        this.#send,
        url,
        {
          ...init,
          headers: {
            ...withoutHeader(own, 'authorization'),
            authorization: `Bearer ${await this.accessToken(init.signal ?? undefined)}`,
          },
        },
        { fail: redirectFailure },
      );
    let res = await send();
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      this.invalidateToken();
      res = await send();
    }
    return res;
  };

  /** `retry` overrides fields of the client's policy (orders send once), never the rest (the caller's timeout). */
  private json<T>(
    path: string,
    init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
    signal?: AbortSignal,
    retry?: Partial<RetryPolicy>,
  ): Promise<T> {
    const url = /^https?:/.test(path) ? path : `${this.baseUrl}${path}`;
    return requestJson<T>(url, init, {
      fetch: this.fetch,
      retry: { ...this.#opts.retry, ...retry },
      signal,
      redact: this.secrets,
    }).catch((e) => {
      throw this.scrubError(e);
    });
  }

  /**
   * Catalog API search (STAC) over `/api/v1/catalog/1.0.0/search`, paging with `context.next`.
   *
   * @param params - STAC search parameters (collections `sentinel-2-l2a`/`sentinel-2-l1c`, bbox, datetime, filter, fields)
   * @param options - maxItems, signal
   * @returns an async iterable of items
   */
  async *catalogSearch(params: StacSearchParams, options: StacSearchOptions = {}): AsyncGenerator<StacItem> {
    const stac = new StacClient(`${this.baseUrl}/api/v1/catalog/1.0.0/`, {
      fetch: this.fetch,
      retry: this.#opts.retry,
      offOriginLinks: 'refuse',
      onMissingConformance: 'ignore',
      pageLimit: this.#opts.pageLimit ?? DEFAULT_SH_PAGE_LIMIT,
    });
    try {
      // the catalogue's client never sees the bearer token (this.fetch adds it): scrub the reports here
      const report = options.onInvalidItem;
      yield* stac.items(
        { limit: 100, ...params },
        {
          ...options,
          method: 'POST',
          ...(report ? { onInvalidItem: (bad) => report(scrubbedInvalidItem(bad, this.secrets)) } : {}),
        },
      );
    } catch (err) {
      throw this.scrubError(err);
    }
  }

  /**
   * SPOT search through the dataimport API (provider AIRBUS), following `links.next` (POST of the same body).
   *
   * @param params - bbox, time range, cloud and incidence limits
   * @param options - maxItems, signal
   * @returns an async iterable of SPOT features
   */
  async *spotSearch(
    params: SpotSearchParams,
    options: { maxItems?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<SpotFeature> {
    const body = {
      provider: 'AIRBUS',
      bounds: { bbox: params.bbox },
      data: [
        {
          constellation: 'SPOT',
          dataFilter: {
            maxCloudCoverage: params.maxCloudCoverage ?? 100,
            maxIncidenceAngle: params.maxIncidenceAngle ?? 90,
            timeRange: { from: params.from, to: params.to },
          },
        },
      ],
    };
    let url: string | undefined = `${this.baseUrl}/api/v1/dataimport/search`;
    const visit = this.#pageGuard('SentinelHub dataimport search');
    let n = 0;
    while (url) {
      this.#assertOwnOrigin(url, 'dataimport search next link');
      visit(url);
      const page: { features?: SpotFeature[]; links?: { next?: string } } = await this.json(
        url,
        { method: 'POST', body },
        options.signal,
      );
      const at: string = `dataimport search ${redactUrl(url)}`;
      if (page?.features !== undefined && !Array.isArray(page.features))
        throw new EoFetchError('INVALID_RESPONSE', `${at}: features is not an array`);
      for (const [i, f] of (page?.features ?? []).entries()) {
        if (options.maxItems !== undefined && n >= options.maxItems) return;
        if (!f || typeof f !== 'object' || Array.isArray(f))
          throw new EoFetchError('INVALID_RESPONSE', `${at}: features[${i}] is not an object`);
        n++;
        yield f;
      }
      if (!page?.features?.length) return;
      const links: unknown = page.links;
      const next: unknown =
        links && typeof links === 'object' ? (links as { next?: unknown }).next : undefined;
      if (next !== undefined && next !== null && typeof next !== 'string')
        throw new EoFetchError('INVALID_RESPONSE', `${at}: links.next is not a URL string`);
      url = next ? resolveLink(next, url, `${at}: links.next`) : undefined;
    }
  }

  /**
   * One Process API request returning an image.
   *
   * @param request - the request body (see `s2ProcessRequest`, `spotProcessRequest`)
   * @param options - signal, accepted content type (default `image/tiff`), `maxBytes` (default the client's
   *   `maxProcessBytes`)
   * @returns the response bytes
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when the answer is not the requested type (its body is quoted),
   *   `RESPONSE_TOO_LARGE` when it is over `maxBytes` (counted decoded)
   */
  async process(
    request: ProcessRequest,
    options: { signal?: AbortSignal; accept?: string; maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    checkNumber('SentinelHubClient.process', 'options.maxBytes', options?.maxBytes, {
      optional: true,
      min: 0,
    });
    const accept = options.accept ?? 'image/tiff';
    const maxBytes = options.maxBytes ?? this.#opts.maxProcessBytes ?? DEFAULT_MAX_PROCESS_BYTES;
    const url = `${this.baseUrl}/api/v1/process`;
    try {
      return await withRetry(
        async (signal) => {
          const res = await this.fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept },
            body: JSON.stringify(request),
            signal,
          });
          if (!res.ok) throw await httpErrorFromResponse(res, url, this.secrets);
          const type = res.headers.get('content-type') ?? '';
          // bounded: a hostile or broken answer (an endless body, a gzip bomb) must not exhaust memory
          const bytes = await readBytesBounded(res, url, maxBytes);
          if (!type.startsWith(accept))
            throw new EoFetchError(
              'INVALID_RESPONSE',
              `Process API answered ${type || 'no content type'} instead of ${accept}: ${new TextDecoder().decode(bytes.subarray(0, 300))}`,
            );
          return bytes;
        },
        { policy: this.#opts.retry, signal: options.signal, url },
      );
    } catch (err) {
      throw this.scrubError(err);
    }
  }

  /** Every page of a SentinelHub list endpoint (`count` 100, `links.nextToken` → `viewtoken`, stops on a repeat). */
  async #allPages<T>(
    path: string,
    params: Record<string, string>,
    check: EntryCheck,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const out: T[] = [];
    let viewtoken: string | undefined;
    const visit = this.#pageGuard(`SentinelHub listing ${path}`);
    do {
      visit(viewtoken ?? '');
      const q = new URLSearchParams({ count: '100', ...params });
      if (viewtoken) q.set('viewtoken', viewtoken);
      const page: { data?: T[]; links?: { nextToken?: string } } = await this.json(
        `${path}?${q}`,
        {},
        signal,
      );
      // a page without its list is no evidence of "nothing there": createOrder would order again on it
      if (!Array.isArray(page?.data))
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `SentinelHub listing ${path}: data is ${page?.data === undefined ? 'missing' : 'not an array'}`,
        );
      for (const [i, entry] of page.data.entries())
        out.push(checkedEntry<T>(entry, check, `SentinelHub listing ${path} data[${i}]`));
      const links: unknown = page?.links;
      const next: unknown =
        links && typeof links === 'object' ? (links as { nextToken?: unknown }).nextToken : undefined;
      if (next !== undefined && next !== null && typeof next !== 'string')
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `SentinelHub listing ${path}: links.nextToken is not a string`,
        );
      viewtoken = next || undefined;
    } while (viewtoken);
    return out;
  }

  /**
   * BYOC collections of the account (all pages, `links.nextToken` → `viewtoken`).
   *
   * @param signal - abort signal
   * @returns collections (`id`, `name`, `s3Bucket`, ...)
   */
  async byocCollections(signal?: AbortSignal): Promise<ByocCollection[]> {
    return this.#scrubbed(async () => {
      return this.#allPages<ByocCollection>(
        '/api/v1/byoc/collections',
        {},
        stringMembers('id', 'name'),
        signal,
      );
    });
  }

  /**
   * The BYOC collection named `name`, created (bucket `sh.tpdi.byoc.eu-central-1`, where SPOT orders are
   * delivered) when missing and `dryRun` is false (default true: report that it would be created).
   *
   * @param name - collection name
   * @param options - `dryRun` (default true), signal
   * @returns the existing or created collection, or `{ dryRun: true, request }`
   */
  async ensureByocCollection(
    name: string,
    options: { dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<ByocCollection | { dryRun: true; request: Record<string, unknown> }> {
    return this.#scrubbed(async () => {
      const existing = (await this.byocCollections(options.signal)).find((c) => c.name === name);
      if (existing) return existing;
      const request = { name, s3Bucket: 'sh.tpdi.byoc.eu-central-1' };
      if (options.dryRun ?? true) return { dryRun: true, request };
      const res = await this.json<{ data?: ByocCollection } & Partial<ByocCollection>>(
        '/api/v1/byoc/collections',
        { method: 'POST', body: request },
        options.signal,
        { retries: 0 },
      );
      return checkedEntry(
        res?.data ?? res,
        stringMembers('id', 'name'),
        'SentinelHub BYOC collection created',
      );
    });
  }

  /** Dataimport quotas (`GET /api/v1/dataimport/quotas`). @returns quota entries */
  async quotas(signal?: AbortSignal): Promise<SentinelHubQuota[]> {
    return this.#scrubbed(async () => {
      const res = await this.json<{ data?: unknown }>('/api/v1/dataimport/quotas', {}, signal);
      const data = res?.data;
      if (!Array.isArray(data))
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `SentinelHub quotas: data is ${data === undefined ? 'missing' : 'not an array'}`,
        );
      return data.map((q, i) =>
        checkedEntry<SentinelHubQuota>(q, quotaProblem, `SentinelHub quotas data[${i}]`),
      );
    });
  }

  /**
   * One order.
   *
   * @param id - order id
   * @returns the order
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when the answer is not an order (string id, name, status)
   */
  async order(id: string, signal?: AbortSignal): Promise<SentinelHubOrder> {
    return this.#scrubbed(async () => {
      const path = `/api/v1/dataimport/orders/${encodeURIComponent(id)}`;
      return checkedEntry(await this.json(path, {}, signal), orderProblem, `SentinelHub order ${path}`);
    });
  }

  /**
   * Lists orders (all pages, `links.nextToken` → `viewtoken`), keeping the status filter on every page.
   *
   * @param filter - collection id and/or status
   * @returns the orders
   */
  async listOrders(
    filter: { collectionId?: string; status?: string } = {},
    signal?: AbortSignal,
  ): Promise<SentinelHubOrder[]> {
    return this.#scrubbed(async () => {
      const params: Record<string, string> = {};
      if (filter.collectionId) params.collectionId = filter.collectionId;
      if (filter.status) params.status = filter.status;
      return this.#allPages<SentinelHubOrder>('/api/v1/dataimport/orders', params, orderProblem, signal);
    });
  }

  /**
   * Creates a SPOT order — a paid operation. Dry run by default (returns the request without sending it).
   * With `dryRun: false` the POST is sent once; if it fails without a clear answer (timeout, reset, 5xx), the
   * orders of the collection are listed and an order with the same name and products is returned
   * (`recovered: true`) instead of creating a duplicate. Only when none exists is creation tried again
   * (at most `retries` times, default 1).
   *
   * @param input - name, collection, bbox, product ids
   * @param options - `dryRun` (default true), `retries`, signal
   * @returns the dry-run request, or the created/recovered order
   * @throws {@link EoFetchError} `ORDER_FAILED` (HTTP 400 with SentinelHub's message), HTTP errors
   */
  async createOrder(
    input: SpotOrderInput,
    options: { dryRun?: boolean; retries?: number; signal?: AbortSignal } = {},
  ): Promise<OrderResult> {
    return this.#scrubbed(async () => {
      const url = `${this.baseUrl}/api/v1/dataimport/orders`;
      const request = {
        name: input.name,
        collectionId: input.collectionId,
        input: {
          provider: 'AIRBUS',
          bounds: { bbox: input.bbox, properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/4326' } },
          data: [{ constellation: 'SPOT', products: input.productIds.map((id) => ({ id })) }],
        },
      };
      if (options.dryRun ?? true) {
        const sqkm = bboxAreaKm2(input.bbox);
        return { dryRun: true, request, method: 'POST', url, sqkm };
      }
      const sameProducts = (o: SentinelHubOrder) => {
        const products =
          (o.input?.data as { products?: { id: string }[] }[] | undefined)?.flatMap(
            (d) => d.products ?? [],
          ) ?? [];
        return products.length === 0 || input.productIds.every((id) => products.some((p) => p.id === id));
      };
      for (let attempt = 0; ; attempt++) {
        let answer: unknown;
        try {
          answer = await this.json(url, { method: 'POST', body: request }, options.signal, { retries: 0 });
        } catch (err) {
          if (
            err instanceof HttpError &&
            err.status >= 400 &&
            err.status < 500 &&
            err.status !== 408 &&
            err.status !== 429
          )
            throw new EoFetchError(
              'ORDER_FAILED',
              `SentinelHub refused order ${input.name}: ${err.message}`,
              {
                cause: err,
              },
            );
          if ((err as EoFetchError).code === 'ABORTED') throw err;
          // the order may exist although the answer was lost: look before trying again
          const existing = (await this.#ordersAfterLostAnswer(input, err, options.signal)).find(
            (o) => o.name === input.name && sameProducts(o),
          );
          if (existing) return { dryRun: false, order: existing, recovered: true };
          if (attempt >= (options.retries ?? 1)) throw err;
          continue;
        }
        // the order exists once the server answered: a malformed answer is reported, never a reason to order again
        const order = checkedEntry<SentinelHubOrder>(
          answer,
          orderProblem,
          `SentinelHub order created at ${url}`,
        );
        return { dryRun: false, order, recovered: false };
      }
    });
  }

  /**
   * The collection's orders after a creation whose answer was lost. A listing that cannot be read keeps its code
   * but says the order may exist, so nobody retries the paid POST blindly.
   */
  async #ordersAfterLostAnswer(
    input: SpotOrderInput,
    lost: unknown,
    signal?: AbortSignal,
  ): Promise<SentinelHubOrder[]> {
    try {
      return await this.listOrders({ collectionId: input.collectionId }, signal);
    } catch (err) {
      if (!(err instanceof EoFetchError) || err.code === 'ABORTED') throw err;
      throw new EoFetchError(
        err.code,
        `order ${input.name} may have been created (its answer was lost: ${(lost as Error)?.message}) and the orders could not be listed to check: ${err.message}; look before ordering again`,
        { cause: err },
      );
    }
  }

  /**
   * Confirms an order — spends quota. Without `confirm: true` nothing is sent (dry run). A failed confirmation
   * is not re-sent blindly: the order's status is read, and a RUNNING/DONE order counts as confirmed.
   *
   * @param id - order id
   * @param options - `confirm: true` to really confirm
   * @returns the dry-run request or the confirmed order
   */
  async confirmOrder(
    id: string,
    options: { confirm?: boolean; signal?: AbortSignal } = {},
  ): Promise<OrderResult> {
    return this.#scrubbed(async () => {
      const url = `${this.baseUrl}/api/v1/dataimport/orders/${encodeURIComponent(id)}/confirm`;
      if (!options.confirm) return { dryRun: true, request: {}, method: 'POST', url };
      try {
        const answer = await this.json(url, { method: 'POST' }, options.signal, { retries: 0 });
        const order = checkedEntry<SentinelHubOrder>(
          answer,
          orderProblem,
          `SentinelHub order confirmed at ${url}`,
        );
        return { dryRun: false, order, recovered: false };
      } catch (err) {
        if (err instanceof HttpError && err.status >= 400 && err.status < 500)
          throw new EoFetchError(
            'ORDER_NOT_CONFIRMED',
            `order ${id} could not be confirmed: ${err.message}`,
            {
              cause: err,
            },
          );
        const order = await this.order(id, options.signal);
        if (order.status === 'RUNNING' || order.status === 'DONE')
          return { dryRun: false, order, recovered: true };
        throw new EoFetchError(
          'ORDER_NOT_CONFIRMED',
          `order ${id} is ${order.status} after a failed confirmation; check it before confirming again`,
          {
            cause: err,
          },
        );
      }
    });
  }
}
