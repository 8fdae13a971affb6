// AssemblyScript source of the WebAssembly kernel raster-io uses to split pixel-interleaved block rows into band
// planes (src/read/wasm-stage.ts). Built by `pnpm --filter @worldstrat/raster-io build:wasm`, which writes the
// module's bytes into src/read/deinterleave-wasm.generated.ts; a test rebuilds it and compares the bytes.
//
// SIMD shuffles move 48 or 64 interleaved bytes per step into 16-byte runs of each band (V8 lowers
// i8x16.shuffle to pshufb/palignr); the remaining pixels of a row, and layouts without a SIMD form, go through
// the scalar loop. Samples are moved as raw bytes, so float bit patterns (NaN payloads) are kept exactly.

/** First free byte after this module's own data: callers place their buffers from here. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(63 as usize);
}

/**
 * Split `rows` rows of `pixels` pixels, `spp` samples of `bps` bytes each, starting at `src` (rows `srcRow` bytes
 * apart) into `spp` planes: sample k of a row goes to `dst + k * plane` (rows `dstRow` bytes apart). With `sum`,
 * each plane row is then replaced by its running sum (TIFF predictor 2 undone, wrapping at the sample's width):
 * rows must then start at the block's first column.
 */
export function split(
  src: usize,
  srcRow: usize,
  dst: usize,
  dstRow: usize,
  plane: usize,
  rows: i32,
  pixels: i32,
  spp: i32,
  bps: i32,
  sum: bool,
): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * dstRow;
    splitRow(src + <usize>r * srcRow, d, plane, pixels, spp, bps);
    if (sum) for (let k = 0; k < spp; k++) runningSum(d + <usize>k * plane, pixels, bps);
  }
}

/**
 * TIFF predictor 2 undone in place on `rows` interleaved rows (`srcRow` bytes apart) of `pixels` pixels from the
 * block's first column: each sample plus the same sample of the pixel before, wrapping at the sample's width.
 */
export function undoHorizontal(src: usize, srcRow: usize, rows: i32, pixels: i32, spp: i32, bps: i32): void {
  const stride = <usize>(spp * bps);
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * srcRow;
    const end = row + <usize>pixels * stride;
    let p = row + stride;
    if (bps == 1) for (; p < end; p++) store<u8>(p, load<u8>(p) + load<u8>(p - stride));
    else if (bps == 2) for (; p < end; p += 2) store<u16>(p, load<u16>(p) + load<u16>(p - stride));
    else if (bps == 4) for (; p < end; p += 4) store<u32>(p, load<u32>(p) + load<u32>(p - stride));
    else if (bps == 8) for (; p < end; p += 8) store<u64>(p, load<u64>(p) + load<u64>(p - stride));
  }
}

/**
 * TIFF predictor 3 undone on `rows` rows (`srcRow` bytes apart) of `width` pixels of `spp` samples of `bps` bytes,
 * in place: each row's bytes summed with stride `spp` (wrapping), which leaves the row as `bps` byte planes, most
 * significant first (`width * spp` bytes each). Pixels `x0` to `x0 + pixels` are then gathered into the `spp`
 * planes at `dst` (sample k at `dst + k * plane`, rows `dstRow` bytes apart), little-endian.
 */
export function splitFloatPredicted(
  src: usize,
  srcRow: usize,
  dst: usize,
  dstRow: usize,
  plane: usize,
  rows: i32,
  width: i32,
  x0: i32,
  pixels: i32,
  spp: i32,
  bps: i32,
): void {
  const wc = width * spp;
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * srcRow;
    sumBytes(row, wc * bps, spp);
    const d = dst + <usize>r * dstRow;
    let x = 0;
    if (spp == 4 && bps == 4) x = gatherFloat4x32(row, <usize>wc, d, plane, x0, pixels);
    if (x < pixels) gatherFloatScalar(row, <usize>wc, d, plane, x0, x, pixels, spp, bps);
  }
}

