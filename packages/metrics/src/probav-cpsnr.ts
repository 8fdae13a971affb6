import { MetricsError } from './errors.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  checkScore,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';

/** PROBA-V border crop in pixels (Kelvins: 384 → 378). */
export const PROBAV_BORDER = 3;

/**
 * Common PROBA-V input scalings. The images are 14-bit values stored in 16-bit PNGs:
 * `uint16` (65535) is what the widely used HighRes-net/embiggen scorer divides by (`np.iinfo(np.uint16).max`);
 * `uint14` (16383) maps the 14-bit range to [0, 1]. Since PSNR has no peak term, the two differ by a constant
 * `20·log10(65535/16383) ≈ 12.04 dB`.
 */
export const PROBAV_SCALE = Object.freeze({ uint16: 65535, uint14: 16383 } as const);

/** Options of {@link probavCpsnr}. */
export interface ProbavCpsnrOptions {
  /** HR clear-pixel mask, same H×W as HR; non-zero / `true` = clear. Default: every pixel clear. */
  mask?: ArrayLike<number | boolean> | null;
  /** Border crop `b` (default 3): SR is compared on its centre `(H−2b)×(W−2b)`. */
  border?: number;
  /**
   * `49` (default, Kelvins definition): u, v ∈ 0..2b, i.e. displacements −b..+b.
   * `36`: u, v ∈ 0..2b−1 (the `range(2*b)` variant found in some re-implementations; it never tries +b).
   */
  shifts?: 49 | 36;
  /** Divide SR and HR by this before scoring (see {@link PROBAV_SCALE}); default 1 (already in [0, 1]). */
  scale?: number;
  /** Baseline cPSNR of this image set; when given the result carries `score = baseline / cPSNR`. */
  baseline?: number;
}

/** Result of {@link probavCpsnr}. */
export interface ProbavCpsnrResult {
  /** max over shifts of −10·log10(cMSE) (`Infinity` for a perfect match up to a constant). */
  cpsnr: number;
  /** cMSE at the best shift. */
  cmse: number;
  /** Brightness bias b = mean over clear pixels of (HR − SR) at the best shift (in scaled units). */
  bias: number;
  /** Upper-left corner `[u, v]` of the best HR window (row, column). */
  shift: [number, number];
  /** `[u − b, v − b]`: SR[i] best matches HR[i + displacement]. */
  displacement: [number, number];
  /** cPSNR of every tried shift, row-major over (u, v); `NaN` where the window has no clear pixel. */
  cpsnrAllShifts: Float64Array;
  /** `baseline / cpsnr` when a baseline was given (lower is better; 1 = as good as the baseline). */
  score?: number;
}

/**
 * PROBA-V cPSNR (ESA Kelvins "PROBA-V Super Resolution" scoring): crop a `b`-px border off SR; for every HR
 * window `HR_{u,v}` of the same size (u, v ∈ 0..2b, 49 shifts for b = 3) compute over the clear pixels of the
 * matching mask window the bias `b = mean(HR − SR)`, `cMSE = mean((HR − (SR + b))²)` and
 * `cPSNR = −10·log10(cMSE)`; the score is the maximum over shifts. Windows with no clear pixel are skipped.
 *
 * @param sr - super-resolved image, H×W.
 * @param hr - ground truth, H×W.
 * @param shape - `[H, W]` (any size > 2b; 384×384 in the challenge).
 * @param options - `mask`, `border`, `shifts` (49 | 36), `scale`, `baseline`.
 * @returns the best cPSNR with its shift, bias and cMSE.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `IMAGE_TOO_SMALL`,
 *   `INVALID_OPTION`, `EMPTY_MASK` (no window has a clear pixel).
 * @example
 * ```ts
 * const { cpsnr, score } = probavCpsnr(sr, hr, [384, 384], { mask, scale: PROBAV_SCALE.uint16, baseline: 45.2 });
 * ```
 */
