import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

const CLEAR = 256;
const EOI = 257;
const MAX_CODES = 4096;

/**
 * TIFF LZW decoder (compression 5): MSB-first codes of 9–12 bits with the TIFF "early change" rule, and
 * the pre-TIFF-6 "compat" variant (LSB-first codes, width grows one code later) that libtiff still reads.
 * Written here because geotiff.js's decoder is ~15× slower than GDAL on large strips.
 */
export function decodeLzw(
  input: Uint8Array,
  expectedBytes: number,
  file = 'memory',
  maxBytes = Number.POSITIVE_INFINITY,
): Uint8Array {
  // libtiff's test: an LSB-first stream starts with Clear (256) as bytes 00 x1; MSB-first with 80.
  const compat = input.length >= 2 && input[0] === 0 && ((input[1] as number) & 1) === 1;
  const early = compat ? 0 : 1;
  // Every table string is a run of the output already written (the previous code's string plus the first byte
  // of the current one), so entries are kept as (start, length) in the output and emitted by copying.
  const start = new Int32Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  let out = new Uint8Array(Math.min(Math.max(expectedBytes, 16), maxBytes));
  let pos = 0;
  let width = 9;
  let next = 258;
  let old = -1;
  let oldPos = 0;
  let oldLen = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let inPos = 0;
  const n = input.length;
  const ensure = (extra: number) => {
    if (pos + extra > maxBytes) {
      throw new RasterIoError('CORRUPT_BLOCK', `${file}: LZW block decodes to more than ${maxBytes} bytes`);
    }
    if (pos + extra <= out.length) return;
    const bigger = new Uint8Array(Math.min(Math.max(out.length * 2, pos + extra), maxBytes));
    bigger.set(out.subarray(0, pos));
    out = bigger;
  };
  const copy = (from: number, len: number) => {
    if (len > 32) out.copyWithin(pos, from, from + len);
    else for (let k = 0; k < len; k++) out[pos + k] = out[from + k] as number;
  };
  for (;;) {
    while (bitCount < width) {
      if (inPos >= n) return out.subarray(0, pos); // ran out without EOI: keep what we have
      const byte = input[inPos++] as number;
      bitBuf = compat ? (bitBuf | (byte << bitCount)) >>> 0 : ((bitBuf << 8) | byte) >>> 0;
      bitCount += 8;
    }
    let code: number;
    if (compat) {
      code = bitBuf & ((1 << width) - 1);
      bitBuf >>>= width;
    } else code = (bitBuf >>> (bitCount - width)) & ((1 << width) - 1);
    bitCount -= width;
    if (code === EOI) break;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    const at = pos;
    let len: number;
    if (code < 256) {
      ensure(1);
      out[pos] = code;
      len = 1;
    } else if (code >= 258 && code < next) {
      len = length[code] as number;
      ensure(len);
      copy(start[code] as number, len);
    } else if (code === next && old >= 0) {
      len = oldLen + 1; // KwKwK: old + first(old)
      ensure(len);
      copy(oldPos, oldLen);
      out[pos + oldLen] = out[oldPos] as number;
    } else {
      throw new RasterIoError(
        'TRUNCATED',
        `${file}: corrupt LZW block (code ${code} with ${next} table entries)`,
      );
    }
    pos += len;
    if (old >= 0 && next < MAX_CODES) {
      start[next] = oldPos; // old's string, then the first byte of this one: contiguous in the output
      length[next] = oldLen + 1;
      next++;
    }
    old = code;
    oldPos = at;
    oldLen = len;
    if (next + early >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, pos);
}

/** Compression 5 (LZW). */
export const lzwCodec: Codec = {
  name: 'LZW',
  decode: (block, info) =>
    decodeLzw(block, info.expectedBytes, info.file, info.maxBytes ?? info.expectedBytes),
};
