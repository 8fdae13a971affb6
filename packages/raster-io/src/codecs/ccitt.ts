// CCITT bilevel decoding for TIFF compressions 2 (Modified Huffman rows), 3 (T.4: 1-D, or 2-D with tag bits, rows
// after EOL codes) and 4 (T.6: 2-D against the previous row), giving what libtiff gives GDAL: rows of packed bits,
// most significant first, each row starting on a byte, 1 for black runs. Codes, row lengths and the end of the data
// are checked: a block that does not hold its rows exactly fails, nothing is filled in. FillOrder 2 (bits stored
// least significant first) is undone before any codec runs, as libtiff does.
import { RasterIoError } from '../errors.js';
import { CCITT_RLE, CCITT_T4, type CcittBlockParams } from './ccitt-params.js';
import type { BlockInfo, Codec } from './codec.js';

// Run-length codes of ITU-T T.4 (tables 2 and 3): terminating codes of runs 0–63, make-up codes of 64–1728 (step
// 64), and the make-up codes of 1792–2560 both colours share.
const WHITE_TERMINATING =
  '00110101 000111 0111 1000 1011 1100 1110 1111 10011 10100 00111 01000 001000 000011 110100 110101 101010 ' +
  '101011 0100111 0001100 0001000 0010111 0000011 0000100 0101000 0101011 0010011 0100100 0011000 00000010 ' +
  '00000011 00011010 00011011 00010010 00010011 00010100 00010101 00010110 00010111 00101000 00101001 00101010 ' +
  '00101011 00101100 00101101 00000100 00000101 00001010 00001011 01010010 01010011 01010100 01010101 00100100 ' +
  '00100101 01011000 01011001 01011010 01011011 01001010 01001011 00110010 00110011 00110100';
const WHITE_MAKE_UP =
  '11011 10010 010111 0110111 00110110 00110111 01100100 01100101 01101000 01100111 011001100 011001101 ' +
  '011010010 011010011 011010100 011010101 011010110 011010111 011011000 011011001 011011010 011011011 ' +
  '010011000 010011001 010011010 011000 010011011';
const BLACK_TERMINATING =
  '0000110111 010 11 10 011 0011 0010 00011 000101 000100 0000100 0000101 0000111 00000100 00000111 000011000 ' +
  '0000010111 0000011000 0000001000 00001100111 00001101000 00001101100 00000110111 00000101000 00000010111 ' +
  '00000011000 000011001010 000011001011 000011001100 000011001101 000001101000 000001101001 000001101010 ' +
  '000001101011 000011010010 000011010011 000011010100 000011010101 000011010110 000011010111 000001101100 ' +
  '000001101101 000011011010 000011011011 000001010100 000001010101 000001010110 000001010111 000001100100 ' +
  '000001100101 000001010010 000001010011 000000100100 000000110111 000000111000 000000100111 000000101000 ' +
  '000001011000 000001011001 000000101011 000000101100 000001011010 000001100110 000001100111';
const BLACK_MAKE_UP =
  '0000001111 000011001000 000011001001 000001011011 000000110011 000000110100 000000110101 0000001101100 ' +
  '0000001101101 0000001001010 0000001001011 0000001001100 0000001001101 0000001110010 0000001110011 ' +
  '0000001110100 0000001110101 0000001110110 0000001110111 0000001010010 0000001010011 0000001010100 ' +
  '0000001010101 0000001011010 0000001011011 0000001100100 0000001100101';
const SHARED_MAKE_UP =
  '00000001000 00000001100 00000001101 000000010010 000000010011 000000010100 000000010101 000000010110 ' +
  '000000010111 000000011100 000000011101 000000011110 000000011111';
const EOL = '000000000001';

/** Longest run code (13 bits): tables are indexed by the next 13 bits. */
const RUN_BITS = 13;
/** A table entry: code length << 12 | run; this run value marks the EOL code. */
const EOL_RUN = 4095;

/** Every code of a table spread over all the 2^bits indices it prefixes; 0 = no code. Overlapping codes throw. */
function codeTable(bits: number, codes: [string, number][]): Int32Array {
  const table = new Int32Array(1 << bits);
  for (const [code, value] of codes) {
    const prefix = Number.parseInt(code, 2) << (bits - code.length);
    for (let j = 0; j < 1 << (bits - code.length); j++) {
      if (table[prefix | j]) throw new Error(`CCITT code table: ${code} overlaps another code`);
      table[prefix | j] = (code.length << 12) | value;
    }
  }
  return table;
}

