// Untrusted text (AOI, class, scene and model names from CSVs, folders and catalogues) made safe for the files
// the app writes for people to open (SVG/HTML text, Markdown tables, links and printed numbers) and in what it
// prints to a terminal.

/**
 * Characters no output should carry: C0/C1 controls other than tab, LF and CR (not allowed in XML 1.0, so one in
 * an SVG makes the whole document unparseable), U+FFFE/U+FFFF, lone surrogates, and the bidirectional embedding,
 * override and isolate controls (they reorder the text around them, so a name can display as something else).
 */
const UNSAFE_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every unsafe character (see {@link UNSAFE_CHARS}) replaced by U+FFFD, so it stays visible. */
export function replaceUnsafeChars(text: string): string {
  return text.replace(UNSAFE_CHARS, '\uFFFD');
}

/**
 * `text` as inline Markdown text (a table cell or a sentence): unsafe characters replaced, line breaks and tabs
 * made spaces (a line break ends a table row), and the characters that start a cell, HTML, a link or emphasis
 * backslash-escaped (`|` splits a cell, `<` opens raw HTML a renderer may run).
 */
export function markdownText(text: string): string {
  return replaceUnsafeChars(text)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\\`*_[\]<>|&]/g, '\\$&');
}

/**
 * A relative file path as a link target: each segment percent-encoded, so a name holding `#`, `?`, `%` or a
 * `:` (`javascript:…`) links to that file instead of a fragment, a query or a script. `http(s)://` URLs are kept.
 */
export function pathHref(path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  // `relative()` on Windows separates with backslashes; both are URL path separators here
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

/**
 * `x` with `digits` decimals, for a results table: NaN (no value, e.g. a metric over no chips) is `—`, the
 * infinities `∞` / `−∞` (a perfect reconstruction's PSNR), never `NaN` or `Infinity`.
 */
export function fixedOrDash(x: number, digits: number): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return x.toFixed(digits);
}

/** Most characters of one untrusted text shown in a terminal (`status`: a job's id or failure). */
const MAX_SHOWN_TEXT = 2000;

/**
 * Untrusted text as a terminal shows it (`status`: what anyone wrote to Redis): control and bidirectional-override
 * characters (terminal escapes, forged lines) written as `\u` escapes, and cut at {@link MAX_SHOWN_TEXT} characters.
 */
export function terminalText(text: string): string {
  // never between the two halves of a surrogate pair
  const at = MAX_SHOWN_TEXT - (/[\ud800-\udbff]/.test(text[MAX_SHOWN_TEXT - 1] ?? '') ? 1 : 0);
  const cut =
    text.length > MAX_SHOWN_TEXT ? `${text.slice(0, at)}… (${text.length - at} more characters)` : text;
  // also line and paragraph separators and the directional marks (RLM, ALM), which reorder or break lines too
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  const shown = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  return cut.replace(shown, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
