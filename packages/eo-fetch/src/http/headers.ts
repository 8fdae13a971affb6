// Request headers as one plain record, whatever form of RequestInit headers a caller used: a record, a Headers
// instance or a list of [name, value] pairs. Spreading a Headers instance or an array into an object keeps none
// of its headers, so a caller's API key or content type would silently not be sent. Browser-safe.
import { EoFetchError } from '../errors.js';

/** `INVALID_ARGUMENT` naming the argument, not its value (a header value may be a credential). */
function badHeaders(fn: string, name: string, why: string): never {
  throw new EoFetchError(
    'INVALID_ARGUMENT',
    `${fn}: ${name} must be headers (a record, a Headers instance or [name, value] pairs), got ${why}`,
  );
}

/**
 * `headers` as a plain record: a record as it is (a copy), a Headers instance or an iterable of pairs through
 * `Headers` (names lower-cased, repeated names joined as fetch joins them).
 *
 * @param headers - RequestInit headers, or undefined
 * @param fn - the public function, for the error
 * @param name - the argument, for the error
 * @returns the headers
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` when they are none of these forms or hold an invalid header
 */
export function headersRecord(headers: unknown, fn: string, name: string): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object') badHeaders(fn, name, `a ${typeof headers}`);
  const iterable = typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
  if (!iterable && !(headers instanceof Headers)) return { ...(headers as Record<string, string>) };
  try {
    const out: Record<string, string> = {};
    new Headers(headers as HeadersInit).forEach((value, key) => {
      out[key] = value;
    });
    return out;
  } catch {
    // the runtime's message quotes the value, which may be a credential: not passed on
    return badHeaders(fn, name, 'a list that is not [name, value] pairs of valid header names and values');
  }
}

/** `headers` without `name` in any letter case (so a header set afterwards is the only one of that name). */
export function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  const lower = name.toLowerCase();
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== lower));
}
