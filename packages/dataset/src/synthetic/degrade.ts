// The physical degradation that turns a synthetic HR scene into Sentinel-2-like LR revisits.
//
// Per revisit r and band b (all distances in metres):
//   1. PSF: a Gaussian with σ_psf = 0.45 × the band's native resolution (10, 20 or 60 m: FWHM ≈ 1.06 × native),
//      convolved with the 10 m detector footprint (a box, approximated by a Gaussian of variance 10²/12), so
//      σ² = σ_psf² + 10²/12;
//   2. sampling on the 10 m LR grid, displaced by a sub-pixel shift (s_x, s_y) drawn per revisit;
//   3. gain/offset drift per revisit and band: v ← g·v + o;
//   4. clouds: an fBm cloud field α ∈ [0,1] blended toward a flat cloud spectrum, with a darkened, displaced
//      shadow; the CLM mask marks α > 0.5;
//   5. additive Gaussian sensor noise.
// To keep it fast the HR band is first box-averaged by d = ⌊σ / (1.2 px)⌋ (shared by all revisits) and the
// Gaussian applied on that grid with the remaining variance σ² − (d²−1)px²/12.
import { DatasetError } from '../errors.js';
import {
  checkInteger,
  checkOptions,
  checkRevisitParams,
  checkScene,
  checkSynthRng,
} from '../internal/check-arguments.js';
import { fbm, quantile } from './noise.js';
import { type SynthRng, uniform } from './rng.js';
import type { SyntheticScene } from './scene.js';
import { sceneBand } from './scene.js';
import { CLOUD_SPECTRUM, S2_L2A_NATIVE_RESOLUTION_M } from './spectra.js';

/** Everything random about one revisit; stored in its `.metadata` file. */
export interface RevisitParams {
  /** Sub-pixel displacement of the LR grid, in LR pixels: [s_y, s_x]. */
  shiftPx: [number, number];
  /** Multiplicative drift per band (12). */
  gain: number[];
  /** Additive drift per band (12), reflectance units. */
  offset: number[];
  /** Standard deviation of the additive noise (reflectance). */
  noiseSigma: number;
  /** Requested cloud fraction in [0, 1) (0 = clear). */
  cloudTarget: number;
  /** Days between this revisit and the HR acquisition (signed). */
  deltaDays: number;
}

/** Most revisits {@link drawRevisitParams} draws in one call (the release has 8 to 16 per AOI). */
const MAX_REVISITS = 1 << 20;

/** Largest LR side {@link degradeScene} makes. */
const MAX_LR_SIZE = 16_384;

/** Options of {@link drawRevisitParams}. */
export interface DrawRevisitOptions {
  /** Largest |shift| in LR pixels. Default 0.5. */
  maxShiftPx?: number;
  /** Probability that a revisit has clouds. Default 0.4. */
  cloudProbability?: number;
  /** Noise σ in reflectance. Default 0.004. */
  noiseSigma?: number;
  /** Standard deviation of the gain drift. Default 0.03. */
  gainSigma?: number;
  /** Standard deviation of the offset drift. Default 0.005. */
  offsetSigma?: number;
}

/** Defaults of {@link drawRevisitParams}. */
export const DEFAULT_REVISIT_DRAW = {
  maxShiftPx: 0.5,
  cloudProbability: 0.4,
  noiseSigma: 0.004,
  gainSigma: 0.03,
  offsetSigma: 0.005,
} as const satisfies DrawRevisitOptions;

/**
 * Draw the random parameters of `count` revisits.
 *
 * @param rng - seeded random source.
 * @param count - number of revisits.
 * @param options - shift range, cloud probability, noise and drift sizes.
 * @returns one parameter set per revisit (unranked).
 * @example
 * ```ts
 * const params = drawRevisitParams(createRng(3), 16);
 * ```
 */
export function drawRevisitParams(
  rng: SynthRng,
  count: number,
  options: DrawRevisitOptions = {},
): RevisitParams[] {
  checkSynthRng('drawRevisitParams', 'rng', rng);
  checkInteger('drawRevisitParams', 'count', count, 0, MAX_REVISITS);
  // null spreads to nothing: the defaults, as before
  if (options !== null) checkOptions('drawRevisitParams', options);
  const o = { ...DEFAULT_REVISIT_DRAW, ...options };
  const out: RevisitParams[] = [];
  for (let r = 0; r < count; r++) {
    out.push({
      shiftPx: [uniform(rng, -o.maxShiftPx, o.maxShiftPx), uniform(rng, -o.maxShiftPx, o.maxShiftPx)],
      gain: Array.from({ length: 12 }, () => 1 + o.gainSigma * rng.normal()),
      offset: Array.from({ length: 12 }, () => o.offsetSigma * rng.normal()),
      noiseSigma: o.noiseSigma,
      cloudTarget: rng.next() < o.cloudProbability ? uniform(rng, 0.03, 0.7) : 0,
      deltaDays: rng.int(121) - 60,
    });
  }
  return out;
}

