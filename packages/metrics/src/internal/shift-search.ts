// Lanczos shift search. The 81 2-D kernels are outer products of 9 1-D kernels k[iy] (rows) and k[ix] (columns).
//
// For each ix the target's rows are correlated once with k[ix] (buffer Hx, 11 MACs/pixel). The shifted target of
// kernel (iy, ix) is then y_s[i, j] = Σ_a k[iy][a]·Hx[i + a, j], and its squared error against the cropped
// prediction p_c expands to
//   Σ (p_c − y_s)² = Σ p_c² − 2·Σ_a k[iy][a]·Q[a] + Σ_a Σ_a' k[iy][a]·k[iy][a']·R[a][a'],
//   Q[a]     = Σ_{c,i,j} p_c[c,i,j]·Hx[c, i+a, j]                     (11 MACs/pixel for all 9 iy),
//   R[a][a'] = Σ_{c,i,j} Hx[c, i+a, j]·Hx[c, i+a', j] = Σ_{i<ho} D_{a'−a}[i+a],  D_d[r] = Σ_{c,j} Hx[c,r,j]·Hx[c,r+d,j]
//                                                                      (11 MACs/pixel, prefix sums over r).
// So all 81 MSEs cost about 9·33 MACs per pixel instead of 81·121 for direct 11×11 correlations (and 9·11 + 81·11
// for a plain separable column pass), and no shifted target is ever stored. The expansion cancels when the MSE is
// tiny compared with the signal power, so every kernel whose expanded MSE lies within a relative 1e-9 of the
// signal power of the minimum is recomputed directly (row pass + fused column pass, float64) and the argmin
// (first index on ties) is taken over those exact values; the best kernel's shifted target is written out for the
// MAE / SSIM step. All arithmetic is float64.

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
 * `prefix[d*(h+1) + r] = Σ_{r' < r} D_d[r']` with `D_d[r] = Σ_{c,j} hbuf[c,r,j]·hbuf[c,r+d,j]` (0 where r+d ≥ h),
 * for the 11 lags d = 0..10 (hbuf is planes × h × wo).
 */
function lagProducts(hbuf: Float64Array, planes: number, h: number, wo: number, prefix: Float64Array): void {
  const T = SEARCH_TAPS;
  for (let d = 0; d < T; d++) prefix[d * (h + 1)] = 0;
  for (let r = 0; r < h; r++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    let s8 = 0;
    let s9 = 0;
    let s10 = 0;
    if (r + T - 1 < h) {
      for (let c = 0; c < planes; c++) {
        const ra = (c * h + r) * wo;
        for (let j = 0; j < wo; j++) {
          const q = ra + j;
          const x = hbuf[q];
          s0 += x * x;
          s1 += x * hbuf[q + wo];
          s2 += x * hbuf[q + 2 * wo];
          s3 += x * hbuf[q + 3 * wo];
          s4 += x * hbuf[q + 4 * wo];
          s5 += x * hbuf[q + 5 * wo];
          s6 += x * hbuf[q + 6 * wo];
          s7 += x * hbuf[q + 7 * wo];
          s8 += x * hbuf[q + 8 * wo];
          s9 += x * hbuf[q + 9 * wo];
          s10 += x * hbuf[q + 10 * wo];
        }
      }
    } else {
      // Last rows: only the lags that stay inside the plane.
      const sums = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (let d = 0; r + d < h; d++) {
        let acc = 0;
        for (let c = 0; c < planes; c++) {
          const ra = (c * h + r) * wo;
          const rb = ra + d * wo;
          for (let j = 0; j < wo; j++) acc += hbuf[ra + j] * hbuf[rb + j];
        }
        sums[d] = acc;
      }
      [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10] = sums;
    }
    const h1 = h + 1;
    prefix[r + 1] = prefix[r] + s0;
    prefix[h1 + r + 1] = prefix[h1 + r] + s1;
    prefix[2 * h1 + r + 1] = prefix[2 * h1 + r] + s2;
    prefix[3 * h1 + r + 1] = prefix[3 * h1 + r] + s3;
    prefix[4 * h1 + r + 1] = prefix[4 * h1 + r] + s4;
    prefix[5 * h1 + r + 1] = prefix[5 * h1 + r] + s5;
    prefix[6 * h1 + r + 1] = prefix[6 * h1 + r] + s6;
    prefix[7 * h1 + r + 1] = prefix[7 * h1 + r] + s7;
    prefix[8 * h1 + r + 1] = prefix[8 * h1 + r] + s8;
    prefix[9 * h1 + r + 1] = prefix[9 * h1 + r] + s9;
    prefix[10 * h1 + r + 1] = prefix[10 * h1 + r] + s10;
  }
}

