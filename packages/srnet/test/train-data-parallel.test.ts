// Data-parallel training over worker threads: the same losses and weights as single-thread training (HighRes-net
// with dropout, SRCNN with uneven shards), bit-identical replicas, exact resume from a parallel checkpoint, typed
// errors from workers, abort. The workers run the built script (dist/train/data-parallel-worker.node.js): CI builds
// before testing; a developer machine without a build skips with the reason.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelConfig, StateDict, TrainBatch } from '../src/index.js';
import { createModel, exportStateDict, resolveModelConfig, selectBackend, train } from '../src/index.js';
import { SeededRandom } from '../src/internal/random.js';
import { trainDataParallel } from '../src/node.js';
import { WORLDSTRAT_ADAM } from '../src/train/adam.js';
import { ReplicaPool, shardBounds, sumGradients } from '../src/train/data-parallel.node.js';
import { drawSampleSeeds } from '../src/train/replica.js';
import { requireTool } from './support/require-tool.js';
import { syntheticBatch } from './support/synthetic.js';

const WORKER = fileURLToPath(new URL('../dist/train/data-parallel-worker.node.js', import.meta.url));
const BUILT = requireTool(`the built worker script ${WORKER} (pnpm build)`, existsSync(WORKER));

const TASK = { b: 4, r: 4, c: 3, lr: 10, noise: 0.2 };
const HIGHRES = {
  kind: 'highresnet' as const,
  revisits: 4,
  inChannels: 3,
  outChannels: 3,
  hiddenChannels: 8,
  outputSize: [20, 20] as [number, number],
  dropout: 0.5,
};
const SRCNN = { ...HIGHRES, kind: 'srcnn' as const, hiddenChannels: 8, dropout: 0.5 };
const data = (e: number): TrainBatch[] =>
  Array.from({ length: 2 }, (_, i) => syntheticBatch(31 * e + i, TASK));
const OPTS = { train: data, epochs: 2, optimizer: { lr: 2e-3 }, seed: 4, cosineT0: 3 } as const;

const tmp = mkdtempSync(join(tmpdir(), 'srnet-dp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Per tensor ‖a − b‖₂ / ‖a‖₂ (the largest over tensors), and the largest |a − b| relative to the tensor's max |a|. */
function relativeDiffs(a: StateDict, b: StateDict): { l2: number; max: number } {
  let l2 = 0;
  let max = 0;
  for (const [k, t] of Object.entries(a)) {
    const u = (b[k] as StateDict[string]).data;
    let scale = 0;
    let diff = 0;
    let num = 0;
    let den = 0;
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i] as number;
      const d = x - (u[i] as number);
      scale = Math.max(scale, Math.abs(x));
      diff = Math.max(diff, Math.abs(d));
      num += d * d;
      den += x * x;
    }
    max = Math.max(max, scale > 0 ? diff / scale : diff);
    l2 = Math.max(l2, den > 0 ? Math.sqrt(num / den) : Math.sqrt(num));
  }
  return { l2, max };
}

/** Largest per-tensor relative L2 difference (see {@link relativeDiffs}). */
function maxRelativeDiff(a: StateDict, b: StateDict): number {
  return relativeDiffs(a, b).l2;
}

async function trained(
  cfg: Partial<ModelConfig>,
  run: (m: ReturnType<typeof createModel>) => Promise<{ losses: { step: number; loss: number }[] }>,
) {
  const m = createModel(cfg, { seed: 2 });
  const r = await run(m);
  const weights = await exportStateDict(m);
  m.dispose();
  return { losses: r.losses.map((l) => l.loss), weights };
}

function expectSameTrajectory(
  a: { losses: number[]; weights: StateDict },
  b: { losses: number[]; weights: StateDict },
  steps: number,
) {
  expect(a.losses).toHaveLength(steps);
  expect(b.losses).toHaveLength(steps);
  for (const [i, l] of a.losses.entries())
    expect(Math.abs(l - (b.losses[i] as number))).toBeLessThanOrEqual(1e-5 * Math.abs(l));
  const d = relativeDiffs(a.weights, b.weights);
  console.log(
    `weights: relative L2 ${d.l2.toExponential(2)}, largest element diff ${d.max.toExponential(2)} of max`,
  );
  // Adam divides by √v: float-rounding differences of the gradient sums reach the weights at the 1e-6 level
  expect(d.l2).toBeLessThanOrEqual(1e-5);
  expect(d.max).toBeLessThanOrEqual(1e-4);
  expect(a.losses[3]).not.toBe(a.losses[0]); // it trained
}

