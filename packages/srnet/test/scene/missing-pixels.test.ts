// The per-band missing-pixel kernels against the per-value rule (isMissing), on every kind of band a scene holds.

import type { Raster } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import { lrValidity, type SceneInput } from '../../src/scene/scene-input.js';
import { badPixelFraction, isMissing, markMissing } from '../../src/scene/select-revisits.js';

const W = 23;
const H = 17;
const N = W * H;

/** Deterministic bands: uint16 with its noData, float32 with NaN/±Inf/huge values, float64. */
function bands(seed: number): ArrayLike<number>[] {
  const u16 = new Uint16Array(N);
  const f32 = new Float32Array(N);
  const f64 = new Float64Array(N);
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 7e5, -7e5, 0];
  for (let p = 0; p < N; p++) {
    u16[p] = next() < 0.15 ? 0 : Math.floor(next() * 60000);
    f32[p] = next() < 0.2 ? (specials[Math.floor(next() * specials.length)] as number) : next() * 1e4;
    f64[p] = next() < 0.1 ? Number.NaN : next() * 2e4 - 1e4;
  }
  return [u16, f32, f64];
}

describe('missing-pixel kernels', () => {
  it('markMissing marks exactly the values isMissing calls missing, per noData and maxAbs', () => {
    let mixed = 0;
    for (const band of bands(3))
      for (const noData of [undefined, null, 0, 7e5, Number.NaN])
        for (const maxAbs of [Number.POSITIVE_INFINITY, 5000]) {
          const got = new Uint8Array(N);
          markMissing(band, noData, maxAbs, got);
          const want = Uint8Array.from({ length: N }, (_, p) =>
            isMissing(band[p] as number, noData, maxAbs) ? 1 : 0,
          );
          expect(got).toEqual(want);
          if (want.includes(1) && want.includes(0)) mixed++;
        }
    expect(mixed).toBeGreaterThan(20); // of 30 cases: the rule was exercised both ways
    const all = new Uint8Array(4);
    markMissing(undefined, 0, 1, all);
    expect([...all]).toEqual([1, 1, 1, 1]);
  });

  it('badPixelFraction and lrValidity follow the per-pixel rule across revisits and a cloud mask', () => {
    const revisits = [bands(1), bands(2), bands(5)];
    const noData = [0, null, 7e5] as Raster['noData'][];
    const maxAbs = 9000;
    const cloud = Uint8Array.from({ length: N }, (_, p) => (p % 11 === 0 ? 1 : p % 13 === 0 ? 255 : 0));
    revisits.forEach((src, k) => {
      const raster = { width: W, height: H, bands: src, noData: noData[k] } as unknown as Raster;
      const mask = { width: W, height: H, bands: [cloud] } as unknown as Raster;
      let bad = 0;
      for (let p = 0; p < N; p++)
        if (cloud[p] !== 0 || [0, 2].some((b) => isMissing(src[b]?.[p] as number, noData[k], maxAbs))) bad++;
      expect(badPixelFraction(raster, [0, 2], mask, maxAbs)).toBe(bad / N);
    });
    const scene: SceneInput = {
      width: W,
      height: H,
      channels: 3,
      revisits: 3,
      slotK: [0, 1, 2],
      src: revisits,
      noData,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      maxAbsRaw: maxAbs,
    };
    const want = Uint8Array.from({ length: N }, (_, p) =>
      revisits.some((src, k) => src.every((band) => !isMissing(band[p] as number, noData[k], maxAbs)))
        ? 1
        : 0,
    );
    expect(lrValidity(scene)).toEqual(want);
    expect(want.some((v) => v === 1) && want.some((v) => v === 0)).toBe(true);
  });

  it('badPixelFraction refuses a band or cloud mask of another length than width × height', () => {
    const [u16, f32] = bands(1) as [Uint16Array, Float32Array];
    const short = { width: W, height: H, bands: [u16, f32.subarray(0, N - 1)] } as unknown as Raster;
    // was: the pixel past the band's end read as missing, a silently wrong fraction
    expect(() => badPixelFraction(short, [0, 1])).toThrow(
      expect.objectContaining({
        code: 'SCENE_SIZE_MISMATCH',
        message: `badPixelFraction: raster.bands[1] holds ${N - 1} values but the raster is ${W}×${H} (${N} pixels); pass one value per pixel`,
      }),
    );
    const raster = { width: W, height: H, bands: [u16] } as unknown as Raster;
    const mask = { width: W, height: H, bands: [new Uint8Array(3)] } as unknown as Raster;
    // was: the mask's missing pixels counted as clear
    expect(() => badPixelFraction(raster, [0], mask)).toThrow(
      expect.objectContaining({
        code: 'SCENE_SIZE_MISMATCH',
        message: expect.stringContaining('cloudMask.bands[0] holds 3 values'),
      }),
    );
  });
});
