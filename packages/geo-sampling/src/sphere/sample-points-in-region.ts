import type { BBox, Rng } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { checkBox, checkFirstId, checkMethod } from '../internal/check-arguments.js';
import { assertCount, MAX_SAMPLE_POINTS } from '../internal/validate.js';
import type { LandMask } from '../land/land-mask.js';
import { nextUnit } from '../random/seeded-rng.js';

const DEG = Math.PI / 180;

/**
 * Draws in a row without land after which a region counts as water. The other bound, 1000·n draws, reaches
 * 10^10 for the largest n (minutes of work that nothing could stop); an all-water region ends here instead.
 */
const MAX_MISSES_IN_A_ROW = 1_000_000;

/**
 * Area-uniform points inside a lon/lat box (lon uniform, sin(lat) uniform), kept where `mask` says land.
 *
 * @param n - points wanted.
 * @param region - `[minLon, minLat, maxLon, maxLat]` (no antimeridian crossing).
 * @param mask - land mask.
 * @param rng - seeded PRNG ({@link createRng}).
 * @param firstId - id of the first point (ids are sequential): a non-negative integer, `firstId + n − 1` at
 *   most 2^53 − 1.
 * @returns points `{id, lon, lat}`, each inside `region` (edges included).
 * @throws {GeoSamplingError} `INVALID_ARGUMENT` for a bad box, `n`, `mask`, `rng` (also one whose `next()`
 *   leaves [0, 1)) or `firstId`, or when 1000·n draws, or 1 000 000 draws in a row, found too little land.
 * @example
 * ```ts
 * samplePointsInRegion(10, [8, 47, 9, 48], await loadLandMask(), createRng(1));
 * ```
 */
export function samplePointsInRegion(
  n: number,
  region: BBox,
  mask: LandMask,
  rng: Rng,
  firstId = 0,
): { id: number; lon: number; lat: number }[] {
  assertCount(n, 'samplePointsInRegion: n', MAX_SAMPLE_POINTS);
  checkBox('samplePointsInRegion', 'region', region);
  checkMethod('samplePointsInRegion', 'mask', mask, 'isLand');
  checkMethod('samplePointsInRegion', 'rng', rng, 'next');
  checkFirstId('samplePointsInRegion', 'firstId', firstId, n);
  const [w, s, e, no] = region;
  if (!(w < e && s < no && w >= -180 && e <= 180 && s >= -90 && no <= 90))
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `region ${JSON.stringify(region)}: expected [minLon, minLat, maxLon, maxLat] with min < max inside [-180, 180] × [-90, 90]`,
    );
  const s0 = Math.sin(s * DEG);
  const s1 = Math.sin(no * DEG);
  const out: { id: number; lon: number; lat: number }[] = [];
  let tries = 0;
  let misses = 0;
  while (out.length < n) {
    if (++tries > 1000 * Math.max(n, 1) || misses >= MAX_MISSES_IN_A_ROW)
      throw new GeoSamplingError(
        'INVALID_ARGUMENT',
        `region ${JSON.stringify(region)} is (almost) all water for the land mask: found ${out.length} of ${n} points in ${tries - 1} draws`,
      );
    const u1 = nextUnit(rng, 'samplePointsInRegion: rng');
    const u2 = nextUnit(rng, 'samplePointsInRegion: rng');
    // clamped: asin(sin(60°)) is 59.99999999999999°, a point outside the region
    const lon = Math.min(e, w + (e - w) * u1);
    const lat = Math.min(no, Math.max(s, Math.asin(s0 + (s1 - s0) * u2) / DEG));
    if (mask.isLand(lon, lat)) {
      out.push({ id: firstId + out.length, lon, lat });
      misses = 0;
    } else misses++;
  }
  return out;
}
