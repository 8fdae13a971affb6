// JPEG-in-TIFF (compression 7): baseline and extended sequential Huffman JPEG, 8-bit samples, decoded with
// the arithmetic libjpeg(-turbo) uses by default — the "islow" integer IDCT, "fancy" (triangular) chroma
// upsampling, and its fixed-point YCbCr → RGB tables — so pixels equal GDAL's, which reads these files through
// libtiff + libjpeg. Progressive, lossless, arithmetic-coded and 12-bit JPEG are refused with a typed error.
// Unlike libjpeg, entropy data that ends early or holds a bad code is an error, never zero-filled pixels.
import { RasterIoError } from '../errors.js';
import type { BlockInfo, Codec } from './codec.js';
import { type HuffmanTable, huffmanTable, JpegBits, NATURAL_ORDER } from './jpeg-huffman.js';
import { idctIslow } from './jpeg-idct.js';
import type { JpegBlockParams } from './jpeg-params.js';
import { upsampleComponent } from './jpeg-upsample.js';

/** Most components a TIFF JPEG frame may have (libjpeg's MAX_COMPONENTS is 10; TIFF uses 1–4). */
const MAX_COMPONENTS = 4;

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per line and per column in the decoded plane (MCU-padded). */
  blocksX: number;
  blocksY: number;
  plane: Uint8Array;
  /** Quantization table copied when the frame starts (a later DQT does not change it, as in libjpeg). */
  quant?: Int32Array;
  dc?: HuffmanTable;
  ac?: HuffmanTable;
  pred: number;
  scanned: boolean;
}

interface Frame {
  width: number;
  height: number;
  hmax: number;
  vmax: number;
  components: Component[];
}

interface DecoderState {
  file: string;
  /** The block's size: a frame is checked against it before any plane is allocated. */
  block: JpegBlockParams;
  quant: (Int32Array | undefined)[];
  dc: (HuffmanTable | undefined)[];
  ac: (HuffmanTable | undefined)[];
  restartInterval: number;
  frame?: Frame;
}

