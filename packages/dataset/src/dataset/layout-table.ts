// The release's CSV tables as they come in: every data row has exactly the header's cells (the CSV parser
// leaves missing cells undefined and puts extra ones in an array), and a tile names one folder, because the
// scanner joins it into file paths.
import { type ParsedCsv, parseCsv } from '@worldstrat/core';
import { DatasetError, type DatasetErrorCode } from '../errors.js';

/** Where the parser puts the cells of a row past the header's. */
const EXTRA_CELLS = '__parsed_extra';

/**
 * Parse a table of the layout and check its shape.
 *
 * @param text - CSV text.
 * @param path - the table's path or URL, for messages.
 * @returns the header and rows; every row has a string cell for every column.
 * @throws {DatasetError} `DATASET_LAYOUT` naming the table and the data row that does not match the header.
 */
export function parseLayoutTable(text: string, path: string): ParsedCsv {
  const table = parseCsv(text);
  if (table.header.includes('__proto__')) {
    throw new DatasetError('DATASET_LAYOUT', `${path}: a column named "__proto__" is not supported`);
  }
  table.rows.forEach((row, i) => {
    checkRowCells(row, table.header, `${path}: data row ${i + 1}`);
  });
  return table;
}

function checkRowCells(row: Record<string, unknown>, header: readonly string[], where: string): void {
  const extra = row[EXTRA_CELLS];
  if (Array.isArray(extra)) {
    throw new DatasetError(
      'DATASET_LAYOUT',
      `${where} has ${header.length + extra.length} cells, the header ${header.length}`,
    );
  }
  const missing = header.find((h) => typeof row[h] !== 'string');
  if (missing !== undefined) {
    const cells = header.filter((h) => typeof row[h] === 'string').length;
    throw new DatasetError(
      'DATASET_LAYOUT',
      `${where} has ${cells} cells, the header ${header.length} (no "${missing}" cell)`,
    );
  }
}

/** Longest part of a bad name quoted in a message. */
const SHOWN_NAME_CHARS = 80;

/**
 * Check that a tile (AOI) name is one folder name: not empty, not `.`/`..`, no `/`, `\` or control characters.
 *
 * @param name - the name as read.
 * @param where - the table and place (`split.csv: data row 3, column "tile"`).
 * @param code - `DATASET_LAYOUT` for a table, `INVALID_ARGUMENT` for a caller's list.
 * @returns the name.
 * @throws {DatasetError} with `code`.
 */
export function checkTileName(name: unknown, where: string, code: DatasetErrorCode): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (typeof name === 'string' && name !== '' && !/^\.\.?$|[/\\\u0000-\u001f\u007f]/.test(name)) return name;
  const shown =
    typeof name === 'string'
      ? JSON.stringify(name.length > SHOWN_NAME_CHARS ? `${name.slice(0, SHOWN_NAME_CHARS)}…` : name)
      : typeof name;
  throw new DatasetError(
    code,
    `${where}: tile ${shown} is not a folder name (empty, "." or "..", a path separator or a control character)`,
  );
}
