// Worker side of the parallel decoder: decode a task's blocks and place them into the shared output bands
// with the same stages as the main thread; failures go back as (index, code, message).
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ccittCodec } from '../codecs/ccitt.js';
import type { Codec } from '../codecs/codec.js';
import { jpegNodeCodec } from '../codecs/jpeg-codec.node.js';
import { JPEG_COMPRESSION } from '../codecs/jpeg-params.js';
import { LERC_COMPRESSION } from '../codecs/lerc-params.js';
import { LZMA_COMPRESSION, lzmaCodec } from '../codecs/lzma-codec.node.js';
import { lzwNodeCodec } from '../codecs/lzw-codec.node.js';
import { lercNodeCodec } from '../codecs/node-codecs.node.js';
import { packBitsCodec } from '../codecs/packbits.js';
import { rawCodec } from '../codecs/raw.js';
import { webpCodec } from '../codecs/webp-codec.node.js';
import { WEBP_COMPRESSION } from '../codecs/webp-params.js';
import { deflateInto, zlibCodec } from '../codecs/zlib-codec.node.js';
import { ZSTD_COMPRESSION, zstdCodec } from '../codecs/zstd-codec.node.js';
import { RasterIoError } from '../errors.js';
import type { RasterArray } from '../types.js';
import { openUnitStage } from './decode-units.js';
import type { BlockFailure, DecodeTask } from './parallel-decoder.js';
import {
  type BlockGeometry,
  type BlockJob,
  blockInfo,
  blockWhere,
  checkStored,
  corruptBlockError,
  msbFirst,
  placeDecoded,
} from './place-block.js';
import type { PlaneStage } from './wasm-stage.js';

const CODECS: Readonly<Record<number, Codec>> = {
  1: rawCodec,
  2: ccittCodec,
  3: ccittCodec,
  4: ccittCodec,
  5: lzwNodeCodec,
  [JPEG_COMPRESSION]: jpegNodeCodec,
  8: zlibCodec,
  32946: zlibCodec,
  32773: packBitsCodec,
  [ZSTD_COMPRESSION]: zstdCodec,
  [LZMA_COMPRESSION]: lzmaCodec,
  [LERC_COMPRESSION]: lercNodeCodec,
  [WEBP_COMPRESSION]: webpCodec,
};

interface TaskMessage {
  id: number;
  geometry: BlockGeometry;
  outputs: RasterArray[];
  task: DecodeTask;
  /** Unit `u` is blocks `units[u]` up to `units[u + 1]` of the task (see decode-units.ts). */
  units: number[];
  /** Units are rectangles of whole blocks that may go through a WebAssembly stage each. */
  staged: boolean;
  /** The index of the next unit to take, shared by every worker on this task. */
  claim: Int32Array;
  /** Whether the read wants progress messages. */
  progress: boolean;
}

/** Progress goes back at most this often (ms): a message per block would cost more than small blocks do. */
const PROGRESS_EVERY_MS = 16;

/** This thread's buffer for blocks read from a lent file (placed before the next block is read). */
let readBuffer = new Uint8Array(0);
/** Larger blocks get a buffer of their own, so one huge strip is not kept for the life of the worker. */
const MAX_KEPT_READ_BYTES = 16 * 1024 * 1024;
/** Most bytes one `readSync` is asked for. */
const MAX_READ_CHUNK = 2 ** 30;

/**
 * A block's stored bytes read from a lent file, clipped to the size the source reads to (as its own reads are);
 * a read error becomes `UNREADABLE_FILE` naming the file and the block, as the calling thread's reads do.
 */
function readStored(g: BlockGeometry, b: BlockJob, file: { fd: number; size: number }): Uint8Array {
  const n = Math.max(0, Math.min(b.byteCount, file.size - b.offset));
  let buffer = readBuffer;
  if (buffer.byteLength < n) {
    buffer = new Uint8Array(n);
    if (n <= MAX_KEPT_READ_BYTES) readBuffer = buffer;
  }
  let done = 0;
  try {
    while (done < n) {
      // Node refuses a read length of 2^31 or more: read a huge block in pieces
      const got = readSync(file.fd, buffer, done, Math.min(n - done, MAX_READ_CHUNK), b.offset + done);
      if (got === 0) break;
      done += got;
    }
  } catch (err) {
    throw new RasterIoError(
      'UNREADABLE_FILE',
      `${g.name}: ${blockWhere(g, b)}: reading bytes ${b.offset}..${b.offset + n - 1} failed (${(err as Error).message})`,
      { cause: err },
    );
  }
  return buffer.subarray(0, done);
}

/** A task block's stored bytes: a slice of the bytes sent, or read from the lent file. */
function storedBytes(g: BlockGeometry, b: BlockJob, task: DecodeTask): Uint8Array {
  if (!('bytes' in task)) return readStored(g, b, task.file);
  const start = Math.min(b.offset - task.base, task.bytes.byteLength);
  return task.bytes.subarray(start, Math.min(start + b.byteCount, task.bytes.byteLength));
}

