// Hostile arguments for every public metric: arrays and options the way callers get them from files, JSON configs
// and other tools. Seeded mutations of realistic JSON-shaped arguments must end in a score with the documented
// invariants or a MetricsError; the crafted cases pin each fixed bug to its exact code and message.
import { describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf, typedError } from '../../../tests/support/json-mutations.js';
import {
  batchMetrics,
  biasAdjust,
  bicubicBaseline,
  histogramMatch,
  lanczosKernel1d,
  lanczosKernels1d,
  MetricsError,
  mae,
  meanRegisteredMetrics,
  mse,
  opensrAlign,
  opensrConsistency,
  opensrCorrectness,
  opensrHarmonize,
  phaseCrossCorrelation,
  probavCpsnr,
  probavCpsnrBatch,
  probavScore,
  psnr,
  psnrFromMse,
  registeredMetrics,
  satlasCpsnr,
  scoreBicubicBaseline,
  shiftOfIndex,
  ssim,
  ssimGaussian1d,
  ssimLoss,
} from '../src/index.js';
import { seededRandom } from './support/images.js';

/** Values JSON configs and careless callers put where a size, index or switch belongs, beyond the shared list. */
const EXTRA_VALUES: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 31,
  1e-320,
  3,
  13,
  'auto',
  'l2',
  'worldstrat',
  { spectral: 'no' },
];

/** A plain JSON array of `n` pixel values in [lo, hi) (what a JSON file or another tool hands over). */
function pixels(n: number, seed: number, lo = 0, hi = 1): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rnd());
}

