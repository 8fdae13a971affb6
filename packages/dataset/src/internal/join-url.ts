// Joining file names onto a base URL that may carry a query: a mirror's `?token=…` or a Zenodo share link's
// `?token=…` belongs to every request, so names go onto the path and the base's query is kept.
import { withoutTrailingSlashes } from '@worldstrat/core';

/**
 * `base` with `segments` appended to its path (each percent-encoded, after the base's trailing slashes) and
 * `params` added to its query. The base's own query parameters are kept as they are written (a signature must
 * not be re-encoded); a parameter the base already has is not added twice. The fragment is dropped, userinfo
 * is kept (callers move it to a header).
 *
 * @param base - an absolute http(s) URL (checked by the caller).
 * @param segments - path segments to append, e.g. `['files', 'metadata.csv']`.
 * @param params - query parameters to add, e.g. `{ download: '1' }`.
 * @returns the joined URL.
 * @example
 * ```ts
 * joinUrlPath('http://h/mirror?token=X', ['metadata.csv'], { download: '1' });
 * // 'http://h/mirror/metadata.csv?token=X&download=1'
 * ```
 */
export function joinUrlPath(
  base: string,
  segments: readonly string[],
  params: Readonly<Record<string, string>> = {},
): string {
  const u = new URL(base);
  u.pathname = `${withoutTrailingSlashes(u.pathname)}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`;
  const own = new URLSearchParams(u.search);
  const added = Object.entries(params)
    .filter(([k]) => !own.has(k))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  const query = [u.search.slice(1), ...added].filter((q) => q !== '').join('&');
  u.search = query === '' ? '' : `?${query}`;
  u.hash = '';
  return u.href;
}
