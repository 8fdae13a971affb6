// A process-wide pool of block workers (node:worker_threads): decoding for reads, deflate for writes. Workers start on the first parallel read,
// are kept for later reads, and are unref'd while idle so they never keep the process alive.
import { Worker } from 'node:worker_threads';
import { ccittCodec } from '../codecs/ccitt.js';
import type { Codec } from '../codecs/codec.js';
import { deflateCodec } from '../codecs/deflate.js';
import { jpegCodec } from '../codecs/jpeg.js';
import { jpegNodeCodec } from '../codecs/jpeg-codec.node.js';
import { lzmaCodec } from '../codecs/lzma-codec.node.js';
import { lzwCodec } from '../codecs/lzw.js';
import { lzwNodeCodec } from '../codecs/lzw-codec.node.js';
import { lercNodeCodec } from '../codecs/node-codecs.node.js';
import { packBitsCodec } from '../codecs/packbits.js';
import { rawCodec } from '../codecs/raw.js';
import { webpCodec } from '../codecs/webp-codec.node.js';
import { deflateBound, zlibCodec } from '../codecs/zlib-codec.node.js';
import { zstdCodec } from '../codecs/zstd-codec.node.js';
import { RasterIoError } from '../errors.js';
import { isSharedMemory } from '../internal/typed-array.js';
import { blockRuns, stagedUnits } from './decode-units.js';
import type { BlockFailure, DecodeCallOptions, ParallelBlockDecoder } from './parallel-decoder.js';
import { canStage } from './wasm-stage.js';

interface Pending {
  // each message kind resolves with its own reply type (see send)
  resolve: (reply: never) => void;
  reject: (err: Error) => void;
  /** Progress the worker reports before its reply (blocks placed since its last report). */
  onProgress?: (n: number) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

const workers: PoolWorker[] = [];
let nextId = 0;

/**
 * The worker script: next to the bundle in dist (`decode-worker.js` / `.cjs`, a tsup entry). Tests run the
 * sources, where the built worker is used (turbo builds before testing).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../../dist/decode-worker.js', here);
  return new URL(here.endsWith('.cjs') ? './decode-worker.cjs' : './decode-worker.js', here);
}

function failAll(w: PoolWorker, err: Error): void {
  const i = workers.indexOf(w);
  if (i >= 0) workers.splice(i, 1);
  for (const p of w.pending.values()) p.reject(err);
  w.pending.clear();
}

function startWorker(): PoolWorker {
  const url = workerUrl();
  const w: PoolWorker = { worker: new Worker(url), pending: new Map() };
  w.worker.on('message', (msg: { id: number; reply?: unknown; progress?: number }) => {
    const p = w.pending.get(msg.id);
    if (msg.progress) p?.onProgress?.(msg.progress);
    if (!('reply' in msg)) return;
    w.pending.delete(msg.id);
    if (w.pending.size === 0) w.worker.unref();
    p?.resolve(msg.reply as never);
  });
  w.worker.on('error', (err) => {
    failAll(
      w,
      new RasterIoError(
        'WORKER_FAILED',
        `block decode worker ${url.pathname} failed (${err.message}); read with threads: 1 or rebuild the package`,
        { cause: err },
      ),
    );
  });
  w.worker.on('exit', (code) => {
    failAll(w, new RasterIoError('WORKER_FAILED', `block decode worker exited with code ${code}`));
  });
  // after the listeners: adding a 'message' listener refs the worker again, and a worker started but never given
  // a task (threads > blocks) would then keep the process alive for ever
  w.worker.unref();
  return w;
}

/** The `count` least busy of the pool's first `threads` workers (started as needed). */
function leastBusy(threads: number, count: number): PoolWorker[] {
  while (workers.length < threads) workers.push(startWorker());
  return workers
    .slice(0, threads)
    .sort((a, b) => a.pending.size - b.pending.size)
    .slice(0, count);
}

function send<T>(
  w: PoolWorker,
  message: object,
  transfer: ArrayBuffer[],
  onProgress?: (n: number) => void,
): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    w.pending.set(id, { resolve: resolve as (reply: never) => void, reject, onProgress });
    w.worker.ref(); // a read in flight keeps the process alive until it is done
    w.worker.postMessage({ id, ...message }, transfer);
  });
}

const runOn = <T>(threads: number, message: object, transfer: ArrayBuffer[]): Promise<T> =>
  send<T>(leastBusy(threads, 1)[0] as PoolWorker, message, transfer);

