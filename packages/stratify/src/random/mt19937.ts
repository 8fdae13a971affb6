import { describeValue } from '@worldstrat/core';
import { StratifyError } from '../errors.js';
import { invalidArgument } from '../internal/check-arguments.js';

/** A 32-bit Mersenne Twister (MT19937) as used by PyTorch's CPU generator. */
export interface Mt19937 {
  /** Next tempered 32-bit output, unsigned. */
  nextUint32(): number;
}

/**
 * Standard MT19937 (Matsumoto & Nishimura 1998): `init_genrand(seed)` (seed taken mod 2^32), standard
 * tempering. `torch.manual_seed(s)` / `torch.Generator().manual_seed(s)` seed the CPU generator this way.
 * @param seed a non-negative integer.
 * @returns the generator.
 * @throws StratifyError `INVALID_ARGUMENT` for a negative or non-integer seed.
 * @example
 * mt19937(5489).nextUint32(); // 3499211612 (the reference first output)
 */
export function mt19937(seed: number): Mt19937 {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `MT19937 seed must be a non-negative integer, got ${describeValue(seed)}`,
    );
  }
  const mt = new Uint32Array(624);
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) {
    const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
    // 1812433253 * prev + i, mod 2^32, split to stay exact in doubles
    mt[i] =
      (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
  }
  let index = 624;
  const twist = (): void => {
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      let v = mt[(i + 397) % 624] ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    index = 0;
  };
  return {
    nextUint32(): number {
      if (index >= 624) twist();
      let y = mt[index++];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      return y >>> 0;
    },
  };
}

/** Longest permutation: 10^7 entries take ~80 MB (2·10^8 ended the process out of memory, 2^40 a RangeError). */
const MAX_PERMUTATION = 10_000_000;

/**
 * PyTorch's CPU `torch.randperm(n, generator)` for a generator seeded with `seed` (bit-identical to torch 1.13
 * for the WorldStrat split): `r = [0..n−1]; for i in 0..n−2: z = mt() % (n−i); swap(r[i], r[i+z])`.
 * This is also `torch.utils.data.random_split(range(n), [n], generator).indices`.
 * @param n permutation length.
 * @param seed the generator seed (or an existing {@link Mt19937} to continue).
 * @returns the permutation.
 * @throws StratifyError `INVALID_ARGUMENT` for a bad `n`, or a `seed` that is neither a seed nor a generator.
 * @example
 * randperm(10, 386564310); // [8, 2, 6, 5, 7, 9, 0, 1, 3, 4]
 */
export function randperm(n: number, seed: number | Mt19937): number[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PERMUTATION)
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `randperm needs an integer n in 0..${MAX_PERMUTATION}, got ${describeValue(n)}`,
    );
  if (typeof seed !== 'number' && typeof (seed as Partial<Mt19937> | null)?.nextUint32 !== 'function')
    throw invalidArgument('randperm', 'seed', 'a non-negative integer or an Mt19937 generator', seed);
  const gen = typeof seed === 'number' ? mt19937(seed) : seed;
  const r = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const z = gen.nextUint32() % (n - i);
    const t = r[i];
    r[i] = r[i + z];
    r[i + z] = t;
  }
  return r;
}
