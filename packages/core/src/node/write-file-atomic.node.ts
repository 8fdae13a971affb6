import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CsvCell, toCsv } from '../csv.js';
import { CoreError } from '../errors.js';

/**
 * Write a file atomically: write a temporary file `<path>.<12 hex>.tmp` next to it, fsync, then rename over
 * the target, so readers see the old file or the new one, never half of one. Creates missing parent folders.
 * @param path destination path.
 * @param data bytes or UTF-8 text.
 * @throws CoreError `WRITE_FAILED` naming the path and the system error (the temporary file is removed).
 * @example
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
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
