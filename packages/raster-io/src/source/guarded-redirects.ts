// Redirects of requests that carry credentials. `fetch` follows a redirect to any origin with the request's
// headers (the spec drops only Authorization there: an `x-api-key` goes along) and re-sends the body of a 307/308
// POST (a token request's client secret). Such requests follow redirects here, one hop at a time: on the same
// origin as they were, to another origin without their credential headers, and never with a secret body.
// Browser-safe: a browser hides a redirect's target from script (an opaque redirect), which is then an error.
// Shared by this package's HTTP source and eo-fetch's JSON clients; each turns failures into its own errors.
import { RasterIoError } from '../errors.js';
import { checkOptions, checkString, describeValue } from '../internal/check-args.js';
import { redactUrl, scrubSecrets } from '../internal/redact-url.js';

/** A `fetch`-compatible function. */
type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 10;

/** Headers that carry no credential and may follow a redirect anywhere. */
const PLAIN_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'content-type',
  'if-range',
  'range',
  'user-agent',
]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Why {@link fetchWithGuardedRedirects} stopped: a secret sent off its origin, or a redirect it cannot follow. */
export type GuardedRedirectFailure = 'CREDENTIAL_SCOPE' | 'HTTP_ERROR';

/** How {@link fetchWithGuardedRedirects} treats a request. */
export interface RedirectGuard {
  /** The body holds a secret (a client secret): a redirect to another origin is refused. */
  secretBody?: boolean;
  /** What the request is, for messages. */
  what?: string;
  /** Builds the error thrown for a failure, in the caller's own error class. */
  fail: (code: GuardedRedirectFailure, message: string) => Error;
}

/**
 * The values of the headers that may carry a credential (all but {@link PLAIN_HEADERS}), and of an
 * `Authorization`-style `scheme value` its value alone too: an error page may echo either.
 */
export function credentialHeaderValues(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (PLAIN_HEADERS.has(name.toLowerCase()) || typeof value !== 'string') continue;
    out.push(value);
    const scheme = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value.trim());
    if (scheme?.[1]) out.push(scheme[1]);
  }
  return out;
}

/** True when a request needs {@link fetchWithGuardedRedirects} (credential headers or a secret body). */
function carriesCredentials(headers: Record<string, string>, guard: RedirectGuard): boolean {
  return guard.secretBody === true || Object.keys(headers).some((h) => !PLAIN_HEADERS.has(h.toLowerCase()));
}

/**
 * `fetch` that follows redirects without taking credentials along: a request with headers beyond
 * Accept/Content-Type/User-Agent, or with a secret body, follows at most {@link MAX_REDIRECTS} redirects itself,
 * keeping its headers on its own origin and dropping them on another (where a secret body is refused), also when
 * `redirect: 'follow'` is given. Other requests, and callers that set `redirect` to `'manual'` or `'error'`, are
 * sent as they are.
 *
 * @param doFetch - the fetch to send with.
 * @param url - request URL.
 * @param init - the request (`headers` as a plain object).
 * @param guard - whether the body is secret, what the request is.
 * @returns the final response.
 * @throws what `guard.fail` builds: `CREDENTIAL_SCOPE` for a secret body redirected to another origin; `HTTP_ERROR` for
 *   a redirect without a usable Location, to a non-HTTP URL or one with `user:pw@`, more than {@link MAX_REDIRECTS}
 *   of them, or one a browser hides (an opaque redirect).
 */
