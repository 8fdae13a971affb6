// Walks a Lerc2 blob's body (after its header and mask) the way the decoder will, without decoding values:
// every count the decoder would rely on is checked against the micro-block and the blob first. Esri's decoder
// takes a micro-block's value count and a Huffman table's size from the blob as they are (a table may declare
// 2³¹ entries) and fills pixels its data does not cover with zeros or the previous micro-block's values.
import { RasterIoError } from '../errors.js';

/** What the blob header says, as far as the walk needs it. */
export interface LercBlob {
  offset: number;
  version: number;
  rows: number;
  cols: number;
  dims: number;
  validPixels: number;
  microBlock: number;
  blobSize: number;
  dataType: number;
  maxZError: number;
  zMin: number;
  zMax: number;
  /** Validity per pixel (1 valid), or null when every pixel is valid. */
  mask: Uint8Array | null;
  /** Where the body starts: after the mask. */
  bodyAt: number;
}

/** Bytes per value of LERC data types 0–7 (int8 … float64). */
const TYPE_BYTES = [1, 1, 2, 2, 4, 4, 4, 8] as const;
/** The largest Huffman alphabet Esri's encoder writes (its histogram size cap). */
const MAX_HUFFMAN_SIZE = 1 << 15;

class Walk {
  constructor(
    private readonly view: DataView,
    public pos: number,
    private readonly end: number,
    private readonly file: string,
    private readonly where: string,
  ) {}

  fail(what: string): RasterIoError {
    return new RasterIoError('CORRUPT_BLOCK', `${this.file}: LERC ${this.where} ${what}`);
  }

  need(bytes: number, what: string): void {
    if (!(bytes >= 0) || this.pos + bytes > this.end) throw this.fail(`is cut inside ${what}`);
  }

