import { biasAdjustPlanes } from './bias-adjust.js';
import {
  LANCZOS_SHIFT_COUNT,
  LANCZOS_TAPS,
  type RegistrationMode,
  WORLDSTRAT_CROP_OFFSET,
  WORLDSTRAT_LOSS_WEIGHTS,
} from './constants.js';
import { MetricsError } from './errors.js';
import { searchShifts } from './internal/shift-search.js';
import { ssimPlaneSums } from './internal/ssim-plane.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  checkScore,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';
import { type LanczosVariant, lanczosKernels1d, shiftOfIndex } from './lanczos-kernels.js';
import { psnrFromMse } from './plain-metrics.js';
import { ssimParams } from './ssim.js';

/** Progress of a batch scoring call. */
export interface MetricsProgress {
  stage: 'score';
  done: number;
  total: number;
}

/** Options of {@link registeredMetrics}. */
export interface RegisteredMetricsOptions {
  /**
   * `'centered'` (default): the corrected search, displacements −2..+2 px around zero (prediction crop offset 5,
   * textbook Lanczos-3 kernels), a perfect prediction scores cMSE 0 / cSSIM 1.
   * `'worldstrat'`: upstream `LitModel.loss` to the bit, including bug B1 (crop offset 2, displacements +1..+5).
   */
  mode?: RegistrationMode;
  /** Override the kernel definition; default `'upstream'` in `'worldstrat'` mode, `'lanczos3'` in `'centered'`. */
  kernel?: LanczosVariant;
  /** Loss weights; default {@link WORLDSTRAT_LOSS_WEIGHTS} (0.3 MSE + 0.4 MAE + 0.3 SSIM loss). */
  weights?: { mse: number; mae: number; ssim: number };
  /** Also return `mseAllShifts`, `adjustedPrediction` and `alignedTarget` per sample. */
  details?: boolean;
  /** Checked between samples. */
  signal?: AbortSignal;
  /** Called after every sample. */
  onProgress?: (progress: MetricsProgress) => void;
}

/** Registered metrics of one sample (one chip). */
export interface RegisteredSampleMetrics {
  /** cMSE: min over the 81 shifts of the mean squared error (over C, H, W), first index on ties. */
  mse: number;
  /** cMAE on the MSE-optimal shift. */
  mae: number;
  /** kornia SSIM loss `mean(clamp((1 − SSIM)/2, 0, 1))` on the MSE-optimal shift. */
  ssimLoss: number;
  /** cPSNR = −10·log10(cMSE) (data range 1); `Infinity` for cMSE 0. */
  psnr: number;
  /** cSSIM = 1 − 2·ssimLoss. */
  cssim: number;
  /** Weighted loss `w.mse·mse + w.mae·mae + w.ssim·ssimLoss`. */
  loss: number;
  /** Chosen kernel index `iy*9 + ix`. */
  shiftIndex: number;
  /** Kernel shift `[s_y, s_x]` in px (−2..2, step 0.5). */
  shift: [number, number];
  /**
   * Effective displacement `[d_y, d_x]` of the prediction relative to the target: `ŷ[i] ≈ y[i + d]`, with
   * `d = 5 + s − cropOffset` (`3 + s` in `'worldstrat'` mode, `s` in `'centered'` mode).
   */
  displacement: [number, number];
  /**
   * With `details`: MSE of every kernel (81). Exact for the chosen kernel and its near-ties; the others come from
   * the expanded search (absolute error ≲ 1e-12 × the mean signal power).
   */
  mseAllShifts?: Float64Array;
  /** With `details`: the bias-adjusted prediction, C×H×W. */
  adjustedPrediction?: Float32Array;
  /** With `details`: the shifted target at `shiftIndex`, C×(H−10)×(W−10). */
  alignedTarget?: Float32Array;
}

/** Means over samples returned by {@link meanRegisteredMetrics}. */
export interface RegisteredMetricsMean {
  mse: number;
  mae: number;
  ssimLoss: number;
  /** Mean of the per-chip cPSNR (upstream's logged `PSNR`), not the PSNR of the mean cMSE. */
  psnr: number;
  cssim: number;
  loss: number;
  /** Number of samples averaged. */
  count: number;
}

function resolveShape(fn: string, shape: readonly number[]): [number, number, number, number] {
  shapeSize(fn, shape, [3, 4]);
  return shape.length === 3 ? [1, shape[0], shape[1], shape[2]] : [shape[0], shape[1], shape[2], shape[3]];
}

/**
 * Shift-registered WorldStrat metrics per sample: per-sample per-channel bias
 * adjustment of the prediction over the full chip; the 81 Lanczos kernels (±2 px, step 0.5, 11 taps); valid
 * correlation of the target with each (H → H−10); the prediction cropped at the mode's offset; cMSE = min over
 * the 81 shifts (shared by all channels, first on ties); cMAE and the SSIM loss on that shift; cPSNR, cSSIM and
 * the weighted loss. The search is separable and never stores the 81 shifted targets (see the package README);
 * float64 throughout.
 *
 * @param prediction - `ŷ`, BCHW float values (e.g. 2×3×156×156).
 * @param target - `y`, same shape.
 * @param shape - `[B, C, H, W]` (or `[C, H, W]` for one sample); H, W ≥ 13.
 * @param options - `mode` (default `'centered'`), `kernel`, `weights`, `details`, `signal`, `onProgress`.
 * @returns one {@link RegisteredSampleMetrics} per sample.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `IMAGE_TOO_SMALL`,
 *   `INVALID_OPTION`; the signal's reason when aborted.
 * @example
 * ```ts
 * const [s0] = registeredMetrics(pred, target, [1, 3, 156, 156], { mode: 'worldstrat' });
 * console.log(s0.psnr, s0.cssim, s0.shift);
 * ```
 */