/** Options of {@link degradeScene}. */
export interface DegradeOptions {
  /** LR width/height in pixels. Default: round(scene extent / lrPixelM). */
  lrSize?: number;
  /** LR pixel size in metres. Default 10. */
  lrPixelM?: number;
}

/** One degraded revisit: 12 float32 reflectance bands plus the cloud mask. */
export interface DegradedRevisit {
  size: number;
  /** 12 bands, S2 L2A order. */
  bands: Float32Array[];
  /** CLM: 1 = cloud, 0 = clear. */
  clm: Uint8Array;
  /** Fraction of CLM pixels that are cloud. */
  cloudFraction: number;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

function gaussianTaps(centres: Float64Array, srcPos: Float64Array, sigma: number): Taps {
  const n = centres.length;
  const step = srcPos.length > 1 ? srcPos[1] - srcPos[0] : 1;
  const reach = 3 * sigma;
  const maxTaps = Math.ceil((2 * reach) / step) + 2;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Float32Array(n * maxTaps);
  for (let j = 0; j < n; j++) {
    const c = centres[j];
    let lo = Math.max(0, Math.ceil((c - reach - srcPos[0]) / step) - 1);
    let hi = Math.min(srcPos.length - 1, Math.floor((c + reach - srcPos[0]) / step) + 1);
    if (lo > hi) {
      // Centre outside the source: fall back to the nearest source sample.
      lo = hi = Math.min(srcPos.length - 1, Math.max(0, Math.round((c - srcPos[0]) / step)));
    }
    let sum = 0;
    let k = 0;
    for (let s = lo; s <= hi && k < maxTaps; s++, k++) {
      const d = srcPos[s] - c;
      const w = Math.exp((-0.5 * d * d) / (sigma * sigma));
      weights[j * maxTaps + k] = w;
      sum += w;
    }
    for (let t = 0; t < k; t++) weights[j * maxTaps + t] /= sum;
    start[j] = lo;
    count[j] = k;
  }
  return { start, count, weights, maxTaps };
}

interface CoarseBand {
  data: Float32Array;
  n: number;
  pos: Float64Array;
  sigma: number;
}

function boxDecimate(band: Float32Array, size: number, px: number, sigmaM: number): CoarseBand {
  const d = Math.max(1, Math.floor(sigmaM / (1.2 * px)));
  const n = Math.ceil(size / d);
  const pos = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const nk = Math.min(d, size - k * d);
    pos[k] = (k * d + nk / 2) * px;
  }
  const residual = Math.sqrt(Math.max(sigmaM * sigmaM - ((d * d - 1) / 12) * px * px, (0.3 * d * px) ** 2));
  if (d === 1) return { data: band, n, pos, sigma: residual };
  const data = new Float32Array(n * n);
  for (let r = 0; r < size; r++) {
    const kr = Math.floor(r / d);
    for (let c = 0; c < size; c++) data[kr * n + Math.floor(c / d)] += band[r * size + c];
  }
  for (let kr = 0; kr < n; kr++) {
    const nr = Math.min(d, size - kr * d);
    for (let kc = 0; kc < n; kc++) data[kr * n + kc] /= nr * Math.min(d, size - kc * d);
  }
  return { data, n, pos, sigma: residual };
}

function resampleSeparable(src: CoarseBand, tx: Taps, ty: Taps, out: Float32Array, lr: number): void {
  const n = src.n;
  const tmp = new Float32Array(n * lr);
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let j = 0; j < lr; j++) {
      let acc = 0;
      const s = tx.start[j] + row;
      const wb = j * tx.maxTaps;
      for (let t = 0, cnt = tx.count[j]; t < cnt; t++) acc += tx.weights[wb + t] * src.data[s + t];
      tmp[r * lr + j] = acc;
    }
  }
  for (let i = 0; i < lr; i++) {
    const s = ty.start[i];
    const wb = i * ty.maxTaps;
    const cnt = ty.count[i];
    for (let j = 0; j < lr; j++) {
      let acc = 0;
      for (let t = 0; t < cnt; t++) acc += ty.weights[wb + t] * tmp[(s + t) * lr + j];
      out[i * lr + j] = acc;
    }
  }
}

