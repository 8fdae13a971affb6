// Registered metrics: centered-mode properties, worldstrat-mode B1 behaviour, equivalence with the straightforward
// 81 × 11×11 reference, batch means and typed errors.
import { describe, expect, it } from 'vitest';
import {
  MetricsError,
  meanRegisteredMetrics,
  registeredMetrics,
  shiftOfIndex,
  WORLDSTRAT_CROP_OFFSET,
} from '../src/index.js';
import { maxAbsDiff, randomImage, smoothImage } from './support/images.js';
import { referenceRegisteredMetrics } from './support/reference-registered.js';

describe("registeredMetrics, mode 'centered' (default)", () => {
  const shape = [1, 3, 64, 64];
  const target = smoothImage(3, 64, 64, 7);

  it('scores a perfect prediction as perfect: cMSE 0, cPSNR ∞, cSSIM 1, zero shift', () => {
    const [r] = registeredMetrics(target, target, shape);
    expect(r.mse).toBe(0);
    expect(r.mae).toBe(0);
    expect(r.psnr).toBe(Number.POSITIVE_INFINITY);
    // kornia divides by (den + 1e-12), so identical images give SSIM 1 − O(1e-8), not exactly 1.
    expect(r.cssim).toBeCloseTo(1, 7);
    expect(r.ssimLoss).toBeLessThan(1e-8);
    expect(r.shiftIndex).toBe(40);
    expect(r.shift).toEqual([0, 0]);
    expect(r.displacement).toEqual([0, 0]);
  });

  it.each([
    [1, -2],
    [-2, 2],
    [0.5, -1.5],
    [-1.5, 1],
    [2, 0.5],
  ])('recovers a displacement of (%f, %f) px of a smooth image', (dy, dx) => {
    const pred = smoothImage(3, 64, 64, 7, dy, dx); // pred[i, j] = scene(i + dy, j + dx)
    const [r] = registeredMetrics(pred, target, shape, { details: true });
    expect(r.displacement).toEqual([dy, dx]);
    expect(r.shift).toEqual([dy, dx]);
    expect(shiftOfIndex(r.shiftIndex)).toEqual([dy, dx]);
    expect(r.psnr).toBeGreaterThan(40);
    // The zero-shift comparison (kernel 40) is much worse than the registered one.
    expect(r.mseAllShifts![40]).toBeGreaterThan(r.mse * 100);
  });

  it('ignores a constant brightness offset (per channel)', () => {
    const pred = randomImage(3 * 64 * 64, 3, 0.1, 0.5);
    for (let i = 0; i < pred.length; i++) pred[i] = 0.5 * pred[i] + 0.5 * target[i];
    const shifted = pred.map((v, i) => v + (i < 64 * 64 ? 0.1 : -0.05));
    const [a] = registeredMetrics(pred, target, shape);
    const [b] = registeredMetrics(shifted, target, shape);
    expect(b.shiftIndex).toBe(a.shiftIndex);
    expect(b.mse).toBeCloseTo(a.mse, 7);
    expect(b.ssimLoss).toBeCloseTo(a.ssimLoss, 6);
    expect(b.psnr).toBeCloseTo(a.psnr, 4);
  });
});

describe("registeredMetrics, mode 'worldstrat' (upstream, bug B1)", () => {
  const shape = [1, 3, 64, 64];
  const target = smoothImage(3, 64, 64, 11);

  it('does not score a perfect prediction as perfect: it lands on kernel 0 (−2, −2)', () => {
    const [r] = registeredMetrics(target, target, shape, { mode: 'worldstrat' });
    expect(r.shiftIndex).toBe(0);
    expect(r.shift).toEqual([-2, -2]);
    expect(r.displacement).toEqual([1, 1]);
    expect(r.mse).toBeGreaterThan(1e-5);
  });

  it('scores a prediction displaced by +3 px as near-perfect (kernel 40)', () => {
    const pred = smoothImage(3, 64, 64, 11, 3, 3);
    const [r] = registeredMetrics(pred, target, shape, { mode: 'worldstrat' });
    expect(r.shiftIndex).toBe(40);
    expect(r.displacement).toEqual([3, 3]);
    expect(WORLDSTRAT_CROP_OFFSET.worldstrat).toBe(2);
  });
});