export function registeredMetrics(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: RegisteredMetricsOptions = {},
): RegisteredSampleMetrics[] {
  const fn = 'registeredMetrics';
  const [b, c, h, w] = resolveShape(fn, shape);
  const n = b * c * h * w;
  checkLength(fn, 'prediction', prediction, n, shape);
  checkLength(fn, 'target', target, n, shape);
  const opts = checkOptions(fn, options);
  const mode = opts.mode ?? 'centered';
  if (mode !== 'worldstrat' && mode !== 'centered') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: mode must be 'worldstrat' or 'centered', got ${describe(mode)}`,
    );
  }
  const minSize = LANCZOS_TAPS + 2;
  if (h < minSize || w < minSize) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: a ${h}×${w} image is smaller than the ${LANCZOS_TAPS}-tap kernel support plus the SSIM padding; need H, W ≥ ${minSize}`,
    );
  }
  const weights = checkWeights(fn, opts.weights);
  const kernel = opts.kernel ?? (mode === 'worldstrat' ? 'upstream' : 'lanczos3');
  if (kernel !== 'upstream' && kernel !== 'lanczos3') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: kernel must be 'upstream' or 'lanczos3', got ${describe(kernel)}`,
    );
  }
  const { signal, onProgress } = checkCallbacks(fn, opts);
  checkFinite(fn, 'prediction', prediction);
  checkFinite(fn, 'target', target);
  const { kernels } = lanczosKernels1d({ variant: kernel });
  const offset = WORLDSTRAT_CROP_OFFSET[mode];
  const params = ssimParams(fn);
  const nk = LANCZOS_SHIFT_COUNT;
  const ho = h - LANCZOS_TAPS + 1;
  const wo = w - LANCZOS_TAPS + 1;
  const sampleSize = c * h * w;
  const cropCount = c * ho * wo;
  const centre = (LANCZOS_TAPS - 1) / 2;
  const adjusted = new Float64Array(sampleSize);
  const tgt = new Float64Array(sampleSize);
  const results: RegisteredSampleMetrics[] = [];
  for (let s = 0; s < b; s++) {
    signal?.throwIfAborted();
    const start = s * sampleSize;
    biasAdjustPlanes(prediction, target, start, c, h * w, adjusted, 0);
    for (let k = 0; k < sampleSize; k++) tgt[k] = target[start + k];
    const search = searchShifts(adjusted, tgt, c, h, w, offset, kernels, nk);
    const { aligned, best } = search;
    // Finite inputs near ±1e154 overflow the squared errors; no shift can then be chosen.
    if (best < 0) checkScore(fn, `cMSE of sample ${s}`, Number.NaN);
    const cmse = checkScore(fn, `cMSE of sample ${s}`, search.mseAll[best]);
    let absSum = 0;
    let lossSum = 0;
    for (let ch = 0; ch < c; ch++) {
      const pOff = ch * h * w + offset * w + offset;
      const aOff = ch * ho * wo;
      for (let i = 0; i < ho; i++) {
        const pr = pOff + i * w;
        const ar = aOff + i * wo;
        for (let j = 0; j < wo; j++) absSum += Math.abs(adjusted[pr + j] - aligned[ar + j]);
      }
      lossSum += ssimPlaneSums(adjusted, pOff, w, aligned, aOff, wo, ho, wo, params).lossSum;
    }
    const cmae = checkScore(fn, `cMAE of sample ${s}`, absSum / cropCount);
    const sl = checkScore(fn, `SSIM loss of sample ${s}`, lossSum / cropCount);
    const shift = shiftOfIndex(best);
    const result: RegisteredSampleMetrics = {
      mse: cmse,
      mae: cmae,
      ssimLoss: sl,
      psnr: psnrFromMse(cmse),
      cssim: 1 - 2 * sl,
      loss: weights.mse * cmse + weights.mae * cmae + weights.ssim * sl,
      shiftIndex: best,
      shift,
      displacement: [centre + shift[0] - offset, centre + shift[1] - offset],
    };
    if (opts.details) {
      result.mseAllShifts = search.mseAll;
      result.adjustedPrediction = Float32Array.from(adjusted);
      result.alignedTarget = Float32Array.from(aligned);
    }
    results.push(result);
    onProgress?.({ stage: 'score', done: s + 1, total: b });
  }
  return results;
}

function checkWeights(fn: string, value: unknown): { mse: number; mae: number; ssim: number } {
  if (value == null) return WORLDSTRAT_LOSS_WEIGHTS;
  if (value === null || typeof value !== 'object') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: weights must be { mse, mae, ssim }, got ${describe(value)}`,
    );
  }
  // A snapshot: the loss is computed from the very values checked here (a getter could change them).
  const weights = checkOptions(fn, value as Record<string, unknown>, 'weights');
  for (const key of ['mse', 'mae', 'ssim'] as const) {
    if (typeof weights[key] !== 'number' || !Number.isFinite(weights[key])) {
      throw new MetricsError(
        'INVALID_OPTION',
        `${fn}: weights.${key} must be a finite number, got ${describe(weights[key])}`,
      );
    }
  }
  return { mse: weights.mse as number, mae: weights.mae as number, ssim: weights.ssim as number };
}

