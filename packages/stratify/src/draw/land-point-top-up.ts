import { createRng, describeValue } from '@worldstrat/core';
import { type LandMask, type SamplePoint, samplePointsOnLand } from '@worldstrat/geo-sampling';
import { StratifyError } from '../errors.js';
import { checkCount, checkFunction, checkObject, checkSeed } from '../internal/check-arguments.js';
import type { ClassKey } from '../rebalance/rebalance.js';

/** Options of {@link landPointTopUp}. */
export interface LandPointTopUpOptions {
  /** Seed of the extra samples (use a different seed from the pool's). */
  seed: number;
  /** First id of the extra points (use one past the pool's last id so ids stay unique). */
  firstId: number;
  /** Land mask (default: geo-sampling's embedded mask). */
  mask?: LandMask;
  /** Points sampled per missing row in round 1 (doubles every round; default 20). */
  pointsPerMissing?: number;
  /** Minimum batch size (default 1 000). */
  minBatch?: number;
  /**
   * Most points sampled in one round (default 1 000 000): a huge shortfall costs bounded memory per round, and
   * what the rounds cannot fill is the draw's shortfall, reported or thrown as `stratifiedDraw` is told.
   */
  maxBatch?: number;
}

/** A batch-size option: a positive safe integer, or its default when absent. */
function batchOption(
  options: LandPointTopUpOptions,
  key: 'pointsPerMissing' | 'minBatch' | 'maxBatch',
  fallback: number,
): number {
  const v: unknown = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `landPointTopUp: ${key} must be a positive integer, got ${describeValue(v)}`,
    );
  return v;
}

/**
 * A ready-made `topUp` for {@link stratifiedDraw}: samples fresh uniform land points (geo-sampling, seeded,
 * ids continuing after `firstId`) and classifies them with your function (e.g. `classifyPoints` with your
 * rasters) — what upstream meant to do when a class ran short (it crashed instead).
 * @param classify turns new points into pool rows.
 * @param options seed, first id, mask, batch sizing.
 * @returns the callback to pass as `topUp`.
 * @throws {StratifyError} `INVALID_ARGUMENT` for a `classify` that is not a function, missing options, a first
 *   id that is not an integer ≥ 0, a batch option that is not a positive integer (or minBatch > maxBatch);
 *   CoreError `INVALID_SEED` for a seed that is not a non-negative safe integer.
 * @example
 * const topUp = landPointTopUp((pts) => classifyPoints(pts, { landcover, smod }), { seed: 99, firstId: pool.length });
 * await stratifiedDraw(pool, (r) => r.IPCC, allocation, { seed: 1, topUp });
 */
export function landPointTopUp<T>(
  classify: (points: SamplePoint[]) => Promise<readonly T[]> | readonly T[],
  options: LandPointTopUpOptions,
): (cls: ClassKey, missing: number, round: number) => Promise<readonly T[]> {
  checkFunction('landPointTopUp', 'classify', classify);
  checkObject('landPointTopUp', 'options', options);
  const seed = checkSeed('landPointTopUp', 'options.seed', options.seed);
  const firstId = checkCount('landPointTopUp', 'options.firstId', options.firstId);
  const perMissing = batchOption(options, 'pointsPerMissing', 20);
  const minBatch = batchOption(options, 'minBatch', 1000);
  const maxBatch = batchOption(options, 'maxBatch', 1_000_000);
  if (minBatch > maxBatch)
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `landPointTopUp: minBatch ${minBatch} is above maxBatch ${maxBatch}`,
    );
  const rng = createRng(seed);
  let nextId = firstId;
  return async (_cls, missing, round) => {
    const n = Math.min(maxBatch, Math.max(minBatch, perMissing * missing * 2 ** (round - 1)));
    const points = await samplePointsOnLand(n, {
      rng,
      firstId: nextId,
      ...(options.mask ? { mask: options.mask } : {}),
    });
    nextId += n;
    return classify(points);
  };
}
