import type { Rng } from '@worldstrat/core';
import { checkFirstId, checkSampleOptions } from '../internal/check-arguments.js';
import { assertCount, checkAborted, MAX_SAMPLE_POINTS } from '../internal/validate.js';
import { nextUnit, seededRng } from '../random/seeded-rng.js';

/** A sampled point: a unique sequential id (0-based, in draw order) plus WGS-84 lon/lat in degrees. */
export interface SamplePoint {
  id: number;
  lon: number;
  lat: number;
}

/** Options of {@link samplePointsOnSphere}. */
export interface SamplePointsOptions {
  /** Seed of the PRNG (`createRng` of @worldstrat/core); ignored when `rng` is given. Default 0. */
  seed?: number;
  /** Use this generator instead of creating one from `seed` (continues its stream). */
  rng?: Rng;
  /**
   * First id to hand out (ids are `firstId, firstId + 1, …`): a non-negative integer with `firstId + n − 1` at
   * most 2^53 − 1. Default 0.
   */
  firstId?: number;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'sample'; done: number; total: number }) => void;
}

/**
 * One uniform point on the sphere from two uniforms, exactly as upstream's `PlanetSampler`:
 * `lon = 360·(u₁ − 0.5)` ∈ [−180, 180), `lat = asin(2u₂ − 1)` in degrees (equal-area on a sphere).
 * @param rng the generator to draw u₁ then u₂ from.
 * @param what how errors name the generator.
 * @returns `[lon, lat]` in degrees.
 * @throws GeoSamplingError `INVALID_ARGUMENT` when `rng.next()` returns anything but a number in [0, 1).
 * @example
 * const [lon, lat] = uniformLonLat(createRng(1));
 */
export function uniformLonLat(rng: Rng, what = 'rng'): [number, number] {
  const u1 = nextUnit(rng, what);
  const u2 = nextUnit(rng, what);
  return [360 * (u1 - 0.5), (Math.asin(2 * u2 - 1) * 180) / Math.PI];
}

/**
 * Draws `n` points uniformly on the sphere (spherical, not ellipsoidal, like upstream) with a seeded PRNG.
 * Ids are unique and sequential (upstream's all-zero index bug does not exist here).
 * @param n number of points.
 * @param options seed / rng, first id, signal, progress.
 * @returns the points in draw order.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for a bad `n`, `firstId` or `signal`, or an `rng` whose `next()`
 *   leaves [0, 1); `INVALID_SEED`, `ABORTED`.
 * @example
 * const pts = samplePointsOnSphere(1000, { seed: 7 });
 */
export function samplePointsOnSphere(n: number, options?: SamplePointsOptions): SamplePoint[] {
  assertCount(n, 'n', MAX_SAMPLE_POINTS);
  options = checkSampleOptions('samplePointsOnSphere', options);
  const rng = options.rng ?? seededRng(options.seed ?? 0);
  const firstId = checkFirstId('samplePointsOnSphere', 'options.firstId', options.firstId ?? 0, n);
  const out: SamplePoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if ((i & 0xffff) === 0) checkAborted(options.signal);
    const [lon, lat] = uniformLonLat(rng, 'samplePointsOnSphere: options.rng');
    out[i] = { id: firstId + i, lon, lat };
    if (options.onProgress && ((i + 1) % 100000 === 0 || i + 1 === n)) {
      options.onProgress({ stage: 'sample', done: i + 1, total: n });
    }
  }
  return out;
}
