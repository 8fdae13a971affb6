// opensr-test's spatial consistency and SR harmonisation against the numpy reproduction of opensr-test,
// satalign, scikit-image and OpenCV in test/fixtures/make-metric-variants.py (metric-variants.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  histogramMatch,
  MetricsError,
  opensrAlign,
  opensrConsistency,
  opensrCorrectness,
  opensrHarmonize,
  phaseCrossCorrelation,
} from '../src/index.js';
import { fft1d, fft2d } from '../src/internal/fft.js';
import { warpTranslate } from '../src/phase-correlation.js';

interface SceneRef {
  seed: number;
  shift: [number, number];
  gain: number;
  offset: number;
  noise: number;
  consistency: { spatial: number | null; spatialShift: [number, number] };
  correctness: {
    harmonize: { spectral: boolean; spatial: boolean };
    alignment: { translation: number | null; shift: [number, number] } | null;
    improvement: number;
    omission: number;
    hallucination: number;
    threshold: number;
    scoredPixels: number;
    srHarmMean: number;
    srHarmSample: number[];
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/metric-variants.json', import.meta.url), 'utf8'),
) as { opensrScenes: { lrShape: [number, number, number]; scale: number; scenes: SceneRef[] } };

function parkMiller(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

/** The generator's `texture_scene`: a smoothed-noise texture, SR moved by an integer shift, LR block means. */
function textureScene(ref: SceneRef, [c, h, w]: number[], scale: number) {
  const rnd = parkMiller(ref.seed);
  const H = h * scale;
  const W = w * scale;
  const m = 8;
  const rh = H + 2 * m + 2;
  const rw = W + 2 * m + 2;
  const raw = new Float64Array(c * rh * rw);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < rh * rw; i++) raw[k * rh * rw + i] = 0.1 + 0.04 * k + rnd() * 0.2;
  }
  const th = H + 2 * m;
  const tw = W + 2 * m;
  const tex = (k: number, i: number, j: number): number => {
    let s = 0;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += raw[k * rh * rw + (i + a) * rw + j + b];
    return s / 9;
  };
  const texture = new Float64Array(c * th * tw);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < th; i++)
      for (let j = 0; j < tw; j++) texture[k * th * tw + i * tw + j] = tex(k, i, j);
  }
  const [dy, dx] = ref.shift;
  const hr = new Float64Array(c * H * W);
  const sr = new Float64Array(c * H * W);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) hr[k * H * W + i * W + j] = texture[k * th * tw + (m + i) * tw + m + j];
    }
  }
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const t = texture[k * th * tw + (m + i - dy) * tw + m + j - dx];
        sr[k * H * W + i * W + j] = ref.gain * t + ref.offset + (rnd() - 0.5) * ref.noise;
      }
    }
  }
  const lr = new Float64Array(c * h * w);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let a = 0; a < scale; a++) {
          for (let b = 0; b < scale; b++) s += hr[k * H * W + (i * scale + a) * W + j * scale + b];
        }
        lr[k * h * w + i * w + j] = s / (scale * scale);
      }
    }
  }
  return { lr, hr, sr, hrShape: [c, H, W] };
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof MetricsError ? err.code : 'untyped';
  }
  return undefined;
};

describe('FFT (radix-2 and Bluestein)', () => {
  it('equals the direct DFT for power-of-two and other lengths, and inverts', () => {
    for (const n of [1, 2, 3, 5, 8, 12, 17, 64, 100]) {
      const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + i * 0.1);
      const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
      const fr = Float64Array.from(re);
      const fi = Float64Array.from(im);
      fft1d(fr, fi);
      let err = 0;
      for (let k = 0; k < n; k++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < n; j++) {
          const a = (-2 * Math.PI * j * k) / n;
          sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
          si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
        }
        err = Math.max(err, Math.abs(sr - fr[k]), Math.abs(si - fi[k]));
      }
      fft1d(fr, fi, true);
      for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(fr[k] - re[k]), Math.abs(fi[k] - im[k]));
      expect(err, `n = ${n}`).toBeLessThan(1e-10);
    }
    // 2-D: the DC term is the sum, and the round trip is the identity.
    const re = Float64Array.from({ length: 6 * 10 }, (_, i) => (i * 37) % 11);
    const im = new Float64Array(60);
    const sum = re.reduce((a, b) => a + b, 0);
    fft2d(re, im, 6, 10);
    expect(re[0]).toBeCloseTo(sum, 10);
    fft2d(re, im, 6, 10, true);
    expect(re[7]).toBeCloseTo((7 * 37) % 11, 10);
  });
});

