// Reading a file a user or an earlier run left on disk: only a regular file, only up to a size cap. The file is
// opened non-blocking and checked through its own handle, so a FIFO never blocks the open or the read (a plain
// `readFile` of a FIFO waits for a writer for ever) and a file swapped after the check is still the one checked.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { CoreError } from '../errors.js';
import { checkObject, checkString, invalidArgument } from '../internal/check-arguments.js';
import { isMissingPathError } from './missing-path.node.js';

/** Options of {@link readFileBounded}. */
export interface ReadFileBoundedOptions {
  /** Largest size read, in bytes; a bigger file is refused before any byte is read. */
  maxBytes: number;
  /** What the file is, for messages (`'saved plan'`, `'checkpoint'`). Default `'file'`. */
  what?: string;
}

/**
 * Read a whole regular file of at most `maxBytes`.
 *
 * @param path - the file.
 * @param options - the size cap and what the file is, for messages.
 * @returns its bytes.
 * @throws {CoreError} `FILE_NOT_FOUND` when nothing is at `path`; `UNREADABLE_FILE` for a folder, FIFO, socket
 *   or device, a file over `maxBytes` (also one that grows past it while read), or a failed read, each naming
 *   the file. The system error is the `cause`.
 * @example
 * const text = (await readFileBounded('rebuild/plan.json', { maxBytes: 64 << 20, what: 'saved plan' })).toString('utf8');
 */
export async function readFileBounded(path: string, options: ReadFileBoundedOptions): Promise<Buffer> {
  checkString('readFileBounded', 'path', path);
  checkObject('readFileBounded', 'options', options);
  const what =
    options.what === undefined ? 'file' : checkString('readFileBounded', 'options.what', options.what);
  const maxBytes = options.maxBytes;
  if (typeof maxBytes !== 'number' || !(maxBytes >= 0) || !Number.isSafeInteger(maxBytes))
    throw invalidArgument('readFileBounded', 'maxBytes', 'a whole number ≥ 0', maxBytes);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (isMissingPathError(e))
      throw new CoreError('FILE_NOT_FOUND', `${what} ${path} does not exist`, { cause: e });
    throw unreadable(what, path, `cannot be opened (${(e as Error).message})`, e);
  }
  try {
    return await readChecked(fh, what, path, maxBytes);
  } finally {
    await fh.close().catch(() => {});
  }
}

async function readChecked(fh: FileHandle, what: string, path: string, maxBytes: number): Promise<Buffer> {
  const s = await fh.stat().catch((e) => {
    throw unreadable(what, path, `cannot be examined (${(e as Error).message})`, e);
  });
  if (!s.isFile())
    throw unreadable(
      what,
      path,
      'is not a regular file (a folder, FIFO, socket or device), so it is not read',
    );
  if (s.size > maxBytes)
    throw unreadable(what, path, `is ${s.size} bytes, more than the ${maxBytes}-byte limit`);
  // One byte more than the size found: a file that grew since the check is noticed, not cut off silently.
  const buf = Buffer.allocUnsafe(s.size + 1);
  let filled = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled).catch((e) => {
      throw unreadable(what, path, `read failed (${(e as Error).message})`, e);
    });
    if (bytesRead === 0) break;
    filled += bytesRead;
    if (filled === buf.length)
      throw unreadable(
        what,
        path,
        `changed while it was read (it grew past the ${s.size} bytes it had when opened)`,
      );
  }
  return buf.subarray(0, filled);
}

function unreadable(what: string, path: string, why: string, cause?: unknown): CoreError {
  return new CoreError('UNREADABLE_FILE', `${what} ${path} ${why}`, cause ? { cause } : undefined);
}
