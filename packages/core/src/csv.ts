// CSV reading and writing through papaparse: RFC 4180 quoting (commas, quotes, line breaks, edge spaces), `\n` line ends.
import Papa from 'papaparse';
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
  const data = rows.map((r) => r.map((v: CsvCell) => (v == null ? '' : v)));
  // A one-column row whose cell is empty is written as "" (as Python's csv module does): a bare empty line
  // is no row to any reader, so the row would be lost.
  const quotes = (value: unknown) => header.length === 1 && value === '';
  const text = Papa.unparse({ fields: [...header], data }, { newline: '\n', quotes });
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
 * blank lines are skipped, a one-column record `""` is kept; the line break is the first one outside quotes). Every
 * record has exactly the header's columns, as own properties (a `__proto__` column is a column like any other).
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
    if (seen.has(h)) throw csvError(name, `column "${h}" is named twice in the header`);
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
 * The records of CSV text, blank lines left out. Comma-separated always (papaparse would guess `;`, `|` or a tab
 * from the cells: 'h0;' became two columns), with the line break the text uses (papaparse guesses it from the
 * first one, even inside quotes). Blank lines are told from a one-column record `""` by their raw text: papaparse
 * gives both as [''], and its skipEmptyLines dropped the record too.
 */
function csvRecords(body: string, name: string): string[][] {
  const newline = lineBreakOf(body);
  const records: string[][] = [];
  let start = 0;
  let quoteProblem: string | undefined;
  Papa.parse<string[]>(body, {
    header: false,
    skipEmptyLines: false,
    dynamicTyping: false,
    delimiter: ',',
    ...(newline ? { newline } : {}),
    step: (res, parser) => {
      const raw = body.slice(start, res.meta.cursor);
      start = res.meta.cursor;
      const quote = res.errors.find((e) => e.type === 'Quotes');
      if (quote) {
        const where = records.length === 0 ? 'the header' : `data row ${records.length}`;
        quoteProblem = `${quote.message.toLowerCase()} in ${where}`;
        parser.abort();
      } else if (!/^(\r\n|\n|\r)?$/.test(raw)) records.push(res.data);
    },
  });
  if (quoteProblem) throw csvError(name, quoteProblem);
  return records;
}

/** The first line break outside quoted cells (`\r\n`, `\n` or `\r`), or undefined for a one-line text. */
function lineBreakOf(text: string): '\r\n' | '\n' | '\r' | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"')
      quoted = !quoted; // an escaped "" flips twice
    else if (!quoted && c === '\n') return '\n';
    else if (!quoted && c === '\r') return text[i + 1] === '\n' ? '\r\n' : '\r';
  }
  return undefined;
}

/** A header or a row: an array of strings, numbers, booleans, bigints, Dates, null or undefined. */
function checkCells(fn: string, what: string, cells: unknown): void {
  if (!Array.isArray(cells)) throw invalidArgument(fn, what, 'an array of cells', cells);
  for (let j = 0; j < cells.length; j++) {
    const v: unknown = cells[j];
    const t = typeof v;
    if (v == null || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') continue;
    if (v instanceof Date) continue;
    throw invalidArgument(fn, `${what}[${j}]`, 'a string, number, boolean or null', v);
  }
}

function csvError(name: string, what: string): CoreError {
  return new CoreError('INVALID_CSV', `${name}: ${what}`);
}
