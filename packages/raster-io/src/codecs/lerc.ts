// LERC-in-TIFF (compression 34887, GDAL's COMPRESS=LERC / LERC_DEFLATE / LERC_ZSTD): the blob is unwrapped
// (deflate or ZSTD when the LercParameters tag says so), every Lerc2 header and validity mask is checked here
// against the block before Esri's decoder (`lerc`) runs, and the result is laid out as libtiff lays it out for
// GDAL: pixel-interleaved samples, the alpha band rebuilt from the mask (8-bit RGBA), and NaN where a float
// pixel is masked out. Integer pixels marked invalid (which libtiff leaves undefined) are an error, not zeros.
import Lerc from 'lerc';
import { RasterIoError } from '../errors.js';
import { DTYPE_BYTES } from '../internal/typed-array.js';
import { allocBand } from '../resample/dtype-cast.js';
import type { BlockInfo, Codec } from './codec.js';
import { LERC_DATA_TYPES, type LercBlockParams } from './lerc-params.js';
import { type LercBlob, scanLercBody } from './lerc-scan.js';

/** Lerc2 versions Esri's decoder reads (GDAL writes 2.4, i.e. version 4). */
const MIN_VERSION = 2;
const MAX_VERSION = 5;
/** Largest micro-block side accepted (encoders use 8; the decoder allocates its square). */
const MAX_MICRO_BLOCK = 256;
const RLE_END = -32768;

/** The codecs that unwrap LERC_DEFLATE and LERC_ZSTD blobs (Node passes native ones). */
export interface LercUnwrapCodecs {
  deflate: Codec;
  zstd?: Codec;
}

function corrupt(file: string, what: string, cause?: unknown): RasterIoError {
  return new RasterIoError('CORRUPT_BLOCK', `${file}: LERC ${what}`, cause ? { cause } : undefined);
}

/**
 * A LERC codec: needs `info.lerc`; decodes a block to the bytes libtiff hands GDAL (pixel-interleaved samples
 * in the host's byte order, which is what the encoder was given).
 */
export function createLercCodec(unwrap: LercUnwrapCodecs): Codec {
  return {
    name: 'LERC',
    decode(block: Uint8Array, info: BlockInfo): Uint8Array {
      const p = info.lerc;
      if (!p) throw corrupt(info.file, 'block without its IFD parameters');
      return decodeLercBlock(unwrapBlob(block, p, info, unwrap), p, info.file);
    },
  };
}

/** Strip the deflate / ZSTD wrapping; the blob may be a little larger than the samples (libtiff's margin). */
function unwrapBlob(block: Uint8Array, p: LercBlockParams, info: BlockInfo, unwrap: LercUnwrapCodecs) {
  const wrapping = (['none', 'deflate', 'zstd'] as const)[p.additionalCompression];
  if (wrapping === 'none') return block;
  if (wrapping === undefined) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${info.file}: LERC blobs wrapped in additional compression ${p.additionalCompression}; 0 (none), 1 (deflate) and 2 (ZSTD) are read`,
    );
  }
  const codec = wrapping === 'deflate' ? unwrap.deflate : unwrap.zstd;
  if (!codec) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${info.file}: LERC_ZSTD needs a ZSTD codec (Node with libzstd or node:zlib's zstd; register one for compression 50000 elsewhere)`,
    );
  }
  const raw = blockBytes(p);
  const cap = 256 + raw + Math.floor(raw / 3);
  const out = codec.decode(block, { expectedBytes: cap, maxBytes: cap, file: info.file, reuse: true });
  if (!(out instanceof Uint8Array)) throw corrupt(info.file, `${wrapping} unwrapping is asynchronous here`);
  return out;
}

const blockBytes = (p: LercBlockParams): number => p.width * p.height * p.samples * DTYPE_BYTES[p.dtype];

/**
 * Decode one LERC blob sequence (one blob per band, or one with every sample as a dimension) to the block's
 * bytes. Every header is checked against `p` first, so a blob can make the decoder allocate no more than the
 * block holds.
 * @throws RasterIoError CORRUPT_BLOCK naming the file and what does not fit
 */
