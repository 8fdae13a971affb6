import type { BBox, Rng } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { checkBox, checkFirstId, checkMethod } from '../internal/check-arguments.js';
import { assertCount, MAX_SAMPLE_POINTS } from '../internal/validate.js';
import type { LandMask } from '../land/land-mask.js';

const DEG = Math.PI / 180;

/**
 * Area-uniform points inside a lon/lat box (lon uniform, sin(lat) uniform), kept where `mask` says land.
 *
 * @param n - points wanted.
 * @param region - `[minLon, minLat, maxLon, maxLat]` (no antimeridian crossing).
 * @param mask - land mask.
 * @param rng - seeded PRNG ({@link createRng}).
 * @param firstId - id of the first point (ids are sequential).
 * @returns points `{id, lon, lat}`.
 * @throws {GeoSamplingError} `INVALID_ARGUMENT` for a bad box, `n`, `mask`, `rng` or `firstId`, or when 1000·n
 *   draws found too little land.
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
  checkFirstId('samplePointsInRegion', 'firstId', firstId);
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
  while (out.length < n) {
    if (++tries > 1000 * Math.max(n, 1))
      throw new GeoSamplingError(
        'INVALID_ARGUMENT',
        `region ${JSON.stringify(region)} is (almost) all water for the land mask: found ${out.length} of ${n} points in ${tries - 1} draws`,
      );
    const lon = w + (e - w) * rng.next();
    const lat = Math.asin(s0 + (s1 - s0) * rng.next()) / DEG;
    if (mask.isLand(lon, lat)) out.push({ id: firstId + out.length, lon, lat });
  }
  return out;
}
