// Hostile arguments for every exported function of @worldstrat/srnet (index and node entries): the shapes a
// JavaScript caller, a JSON config or another tool passes by mistake must end in a result or an SrnetError with a
// code, never a plain TypeError/RangeError or a hang. Seeded mutations of realistic JSON-shaped arguments cover
// the scene, memory and export paths; the crafted cases pin the code and message of the fixes.
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf, typedError } from '../../../tests/support/json-mutations.js';
import * as api from '../src/index.js';
import {
  checkScene,
  defaultOverlap,
  detectArchitecture,
  encodeCheckpoint,
  estimateTrainingMemory,
  exportOnnx,
  initStateDict,
  type PredictInput,
  readOnnxModelInfo,
  registeredLoss,
  resolveModelConfig,
  SrnetError,
  selectBackend,
  selectRevisits,
  superResolve,
  validateInput,
} from '../src/index.js';
import * as nodeApi from '../src/node.js';

/** The probe's argument lists, plus a JSON object whose toString/valueOf are not functions. */
const HOSTILE: unknown[][] = [
  [],
  [undefined],
  [null],
  [{}],
  ['x'],
  [42],
  [[]],
  [{}, {}],
  ['x', 'x'],
  [Number.NaN, Number.NaN],
  [{ a: 1 }, null],
  [new Uint8Array(4)],
  [() => 1],
  [JSON.parse('{"toString":1,"valueOf":1}')],
];

/**
 * Argument lists left out, with the reason: `selectBackend()` and `selectBackend({})` mean 'auto', which starts
 * real backends (webgpu); backends.test.ts covers them.
 */
const SKIP: Record<string, (args: unknown[]) => string | undefined> = {
  selectBackend: (args) =>
    args[0] === undefined || typeof args[0] === 'object' ? "'auto' starts real backends" : undefined,
};

/** 'ok', an SrnetError's code, or `PLAIN …` / `TIMEOUT` (the failures). Async calls are bounded by 5 s. */
async function outcome(fn: (...a: unknown[]) => unknown, args: unknown[]): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const r = fn(...args);
    if (r && typeof (r as Promise<unknown>).then === 'function')
      await Promise.race([
        r,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('TIMEOUT')), 20_000);
        }),
      ]);
    return 'ok';
  } catch (e) {
    if (e instanceof SrnetError) return e.code;
    return `PLAIN ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message).slice(0, 120)}`;
  } finally {
    clearTimeout(timer);
  }
}

const show = (args: unknown[]): string =>
  args
    .map((a) => (typeof a === 'function' ? 'fn' : a instanceof Uint8Array ? 'Uint8Array' : JSON.stringify(a)))
    .join(', ');

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('every exported function ends in a result or an SrnetError', () => {
  for (const [entry, mod] of [
    ['index', api],
    ['node', nodeApi],
  ] as const) {
    it(`${entry} entry`, async () => {
      const failures: string[] = [];
      let calls = 0;
      for (const [name, fn] of Object.entries(mod)) {
        // classes (SrModel, SeededRandom, PyTorchAdam, SrnetError) are constructed, not called
        if (typeof fn !== 'function' || /^[A-Z]/.test(name)) continue;
        if (entry === 'node' && name in api) continue; // re-exported: covered by the index entry
        for (const args of HOSTILE) {
          if (SKIP[name]?.(args)) continue;
          calls++;
          const o = await outcome(fn as (...a: unknown[]) => unknown, args);
          if (o.startsWith('PLAIN') || o === 'TIMEOUT') failures.push(`${name}(${show(args)}): ${o}`);
        }
      }
      expect(calls).toBeGreaterThan(entry === 'index' ? 600 : 100);
      expect(failures).toEqual([]);
    }, 60_000);
  }
});

// --- seeded mutations of JSON-shaped arguments ---

const TINY = resolveModelConfig({
  kind: 'srcnn',
  revisits: 2,
  inChannels: 2,
  outChannels: 1,
  hiddenChannels: 4,
  outputSize: [8, 8],
});

/** A fake engine: the TINY config, zeros out. */
const engine = {
  name: 'onnx' as const,
  config: TINY,
  async predict(inp: PredictInput) {
    const [b] = inp.shape;
    return {
      data: new Float32Array(b * 64),
      shape: [b, 1, 1, 8, 8] as [number, number, number, number, number],
    };
  },
  dispose() {},
};

function jsonRevisit(seed: number) {
  return {
    width: 6,
    height: 6,
    dtype: 'float32',
    noData: null,
    bands: [0, 1].map((b) => Array.from({ length: 36 }, (_, i) => ((i + b + seed) % 7) / 10)),
    geo: { epsg: 32633, transform: [500000, 10, 0, 4000000, 0, -10] },
  };
}

/** Band arrays of numbers become Float32Arrays; hostile values stay as they are. */
function materialize(r: any): any {
  if (r === null || typeof r !== 'object' || !Array.isArray(r.bands)) return r;
  return {
    ...r,
    bands: r.bands.map((b: unknown) =>
      Array.isArray(b) && b.every((v) => typeof v === 'number') ? Float32Array.from(b) : b,
    ),
  };
}
const scene = (s: unknown): any => (Array.isArray(s) ? s.map(materialize) : s);

