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
import { psnrOf } from './plain-metrics.js';

/** Largest crop offset of Satlas' search: relative shifts `2r − 8`, i.e. even shifts −8…+8 px per axis. */
export const SATLAS_MAX_OFFSET = 8;

/** Options of {@link satlasCpsnr}. */
export interface SatlasCpsnrOptions {
  /** Pixels cropped off every side of both images before the search (basicsr's `crop_border`); default 0. */
  cropBorder?: number;
  /** Peak value `L` of `10·log10(L²/MSE)`; default 255 (Satlas scores 8-bit images). */
  peak?: number;
}

/** Result of {@link satlasCpsnr}. */
export interface SatlasCpsnrResult {
  /** `10·log10(peak² / bestMse)`; `Infinity` when the best MSE is 0. */
  cpsnr: number;
  /** Smallest bias-corrected MSE over the 81 offsets. */
  mse: number;
  /** `[r, c]` ∈ 0..8: the prediction is cropped at (r, c), the target at (8 − r, 8 − c). */
  offset: [number, number];
  /** `[8 − 2r, 8 − 2c]`: prediction[i] is compared with target[i + displacement]. */
  displacement: [number, number];
  /** Per-channel bias `mean(pred − target)` added to the target at the best offset. */
  bias: Float64Array;
}

/**
 * Satlas super-resolution's cPSNR (satlas-super-resolution `calculate_cpsnr`): for every crop offset
 * r, c ∈ 0..8 the prediction is cropped at (r, c) and the target at (8 − r, 8 − c) to (H − 8)×(W − 8), so only
 * even displacements −8…+8 px are tried (81 candidates). Per candidate and channel the target gets the bias
 * `mean(pred − target)`; the MSE runs over all channels, the smallest wins (first on ties), and the score is
 * `10·log10(peak² / MSE)` with peak 255.
 *
 * Unlike PROBA-V's cPSNR it has no clear mask and a per-channel (not per-image) bias; unlike WorldStrat's it
 * searches integer even shifts only and needs a peak because its images are 8-bit.
 *
 * @param prediction - super-resolved image, CHW (or HW), e.g. 0…255 values.
 * @param target - ground truth, same shape.
 * @param shape - `[C, H, W]` or `[H, W]`.
 * @param options - `cropBorder` (default 0), `peak` (default 255).
 * @returns the best cPSNR with its MSE, offset, displacement and per-channel bias.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`,
 *   `IMAGE_TOO_SMALL` (nothing left after the border crop and the 8-px search).
 * @example
 * ```ts
 * const { cpsnr, displacement } = satlasCpsnr(sr8bit, hr8bit, [3, 128, 128]);
 * ```
 */
export function satlasCpsnr(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
  options: SatlasCpsnrOptions = {},
): SatlasCpsnrResult {
  const fn = 'satlasCpsnr';
  const n = shapeSize(fn, shape, [2, 3]);
  const [c, h, w] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  checkLength(fn, 'prediction', prediction, n, shape);
  checkLength(fn, 'target', target, n, shape);
  const { cropBorder: crop = 0, peak = 255 } = checkOptions(fn, options);
  if (!Number.isInteger(crop) || crop < 0) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: cropBorder must be an integer ≥ 0, got ${describe(crop)}`,
    );
  }
  if (typeof peak !== 'number' || !(peak > 0) || !Number.isFinite(peak)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: peak must be a finite number > 0, got ${describe(peak)}`,
    );
  }
  const ch = h - 2 * crop - SATLAS_MAX_OFFSET;
  const cw = w - 2 * crop - SATLAS_MAX_OFFSET;
  if (ch < 1 || cw < 1) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: a ${h}×${w} image leaves nothing after a ${crop}-px border crop and the ${SATLAS_MAX_OFFSET}-px shift search`,
    );
  }
  checkFinite(fn, 'prediction', prediction);
  checkFinite(fn, 'target', target);
  const geometry = { c, h, w, crop, ch, cw };
  let best = { mse: Number.POSITIVE_INFINITY, r: 0, col: 0, bias: new Float64Array(c) };
  for (let r = 0; r <= SATLAS_MAX_OFFSET; r++) {
    for (let col = 0; col <= SATLAS_MAX_OFFSET; col++) {
      const bias = new Float64Array(c);
      const m = offsetMse(prediction, target, geometry, r, col, bias);
      // Strict < keeps the first offset on ties, like the original loop.
      if (m < best.mse) best = { mse: m, r, col, bias };
    }
  }
  // Overflowing inputs leave every offset at Infinity/NaN: no offset wins.
  checkScore(fn, 'best MSE', best.mse);
  const cpsnr = psnrOf(peak, best.mse);
  return {
    cpsnr,
    mse: best.mse,
    offset: [best.r, best.col],
    displacement: [SATLAS_MAX_OFFSET - 2 * best.r, SATLAS_MAX_OFFSET - 2 * best.col],
    bias: best.bias,
  };
}

interface CropGeometry {
  c: number;
  h: number;
  w: number;
  crop: number;
  ch: number;
  cw: number;
}

/** Bias-corrected MSE of one offset (two passes per channel: mean difference, then squared residuals). */
function offsetMse(
  pred: NumericArray,
  target: NumericArray,
  g: CropGeometry,
  r: number,
  col: number,
  biasOut: Float64Array,
): number {
  const count = g.ch * g.cw;
  const py = g.crop + r;
  const px = g.crop + col;
  const ty = g.crop + SATLAS_MAX_OFFSET - r;
  const tx = g.crop + SATLAS_MAX_OFFSET - col;
  let total = 0;
  for (let k = 0; k < g.c; k++) {
    const plane = k * g.h * g.w;
    let sum = 0;
    for (let i = 0; i < g.ch; i++) {
      const pRow = plane + (py + i) * g.w + px;
      const tRow = plane + (ty + i) * g.w + tx;
      for (let j = 0; j < g.cw; j++) sum += pred[pRow + j] - target[tRow + j];
    }
    const bias = sum / count;
    biasOut[k] = bias;
    for (let i = 0; i < g.ch; i++) {
      const pRow = plane + (py + i) * g.w + px;
      const tRow = plane + (ty + i) * g.w + tx;
      for (let j = 0; j < g.cw; j++) {
        const d = pred[pRow + j] - (target[tRow + j] + bias);
        total += d * d;
      }
    }
  }
  return total / (count * g.c);
}
