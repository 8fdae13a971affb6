// superResolve sizes its output grid and each model call from the model's outputSize / chipSize, which a model
// file may set up to 65536: every size is checked against MAX_OUTPUT_PIXELS / MAX_OUTPUT_SAMPLES before
// anything is allocated (a RangeError, or gigabytes, escaped before).
import type { Raster } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { MAX_OUTPUT_PIXELS, MAX_OUTPUT_SAMPLES } from '../../src/index.js';
import { type ModelConfig, resolveModelConfig } from '../../src/models/config.js';
import { checkedOutputGrid } from '../../src/scene/scene-limits.js';
import { superResolve } from '../../src/scene/super-resolve.js';
import { TEST_GEO } from './scene-helpers.js';

/** A constant `bands`-band float32 revisit (no per-pixel work: these scenes are large). */
function flatRevisit(width: number, height: number, bands: number): Raster {
  return {
    width,
    height,
    dtype: 'float32',
    bands: Array.from({ length: bands }, () => new Float32Array(width * height).fill(0.1)),
    noData: null,
    geo: TEST_GEO,
  };
}

/** An engine that must never run: each test expects a refusal before the first model call. */
function engineOf(config: Partial<ModelConfig>): InferenceEngine {
  const never = (): never => {
    throw new Error('the model ran');
  };
  return {
    name: 'onnx',
    config: resolveModelConfig(config),
    predict: never,
    predictUnresized: never,
    dispose: () => undefined,
  };
}

async function refusal(scene: Raster[], options: Parameters<typeof superResolve>[1]) {
  return superResolve(scene, options).then(
    () => ({ code: 'ok', message: '' }),
    (e: { code?: string; message?: string; constructor: { name: string } }) => ({
      code: e.code ?? e.constructor.name,
      message: String(e.message),
    }),
  );
}

const SMALL = { kind: 'srcnn', revisits: 1, inChannels: 2, outChannels: 1, hiddenChannels: 4 } as const;

describe('superResolve output and call sizes', () => {
  it('a model file stating outputSize 65536² → BAD_SCENE_OPTIONS naming scene, scale and limit (was RangeError)', async () => {
    const engine = engineOf({ ...SMALL, outputSize: [65536, 65536] });
    const err = await refusal([flatRevisit(100, 100, 2)], { engine, normalisation: 'none' });
    expect(err.code).toBe('BAD_SCENE_OPTIONS');
    expect(err.message).toContain('a 100×100 LR scene at 1310.72 output px per LR px');
    expect(err.message).toContain('outputSize 65536×65536 / chipSize 50');
    expect(err.message).toContain(`more than the ${MAX_OUTPUT_PIXELS} allowed (MAX_OUTPUT_PIXELS)`);
  });

  it('chipSize 1 with the default 156-px model on a 500² scene → BAD_SCENE_OPTIONS (was RangeError)', async () => {
    const engine = engineOf(SMALL);
    const err = await refusal([flatRevisit(500, 500, 2)], { engine, normalisation: 'none', chipSize: 1 });
    expect(err.code).toBe('BAD_SCENE_OPTIONS');
    expect(err.message).toContain('a 500×500 LR scene at 156 output px per LR px');
    expect(err.message).toContain('gives a 78000×78000 output');
  });

  it('one 10980² Sentinel-2 tile at 3.12 fits, three bands of it too; past the limits it is refused', () => {
    const s2: [number, number] = [156 / 50, 156 / 50];
    expect(checkedOutputGrid(10980, 10980, s2, 3, 'S2')).toEqual([34258, 34258]);
    expect(3 * 34258 ** 2).toBeLessThanOrEqual(MAX_OUTPUT_SAMPLES);
    expect(() => checkedOutputGrid(10980, 10980, s2, 4, 'S2')).toThrow(/MAX_OUTPUT_SAMPLES/);
    expect(() => checkedOutputGrid(14860, 14860, s2, 1, 'S2')).toThrow(/MAX_OUTPUT_PIXELS/);
  });

  it('a chip batch past MAX_OUTPUT_PIXELS input values → BAD_SCENE_OPTIONS naming batchSize (was RangeError)', async () => {
    // 4000 chips × 256 revisits × 2 bands × 50² = 5.1·10⁹ values in one batch
    const engine = engineOf({ ...SMALL, revisits: 256 });
    const err = await refusal([flatRevisit(2000, 2000, 2)], {
      engine,
      normalisation: 'none',
      tiling: 'chips',
      batchSize: 4000,
    });
    expect(err.code).toBe('BAD_SCENE_OPTIONS');
    expect(err.message).toContain(
      'a batch of 4000 chips of 50×50 LR px (batchSize 4000) needs 5120000000 input values',
    );
    expect(err.message).toContain('use a smaller batchSize');
  });

  it('a seamless tile past MAX_OUTPUT_PIXELS input values → BAD_SCENE_OPTIONS naming tileSize (was RangeError)', async () => {
    // one 2100² tile × 256 revisits × 4 bands = 4.5·10⁹ values
    const engine = engineOf({ ...SMALL, revisits: 256, inChannels: 4 });
    const err = await refusal([flatRevisit(2100, 2100, 4)], {
      engine,
      normalisation: 'none',
      tiling: 'seamless',
      tileSize: 4000,
    });
    expect(err.code).toBe('BAD_SCENE_OPTIONS');
    expect(err.message).toContain('a 2100×2100 LR tile (tileSize 4000) needs 4515840000 input values');
  });
});