function checkCallbacks(
  fn: string,
  o: RegisteredMetricsOptions,
): { signal?: AbortSignal; onProgress?: (progress: MetricsProgress) => void } {
  if (o.signal != null && typeof o.signal.throwIfAborted !== 'function') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: signal must be an AbortSignal, got ${describe(o.signal)}`,
    );
  }
  if (o.onProgress != null && typeof o.onProgress !== 'function') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: onProgress must be a function, got ${describe(o.onProgress)}`,
    );
  }
  return { signal: o.signal ?? undefined, onProgress: o.onProgress ?? undefined };
}

/**
 * Mean of per-sample registered metrics, as upstream logs them (Lightning's batch-size-weighted epoch mean):
 * `psnr` is the mean of per-chip cPSNR, not `−10·log10(mean cMSE)`.
 *
 * @param samples - per-sample results (from one or several {@link registeredMetrics} calls).
 * @returns the means and the sample count.
 * @throws {@link MetricsError} `INVALID_SHAPE` for an empty list; `NON_FINITE_INPUT` when a cPSNR is infinite
 *   (a perfect chip makes the mean meaningless; report it separately) or a mean is not representable in float64
 *   (finite values whose sum overflows are still averaged exactly enough: Σ(v/n)).
 * @example
 * ```ts
 * const mean = meanRegisteredMetrics(registeredMetrics(pred, target, [8, 3, 156, 156]));
 * ```
 */
export function meanRegisteredMetrics(samples: readonly RegisteredSampleMetrics[]): RegisteredMetricsMean {
  const fn = 'meanRegisteredMetrics';
  if (!Array.isArray(samples)) {
    throw new MetricsError('INVALID_SHAPE', `${fn}: samples must be an array, got ${describe(samples)}`);
  }
  if (samples.length === 0) {
    throw new MetricsError('INVALID_SHAPE', `${fn}: no samples to average; pass at least one`);
  }
  for (const [i, s] of samples.entries()) {
    checkSampleMetrics(fn, s, i);
    if (!Number.isFinite(s.psnr)) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: sample ${i} has cPSNR ${s.psnr} (cMSE ${s.mse}); the mean of per-chip cPSNR is undefined, exclude or cap it`,
      );
    }
  }
  const mean = { mse: 0, mae: 0, ssimLoss: 0, psnr: 0, cssim: 0, loss: 0, count: samples.length };
  for (const key of MEAN_KEYS) mean[key] = fieldMean(fn, samples, key);
  return mean;
}

const MEAN_KEYS = ['mse', 'mae', 'ssimLoss', 'psnr', 'cssim', 'loss'] as const;

/**
 * Mean of one finite field: Σ/n as upstream (bit-identical in the usual case). When Σ overflows, the terms
 * are scaled by a power of two ≤ 1/(2n) first (exact), so no partial sum can overflow and the mean of finite
 * values (always ≤ the largest |v|) is still returned.
 * @throws {@link MetricsError} `NON_FINITE_INPUT` naming the field if rounding still pushes it past float64.
 */
function fieldMean(
  fn: string,
  samples: readonly RegisteredSampleMetrics[],
  key: (typeof MEAN_KEYS)[number],
): number {
  const n = samples.length;
  let sum = 0;
  for (const s of samples) sum += s[key];
  if (Number.isFinite(sum)) return sum / n;
  const scale = 2 ** -(Math.ceil(Math.log2(n)) + 1);
  let scaled = 0;
  for (const s of samples) scaled += s[key] * scale;
  return checkScore(fn, `mean ${key}`, scaled / n / scale);
}

/**
 * Samples often come back from JSON files: every averaged member must be a number (a string would be
 * concatenated, `null` counted as 0); only cPSNR may be ±Infinity, reported by the caller's own check.
 */
function checkSampleMetrics(fn: string, s: unknown, i: number): void {
  if (s === null || typeof s !== 'object') {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: samples[${i}] must be a metrics object, got ${describe(s)}`,
    );
  }
  const sample = s as Record<string, unknown>;
  for (const key of ['mse', 'mae', 'ssimLoss', 'psnr', 'cssim', 'loss'] as const) {
    const v = sample[key];
    const ok = typeof v === 'number' && (Number.isFinite(v) || (key === 'psnr' && !Number.isNaN(v)));
    if (!ok) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: samples[${i}].${key} must be a finite number, got ${describe(v)}`,
      );
    }
  }
}
