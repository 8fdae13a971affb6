import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CsvCell } from '../csv.js';
import { CoreError } from '../errors.js';
import { checkObject, checkString, invalidArgument } from '../internal/check-arguments.js';

/**
 * Write a file atomically: write a temporary file `<path>.<12 hex>.tmp` next to it, fsync, then rename over
 * the target, so readers see the old file or the new one, never half of one. Creates missing parent folders.
 * @param path destination path.
 * @param data bytes, UTF-8 text, or pieces of bytes written one after another (one gathered write: a file made
 *   of many blocks need not be copied into one buffer first).
 * @throws CoreError `WRITE_FAILED` naming the path and the system error (the temporary file is removed);
 *   `INVALID_ARGUMENT` for a path that is not a string or data that is none of these (nothing is written).
 * @example
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
  checkString('writeFileAtomic', 'path', path);
  checkData(data);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      if (Array.isArray(data)) await writeGathered(fh, data);
      else await fh.writeFile(data as Uint8Array | string);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new CoreError(
      'WRITE_FAILED',
      `${path}: write failed (${(err as Error).message}); check that the folder is writable and the disk has space`,
      { cause: err },
    );
  }
}

/** Bytes, text, or an array of byte pieces (or another (async) iterable, which `FileHandle.writeFile` takes). */
function checkData(data: unknown): void {
  if (typeof data === 'string' || ArrayBuffer.isView(data)) return;
  const iterable =
    typeof data === 'object' &&
    data !== null &&
    (Symbol.iterator in data || Symbol.asyncIterator in data) &&
    !Array.isArray(data);
  if (iterable) return;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++)
      if (!ArrayBuffer.isView(data[i]))
        throw invalidArgument('writeFileAtomic', `data[${i}]`, 'a Uint8Array', data[i]);
    return;
  }
  throw invalidArgument('writeFileAtomic', 'data', 'a Uint8Array, a string or an array of Uint8Arrays', data);
}

/** Write `pieces` back to back from the start of the file (libuv splits the list at the system's iovec limit). */
async function writeGathered(fh: FileHandle, pieces: readonly Uint8Array[]): Promise<void> {
  let total = 0;
  for (const p of pieces) total += p.byteLength;
  const { bytesWritten } = await fh.writev(pieces as Uint8Array[], 0);
  if (bytesWritten !== total) throw new Error(`short write: ${bytesWritten} of ${total} bytes`);
}

/** Options of {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Column names. */
  header: readonly string[];
  /** One array of cells per line, in header order. */
  rows: readonly (readonly CsvCell[])[];
}

/**
 * Writes a CSV file atomically (`toCsv`'s text through {@link writeFileAtomic}).
 * @param path destination path.
 * @param table header and rows.
 * @throws CoreError `WRITE_FAILED`; `INVALID_ARGUMENT` for a table whose header or rows are not arrays of cells.
 * @example
 * await writeCsv('out/points.csv', { header: ['lon', 'lat'], rows: [[8.5, 47.4]] });
 */
export async function writeCsv(path: string, table: WriteCsvOptions): Promise<void> {
  checkString('writeCsv', 'path', path);
  checkObject('writeCsv', 'table', table);
  // Loaded on demand: a static import would put the CSV code (and papaparse) in the chunk every core import
  // shares, and browser bundles that never write CSV would carry it.
  const { csvText } = await import('../csv.js');
  await writeFileAtomic(
    path,
    csvText('writeCsv', table.header, table.rows, { header: 'table.header', rows: 'table.rows' }),
  );
}
