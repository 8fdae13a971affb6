// URL redaction for error messages: a URL may carry `user:pw@` or a signed-URL token in its query, and error
// messages end up in logs and JSON output.
import { checkString } from './check-args.js';

const SECRET_PARAM = /sig|token|key|secret|signature|credential|password|auth/i;
// The scheme is capped at 32 characters: unbounded, every letter of a long run of letters (a 64 KiB error page of
// base64) started a scan to the run's end, 2 s of CPU for 64 KiB. A longer scheme still has its userinfo redacted
// (the match starts within it).
// The URL parser (and so fetch) also takes `http:/u:p@h`, `https:///u:p@h` and `https:\\u:p@h` as userinfo: any run of
// slashes and backslashes after the scheme.
const USERINFO = /([a-z][a-z0-9+.-]{0,31}:[/\\]+)([^/?#\s\\]*)@/gi;
/**
 * The userinfo of a URL as the URL parser delimits it: after the scheme and any slashes or backslashes (none, for
 * `http:u:p@h`), up to the last `@` before the authority ends at `/`, `?`, `#` or `\\`.
 */
export const LEADING_USERINFO = /^(\s*[a-z][a-z0-9+.-]*:[/\\]*)([^/?#\\]*)@/i;

// A `name=value` after `?`, `&` or `;` (an XML page writes `&amp;sig=…`) anywhere in a text. Name and value stop at
// every separator: a name running over `;` cost quadratic time (2 s for 64 KiB of `;`), and `a=1;token=t` hid the token.
const PARAM_IN_TEXT = /([?&;])([^=&;?#\s"'<>]+)=([^&;#\s"'<>]*)/g;
/** Causes followed when copying an error chain (a chain is short; a cyclic one must end). */
const MAX_CAUSE_DEPTH = 8;

/**
 * A URL safe to print: userinfo becomes `***@`, query parameters whose name looks like a secret become `name=***`.
 *
 * Plain string surgery, so partial or malformed URLs are redacted too.
 *
 * @param url - any URL text
 * @returns the redacted text
 * @example
 * ```ts
 * redactUrl('https://a.blob.core.windows.net/x.tif?st=1&sig=abc'); // '...?st=1&sig=***'
 * redactUrl('https://me:pw@mirror.example/f'); // 'https://***@mirror.example/f'
 * ```
 */
export function redactUrl(url: string): string {
  checkString('redactUrl', 'url', url);
  const out = (hasUserinfo(url) ? url.replace(LEADING_USERINFO, '$1***@') : url).replace(USERINFO, '$1***@');
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const query = hash < 0 ? out.slice(q + 1) : out.slice(q + 1, hash);
  const params = query.split('&').map((kv) => {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    return SECRET_PARAM.test(key) ? `${key}=***` : kv;
  });
  return `${out.slice(0, q)}?${params.join('&')}${hash < 0 ? '' : out.slice(hash)}`;
}

/** Whether the URL parser (and so fetch) reads a userinfo in `url`, whatever the text's spaces and slashes. */
function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/**
 * A text from a server or a runtime (an error page, a fetch error) safe to print: every URL's userinfo and every
 * token-like `name=value` become `***`, and so does each of `secrets` wherever it appears (an error page may echo a
 * header or a signature on its own), also percent-decoded or -encoded.
 *
 * @param text - any text
 * @param secrets - values known to be secret (see `urlSecrets`)
 * @returns the redacted text
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  const out = text
    .replace(USERINFO, '$1***@')
    .replace(PARAM_IN_TEXT, (m, at: string, key: string) => (SECRET_PARAM.test(key) ? `${at}${key}=***` : m));
  return scrubSecrets(out, secrets);
}

/** `text` with each of `secrets` (as sent, percent-decoded or -encoded) replaced by `***`, and nothing else. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of spellings(secrets)) out = out.split(s).join('***');
  return out;
}

/** Each secret as sent, percent-decoded and percent-encoded; longest first, so no secret is left half-replaced. */
function spellings(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    all.add(s);
    all.add(encodeURIComponent(s));
    for (const form of [s, s.replace(/\+/g, ' ')]) {
      try {
        all.add(decodeURIComponent(form));
      } catch {
        // not percent-encoded: the other spellings stand
      }
    }
  }
  all.delete('');
  return [...all].sort((a, b) => b.length - a.length);
}

/**
 * A copy of an error and its `cause` chain with `redact` applied to every message and stack: a runtime error quotes
 * what it was given (Node's fetch quotes a URL with its password), and a cause is printed with the error.
 *
 * @param err - anything thrown
 * @param redact - the text redaction (e.g. `(t) => redactText(t, secrets)`)
 * @param depth - how deep in the chain this error is (the recursion's; callers leave it out)
 * @returns an Error chain (name and `code` kept), or the redacted text of a thrown non-error
 */
export function redactError(err: unknown, redact: (text: string) => string, depth = 0): unknown {
  if (!(err instanceof Error)) return err === undefined ? undefined : redact(printable(err));
  const cause =
    err.cause === undefined || depth >= MAX_CAUSE_DEPTH
      ? undefined
      : { cause: redactError(err.cause, redact, depth + 1) };
  const copy = new Error(redact(err.message), cause);
  copy.name = err.name;
  copy.stack = err.stack === undefined ? undefined : redact(err.stack);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  return copy;
}

function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
