// CSV writing through papaparse (RFC 4180 quoting of commas, quotes, line breaks and edge spaces; `\n` line ends) and
// reading as Python's csv module reads (any line break ends a record).
import Papa from 'papaparse';
import { describeValue } from './describe-value.js';
import { CoreError } from './errors.js';
import { checkOptions, checkString, invalidArgument } from './internal/check-arguments.js';

/** One CSV cell: `null`/`undefined` become empty cells, numbers are written with `String(n)`. */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Serialises a header and rows to CSV text with `\n` line ends and a trailing newline. Every row has one cell per
 * header column; a one-column row whose cell is empty is written `""` (a bare empty line would be no row).
 * @param header column names.
 * @param rows one array of cells per line, in header order.
 * @returns the CSV text.
 * @example
 * toCsv(['a', 'b'], [[1, 'x,y'], [null, 2]]); // 'a,b\n1,"x,y"\n,2\n'
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return csvText('toCsv', header, rows);
}

/**
 * {@link toCsv} for `fn`, which names itself and the arguments in errors: `header` and every row must be
 * arrays, every cell a {@link CsvCell} (a bigint or a `Date` too, which papaparse writes), never an object that
 * would be written as `[object Object]`.
 * @internal
 */
export function csvText(
  fn: string,
  header: readonly string[],
  rows: readonly (readonly CsvCell[])[],
  where = { header: 'header', rows: 'rows' },
): string {
  checkCells(fn, where.header, header);
  if (!Array.isArray(rows)) throw invalidArgument(fn, where.rows, 'an array of rows', rows);
  for (let i = 0; i < rows.length; i++) {
    checkCells(fn, `${where.rows}[${i}]`, rows[i]);
    // a row of another width is a table no reader (ours included) takes back
    if (rows[i]?.length !== header.length)
      throw invalidArgument(
        fn,
        `${where.rows}[${i}]`,
        `${header.length} cells, one per header column`,
        rows[i],
      );
  }
  const data = rows.map((r) => Array.from(r, cellText));
  // A one-column row whose cell is empty is written as "" (as Python's csv module does): a bare empty line
  // is no row to any reader, so the row would be lost.
  const quotes = (value: unknown) => header.length === 1 && value === '';
  const text = Papa.unparse({ fields: Array.from(header, cellText), data }, { newline: '\n', quotes });
  // papaparse already ends a header-only table with a newline
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A parsed CSV table: its header and one record per row (all values as strings). */
export interface ParsedCsv {
  header: string[];
  rows: Record<string, string>[];
}

/** Options of {@link parseCsv}. */
export interface ParseCsvOptions {
  /** The file or URL the text came from, named in errors (default `CSV text`). */
  name?: string;
}

/**
 * Parses comma-separated text with a header row (a leading BOM is dropped; empty header cells become `__col<i>`;
 * blank lines are skipped, a one-column record `""` is kept; `\r\n`, `\n` and `\r` outside quotes all end a record, as
 * in Python's csv module). Every record has exactly the header's columns, as own properties (a `__proto__` column is a column like any other).
 * @param text the CSV text.
 * @param options `name`: the source, for messages.
 * @returns the header and the rows as records of strings.
 * @throws {CoreError} `INVALID_CSV` naming the source and the place: a data row with more or fewer cells than
 *   the header, a quote left open (it would swallow the rest of the file), a column name given twice.
 * @example
 * parseCsv('a,b\n1,"x,y"\n').rows; // [{ a: '1', b: 'x,y' }]
 */
export function parseCsv(text: string, options?: ParseCsvOptions): ParsedCsv {
  checkString('parseCsv', 'text', text);
  const o = checkOptions('parseCsv', options);
  const name = o.name === undefined ? 'CSV text' : checkString('parseCsv', 'options.name', o.name);
  const [first = [], ...data] = csvRecords(text.replace(/^\uFEFF/, ''), name);
  const header = first.map((h, i) => (h === '' ? `__col${i}` : h));
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw csvError(name, `column ${describeValue(h)} is named twice in the header`);
    seen.add(h);
  }
  const rows = data.map((cells, r) => {
    if (cells.length !== header.length)
      throw csvError(name, `data row ${r + 1} has ${cells.length} cells, the header ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] as string]));
  });
  return { header, rows };
}

/**
 * The records of CSV text as Python's csv.reader reads them (its default dialect, not strict): comma-separated
 * always (papaparse guessed `;`, `|` or a tab from the cells), and a record ends at any line break outside quotes,
 * `\r\n`, `\n` or `\r`, so a file whose lines end differently (CRLF lines, then an LF one) reads whole. Blank
 * lines are left out; a one-column record `""` is kept; text after a closing quote joins the cell (`"a"b` is `ab`).
 * A quote left open is an error here: Python would read the rest of the file into that cell. Cells are cut out
 * of the text in slices, not built a character at a time (a 50 MB cell took 6 s so).
 */
function csvRecords(body: string, name: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  for (;;) {
    // blank lines, and the LF of a CRLF
    while (i < body.length && isLineBreak(body.charCodeAt(i))) i++;
    if (i >= body.length) return records;
    const record: string[] = [];
    for (;;) {
      let cell = '';
      if (body.charCodeAt(i) === QUOTE) [cell, i] = quotedCell(body, i, name, records.length);
      // an unquoted cell, or the text after a closing quote, ends at a comma or a line break
      let end = i;
      while (end < body.length && !isCellEnd(body.charCodeAt(end))) end++;
      record.push(cell + body.slice(i, end));
      i = end;
      if (body.charCodeAt(i) !== COMMA) break;
      i++;
    }
    records.push(record);
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;

function isLineBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}

function isCellEnd(c: number): boolean {
  return c === COMMA || c === 0x0a || c === 0x0d;
}

/** The text of the quoted cell opening at `start` (`""` read as `"`) and the index after its closing quote. */
function quotedCell(body: string, start: number, name: string, record: number): [string, number] {
  let cell = '';
  let from = start + 1;
  for (;;) {
    const q = body.indexOf('"', from);
    if (q < 0) {
      const where = record === 0 ? 'the header' : `data row ${record}`;
      throw csvError(
        name,
        `a quoted cell in ${where} is never closed (it would take in the rest of the text)`,
      );
    }
    cell += body.slice(from, q);
    if (body.charCodeAt(q + 1) !== QUOTE) return [cell, q + 1];
    cell += '"';
    from = q + 2;
  }
}

/** A header or a row: an array of strings, numbers, booleans, bigints, Dates, null or undefined. */
function checkCells(fn: string, what: string, cells: unknown): void {
  if (!Array.isArray(cells)) throw invalidArgument(fn, what, 'an array of cells', cells);
  for (let j = 0; j < cells.length; j++) {
    const v: unknown = cells[j];
    const t = typeof v;
    if (v == null || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') continue;
    // an invalid Date would be written as an empty cell (and a one-column row of it as no row at all)
    if (!Number.isNaN(dateTime(v))) continue;
    throw invalidArgument(fn, `${what}[${j}]`, 'a string, number, boolean or null', v);
  }
}

/**
 * A cell's text, made here rather than by papaparse, which writes only a plain `Date` as ISO text: a subclass's
 * cell came out as `toString()`, the machine's local time (`Thu Jan 01 1970 09:00:00 GMT+0900 …`).
 */
function cellText(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'object') return Date.prototype.toISOString.call(v);
  return String(v);
}

/** A Date's time value (NaN for an invalid one), or NaN for anything that is no Date (`Object.create(Date.prototype)` included). */
function dateTime(v: unknown): number {
  try {
    return Date.prototype.getTime.call(v);
  } catch {
    return Number.NaN;
  }
}

function csvError(name: string, what: string): CoreError {
  return new CoreError('INVALID_CSV', `${name}: ${what}`);
}
