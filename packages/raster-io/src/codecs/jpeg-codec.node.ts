import type { BlockInfo, Codec } from './codec.js';
import { jpegCodec } from './jpeg.js';
import type { JpegBlockParams } from './jpeg-params.js';
import { loadLibturbojpeg } from './libturbojpeg.node.js';

/** Which fast JPEG decoder this thread uses (TurboJPEG's soname), or null when blocks use the TypeScript one. */
export function jpegBackend(): string | null {
  return loadLibturbojpeg()?.library ?? null;
}

/**
 * Compression 7 (JPEG) in Node: blocks libjpeg-turbo decodes cleanly go through it (GDAL's own decoder, so the
 * same pixels, ≈ 5× faster); everything else — other colour layouts, abbreviated tables we cannot splice as
 * libtiff loads them, frames other than baseline/extended sequential, any libjpeg warning or error — goes to the
 * TypeScript decoder, which decides what is an error. So Node and the browser accept and refuse the same blocks.
 */
export const jpegNodeCodec: Codec = {
  name: 'JPEG',
  decode(block: Uint8Array, info: BlockInfo): Uint8Array {
    const into = info.reuse ? info.into : undefined;
    const fast = info.jpeg ? decodeWithTurbojpeg(block, info.jpeg, info.reuse, into) : null;
    return fast ?? (jpegCodec.decode(block, info) as Uint8Array);
  },
};

const TJCS_RGB = 0;
const TJCS_YCBCR = 1;
const TJCS_GRAY = 2;

/**
 * The block's pixels decoded by libjpeg-turbo, or null when this block is the TypeScript decoder's to decide: no
 * library, a layout or stream it does not take, or any libjpeg warning or error.
 */
export function decodeWithTurbojpeg(
  block: Uint8Array,
  p: JpegBlockParams,
  reuse?: boolean,
  into?: Uint8Array,
): Uint8Array | null {
  const lib = loadLibturbojpeg();
  if (!lib) return null;
  const stream = p.tables && p.tables.byteLength > 0 ? spliceTables(p.tables, block) : block;
  const header = stream ? headerBeforeScan(stream) : null;
  if (!stream || !header) return null;
  const layout = turbojpegLayout(p, header.sampling);
  if (!layout) return null;
  const samples = p.samples as 1 | 3;
  return lib.decode(
    stream,
    { width: p.width, height: p.height, colorspace: layout.colorspace, samples },
    reuse,
    into,
  );
}

/**
 * The colour space libjpeg must see in the stream for its output to be libtiff's, or null for blocks left to our
 * decoder. libtiff converts YCbCr to RGB (GDAL's JPEGCOLORMODE_RGB), with chroma at 1×1 and luma at the IFD's
 * YCbCrSubSampling when the reader gives it; other photometrics get the components as stored, which libjpeg
 * gives for gray streams and for 3-component streams it reads as RGB (libtiff marks its RGB streams so), all 1×1.
 */
function turbojpegLayout(p: JpegBlockParams, factors: number[][]): { colorspace: number } | null {
  if (p.ycbcrToRgb) {
    const luma = p.sampling ?? factors[0] ?? [];
    return p.samples === 3 && hasSampling(factors, [luma, [1, 1], [1, 1]])
      ? { colorspace: TJCS_YCBCR }
      : null;
  }
  const flat = Array.from({ length: p.samples }, () => [1, 1]);
  if (!hasSampling(factors, flat)) return null;
  return p.samples === 1 ? { colorspace: TJCS_GRAY } : p.samples === 3 ? { colorspace: TJCS_RGB } : null;
}

const hasSampling = (got: readonly number[][], want: readonly (readonly number[])[]): boolean =>
  got.length === want.length && got.every(([h, v], i) => h === want[i]?.[0] && v === want[i]?.[1]);

/** What the segments before a stream's first scan hold. */
interface StreamHeader {
  /** The frame's components' sampling factors (h, v). */
  sampling: number[][];
}

/** The tables a stream defines before its first scan and the ones its frame and that scan use. */
class TableUse {
  private readonly defined = new Set<string>();
  private readonly used = new Set<string>();
  /** DQT: (Pq·16 + Tq, 64 or 128 bytes) repeated; false when the segment is malformed. */
  defineQuant(body: Uint8Array): boolean {
    for (let i = 0; i < body.length; ) {
      const pq = (body[i] as number) >> 4;
      this.defined.add(`q${(body[i] as number) & 15}`);
      i += 1 + 64 * (pq + 1);
      if (pq > 1 || i > body.length) return false;
    }
    return true;
  }
  /** DHT: (Tc·16 + Th, 16 counts, symbols) repeated; false when the segment is malformed. */
  defineHuffman(body: Uint8Array): boolean {
    for (let i = 0; i < body.length; ) {
      if (i + 17 > body.length) return false;
      let symbols = 0;
      for (let k = 1; k <= 16; k++) symbols += body[i + k] as number;
      this.defined.add(`h${body[i]}`);
      i += 17 + symbols;
      if (i > body.length) return false;
    }
    return true;
  }
  use(key: string): void {
    this.used.add(key);
  }
  allDefined(): boolean {
    for (const key of this.used) if (!this.defined.has(key)) return false;
    return true;
  }
}

