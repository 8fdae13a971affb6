// Caller mistakes at the engine and loader entry points: each is an SrnetError naming the argument, typed alike on
// the ONNX and TF.js engines, checked before ONNX Runtime or TF.js sees the value (which threw plain TypeErrors,
// or answered BAD_ONNX "the file is corrupt" for the caller's own option).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine, PredictInput } from '../src/engine.js';
import {
  createTfjsEngine,
  exportOnnx,
  initStateDict,
  loadModel,
  readOnnxModelInfo,
  resolveModelConfig,
  selectBackend,
  stateDictFromSafetensors,
  stateDictToSafetensors,
} from '../src/index.js';
import { createOnnxEngine } from '../src/node.js';
import { decodeOnnxModel, encodeOnnxModel } from '../src/onnx/onnx-proto.js';

const CFG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 1,
  inChannels: 2,
  outChannels: 1,
  hiddenChannels: 4,
  outputSize: [12, 12],
});
const SD = initStateDict(CFG, { seed: 1 });
const DATA = new Float32Array(72).fill(0.5);
const SHAPE = [1, 1, 2, 6, 6] as PredictInput['shape'];

/** The error's constructor, code and message, or 'ok'. */
async function outcome(call: () => unknown): Promise<{ type: string; code?: string; message?: string }> {
  try {
    await call();
    return { type: 'ok' };
  } catch (e) {
    const err = e as { code?: string; message?: string; constructor: { name: string } };
    return { type: err.constructor.name, code: err.code, message: err.message };
  }
}

describe('predict / predictUnresized arguments, alike on both engines', () => {
  const engines: [string, InferenceEngine][] = [];
  beforeAll(async () => {
    await selectBackend('cpu');
    engines.push(['onnx', await createOnnxEngine({ config: CFG, stateDict: SD }, { intraOpNumThreads: 1 })]);
    engines.push(['tfjs', await createTfjsEngine(CFG, SD)]);
  });
  afterAll(() => {
    for (const [, e] of engines) e.dispose();
  });

  const cases: [string, () => [unknown, unknown], string, string][] = [
    [
      'an array-like shape',
      () => [{ data: DATA, shape: { length: 5, 0: 1, 1: 1, 2: 2, 3: 6, 4: 6 } }, undefined],
      'BAD_INPUT_SHAPE',
      'input.shape must be an array of 5 dims (B, R, C, H, W)',
    ],
    [
      'an Int32Array shape',
      () => [{ data: DATA, shape: new Int32Array(SHAPE) }, undefined],
      'BAD_INPUT_SHAPE',
      'input.shape must be an array of 5 dims (B, R, C, H, W)',
    ],
    [
      'a shape of strings',
      () => [{ data: DATA, shape: ['1', '1', '2', '6', '6'] }, undefined],
      'BAD_INPUT_SHAPE',
      'input.shape must be an array of 5 numbers',
    ],
    [
      'null options',
      () => [{ data: DATA, shape: SHAPE }, null],
      'BAD_CONFIG',
      'options must be an object, got null',
    ],
    [
      'a string signal',
      () => [{ data: DATA, shape: SHAPE }, { signal: 'x' }],
      'BAD_CONFIG',
      'options.signal must be an AbortSignal, got "x"',
    ],
    [
      "interior: 'yes'",
      () => [{ data: DATA, shape: SHAPE }, { interior: 'yes' }],
      'BAD_CONFIG',
      'options.interior must be a boolean, got "yes"',
    ],
  ];
  for (const method of ['predict', 'predictUnresized'] as const)
    for (const [what, args, code, message] of cases)
      it(`${method}: ${what} → ${code} on onnx and tfjs`, async () => {
        for (const [name, engine] of engines) {
          const o = await outcome(() => (engine[method] as (...a: unknown[]) => unknown)(...args()));
          expect(o, name).toMatchObject({
            type: 'SrnetError',
            code,
            message: expect.stringContaining(`${method}: ${message}`),
          });
        }
      });

  it('a Proxy or a getter that changes its answer is read once: same output as the plain shape', async () => {
    for (const [name, engine] of engines) {
      const plain = await engine.predict({ data: DATA, shape: SHAPE });
      let reads = 0;
      const changing = {
        data: DATA,
        get shape() {
          return reads++ < 1 ? SHAPE : [1, 1, 2, 600, 600];
        },
      };
      for (const input of [{ data: DATA, shape: new Proxy([...SHAPE], {}) }, changing]) {
        const out = await engine.predict(input as PredictInput);
        expect(out.shape, name).toEqual(plain.shape);
        expect(Array.from(out.data), name).toEqual(Array.from(plain.data));
      }
    }
  });
});

