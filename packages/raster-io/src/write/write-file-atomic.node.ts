import { CoreError } from '@worldstrat/core';
import { writeFileAtomic as writeFileAtomicCore } from '@worldstrat/core/node';
import { RasterIoError } from '../errors.js';

/**
 * Write a file atomically (temp file, fsync, rename) through `@worldstrat/core/node`'s `writeFileAtomic`,
 * reporting failures as raster-io errors.
 *
 * @deprecated import `writeFileAtomic` from `@worldstrat/core/node` (it throws CoreError `WRITE_FAILED`).
 * @param path - destination path
 * @param data - bytes, UTF-8 text, or pieces of bytes written back to back
 * @throws RasterIoError `WRITE_FAILED` naming the path and the system error (the temporary file is removed)
 * @example
 * ```ts
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
  try {
    await writeFileAtomicCore(path, data);
  } catch (err) {
    if (err instanceof CoreError) throw new RasterIoError('WRITE_FAILED', err.message, { cause: err.cause });
    throw err;
  }
}
