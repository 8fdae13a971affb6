// Plain MSE/MAE/PSNR/SSIM, batch helpers and the bicubic baseline.
import { describe, expect, it } from 'vitest';
import { WORLDSTRAT_S2_MEAN, WORLDSTRAT_S2_STD } from '../src/bicubic-baseline.js';
import {
  batchMetrics,
  biasAdjust,
  bicubicBaseline,
  MetricsError,
  mae,
  mse,
  psnr,
  psnrFromMse,
  registeredMetrics,
  scoreBicubicBaseline,
  ssim,
  ssimGaussian1d,
  ssimLoss,
} from '../src/index.js';
import { readSafetensorsFixture } from './support/fixtures.js';
import { maxAbsDiff, randomImage, smoothImage } from './support/images.js';

describe('mse / mae / psnr', () => {
  it('hand-computed values', () => {
    const a = new Float32Array([0, 1, 2, 3]);
    const b = new Float32Array([0, 0, 4, 3]);
    expect(mse(a, b)).toBe((1 + 4) / 4);
    expect(mae(a, b)).toBe((1 + 2) / 4);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / 1.25), 12);
    expect(psnr(a, b, { dataRange: 255 })).toBeCloseTo(10 * Math.log10((255 * 255) / 1.25), 12);
    expect(psnrFromMse(1e-3)).toBeCloseTo(30, 12);
    expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
  });
  it('typed errors', () => {
    expect(() => mse(new Float32Array(3), new Float32Array(4))).toThrow(MetricsError);
    expect(() => mae([1, Number.NaN], [1, 2])).toThrow(/prediction\[1\] is NaN/);
    expect(() => psnrFromMse(-1)).toThrow(MetricsError);
    expect(() => psnr([1], [1], { dataRange: 0 })).toThrow(/dataRange/);
  });
});

