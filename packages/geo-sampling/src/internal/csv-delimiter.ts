// The delimiter of a CSV table, decided from its header instead of papaparse's guess. papaparse guesses from the
// field counts of the first ten lines, which picks a delimiter that merely occurs in the cells (`|` in names, the
// comma of a decimal comma in a `;` file, a comma in a tab file's header) or gives up on a one-column table; here
// the header line must split into the columns the reader needs at exactly one delimiter.
import Papa from 'papaparse';
import { GeoSamplingError, type GeoSamplingErrorCode } from '../errors.js';
import { argumentError } from './check-arguments.js';
import { CSV_NEWLINE } from './csv-line-breaks.js';

/** Delimiters a header may be split at: papaparse's guesses, in its order (comma first). */
export const CSV_DELIMITERS: readonly string[] = [',', '\t', '|', ';', Papa.RECORD_SEP, Papa.UNIT_SEP];

/** A delimiter for messages: `','`, `tab`, `U+001E`. */
function delimiterName(d: string): string {
  if (d === '\t') return 'tab';
  if (d.length === 1 && d.charCodeAt(0) < 0x20)
    return `U+${d.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${d}'`;
}

const ALL_DELIMITERS = CSV_DELIMITERS.map(delimiterName).join(', ');

/**
 * A caller's `delimiter` option: absent, or a non-empty string papaparse takes as given (papaparse would guess
 * again, silently, for one holding a quote, a line break or a BOM).
 */
