// Hostile model documents and files: STAC MLM descriptors, the srnet config stored in ONNX metadata, ONNX graphs
// with broken shapes, checkpoint metadata, TF.js artifacts on disk and configs read from JSON. Seeded mutations
// of realistic documents must end in a typed SrnetError or a valid result, never a plain TypeError, a NaN
// returned as data or a config that would make us allocate gigabytes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type SafetensorsTensor } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, mulberry32, outcomeOf } from '../../../tests/support/json-mutations.js';
import {
  CHECKPOINT_FORMAT,
  countParameters,
  decodeCheckpoint,
  exportOnnx,
  initStateDict,
  loadModel,
  type ModelConfig,
  ONNX_CONFIG_METADATA_KEY,
  parseMlmDescriptor,
  readOnnxModelInfo,
  resolveModelConfig,
  type SrModelDescriptor,
  SrnetError,
  saveModel,
  selectBackend,
  stateDictSpec,
  validateModelConfig,
} from '../src/index.js';
import { MAX_MODEL_PARAMETERS, modelConfigProblem } from '../src/models/architecture.js';
import {
  createInferenceEngine,
  createOnnxEngine,
  fileModelHandler,
  readCheckpointFile,
} from '../src/node.js';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from '../src/onnx/onnx-proto.js';
import { createOnnxEngineOn } from '../src/onnx/onnx-session.js';
import { tinyItem } from './support/mlm-item.js';

const tmp = mkdtempSync(join(tmpdir(), 'srnet-hostile-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Sizes a hostile config uses to ask for gigabytes, plus fractions and negatives. */
const HUGE = [2 ** 20, 2 ** 31, 1e9, 4096, -8, 2.5, '8'];

/** A tiny srnet model: its ONNX export, checkpoint and artifacts take milliseconds. */
const TINY = resolveModelConfig({
  kind: 'srcnn',
  revisits: 2,
  inChannels: 3,
  outChannels: 1,
  hiddenChannels: 4,
  residualLayers: 1,
  outputSize: [12, 12],
  dropout: 0,
});

/** The error `fn` throws (fails the test when it returns). */
async function errorOf(fn: () => unknown): Promise<SrnetError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SrnetError) return e;
    throw e;
  }
  throw new Error('expected an SrnetError, got a result');
}

/** Every documented invariant of a ModelConfig read from a file (ONNX graphs may be HighResNet R=1). */
function expectValidConfig(config: ModelConfig, what: string, onnx = false): void {
  expect(modelConfigProblem(config, { singleRevisitHighResNet: onnx }), what).toBeUndefined();
  expect(countParameters(config).unique, what).toBeLessThanOrEqual(MAX_MODEL_PARAMETERS);
  expect(config.outputSize, what).toHaveLength(2);
}