function corrupt(file: string, what: string): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${file}: JPEG ${what}`);
}

/**
 * The JPEG codec. Needs `info.jpeg` (the IFD's tables and the block's frame size); decodes to the block's
 * pixel-interleaved 8-bit samples.
 */
export const jpegCodec: Codec = {
  name: 'JPEG',
  decode(block: Uint8Array, info: BlockInfo): Uint8Array {
    if (!info.jpeg) throw corrupt(info.file, 'block without its IFD parameters');
    return decodeJpegBlock(block, info.jpeg, info.file);
  },
};

/**
 * Decode one JPEG-compressed TIFF block to interleaved samples (`width × height × samples` bytes).
 * @throws RasterIoError CORRUPT_BLOCK for a damaged stream or a frame that does not fit the block;
 * UNSUPPORTED_CODEC for progressive, lossless, arithmetic-coded or 12-bit JPEG
 */
export function decodeJpegBlock(stream: Uint8Array, p: JpegBlockParams, file: string): Uint8Array {
  const s: DecoderState = { file, block: p, quant: [], dc: [], ac: [], restartInterval: 0 };
  if (p.tables && p.tables.byteLength > 0) readSegments(p.tables, s, true);
  readSegments(stream, s, false);
  const frame = s.frame;
  if (!frame) throw corrupt(file, 'stream has no frame (SOF) before its end');
  for (const c of frame.components) {
    if (!c.scanned) throw corrupt(file, `component ${c.id} has no scan`);
  }
  return assemble(frame, p.ycbcrToRgb, file);
}

/** Walk the markers of a stream (the tables stream stops at its EOI and may hold tables only). */
function readSegments(data: Uint8Array, s: DecoderState, tablesOnly: boolean): void {
  if (data[0] !== 0xff || data[1] !== 0xd8)
    throw corrupt(s.file, `${tablesOnly ? 'tables' : 'data'} do not start with SOI`);
  let pos = 2;
  for (;;) {
    // markers may be preceded by fill bytes (0xFF)
    while (pos < data.length && data[pos] === 0xff && data[pos + 1] === 0xff) pos++;
    if (pos + 1 >= data.length) {
      if (tablesOnly || !s.frame)
        throw corrupt(s.file, `${tablesOnly ? 'tables end' : 'data end'} without EOI`);
      return; // a complete frame without EOI: every scan was whole (libjpeg warns and keeps it too)
    }
    if (data[pos] !== 0xff)
      throw corrupt(s.file, `expected a marker at byte ${pos}, found 0x${hex(data[pos])}`);
    const marker = data[pos + 1] as number;
    pos += 2;
    if (marker === 0xd9) return; // EOI
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (pos + 2 > data.length) throw corrupt(s.file, `marker 0x${hex(marker)} at byte ${pos - 2} is cut off`);
    const length = ((data[pos] as number) << 8) | (data[pos + 1] as number);
    if (length < 2 || pos + length > data.length) {
      throw corrupt(
        s.file,
        `segment 0x${hex(marker)} at byte ${pos - 2} declares ${length} bytes; ${data.length - pos} remain`,
      );
    }
    const body = data.subarray(pos + 2, pos + length);
    pos += length;
    switch (marker) {
      case 0xdb:
        readQuantTables(body, s);
        break;
      case 0xc4:
        readHuffmanTables(body, s);
        break;
      case 0xdd:
        if (body.length !== 2)
          throw corrupt(s.file, `DRI segment holds ${body.length} bytes; it must hold 2`);
        s.restartInterval = ((body[0] as number) << 8) | (body[1] as number);
        break;
      case 0xc0:
      case 0xc1:
        if (tablesOnly) throw corrupt(s.file, 'tables stream holds a frame');
        if (s.frame) throw corrupt(s.file, 'stream holds a second frame');
        s.frame = readFrame(body, s);
        break;
      case 0xda:
        if (tablesOnly) throw corrupt(s.file, 'tables stream holds a scan');
        pos = decodeScan(data, pos, body, s);
        break;
      default:
        if (isUnsupportedFrame(marker)) {
          throw new RasterIoError(
            'UNSUPPORTED_CODEC',
            `${s.file}: JPEG frame type 0x${hex(marker)} (${FRAME_KINDS[marker] ?? 'not baseline'}) is not supported; supported: baseline and extended sequential Huffman, 8-bit (convert with gdal_translate -co COMPRESS=JPEG or DEFLATE)`,
          );
        }
      // APPn, COM, DNL and others carry nothing we need
    }
  }
}

const FRAME_KINDS: Readonly<Record<number, string>> = {
  194: 'progressive',
  195: 'lossless',
  201: 'arithmetic-coded',
  202: 'arithmetic-coded progressive',
  203: 'arithmetic-coded lossless',
};

function isUnsupportedFrame(marker: number): boolean {
  return marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

const hex = (b: number | undefined): string => (b ?? 0).toString(16).padStart(2, '0');

function readQuantTables(body: Uint8Array, s: DecoderState): void {
  let i = 0;
  while (i < body.length) {
    const pq = (body[i] as number) >> 4;
    const tq = (body[i] as number) & 15;
    i++;
    const size = pq === 0 ? 64 : 128;
    if (pq > 1 || tq > 3 || i + size > body.length) throw corrupt(s.file, 'DQT segment is malformed');
    const table = new Int32Array(64); // in natural order, as the IDCT reads it
    for (let k = 0; k < 64; k++) {
      const q =
        pq === 0
          ? (body[i + k] as number)
          : ((body[i + 2 * k] as number) << 8) | (body[i + 2 * k + 1] as number);
      table[NATURAL_ORDER[k] as number] = (q << 16) >> 16; // libjpeg-turbo keeps islow multipliers as shorts
    }
    s.quant[tq] = table;
    i += size;
  }
}

function readHuffmanTables(body: Uint8Array, s: DecoderState): void {
  let i = 0;
  while (i < body.length) {
    if (i + 17 > body.length) throw corrupt(s.file, 'DHT segment is malformed');
    const tc = (body[i] as number) >> 4;
    const th = (body[i] as number) & 15;
    const counts = body.subarray(i + 1, i + 17);
    let total = 0;
    for (const c of counts) total += c;
    if (tc > 1 || th > 3 || total > 256 || i + 17 + total > body.length) {
      throw corrupt(s.file, 'DHT segment is malformed');
    }
    const table = huffmanTable(counts, body.subarray(i + 17, i + 17 + total), s.file);
    (tc === 0 ? s.dc : s.ac)[th] = table;
    i += 17 + total;
  }
}

function readFrame(body: Uint8Array, s: DecoderState): Frame {
  if (body.length < 6) throw corrupt(s.file, 'SOF segment is too short');
  const precision = body[0] as number;
  const height = ((body[1] as number) << 8) | (body[2] as number);
  const width = ((body[3] as number) << 8) | (body[4] as number);
  const n = body[5] as number;
  if (precision !== 8) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${s.file}: ${precision}-bit JPEG is not supported; supported: 8-bit samples`,
    );
  }
  // libjpeg refuses a frame header of any other length (JERR_BAD_LENGTH), and so do we
  if (width === 0 || height === 0 || n < 1 || n > MAX_COMPONENTS || body.length !== 6 + 3 * n) {
    throw corrupt(
      s.file,
      `SOF declares ${width}×${height} with ${n} component(s) in ${body.length + 2} bytes`,
    );
  }
  const { block } = s;
  if (width !== block.width || height !== block.height || n !== block.samples) {
    throw corrupt(
      s.file,
      `frame is ${width}×${height} with ${n} component(s); the block needs ${block.width}×${block.height} with ${block.samples}`,
    );
  }
  const components: Component[] = [];
  for (let c = 0; c < n; c++) {
    const at = 6 + 3 * c;
    const h = (body[at + 1] as number) >> 4;
    const v = (body[at + 1] as number) & 15;
    const tq = body[at + 2] as number;
    if (h < 1 || h > 4 || v < 1 || v > 4 || tq > 3)
      throw corrupt(s.file, `component ${c} has sampling ${h}×${v}, table ${tq}`);
    // TIFF allows subsampling in YCbCr only; libtiff refuses other blocks with subsampled components.
    if (!block.ycbcrToRgb && (h !== 1 || v !== 1)) {
      throw corrupt(
        s.file,
        `component ${c} has sampling ${h}×${v}; without YCbCr photometric every component must be 1×1`,
      );
    }
    // libtiff also refuses YCbCr blocks whose luma sampling is not the YCbCrSubSampling tag's (chroma 1×1).
    const want = block.ycbcrToRgb && block.sampling ? (c === 0 ? block.sampling : [1, 1]) : undefined;
    if (want && (h !== want[0] || v !== want[1])) {
      throw corrupt(
        s.file,
        `component ${c} has sampling ${h}×${v}; the IFD's YCbCrSubSampling ${block.sampling?.join('×')} needs ${want.join('×')}`,
      );
    }
    components.push({
      id: body[at] as number,
      h,
      v,
      tq,
      blocksX: 0,
      blocksY: 0,
      plane: new Uint8Array(0),
      pred: 0,
      scanned: false,
    });
  }
  const hmax = Math.max(...components.map((c) => c.h));
  const vmax = Math.max(...components.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  for (const c of components) {
    if (hmax % c.h !== 0 || vmax % c.v !== 0) {
      throw new RasterIoError(
        'UNSUPPORTED_CODEC',
        `${s.file}: JPEG component sampling ${c.h}×${c.v} of ${hmax}×${vmax} is fractional (libjpeg refuses it too)`,
      );
    }
    c.blocksX = mcusX * c.h;
    c.blocksY = mcusY * c.v;
    c.plane = new Uint8Array(c.blocksX * 8 * c.blocksY * 8);
  }
  return { width, height, hmax, vmax, components };
}