/** Every number in `value` must be finite, except the keys that document ±Infinity or NaN entries. */
function expectFiniteNumbers(
  value: unknown,
  path: string,
  lenient: Record<string, (v: number) => boolean>,
): void {
  const key = path.slice(path.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
  if (typeof value === 'number') {
    if (!Number.isFinite(value) && !lenient[key]?.(value)) throw new Error(`${path} is ${value}`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    for (const [i, v] of Array.from(value as ArrayLike<unknown>).entries())
      expectFiniteNumbers(v, `${path}[${i}]`, lenient);
    return;
  }
  for (const [k, v] of Object.entries(value)) expectFiniteNumbers(v, `${path}.${k}`, lenient);
}

const PERFECT = (v: number) => v === Number.POSITIVE_INFINITY;
/** PSNR-like scores are +Infinity for a perfect match (documented); nothing else may be non-finite. */
const SCORES = { psnr: PERFECT, cpsnr: PERFECT, meanCpsnr: PERFECT, psnrUnregistered: PERFECT };

interface Case {
  name: string;
  /** The JSON-shaped arguments; each mutation run changes only the members named in `mutate`. */
  args: Record<string, unknown>;
  call: (a: Record<string, any>) => unknown;
  /** Invariants of an 'ok' result beyond "finite numbers". */
  check?: (out: any, a: Record<string, any>) => void;
  lenient?: Record<string, (v: number) => boolean>;
}

/** Mutates `args[key]` for each key group separately, so option members are not drowned by pixel arrays. */
async function fuzz(c: Case, groups: string[][], count: number): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (const [g, keys] of groups.entries()) {
    const part = Object.fromEntries(keys.map((k) => [k, c.args[k]]));
    for (const { doc, what } of jsonMutations(part, count, 7 + g, EXTRA_VALUES)) {
      const a = { ...c.args, ...(doc as Record<string, unknown>) };
      let out: unknown;
      const outcome = await outcomeOf(
        `${c.name}: ${what}`,
        () => {
          out = c.call(a);
        },
        MetricsError,
      );
      if (outcome === 'ok') {
        try {
          expectFiniteNumbers(out, 'result', { ...SCORES, ...c.lenient });
          c.check?.(out, a);
        } catch (e) {
          throw new Error(`${c.name}: ${what}: ${(e as Error).message}`);
        }
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  }
  return outcomes;
}

const thrown = (f: () => unknown): MetricsError => typedError(f, MetricsError);

function expectError(f: () => unknown, code: string, message: RegExp): void {
  const e = thrown(f);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

/** One registered-metrics sample as a JSON file holds it. */
const sample = {
  mse: 0.01,
  mae: 0.05,
  ssimLoss: 0.02,
  psnr: 20,
  cssim: 0.96,
  loss: 0.025,
  shiftIndex: 40,
  shift: [0, 0] as [number, number],
  displacement: [0, 0] as [number, number],
};

const CASES: Case[] = [
  {
    name: 'mse/mae/psnr',
    args: { prediction: pixels(16, 1), target: pixels(16, 2), options: { dataRange: 1 } },
    call: (a) => ({
      mse: mse(a.prediction, a.target),
      mae: mae(a.prediction, a.target),
      psnr: psnr(a.prediction, a.target, a.options),
    }),
    check: (out) => {
      expect(out.mse).toBeGreaterThanOrEqual(0);
      expect(out.mae).toBeGreaterThanOrEqual(0);
    },
  },
  {
    name: 'ssim/ssimLoss',
    args: {
      prediction: pixels(72, 3),
      target: pixels(72, 4),
      shape: [2, 6, 6],
      options: { windowSize: 5, sigma: 1.5, dataRange: 1 },
    },
    call: (a) => ({
      ssim: ssim(a.prediction, a.target, a.shape, a.options),
      loss: ssimLoss(a.prediction, a.target, a.shape, a.options),
    }),
    check: (out) => {
      expect(out.loss).toBeGreaterThanOrEqual(0);
      expect(out.loss).toBeLessThanOrEqual(1);
    },
  },
  {
    name: 'batchMetrics',
    args: {
      prediction: pixels(72, 5),
      target: pixels(72, 6),
      shape: [2, 1, 6, 6],
      options: { dataRange: 1 },
    },
    call: (a) => batchMetrics(a.prediction, a.target, a.shape, a.options),
    check: (out, a) => expect(out.samples).toHaveLength(a.shape[0]),
  },
  {
    name: 'biasAdjust',
    args: { prediction: pixels(32, 7), target: pixels(32, 8), shape: [2, 4, 4] },
    call: (a) => biasAdjust(a.prediction, a.target, a.shape),
    check: (out, a) => expect(out.length).toBe(a.prediction.length),
  },
  {
    name: 'registeredMetrics',
    args: {
      prediction: pixels(169, 9),
      target: pixels(169, 10),
      shape: [1, 1, 13, 13],
      options: {
        mode: 'centered',
        kernel: 'lanczos3',
        weights: { mse: 0.3, mae: 0.4, ssim: 0.3 },
        details: false,
      },
    },
    call: (a) => registeredMetrics(a.prediction, a.target, a.shape, a.options),
    check: (out) => {
      for (const s of out) {
        expect(s.mse).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(s.shiftIndex) && s.shiftIndex >= 0 && s.shiftIndex < 81).toBe(true);
      }
    },
  },
  {
    name: 'meanRegisteredMetrics',
    args: { samples: [sample, { ...sample, psnr: 25 }, { ...sample, mse: 0.02 }] },
    call: (a) => meanRegisteredMetrics(a.samples),
    check: (out, a) => expect(out.count).toBe(a.samples.length),
  },
  {
    name: 'bicubicBaseline',
    args: {
      lr: pixels(200, 11, -1, 1),
      shape: [1, 2, 4, 5, 5],
      options: {
        size: [10, 10],
        channels: [3, 2, 1],
        revisit: 1,
        mean: [0.1, 0.1, 0.1],
        std: [0.05, 0.05, 0.05],
        worldstratCompat: false,
      },
    },
    call: (a) => bicubicBaseline(a.lr, a.shape, a.options),
    check: (out) => {
      const [b, k, h, w] = out.shape;
      expect(out.data.length).toBe(b * k * h * w);
    },
  },
  {
    name: 'scoreBicubicBaseline',
    args: {
      lr: pixels(100, 12, -1, 1),
      lrShape: [1, 1, 4, 5, 5],
      target: pixels(3 * 169, 13),
      targetShape: [1, 3, 13, 13],
      options: { mode: 'centered', channels: [3, 2, 1], worldstratCompat: true },
    },
    call: (a) => scoreBicubicBaseline(a.lr, a.lrShape, a.target, a.targetShape, a.options),
  },
  {
    name: 'probavCpsnr',
    args: {
      sr: pixels(144, 14),
      hr: pixels(144, 15),
      shape: [12, 12],
      options: {
        mask: pixels(144, 16).map((v) => (v > 0.2 ? 1 : 0)),
        border: 3,
        shifts: 49,
        scale: 1,
        baseline: 30,
      },
    },
    call: (a) => probavCpsnr(a.sr, a.hr, a.shape, a.options),
    lenient: { cpsnrAllShifts: (v) => Number.isNaN(v) || v === Number.POSITIVE_INFINITY },
  },
  {
    name: 'probavCpsnrBatch',
    args: {
      sr: pixels(162, 17),
      hr: pixels(162, 18),
      shape: [2, 9, 9],
      options: { masks: pixels(162, 19).map((v) => v > 0.2), baselines: [30, 31], border: 2, shifts: 36 },
    },
    call: (a) => probavCpsnrBatch(a.sr, a.hr, a.shape, a.options),
    lenient: { cpsnrAllShifts: (v) => Number.isNaN(v) || v === Number.POSITIVE_INFINITY },
    check: (out, a) => expect(out.samples).toHaveLength(a.shape[0]),
  },
  {
    name: 'satlasCpsnr',
    args: {
      prediction: pixels(144, 20, 0, 255),
      target: pixels(144, 21, 0, 255),
      shape: [12, 12],
      options: { cropBorder: 1, peak: 255 },
    },
    call: (a) => satlasCpsnr(a.prediction, a.target, a.shape, a.options),
  },
  {
    name: 'phaseCrossCorrelation',
    args: {
      reference: pixels(64, 22),
      moving: pixels(64, 23),
      shape: [8, 8],
      options: { upsampleFactor: 10 },
    },
    call: (a) => phaseCrossCorrelation(a.reference, a.moving, a.shape, a.options),
    check: (out, a) => {
      expect(Math.abs(out.shift[0])).toBeLessThanOrEqual(a.shape[0] / 2 + 1);
      expect(Math.abs(out.shift[1])).toBeLessThanOrEqual(a.shape[1] / 2 + 1);
    },
  },
  {
    name: 'histogramMatch',
    args: {
      image: pixels(48, 24),
      reference: pixels(75, 25),
      imageShape: [3, 4, 4],
      referenceShape: [3, 5, 5],
    },
    call: (a) => histogramMatch(a.image, a.reference, a.imageShape, a.referenceShape),
  },
  {
    name: 'opensrAlign/opensrHarmonize',
    args: {
      moving: pixels(192, 26),
      reference: pixels(192, 27),
      shape: [3, 8, 8],
      options: { maxTranslation: 5, upsampleFactor: 10, spectral: true, spatial: true },
    },
    call: (a) => ({
      align: opensrAlign(a.moving, a.reference, a.shape, a.options),
      harmonize: opensrHarmonize(a.moving, a.reference, a.shape, a.options),
    }),
  },
  {
    name: 'opensrConsistency',
    args: {
      lr: pixels(48, 28, 0.1, 1),
      sr: pixels(192, 29, 0.1, 1),
      lrShape: [3, 4, 4],
      srShape: [3, 8, 8],
      options: {
        reflectanceDistance: 'l1',
        aggregation: 'pixel',
        borderMask: 0,
        rgbBands: [0, 1, 2],
        maxTranslation: 5,
        upsampleFactor: 10,
      },
    },
    call: (a) => opensrConsistency(a.lr, a.sr, a.lrShape, a.srShape, a.options),
  },
  {
    name: 'opensrCorrectness',
    args: {
      lr: pixels(48, 30, 0.1, 1),
      sr: pixels(192, 31, 0.1, 1),
      hr: pixels(192, 32, 0.1, 1),
      lrShape: [3, 4, 4],
      hrShape: [3, 8, 8],
      options: {
        harmonize: { spectral: true, spatial: true },
        distance: 'nd',
        gradientThreshold: 'auto',
        imScore: 0.05,
        omScore: 0.05,
        haScore: 0.05,
        temperature: 0.25,
        norm: 'softmin',
        borderMask: 0,
        upsampleFactor: 10,
      },
    },
    call: (a) => opensrCorrectness(a.lr, a.sr, a.hr, a.lrShape, a.hrShape, a.options),
    check: (out) => {
      for (const k of ['improvement', 'omission', 'hallucination'] as const) {
        expect(out[k]).toBeGreaterThanOrEqual(0);
        expect(out[k]).toBeLessThanOrEqual(1);
      }
    },
  },
  {
    name: 'lanczosKernel1d/ssimGaussian1d',
    args: { shift: 0.5, options: { variant: 'lanczos3' }, windowSize: 5, sigma: 1.5 },
    call: (a) => ({
      kernel: lanczosKernel1d(a.shift, a.options),
      all: lanczosKernels1d(a.options).kernels,
      gauss: ssimGaussian1d(a.windowSize, a.sigma),
    }),
  },
];

/** The non-array arguments (shapes, options, scalars) of a case. */
function argumentKeys(c: Case): string[] {
  return Object.keys(c.args).filter((k) => !Array.isArray(c.args[k]) || k.toLowerCase().includes('shape'));
}
function dataKeys(c: Case): string[] {
  return Object.keys(c.args).filter((k) => Array.isArray(c.args[k]) && !k.toLowerCase().includes('shape'));
}

describe('seeded hostile arguments end in a score or a MetricsError', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const valid = c.call(c.args);
      expectFiniteNumbers(valid, 'result', { ...SCORES, ...c.lenient });
      const groups = [argumentKeys(c), dataKeys(c)].filter((g) => g.length > 0);
      const outcomes = await fuzz(c, groups, 120);
      // Both kinds of outcome occur: the variants are neither all harmless nor all rejected.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].some((k) => k !== 'ok')).toBe(true);
    });
  }
});

