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
  const out = new Uint8Array(Math.min(Math.max(expectedBytes, 16), maxBytes));
  return compat ? decodeCompat(input, out, maxBytes, file) : decodeMsb(input, out, maxBytes, file);
}

/** A larger output buffer, or `CORRUPT_BLOCK` when the block would decode past `maxBytes`. */
function grow(out: Uint8Array, pos: number, extra: number, maxBytes: number, file: string): Uint8Array {
  if (pos + extra > maxBytes) {
    throw new RasterIoError('CORRUPT_BLOCK', `${file}: LZW block decodes to more than ${maxBytes} bytes`);
  }
  const bigger = new Uint8Array(Math.min(Math.max(out.length * 2, pos + extra), maxBytes));
  bigger.set(out.subarray(0, pos));
  return bigger;
}

function badCode(file: string, code: number, next: number): RasterIoError {
  return new RasterIoError(
    'TRUNCATED',
    `${file}: corrupt LZW block (code ${code} with ${next} table entries)`,
  );
}

// The two variants differ only in bit order and when the code width grows; each is one flat loop (no
// closures over the output position: captured, mutated variables live in a context object and cost ~3×).
// Every table string is a run of the output already written (the previous code's string plus the first byte of
// the current one), so entries are kept as (start, length) in the output and emitted by copying.

function decodeMsb(input: Uint8Array, out: Uint8Array, maxBytes: number, file: string): Uint8Array {
  // entry i: string start at table[2i], length at table[2i + 1] (one cache line for both)
  const table = new Int32Array(2 * MAX_CODES);
  const n = input.length;
  let cap = out.length;
  let pos = 0;
  let width = 9;
  let mask = 511;
  let next = 258;
  let old = -1;
  let oldPos = 0;
  let oldLen = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let inPos = 0;
  for (;;) {
    if (bitCount < width) {
      while (bitCount <= 24 && inPos < n) {
        bitBuf = (bitBuf << 8) | (input[inPos++] as number);
        bitCount += 8;
      }
      if (bitCount < width) return out.subarray(0, pos); // ran out without EOI: keep what we have
    }
    bitCount -= width;
    const code = (bitBuf >>> bitCount) & mask;
    const at = pos;
    let len: number;
    if (code < 256) {
      if (pos >= cap) {
        out = grow(out, pos, 1, maxBytes, file);
        cap = out.length;
      }
      out[pos] = code;
      len = 1;
    } else if (code >= 258 && code < next) {
      len = table[2 * code + 1] as number;
      if (pos + len > cap) {
        out = grow(out, pos, len, maxBytes, file);
        cap = out.length;
      }
      const s = table[2 * code] as number;
      if (len > 24) out.copyWithin(pos, s, s + len);
      else for (let k = 0; k < len; k++) out[pos + k] = out[s + k] as number;
    } else if (code === EOI) break;
    else if (code === CLEAR) {
      width = 9;
      mask = 511;
      next = 258;
      old = -1;
      continue;
    } else if (code === next && old >= 0) {
      len = oldLen + 1; // KwKwK: old + first(old)
      if (pos + len > cap) {
        out = grow(out, pos, len, maxBytes, file);
        cap = out.length;
      }
      if (oldLen > 24) out.copyWithin(pos, oldPos, oldPos + oldLen);
      else for (let k = 0; k < oldLen; k++) out[pos + k] = out[oldPos + k] as number;
      out[pos + oldLen] = out[oldPos] as number;
    } else throw badCode(file, code, next);
    pos += len;
    if (old >= 0 && next < MAX_CODES) {
      table[2 * next] = oldPos; // old's string, then the first byte of this one: contiguous in the output
      table[2 * next + 1] = oldLen + 1;
      next++;
      if (next + 1 >= 1 << width && width < 12) {
        width++;
        mask = (1 << width) - 1;
      }
    }
    old = code;
    oldPos = at;
    oldLen = len;
  }
  return out.subarray(0, pos);
}

function decodeCompat(input: Uint8Array, out: Uint8Array, maxBytes: number, file: string): Uint8Array {
  const start = new Int32Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  const n = input.length;
  let pos = 0;
  let width = 9;
  let next = 258;
  let old = -1;
  let oldPos = 0;
  let oldLen = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let inPos = 0;
  for (;;) {
    while (bitCount < width) {
      if (inPos >= n) return out.subarray(0, pos);
      bitBuf = (bitBuf | ((input[inPos++] as number) << bitCount)) >>> 0;
      bitCount += 8;
    }
    const code = bitBuf & ((1 << width) - 1);
    bitBuf >>>= width;
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
      if (pos >= out.length) out = grow(out, pos, 1, maxBytes, file);
      out[pos] = code;
      len = 1;
    } else if (code >= 258 && code < next) {
      len = length[code] as number;
      if (pos + len > out.length) out = grow(out, pos, len, maxBytes, file);
      const s = start[code] as number;
      out.copyWithin(pos, s, s + len);
    } else if (code === next && old >= 0) {
      len = oldLen + 1;
      if (pos + len > out.length) out = grow(out, pos, len, maxBytes, file);
      out.copyWithin(pos, oldPos, oldPos + oldLen);
      out[pos + oldLen] = out[oldPos] as number;
    } else throw badCode(file, code, next);
    pos += len;
    if (old >= 0 && next < MAX_CODES) {
      start[next] = oldPos;
      length[next] = oldLen + 1;
      next++;
    }
    old = code;
    oldPos = at;
    oldLen = len;
    if (next >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, pos);
}

/** Compression 5 (LZW). */
export const lzwCodec: Codec = {
  name: 'LZW',
  decode: (block, info) =>
    decodeLzw(block, info.expectedBytes, info.file, info.maxBytes ?? info.expectedBytes),
};
