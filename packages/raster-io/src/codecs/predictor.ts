// TIFF predictors 2 (horizontal differencing) and 3 (floating point, byte planes), both directions.
// Operates in place on little-endian sample bytes (the reader byte-swaps big-endian files first).
import { LITTLE_ENDIAN_HOST } from '../internal/typed-array.js';

type IntView = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

function intView(bytes: Uint8Array, bytesPerSample: number): IntView {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (bytesPerSample) {
    case 1:
      return bytes;
    case 2:
      return new Uint16Array(buffer, byteOffset, byteLength >> 1);
    case 4:
      return new Uint32Array(buffer, byteOffset, byteLength >> 2);
    case 8:
      return new BigUint64Array(buffer, byteOffset, byteLength >> 3);
    default:
      throw new RangeError(`predictor: unsupported sample size ${bytesPerSample} bytes`);
  }
}

/** Copy when a view would be misaligned for the sample size. */
export function aligned(bytes: Uint8Array, bytesPerSample: number): Uint8Array {
  return bytes.byteOffset % bytesPerSample === 0 ? bytes : bytes.slice();
}

/**
 * Undo predictor 2 in place: each sample += the same sample of the previous pixel, per row.
 * @param bytes - decoded block bytes (aligned to the sample size)
 * @param bytesPerSample - 1, 2, 4 or 8
 * @param rowSamples - samples per row (width × samples per pixel)
 * @param stride - samples per pixel (1 for band-sequential blocks)
 */
export function undoHorizontalPredictor(
  bytes: Uint8Array,
  bytesPerSample: number,
  rowSamples: number,
  stride: number,
): void {
  const v = intView(bytes, bytesPerSample);
  const rows = Math.floor(v.length / rowSamples);
  if (v instanceof BigUint64Array) {
    for (let r = 0; r < rows; r++) {
      const base = r * rowSamples;
      for (let i = base + stride; i < base + rowSamples; i++)
        v[i] = BigInt.asUintN(64, (v[i] as bigint) + (v[i - stride] as bigint));
    }
    return;
  }
  // One monomorphic loop per element kind (a shared loop over the union of kinds runs several times slower).
  if (v instanceof Uint8Array) undoDifferences8(v, rows, rowSamples, stride);
  else if (v instanceof Uint16Array) undoDifferences16(v, rows, rowSamples, stride);
  else undoDifferences32(v, rows, rowSamples, stride);
}

function undoDifferences8(a: Uint8Array, rows: number, rowSamples: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const end = (r + 1) * rowSamples;
    for (let i = r * rowSamples + stride; i < end; i++) a[i] = (a[i] as number) + (a[i - stride] as number);
  }
}

function undoDifferences16(a: Uint16Array, rows: number, rowSamples: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const end = (r + 1) * rowSamples;
    for (let i = r * rowSamples + stride; i < end; i++) a[i] = (a[i] as number) + (a[i - stride] as number);
  }
}

function undoDifferences32(a: Uint32Array, rows: number, rowSamples: number, stride: number): void {
  for (let r = 0; r < rows; r++) {
    const end = (r + 1) * rowSamples;
    for (let i = r * rowSamples + stride; i < end; i++) a[i] = (a[i] as number) + (a[i - stride] as number);
  }
}

/** Which part of a 4-sample block goes where, for the `…Into4` predictor paths. */
export interface BlockSpan4 {
  /** Pixels per block row. */
  rowPixels: number;
  /** Block rows `y0..y1` and pixels `x0..x1` of each (block coordinates). */
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  /** Output index of pixel `x0` of block row `row`. */
  at: (row: number) => number;
}

/**
 * Predictor 2 undone straight into four output bands, for 16-bit samples, four per pixel (a 4-band chunky uint16 or
 * int16 block read whole): each band's running sum is its own chain, and the sums go to the bands with no in-place
 * pass and no separate de-interleave. Rows `y0..y1` of the block are undone; pixels `x0..x1` of each land in `dst`
 * at `at(y) + (x - x0)` (the sums always start at the row's first pixel); see {@link BlockSpan4}.
 *
 * @returns false (nothing written) when this layout does not apply: the caller takes the general path
 */
export function undoHorizontalPredictorInto4(
  bytes: Uint8Array,
  span: BlockSpan4,
  dst: readonly Uint16Array[],
): boolean {
  const { rowPixels, y0, y1, x0, x1, at } = span;
  if (bytes.byteOffset % 2 !== 0 || dst.length !== 4) return false;
  const rowSamples = rowPixels * 4;
  if (bytes.byteLength < y1 * rowSamples * 2) return false;
  const src = new Uint16Array(bytes.buffer, bytes.byteOffset, y1 * rowSamples);
  const [a, b, c, d] = dst as [Uint16Array, Uint16Array, Uint16Array, Uint16Array];
  const words = wordViews(src, dst);
  for (let y = y0; y < y1; y++) {
    if (words) sumRow4Pairs(words, y * rowSamples, x0, x1, a, b, c, d, at(y) - x0);
    else sumRow4(src, y * rowSamples, x0, x1, a, b, c, d, at(y) - x0);
  }
  return true;
}

