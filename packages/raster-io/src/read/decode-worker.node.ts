// Worker side of the parallel decoder: decode a task's blocks and place them into the shared output bands
// with the same stages as the main thread; failures go back as (index, code, message).
import { parentPort } from 'node:worker_threads';
import type { Codec } from '../codecs/codec.js';
import { lzwCodec } from '../codecs/lzw.js';
import { packBitsCodec } from '../codecs/packbits.js';
import { rawCodec } from '../codecs/raw.js';
import { zlibCodec } from '../codecs/zlib-codec.node.js';
import { RasterIoError } from '../errors.js';
import type { RasterArray } from '../types.js';
import type { BlockFailure, DecodeTask } from './parallel-decoder.js';
import {
  type BlockGeometry,
  blockWhere,
  checkStored,
  corruptBlockError,
  placeDecoded,
} from './place-block.js';

const CODECS: Readonly<Record<number, Codec>> = {
  1: rawCodec,
  5: lzwCodec,
  8: zlibCodec,
  32946: zlibCodec,
  32773: packBitsCodec,
};

interface TaskMessage {
  id: number;
  geometry: BlockGeometry;
  outputs: RasterArray[];
  task: DecodeTask;
}

function runTask({ geometry: g, outputs, task }: TaskMessage): BlockFailure[] {
  const codec = CODECS[g.compression];
  const failures: BlockFailure[] = [];
  for (const b of task.blocks) {
    try {
      if (!codec)
        throw new RasterIoError('UNSUPPORTED_CODEC', `${g.name}: no worker codec for ${g.compression}`);
      const start = Math.min(b.offset - task.base, task.bytes.byteLength);
      const raw = task.bytes.subarray(start, Math.min(start + b.byteCount, task.bytes.byteLength));
      checkStored(g, b, raw);
      const data = decodeSync(codec, raw, g, b.expected, blockWhere(g, b));
      placeDecoded(g, b, raw, data, () => outputs);
    } catch (err) {
      const typed = err instanceof RasterIoError;
      failures.push({
        index: b.index,
        code: typed ? err.code : 'CORRUPT_BLOCK',
        message: typed ? err.message : `${g.name}: ${blockWhere(g, b)}: ${String(err)}`,
      });
    }
  }
  return failures;
}

/** The codec call of `decodeBlock` in read-raster.ts, synchronous (the built-in codecs are). */
function decodeSync(
  codec: Codec,
  raw: Uint8Array,
  g: BlockGeometry,
  expected: number,
  where: string,
): Uint8Array {
  try {
    return codec.decode(raw, {
      expectedBytes: expected,
      maxBytes: g.tiled ? expected : g.blockBytes,
      file: g.name,
      reuse: true, // placed before the next block is decoded
    }) as Uint8Array;
  } catch (err) {
    throw corruptBlockError(err, g.name, where);
  }
}

interface DeflateMessage {
  id: number;
  kind: 'deflate';
  blocks: Uint8Array[];
  level: number;
}

/** Compress each block of a task; the results are transferred back. */
function deflateTask({ id, blocks, level }: DeflateMessage): void {
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
  let failures: BlockFailure[];
  try {
    failures = runTask(msg);
  } catch (err) {
    failures = msg.task.blocks.map((b) => ({
      index: b.index,
      code: 'CORRUPT_BLOCK',
      message: `${msg.geometry.name}: ${String(err)}`,
    }));
  }
  parentPort?.postMessage({ id: msg.id, reply: failures });
});
