// HighResNet R=8: eval forward and one training step (registered loss, Adam) on each available TF.js backend vs
// the same architecture in PyTorch (bench/torch_models.py, /usr/bin/python3, 2 threads), run in the same process.
// Env: SRNET_BENCH_BATCH (default 8), SRNET_BENCH_REPEATS (default 2), SRNET_BENCH_BACKENDS (default "wasm,webgpu";
// add "cpu" for the pure-JS backend, which is ~100× slower), SRNET_BENCH_MODEL (highresnet|srcnn),
// SRNET_BENCH_MICRO (micro-batch size of the TF.js training step, default 2: wasm's 32-bit heap cannot hold the
// activations of a HighResNet batch of 8 at once; gradients are accumulated, same update).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import {
  createModel,
  PyTorchAdam,
  SeededRandom,
  selectBackend,
  trainStep,
  WORLDSTRAT_ADAM,
} from '../src/index.js';

const B = Number(process.env.SRNET_BENCH_BATCH ?? 8);
const REPEATS = Number(process.env.SRNET_BENCH_REPEATS ?? 2);
const BACKENDS = (process.env.SRNET_BENCH_BACKENDS ?? 'wasm,webgpu').split(',') as (
  | 'wasm'
  | 'webgpu'
  | 'cpu'
)[];
const KIND = (process.env.SRNET_BENCH_MODEL ?? 'highresnet') as 'highresnet' | 'srcnn';
const R = 8;
const MICRO = Number(process.env.SRNET_BENCH_MICRO ?? 2);

async function time(fn: () => Promise<void>): Promise<number> {
  await fn(); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

it(`${KIND} R=${R} batch ${B}: TF.js backends vs PyTorch CPU`, async () => {
  const script = fileURLToPath(new URL('./torch_models.py', import.meta.url));
  const torchOut = execFileSync(
    '/usr/bin/python3',
    [
      script,
      '--model',
      KIND,
      '--revisits',
      String(R),
      '--batch',
      String(B),
      '--repeats',
      String(REPEATS),
      '--threads',
      '2',
    ],
    { encoding: 'utf8' },
  );
  const torch = JSON.parse(torchOut.trim().split('\n').at(-1) as string) as {
    forward: number;
    train_step: number;
  };
  console.log(
    `pytorch cpu (2 threads): forward ${torch.forward.toFixed(3)} s, train step ${torch.train_step.toFixed(3)} s`,
  );
  for (const backend of BACKENDS) {
    const sel = await selectBackend(backend).catch((e: Error) => e);
    if (sel instanceof Error) {
      console.log(`${backend}: not measured (${sel.message})`);
      continue;
    }
    const model = createModel({ kind: KIND, revisits: R }, { seed: 0 });
    const adam = new PyTorchAdam(model.trainableVariables(), WORLDSTRAT_ADAM);
    const rng = new SeededRandom(1);
    const lrData = new Float32Array(B * R * 12 * 50 * 50).map((_, i) => Math.sin(i * 0.013));
    const hrData = new Float32Array(B * 3 * 156 * 156).map((_, i) => 0.3 + 0.2 * Math.cos(i * 0.007));
    const batch = {
      lr: { data: lrData, shape: [B, R, 12, 50, 50] as [number, number, number, number, number] },
      hr: { data: hrData, shape: [B, 3, 156, 156] as [number, number, number, number] },
    };
    const x = tf.tidy(() =>
      tf.transpose(tf.tensor5d(lrData, batch.lr.shape), [0, 1, 3, 4, 2]),
    ) as tf.Tensor5D;
    const fwd = await time(async () => {
      const o = model.forward(x);
      await o.data();
      o.dispose();
    });
    const vars = model.trainableVariables();
    const step = await time(async () => {
      await trainStep(model, adam, vars, batch, rng, WORLDSTRAT_ADAM.lr, 'worldstrat', MICRO);
    });
    console.log(
      `${backend} (${sel.reason}): forward ${fwd.toFixed(3)} s = ${(fwd / torch.forward).toFixed(2)}× PyTorch; train step (micro-batch ${MICRO}) ${step.toFixed(3)} s = ${(step / torch.train_step).toFixed(2)}× PyTorch (target ≤ 4×)`,
    );
    x.dispose();
    adam.dispose();
    model.dispose();
  }
});
