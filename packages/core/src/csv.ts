// CSV reading and writing through papaparse: RFC 4180 quoting (commas, quotes, line breaks, edge spaces), `\n` line ends.
import Papa from 'papaparse';

/** One CSV cell: `null`/`undefined` become empty cells, numbers are written with `String(n)`. */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Serialises a header and rows to CSV text with `\n` line ends and a trailing newline.
 * @param header column names.
 * @param rows one array of cells per line, in header order.
 * @returns the CSV text.
 * @example
 * toCsv(['a', 'b'], [[1, 'x,y'], [null, 2]]); // 'a,b\n1,"x,y"\n,2\n'
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const data = rows.map((r) => r.map((v) => (v == null ? '' : v)));
  const text = Papa.unparse({ fields: [...header], data }, { newline: '\n' });
  // papaparse already ends a header-only table with a newline
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A parsed CSV table: its header and one record per row (all values as strings). */
export interface ParsedCsv {
  header: string[];
  rows: Record<string, string>[];
}

/**
 * Parses CSV text with a header row (a leading BOM is dropped; empty header cells become `__col<i>`).
 * @param text the CSV text.
 * @returns the header and the rows as records of strings.
 */
export function parseCsv(text: string): ParsedCsv {
  const res = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: true,
    dynamicTyping: false,
    transformHeader: (h, i) => (h === '' ? `__col${i}` : h),
  });
  return { header: res.meta.fields ?? [], rows: res.data };
}
