import { RasterIoError } from '../errors.js';
import type { Codec } from './codec.js';

const CLEAR = 256;
const EOI = 257;
const MAX_CODES = 4096;
/** Table word of Clear and EOI: a length no string has, so the fast loop leaves them to the slow step. */
const SPECIAL = 0x7fff << 16;
/** Largest output buffer kept between blocks for `reuse` (a bigger block gets its own). */
const MAX_REUSED_BYTES = 8 << 20;

// One table for every decode (decoding is synchronous and never re-entered). Every table string is a run of the
// output already written (the previous code's string plus the first byte of the current one), so entry i is a
// word at 2i, the string's first two bytes (b0 | b1 << 8) | its length << 16, and its start in the output at
// 2i + 1: one- and two-byte strings are written from the word, longer ones copied from the output. An entry
// ≥ 258 is read only when code < next, i.e. after this block wrote it, so the table is never cleared.
const table = new Int32Array(2 * MAX_CODES);
for (let c = 0; c < 256; c++) table[2 * c] = c | (1 << 16);
table[2 * CLEAR] = SPECIAL;
table[2 * EOI] = SPECIAL;
let scratch: Uint8Array = new Uint8Array(0);

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
  return decodeInto(input, new Uint8Array(initialBytes(expectedBytes, maxBytes)), maxBytes, file);
}

function initialBytes(expectedBytes: number, maxBytes: number): number {
  return Math.min(Math.max(expectedBytes, 16), maxBytes);
}

/** Decodes into `out`, grown when the block needs more; `out` may be longer than `maxBytes`. */
function decodeInto(input: Uint8Array, out: Uint8Array, maxBytes: number, file: string): Uint8Array {
  // libtiff's test: an LSB-first stream starts with Clear (256) as bytes 00 x1; MSB-first with 80.
  const compat = input.length >= 2 && input[0] === 0 && ((input[1] as number) & 1) === 1;
  return compat ? decodeCompat(input, out, maxBytes, file) : decodeMsb(input, out, maxBytes, file);
}

