/** Normalised 1-D Gaussian `exp(−x²/(2σ²))`, `x = i − ⌊n/2⌋` (kornia 0.6.3 `get_gaussian_kernel1d`), float64. */
export function gaussian1d(windowSize: number, sigma: number): Float64Array {
  const g = new Float64Array(windowSize);
  const half = Math.floor(windowSize / 2);
  let sum = 0;
  for (let i = 0; i < windowSize; i++) {
    let x = i - half;
    if (windowSize % 2 === 0) x += 0.5;
    g[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += g[i];
  }
  for (let i = 0; i < windowSize; i++) g[i] /= sum;
  return g;
}

/** Reflect (mirror without edge repetition, numpy/torch 'reflect') index table for `−pad .. n+pad−1`. */
function reflectIndex(n: number, pad: number): Int32Array {
  const out = new Int32Array(n + 2 * pad);
  for (let k = 0; k < out.length; k++) {
    let j = k - pad;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    out[k] = j;
  }
  return out;
}

/** Constants of one SSIM evaluation. */
export interface SsimParams {
  gauss: Float64Array;
  c1: number;
  c2: number;
  eps: number;
}

/**
 * Sums of the SSIM map and of the kornia loss map `clamp((1 − SSIM)/2, 0, 1)` over one h×w plane, with the
 * Gaussian filter applied separably with reflect padding (kornia `filter2d(..., 'reflect')`, same-size maps).
 * `x[xOff + i*xStride + j]`, `y[yOff + i*yStride + j]`. Requires h, w > ⌊window/2⌋.
 */
export function ssimPlaneSums(
  x: ArrayLike<number>,
  xOff: number,
  xStride: number,
  y: ArrayLike<number>,
  yOff: number,
  yStride: number,
  h: number,
  w: number,
  params: SsimParams,
): { ssimSum: number; lossSum: number } {
  const { gauss, c1, c2, eps } = params;
  const ws = gauss.length;
  const pad = Math.floor(ws / 2);
  const colIdx = reflectIndex(w, pad);
  const rowIdx = reflectIndex(h, pad);
  const n = h * w;
  // Horizontally filtered x, y, x², y², xy (rows are not padded yet).
  const hx = new Float64Array(n);
  const hy = new Float64Array(n);
  const hxx = new Float64Array(n);
  const hyy = new Float64Array(n);
  const hxy = new Float64Array(n);
  for (let i = 0; i < h; i++) {
    const xr = xOff + i * xStride;
    const yr = yOff + i * yStride;
    const o = i * w;
    for (let j = 0; j < w; j++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let t = 0; t < ws; t++) {
        const c = colIdx[j + t];
        const g = gauss[t];
        const xv = x[xr + c];
        const yv = y[yr + c];
        sx += g * xv;
        sy += g * yv;
        sxx += g * xv * xv;
        syy += g * yv * yv;
        sxy += g * xv * yv;
      }
      hx[o + j] = sx;
      hy[o + j] = sy;
      hxx[o + j] = sxx;
      hyy[o + j] = syy;
      hxy[o + j] = sxy;
    }
  }
  let ssimSum = 0;
  let lossSum = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let mx = 0;
      let my = 0;
      let exx = 0;
      let eyy = 0;
      let exy = 0;
      for (let t = 0; t < ws; t++) {
        const k = rowIdx[i + t] * w + j;
        const g = gauss[t];
        mx += g * hx[k];
        my += g * hy[k];
        exx += g * hxx[k];
        eyy += g * hyy[k];
        exy += g * hxy[k];
      }
      const mx2 = mx * mx;
      const my2 = my * my;
      const mxy = mx * my;
      const num = (2 * mxy + c1) * (2 * (exy - mxy) + c2);
      const den = (mx2 + my2 + c1) * (exx - mx2 + (eyy - my2) + c2);
      const s = num / (den + eps);
      ssimSum += s;
      let l = (1 - s) / 2;
      if (l < 0) l = 0;
      else if (l > 1) l = 1;
      lossSum += l;
    }
  }
  return { ssimSum, lossSum };
}
