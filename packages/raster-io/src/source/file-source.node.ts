import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isMissingPathError } from '@worldstrat/core/node';
import { RasterIoError } from '../errors.js';
import { checkRange, throwIfAborted } from '../internal/assert.js';
import { checkOptionalBoolean, checkOptions } from '../internal/check-args.js';
import type { ByteSource } from './byte-source.js';

/** Reads of this size keep the page-cache copy short enough to overlap with decoding the previous one. */
const PREFERRED_READ_BYTES = 1024 * 1024;

/** Read-only and, where the platform has it, non-blocking (see ensureOpen). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Largest first read made before the file's size is known (a header block; larger reads wait for the size). */
const FIRST_READ_MAX_BYTES = 1024 * 1024;

/** Most bytes one `FileHandle.read` is asked for (Node's limit is 2^31 − 1). */
const MAX_READ_CHUNK = 2 ** 30;

/** A {@link ByteSource} over a local file; `size` is known after the first read. */
export interface FileByteSource extends ByteSource {
  close(): Promise<void>;
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /**
   * Open, read and close the file with synchronous system calls on the calling thread, as GDAL does, instead of
   * round trips to libuv's I/O threads. Each call then blocks the event loop until the file system answers: for
   * local files read in a loop (a training data loader), where it makes small reads several times faster. Never
   * for network file systems, FUSE mounts or disks that may stall. Default false.
   */
  syncIo?: boolean | undefined;
}