interface Case {
  name: string;
  args: Record<string, unknown>;
  call: (a: Record<string, any>) => unknown;
  /** Every member is checked strictly, so a mutation rarely leaves a valid argument. */
  strict?: boolean;
}

const CASES: Case[] = [
  {
    name: 'superResolve',
    args: {
      scene: [jsonRevisit(1), jsonRevisit(2)],
      options: { chipSize: 4, tiling: 'chips', batchSize: 2, normalisation: 'none', revisitPadding: 'zeros' },
    },
    call: (a) => superResolve(scene(a.scene), { ...(a.options ?? {}), engine }),
  },
  {
    name: 'selectRevisits/checkScene',
    args: {
      scene: [jsonRevisit(3), jsonRevisit(4), jsonRevisit(5)],
      r: 2,
      bands: [0, 1],
      options: { maxAbs: 1 },
    },
    call: (a) => ({
      sel: selectRevisits(scene(a.scene), a.r, a.bands, a.options),
      wh: checkScene(scene(a.scene)),
    }),
  },
  {
    name: 'estimateTrainingMemory',
    args: { config: { ...TINY }, chip: [4, 4] },
    call: (a) => estimateTrainingMemory(a.config, a.chip),
    strict: true,
  },
  {
    name: 'exportOnnx/readOnnxModelInfo',
    args: { config: { ...TINY }, options: { graphName: 'g', prelu: 'PRelu', metadata: { a: 'b' } } },
    call: (a) => readOnnxModelInfo(exportOnnx(a.config, initStateDict(TINY, { seed: 1 }), a.options)),
  },
  {
    name: 'detectArchitecture',
    args: {
      shapes: Object.fromEntries(Object.entries(initStateDict(TINY)).map(([k, t]) => [k, t.shape])),
      overrides: { outputSize: [8, 8], dropout: 0 },
    },
    call: (a) => detectArchitecture(a.shapes, a.overrides),
  },
];

describe('seeded hostile arguments end in a result or an SrnetError', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await c.call(c.args);
      const outcomes = new Map<string, number>();
      for (const { doc, what } of jsonMutations(c.args, 120, 7, [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        1e9,
      ])) {
        const o = await outcomeOf(
          `${c.name}: ${what}`,
          () => c.call(doc as Record<string, unknown>),
          SrnetError,
        );
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      }
      if (!c.strict) expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].some((k) => k !== 'ok')).toBe(true);
    }, 30_000);
  }
});

// --- the exact codes and messages of the fixes ---

const thrown = (f: () => unknown) => typedError(f, SrnetError);
async function rejected(p: Promise<unknown>): Promise<SrnetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SrnetError);
  return e as SrnetError;
}

describe('crafted cases', () => {
  it('names the function and the argument', async () => {
    expect(thrown(() => checkScene(null as never))).toMatchObject({
      code: 'SCENE_SIZE_MISMATCH',
      message: 'checkScene: scene must be an array, got null',
    });
    expect(await rejected(superResolve([], undefined as never))).toMatchObject({
      code: 'BAD_SCENE_OPTIONS',
      message: 'superResolve: options must be an object, got undefined',
    });
    expect(await rejected(superResolve([], { engine: { predict: 1 } } as never))).toMatchObject({
      code: 'BAD_SCENE_OPTIONS',
      message: 'superResolve: options.engine.predict must be a function, got 1',
    });
    expect(thrown(() => validateInput(new Float32Array(1), null as never, TINY))).toMatchObject({
      code: 'BAD_INPUT_SHAPE',
      message: 'validateInput: shape must be an array or typed array, got null',
    });
    expect(thrown(() => encodeCheckpoint({ config: TINY, optimizer: {} } as never))).toMatchObject({
      code: 'BAD_CHECKPOINT',
      message: 'encodeCheckpoint: checkpoint.weights must be an object, got undefined',
    });
  });

  it('checks tensors before TF.js sees them', () => {
    expect(thrown(() => registeredLoss({ shape: [1, 2] } as never, {} as never))).toMatchObject({
      code: 'BAD_INPUT_SHAPE',
      message: 'registeredLoss: prediction must be a rank-4 TF.js tensor, got {"shape":[1,2]}',
    });
  });

  it('refuses NaN sizes instead of recursing until the stack overflows', () => {
    expect(thrown(() => defaultOverlap(Number.NaN, [156, 156]))).toMatchObject({
      code: 'BAD_SCENE_OPTIONS',
      message: 'defaultOverlap: chipSize must be an integer in 1..65536, got NaN',
    });
    expect(defaultOverlap(50, [156, 156])).toBe(25);
  });

  it('quotes a JSON object whose toString is not a function', () => {
    const hostile = JSON.parse('{"toString":1,"valueOf":1}');
    expect(thrown(() => estimateTrainingMemory(TINY, hostile))).toMatchObject({
      code: 'BAD_INPUT_SHAPE',
      message:
        'estimateTrainingMemory: chip must be [height, width] positive integers, got {"toString":1,"valueOf":1}',
    });
    expect(thrown(() => exportOnnx({ ...TINY, kind: hostile }, {}))).toMatchObject({
      code: 'BAD_CONFIG',
      message: expect.stringContaining('kind {"toString":1,"valueOf":1} is not one of srcnn, highresnet'),
    });
  });
});
