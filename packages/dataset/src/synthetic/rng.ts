// The random source the synthetic generator draws from: the PRNG of @worldstrat/core (`createRng(seed)`), so the
// same seed gives the same dataset on every platform.
import type { Rng } from '@worldstrat/core';

/** A seeded random source: `next()` uniform in [0, 1), `int(n)` uniform in 0..n-1, `normal()` N(0, 1). */
export type SynthRng = Pick<Rng, 'next' | 'int' | 'normal'>;

export { uniform } from '@worldstrat/core';