describe('pixel values that are not finite numbers', () => {
  it('refuses null (JSON for NaN), numeric strings and booleans instead of coercing them', () => {
    expectError(() => mse([null, 1] as never, [0, 1]), 'NON_FINITE_INPUT', /^mse: prediction\[0\] is null/);
    expectError(() => mae([1, 2], ['1', '2'] as never), 'NON_FINITE_INPUT', /^mae: target\[0\] is "1"/);
    expectError(
      () => ssim([true, 1, 1, 1] as never, [1, 1, 1, 1], [2, 2], { windowSize: 1 }),
      'NON_FINITE_INPUT',
      /^ssim: prediction\[0\] is true/,
    );
    expectError(() => mse('0000' as never, '0000' as never), 'INVALID_SHAPE', /^mse: both inputs/);
  });

  it('says when finite inputs overflow float64 instead of returning Infinity or NaN', () => {
    expectError(() => mse([1e200], [0]), 'NON_FINITE_INPUT', /^mse: the MSE is Infinity/);
    const huge = pixels(36, 40, 0, 1e160);
    expectError(() => ssim(huge, pixels(36, 41), [6, 6]), 'NON_FINITE_INPUT', /^ssim: the SSIM is NaN/);
    expectError(
      () => registeredMetrics(pixels(169, 42, 0, 1e160), pixels(169, 43), [1, 13, 13]),
      'NON_FINITE_INPUT',
      /^registeredMetrics: the cMSE of sample 0 is/,
    );
    expectError(
      () => satlasCpsnr(pixels(144, 44, 0, 1e200), pixels(144, 45), [12, 12]),
      'NON_FINITE_INPUT',
      /^satlasCpsnr: the best MSE is Infinity/,
    );
    expectError(
      () => probavCpsnr(pixels(144, 46, 0, 1e308), pixels(144, 47, -1e308, 0), [12, 12]),
      'NON_FINITE_INPUT',
      /^probavCpsnr: the cMSE at shift \[0, 0\] is/,
    );
    expectError(
      () => phaseCrossCorrelation(pixels(64, 48, 0, 1e200), pixels(64, 49, 0, 1e200), [8, 8]),
      'NON_FINITE_INPUT',
      /^phaseCrossCorrelation: the cross-power spectrum overflows/,
    );
    expectError(
      () =>
        opensrConsistency(pixels(48, 50, 0, 1e200), pixels(192, 51), [3, 4, 4], [3, 8, 8], {
          borderMask: 0,
          reflectanceDistance: 'l2',
        }),
      'NON_FINITE_INPUT',
      /^opensrConsistency: the reflectance consistency is Infinity/,
    );
  });

  it('refuses a bias adjustment that leaves the float32 range', () => {
    expectError(
      () => biasAdjust([1e39, 0, 0, 0], [0, 0, 0, 0], [1, 2, 2]),
      'NON_FINITE_INPUT',
      /^biasAdjust: the adjusted prediction\[0\] is Infinity/,
    );
  });

  it('matches histograms onto references spanning ±1e308 with finite values', () => {
    const out = histogramMatch([0, 1, 2, 3], [-1e308, 1e308, -1e308, 1e308], [1, 2, 2]);
    expect(Array.from(out).every(Number.isFinite)).toBe(true);
    expect(out[0]).toBe(-1e308);
    expect(out[3]).toBe(1e308);
  });

  it('computes a finite PSNR where only L² or L²/MSE overflows', () => {
    expect(psnrFromMse(5e-324)).toBeCloseTo(-10 * Math.log10(5e-324), 9);
    // −0 is 0: an exact match (it was NaN)
    expect(psnrFromMse(-0)).toBe(Number.POSITIVE_INFINITY);
    expect(psnrFromMse(-0, 255)).toBe(Number.POSITIVE_INFINITY);
    expect(psnr([0.5], [0.25], { dataRange: 1e200 })).toBeCloseTo(4000 - 10 * Math.log10(0.0625), 9);
    const { cpsnr } = satlasCpsnr(pixels(144, 52), pixels(144, 53), [12, 12], { peak: 1e200 });
    expect(Number.isFinite(cpsnr) && cpsnr > 3900).toBe(true);
  });
});

