// Training: a tiny SRCNN learns a synthetic multi-frame task on wasm and beats the bicubic baseline; exact resume
// on cpu; no tensor leaks; typed errors for bad batches and foreign checkpoints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointSink, TrainBatch } from '../src/index.js';
import {
  cosineDecayLr,
  createModel,
  decodeCheckpoint,
  SrnetError,
  selectBackend,
  train,
} from '../src/index.js';
import { fileCheckpointStore, readCheckpointFile } from '../src/node.js';
import { syntheticBatch } from './support/synthetic.js';

const TASK = { b: 4, r: 4, c: 3, lr: 16, noise: 0.2 };
const CONFIG = {
  kind: 'srcnn' as const,
  revisits: 4,
  inChannels: 3,
  outChannels: 3,
  hiddenChannels: 16,
  outputSize: [32, 32] as [number, number],
};
const BASELINE = { channels: [0, 1, 2], mean: [0, 0, 0], std: [1, 1, 1] };
const trainSet = (epoch: number): TrainBatch[] =>
  Array.from({ length: 8 }, (_, i) => syntheticBatch(1000 * epoch + i, TASK));
const valSet: TrainBatch[] = [syntheticBatch(999_001, TASK), syntheticBatch(999_002, TASK)];

const tmp = mkdtempSync(join(tmpdir(), 'srnet-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train() [slow: real training runs on wasm and cpu]', () => {
  it('learns a synthetic task on wasm and beats the bicubic baseline in validation cPSNR', async () => {
    await selectBackend('wasm');
    // dropout 0 for the tiny net (the upstream 0.5 is exercised by the resume test below)
    const model = createModel({ ...CONFIG, dropout: 0 }, { seed: 3 });
    const progress: number[] = [];
    const result = await train(model, {
      train: trainSet,
      validation: valSet,
      epochs: 6,
      optimizer: { lr: 3e-3 },
      mode: 'centered',
      seed: 5,
      baseline: BASELINE,
      onProgress: (p) => {
        if (p.stage === 'train') {
          expect(p.stepsPerSecond).toBeGreaterThan(0);
          progress.push(p.done);
        }
      },
    });
    expect(result.steps).toBe(48);
    expect(result.epochs).toBe(6);
    expect(progress).toHaveLength(48);
    const first = result.validation[0]!;
    const last = result.validation.at(-1)!;
    console.log(
      'val cPSNR per epoch',
      result.validation.map((v) => v.psnr.toFixed(2)),
      'baseline',
      last.baseline?.psnr.toFixed(2),
    );
    expect(last.psnr).toBeGreaterThan(first.psnr);
    expect(last.psnr).toBeGreaterThan(last.baseline!.psnr);
    model.dispose();
  });

  it('resumes exactly on cpu: same losses as an uninterrupted run; atomic files; no tensor leaks', async () => {
    await selectBackend('cpu');
    const small = { ...TASK, b: 2, r: 2, lr: 12 };
    const cfg = { ...CONFIG, revisits: 2, hiddenChannels: 8, outputSize: [24, 24] as [number, number] };
    const data = (e: number) => Array.from({ length: 3 }, (_, i) => syntheticBatch(77 * e + i, small));
    const opts = { train: data, epochs: 2, optimizer: { lr: 1e-3 }, seed: 9, cosineT0: 3 } as const;

    const a = createModel(cfg, { seed: 1 });
    const counts: number[] = [];
    const full = await train(a, { ...opts, onProgress: () => counts.push(tf.memory().numTensors) });
    a.dispose();
    expect(full.losses).toHaveLength(6);
    expect(new Set(counts).size).toBe(1); // numTensors stable across steps

    // interrupted run: stop after 4 steps (mid-epoch 1) with a checkpoint every 2 steps
    const store = fileCheckpointStore(join(tmp, 'ck'));
    const b = createModel(cfg, { seed: 1 });
    const part = await train(b, { ...opts, maxSteps: 4, checkpoint: { sink: store, every: 2 } });
    b.dispose();
    expect(part.losses.map((l) => l.loss)).toEqual(full.losses.slice(0, 4).map((l) => l.loss));
    const bytes = await readCheckpointFile(store.lastPath);
    const ck = decodeCheckpoint(bytes);
    expect([ck.step, ck.epoch, ck.batchInEpoch]).toEqual([4, 1, 1]);

    const c = createModel(cfg, { seed: 123 }); // different init: resume must overwrite it
    const rest = await train(c, { ...opts, resume: bytes });
    c.dispose();
    expect(rest.losses.map((l) => l.step)).toEqual([5, 6]);
    expect(rest.losses.map((l) => l.loss)).toEqual(full.losses.slice(4).map((l) => l.loss));
  });

  it('micro-batch gradient accumulation gives the same training trajectory as whole batches', async () => {
    await selectBackend('cpu');
    const cfg = {
      ...CONFIG,
      revisits: 2,
      hiddenChannels: 4,
      outputSize: [24, 24] as [number, number],
      dropout: 0,
    };
    const data = [0, 1, 2].map((i) => syntheticBatch(500 + i, { ...TASK, b: 4, r: 2, lr: 12 }));
    const run = async (micro?: number) => {
      const m = createModel(cfg, { seed: 8 });
      const r = await train(m, {
        train: data,
        epochs: 1,
        optimizer: { lr: 1e-3 },
        ...(micro ? { microBatchSize: micro } : {}),
      });
      m.dispose();
      return r.losses.map((l) => l.loss);
    };
    const whole = await run();
    const micro = await run(1);
    expect(micro).toHaveLength(3);
    for (const [i, l] of micro.entries()) {
      expect(Math.abs(l - (whole[i] as number))).toBeLessThan(1e-4 * Math.abs(whole[i] as number));
    }
    expect(whole[2]).not.toBe(whole[0]);
  });

  it('cosineDecaySteps anneals the rate per step (η0 at step 0, half at the middle, → 0) and is validated', async () => {
    await selectBackend('cpu');
    const cfg = {
      ...CONFIG,
      revisits: 2,
      hiddenChannels: 4,
      outputSize: [24, 24] as [number, number],
      dropout: 0,
    };
    const data = [0, 1, 2, 3].map((i) => syntheticBatch(700 + i, { ...TASK, b: 1, r: 2, lr: 12 }));
    const rates: number[] = [];
    const m = createModel(cfg, { seed: 3 });
    await train(m, {
      train: data,
      epochs: 2,
      optimizer: { lr: 4e-3 },
      cosineDecaySteps: 8,
      onProgress: (p) => {
        if (p.stage === 'train') rates.push(p.lr as number);
      },
    });
    expect(rates).toHaveLength(8);
    for (const [s, lr] of rates.entries()) expect(lr).toBeCloseTo(cosineDecayLr(4e-3, s, 8), 15);
    expect(rates[0]).toBe(4e-3);
    expect(rates[4]).toBeCloseTo(2e-3, 15);
    expect(rates[7]).toBeLessThan(2e-4);
    expect(cosineDecayLr(4e-3, 8, 8)).toBe(0);
    expect(cosineDecayLr(4e-3, 20, 8)).toBe(0);
    await expect(train(m, { train: data, epochs: 1, cosineDecaySteps: 0 })).rejects.toMatchObject({
      code: 'BAD_CONFIG',
    });
    m.dispose();
  });

  it('rejects bad batches and checkpoints of another architecture with typed errors', async () => {
    await selectBackend('cpu');
    const cfg = { ...CONFIG, revisits: 2, hiddenChannels: 4, outputSize: [24, 24] as [number, number] };
    const model = createModel(cfg, { seed: 1 });
    const good = syntheticBatch(1, { ...TASK, b: 1, r: 2, lr: 12 });
    const bad = (mut: (b: TrainBatch) => TrainBatch) =>
      train(model, { train: [mut(structuredClone(good))], epochs: 1 });
    await expect(
      bad((b) => ({ ...b, lr: { data: b.lr.data.slice(0, 2 * 2 * 12 * 12), shape: [1, 2, 2, 12, 12] } })),
    ).rejects.toMatchObject({ code: 'BAD_BANDS' });
    await expect(
      bad((b) => ({ ...b, lr: { data: b.lr.data.slice(0, 3 * 12 * 12), shape: [1, 1, 3, 12, 12] } })),
    ).rejects.toMatchObject({ code: 'BAD_REVISITS' });
    await expect(
      bad((b) => ({ ...b, lr: { data: b.lr.data, shape: [2, 3, 12, 12] as unknown as [1, 2, 3, 12, 12] } })),
    ).rejects.toMatchObject({ code: 'BAD_INPUT_SHAPE' });
    await expect(
      bad((b) => {
        b.lr.data[5] = Number.NaN;
        return b;
      }),
    ).rejects.toMatchObject({ code: 'NON_FINITE_INPUT' });
    // lr/hr data other than Float32Array: BAD_INPUT_SHAPE naming the batch and part, before any step
    const typed: [string, (b: TrainBatch) => void][] = [
      ['lr', (b) => Object.assign(b.lr, { data: Float64Array.from(b.lr.data) })],
      ['hr', (b) => Object.assign(b.hr, { data: Uint16Array.from(b.hr.data, (v) => v * 1000) })],
      ['hr', (b) => Object.assign(b.hr, { data: Float64Array.from(b.hr.data) })],
    ];
    for (const [part, mut] of typed) {
      const err = await bad((b) => {
        mut(b);
        return b;
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SrnetError);
      expect(err).toMatchObject({ code: 'BAD_INPUT_SHAPE' });
      expect((err as Error).message).toMatch(
        new RegExp(`^train: batch 0 of epoch 0\\.${part}\\.data must be a Float32Array, got `),
      );
    }
    // validation batches too, after the epoch's training (which ran: the model is the same object)
    for (const [part, mut] of typed) {
      const val = structuredClone(good);
      mut(val);
      const err = await train(model, { train: [good], validation: [val], epochs: 1, baseline: false }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'BAD_INPUT_SHAPE' });
      expect((err as Error).message).toMatch(
        new RegExp(`^validate: validation batch 0\\.${part}\\.data must be a Float32Array, got `),
      );
    }
    const sink: CheckpointSink & { last?: Uint8Array } = {
      async save(bytes) {
        sink.last = bytes;
      },
    };
    const other = createModel({ ...cfg, hiddenChannels: 8 }, { seed: 2 });
    await train(other, { train: [good], epochs: 1, checkpoint: { sink } });
    other.dispose();
    const err = await train(model, { train: [good], epochs: 1, resume: sink.last }).catch((e) => e);
    expect(err).toBeInstanceOf(SrnetError);
    expect(err.code).toBe('ARCHITECTURE_MISMATCH');
    expect(err.message).toContain('hiddenChannels');
    model.dispose();
  });
});
