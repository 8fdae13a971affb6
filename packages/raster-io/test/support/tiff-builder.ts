// Hand-built TIFFs for layouts GDAL no longer writes (old libtiff files): old-style LZW, tile offsets in the
// strip tags, uncompressed subsampled YCbCr. GDAL still reads them, so tests compare our decoding with its.
import { FIELD, type IfdEntry, ifdByteLength, writeIfd } from '../../src/write/tiff-ifd.js';

export interface BuiltTiff {
  width: number;
  height: number;
  bitsPerSample: number;
  sampleFormat: 1 | 2 | 3;
  samplesPerPixel: number;
  compression: number;
  photometric: number;
  /** Encoded blocks in file order. */
  blocks: Uint8Array[];
  /** Tiles of this size; `offsetsInStripTags` stores their offsets in StripOffsets/StripByteCounts. */
  tile?: { width: number; height: number; offsetsInStripTags?: boolean };
  rowsPerStrip?: number;
  /** Byte counts to write instead of the blocks' lengths (the blocks are still written whole). */
  byteCounts?: number[];
  /** More tags; one of a tag number written above replaces it. */
  extra?: IfdEntry[];
}

/** A little-endian classic TIFF: header, one IFD, then the blocks. */
export function buildTiff(t: BuiltTiff): Uint8Array {
  const n = t.blocks.length;
  const entries: IfdEntry[] = [
    { tag: 256, type: FIELD.LONG, values: [t.width] },
    { tag: 257, type: FIELD.LONG, values: [t.height] },
    { tag: 258, type: FIELD.SHORT, values: new Array(t.samplesPerPixel).fill(t.bitsPerSample) },
    { tag: 259, type: FIELD.SHORT, values: [t.compression] },
    { tag: 262, type: FIELD.SHORT, values: [t.photometric] },
    { tag: 277, type: FIELD.SHORT, values: [t.samplesPerPixel] },
    { tag: 284, type: FIELD.SHORT, values: [1] },
    { tag: 339, type: FIELD.SHORT, values: new Array(t.samplesPerPixel).fill(t.sampleFormat) },
  ];
  const zeros = new Array(n).fill(0);
  const counts = t.byteCounts ?? t.blocks.map((b) => b.byteLength);
  let offTag = 273;
  if (t.tile) {
    offTag = t.tile.offsetsInStripTags ? 273 : 324;
    entries.push(
      { tag: 322, type: FIELD.SHORT, values: [t.tile.width] },
      { tag: 323, type: FIELD.SHORT, values: [t.tile.height] },
      { tag: offTag, type: FIELD.LONG, values: zeros },
      { tag: t.tile.offsetsInStripTags ? 279 : 325, type: FIELD.LONG, values: counts },
    );
  } else {
    entries.push(
      { tag: 273, type: FIELD.LONG, values: zeros },
      { tag: 278, type: FIELD.LONG, values: [t.rowsPerStrip ?? t.height] },
      { tag: 279, type: FIELD.LONG, values: counts },
    );
  }
  // an extra tag replaces the one above of the same number; tags in ascending order, as TIFF requires
  for (const e of t.extra ?? []) {
    const at = entries.findIndex((x) => x.tag === e.tag);
    if (at >= 0) entries[at] = e;
    else entries.push(e);
  }
  entries.sort((a, b) => a.tag - b.tag);
  const ifdBytes = ifdByteLength(entries);
  let pos = 8 + ifdBytes + (ifdBytes & 1);
  const offsets = t.blocks.map((b) => {
    const at = pos;
    pos += b.byteLength;
    return at;
  });
  const out = new Uint8Array(pos);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  writeIfd(
    view,
    8,
    entries.map((e) => (e.tag === offTag ? { ...e, values: offsets } : e)),
    0,
  );
  t.blocks.forEach((b, i) => {
    out.set(b, offsets[i] as number);
  });
  return out;
}

/**
 * Old-style ("compat", pre-TIFF 6) LZW: codes written LSB-first, the code width grows one code later than
 * in TIFF 6 LZW. Clear first, Clear again before the 12-bit table fills, EOI last.
 */
export function encodeLzwCompat(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bitBuf = 0;
  let bitCount = 0;
  let width = 9;
  const emit = (code: number): void => {
    bitBuf |= code << bitCount;
    bitCount += width;
    while (bitCount >= 8) {
      out.push(bitBuf & 0xff);
      bitBuf >>>= 8;
      bitCount -= 8;
    }
  };
  let table = new Map<string, number>();
  let next = 258;
  const reset = (): void => {
    table = new Map();
    next = 258;
    width = 9;
  };
  emit(256);
  let w = -1; // current code
  let key = '';
  for (const byte of data) {
    if (w < 0) {
      w = byte;
      key = String(byte);
      continue;
    }
    const k = `${key},${byte}`;
    const hit = table.get(k);
    if (hit !== undefined) {
      w = hit;
      key = k;
      continue;
    }
    emit(w);
    table.set(k, next++);
    // The decoder adds this entry one code later, and the compat decoder widens when its table reaches 2^width.
    if (next > 1 << width && width < 12) width++;
    if (next >= 4093) {
      emit(256);
      reset();
    }
    w = byte;
    key = String(byte);
  }
  if (w >= 0) emit(w);
  // The decoder adds one more entry on reading that last code: EOI must be read at the width that follows.
  if (++next > 1 << width && width < 12) width++;
  emit(257);
  if (bitCount > 0) out.push(bitBuf & 0xff);
  return new Uint8Array(out);
}
