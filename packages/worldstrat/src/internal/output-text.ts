// Untrusted text (AOI, class, scene and model names from CSVs, folders and catalogues) made safe for the files
// the app writes for people to open: SVG/HTML text, Markdown tables, links and printed numbers.

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
