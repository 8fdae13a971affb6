// Revisits with an all-NaN band or absurd values (|reflectance| > 1e5, e.g. 1e30) never go through silently:
// absurd values count as missing (the product equals the one where they are NaN) and both are in `warnings`.
import type { Raster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { MAX_PLAUSIBLE_REFLECTANCE, superResolve } from '../../src/index.js';
import { makeRevisit, maxAbsDiff, ramp, smallEngine } from './scene-helpers.js';

const size = 40;
let engine: InferenceEngine;
beforeAll(async () => {
  engine = await smallEngine({ kind: 'highresnet', revisits: 2 });
});
afterAll(() => engine.dispose());

const rev = (r: number): Raster => makeRevisit(size, size, ramp(r));

describe('scene warnings', () => {
  it('a clean scene has no warnings', async () => {
    const r = await superResolve([rev(0), rev(1)], { engine, overlap: 0 });
    expect(r.warnings).toEqual([]);
  });

  it('an all-NaN band → EMPTY_BAND; 1e30 values → IMPLAUSIBLE_VALUES and treated as missing', async () => {
    const scene = [rev(0), rev(1)];
    (scene[1] as Raster).bands[4]?.fill(Number.NaN);
    const b7 = (scene[0] as Raster).bands[7] as Float32Array;
    for (let p = 0; p < 30; p++) b7[p] = 1e30;
    b7[100] = -2e5;
    const r = await superResolve(scene, { engine, overlap: 0 });
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'IMPLAUSIBLE_VALUES', revisit: 0, band: 7, count: 31 }),
      expect.objectContaining({ code: 'EMPTY_BAND', revisit: 1, band: 4, count: size * size }),
    ]);
    expect(r.warnings[0]?.message).toContain(`±${MAX_PLAUSIBLE_REFLECTANCE}`);
    expect(r.warnings[0]?.message).toContain('1e+30');
    // the absurd pixels are handled exactly as NaN pixels would be: filled from the other revisit
    const asNaN = [rev(0), rev(1)];
    (asNaN[1] as Raster).bands[4]?.fill(Number.NaN);
    const n7 = (asNaN[0] as Raster).bands[7] as Float32Array;
    for (let p = 0; p < 30; p++) n7[p] = Number.NaN;
    n7[100] = Number.NaN;
    const ref = await superResolve(asNaN, { engine, overlap: 0 });
    expect(maxAbsDiff(r.raster, ref.raster)).toBe(0);
    // revisit 1 has no band 4 anywhere, so where revisit 0 is absurd no revisit has data: NaN there, and only there
    let wrong = 0;
    let masked = 0;
    for (const band of r.raster.bands)
      for (const [q, v] of (band as Float32Array).entries()) {
        if (Number.isFinite(v) !== (r.validMask[q] === 1)) wrong++;
        if (r.validMask[q] === 0) masked++;
      }
    expect(wrong).toBe(0);
    expect(masked).toBeGreaterThan(0);
  });

  it('maxReflectance: Infinity turns the check off; a bad bound is a typed error', async () => {
    const scene = [rev(0), rev(1)];
    ((scene[0] as Raster).bands[2] as Float32Array)[5] = 3e5;
    const off = await superResolve(scene, { engine, overlap: 0, maxReflectance: Number.POSITIVE_INFINITY });
    expect(off.warnings).toEqual([]);
    const on = await superResolve(scene, { engine, overlap: 0 });
    expect(on.warnings.map((w) => w.code)).toEqual(['IMPLAUSIBLE_VALUES']);
    await expect(superResolve(scene, { engine, maxReflectance: 0 })).rejects.toMatchObject({
      code: 'BAD_SCENE_OPTIONS',
    });
  });
});
