// PyTorch `F.interpolate(..., 'bicubic', align_corners=False)` on planar float32 images: a focused copy of
// raster-io's bicubic taps and separable passes (the only kernel the baseline needs), so metrics stays
// free of raster-io's GeoTIFF/proj4 dependencies. test/bicubic-resize.test.ts checks it equals raster-io's.

/** Taps of one axis: output `o` reads `idx[4o + t]` with weight `w[4o + t]`, `t < 4`. */
interface CubicTaps {
  inSize: number;
  outSize: number;
  idx: Int32Array;
  w: Float64Array;
}

/** PyTorch's cubic convolution coefficients for fraction t, a = −0.75 (`get_cubic_upsample_coefficients`). */
function cubicCoeffs(t: number, out: number[]): void {
  const a = -0.75;
  const c1 = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1;
  const c2 = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  out[0] = c2(t + 1);
  out[1] = c1(t);
  out[2] = c1(1 - t);
  out[3] = c2(2 - t);
}

/** Scale rounded to float32 as torch does; source and coefficients in double; taps index-clamped. */
function bicubicTaps(inSize: number, outSize: number): CubicTaps {
  const scale = Math.fround(inSize / outSize);
  const idx = new Int32Array(outSize * 4);
  const w = new Float64Array(outSize * 4);
  const c = [0, 0, 0, 0];
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(src);
    cubicCoeffs(src - i0, c);
    for (let t = 0; t < 4; t++) {
      idx[4 * i + t] = Math.max(Math.min(i0 - 1 + t, inSize - 1), 0);
      w[4 * i + t] = c[t] as number;
    }
  }
  return { inSize, outSize, idx, w };
}

/** Same size with one unit tap per index: the pass is skipped (bit-exact copy, like raster-io). */
function isIdentity(t: CubicTaps): boolean {
  if (t.inSize !== t.outSize) return false;
  for (let o = 0; o < t.outSize; o++)
    for (let j = 0; j < 4; j++) {
      const w = t.w[o * 4 + j] as number;
      if (w !== 0 && (w !== 1 || t.idx[o * 4 + j] !== o)) return false;
    }
  return true;
}

function horizontal(src: Float32Array, rows: number, taps: CubicTaps): Float32Array {
  const { inSize, outSize, idx, w } = taps;
  const dst = new Float32Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    const si = r * inSize;
    const di = r * outSize;
    for (let o = 0, t = 0; o < outSize; o++, t += 4) {
      let acc = 0;
      for (let j = 0; j < 4; j++) acc += (src[si + (idx[t + j] as number)] as number) * (w[t + j] as number);
      dst[di + o] = acc;
    }
  }
  return dst;
}

function vertical(src: Float32Array, planes: number, width: number, taps: CubicTaps): Float32Array {
  const { inSize, outSize, idx, w } = taps;
  const dst = new Float32Array(planes * outSize * width);
  const acc = new Float64Array(width);
  for (let p = 0; p < planes; p++) {
    const sp = p * inSize * width;
    for (let o = 0, t = 0; o < outSize; o++, t += 4) {
      acc.fill(0);
      for (let j = 0; j < 4; j++) {
        const wj = w[t + j] as number;
        if (wj === 0) continue;
        const row = sp + (idx[t + j] as number) * width;
        for (let x = 0; x < width; x++) acc[x] = (acc[x] as number) + (src[row + x] as number) * wj;
      }
      dst.set(acc, (p * outSize + o) * width);
    }
  }
  return dst;
}

/**
 * Bicubic resize of `[planes, h, w]` float32 images to `[outH, outW]` (width pass first, then height).
 * Callers validate the shape and sizes (positive integers, `data.length === planes·h·w`).
 *
 * @returns a new `Float32Array` of `planes·outH·outW` values.
 */
export function bicubicResize(
  data: Float32Array,
  shape: readonly [number, number, number],
  size: readonly [number, number],
): Float32Array {
  const [planes, h, w] = shape;
  const [outH, outW] = size;
  const tx = bicubicTaps(w, outW);
  const ty = bicubicTaps(h, outH);
  let cur = data;
  if (!isIdentity(tx)) cur = horizontal(cur, planes * h, tx);
  if (!isIdentity(ty)) cur = vertical(cur, planes, outW, ty);
  return cur === data ? data.slice() : cur;
}
