import type { Codec } from '../codecs/codec.js';
import { NODE_CODECS } from '../codecs/node-codecs.node.js';
import { deflateBound, deflateInto, zlibCodec } from '../codecs/zlib-codec.node.js';
import { RasterIoError } from '../errors.js';
import { checkOptions } from '../internal/check-args.js';
import { type ParallelDeflater, parallelDeflater } from '../read/decode-pool.node.js';
import { plainScratch, type ScratchPool, sharedScratch } from '../read/scratch-pool.js';
import type { Raster } from '../types.js';
import { type EncodeGeoTiffOptions, encodeGeoTiffPieces, prepareGeoTiff } from './encode-geotiff.js';
import { writeFileAtomic } from './write-file-atomic.node.js';

/** Options of {@link writeGeoTiff}: those of {@link encodeGeoTiff} plus the compression threads. */
export interface WriteGeoTiffOptions extends EncodeGeoTiffOptions {
  /**
   * Threads compressing deflate blocks (default 1: this thread). With more, blocks are compressed on the
   * worker pool that parallel reads use; the file is byte-identical to the single-thread one. ZSTD blocks are
   * compressed on this thread whatever the count.
   */
  threads?: number;
}

/**
 * Encode a raster as GeoTIFF/COG (see {@link encodeGeoTiff}; deflate uses libdeflate or `node:zlib`, ZSTD libzstd or
 * `node:zlib`) and write it
 * atomically (temporary file + rename).
 *
 * @param path - destination path
 * @param raster - the raster to write
 * @param options - as {@link encodeGeoTiff}, plus `threads`
 * @returns the number of bytes written
 * @throws RasterIoError `WRITE_FAILED`, `WORKER_FAILED` (threads > 1), plus the errors of {@link encodeGeoTiff}
 * @example
 * ```ts
 * await writeGeoTiff('scene.tif', raster, { cog: true, compression: 'deflate', predictor: true, overviews: [2, 4] });
 * ```
 */
export async function writeGeoTiff(
  path: string,
  raster: Raster,
  options: WriteGeoTiffOptions = {},
): Promise<number> {
  // checked before it is taken apart: null options were a TypeError
  const { threads = 1, ...rest } = checkOptions('writeGeoTiff', options);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RasterIoError('INVALID_ARGUMENT', `${path}: threads must be an integer 1..256, got ${threads}`);
  }
  const encode = { ...rest, codecs: { ...NODE_CODECS, ...rest.codecs } };
  // the file's pieces go to disk in one gathered write, never copied into one buffer
  const write = async (pieces: Uint8Array[]): Promise<number> => {
    await writeFileAtomic(path, pieces);
    let bytes = 0;
    for (const p of pieces) bytes += p.byteLength;
    return bytes;
  };
  // One thread compresses each block as it is cut (one scratch block) into pooled slabs, which hold the overview
  // bands too; workers need every cut block kept until compressed, in pooled memory as well.
  // ZSTD (and caller-given deflate codecs) encode on this thread, block by block
  if (rest.compression === 'zstd' || encode.codecs[8] !== zlibCodec)
    return write(encodeGeoTiffPieces(raster, encode));
  if (threads > 1) return encodePooled(raster, encode, threads, write);
  const slabs = slabAllocator(plainScratch);
  try {
    const codecs = { ...encode.codecs, 8: deflateIntoSlabs(slabs) };
    return await write(encodeGeoTiffPieces(raster, { ...encode, codecs }, slabs.take));
  } finally {
    slabs.release();
  }
}

/** Node's deflate codec whose compressed blocks are views of pooled slabs (valid until the slabs are released). */
function deflateIntoSlabs(slabs: Slabs): Codec {
  return {
    ...zlibCodec,
    encode(block, level) {
      const region = slabs.take(deflateBound(block.byteLength));
      const r = deflateInto(block, level, region);
      slabs.trim(region, typeof r === 'number' ? r : 0);
      return typeof r === 'number' ? region.subarray(0, r) : r;
    },
  };
}

/**
 * encodeGeoTiff with the deflate stage on the worker pool (same bytes: same zlib, same level), then `write` of the
 * file's pieces. Each block goes to the workers as soon as it is cut, without a copy, so they compress while this
 * thread cuts the rest and computes the overviews. Blocks, overview bands and compressed blocks all live in pooled
 * slabs (no new pages per write), which go back to the pool once written.
 */
async function encodePooled(
  raster: Raster,
  options: EncodeGeoTiffOptions,
  threads: number,
  write: (pieces: Uint8Array[]) => Promise<number>,
): Promise<number> {
  let deflater: ParallelDeflater | undefined;
  let done = 0;
  let total = 0;
  const slabs = slabAllocator(sharedScratch);
  try {
    const prepared = prepareGeoTiff(
      raster,
      options,
      (block, level) => {
        if (level === undefined) return;
        const progress = () => options.onProgress?.({ stage: 'encode', done: ++done, total });
        deflater ??= parallelDeflater(threads, level, progress, slabs.take);
        deflater.add(block);
      },
      slabs.take,
    );
    if (!deflater) return await write(prepared.finish(prepared.blocks));
    total = prepared.blocks.reduce((n, lv) => n + lv.length, 0);
    const compressed = await deflater.done();
    const perLevel: Uint8Array[][] = [];
    let at = 0;
    for (const lv of prepared.blocks) {
      perLevel.push(compressed.slice(at, at + lv.length));
      at += lv.length;
    }
    return await write(prepared.finish(perLevel));
  } finally {
    // After a failure too, but only once no task can still write into them: a slab handed to the next write
    // while a worker still packs this one's blocks into it would spoil that file.
    await (deflater as ParallelDeflater | undefined)?.settled();
    slabs.release();
  }
}

/** Bytes of shared memory blocks are cut into before the workers compress them (the scratch pool's largest). */
const SLAB_BYTES = 16 * 1024 * 1024;

/** Regions of pooled slabs for one write, given back together once the file is written. */
interface Slabs {
  take(bytes: number): Uint8Array;
  /** Give back the end of the last region taken, keeping its first `keep` bytes. */
  trim(region: Uint8Array, keep: number): void;
  release(): void;
}

/**
 * Blocks cut for the deflate workers, overview bands and compressed blocks go into slabs of pooled memory (shared
 * for the workers, who read and write them where they are: no copy, no transfer), and the next write reuses the
 * same memory instead of touching new pages.
 */
function slabAllocator(pool: ScratchPool): Slabs {
  const slabs: Uint8Array[] = [];
  let used = 0;
  return {
    trim(region, keep) {
      const slab = slabs[slabs.length - 1];
      if (!slab || region.buffer !== slab.buffer) return;
      const start = region.byteOffset - slab.byteOffset;
      if (start + Math.ceil(region.byteLength / 8) * 8 === used) used = start + Math.ceil(keep / 8) * 8;
    },
    take(bytes) {
      const size = Math.ceil(bytes / 8) * 8; // every typed array view stays aligned
      let slab = slabs[slabs.length - 1];
      if (!slab || used + size > slab.byteLength) {
        slab = pool.take(Math.max(SLAB_BYTES, size)).view;
        slabs.push(slab);
        used = 0;
      }
      const view = slab.subarray(used, used + bytes);
      used += size;
      return view;
    },
    release() {
      for (const slab of slabs) pool.give(slab);
      slabs.length = 0;
    },
  };
}