/** `q[a] = Σ_{c,i<ho,j} p[c, i+off, j+off]·hbuf[c, i+a, j]` for a = 0..10. */
function crossProducts(
  p: Float64Array,
  hbuf: Float64Array,
  planes: number,
  h: number,
  w: number,
  off: number,
  q: Float64Array,
): void {
  const wo = w - SEARCH_TAPS + 1;
  const ho = h - SEARCH_TAPS + 1;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  let s8 = 0;
  let s9 = 0;
  let s10 = 0;
  for (let c = 0; c < planes; c++) {
    for (let i = 0; i < ho; i++) {
      const pb = (c * h + i + off) * w + off;
      const hb = (c * h + i) * wo;
      for (let j = 0; j < wo; j++) {
        const x = p[pb + j];
        const k = hb + j;
        s0 += x * hbuf[k];
        s1 += x * hbuf[k + wo];
        s2 += x * hbuf[k + 2 * wo];
        s3 += x * hbuf[k + 3 * wo];
        s4 += x * hbuf[k + 4 * wo];
        s5 += x * hbuf[k + 5 * wo];
        s6 += x * hbuf[k + 6 * wo];
        s7 += x * hbuf[k + 7 * wo];
        s8 += x * hbuf[k + 8 * wo];
        s9 += x * hbuf[k + 9 * wo];
        s10 += x * hbuf[k + 10 * wo];
      }
    }
  }
  q[0] = s0;
  q[1] = s1;
  q[2] = s2;
  q[3] = s3;
  q[4] = s4;
  q[5] = s5;
  q[6] = s6;
  q[7] = s7;
  q[8] = s8;
  q[9] = s9;
  q[10] = s10;
}

/** Result of {@link searchShifts}. */
export interface ShiftSearch {
  /**
   * Mean squared error of every kernel `iy*n + ix`: exact (direct) for the best kernel and its near-ties, from the
   * expansion for the others (absolute error ≲ 1e-12 × the mean signal power).
   */
  mseAll: Float64Array;
  /** argmin of `mseAll`, first index on ties. */
  best: number;
  /** The shifted target at `best` (planes × ho × wo). */
  aligned: Float64Array;
}

/** Relative window (of the signal power) inside which kernels are re-scored directly. */
const RECHECK_RELATIVE = 1e-9;

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
  const T = SEARCH_TAPS;
  const wo = w - T + 1;
  const ho = h - T + 1;
  const count = planes * ho * wo;
  const hbuf = new Float64Array(planes * h * wo);
  const mseAll = new Float64Array(n * n);
  // Σ p_c² over the crop.
  let p2 = 0;
  for (let c = 0; c < planes; c++) {
    for (let i = 0; i < ho; i++) {
      const pb = (c * h + i + off) * w + off;
      let row = 0;
      for (let j = 0; j < wo; j++) row += p[pb + j] * p[pb + j];
      p2 += row;
    }
  }
  // D_d[r] prefix sums: prefix[d*(h+1) + r] = Σ_{r' < r} D_d[r'].
  const prefix = new Float64Array(T * (h + 1));
  const q = new Float64Array(T);
  const r2 = new Float64Array(T * T);
  let maxYy = 0;
  for (let ix = 0; ix < n; ix++) {
    correlateRows(y, planes * h, w, k1d, ix * T, hbuf);
    // Lagged row products D_d[r] (summed over planes) and Q[a], 11 independent accumulators per sweep.
    lagProducts(hbuf, planes, h, wo, prefix);
    // R[a][a'] = Σ_{i<ho} D_{|a'−a|}[i + min(a, a')].
    for (let a = 0; a < T; a++) {
      for (let b = a; b < T; b++) {
        const base = (b - a) * (h + 1);
        const v = prefix[base + a + ho] - prefix[base + a];
        r2[a * T + b] = v;
        r2[b * T + a] = v;
      }
    }
    crossProducts(p, hbuf, planes, h, w, off, q);
    for (let iy = 0; iy < n; iy++) {
      const ko = iy * T;
      let py = 0;
      let yy = 0;
      for (let a = 0; a < T; a++) {
        const ka = k1d[ko + a];
        py += ka * q[a];
        let inner = 0;
        for (let b = 0; b < T; b++) inner += k1d[ko + b] * r2[a * T + b];
        yy += ka * inner;
      }
      const k = iy * n + ix;
      if (yy > maxYy) maxYy = yy;
      const sq = p2 - 2 * py + yy;
      mseAll[k] = (sq > 0 ? sq : 0) / count;
    }
  }
  // Re-score the near-minimal kernels directly, then take the argmin (first on ties) over exact values.
  let approxMin = mseAll[0];
  for (let k = 1; k < mseAll.length; k++) if (mseAll[k] < approxMin) approxMin = mseAll[k];
  const tol = (RECHECK_RELATIVE * (p2 + maxYy)) / count;
  const candidates: number[] = [];
  for (let k = 0; k < mseAll.length; k++) if (mseAll[k] <= approxMin + tol) candidates.push(k);
  // Group by ix so each row pass is done once.
  candidates.sort((a, b) => (a % n) - (b % n) || a - b);
  let lastIx = -1;
  for (const k of candidates) {
    const ix = k % n;
    if (ix !== lastIx) {
      correlateRows(y, planes * h, w, k1d, ix * T, hbuf);
      lastIx = ix;
    }
    mseAll[k] =
      correlateColumnsSquaredError(hbuf, planes, h, w, k1d, Math.floor(k / n) * T, p, off, null) / count;
  }
  let best = -1;
  for (const k of candidates)
    if (best < 0 || mseAll[k] < mseAll[best] || (mseAll[k] === mseAll[best] && k < best)) best = k;
  const aligned = new Float64Array(count);
  correlateRows(y, planes * h, w, k1d, (best % n) * T, hbuf);
  correlateColumnsSquaredError(hbuf, planes, h, w, k1d, Math.floor(best / n) * T, p, off, aligned);
  return { mseAll, best, aligned };
}
