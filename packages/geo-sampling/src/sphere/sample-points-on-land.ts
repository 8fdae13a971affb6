import type { Rng } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { argumentError, checkFirstId, checkMethod, checkSampleOptions } from '../internal/check-arguments.js';
import { assertCount, checkAborted, MAX_SAMPLE_POINTS } from '../internal/validate.js';
import type { LandMask } from '../land/land-mask.js';
import { loadLandMask } from '../land/load-land-mask.js';
import { seededRng } from '../random/seeded-rng.js';
import { type SamplePoint, type SamplePointsOptions, uniformLonLat } from './sample-points-on-sphere.js';

/** Options of {@link samplePointsOnLand}. */
export interface SamplePointsOnLandOptions extends SamplePointsOptions {
  /** Land mask to use (default: the embedded Natural Earth 1:10m mask from {@link loadLandMask}). */
  mask?: LandMask;
  /**
   * Give up after this many rejected draws in a row (default 1 000 000: the mask has no land); a positive
   * integer.
   */
  maxRejectionsInARow?: number;
}

/** Draws between two looks at the abort signal while one point is being redrawn. */
const ABORT_CHECK_EVERY = 0x10000;

/** `options.maxRejectionsInARow`: absent (the default) or a positive safe integer. */
function maxRejections(fn: string, value: unknown): number {
  if (value === undefined) return 1_000_000;
  // NaN or Infinity would never be reached by the miss counter: an endless loop on a mask without land.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw argumentError(fn, 'options.maxRejectionsInARow', 'a positive integer', value);
  return value;
}

/**
 * Draws `n` points uniformly over land by rejection sampling (upstream's "exclude oceans" strategy): each
 * point is drawn uniformly on the sphere and redrawn until the mask says land. With the same seed and mask,
 * the points are identical on every platform. Ids are unique and sequential.
 * @param n number of land points.
 * @param options seed / rng, mask, first id, signal, progress.
 * @returns the points in draw order.
 * @throws GeoSamplingError `NO_LAND_FOUND` when `maxRejectionsInARow` draws in a row hit no land,
 *   `INVALID_ARGUMENT` (also for a `maxRejectionsInARow` that is not a positive integer, a bad `firstId` or
 *   `signal`, an `rng` whose `next()` leaves [0, 1)), `INVALID_SEED`,
 *   `ABORTED` (the signal is also looked at while one point is being redrawn).
 * @example
 * const pts = await samplePointsOnLand(1000, { seed: 1 });
 */
export async function samplePointsOnLand(
  n: number,
  options?: SamplePointsOnLandOptions,
): Promise<SamplePoint[]> {
  assertCount(n, 'n', MAX_SAMPLE_POINTS);
  options = checkSampleOptions('samplePointsOnLand', options);
  maxRejections('samplePointsOnLand', options.maxRejectionsInARow);
  checkFirstId('samplePointsOnLand', 'options.firstId', options.firstId ?? 0, n);
  const mask = options.mask ?? (await loadLandMask());
  return samplePointsOnLandSync(n, mask, options);
}

/**
 * Synchronous variant of {@link samplePointsOnLand} for an already loaded mask.
 * @param n number of land points.
 * @param mask the land mask.
 * @param options seed / rng, first id, signal, progress.
 * @returns the points in draw order.
 * @throws GeoSamplingError as {@link samplePointsOnLand}.
 * @example
 * const mask = await loadLandMask();
 * const pts = samplePointsOnLandSync(10, mask, { seed: 3 });
 */
export function samplePointsOnLandSync(
  n: number,
  mask: LandMask,
  options?: SamplePointsOptions & { maxRejectionsInARow?: number },
): SamplePoint[] {
  assertCount(n, 'n', MAX_SAMPLE_POINTS);
  checkMethod('samplePointsOnLandSync', 'mask', mask, 'isLand');
  options = checkSampleOptions('samplePointsOnLandSync', options);
  const maxMiss = maxRejections('samplePointsOnLandSync', options.maxRejectionsInARow);
  const rng = options.rng ?? seededRng(options.seed ?? 0);
  const firstId = checkFirstId('samplePointsOnLandSync', 'options.firstId', options.firstId ?? 0, n);
  const out: SamplePoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if ((i & 0xffff) === 0) checkAborted(options.signal);
    const [lon, lat] = drawLand(mask, rng, maxMiss, options.signal);
    out[i] = { id: firstId + i, lon, lat };
    if (options.onProgress && ((i + 1) % 100000 === 0 || i + 1 === n)) {
      options.onProgress({ stage: 'sample', done: i + 1, total: n });
    }
  }
  return out;
}

/**
 * One land point by rejection. The signal is looked at every {@link ABORT_CHECK_EVERY} misses too: with a large
 * `maxMiss` on a mask with little land, one point can take millions of draws.
 */
function drawLand(
  mask: LandMask,
  rng: Rng,
  maxMiss: number,
  signal: AbortSignal | undefined,
): [number, number] {
  for (let misses = 0; ; ) {
    const [lon, lat] = uniformLonLat(rng, 'options.rng');
    if (mask.isLand(lon, lat)) return [lon, lat];
    if (++misses >= maxMiss) {
      throw new GeoSamplingError(
        'NO_LAND_FOUND',
        `${misses} uniform draws in a row found no land in mask "${mask.source}"; check the mask's land values`,
      );
    }
    if (misses % ABORT_CHECK_EVERY === 0) checkAborted(signal);
  }
}
