// The one interface every reader goes through: random access to bytes, with an optional abort signal.

/**
 * Random-access bytes: a file, a buffer or a URL.
 *
 * `read(offset, length)` resolves to exactly `length` bytes, or fewer when the range runs past the end of
 * the source (an empty array at or beyond the end). Implementations throw {@link RasterIoError}s.
 *
 * @example
 * ```ts
 * const src = memorySource(bytes, 'scene.tif');
 * const header = await src.read(0, 8);
 * ```
 */
/** A file a source lends to decode workers (see {@link ByteSource.lendFile}). */
export interface LentFile {
  /** The open file's descriptor, valid until `release()`. */
  readonly fd: number;
  /** Bytes readable: reads past it are short, as the source's own. */
  readonly size: number;
  /** Give the descriptor back (once; later calls do nothing). */
  release(): void;
}

export interface ByteSource {
  /** A name for messages: a path, a URL or a label. */
  readonly name: string;
  /** Total size in bytes when known (HTTP sources learn it from the first response). */
  readonly size?: number;
  /**
   * Largest read worth making in one piece. Readers split longer runs of adjacent blocks into reads of about
   * this size so that decoding the first overlaps reading the rest (files); unset means no limit (HTTP, where
   * each read is a request).
   */
  readonly preferredReadBytes?: number;
  /**
   * Read `length` bytes at `offset`.
   * @param offset - byte offset, ≥ 0
   * @param length - byte count, ≥ 0
   * @param signal - aborts the read with an `ABORTED` error
   * @returns the bytes (shorter than `length` only at the end of the source)
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Optional: read `target.length` bytes at `offset` into `target` (fewer at the end of the source), so a reader
   * can choose the memory, e.g. shared memory that decode workers read with no copy.
   * @returns how many bytes were read
   */
  readInto?(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number>;
  /**
   * Optional (local files in Node): lend the open file to decode workers, which then read their blocks
   * themselves instead of receiving them. The descriptor stays open until `release()` (a `close()` waits for it);
   * `size` is the size every read of this source is clipped to. Resolves undefined when it cannot lend.
   */
  lendFile?(signal?: AbortSignal): Promise<LentFile | undefined>;
  /** Release the underlying handle (files). Safe to call twice. */
  close?(): Promise<void>;
}
