// Separable, fused Lanczos shift search. The 81 2-D kernels are outer products of 9 1-D kernels, so the shifted
// target for kernel (iy, ix) is: rows correlated with k[ix] (9 horizontally filtered images, 11 MACs/pixel each),
// then columns with k[iy] (11 MACs/pixel). The squared error against the cropped prediction is accumulated while
// the column pass runs, so the 81 shifted targets are never stored. Cost per output pixel ≈ 9·11 + 81·12 instead
// of 81·121 for direct 11×11 correlations. All arithmetic is float64.

/** Taps the unrolled loops below are written for. */
export const SEARCH_TAPS = 11;

/** Horizontal valid correlation of every row of `y` (planes × h × w) with the 11-tap kernel `k[kOff..]`. */
export function correlateRows(
  y: Float64Array,
  rows: number,
  w: number,
  k: ArrayLike<number>,
  kOff: number,
  out: Float64Array,
): void {
  const wo = w - SEARCH_TAPS + 1;
  const k0 = k[kOff];
  const k1 = k[kOff + 1];
  const k2 = k[kOff + 2];
  const k3 = k[kOff + 3];
  const k4 = k[kOff + 4];
  const k5 = k[kOff + 5];
  const k6 = k[kOff + 6];
  const k7 = k[kOff + 7];
  const k8 = k[kOff + 8];
  const k9 = k[kOff + 9];
  const k10 = k[kOff + 10];
  for (let r = 0; r < rows; r++) {
    const src = r * w;
    const dst = r * wo;
    for (let j = 0; j < wo; j++) {
      const s = src + j;
      out[dst + j] =
        k0 * y[s] +
        k1 * y[s + 1] +
        k2 * y[s + 2] +
        k3 * y[s + 3] +
        k4 * y[s + 4] +
        k5 * y[s + 5] +
        k6 * y[s + 6] +
        k7 * y[s + 7] +
        k8 * y[s + 8] +
        k9 * y[s + 9] +
        k10 * y[s + 10];
    }
  }
}

/**
 * Column pass of one kernel over the row-filtered planes `hbuf` (planes × h × wo). When `out` is given the shifted
 * target (planes × ho × wo) is written there; the return value is always Σ (p_crop − y_s)² where
 * `p_crop[c,i,j] = p[c, i+off, j+off]` (p is planes × h × w).
 */
export function correlateColumnsSquaredError(
  hbuf: Float64Array,
  planes: number,
  h: number,
  w: number,
  k: ArrayLike<number>,
  kOff: number,
  p: Float64Array,
  off: number,
  out: Float64Array | null,
): number {
  const wo = w - SEARCH_TAPS + 1;
  const ho = h - SEARCH_TAPS + 1;
  const k0 = k[kOff];
  const k1 = k[kOff + 1];
  const k2 = k[kOff + 2];
  const k3 = k[kOff + 3];
  const k4 = k[kOff + 4];
  const k5 = k[kOff + 5];
  const k6 = k[kOff + 6];
  const k7 = k[kOff + 7];
  const k8 = k[kOff + 8];
  const k9 = k[kOff + 9];
  const k10 = k[kOff + 10];
  const r1 = wo;
  const r2 = 2 * wo;
  const r3 = 3 * wo;
  const r4 = 4 * wo;
  const r5 = 5 * wo;
  const r6 = 6 * wo;
  const r7 = 7 * wo;
  const r8 = 8 * wo;
  const r9 = 9 * wo;
  const r10 = 10 * wo;
  let acc = 0;
  for (let c = 0; c < planes; c++) {
    for (let i = 0; i < ho; i++) {
      const hb = (c * h + i) * wo;
      const pb = (c * h + i + off) * w + off;
      const ob = (c * ho + i) * wo;
      let rowAcc = 0;
      for (let j = 0; j < wo; j++) {
        const q = hb + j;
        const v =
          k0 * hbuf[q] +
          k1 * hbuf[q + r1] +
          k2 * hbuf[q + r2] +
          k3 * hbuf[q + r3] +
          k4 * hbuf[q + r4] +
          k5 * hbuf[q + r5] +
          k6 * hbuf[q + r6] +
          k7 * hbuf[q + r7] +
          k8 * hbuf[q + r8] +
          k9 * hbuf[q + r9] +
          k10 * hbuf[q + r10];
        if (out !== null) out[ob + j] = v;
        const d = p[pb + j] - v;
        rowAcc += d * d;
      }
      acc += rowAcc;
    }
  }
  return acc;
}

/**
 * Two column passes at once (kernels at `kOffA` and `kOffB`) sharing the 11 loads per output pixel; returns the
 * two sums of squared errors in `sums[0]`, `sums[1]`. Same arithmetic, per kernel, as
 * {@link correlateColumnsSquaredError}.
 */
