// Training memory: the per-sample estimate bounds the measured peak, 'auto' micro-batches follow the budget and
// give the same step as the whole batch, and an allocation failure becomes OUT_OF_MEMORY with a size that fits.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  estimateTrainingMemory,
  exportStateDict,
  resolveModelConfig,
  selectBackend,
  train,
  trainingMemoryBudget,
} from '../src/index.js';
import { fitMicroBatch, isOutOfMemory, WASM_HEAP_MAX_BYTES } from '../src/train/memory.js';
import { syntheticBatch } from './support/synthetic.js';

const small = (kind: 'srcnn' | 'highresnet', revisits: number, hidden: number, lr: number, dropout = 0) =>
  resolveModelConfig({
    kind,
    revisits,
    inChannels: 3,
    hiddenChannels: hidden,
    outputSize: [2 * lr, 2 * lr],
    dropout,
  });

describe('training memory [slow: measures wasm training steps]', () => {
  it('the paper setting (HighRes-net R=8, hidden 128, 50×50 chips) fits wasm only one sample at a time', () => {
    const paper = resolveModelConfig({ kind: 'highresnet', revisits: 8, hiddenChannels: 128 });
    const e = estimateTrainingMemory(paper, [50, 50]);
    const budget = trainingMemoryBudget('wasm');
    expect(budget).toBeLessThan(WASM_HEAP_MAX_BYTES);
    // a batch of 8 in one tape is far past the 4 GiB heap: the observed `Aborted()`
    expect(8 * e.perSampleBytes + e.fixedBytes).toBeGreaterThan(WASM_HEAP_MAX_BYTES);
    expect(fitMicroBatch(paper, [50, 50], 48, budget, 'wasm')).toBe(1);
    expect(fitMicroBatch(paper, [50, 50], 48, trainingMemoryBudget('tensorflow'), 'tensorflow')).toBe(3);
    expect(() => fitMicroBatch(paper, [50, 50], 48, 1e9, 'webgpu')).toThrow(
      expect.objectContaining({ code: 'OUT_OF_MEMORY', message: expect.stringContaining('webgpu') }),
    );
  });

  it('the estimate bounds the measured peak of a step on wasm, within 3×', async () => {
    await selectBackend('wasm');
    for (const cfg of [small('highresnet', 8, 16, 24, 0.5), small('srcnn', 4, 16, 24)]) {
      const data = [syntheticBatch(1, { b: 2, r: cfg.revisits, c: 3, lr: 24, noise: 0.1 })];
      const m = createModel(cfg, { seed: 1 });
      const prof = await tf.profile(async () => {
        await train(m, { train: data, epochs: 1, microBatchSize: 2 });
      });
      m.dispose();
      const e = estimateTrainingMemory(cfg, [24, 24]);
      const est = 2 * e.perSampleBytes + e.fixedBytes;
      expect(est, cfg.kind).toBeGreaterThanOrEqual(prof.peakBytes);
      expect(est, cfg.kind).toBeLessThan(3 * prof.peakBytes);
    }
  }, 60_000);

  it("'auto' splits a batch to fit the budget, and the step equals the whole-batch step", async () => {
    await selectBackend('wasm');
    const cfg = small('highresnet', 2, 8, 12);
    const data = [0, 1, 2].map((i) => syntheticBatch(40 + i, { b: 4, r: 2, c: 3, lr: 12, noise: 0.2 }));
    const e = estimateTrainingMemory(cfg, [12, 12]);
    const run = async (opts: { microBatchSize?: number | 'auto'; memoryBudgetBytes?: number }) => {
      const m = createModel(cfg, { seed: 5 });
      const r = await train(m, { train: data, epochs: 1, optimizer: { lr: 1e-3 }, ...opts });
      const sd = await exportStateDict(m);
      m.dispose();
      return { r, w: sd['sr.upsample.4.weight']?.data as Float32Array };
    };
    const whole = await run({ microBatchSize: 4 });
    expect(whole.r.microBatchSize).toBe(4);
    // a budget for 1.5 samples → micro-batches of 1
    const split = await run({ memoryBudgetBytes: e.fixedBytes + 1.5 * e.perSampleBytes });
    expect(split.r.microBatchSize).toBe(1);
    const big = await run({}); // default budget: the whole batch fits
    expect(big.r.microBatchSize).toBe(4);
    for (const [i, l] of split.r.losses.entries())
      expect(Math.abs(l.loss - (whole.r.losses[i]?.loss as number))).toBeLessThan(
        1e-4 * Math.abs(whole.r.losses[i]?.loss as number),
      );
    let maxDiff = 0;
    for (let i = 0; i < whole.w.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((whole.w[i] as number) - (split.w[i] as number)));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(whole.r.losses[2]?.loss).not.toBe(whole.r.losses[0]?.loss);
    // too small for one sample: a typed error before any step
    const m = createModel(cfg, { seed: 5 });
    await expect(
      train(m, { train: data, epochs: 1, memoryBudgetBytes: e.perSampleBytes / 2 }),
    ).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
      message: expect.stringContaining('budget of the wasm backend'),
    });
    await expect(train(m, { train: data, epochs: 1, microBatchSize: 0 })).rejects.toMatchObject({
      code: 'BAD_CONFIG',
    });
    m.dispose();
  }, 60_000);

  it('a wasm abort (`Aborted()`) in a step → OUT_OF_MEMORY suggesting a micro-batch size', async () => {
    await selectBackend('wasm');
    const cfg = small('srcnn', 2, 8, 12);
    const data = [syntheticBatch(7, { b: 4, r: 2, c: 3, lr: 12, noise: 0.2 })];
    const m = createModel(cfg, { seed: 1 });
    // fault injection: the wasm module's own error for a heap that cannot grow
    m.forward = () => {
      throw new WebAssembly.RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
    };
    const err = await train(m, { train: data, epochs: 1, microBatchSize: 4 }).catch((e: unknown) => e);
    m.dispose();
    expect(err).toMatchObject({
      code: 'OUT_OF_MEMORY',
      details: { backend: 'wasm', batch: 4, microBatchSize: 4, suggestedMicroBatchSize: 2 },
    });
    expect((err as Error).message).toContain('--micro-batch-size 2');
    expect((err as Error).message).toContain('restart the process');
    expect((err as Error).cause).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Invalid typed array length: 4294967296'))).toBe(true);
    expect(isOutOfMemory(new TypeError('x is not a function'))).toBe(false);
  });
});