describe('shapes and sizes', () => {
  it('names a shape that cannot be printed as JSON instead of throwing a TypeError', () => {
    expectError(
      () => ssim([1], [1], [1n, 1] as never),
      'INVALID_SHAPE',
      /^ssim: shape entries .* got \[object Array\]/,
    );
    const cyclic: unknown[] = [2];
    cyclic.push(cyclic);
    expectError(
      () => biasAdjust([1], [1], [1, ...cyclic] as never),
      'INVALID_SHAPE',
      /^biasAdjust: shape entries/,
    );
  });

  it('refuses SSIM windows that would allocate gigabytes of taps', () => {
    expectError(
      () => ssimGaussian1d(2 ** 31 - 1),
      'INVALID_OPTION',
      /^ssimGaussian1d: windowSize .* 1\.\.1023/,
    );
    expectError(
      () => ssim(pixels(36, 54), pixels(36, 55), [6, 6], { windowSize: 2 ** 31 + 1 }),
      'INVALID_OPTION',
      /^ssim: windowSize/,
    );
    expectError(() => ssimGaussian1d(5, 1e-170), 'INVALID_OPTION', /^ssimGaussian1d: sigma/);
  });

  it('refuses a negative sigma like sigma 0 (σ² > 0 alone let −σ through)', () => {
    const p = pixels(36, 54);
    const t = pixels(36, 55);
    expectError(
      () => ssimGaussian1d(5, -1.5),
      'INVALID_OPTION',
      /^ssimGaussian1d: sigma must be a finite number > 0, got -1\.5$/,
    );
    expectError(
      () => ssim(p, t, [6, 6], { sigma: -1 }),
      'INVALID_OPTION',
      /^ssim: sigma must be a finite number > 0, got -1$/,
    );
    expectError(() => ssimLoss(p, t, [6, 6], { sigma: -1 }), 'INVALID_OPTION', /^ssimLoss: sigma/);
    expectError(
      () => batchMetrics(p, t, [1, 1, 6, 6], { windowSize: 5, sigma: -1 }),
      'INVALID_OPTION',
      /^batchMetrics: sigma must be a finite number > 0, got -1$/,
    );
    expectError(
      () => ssim(p, t, [6, 6], { sigma: Number.NEGATIVE_INFINITY }),
      'INVALID_OPTION',
      /^ssim: sigma/,
    );
  });

  it('refuses baseline sizes that would allocate gigabytes', () => {
    const lr = pixels(100, 56);
    expectError(
      () => bicubicBaseline(lr, [1, 1, 4, 5, 5], { size: [2 ** 31, 2 ** 31] }),
      'INVALID_OPTION',
      /^bicubicBaseline: size 2147483648×2147483648 for 3 planes exceeds/,
    );
    expectError(
      () => bicubicBaseline(lr, [1, 1, 4, 5, 5], { size: 7 as never }),
      'INVALID_OPTION',
      /size must be two/,
    );
  });
});