export function probavCpsnr(
  sr: NumericArray,
  hr: NumericArray,
  shape: readonly [number, number] | readonly number[],
  options: ProbavCpsnrOptions = {},
): ProbavCpsnrResult {
  const fn = 'probavCpsnr';
  const n = shapeSize(fn, shape, [2]);
  const [h, w] = shape;
  checkLength(fn, 'sr', sr, n, shape);
  checkLength(fn, 'hr', hr, n, shape);
  options = checkOptions(fn, options);
  const border = options.border ?? PROBAV_BORDER;
  if (!Number.isInteger(border) || border < 0) {
    throw new MetricsError('INVALID_OPTION', `${fn}: border must be an integer ≥ 0, got ${describe(border)}`);
  }
  const shiftCount = options.shifts ?? 49;
  if (shiftCount !== 49 && shiftCount !== 36) {
    throw new MetricsError('INVALID_OPTION', `${fn}: shifts must be 49 or 36, got ${describe(shiftCount)}`);
  }
  // the 36-shift variant tries u, v ∈ 0..2b−1: nothing at all without a border
  if (shiftCount === 36 && border === 0) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: shifts 36 tries offsets 0..2·border−1, none with border 0; use shifts 49 (the unshifted window) or a border ≥ 1`,
    );
  }
  const scale = options.scale ?? 1;
  if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: scale must be a finite number > 0, got ${describe(scale)}`,
    );
  }
  if (options.baseline !== undefined && !Number.isFinite(options.baseline)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: baseline must be a finite cPSNR in dB, got ${describe(options.baseline)}`,
    );
  }
  const sh = h - 2 * border;
  const sw = w - 2 * border;
  if (sh < 1 || sw < 1) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: a ${h}×${w} image leaves nothing after a ${border}-px border crop`,
    );
  }
  checkFinite(fn, 'sr', sr);
  checkFinite(fn, 'hr', hr);
  const mask = checkMask(fn, 'mask', options.mask ?? null, n, `${h}×${w}`);
  // 36-shift variant: the upper end (u or v = 2b) is missing.
  const steps = shiftCount === 49 ? 2 * border + 1 : 2 * border;
  const all = new Float64Array(steps * steps).fill(Number.NaN);
  const inv = 1 / scale;
  let best = -1;
  let bestCmse = 0;
  let bestBias = 0;
  for (let u = 0; u < steps; u++) {
    for (let v = 0; v < steps; v++) {
      // Pass 1: clear count and bias.
      let count = 0;
      let sum = 0;
      for (let i = 0; i < sh; i++) {
        const hrRow = (i + u) * w + v;
        const srRow = (i + border) * w + border;
        for (let j = 0; j < sw; j++) {
          if (mask !== null && !mask[hrRow + j]) continue;
          count++;
          sum += (hr[hrRow + j] - sr[srRow + j]) * inv;
        }
      }
      if (count === 0) continue;
      const bias = sum / count;
      // Pass 2: cMSE around the bias (two-pass for accuracy).
      let sq = 0;
      for (let i = 0; i < sh; i++) {
        const hrRow = (i + u) * w + v;
        const srRow = (i + border) * w + border;
        for (let j = 0; j < sw; j++) {
          if (mask !== null && !mask[hrRow + j]) continue;
          const d = (hr[hrRow + j] - sr[srRow + j]) * inv - bias;
          sq += d * d;
        }
      }
      const cmse = checkScore(fn, `cMSE at shift [${u}, ${v}]`, sq / count);
      const k = u * steps + v;
      all[k] = -10 * Math.log10(cmse);
      if (best < 0 || all[k] > all[best]) {
        best = k;
        bestCmse = cmse;
        bestBias = bias;
      }
    }
  }
  if (best < 0) {
    throw new MetricsError(
      'EMPTY_MASK',
      `${fn}: the clear mask has no clear pixel in any of the ${steps * steps} shifted ${sh}×${sw} windows; this image cannot be scored`,
    );
  }
  const u = Math.floor(best / steps);
  const v = best % steps;
  const result: ProbavCpsnrResult = {
    cpsnr: all[best],
    cmse: bestCmse,
    bias: bestBias,
    shift: [u, v],
    displacement: [u - border, v - border],
    cpsnrAllShifts: all,
  };
  if (options.baseline !== undefined) result.score = probavScore(result.cpsnr, options.baseline);
  return result;
}

/**
 * Checks a clear mask: an array-like of numbers or booleans with one entry per pixel. A string is refused
 * (its `'0'` characters would read as clear), and so are entries of other types.
 */
