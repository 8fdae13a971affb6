// The per-block stages shared by the main-thread read and the decode workers: check the stored bytes, check
// the decoded size, undo the predictor in place, and copy the block's pixels into the output bands.

import type { JpegBlockParams } from '../codecs/jpeg-params.js';
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
import { deinterleaveRow, deinterleaveRow3, deinterleaveRow4, pairViews, wordsOf } from './deinterleave.js';
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
  /** JPEG levels: the shared tables and whether YCbCr is converted to RGB (see {@link jpegBlockParams}). */
  jpeg?: { tables?: Uint8Array; ycbcrToRgb: boolean };
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

/** A JPEG block's parameters: the level's tables and colour handling, and the frame size libtiff requires. */
export function jpegBlockParams(g: BlockGeometry, b: BlockJob): JpegBlockParams | undefined {
  if (!g.jpeg) return undefined;
  return { ...g.jpeg, width: g.bw, height: g.tiled ? g.bh : b.rows, samples: g.spp };
}

/** Where a block is, for decoder messages. */
export function blockWhere(g: BlockGeometry, b: BlockJob): string {
  return `IFD ${g.ifd}, ${g.kind} ${b.index}`;
}

/**
 * Check a decoded block's size, convert YCbCr, undo the predictor and copy it into `out`.
 * `raw` is the stored block: a decoder that hands it back unchanged gets a copy before in-place stages.
 * `out` is called only once the block is known good (the window is allocated on the first good block).
 */
export function placeDecoded(
  g: BlockGeometry,
  b: BlockJob,
  raw: Uint8Array,
  decoded: Uint8Array,
  out: () => RasterArray[],
): void {
  const max = g.tiled ? b.expected : g.blockBytes;
  let data = decoded;
  if (g.compression === 1 && data.byteLength > b.expected) data = data.subarray(0, b.expected);
  // A last strip may hold the full RowsPerStrip rows (some writers pad it); anything else must fit exactly.
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
  if (g.nbits) {
    // unpacked into native-order samples of the dtype: placed as a plain block of it
    const rows = b.expected / packedRowBytes(g);
    placeBlock(unpackedGeometry(g), b, unpackRows(data, g, rows), out());
    return;
  }
  // Never modify the caller's buffer in place (memory sources hand out views).
  const inPlace = g.predictor !== 1 || (!g.littleEndian && g.bps > 1);
  if (inPlace && data.buffer === raw.buffer) data = data.slice();
  placeBlock(g, b, data, out());
}

/** Bytes of one stored row of packed samples (rows start on a byte). */
export function packedRowBytes(g: BlockGeometry): number {
  return Math.ceil((g.bw * g.spp * (g.nbits as number)) / 8);
}

function unpackedGeometry(g: BlockGeometry): BlockGeometry {
  const { nbits: _packed, ...plain } = g;
  return { ...plain, littleEndian: LITTLE_ENDIAN_HOST, predictor: 1 };
}

/**
 * Packed samples (MSB-first bit stream, each row starting on a byte, as libtiff and GDAL store NBITS) → the
 * bytes of `rows` rows of the dtype's samples in this machine's byte order.
 */
function unpackRows(data: Uint8Array, g: BlockGeometry, rows: number): Uint8Array {
  const n = g.bw * g.spp;
  const nbits = g.nbits as number;
  const stride = packedRowBytes(g);
  const out =
    g.bps === 1
      ? new Uint8Array(n * rows)
      : g.bps === 2
        ? new Uint16Array(n * rows)
        : new Uint32Array(n * rows);
  for (let r = 0; r < rows; r++) {
    if (nbits === 1) unpack1(data, r * stride, out, r * n, n);
    else unpackBitsRow(data, r * stride, out, r * n, n, nbits);
  }
  return new Uint8Array(out.buffer);
}

function unpack1(
  src: Uint8Array,
  s: number,
  out: Uint8Array | Uint16Array | Uint32Array,
  o: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[o + i] = ((src[s + (i >> 3)] as number) >> (7 - (i & 7))) & 1;
}

/** n samples of `nbits` bits (2–31) read MSB-first from byte `s` into `out` from `o`. */
function unpackBitsRow(
  src: Uint8Array,
  s: number,
  out: Uint8Array | Uint16Array | Uint32Array,
  o: number,
  n: number,
  nbits: number,
): void {
  let acc = 0; // unread bits at the bottom; at most 7 + 8 carried at a time
  let have = 0;
  let p = s;
  const mask = nbits === 31 ? 0x7fffffff : (1 << nbits) - 1;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let need = nbits;
    // take whole bytes while more than a byte is needed, so the accumulator never exceeds 16 bits
    while (need > 0) {
      if (have === 0) {
        acc = src[p++] as number;
        have = 8;
      }
      const take = need < have ? need : have;
      v = v * (1 << take) + ((acc >>> (have - take)) & ((1 << take) - 1));
      have -= take;
      need -= take;
    }
    out[o + i] = v & mask;
  }
}

/** Byte order and predictor undone in place (the first stages of {@link placeBlock}). */
function undoStoredForm(g: BlockGeometry, bytes: Uint8Array): void {
  const { bw, bps, spp } = g;
  if (!g.littleEndian && bps > 1 && g.predictor !== 3) swapBytes(bytes, bps);
  if (g.predictor === 2) undoHorizontalPredictor(bytes, bps, bw * spp, spp);
  else if (g.predictor === 3) undoFloatingPointPredictor(bytes, bps, bw * spp, spp);
}

function floatGeometry(g: BlockGeometry): BlockGeometry {
  const { halfFloat: _half, ...plain } = g;
  return { ...plain, bps: 4, littleEndian: LITTLE_ENDIAN_HOST, predictor: 1 };
}

/** Float32 bit patterns of every float16 value, as GDAL's CPLHalfToFloat builds them (NaN payloads kept). */
let halfTable: Uint32Array | undefined;

function halfBits(h: number): number {
  const sign = (h >>> 15) << 31;
  let exp = (h >>> 10) & 31;
  let man = h & 1023;
  if (exp === 0) {
    if (man === 0) return sign >>> 0;
    while (!(man & 0x400)) {
      man <<= 1;
      exp--;
    }
    exp++;
    man &= ~0x400;
  } else if (exp === 31) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
}

/** Native-order float16 samples → the bytes of the same samples as float32 (native order). */
function halfToFloat32(bytes: Uint8Array): Uint8Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBits(h);
  }
  const table = halfTable;
  const n = bytes.byteLength >> 1;
  const half =
    bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
      : new Uint16Array(bytes.slice().buffer);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[half[i] as number] as number;
  return new Uint8Array(out.buffer);
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
function blockSpan(g: BlockGeometry, b: BlockJob) {
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
    const pairs = srcWords instanceof Uint16Array ? pairViews(srcWords, dst) : null;
    for (let y = y0; y < y1; y++) {
      const s = ((y - by0) * bw + (x0 - bx0)) * 4;
      deinterleaveRow4(dst, (y - win.y) * win.width + (x0 - win.x), srcWords, s, x1 - x0, pairs);
    }
    return;
  }
  if (wps === 1 && allBands(g, 3)) {
    const dst = out.map((a) => wordsOf(a, bps));
    for (let y = y0; y < y1; y++) {
      const s = ((y - by0) * bw + (x0 - bx0)) * 3;
      deinterleaveRow3(dst, (y - win.y) * win.width + (x0 - win.x), srcWords, s, x1 - x0);
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
