// The contract between readRaster (browser-safe) and a pool of decode workers (Node: decode-pool.node.ts).
import type { Codec } from '../codecs/codec.js';
import type { RasterIoErrorCode } from '../errors.js';
import type { RasterArray } from '../types.js';
import type { BlockGeometry, BlockJob } from './place-block.js';

/**
 * Blocks for the workers: their stored bytes (`bytes[0]` is file offset `base`), or a lent local file the
 * workers read them from themselves.
 */
export type DecodeTask =
  | { base: number; bytes: Uint8Array; blocks: BlockJob[] }
  | { file: { fd: number; size: number }; blocks: BlockJob[] };

/** What a decode call may be told besides its blocks. */
export interface DecodeCallOptions {
  /** Called with the number of blocks placed since the last call (throttled: not once per block). */
  onBlocks?: (n: number) => void;
  /** Once aborted, the workers take no further unit of blocks (the one each is decoding is finished). */
  signal?: AbortSignal;
  /**
   * Every pixel of the window comes from a block and any failed block fails the read: workers may then split
   * blocks through a WebAssembly stage (wasm-stage.ts), whose planes are not filled first.
   */
  staged?: boolean;
}

/** A block a worker could not decode: the typed error it raised, rebuilt on the main thread. */
export interface BlockFailure {
  index: number;
  code: RasterIoErrorCode;
  message: string;
}

/**
 * Decodes blocks on other threads straight into shared output bands. `readRaster` hands it large reads only
 * (see `PARALLEL_MIN_BLOCKS`); it keeps every limit, size check and error of the single-thread path.
 */
export interface ParallelBlockDecoder {
  /** Whether blocks of this codec can be decoded by the workers (the built-in codecs). */
  supports(codec: Codec): boolean;
  /**
   * Decode and place a task's blocks into `outputs` (views of SharedArrayBuffers) on up to `threads` workers,
   * which take units of blocks (decode-units.ts) one at a time from a shared counter until none is left: one
   * message per worker, and no worker idles while another still has a queue.
   */
  decode(
    threads: number,
    geometry: BlockGeometry,
    outputs: RasterArray[],
    task: DecodeTask,
    options?: DecodeCallOptions,
  ): Promise<BlockFailure[]>;
}

/** Reads touching fewer blocks than this stay on the calling thread (a worker round trip costs ~0.1 ms). */
export const PARALLEL_MIN_BLOCKS = 4;
/** ...and so do reads that decode less than this (a 256-px uint16 tile is 128 KiB). */
export const PARALLEL_MIN_BYTES = 1 << 20;
/**
 * Reads into more bands than this stay on the calling thread too: each band is a shared buffer of its own,
 * pooled in 64 KiB steps and sent to every worker (65 535 bands of a hostile header took 4 GiB and seconds).
 * Hyperspectral sensors have a few hundred.
 */
export const PARALLEL_MAX_BANDS = 1024;
