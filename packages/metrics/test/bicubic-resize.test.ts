// metrics' own bicubic kernel (so it needs no raster-io at run time) must equal raster-io's resize bit for bit.
import { resize } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import { bicubicBaseline } from '../src/index.js';
import { bicubicResize } from '../src/internal/bicubic-resize.js';

/** Seeded uniform floats (mulberry32), so a failure reproduces. */
function randomPlanes(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 1.5;
  }
  return out;
}

describe('bicubicResize', () => {
  const cases: [number, number, number, number, number][] = [
    [3, 50, 50, 156, 156], // the WorldStrat baseline: 50 → 156
    [2, 7, 13, 20, 5], // up one axis, down the other
    [1, 1, 1, 4, 3], // a single pixel
    [4, 17, 17, 17, 17], // identity: skipped like raster-io
    [2, 33, 9, 9, 33],
  ];
  it.each(cases)('equals raster-io resize(bicubic) for [%i, %i, %i] → [%i, %i]', (p, h, w, oh, ow) => {
    const data = randomPlanes(p * h * w, p * 1000 + h * 31 + w);
    const ours = bicubicResize(data, [p, h, w], [oh, ow]);
    const theirs = resize(data, [p, h, w], [oh, ow], { method: 'bicubic' });
    expect(ours.length).toBe(p * oh * ow);
    expect(Array.from(ours)).toEqual(Array.from(theirs));
    expect(ours).not.toBe(data); // always a new array, even for the identity
  });

  it('bicubicBaseline upsamples with it: same values as raster-io on the denormalised, clamped plane', () => {
    const lr = randomPlanes(1 * 1 * 3 * 10 * 10, 7);
    const mean = [0, 0, 0];
    const std = [1, 1, 1];
    const base = bicubicBaseline(lr, [1, 1, 3, 10, 10], { size: [32, 32], mean, std });
    const clamped = lr.map((v) => (v < 0 ? 0 : v > 1 ? 1 : v));
    const expected = resize(clamped, [3, 10, 10], [32, 32], { method: 'bicubic' });
    expect(base.shape).toEqual([1, 3, 32, 32]);
    expect(Array.from(base.data)).toEqual(Array.from(expected));
  });
});
