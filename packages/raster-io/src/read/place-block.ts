// The per-block stages shared by the main-thread read and the decode workers: check the stored bytes, check
// the decoded size, undo the predictor in place, and copy the block's pixels into the output bands.

import type { CcittLayout } from '../codecs/ccitt-params.js';
import type { BlockInfo } from '../codecs/codec.js';
import {
  type BlockSpan4,
  swapBytes,
  undoFloatingPointPredictor,
  undoFloatingPointPredictorInto4,
  undoHorizontalPredictor,
  undoHorizontalPredictorInto4,
} from '../codecs/predictor.js';
import { RasterIoError } from '../errors.js';
import { LITTLE_ENDIAN_HOST, viewAs } from '../internal/typed-array.js';
import type { DType, RasterArray, RasterWindow } from '../types.js';
import { deinterleaveRow, deinterleaveRow3, deinterleaveRow4, wordsOf, wordViews } from './deinterleave.js';
import type { PlaneStage } from './wasm-stage.js';
import { halfToFloat32, packedRowBytes, tripleToFloat32, unpackRows } from './widen-samples.js';
import { type YCbCrLayout, ycbcrToRgb } from './ycbcr.js';

/** What every block of one read shares (plain data: it is posted to decode workers). */
export interface BlockGeometry {
  name: string;
  ifd: number;
  kind: 'tile' | 'strip';
  compression: number;
  dtype: DType;
  /** bytes per sample, samples per pixel in a block (1 when planar) */
  bps: number;
  spp: number;
  /** block width and nominal height */
  bw: number;
  bh: number;
  predictor: number;
  littleEndian: boolean;
  tiled: boolean;
  win: RasterWindow;
  levelWidth: number;
  /** Bytes of a full block (the cap of strips, which may hold padding rows). */
  blockBytes: number;
  /** Requested file bands in output order (pixel-interleaved blocks). */
  bands: number[];
  ycbcr?: YCbCrLayout;
  /** Packed samples (GDAL's NBITS): stored bits per sample; `bps` is then the output dtype's bytes. */
  nbits?: number;
  /** Float16 samples: `bps` is 2 (what is stored) and the output is float32. */
  halfFloat?: boolean;
  /** Float24 samples: `bps` is 3 (what is stored) and the output is float32. */
  float24?: boolean;
  /** JPEG levels: the shared tables and whether YCbCr is converted to RGB (see {@link blockInfo}). */
  jpeg?: { tables?: Uint8Array; ycbcrToRgb: boolean; sampling?: [number, number] };
  /** LERC levels: the blob wrapping and whether 8-bit alpha may travel as the mask (see {@link blockInfo}). */
  lerc?: { additionalCompression: number; alphaAsMask: boolean };
  /** WEBP levels (8-bit RGB or RGBA, pixel-interleaved: checked when the geometry is made). */
  webp?: boolean;
  /** CCITT levels (1-bit, one sample per block: checked when the geometry is made). */
  ccitt?: CcittLayout;
  /** FillOrder 2: stored bytes are bit-reversed before decoding (see {@link msbFirst}). */
  lsbFirst?: boolean;
}

/** One tile or strip of a read. */
export interface BlockJob {
  index: number;
  col: number;
  row: number;
  /** Output band it fills (planar blocks); -1 for pixel-interleaved blocks, which fill every band. */
  slot: number;
  offset: number;
  byteCount: number;
  /** Rows of image data in the block and the bytes they must decode to. */
  rows: number;
  expected: number;
}

const REVERSED = Uint8Array.from({ length: 256 }, (_, b) => {
  let r = 0;
  for (let k = 0; k < 8; k++) r |= ((b >> k) & 1) << (7 - k);
  return r;
});

/**
 * A block's stored bytes in the bit order codecs read (most significant first): FillOrder 2 blocks are reversed
 * into a copy, as libtiff reverses them before decoding (the source's bytes are never modified).
 */
