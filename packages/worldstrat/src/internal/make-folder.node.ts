// Output folders the app creates, as WorldStratError WRITE_FAILED (see core's createFolder).
import { createFolder } from '@worldstrat/core/node';
import { WorldStratError } from '../errors.js';

/** Create `path` and the folders above it, or throw `WRITE_FAILED` naming the folder and the reason. */
export function makeFolder(what: string, path: string): Promise<void> {
  return createFolder(
    what,
    path,
    (message, cause) => new WorldStratError('WRITE_FAILED', message, { cause }),
  );
}