export async function fetchWithGuardedRedirects(
  doFetch: FetchLike,
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
  guard: RedirectGuard,
): Promise<Response> {
  if (typeof doFetch !== 'function') invalidArgument('doFetch', doFetch, 'a fetch function');
  checkString('fetchWithGuardedRedirects', 'url', url);
  checkOptions('fetchWithGuardedRedirects', init, 'init');
  if (guard === null || typeof guard !== 'object' || typeof guard.fail !== 'function')
    invalidArgument('guard', guard, 'an object with a fail function');
  const headers = init.headers ?? {};
  // a Headers instance or a list of pairs has no own keys: its credentials would go unguarded to any origin
  const proto = headers === null || typeof headers !== 'object' ? undefined : Object.getPrototypeOf(headers);
  if (proto !== Object.prototype && proto !== null)
    invalidArgument(
      'init.headers',
      headers,
      'a plain object of header names to values (for a Headers instance: Object.fromEntries(headers))',
    );
  // 'follow' is fetch's default written out: it is guarded like the default; 'manual' and 'error' never follow
  const ownRedirects = init.redirect !== undefined && init.redirect !== 'follow';
  if (ownRedirects || !carriesCredentials(headers, guard)) return doFetch(url, init);
  const what = guard.what ?? 'request';
  // a Location may echo a header value: what the messages quote is scrubbed of them
  const secrets = credentialHeaderValues(headers);
  const fail: RedirectGuard['fail'] = (code, message) => guard.fail(code, scrubSecrets(message, secrets));
  const origin = new URL(url).origin;
  let current = url;
  let request: RequestInit & { headers: Record<string, string> } = { ...init, headers, redirect: 'manual' };
  for (let hop = 0; ; hop++) {
    const res = await doFetch(current, request);
    if (res.type === 'opaqueredirect')
      throw fail(
        'HTTP_ERROR',
        `${what}: ${redactUrl(current)} redirected, and this runtime hides where to; requests with credentials only follow redirects they can check: use the final URL`,
      );
    if (!REDIRECT_STATUSES.has(res.status)) return res;
    await res.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS)
      throw fail('HTTP_ERROR', `${what}: more than ${MAX_REDIRECTS} redirects from ${redactUrl(url)}`);
    const next = redirectTarget(res, current, what, fail, secrets);
    const foreign = next.origin !== origin;
    if (foreign && guard.secretBody)
      throw fail(
        'CREDENTIAL_SCOPE',
        `${what}: ${redactUrl(current)} redirected to another origin (${next.origin}); refusing to send credentials there`,
      );
    request = nextRequest(request, res.status, foreign ? plainHeaders(request.headers) : request.headers);
    current = next.href;
  }
}

/** The absolute URL a redirect points at. */
function redirectTarget(
  res: Response,
  from: string,
  what: string,
  fail: RedirectGuard['fail'],
  secrets: readonly string[],
): URL {
  const location = res.headers.get('location');
  let next: URL | undefined;
  try {
    next = location ? new URL(location, from) : undefined;
  } catch {
    next = undefined;
  }
  if (!next || (next.protocol !== 'https:' && next.protocol !== 'http:'))
    throw fail(
      'HTTP_ERROR',
      `${what}: HTTP ${res.status} from ${redactUrl(from)} without a usable http(s) Location (${JSON.stringify(location === null ? null : scrubSecrets(redactUrl(location), secrets).slice(0, 80))})`,
    );
  // fetch refuses a URL with `user:pw@` (and would quote it whole in its error)
  if (next.username || next.password)
    throw fail(
      'HTTP_ERROR',
      `${what}: HTTP ${res.status} from ${redactUrl(from)} redirects to a URL with credentials in it (${redactUrl(next.href)}); not followed`,
    );
  return next;
}

/** The request of the next hop: 303 (and 301/302 of a POST) become a GET without body, as browsers do. */
function nextRequest(
  req: RequestInit & { headers: Record<string, string> },
  status: number,
  headers: Record<string, string>,
): RequestInit & { headers: Record<string, string> } {
  const method = (req.method ?? 'GET').toUpperCase();
  const toGet =
    (status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST');
  if (!toGet) return { ...req, headers };
  const { body: _body, ...rest } = req;
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([h]) => h.toLowerCase() !== 'content-type'),
  );
  return { ...rest, method: 'GET', headers: kept };
}

function plainHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([h]) => PLAIN_HEADERS.has(h.toLowerCase())));
}

function invalidArgument(name: string, value: unknown, expected: string): never {
  throw new RasterIoError(
    'INVALID_ARGUMENT',
    `fetchWithGuardedRedirects: ${name} must be ${expected}, got ${describeValue(value)}`,
  );
}
