// Credentials written into a URL (`https://user:pass@host/…`): raster-io owns how they are split off and listed for
// scrubbing; here they become the `Authorization` header of a request to their own origin.

import { splitUrlCredentials } from '@worldstrat/raster-io';

export { splitUrlCredentials, type UrlCredentials, urlSecrets } from '@worldstrat/raster-io';

/**
 * `url` without its userinfo, and `headers` with the Basic value that userinfo stood for, unless they already
 * carry an `Authorization` (the caller's own credentials win).
 *
 * @param url - a URL, possibly with `user:password@`
 * @param headers - the request's headers
 * @returns the URL to send and the headers to send with it
 */
export function moveUrlCredentials(
  url: string,
  headers: Record<string, string> = {},
): { url: string; headers: Record<string, string> } {
  const split = splitUrlCredentials(url);
  return { url: split.url, headers: withAuthorization(headers, split.authorization) };
}

/**
 * `headers` with `authorization` added, unless it is undefined or they already carry one (in any letter case).
 *
 * @param headers - the request's headers
 * @param authorization - an `Authorization` value (e.g. from {@link splitUrlCredentials})
 * @returns the headers to send
 */
export function withAuthorization(
  headers: Record<string, string>,
  authorization: string | undefined,
): Record<string, string> {
  const authorized = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return authorization && !authorized ? { authorization, ...headers } : headers;
}
