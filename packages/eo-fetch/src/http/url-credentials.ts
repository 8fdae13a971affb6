// Credentials written into a URL (`https://user:pass@host/…`): fetch refuses such URLs, and files we write must
// not record them, so they are split off once here and sent as HTTP Basic auth by whoever owns that origin.

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
 * @example
 * ```ts
 * splitUrlCredentials('https://me:s3cret@host/data/');
 * // { url: 'https://host/data/', authorization: 'Basic bWU6czNjcmV0' }
 * ```
 */
export function splitUrlCredentials(url: string): UrlCredentials {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const authorization = `Basic ${base64Utf8(`${decodeLenient(parsed.username)}:${decodeLenient(parsed.password)}`)}`;
  return { url: url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1'), authorization };
}
