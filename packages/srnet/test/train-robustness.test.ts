// Training robustness on the tiniest setup (SRCNN R=2, C=3, hidden 8, 8×8 chips, cpu): a diverged step never
// replaces a good checkpoint, empty epochs and hostile options are typed errors before anything runs, an abort is
// heard during a synchronous cpu loop, metrics and checkpoint-store failures come back as SrnetErrors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckpointSink,
  createModel,
  decodeCheckpoint,
  encodeCheckpoint,
  type SrModel,
  SrnetError,
  selectBackend,
  type TrainBatch,
  type TrainOptions,
  train,
  validate,
} from '../src/index.js';
import { fileCheckpointStore, readCheckpointFile } from '../src/node.js';

const CFG = {
  kind: 'srcnn' as const,
  revisits: 2,
  inChannels: 3,
  outChannels: 3,
  hiddenChannels: 8,
  outputSize: [16, 16] as [number, number],
  dropout: 0.5,
};

/** A seeded batch of `b` samples: 8×8 LR revisits and 16×16 HR targets around 0.6. */
function batch(seed: number, b = 2): TrainBatch {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const hr = new Float32Array(b * 3 * 16 * 16).map(() => 0.5 + 0.2 * rnd());
  const lr = new Float32Array(b * 2 * 3 * 8 * 8).map(() => 0.5 + 0.2 * rnd());
  return { lr: { data: lr, shape: [b, 2, 3, 8, 8] }, hr: { data: hr, shape: [b, 3, 16, 16] } };
}
const data = (e: number) => [batch(31 * e), batch(31 * e + 1)];
const BASE = { train: data, epochs: 1, baseline: false as const };

const tmp = mkdtempSync(join(tmpdir(), 'srnet-robust-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend('cpu');
});

/** train()'s rejection, checked to be an SrnetError. */
async function failure(model: SrModel, options: TrainOptions): Promise<SrnetError> {
  const err = await train(model, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SrnetError);
  return err as SrnetError;
}

/** A sink keeping every checkpoint in memory. */
function memorySink(): CheckpointSink & { saves: { bytes: Uint8Array; step: number }[] } {
  const saves: { bytes: Uint8Array; step: number }[] = [];
  return { saves, save: async (bytes, info) => void saves.push({ bytes, step: info.step }) };
}

