import { zlibSync } from 'fflate';
import { Inflate } from 'pako';
import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * Output bytes pako hands over per chunk: the cap is checked chunk by chunk, so a deflate bomb costs at most this
 * much memory past the block's own size before it is refused.
 */
const CHUNK = 64 * 1024;

/**
 * Inflate a zlib stream into at most `cap` bytes; throws `CORRUPT_BLOCK` as soon as it would exceed it, and for a
 * stream zlib refuses (libdeflate and libtiff alike): a bad Adler-32 or stored-block length, a truncated stream.
 * pako is zlib itself ported to JavaScript; fflate, used before, checks neither the Adler-32 nor a stored block's
 * NLEN, so a damaged block read from memory in a browser returned wrong pixels where Node and GDAL refuse it.
 * Bytes after the end of the stream are ignored, as zlib and libdeflate ignore them.
 */
export function inflateCapped(block: Uint8Array, cap: number, file: string): Uint8Array {
  const out = new Uint8Array(cap);
  let pos = 0;
  const inflater = new Inflate({ chunkSize: CHUNK });
  inflater.onData = (chunk: Uint8Array) => {
    if (pos + chunk.length > cap) {
      throw new RasterIoError('CORRUPT_BLOCK', `${file}: deflate block inflates to more than ${cap} bytes`);
    }
    out.set(chunk, pos);
    pos += chunk.length;
  };
  try {
    inflater.push(block, true);
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    throw corrupt(file, (err as Error).message, err);
  }
  // worded as Node's codecs word it: the same file fails the same way in a browser and in Node
  if (inflater.err) throw corrupt(file, inflater.msg || `zlib status ${inflater.err}`);
  if (!inflater.ended) throw corrupt(file, 'no end of stream');
  return out.subarray(0, pos);
}

function corrupt(file: string, reason: string, cause?: unknown): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${file}: corrupt or truncated deflate block (${reason})`, {
    cause,
  });
}

/** Compression 8 / 32946 (zlib-wrapped deflate): pako inflates, fflate deflates; browser-safe. Node uses libdeflate or `node:zlib` instead. */
export const deflateCodec: Codec = {
  name: 'deflate',
  decode: (block, info) => inflateCapped(block, info.maxBytes ?? info.expectedBytes, info.file),
  encode: (block, level) => zlibSync(block, { level: level as 6 }),
};
