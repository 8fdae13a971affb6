import { MetricsError } from './errors.js';
import {
  checkFinite,
  checkOptions,
  checkSameLength,
  checkScore,
  describe,
  type NumericArray,
} from './internal/validate.js';

/** Options of {@link psnr}. */
export interface PsnrOptions {
  /** Peak-to-peak data range `L` in `10·log10(L²/MSE)`; default 1 (WorldStrat's convention). */
  dataRange?: number;
}

/**
 * Mean squared error over all elements (float64 accumulation).
 *
 * @param prediction - predicted values, any layout.
 * @param target - reference values, same length.
 * @returns `mean((prediction − target)²)`.
 * @throws {@link MetricsError} `SHAPE_MISMATCH` for different lengths, `NON_FINITE_INPUT` for NaN/Inf.
 * @example
 * ```ts
 * mse(new Float32Array([0, 1]), new Float32Array([0, 0])); // 0.5
 * ```
 */
export function mse(prediction: NumericArray, target: NumericArray): number {
  checkSameLength('mse', prediction, target);
  checkFinite('mse', 'prediction', prediction);
  checkFinite('mse', 'target', target);
  let acc = 0;
  for (let i = 0; i < prediction.length; i++) {
    const d = prediction[i] - target[i];
    acc += d * d;
  }
  return checkScore('mse', 'MSE', acc / prediction.length);
}

/**
 * Mean absolute error over all elements.
 *
 * @param prediction - predicted values.
 * @param target - reference values, same length.
 * @returns `mean(|prediction − target|)`.
 * @throws {@link MetricsError} `SHAPE_MISMATCH`, `NON_FINITE_INPUT`.
 * @example
 * ```ts
 * mae(new Float32Array([0, 1]), new Float32Array([0, 0])); // 0.5
 * ```
 */
export function mae(prediction: NumericArray, target: NumericArray): number {
  checkSameLength('mae', prediction, target);
  checkFinite('mae', 'prediction', prediction);
  checkFinite('mae', 'target', target);
  let acc = 0;
  for (let i = 0; i < prediction.length; i++) acc += Math.abs(prediction[i] - target[i]);
  return checkScore('mae', 'MAE', acc / prediction.length);
}

/**
 * PSNR in dB from an MSE: `10·log10(dataRange² / mse)`; `Infinity` when `mse` is 0.
 *
 * @param mseValue - a mean squared error (≥ 0).
 * @param dataRange - peak-to-peak range `L`; default 1.
 * @returns the PSNR in dB.
 * @throws {@link MetricsError} `INVALID_OPTION` for a negative/non-finite MSE or a non-positive range.
 * @example
 * ```ts
 * psnrFromMse(1e-3); // 30
 * ```
 */
export function psnrFromMse(mseValue: number, dataRange = 1): number {
  if (typeof mseValue !== 'number' || !(mseValue >= 0) || !Number.isFinite(mseValue)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `psnrFromMse: mse must be a finite number ≥ 0, got ${describe(mseValue)}`,
    );
  }
  checkPositive('psnrFromMse', 'dataRange', dataRange);
  // −0 passes the check above; 1/−0 would be −Infinity and the log NaN
  return psnrOf(dataRange, mseValue === 0 ? 0 : mseValue);
}

/**
 * Plain (unregistered) PSNR over all elements: `10·log10(L² / MSE)`.
 *
 * @param prediction - predicted values.
 * @param target - reference values, same length.
 * @param options - `dataRange` L (default 1).
 * @returns the PSNR in dB (`Infinity` for identical inputs).
 * @throws {@link MetricsError} `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`.
 * @example
 * ```ts
 * psnr(pred, target, { dataRange: 255 });
 * ```
 */
export function psnr(prediction: NumericArray, target: NumericArray, options: PsnrOptions = {}): number {
  const { dataRange = 1 } = checkOptions('psnr', options);
  checkPositive('psnr', 'dataRange', dataRange);
  return psnrFromMse(mse(prediction, target), dataRange);
}

/** Checks a range-like option is a finite number > 0 (a numeric string would be coerced, so it is refused). */
function checkPositive(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: ${name} must be a finite number > 0, got ${describe(value)}`,
    );
  }
}

/**
 * `10·log10(L²/mse)`; when `L²` or the ratio overflows (a huge range, a subnormal MSE) the same value from
 * logarithms, so only `mse = 0` gives `Infinity`.
 */
export function psnrOf(peak: number, mseValue: number): number {
  const direct = 10 * Math.log10((peak * peak) / mseValue);
  if (Number.isFinite(direct) || mseValue === 0) return direct;
  return 20 * Math.log10(peak) - 10 * Math.log10(mseValue);
}