/** What the source uses of an open file: a `FileHandle`, or the descriptor of a synchronous open. */
interface OpenFile {
  readonly fd: number;
  stat(): Promise<Stats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** `fd` behind {@link OpenFile}, every call made at once with the synchronous system call (errors rejected). */
function syncFile(fd: number): OpenFile {
  return {
    fd,
    stat: async () => fstatSync(fd),
    read: async (buffer, offset, length, position) => ({
      bytesRead: readSync(fd, buffer, offset, length, position),
    }),
    close: async () => closeSync(fd),
  };
}

/**
 * A local file as a {@link ByteSource} (Node only). The file is opened on the first read (so this call
 * never throws for a missing file; the first read does); close it when done.
 *
 * @param path - file path
 * @param options - `syncIo`: synchronous system calls (see {@link FileSourceOptions})
 * @returns the source
 * @throws RasterIoError (on the first read) `FILE_NOT_FOUND` when nothing is at `path`; `UNREADABLE_FILE` when
 *   it cannot be opened or read: a folder, a FIFO or device, no permission, or a failed read (`EIO`, naming the bytes)
 * @example
 * ```ts
 * const src = fileSource('scene.tif');
 * try { const tiff = await openGeoTiff(src); } finally { await src.close(); }
 * ```
 */
export function fileSource(path: string, options: FileSourceOptions = {}): FileByteSource {
  checkOptions('fileSource', options);
  const syncIo = checkOptionalBoolean('fileSource', 'options.syncIo', options.syncIo) ?? false;
  let handle: Promise<OpenFile> | undefined;
  let opened: Promise<{ handle: OpenFile; size: number }> | undefined;
  let size: number | undefined;
  /** The open regular file once the fstat has found it: close() then closes it at once, before anything else runs. */
  let ready: OpenFile | undefined;
  let closed = false;
  // Descriptors lent to decode workers: close() waits until every one is given back (so no worker reads a
  // descriptor number the process has reused for another file).
  let lent = 0;
  let allReturned: (() => void) | undefined;
  const cannotOpen = (err: unknown) => {
    const code = isMissingPathError(err) ? 'FILE_NOT_FOUND' : 'UNREADABLE_FILE';
    return new RasterIoError(code, `${path}: cannot open for reading (${(err as Error).message})`, {
      cause: err,
    });
  };
  /** The descriptor, before the file is known to be a regular file: only for a read that waits for that too. */
  const openHandle = () => {
    // non-blocking: opening a FIFO for reading otherwise waits for a writer for ever (no signal, not even
    // process.exit, ends it); regular files read the same, and anything else is refused by ensureOpen
    handle ??= (syncIo ? (async () => syncFile(openSync(path, OPEN_FLAGS)))() : open(path, OPEN_FLAGS)).catch(
      (err: unknown) => {
        throw cannotOpen(err);
      },
    );
    return handle;
  };
  const ensureOpen = () => {
    opened ??= (async () => {
      const h = await openHandle();
      try {
        const stat = await h.stat();
        if (!stat.isFile()) throw new Error('not a regular file');
        size = stat.size;
        ready = h;
        return { handle: h, size: stat.size };
      } catch (err) {
        await h.close().catch(() => {});
        throw cannotOpen(err);
      }
    })();
    return opened;
  };
  /** The checks every read makes before it touches the file. */
  const checkReadable = (signal?: AbortSignal) => {
    throwIfAborted(signal, path);
    if (closed) throw new RasterIoError('INVALID_ARGUMENT', `${path}: read after close()`);
  };
  /** The open file, after the checks every read makes. */
  const openChecked = async (signal?: AbortSignal) => {
    checkReadable(signal);
    return ensureOpen();
  };
  /**
   * The first read of the file goes out beside its fstat (one round trip to the I/O threads less on every open);
   * its bytes are used only once the fstat has found a regular file, and only up to the size found.
   */
  const firstRead = async (offset: number, target: Uint8Array, signal?: AbortSignal) => {
    checkReadable(signal);
    const checked = ensureOpen();
    checked.catch(() => {}); // awaited below, unless the open fails first (then with the same error)
    const h = await openHandle();
    const chunk = Math.min(target.length, MAX_READ_CHUNK);
    const early = h.read(target.subarray(0, chunk), 0, chunk, offset).then(
      (r) => r.bytesRead,
      (err: unknown) => err as Error,
    );
    const { size: total } = await checked;
    const got = await early;
    const n = Math.max(0, Math.min(target.length, total - offset));
    // nothing was to be read (a file of size 0 such as /proc/self/mem, whose read fails): not an error
    if (n === 0) return 0;
    if (got instanceof Error) throw readFailed(offset, chunk, got);
    return Math.min(got, n);
  };
  const readFailed = (offset: number, length: number, err: Error) =>
    new RasterIoError(
      'UNREADABLE_FILE',
      `${path}: reading bytes ${offset}..${offset + length - 1} failed (${err.message})`,
      { cause: err },
    );
  const readInto = async (offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> => {
    checkRange(path, offset, target.length);
    // synchronous calls gain nothing from overlapping the fstat: the file is known to be regular before any read
    const early = !syncIo && size === undefined && opened === undefined;
    let done = early ? await firstRead(offset, target, signal) : 0;
    const { handle: h, size: total } = await openChecked(signal);
    const n = Math.max(0, Math.min(target.length, total - offset));
    while (done < n) {
      // Node aborts the process (a native assertion, not an exception) on a read length or buffer offset of
      // 2^31 or more: read in bounded pieces, each into its own view
      const chunk = Math.min(n - done, MAX_READ_CHUNK);
      let bytesRead: number;
      try {
        ({ bytesRead } = await h.read(target.subarray(done, done + chunk), 0, chunk, offset + done));
      } catch (err) {
        throw readFailed(offset + done, chunk, err as Error);
      }
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    throwIfAborted(signal, path);
    return Math.min(done, n);
  };
  return {
    name: path,
    preferredReadBytes: PREFERRED_READ_BYTES,
    get size() {
      return size;
    },
    async read(offset, length, signal) {
      checkRange(path, offset, length);
      // a first read of a known-small length is made before the size is known (see firstRead)
      const total =
        size ?? (length <= FIRST_READ_MAX_BYTES ? offset + length : (await openChecked(signal)).size);
      const n = Math.max(0, Math.min(length, total - offset));
      // not zero-filled: every byte returned is read from the file (a short read is copied out below)
      const out = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
      const done = await readInto(offset, out, signal);
      return done === n ? out : out.slice(0, done);
    },
    readInto,
    async lendFile(signal) {
      const { handle: h, size: total } = await openChecked(signal);
      lent++;
      let given = false;
      return {
        fd: h.fd,
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
      // issued in this call when nothing is lent (readGeoTiffFile closes once the last block is fetched: a
      // close issued after a round of awaits came after a last run of one block was already decoded)
      if (ready) return ready.close();
      if (opened) await (await opened.catch(() => undefined))?.handle.close();
      else if (handle) await (await handle.catch(() => undefined))?.close();
    },
  };
}
