import { MetricsError } from './errors.js';
import { ssimPlaneSums } from './internal/ssim-plane.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  checkScore,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';
import { psnrFromMse } from './plain-metrics.js';
import { type SsimOptions, ssimParams } from './ssim.js';

/** Options of {@link batchMetrics}. */
export interface BatchMetricsOptions extends SsimOptions {}

/** Plain (unregistered) metrics of one sample. */
export interface PlainSampleMetrics {
  mse: number;
  mae: number;
  /** `10·log10(dataRange² / mse)`. */
  psnr: number;
  /** Mean SSIM (kornia window, reflect padding). */
  ssim: number;
}

/**
 * Plain MSE, MAE, PSNR and SSIM per sample of a BCHW batch, and their means over samples. Like upstream's
 * logging, `mean.psnr` is the mean of per-sample PSNR, not the PSNR of the mean MSE.
 *
 * @param prediction - BCHW values.
 * @param target - same shape.
 * @param shape - `[B, C, H, W]`.
 * @param options - `dataRange` (PSNR peak and SSIM max_val, default 1), `windowSize`, `sigma`.
 * @returns `{ samples, mean }`.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `IMAGE_TOO_SMALL`, and
 *   `NON_FINITE_INPUT` for the mean when a sample is identical (infinite PSNR).
 * @example
 * ```ts
 * const { mean } = batchMetrics(pred, target, [8, 3, 156, 156]);
 * ```
 */
export function batchMetrics(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: BatchMetricsOptions = {},
): { samples: PlainSampleMetrics[]; mean: PlainSampleMetrics } {
  const fn = 'batchMetrics';
  const n = shapeSize(fn, shape, [4]);
  const [b, c, h, w] = shape;
  checkLength(fn, 'prediction', prediction, n, shape);
  checkLength(fn, 'target', target, n, shape);
  checkFinite(fn, 'prediction', prediction);
  checkFinite(fn, 'target', target);
  const opts = checkOptions(fn, options);
  const params = ssimParams(fn, opts);
  const range = opts.dataRange ?? 1;
  const pad = Math.floor(params.gauss.length / 2);
  if (h <= pad || w <= pad) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: ${h}×${w} planes are too small for a ${params.gauss.length}-px SSIM window`,
    );
  }
  const size = c * h * w;
  const samples: PlainSampleMetrics[] = [];
  const mean = { mse: 0, mae: 0, psnr: 0, ssim: 0 };
  for (let s = 0; s < b; s++) {
    let sq = 0;
    let ab = 0;
    for (let i = s * size; i < (s + 1) * size; i++) {
      const d = prediction[i] - target[i];
      sq += d * d;
      ab += Math.abs(d);
    }
    let ssimSum = 0;
    for (let ch = 0; ch < c; ch++) {
      const off = (s * c + ch) * h * w;
      ssimSum += ssimPlaneSums(prediction, off, w, target, off, w, h, w, params).ssimSum;
    }
    const what = `sample ${s}`;
    const mse = checkScore(fn, `MSE of ${what}`, sq / size);
    const m = {
      mse,
      mae: checkScore(fn, `MAE of ${what}`, ab / size),
      psnr: psnrFromMse(mse, range),
      ssim: checkScore(fn, `SSIM of ${what}`, ssimSum / size),
    };
    samples.push(m);
    if (!Number.isFinite(m.psnr)) {
      throw new MetricsError(
        'NON_FINITE_INPUT',
        `${fn}: sample ${s} is identical to its target (PSNR ∞), so the mean PSNR is undefined; score it separately`,
      );
    }
    mean.mse += m.mse / b;
    mean.mae += m.mae / b;
    mean.psnr += m.psnr / b;
    mean.ssim += m.ssim / b;
  }
  return { samples, mean };
}
