// Satlas cPSNR and opensr-test metrics against numbers from their original definitions
// (test/fixtures/make-metric-variants.py reproduces the original code in numpy and wrote the JSON).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MetricsError,
  type OpensrCorrectnessOptions,
  type OpensrDistance,
  opensrConsistency,
  opensrCorrectness,
  satlasCpsnr,
} from '../src/index.js';
import { resizeAntialiasBilinear } from '../src/opensr-distance.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/metric-variants.json', import.meta.url), 'utf8'),
) as {
  satlas: {
    name: string;
    seed: number;
    shape: [number, number, number];
    shift: [number, number];
    cropBorder: number;
    cpsnr: number;
    mse: number;
    offset: [number, number];
  }[];
  opensr: {
    seed: number;
    lrShape: [number, number, number];
    scale: number;
    consistency: {
      sr: string;
      distance: OpensrDistance;
      aggregation: 'pixel' | 'image';
      reflectance: number;
      spectral: number;
    }[];
    correctness: {
      sr: string;
      options: Record<string, unknown>;
      improvement: number;
      omission: number;
      hallucination: number;
      threshold: number;
      scoredPixels: number;
    }[];
    harmonized: {
      sr: string;
      improvement: number;
      omission: number;
      hallucination: number;
      threshold: number;
      scoredPixels: number;
      alignment: { translation: number | null; shift: [number, number] };
    }[];
  };
};

/** The generator's Park-Miller sequence (exact in float64 on both sides). */
function parkMiller(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function satlasImages(seed: number, [c, h, w]: number[], [dy, dx]: number[]) {
  const rnd = parkMiller(seed);
  const target = new Float64Array(c * h * w);
  for (let i = 0; i < target.length; i++) target[i] = Math.floor(rnd() * 256);
  const pred = new Float64Array(c * h * w);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const si = Math.min(Math.max(i + dy, 0), h - 1);
        const sj = Math.min(Math.max(j + dx, 0), w - 1);
        const v = target[k * h * w + si * w + sj] + (k * 3 - 2) + Math.floor((rnd() - 0.5) * 6);
        pred[k * h * w + i * w + j] = Math.min(Math.max(v, 0), 255);
      }
    }
  }
  return { pred, target };
}

function opensrImages(seed: number, [c, h, w]: number[], scale: number) {
  const rnd = parkMiller(seed);
  const lr = new Float64Array(c * h * w);
  for (let i = 0; i < lr.length; i++) lr[i] = rnd() * 0.3 + 0.05;
  const H = h * scale;
  const W = w * scale;
  const hr = new Float64Array(c * H * W);
  const good = new Float64Array(c * H * W);
  const wild = new Float64Array(c * H * W);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const base = lr[k * h * w + Math.floor(i / scale) * w + Math.floor(j / scale)];
        const o = k * H * W + i * W + j;
        hr[o] = base + (rnd() - 0.5) * 0.08;
        good[o] = hr[o] * 0.7 + base * 0.3 + (rnd() - 0.5) * 0.02;
        wild[o] = base + (rnd() - 0.5) * 0.1;
      }
    }
  }
  return { lr, hr, sr: { good, wild } as Record<string, Float64Array>, hrShape: [c, H, W] };
}