function tally(outcomes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[o] = (out[o] ?? 0) + 1;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// STAC MLM descriptors

/** The tiny model's item with every value-scaling kind. */
function mlmItem(): ReturnType<typeof tinyItem> {
  return tinyItem(
    {},
    {
      value_scaling: [
        { type: 'z-score', mean: 1000, stddev: 250 },
        { type: 'min-max', minimum: 0, maximum: 10000 },
        { type: 'clip', minimum: 0, maximum: 1 },
        { type: 'scale', value: 10000 },
      ],
    },
  );
}

function expectValidDescriptor(d: SrModelDescriptor, what: string): void {
  expect(d.bands.length, what).toBeGreaterThan(0);
  expect(d.bands.length, what).toBeLessThanOrEqual(64);
  for (const b of d.bands) expect(typeof b, what).toBe('string');
  expect(['bchw', 'btchw'], what).toContain(d.layout);
  expect(Number.isInteger(d.revisits) && d.revisits >= 1, what).toBe(true);
  if (d.tileSize !== null) expect(Number.isInteger(d.tileSize) && d.tileSize >= 1, what).toBe(true);
  if (d.scale !== null) expect(Number.isFinite(d.scale) && d.scale >= 1, what).toBe(true);
  expect(Number.isInteger(d.outChannels) && d.outChannels >= 1 && d.outChannels <= 64, what).toBe(true);
  expect(d.scaling, what).toHaveLength(d.bands.length);
  for (const s of d.scaling) {
    expect(Number.isFinite(s.offset) && Number.isFinite(s.scale) && s.scale !== 0, what).toBe(true);
    expect(s.min <= s.max, what).toBe(true);
  }
  for (const key of ['name', 'inputName', 'outputName', 'source'] as const)
    expect(typeof d[key], what).toBe('string');
  if (d.modelHref !== null) expect(typeof d.modelHref, what).toBe('string');
}

describe('parseMlmDescriptor: hostile MLM documents', () => {
  it('300 mutated items (object and JSON text) → a valid descriptor or BAD_MODEL_DESCRIPTOR', async () => {
    const outcomes: string[] = [];
    for (const { doc, what } of jsonMutations(mlmItem(), 300, 11, HUGE)) {
      for (const input of [doc, JSON.stringify(doc)]) {
        let d: SrModelDescriptor | undefined;
        const o = await outcomeOf(
          what,
          () => {
            d = parseMlmDescriptor(input, 'hostile.json');
          },
          SrnetError,
        );
        if (o === 'ok') expectValidDescriptor(d as SrModelDescriptor, what);
        outcomes.push(o);
      }
    }
    expect(Object.keys(tally(outcomes)).sort()).toEqual(['BAD_MODEL_DESCRIPTOR', 'ok']);
  });

  it('value scaling that maps every value to 0, flips it or clips to nothing is refused, naming the member', () => {
    const cases: [unknown, string][] = [
      [{ type: 'min-max', minimum: -1e308, maximum: 1e308 }, 'value_scaling[0].maximum'],
      [{ type: 'min-max', minimum: 10, maximum: 5 }, 'value_scaling[0].maximum'],
      [{ type: 'z-score', mean: 0, stddev: -2 }, 'value_scaling[0].stddev'],
      [{ type: 'clip', minimum: 1, maximum: 0 }, 'value_scaling[0].maximum'],
    ];
    for (const [scaling, where] of cases) {
      const item = mlmItem();
      const input = (item.properties as { 'mlm:input': Record<string, unknown>[] })['mlm:input'][0];
      (input as Record<string, unknown>).value_scaling = [scaling];
      const err = (() => {
        try {
          parseMlmDescriptor(item, 'scaling.json');
        } catch (e) {
          return e as SrnetError;
        }
        throw new Error(`${JSON.stringify(scaling)} was accepted`);
      })();
      expect(err).toBeInstanceOf(SrnetError);
      expect(err.code).toBe('BAD_MODEL_DESCRIPTOR');
      expect(err.message).toContain('scaling.json');
      expect(err.message).toContain(where);
    }
  });

  it('an output with a million channels (allocated per scene before the model runs) is refused', () => {
    const item = mlmItem();
    const out = (item.properties as { 'mlm:output': { result: { shape: number[] } }[] })['mlm:output'][0];
    (out as { result: { shape: number[] } }).result.shape = [-1, 1 << 20, 64, 64];
    expect(() => parseMlmDescriptor(item, 'wide.json')).toThrow(
      expect.objectContaining({
        code: 'BAD_MODEL_DESCRIPTOR',
        message: expect.stringMatching(/^wide\.json: mlm:output\[0\]\.result\.shape: .*1\.\.64/),
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Configs read from JSON (resolveModelConfig + validateModelConfig, the path every file's config takes)

describe('validateModelConfig: hostile configs', () => {
  it('300 mutated configs → valid (bounded parameters) or BAD_CONFIG', async () => {
    const outcomes: string[] = [];
    for (const { doc, what } of jsonMutations({ ...TINY }, 300, 5, HUGE)) {
      const config = resolveModelConfig(doc as Partial<ModelConfig>);
      const o = await outcomeOf(what, () => validateModelConfig(config), SrnetError);
      if (o === 'ok') {
        expectValidConfig(config, what);
        expect(stateDictSpec(config).length, what).toBeGreaterThan(0);
      }
      outcomes.push(o);
    }
    expect(Object.keys(tally(outcomes)).sort()).toEqual(['BAD_CONFIG', 'ok']);
  });

  it('wrong types and sizes that ask for gigabytes are BAD_CONFIG naming the field', () => {
    const cases: [Partial<Record<keyof ModelConfig, unknown>>, string][] = [
      [{ outputSize: 5 }, 'config.outputSize'], // was: TypeError (not iterable)
      [{ dropout: { toString: 1 } }, 'config.dropout'], // was: TypeError (no primitive value)
      [{ residualLayers: 1e9 }, 'config.residualLayers'], // was: accepted, stateDictSpec then never ends
      [{ hiddenChannels: 2 ** 20 }, 'config.hiddenChannels'], // was: accepted (terabytes of weights)
      [{ hiddenChannels: 8192, kernelSize: 15 }, 'config.hiddenChannels'], // parameter count
      [{ outputSize: [2 ** 20, 156] }, 'config.outputSize'],
    ];
    for (const [patch, field] of cases) {
      const config = { ...resolveModelConfig(), ...patch } as ModelConfig;
      expect(() => validateModelConfig(config), field).toThrow(
        expect.objectContaining({ code: 'BAD_CONFIG', message: expect.stringContaining(`${field} = `) }),
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ONNX files: the config in their metadata and the shapes of their graph

// a copy: the encoder may hand back a Node Buffer, whose slice() is a view
const tinyOnnx = new Uint8Array(exportOnnx(TINY, initStateDict(TINY, { seed: 1 })));

function withModel(edit: (m: OnnxModel) => void): Uint8Array {
  const model = decodeOnnxModel(tinyOnnx);
  edit(model);
  return encodeOnnxModel(model);
}

/** The tiny ONNX file with its srnet config metadata replaced by `text`. */
function withConfigText(text: string): Uint8Array {
  return withModel((m) => {
    m.metadataProps = (m.metadataProps ?? []).map((p) =>
      p.key === ONNX_CONFIG_METADATA_KEY ? { key: p.key, value: text } : p,
    );
  });
}

describe('readOnnxModelInfo: hostile ONNX files', () => {
  it('reads the tiny export back', () => {
    const info = readOnnxModelInfo(tinyOnnx, { name: 'tiny.onnx' });
    expect(info.config).toEqual(TINY);
    expect(info.inputs).toEqual([{ name: 'lr', dims: ['batch', 2, 3, 'height', 'width'] }]);
  });

  it('300 mutated srnet configs in the metadata → a valid config or BAD_ONNX', async () => {
    const outcomes: string[] = [];
    for (const { doc, what } of jsonMutations({ ...TINY }, 300, 7, HUGE)) {
      const bytes = withConfigText(JSON.stringify(doc));
      let info: ReturnType<typeof readOnnxModelInfo> | undefined;
      const o = await outcomeOf(
        what,
        () => {
          info = readOnnxModelInfo(bytes, { name: 'm.onnx' });
        },
        SrnetError,
      );
      if (o === 'ok') expectValidConfig(info?.config as ModelConfig, what, true);
      outcomes.push(o);
    }
    expect(Object.keys(tally(outcomes)).sort()).toEqual(['BAD_ONNX', 'ok']);
  });

  it('300 files with 1–3 bytes changed → ok with whole, non-negative dims, or a typed error', async () => {
    const next = mulberry32(3);
    const outcomes: string[] = [];
    for (let n = 0; n < 300; n++) {
      const bytes = new Uint8Array(tinyOnnx);
      const changes: string[] = [];
      for (let e = 0, edits = 1 + Math.floor(next() * 3); e < edits; e++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = Math.floor(next() * 256);
        changes.push(`byte ${at} = ${bytes[at]}`);
      }
      const what = changes.join('; ');
      let info: ReturnType<typeof readOnnxModelInfo> | undefined;
      const o = await outcomeOf(
        what,
        () => {
          info = readOnnxModelInfo(bytes, { name: 'f.onnx' });
        },
        SrnetError,
      );
      if (o === 'ok' && info) {
        for (const t of [...info.inputs, ...info.outputs])
          for (const d of t.dims)
            if (typeof d === 'number') expect(Number.isSafeInteger(d) && d >= 0, what).toBe(true);
        if (info.config) expectValidConfig(info.config, what, true);
      }
      outcomes.push(o);
    }
    expect(outcomes.every((o) => ['ok', 'BAD_ONNX', 'NON_FINITE_WEIGHTS'].includes(o))).toBe(true);
  });

  it('a config asking for gigabytes, of the wrong type or not an object → BAD_ONNX naming file and member', async () => {
    const base = { ...TINY } as Record<string, unknown>;
    const cases: [string, string][] = [
      [JSON.stringify({ ...base, hiddenChannels: 2 ** 30 }), '.hiddenChannels'], // was: accepted
      [JSON.stringify({ ...base, residualLayers: 1e9 }), '.residualLayers'], // was: accepted
      [JSON.stringify({ ...base, revisits: '2' }), '.revisits'], // was: accepted as a string
      [JSON.stringify({ ...base, outputSize: [1e6, 1e6] }), '.outputSize'], // was: accepted
      [JSON.stringify({ ...base, kernelSize: 2.5 }), '.kernelSize'], // was: accepted
      [JSON.stringify({ ...base, dropout: -1 }), '.dropout'], // was: accepted
      [JSON.stringify({ ...base, kind: undefined }), '.kind'],
      ['null', `'${ONNX_CONFIG_METADATA_KEY}' must be a JSON object`],
      ['{"kind": "srcnn"', `'${ONNX_CONFIG_METADATA_KEY}' is not JSON`],
    ];
    for (const [text, where] of cases) {
      const err = await errorOf(() => readOnnxModelInfo(withConfigText(text), { name: 'models/x.onnx' }));
      expect(err.code, text).toBe('BAD_ONNX');
      expect(err.message, text).toMatch(/^models\/x\.onnx: metadata 'worldstrat\.srnet\.config'/);
      expect(err.message, text).toContain(where);
    }
  });

  it('a graph dim that is negative or past 2^31 → BAD_ONNX naming the dim', async () => {
    for (const bad of [-5, 2 ** 40]) {
      const bytes = withModel((m) => {
        const dim = m.graph.input?.[0]?.type?.tensorType?.shape?.dim;
        if (dim?.[1]) dim[1] = { dimValue: bad };
      });
      const err = await errorOf(() => readOnnxModelInfo(bytes, { name: 'dims.onnx' }));
      expect(err.code).toBe('BAD_ONNX');
      expect(err.message).toContain(
        `dims.onnx: graph.input[0].type.tensor_type.shape.dim[1].dim_value = ${bad}`,
      );
    }
  });

  it('a repeated metadata key → BAD_ONNX naming the key (was: the last entry won)', async () => {
    const otherConfig = JSON.stringify({ ...TINY, revisits: 8, inChannels: 12 });
    const twice = withModel((m) => {
      m.metadataProps = [...(m.metadataProps ?? []), { key: ONNX_CONFIG_METADATA_KEY, value: otherConfig }];
    });
    const err = await errorOf(() => readOnnxModelInfo(twice, { name: 'dup.onnx' }));
    expect(err.code).toBe('BAD_ONNX');
    expect(err.message).toBe(
      `dup.onnx: metadata_props[1] repeats the key "${ONNX_CONFIG_METADATA_KEY}" of an earlier entry; keep one entry per key`,
    );
    const otherTwice = withModel((m) => {
      m.metadataProps = [...(m.metadataProps ?? []), { key: 'a', value: '1' }, { key: 'a', value: '2' }];
    });
    expect((await errorOf(() => readOnnxModelInfo(otherTwice))).message).toContain(
      'metadata_props[2] repeats the key "a"',
    );
    // exportOnnx no longer writes such a file when options.metadata names the config key
    const exported = await errorOf(() =>
      exportOnnx(TINY, initStateDict(TINY, { seed: 1 }), {
        metadata: { [ONNX_CONFIG_METADATA_KEY]: otherConfig },
      }),
    );
    expect(exported.code).toBe('BAD_CONFIG');
    expect(exported.message).toContain(
      `exportOnnx: options.metadata["${ONNX_CONFIG_METADATA_KEY}"] must be absent`,
    );
  });

  it("metadata and op types named '__proto__' are kept as plain members", () => {
    const bytes = withModel((m) => {
      m.metadataProps = [...(m.metadataProps ?? []), { key: '__proto__', value: 'x' }];
      m.graph.node = [...(m.graph.node ?? []), { opType: '__proto__', input: [], output: [] }];
    });
    const info = readOnnxModelInfo(bytes);
    expect(Object.getOwnPropertyDescriptor(info.metadata, '__proto__')?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor(info.opCounts, '__proto__')?.value).toBe(1);
    expect(Object.getPrototypeOf(info.metadata)).toBe(Object.prototype);
  });
});

describe('createOnnxEngine: hostile ONNX bytes fail typed before any session', () => {
  const neverLoaded = async (): Promise<never> => {
    throw new Error('the ONNX runtime was loaded for a file that should have been refused');
  };

  it('a config asking for gigabytes → BAD_ONNX; a graph of other shapes → ARCHITECTURE_MISMATCH', async () => {
    const huge = withConfigText(JSON.stringify({ ...TINY, hiddenChannels: 2 ** 24, revisits: 2 }));
    const err = await errorOf(() => createOnnxEngineOn(neverLoaded, huge, {}, {}));
    expect(err.code).toBe('BAD_ONNX');
    expect(err.message).toContain('.hiddenChannels = 16777216');
    await expect(createOnnxEngine(huge)).rejects.toMatchObject({ code: 'BAD_ONNX' });
    const negative = withModel((m) => {
      const dim = m.graph.input?.[0]?.type?.tensorType?.shape?.dim;
      if (dim?.[3]) dim[3] = { dimValue: -1 };
    });
    await expect(createOnnxEngineOn(neverLoaded, negative, {}, {})).rejects.toMatchObject({
      code: 'BAD_ONNX',
    });
    const otherBands = withConfigText(JSON.stringify({ ...TINY, inChannels: 12 }));
    await expect(createOnnxEngineOn(neverLoaded, otherBands, {}, {})).rejects.toMatchObject({
      code: 'ARCHITECTURE_MISMATCH',
    });
  });

  it("a config contradicting the graph's fixed output dims → ARCHITECTURE_MISMATCH; symbolic dims pass", async () => {
    // TINY's graph output is (batch, 1, 1, 12, 12); these were accepted and superResolve trusted the config
    const cases: [Partial<ModelConfig>, string][] = [
      [{ outChannels: 3 }, 'output channels 1 ≠ config 3'],
      [{ outputSize: [13, 12] }, 'output height 12 ≠ config 13'],
      [{ outputSize: [12, 9] }, 'output width 12 ≠ config 9'],
    ];
    for (const [edit, problem] of cases) {
      const bytes = withConfigText(JSON.stringify({ ...TINY, ...edit }));
      const err = await errorOf(() => createOnnxEngineOn(neverLoaded, bytes, {}, {}));
      expect(err.code, problem).toBe('ARCHITECTURE_MISMATCH');
      expect(err.message).toBe(`<bytes>: ONNX graph does not match its config: ${problem}`);
    }
    const twoRevisitAxis = withModel((m) => {
      const dim = m.graph.output?.[0]?.type?.tensorType?.shape?.dim;
      if (dim?.[1]) dim[1] = { dimValue: 2 };
    });
    await expect(createOnnxEngineOn(neverLoaded, twoRevisitAxis, {}, {})).rejects.toMatchObject({
      code: 'ARCHITECTURE_MISMATCH',
      message: expect.stringContaining('output revisit axis 2 ≠ config 1'),
    });
    // dynamic output dims say nothing about the config: the checks pass and the runtime is loaded
    const symbolic = withModel((m) => {
      const dim = m.graph.output?.[0]?.type?.tensorType?.shape?.dim;
      if (dim) for (const i of [2, 3, 4]) dim[i] = { dimParam: `d${i}` };
    });
    await expect(createOnnxEngineOn(neverLoaded, symbolic, {}, {})).rejects.toThrow(
      /the ONNX runtime was loaded/,
    );
  });

  it('200 mutated configs → the engine checks end typed before the runtime loads', async () => {
    const outcomes: string[] = [];
    for (const { doc, what } of jsonMutations({ ...TINY }, 200, 9, HUGE)) {
      const bytes = withConfigText(JSON.stringify(doc));
      const o = await outcomeOf(what, () => createOnnxEngineOn(neverLoaded, bytes, {}, {}), SrnetError).catch(
        (e: Error) => {
          // only a file that passes every check may reach the (refusing) runtime loader
          expect(e.message, what).toContain('the ONNX runtime was loaded');
          return 'reached runtime';
        },
      );
      if (o === 'reached runtime')
        expectValidConfig(readOnnxModelInfo(bytes).config as ModelConfig, what, true);
      outcomes.push(o);
    }
    expect(outcomes).not.toContain('ok');
    expect(outcomes).toContain('BAD_ONNX');
  });
});

describe('inference engines check what the model returns', () => {
  const chips = () => ({ data: new Float32Array(2 * 3 * 6 * 6).fill(0.3), shape: [1, 2, 3, 6, 6] as const });

  it('a corrupt final Resize size → BAD_ONNX naming the file (a 12×7 output was returned for a 12×12 config)', async () => {
    const bytes = withModel((m) => {
      const size = m.graph.initializer?.find((t) => t.name?.startsWith('out_hw'));
      if (!size) throw new Error('no out_hw initializer in the export');
      size.int64Data = [12, 7];
    });
    const engine = await createOnnxEngine(bytes, { name: 'edited.onnx', intraOpNumThreads: 1 });
    try {
      const err = await errorOf(() => engine.predict({ ...chips(), shape: [...chips().shape] }));
      expect([err.code, err.message]).toEqual([
        'BAD_ONNX',
        'edited.onnx: the model returned a 1×1×1×12×7 output (84 values) where its config gives 1×1×1×12×12; the graph does not match its config',
      ]);
      // the unresized output (scene tiles) is unaffected by that Resize, and checked against zoom × the input
      const unresized = await engine.predictUnresized?.({ ...chips(), shape: [...chips().shape] });
      expect(unresized?.shape).toEqual([1, 1, 1, 12, 12]);
    } finally {
      engine.dispose();
    }
  });

  it('finite weights that overflow float32 → NON_FINITE_WEIGHTS on ONNX and TF.js (NaN pixels were returned)', async () => {
    const weights = initStateDict(TINY, { seed: 2 });
    for (const t of Object.values(weights)) if (t.shape.length === 4) t.data.fill(1e30);
    const onnx = await createOnnxEngine(exportOnnx(TINY, weights), {
      name: 'huge.onnx',
      intraOpNumThreads: 1,
    });
    const tfjs = await createInferenceEngine({
      engine: 'tfjs',
      config: TINY,
      stateDict: weights,
      backend: 'cpu',
    });
    try {
      for (const [engine, prefix] of [
        [onnx, 'huge.onnx: '],
        [tfjs, ''],
      ] as const) {
        const err = await errorOf(() => engine.predict({ ...chips(), shape: [...chips().shape] }));
        expect(err.code).toBe('NON_FINITE_WEIGHTS');
        expect(err.message).toMatch(
          new RegExp(
            `^${prefix.replace('.', '\\.')}the model returned \\d+ NaN or infinite values of 144 for a finite input`,
          ),
        );
      }
    } finally {
      onnx.dispose();
      tfjs.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Checkpoints: the training state in the safetensors `__metadata__`

/** The checkpoint metadata of a realistic run, with the JSON members as JSON. */
function checkpointMeta(): Record<string, unknown> {
  return {
    format: CHECKPOINT_FORMAT,
    model_config: { ...TINY },
    optimizer: { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4, step: 12 },
    step: 12,
    epoch: 1,
    batch_in_epoch: 3,
    rng_state: [123456789, 362436069, 521288629, 88675123],
    best_validation_loss: 0.0125,
    extra: { run: 'tiny', lr: '1e-4' },
  };
}

const checkpointTensors: Record<string, SafetensorsTensor> = Object.fromEntries(
  Object.entries(initStateDict(TINY, { seed: 2 })).map(([k, t]) => [
    `model.${k}`,
    { dtype: 'F32', shape: [...t.shape], data: t.data },
  ]),
);

/** Checkpoint bytes whose metadata members are `meta`'s (strings as they are, anything else as JSON). */
function checkpointBytes(meta: Record<string, unknown>): Uint8Array {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta))
    metadata[k] = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
  return encodeSafetensors(checkpointTensors, metadata);
}

describe('decodeCheckpoint / readCheckpointFile: hostile checkpoint metadata', () => {
  it('decodes the realistic checkpoint', () => {
    const ck = decodeCheckpoint(checkpointBytes(checkpointMeta()), { name: 'last.safetensors' });
    expect(ck).toMatchObject({
      config: TINY,
      step: 12,
      epoch: 1,
      batchInEpoch: 3,
      bestValidationLoss: 0.0125,
      rngState: [123456789, 362436069, 521288629, 88675123],
      extra: { run: 'tiny', lr: '1e-4' },
    });
    expect(ck.optimizer.step).toBe(12);
    expect(Object.keys(ck.weights)).toHaveLength(Object.keys(checkpointTensors).length);
  });

  it('300 mutated metadata → a checkpoint with whole counts, a valid config and RNG state, or BAD_CHECKPOINT', async () => {
    const outcomes: string[] = [];
    for (const { doc, what } of jsonMutations(checkpointMeta(), 300, 13, HUGE)) {
      const bytes = checkpointBytes(doc as Record<string, unknown>);
      let ck: ReturnType<typeof decodeCheckpoint> | undefined;
      const o = await outcomeOf(
        what,
        () => {
          ck = decodeCheckpoint(bytes, { name: 'c.safetensors' });
        },
        SrnetError,
      );
      if (o === 'ok' && ck) {
        expectValidConfig(ck.config, what);
        for (const n of [ck.step, ck.epoch, ck.batchInEpoch, ck.optimizer.step])
          expect(Number.isSafeInteger(n) && n >= 0, what).toBe(true);
        expect(
          ck.rngState.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32),
          what,
        ).toBe(true);
        expect(ck.bestValidationLoss === Infinity || Number.isFinite(ck.bestValidationLoss), what).toBe(true);
        for (const v of Object.values(ck.optimizer.config)) expect(Number.isFinite(v), what).toBe(true);
        for (const v of Object.values(ck.extra ?? {})) expect(typeof v, what).toBe('string');
      }
      outcomes.push(o);
    }
    expect(Object.keys(tally(outcomes)).sort()).toEqual(['BAD_CHECKPOINT', 'ok']);
  });

  it('each malformed member → BAD_CHECKPOINT naming the file and __metadata__ member', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ step: 'x' }, '__metadata__.step'], // was: step NaN
      [{ epoch: '' }, '__metadata__.epoch'], // was: epoch 0
      [{ batch_in_epoch: '-3' }, '__metadata__.batch_in_epoch'], // was: -3
      [{ step: '1.5' }, '__metadata__.step'], // was: 1.5
      [{ best_validation_loss: 'NaN' }, '__metadata__.best_validation_loss'], // was: NaN
      [{ rng_state: ['a', 1, 2, 3] }, '__metadata__.rng_state'], // was: accepted, the RNG wrapped it to 0
      [{ rng_state: [1, 2, 3] }, '__metadata__.rng_state'], // was: accepted
      [{ rng_state: [2 ** 32, 0, 0, 0] }, '__metadata__.rng_state'], // was: accepted, wrapped to 0
      [{ model_config: { ...TINY, hiddenChannels: 2 ** 30 } }, '__metadata__.model_config.hiddenChannels'],
      [{ model_config: 7 }, '__metadata__.model_config'], // was: config 7
      [{ optimizer: { ...checkpointMeta().optimizer!, lr: 'x' } }, '__metadata__.optimizer.lr'],
      [{ optimizer: { ...checkpointMeta().optimizer!, step: -1 } }, '__metadata__.optimizer.step'],
      [{ extra: { a: 1 } }, '__metadata__.extra.a'], // was: a number where strings are promised
      [{ rng_state: undefined }, '__metadata__.rng_state is missing'],
    ];
    for (const [patch, where] of cases) {
      const meta = { ...checkpointMeta(), ...patch };
      for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
      const path = join(tmp, 'bad.safetensors');
      writeFileSync(path, checkpointBytes(meta));
      const err = await errorOf(async () => decodeCheckpoint(await readCheckpointFile(path), { name: path }));
      expect(err.code, where).toBe('BAD_CHECKPOINT');
      expect(err.message, where).toContain(`${path}: ${where}`);
    }
  });

  it('a 256 KiB numeric-looking best_validation_loss → BAD_CHECKPOINT naming it, in milliseconds (was 74 s)', () => {
    // digits then 'x': the old loss pattern backtracked quadratically on it (about a minute)
    const bytes = checkpointBytes({
      ...checkpointMeta(),
      best_validation_loss: `${'1'.repeat(256 * 1024)}x`,
    });
    const started = performance.now();
    let err: unknown;
    try {
      decodeCheckpoint(bytes, { name: 'long.safetensors' });
    } catch (e) {
      err = e;
    }
    const ms = performance.now() - started;
    expect(err).toBeInstanceOf(SrnetError);
    expect((err as SrnetError).code).toBe('BAD_CHECKPOINT');
    expect((err as SrnetError).message).toMatch(
      /^long\.safetensors: __metadata__\.best_validation_loss = .*; expected a finite number or Infinity$/s,
    );
    expect(ms).toBeLessThan(5000); // linear: milliseconds; the quadratic code took over a minute
  });

  it('readCheckpointFile refuses a missing file, a folder and a FIFO (whose read would block) as BAD_CHECKPOINT', async () => {
    const fifo = join(tmp, 'ckpt.fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: [string, string][] = [
      [join(tmp, 'no-such.safetensors'), 'does not exist'],
      [tmp, 'is not a regular file'],
      [fifo, 'is not a regular file'],
    ];
    for (const [path, why] of cases) {
      const err = await errorOf(() => readCheckpointFile(path));
      expect(err.code, path).toBe('BAD_CHECKPOINT');
      expect(err.message, path).toContain(`checkpoint ${path} ${why}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// TF.js artifacts on disk (fileModelHandler + loadModel)

describe('loadModel(fileModelHandler(dir)): hostile model.json', () => {
  const dir = join(tmp, 'artifacts');
  let modelJson: Record<string, unknown>;
  let weightsBin: Buffer;
  let weightsName: string;

  beforeAll(async () => {
    await selectBackend('cpu');
    const { createModel } = await import('../src/index.js');
    const model = createModel(TINY, { seed: 4 });
    await saveModel(model, fileModelHandler(dir));
    model.dispose();
    modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    weightsName = (modelJson.weightsManifest as { paths: string[] }[])[0]?.paths[0] as string;
    weightsBin = readFileSync(join(dir, weightsName));
  });

  /** A fresh artifacts folder holding `json` as model.json (text as is, anything else as JSON). */
  function artifacts(name: string, json: unknown): string {
    const at = join(tmp, name);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
    writeFileSync(join(at, weightsName), weightsBin);
    return at;
  }

  it('250 mutated model.json (100 in modelTopology alone) → a model with a valid config, or a typed error', async () => {
    const allowed = [
      'BAD_CHECKPOINT',
      'MISSING_WEIGHTS',
      'MISSHAPED_WEIGHTS',
      'WEIGHTS_DTYPE_MISMATCH',
      'ok',
    ];
    const whole = [...jsonMutations(modelJson, 150, 17, HUGE)];
    const topology = [...jsonMutations({ modelTopology: modelJson.modelTopology }, 100, 19, HUGE)].map(
      (m) => ({
        doc: { ...modelJson, ...(m.doc as object) },
        what: m.what,
      }),
    );
    const outcomes: string[] = [];
    for (const { doc, what } of [...whole, ...topology]) {
      const at = artifacts('mutated', doc);
      let config: ModelConfig | undefined;
      const o = await outcomeOf(
        what,
        async () => {
          const model = await loadModel(fileModelHandler(at));
          config = model.config;
          model.dispose();
        },
        SrnetError,
      );
      if (o === 'ok') expectValidConfig(config as ModelConfig, what);
      expect(allowed, what).toContain(o);
      outcomes.push(o);
    }
    expect(tally(outcomes).ok).toBeGreaterThan(0);
    expect(tally(outcomes).BAD_CHECKPOINT).toBeGreaterThan(0);
  });

  it('bad config, weight specs, JSON or files → BAD_CHECKPOINT naming model.json and the member', async () => {
    const topo = modelJson.modelTopology as { config: ModelConfig };
    const manifest = modelJson.weightsManifest as { weights: Record<string, unknown>[] }[];
    const spec0 = manifest[0]?.weights[0] as Record<string, unknown>;
    const withSpec = (patch: Record<string, unknown>) => ({
      ...modelJson,
      weightsManifest: [
        { ...manifest[0], weights: [{ ...spec0, ...patch }, ...(manifest[0]?.weights.slice(1) ?? [])] },
      ],
    });
    const cases: [unknown, string][] = [
      // was: accepted, then uniqueParamSpecs looped a billion times
      [
        { ...modelJson, modelTopology: { ...topo, config: { ...topo.config, residualLayers: 1e9 } } },
        'modelTopology.config.residualLayers',
      ],
      // was: a string config spread into a config of defaults
      [
        { ...modelJson, modelTopology: { ...topo, config: 'srcnn' } },
        'modelTopology.config must be a JSON object',
      ],
      [withSpec({ shape: 'x' }), 'weightSpecs[0].shape'], // was: TypeError shape.forEach is not a function
      [withSpec({ shape: [1e9] }), 'weightData holds'], // was: tf.io's plain Error
      [withSpec({ quantization: { dtype: 'uint8', scale: 1, min: 0 } }), 'weightSpecs[0].quantization'],
      [{ ...modelJson, weightsManifest: [null] }, 'weightsManifest must be'], // was: TypeError
      ['{"format": ', 'document is not JSON'], // was: SyntaxError
      ['null', 'document must be a JSON object'], // was: TypeError
    ];
    for (const [json, where] of cases) {
      const at = artifacts('crafted', json);
      const err = await errorOf(() => loadModel(fileModelHandler(at)));
      expect(err.code, where).toBe('BAD_CHECKPOINT');
      expect(err.message, where).toContain(`${join(at, 'model.json')}: ${where}`);
    }
    const missing = join(tmp, 'no-such-model');
    const err = await errorOf(() => loadModel(fileModelHandler(missing))); // was: ENOENT
    expect(err.code).toBe('BAD_CHECKPOINT');
    expect(err.message).toContain(join(missing, 'model.json'));
  });
});
