// Revisits of one scene must share one value scale: a uint16 DN revisit (0..10000+) among float32 reflectance
// revisits (0..~1) was fed as is, a ×10⁴ error in one model frame and a wrong product without any error.
import type { Raster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { superResolve } from '../../src/scene/super-resolve.js';
import { makeRevisit, ramp, smallEngine } from './scene-helpers.js';

const size = 40;
let engine: InferenceEngine;
beforeAll(async () => {
  engine = await smallEngine({ kind: 'highresnet', revisits: 4 }, 5);
});
afterAll(() => engine.dispose());

const rev = (r: number): Raster =>
  makeRevisit(size, size, (x, y, b) => ramp(r)(x, y, b) + 0.03 * Math.sin(x / 4 + r) * Math.cos(y / 5));
/** The same revisit as L2A DN (baseline ≥ 04.00: DN = (reflectance + 0.1) · 10⁴). */
const asDn = (r: Raster): Raster => ({
  ...r,
  dtype: 'uint16',
  bands: r.bands.map((b) => Uint16Array.from(b as Float32Array, (v) => Math.round((v + 0.1) * 1e4))),
});
const error = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
/** Order-independent fingerprint of a product: per band sum and sum of squares. */
const fingerprint = (r: Raster) =>
  r.bands.map((band) => {
    let s = 0;
    let q = 0;
    for (const v of band as Float32Array) {
      s += v;
      q += v * v;
    }
    return [s, q];
  });

describe('revisit value scales', () => {
  it('a uint16 DN revisit among float32 reflectance revisits → BAD_REVISITS naming it and both data types', async () => {
    const scene = [rev(0), asDn(rev(1)), rev(2), rev(3), rev(4)];
    expect(await error(superResolve(scene, { engine, overlap: 0 }))).toMatchObject({
      name: 'SrnetError',
      code: 'BAD_REVISITS',
      message:
        'revisit 1 holds uint16 values but 4 of the 5 revisits hold float32: integer DN and float reflectance differ in scale by about 10⁴, and one reflectance conversion applies to the whole scene; convert that revisit (raster-io dnToReflectance) or leave it out',
      details: { index: 1, dtype: 'uint16', expected: 'float32' },
    });
    // the scene-wide DN conversion does not make the mix legitimate: it would then scale the float revisits
    expect(
      await error(superResolve(scene, { engine, overlap: 0, reflectance: { scale: 1e-4, offset: -0.1 } })),
    ).toMatchObject({ code: 'BAD_REVISITS', details: { index: 1 } });
  });

  it('a float32 revisit holding DN among float32 reflectance revisits → BAD_REVISITS naming the value scale', async () => {
    const dnAsFloat = { ...asDn(rev(2)), dtype: 'float32' as const };
    dnAsFloat.bands = dnAsFloat.bands.map((b) => Float32Array.from(b));
    const scene = [rev(0), rev(1), dnAsFloat, rev(3)];
    expect(await error(superResolve(scene, { engine, overlap: 0 }))).toMatchObject({
      code: 'BAD_REVISITS',
      message:
        'revisit 2 holds values of typical magnitude 2.57e+3 but revisit 0 holds 0.155: over 1000× apart, as for a DN revisit among reflectance ones; bring every revisit to one scale (raster-io dnToReflectance) or leave that one out',
      details: { index: 2 },
    });
  });

  it('consistent scenes give the same product as before: all float32 reflectance, all uint16 DN', async () => {
    const float = await superResolve([rev(0), rev(1), rev(2), rev(3)], { engine, overlap: 0 });
    const dn = await superResolve([rev(0), rev(1), rev(2), rev(3)].map(asDn), {
      engine,
      overlap: 0,
      reflectance: { scale: 1e-4, offset: -0.1 },
    });
    // reflectance of a cloudy revisit and of a dark one differ ~200×, not a scale mix
    const dark = makeRevisit(size, size, () => 0.004);
    const cloud = makeRevisit(size, size, () => 0.9);
    const mixedBrightness = await superResolve([dark, cloud, rev(0), rev(1)], { engine, overlap: 0 });
    expect(mixedBrightness.warnings).toEqual([]);
    // fingerprints of the products before the scale checks existed
    const before = [
      [
        [-3744.5394142908553, 1183.9801385498054],
        [5530.082174160692, 2675.3592681279647],
        [-1044.9526349073858, 145.9522627453877],
      ],
      [
        [-3744.614117975543, 1184.0009417151753],
        [5530.17533021362, 2675.3268379886485],
        [-1045.0365139460773, 145.90085631806548],
      ],
      [
        [-17227.623830835335, 33075.98179143953],
        [27775.124163874192, 74479.263388398],
        [-4744.306987873279, 1865.9019794431674],
      ],
    ];
    const got = [float, dn, mixedBrightness].map((r) => fingerprint(r.raster));
    got.flat(2).forEach((v, i) => {
      const want = before.flat(2)[i] as number;
      expect(Math.abs(v - want)).toBeLessThan(1e-5 * Math.abs(want) + 1e-5);
    });
  });
});