const WORKER_CODECS: readonly Codec[] = [
  zlibCodec,
  deflateCodec,
  lzwCodec,
  lzwNodeCodec,
  jpegCodec,
  jpegNodeCodec,
  packBitsCodec,
  rawCodec,
  zstdCodec,
  lzmaCodec,
  lercNodeCodec,
  webpCodec,
  ccittCodec,
];

/** The Node decoder: the built-in codecs on up to `threads` worker threads. */
export const nodeBlockDecoder: ParallelBlockDecoder = {
  supports: (codec) => WORKER_CODECS.includes(codec),
  async decode(threads, geometry, outputs, task, options: DecodeCallOptions = {}) {
    const { signal, onBlocks } = options;
    const staged = options.staged === true && canStage(geometry);
    const units = staged ? stagedUnits(task.blocks, threads) : blockRuns(task.blocks);
    // Every worker reads the same bytes: shared ones where they are, others copied once into shared memory
    // (a lent file is read by the workers themselves).
    const shared =
      'bytes' in task && !isSharedMemory(task.bytes) ? { ...task, bytes: sharedCopy(task.bytes) } : task;
    // The next unit to take; set past the end to stop the workers early.
    const claim = new Int32Array(new SharedArrayBuffer(4));
    const stop = (): void => {
      Atomics.store(claim, 0, units.starts.length);
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    const message = {
      kind: 'decode',
      geometry,
      outputs,
      task: { ...shared, blocks: units.blocks },
      units: units.starts,
      staged,
      claim,
      progress: onBlocks !== undefined,
    };
    try {
      const workersUsed = leastBusy(threads, Math.min(threads, units.starts.length - 1));
      const lists = await Promise.all(workersUsed.map((w) => send<BlockFailure[]>(w, message, [], onBlocks)));
      return lists.flat();
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  },
};

function sharedCopy(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

/** Bytes of blocks compressed per worker task when writing. */
const DEFLATE_TASK_BYTES = 1 << 19;

/** Compresses blocks on the worker pool as they are added (see {@link parallelDeflater}). */
export interface ParallelDeflater {
  /** Queue a block; a task goes to a worker as soon as it holds about `DEFLATE_TASK_BYTES`. */
  add(block: Uint8Array): void;
  /** Send what is left and resolve with every block compressed, in the order added. */
  done(): Promise<Uint8Array[]>;
  /** Resolves once every task sent has finished or failed (the `output` memory is then free to reuse). */
  settled(): Promise<void>;
}

/**
 * Deflate blocks (zlib format) on up to `threads` workers while the caller is still producing them; `onBlock` runs
 * as each block's task completes. Blocks in shared memory are read by the workers where they are (the caller keeps
 * them unchanged until `done()` settles); plain blocks are copied into shared memory first (the caller's stay
 * usable, and no buffer of this thread is ever detached). With `output` (shared
 * memory of the asked size, kept by the caller until it is done with the results), each task's compressed blocks
 * are packed into one region of it and come back as views: no new buffer per block.
 */
export function parallelDeflater(
  threads: number,
  level: number,
  onBlock?: () => void,
  output?: (bytes: number) => Uint8Array,
): ParallelDeflater {
  const out: Uint8Array[] = [];
  const jobs: Promise<void>[] = [];
  let task: Uint8Array[] = [];
  let first = 0;
  let size = 0;
  const send = (): void => {
    if (task.length === 0) return;
    const at = first;
    const blocks = task;
    let bound = 0;
    for (const b of blocks) bound += deflateBound(b.byteLength);
    const region = output?.(bound);
    const job = runOn<(Uint8Array | number)[]>(threads, { kind: 'deflate', blocks, level, region }, []).then(
      (compressed) => {
        let packed = 0;
        for (const [k, c] of compressed.entries()) {
          if (typeof c === 'number') {
            out[at + k] = (region as Uint8Array).subarray(packed, packed + c);
            packed += c;
          } else out[at + k] = c;
          onBlock?.();
        }
      },
    );
    job.catch(() => {}); // awaited in done()
    jobs.push(job);
    first += blocks.length;
    task = [];
    size = 0;
  };
  return {
    add(b) {
      // Shared blocks are read where they are; plain ones are copied into shared memory, never transferred: a
      // transfer detaches the buffer, and after one detach V8 checks every typed-array access of this thread for
      // it (LZW reads measured 13 % slower for the rest of the process).
      task.push(isSharedMemory(b) ? b : sharedCopy(b));
      size += b.byteLength;
      if (size >= DEFLATE_TASK_BYTES) send();
    },
    async done() {
      send();
      await Promise.all(jobs);
      return out;
    },
    async settled() {
      await Promise.allSettled(jobs);
    },
  };
}

/** Workers started so far (tests check that small reads start none). */
export function decodeWorkerCount(): number {
  return workers.length;
}