/**
 * Degrade a synthetic HR scene into LR revisits (see the file header for the exact model).
 *
 * @param scene - the HR scene.
 * @param params - one parameter set per revisit (from {@link drawRevisitParams}).
 * @param rng - seeded random source for clouds and noise.
 * @param options - LR size and pixel size.
 * @returns one degraded revisit per parameter set, in the same order.
 * @throws {DatasetError} `INVALID_ARGUMENT` when the LR grid is empty.
 * @example
 * ```ts
 * const revisits = degradeScene(scene, drawRevisitParams(rng, 8), rng);
 * ```
 */
export function degradeScene(
  scene: SyntheticScene,
  params: readonly RevisitParams[],
  rng: SynthRng,
  options?: DegradeOptions,
): DegradedRevisit[] {
  checkScene('degradeScene', 'scene', scene, true);
  checkRevisitParams('degradeScene', 'params', params);
  checkSynthRng('degradeScene', 'rng', rng);
  const o = checkOptions('degradeScene', options);
  const lrPixelM = o.lrPixelM ?? 10;
  const extent = scene.width * scene.pixelSizeM;
  const lr = o.lrSize ?? Math.round(extent / lrPixelM);
  if (!(lr >= 1) || !Number.isInteger(lr) || lr > MAX_LR_SIZE) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `degradeScene: LR size ${lr} (scene of ${extent} m, lrSize ${o.lrSize}, lrPixelM ${lrPixelM}): use an integer side in 1..${MAX_LR_SIZE}; the scene must hold at least one LR pixel`,
    );
  }
  const out: DegradedRevisit[] = params.map(() => ({
    size: lr,
    bands: [],
    clm: new Uint8Array(lr * lr),
    cloudFraction: 0,
  }));
  // Cloud fields (α) and shadows per revisit.
  const alphas: (Float32Array | null)[] = [];
  const shadows: (Float32Array | null)[] = [];
  for (let r = 0; r < params.length; r++) {
    const p = params[r];
    if (p.cloudTarget <= 0) {
      alphas.push(null);
      shadows.push(null);
      continue;
    }
    const field = fbm(lr, lr, rng, { cellPx: Math.max(2, 400 / lrPixelM), octaves: 4 });
    const t = quantile(field, 1 - p.cloudTarget);
    const alpha = new Float32Array(lr * lr);
    let cloudy = 0;
    for (let i = 0; i < alpha.length; i++) {
      const a = Math.min(1, Math.max(0, (field[i] - t) / 0.08 + 0.5));
      alpha[i] = a;
      if (a > 0.5) {
        out[r].clm[i] = 1;
        cloudy++;
      }
    }
    out[r].cloudFraction = cloudy / alpha.length;
    const sdx = 2 + rng.int(5);
    const sdy = 2 + rng.int(5);
    const shadow = new Float32Array(lr * lr).fill(1);
    for (let i = 0; i < lr; i++) {
      for (let j = 0; j < lr; j++) {
        const si = i - sdy;
        const sj = j - sdx;
        if (si < 0 || sj < 0) continue;
        shadow[i * lr + j] = 1 - 0.5 * alpha[si * lr + sj] * (1 - alpha[i * lr + j]);
      }
    }
    alphas.push(alpha);
    shadows.push(shadow);
  }
  const lrCentres = (shift: number) => {
    const c = new Float64Array(lr);
    for (let j = 0; j < lr; j++) c[j] = (j + 0.5 + shift) * lrPixelM;
    return c;
  };
  for (let b = 0; b < 12; b++) {
    const sigmaPsf = 0.45 * S2_L2A_NATIVE_RESOLUTION_M[b];
    const sigma = Math.sqrt(sigmaPsf * sigmaPsf + (lrPixelM * lrPixelM) / 12);
    const coarse = boxDecimate(sceneBand(scene, b), scene.width, scene.pixelSizeM, sigma);
    for (let r = 0; r < params.length; r++) {
      const p = params[r];
      const tx = gaussianTaps(lrCentres(p.shiftPx[1]), coarse.pos, coarse.sigma);
      const ty = gaussianTaps(lrCentres(p.shiftPx[0]), coarse.pos, coarse.sigma);
      const band = new Float32Array(lr * lr);
      resampleSeparable(coarse, tx, ty, band, lr);
      const g = p.gain[b];
      const o = p.offset[b];
      const alpha = alphas[r];
      const shadow = shadows[r];
      const cloud = CLOUD_SPECTRUM[b];
      for (let i = 0; i < band.length; i++) {
        let v = g * band[i] + o;
        if (alpha && shadow) v = (1 - alpha[i]) * v * shadow[i] + alpha[i] * cloud;
        band[i] = p.noiseSigma > 0 ? v + p.noiseSigma * rng.normal() : v;
      }
      out[r].bands.push(band);
    }
  }
  return out;
}