describe('phaseCrossCorrelation (scikit-image phase_cross_correlation, upsample 50)', () => {
  it('recovers integer circular shifts and a sub-pixel Fourier shift', () => {
    const h = 48;
    const w = 40;
    const rnd = parkMiller(5);
    const a = Float64Array.from({ length: h * w }, () => rnd());
    const rolled = new Float64Array(h * w);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) rolled[((i + 3) % h) * w + ((j - 2 + w) % w)] = a[i * w + j];
    }
    // moving(y) = a(y − 3), so reference(y) = moving(y + 3): shift −3 (and +2 in x).
    expect(phaseCrossCorrelation(a, rolled, [h, w]).shift).toEqual([-3, 2]);
    // A sub-pixel Fourier shift of the same noise: moving(y) = a(y − (1.3, −0.7)).
    const re = Float64Array.from(a);
    const im = new Float64Array(h * w);
    fft2d(re, im, h, w);
    const freq = (k: number, n: number) => (k <= (n - 1) / 2 ? k : k - n) / n;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const ang = -2 * Math.PI * (freq(i, h) * 1.3 + freq(j, w) * -0.7);
        const o = i * w + j;
        const r = re[o] * Math.cos(ang) - im[o] * Math.sin(ang);
        im[o] = re[o] * Math.sin(ang) + im[o] * Math.cos(ang);
        re[o] = r;
      }
    }
    fft2d(re, im, h, w, true);
    const [dy, dx] = phaseCrossCorrelation(a, re, [h, w]).shift;
    expect(Math.abs(dy + 1.3)).toBeLessThan(0.05);
    expect(Math.abs(dx - 0.7)).toBeLessThan(0.05);
    // Multiples of 1/50 px.
    expect(Math.abs(dy * 50 - Math.round(dy * 50))).toBeLessThan(1e-9);
  });

  it('rejects bad input with typed errors', () => {
    const a = new Float64Array(16);
    expect(codeOf(() => phaseCrossCorrelation(a, a, [4, 5]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => phaseCrossCorrelation(a, a, [16]))).toBe('INVALID_SHAPE');
    expect(codeOf(() => phaseCrossCorrelation(a, a, [4, 4], { upsampleFactor: 0.5 }))).toBe('INVALID_OPTION');
    const b = Float64Array.from(a);
    b[3] = Number.NaN;
    expect(codeOf(() => phaseCrossCorrelation(a, b, [4, 4]))).toBe('NON_FINITE_INPUT');
  });
});

describe('warpTranslate (OpenCV warpAffine, bilinear, replicated border)', () => {
  it('moves by whole pixels exactly and interpolates at 1/32-px positions', () => {
    const img = Float64Array.from({ length: 5 * 6 }, (_, i) => i);
    const moved = warpTranslate(img, 1, 5, 6, 2, 1); // out(y, x) = in(y − 1, x − 2)
    expect(moved[2 * 6 + 3]).toBe(img[1 * 6 + 1]);
    expect(moved[0]).toBe(img[0]); // replicated border
    // 0.3 px rounds to 10/32 px: out(0, 2) = in(0, 1.6875) → 1.6875 on a ramp of slope 1.
    const frac = warpTranslate(img, 1, 5, 6, 0.3, 0);
    expect(frac[2]).toBeCloseTo(2 - 10 / 32, 12);
  });
});

describe('histogramMatch (scikit-image match_histograms)', () => {
  it('maps each band onto the reference quantiles, ties kept together', () => {
    const image = Float64Array.from([3, 1, 2, 2, 10, 20, 30, 40]);
    const reference = Float64Array.from([0.5, 0.1, 0.4, 0.2, 1, 2, 3, 4]);
    const out = histogramMatch(image, reference, [2, 2, 2]);
    // band 0: source quantiles 1/4, 3/4, 1 against reference values 0.1, 0.2, 0.4, 0.5 at 1/4..1.
    expect(Array.from(out.subarray(0, 4))).toEqual([0.5, 0.1, 0.4, 0.4]);
    expect(Array.from(out.subarray(4))).toEqual([1, 2, 3, 4]);
  });

  it('rejects a band-count mismatch', () => {
    expect(
      codeOf(() => histogramMatch(new Float64Array(8), new Float64Array(12), [2, 2, 2], [3, 2, 2])),
    ).toBe('SHAPE_MISMATCH');
  });
});

