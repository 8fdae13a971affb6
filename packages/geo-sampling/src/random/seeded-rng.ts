// The project PRNG lives in @worldstrat/core; geo-sampling's samplers report a bad seed as their own error.
import { CoreError, createRng, type Rng } from '@worldstrat/core';
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