describe('options of the wrong type', () => {
  const p = pixels(169, 57);
  const t = pixels(169, 58);

  it('refuses a null or non-object options argument with INVALID_OPTION naming the function', () => {
    expectError(
      () => psnr([1], [0], null as never),
      'INVALID_OPTION',
      /^psnr: options must be an object, got null/,
    );
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], null as never),
      'INVALID_OPTION',
      /^registeredMetrics: options/,
    );
    expectError(
      () => ssim(p, t, [13, 13], 'fast' as never),
      'INVALID_OPTION',
      /^ssim: options must be an object, got "fast"/,
    );
    expectError(() => lanczosKernels1d([] as never), 'INVALID_OPTION', /^lanczosKernels1d: options/);
  });

  it('checks registeredMetrics weights, kernel and callbacks', () => {
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], { weights: 5 as never }),
      'INVALID_OPTION',
      /weights must be/,
    );
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], { weights: { mse: '0.3', mae: 0.4, ssim: 0.3 } as never }),
      'INVALID_OPTION',
      /^registeredMetrics: weights\.mse must be a finite number, got "0\.3"/,
    );
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], { kernel: 'bogus' as never }),
      'INVALID_OPTION',
      /^registeredMetrics: kernel must be/,
    );
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], { onProgress: 1 as never }),
      'INVALID_OPTION',
      /onProgress/,
    );
    expectError(
      () => registeredMetrics(p, t, [1, 13, 13], { signal: {} as never }),
      'INVALID_OPTION',
      /signal/,
    );
    // null stays "absent", as for every other option.
    expect(registeredMetrics(p, t, [1, 13, 13], { weights: null as never })[0].loss).toBeCloseTo(
      registeredMetrics(p, t, [1, 13, 13])[0].loss,
      15,
    );
  });

  it('refuses Lanczos shifts whose kernel would be NaN', () => {
    expectError(
      () => lanczosKernel1d(1e39),
      'INVALID_OPTION',
      /^lanczosKernel1d: shift must be a number in −5\.\.5/,
    );
    expectError(() => lanczosKernel1d(9, { variant: 'lanczos3' }), 'INVALID_OPTION', /shift/);
    expect(lanczosKernel1d(5).every(Number.isFinite)).toBe(true);
    // a shift so small that x² underflows: the kernel of shift 0 (was 0/0 = NaN at the centre tap)
    const zero = Array.from(lanczosKernel1d(0, { variant: 'lanczos3' }));
    for (const tiny of [1e-160, -5e-324])
      expect(Array.from(lanczosKernel1d(tiny, { variant: 'lanczos3' })), String(tiny)).toEqual(zero);
    const near = lanczosKernel1d(1e-9, { variant: 'lanczos3' });
    for (const [i, v] of near.entries()) expect(Math.abs(v - (zero[i] as number))).toBeLessThan(1e-8);
  });

  it('names a Symbol or other unprintable value in a message instead of throwing a TypeError', () => {
    expectError(
      () => shiftOfIndex(Symbol('s') as never),
      'INVALID_OPTION',
      /^shiftOfIndex: index must be an integer in 0\.\.\d+, got /,
    );
    const [lr, sr, hr] = [pixels(48, 28, 0.1, 1), pixels(192, 29, 0.1, 1), pixels(192, 32, 0.1, 1)];
    const borderMask = Symbol('b') as never;
    expectError(
      () => opensrConsistency(lr, sr, [3, 4, 4], [3, 8, 8], { borderMask }),
      'INVALID_OPTION',
      /^opensrConsistency: borderMask must be an integer ≥ 0, got /,
    );
    expectError(
      () => opensrCorrectness(lr, sr, hr, [3, 4, 4], [3, 8, 8], { borderMask }),
      'INVALID_OPTION',
      /^opensrCorrectness: borderMask must be an integer ≥ 0, got /,
    );
  });

  it('checks bicubicBaseline channels, mean and std element by element', () => {
    const lr = pixels(100, 59);
    expectError(
      () => bicubicBaseline(lr, [1, 1, 4, 5, 5], { channels: 5 as never }),
      'INVALID_OPTION',
      /^bicubicBaseline: channels must be a non-empty array/,
    );
    expectError(
      () => bicubicBaseline(lr, [1, 1, 4, 5, 5], { mean: ['0.1', 0.1, 0.1] as never }),
      'INVALID_OPTION',
      /^bicubicBaseline: mean\[0\] must be a finite number, got "0\.1"/,
    );
    expectError(
      () => bicubicBaseline(lr, [1, 1, 4, 5, 5], { std: [1e300, 1e300, 1e300], worldstratCompat: true }),
      'DEGENERATE_INPUT',
      /batch maximum is Infinity/,
    );
  });

  it('refuses PROBA-V masks whose "0" entries would read as clear', () => {
    const sr = pixels(144, 60);
    const hr = pixels(144, 61);
    expectError(
      () => probavCpsnr(sr, hr, [12, 12], { mask: '0'.repeat(144) as never }),
      'SHAPE_MISMATCH',
      /^probavCpsnr: mask has undefined/,
    );
    expectError(
      () => probavCpsnr(sr, hr, [12, 12], { mask: Array(144).fill('0') }),
      'INVALID_OPTION',
      /^probavCpsnr: mask\[0\] is "0"/,
    );
    expectError(() => probavScore('50' as never, 45), 'INVALID_OPTION', /^probavScore: cPSNR/);
  });

  it('scores plain-array PROBA-V batches per sample exactly like typed ones', () => {
    const sr = pixels(3 * 81, 62);
    const hr = pixels(3 * 81, 63);
    const plain = probavCpsnrBatch(sr, hr, [3, 9, 9], { border: 2 });
    const typed = probavCpsnrBatch(Float64Array.from(sr), Float64Array.from(hr), [3, 9, 9], { border: 2 });
    expect(plain.samples.map((s) => s.cpsnr)).toEqual(typed.samples.map((s) => s.cpsnr));
  });

  it('refuses harmonisation switches that are not booleans', () => {
    const a = pixels(192, 64);
    expectError(
      () => opensrHarmonize(a, pixels(192, 65), [3, 8, 8], { spectral: 'no' as never }),
      'INVALID_OPTION',
      /^opensrHarmonize: spectral must be a boolean, got "no"/,
    );
    expectError(
      () =>
        opensrCorrectness(pixels(48, 66), a, a, [3, 4, 4], [3, 8, 8], {
          harmonize: { spatial: 0 as never },
        }),
      'INVALID_OPTION',
      /^opensrCorrectness: harmonize\.spatial must be a boolean/,
    );
    expectError(
      () =>
        opensrCorrectness(pixels(48, 66), a, a, [3, 4, 4], [3, 8, 8], {
          borderMask: 0,
          gradientThreshold: Symbol('x') as never,
        }),
      'INVALID_OPTION',
      /^opensrCorrectness: gradientThreshold must be/,
    );
  });

  it('throws DEGENERATE_INPUT instead of NaN correctness scores', () => {
    const lr = Array(48).fill(0.5);
    const flat = Array(192).fill(0.5);
    expectError(
      () =>
        opensrCorrectness(lr, flat, flat, [3, 4, 4], [3, 8, 8], {
          borderMask: 0,
          gradientThreshold: -1,
          harmonize: false,
        }),
      'DEGENERATE_INPUT',
      /^opensrCorrectness: every scored pixel has zero/,
    );
  });
});