export function decodeLercBlock(blob: Uint8Array, p: LercBlockParams, file: string): Uint8Array {
  const headers = readBlobHeaders(blob, p, file);
  const layout = blobLayout(headers, p, file);
  let decoded: ArrayLike<number>[];
  try {
    const own = blob.slice().buffer; // the decoder reads from the start of an ArrayBuffer of its own
    decoded = withUint32Accessor(() => Lerc.decode(own, { returnPixelInterleavedDims: true }).pixels);
  } catch (err) {
    throw corrupt(file, `blob does not decode (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const n = p.width * p.height;
  headers.forEach((h, i) => {
    if (decoded[i]?.length !== n * h.dims) throw corrupt(file, `blob ${i} decoded to the wrong size`);
  });
  return assemble(headers, decoded, layout, p, file);
}

/**
 * Run `decode` with `DataView.prototype.getUInt32` defined: lerc 3.0 reads uint32 micro-block offsets through that
 * misspelt name (`getUint32` is meant), so without it every uint32 blob with a full-width offset fails. The call is
 * synchronous, so nothing else on this thread can see the alias, and it is removed afterwards.
 */
function withUint32Accessor<T>(decode: () => T): T {
  const proto = DataView.prototype as DataView & { getUInt32?: DataView['getUint32'] };
  if (proto.getUInt32) return decode();
  Object.defineProperty(proto, 'getUInt32', { value: proto.getUint32, configurable: true, writable: true });
  try {
    return decode();
  } finally {
    delete proto.getUInt32;
  }
}

type Layout = 'dims' | 'alpha' | 'bands';

/** Which of libtiff's layouts the blobs follow (see {@link assemble}). */
function blobLayout(headers: LercBlob[], p: LercBlockParams, file: string): Layout {
  const first = headers[0] as LercBlob;
  const float = p.dtype === 'float32' || p.dtype === 'float64';
  if (headers.some((h) => h.dims !== first.dims))
    throw corrupt(file, 'block mixes blobs of different values per pixel');
  if (headers.length === 1 && first.dims === p.samples) return 'dims';
  if (headers.length === 1 && p.alphaAsMask && first.dims === p.samples - 1) return 'alpha';
  if (float && p.samples > 1 && first.dims === 1 && headers.length === p.samples) return 'bands';
  throw corrupt(
    file,
    `block holds ${headers.length} blob(s) of ${first.dims} value(s) per pixel; the IFD has ${p.samples} sample(s) per pixel`,
  );
}

/** Parse and check every blob's header and mask; they must fill `blob` exactly. */
function readBlobHeaders(blob: Uint8Array, p: LercBlockParams, file: string): LercBlob[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const headers: LercBlob[] = [];
  let offset = 0;
  while (offset < blob.byteLength) {
    if (headers.length === p.samples)
      throw corrupt(
        file,
        `more than ${p.samples} blob(s) in the block (${blob.byteLength - offset} bytes left)`,
      );
    const h = readHeader(view, offset, p, file, headers.length);
    h.mask = readMask(view, h, headers[headers.length - 1], file, headers.length);
    scanLercBody(view, h, file, headers.length);
    headers.push(h);
    offset += h.blobSize;
  }
  if (headers.length === 0) throw corrupt(file, 'block is empty');
  return headers;
}

function readHeader(
  view: DataView,
  offset: number,
  p: LercBlockParams,
  file: string,
  index: number,
): LercBlob & { maskAt: number } {
  const at = `blob ${index}`;
  const left = view.byteLength - offset;
  const magic =
    left >= 6 ? String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + offset, 6)) : '';
  if (magic !== 'Lerc2 ')
    throw corrupt(file, `${at} does not start with "Lerc2 " (only Lerc2 blobs are read)`);
  if (left < 10) throw corrupt(file, `${at} is cut inside its header`);
  const version = view.getInt32(offset + 6, true);
  if (version < MIN_VERSION || version > MAX_VERSION)
    throw corrupt(file, `${at} is Lerc2 version ${version}; versions ${MIN_VERSION}–${MAX_VERSION} are read`);
  let pos = offset + 10 + (version >= 3 ? 4 : 0);
  const headerEnd = pos + 8 + (version >= 4 ? 4 : 0) + 16 + 24;
  if (headerEnd + 4 > view.byteLength) throw corrupt(file, `${at} is cut inside its header`);
  const rows = view.getInt32(pos, true);
  const cols = view.getInt32(pos + 4, true);
  pos += 8;
  const dims = version >= 4 ? view.getInt32(pos, true) : 1;
  if (version >= 4) pos += 4;
  const validPixels = view.getInt32(pos, true);
  const microBlock = view.getInt32(pos + 4, true);
  const blobSize = view.getInt32(pos + 8, true);
  const dataType = view.getInt32(pos + 12, true);
  if (rows !== p.height || cols !== p.width)
    throw corrupt(file, `${at} is ${cols}×${rows} pixels; the block is ${p.width}×${p.height}`);
  if (dims < 1 || dims > p.samples)
    throw corrupt(file, `${at} has ${dims} value(s) per pixel; the block has ${p.samples} sample(s)`);
  if (dataType !== LERC_DATA_TYPES[p.dtype])
    throw corrupt(
      file,
      `${at} has data type ${dataType}; ${p.dtype} samples are type ${LERC_DATA_TYPES[p.dtype]}`,
    );
  if (validPixels < 0 || validPixels > rows * cols)
    throw corrupt(file, `${at} declares ${validPixels} valid pixels of ${rows * cols}`);
  if (microBlock < 1 || microBlock > MAX_MICRO_BLOCK)
    throw corrupt(file, `${at} has micro-blocks of ${microBlock} px (1–${MAX_MICRO_BLOCK} are read)`);
  if (blobSize < headerEnd + 4 - offset || blobSize > left)
    throw corrupt(file, `${at} declares ${blobSize} bytes; ${left} are left in the block`);
  const maxZError = view.getFloat64(pos + 16, true);
  const zMin = view.getFloat64(pos + 24, true);
  const zMax = view.getFloat64(pos + 32, true);
  const header = { offset, version, rows, cols, dims, validPixels, microBlock, blobSize, dataType };
  return { ...header, maxZError, zMin, zMax, mask: null, maskAt: headerEnd, bodyAt: headerEnd };
}

/**
 * The blob's validity mask: run-length coded bits, checked run by run against the pixel count (the decoder
 * would follow a run past the end); an empty mask with some pixels invalid reuses the previous blob's mask.
 */
function readMask(
  view: DataView,
  h: LercBlob & { maskAt: number },
  previous: LercBlob | undefined,
  file: string,
  index: number,
): Uint8Array | null {
  const n = h.rows * h.cols;
  const numBytes = view.getUint32(h.maskAt, true);
  const blobEnd = h.offset + h.blobSize;
  const start = h.maskAt + 4;
  if (numBytes > blobEnd - start) throw corrupt(file, `blob ${index}'s mask runs past the blob`);
  h.bodyAt = start;
  if (h.validPixels === n || h.validPixels === 0) {
    if (numBytes !== 0) throw corrupt(file, `blob ${index} has a mask although its pixels are all (in)valid`);
    return h.validPixels === n ? null : new Uint8Array(n);
  }
  if (numBytes === 0) {
    if (!previous?.mask) throw corrupt(file, `blob ${index} reuses a mask no earlier blob has`);
    return previous.mask;
  }
  h.bodyAt = start + numBytes;
  const bits = decodeMaskRuns(view, start, start + numBytes, Math.ceil(n / 8), file, index);
  const mask = new Uint8Array(n);
  let valid = 0;
  for (let k = 0; k < n; k++) {
    const v = ((bits[k >> 3] as number) >> (7 - (k & 7))) & 1;
    mask[k] = v;
    valid += v;
  }
  if (valid !== h.validPixels)
    throw corrupt(file, `blob ${index}'s mask has ${valid} valid pixels; its header says ${h.validPixels}`);
  return mask;
}

function decodeMaskRuns(
  view: DataView,
  pos: number,
  end: number,
  length: number,
  file: string,
  index: number,
) {
  const bits = new Uint8Array(length);
  const bad = (what: string) => corrupt(file, `blob ${index}'s mask ${what}`);
  let op = 0;
  for (;;) {
    if (pos + 2 > end) throw bad('ends without its end marker');
    const count = view.getInt16(pos, true);
    pos += 2;
    if (count === RLE_END) break;
    const run = Math.abs(count);
    if (op + run > length) throw bad('covers more pixels than the blob has');
    if (count > 0) {
      if (pos + run > end) throw bad('is cut inside a literal run');
      bits.set(new Uint8Array(view.buffer, view.byteOffset + pos, run), op);
      pos += run;
    } else {
      if (pos + 1 > end) throw bad('is cut inside a repeat run');
      bits.fill(view.getUint8(pos), op, op + run);
      pos += 1;
    }
    op += run;
  }
  if (op !== length) throw bad(`covers ${op * 8} of ${length * 8} pixel bits`);
  return bits;
}

/**
 * Lay the decoded values out as libtiff does: `dims` (one blob, every sample a dimension), `alpha` (8-bit,
 * colour samples as dimensions, alpha = 255 × validity), `bands` (float, one blob per sample, each with its
 * own mask). Masked float pixels become NaN; masked integer pixels are an error.
 */
function assemble(
  headers: LercBlob[],
  decoded: ArrayLike<number>[],
  layout: Layout,
  p: LercBlockParams,
  file: string,
): Uint8Array {
  const n = p.width * p.height;
  const s = p.samples;
  const out = allocBand(p.dtype, n * s);
  const float = p.dtype === 'float32' || p.dtype === 'float64';
  if (layout !== 'alpha' && !float && headers.some((h) => h.mask !== null))
    throw corrupt(file, `block marks ${p.dtype} pixels invalid (libtiff leaves such pixels undefined)`);
  if (layout === 'dims') {
    out.set(decoded[0] as ArrayLike<number>);
    const mask = (headers[0] as LercBlob).mask;
    if (mask) for (let i = 0; i < n; i++) if (mask[i] === 0) out.fill(Number.NaN, i * s, i * s + s);
  } else if (layout === 'alpha') {
    const colour = decoded[0] as ArrayLike<number>;
    const mask = (headers[0] as LercBlob).mask;
    const c = s - 1;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) out[i * s + j] = colour[i * c + j] as number;
      out[i * s + c] = mask === null || mask[i] === 1 ? 255 : 0;
    }
  } else {
    headers.forEach((h, j) => {
      const band = decoded[j] as ArrayLike<number>;
      for (let i = 0; i < n; i++)
        out[i * s + j] = h.mask && h.mask[i] === 0 ? Number.NaN : (band[i] as number);
    });
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
