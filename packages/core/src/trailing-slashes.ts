import { checkString } from './internal/check-arguments.js';

// A run of `/` at the end, matched from its first slash only: `/\/+$/` retried the run from every slash of it,
// quadratic in its length (a 256 KiB base URL of slashes took 23 s).
const TRAILING_SLASHES = /(?<!\/)\/+$/;

/**
 * `text` without the slashes it ends with: the base-URL convention (`https://host/api/` → `https://host/api`)
 * before a path is appended. Linear in the length of the text.
 * @param text a URL or path.
 * @returns the text without trailing `/`.
 * @throws {CoreError} `INVALID_ARGUMENT` when `text` is not a string.
 * @example
 * withoutTrailingSlashes('https://services.sentinel-hub.com//'); // 'https://services.sentinel-hub.com'
 */
export function withoutTrailingSlashes(text: string): string {
  checkString('withoutTrailingSlashes', 'text', text);
  return text.replace(TRAILING_SLASHES, '');
}