/** `decodeLzw` into a buffer kept for the next call: the result is a view the caller copies out of. */
function decodeReused(input: Uint8Array, expectedBytes: number, maxBytes: number, file: string): Uint8Array {
  const size = initialBytes(expectedBytes, maxBytes);
  // nothing to gain below one byte (and an empty buffer may have been detached)
  if (!(size >= 1 && size <= MAX_REUSED_BYTES)) return decodeLzw(input, expectedBytes, file, maxBytes);
  if (scratch.length < size) scratch = new Uint8Array(size);
  const out = decodeInto(input, scratch, maxBytes, file);
  // keep a buffer grown for a long block, unless it is too big to hold on to
  if (out.buffer !== scratch.buffer && out.buffer.byteLength <= MAX_REUSED_BYTES) {
    scratch = new Uint8Array(out.buffer);
  }
  return out;
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

/** Copies `len` bytes of the output from `from` to `to` (short runs by hand: copyWithin's call costs more). */
function copyRun(out: Uint8Array, to: number, from: number, len: number): void {
  if (len > 24) out.copyWithin(to, from, from + len);
  else for (let k = 0; k < len; k++) out[to + k] = out[from + k] as number;
}

/** A view of `bytes`, which must not sit on a detached buffer (DataView refuses one). */
function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Where an MSB-first decode stands: an object, so that its hot loop can be a function of its own. */
interface LzwState {
  /** Output bytes written. */
  pos: number;
  /** Code width in bits, and `(1 << width) - 1`. */
  width: number;
  mask: number;
  /** Next table entry. */
  next: number;
  /** Output position and table word of the previous code's string; word 0 at the start and after Clear. */
  oldPos: number;
  oldWord: number;
  /** Input bits (the unread ones at the bottom), how many are unread, and input bytes read. */
  bitBuf: number;
  bitCount: number;
  inPos: number;
}

// The two variants differ only in bit order and when the code width grows. MSB-first (every TIFF 6 writer) runs
// nearly all its codes through `fastCodes` and handles the rest one at a time; compat is one plain loop.

function decodeMsb(input: Uint8Array, out: Uint8Array, maxBytes: number, file: string): Uint8Array {
  if (input.length === 0) return out.subarray(0, 0);
  const inView = viewOf(input);
  let outView = viewOf(out);
  const s: LzwState = {
    pos: 0,
    width: 9,
    mask: 511,
    next: 258,
    oldPos: 0,
    oldWord: 0,
    bitBuf: 0,
    bitCount: 0,
    inPos: 0,
  };
  for (;;) {
    let code = s.oldWord === 0 ? -1 : fastCodes(inView, outView, fastRoom(out, maxBytes), s);
    if (code < 0) {
      code = readCode(input, s);
      if (code < 0) break; // ran out without EOI: keep what we have
    }
    // One code of any kind.
    const pos = s.pos;
    const oldWord = s.oldWord;
    let len: number;
    let word: number;
    if (code < s.next) {
      word = table[code << 1] as number;
      if (word === SPECIAL) {
        if (code === EOI) break;
        s.width = 9; // Clear
        s.mask = 511;
        s.next = 258;
        s.oldWord = 0;
        continue;
      }
      len = word >> 16;
      if (pos + len > Math.min(out.length, maxBytes)) {
        out = grow(out, pos, len, maxBytes, file);
        outView = viewOf(out);
      }
      if (len === 1) out[pos] = word;
      else copyRun(out, pos, table[(code << 1) | 1] as number, len);
    } else if (code === s.next && oldWord !== 0) {
      const oldLen = oldWord >> 16;
      len = oldLen + 1; // KwKwK: old + first(old)
      if (pos + len > Math.min(out.length, maxBytes)) {
        out = grow(out, pos, len, maxBytes, file);
        outView = viewOf(out);
      }
      copyRun(out, pos, s.oldPos, oldLen);
      out[pos + oldLen] = out[s.oldPos] as number;
      word = (out[pos] as number) | ((out[pos + 1] as number) << 8) | (len << 16);
    } else throw badCode(file, code, s.next);
    if (oldWord !== 0 && s.next < MAX_CODES) addEntry(s, out[s.oldPos + 1] as number);
    s.oldPos = pos;
    s.oldWord = word;
    s.pos = pos + len;
  }
  return out.subarray(0, s.pos);
}

/** The next code, reading the input a byte at a time; -1 when too few bits are left. */
function readCode(input: Uint8Array, s: LzwState): number {
  while (s.bitCount <= 24 && s.inPos < input.length) {
    s.bitBuf = (s.bitBuf << 8) | (input[s.inPos++] as number);
    s.bitCount += 8;
  }
  if (s.bitCount < s.width) return -1;
  s.bitCount -= s.width;
  return (s.bitBuf >>> s.bitCount) & s.mask;
}

/** Adds the previous string plus one byte (`second`: the new entry's second byte) as the next entry. */
function addEntry(s: LzwState, second: number): void {
  const old = s.oldWord;
  table[s.next << 1] = (old & 0xff) | (second << 8) | (((old >> 16) + 1) << 16);
  table[(s.next << 1) | 1] = s.oldPos;
  s.next++;
  if (s.next === s.mask && s.width < 12) {
    s.width++; // early change: one code before the table needs it
    s.mask = (1 << s.width) - 1;
  }
}

/**
 * Last position at which `fastCodes` may write two bytes, as an int32 so that it adds positions without
 * overflow checks (a block near 2 GiB just leaves its end to the slow step).
 */
function fastRoom(out: Uint8Array, maxBytes: number): number {
  return (Math.min(out.length, maxBytes, 0x7fffffff) | 0) - 2;
}

/**
 * Decodes codes of one- or two-byte strings (nearly every code of noisy data) after a first code, while there is
 * room for them. Returns the first code it does not handle, or -1 when the input is down to its last byte.
 */
const fastCodes = makeFastCodes(table);

// Made by a function called once so the table is a constant of the closure, which V8 compiles into the loop
// (no checks or reloads of the array). The loop keeps all state in int32 locals (`| 0` on sums its tests keep
// below 2^31) and calls nothing; DataViews read two input bytes and write two output bytes in one access.
function makeFastCodes(codes: Int32Array) {
  return (input: DataView, out: DataView, lastPos: number, s: LzwState): number => {
    const room = lastPos | 0;
    const inLast = (Math.min(input.byteLength, 0x7fffffff) | 0) - 1;
    let pos = s.pos;
    let width = s.width;
    let mask = s.mask;
    let next = s.next;
    let oldPos = s.oldPos;
    let oldWord = s.oldWord;
    let bitBuf = s.bitBuf;
    let bitCount = s.bitCount;
    let inPos = s.inPos;
    let code: number;
    for (;;) {
      if (bitCount < width) {
        if (inPos >= inLast) {
          code = -1;
          break;
        }
        // at most 11 unread bits are left, so 16 more fit in the 32-bit buffer
        bitBuf = (bitBuf << 16) | input.getUint16(inPos);
        inPos = (inPos + 2) | 0;
        bitCount = (bitCount + 16) | 0;
      }
      bitCount = (bitCount - width) | 0;
      code = (bitBuf >>> bitCount) & mask;
      if (code >= next) break;
      const word = codes[code << 1] as number;
      if (word >= 3 << 16 || pos > room) break; // three bytes or more, Clear, EOI; or near the end of the output
      // the second byte of a one-byte string is overwritten by the next code, or lies past the result
      out.setUint16(pos, word, true);
      if (next < 4096) {
        // old's string then this one's first byte: its second byte is at oldPos + 1 in the output
        codes[next << 1] =
          ((oldWord & -0x10000) + 0x10000) | 0 | (oldWord & 0xff) | (out.getUint8((oldPos + 1) | 0) << 8);
        codes[(next << 1) | 1] = oldPos;
        next = (next + 1) | 0;
        if (next === mask && width < 12) {
          width++; // early change: one code before the table needs it
          mask = (1 << width) - 1;
        }
      }
      oldPos = pos;
      oldWord = word;
      pos = (pos + (word >> 16)) | 0;
    }
    s.pos = pos;
    s.width = width;
    s.mask = mask;
    s.next = next;
    s.oldPos = oldPos;
    s.oldWord = oldWord;
    s.bitBuf = bitBuf;
    s.bitCount = bitCount;
    s.inPos = inPos;
    return code;
  };
}

function decodeCompat(input: Uint8Array, out: Uint8Array, maxBytes: number, file: string): Uint8Array {
  const n = input.length;
  let cap = Math.min(out.length, maxBytes);
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
      if (pos >= cap) {
        out = grow(out, pos, 1, maxBytes, file);
        cap = out.length;
      }
      out[pos] = code;
      len = 1;
    } else if (code >= 258 && code < next) {
      len = (table[code << 1] as number) >> 16;
      if (pos + len > cap) {
        out = grow(out, pos, len, maxBytes, file);
        cap = out.length;
      }
      copyRun(out, pos, table[(code << 1) | 1] as number, len);
    } else if (code === next && old >= 0) {
      len = oldLen + 1;
      if (pos + len > cap) {
        out = grow(out, pos, len, maxBytes, file);
        cap = out.length;
      }
      copyRun(out, pos, oldPos, oldLen);
      out[pos + oldLen] = out[oldPos] as number;
    } else throw badCode(file, code, next);
    pos += len;
    if (old >= 0 && next < MAX_CODES) {
      table[next << 1] = (oldLen + 1) << 16; // the length alone: compat strings are always copied
      table[(next << 1) | 1] = oldPos;
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
  decode: (block, info) => {
    const maxBytes = info.maxBytes ?? info.expectedBytes;
    // the caller's memory holds any block that fits the cap, so the decode never grows out of it
    if (info.reuse && info.into && info.into.byteLength >= maxBytes && maxBytes >= 1)
      return decodeInto(block, info.into, maxBytes, info.file);
    return info.reuse
      ? decodeReused(block, info.expectedBytes, maxBytes, info.file)
      : decodeLzw(block, info.expectedBytes, info.file, maxBytes);
  },
};