describe('satlasCpsnr (Satlas calculate_cpsnr)', () => {
  for (const ref of fixture.satlas) {
    it(`matches the original: ${ref.name}`, () => {
      const { pred, target } = satlasImages(ref.seed, ref.shape, ref.shift);
      const r = satlasCpsnr(pred, target, ref.shape, { cropBorder: ref.cropBorder });
      expect(r.offset).toEqual(ref.offset);
      expect(r.mse).toBeCloseTo(ref.mse, 9);
      expect(Math.abs(r.cpsnr - ref.cpsnr)).toBeLessThan(1e-10);
      expect(r.displacement).toEqual([8 - 2 * ref.offset[0], 8 - 2 * ref.offset[1]]);
    });
  }

  it('finds an even shift exactly and removes per-channel brightness offsets', () => {
    const ref = fixture.satlas[0];
    const { target } = satlasImages(ref.seed, ref.shape, [0, 0]);
    const [c, h, w] = ref.shape;
    const pred = new Float64Array(target.length);
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const si = Math.min(i + 4, h - 1);
          pred[k * h * w + i * w + j] = target[k * h * w + si * w + Math.max(j - 6, 0)] + 10 * (k + 1);
        }
      }
    }
    const r = satlasCpsnr(pred, target, ref.shape);
    expect(r.displacement).toEqual([4, -6]);
    expect(r.cpsnr).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(r.bias)).toEqual([10, 20, 30]);
  });

  it('rejects bad input with typed errors', () => {
    const a = new Float64Array(3 * 8 * 8);
    expect(() => satlasCpsnr(a, a, [3, 8, 8])).toThrow(MetricsError);
    expect(() => satlasCpsnr(a, a.subarray(1), [3, 8, 8])).toThrow(/target has 191 elements/);
    const b = new Float64Array(3 * 20 * 20);
    b[5] = Number.NaN;
    expect(() => satlasCpsnr(b, b, [3, 20, 20])).toThrow(/prediction\[5\] is NaN/);
    try {
      satlasCpsnr(new Float64Array(400), new Float64Array(400), [20, 20], { peak: 0 });
    } catch (err) {
      expect((err as MetricsError).code).toBe('INVALID_OPTION');
    }
    expect(() =>
      satlasCpsnr(new Float64Array(400), new Float64Array(400), [20, 20], { cropBorder: 6 }),
    ).toThrow(/leaves nothing/);
  });
});

describe('opensr-test consistency and correctness', () => {
  const { seed, lrShape, scale } = fixture.opensr;
  const img = opensrImages(seed, lrShape, scale);

  it('reflectance and spectral consistency match opensr-test for every distance and aggregation', () => {
    for (const ref of fixture.opensr.consistency) {
      const r = opensrConsistency(img.lr, img.sr[ref.sr], lrShape, img.hrShape, {
        reflectanceDistance: ref.distance,
        aggregation: ref.aggregation,
      });
      expect(r.scale).toBe(4);
      expect(
        Math.abs(r.reflectance - ref.reflectance),
        `${ref.sr} ${ref.distance} ${ref.aggregation}`,
      ).toBeLessThan(1e-12 * Math.max(1, Math.abs(ref.reflectance)));
      expect(Math.abs(r.spectral - ref.spectral)).toBeLessThan(1e-9);
    }
  });

  it('improvement / omission / hallucination match opensr-test without harmonisation', () => {
    for (const ref of fixture.opensr.correctness) {
      const o = ref.options;
      const options: OpensrCorrectnessOptions = {
        distance: o.distance as OpensrDistance | undefined,
        gradientThreshold: o.gradient_threshold as number | string | undefined,
        imScore: o.im as number | undefined,
        omScore: o.om as number | undefined,
        haScore: o.ha as number | undefined,
        temperature: o.temperature as number | undefined,
        norm: o.norm as 'softmin' | 'percent' | undefined,
        // The fixture's cases run with harm_apply_spectral=False, harm_apply_spatial=False.
        harmonize: false,
      };
      const r = opensrCorrectness(img.lr, img.sr[ref.sr], img.hr, lrShape, img.hrShape, options);
      const label = `${ref.sr} ${JSON.stringify(o)}`;
      expect(r.scoredPixels, label).toBe(ref.scoredPixels);
      expect(r.threshold, label).toBeCloseTo(ref.threshold, 14);
      expect(r.improvement, label).toBeCloseTo(ref.improvement, 12);
      expect(r.omission, label).toBeCloseTo(ref.omission, 12);
      expect(r.hallucination, label).toBeCloseTo(ref.hallucination, 12);
      expect(r.improvement + r.omission + r.hallucination, label).toBeCloseTo(1, 12);
    }
  });

  it('with the default harmonisation (histogram matching + phase correlation) they match opensr-test', () => {
    for (const ref of fixture.opensr.harmonized) {
      const r = opensrCorrectness(img.lr, img.sr[ref.sr], img.hr, lrShape, img.hrShape);
      expect(r.scoredPixels, ref.sr).toBe(ref.scoredPixels);
      expect(r.improvement, ref.sr).toBeCloseTo(ref.improvement, 9);
      expect(r.omission, ref.sr).toBeCloseTo(ref.omission, 9);
      expect(r.hallucination, ref.sr).toBeCloseTo(ref.hallucination, 9);
      expect(r.alignment?.shift[0]).toBeCloseTo(ref.alignment.shift[0], 9);
      expect(r.alignment?.shift[1]).toBeCloseTo(ref.alignment.shift[1], 9);
    }
  });

  it('a model that adds HR-like detail scores mostly improvement; a noisy one hallucinates more', () => {
    const good = opensrCorrectness(img.lr, img.sr.good, img.hr, lrShape, img.hrShape);
    const wild = opensrCorrectness(img.lr, img.sr.wild, img.hr, lrShape, img.hrShape);
    expect(good.improvement).toBeGreaterThan(0.9);
    expect(wild.hallucination).toBeGreaterThan(good.hallucination * 5);
    expect(good.classification).toHaveLength(48 * 48);
  });

  it('rejects bad shapes and options with typed errors', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return err instanceof MetricsError ? err.code : 'untyped';
      }
      return undefined;
    };
    expect(codeOf(() => opensrConsistency(img.lr, img.hr, lrShape, [4, 70, 70]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => opensrConsistency(img.lr, img.hr, lrShape, [3, 80, 80]))).toBe('SHAPE_MISMATCH');
    expect(
      codeOf(() =>
        opensrConsistency(img.lr, img.hr, lrShape, img.hrShape, { reflectanceDistance: 'lpips' as 'l1' }),
      ),
    ).toBe('INVALID_OPTION');
    expect(
      codeOf(() =>
        opensrCorrectness(img.lr, img.hr, img.hr, lrShape, img.hrShape, { gradientThreshold: 'auto0' }),
      ),
    ).toBe('INVALID_OPTION');
    expect(
      codeOf(() => opensrCorrectness(img.lr, img.hr, img.hr, lrShape, img.hrShape, { borderMask: 40 })),
    ).toBe('IMAGE_TOO_SMALL');
    expect(
      codeOf(() =>
        opensrCorrectness(img.lr, img.hr, img.hr, lrShape, img.hrShape, { gradientThreshold: 1e9 }),
      ),
    ).toBe('DEGENERATE_INPUT');
  });
});

