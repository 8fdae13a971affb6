// One training step at the paper's setting — HighRes-net R=8, hidden 128, batch 48, 50×50 LR chips → 156×156 —
// on the wasm backend through `train()` with automatic micro-batches. Without them the step needs ≈ 48 × 2.5 GB of
// tensors and the 4 GiB wasm heap aborts; with them it completes. Takes minutes (48 single-sample passes on one
// core), so it lives in `pnpm bench`, not in the tests. Env: SRNET_PAPER_BATCH (default 48).
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import {
  createModel,
  estimateTrainingMemory,
  resolveModelConfig,
  selectBackend,
  type TrainBatch,
  train,
  trainingMemoryBudget,
} from '../src/index.js';
import { WASM_HEAP_MAX_BYTES } from '../src/train/memory.js';

const B = Number(process.env.SRNET_PAPER_BATCH ?? 48);

it(`paper setting: HighRes-net R=8 hidden 128, one step of batch ${B} on wasm`, async () => {
  await selectBackend('wasm');
  const config = resolveModelConfig({ kind: 'highresnet', revisits: 8, hiddenChannels: 128 });
  const R = config.revisits;
  const C = config.inChannels;
  const [oh, ow] = config.outputSize;
  const batch: TrainBatch = {
    lr: {
      data: new Float32Array(B * R * C * 50 * 50).map((_, i) => Math.sin(i * 0.013)),
      shape: [B, R, C, 50, 50],
    },
    hr: {
      data: new Float32Array(B * config.outChannels * oh * ow).map((_, i) => 0.3 + 0.2 * Math.cos(i * 0.007)),
      shape: [B, config.outChannels, oh, ow],
    },
  };
  const e = estimateTrainingMemory(config, [50, 50]);
  const model = createModel(config, { seed: 0 });
  const t0 = performance.now();
  let result: Awaited<ReturnType<typeof train>> | undefined;
  const prof = await tf.profile(async () => {
    result = await train(model, { train: [batch], epochs: 1 });
  });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  console.log(
    `paper step on wasm: batch ${B} in micro-batches of ${result?.microBatchSize} took ${seconds.toFixed(1)} s; peak tensors ${(prof.peakBytes / 2 ** 30).toFixed(2)} GiB (estimate ${((e.perSampleBytes * (result?.microBatchSize ?? 0) + e.fixedBytes) / 2 ** 30).toFixed(2)} GiB, budget ${(trainingMemoryBudget('wasm') / 2 ** 30).toFixed(2)} GiB, heap max 4 GiB); loss ${result?.losses[0]?.loss.toFixed(5)}`,
  );
  expect(result?.steps).toBe(1);
  expect(Number.isFinite(result?.losses[0]?.loss)).toBe(true);
  expect(prof.peakBytes).toBeLessThan(WASM_HEAP_MAX_BYTES);
}, 3_600_000);