/**
 * The segments before the first scan when the frame is baseline or extended sequential Huffman (SOF0/SOF1, the
 * frames the TypeScript decoder reads), comes before that scan, that scan codes every component and every table
 * they use is defined; else null. libjpeg-turbo would decode a missing Huffman table with the standard one, where
 * libtiff's decompressor keeps the last block's and our decoder refuses the stream.
 */
function headerBeforeScan(stream: Uint8Array): StreamHeader | null {
  if (stream[0] !== 0xff || stream[1] !== 0xd8) return null;
  let frame: { sampling: number[][]; ids: number[] } | null = null;
  const tables = new TableUse();
  for (let pos = 2; pos + 3 < stream.length; ) {
    if (stream[pos] !== 0xff) return null;
    const marker = stream[pos + 1] as number;
    if (marker === 0xff) {
      pos++; // a fill byte
      continue;
    }
    if (marker === 0xd9) return null;
    const length = ((stream[pos + 2] as number) << 8) | (stream[pos + 3] as number);
    if (length < 2 || pos + 2 + length > stream.length) return null;
    const body = stream.subarray(pos + 4, pos + 2 + length);
    if (marker === 0xda) {
      if (!frame || !scanUses(body, frame.ids, tables)) return null;
      return tables.allDefined() ? { sampling: frame.sampling } : null;
    }
    if (marker === 0xc0 || marker === 0xc1) {
      if (frame) return null; // a second frame
      frame = frameComponents(body, tables);
      if (!frame) return null;
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return null;
    }
    if (marker === 0xdb && !tables.defineQuant(body)) return null;
    if (marker === 0xc4 && !tables.defineHuffman(body)) return null;
    pos += 2 + length;
  }
  return null;
}

/** Whether a scan header (Ns, then Cs and Td·16 + Ta each) codes every frame component; notes its tables. */
function scanUses(body: Uint8Array, ids: number[], tables: TableUse): boolean {
  const n = body[0] ?? 0;
  if (n !== ids.length || body.length < 1 + 2 * n) return false;
  for (let i = 0; i < n; i++) {
    if (body[1 + 2 * i] !== ids[i]) return false;
    const t = body[2 + 2 * i] as number;
    tables.use(`h${t >> 4}`); // class 0 (DC), table Td
    tables.use(`h${16 + (t & 15)}`); // class 1 (AC), table Ta
  }
  return true;
}

/**
 * An 8-bit frame header's components (P, Y, X, Nf, then C, H·16+V, Tq each): their ids and sampling factors; notes
 * the quantization tables they use. Null when malformed.
 */
function frameComponents(body: Uint8Array, tables: TableUse): { sampling: number[][]; ids: number[] } | null {
  const n = body[5] ?? 0;
  if (body[0] !== 8 || n < 1 || body.length !== 6 + 3 * n) return null;
  const ids: number[] = [];
  const sampling: number[][] = [];
  for (let i = 0; i < n; i++) {
    ids.push(body[6 + 3 * i] as number);
    const hv = body[7 + 3 * i] as number;
    sampling.push([hv >> 4, hv & 15]);
    tables.use(`q${body[8 + 3 * i]}`);
  }
  return { sampling, ids };
}

/**
 * One stream holding the JPEGTables' quantization and Huffman tables followed by the block's own segments, which
 * libjpeg reads as libtiff's two-step load does. Null (use the TypeScript decoder) unless the tables are exactly
 * SOI, DQT/DHT/COM segments, EOI: other markers there (a restart interval, an Adobe or JFIF marker) are reset by
 * the block's SOI in libtiff's load and would not be here.
 */
function spliceTables(tables: Uint8Array, block: Uint8Array): Uint8Array | null {
  if (tables[0] !== 0xff || tables[1] !== 0xd8) return null;
  let pos = 2;
  while (pos + 3 < tables.length) {
    const marker = tables[pos + 1] as number;
    if (tables[pos] !== 0xff || (marker !== 0xdb && marker !== 0xc4 && marker !== 0xfe)) return null;
    pos += 2 + (((tables[pos + 2] as number) << 8) | (tables[pos + 3] as number));
  }
  if (pos + 2 !== tables.length || tables[pos] !== 0xff || tables[pos + 1] !== 0xd9) return null;
  if (block[0] !== 0xff || block[1] !== 0xd8) return null;
  const out = new Uint8Array(pos + block.length - 2);
  out.set(tables.subarray(0, pos));
  out.set(block.subarray(2), pos);
  return out;
}