describe('a diverged step never becomes a checkpoint', () => {
  it('lr 1e38 on resume: NON_FINITE_WEIGHTS naming the step; last.safetensors still holds the good step', async () => {
    const store = fileCheckpointStore(join(tmp, 'f1'));
    await train(createModel(CFG, { seed: 1 }), { ...BASE, checkpoint: { sink: store, every: 1 } });
    const good = await readCheckpointFile(store.lastPath);
    expect(decodeCheckpoint(good).step).toBe(2);
    const err = await failure(createModel(CFG, { seed: 1 }), {
      ...BASE,
      epochs: 5,
      maxSteps: 3,
      optimizer: { lr: 1e38 },
      cosineT0: false,
      resume: good,
      checkpoint: { sink: store, every: 1 },
    });
    expect(err.code).toBe('NON_FINITE_WEIGHTS');
    expect(err.message).toContain('training step 3 made weight');
    expect(err.details.step).toBe(3);
    const after = await readCheckpointFile(store.lastPath);
    expect(Buffer.from(after)).toEqual(Buffer.from(good));
  });

  it('a finite but hostile moment (m = 3e38, v = 0) stops at the first step with nothing saved', async () => {
    const sink = memorySink();
    await train(createModel(CFG, { seed: 1 }), { ...BASE, maxSteps: 1, checkpoint: { sink } });
    const ck = decodeCheckpoint(sink.saves.at(-1)?.bytes as Uint8Array);
    const fill = (sd: typeof ck.weights, v: number) =>
      Object.fromEntries(
        Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, data: t.data.map(() => v) }]),
      );
    const hostile = encodeCheckpoint({
      ...ck,
      optimizer: { ...ck.optimizer, m: fill(ck.optimizer.m, 3e38), v: fill(ck.optimizer.v, 0) },
    });
    const later = memorySink();
    const err = await failure(createModel(CFG, { seed: 1 }), {
      ...BASE,
      resume: hostile,
      checkpoint: { sink: later, every: 1 },
    });
    expect(err.code).toBe('NON_FINITE_WEIGHTS');
    expect(err.message).toContain('training step 2');
    expect(later.saves).toHaveLength(0);
  });

  it('encodeCheckpoint refuses what decodeCheckpoint would refuse: non-finite tensors, bad counts and settings', async () => {
    const sink = memorySink();
    await train(createModel(CFG, { seed: 1 }), { ...BASE, maxSteps: 1, checkpoint: { sink } });
    const ck = decodeCheckpoint(sink.saves.at(-1)?.bytes as Uint8Array);
    const key = Object.keys(ck.optimizer.v)[0] as string;
    const v = ck.optimizer.v[key] as (typeof ck.weights)[string];
    const badV = { ...ck.optimizer.v, [key]: { shape: v.shape, data: v.data.map(() => Infinity) } };
    const nan = { ...ck.weights, [key]: { shape: v.shape, data: v.data.map(() => Number.NaN) } };
    const cases: [string, unknown, string][] = [
      ['NON_FINITE_WEIGHTS', { ...ck, weights: nan }, `checkpoint.weights["${key}"] holds NaN`],
      [
        'NON_FINITE_WEIGHTS',
        { ...ck, optimizer: { ...ck.optimizer, v: badV } },
        `checkpoint.optimizer.v["${key}"] holds Infinity`,
      ],
      ['BAD_CHECKPOINT', { ...ck, step: -1 }, 'checkpoint.step must be an integer'],
      ['BAD_CHECKPOINT', { ...ck, epoch: 0.5 }, 'checkpoint.epoch must be an integer'],
      [
        'BAD_CHECKPOINT',
        { ...ck, step: 2 ** 53 - 1 },
        'checkpoint.step must be an integer in 0..4503599627370496',
      ],
      [
        'BAD_CHECKPOINT',
        { ...ck, optimizer: { ...ck.optimizer, config: { ...ck.optimizer.config, lr: -1 } } },
        'checkpoint.optimizer.config.lr must be a finite number > 0',
      ],
      ['BAD_CHECKPOINT', { ...ck, rngState: [0.5, 0, 0, 0] }, 'checkpoint.rngState must be four 32-bit'],
      ['BAD_CHECKPOINT', { ...ck, bestValidationLoss: Number.NaN }, 'checkpoint.bestValidationLoss'],
    ];
    for (const [code, bad, text] of cases)
      expect(() => encodeCheckpoint(bad as typeof ck), text).toThrow(
        expect.objectContaining({ code, message: expect.stringContaining(text) }),
      );
    expect(decodeCheckpoint(encodeCheckpoint({ ...ck, step: 2 ** 52 })).step).toBe(2 ** 52);
  });
});

describe('epochs end', () => {
  it('an epoch without batches is BAD_CONFIG (was: epochs Infinity froze the process), Infinity is refused', async () => {
    const model = createModel(CFG, { seed: 1 });
    const empty = await failure(model, { train: () => [], epochs: 3, maxSteps: 10, baseline: false });
    expect(empty.code).toBe('BAD_CONFIG');
    expect(empty.message).toContain('options.train yielded no batch in epoch 0');
    const inf = await failure(model, { train: () => [], epochs: Infinity, maxSteps: 10, baseline: false });
    expect(inf.code).toBe('BAD_CONFIG');
    expect(inf.message).toContain('options.epochs must be an integer');
  });

  it('an abort from a timer is heard during a synchronous source on cpu (was: microtasks only, the timer never ran)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort('stop'), 50);
    let served = 0;
    function* endless() {
      // a bound instead of a hang if the loop never yields to timers
      for (; served < 400; served++) yield batch(served, 1);
      throw new Error('the abort was never heard');
    }
    const err = await failure(createModel(CFG, { seed: 1 }), {
      ...BASE,
      train: endless,
      signal: ac.signal,
    });
    expect(err.code).toBe('ABORTED');
  });
});

