import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RasterIoError } from '../errors.js';

/**
 * Write a file atomically: write a temporary file next to it, fsync, then rename over the target, so
 * readers see the old file or the new one, never half of one. Creates missing parent folders.
 *
 * @param path - destination path
 * @param data - bytes or UTF-8 text
 * @throws RasterIoError `WRITE_FAILED` naming the path and the system error (the temporary file is removed)
 * @example
 * ```ts
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 * ```
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
    throw new RasterIoError(
      'WRITE_FAILED',
      `${path}: write failed (${(err as Error).message}); check that the folder is writable and the disk has space`,
      {
        cause: err,
      },
    );
  }
}
