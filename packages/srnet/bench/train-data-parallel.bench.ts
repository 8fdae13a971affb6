// Training step of HighRes-net R=8 (hidden 128, 50×50 LR chips, batch 8, registered loss, Adam) on the CPU:
// wasm in one thread, data-parallel over N worker threads (one wasm replica each), and the same architecture in
// PyTorch (bench/torch_train_step.py over bench/torch_models.py, /usr/bin/python3) with torch.set_num_threads(1) and
// (N), measured in the same run. Ratios are printed at equal thread counts (target: data-parallel ≤ 4× PyTorch on an
// idle machine). Env: SRNET_BENCH_BATCH (8), SRNET_BENCH_REPEATS (3), SRNET_BENCH_WORKERS (2), SRNET_BENCH_MODEL
// (highresnet | srcnn), SRNET_BENCH_HIDDEN (128), SRNET_BENCH_CHIP (LR chip side, 50; the output stays 156×156).
// Needs the built worker script (pnpm --filter @worldstrat/srnet build).
// Run: pnpm --filter @worldstrat/srnet bench bench/train-data-parallel.bench.ts
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import {
  createModel,
  PyTorchAdam,
  resolveModelConfig,
  SeededRandom,
  selectBackend,
  type TrainBatch,
  trainStep,
  WORLDSTRAT_ADAM,
} from '../src/index.js';
import { trainDataParallel } from '../src/node.js';
import { fitMicroBatch, trainingMemoryBudget } from '../src/train/memory.js';

const B = Number(process.env.SRNET_BENCH_BATCH ?? 8);
const REPEATS = Number(process.env.SRNET_BENCH_REPEATS ?? 3);
const WORKERS = Number(process.env.SRNET_BENCH_WORKERS ?? 2);
const KIND = (process.env.SRNET_BENCH_MODEL ?? 'highresnet') as 'highresnet' | 'srcnn';
const R = 8;
const HIDDEN = Number(process.env.SRNET_BENCH_HIDDEN ?? 128);
const CHIP = Number(process.env.SRNET_BENCH_CHIP ?? 50);
const CONFIG = {
  kind: KIND,
  revisits: R,
  hiddenChannels: HIDDEN,
  outputSize: [156, 156] as [number, number],
};
const WORKER = fileURLToPath(new URL('../dist/train/data-parallel-worker.node.js', import.meta.url));

function torchStep(threads: number): number {
  const script = fileURLToPath(new URL('./torch_train_step.py', import.meta.url));
  const args = [script, '--model', KIND, '--revisits', String(R), '--hidden', String(HIDDEN)].concat([
    '--chip',
    String(CHIP),
    '--batch',
    String(B),
    '--repeats',
    String(REPEATS),
    '--threads',
    String(threads),
  ]);
  const out = execFileSync('/usr/bin/python3', args, { encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').at(-1) as string) as { train_step: number }).train_step;
}

function batch(): TrainBatch {
  const lr = new Float32Array(B * R * 12 * CHIP * CHIP).map((_, i) => Math.sin(i * 0.013));
  const hr = new Float32Array(B * 3 * 156 * 156).map((_, i) => 0.3 + 0.2 * Math.cos(i * 0.007));
  return { lr: { data: lr, shape: [B, R, 12, CHIP, CHIP] }, hr: { data: hr, shape: [B, 3, 156, 156] } };
}

/** Fastest of REPEATS single-thread steps after a warm-up. */
async function wasmStep(): Promise<number> {
  const model = createModel(CONFIG, { seed: 0 });
  const adam = new PyTorchAdam(model.trainableVariables(), WORLDSTRAT_ADAM);
  const micro = fitMicroBatch(model.config, [CHIP, CHIP], B, trainingMemoryBudget('wasm'), 'wasm');
  const rng = new SeededRandom(1);
  const b = batch();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= REPEATS; i++) {
    const t0 = performance.now();
    await trainStep(model, adam, model.trainableVariables(), b, rng, 1e-4, 'worldstrat', micro);
    if (i > 0) best = Math.min(best, (performance.now() - t0) / 1000);
  }
  adam.dispose();
  model.dispose();
  return best;
}

/** Fastest of REPEATS data-parallel steps (time between progress events; the first step starts the workers). */
async function dataParallelStep(workers: number): Promise<number> {
  const model = createModel(CONFIG, { seed: 0 });
  const b = batch();
  const stamps: number[] = [];
  await trainDataParallel(model, {
    train: Array.from({ length: REPEATS + 1 }, () => b),
    epochs: 1,
    cosineT0: false,
    workers,
    workerScript: WORKER,
    onProgress: (p) => {
      if (p.stage === 'train') stamps.push(performance.now());
    },
  });
  model.dispose();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < stamps.length; i++)
    best = Math.min(best, ((stamps[i] as number) - (stamps[i - 1] as number)) / 1000);
  return best;
}

it(`${KIND} R=${R} hidden ${HIDDEN} ${CHIP}×${CHIP} batch ${B}: data-parallel wasm vs PyTorch CPU at equal threads`, async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} missing: build @worldstrat/srnet first`);
  const cfg = resolveModelConfig(CONFIG);
  const micro = fitMicroBatch(
    cfg,
    [CHIP, CHIP],
    Math.ceil(B / WORKERS),
    trainingMemoryBudget('wasm'),
    'wasm',
  );
  console.log(
    `loadavg before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; repeats ${REPEATS} (fastest kept)`,
  );
  const torch1 = torchStep(1);
  const torchN = torchStep(WORKERS);
  await selectBackend('wasm');
  const wasm1 = await wasmStep();
  const dp = await dataParallelStep(WORKERS);
  console.log(
    [
      `pytorch cpu 1 thread: ${torch1.toFixed(3)} s/step; ${WORKERS} threads: ${torchN.toFixed(3)} s/step`,
      `wasm 1 thread: ${wasm1.toFixed(3)} s/step = ${(wasm1 / torch1).toFixed(2)}× PyTorch (1 thread)`,
      `data-parallel ${WORKERS} workers (micro-batch ${micro} per worker): ${dp.toFixed(3)} s/step = ${(dp / torchN).toFixed(2)}× PyTorch (${WORKERS} threads; target ≤ 4×), ${(wasm1 / dp).toFixed(2)}× faster than 1 thread`,
      `loadavg after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    ].join('\n'),
  );
}, 3_600_000); // the single-thread batch-8 reference alone takes ~5 min on 2 cores
