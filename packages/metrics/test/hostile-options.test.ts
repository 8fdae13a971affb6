// Option objects that fight back: getters and Proxy traps that throw, getters whose value changes between reads,
// and options that live on a class prototype. Every public function reads its options once, up front.
import { describe, expect, it } from 'vitest';
import {
  batchMetrics,
  bicubicBaseline,
  lanczosKernels1d,
  MetricsError,
  opensrAlign,
  opensrConsistency,
  opensrCorrectness,
  opensrHarmonize,
  phaseCrossCorrelation,
  probavCpsnr,
  probavCpsnrBatch,
  psnr,
  registeredMetrics,
  satlasCpsnr,
  scoreBicubicBaseline,
  ssim,
} from '../src/index.js';
import { maxAbsDiff, randomImage } from './support/images.js';

const a = randomImage(3 * 20 * 20, 1);
const b = randomImage(3 * 20 * 20, 2);
const lr = randomImage(3 * 10 * 10, 3);

/** Every public entry point that takes an options object, called on small valid inputs. */
const CALLS: Record<string, (o: any) => unknown> = {
  registeredMetrics: (o) => registeredMetrics(a, b, [1, 3, 20, 20], o),
  ssim: (o) => ssim(a, b, [3, 20, 20], o),
  psnr: (o) => psnr(a, b, o),
  batchMetrics: (o) => batchMetrics(a, b, [1, 3, 20, 20], o),
  probavCpsnr: (o) => probavCpsnr(a.subarray(0, 400), b.subarray(0, 400), [20, 20], o),
  probavCpsnrBatch: (o) => probavCpsnrBatch(a, b, [3, 20, 20], o),
  satlasCpsnr: (o) => satlasCpsnr(a, b, [3, 20, 20], o),
  phaseCrossCorrelation: (o) => phaseCrossCorrelation(a.subarray(0, 400), b.subarray(0, 400), [20, 20], o),
  opensrAlign: (o) => opensrAlign(a, b, [3, 20, 20], o),
  opensrHarmonize: (o) => opensrHarmonize(a, b, [3, 20, 20], o),
  opensrConsistency: (o) => opensrConsistency(lr, a, [3, 10, 10], [3, 20, 20], o),
  opensrCorrectness: (o) => opensrCorrectness(lr, a, b, [3, 10, 10], [3, 20, 20], o),
  bicubicBaseline: (o) => bicubicBaseline(lr, [1, 1, 3, 10, 10], o),
  scoreBicubicBaseline: (o) => scoreBicubicBaseline(lr, [1, 1, 3, 10, 10], b, [1, 3, 20, 20], o),
  lanczosKernels1d: (o) => lanczosKernels1d(o),
};

function thrown(f: () => unknown): MetricsError {
  try {
    f();
  } catch (e) {
    if (e instanceof MetricsError) return e;
    throw new Error(
      `expected a MetricsError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
  }
  throw new Error('expected a MetricsError, got a result');
}

describe('options whose reading throws', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: a throwing getter is INVALID_OPTION naming the member, with the cause`, () => {
      const boom = new RangeError('boom');
      const options = {
        get surprise(): number {
          throw boom;
        },
      };
      const e = thrown(() => call(options));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toMatch(new RegExp(`^${name}: reading options\\.surprise threw`));
      expect(e.cause).toBe(boom);
    });
    it(`${name}: a Proxy whose traps throw is INVALID_OPTION`, () => {
      const options = new Proxy(
        {},
        {
          ownKeys() {
            throw new TypeError('no keys');
          },
          get() {
            throw new TypeError('no get');
          },
        },
      );
      const e = thrown(() => call(options));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toMatch(new RegExp(`^${name}: reading options threw`));
    });
  }

  it('refuses a revoked Proxy with INVALID_OPTION', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(thrown(() => psnr(a, b, proxy)).code).toBe('INVALID_OPTION');
  });

  it('names a throwing getter inside registeredMetrics weights', () => {
    const weights = {
      mse: 0.3,
      mae: 0.4,
      get ssim(): number {
        throw new TypeError('nope');
      },
    };
    const e = thrown(() => registeredMetrics(a, b, [1, 3, 20, 20], { weights }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/^registeredMetrics: reading weights\.ssim threw/);
  });
});

describe('options are read once', () => {
  it('computes the registered loss from the checked weights, never NaN', () => {
    let reads = 0;
    const weights = {
      mse: 0.3,
      mae: 0.4,
      // Valid while being checked, NaN afterwards (the old code read it again for the loss).
      get ssim(): number {
        return reads++ < 2 ? 0.3 : Number.NaN;
      },
    };
    const [s] = registeredMetrics(a, b, [1, 3, 20, 20], { weights });
    const [plain] = registeredMetrics(a, b, [1, 3, 20, 20]);
    expect(s.loss).toBe(plain.loss);
    expect(Number.isFinite(s.loss)).toBe(true);
  });

  it('keeps the SSIM window checked when a getter changes it afterwards', () => {
    let reads = 0;
    const options = {
      get sigma(): number {
        return reads++ === 0 ? 1.5 : -1;
      },
    };
    expect(ssim(a, b, [3, 20, 20], options)).toBe(ssim(a, b, [3, 20, 20]));
    expect(reads).toBe(1);
  });

  it('denormalises every pixel the same way when worldstratCompat flips between reads', () => {
    let reads = 0;
    const options = {
      get worldstratCompat(): boolean {
        return reads++ % 2 === 0;
      },
    };
    const flipping = bicubicBaseline(lr, [1, 1, 3, 10, 10], options).data;
    const compat = bicubicBaseline(lr, [1, 1, 3, 10, 10], { worldstratCompat: true }).data;
    // One number, not a 73k-element diff.
    expect(maxAbsDiff(flipping, compat)).toBe(0);
  });
});

describe('options that are not plain objects still work', () => {
  it('honours options defined as getters on a class prototype', () => {
    class Options {
      get mode(): 'worldstrat' {
        return 'worldstrat';
      }
    }
    const [viaClass] = registeredMetrics(a, b, [1, 3, 20, 20], new Options());
    const [viaObject] = registeredMetrics(a, b, [1, 3, 20, 20], { mode: 'worldstrat' });
    expect(viaClass).toEqual(viaObject);
  });

  it('honours inherited options and keeps a JSON "__proto__" member a plain member', () => {
    const inherited = Object.create({ dataRange: 255 });
    expect(psnr(a, b, inherited)).toBe(psnr(a, b, { dataRange: 255 }));
    const json = JSON.parse('{"__proto__": {"dataRange": 255}}');
    expect(psnr(a, b, json)).toBe(psnr(a, b));
  });
});
