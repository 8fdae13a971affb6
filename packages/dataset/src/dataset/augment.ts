// RandomRotateFlipDict: rot90 (counter-clockwise, k = angle/90) then an optional vertical
// flip, the same draw for every tensor of a sample.
import { DatasetError } from '../errors.js';
import { argumentError, checkInteger, checkNumbers, checkObject } from '../internal/check-arguments.js';

/** One augmentation draw: k quarter turns counter-clockwise, then a row reversal when `flip`. */
export interface RotateFlip {
  k: 0 | 1 | 2 | 3;
  flip: boolean;
}

/**
 * Apply `torch.rot90(x, k, dims=(-2,-1))` and then (if `flip`) a vertical flip to every square plane, in place
 * into a new array.
 *
 * @param data - (P, n, n) planes.
 * @param planes - P.
 * @param n - side.
 * @param t - the draw.
 * @returns a new (P, n, n) array.
 * @throws {DatasetError} `SHAPE_MISMATCH` when sizes disagree.
 * @example
 * ```ts
 * rotateFlip(Float32Array.of(1, 2, 3, 4), 1, 2, { k: 1, flip: false }); // [2, 4, 1, 3]
 * ```
 */
export function rotateFlip(data: Float32Array, planes: number, n: number, t: RotateFlip): Float32Array {
  checkNumbers('rotateFlip', 'data', data);
  checkInteger('rotateFlip', 'planes', planes, 0);
  checkInteger('rotateFlip', 'n', n, 0);
  checkObject('rotateFlip', 't', t);
  if (t.k !== 0 && t.k !== 1 && t.k !== 2 && t.k !== 3)
    throw argumentError('rotateFlip', 't.k', '0, 1, 2 or 3', t.k);
  if (t.flip !== undefined && typeof t.flip !== 'boolean')
    throw argumentError('rotateFlip', 't.flip', 'a boolean', t.flip);
  if (data.length !== planes * n * n) {
    throw new DatasetError('SHAPE_MISMATCH', `rotateFlip: ${data.length} values ≠ ${planes}×${n}×${n}`);
  }
  if (t.k === 0 && !t.flip) return data.slice();
  const out = new Float32Array(data.length);
  const m = n - 1;
  for (let p = 0; p < planes; p++) {
    const b = p * n * n;
    for (let i = 0; i < n; i++) {
      const oi = t.flip ? m - i : i;
      for (let j = 0; j < n; j++) {
        let src: number;
        if (t.k === 0) src = i * n + j;
        else if (t.k === 1) src = j * n + (m - i);
        else if (t.k === 2) src = (m - i) * n + (m - j);
        else src = (m - j) * n + i;
        out[b + oi * n + j] = data[b + src];
      }
    }
  }
  return out;
}