export function msbFirst(g: BlockGeometry, raw: Uint8Array): Uint8Array {
  if (!g.lsbFirst) return raw;
  const out = new Uint8Array(raw.byteLength);
  for (let i = 0; i < raw.byteLength; i++) out[i] = REVERSED[raw[i] as number] as number;
  return out;
}

/** A stored block shorter than its byte count is a file cut off. */
export function checkStored(g: BlockGeometry, b: BlockJob, raw: Uint8Array): void {
  if (raw.byteLength < b.byteCount) {
    throw new RasterIoError(
      'TRUNCATED',
      `${g.name}: truncated file; IFD ${g.ifd}, ${g.kind} ${b.index} needs bytes ${b.offset}..${b.offset + b.byteCount - 1} but the file ends at ${b.offset + raw.byteLength}`,
    );
  }
}

/**
 * Whatever a codec throws becomes a `CORRUPT_BLOCK` that says where the block is, except a codec that cannot run
 * here (`UNSUPPORTED_CODEC`: no block of the file can be decoded, so none may be filled as corrupt).
 */
export function corruptBlockError(err: unknown, file: string, where: string): RasterIoError {
  if (err instanceof RasterIoError && err.code === 'UNSUPPORTED_CODEC') return err;
  const detail = err instanceof Error ? err.message.replace(`${file}: `, '') : String(err);
  return new RasterIoError('CORRUPT_BLOCK', `${file}: ${where}: ${detail}`, { cause: err });
}

/**
 * What a codec is told about block `b`: its decoded size and cap, the file, and the parameters its compression
 * needs (the frame size libtiff requires of JPEG, LERC, WEBP and CCITT blocks: the tile, or the image width × the
 * strip's rows). `reuse`: the caller places the block before it decodes the next one.
 */
export function blockInfo(g: BlockGeometry, b: BlockJob): BlockInfo {
  const info: BlockInfo = {
    // a codec decodes a whole tile (a bottom-edge one may hold fewer rows: see placeDecoded), or a strip's rows
    expectedBytes: g.tiled && g.compression !== 1 ? g.blockBytes : b.expected,
    maxBytes: g.blockBytes,
    file: g.name,
    reuse: true,
  };
  const width = g.bw;
  const height = g.tiled ? g.bh : b.rows;
  if (g.jpeg) info.jpeg = { ...g.jpeg, width, height, samples: g.spp };
  if (g.lerc) info.lerc = { ...g.lerc, width, height, samples: g.spp, dtype: g.dtype };
  if (g.webp) info.webp = { width, height, samples: g.spp === 4 ? 4 : 3 };
  if (g.ccitt) info.ccitt = { ...g.ccitt, compression: g.compression, width, height };
  return info;
}

/** Where a block is, for decoder messages. */
export function blockWhere(g: BlockGeometry, b: BlockJob): string {
  return `IFD ${g.ifd}, ${g.kind} ${b.index}`;
}

/**
 * Check a decoded block's size, convert YCbCr, undo the predictor and copy it into `out` (or split it into
 * `stage`'s planes when the read is staged: see wasm-stage.ts). `raw` is the stored block: a decoder that hands it
 * back unchanged gets a copy before in-place stages. `out` is called only once the block is known good (the window
 * is allocated on the first good block).
 */
