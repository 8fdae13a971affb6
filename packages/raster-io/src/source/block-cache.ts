import { checkRange, throwIfAborted } from '../internal/assert.js';
import { checkObjectWith, checkOptions } from '../internal/check-args.js';
import type { ByteSource } from './byte-source.js';

/** Options for {@link blockCache}. */
export interface BlockCacheOptions {
  /** Block size in bytes (default 16 KiB). */
  blockSize?: number;
  /** Blocks kept (least recently used are dropped; default 256). */
  maxBlocks?: number;
}

/** Defaults merged by {@link blockCache}. */
export const DEFAULT_BLOCK_CACHE = {
  blockSize: 16 * 1024,
  maxBlocks: 256,
} as const satisfies BlockCacheOptions;

/**
 * Wrap a {@link ByteSource} in an LRU block cache: reads are rounded to whole blocks, missing blocks that
 * are adjacent are fetched in one read, and concurrent reads of the same block share one request.
 * Useful for the many small header/IFD reads of a remote TIFF.
 *
 * @param source - the source to cache
 * @param options - blockSize, maxBlocks
 * @returns a source with the same name and size
 * @example
 * ```ts
 * const src = blockCache(httpSource(url), { blockSize: 65536 });
 * ```
 */
export function blockCache(source: ByteSource, options: BlockCacheOptions = {}): ByteSource {
  checkObjectWith('blockCache', 'source', source, ['read']);
  const { blockSize, maxBlocks } = { ...DEFAULT_BLOCK_CACHE, ...checkOptions('blockCache', options) };
  const blocks = new Map<number, Promise<Uint8Array>>();

  function remember(id: number, p: Promise<Uint8Array>): void {
    blocks.set(id, p);
    p.catch(() => blocks.delete(id));
    while (blocks.size > maxBlocks) {
      const oldest = blocks.keys().next().value as number;
      blocks.delete(oldest);
    }
  }

  return {
    name: source.name,
    get size() {
      return source.size;
    },
    async read(offset, length, signal) {
      checkRange(source.name, offset, length);
      throwIfAborted(signal, source.name);
      if (length === 0) return new Uint8Array(0);
      const first = Math.floor(offset / blockSize);
      const last = Math.floor((offset + length - 1) / blockSize);
      // Fetch runs of missing blocks with one read each.
      let runStart = -1;
      const parts: Promise<Uint8Array>[] = [];
      const flush = (endExclusive: number) => {
        if (runStart < 0) return;
        const start = runStart;
        const run = source.read(start * blockSize, (endExclusive - start) * blockSize, signal);
        for (let id = start; id < endExclusive; id++) {
          const k = id - start;
          const block = run.then((bytes) =>
            bytes.subarray(
              Math.min(k * blockSize, bytes.byteLength),
              Math.min((k + 1) * blockSize, bytes.byteLength),
            ),
          );
          parts[id - first] = block;
          remember(id, block);
        }
        runStart = -1;
      };
      for (let id = first; id <= last; id++) {
        const hit = blocks.get(id);
        if (hit) {
          // refresh LRU position
          blocks.delete(id);
          blocks.set(id, hit);
          parts[id - first] = hit;
          flush(id);
        } else if (runStart < 0) runStart = id;
      }
      flush(last + 1);
      const got = await Promise.all(parts);
      const out = new Uint8Array(length);
      let filled = 0;
      for (let i = 0; i < got.length; i++) {
        const part = got[i] as Uint8Array;
        const blockStart = (first + i) * blockSize;
        const from = Math.max(offset, blockStart) - blockStart;
        const to = Math.min(offset + length - blockStart, part.byteLength);
        if (to <= from) break;
        out.set(part.subarray(from, to), filled);
        filled += to - from;
        if (part.byteLength < blockSize) break; // end of source
      }
      return filled === length ? out : out.subarray(0, filled);
    },
    close: source.close ? () => (source.close as () => Promise<void>)() : undefined,
  };
}
