// The release's CSV tables as they come in: the CSV parser guarantees every row has the header's cells (or
// fails); a tile must name one folder, because the scanner joins it into file paths.
import { CoreError, type ParsedCsv, parseCsv } from '@worldstrat/core';
import { DatasetError, type DatasetErrorCode } from '../errors.js';

/**
 * Parse a table of the layout and check its shape.
 *
 * @param text - CSV text.
 * @param path - the table's path or URL, for messages.
 * @returns the header and rows; every row has a string cell for every column.
 * @throws {DatasetError} `DATASET_LAYOUT` naming the table and the data row that does not match the header (or
 *   an open quote, a column named twice).
 */
export function parseLayoutTable(text: string, path: string): ParsedCsv {
  try {
    return parseCsv(text, { name: path });
  } catch (e) {
    if (e instanceof CoreError) throw new DatasetError('DATASET_LAYOUT', e.message, { cause: e });
    throw e;
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
