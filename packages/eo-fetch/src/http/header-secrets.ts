// Which values of a request's headers are secrets: the one rule of the package (the download engine, requestJson,
// the STAC client), since an error page may echo any header it received (X-Auth-Token, Cookie,
// Ocp-Apim-Subscription-Key, X-Amz-Security-Token…) and a list of names alone always misses one. Browser-safe.

/** Headers that carry no credential (raster-io's list): their values stay readable in messages. */
const PLAIN_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'content-length',
  'content-type',
  'if-range',
  'range',
  'user-agent',
]);

/** Names that always carry a credential: their whole value is a secret, however short. */
const CREDENTIAL_NAME = /auth|key|token|secret|cookie|session|signature|password|credential/i;

/**
 * Shortest value of any other header, or part of a value, taken as a secret: a shorter one (`1`, `gzip`, a
 * request counter) would blank ordinary words of every message.
 */
export const MIN_HEADER_SECRET_CHARS = 8;

/**
 * The values of `headers` to scrub from messages, manifests and progress events: every value of a header named
 * like a credential, and of every other header outside a short plain list (Accept, Content-Type, Range…) when at
 * least {@link MIN_HEADER_SECRET_CHARS} long; plus their parts a server may echo alone: the value after an
 * `Authorization`-style scheme (`Bearer <token>`), each part of a list (`a; b`) and each cookie's value.
 *
 * @param headers - the headers of a request (undefined: none)
 * @returns the secrets, without duplicates or empty strings
 */
export function headerSecrets(headers: Readonly<Record<string, unknown>> | undefined): string[] {
  const out = new Set<string>();
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (typeof raw !== 'string') continue;
    const value = raw.trim();
    const credential = CREDENTIAL_NAME.test(name);
    if (
      !value ||
      (!credential && (PLAIN_HEADERS.has(name.toLowerCase()) || value.length < MIN_HEADER_SECRET_CHARS))
    )
      continue;
    out.add(value);
    const scheme = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value);
    if (credential && scheme?.[1]) out.add(scheme[1].trim());
    for (const part of value.split(/[\s,;]+/)) {
      const eq = part.indexOf('=');
      for (const p of eq > 0 ? [part, part.slice(eq + 1)] : [part])
        if (p.length >= MIN_HEADER_SECRET_CHARS) out.add(p);
    }
  }
  return [...out];
}
