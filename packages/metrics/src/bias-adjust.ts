import { checkFinite, checkLength, checkScore, type NumericArray, shapeSize } from './internal/validate.js';

/** Internal: adds `mean_{h,w}(y − ŷ)` of every plane to the prediction, writing float64 into `out`. */
export function biasAdjustPlanes(
  prediction: NumericArray,
  target: NumericArray,
  start: number,
  planes: number,
  planeSize: number,
  out: Float64Array,
  outStart: number,
): void {
  for (let c = 0; c < planes; c++) {
    const base = start + c * planeSize;
    let sum = 0;
    for (let k = 0; k < planeSize; k++) sum += target[base + k] - prediction[base + k];
    const bias = sum / planeSize;
    const ob = outStart + c * planeSize;
    for (let k = 0; k < planeSize; k++) out[ob + k] = prediction[base + k] + bias;
  }
}

/**
 * WorldStrat's brightness-bias correction: `ŷ + mean_{h,w}(y − ŷ)` per sample and per channel over the full,
 * uncropped chip (upstream `LitModel.bias_adjust`, applied before any registration).
 *
 * @param prediction - `ŷ`, BCHW (or CHW) values.
 * @param target - `y`, same shape.
 * @param shape - `[B, C, H, W]` or `[C, H, W]`.
 * @returns a new `Float32Array` with the adjusted prediction (computed in float64, rounded once).
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT` (also when a value
 *   overflows float32 or the bias sums overflow float64).
 * @example
 * ```ts
 * const adjusted = biasAdjust(pred, target, [2, 3, 156, 156]);
 * ```
 */
export function biasAdjust(
  prediction: NumericArray,
  target: NumericArray,
  shape: readonly number[],
): Float32Array {
  const n = shapeSize('biasAdjust', shape, [3, 4]);
  checkLength('biasAdjust', 'prediction', prediction, n, shape);
  checkLength('biasAdjust', 'target', target, n, shape);
  checkFinite('biasAdjust', 'prediction', prediction);
  checkFinite('biasAdjust', 'target', target);
  const planeSize = shape[shape.length - 1] * shape[shape.length - 2];
  const out = new Float64Array(n);
  biasAdjustPlanes(prediction, target, 0, n / planeSize, planeSize, out, 0);
  const adjusted = Float32Array.from(out);
  // Huge finite inputs overflow the bias sums, or the float32 range of the result.
  for (let i = 0; i < n; i++) checkScore('biasAdjust', `adjusted prediction[${i}]`, adjusted[i]);
  return adjusted;
}