describe('opensr-test spatial consistency and harmonisation (numpy reproduction)', () => {
  const { lrShape, scale, scenes } = fixture.opensrScenes;
  const tol = 1e-9;

  for (const ref of scenes) {
    const scene = textureScene(ref, lrShape, scale);
    it(`scene shifted by ${ref.shift}: spatial consistency`, () => {
      const r = opensrConsistency(scene.lr, scene.sr, lrShape, scene.hrShape);
      expect(r.spatialShift[0]).toBeCloseTo(ref.consistency.spatialShift[0], 9);
      expect(r.spatialShift[1]).toBeCloseTo(ref.consistency.spatialShift[1], 9);
      expect(r.spatial).not.toBeNull();
      expect(Math.abs((r.spatial as number) - (ref.consistency.spatial as number))).toBeLessThan(tol);
    });

    it(`scene shifted by ${ref.shift}: correctness after each harmonisation`, () => {
      for (const c of ref.correctness) {
        const label = JSON.stringify(c.harmonize);
        const r = opensrCorrectness(scene.lr, scene.sr, scene.hr, lrShape, scene.hrShape, {
          harmonize: c.harmonize,
        });
        expect(r.scoredPixels, label).toBe(c.scoredPixels);
        expect(Math.abs(r.threshold - c.threshold), label).toBeLessThan(tol);
        expect(Math.abs(r.improvement - c.improvement), label).toBeLessThan(tol);
        expect(Math.abs(r.omission - c.omission), label).toBeLessThan(tol);
        expect(Math.abs(r.hallucination - c.hallucination), label).toBeLessThan(tol);
        if (c.alignment === null) {
          expect(r.alignment, label).toBeNull();
        } else {
          expect(r.alignment?.shift[0], label).toBeCloseTo(c.alignment.shift[0], 9);
          expect(r.alignment?.shift[1], label).toBeCloseTo(c.alignment.shift[1], 9);
          expect(r.alignment?.rejected, label).toBe(c.alignment.translation === null);
          if (c.alignment.translation !== null) {
            expect(Math.abs((r.alignment?.translation as number) - c.alignment.translation)).toBeLessThan(
              tol,
            );
          }
        }
        // The harmonised SR itself, on the border-masked grid.
        const crop = (d: Float64Array) => {
          const [ch, H, W] = scene.hrShape;
          const b = 16;
          const out = new Float64Array(ch * (H - 2 * b) * (W - 2 * b));
          let o = 0;
          for (let k = 0; k < ch; k++)
            for (let i = b; i < H - b; i++)
              for (let j = b; j < W - b; j++) out[o++] = d[k * H * W + i * W + j];
          return out;
        };
        const side = scene.hrShape[1] - 32;
        const harm = opensrHarmonize(crop(scene.sr), crop(scene.hr), [lrShape[0], side, side], c.harmonize);
        const mean = harm.sr.reduce((a, b) => a + b, 0) / harm.sr.length;
        expect(Math.abs(mean - c.srHarmMean), label).toBeLessThan(tol);
        const row = Array.from(harm.sr.subarray(side * side + 40 * side + 30, side * side + 40 * side + 34));
        for (const [i, v] of row.entries()) expect(Math.abs(v - c.srHarmSample[i]), label).toBeLessThan(tol);
      }
    });
  }

  it('recovers the applied shift: 3, −2 HR px is found to within 0.02 px and undone', () => {
    const ref = scenes[0];
    const scene = textureScene(ref, lrShape, scale);
    const r = opensrCorrectness(scene.lr, scene.sr, scene.hr, lrShape, scene.hrShape);
    // sr(y) = hr(y − 3): registering SR onto HR needs a shift of −3 (and +2 in x).
    expect(r.alignment?.shift[0]).toBeCloseTo(-3, 1);
    expect(r.alignment?.shift[1]).toBeCloseTo(2, 1);
    const plain = opensrCorrectness(scene.lr, scene.sr, scene.hr, lrShape, scene.hrShape, {
      harmonize: false,
    });
    expect(r.improvement).toBeGreaterThan(0.8);
    expect(plain.improvement).toBeLessThan(0.1);
  });

  it('rejects registrations longer than maxTranslation (opensr-test: NaN) and reports null', () => {
    const ref = scenes[2];
    const scene = textureScene(ref, lrShape, scale);
    const r = opensrCorrectness(scene.lr, scene.sr, scene.hr, lrShape, scene.hrShape);
    expect(r.alignment?.rejected).toBe(true);
    expect(r.alignment?.translation).toBeNull();
    const loose = opensrCorrectness(scene.lr, scene.sr, scene.hr, lrShape, scene.hrShape, {
      maxTranslation: 10,
    });
    expect(loose.alignment?.rejected).toBe(false);
    expect(loose.alignment?.translation).toBeCloseTo(Math.hypot(7, 4), 1);
    const lrOnly = opensrConsistency(scene.lr, scene.sr, lrShape, scene.hrShape, { maxTranslation: 1 });
    expect(lrOnly.spatial).toBeNull();
    expect(lrOnly.spatialShift).toEqual(ref.consistency.spatialShift.map((v) => expect.closeTo(v, 9)));
  });

  it('rejects bad shapes and options with typed errors', () => {
    const ref = scenes[0];
    const scene = textureScene(ref, lrShape, scale);
    const { lr, sr, hr, hrShape } = scene;
    expect(codeOf(() => opensrAlign(sr, hr, [4, 128]))).toBe('INVALID_SHAPE');
    expect(codeOf(() => opensrAlign(sr, hr.subarray(1), hrShape))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => opensrHarmonize(sr, hr, hrShape, { maxTranslation: -1 }))).toBe('INVALID_OPTION');
    expect(codeOf(() => opensrConsistency(lr, sr, lrShape, hrShape, { rgbBands: [0, 1, 4] }))).toBe(
      'INVALID_OPTION',
    );
    expect(
      codeOf(() =>
        opensrCorrectness(lr, sr, hr, lrShape, hrShape, { harmonize: 'yes' as unknown as boolean }),
      ),
    ).toBe('INVALID_OPTION');
  });
});
