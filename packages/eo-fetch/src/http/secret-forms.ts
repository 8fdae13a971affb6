// Every spelling in which a server may echo a secret it received: as sent, percent-encoded by any escaper
// (encodeURIComponent; application/x-www-form-urlencoded, with '+' for a space and its own escaping of !'()~;
// Python's quote; lower-case hex), JSON-escaped, or as an HTML character reference. One pattern per secret
// matches them all, even mixed, so no list of encoders can miss one. Browser-safe.

/** Characters no encoder escapes: they only ever appear as themselves. */
const PLAIN = /^[A-Za-z0-9._-]$/;
/** JSON's short escapes (`/` too: some serializers escape it). */
const JSON_SHORT: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};
/** HTML's named references for the characters templates escape. */
const HTML_NAMED: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** `s` as a regular expression matching itself. */
function literal(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** `n` in hexadecimal, `width` digits at least, either letter case. */
function hex(n: number, width: number): string {
  return n
    .toString(16)
    .padStart(width, '0')
    .replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);
}

/** Every encoded spelling of one character (a code point), as a regular expression. */
function charPattern(c: string): string {
  if (PLAIN.test(c)) return literal(c);
  const forms = [literal(c)];
  // percent-encoding: its UTF-8 bytes; a form body spells a space '+'
  forms.push([...new TextEncoder().encode(c)].map((b) => `%${hex(b, 2)}`).join(''));
  if (c === ' ') forms.push('\\+');
  // JSON: a short escape, or \uXXXX per UTF-16 unit (ensure_ascii serializers)
  if (JSON_SHORT[c]) forms.push(literal(JSON_SHORT[c]));
  forms.push(Array.from({ length: c.length }, (_, i) => `\\\\u${hex(c.charCodeAt(i), 4)}`).join(''));
  // HTML: a named, decimal or hexadecimal character reference
  const cp = c.codePointAt(0) as number;
  if (HTML_NAMED[c]) forms.push(HTML_NAMED[c]);
  forms.push(`&#0*${cp};`, `&#[xX]0*${hex(cp, 1)};`);
  return `(?:${forms.join('|')})`;
}

/**
 * One regular expression matching every secret of `secrets` in every spelling a server may echo it in (see the
 * file comment), longest secret first so that one containing another is matched whole.
 *
 * @param secrets - the secrets (empty strings ignored)
 * @returns a global pattern, or undefined when there is no secret
 */
export function secretsPattern(secrets: readonly string[]): RegExp | undefined {
  // falsy entries carry no secret; others are matched as their text
  const distinct = [...new Set(secrets.filter(Boolean).map(String))].sort((a, b) => b.length - a.length);
  if (distinct.length === 0) return undefined;
  return new RegExp(distinct.map((s) => Array.from(s, charPattern).join('')).join('|'), 'g');
}
