// JPEG entropy decoding: canonical Huffman tables (a 9-bit lookahead table, then the code-length walk of the
// JPEG spec's DECODE procedure) and a bit reader over entropy-coded data (0xFF00 stuffing, RSTn markers).
// Bits past the end of a segment are never taken as zeros: a scan that needs them is corrupt.
import { RasterIoError } from '../errors.js';

const LOOKAHEAD = 9;

export interface HuffmanTable {
  /** (length << 8) | symbol for every LOOKAHEAD-bit prefix starting with a short code; 0 otherwise. */
  lookup: Uint16Array;
  /** Per code length 1..16: the largest code (-1 when none), and the offset of its first symbol. */
  maxCode: Int32Array;
  valOffset: Int32Array;
  symbols: Uint8Array;
}

/** Build a table from a DHT's 16 code counts and its symbols. */
export function huffmanTable(counts: Uint8Array, symbols: Uint8Array, file: string): HuffmanTable {
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1] as number;
    valOffset[len] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= LOOKAHEAD) {
        const shift = LOOKAHEAD - len;
        const entry = (len << 8) | (symbols[k] as number);
        for (let j = 0; j < 1 << shift; j++) lookup[(code << shift) | j] = entry;
      }
    }
    if (n > 0) maxCode[len] = code - 1;
    // a code that overflows its length (more codes than the length allows) makes the table invalid
    if (code > 1 << len)
      throw new RasterIoError(
        'CORRUPT_BLOCK',
        `${file}: JPEG Huffman table has too many codes of length ${len}`,
      );
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: ends the walk
  return { lookup, maxCode, valOffset, symbols: symbols.slice() };
}

/** Zigzag position → natural (row-major) position, plus libjpeg's 16 safety entries for runs past the end. */
export const NATURAL_ORDER = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/** A bit reader over entropy-coded data starting at `start` of `data`. */
export class JpegBits {
  private pos: number;
  private acc = 0; // the low `count` bits are unread
  private count = 0;
  private fake = 0; // of those, bits past the segment's end (zeros)
  private atMarker = false;

  constructor(
    private readonly data: Uint8Array,
    start: number,
    private readonly file: string,
  ) {
    this.pos = start;
  }

  private corrupt(what: string): RasterIoError {
    return new RasterIoError('CORRUPT_BLOCK', `${this.file}: JPEG ${what}`);
  }

  /** Top the buffer up to more than 24 bits; past a marker or the end, with zeros counted as fake. */
  private fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (!this.atMarker && this.pos < data.length) {
        const b = data[this.pos] as number;
        if (b !== 0xff) {
          byte = b;
          this.pos++;
        } else {
          let next = this.pos + 1;
          while (next < data.length && data[next] === 0xff) next++; // fill bytes
          if (next < data.length && data[next] === 0) {
            byte = 0xff;
            this.pos = next + 1;
          } else this.atMarker = true; // a marker (or the end): the segment is over
        }
      } else this.atMarker = true;
      if (this.atMarker) this.fake += 8;
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  private take(n: number): void {
    this.count -= n;
    if (this.count < this.fake) throw this.corrupt(`entropy-coded data ends early (at byte ${this.pos})`);
  }

  /** The next Huffman-coded symbol. */
  symbol(t: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const e = t.lookup[(this.acc >>> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)] as number;
    if (e !== 0) {
      this.take(e >> 8);
      return e & 0xff;
    }
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = (this.acc >>> (this.count - len)) & ((1 << len) - 1);
      if (code <= (t.maxCode[len] as number)) {
        const symbol = t.symbols[code + (t.valOffset[len] as number)];
        if (symbol === undefined) break;
        this.take(len);
        return symbol;
      }
    }
    if (this.count - LOOKAHEAD < this.fake)
      throw this.corrupt(`entropy-coded data ends early (at byte ${this.pos})`);
    throw this.corrupt(`bad Huffman code near byte ${this.pos}`);
  }

  /** Read `size` bits (0..16) and extend them to a signed value (JPEG's EXTEND). */
  extend(size: number): number {
    if (size === 0) return 0;
    if (this.count < size) this.fill();
    const v = (this.acc >>> (this.count - size)) & ((1 << size) - 1);
    this.take(size);
    return v < 1 << (size - 1) ? v - (1 << size) + 1 : v;
  }

  /**
   * One block's coefficients in natural order (cleared first) with DC prediction from `pred`; returns the new
   * prediction. As in libjpeg-turbo, the prediction is a full integer and each stored coefficient a 16-bit JCOEF
   * (a damaged stream's DC drifts as GDAL's does); a run past the last coefficient writes the last one (the
   * zig-zag table's 16 extra entries of 63, as libjpeg's).
   */
  block(dc: HuffmanTable, ac: HuffmanTable, pred: number, coefs: Int32Array): number {
    coefs.fill(0);
    const t = this.symbol(dc);
    if (t > 16) throw this.corrupt(`DC difference of ${t} bits`);
    const value = pred + this.extend(t);
    if (value > 0x7fffffff || value < -0x80000000) throw this.corrupt('DC prediction overflows 32 bits');
    coefs[0] = (value << 16) >> 16;
    for (let k = 1; k < 64; k++) {
      const rs = this.symbol(ac);
      const r = rs >> 4;
      const size = rs & 15;
      if (size !== 0) {
        k += r;
        coefs[NATURAL_ORDER[k] as number] = this.extend(size);
      } else {
        if (r !== 15) break;
        k += 15;
      }
    }
    return value;
  }

  /** At a restart interval: drop the partial byte, expect an RSTn marker, go on after it. */
  restart(): void {
    const data = this.data;
    this.acc = 0;
    this.count = 0;
    this.fake = 0;
    let p = this.pos;
    while (p < data.length && data[p] === 0xff && data[p + 1] === 0xff) p++;
    const m = data[p + 1];
    if (data[p] !== 0xff || m === undefined || m < 0xd0 || m > 0xd7) {
      throw this.corrupt(`restart marker missing at byte ${p}`);
    }
    this.pos = p + 2;
    this.atMarker = false;
  }

  /** After the scan: the position of the next marker (garbage before it is skipped, as libjpeg does). */
  end(): number {
    const data = this.data;
    let p = this.pos;
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0 && data[p + 1] !== 0xff)) p++;
    return p + 1 < data.length ? p : data.length;
  }
}
