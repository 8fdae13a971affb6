// Pixel-interleaved block rows → band-sequential output, moving raw sample words (1, 2 or 4 bytes; 8-byte
// samples as two 4-byte words) so that each loop sees one typed-array kind and stays monomorphic, and float
// bit patterns (NaN payloads) are copied exactly.

import { LITTLE_ENDIAN_HOST } from '../internal/typed-array.js';
import type { RasterArray } from '../types.js';

type Words = Uint8Array | Uint16Array | Uint32Array;

/** A word view of a typed array's bytes: 1-, 2- or 4-byte elements (8-byte samples are two 4-byte words). */
export function wordsOf(a: ArrayBufferView, bytesPerSample: number): Words {
  const unit = Math.min(bytesPerSample, 4);
  const { buffer, byteOffset, byteLength } = a;
  if (unit === 1) return new Uint8Array(buffer, byteOffset, byteLength);
  if (unit === 2) return new Uint16Array(buffer, byteOffset, byteLength >> 1);
  return new Uint32Array(buffer, byteOffset, byteLength >> 2);
}

/**
 * Copy `count` pixels of one band out of an interleaved row: `src` from word `s` (the band's first word in the
 * row), every `spp` samples, into `dst` from word `d`. `wps` is words per sample (2 for 8-byte samples, else 1).
 */
export function deinterleaveRow(
  dst: Words,
  d: number,
  src: Words,
  s: number,
  count: number,
  spp: number,
  wps: number,
): void {
  if (wps === 2) {
    copyPairs(dst as Uint32Array, d, src as Uint32Array, s, count, spp * 2);
    return;
  }
  if (src instanceof Uint8Array) copy8(dst as Uint8Array, d, src, s, count, spp);
  else if (src instanceof Uint16Array) copy16(dst as Uint16Array, d, src, s, count, spp);
  else copy32(dst as Uint32Array, d, src, s, count, spp);
}

function copy8(dst: Uint8Array, d: number, src: Uint8Array, s: number, n: number, step: number): void {
  for (let i = 0; i < n; i++, s += step) dst[d + i] = src[s] as number;
}

function copy16(dst: Uint16Array, d: number, src: Uint16Array, s: number, n: number, step: number): void {
  for (let i = 0; i < n; i++, s += step) dst[d + i] = src[s] as number;
}

function copy32(dst: Uint32Array, d: number, src: Uint32Array, s: number, n: number, step: number): void {
  for (let i = 0; i < n; i++, s += step) dst[d + i] = src[s] as number;
}

function copyPairs(dst: Uint32Array, d: number, src: Uint32Array, s: number, n: number, step: number): void {
  for (let i = 0; i < n; i++, s += step) {
    dst[2 * (d + i)] = src[s] as number;
    dst[2 * (d + i) + 1] = src[s + 1] as number;
  }
}

/** Word views of the output bands, made once per read. */
export function outputWords(bands: RasterArray[], bytesPerSample: number): Words[] {
  return bands.map((b) => wordsOf(b, bytesPerSample));
}

/**
 * All four bands of a 4-sample row in one pass over the source (RGBN blocks read whole): `dst[k]` from word
 * `d` gets sample k of each of `count` pixels starting at source word `s`.
 */
export function deinterleaveRow4(
  dst: Words[],
  d: number,
  src: Words,
  s: number,
  count: number,
  words?: WordViews | null,
): void {
  if (src instanceof Uint8Array) {
    if (words) split4x8Quads(dst as Uint8Array[], d, src, s, count, words);
    else split4x8(dst as Uint8Array[], d, src, s, count);
  } else if (src instanceof Uint16Array) {
    if (words) split4x16Pairs(dst as Uint16Array[], d, src, s, count, words);
    else split4x16(dst as Uint16Array[], d, src, s, count);
  } else split4x32(dst as Uint32Array[], d, src, s, count);
}

/**
 * All three bands of a 3-sample row in one pass over the source (RGB blocks read whole): `dst[k]` from word `d`
 * gets sample k of each of `count` pixels starting at source word `s`.
 */
