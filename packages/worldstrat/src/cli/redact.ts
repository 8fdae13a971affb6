// Keeps credentials out of everything the CLI prints: URLs it echoes lose their userinfo and token parameters,
// and every byte written to stdout/stderr is scrubbed of the secrets this run was given (URL passwords and
// tokens from the command line and config files, secret-looking environment variables).
import { redactUrl, splitUrlCredentials, urlSecrets } from '@worldstrat/eo-fetch';
import type { CliIo } from './runtime.js';

const MASK = '***';
/** Query parameters whose values are credentials (the same rule redactUrl applies). */
const SECRET_PARAM = /sig|token|key|secret|signature|credential|password|auth/i;
/** Environment variables whose values are credentials. */
const SECRET_ENV = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|CREDENTIAL/i;
/** Shorter values would mask ordinary words in the output. */
const MIN_SECRET_LENGTH = 4;
/** Environment values are only guessed to be secrets: longer, and not a plain word or number (`true`, `1`). */
const MIN_ENV_SECRET_LENGTH = 8;
const PLAIN_VALUE = /^([a-z]+|[0-9.]+)$/i;

/**
 * A URL as the CLI may show it: userinfo removed, credential query parameters masked by eo-fetch's redactUrl.
 *
 * @param url - any URL text (non-URLs are returned through redactUrl unchanged).
 * @returns the displayable URL.
 * @example
 * ```ts
 * displayUrl('https://me:pw@stac.example/?token=x'); // 'https://stac.example/?token=***'
 * ```
 */
export function displayUrl(url: string): string {
  return redactUrl(withoutUserinfo(url));
}

/** `url` without its `user:password@` part. */
function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
}

/** The secrets of one CLI run, and the scrubbing of output text. */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  /** Remember a secret (and its percent-encoded, percent-decoded and JSON-escaped forms). */
  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH) return;
    const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
    try {
      forms.push(decodeURIComponent(secret));
    } catch {
      // not percent-encoded
    }
    for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) this.secrets.add(f);
  }

  /**
   * Remember the credentials inside any URL found in `text` (userinfo password, token parameters, and the
   * base64 token of the Basic header the CLI itself sends for the userinfo, see serviceUrlWithAuth).
   */
  addFromText(text: string): void {
    // The scheme is capped (as in raster-io's redact-url.ts): unbounded, a long run of letters backtracks
    // quadratically. A longer scheme still matches from within it, so its URL is still found.
    for (const m of text.matchAll(/[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>]+/gi)) {
      for (const s of urlSecrets(m[0])) this.add(s);
      let u: URL;
      try {
        u = new URL(m[0]);
      } catch {
        continue;
      }
      if (u.password) this.add(u.password);
      if (u.username && u.password) this.add(`${u.username}:${u.password}`);
      else if (u.username) this.add(u.username); // a bare token as the username
      for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k)) this.add(v);
    }
  }

  /** Remember every URL credential in a parsed value (strings, arrays, objects from a config file). */
  addFromValue(v: unknown, depth = 0): void {
    if (depth > 8) return;
    if (typeof v === 'string') this.addFromText(v);
    else if (Array.isArray(v)) for (const x of v) this.addFromValue(x, depth + 1);
    else if (typeof v === 'object' && v !== null)
      for (const x of Object.values(v)) this.addFromValue(x, depth + 1);
  }

  /** Remember the values of secret-looking environment variables. */
  addFromEnv(env: NodeJS.ProcessEnv): void {
    for (const [k, v] of Object.entries(env))
      if (
        v &&
        SECRET_ENV.test(k) &&
        v.length >= MIN_ENV_SECRET_LENGTH &&
        !(v.length < 16 && PLAIN_VALUE.test(v))
      )
        this.add(v);
  }

  /** `text` with every known secret replaced by `***` (longest first, so no fragment survives). */
  scrub(text: string): string {
    let out = text;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length))
      if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  /** `io` whose stdout/stderr are scrubbed. */
  wrap(io: CliIo): CliIo {
    return {
      stdout: (t) => io.stdout(this.scrub(t)),
      stderr: (t) => io.stderr(this.scrub(t)),
      isTTY: io.isTTY,
    };
  }
}

/**
 * Split the userinfo off a service URL: Node's fetch refuses URLs with credentials, and files we write must
 * not record them. The returned fetch sends them as HTTP Basic auth to that URL's origin only (asset hosts
 * and other origins never see them; fetch drops the header on cross-origin redirects).
 *
 * @param url - a service root, possibly `https://user:pass@host/…`.
 * @returns the URL without userinfo, and a fetch to use for it when it had credentials.
 */
export function serviceUrlWithAuth(url: string): { url: string; fetch?: typeof fetch } {
  const split = splitUrlCredentials(url);
  if (!split.authorization) return { url };
  const auth = split.authorization;
  const origin = new URL(split.url).origin;
  const authFetch: typeof fetch = (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    let sameOrigin = false;
    try {
      sameOrigin = new URL(target).origin === origin;
    } catch {
      sameOrigin = false;
    }
    if (!sameOrigin) return fetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', auth);
    return fetch(input, { ...init, headers });
  };
  return { url: split.url, fetch: authFetch };
}