/** `n` bytes at `p` replaced by their running sums with stride `stride` (wrapping). */
function sumBytes(p: usize, n: i32, stride: i32): void {
  let i = stride;
  if (stride == 4) {
    const zero = i8x16.splat(0);
    let carry = zero;
    i = 0;
    for (; i + 16 <= n; i += 16) {
      const q = p + <usize>i;
      let v = v128.load(q);
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
      v = i8x16.add(v, carry);
      v128.store(q, v);
      carry = i32x4.shuffle(v, v, 3, 3, 3, 3);
    }
    if (i == 0) i = 4;
  }
  for (; i < n; i++) {
    const q = p + <usize>i;
    store<u8>(q, load<u8>(q) + load<u8>(q - <usize>stride));
  }
}

/** 4 × 32-bit samples from 4 byte planes: 4 pixels per step. Returns the pixels done. */
function gatherFloat4x32(row: usize, wc: usize, d: usize, plane: usize, x0: i32, n: i32): i32 {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = row + <usize>(x0 + i) * 4;
    const p0 = v128.load(at); // most significant bytes of 16 samples (4 pixels × 4 bands)
    const p1 = v128.load(at + wc);
    const p2 = v128.load(at + 2 * wc);
    const p3 = v128.load(at + 3 * wc); // least significant
    // low 16 bits (p3, p2) and high 16 bits (p1, p0) of each sample, then whole little-endian samples
    const lo0 = i8x16.shuffle(p3, p2, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const lo1 = i8x16.shuffle(p3, p2, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const hi0 = i8x16.shuffle(p1, p0, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const hi1 = i8x16.shuffle(p1, p0, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const s0 = i16x8.shuffle(lo0, hi0, 0, 8, 1, 9, 2, 10, 3, 11); // pixel 0, samples 0..3
    const s1 = i16x8.shuffle(lo0, hi0, 4, 12, 5, 13, 6, 14, 7, 15); // pixel 1
    const s2 = i16x8.shuffle(lo1, hi1, 0, 8, 1, 9, 2, 10, 3, 11); // pixel 2
    const s3 = i16x8.shuffle(lo1, hi1, 4, 12, 5, 13, 6, 14, 7, 15); // pixel 3
    transpose4x32(s0, s1, s2, s3, d + <usize>i * 4, plane);
  }
  return i;
}

/** Pixels `from`..`n` (of those from `x0`) one byte at a time. */
function gatherFloatScalar(
  row: usize,
  wc: usize,
  d: usize,
  plane: usize,
  x0: i32,
  from: i32,
  n: i32,
  spp: i32,
  bps: i32,
): void {
  for (let k = 0; k < spp; k++) {
    for (let i = from; i < n; i++) {
      const s = <usize>((x0 + i) * spp + k);
      const q = d + <usize>k * plane + <usize>(i * bps);
      for (let b = 0; b < bps; b++) store<u8>(q + <usize>b, load<u8>(row + <usize>(bps - 1 - b) * wc + s));
    }
  }
}

/** `n` samples of `bps` bytes at `p` replaced by their running sum (SIMD prefix sums, 16 bytes per step). */
function runningSum(p: usize, n: i32, bps: i32): void {
  if (bps == 1) sum8(p, n);
  else if (bps == 2) sum16(p, n);
  else if (bps == 4) sum32(p, n);
  else if (bps == 8) sum64(p, n);
}

function sum8(p: usize, n: i32): void {
  const zero = i8x16.splat(0);
  let carry = zero;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    let v = v128.load(p + <usize>i);
    v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30));
    v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
    v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
    v = i8x16.add(v, carry);
    v128.store(p + <usize>i, v);
    carry = i8x16.shuffle(v, v, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
  }
  let last: u8 = i > 0 ? load<u8>(p + <usize>(i - 1)) : 0;
  for (; i < n; i++) {
    last += load<u8>(p + <usize>i);
    store<u8>(p + <usize>i, last);
  }
}

function sum16(p: usize, n: i32): void {
  const zero = i8x16.splat(0);
  let carry = zero;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + <usize>i * 2;
    let v = v128.load(q);
    v = i16x8.add(v, i8x16.shuffle(zero, v, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
    v = i16x8.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    v = i16x8.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
    v = i16x8.add(v, carry);
    v128.store(q, v);
    carry = i8x16.shuffle(v, v, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15);
  }
  let last: u16 = i > 0 ? load<u16>(p + <usize>(i - 1) * 2) : 0;
  for (; i < n; i++) {
    const q = p + <usize>i * 2;
    last += load<u16>(q);
    store<u16>(q, last);
  }
}

function sum32(p: usize, n: i32): void {
  const zero = i8x16.splat(0);
  let carry = zero;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = p + <usize>i * 4;
    let v = v128.load(q);
    v = i32x4.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    v = i32x4.add(v, i8x16.shuffle(zero, v, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
    v = i32x4.add(v, carry);
    v128.store(q, v);
    carry = i32x4.shuffle(v, v, 3, 3, 3, 3);
  }
  let last: u32 = i > 0 ? load<u32>(p + <usize>(i - 1) * 4) : 0;
  for (; i < n; i++) {
    const q = p + <usize>i * 4;
    last += load<u32>(q);
    store<u32>(q, last);
  }
}

function sum64(p: usize, n: i32): void {
  let last: u64 = 0;
  for (let i = 0; i < n; i++) {
    const q = p + <usize>i * 8;
    last += load<u64>(q);
    store<u64>(q, last);
  }
}

function splitRow(s: usize, d: usize, plane: usize, n: i32, spp: i32, bps: i32): void {
  let i = 0;
  if (spp == 4 && bps == 2) i = split4x16(s, d, plane, n);
  else if (spp == 4 && bps == 1) i = split4x8(s, d, plane, n);
  else if (spp == 4 && bps == 4) i = split4x32(s, d, plane, n);
  else if (spp == 3 && bps == 1) i = split3x8(s, d, plane, n);
  else if (spp == 3 && bps == 2) i = split3x16(s, d, plane, n);
  if (i < n) splitScalar(s, d, plane, i, n, spp, bps);
}

/** Pixels `from`..`n` one sample at a time. */
function splitScalar(s: usize, d: usize, plane: usize, from: i32, n: i32, spp: i32, bps: i32): void {
  const step = <usize>(spp * bps);
  for (let k = 0; k < spp; k++) {
    let p = s + <usize>from * step + <usize>(k * bps);
    let q = d + <usize>k * plane + <usize>(from * bps);
    const end = d + <usize>k * plane + <usize>(n * bps);
    if (bps == 1) for (; q < end; q += 1, p += step) store<u8>(q, load<u8>(p));
    else if (bps == 2) for (; q < end; q += 2, p += step) store<u16>(q, load<u16>(p));
    else if (bps == 4) for (; q < end; q += 4, p += step) store<u32>(q, load<u32>(p));
    else if (bps == 8) for (; q < end; q += 8, p += step) store<u64>(q, load<u64>(p));
    else
      for (; q < end; q += <usize>bps, p += step) {
        for (let b = 0; b < bps; b++) store<u8>(q + <usize>b, load<u8>(p + <usize>b));
      }
  }
}

/** 4 × 16-bit: 8 pixels (64 bytes) per step. Returns the pixels done. */
function split4x16(s: usize, d: usize, plane: usize, n: i32): i32 {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = s + <usize>i * 8;
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const e = v128.load(p, 48);
    // samples 0|1 and 2|3 of four pixels each
    const t0 = i8x16.shuffle(a, b, 0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27);
    const t1 = i8x16.shuffle(a, b, 4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31);
    const t2 = i8x16.shuffle(c, e, 0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27);
    const t3 = i8x16.shuffle(c, e, 4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31);
    const q = d + <usize>i * 2;
    v128.store(q, i64x2.shuffle(t0, t2, 0, 2));
    v128.store(q + plane, i64x2.shuffle(t0, t2, 1, 3));
    v128.store(q + 2 * plane, i64x2.shuffle(t1, t3, 0, 2));
    v128.store(q + 3 * plane, i64x2.shuffle(t1, t3, 1, 3));
  }
  return i;
}

/** 4 × 8-bit: 16 pixels (64 bytes) per step. */
function split4x8(s: usize, d: usize, plane: usize, n: i32): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = s + <usize>i * 4;
    // each 32-bit lane: one sample of four pixels
    const a = i8x16.swizzle(v128.load(p), GROUP4);
    const b = i8x16.swizzle(v128.load(p, 16), GROUP4);
    const c = i8x16.swizzle(v128.load(p, 32), GROUP4);
    const e = i8x16.swizzle(v128.load(p, 48), GROUP4);
    const q = d + <usize>i;
    transpose4x32(a, b, c, e, q, plane);
  }
  return i;
}

