// superResolve on hostile or unusual revisits, masks and engines: noData of another type or precision, sparse
// band lists, synchronous or broken engines, cloud masks off the revisits' grid, CRSs without an EPSG code.
import type { Raster } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine, PredictInput, PredictOutput } from '../../src/engine.js';
import { SrnetError } from '../../src/errors.js';
import { resolveModelConfig } from '../../src/models/config.js';
import { superResolve } from '../../src/scene/super-resolve.js';
import { makeRevisit } from './scene-helpers.js';

const NONE = { mean: [0, 0, 0], std: [1, 1, 1] };

/** ×2 nearest upsampling of revisit slot 0, channel c → output c (10 → 20 chips); answers synchronously. */
function nearest({ data, shape }: PredictInput): PredictOutput {
  const [B, R, C, h, w] = shape;
  const [oh, ow] = [2 * h, 2 * w];
  const out = new Float32Array(B * C * oh * ow);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          out[((b * C + c) * oh + y) * ow + x] = data[
            (b * R * C + c) * h * w + (y >> 1) * w + (x >> 1)
          ] as number;
  return { data: out, shape: [B, 1, C, oh, ow] };
}

function engine(revisits = 1, predict: (i: PredictInput) => unknown = nearest): InferenceEngine {
  const config = resolveModelConfig({
    kind: revisits > 1 ? 'highresnet' : 'srcnn',
    revisits,
    inChannels: 3,
    outChannels: 3,
    zoomFactor: 2,
    outputSize: [20, 20],
  });
  return {
    name: 'onnx',
    config,
    predict: predict as InferenceEngine['predict'],
    dispose() {},
  };
}

const opts = (e: InferenceEngine) => ({
  engine: e,
  chipSize: 10,
  normalisation: NONE,
  tiling: 'chips' as const,
});

async function failure(p: Promise<unknown>): Promise<SrnetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SrnetError);
  return err as SrnetError;
}

describe('superResolve: noData', () => {
  it('a float32 band matches its noData in float32 precision (-9999.9 is stored as -9999.900390625)', async () => {
    const a = makeRevisit(20, 20, (x) => (x < 5 ? -9999.9 : 0.1), 3);
    a.noData = -9999.9;
    const alone = await superResolve([a], opts(engine()));
    // columns 0..4 of the LR scene are no data: NaN and masked, not -9999.9 marked valid
    expect(alone.validMask[0]).toBe(0);
    expect(alone.raster.bands[0]?.[0]).toBeNaN();
    expect(alone.validMask[20]).toBe(1);
    expect(alone.raster.bands[0]?.[20]).toBeCloseTo(0.1, 6);
    // with a second revisit holding data there, the first one's slot is filled from it
    const b = makeRevisit(20, 20, () => 0.3, 3);
    const both = await superResolve([a, b], { ...opts(engine(2)), revisitPadding: 'zeros' });
    expect(both.validMask[0]).toBe(1);
    expect(both.raster.bands[0]?.[0]).toBeCloseTo(0.3, 6);
  });

  it('refuses a noData that is not a number with BAD_REVISITS (a string fed -9999 to the model as valid)', async () => {
    for (const noData of ['-9999', Symbol('nd'), { valueOf: () => -9999 }]) {
      const a = makeRevisit(20, 20, (x) => (x < 5 ? -9999 : 0.1), 3);
      (a as { noData: unknown }).noData = noData;
      const b = makeRevisit(20, 20, () => 0.2, 3);
      const err = await failure(superResolve([a, b], { ...opts(engine(2)), revisitPadding: 'zeros' }));
      expect(err.code).toBe('BAD_REVISITS');
      expect(err.message).toMatch(/scene\[0\]\.noData must be a number or null/);
    }
  });
});

