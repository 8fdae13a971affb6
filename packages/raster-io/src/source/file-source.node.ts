import { type FileHandle, open } from 'node:fs/promises';
import { RasterIoError } from '../errors.js';
import { checkRange, throwIfAborted } from '../internal/assert.js';
import type { ByteSource } from './byte-source.js';

/** A {@link ByteSource} over a local file; `size` is known once {@link fileSource} resolves. */
export interface FileByteSource extends ByteSource {
  readonly size: number;
  close(): Promise<void>;
}

/**
 * Open a local file as a {@link ByteSource} (Node only). Close it when done.
 *
 * @param path - file path
 * @returns the opened source
 * @throws RasterIoError `INVALID_ARGUMENT` when the file cannot be opened (missing, a directory, no permission)
 * @example
 * ```ts
 * const src = await fileSource('scene.tif');
 * try { const tiff = await openGeoTiff(src); } finally { await src.close(); }
 * ```
 */
export async function fileSource(path: string): Promise<FileByteSource> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new Error('not a regular file');
    }
    size = stat.size;
  } catch (err) {
    throw new RasterIoError('INVALID_ARGUMENT', `${path}: cannot open for reading (${(err as Error).message})`, {
      cause: err,
    });
  }
  let closed = false;
  return {
    name: path,
    size,
    async read(offset, length, signal) {
      checkRange(path, offset, length);
      throwIfAborted(signal, path);
      if (closed) throw new RasterIoError('INVALID_ARGUMENT', `${path}: read after close()`);
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await handle.read(out, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      throwIfAborted(signal, path);
      return done === n ? out : out.subarray(0, done);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
