// Registered WorldStrat scoring: separable fused search vs the straightforward 81 × 11×11 implementation, same run.
// Sizes (issue 3): a batch of 8 chips 3×156×156 and one 4×500×500 pair. Override for a quick run with
// BENCH_CHIPS=<n> and BENCH_LARGE=<side> (0 skips the large pair); BENCH_MODES=worldstrat,centered picks modes. Prints ms per chip, the speed-up ratio and
// the largest difference between the two implementations.
import { expect, it } from 'vitest';
import { type RegistrationMode, registeredMetrics } from '../src/index.js';
import { randomImage, smoothImage } from '../test/support/images.js';
import { referenceRegisteredMetrics } from '../test/support/reference-registered.js';

const CHIPS = Number(process.env.BENCH_CHIPS ?? 8);
const LARGE = Number(process.env.BENCH_LARGE ?? 500);
const MODES = (process.env.BENCH_MODES ?? 'worldstrat').split(',') as RegistrationMode[];

function time<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}

function compare(label: string, shape: [number, number, number, number], seed: number): void {
  const [b, c, h, w] = shape;
  const target = smoothImage(b * c, h, w, seed);
  const noise = randomImage(target.length, seed + 1, -0.03, 0.03);
  const pred = smoothImage(b * c, h, w, seed, 0.5, -1).map((v, i) => v + noise[i]);
  // Warm up the fast path's JIT on a small input.
  registeredMetrics(pred.subarray(0, c * 40 * 40), target.subarray(0, c * 40 * 40), [1, c, 40, 40]);
  for (const mode of MODES) {
    const fast = time(() => registeredMetrics(pred, target, shape, { mode, details: true }));
    const ref = time(() => referenceRegisteredMetrics(pred, target, shape, mode));
    let maxDiff = 0;
    for (let s = 0; s < b; s++) {
      expect(fast.value[s].shiftIndex).toBe(ref.value[s].shiftIndex);
      for (const key of ['mse', 'mae', 'ssimLoss', 'psnr', 'loss'] as const) {
        maxDiff = Math.max(maxDiff, Math.abs(fast.value[s][key] - ref.value[s][key]));
      }
      for (let k = 0; k < 81; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(fast.value[s].mseAllShifts![k] - ref.value[s].mseAllShifts[k]));
      }
    }
    console.log(
      `${label} [${shape.join('×')}] ${mode}: fast ${(fast.ms / b).toFixed(1)} ms/chip, ` +
        `straightforward ${(ref.ms / b).toFixed(1)} ms/chip, speed-up ${(ref.ms / fast.ms).toFixed(1)}×, ` +
        `max |diff| ${maxDiff.toExponential(2)}`,
    );
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  }
}

it('registered metrics: batch of chips 3×156×156', () => {
  if (CHIPS > 0) compare('chips', [CHIPS, 3, 156, 156], 100);
});

it('registered metrics: one large pair', () => {
  if (LARGE > 0) compare('large', [1, 4, LARGE, LARGE], 200);
});