export function correlateColumnsSquaredError2(
  hbuf: Float64Array,
  planes: number,
  h: number,
  w: number,
  k: ArrayLike<number>,
  kOffA: number,
  kOffB: number,
  p: Float64Array,
  off: number,
  sums: Float64Array,
): void {
  const wo = w - SEARCH_TAPS + 1;
  const ho = h - SEARCH_TAPS + 1;
  const a0 = k[kOffA];
  const a1 = k[kOffA + 1];
  const a2 = k[kOffA + 2];
  const a3 = k[kOffA + 3];
  const a4 = k[kOffA + 4];
  const a5 = k[kOffA + 5];
  const a6 = k[kOffA + 6];
  const a7 = k[kOffA + 7];
  const a8 = k[kOffA + 8];
  const a9 = k[kOffA + 9];
  const a10 = k[kOffA + 10];
  const b0 = k[kOffB];
  const b1 = k[kOffB + 1];
  const b2 = k[kOffB + 2];
  const b3 = k[kOffB + 3];
  const b4 = k[kOffB + 4];
  const b5 = k[kOffB + 5];
  const b6 = k[kOffB + 6];
  const b7 = k[kOffB + 7];
  const b8 = k[kOffB + 8];
  const b9 = k[kOffB + 9];
  const b10 = k[kOffB + 10];
  let accA = 0;
  let accB = 0;
  for (let c = 0; c < planes; c++) {
    for (let i = 0; i < ho; i++) {
      const hb = (c * h + i) * wo;
      const pb = (c * h + i + off) * w + off;
      let rowA = 0;
      let rowB = 0;
      for (let j = 0; j < wo; j++) {
        const q = hb + j;
        const h0 = hbuf[q];
        const h1 = hbuf[q + wo];
        const h2 = hbuf[q + 2 * wo];
        const h3 = hbuf[q + 3 * wo];
        const h4 = hbuf[q + 4 * wo];
        const h5 = hbuf[q + 5 * wo];
        const h6 = hbuf[q + 6 * wo];
        const h7 = hbuf[q + 7 * wo];
        const h8 = hbuf[q + 8 * wo];
        const h9 = hbuf[q + 9 * wo];
        const h10 = hbuf[q + 10 * wo];
        const pv = p[pb + j];
        const dA =
          pv -
          (a0 * h0 +
            a1 * h1 +
            a2 * h2 +
            a3 * h3 +
            a4 * h4 +
            a5 * h5 +
            a6 * h6 +
            a7 * h7 +
            a8 * h8 +
            a9 * h9 +
            a10 * h10);
        const dB =
          pv -
          (b0 * h0 +
            b1 * h1 +
            b2 * h2 +
            b3 * h3 +
            b4 * h4 +
            b5 * h5 +
            b6 * h6 +
            b7 * h7 +
            b8 * h8 +
            b9 * h9 +
            b10 * h10);
        rowA += dA * dA;
        rowB += dB * dB;
      }
      accA += rowA;
      accB += rowB;
    }
  }
  sums[0] = accA;
  sums[1] = accB;
}

/** Result of {@link searchShifts}. */
export interface ShiftSearch {
  /** Mean squared error of every kernel `iy*n + ix`. */
  mseAll: Float64Array;
  /** argmin of `mseAll`, first index on ties. */
  best: number;
  /** The shifted target at `best` (planes × ho × wo). */
  aligned: Float64Array;
}

/**
 * Full search: `p` is the (bias-adjusted) prediction, `y` the target, both planes × h × w float64; `k1d` holds
 * `n` 11-tap kernels. Returns the MSE of all n² kernels, the best index and the aligned target.
 */
export function searchShifts(
  p: Float64Array,
  y: Float64Array,
  planes: number,
  h: number,
  w: number,
  off: number,
  k1d: ArrayLike<number>,
  n: number,
): ShiftSearch {
  const wo = w - SEARCH_TAPS + 1;
  const ho = h - SEARCH_TAPS + 1;
  const count = planes * ho * wo;
  const hbuf = new Float64Array(planes * h * wo);
  const mseAll = new Float64Array(n * n);
  const sums = new Float64Array(2);
  for (let ix = 0; ix < n; ix++) {
    correlateRows(y, planes * h, w, k1d, ix * SEARCH_TAPS, hbuf);
    let iy = 0;
    for (; iy + 1 < n; iy += 2) {
      correlateColumnsSquaredError2(
        hbuf,
        planes,
        h,
        w,
        k1d,
        iy * SEARCH_TAPS,
        (iy + 1) * SEARCH_TAPS,
        p,
        off,
        sums,
      );
      mseAll[iy * n + ix] = sums[0] / count;
      mseAll[(iy + 1) * n + ix] = sums[1] / count;
    }
    for (; iy < n; iy++) {
      mseAll[iy * n + ix] =
        correlateColumnsSquaredError(hbuf, planes, h, w, k1d, iy * SEARCH_TAPS, p, off, null) / count;
    }
  }
  let best = 0;
  for (let k = 1; k < mseAll.length; k++) if (mseAll[k] < mseAll[best]) best = k;
  const aligned = new Float64Array(count);
  correlateRows(y, planes * h, w, k1d, (best % n) * SEARCH_TAPS, hbuf);
  correlateColumnsSquaredError(hbuf, planes, h, w, k1d, Math.floor(best / n) * SEARCH_TAPS, p, off, aligned);
  return { mseAll, best, aligned };
}