/** 32-bit views of the source and the four bands, when all are 4-byte aligned on a little-endian platform. */
function wordViews(src: Uint16Array, dst: readonly Uint16Array[]): Uint32Array[] | null {
  const all = [src, ...dst];
  if (!LITTLE_ENDIAN_HOST || all.some((v) => v.byteOffset % 4 !== 0)) return null;
  return all.map((v) => new Uint32Array(v.buffer, v.byteOffset, v.length >> 1));
}

/**
 * Two 16-bit lanes of `x` and `y` added in one 32-bit word, each lane mod 2^16: the low 15 bits of each lane are
 * added (a carry out of them stops at the lane's top bit) and the top bits are added with no carry (xor).
 */
function add2x16(x: number, y: number): number {
  return ((x & 0x7fff7fff) + (y & 0x7fff7fff)) ^ ((x ^ y) & 0x80008000);
}

/**
 * {@link sumRow4} two pixels at a time: a pixel's four samples are two 32-bit words, each holding two bands'
 * running sums (see {@link add2x16}), and two pixels' sums of one band make one 32-bit store.
 */
function sumRow4Pairs(
  words: Uint32Array[],
  s: number,
  x0: number,
  x1: number,
  a: Uint16Array,
  b: Uint16Array,
  c: Uint16Array,
  d: Uint16Array,
  o: number,
): void {
  const [w, wa, wb, wc, wd] = words as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let ab = 0; // bands a (low lane) and b (high lane)
  let cd = 0;
  let j = s >> 1; // pixel x's first word
  let x = 0;
  const sum = (): void => {
    ab = add2x16(ab, w[j] as number);
    cd = add2x16(cd, w[j + 1] as number);
    j += 2;
  };
  const one = (): void => {
    sum();
    if (x >= x0) {
      a[o + x] = ab;
      b[o + x] = ab >>> 16;
      c[o + x] = cd;
      d[o + x] = cd >>> 16;
    }
    x++;
  };
  while (x < x1 && (x < x0 || (o + x) & 1)) one(); // up to the window and an even output index
  let k = (o + x) >> 1;
  for (; x + 1 < x1; x += 2, j += 4, k++) {
    const ab0 = add2x16(ab, w[j] as number);
    const cd0 = add2x16(cd, w[j + 1] as number);
    ab = add2x16(ab0, w[j + 2] as number);
    cd = add2x16(cd0, w[j + 3] as number);
    wa[k] = (ab0 & 0xffff) | (ab << 16);
    wb[k] = (ab0 >>> 16) | (ab & 0xffff0000);
    wc[k] = (cd0 & 0xffff) | (cd << 16);
    wd[k] = (cd0 >>> 16) | (cd & 0xffff0000);
  }
  while (x < x1) one();
}

/** One row of {@link undoHorizontalPredictorInto4}: four running sums, pixel x's to a/b/c/d at `o + x`. */
function sumRow4(
  src: Uint16Array,
  s: number,
  x0: number,
  x1: number,
  a: Uint16Array,
  b: Uint16Array,
  c: Uint16Array,
  d: Uint16Array,
  o: number,
): void {
  let sa = 0;
  let sb = 0;
  let sc = 0;
  let sd = 0;
  for (let x = 0; x < x1; x++, s += 4) {
    sa = (sa + (src[s] as number)) & 0xffff;
    sb = (sb + (src[s + 1] as number)) & 0xffff;
    sc = (sc + (src[s + 2] as number)) & 0xffff;
    sd = (sd + (src[s + 3] as number)) & 0xffff;
    if (x >= x0) {
      a[o + x] = sa;
      b[o + x] = sb;
      c[o + x] = sc;
      d[o + x] = sd;
    }
  }
}

/** Apply predictor 2 in place (inverse of {@link undoHorizontalPredictor}). */
export function applyHorizontalPredictor(
  bytes: Uint8Array,
  bytesPerSample: number,
  rowSamples: number,
  stride: number,
): void {
  const v = intView(bytes, bytesPerSample);
  const rows = Math.floor(v.length / rowSamples);
  if (v instanceof BigUint64Array) {
    for (let r = 0; r < rows; r++) {
      const base = r * rowSamples;
      for (let i = base + rowSamples - 1; i >= base + stride; i--)
        v[i] = BigInt.asUintN(64, (v[i] as bigint) - (v[i - stride] as bigint));
    }
    return;
  }
  const a = v as Uint8Array | Uint16Array | Uint32Array;
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    for (let i = base + rowSamples - 1; i >= base + stride; i--)
      a[i] = (a[i] as number) - (a[i - stride] as number);
  }
}