describe('separable fused search = straightforward 81 × 11×11 reference', () => {
  it.each(['centered', 'worldstrat'] as const)('random pairs, non-square, %s mode (≤ 1e-6)', (mode) => {
    const shape: [number, number, number, number] = [2, 2, 30, 37];
    const n = 2 * 2 * 30 * 37;
    const target = smoothImage(4, 30, 37, 5);
    const noise = randomImage(n, 9, -0.05, 0.05);
    const pred = smoothImage(4, 30, 37, 5, 0.7, -1.2).map((v, i) => v + noise[i]);
    const fast = registeredMetrics(pred, target, shape, { mode, details: true });
    const ref = referenceRegisteredMetrics(pred, target, shape, mode);
    for (let b = 0; b < 2; b++) {
      expect(fast[b].shiftIndex).toBe(ref[b].shiftIndex);
      expect(maxAbsDiff(fast[b].mseAllShifts!, ref[b].mseAllShifts)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(fast[b].mse - ref[b].mse)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(fast[b].mae - ref[b].mae)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(fast[b].ssimLoss - ref[b].ssimLoss)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(fast[b].psnr - ref[b].psnr)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fast[b].loss - ref[b].loss)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('stays exact with a large signal offset and a tiny error (DN-scale values, cancellation-prone)', () => {
    const shape: [number, number, number, number] = [1, 2, 30, 30];
    const target = smoothImage(2, 30, 30, 12).map((v) => 5000 + 1000 * v);
    const noise = randomImage(target.length, 13, -1e-3, 1e-3);
    const pred = target.map((v, i) => v + noise[i]);
    for (const mode of ['centered', 'worldstrat'] as const) {
      const [fast] = registeredMetrics(pred, target, shape, { mode, details: true });
      const [ref] = referenceRegisteredMetrics(pred, target, shape, mode);
      expect(fast.shiftIndex).toBe(ref.shiftIndex);
      expect(Math.abs(fast.mse - ref.mse)).toBeLessThanOrEqual(1e-9 * ref.mse);
      // Every other shift agrees to a tiny fraction of the signal power (~2.5e7 here).
      expect(maxAbsDiff(fast.mseAllShifts!, ref.mseAllShifts)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('ties go to the first index (all-zero chip: every shift scores 0)', () => {
    const zeros = new Float32Array(3 * 20 * 20);
    for (const mode of ['centered', 'worldstrat'] as const) {
      const [r] = registeredMetrics(zeros, zeros, [1, 3, 20, 20], { mode, details: true });
      expect(Array.from(r.mseAllShifts!).every((v) => v === 0)).toBe(true);
      expect(r.shiftIndex).toBe(0);
    }
  });

  it('one 3×156×156 chip in worldstrat mode (≤ 1e-6)', () => {
    const shape: [number, number, number, number] = [1, 3, 156, 156];
    const target = smoothImage(3, 156, 156, 21);
    const pred = randomImage(3 * 156 * 156, 22, 0, 0.6);
    const [fast] = registeredMetrics(pred, target, shape, { mode: 'worldstrat', details: true });
    const [ref] = referenceRegisteredMetrics(pred, target, shape, 'worldstrat');
    expect(fast.shiftIndex).toBe(ref.shiftIndex);
    expect(maxAbsDiff(fast.mseAllShifts!, ref.mseAllShifts)).toBeLessThanOrEqual(1e-6);
    for (const key of ['mse', 'mae', 'ssimLoss', 'psnr', 'loss'] as const) {
      expect(Math.abs(fast[key] - ref[key])).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('batch helpers', () => {
  it('meanRegisteredMetrics averages per-chip cPSNR, not the PSNR of the mean cMSE', () => {
    const shape = [3, 1, 32, 32];
    const target = smoothImage(3, 32, 32, 1);
    const noise = randomImage(target.length, 2, -1, 1);
    // Different noise level per chip: 0.01, 0.05, 0.2.
    const pred = target.map((v, i) => v + [0.01, 0.05, 0.2][Math.floor(i / 1024)] * noise[i]);
    const samples = registeredMetrics(pred, target, shape);
    const mean = meanRegisteredMetrics(samples);
    expect(mean.count).toBe(3);
    const meanPsnr = (samples[0].psnr + samples[1].psnr + samples[2].psnr) / 3;
    expect(mean.psnr).toBeCloseTo(meanPsnr, 12);
    const psnrOfMeanMse = -10 * Math.log10((samples[0].mse + samples[1].mse + samples[2].mse) / 3);
    expect(Math.abs(mean.psnr - psnrOfMeanMse)).toBeGreaterThan(1);
    // Per-sample results equal single-sample calls.
    const [single] = registeredMetrics(
      pred.subarray(1024, 2048),
      target.subarray(1024, 2048),
      [1, 1, 32, 32],
    );
    expect(single.mse).toBe(samples[1].mse);
  });

  it('reports progress per sample and honours an aborted signal', () => {
    const target = smoothImage(2, 20, 20, 1);
    const progress: number[] = [];
    registeredMetrics(target, target, [2, 1, 20, 20], { onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([1, 2]);
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop'));
    expect(() => registeredMetrics(target, target, [2, 1, 20, 20], { signal: ctrl.signal })).toThrow('stop');
  });

  it('meanRegisteredMetrics averages finite values whose float64 sum overflows', () => {
    const at: [number, number] = [0, 0];
    const s = (v: number) => ({
      mse: 1.7e308,
      mae: 1,
      ssimLoss: 0.5,
      psnr: 10,
      cssim: 0,
      loss: v,
      shiftIndex: 40,
      shift: at,
      displacement: at,
    });
    // Σ mse = 6.8e308 and Σ loss = +∞ − ∞ overflowed to Infinity / NaN; the means themselves are representable.
    expect(meanRegisteredMetrics([s(1.7e308), s(1.7e308), s(-1.7e308), s(-1.7e308)])).toEqual({
      mse: 1.7e308,
      mae: 1,
      ssimLoss: 0.5,
      psnr: 10,
      cssim: 0,
      loss: 0,
      count: 4,
    });
    const max = Number.MAX_VALUE;
    const three = meanRegisteredMetrics([s(max), s(max), s(max / 2)]).loss;
    expect(three / ((max / 6) * 5)).toBeCloseTo(1, 14);
  });

  it('meanRegisteredMetrics refuses an empty list and an infinite cPSNR', () => {
    expect(() => meanRegisteredMetrics([])).toThrow(MetricsError);
    const t = smoothImage(1, 20, 20, 1);
    expect(() => meanRegisteredMetrics(registeredMetrics(t, t, [1, 1, 20, 20]))).toThrow(/cPSNR Infinity/);
  });
});

describe('bad input → MetricsError', () => {
  const t = smoothImage(3, 20, 20, 1);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(MetricsError);
      return (err as MetricsError).code;
    }
    throw new Error('did not throw');
  };
  it('shape mismatch', () => {
    expect(code(() => registeredMetrics(t, t.subarray(1), [1, 3, 20, 20]))).toBe('SHAPE_MISMATCH');
    expect(code(() => registeredMetrics(t, t, [1, 3, 20, 21]))).toBe('SHAPE_MISMATCH');
    expect(code(() => registeredMetrics(t, t, [3, 400] as any))).toBe('INVALID_SHAPE');
    expect(code(() => registeredMetrics(t, t, [1, 3, 20.5, 20]))).toBe('INVALID_SHAPE');
  });
  it('NaN / Inf in inputs, naming the index', () => {
    const bad = t.slice();
    bad[17] = Number.NaN;
    expect(code(() => registeredMetrics(bad, t, [1, 3, 20, 20]))).toBe('NON_FINITE_INPUT');
    expect(() => registeredMetrics(t, bad, [1, 3, 20, 20])).toThrow(/target\[17\] is NaN/);
    bad[17] = Number.POSITIVE_INFINITY;
    expect(code(() => registeredMetrics(bad, t, [1, 3, 20, 20]))).toBe('NON_FINITE_INPUT');
  });
  it('image smaller than the kernel support', () => {
    const small = t.subarray(0, 3 * 12 * 12);
    expect(code(() => registeredMetrics(small, small, [1, 3, 12, 12]))).toBe('IMAGE_TOO_SMALL');
  });
  it('unknown mode', () => {
    expect(code(() => registeredMetrics(t, t, [1, 3, 20, 20], { mode: 'upstream' as any }))).toBe(
      'INVALID_OPTION',
    );
  });
});
