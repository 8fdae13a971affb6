// Credentials written into a URL (`https://user:pass@host/…`): fetch refuses such URLs, and files and messages must
// not record them, so they are split off here (to be sent as HTTP Basic auth to that origin only), and every form in
// which a server may echo them is listed for scrubbing. One owner of the rule for raster-io and the packages above.

import { checkString } from './check-args.js';
import { LEADING_USERINFO, redactUrl } from './redact-url.js';

/** A URL without its userinfo, and the Basic `Authorization` value its userinfo stood for (if any). */
export interface UrlCredentials {
  url: string;
  /** `Basic <base64(user:password)>`, or undefined when the URL had no userinfo. */
  authorization?: string;
}

/** Percent-decoding that keeps malformed escapes as written instead of throwing a URIError. */
function decodeLenient(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** base64 of the UTF-8 bytes of `s` (browser-safe: no Buffer). */
function base64Utf8(s: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(s)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Split the userinfo off `url`. Text that does not parse as a URL is returned unchanged.
 *
 * @param url - a URL, possibly with `user:password@`.
 * @returns the URL without userinfo and the matching Basic authorization value.
 * @throws RasterIoError `INVALID_ARGUMENT` when `url` is not a string.
 * @example
 * ```ts
 * splitUrlCredentials('https://me:s3cret@host/data/');
 * // { url: 'https://host/data/', authorization: 'Basic bWU6czNjcmV0' }
 * ```
 */
export function splitUrlCredentials(url: string): UrlCredentials {
  checkString('splitUrlCredentials', 'url', url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const authorization = `Basic ${base64Utf8(`${decodeLenient(parsed.username)}:${decodeLenient(parsed.password)}`)}`;
  return { url: withoutUserinfo(url), authorization };
}

/**
 * `url` without `user:password@`; the host follows the LAST `@` of the authority, and the authority ends at a
 * backslash too, as the URL parser reads it (`https://u:p@a\\b@c` is host a: cutting to the last `@` would send
 * the credentials to c).
 */
function withoutUserinfo(url: string): string {
  return url.replace(LEADING_USERINFO, '$1');
}

/**
 * Every form in which a server may echo the credentials of `url`: the password as written and decoded, the
 * base64 token of the `Basic` header value its userinfo becomes, and the values of query parameters that
 * {@link redactUrl} masks (signed-URL tokens), raw and decoded. Text that does not parse as a URL carries none.
 * A caller that sends a URL's credentials itself (e.g. through its own `fetch`, after {@link splitUrlCredentials})
 * passes these to `scrub` / the `redact` option, which also match their percent-, form- and JSON-encoded spellings.
 *
 * @param url - a URL
 * @returns the secrets (no empty strings)
 * @throws RasterIoError `INVALID_ARGUMENT` when `url` is not a string
 * @example
 * ```ts
 * urlSecrets('https://me:s3cret@host/data/');
 * // ['s3cret', 'bWU6czNjcmV0']
 * ```
 */
export function urlSecrets(url: string): string[] {
  checkString('urlSecrets', 'url', url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  // the parser's split, not the first '@': a raw '@' in a password belongs to the password
  if (parsed.username || parsed.password) {
    const pass = parsed.password;
    out.push(pass, decodeLenient(pass), passwordAsWritten(url, parsed));
    // `https://TOKEN@host`: without a password the user name is the credential
    if (!pass) out.push(parsed.username, decodeLenient(parsed.username));
    // the Basic token: masks the header value as `Basic ***` in whatever encoding it is echoed
    out.push(base64Utf8(`${decodeLenient(parsed.username)}:${decodeLenient(pass)}`));
  }
  // the query as written and as the parser re-encodes it (what a server sees and may echo)
  for (const query of [queryOf(url), parsed.search.slice(1)]) out.push(...queryTokens(query));
  return [...new Set(out)].filter((s) => s.length > 0);
}

/** The password exactly as `url` spells it (between the first ':' of the userinfo and its last '@'). */
function passwordAsWritten(url: string, parsed: URL): string {
  const userinfo = LEADING_USERINFO.exec(url)?.[2];
  if (userinfo === undefined || !parsed.password) return '';
  const colon = userinfo.indexOf(':');
  return colon < 0 ? '' : userinfo.slice(colon + 1);
}

/** The query string of `url` as written (without '?' and fragment). */
function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const hash = url.indexOf('#', q);
  return hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash);
}

/** Values of the query parameters whose name {@link redactUrl} treats as a secret, raw and decoded. */
function queryTokens(query: string): string[] {
  const out: string[] = [];
  for (const kv of query ? query.split('&') : []) {
    const eq = kv.indexOf('=');
    const value = eq < 0 ? '' : kv.slice(eq + 1);
    // one rule for what is a secret: the one redactUrl applies
    if (!value || redactUrl(`?${kv}`) === `?${kv}`) continue;
    out.push(value, decodeLenient(value), decodeLenient(value.replace(/\+/g, ' ')));
  }
  return out;
}
