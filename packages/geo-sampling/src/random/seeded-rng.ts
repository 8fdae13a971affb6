// The project PRNG lives in @worldstrat/core; geo-sampling's samplers report a bad seed as their own error.
import { CoreError, createRng, describeValue, type Rng } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';

/** `createRng(seed)` of @worldstrat/core, throwing GeoSamplingError `INVALID_SEED` for a bad seed. */
export function seededRng(seed: number): Rng {
  try {
    return createRng(seed);
  } catch (err) {
    if (err instanceof CoreError) throw new GeoSamplingError('INVALID_SEED', err.message, { cause: err });
    throw err;
  }
}

/**
 * `rng.next()`, checked to be a number in [0, 1): a caller's generator that returns 32-bit integers (or NaN, or
 * 1) put points at lon 1.5e12, NaN, or outside the requested region without a word.
 * @param rng the generator.
 * @param what how errors name it (`samplePointsOnSphere: options.rng`).
 * @returns the uniform draw.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for any other value.
 */
export function nextUnit(rng: Rng, what: string): number {
  const u = rng.next();
  if (typeof u !== 'number' || !(u >= 0 && u < 1))
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `${what}.next() must return a number in [0, 1), got ${describeValue(u)}`,
    );
  return u;
}