function runTable(terminating: string, makeUp: string): Int32Array {
  const codes: [string, number][] = [
    ...terminating.split(' ').map((c, run): [string, number] => [c, run]),
    ...makeUp.split(' ').map((c, i): [string, number] => [c, 64 * (i + 1)]),
    ...SHARED_MAKE_UP.split(' ').map((c, i): [string, number] => [c, 1792 + 64 * i]),
    [EOL, EOL_RUN],
  ];
  return codeTable(RUN_BITS, codes);
}

// 2-D mode codes (T.4 table 4): vertical modes are the offset a1 − b1 + 3 (0–6).
const PASS = 7;
const HORIZONTAL = 8;
const MODE_BITS = 7;

let tables: { white: Int32Array; black: Int32Array; modes: Int32Array } | undefined;
const codeTables = () => {
  tables ??= {
    white: runTable(WHITE_TERMINATING, WHITE_MAKE_UP),
    black: runTable(BLACK_TERMINATING, BLACK_MAKE_UP),
    modes: codeTable(MODE_BITS, [
      ['1', 3],
      ['011', 4],
      ['010', 2],
      ['001', HORIZONTAL],
      ['0001', PASS],
      ['000011', 5],
      ['000010', 1],
      ['0000011', 6],
      ['0000010', 0],
    ]),
  };
  return tables;
};

/** A failure at a place in the block (the codec adds the file). */
class CcittError extends Error {}

/** MSB-first bit reader; reading past the end is an error, peeking past it sees zeros. */
class BitReader {
  pos = 0;
  readonly end: number;
  constructor(private readonly data: Uint8Array) {
    this.end = data.length * 8;
  }
  /** The next `n` (≤ 13) bits. */
  peek(n: number): number {
    const at = this.pos >> 3;
    const d = this.data;
    const word = ((d[at] ?? 0) << 16) | ((d[at + 1] ?? 0) << 8) | (d[at + 2] ?? 0);
    return (word >>> (24 - (this.pos & 7) - n)) & ((1 << n) - 1);
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.end) throw new CcittError('the data ends inside a code');
  }
  alignToByte(): void {
    this.pos = Math.min(this.end, (this.pos + 7) & ~7);
  }
}

/** One run of a colour: make-up codes, then a terminating code. */
function readRun(bits: BitReader, table: Int32Array, room: number): number {
  let total = 0;
  for (;;) {
    const e = table[bits.peek(RUN_BITS)] as number;
    if (e === 0) throw new CcittError('an invalid run code');
    const run = e & 0xfff;
    if (run === EOL_RUN) throw new CcittError('an EOL code inside the row');
    bits.skip(e >> 12);
    total += run;
    if (total > room) throw new CcittError('a run past the end of the row');
    if (run < 64) return total;
  }
}

/** Decoding state: the row being decoded and the reference row, as positions of changing elements. */
interface Rows {
  width: number;
  cur: Int32Array;
  curCount: number;
  ref: Int32Array;
  refCount: number;
}

function push(r: Rows, at: number): void {
  if (r.curCount === r.cur.length) throw new CcittError('more colour changes than the row can hold');
  r.cur[r.curCount++] = at;
}

/** A Modified Huffman row: white and black runs alternating, from white. */
function decode1D(bits: BitReader, r: Rows): void {
  const { white, black } = codeTables();
  let a0 = 0;
  let color = 0;
  r.curCount = 0;
  while (a0 < r.width) {
    a0 += readRun(bits, color ? black : white, r.width - a0);
    push(r, a0);
    color ^= 1;
  }
}

/** A 2-D (READ) row against the reference row `r.ref`. */
function decode2D(bits: BitReader, r: Rows): void {
  const { white, black, modes } = codeTables();
  const { width, ref, refCount } = r;
  let a0 = -1;
  let color = 0;
  let i = 0;
  r.curCount = 0;
  while (a0 < width) {
    // b1: the first changing element of the reference row right of a0 whose colour is not a0's (even = to black)
    while (i > 0 && (ref[i - 1] as number) > a0) i--;
    while (i < refCount && (ref[i] as number) <= a0) i++;
    if ((i & 1) !== color) i++;
    const b1 = i < refCount ? Math.min(ref[i] as number, width) : width;
    const b2 = i + 1 < refCount ? Math.min(ref[i + 1] as number, width) : width;
    const e = modes[bits.peek(MODE_BITS)] as number;
    if (e === 0) throw new CcittError('an invalid or unsupported 2-D mode code (EOL, extension)');
    bits.skip(e >> 12);
    const mode = e & 0xfff;
    const start = a0 < 0 ? 0 : a0;
    if (mode === PASS) {
      a0 = b2;
    } else if (mode === HORIZONTAL) {
      const a1 = start + readRun(bits, color ? black : white, width - start);
      const a2 = a1 + readRun(bits, color ? white : black, width - a1);
      push(r, a1);
      push(r, a2);
      a0 = a2;
    } else {
      const a1 = b1 + mode - 3;
      if (a1 < start || a1 > width)
        throw new CcittError(`a vertical mode to pixel ${a1} outside ${start}..${width}`);
      push(r, a1);
      a0 = a1;
      color ^= 1;
    }
  }
}