describe('options are checked before anything runs', () => {
  it('optimizer settings: BAD_CONFIG naming options.optimizer.<key>, no tensor left behind', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ lr: -1 }, 'options.optimizer.lr must be a finite number > 0, got -1'],
      [{ lr: '0.001' }, 'options.optimizer.lr must be a finite number > 0'],
      [{ eps: -1 }, 'options.optimizer.eps must be a finite number > 0'],
      [{ beta1: 1 }, 'options.optimizer.beta1 must be a number in [0, 1)'],
      [{ beta2: Number.NaN }, 'options.optimizer.beta2 must be a number in [0, 1)'],
      [{ weightDecay: Number.NaN }, 'options.optimizer.weightDecay must be a finite number ≥ 0'],
      [{ weightDecay: 'x' }, 'options.optimizer.weightDecay must be a finite number ≥ 0'],
      [{ learningRate: 1e-3 }, 'options.optimizer.learningRate is not an Adam setting'],
    ];
    const model = createModel(CFG, { seed: 1 });
    const before = tf.memory().numTensors;
    for (const [optimizer, text] of cases) {
      const err = await failure(model, { ...BASE, optimizer: optimizer as TrainOptions['optimizer'] });
      expect(err.code, text).toBe('BAD_CONFIG');
      expect(err.message).toContain(text);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('counts are whole numbers (was: epochs 1.5 ran 2, maxSteps -1 ran 0, every 0.5 saved every step)', async () => {
    const sink = { save: async () => {} };
    const cases: [Partial<TrainOptions>, string][] = [
      [{ epochs: 1.5 }, 'options.epochs must be an integer'],
      [{ maxSteps: -1 }, 'options.maxSteps must be an integer'],
      [{ maxSteps: 0.5 }, 'options.maxSteps must be an integer'],
      [{ stepsPerEpoch: -5 }, 'options.stepsPerEpoch must be an integer in 1..'],
      [{ checkpoint: { sink, every: 0.5 } }, 'options.checkpoint.every must be an integer'],
      [{ microBatchSize: 2.5 }, 'options.microBatchSize must be an integer in 1..'],
    ];
    const model = createModel(CFG, { seed: 1 });
    for (const [o, text] of cases) {
      const err = await failure(model, { ...BASE, ...o });
      expect(err.code, text).toBe('BAD_CONFIG');
      expect(err.message).toContain(`train: ${text}`);
    }
    model.dispose();
  });
});

describe('errors of the parts train() uses are SrnetErrors', () => {
  it('validate(): a metrics error is wrapped (original as cause); a NaN prediction is NON_FINITE_WEIGHTS', async () => {
    const model = createModel(CFG, { seed: 1 });
    const bad = await validate(model, [batch(2)], 0, 0, 'worldstrat', { revisit: 5 }).catch((e) => e);
    expect(bad).toBeInstanceOf(SrnetError);
    expect(bad.message).toContain('validation batch 0 of epoch 0 (bicubic baseline)');
    expect(bad.cause).toBeInstanceOf(Error);
    expect(bad.cause).not.toBeInstanceOf(SrnetError);
    for (const v of model.trainableVariables()) v.assign(tf.fill(v.shape, 1e30));
    const nan = await validate(model, [batch(2)], 0, 0, 'worldstrat', false).catch((e) => e);
    expect(nan).toBeInstanceOf(SrnetError);
    expect(nan.code).toBe('NON_FINITE_WEIGHTS');
    expect(nan.message).toContain('validation batch 0 of epoch 0: the model predicted');
    model.dispose();
  });

  it('fileCheckpointStore: a folder at last.safetensors or a file as dir is BAD_CHECKPOINT naming the path', async () => {
    const folder = join(tmp, 'f7a');
    mkdirSync(join(folder, 'last.safetensors'), { recursive: true });
    const file = join(tmp, 'f7b');
    writeFileSync(file, 'x');
    for (const dir of [folder, file]) {
      const err = await failure(createModel(CFG, { seed: 1 }), {
        ...BASE,
        checkpoint: { sink: fileCheckpointStore(dir) },
      });
      expect(err.code, dir).toBe('BAD_CHECKPOINT');
      expect(err.message).toContain(`${join(dir, 'last.safetensors')}: checkpoint write failed`);
    }
  });
});
