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
  const prefix = new Int32Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const length = new Int32Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
    prefix[i] = -1;
  }
  let out = new Uint8Array(Math.min(Math.max(expectedBytes, 16), maxBytes));
  let pos = 0;
  let width = 9;
  let next = 258;
  let old = -1;
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
    let entry: number;
    let firstByte: number;
    if (code < next && (code < 256 || code >= 258)) {
      entry = code;
      firstByte = first[code] as number;
    } else if (code === next && old >= 0) {
      entry = -1; // KwKwK: old + first(old)
      firstByte = first[old] as number;
    } else {
      throw new RasterIoError(
        'TRUNCATED',
        `${file}: corrupt LZW block (code ${code} with ${next} table entries)`,
      );
    }
    if (entry >= 0) {
      const len = length[entry] as number;
      ensure(len);
      let c = entry;
      for (let p = pos + len - 1; p >= pos; p--) {
        out[p] = suffix[c] as number;
        c = prefix[c] as number;
      }
      pos += len;
    } else {
      const len = (length[old] as number) + 1;
      ensure(len);
      let c = old;
      for (let p = pos + len - 2; p >= pos; p--) {
        out[p] = suffix[c] as number;
        c = prefix[c] as number;
      }
      out[pos + len - 1] = firstByte;
      pos += len;
    }
    if (old >= 0 && next < MAX_CODES) {
      prefix[next] = old;
      suffix[next] = firstByte;
      first[next] = first[old] as number;
      length[next] = (length[old] as number) + 1;
      next++;
    }
    old = code;
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