function checkMask(
  fn: string,
  name: string,
  mask: unknown,
  n: number,
  size: string,
): ArrayLike<number | boolean> | null {
  if (mask === null) return null;
  const length = typeof mask === 'object' ? (mask as ArrayLike<unknown>).length : undefined;
  if (typeof length !== 'number' || length !== n) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: ${name} has ${describe(length)} elements but the images have ${n} (${size}); pass the HR clear mask`,
    );
  }
  const m = mask as ArrayLike<unknown>;
  if (!ArrayBuffer.isView(m)) {
    for (let i = 0; i < n; i++) {
      if (typeof m[i] !== 'number' && typeof m[i] !== 'boolean') {
        throw new MetricsError(
          'INVALID_OPTION',
          `${fn}: ${name}[${i}] is ${describe(m[i])}; clear masks hold numbers or booleans`,
        );
      }
    }
  }
  return m as ArrayLike<number | boolean>;
}

/**
 * Kelvins normalised score of one image set: `baseline / cPSNR` (the challenge ranks by the mean of these;
 * lower is better, < 1 beats the baseline).
 *
 * @param cpsnr - the image set's cPSNR (dB).
 * @param baseline - the baseline cPSNR of the same image set (dB).
 * @returns `baseline / cpsnr` (0 for an infinite cPSNR).
 * @throws {@link MetricsError} `INVALID_OPTION` for a non-finite baseline or a non-positive cPSNR.
 * @example
 * ```ts
 * probavScore(50, 45); // 0.9
 * ```
 */
export function probavScore(cpsnr: number, baseline: number): number {
  if (!Number.isFinite(baseline)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `probavScore: baseline must be finite, got ${describe(baseline)}`,
    );
  }
  if (typeof cpsnr !== 'number' || !(cpsnr > 0)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `probavScore: cPSNR must be a number > 0 dB to normalise, got ${describe(cpsnr)}`,
    );
  }
  return baseline / cpsnr;
}

/** Options of {@link probavCpsnrBatch}: per-image masks and baselines. */
export interface ProbavCpsnrBatchOptions extends Omit<ProbavCpsnrOptions, 'mask' | 'baseline'> {
  /** B×H×W clear masks (non-zero = clear). */
  masks?: ArrayLike<number | boolean> | null;
  /** One baseline cPSNR per image set. */
  baselines?: ArrayLike<number>;
}

/**
 * {@link probavCpsnr} over a batch, plus the challenge aggregates: the mean cPSNR and (with `baselines`) the mean
 * normalised score, i.e. the Kelvins leaderboard value.
 *
 * @param sr - B×H×W super-resolved images.
 * @param hr - B×H×W ground truths.
 * @param shape - `[B, H, W]`.
 * @param options - `masks`, `baselines`, and the {@link ProbavCpsnrOptions} shared by all images.
 * @returns per-image results, `meanCpsnr` and `meanScore` (when baselines were given).
 * @throws {@link MetricsError} as {@link probavCpsnr}; `SHAPE_MISMATCH` when masks/baselines do not match B.
 * @example
 * ```ts
 * const { meanScore } = probavCpsnrBatch(srs, hrs, [n, 384, 384], { masks, baselines, scale: 65535 });
 * ```
 */
export function probavCpsnrBatch(
  sr: NumericArray,
  hr: NumericArray,
  shape: readonly number[],
  options: ProbavCpsnrBatchOptions = {},
): { samples: ProbavCpsnrResult[]; meanCpsnr: number; meanScore?: number } {
  const fn = 'probavCpsnrBatch';
  const n = shapeSize(fn, shape, [3]);
  const [b, h, w] = shape;
  checkLength(fn, 'sr', sr, n, shape);
  checkLength(fn, 'hr', hr, n, shape);
  const { masks, baselines, ...common } = checkOptions(fn, options);
  checkMask(fn, 'masks', masks ?? null, n, 'B×H×W');
  const baselineCount = baselines != null && typeof baselines === 'object' ? baselines.length : undefined;
  if (baselines != null && baselineCount !== b) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: ${describe(baselineCount)} baselines for ${b} images; pass one per image`,
    );
  }
  const size = h * w;
  // One sample's slice; `Array.prototype.slice` on the array-like copies that sample only (no full copy per sample).
  const view = (a: ArrayLike<any>, s: number): ArrayLike<any> =>
    ArrayBuffer.isView(a)
      ? (a as unknown as Float32Array).subarray(s * size, (s + 1) * size)
      : Array.prototype.slice.call(a, s * size, (s + 1) * size);
  const samples: ProbavCpsnrResult[] = [];
  let cpsnrSum = 0;
  let scoreSum = 0;
  for (let s = 0; s < b; s++) {
    const r = probavCpsnr(view(sr, s), view(hr, s), [h, w], {
      ...common,
      mask: masks != null ? view(masks, s) : null,
      baseline: baselines != null ? baselines[s] : undefined,
    });
    samples.push(r);
    cpsnrSum += r.cpsnr;
    if (r.score !== undefined) scoreSum += r.score;
  }
  const out: { samples: ProbavCpsnrResult[]; meanCpsnr: number; meanScore?: number } = {
    samples,
    meanCpsnr: cpsnrSum / b,
  };
  if (baselines != null) out.meanScore = scoreSum / b;
  return out;
}