/** Skip to the end of the next EOL code (at least 11 zero bits, then a 1), as libtiff does before T.4 rows. */
function syncToEol(bits: BitReader): void {
  while (bits.peek(11) !== 0) bits.skip(1);
  bits.skip(11);
  while (bits.peek(1) === 0) bits.skip(1);
  bits.skip(1);
}

/** Set the black runs of a decoded row (between changes 0–1, 2–3, …) in its packed bytes (already zero). */
function render(out: Uint8Array, at: number, r: Rows): void {
  for (let k = 0; k < r.curCount; k += 2) {
    const x0 = r.cur[k] as number;
    const x1 = k + 1 < r.curCount ? (r.cur[k + 1] as number) : r.width;
    if (x1 > x0) setBits(out, at, x0, Math.min(x1, r.width));
  }
}

function setBits(out: Uint8Array, at: number, x0: number, x1: number): void {
  const first = at + (x0 >> 3);
  const last = at + ((x1 - 1) >> 3);
  const head = 0xff >> (x0 & 7);
  const tail = (0xff << (7 - ((x1 - 1) & 7))) & 0xff;
  if (first === last) {
    out[first] = (out[first] as number) | (head & tail);
    return;
  }
  out[first] = (out[first] as number) | head;
  out.fill(0xff, first + 1, last);
  out[last] = (out[last] as number) | tail;
}

/** Decode a block's rows into `out` (zeroed, `rowBytes` × `height`). */
function decodeRows(data: Uint8Array, p: CcittBlockParams, out: Uint8Array): void {
  const bits = new BitReader(data);
  const rowBytes = (p.width + 7) >> 3;
  const capacity = 2 * p.width + 4;
  let r: Rows = {
    width: p.width,
    cur: new Int32Array(capacity),
    curCount: 0,
    ref: new Int32Array(capacity),
    refCount: 0, // the row above the first is white
  };
  const twoD = p.compression === CCITT_T4 && (p.options & 1) !== 0;
  for (let y = 0; y < p.height; y++) {
    try {
      if (p.compression === CCITT_RLE) {
        decode1D(bits, r);
        bits.alignToByte();
      } else if (p.compression === CCITT_T4) {
        syncToEol(bits);
        const oneD = !twoD || bits.peek(1) === 1;
        if (twoD) bits.skip(1);
        if (oneD) decode1D(bits, r);
        else decode2D(bits, r);
      } else {
        decode2D(bits, r);
      }
    } catch (err) {
      if (err instanceof CcittError) throw new CcittError(`row ${y}: ${err.message}`);
      throw err;
    }
    render(out, y * rowBytes, r);
    r = { width: r.width, cur: r.ref, curCount: 0, ref: r.cur, refCount: r.curCount };
  }
}

/**
 * Compressions 2, 3 and 4 (CCITT Modified Huffman, T.4 and T.6) of 1-bit samples, browser-safe. Needs the block's
 * geometry and the IFD's options ({@link BlockInfo.ccitt}); T.4's and T.6's uncompressed mode is not decoded (nor
 * by libtiff).
 */
export const ccittCodec: Codec = {
  name: 'ccitt',
  decode(block, info: BlockInfo) {
    const p = info.ccitt;
    if (!p) throw new RasterIoError('INVALID_ARGUMENT', `${info.file}: CCITT block without its geometry`);
    const rowBytes = (p.width + 7) >> 3;
    if (rowBytes * p.height !== info.expectedBytes)
      throw new RasterIoError(
        'CORRUPT_BLOCK',
        `${info.file}: a CCITT block of ${p.width}×${p.height} 1-bit pixels cannot fill ${info.expectedBytes} bytes`,
      );
    const out = new Uint8Array(info.expectedBytes);
    try {
      decodeRows(block, p, out);
    } catch (err) {
      if (!(err instanceof CcittError)) throw err;
      throw new RasterIoError('CORRUPT_BLOCK', `${info.file}: corrupt CCITT block (${err.message})`);
    }
    return out;
  },
};
