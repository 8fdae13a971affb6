// Credentials written into a URL (`https://user:pass@host/…`): raster-io owns how they are split off and listed for
// scrubbing; here they become the `Authorization` header of a request to their own origin.

import {
  splitUrlCredentials as splitUrlCredentialsOf,
  type UrlCredentials,
  urlSecrets as urlSecretsOf,
} from '@worldstrat/raster-io';
import { checkString } from '../internal/check-arguments.js';

export type { UrlCredentials };

/**
 * Split the userinfo off `url` (raster-io's rule). Text that does not parse as a URL is returned unchanged.
 *
 * @param url - a URL, possibly with `user:password@`.
 * @returns the URL without userinfo and the matching Basic authorization value.
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when `url` is not a string
 * @example
 * ```ts
 * splitUrlCredentials('https://me:s3cret@host/data/');
 * // { url: 'https://host/data/', authorization: 'Basic bWU6czNjcmV0' }
 * ```
 */
export function splitUrlCredentials(url: string): UrlCredentials {
  checkString('splitUrlCredentials', 'url', url);
  return splitUrlCredentialsOf(url);
}

/**
 * Every form in which a server may echo the credentials of `url` (raster-io's rule): the password as written and
 * decoded, the base64 token of its Basic header value, and signed-URL query tokens. A caller that sends a URL's
 * credentials itself passes these to `scrub` / the `redact` option.
 *
 * @param url - a URL
 * @returns the secrets (no empty strings)
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when `url` is not a string
 * @example
 * ```ts
 * urlSecrets('https://me:s3cret@host/data/'); // ['s3cret', 'bWU6czNjcmV0']
 * ```
 */
export function urlSecrets(url: string): string[] {
  checkString('urlSecrets', 'url', url);
  return urlSecretsOf(url);
}

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
