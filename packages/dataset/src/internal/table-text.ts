// Tables (split and metadata CSVs, AOI lists) are decoded strictly: a Latin-1 table read leniently would name
// tiles that are not there, without a word.
import { decodeUtf8Text } from '@worldstrat/core';
import { DatasetError } from '../errors.js';

/**
 * The UTF-8 text of a table's bytes (a byte-order mark kept).
 *
 * @param bytes - the table as stored.
 * @param name - what and where it is, for the message (`AOI list data/split.csv`).
 * @returns its text.
 * @throws {DatasetError} `UNREADABLE_FILE` naming the byte and line where it stops being UTF-8.
 */
export function tableText(bytes: Uint8Array, name: string): string {
  const decoded = decodeUtf8Text(bytes);
  if ('text' in decoded) return decoded.text;
  const { byte, line } = decoded.fault;
  throw new DatasetError(
    'UNREADABLE_FILE',
    `${name} is not UTF-8 text at byte ${byte} (line ${line}); save it as UTF-8`,
  );
}
