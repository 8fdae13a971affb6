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
  for (let ix = 0; ix < n; ix++) {
    correlateRows(y, planes * h, w, k1d, ix * SEARCH_TAPS, hbuf);
    for (let iy = 0; iy < n; iy++) {
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