describe('meanRegisteredMetrics over samples read back from JSON', () => {
  it('refuses members that are not numbers instead of concatenating strings', () => {
    const samples = JSON.parse(JSON.stringify([sample, { ...sample, mse: '0.1' }]));
    expectError(
      () => meanRegisteredMetrics(samples),
      'NON_FINITE_INPUT',
      /^meanRegisteredMetrics: samples\[1\]\.mse must be a finite number, got "0\.1"/,
    );
    expectError(
      () => meanRegisteredMetrics([{ ...sample, loss: null }] as never),
      'NON_FINITE_INPUT',
      /samples\[0\]\.loss/,
    );
  });

  it('refuses a non-array or a non-object sample', () => {
    expectError(
      () => meanRegisteredMetrics({} as never),
      'INVALID_SHAPE',
      /^meanRegisteredMetrics: samples must be an array/,
    );
    expectError(
      () => meanRegisteredMetrics([null] as never),
      'INVALID_SHAPE',
      /samples\[0\] must be a metrics object/,
    );
  });

  it('keeps the documented infinite-cPSNR error', () => {
    expectError(
      () => meanRegisteredMetrics([{ ...sample, psnr: Number.POSITIVE_INFINITY, mse: 0 }]),
      'NON_FINITE_INPUT',
      /sample 0 has cPSNR Infinity/,
    );
  });
});