describe('resizeAntialiasBilinear (PyTorch bilinear, antialias=True)', () => {
  it('shrinks with the stretched triangle filter: [1,3,3,1]/8 at 1/2, [1,3,5,7,7,5,3,1]/32 at 1/4', () => {
    // A vertical line at column 13 of a 1×8×32 image: each output row is the 1-D response.
    const row = new Float64Array(8 * 32);
    for (let i = 0; i < 8; i++) row[i * 32 + 13] = 1;
    const half = resizeAntialiasBilinear(row, 1, 8, 32, 0.5);
    expect(half.data[6]).toBeCloseTo(3 / 8, 15);
    expect(half.data[7]).toBeCloseTo(1 / 8, 15);
    expect(half.data[5]).toBe(0);
    // At 1/4 output 3 covers input 10..17: weights [1,3,5,7,7,5,3,1]/32, so input 13 gets 7/32.
    const quarter = resizeAntialiasBilinear(row, 1, 8, 32, 0.25);
    expect(quarter.data[3]).toBeCloseTo(7 / 32, 15);
    expect(quarter.data[2]).toBeCloseTo(1 / 32, 15);
  });

  it('enlarges like plain bilinear (align_corners false, edge clamped)', () => {
    const up = resizeAntialiasBilinear(new Float64Array([0, 8]), 1, 1, 2, 4);
    // Output x maps to input (x + 0.5)/4 − 0.5, clamped at the edges: 0, 0, then steps of 2, then 8, 8.
    expect(Array.from(up.data.subarray(0, 8))).toEqual([0, 0, 1, 3, 5, 7, 8, 8]);
  });
});
