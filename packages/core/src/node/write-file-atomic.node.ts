import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CsvCell, toCsv } from '../csv.js';
import { CoreError } from '../errors.js';

/**
 * Write a file atomically: write a temporary file `<path>.<12 hex>.tmp` next to it, fsync, then rename over
 * the target, so readers see the old file or the new one, never half of one. Creates missing parent folders.
 * @param path destination path.
 * @param data bytes, UTF-8 text, or pieces of bytes written one after another (one gathered write: a file made
 *   of many blocks need not be copied into one buffer first).
 * @throws CoreError `WRITE_FAILED` naming the path and the system error (the temporary file is removed).
 * @example
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
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
 * Writes a CSV file atomically ({@link toCsv} + {@link writeFileAtomic}).
 * @param path destination path.
 * @param table header and rows.
 * @throws CoreError `WRITE_FAILED`.
 * @example
 * await writeCsv('out/points.csv', { header: ['lon', 'lat'], rows: [[8.5, 47.4]] });
 */
export async function writeCsv(path: string, table: WriteCsvOptions): Promise<void> {
  await writeFileAtomic(path, toCsv(table.header, table.rows));
}
