import { MetricsError } from './errors.js';
import { fft2d } from './internal/fft.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';

/** Options of {@link phaseCrossCorrelation}. */
export interface PhaseCorrelationOptions {
  /** Sub-pixel refinement: the shift is found to `1/upsampleFactor` px; default 50 (satalign's PCC). */
  upsampleFactor?: number;
}

/** Result of {@link phaseCrossCorrelation}. */
export interface PhaseCorrelationResult {
  /**
   * `[dy, dx]` in pixels that registers `moving` onto `reference`: `reference(y, x) ≈ moving(y − dy, x − dx)`.
   * Only defined modulo the image size (periodic correlation), reported in (−size/2, size/2].
   */
  shift: [number, number];
}

// Largest upsampling factor: the refinement grid is ⌈1.5·f⌉² samples, each an O(h·w) sum.
const MAX_UPSAMPLE = 1000;
// The inputs opensr-test hands to scikit-image are float32: its phase normalisation floors |F·G*| at
// 100·eps(float32), so tiny cross-power terms keep their magnitude instead of being scaled to 1.
const PHASE_FLOOR = 100 * 2 ** -23;

/**
 * Sub-pixel translation between two single-band images by phase correlation, as scikit-image's
 * `phase_cross_correlation` (normalization `'phase'`, no masks, no disambiguation) computes it for
 * satalign's `PCC`: the normalised cross-power spectrum's inverse FFT gives the integer peak, then a
 * matrix-multiply DFT upsampled `upsampleFactor` times over a ±0.75 px window refines it.
 * Computed in float64 (scikit-image runs in the input's precision, float32 for opensr-test).
 *
 * @param reference - the fixed image, h×w row-major.
 * @param moving - the image to register, h×w.
 * @param shape - `[h, w]`.
 * @param options - `upsampleFactor`.
 * @returns the shift `[dy, dx]`.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`.
 * @example
 * ```ts
 * const { shift } = phaseCrossCorrelation(ref, mov, [64, 64]); // e.g. [0.34, -1.2]
 * ```
 */
export function phaseCrossCorrelation(
  reference: NumericArray,
  moving: NumericArray,
  shape: readonly number[],
  options: PhaseCorrelationOptions = {},
): PhaseCorrelationResult {
  const fn = 'phaseCrossCorrelation';
  const n = shapeSize(fn, shape, [2]);
  checkLength(fn, 'reference', reference, n, shape);
  checkLength(fn, 'moving', moving, n, shape);
  checkFinite(fn, 'reference', reference);
  checkFinite(fn, 'moving', moving);
  const f = checkOptions(fn, options).upsampleFactor ?? 50;
  if (!Number.isInteger(f) || f < 1 || f > MAX_UPSAMPLE) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: upsampleFactor must be an integer in 1..${MAX_UPSAMPLE}, got ${describe(f)}`,
    );
  }
  return { shift: pccShift(fn, reference, moving, shape[0], shape[1], f) };
}

/** The unchecked core of {@link phaseCrossCorrelation}. */
export function pccShift(
  fn: string,
  reference: NumericArray,
  moving: NumericArray,
  h: number,
  w: number,
  upsample: number,
): [number, number] {
  const { re, im } = crossPower(fn, reference, moving, h, w);
  const ccRe = Float64Array.from(re);
  const ccIm = Float64Array.from(im);
  fft2d(ccRe, ccIm, h, w, true);
  const peak = argmaxAbs(ccRe, ccIm);
  let dy = Math.floor(peak / w);
  let dx = peak % w;
  if (dy > Math.trunc(h / 2)) dy -= h;
  if (dx > Math.trunc(w / 2)) dx -= w;
  if (upsample > 1) {
    const region = Math.ceil(upsample * 1.5);
    const centre = Math.trunc(region / 2);
    const fine = upsampledCorrelation(re, im, h, w, upsample, region, [
      centre - dy * upsample,
      centre - dx * upsample,
    ]);
    const best = argmaxAbs(fine.re, fine.im);
    dy += (Math.floor(best / region) - centre) / upsample;
    dx += ((best % region) - centre) / upsample;
  }
  // A one-pixel axis carries no shift.
  return [h === 1 ? 0 : dy, w === 1 ? 0 : dx];
}

/** F·conj(G) / max(|F·conj(G)|, floor) of the two real images. */
function crossPower(
  fn: string,
  a: NumericArray,
  b: NumericArray,
  h: number,
  w: number,
): { re: Float64Array; im: Float64Array } {
  const n = h * w;
  const fr = Float64Array.from(a);
  const fi = new Float64Array(n);
  const gr = Float64Array.from(b);
  const gi = new Float64Array(n);
  fft2d(fr, fi, h, w);
  fft2d(gr, gi, h, w);
  for (let k = 0; k < n; k++) {
    const pr = fr[k] * gr[k] + fi[k] * gi[k];
    const pi = fi[k] * gr[k] - fr[k] * gi[k];
    const mag = Math.max(Math.hypot(pr, pi), PHASE_FLOOR);
    // Finite inputs near ±1e154 overflow the spectra; the NaN peak would silently read as shift 0.
    if (mag === Number.POSITIVE_INFINITY || Number.isNaN(mag)) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: the cross-power spectrum overflows float64 at frequency ${k}; rescale the images`,
      );
    }
    fr[k] = pr / mag;
    fi[k] = pi / mag;
  }
  return { re: fr, im: fi };
}

