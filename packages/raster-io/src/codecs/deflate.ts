import { Unzlib, zlibSync } from 'fflate';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/** Compressed bytes fed per step: one step inflates to at most ~1 MiB, so the cap check stays tight. */
const STEP = 1024;

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
