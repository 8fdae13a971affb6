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
    const fast = info.jpeg ? decodeWithTurbojpeg(block, info.jpeg, info.reuse) : null;
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
): Uint8Array | null {
  const lib = loadLibturbojpeg();
  if (!lib) return null;
  const stream = p.tables && p.tables.byteLength > 0 ? spliceTables(p.tables, block) : block;
  const header = stream ? headerBeforeScan(stream) : null;
  // our decoder refuses a stream without tables; libjpeg-turbo would use the standard Huffman tables
  if (!stream || !header?.quantTables || !header.huffmanTables) return null;
  const layout = turbojpegLayout(p, header.sampling);
  if (!layout) return null;
  const samples = p.samples as 1 | 3;
  return lib.decode(
    stream,
    { width: p.width, height: p.height, colorspace: layout.colorspace, samples },
    reuse,
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
  quantTables: boolean;
  huffmanTables: boolean;
}

/**
 * The segments before the first scan when the frame is baseline or extended sequential Huffman (SOF0/SOF1, the
 * frames the TypeScript decoder reads) and comes before that scan; else null.
 */
function headerBeforeScan(stream: Uint8Array): StreamHeader | null {
  if (stream[0] !== 0xff || stream[1] !== 0xd8) return null;
  let sampling: number[][] | null = null;
  let quantTables = false;
  let huffmanTables = false;
  for (let pos = 2; pos + 3 < stream.length; ) {
    if (stream[pos] !== 0xff) return null;
    const marker = stream[pos + 1] as number;
    if (marker === 0xff) {
      pos++; // a fill byte
      continue;
    }
    if (marker === 0xda) return sampling ? { sampling, quantTables, huffmanTables } : null;
    if (marker === 0xd9) return null;
    const length = ((stream[pos + 2] as number) << 8) | (stream[pos + 3] as number);
    if (marker === 0xc0 || marker === 0xc1) {
      if (sampling) return null; // a second frame
      sampling = frameSampling(stream.subarray(pos + 4, pos + 2 + length));
      if (!sampling) return null;
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return null;
    }
    if (marker === 0xdb) quantTables = true;
    if (marker === 0xc4) huffmanTables = true;
    pos += 2 + length;
  }
  return null;
}

/** Sampling factors of an 8-bit frame header's components (P, Y, X, Nf, then C, H·16+V, Tq each); else null. */
function frameSampling(body: Uint8Array): number[][] | null {
  const n = body[5] ?? 0;
  if (body[0] !== 8 || n < 1 || body.length !== 6 + 3 * n) return null;
  return Array.from({ length: n }, (_, i) => [
    (body[7 + 3 * i] as number) >> 4,
    (body[7 + 3 * i] as number) & 15,
  ]);
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