/** 4 × 32-bit: 4 pixels (64 bytes) per step. */
function split4x32(s: usize, d: usize, plane: usize, n: i32): i32 {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = s + <usize>i * 16;
    transpose4x32(v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48), d + <usize>i * 4, plane);
  }
  return i;
}

/** Stores lane k of a, b, c, e as one vector at `q + k * plane` (a 4 × 4 transpose of 32-bit lanes). */
// @ts-ignore: AssemblyScript decorator
@inline
function transpose4x32(a: v128, b: v128, c: v128, e: v128, q: usize, plane: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, e, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(c, e, 2, 6, 3, 7);
  v128.store(q, i64x2.shuffle(t0, t2, 0, 2));
  v128.store(q + plane, i64x2.shuffle(t0, t2, 1, 3));
  v128.store(q + 2 * plane, i64x2.shuffle(t1, t3, 0, 2));
  v128.store(q + 3 * plane, i64x2.shuffle(t1, t3, 1, 3));
}

const GROUP4: v128 = i8x16(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

/** 3 × 8-bit: 16 pixels (48 bytes) per step; each band takes what it needs of the first two vectors, then the third. */
function split3x8(s: usize, d: usize, plane: usize, n: i32): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = s + <usize>i * 3;
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const q = d + <usize>i;
    const r = i8x16.shuffle(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
    v128.store(q, i8x16.shuffle(r, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29));
    const g = i8x16.shuffle(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
    v128.store(q + plane, i8x16.shuffle(g, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30));
    const bl = i8x16.shuffle(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
    v128.store(q + 2 * plane, i8x16.shuffle(bl, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31));
  }
  return i;
}

/** 3 × 16-bit: 8 pixels (48 bytes) per step. */
function split3x16(s: usize, d: usize, plane: usize, n: i32): i32 {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = s + <usize>i * 6;
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const q = d + <usize>i * 2;
    const r = i8x16.shuffle(a, b, 0, 1, 6, 7, 12, 13, 18, 19, 24, 25, 30, 31, 0, 0, 0, 0);
    v128.store(q, i8x16.shuffle(r, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21, 26, 27));
    const g = i8x16.shuffle(a, b, 2, 3, 8, 9, 14, 15, 20, 21, 26, 27, 0, 0, 0, 0, 0, 0);
    v128.store(q + plane, i8x16.shuffle(g, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 22, 23, 28, 29));
    const bl = i8x16.shuffle(a, b, 4, 5, 10, 11, 16, 17, 22, 23, 28, 29, 0, 0, 0, 0, 0, 0);
    v128.store(q + 2 * plane, i8x16.shuffle(bl, c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 19, 24, 25, 30, 31));
  }
  return i;
}