describe.runIf(BUILT)('trainDataParallel [slow: trains on wasm in worker threads]', () => {
  it('shards a batch contiguously, larger shards first', () => {
    expect(shardBounds(8, 2)).toEqual([
      [0, 4],
      [4, 4],
    ]);
    expect(shardBounds(4, 3)).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(shardBounds(2, 4)).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('HighRes-net with dropout: 2 workers give the losses and weights of single-thread training', async () => {
    await selectBackend('wasm');
    const single = await trained(HIGHRES, (m) => train(m, OPTS));
    const before = tf.memory().numTensors;
    const replicaTensors: number[][] = [];
    const parallel = await trained(HIGHRES, (m) =>
      trainDataParallel(m, {
        ...OPTS,
        workers: 2,
        workerScript: WORKER,
        onReplicaTensors: (c) => replicaTensors.push(c),
      }),
    );
    console.log('highres losses', single.losses, parallel.losses);
    expectSameTrajectory(single, parallel, 4);
    // no leaks: each replica holds the same number of tensors after every step; this thread is back where it was
    expect(replicaTensors).toHaveLength(4);
    for (const c of replicaTensors) expect(c).toEqual(replicaTensors[0]);
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000); // 20–40 s on a loaded 2-core runner: single-thread training, then two workers

  it('SRCNN: 3 workers on a batch of 4 (uneven shards) and micro-batches inside a shard match too', async () => {
    await selectBackend('wasm');
    const single = await trained(SRCNN, (m) => train(m, OPTS));
    const parallel = await trained(SRCNN, (m) =>
      trainDataParallel(m, { ...OPTS, workers: 3, microBatchSize: 1, workerScript: WORKER }),
    );
    console.log('srcnn losses', single.losses, parallel.losses);
    expectSameTrajectory(single, parallel, 4);
  });

  it('keeps replicas bit-identical (weights and Adam moments) after summed-gradient steps', async () => {
    const cfg = resolveModelConfig(HIGHRES);
    const m = createModel(cfg, { seed: 2 });
    const weights = await exportStateDict(m);
    m.dispose();
    const pool = new ReplicaPool(2, WORKER, { config: cfg, adam: WORLDSTRAT_ADAM, backend: 'wasm' });
    try {
      await pool.start({ weights, step: 0 });
      const rng = new SeededRandom(1);
      for (const batch of data(0)) {
        const g = await pool.gradients(batch, drawSampleSeeds(rng, 4), {
          mode: 'worldstrat',
          micro: 'auto',
          budget: 2 ** 30,
          step: 0,
        });
        await pool.apply(sumGradients(g.grads), 1e-3);
      }
      const [a, b] = await Promise.all([pool.snapshot(0), pool.snapshot(1)]);
      expect(a.step).toBe(2);
      expect(b.step).toBe(2);
      for (const part of ['weights', 'm', 'v'] as const) {
        for (const [k, t] of Object.entries(a[part])) {
          const u = b[part][k] as StateDict[string];
          expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)).toEqual(
            Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          );
        }
      }
      expect(maxRelativeDiff(a.weights, weights)).toBeGreaterThan(0); // the steps changed the weights
    } finally {
      await pool.close();
    }
  });

  it('resumes a parallel checkpoint exactly: same losses and weights as an uninterrupted parallel run', async () => {
    await selectBackend('wasm');
    const par = { ...OPTS, workers: 2, workerScript: WORKER };
    const full = await trained(SRCNN, (m) => trainDataParallel(m, par));
    let bytes: Uint8Array | undefined;
    const sink = {
      save: async (b: Uint8Array) => {
        bytes = b;
      },
    };
    const part = await trained(SRCNN, (m) =>
      trainDataParallel(m, { ...par, maxSteps: 3, checkpoint: { sink, every: 1 } }),
    );
    expect(part.losses).toEqual(full.losses.slice(0, 3));
    const rest = await trained(SRCNN, (m) => trainDataParallel(m, { ...par, resume: bytes as Uint8Array }));
    expect(rest.losses).toEqual(full.losses.slice(3));
    expect(maxRelativeDiff(full.weights, rest.weights)).toBe(0);
    // the checkpoint is an ordinary one: single-thread training resumes it on the same trajectory
    const single = await trained(SRCNN, (m) => train(m, { ...OPTS, resume: bytes as Uint8Array }));
    expect(Math.abs((single.losses[0] as number) - (full.losses[3] as number))).toBeLessThanOrEqual(
      1e-5 * (full.losses[3] as number),
    );
    expect(maxRelativeDiff(full.weights, single.weights)).toBeLessThanOrEqual(1e-5);
  });

  it('a given worker count holds from the first step, even when the first batch is smaller, so a resume is exact', async () => {
    await selectBackend('wasm');
    const uneven = (e: number): TrainBatch[] => [
      syntheticBatch(7 * e, { ...TASK, b: 1 }),
      syntheticBatch(7 * e + 1, TASK),
      syntheticBatch(7 * e + 2, TASK),
    ];
    const replicas = new Set<number>();
    const par = { ...OPTS, train: uneven, workers: 2, workerScript: WORKER };
    let bytes: Uint8Array | undefined;
    const sink = {
      save: async (b: Uint8Array, info: { step: number }) => {
        if (info.step === 1) bytes = b;
      },
    };
    const full = await trained(SRCNN, (m) =>
      trainDataParallel(m, {
        ...par,
        checkpoint: { sink, every: 1 },
        onReplicaTensors: (c) => replicas.add(c.length),
      }),
    );
    expect([...replicas]).toEqual([2]);
    const rest = await trained(SRCNN, (m) => trainDataParallel(m, { ...par, resume: bytes as Uint8Array }));
    expect(rest.losses).toEqual(full.losses.slice(1));
    expect(maxRelativeDiff(full.weights, rest.weights)).toBe(0);
  });

  it("a worker's srnet error reaches the caller typed, naming the worker", async () => {
    const m = createModel(SRCNN, { seed: 2 });
    const err = await trainDataParallel(m, {
      ...OPTS,
      workers: 2,
      workerScript: WORKER,
      memoryBudgetBytes: 1000, // not even one sample fits
    }).catch((e: unknown) => e);
    m.dispose();
    expect(err).toMatchObject({ name: 'SrnetError', code: 'OUT_OF_MEMORY' });
    expect((err as Error).message).toMatch(/^data-parallel worker [01]: one 10×10 sample of srcnn/);
  });

  it('a worker that dies → TRAINING_WORKER_FAILED; a bad worker count or backend → BAD_CONFIG', async () => {
    const broken = join(tmp, 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("worker failed to load");\n');
    const m = createModel(SRCNN, { seed: 2 });
    const err = await trainDataParallel(m, { ...OPTS, workers: 2, workerScript: broken }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'SrnetError', code: 'TRAINING_WORKER_FAILED' });
    expect((err as Error).message).toContain('worker failed to load');
    await expect(trainDataParallel(m, { ...OPTS, workers: 0, workerScript: WORKER })).rejects.toMatchObject({
      code: 'BAD_CONFIG',
    });
    const webgpu = { ...OPTS, backend: 'webgpu' as 'cpu', workerScript: WORKER };
    await expect(trainDataParallel(m, webgpu)).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    m.dispose();
  });

  it('a batch whose data is not a Float32Array → BAD_INPUT_SHAPE before any worker starts', async () => {
    // a worker script that fails to load: reaching any worker would be TRAINING_WORKER_FAILED
    const broken = join(tmp, 'never-started-worker.mjs');
    writeFileSync(broken, 'throw new Error("a worker was started");\n');
    const m = createModel(SRCNN, { seed: 2 });
    for (const part of ['lr', 'hr'] as const) {
      const b = syntheticBatch(5, TASK);
      Object.assign(b[part], { data: Float64Array.from(b[part].data) });
      const err = await trainDataParallel(m, { ...OPTS, train: [b], workers: 2, workerScript: broken }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'SrnetError', code: 'BAD_INPUT_SHAPE' });
      expect((err as Error).message).toContain(`batch 0 of epoch 0.${part}.data must be a Float32Array`);
    }
    m.dispose();
  });

  it('abort during a step stops the workers and rejects with ABORTED', async () => {
    const m = createModel(HIGHRES, { seed: 2 });
    const ac = new AbortController();
    const t0 = Date.now();
    const err = await trainDataParallel(m, {
      ...OPTS,
      epochs: 100,
      workers: 2,
      workerScript: WORKER,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'train' && p.step === 1) setTimeout(() => ac.abort('test'), 5);
      },
    }).catch((e: unknown) => e);
    m.dispose();
    expect(err).toMatchObject({ name: 'SrnetError', code: 'ABORTED' });
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
