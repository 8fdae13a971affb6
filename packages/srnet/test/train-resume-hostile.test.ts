// Resuming from a hostile checkpoint: every tensor is checked before anything is assigned, so a bad file leaves
// the caller's model as it was, and the typed error names the file and the tensor. Seeds are whole 32-bit numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  encodeCheckpoint,
  exportStateDict,
  initStateDict,
  resolveModelConfig,
  type SrModel,
  SrnetError,
  type StateDict,
  selectBackend,
  train,
  uniqueParamSpecs,
} from '../src/index.js';

const CONFIG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 1,
  inChannels: 2,
  outChannels: 1,
  hiddenChannels: 4,
  residualLayers: 1,
  outputSize: [12, 12],
  dropout: 0,
});
const FILE = 'runs/last.safetensors';
const CONV = 'encoder.doubleconv2d.0.weight';

/** Adam moments of every trainable parameter, each value `fill`. */
function moments(fill: number): StateDict {
  const out: StateDict = {};
  for (const s of uniqueParamSpecs(CONFIG).filter((p) => p.used))
    out[s.key] = {
      shape: [...s.shape],
      data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(fill),
    };
  return out;
}

/** Checkpoint bytes of seed-7 weights whose moments went through `edit`. */
function checkpoint(edit: (m: StateDict, v: StateDict, w: StateDict) => void = () => {}): Uint8Array {
  const [m, v, weights] = [moments(0.01), moments(0.001), initStateDict(CONFIG, { seed: 7 })];
  edit(m, v, weights);
  return encodeCheckpoint({
    config: CONFIG,
    weights,
    optimizer: { config: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, step: 2, m, v },
    step: 2,
    epoch: 0,
    batchInEpoch: 2,
    rngState: [1, 2, 3, 4],
    bestValidationLoss: Number.POSITIVE_INFINITY,
  });
}

/** The error train() throws resuming `bytes` into `model` (no batches: only the resume runs). */
async function resumeError(model: SrModel, bytes: Uint8Array): Promise<SrnetError> {
  const err = await train(model, {
    train: [],
    epochs: 1,
    resume: bytes,
    resumeName: FILE,
    baseline: false,
  }).catch((e) => e);
  expect(err).toBeInstanceOf(SrnetError);
  return err as SrnetError;
}

describe('train({ resume }) with a hostile checkpoint', () => {
  let model: SrModel;
  let before: StateDict;
  beforeAll(async () => {
    await selectBackend('cpu');
    model = createModel(CONFIG, { seed: 99 });
    before = await exportStateDict(model);
  });
  afterAll(() => model.dispose());

  const expectUntouched = async (what: string) => {
    const now = await exportStateDict(model);
    for (const key of Object.keys(before))
      expect(Array.from(now[key]?.data ?? []), `${what}: ${key}`).toEqual(
        Array.from(before[key]?.data ?? []),
      );
  };

  it('a moment of another shape or size → BAD_CHECKPOINT naming file and tensor; the model is untouched', async () => {
    const cases: [string, (m: StateDict, v: StateDict) => void, string][] = [
      [
        'permuted shape', // was: TF.js "shape of the new value … must match", after the weights were replaced
        (m) => {
          (m[CONV] as StateDict[string]).shape = [2, 4, 3, 3];
        },
        `${FILE}: optim.m.${CONV} has shape [2,4,3,3], expected [4,2,3,3]`,
      ],
      [
        'wrong count', // was: TF.js "rank of input 1 must match length of perm"
        (_, v) => {
          v['sr.upsample.4.weight'] = { shape: [2], data: new Float32Array(2) };
        },
        `${FILE}: optim.v.sr.upsample.4.weight has shape [2], expected [1,1,1,1]`,
      ],
      [
        'rank change, same count',
        (m) => {
          (m['encoder.doubleconv2d.0.bias'] as StateDict[string]).shape = [2, 2];
        },
        `${FILE}: optim.m.encoder.doubleconv2d.0.bias has shape [2,2], expected [4]`,
      ],
      [
        'missing', // was: BAD_CHECKPOINT without the file, after the weights were replaced
        (m) => {
          delete m['sr.upsample.4.bias'];
        },
        `${FILE}: optim.m.sr.upsample.4.bias is missing`,
      ],
      [
        'negative second moment', // was: accepted, and the first step made every weight NaN
        (_, v) => {
          (v[CONV] as StateDict[string]).data[5] = -0.5;
        },
        `${FILE}: optim.v.${CONV} holds -0.5 at flat index 5; a second moment (a mean of squares) is never negative`,
      ],
    ];
    for (const [what, edit, message] of cases) {
      const err = await resumeError(model, checkpoint(edit));
      expect(err.code, what).toBe('BAD_CHECKPOINT');
      expect(err.message, what).toContain(message);
      expect(err.details, what).toMatchObject({ file: FILE });
      await expectUntouched(what);
    }
  });

  it('missing weights and checkpoints of another architecture name the file too', async () => {
    const missing = await resumeError(
      model,
      checkpoint((_, __, w) => {
        delete w['sr.upsample.4.bias'];
      }),
    );
    expect(missing.code).toBe('MISSING_WEIGHTS');
    expect(missing.message).toContain(`${FILE}: state_dict lacks 1 tensor(s)`);
    expect(missing.message).toContain('sr.upsample.4.bias');
    const other = createModel({ ...CONFIG, hiddenChannels: 8 }, { seed: 1 });
    const mismatch = await resumeError(other, checkpoint());
    other.dispose();
    expect(mismatch.code).toBe('ARCHITECTURE_MISMATCH');
    expect(mismatch.message).toContain(`${FILE}: checkpoint is from another architecture`);
    await expectUntouched('after refused resumes');
  });

  it('a good checkpoint resumes into the model', async () => {
    const fresh = createModel(CONFIG, { seed: 5 });
    const result = await train(fresh, {
      train: [],
      epochs: 0, // an epoch without batches is an error: this only loads the checkpoint
      resume: checkpoint(),
      resumeName: FILE,
      baseline: false,
    });
    expect(result.steps).toBe(2);
    const expected = initStateDict(CONFIG, { seed: 7 });
    expect(Array.from((await exportStateDict(fresh))[CONV]?.data ?? [])).toEqual(
      Array.from(expected[CONV]?.data ?? []),
    );
    fresh.dispose();
  });
});

describe('seeds are whole numbers in 0..2^32−1', () => {
  it('createModel, initStateDict and train refuse other seeds (was: 0.9 seeded like 0, 2^32 + 7 like 7)', async () => {
    await selectBackend('cpu');
    for (const seed of [0.9, -1, 2 ** 32, 2 ** 32 + 7, Number.NaN]) {
      expect(() => initStateDict(CONFIG, { seed }), String(seed)).toThrow(
        expect.objectContaining({
          code: 'BAD_CONFIG',
          message: expect.stringContaining('options.seed must be an integer in 0..4294967295'),
        }),
      );
      expect(() => createModel(CONFIG, { seed }), String(seed)).toThrow(
        expect.objectContaining({ code: 'BAD_CONFIG' }),
      );
    }
    const model = createModel(CONFIG, { seed: 2 ** 32 - 1 });
    const err = await train(model, { train: [], epochs: 1, seed: 0.5 }).catch((e) => e);
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toContain('train: options.seed must be an integer in 0..4294967295, got 0.5');
    expect((await train(model, { train: [], epochs: 0, seed: 4294967295, baseline: false })).steps).toBe(0);
    model.dispose();
  });
});