/**
 * Undo predictor 3 (floating point) in place: un-difference the bytes of each row (into a scratch row), then
 * gather the byte planes (most significant first) back into little-endian samples.
 */
export function undoFloatingPointPredictor(
  bytes: Uint8Array,
  bytesPerSample: number,
  rowSamples: number,
  stride: number,
): void {
  const rowBytes = rowSamples * bytesPerSample;
  const rows = Math.floor(bytes.length / rowBytes);
  const tmp = new Uint8Array(rowBytes + 3);
  // 32-bit samples on a little-endian host: assemble each sample from its four byte planes in one store.
  const words =
    bytesPerSample === 4 && LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, rows * rowSamples)
      : null;
  // Four samples per pixel (RGBA-like rows): the byte differences of a pixel are four lanes of one word.
  const lanes =
    stride === 4 && bytes.byteOffset % 4 === 0
      ? new Int32Array(bytes.buffer, bytes.byteOffset, (rows * rowBytes) >> 2)
      : null;
  const tmpLanes = new Int32Array(tmp.buffer, 0, rowBytes >> 2);
  for (let r = 0; r < rows; r++) {
    const at = r * rowBytes;
    if (lanes) undoByteDifferences4(lanes, at >> 2, tmpLanes);
    else undoByteDifferences(bytes, at, rowBytes, stride, tmp);
    if (words) {
      if (rowSamples % 4 === 0) gatherPlanes32x4(tmpLanes, words, r * rowSamples, rowSamples);
      else gatherPlanes32(tmp, words, r * rowSamples, rowSamples);
      continue;
    }
    for (let s = 0; s < rowSamples; s++) {
      for (let b = 0; b < bytesPerSample; b++)
        bytes[at + s * bytesPerSample + b] = tmp[(bytesPerSample - b - 1) * rowSamples + s] as number;
    }
  }
}

/** `out[i] = row[i] + out[i - stride]` (bytes, wrapping) for one row. */
function undoByteDifferences(
  bytes: Uint8Array,
  at: number,
  rowBytes: number,
  stride: number,
  out: Uint8Array,
): void {
  for (let i = 0; i < stride && i < rowBytes; i++) out[i] = bytes[at + i] as number;
  for (let i = stride; i < rowBytes; i++)
    out[i] = ((bytes[at + i] as number) + (out[i - stride] as number)) & 0xff;
}

/** Stride-4 byte un-differencing four lanes at a time: a byte-wise add of each word to the previous one. */
function undoByteDifferences4(lanes: Int32Array, base: number, out: Int32Array): void {
  const n = out.length;
  let prev = 0;
  for (let j = 0; j < n; j++) {
    const a = lanes[base + j] as number;
    // per-byte add without carries between bytes: add the low 7 bits, then fix the top bit with xor
    prev = (((a & 0x7f7f7f7f) + (prev & 0x7f7f7f7f)) | 0) ^ ((a ^ prev) & 0x80808080);
    out[j] = prev;
  }
}

/** Sample `s` of the row = its bytes from the four planes of `tmp` (most significant plane first). */
function gatherPlanes32(tmp: Uint8Array, words: Uint32Array, base: number, n: number): void {
  for (let s = 0; s < n; s++) {
    words[base + s] =
      ((tmp[s] as number) << 24) |
      ((tmp[n + s] as number) << 16) |
      ((tmp[2 * n + s] as number) << 8) |
      (tmp[3 * n + s] as number);
  }
}

/**
 * {@link gatherPlanes32} four samples at a time: one 32-bit load per plane, then a 4×4 byte transpose in
 * registers (little-endian host; `n` a multiple of 4 so every plane starts on a word).
 */
function gatherPlanes32x4(planes: Int32Array, words: Uint32Array, base: number, n: number): void {
  const q = n >> 2;
  for (let j = 0; j < q; j++) {
    const a = planes[j] as number; // most significant bytes of samples 4j..4j+3
    const b = planes[q + j] as number;
    const c = planes[2 * q + j] as number;
    const d = planes[3 * q + j] as number; // least significant
    const t0 = (d & 0x00ff00ff) | ((c & 0x00ff00ff) << 8); // d0 c0 d2 c2
    const t1 = ((d >>> 8) & 0x00ff00ff) | (c & 0xff00ff00); // d1 c1 d3 c3
    const t2 = (b & 0x00ff00ff) | ((a & 0x00ff00ff) << 8); // b0 a0 b2 a2
    const t3 = ((b >>> 8) & 0x00ff00ff) | (a & 0xff00ff00); // b1 a1 b3 a3
    const o = base + 4 * j;
    words[o] = (t0 & 0xffff) | (t2 << 16);
    words[o + 1] = (t1 & 0xffff) | (t3 << 16);
    words[o + 2] = (t0 >>> 16) | (t2 & 0xffff0000);
    words[o + 3] = (t1 >>> 16) | (t3 & 0xffff0000);
  }
}