export function deinterleaveRow3(
  dst: Words[],
  d: number,
  src: Words,
  s: number,
  count: number,
  words?: WordViews | null,
): void {
  if (src instanceof Uint8Array) {
    if (words) split3x8Quads(dst as Uint8Array[], d, src, s, count, words);
    else split3x8(dst as Uint8Array[], d, src, s, count);
  } else if (src instanceof Uint16Array) split3x16(dst as Uint16Array[], d, src, s, count);
  else split3x32(dst as Uint32Array[], d, src, s, count);
}

/**
 * {@link split3x8} four pixels at a time once the output is on a 32-bit word: three 32-bit reads (shifted
 * together from neighbouring words when the source is off its word) and three 32-bit writes per four pixels.
 */
function split3x8Quads(
  dst: Uint8Array[],
  d: number,
  src: Uint8Array,
  s: number,
  n: number,
  v: WordViews,
): void {
  const head = Math.min(n, (4 - (d & 3)) & 3);
  if (head > 0) split3x8(dst, d, src, s, head);
  const s0 = s + 3 * head;
  const shift = 8 * (s0 & 3);
  const j0 = s0 >> 2;
  // whole quads whose source words lie in the 32-bit view (an unaligned quad reads one word past its bytes)
  const fit = Math.floor((v.src.length - j0 - (shift ? 1 : 0)) / 3);
  const quads = Math.max(0, Math.min((n - head) >> 2, fit));
  const [r, g, b] = v.dst as [Uint32Array, Uint32Array, Uint32Array];
  const w = v.src;
  const back = 32 - shift;
  let k = (d + head) >> 2;
  for (let q = 0, j = j0; q < quads; q++, j += 3, k++) {
    // bytes of four pixels: A = r0 g0 b0 r1, B = g1 b1 r2 g2, C = b2 r3 g3 b3 (little-endian words)
    const w0 = w[j] as number;
    const w1 = w[j + 1] as number;
    const w2 = w[j + 2] as number;
    const A = shift ? (w0 >>> shift) | (w1 << back) : w0;
    const B = shift ? (w1 >>> shift) | (w2 << back) : w1;
    const C = shift ? (w2 >>> shift) | ((w[j + 3] as number) << back) : w2;
    r[k] = (A & 0xff) | ((A >>> 24) << 8) | (B & 0xff0000) | ((C & 0xff00) << 16);
    g[k] = ((A >>> 8) & 0xff) | ((B & 0xff) << 8) | ((B >>> 24) << 16) | ((C & 0xff0000) << 8);
    b[k] = ((A >>> 16) & 0xff) | (B & 0xff00) | ((C & 0xff) << 16) | (C & 0xff000000);
  }
  const done = head + 4 * quads;
  if (done < n) split3x8(dst, d + done, src, s + 3 * done, n - done);
}

function split3x8(dst: Uint8Array[], d: number, src: Uint8Array, s: number, n: number): void {
  const [a, b, c] = dst as [Uint8Array, Uint8Array, Uint8Array];
  for (let i = 0; i < n; i++, s += 3) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
  }
}

function split3x16(dst: Uint16Array[], d: number, src: Uint16Array, s: number, n: number): void {
  const [a, b, c] = dst as [Uint16Array, Uint16Array, Uint16Array];
  for (let i = 0; i < n; i++, s += 3) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
  }
}

function split3x32(dst: Uint32Array[], d: number, src: Uint32Array, s: number, n: number): void {
  const [a, b, c] = dst as [Uint32Array, Uint32Array, Uint32Array];
  for (let i = 0; i < n; i++, s += 3) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
  }
}

/** 32-bit views of a block's 8- or 16-bit source and its output bands, for moving several samples per access. */
export interface WordViews {
  src: Uint32Array;
  dst: Uint32Array[];
}

/**
 * 32-bit views for {@link deinterleaveRow3} / {@link deinterleaveRow4} over 8- or 16-bit samples, or null when a
 * buffer is not 4-byte aligned (or the platform is big-endian, where the word arithmetic would swap pixels).
 */
export function wordViews(src: Words, dst: Words[]): WordViews | null {
  if (!LITTLE_ENDIAN_HOST || src instanceof Uint32Array) return null;
  if ([src, ...dst].some((a) => a.byteOffset % 4 !== 0)) return null;
  const w = (a: ArrayBufferView) => new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  return { src: w(src), dst: dst.map(w) };
}