describe('ssim / ssimLoss (kornia 0.6.3 semantics)', () => {
  it('the Gaussian window is kornia’s', () => {
    const g = ssimGaussian1d();
    expect(maxAbsDiff(g, [0.12008, 0.23388, 0.29208, 0.23388, 0.12008])).toBeLessThan(1e-5);
  });

  it('matches upstream SSIM_loss on the fixture’s aligned pairs (abs 1e-6)', () => {
    const fx = readSafetensorsFixture('losses.safetensors');
    for (const k of [1, 3, 4]) {
      const adj = fx[`pair${k}.adjusted_prediction`].data;
      const aligned = fx[`pair${k}.aligned_target`].data as Float32Array;
      // Crop the adjusted prediction at upstream's offset 2 → (2,3,146,146).
      const crop = new Float32Array(2 * 3 * 146 * 146);
      for (let p = 0; p < 6; p++)
        for (let i = 0; i < 146; i++)
          for (let j = 0; j < 146; j++) crop[(p * 146 + i) * 146 + j] = adj[(p * 156 + i + 2) * 156 + j + 2];
      for (let b = 0; b < 2; b++) {
        const n = 3 * 146 * 146;
        const loss = ssimLoss(
          crop.subarray(b * n, (b + 1) * n),
          aligned.subarray(b * n, (b + 1) * n),
          [3, 146, 146],
        );
        expect(Math.abs(loss - fx[`pair${k}.ssim_loss`].data[b])).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it('identical images: SSIM 1, loss 0; unrelated noise: SSIM ≪ 1', () => {
    const x = smoothImage(2, 32, 32, 1);
    expect(ssim(x, x, [2, 32, 32])).toBeCloseTo(1, 7);
    expect(ssimLoss(x, x, [1, 2, 32, 32])).toBeLessThan(1e-8);
    const y = randomImage(x.length, 2);
    expect(ssim(x, y, [2, 32, 32])).toBeLessThan(0.2);
  });

  it('typed errors for tiny planes, bad windows and shape mismatch', () => {
    const x = new Float32Array(4);
    expect(() => ssim(x, x, [2, 2])).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_SMALL' }));
    expect(() => ssim(x, x, [2, 2], { windowSize: 4 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => ssim(x, x, [3, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});

describe('batchMetrics', () => {
  it('per-sample values equal the single-sample functions; mean PSNR is the mean of per-sample PSNR', () => {
    const t = smoothImage(6, 24, 24, 3);
    const noise = randomImage(t.length, 4, -1, 1);
    const p = t.map((v, i) => v + (i < t.length / 2 ? 0.01 : 0.1) * noise[i]);
    const { samples, mean } = batchMetrics(p, t, [2, 3, 24, 24]);
    const n = 3 * 24 * 24;
    for (let b = 0; b < 2; b++) {
      const ps = p.subarray(b * n, (b + 1) * n);
      const ts = t.subarray(b * n, (b + 1) * n);
      expect(samples[b].mse).toBeCloseTo(mse(ps, ts), 15);
      expect(samples[b].mae).toBeCloseTo(mae(ps, ts), 15);
      expect(samples[b].psnr).toBeCloseTo(psnr(ps, ts), 12);
      expect(samples[b].ssim).toBeCloseTo(ssim(ps, ts, [3, 24, 24]), 12);
    }
    expect(mean.psnr).toBeCloseTo((samples[0].psnr + samples[1].psnr) / 2, 12);
    expect(Math.abs(mean.psnr - psnrFromMse(mean.mse))).toBeGreaterThan(1);
  });
});

describe('bicubicBaseline', () => {
  it('reproduces the torch bicubic 50→156 fixture through the full baseline chain', () => {
    const fx = readSafetensorsFixture('resize.safetensors');
    const v = fx.bicubic_50_in.data as Float32Array; // (2,3,50,50) in [0,1]
    const out = fx.bicubic_156_out.data as Float32Array; // (2,3,156,156)
    // Build a normalised LR stack (B=2, R=2, C=12) whose revisit 0, channels [3,2,1] denormalise to v.
    const lr = new Float32Array(2 * 2 * 12 * 2500).fill(-5);
    const mean = [3, 2, 1].map((i) => WORLDSTRAT_S2_MEAN[i]);
    const std = [3, 2, 1].map((i) => WORLDSTRAT_S2_STD[i]);
    for (let b = 0; b < 2; b++)
      for (let o = 0; o < 3; o++)
        for (let k = 0; k < 2500; k++)
          lr[((b * 2 + 0) * 12 + [3, 2, 1][o]) * 2500 + k] = (v[(b * 3 + o) * 2500 + k] - mean[o]) / std[o];
    const base = bicubicBaseline(lr, [2, 2, 12, 50, 50]);
    expect(base.shape).toEqual([2, 3, 156, 156]);
    // The corrected baseline keeps reflectance as is (no batch-maximum division), so it equals torch's output.
    let diff = 0;
    for (let i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(base.data[i] - out[i]));
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('worldstratCompat reproduces upstream’s (x + mean)·std denormalisation (bug B7)', () => {
    const lr = new Float32Array([0.5, 1, 1.5, 2]); // B=1, R=1, C=1, 2×2
    const correct = bicubicBaseline(lr, [1, 1, 1, 2, 2], { size: [2, 2], mean: [0.1], std: [0.2] });
    const compat = bicubicBaseline(lr, [1, 1, 1, 2, 2], {
      size: [2, 2],
      mean: [0.1],
      std: [0.2],
      worldstratCompat: true,
    });
    // correct: x·0.2 + 0.1 = [0.2, 0.3, 0.4, 0.5] as is; compat: (x + 0.1)·0.2 = [0.12, 0.22, 0.32, 0.42] / 0.42
    expect(maxAbsDiff(correct.data, [0.2, 0.3, 0.4, 0.5])).toBeLessThan(1e-6);
    expect(maxAbsDiff(compat.data, [0.12 / 0.42, 0.22 / 0.42, 0.32 / 0.42, 1])).toBeLessThan(1e-6);
    expect(() =>
      bicubicBaseline(new Float32Array(4).fill(-1), [1, 1, 1, 2, 2], {
        mean: [0],
        std: [1],
        worldstratCompat: true,
      }),
    ).toThrow(expect.objectContaining({ code: 'DEGENERATE_INPUT' }));
    // The corrected baseline of a chip does not depend on the other chips of its batch (upstream's does).
    const two = new Float32Array([0.5, 1, 1.5, 2, 4, 4, 4, 4]);
    const alone = bicubicBaseline(two.subarray(0, 4), [1, 1, 1, 2, 2], {
      size: [2, 2],
      mean: [0.1],
      std: [0.2],
    });
    const batched = bicubicBaseline(two, [2, 1, 1, 2, 2], { size: [2, 2], mean: [0.1], std: [0.2] });
    expect(maxAbsDiff(batched.data.subarray(0, 4), alone.data)).toBe(0);
    const batchedCompat = bicubicBaseline(two, [2, 1, 1, 2, 2], {
      size: [2, 2],
      mean: [0.1],
      std: [0.2],
      worldstratCompat: true,
    });
    expect(maxAbsDiff(batchedCompat.data.subarray(0, 4), compat.data)).toBeGreaterThan(0.1);
  });

  it('denormalises each selected channel with its own band statistics, refusing channels without any', () => {
    // a constant normalised value x in every channel: each output plane is x·std[band] + mean[band] (clamped)
    const x = 0.1;
    const lr = new Float32Array(12 * 10 * 10).fill(x);
    const expected = (band: number) =>
      Math.min(1, Math.max(0, x * WORLDSTRAT_S2_STD[band] + WORLDSTRAT_S2_MEAN[band]));
    for (const channels of [[7], [1, 2, 3], [3, 2, 1, 7], [11, 0]]) {
      const base = bicubicBaseline(lr, [1, 1, 12, 10, 10], { channels, size: [20, 20] });
      expect(base.shape).toEqual([1, channels.length, 20, 20]);
      channels.forEach((band, o) => {
        const plane = base.data.subarray(o * 400, (o + 1) * 400);
        expect(maxAbsDiff(plane, new Float64Array(400).fill(expected(band)))).toBeLessThan(1e-6);
      });
    }
    // a 3-channel stack is B04, B03, B02: its channels [2, 0] are B02 and B04
    const rgb = bicubicBaseline(new Float32Array(300).fill(x), [1, 1, 3, 10, 10], {
      channels: [2, 0],
      size: [10, 10],
    });
    expect(rgb.data[0]).toBeCloseTo(expected(1), 6);
    expect(rgb.data[100]).toBeCloseTo(expected(3), 6);
    // no statistics past B12: a typed error naming the channel, unless mean and std are given
    const wide = new Float32Array(13 * 100).fill(x);
    expect(() => bicubicBaseline(wide, [1, 1, 13, 10, 10], { channels: [3, 12] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringMatching(/channels\[1\] = 12 /),
      }),
    );
    const given = bicubicBaseline(wide, [1, 1, 13, 10, 10], {
      channels: [12],
      mean: [0.5],
      std: [0.2],
      size: [10, 10],
    });
    expect(given.data[0]).toBeCloseTo(x * 0.2 + 0.5, 6);
  });

  it('scoreBicubicBaseline = registered metrics of the baseline + unregistered PSNR', () => {
    const lr = randomImage(2 * 1 * 4 * 20 * 20, 3, -0.5, 2);
    const base = bicubicBaseline(lr, [2, 1, 4, 20, 20], { size: [60, 60] });
    const target = smoothImage(6, 60, 60, 4);
    const scores = scoreBicubicBaseline(lr, [2, 1, 4, 20, 20], target, [2, 3, 60, 60]);
    const direct = registeredMetrics(base.data, target, [2, 3, 60, 60]);
    expect(scores.map((s) => s.mse)).toEqual(direct.map((s) => s.mse));
    const adjusted = biasAdjust(base.data, target, [2, 3, 60, 60]);
    const n = 3 * 60 * 60;
    for (let b = 0; b < 2; b++) {
      const expected = psnr(adjusted.subarray(b * n, (b + 1) * n), target.subarray(b * n, (b + 1) * n));
      expect(scores[b].psnrUnregistered).toBeCloseTo(expected, 5);
    }
    expect(() => scoreBicubicBaseline(lr, [2, 1, 4, 20, 20], target, [3, 2, 60, 60])).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
});