/**
 * Predictor 3 undone straight into four output bands, for 32-bit samples, four per pixel (a 4-band chunky
 * float32 block read whole): with four samples per pixel, each step of the plane transpose yields exactly one
 * pixel's four bands, so the samples go to the bands with no in-place pass and no separate deinterleave.
 * Rows `y0..y1` of the block are undone; pixels `x0..x1` of each land in `dst` at `at(y) + (x - x0)`.
 *
 * @returns false (nothing written) when this layout does not apply: the caller takes the general path
 */
export function undoFloatingPointPredictorInto4(
  bytes: Uint8Array,
  span: BlockSpan4,
  dst: readonly Uint32Array[],
): boolean {
  const { rowPixels, y0, y1, x0, x1, at } = span;
  if (!LITTLE_ENDIAN_HOST || bytes.byteOffset % 4 !== 0 || dst.length !== 4) return false;
  const rowWords = rowPixels * 4; // one word per sample
  if (bytes.byteLength < y1 * rowWords * 4) return false;
  const lanes = new Int32Array(bytes.buffer, bytes.byteOffset, y1 * rowWords);
  const planes = new Int32Array(rowWords);
  const [a, b, c, d] = dst as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  for (let y = y0; y < y1; y++) {
    undoByteDifferences4(lanes, y * rowWords, planes);
    gatherPixels4(planes, rowPixels, x0, x1, a, b, c, d, at(y) - x0);
  }
  return true;
}

/** {@link gatherPlanes32x4} for pixels x0..x1 of a 4-sample row, pixel x's samples to a/b/c/d at `o + x`. */
function gatherPixels4(
  planes: Int32Array,
  q: number,
  x0: number,
  x1: number,
  a: Uint32Array,
  b: Uint32Array,
  c: Uint32Array,
  d: Uint32Array,
  o: number,
): void {
  for (let x = x0; x < x1; x++) {
    const p0 = planes[x] as number; // most significant bytes of the pixel's four samples
    const p1 = planes[q + x] as number;
    const p2 = planes[2 * q + x] as number;
    const p3 = planes[3 * q + x] as number; // least significant
    const t0 = (p3 & 0x00ff00ff) | ((p2 & 0x00ff00ff) << 8);
    const t1 = ((p3 >>> 8) & 0x00ff00ff) | (p2 & 0xff00ff00);
    const t2 = (p1 & 0x00ff00ff) | ((p0 & 0x00ff00ff) << 8);
    const t3 = ((p1 >>> 8) & 0x00ff00ff) | (p0 & 0xff00ff00);
    a[o + x] = (t0 & 0xffff) | (t2 << 16);
    b[o + x] = (t1 & 0xffff) | (t3 << 16);
    c[o + x] = (t0 >>> 16) | (t2 & 0xffff0000);
    d[o + x] = (t1 >>> 16) | (t3 & 0xffff0000);
  }
}

/** Apply predictor 3 in place (inverse of {@link undoFloatingPointPredictor}). */
export function applyFloatingPointPredictor(
  bytes: Uint8Array,
  bytesPerSample: number,
  rowSamples: number,
  stride: number,
): void {
  const rowBytes = rowSamples * bytesPerSample;
  const rows = Math.floor(bytes.length / rowBytes);
  const tmp = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let s = 0; s < rowSamples; s++) {
      for (let b = 0; b < bytesPerSample; b++)
        tmp[(bytesPerSample - b - 1) * rowSamples + s] = row[s * bytesPerSample + b] as number;
    }
    for (let i = rowBytes - 1; i >= stride; i--)
      row[i] = ((tmp[i] as number) - (tmp[i - stride] as number)) & 0xff;
    for (let i = 0; i < stride && i < rowBytes; i++) row[i] = tmp[i] as number;
  }
}

/** Reverse the byte order of every sample in place (big-endian files). */
export function swapBytes(bytes: Uint8Array, bytesPerSample: number): void {
  if (bytesPerSample === 1) return;
  for (let i = 0; i + bytesPerSample <= bytes.length; i += bytesPerSample) {
    for (let a = i, b = i + bytesPerSample - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}
