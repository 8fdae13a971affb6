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

/** Wall and process-CPU milliseconds of one call (CPU time is robust when other jobs share the cores). */
function time<T>(f: () => T): { ms: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  return { ms, cpuMs: (c1.user + c1.system) / 1000, value };
}

function compare(label: string, shape: [number, number, number, number], seed: number): void {
  const [b, c, h, w] = shape;
  const target = smoothImage(b * c, h, w, seed);
  const noise = randomImage(target.length, seed + 1, -0.03, 0.03);
  const pred = smoothImage(b * c, h, w, seed, 0.5, -1).map((v, i) => v + noise[i]);
  // Warm up both implementations' JIT on one sample (steady-state timings, not compile time).
  const one = c * h * w;
  for (const mode of MODES) {
    for (let r = 0; r < 3; r++) {
      registeredMetrics(pred.subarray(0, one), target.subarray(0, one), [1, c, h, w], {
        mode,
        details: true,
      });
    }
    const small = c * 24 * 24;
    referenceRegisteredMetrics(pred.subarray(0, small), target.subarray(0, small), [1, c, 24, 24], mode);
  }
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
      `${label} [${shape.join('×')}] ${mode}: fast ${(fast.ms / b).toFixed(1)} ms/chip wall ` +
        `(${(fast.cpuMs / b).toFixed(1)} ms CPU), straightforward ${(ref.ms / b).toFixed(1)} ms/chip wall ` +
        `(${(ref.cpuMs / b).toFixed(1)} ms CPU), speed-up ${(ref.ms / fast.ms).toFixed(1)}× wall, ` +
        `${(ref.cpuMs / fast.cpuMs).toFixed(1)}× CPU, max |diff| ${maxDiff.toExponential(2)}`,
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