export function checkDelimiterOption(fn: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || /[\r\n"\uFEFF]/.test(value))
    throw argumentError(
      fn,
      'options.delimiter',
      'a non-empty string without quotes or line breaks (e.g. "," ";" "\\t" "|")',
      value,
    );
  return value;
}

/**
 * The header fields as papaparse reads them with `delimiter` (its first non-empty record), or none. `newline`:
 * the line break of text already normalised (papaparse guesses one otherwise).
 */
function headerFields(text: string, delimiter: string, newline?: typeof CSV_NEWLINE): string[] | undefined {
  let fields: string[] | undefined;
  Papa.parse<string[]>(text, {
    delimiter,
    ...(newline === undefined ? {} : { newline }),
    header: false,
    skipEmptyLines: true,
    dynamicTyping: false,
    step: (result, parser) => {
      fields = result.data;
      parser.abort();
    },
  });
  return fields;
}

/**
 * Checks a header's repeated names before papaparse's header mode sees them (`text` with its line breaks
 * normalised, see normalizeCsvLineBreaks). A column the reader reads, named
 * twice, is refused: papaparse would rename the second copy (`lat_1`) and the reader silently take the first of
 * two conflicting values. Other repeats (the blank names of a spreadsheet's trailing empty columns, unread
 * extras) are renamed here as papaparse would (`_1`, `_2`, …), so that papaparse finds none and prints nothing
 * (a library must not write to the console).
 * @param source the table in messages (`AOI CSV`, `POI CSV`).
 * @param read the column names the reader takes values from.
 * @returns papaparse's `transformHeader` making the remaining names unique.
 * @throws GeoSamplingError `PARSE_ERROR` naming the column and both positions (1-based).
 */
export function checkUniqueHeader(
  text: string,
  delimiter: string,
  source: string,
  read: ReadonlySet<string>,
): (header: string, index: number) => string {
  const fields = headerFields(text, delimiter, CSV_NEWLINE) ?? [];
  const first = new Map<string, number>();
  const renamed = new Map<number, string>();
  const taken = new Set(fields);
  const nextSuffix = new Map<string, number>();
  for (const [i, field] of fields.entries()) {
    const earlier = first.get(field);
    if (earlier === undefined) {
      first.set(field, i);
      continue;
    }
    if (read.has(field))
      throw new GeoSamplingError(
        'PARSE_ERROR',
        `${source} header names the column '${field}' twice (columns ${earlier + 1} and ${i + 1}); rename or remove one`,
      );
    // each name's suffix search goes on from its last one: restarting at 1 made n repeats cost n² lookups
    let k = nextSuffix.get(field) ?? 1;
    while (taken.has(`${field}_${k}`)) k++;
    nextSuffix.set(field, k + 1);
    taken.add(`${field}_${k}`);
    renamed.set(i, `${field}_${k}`);
  }
  return (header, index) => renamed.get(index) ?? header;
}

/** The first non-empty line of the text as written, cut short, for messages. */
function headerLineForMessage(text: string): string {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length && (text[start] === '\n' || text[start] === '\r')) start++;
  let end = start;
  while (end < text.length && end - start <= 120 && text[end] !== '\n' && text[end] !== '\r') end++;
  const line = text.slice(start, end);
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 117)}...` : line);
}

/** What a reader needs of the header, to choose the delimiter and to say what is missing. */
export interface CsvHeaderRule {
  /** The table in messages: `POI CSV`, `AOI CSV`. */
  source: string;
  /** What the header must hold, in words: `the columns 'name', 'bounds' and 'area'`. */
  needs: string;
  /** True when these header fields hold what the reader needs. */
  accepts: (fields: readonly string[]) => boolean;
  /** What these header fields lack, in words (`the 'area' column`). */
  lacks: (fields: readonly string[]) => string;
  /** The code when no delimiter gives those columns (given the header split at every delimiter); default MISSING_COLUMN. */
  missingCode?: (splits: readonly (readonly string[])[]) => GeoSamplingErrorCode;
}

/**
 * The delimiter to parse `text` with: `explicit` when given, else the one of {@link CSV_DELIMITERS} at which
 * the header (the first non-empty record) holds the columns the reader needs. A header of one column (no
 * delimiter in it) is comma-separated. The header is the only evidence: cells never vote.
 * @throws GeoSamplingError `MISSING_COLUMN` (or the rule's code) for an empty text or a header that holds the
 *   columns at no delimiter, `PARSE_ERROR` for one that holds them at two (pass `delimiter`); both quote the header.
 */
export function csvDelimiter(text: string, rule: CsvHeaderRule, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const splits: { delimiter: string; fields: string[] }[] = [];
  const matches = new Map<string, string>(); // fields (as JSON) → first delimiter giving them
  for (const d of CSV_DELIMITERS) {
    const fields = headerFields(text, d);
    if (fields === undefined) break; // no non-empty record at all, whatever the delimiter
    splits.push({ delimiter: d, fields });
    const key = JSON.stringify(fields);
    if (rule.accepts(fields) && !matches.has(key)) matches.set(key, d);
  }
  if (splits.length === 0) {
    throw new GeoSamplingError(
      'MISSING_COLUMN',
      `${rule.source} has no header line (the text is empty or blank); it needs ${rule.needs}`,
    );
  }
  // One split of the header: a single match, or the same single column at every delimiter absent from it.
  if (matches.size === 1) return [...matches.values()][0] as string;
  const header = headerLineForMessage(text);
  if (matches.size === 0) {
    // what the split into the most columns (the likeliest delimiter) lacks
    const best = splits.reduce((a, b) => (b.fields.length > a.fields.length ? b : a));
    const lacking = rule.lacks(best.fields);
    const detail =
      lacking === rule.needs ? '' : ` (split at ${delimiterName(best.delimiter)}, it lacks ${lacking})`;
    throw new GeoSamplingError(
      rule.missingCode?.(splits.map((s) => s.fields)) ?? 'MISSING_COLUMN',
      `${rule.source} header ${header} does not hold ${rule.needs} when split at any of ${ALL_DELIMITERS}${detail}; pass { delimiter } if the table uses another one`,
    );
  }
  const found = [...matches.values()].map(delimiterName).join(' and ');
  throw new GeoSamplingError(
    'PARSE_ERROR',
    `${rule.source} header ${header} holds ${rule.needs} both when split at ${found}; pass { delimiter } to say which one the table uses`,
  );
}

/**
 * Why a cell that looks like a number written with a comma (`12,5` with a decimal comma, `1,234.5` with a
 * thousands separator) is not read: such a cell is never a number (not 12, not 125), and the message says so,
 * quoting the cell and `where` it is (`column lon`). Undefined for any other cell.
 */
export function commaNumberProblem(cell: string | undefined, where: string): string | undefined {
  if (cell === undefined || !cell.includes(',')) return undefined;
  const t = cell.trim();
  if (!/^[+-]?[\d.,]+(?:[eE][+-]?\d+)?$/.test(t) || !/\d/.test(t)) return undefined;
  const shown = JSON.stringify(t.length > 40 ? `${t.slice(0, 37)}...` : t);
  const fix =
    /^[+-]?\d*,\d+$/.test(t) && t.length <= 40
      ? `write ${t.replace(',', '.')} (a decimal point, not a comma)`
      : 'write decimals with a point and no thousands separators';
  return `${shown} (${where}) is not a plain decimal number: ${fix}`;
}