describe('superResolve: hostile options and engines', () => {
  it('refuses a sparse bands array with BAD_BANDS (it passed the check, then failed inside raster-io)', async () => {
    // biome-ignore lint/suspicious/noSparseArray: the hostile input under test
    const bands = [0, , 2] as number[];
    const err = await failure(
      superResolve([makeRevisit(20, 20, () => 0.1, 3)], { ...opts(engine()), bands }),
    );
    expect(err.code).toBe('BAD_BANDS');
  });

  it('runs an engine that answers synchronously, and a null answer is BAD_INPUT_SHAPE, not a TypeError', async () => {
    const scene = [makeRevisit(20, 20, (x, y) => 0.01 * x + 0.001 * y, 3)];
    const sync = await superResolve(scene, opts(engine(1, nearest)));
    expect(sync.raster.bands[0]?.[2 * 40 + 6]).toBeCloseTo(0.03 + 0.001, 6);
    for (const answer of [null, { shape: 'abc', data: 1 }]) {
      const err = await failure(superResolve(scene, opts(engine(1, () => answer))));
      expect(err.code).toBe('BAD_INPUT_SHAPE');
    }
    // the seamless path reads predictUnresized the same way
    const e = engine(1, nearest);
    const seamless = { ...e, predictUnresized: () => null } as unknown as InferenceEngine;
    const err = await failure(superResolve(scene, { ...opts(seamless), tiling: 'seamless' }));
    expect(err.code).toBe('BAD_INPUT_SHAPE');
  });
});

describe('superResolve: georeferencing', () => {
  it('refuses cloud masks off the revisits’ grid (CRS_MISMATCH) or more masks than revisits', async () => {
    const scene = [makeRevisit(20, 20, () => 0.1, 3), makeRevisit(20, 20, () => 0.2, 3)];
    const mask = (): Raster => ({ ...makeRevisit(20, 20, () => 0, 1), dtype: 'uint8' });
    const shifted = mask();
    (shifted.geo as NonNullable<Raster['geo']>).transform[0] += 200;
    let err = await failure(superResolve(scene, { ...opts(engine()), cloudMasks: [undefined, shifted] }));
    expect(err.code).toBe('CRS_MISMATCH');
    expect(err.message).toMatch(/cloud mask 1/);
    const other = mask();
    (other.geo as NonNullable<Raster['geo']>).epsg = 32634;
    err = await failure(superResolve(scene, { ...opts(engine()), cloudMasks: [other] }));
    expect(err.code).toBe('CRS_MISMATCH');
    err = await failure(superResolve(scene, { ...opts(engine()), cloudMasks: [mask(), mask(), mask()] }));
    expect(err.code).toBe('SCENE_SIZE_MISMATCH');
    // a mask on the grid, or without georeferencing, still ranks the revisits
    const bare = { ...mask(), geo: undefined };
    const ok = await superResolve(scene, { ...opts(engine()), cloudMasks: [mask(), bare] });
    expect(ok.revisits.used).toEqual([0]);
  });

  it('keeps a CRS without EPSG code (geoKeys) in the output and refuses revisits in another one', async () => {
    const keys = { 1024: 1, 3072: 32767, 3074: 32767, 3075: 11, 3081: [0, 0] } as Record<number, unknown>;
    const withKeys = (k: Record<number, unknown>) => {
      const r = makeRevisit(20, 20, () => 0.1, 3);
      r.geo = { epsg: 0, transform: [0, 10, 0, 0, 0, -10], geoKeys: k as never };
      return r;
    };
    const res = await superResolve(
      [withKeys(keys), withKeys({ ...keys, 1026: 'citation only' })],
      opts(engine(2)),
    );
    expect(res.raster.geo).toEqual({ epsg: 0, transform: [0, 5, 0, 0, 0, -5], geoKeys: keys });
    const err = await failure(
      superResolve([withKeys(keys), withKeys({ ...keys, 3081: [10, 0] })], opts(engine(2))),
    );
    expect(err.code).toBe('CRS_MISMATCH');
  });
});