  skip(bytes: number, what: string): void {
    this.need(bytes, what);
    this.pos += bytes;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Little-endian unsigned integer of `n` bytes (1, 2 or 4). */
  uint(n: number, what: string): number {
    this.need(n, what);
    const v =
      n === 1
        ? this.view.getUint8(this.pos)
        : n === 2
          ? this.view.getUint16(this.pos, true)
          : this.view.getUint32(this.pos, true);
    this.pos += n;
    return v;
  }
}

/**
 * Check the body of one blob: the per-dimension ranges, the one-sweep values, the Huffman table or every
 * micro-block's encoding and bit-stuffed value count (which must equal the micro-block's valid pixels).
 * @throws RasterIoError CORRUPT_BLOCK naming the file, the blob and what does not fit
 */
export function scanLercBody(view: DataView, b: LercBlob, file: string, index: number): void {
  const w = new Walk(view, b.bodyAt, b.offset + b.blobSize, file, `blob ${index}`);
  if (b.validPixels === 0 || b.zMin === b.zMax) return; // nothing, or one value everywhere
  const size = TYPE_BYTES[b.dataType] as number;
  if (b.version >= 4) {
    // one value per dimension everywhere when every minimum equals its maximum (compared as values: −0 = 0)
    w.need(2 * b.dims * size, 'its value ranges');
    let constant = true;
    for (let i = 0; i < b.dims; i++) {
      const min = readValue(view, w.pos + i * size, b.dataType);
      if (min !== readValue(view, w.pos + (b.dims + i) * size, b.dataType)) constant = false;
    }
    w.pos += 2 * b.dims * size;
    if (constant) return;
  }
  if (w.u8('its one-sweep flag') !== 0) {
    w.skip(b.validPixels * b.dims * size, 'its values');
    return;
  }
  if (b.dataType <= 1 && Math.abs(b.maxZError - 0.5) < 1e-5) {
    const huffman = w.u8('its Huffman flag');
    if (huffman > 2 || (b.version < 4 && huffman > 1)) throw w.fail(`has Huffman mode ${huffman}`);
    if (huffman > 0) {
      scanHuffmanTable(w);
      return;
    }
  }
  scanMicroBlocks(w, b, size);
}

function readValue(view: DataView, at: number, type: number): number {
  switch (type) {
    case 0:
      return view.getInt8(at);
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getInt16(at, true);
    case 3:
      return view.getUint16(at, true);
    case 4:
      return view.getInt32(at, true);
    case 5:
      return view.getUint32(at, true);
    case 6:
      return view.getFloat32(at, true);
    default:
      return view.getFloat64(at, true);
  }
}

/** Huffman-coded 8-bit data: the code table's header and its bit-stuffed code lengths. */
function scanHuffmanTable(w: Walk): void {
  const version = w.i32('its Huffman table');
  const size = w.i32('its Huffman table');
  const i0 = w.i32('its Huffman table');
  const i1 = w.i32('its Huffman table');
  const ok = version >= 2 && size > 0 && size <= MAX_HUFFMAN_SIZE && i0 >= 0 && i0 < i1 && i1 - i0 <= size;
  if (!ok || i1 > 2 * size)
    throw w.fail(`has a Huffman table of version ${version}, size ${size}, codes ${i0}..${i1}`);
  scanBitStuffed(w, i1 - i0, 'Huffman code lengths');
}

/** Every micro-block of every dimension: its encoding byte, offset and values. */
function scanMicroBlocks(w: Walk, b: LercBlob, size: number): void {
  const mb = b.microBlock;
  for (let y0 = 0; y0 < b.rows; y0 += mb) {
    for (let x0 = 0; x0 < b.cols; x0 += mb) {
      const valid = validIn(b, x0, y0, Math.min(mb, b.cols - x0), Math.min(mb, b.rows - y0));
      for (let dim = 0; dim < b.dims; dim++) {
        const head = w.u8('a micro-block header');
        const encoding = head & 3;
        if (encoding === 2) continue; // all zero
        if (encoding === 0) {
          w.skip(valid * size, 'a raw micro-block');
          continue;
        }
        const diff = b.version >= 5 && (head & 4) !== 0;
        const type = offsetType(diff && b.dataType < 6 ? 4 : b.dataType, head >> 6);
        if (type < 0 || type > 7) throw w.fail(`micro-block (${x0}, ${y0}) has an offset of type ${type}`);
        w.skip(TYPE_BYTES[type] as number, 'an offset');
        if (encoding === 1) scanBitStuffed(w, valid, `micro-block (${x0}, ${y0})`);
      }
    }
  }
}

function validIn(b: LercBlob, x0: number, y0: number, w: number, h: number): number {
  if (!b.mask) return w * h;
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) n += b.mask[y * b.cols + x] as number;
  return n;
}

/** The reduced type a micro-block's offset is stored in (Esri's "type used" rule). */
function offsetType(type: number, code: number): number {
  if (type === 2 || type === 4) return type - code;
  if (type === 3 || type === 5) return type - 2 * code;
  if (type === 6) return code === 0 ? 6 : code === 1 ? 2 : 1;
  if (type === 7) return code === 0 ? 7 : 7 - 2 * code + 1;
  return type;
}

/** A bit-stuffed array: its header, optional lookup table and packed values; it must hold `expected` values. */
function scanBitStuffed(w: Walk, expected: number, what: string): void {
  const head = w.u8(`the header of ${what}`);
  const countBytes = [4, 2, 1][head >> 6];
  if (countBytes === undefined) throw w.fail(`${what} has a bad count size`);
  const count = w.uint(countBytes, `the header of ${what}`);
  if (count !== expected) throw w.fail(`${what} holds ${count} values where ${expected} are expected`);
  const bits = head & 31;
  if ((head & 32) === 0) {
    w.skip(Math.ceil((count * bits) / 8), what);
    return;
  }
  const lutSize = w.u8(`the lookup table of ${what}`);
  if (lutSize < 2) throw w.fail(`${what} has a lookup table of ${lutSize} entries`);
  w.skip(Math.ceil(((lutSize - 1) * bits) / 8), `the lookup table of ${what}`);
  const indexBits = 32 - Math.clz32(lutSize - 1);
  w.skip(Math.ceil((count * indexBits) / 8), what);
}
