// Every spelling in which a server may echo a secret it received: as sent, percent-encoded by any escaper
// (encodeURIComponent; application/x-www-form-urlencoded, with '+' for a space and its own escaping of !'()~;
// Python's quote; lower-case hex), JSON-escaped, or as an HTML character reference. One pattern per secret
// matches them all, even mixed, so no list of encoders can miss one; a secret too long for such a pattern is
// matched in each whole spelling instead. Browser-safe.

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
 * Longest secret spelled out per character. V8 compiles a pattern lazily, on first use, and a few thousand
 * character groups overflow its stack there: a SyntaxError that quotes the pattern, i.e. the secret.
 */
const MAX_SPELLED_CHARS = 512;

const UTF8 = new TextEncoder();

/** `s` percent-encoded: characters of `keep` as themselves, a space as `space`, the rest as UTF-8 `%XX`. */
function percent(s: string, keep: RegExp, space: string): string {
  let out = '';
  for (const c of s) {
    if (keep.test(c)) out += c;
    else if (c === ' ') out += space;
    else for (const b of UTF8.encode(c)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** What each escaper leaves as is: encodeURIComponent, form bodies (WHATWG), Python's quote (safe '' and '/'). */
const URL_KEEP = [/^[A-Za-z0-9_.!~*'()-]$/, /^[A-Za-z0-9_.*-]$/, /^[A-Za-z0-9_.~-]$/, /^[A-Za-z0-9_.~/-]$/];

/** The whole-string spellings of a secret (each one alone, not mixed within the secret). */
function wholeForms(s: string): string[] {
  const forms = new Set([s]);
  for (const keep of URL_KEEP)
    for (const space of ['%20', '+']) {
      const p = percent(s, keep, space);
      forms.add(p);
      forms.add(p.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
  const json = JSON.stringify(s).slice(1, -1);
  const ascii = json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const j of [json, ascii]) forms.add(j).add(j.replace(/\//g, '\\/'));
  for (const apos of ['&apos;', '&#x27;', '&#39;'])
    forms.add(s.replace(/[&<>"']/g, (c) => (c === "'" ? apos : (HTML_NAMED[c] as string))));
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * A function replacing every secret of `secrets` by `replacement`, in every spelling a server may echo it in
 * (see the file comment), longest secret first so that one containing another is matched whole. Secrets over
 * {@link MAX_SPELLED_CHARS} characters are matched in whole-string spellings (mixed ones are not); it never
 * throws.
 *
 * @param secrets - the secrets (empty strings ignored)
 * @returns the scrubber, or undefined when there is no secret
 */
export function secretsScrubber(
  secrets: readonly string[],
): ((text: string, replacement: string) => string) | undefined {
  // falsy entries carry no secret; others are matched as their text
  const distinct = [...new Set(secrets.filter(Boolean).map(String))].sort((a, b) => b.length - a.length);
  if (distinct.length === 0) return undefined;
  const long = distinct.filter((s) => s.length > MAX_SPELLED_CHARS);
  const short = distinct.filter((s) => s.length <= MAX_SPELLED_CHARS);
  const pattern = short.length
    ? new RegExp(short.map((s) => Array.from(s, charPattern).join('')).join('|'), 'g')
    : undefined;
  const longForms = long.flatMap(wholeForms);
  let shortForms: string[] | undefined;
  const plain = (text: string, forms: readonly string[], by: string) => {
    for (const f of forms) text = text.split(f).join(by);
    return text;
  };
  return (text, by) => {
    const out = plain(text, longForms, by);
    if (!pattern) return out;
    try {
      return out.replace(pattern, by);
    } catch {
      // too many short secrets for one pattern: their whole spellings, and no error quoting them
      shortForms ??= short.flatMap(wholeForms);
      return plain(out, shortForms, by);
    }
  };
}
