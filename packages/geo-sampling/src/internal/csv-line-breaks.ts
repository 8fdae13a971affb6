// papaparse ends records at one newline sequence only, the first it sees: in a CRLF table with one LF-only line
// (a row appended by another tool) the LF stays inside a cell ("ASMSpotter-1\n"), and in an LF table with CRLF
// lines every last cell keeps a "\r". Python's csv module ends a record at any of "\r\n", "\n" and "\r", so the
// readers rewrite every line break outside quotes to "\n" and give papaparse that newline.

/** The newline the readers give papaparse after {@link normalizeCsvLineBreaks}. */
export const CSV_NEWLINE = '\n';

/**
 * `text` with every line break outside quoted cells (`\r\n`, `\n`, `\r`) written `\n`; quoted cells keep theirs.
 * A quote opens a quoted cell only at the start of a cell (after `delimiter`, a line break or the text start),
 * as in papaparse and Python; `""` inside quotes is a quote.
 * @param text CSV text.
 * @param delimiter the table's delimiter (one or more characters).
 */
export function normalizeCsvLineBreaks(text: string, delimiter: string): string {
  if (!text.includes('\r')) return text;
  const out: string[] = [];
  let start = 0; // start of the slice not yet copied
  let cellStart = true;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') continue;
      if (text[i + 1] === '"') i++;
      else quoted = false;
      continue;
    }
    if (c === '"' && cellStart) {
      quoted = true;
      cellStart = false;
    } else if (c === '\r') {
      out.push(text.slice(start, i), CSV_NEWLINE);
      if (text[i + 1] === '\n') i++;
      start = i + 1;
      cellStart = true;
    } else if (c === '\n') {
      cellStart = true;
    } else if (text.startsWith(delimiter, i)) {
      i += delimiter.length - 1;
      cellStart = true;
    } else {
      cellStart = false;
    }
  }
  out.push(text.slice(start));
  return out.join('');
}