/** Take the task's units one at a time from the shared counter; decode and place each block. */
function runTask(msg: TaskMessage): { failures: BlockFailure[]; unreported: number } {
  const { id, geometry, outputs, task, units, claim, progress } = msg;
  const codec = CODECS[geometry.compression];
  const failures: BlockFailure[] = [];
  let unreported = 0;
  let reported = performance.now();
  const last = units.length - 1;
  for (let u = Atomics.add(claim, 0, 1); u < last; u = Atomics.add(claim, 0, 1)) {
    const from = units[u] as number;
    const to = units[u + 1] as number;
    const unit = msg.staged ? openUnitStage(geometry, task.blocks.slice(from, to)) : null;
    // the stage's part of the window, until a block fails: the rest of the unit then goes straight into the
    // bands, so each later block meets its own error (if any) rather than one of the stage's order
    let live = unit;
    try {
      for (let i = from; i < to; i++) {
        const b = task.blocks[i] as BlockJob;
        const g = live?.g ?? geometry;
        const stage = live?.stage ?? null;
        try {
          if (!codec)
            throw new RasterIoError('UNSUPPORTED_CODEC', `${g.name}: no worker codec for ${g.compression}`);
          const raw = storedBytes(g, b, task);
          checkStored(g, b, raw);
          const stored = msbFirst(g, raw);
          const data = decodeSync(codec, stored, g, b, stage);
          placeDecoded(g, b, stored, data, () => outputs, stage);
        } catch (err) {
          live = null;
          const typed = err instanceof RasterIoError;
          failures.push({
            index: b.index,
            code: typed ? err.code : 'CORRUPT_BLOCK',
            message: typed ? err.message : `${g.name}: ${blockWhere(g, b)}: ${String(err)}`,
          });
        }
        if (!progress) continue;
        unreported++;
        const now = performance.now();
        if (now - reported >= PROGRESS_EVERY_MS) {
          parentPort?.postMessage({ id, progress: unreported });
          unreported = 0;
          reported = now;
        }
      }
      // a failed block's rows are never complete, so they were not copied out; nor is anything after it
      live?.stage.copyTo(outputs);
    } finally {
      unit?.stage.release();
    }
  }
  return { failures, unreported };
}

/**
 * The codec call of `decodeBlock` in read-raster.ts, synchronous (the built-in codecs are); into the stage's block
 * area when there is one.
 */
function decodeSync(
  codec: Codec,
  raw: Uint8Array,
  g: BlockGeometry,
  b: BlockJob,
  stage: PlaneStage | null,
): Uint8Array {
  try {
    const info = blockInfo(g, b);
    if (stage) info.into = stage.blockArea;
    return codec.decode(raw, info) as Uint8Array;
  } catch (err) {
    throw corruptBlockError(err, g.name, blockWhere(g, b));
  }
}

interface DeflateMessage {
  id: number;
  kind: 'deflate';
  blocks: Uint8Array[];
  level: number;
  /** Shared memory the compressed blocks are packed into, one after another (see {@link deflateBound}). */
  region?: Uint8Array;
}

/**
 * Compress each block of a task: packed into the task's shared region (the reply gives each one's length), or
 * transferred back in buffers of their own.
 */
function deflateTask({ id, blocks, level, region }: DeflateMessage): void {
  if (region) {
    let at = 0;
    const reply = blocks.map((b) => {
      const r = deflateInto(b, level, region.subarray(at));
      if (typeof r === 'number') at += r;
      return r;
    });
    const own = reply.filter((r): r is Uint8Array => typeof r !== 'number');
    parentPort?.postMessage(
      { id, reply },
      own.map((b) => b.buffer as ArrayBuffer),
    );
    return;
  }
  const out = blocks.map((b) => zlibCodec.encode?.(b, level) as Uint8Array);
  // zlib's results may be views of one pooled buffer: copy the small ones so each transfer owns its buffer
  const owned = out.map((b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice()));
  parentPort?.postMessage(
    { id, reply: owned },
    owned.map((b) => b.buffer as ArrayBuffer),
  );
}

parentPort?.on('message', (msg: (TaskMessage & { kind: 'decode' }) | DeflateMessage) => {
  if (msg.kind === 'deflate') {
    deflateTask(msg);
    return;
  }
  try {
    const { failures, unreported } = runTask(msg);
    parentPort?.postMessage({ id: msg.id, reply: failures, progress: unreported });
  } catch (err) {
    // not a block's failure (those are caught per block): the read cannot trust what this worker placed
    const first = msg.task.blocks[0];
    const failure: BlockFailure = {
      index: first?.index ?? 0,
      code: 'WORKER_FAILED',
      message: `${msg.geometry.name}: block decode worker failed (${String(err)})`,
    };
    parentPort?.postMessage({ id: msg.id, reply: [failure] });
  }
});