export function placeDecoded(
  g: BlockGeometry,
  b: BlockJob,
  raw: Uint8Array,
  decoded: Uint8Array,
  out: () => RasterArray[],
  stage?: PlaneStage | null,
): void {
  const max = g.blockBytes;
  let data = decoded;
  if (g.compression === 1 && data.byteLength > b.expected) data = data.subarray(0, b.expected);
  // A block holds at least the rows the read uses (a bottom-edge tile or last strip may be cut there, as GDAL
  // allows) and at most a whole block (a last strip may hold the full RowsPerStrip rows: some writers pad it).
  if (data.byteLength < b.expected || data.byteLength > max) {
    throw new RasterIoError(
      'CORRUPT_BLOCK',
      `${g.name}: IFD ${g.ifd}, ${g.kind} ${b.index} decodes to ${data.byteLength} bytes; its geometry needs ${b.expected}`,
    );
  }
  if (g.ycbcr) data = ycbcrToRgb(g.ycbcr, data.subarray(0, b.expected), g.bw, b.rows, g.name);
  if (g.halfFloat) {
    const own = data.buffer === raw.buffer ? data.slice(0, b.expected) : data.subarray(0, b.expected);
    undoStoredForm(g, own);
    placeBlock(floatGeometry(g), b, halfToFloat32(own), out());
    return;
  }
  if (g.float24) {
    const own = data.buffer === raw.buffer ? data.slice(0, b.expected) : data.subarray(0, b.expected);
    undoStoredForm(g, own);
    placeBlock(floatGeometry(g), b, tripleToFloat32(own), out());
    return;
  }
  if (g.nbits) {
    // unpacked into native-order samples of the dtype: placed as a plain block of it
    const rows = b.expected / packedRowBytes(g);
    let packed = data;
    if (g.nbits === 24 && !g.littleEndian) {
      // libtiff swaps 24-bit samples of a big-endian file into this machine's order (_TIFFSwab24BitData)
      // before GDAL unpacks them MSB-first like any other bit count
      packed = data.slice(0, b.expected);
      swapBytes(packed, 3);
    }
    placeBlock(unpackedGeometry(g), b, unpackRows(packed, g, rows), out());
    return;
  }
  if (stage) {
    stage.place(g, b, data, out); // byte order and predictor are undone in the stage's own copy
    return;
  }
  // Never modify the caller's buffer in place (memory sources hand out views).
  const inPlace = g.predictor !== 1 || (!g.littleEndian && g.bps > 1);
  if (inPlace && data.buffer === raw.buffer) data = data.slice();
  placeBlock(g, b, data, out());
}

function unpackedGeometry(g: BlockGeometry): BlockGeometry {
  const { nbits: _packed, ...plain } = g;
  return { ...plain, littleEndian: LITTLE_ENDIAN_HOST, predictor: 1 };
}

/** Byte order and predictor undone in place (the first stages of {@link placeBlock}). */
function undoStoredForm(g: BlockGeometry, bytes: Uint8Array): void {
  const { bw, bps, spp } = g;
  if (!g.littleEndian && bps > 1 && g.predictor !== 3) swapBytes(bytes, bps);
  if (g.predictor === 2) undoHorizontalPredictor(bytes, bps, bw * spp, spp);
  else if (g.predictor === 3) undoFloatingPointPredictor(bytes, bps, bw * spp, spp);
}

function floatGeometry(g: BlockGeometry): BlockGeometry {
  const { halfFloat: _half, float24: _f24, ...plain } = g;
  return { ...plain, bps: 4, littleEndian: LITTLE_ENDIAN_HOST, predictor: 1 };
}

/** Every band of a 4-sample block, in order: one pass can split a pixel into all four outputs. */
function allFourBands(g: BlockGeometry): boolean {
  return allBands(g, 4);
}

/** Every band of an `n`-sample block, in order. */
function allBands(g: BlockGeometry, n: number): boolean {
  return g.spp === n && g.bands.length === n && g.bands.every((band, slot) => band === slot);
}

/** The block's rows and columns inside the read window. */
export function blockSpan(g: BlockGeometry, b: BlockJob) {
  const bx0 = b.col * g.bw;
  const by0 = b.row * g.bh;
  return {
    bx0,
    by0,
    x0: Math.max(g.win.x, bx0),
    x1: Math.min(g.win.x + g.win.width, bx0 + g.bw, g.levelWidth),
    y0: Math.max(g.win.y, by0),
    y1: Math.min(g.win.y + g.win.height, by0 + b.rows),
  };
}

/**
 * Predictor 2 on a 4-band 16-bit block or predictor 3 on a 4-band float32 one, little-endian: undone straight into
 * the bands (false when it does not apply).
 */
