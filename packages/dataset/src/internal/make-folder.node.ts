// Output folders this package creates, as DatasetError WRITE_FAILED (see core's createFolder).
import { createFolder, folderFailureMessage } from '@worldstrat/core/node';
import { DatasetError } from '../errors.js';

const writeFailed = (message: string, cause: unknown) => new DatasetError('WRITE_FAILED', message, { cause });

/** The `WRITE_FAILED` error of a failed file-system call creating the folder `path` (the system error as cause). */
export function folderError(what: string, path: string, e: unknown): DatasetError {
  return writeFailed(folderFailureMessage(what, path, e), e);
}

/** Create `path` and the folders above it, or throw `WRITE_FAILED` naming the folder and the reason. */
export function makeFolder(what: string, path: string): Promise<void> {
  return createFolder(what, path, writeFailed);
}