/** {@link split4x16} two pixels at a time: four 32-bit reads and four 32-bit writes per pixel pair. */
function split4x16Pairs(
  dst: Uint16Array[],
  d: number,
  src: Uint16Array,
  s: number,
  n: number,
  v: WordViews,
): void {
  let i = 0;
  if (d & 1) {
    split4x16(dst, d, src, s, 1); // an odd start: one pixel alone, then whole 32-bit output words
    i = 1;
  }
  const [a, b, c, e] = v.dst as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  const s32 = v.src;
  const m = (n - i) >> 1;
  let j = (s + 4 * i) >> 1; // a pixel is 8 bytes, so its first sample is always on a 32-bit word
  let k = (d + i) >> 1;
  for (let q = 0; q < m; q++, j += 4, k++) {
    const p0 = s32[j] as number;
    const p1 = s32[j + 1] as number;
    const q0 = s32[j + 2] as number;
    const q1 = s32[j + 3] as number;
    a[k] = (p0 & 0xffff) | (q0 << 16);
    b[k] = (p0 >>> 16) | (q0 & 0xffff0000);
    c[k] = (p1 & 0xffff) | (q1 << 16);
    e[k] = (p1 >>> 16) | (q1 & 0xffff0000);
  }
  i += 2 * m;
  if (i < n) split4x16(dst, d + i, src, s + 4 * i, n - i);
}

function split4x8(dst: Uint8Array[], d: number, src: Uint8Array, s: number, n: number): void {
  const [a, b, c, e] = dst as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  for (let i = 0; i < n; i++, s += 4) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
    e[d + i] = src[s + 3] as number;
  }
}

/**
 * {@link split4x8} four pixels at a time once the output is on a 32-bit word (a pixel is a source word): a 4 × 4
 * byte transpose, four 32-bit reads and four 32-bit writes per four pixels.
 */
function split4x8Quads(
  dst: Uint8Array[],
  d: number,
  src: Uint8Array,
  s: number,
  n: number,
  v: WordViews,
): void {
  const head = Math.min(n, (4 - (d & 3)) & 3);
  if (head > 0) split4x8(dst, d, src, s, head);
  const quads = (n - head) >> 2;
  const [a, b, c, e] = v.dst as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  const w = v.src;
  let k = (d + head) >> 2;
  for (let q = 0, j = (s >> 2) + head; q < quads; q++, j += 4, k++) {
    const p0 = w[j] as number;
    const p1 = w[j + 1] as number;
    const p2 = w[j + 2] as number;
    const p3 = w[j + 3] as number;
    a[k] = (p0 & 0xff) | ((p1 & 0xff) << 8) | ((p2 & 0xff) << 16) | (p3 << 24);
    b[k] = ((p0 >>> 8) & 0xff) | (p1 & 0xff00) | ((p2 & 0xff00) << 8) | ((p3 >>> 8) << 24);
    c[k] = ((p0 >>> 16) & 0xff) | ((p1 >>> 8) & 0xff00) | (p2 & 0xff0000) | ((p3 >>> 16) << 24);
    e[k] = (p0 >>> 24) | ((p1 >>> 16) & 0xff00) | ((p2 >>> 8) & 0xff0000) | (p3 & 0xff000000);
  }
  const done = head + 4 * quads;
  if (done < n) split4x8(dst, d + done, src, s + 4 * done, n - done);
}

function split4x16(dst: Uint16Array[], d: number, src: Uint16Array, s: number, n: number): void {
  const [a, b, c, e] = dst as [Uint16Array, Uint16Array, Uint16Array, Uint16Array];
  for (let i = 0; i < n; i++, s += 4) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
    e[d + i] = src[s + 3] as number;
  }
}

function split4x32(dst: Uint32Array[], d: number, src: Uint32Array, s: number, n: number): void {
  const [a, b, c, e] = dst as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  for (let i = 0; i < n; i++, s += 4) {
    a[d + i] = src[s] as number;
    b[d + i] = src[s + 1] as number;
    c[d + i] = src[s + 2] as number;
    e[d + i] = src[s + 3] as number;
  }
}
