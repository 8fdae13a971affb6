// The random source the synthetic generator draws from. Structurally the PRNG of @worldstrat/geo-sampling
// (`createRng(seed)`), so the same seed gives the same dataset on every platform.

/** A seeded random source: `next()` uniform in [0, 1), `int(n)` uniform in 0..n-1, `normal()` N(0, 1). */
export interface SynthRng {
  next(): number;
  int(n: number): number;
  normal(): number;
}

/** Uniform draw in [lo, hi). */
export function uniform(rng: SynthRng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}
