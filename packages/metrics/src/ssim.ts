import { SSIM_C1, SSIM_C2, SSIM_EPS, SSIM_SIGMA, SSIM_WINDOW } from './constants.js';
import { MetricsError } from './errors.js';
import { gaussian1d, type SsimParams, ssimPlaneSums } from './internal/ssim-plane.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  checkScore,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';

/** Options of {@link ssim} and {@link ssimLoss} (defaults = kornia 0.6.3 as WorldStrat calls it). */
export interface SsimOptions {
  /** Odd Gaussian window size, at most 1023; default 5. */
  windowSize?: number;
  /** Gaussian σ; default 1.5. */
  sigma?: number;
  /** Data range (kornia `max_val`): C1 = (0.01·L)², C2 = (0.03·L)²; default 1. */
  dataRange?: number;
}

/**
 * The normalised 1-D SSIM Gaussian (kornia `get_gaussian_kernel1d(5, 1.5)`); the 2-D window is its outer
 * product: `[0.12008, 0.23388, 0.29208, 0.23388, 0.12008]` for the defaults.
 *
 * @param windowSize - window size (default 5).
 * @param sigma - standard deviation (default 1.5).
 * @returns a new `Float32Array(windowSize)` summing to 1.
 * @throws {@link MetricsError} `INVALID_OPTION` for a size that is not an odd integer in 1..1023, or a σ ≤ 0.
 * @example
 * ```ts
 * ssimGaussian1d()[2]; // ≈ 0.29208
 * ```
 */
export function ssimGaussian1d(windowSize: number = SSIM_WINDOW, sigma: number = SSIM_SIGMA): Float32Array {
  checkWindow('ssimGaussian1d', windowSize, sigma);
  return Float32Array.from(gaussian1d(windowSize, sigma));
}

// Far beyond any SSIM window in use; keeps a hostile size from allocating gigabytes of Gaussian taps.
const MAX_SSIM_WINDOW = 1023;

function checkWindow(fn: string, windowSize: number, sigma: number): void {
  if (
    !Number.isInteger(windowSize) ||
    windowSize < 1 ||
    windowSize > MAX_SSIM_WINDOW ||
    windowSize % 2 === 0
  ) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: windowSize must be an odd integer in 1..${MAX_SSIM_WINDOW}, got ${describe(windowSize)}`,
    );
  }
  // σ > 0 first (σ² alone would accept −σ); σ² must not underflow to 0 either: the centre tap would be
  // exp(−0/0) = NaN.
  if (typeof sigma !== 'number' || !(sigma > 0) || !(sigma * sigma > 0) || !Number.isFinite(sigma)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: sigma must be a finite number > 0, got ${describe(sigma)}`,
    );
  }
}

/** Builds validated SSIM parameters (internal, shared with the registered metrics). */
export function ssimParams(fn: string, options?: SsimOptions): SsimParams {
  const { windowSize = SSIM_WINDOW, sigma = SSIM_SIGMA, dataRange: range = 1 } = checkOptions(fn, options);
  checkWindow(fn, windowSize, sigma);
  if (typeof range !== 'number' || !(range > 0) || !Number.isFinite(range)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: dataRange must be a finite number > 0, got ${describe(range)}`,
    );
  }
  const isDefault = range === 1;
  return {
    gauss: gaussian1d(windowSize, sigma),
    c1: isDefault ? SSIM_C1 : (0.01 * range) ** 2,
    c2: isDefault ? SSIM_C2 : (0.03 * range) ** 2,
    eps: SSIM_EPS,
  };
}

function ssimSums(
  fn: string,
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: SsimOptions,
): { ssimSum: number; lossSum: number; count: number } {
  const n = shapeSize(fn, shape, [2, 3, 4]);
  checkLength(fn, 'prediction', prediction, n, shape);
  checkLength(fn, 'target', target, n, shape);
  checkFinite(fn, 'prediction', prediction);
  checkFinite(fn, 'target', target);
  const params = ssimParams(fn, options);
  const h = shape[shape.length - 2];
  const w = shape[shape.length - 1];
  const pad = Math.floor(params.gauss.length / 2);
  if (h <= pad || w <= pad) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: a ${h}×${w} image is too small for reflect padding of ${pad} px; need height and width > ${pad}`,
    );
  }
  const planes = n / (h * w);
  let ssimSum = 0;
  let lossSum = 0;
  for (let p = 0; p < planes; p++) {
    const off = p * h * w;
    const r = ssimPlaneSums(prediction, off, w, target, off, w, h, w, params);
    ssimSum += r.ssimSum;
    lossSum += r.lossSum;
  }
  return { ssimSum, lossSum, count: n };
}

/**
 * Mean SSIM over all planes and pixels (kornia 0.6.3 `ssim`: Gaussian window, reflect padding, same-size map,
 * `num / (den + 1e-12)`), computed per channel plane.
 *
 * @param prediction - CHW / BCHW / HW values.
 * @param target - same shape.
 * @param shape - `[H, W]`, `[C, H, W]` or `[B, C, H, W]`.
 * @param options - window, σ, data range.
 * @returns the mean of the SSIM map (1 for identical inputs up to the 1e-12 eps).
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `IMAGE_TOO_SMALL`, `INVALID_OPTION`.
 * @example
 * ```ts
 * ssim(pred, target, [3, 146, 146]);
 * ```
 */
export function ssim(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: SsimOptions = {},
): number {
  const r = ssimSums('ssim', prediction, target, shape, options);
  return checkScore('ssim', 'SSIM', r.ssimSum / r.count);
}

/**
 * kornia's SSIM loss: mean of `clamp((1 − SSIM)/2, 0, 1)` (what WorldStrat logs as `SSIM_loss`).
 *
 * @param prediction - CHW / BCHW / HW values.
 * @param target - same shape.
 * @param shape - `[H, W]`, `[C, H, W]` or `[B, C, H, W]`.
 * @param options - window, σ, data range.
 * @returns the loss in [0, 1] (0 for identical inputs).
 * @throws {@link MetricsError} as {@link ssim}.
 * @example
 * ```ts
 * const cssim = 1 - 2 * ssimLoss(pred, target, [3, 146, 146]);
 * ```
 */
export function ssimLoss(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: SsimOptions = {},
): number {
  const r = ssimSums('ssimLoss', prediction, target, shape, options);
  return checkScore('ssimLoss', 'SSIM loss', r.lossSum / r.count);
}