/** Decode one scan's entropy-coded data starting at `pos`; returns where the next marker is. */
function decodeScan(data: Uint8Array, pos: number, header: Uint8Array, s: DecoderState): number {
  const frame = s.frame;
  if (!frame) throw corrupt(s.file, 'scan before the frame (SOF)');
  const ns = header[0] ?? 0;
  // exactly its components' length, as libjpeg requires (a longer one would swallow entropy-coded bytes)
  if (ns < 1 || ns > 4 || header.length !== 1 + 2 * ns + 3)
    throw corrupt(s.file, `SOS segment of ${header.length + 2} bytes is malformed for ${ns} component(s)`);
  const comps: Component[] = [];
  for (let i = 0; i < ns; i++) {
    const id = header[1 + 2 * i] as number;
    const sel = header[2 + 2 * i] as number;
    const c = frame.components.find((x) => x.id === id);
    if (!c || comps.includes(c)) throw corrupt(s.file, `scan names component ${id}, which the frame lacks`);
    const dc = s.dc[sel >> 4];
    const ac = s.ac[sel & 15];
    const quant = s.quant[c.tq];
    if (!dc || !ac || sel >> 4 > 3 || (sel & 15) > 3)
      throw corrupt(s.file, `component ${id} uses a Huffman table that is not defined`);
    // libjpeg checks a DC table as a scan takes it up: a category over 15 is "Bogus Huffman table definition"
    if (dc.symbols.some((v) => v > 15))
      throw corrupt(s.file, `component ${id}'s DC Huffman table ${sel >> 4} holds a category over 15`);
    if (!quant)
      throw corrupt(s.file, `component ${id} uses quantization table ${c.tq}, which is not defined`);
    c.dc = dc;
    c.ac = ac;
    c.quant ??= quant;
    c.pred = 0;
    c.scanned = true;
    comps.push(c);
  }
  const ss = header[1 + 2 * ns] as number;
  const se = header[2 + 2 * ns] as number;
  const ahal = header[3 + 2 * ns] as number;
  if (ss !== 0 || se !== 63 || ahal !== 0)
    throw corrupt(s.file, `sequential scan has spectral range ${ss}..${se}, approximation ${ahal}`);

  const bits = new JpegBits(data, pos, s.file);
  const coefs = new Int32Array(64);
  const single = comps.length === 1;
  const first = comps[0] as Component;
  // a lone component is coded block by block over its own size (no MCU padding); interleaved, MCU by MCU
  const mcusX = single
    ? Math.ceil(Math.ceil((frame.width * first.h) / frame.hmax) / 8)
    : Math.ceil(frame.width / (8 * frame.hmax));
  const mcusY = single
    ? Math.ceil(Math.ceil((frame.height * first.v) / frame.vmax) / 8)
    : Math.ceil(frame.height / (8 * frame.vmax));
  const total = mcusX * mcusY;
  for (let m = 0; m < total; m++) {
    if (s.restartInterval > 0 && m > 0 && m % s.restartInterval === 0) {
      bits.restart();
      for (const c of comps) c.pred = 0;
    }
    const mx = m % mcusX;
    const my = (m - mx) / mcusX;
    if (single) {
      first.pred = bits.block(first.dc as HuffmanTable, first.ac as HuffmanTable, first.pred, coefs);
      idctIslow(
        coefs,
        first.quant as Int32Array,
        first.plane,
        (my * 8 * first.blocksX + mx) * 8,
        first.blocksX * 8,
      );
      continue;
    }
    for (const c of comps) {
      for (let by = 0; by < c.v; by++) {
        for (let bx = 0; bx < c.h; bx++) {
          c.pred = bits.block(c.dc as HuffmanTable, c.ac as HuffmanTable, c.pred, coefs);
          const row = my * c.v + by;
          const col = mx * c.h + bx;
          idctIslow(coefs, c.quant as Int32Array, c.plane, (row * 8 * c.blocksX + col) * 8, c.blocksX * 8);
        }
      }
    }
  }
  return bits.end();
}