/** Index of the largest |z|, the first one on ties (numpy's argmax). */
function argmaxAbs(re: Float64Array, im: Float64Array): number {
  let best = 0;
  let bestV = -1;
  for (let k = 0; k < re.length; k++) {
    const v = re[k] * re[k] + im[k] * im[k];
    if (v > bestV) {
      bestV = v;
      best = k;
    }
  }
  return best;
}

/** numpy's `fftfreq(n, d)`. */
function fftfreq(n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  const half = Math.floor((n - 1) / 2) + 1;
  for (let k = 0; k < n; k++) out[k] = (k < half ? k : k - n) / (n * d);
  return out;
}

/**
 * The inverse DFT of the cross-power spectrum sampled on a `region`² grid with spacing 1/upsample px
 * (scikit-image's `_upsampled_dft` of the conjugate, conjugated back): separable, columns (x) first.
 */
function upsampledCorrelation(
  pRe: Float64Array,
  pIm: Float64Array,
  h: number,
  w: number,
  upsample: number,
  region: number,
  offsets: [number, number],
): { re: Float64Array; im: Float64Array } {
  const kernel = (n: number, offset: number): { re: Float64Array; im: Float64Array } => {
    const freq = fftfreq(n, upsample);
    const re = new Float64Array(region * n);
    const im = new Float64Array(region * n);
    for (let u = 0; u < region; u++) {
      for (let k = 0; k < n; k++) {
        const a = 2 * Math.PI * (u - offset) * freq[k];
        re[u * n + k] = Math.cos(a);
        im[u * n + k] = Math.sin(a);
      }
    }
    return { re, im };
  };
  const kx = kernel(w, offsets[1]);
  const ky = kernel(h, offsets[0]);
  // t[i][ux] = Σ_j P[i][j]·kx[ux][j]
  const tRe = new Float64Array(h * region);
  const tIm = new Float64Array(h * region);
  for (let i = 0; i < h; i++) {
    for (let u = 0; u < region; u++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < w; j++) {
        const ar = pRe[i * w + j];
        const ai = pIm[i * w + j];
        const br = kx.re[u * w + j];
        const bi = kx.im[u * w + j];
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      tRe[i * region + u] = sr;
      tIm[i * region + u] = si;
    }
  }
  const re = new Float64Array(region * region);
  const im = new Float64Array(region * region);
  for (let v = 0; v < region; v++) {
    for (let u = 0; u < region; u++) {
      let sr = 0;
      let si = 0;
      for (let i = 0; i < h; i++) {
        const ar = tRe[i * region + u];
        const ai = tIm[i * region + u];
        const br = ky.re[v * h + i];
        const bi = ky.im[v * h + i];
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      re[v * region + u] = sr;
      im[v * region + u] = si;
    }
  }
  return { re, im };
}

/** OpenCV's `cvRound` (round half to even). */
function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Translates a C×H×W image by `(tx, ty)` px the way OpenCV's `warpAffine` does with the matrix
 * `[[1, 0, tx], [0, 1, ty]]`, `INTER_LINEAR` and `BORDER_REPLICATE` (satalign's warp): output(y, x) samples
 * input(y − ty, x − tx) bilinearly, with the sub-pixel position quantised to 1/32 px as OpenCV does.
 */
export function warpTranslate(
  data: NumericArray,
  c: number,
  h: number,
  w: number,
  tx: number,
  ty: number,
): Float64Array {
  // OpenCV inverts the matrix, then works in 1/1024 px fixed point with a half-cell rounding offset of 16.
  const x0 = cvRound(-tx * 1024) + 16;
  const out = new Float64Array(c * h * w);
  const clampX = (v: number): number => (v < 0 ? 0 : v >= w ? w - 1 : v);
  const clampY = (v: number): number => (v < 0 ? 0 : v >= h ? h - 1 : v);
  for (let y = 0; y < h; y++) {
    const yq = (cvRound((y - ty) * 1024) + 16) >> 5;
    const sy = yq >> 5;
    const ay = (yq & 31) / 32;
    const r0 = clampY(sy) * w;
    const r1 = clampY(sy + 1) * w;
    for (let x = 0; x < w; x++) {
      const xq = (x0 + x * 1024) >> 5;
      const sx = xq >> 5;
      const ax = (xq & 31) / 32;
      const c0 = clampX(sx);
      const c1 = clampX(sx + 1);
      const w00 = (1 - ay) * (1 - ax);
      const w01 = (1 - ay) * ax;
      const w10 = ay * (1 - ax);
      const w11 = ay * ax;
      for (let k = 0; k < c; k++) {
        const p = k * h * w;
        out[p + y * w + x] =
          data[p + r0 + c0] * w00 +
          data[p + r0 + c1] * w01 +
          data[p + r1 + c0] * w10 +
          data[p + r1 + c1] * w11;
      }
    }
  }
  return out;
}
