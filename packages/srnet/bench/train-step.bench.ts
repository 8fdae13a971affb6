// HighResNet R=8: eval forward and one training step (registered loss, Adam) on each available TF.js backend vs
// the same architecture in PyTorch (bench/torch_models.py, /usr/bin/python3, 2 threads), run in the same process.
// Env: SRNET_BENCH_BATCH (default 8), SRNET_BENCH_REPEATS (default 2), SRNET_BENCH_BACKENDS (default "wasm,webgpu";
// add "cpu" for the pure-JS backend, which is ~100× slower), SRNET_BENCH_MODEL (highresnet|srcnn).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { createModel, registeredLoss, selectBackend, SeededRandom, PyTorchAdam, WORLDSTRAT_ADAM } from '../src/index.js';

const B = Number(process.env.SRNET_BENCH_BATCH ?? 8);
const REPEATS = Number(process.env.SRNET_BENCH_REPEATS ?? 2);
const BACKENDS = (process.env.SRNET_BENCH_BACKENDS ?? 'wasm,webgpu').split(',') as ('wasm' | 'webgpu' | 'cpu')[];
const KIND = (process.env.SRNET_BENCH_MODEL ?? 'highresnet') as 'highresnet' | 'srcnn';
const R = 8;

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
  const torchOut = execFileSync('/usr/bin/python3', [script, '--model', KIND, '--revisits', String(R), '--batch', String(B), '--repeats', String(REPEATS), '--threads', '2'], { encoding: 'utf8' });
  const torch = JSON.parse(torchOut.trim().split('\n').at(-1) as string) as { forward: number; train_step: number };
  console.log(`pytorch cpu (2 threads): forward ${torch.forward.toFixed(3)} s, train step ${torch.train_step.toFixed(3)} s`);
  for (const backend of BACKENDS) {
    const sel = await selectBackend(backend).catch((e: Error) => e);
    if (sel instanceof Error) {
      console.log(`${backend}: not measured (${sel.message})`);
      continue;
    }
    const model = createModel({ kind: KIND, revisits: R }, { seed: 0 });
    const adam = new PyTorchAdam(model.trainableVariables(), WORLDSTRAT_ADAM);
    const rng = new SeededRandom(1);
    const x = tf.randomNormal([B, R, 50, 50, 12], 0, 1, 'float32', 1) as tf.Tensor5D;
    const y = tf.randomUniform([B, 156, 156, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const fwd = await time(async () => {
      const o = model.forward(x);
      await o.data();
      o.dispose();
    });
    const vars = model.trainableVariables();
    const step = await time(async () => {
      const side: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const r = registeredLoss(model.forward(x, { training: true, rng }), y);
        side.push(r.shiftIndex, r.mseAllShifts);
        return r.loss;
      }, vars);
      adam.apply(vars.map((v) => grads[v.name] as tf.Tensor));
      await value.data();
      tf.dispose([value, ...side, ...Object.values(grads)]);
    });
    console.log(
      `${backend} (${sel.reason}): forward ${fwd.toFixed(3)} s = ${(fwd / torch.forward).toFixed(2)}× PyTorch; train step ${step.toFixed(3)} s = ${(step / torch.train_step).toFixed(2)}× PyTorch (target ≤ 4×)`,
    );
    tf.dispose([x, y]);
    adam.dispose();
    model.dispose();
  }
});