/** Upsample every component to the frame size, convert colour if asked, interleave. */
function assemble(frame: Frame, ycbcrToRgb: boolean, file: string): Uint8Array {
  const { width, height, components } = frame;
  const n = components.length;
  const full = components.map((c) => upsampleComponent(c, frame));
  const out = new Uint8Array(width * height * n);
  if (ycbcrToRgb && n === 3) {
    ycbcrToRgbInterleaved(full[0] as Uint8Array, full[1] as Uint8Array, full[2] as Uint8Array, out);
    return out;
  }
  if (ycbcrToRgb) throw corrupt(file, `YCbCr data with ${n} component(s) (3 expected)`);
  for (let c = 0; c < n; c++) {
    const src = full[c] as Uint8Array;
    for (let i = 0, o = c; i < src.length; i++, o += n) out[o] = src[i] as number;
  }
  return out;
}

// libjpeg's ycc_rgb tables (jdcolor.c): 16-bit fixed point, rounded once.
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number): number => Math.trunc(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0, x = -128; i < 256; i++, x++) {
  CR_R[i] = (FIX(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (FIX(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + ONE_HALF;
}

/** Sample range limit over every sum the tables can give (-256..511): 0..255 saturated, as libjpeg's table. */
const LIMIT_OFFSET = 256;
const LIMIT = Uint8Array.from({ length: 768 }, (_, i) => Math.min(255, Math.max(0, i - LIMIT_OFFSET)));

function ycbcrToRgbInterleaved(y: Uint8Array, cb: Uint8Array, cr: Uint8Array, out: Uint8Array): void {
  for (let i = 0, o = 0; i < y.length; i++, o += 3) {
    const l = (y[i] as number) + LIMIT_OFFSET;
    const b = cb[i] as number;
    const r = cr[i] as number;
    out[o] = LIMIT[l + (CR_R[r] as number)] as number;
    out[o + 1] = LIMIT[l + (((CB_G[b] as number) + (CR_G[r] as number)) >> SCALEBITS)] as number;
    out[o + 2] = LIMIT[l + (CB_B[b] as number)] as number;
  }
}