describe('createOnnxEngine options', () => {
  const foreign = encodeOnnxModel({ ...decodeOnnxModel(exportOnnx(CFG, SD)), metadataProps: [] });

  it('options.config is checked like a file config: BAD_CONFIG naming the member (was TypeError / accepted)', async () => {
    const cases: [unknown, string][] = [
      [{ ...CFG, kind: 'bogus' }, 'options.config.kind'],
      [{ ...CFG, zoomFactor: 'x' }, 'options.config.zoomFactor = "x"; expected a number'],
      [{ ...CFG, hiddenChannels: 1e9 }, 'options.config.hiddenChannels'],
      [{ ...CFG, outputSize: [12] }, 'options.config.outputSize'],
      ['srcnn', 'options.config must be'],
    ];
    for (const [config, member] of cases) {
      const o = await outcome(() => createOnnxEngine(foreign, { config: config as typeof CFG }));
      expect(o.code, member).toBe('BAD_CONFIG');
      expect(o.message, member).toContain(`createOnnxEngine: ${member}`);
    }
    // a partial one takes the defaults, which this graph contradicts (was: TypeError reading '0')
    const partial = await outcome(() =>
      createOnnxEngine(foreign, { config: { kind: 'srcnn', revisits: 1, inChannels: 2 } as typeof CFG }),
    );
    expect(partial).toMatchObject({ type: 'SrnetError', code: 'ARCHITECTURE_MISMATCH' });
    const engine = await createOnnxEngine(foreign, { config: CFG, intraOpNumThreads: 1 });
    expect(engine.config).toEqual(CFG);
    engine.dispose();
  });

  it('ORT session options are BAD_CONFIG naming the option (was BAD_ONNX: "the file is corrupt")', async () => {
    const bytes = exportOnnx(CFG, SD);
    const cases: [Record<string, unknown>, string][] = [
      [{ intraOpNumThreads: -5 }, 'options.intraOpNumThreads must be an integer in 0..1024, got -5'],
      [{ interOpNumThreads: 1.5 }, 'options.interOpNumThreads must be an integer in 0..1024, got 1.5'],
      [{ graphOptimizationLevel: 'bogus' }, 'options.graphOptimizationLevel must be one of'],
      [{ executionMode: 'bogus' }, "options.executionMode must be one of 'sequential', 'parallel'"],
      [{ enableMemPattern: 'x' }, 'options.enableMemPattern must be a boolean'],
      [{ allowSpinning: 'no' }, 'options.allowSpinning must be a boolean'],
    ];
    for (const [options, message] of cases) {
      const o = await outcome(() => createOnnxEngine(bytes, options));
      expect(o.code, message).toBe('BAD_CONFIG');
      expect(o.message, message).toContain(`createOnnxEngine: ${message}`);
    }
  });
});

describe('loaders: caller mistakes are not blamed on a file', () => {
  it('loadModel with a handler whose load() resolves to null/undefined → BAD_CONFIG (was TypeError)', async () => {
    for (const value of [null, undefined, 'x']) {
      const o = await outcome(() => loadModel({ load: async () => value as never }));
      expect(o.code).toBe('BAD_CONFIG');
      expect(o.message).toContain("loadModel: source.load()'s result must be model artifacts");
    }
  });

  it('stateDictFromSafetensors options.config other than outputSize/dropout → BAD_CONFIG naming it', async () => {
    const bytes = stateDictToSafetensors(SD, CFG);
    const o = await outcome(() =>
      stateDictFromSafetensors(bytes, { name: 'w.safetensors', config: { hiddenChannels: 999 } as never }),
    );
    expect(o.code).toBe('BAD_CONFIG');
    expect(o.message).toContain('stateDictFromSafetensors: options.config.hiddenChannels must be absent');
    expect(stateDictFromSafetensors(bytes, { config: { outputSize: [24, 24] } }).config.outputSize).toEqual([
      24, 24,
    ]);
  });

  it('readOnnxModelInfo refuses a plain array as the caller’s argument (was "(undefined bytes)")', async () => {
    const o = await outcome(() => readOnnxModelInfo([1, 2, 3] as never, { name: 'x.onnx' }));
    expect(o).toEqual({
      type: 'SrnetError',
      code: 'BAD_ONNX',
      message: 'readOnnxModelInfo: bytes must be a Uint8Array (the bytes of x.onnx), got [1,2,3]',
    });
  });
});