function placePredicted4(g: BlockGeometry, b: BlockJob, bytes: Uint8Array, out: RasterArray[]): boolean {
  const pred2x16 = g.predictor === 2 && g.bps === 2 && g.littleEndian;
  const pred3x32 = g.predictor === 3 && g.bps === 4;
  if (!(pred2x16 || pred3x32) || !allFourBands(g)) return false;
  const { bx0, by0, x0, x1, y0, y1 } = blockSpan(g, b);
  if (x1 <= x0 || y1 <= y0) return true;
  const { win } = g;
  const span: BlockSpan4 = {
    rowPixels: g.bw,
    y0: y0 - by0,
    y1: y1 - by0,
    x0: x0 - bx0,
    x1: x1 - bx0,
    at: (y) => (y + by0 - win.y) * win.width + (x0 - win.x),
  };
  if (pred2x16) {
    const dst = out.map((a) => new Uint16Array(a.buffer, a.byteOffset, a.length));
    return undoHorizontalPredictorInto4(bytes, span, dst);
  }
  const dst = out.map((a) => new Uint32Array(a.buffer, a.byteOffset, a.length));
  return undoFloatingPointPredictorInto4(bytes, span, dst);
}

/** Undo byte order and predictor in place, then copy the block's part of the window into the bands. */
export function placeBlock(g: BlockGeometry, b: BlockJob, bytes: Uint8Array, out: RasterArray[]): void {
  const { bw, bps, spp, win } = g;
  if (g.predictor !== 1 && placePredicted4(g, b, bytes, out)) return;
  undoStoredForm(g, bytes);
  const src = viewAs(g.dtype, bytes);
  const { bx0, by0, x0, x1, y0, y1 } = blockSpan(g, b);
  if (spp === 1) {
    const dst = out[b.slot < 0 ? 0 : b.slot] as Uint8Array;
    const s8 = src as Uint8Array;
    if (x0 === bx0 && x1 - x0 === bw && win.width === bw) {
      // the block's rows are whole output rows: one copy
      const s = (y0 - by0) * bw;
      dst.set(s8.subarray(s, s + (y1 - y0) * bw), (y0 - win.y) * win.width);
      return;
    }
    for (let y = y0; y < y1; y++) {
      const s = (y - by0) * bw + (x0 - bx0);
      dst.set(s8.subarray(s, s + (x1 - x0)), (y - win.y) * win.width + (x0 - win.x));
    }
    return;
  }
  // Raw sample words, one monomorphic loop per word size (see deinterleave.ts).
  const srcWords = wordsOf(src, bps);
  const wps = bps === 8 ? 2 : 1;
  if (wps === 1 && allFourBands(g)) {
    const dst = out.map((a) => wordsOf(a, bps));
    const words = wordViews(srcWords, dst);
    for (let y = y0; y < y1; y++) {
      const s = ((y - by0) * bw + (x0 - bx0)) * 4;
      deinterleaveRow4(dst, (y - win.y) * win.width + (x0 - win.x), srcWords, s, x1 - x0, words);
    }
    return;
  }
  if (wps === 1 && allBands(g, 3)) {
    const dst = out.map((a) => wordsOf(a, bps));
    const words = wordViews(srcWords, dst);
    for (let y = y0; y < y1; y++) {
      const s = ((y - by0) * bw + (x0 - bx0)) * 3;
      deinterleaveRow3(dst, (y - win.y) * win.width + (x0 - win.x), srcWords, s, x1 - x0, words);
    }
    return;
  }
  for (const [slot, band] of g.bands.entries()) {
    const dst = wordsOf(out[slot] as RasterArray, bps);
    for (let y = y0; y < y1; y++) {
      const s = (((y - by0) * bw + (x0 - bx0)) * spp + band) * wps;
      const d = (y - win.y) * win.width + (x0 - win.x);
      deinterleaveRow(dst, d, srcWords, s, x1 - x0, spp, wps);
    }
  }
}
