// Files this package writes whole (tables, extraction markers): atomically, core's failure as WRITE_FAILED.
import { CoreError } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { DatasetError } from '../errors.js';

/** Write `text` to `path` atomically (temp + rename); a failed write is `WRITE_FAILED` naming the file. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (e) {
    if (e instanceof CoreError) throw new DatasetError('WRITE_FAILED', e.message, { cause: e });
    throw e;
  }
}
