import type { Raster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { SrnetError } from '../../src/errors.js';
import { resolveModelConfig } from '../../src/models/config.js';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.node.js';
import {
  type ChipGrid,
  featherWeights,
  planChipGrid,
  reflectIndex,
  validOverlaps,
} from '../../src/scene/chip-grid.js';
import { JIF_S2_MEAN } from '../../src/scene/normalisation.js';
import { type SceneProgress, superResolve } from '../../src/scene/super-resolve.js';
import { randomStateDict } from '../onnx/reference-forward.js';
import { columnJumps, makeRevisit, maxAbsDiff, ramp, smallEngine, TEST_GEO } from './scene-helpers.js';

const SRCNN2 = { kind: 'srcnn' as const, revisits: 2 };

describe('chip grid', () => {
  it('50 → 156 chips: origins on the 25-px unit, outputs on whole pixels, last chip into mirrored padding', () => {
    const g = planChipGrid(130, 60, 50, 25, [156, 156]);
    expect(g.x.unit).toBe(25);
    expect(g.x.origins).toEqual([0, 25, 50, 75, 100]);
    expect(g.x.outOrigins).toEqual([0, 78, 156, 234, 312]);
    expect(g.x.outLength).toBe(Math.round(130 * 3.12));
    expect(g.y.origins).toEqual([0, 25]);
    expect(validOverlaps(50, 156)).toEqual([0, 25]);
    expect(() => planChipGrid(130, 60, 50, 10, [156, 156])).toThrow(/use one of 0, 25/);
    expect([-2, -1, 0, 4, 5, 6, 9].map((i) => reflectIndex(i, 5))).toEqual([2, 1, 0, 4, 3, 2, 1]);
  });

  it('feather ramps of two neighbouring chips sum to 1 over their overlap', () => {
    const ramp78 = 78;
    const left = featherWeights(156, ramp78, false, true);
    const right = featherWeights(156, ramp78, true, false);
    expect(left[0]).toBe(1);
    expect(right[155]).toBe(1);
    for (let i = 0; i < 78; i++) expect((left[78 + i] as number) + (right[i] as number)).toBeCloseTo(1, 6);
    expect(featherWeights(156, 0, true, true).every((w) => w === 1)).toBe(true);
  });
});

describe('superResolve with a small real model on ONNX Runtime', () => {
  let engine: InferenceEngine;
  let wholeScene: InferenceEngine;
  // 125 × 125 LR = 5 units of 25 px, so one 125-px "chip" gives the seamless reference at the same 3.12 scale.
  const N = 125;
  const scene = [makeRevisit(N, N, ramp(0)), makeRevisit(N, N, ramp(1))];

  beforeAll(async () => {
    engine = await smallEngine(SRCNN2);
    const config = resolveModelConfig({
      ...SRCNN2,
      hiddenChannels: 8,
      residualLayers: 0,
      outputSize: [390, 390],
    });
    wholeScene = await createOnnxEngine(
      { config, stateDict: randomStateDict(config, 11) },
      { intraOpNumThreads: 1 },
    );
  });
  afterAll(() => {
    engine.dispose();
    wholeScene.dispose();
  });

  it('output grid: 3.12 px per LR px, same origin and CRS, pixel size / 3.12, everything valid', async () => {
    const flat = [makeRevisit(70, 60, () => 0.2), makeRevisit(70, 60, () => 0.2)];
    for (const overlap of [0, 25]) {
      const res = await superResolve(flat, { engine, overlap, tiling: 'chips' });
      expect([res.raster.width, res.raster.height]).toEqual([Math.round(70 * 3.12), Math.round(60 * 3.12)]);
      expect(res.scale).toEqual([3.12, 3.12]);
      expect(res.raster.geo?.epsg).toBe(TEST_GEO.epsg);
      expect(res.raster.geo?.transform).toEqual([500000, 10 / 3.12, 0, 4600000, 0, -10 / 3.12]);
      expect(res.raster.bands).toHaveLength(3);
      expect(res.raster.bands.every((b) => (b as Float32Array).every(Number.isFinite))).toBe(true);
      expect(res.validMask.every((m) => m === 1)).toBe(true);
    }
  });

  it('a ramp shows no seams with overlap: jumps at chip borders ≈ the seamless whole-scene jumps there', async () => {
    const ref = await superResolve(scene, { engine: wholeScene, chipSize: N, overlap: 0, tiling: 'chips' });
    expect(ref.grid?.count).toBe(1);
    const refJumps = columnJumps(ref.raster);
    const seamRatios = async (overlap: number) => {
      const res = await superResolve(scene, { engine, overlap, tiling: 'chips' });
      expect([res.raster.width, res.raster.height]).toEqual([390, 390]);
      const jumps = columnJumps(res.raster);
      const ratios: number[] = [];
      for (const X0 of (res.grid as ChipGrid).x.outOrigins) {
        for (const x of [X0 - 1, X0 + 155])
          if (x > 20 && x < 390 - 21) ratios.push((jumps[x] as number) / (refJumps[x] as number));
      }
      return ratios;
    };
    const blended = await seamRatios(25);
    const hard = await seamRatios(0);
    expect(blended.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...blended)).toBeLessThan(1.2);
    // the same measure does see the seams of non-overlapping chips (the test can fail)
    expect(Math.max(...hard)).toBeGreaterThan(1.3);
  });

  it('overlap 0, overlap 25 and the whole-scene run agree away from chip and scene borders', async () => {
    const ref = (await superResolve(scene, { engine: wholeScene, chipSize: N, overlap: 0, tiling: 'chips' }))
      .raster;
    const a = await superResolve(scene, { engine, overlap: 0, tiling: 'chips' });
    const b = await superResolve(scene, { engine, overlap: 25, tiling: 'chips' });
    // receptive field of this SRCNN (4 convs 3×3 + 1×1 SR + bilinear) is ≤ 5 LR px: keep 6 px from every border
    const m = 6;
    const interior = (res: typeof a, axis: 'x' | 'y', X: number) => {
      const g = (res.grid as ChipGrid)[axis];
      const lx = (X + 0.5) / g.scale;
      if (lx < m || lx > N - m) return false;
      return g.outOrigins.every((o, i) => {
        if (X < o || X >= o + 156) return true;
        const local = lx - (g.origins[i] as number);
        return local >= m && local <= 50 - m;
      });
    };
    let compared = 0;
    let maxDiff = 0;
    for (let Y = 0; Y < 390; Y++) {
      if (!interior(a, 'y', Y) || !interior(b, 'y', Y)) continue;
      for (let X = 0; X < 390; X++) {
        if (!interior(a, 'x', X) || !interior(b, 'x', X)) continue;
        for (let c = 0; c < 3; c++) {
          const r = (ref.bands[c] as Float32Array)[Y * 390 + X] as number;
          const va = (a.raster.bands[c] as Float32Array)[Y * 390 + X] as number;
          const vb = (b.raster.bands[c] as Float32Array)[Y * 390 + X] as number;
          maxDiff = Math.max(
            maxDiff,
            Math.abs(va - r) / (1 + Math.abs(r)),
            Math.abs(vb - r) / (1 + Math.abs(r)),
          );
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('reports progress per batch and can be cancelled', async () => {
    const events: SceneProgress[] = [];
    const res = await superResolve(scene, {
      engine,
      tiling: 'chips',
      overlap: 25,
      batchSize: 4,
      onProgress: (p) => events.push(p),
    });
    const infer = events.filter((e) => e.stage === 'infer');
    expect(res.grid?.count).toBe(16);
    expect(infer.map((e) => e.done)).toEqual([0, 4, 8, 12, 16]);
    expect(infer.every((e) => e.total === res.grid?.count)).toBe(true);
    const ac = new AbortController();
    const run = superResolve(scene, {
      engine,
      tiling: 'chips',
      batchSize: 2,
      signal: ac.signal,
      onProgress: (p) => p.stage === 'infer' && p.done >= 2 && ac.abort(new Error('user stop')),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('revisit count rules, missing data and bad input', () => {
  let hrn4: InferenceEngine;
  beforeAll(async () => {
    hrn4 = await smallEngine({ kind: 'highresnet', revisits: 4 }, 5);
  });
  afterAll(() => hrn4.dispose());
  const size = 60;
  const rev = (r: number) =>
    makeRevisit(size, size, (x, y, b) => ramp(r)(x, y, b) + 0.03 * Math.sin(x / 4 + r) * Math.cos(y / 5));
  const same = (a: Raster, b: Raster) =>
    a.bands.every((band, i) => (band as Float32Array).every((v, j) => v === (b.bands[i] as Float32Array)[j]));

  it('fewer revisits than the model takes: repeat cyclically (default) or zero (band-mean) slots', async () => {
    const [r0, r1] = [rev(0), rev(1)];
    const padded = await superResolve([r0, r1], { engine: hrn4, overlap: 0 });
    expect(padded.revisits.slots).toEqual([0, 1, 0, 1]);
    const explicit = await superResolve([r0, r1, r0, r1], { engine: hrn4, overlap: 0 });
    expect(same(padded.raster, explicit.raster)).toBe(true);
    const zeros = await superResolve([r0, r1], { engine: hrn4, overlap: 0, revisitPadding: 'zeros' });
    expect(zeros.revisits.slots).toEqual([0, 1, -1, -1]);
    // a zero slot in normalised units is a revisit equal to the band means
    const meanRevisit = makeRevisit(size, size, (_x, _y, b) => JIF_S2_MEAN[b] as number);
    const explicitZeros = await superResolve([r0, r1, meanRevisit, meanRevisit], {
      engine: hrn4,
      overlap: 0,
    });
    expect(maxAbsDiff(zeros.raster, explicitZeros.raster)).toBeLessThan(1e-5);
    expect(same(zeros.raster, padded.raster)).toBe(false);
  });

  it('more revisits than the model takes: the fewest-bad-pixel ones, in the given order', async () => {
    const revs = [0, 1, 2, 3, 4, 5].map(rev);
    // revisit 1: 30 % NaN; revisit 3: 10 % nodata (noData = 0); revisit 4: clouds in 5 % of its CLM mask
    const r1 = revs[1] as Raster;
    for (const band of r1.bands) for (let p = 0; p < size * 18; p++) band[p] = Number.NaN;
    const r3 = revs[3] as Raster;
    r3.noData = 0;
    for (let p = 0; p < size * 6; p++) (r3.bands[5] as Float32Array)[p] = 0;
    const masks = revs.map(() => makeRevisit(size, size, () => 0, 1));
    for (let p = 0; p < size * 3; p++) ((masks[4] as Raster).bands[0] as Float32Array)[p] = 1;
    const picked = await superResolve(revs, { engine: hrn4, overlap: 0, cloudMasks: masks });
    expect(picked.revisits.used).toEqual([0, 2, 4, 5]);
    expect(picked.revisits.badFraction.map((f) => Math.round(f * 100))).toEqual([0, 30, 0, 10, 5, 0]);
    const explicit = await superResolve(
      [0, 2, 4, 5].map((i) => revs[i] as Raster),
      { engine: hrn4, overlap: 0 },
    );
    expect(same(picked.raster, explicit.raster)).toBe(true);
  });

  it('NaN / nodata pixels are filled from the other revisits, and masked (NaN) where no revisit has data', async () => {
    const clean = [0, 1, 2, 3].map(rev);
    const holed = [0, 1, 2, 3].map(rev);
    // revisit 0 misses a block that the other revisits have → filled with their mean, still valid
    for (const band of (holed[0] as Raster).bands)
      for (let y = 10; y < 20; y++) for (let x = 10; x < 20; x++) band[y * size + x] = Number.NaN;
    const filledByHand = [0, 1, 2, 3].map(rev);
    for (let b = 0; b < 12; b++)
      for (let y = 10; y < 20; y++)
        for (let x = 10; x < 20; x++) {
          const p = y * size + x;
          const m = Math.fround(
            ([1, 2, 3].reduce((s, r) => s + ((clean[r] as Raster).bands[b]?.[p] as number), 0) as number) / 3,
          );
          ((filledByHand[0] as Raster).bands[b] as Float32Array)[p] = m;
        }
    const a = await superResolve(holed, { engine: hrn4, overlap: 0 });
    const b = await superResolve(filledByHand, { engine: hrn4, overlap: 0 });
    expect(a.validMask.every((v) => v === 1)).toBe(true);
    expect(maxAbsDiff(a.raster, b.raster)).toBeLessThan(1e-5);
    // a block missing in every revisit (noData = -1) → NaN output and mask 0 over exactly its footprint
    const dead = [0, 1, 2, 3].map(rev);
    for (const r of dead) {
      r.noData = -1;
      for (const band of r.bands)
        for (let y = 30; y < 40; y++) for (let x = 40; x < 50; x++) band[y * size + x] = -1;
    }
    const c = await superResolve(dead, { engine: hrn4, overlap: 0 });
    const W = c.raster.width;
    const band0 = c.raster.bands[0] as Float32Array;
    let masked = 0;
    let wrong = 0;
    for (let Y = 0; Y < c.raster.height; Y++)
      for (let X = 0; X < W; X++) {
        const ly = Math.floor((Y + 0.5) / 3.12);
        const lx = Math.floor((X + 0.5) / 3.12);
        const inBlock = ly >= 30 && ly < 40 && lx >= 40 && lx < 50;
        if (c.validMask[Y * W + X] !== (inBlock ? 0 : 1)) wrong++;
        if (Number.isNaN(band0[Y * W + X]) !== inBlock) wrong++;
        if (inBlock) masked++;
      }
    expect(wrong).toBe(0);
    expect(masked).toBeGreaterThan(900);
    expect(Number.isNaN(c.raster.noData)).toBe(true);
  });

  it('uint16 L2A DN with reflectance { scale: 1e-4, offset: -0.1 } gives the float-reflectance result', async () => {
    const refl = [0, 1].map(rev);
    const dn = refl.map((r) => ({
      ...r,
      dtype: 'uint16' as const,
      bands: r.bands.map((b) => Uint16Array.from(b as Float32Array, (v) => Math.round((v + 0.1) * 1e4))),
    }));
    // the reference: the reflectance the DN encode, rounded like the DN
    const exact = dn.map((r) => ({
      ...r,
      dtype: 'float32' as const,
      bands: r.bands.map((b) => Float32Array.from(b, (v) => v * 1e-4 - 0.1)),
    }));
    const a = await superResolve(dn, {
      engine: hrn4,
      overlap: 0,
      reflectance: { scale: 1e-4, offset: -0.1 },
    });
    const b = await superResolve(exact, { engine: hrn4, overlap: 0 });
    expect(maxAbsDiff(a.raster, b.raster)).toBeLessThan(1e-4);
    const raw = await superResolve(dn, { engine: hrn4, overlap: 0 });
    expect(maxAbsDiff(raw.raster, b.raster)).toBeGreaterThan(1);
  });

  it('a scene smaller than one chip is mirrored up to the chip and cropped back', async () => {
    const tiny = [0, 1].map((r) => makeRevisit(30, 20, ramp(r)));
    const res = await superResolve(tiny, { engine: hrn4, tiling: 'chips' });
    expect(res.grid?.count).toBe(1);
    expect([res.raster.width, res.raster.height]).toEqual([Math.round(30 * 3.12), Math.round(20 * 3.12)]);
    expect(res.raster.bands.every((b) => (b as Float32Array).every(Number.isFinite))).toBe(true);
  });

  it('streams chips: predict() sees ≤ batchSize chips and at most two batches exist at once', async () => {
    // a stand-in engine that records its calls and returns the chip's band 0 upsampled by nearest neighbour
    let live = 0;
    let maxLive = 0;
    let maxChips = 0;
    let calls = 0;
    const cfg = hrn4.config;
    const [oh, ow] = cfg.outputSize;
    const fake: InferenceEngine = {
      name: 'onnx',
      config: cfg,
      async predict({ data, shape }) {
        calls++;
        live++;
        maxLive = Math.max(maxLive, live);
        maxChips = Math.max(maxChips, shape[0]);
        await new Promise((r) => setTimeout(r, 1));
        const [b, r, c, h, w] = shape;
        const out = new Float32Array(b * 3 * oh * ow);
        for (let i = 0; i < b; i++)
          for (let ch = 0; ch < 3; ch++)
            for (let y = 0; y < oh; y++)
              for (let x = 0; x < ow; x++) {
                const sy = Math.floor((y * h) / oh);
                const sx = Math.floor((x * w) / ow);
                out[((i * 3 + ch) * oh + y) * ow + x] = data[(i * r * c * h + sy) * w + sx] as number;
              }
        live--;
        return { data: out, shape: [b, 1, 3, oh, ow] };
      },
      dispose() {},
    };
    const big = [0, 1, 2, 3].map((r) => makeRevisit(300, 260, ramp(r)));
    const res = await superResolve(big, { engine: fake, batchSize: 5 });
    expect(res.tiling).toBe('chips'); // no predictUnresized: auto falls back to chips
    expect(res.grid?.count).toBe(11 * 10);
    expect(calls).toBe(Math.ceil(110 / 5));
    expect(maxChips).toBeLessThanOrEqual(5);
    expect(maxLive).toBeLessThanOrEqual(2);
    // a nearest-neighbour 'model' of a ramp: output band 0 = normalised B01 ramp, increasing along x
    const row = (res.raster.bands[0] as Float32Array).subarray(
      400 * res.raster.width,
      401 * res.raster.width,
    );
    let nonIncreasing = 0;
    for (let x = 1; x < row.length; x++)
      if ((row[x] as number) < (row[x - 1] as number) - 1e-5) nonIncreasing++;
    expect(nonIncreasing).toBe(0);
  });

  it('engine output of the wrong batch, channel count or length → BAD_INPUT_SHAPE; NaN output pixels are not valid', async () => {
    const config = resolveModelConfig({ kind: 'srcnn', revisits: 1, hiddenChannels: 4, residualLayers: 0 });
    const [oh, ow] = config.outputSize;
    /** A stand-in engine returning 0.5 everywhere, spoiled by `bug`. */
    const engine = (bug: 'batch' | 'channels' | 'short' | 'nan' | 'short-tile'): InferenceEngine => ({
      name: 'onnx',
      config,
      async predict({ shape: [b] }) {
        const n = bug === 'batch' ? 1 : b; // e.g. a foreign graph with a fixed batch of 1
        const c = bug === 'channels' ? 1 : 3;
        const data = new Float32Array(n * c * oh * ow - (bug === 'short' ? 1 : 0)).fill(0.5);
        if (bug === 'nan')
          for (let i = 0; i < n; i++)
            data.fill(Number.NaN, (i * 3 + 2) * oh * ow, (i * 3 + 2) * oh * ow + 10 * ow);
        return { data, shape: [n, 1, c, oh, ow] };
      },
      ...(bug === 'short-tile'
        ? {
            async predictUnresized({ shape: [, , , h, w] }) {
              return { data: new Float32Array(3 * 2 * h * 2 * w - 5), shape: [1, 1, 3, 2 * h, 2 * w] };
            },
          }
        : {}),
      dispose() {},
    });
    const scene = [makeRevisit(120, 120, ramp(0))];
    for (const bug of ['batch', 'channels', 'short', 'short-tile'] as const) {
      const err = await superResolve(scene, { engine: engine(bug), batchSize: 8 }).catch((e) => e);
      expect(err, bug).toBeInstanceOf(SrnetError);
      expect(err.code, bug).toBe('BAD_INPUT_SHAPE');
      expect(err.message, bug).toMatch(/engine 'onnx' returned (chips|an unresized tile) of shape/);
    }
    const batchErr = await superResolve(scene, { engine: engine('batch'), batchSize: 8 }).catch((e) => e);
    // was: accepted, 96 % of the raster NaN and every pixel marked valid
    expect(batchErr.message).toContain(`returned chips of shape [1, 1, 3, ${oh}, ${ow}]`);
    expect(batchErr.message).toContain(`expected [8, 1, 3, ${oh}, ${ow}]`);
    const res = await superResolve(scene, { engine: engine('nan'), batchSize: 8 });
    const bands = res.raster.bands as Float32Array[];
    let invalid = 0;
    let wrong = 0; // mask 1 on a non-finite pixel, mask 0 on a finite one, or a pixel NaN in some bands only
    for (let q = 0; q < res.validMask.length; q++) {
      const finite = bands.filter((b) => Number.isFinite(b[q] as number)).length;
      if (res.validMask[q] === 0) invalid++;
      if ((res.validMask[q] === 1) !== (finite === bands.length) || (finite > 0 && finite < bands.length))
        wrong++;
    }
    expect(wrong).toBe(0);
    expect(invalid).toBeGreaterThan(0);
  });

  it('typed errors: sizes, CRS, geotransform, georeferencing, bands, overlap', async () => {
    const code = async (p: Promise<unknown>) => ((await p.catch((e) => e)) as SrnetError).code;
    const a = rev(0);
    const small = makeRevisit(50, 60, ramp(1));
    expect(await code(superResolve([a, small], { engine: hrn4 }))).toBe('SCENE_SIZE_MISMATCH');
    const otherCrs = rev(1);
    otherCrs.geo = { epsg: 32634, transform: [...TEST_GEO.transform] };
    expect(await code(superResolve([a, otherCrs], { engine: hrn4 }))).toBe('CRS_MISMATCH');
    const shifted = rev(1);
    shifted.geo = { epsg: TEST_GEO.epsg, transform: [500005, 10, 0, 4600000, 0, -10] };
    const err = (await superResolve([a, shifted], { engine: hrn4 }).catch((e) => e)) as SrnetError;
    expect(err).toBeInstanceOf(SrnetError);
    expect(err.code).toBe('CRS_MISMATCH');
    expect(err.message).toMatch(/not co-registered/);
    const noGeo = rev(1);
    noGeo.geo = undefined;
    expect(await code(superResolve([a, noGeo], { engine: hrn4 }))).toBe('MISSING_GEOREFERENCING');
    const fourBands = makeRevisit(size, size, ramp(0), 4);
    expect(await code(superResolve([fourBands], { engine: hrn4 }))).toBe('BAD_BANDS');
    expect(await code(superResolve([a], { engine: hrn4, overlap: 10 }))).toBe('BAD_SCENE_OPTIONS');
    const wrongMask = makeRevisit(10, 10, () => 0, 1);
    expect(await code(superResolve([a], { engine: hrn4, cloudMasks: [wrongMask] }))).toBe(
      'SCENE_SIZE_MISMATCH',
    );
    expect(await code(superResolve([a], { engine: hrn4, chipSize: 100 }))).toBe('BAD_SCENE_OPTIONS');
  });

  it('a band or cloud-mask band of the wrong length → SCENE_SIZE_MISMATCH naming revisit, mask and band', async () => {
    const error = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const short = rev(1);
    short.bands[3] = new Float32Array(10); // was: read NaN past its end → mostly-NaN output, no error
    expect(await error(superResolve([rev(0), short], { engine: hrn4 }))).toMatchObject({
      code: 'SCENE_SIZE_MISMATCH',
      message: `superResolve: scene[1].bands[3] holds 10 values but the raster is 60×60 (3600 pixels); pass one value per pixel`,
    });
    const mask = makeRevisit(size, size, () => 0, 1);
    mask.bands[0] = new Uint8Array(3); // was: the missing mask pixels counted as clear
    expect(
      await error(superResolve([rev(0), rev(1)], { engine: hrn4, cloudMasks: [undefined, mask] })),
    ).toMatchObject({
      code: 'SCENE_SIZE_MISMATCH',
      message: expect.stringContaining('superResolve: options.cloudMasks[1].bands[0] holds 3 values'),
    });
  });

  it('normalisation means and stds that are not finite, or stds ≤ 0 → BAD_SCENE_OPTIONS naming the entry', async () => {
    const error = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const mean = Array.from(JIF_S2_MEAN);
    const std = new Array<number>(12).fill(0.1);
    const cases: [string, number[], number[], string][] = [
      [
        'mean NaN',
        [...mean.slice(0, 2), Number.NaN, ...mean.slice(3)],
        std,
        'mean[2] must be a finite number, got NaN',
      ],
      [
        'mean Infinity',
        [Number.POSITIVE_INFINITY, ...mean.slice(1)],
        std,
        'mean[0] must be a finite number, got Infinity',
      ],
      ['std 0', mean, [...std.slice(0, 11), 0], 'std[11] must be a finite number > 0, got 0'],
      ['std < 0', mean, [-0.1, ...std.slice(1)], 'std[0] must be a finite number > 0, got -0.1'],
      [
        'std -Infinity',
        mean,
        [Number.NEGATIVE_INFINITY, ...std.slice(1)],
        'std[0] must be a finite number > 0, got -Infinity',
      ],
    ];
    // each was accepted: an all-NaN (or, for std < 0, sign-flipped) raster with no error and no warning
    for (const [what, m, s, message] of cases)
      expect(
        await error(superResolve([rev(0)], { engine: hrn4, normalisation: { mean: m, std: s } })),
        what,
      ).toMatchObject({
        code: 'BAD_SCENE_OPTIONS',
        message: `superResolve: options.normalisation.${message}`,
      });
    const ok = await superResolve([rev(0)], { engine: hrn4, overlap: 0, normalisation: { mean, std } });
    expect(ok.raster.bands.every((b) => (b as Float32Array).every(Number.isFinite))).toBe(true);
  });
});
