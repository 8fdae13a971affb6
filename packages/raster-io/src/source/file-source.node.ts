import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { RasterIoError } from '../errors.js';
import { checkRange, throwIfAborted } from '../internal/assert.js';
import type { ByteSource } from './byte-source.js';

/** Reads of this size keep the page-cache copy short enough to overlap with decoding the previous one. */
const PREFERRED_READ_BYTES = 1024 * 1024;

/** Read-only and, where the platform has it, non-blocking (see ensureOpen). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Most bytes one `FileHandle.read` is asked for (Node's limit is 2^31 − 1). */
const MAX_READ_CHUNK = 2 ** 30;

/** A {@link ByteSource} over a local file; `size` is known after the first read. */
export interface FileByteSource extends ByteSource {
  close(): Promise<void>;
}

/**
 * A local file as a {@link ByteSource} (Node only). The file is opened on the first read (so this call
 * never throws for a missing file; the first read does); close it when done.
 *
 * @param path - file path
 * @returns the source
 * @throws RasterIoError `INVALID_ARGUMENT` (on the first read) when the file cannot be opened: missing, a
 *   folder, no permission
 * @example
 * ```ts
 * const src = fileSource('scene.tif');
 * try { const tiff = await openGeoTiff(src); } finally { await src.close(); }
 * ```
 */
export function fileSource(path: string): FileByteSource {
  let opened: Promise<{ handle: FileHandle; size: number }> | undefined;
  let size: number | undefined;
  let closed = false;
  // Descriptors lent to decode workers: close() waits until every one is given back (so no worker reads a
  // descriptor number the process has reused for another file).
  let lent = 0;
  let allReturned: (() => void) | undefined;
  const ensureOpen = () => {
    opened ??= (async () => {
      let handle: FileHandle | undefined;
      try {
        // non-blocking: opening a FIFO for reading otherwise waits for a writer for ever (no signal, not even
        // process.exit, ends it); regular files read the same, and anything else is refused below
        handle = await open(path, OPEN_FLAGS);
        const stat = await handle.stat();
        if (!stat.isFile()) throw new Error('not a regular file');
        size = stat.size;
        return { handle, size: stat.size };
      } catch (err) {
        await handle?.close().catch(() => {});
        throw new RasterIoError(
          'INVALID_ARGUMENT',
          `${path}: cannot open for reading (${(err as Error).message})`,
          { cause: err },
        );
      }
    })();
    return opened;
  };
  /** The open file, after the checks every read makes. */
  const openChecked = async (signal?: AbortSignal) => {
    throwIfAborted(signal, path);
    if (closed) throw new RasterIoError('INVALID_ARGUMENT', `${path}: read after close()`);
    return ensureOpen();
  };
  const readInto = async (offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> => {
    checkRange(path, offset, target.length);
    const { handle, size: total } = await openChecked(signal);
    const n = Math.max(0, Math.min(target.length, total - offset));
    let done = 0;
    while (done < n) {
      // Node aborts the process (a native assertion, not an exception) on a read length or buffer offset of
      // 2^31 or more: read in bounded pieces, each into its own view
      const chunk = Math.min(n - done, MAX_READ_CHUNK);
      const { bytesRead } = await handle.read(target.subarray(done, done + chunk), 0, chunk, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    throwIfAborted(signal, path);
    return done;
  };
  return {
    name: path,
    preferredReadBytes: PREFERRED_READ_BYTES,
    get size() {
      return size;
    },
    async read(offset, length, signal) {
      checkRange(path, offset, length);
      const { size: total } = await openChecked(signal);
      const n = Math.max(0, Math.min(length, total - offset));
      // not zero-filled: every byte returned is read from the file (a short read is copied out below)
      const out = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
      const done = await readInto(offset, out, signal);
      return done === n ? out : out.slice(0, done);
    },
    readInto,
    async lendFile(signal) {
      const { handle, size: total } = await openChecked(signal);
      lent++;
      let given = false;
      return {
        fd: handle.fd,
        size: total,
        release() {
          if (given) return;
          given = true;
          if (--lent === 0) allReturned?.();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (lent > 0)
        await new Promise<void>((resolve) => {
          allReturned = resolve;
        });
      if (opened) await (await opened.catch(() => undefined))?.handle.close();
    },
  };
}
