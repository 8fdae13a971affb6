import { checkRange, throwIfAborted } from '../internal/assert.js';
import { checkObjectWith, checkOptions, checkPositiveInteger } from '../internal/check-args.js';
import type { ByteSource } from './byte-source.js';
import { waitOrAbort } from './wait-or-abort.js';

/** Options for {@link blockCache}. */
export interface BlockCacheOptions {
  /** Block size in bytes (default 16 KiB). */
  blockSize?: number;
  /** Blocks kept (least recently used are dropped; default 256). */
  maxBlocks?: number;
}

/**
 * One read of the underlying source, shared by every reader waiting on its blocks: made with its own signal, which
 * fires only when the last of them has aborted (one reader's abort must not fail the others).
 */
interface Run {
  readonly controller: AbortController;
  waiters: number;
  settled: boolean;
}

interface CachedBlock {
  readonly bytes: Promise<Uint8Array>;
  readonly run: Run;
}

/** Defaults merged by {@link blockCache}. */
export const DEFAULT_BLOCK_CACHE = {
  blockSize: 16 * 1024,
  maxBlocks: 256,
} as const satisfies BlockCacheOptions;

/**
 * The options merged over the defaults, each a positive integer: a block size of 0 or a fraction never got past
 * the first block and a negative `maxBlocks` evicted for ever (both synchronous loops), a negative or NaN block
 * size read nothing, which callers took for the end of the file.
 */
export function checkBlockCacheOptions(
  fn: string,
  name: string,
  options: BlockCacheOptions | undefined,
): Required<BlockCacheOptions> {
  const o = checkOptions(fn, options, name);
  return {
    blockSize: checkPositiveInteger(fn, `${name}.blockSize`, o.blockSize ?? DEFAULT_BLOCK_CACHE.blockSize),
    maxBlocks: checkPositiveInteger(fn, `${name}.maxBlocks`, o.maxBlocks ?? DEFAULT_BLOCK_CACHE.maxBlocks),
  };
}

/**
 * Wrap a {@link ByteSource} in an LRU block cache: reads are rounded to whole blocks, missing blocks that
 * are adjacent are fetched in one read, and concurrent reads of the same block share one request (cancelled only
 * once every reader waiting on it has aborted). Useful for the many small header/IFD reads of a remote TIFF.
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
  const { blockSize, maxBlocks } = checkBlockCacheOptions('blockCache', 'options', options);
  const blocks = new Map<number, CachedBlock>();

  function remember(id: number, block: CachedBlock): void {
    blocks.set(id, block);
    // a failed block is dropped, unless a newer read of it already took its place
    block.bytes.catch(() => blocks.get(id) === block && blocks.delete(id));
    while (blocks.size > maxBlocks) {
      const oldest = blocks.keys().next().value as number;
      blocks.delete(oldest);
    }
  }

  /** Reads blocks [start, end) in one request and caches each. */
  function startRun(start: number, end: number): CachedBlock[] {
    const run: Run = { controller: new AbortController(), waiters: 0, settled: false };
    const bytes = source.read(start * blockSize, (end - start) * blockSize, run.controller.signal);
    const settle = () => {
      run.settled = true;
    };
    bytes.then(settle, settle);
    const out: CachedBlock[] = [];
    for (let id = start; id < end; id++) {
      const k = id - start;
      const block = {
        bytes: bytes.then((all) =>
          all.subarray(
            Math.min(k * blockSize, all.byteLength),
            Math.min((k + 1) * blockSize, all.byteLength),
          ),
        ),
        run,
      };
      out.push(block);
      remember(id, block);
    }
    return out;
  }

  /** A reader stops waiting on `run`; the last one, if it aborted, cancels it and drops its blocks. */
  function leave(run: Run, aborted: boolean): void {
    run.waiters--;
    if (!aborted || run.waiters > 0 || run.settled) return;
    run.controller.abort();
    for (const [id, block] of blocks) if (block.run === run) blocks.delete(id);
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
      const wanted: CachedBlock[] = [];
      let runStart = -1;
      const flush = (endExclusive: number) => {
        if (runStart >= 0) wanted.push(...startRun(runStart, endExclusive));
        runStart = -1;
      };
      for (let id = first; id <= last; id++) {
        const hit = blocks.get(id);
        if (hit) {
          flush(id);
          // refresh LRU position
          blocks.delete(id);
          blocks.set(id, hit);
          wanted.push(hit);
        } else if (runStart < 0) runStart = id;
      }
      flush(last + 1);
      const runs = new Set(wanted.map((b) => b.run));
      for (const run of runs) run.waiters++;
      let got: Uint8Array[];
      try {
        got = await waitOrAbort(Promise.all(wanted.map((b) => b.bytes)), signal, source.name);
      } finally {
        for (const run of runs) leave(run, signal?.aborted === true);
      }
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
