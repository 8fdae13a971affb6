// Test helpers for whole-scene inference: synthetic georeferenced revisits and a small real model.
import type { Raster } from '@worldstrat/raster-io';
import type { InferenceEngine } from '../../src/engine.js';
import { type ModelConfig, resolveModelConfig } from '../../src/models/config.js';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.node.js';
import { randomStateDict } from '../onnx/reference-forward.js';

/** UTM 33N, 10 m pixels. */
export const TEST_GEO = {
  epsg: 32633,
  transform: [500000, 10, 0, 4600000, 0, -10] as [number, number, number, number, number, number],
};

/** A 12-band float32 revisit whose band b is f(x, y, b). */
export function makeRevisit(
  width: number,
  height: number,
  f: (x: number, y: number, b: number) => number,
  bands = 12,
): Raster {
  return {
    width,
    height,
    dtype: 'float32',
    bands: Array.from({ length: bands }, (_, b) => {
      const a = new Float32Array(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) a[y * width + x] = f(x, y, b);
      return a;
    }),
    geo: { epsg: TEST_GEO.epsg, transform: [...TEST_GEO.transform] },
  };
}

/** A linear ramp in reflectance units, slightly different per band and revisit. */
export const ramp = (r: number) => (x: number, y: number, b: number) =>
  0.05 + 0.0015 * x + 0.001 * y + 0.01 * b + 0.002 * r;

/** A small real (random-weight, variance-preserving) SRCNN/HighRes-net on ONNX Runtime, 50 → 156 chips. */
export async function smallEngine(partial: Partial<ModelConfig>, seed = 11): Promise<InferenceEngine> {
  const config = resolveModelConfig({ hiddenChannels: 8, residualLayers: 0, ...partial });
  return createOnnxEngine({ config, stateDict: randomStateDict(config, seed) }, { intraOpNumThreads: 1 });
}

/** Max |Δ| between horizontally adjacent output pixels, per column boundary X|X+1 (over all rows and bands). */
export function columnJumps(r: Raster): Float64Array {
  const jumps = new Float64Array(r.width - 1);
  for (const band of r.bands) {
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width - 1; x++) {
        const d = Math.abs((band[y * r.width + x + 1] as number) - (band[y * r.width + x] as number));
        if (d > (jumps[x] as number)) jumps[x] = d;
      }
    }
  }
  return jumps;
}

/** Max |a − b| over all bands and pixels of two same-shaped rasters (NaN if either has NaN where compared). */
export function maxAbsDiff(a: Raster, b: Raster): number {
  let m = 0;
  for (let i = 0; i < a.bands.length; i++) {
    const x = a.bands[i] as Float32Array;
    const y = b.bands[i] as Float32Array;
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs((x[j] as number) - (y[j] as number));
      if (!(d <= m)) m = d;
    }
  }
  return m;
}
