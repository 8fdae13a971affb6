// PROBA-V cPSNR: hand-computed cases, masks, the 49/36 variants, scaling and the normalised score.
import { describe, expect, it } from 'vitest';
import { MetricsError, PROBAV_SCALE, probavCpsnr, probavCpsnrBatch, probavScore } from '../src/index.js';
import { randomImage, smoothImage } from './support/images.js';

// 4×4 HR with a 1-px border: SR's centre [[1,2],[3,6]] is compared with the 9 HR windows (u, v ∈ 0..2).
const HR = new Float64Array([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 5, 0, 0, 0, 0, 0]);
const SR = new Float64Array([9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 6, 9, 9, 9, 9, 9]); // the border never counts

describe('probavCpsnr', () => {
  it('hand-computed 4×4 case (border 1, 9 shifts)', () => {
    const r = probavCpsnr(SR, HR, [4, 4], { border: 1 });
    // Window (1,1): HR − SR = [0, 0, 0, −1], b = −0.25, cMSE = (3·0.0625 + 0.5625)/4 = 0.1875.
    expect(r.shift).toEqual([1, 1]);
    expect(r.displacement).toEqual([0, 0]);
    expect(r.bias).toBeCloseTo(-0.25, 15);
    expect(r.cmse).toBeCloseTo(0.1875, 15);
    expect(r.cpsnr).toBeCloseTo(-10 * Math.log10(0.1875), 12); // 7.26999 dB
    // Window (0,0): HR − SR = [−1, −2, −3, −5], b = −2.75, cMSE = 2.1875; window (1,0): cMSE 1.0 → 0 dB.
    expect(r.cpsnrAllShifts[0]).toBeCloseTo(-10 * Math.log10(2.1875), 12);
    expect(r.cpsnrAllShifts[3]).toBeCloseTo(0, 12);
    expect(r.cpsnrAllShifts).toHaveLength(9);
  });

  it('masked pixels do not count: hiding the mismatching HR pixel makes the match perfect', () => {
    const mask = new Uint8Array(16).fill(1);
    mask[10] = 0; // HR(2,2) = 5 vs SR 6
    const r = probavCpsnr(SR, HR, [4, 4], { border: 1, mask });
    expect(r.shift).toEqual([1, 1]);
    expect(r.cmse).toBe(0);
    expect(r.cpsnr).toBe(Number.POSITIVE_INFINITY);
    // Garbage under the mask changes nothing.
    const hr2 = HR.slice();
    hr2[10] = 1e6;
    expect(probavCpsnr(SR, hr2, [4, 4], { border: 1, mask }).cpsnrAllShifts).toEqual(r.cpsnrAllShifts);
  });

  it('a constant brightness offset does not change cPSNR', () => {
    const hr = smoothImage(1, 40, 40, 3);
    const noise = randomImage(hr.length, 4, -0.02, 0.02);
    const sr = hr.map((v, i) => v + noise[i]);
    const a = probavCpsnr(sr, hr, [40, 40]);
    const b = probavCpsnr(
      sr.map((v) => v + 0.25),
      hr,
      [40, 40],
    );
    expect(b.cpsnr).toBeCloseTo(a.cpsnr, 5); // float32 rounding of sr + 0.25 only
    expect(b.bias).toBeCloseTo(a.bias - 0.25, 6);
  });

  it('finds a one-pixel shift: SR[i, j] = HR[i + 1, j − 1] scores perfect at displacement (1, −1)', () => {
    const hr = smoothImage(1, 40, 40, 5);
    const sr = new Float32Array(40 * 40);
    for (let i = 0; i < 40; i++)
      for (let j = 0; j < 40; j++) sr[i * 40 + j] = hr[Math.min(39, i + 1) * 40 + Math.max(0, j - 1)];
    const r = probavCpsnr(sr, hr, [40, 40]);
    expect(r.displacement).toEqual([1, -1]);
    expect(r.shift).toEqual([4, 2]);
    expect(r.cpsnr).toBe(Number.POSITIVE_INFINITY);
    expect(r.cpsnrAllShifts).toHaveLength(49);
  });

  it('49- and 36-shift variants agree when the optimum is inside −3..+2, and differ at +3', () => {
    const hr = smoothImage(1, 48, 48, 8);
    const shifted = (dy: number, dx: number) => {
      const sr = new Float32Array(48 * 48);
      for (let i = 0; i < 48; i++)
        for (let j = 0; j < 48; j++)
          sr[i * 48 + j] = hr[Math.min(47, Math.max(0, i + dy)) * 48 + Math.min(47, Math.max(0, j + dx))];
      const noise = randomImage(sr.length, dy * 7 + dx + 50, -0.01, 0.01);
      return sr.map((v, k) => v + noise[k]);
    };
    for (const [dy, dx] of [
      [0, 0],
      [-3, 2],
      [2, -1],
    ]) {
      const sr = shifted(dy, dx);
      const a = probavCpsnr(sr, hr, [48, 48], { shifts: 49 });
      const b = probavCpsnr(sr, hr, [48, 48], { shifts: 36 });
      expect(a.displacement).toEqual([dy, dx]);
      expect(b.displacement).toEqual([dy, dx]);
      expect(b.cpsnr).toBe(a.cpsnr);
      expect(b.cpsnrAllShifts).toHaveLength(36);
    }
    const sr = shifted(3, 0);
    const a = probavCpsnr(sr, hr, [48, 48], { shifts: 49 });
    const b = probavCpsnr(sr, hr, [48, 48], { shifts: 36 });
    expect(a.displacement).toEqual([3, 0]);
    expect(b.cpsnr).toBeLessThan(a.cpsnr - 3);
  });

  it('shifts 36 with border 0 tries no window: INVALID_OPTION naming both options, not EMPTY_MASK', () => {
    const img = smoothImage(1, 10, 10, 2);
    let err: unknown;
    try {
      probavCpsnr(img, img, [10, 10], { border: 0, shifts: 36 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).code).toBe('INVALID_OPTION');
    expect((err as MetricsError).message).toMatch(/^probavCpsnr: shifts 36 .* border 0/);
    expect(() => probavCpsnrBatch(img, img, [1, 10, 10], { border: 0, shifts: 36 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    // border 0 with the 49-shift rule is the one unshifted window: a perfect match
    const r = probavCpsnr(img, img, [10, 10], { border: 0 });
    expect(r.cpsnrAllShifts).toHaveLength(1);
    expect(r.cpsnr).toBe(Number.POSITIVE_INFINITY);
  });

  it('65535 vs 16383 scaling differs by 20·log10(65535/16383) dB', () => {
    const hr = randomImage(30 * 30, 1, 1000, 14000).map(Math.round);
    const sr = hr.map((v, i) => v + ((i * 7919) % 13) - 6);
    const a = probavCpsnr(sr, hr, [30, 30], { scale: PROBAV_SCALE.uint16 });
    const b = probavCpsnr(sr, hr, [30, 30], { scale: PROBAV_SCALE.uint14 });
    expect(a.cpsnr - b.cpsnr).toBeCloseTo(20 * Math.log10(65535 / 16383), 9);
    expect(a.shift).toEqual(b.shift);
  });

  it('normalised score = baseline / cPSNR, per image and averaged over a batch', () => {
    expect(probavScore(50, 45)).toBeCloseTo(0.9, 15);
    const hr = smoothImage(2, 20, 20, 9);
    const noise = randomImage(hr.length, 10, -0.01, 0.01);
    const sr = hr.map((v, i) => v + noise[i]);
    const single0 = probavCpsnr(sr.subarray(0, 400), hr.subarray(0, 400), [20, 20]);
    const single1 = probavCpsnr(sr.subarray(400), hr.subarray(400), [20, 20]);
    const batch = probavCpsnrBatch(sr, hr, [2, 20, 20], { baselines: [30, 40] });
    expect(batch.samples[0].cpsnr).toBe(single0.cpsnr);
    expect(batch.meanCpsnr).toBeCloseTo((single0.cpsnr + single1.cpsnr) / 2, 12);
    expect(batch.meanScore).toBeCloseTo((30 / single0.cpsnr + 40 / single1.cpsnr) / 2, 12);
    expect(
      probavCpsnr(sr.subarray(0, 400), hr.subarray(0, 400), [20, 20], { baseline: 30 }).score,
    ).toBeCloseTo(30 / single0.cpsnr, 12);
  });

  it('bad input → typed errors', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsError);
        return (e as MetricsError).code;
      }
      return 'no error';
    };
    expect(code(() => probavCpsnr(SR, HR, [4, 4], { border: 1, mask: new Uint8Array(16) }))).toBe(
      'EMPTY_MASK',
    );
    expect(code(() => probavCpsnr(SR, HR, [4, 4], { border: 1, mask: new Uint8Array(15) }))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(code(() => probavCpsnr(SR, HR.subarray(1), [4, 4]))).toBe('SHAPE_MISMATCH');
    expect(code(() => probavCpsnr(SR, HR, [4, 4], { border: 2 }))).toBe('IMAGE_TOO_SMALL');
    expect(code(() => probavCpsnr(SR, HR, [4, 4], { shifts: 25 as any }))).toBe('INVALID_OPTION');
    const nan = SR.slice();
    nan[0] = Number.NaN;
    expect(code(() => probavCpsnr(nan, HR, [4, 4], { border: 1 }))).toBe('NON_FINITE_INPUT');
    expect(code(() => probavCpsnrBatch(SR, HR, [1, 4, 4], { border: 1, baselines: [1, 2] }))).toBe(
      'SHAPE_MISMATCH',
    );
  });
});
