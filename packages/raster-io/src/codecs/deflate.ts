import { Unzlib, zlibSync } from 'fflate';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * Compressed bytes fed per step. Each step re-copies fflate's 32 KiB window and allocates its output, and one step
 * inflates to at most ~16.5 MiB (deflate's 1032:1 limit) before the cap is checked. A 4 × 1054² deflate-tiled read
 * from memory: 1 KiB steps 300 ms, 8 KiB 103 ms, 16 KiB 89 ms, 32 KiB 80 ms (fflate's one-shot inflate of its
 * tiles alone: 62 ms); a 1.5 GiB bomb raises RSS by 16, 34 and 80 MiB at 8, 16 and 32 KiB. 16 KiB keeps the bomb
 * well inside the hostile-input tests' 100 MiB bound.
 */
const STEP = 16 * 1024;

/**
 * Inflate a zlib stream into at most `cap` bytes; throws `CORRUPT_BLOCK` as soon as it would exceed it.
 * fflate's one-shot API keeps inflating past a full output buffer, so the stream API is fed in steps.
 */
export function inflateCapped(block: Uint8Array, cap: number, file: string): Uint8Array {
  const out = new Uint8Array(cap);
  let pos = 0;
  let ended = false;
  const z = new Unzlib((chunk, final) => {
    if (pos + chunk.length > cap) {
      throw new RasterIoError('CORRUPT_BLOCK', `${file}: deflate block inflates to more than ${cap} bytes`);
    }
    out.set(chunk, pos);
    pos += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let i = 0; i < block.length; i += STEP) {
      z.push(block.subarray(i, Math.min(i + STEP, block.length)), i + STEP >= block.length);
    }
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    throw new RasterIoError('CORRUPT_BLOCK', `${file}: corrupt deflate block (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!ended) throw new RasterIoError('CORRUPT_BLOCK', `${file}: truncated deflate block (no end of stream)`);
  return out.subarray(0, pos);
}

/** Compression 8 / 32946 (zlib-wrapped deflate) with fflate: browser-safe. Node uses `node:zlib` instead. */
export const deflateCodec: Codec = {
  name: 'deflate',
  decode: (block, info) => inflateCapped(block, info.maxBytes ?? info.expectedBytes, info.file),
  encode: (block, level) => zlibSync(block, { level: level as 6 }),
};
