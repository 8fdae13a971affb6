// Parity with the upstream PyTorch fixtures (shared/fixtures/parity): kernels and LitModel.loss values.
import { describe, expect, it } from 'vitest';
import {
  biasAdjust,
  lanczosKernels1d,
  lanczosKernels2d,
  lanczosShifts,
  registeredMetrics,
  WORLDSTRAT_LOSS_WEIGHTS,
} from '../src/index.js';
import { readSafetensorsFixture } from './support/fixtures.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Fixture README tolerance: |a − b| ≤ abs + rel·|b|. */
function expectClose(actual: number, expected: number, abs: number, rel: number, what: string): void {
  const tol = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: ${actual} vs ${expected} (diff ${Math.abs(actual - expected)} > tol ${tol})`);
  }
}

describe('Lanczos kernels vs lanczos-shifts.safetensors', () => {
  const fx = readSafetensorsFixture('lanczos-shifts.safetensors');
  it('shifts are -2..2 step 0.5', () => {
    expect(Array.from(lanczosShifts())).toEqual(Array.from(fx.shifts.data));
  });
  it('1-D kernels within 1e-6', () => {
    const { kernels } = lanczosKernels1d();
    expect(fx.kernels_1d.shape).toEqual([9, 11]);
    expect(maxAbsDiff(kernels, fx.kernels_1d.data)).toBeLessThanOrEqual(1e-6);
  });
  it('81×11×11 kernels within 1e-6, index iy*9+ix = outer(k[iy], k[ix])', () => {
    expect(fx.kernels.shape).toEqual([81, 1, 11, 11]);
    expect(maxAbsDiff(lanczosKernels2d(), fx.kernels.data)).toBeLessThanOrEqual(1e-6);
  });
});

describe("registeredMetrics(mode 'worldstrat') vs losses.safetensors", () => {
  const fx = readSafetensorsFixture('losses.safetensors');
  const shape = [2, 3, 156, 156];
  for (let k = 0; k < 6; k++) {
    it(`pair ${k}`, () => {
      const pred = fx[`pair${k}.prediction`].data as Float32Array;
      const target = fx[`pair${k}.target`].data as Float32Array;
      expect(fx[`pair${k}.prediction`].shape).toEqual(shape);
      const res = registeredMetrics(pred, target, shape, { mode: 'worldstrat', details: true });
      expect(res).toHaveLength(2);

      // Bias-adjusted prediction, both through the public helper and the details.
      const adj = fx[`pair${k}.adjusted_prediction`].data;
      expect(maxAbsDiff(biasAdjust(pred, target, shape), adj)).toBeLessThanOrEqual(1e-6);

      const mseAll = fx[`pair${k}.mse_all_shifts`].data; // (81, 2)
      const aligned = fx[`pair${k}.aligned_target`].data; // (2,3,146,146)
      const alignedSize = 3 * 146 * 146;
      for (let b = 0; b < 2; b++) {
        const r = res[b];
        expect(r.shiftIndex).toBe(fx[`pair${k}.shift_index`].data[b]);
        const sampleSize = 3 * 156 * 156;
        expect(
          maxAbsDiff(r.adjustedPrediction!, adj.subarray(b * sampleSize, (b + 1) * sampleSize)),
        ).toBeLessThanOrEqual(1e-6);
        expect(
          maxAbsDiff(r.alignedTarget!, aligned.subarray(b * alignedSize, (b + 1) * alignedSize)),
        ).toBeLessThanOrEqual(1e-6);
        for (let s = 0; s < 81; s++) {
          expectClose(r.mseAllShifts![s], mseAll[s * 2 + b], 1e-9, 1e-5, `pair${k}[${b}] mse shift ${s}`);
        }
        expectClose(r.mse, fx[`pair${k}.mse`].data[b], 1e-9, 1e-5, `pair${k}[${b}].mse`);
        expectClose(r.mae, fx[`pair${k}.mae`].data[b], 1e-9, 1e-5, `pair${k}[${b}].mae`);
        expectClose(r.ssimLoss, fx[`pair${k}.ssim_loss`].data[b], 1e-6, 1e-5, `pair${k}[${b}].ssim_loss`);
        expectClose(r.psnr, fx[`pair${k}.psnr`].data[b], 1e-4, 1e-5, `pair${k}[${b}].psnr`);
        expectClose(r.loss, fx[`pair${k}.loss`].data[b], 1e-6, 1e-5, `pair${k}[${b}].loss`);
        expect(r.loss).toBeCloseTo(
          WORLDSTRAT_LOSS_WEIGHTS.mse * r.mse +
            WORLDSTRAT_LOSS_WEIGHTS.mae * r.mae +
            WORLDSTRAT_LOSS_WEIGHTS.ssim * r.ssimLoss,
          12,
        );
        expect(r.cssim).toBeCloseTo(1 - 2 * r.ssimLoss, 12);
      }
    });
  }
});
