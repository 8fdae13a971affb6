// User input files (matches files, tables, points/AOI files) are checked before they are read: a missing path
// is DATASET_NOT_FOUND, a folder, FIFO or device (a FIFO's read would block for ever) or a file over the size
// cap is UNREADABLE_FILE, each naming the file.
import { stat } from 'node:fs/promises';
import { WorldStratError } from '../errors.js';
import { MAX_INPUT_FILE_BYTES } from '../pipelines/read-input.node.js';

/**
 * Check that `path` is a regular file of at most `maxBytes`.
 *
 * @param path - the file.
 * @param what - what it is, for messages (`matches file`, `points file`).
 * @param maxBytes - size cap.
 * @throws {WorldStratError} `DATASET_NOT_FOUND`, `UNREADABLE_FILE`.
 */
export async function checkInputFile(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_FILE_BYTES,
): Promise<void> {
  const s = await stat(path).catch((e) => {
    throw new WorldStratError('DATASET_NOT_FOUND', `${what} ${path}: ${(e as Error).message}`, { cause: e });
  });
  if (!s.isFile()) throw new WorldStratError('UNREADABLE_FILE', `${what} ${path} is not a regular file`);
  if (s.size > maxBytes)
    throw new WorldStratError(
      'UNREADABLE_FILE',
      `${what} ${path}: ${s.size} bytes, more than the ${maxBytes} read`,
    );
}
