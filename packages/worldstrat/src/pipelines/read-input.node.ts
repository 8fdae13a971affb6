// Files users or earlier runs left on disk (points files, saved plans, tile records, histories, weights) are read
// through core's `readFileBounded`: only a regular file (a FIFO would block for ever), only up to a cap, with
// this package's codes: nothing there is DATASET_NOT_FOUND, anything else unreadable is UNREADABLE_FILE.
import { CoreError, decodeUtf8Text } from '@worldstrat/core';
import { readFileBounded } from '@worldstrat/core/node';
import { WorldStratError } from '../errors.js';

/** Default cap of a table or points file (bytes). */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024 * 1024;

/** Longest text read into one string (V8's string length limit, in UTF-8 bytes ≥ characters). */
const MAX_TEXT_BYTES = 0x1fffffe8;

/**
 * The bytes of a regular file of at most `maxBytes`.
 *
 * @param path - the file.
 * @param what - what it is, for messages (`'points file'`, `'saved plan'`).
 * @param maxBytes - size cap.
 * @returns its bytes.
 * @throws {WorldStratError} `DATASET_NOT_FOUND` when nothing is there; `UNREADABLE_FILE` for a folder, FIFO or
 *   device, a file over the cap or a failed read; each names the file.
 */
export async function readInputBytes(path: string, what: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readFileBounded(path, { maxBytes, what });
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    const code = e.code === 'FILE_NOT_FOUND' ? 'DATASET_NOT_FOUND' : 'UNREADABLE_FILE';
    throw new WorldStratError(code, e.message, { cause: e });
  }
}

/**
 * The UTF-8 text of a regular file of at most `maxBytes` (see {@link readInputBytes}), decoded strictly: a Latin-1
 * export read leniently would change its names without a word.
 *
 * @returns the text.
 * @throws {WorldStratError} as {@link readInputBytes}; `UNREADABLE_FILE` naming the byte and line where the file
 *   stops being UTF-8.
 */
export async function readInputText(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_FILE_BYTES,
): Promise<string> {
  const decoded = decodeUtf8Text(await readInputBytes(path, what, Math.min(maxBytes, MAX_TEXT_BYTES)));
  if ('text' in decoded) return decoded.text;
  const { byte, line } = decoded.fault;
  throw new WorldStratError(
    'UNREADABLE_FILE',
    `${what} ${path} is not UTF-8 text at byte ${byte} (line ${line}); save it as UTF-8`,
  );
}

/**
 * The text of a file this package wrote earlier (a plan, a record), or undefined when it is not there.
 *
 * @returns the text, or undefined when nothing is at `path`.
 * @throws {WorldStratError} `UNREADABLE_FILE` as {@link readInputBytes}.
 */
export async function readOptionalText(
  path: string,
  what: string,
  maxBytes: number,
): Promise<string | undefined> {
  try {
    return await readInputText(path, what, maxBytes);
  } catch (e) {
    if (e instanceof WorldStratError && e.code === 'DATASET_NOT_FOUND') return undefined;
    throw e;
  }
}
