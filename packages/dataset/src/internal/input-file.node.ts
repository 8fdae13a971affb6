// A local file the caller names as input (an archive to unpack, a file to hash): checked to be a readable regular
// file first, so a missing path is a typed error naming it and a FIFO or device never blocks a stream for ever.
import { stat } from 'node:fs/promises';
import { isMissingPathError } from '@worldstrat/core/node';
import { DatasetError } from '../errors.js';

/**
 * The size of the regular file at `path`, described as `what` in messages.
 *
 * @throws {DatasetError} `UNREADABLE_FILE` naming the path when it cannot be stat'ed (missing, no permission) or is
 *   not a regular file (a folder, FIFO or device).
 */
export async function inputFileSize(path: string, what: string): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw new DatasetError(
      'UNREADABLE_FILE',
      `${path}: cannot read ${what} (${isMissingPathError(e) ? 'no such file' : (e as Error).message})`,
      { cause: e },
    );
  }
  if (!info.isFile())
    throw new DatasetError(
      'UNREADABLE_FILE',
      `${path}: not a regular file (${info.isDirectory() ? 'a folder' : 'a FIFO, socket or device'}); give ${what}`,
    );
  return info.size;
}
