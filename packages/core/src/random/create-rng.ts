import { describeValue } from '../describe-value.js';
import { CoreError } from '../errors.js';
import { checkFinite, invalidArgument } from '../internal/check-arguments.js';

/**
 * A seeded pseudo-random generator. Same seed → same sequence on every platform and JS engine
 * (integer arithmetic on 32-bit words only; no `Math.random`).
 */
export interface Rng {
  /** The seed this generator was created with. */
  readonly seed: number;
  /** Next raw 32-bit output of xoshiro128** as an unsigned integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform double in [0, 1) with 53 random bits (two 32-bit outputs: high 27 bits, then 26 bits). */
  next(): number;
  /** Uniform integer in [0, n) without modulo bias (rejection on 32-bit outputs); n in [1, 2^32]. */
  int(n: number): number;
  /** Standard normal deviate (Marsaglia polar method; the spare value is kept for the next call). */
  normal(): number;
  /** An independent generator seeded from this one's next two outputs (for sub-streams). */
  fork(): Rng;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** splitmix32's output finaliser (an fmix32-like bijection of 32-bit words; mix32(0) = 0). */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** splitmix32 step: returns [newState, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  return [s, mix32(s)];
}

/** Odd multipliers spreading the seed's high word over the four state words (one per word). */
const HIGH_WORD_MULTIPLIERS = [0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1] as const;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates the project's documented PRNG: **xoshiro128\*\*** (Blackman & Vigna 2018) whose 128-bit state is
 * filled by four outputs of **splitmix32** started at the low 32 bits of the seed; the high 21 bits of the
 * seed (seeds up to 2^53 − 1) are mixed into every state word, so seeds that differ only above bit 32 give
 * unrelated streams. Algorithm, step by step:
 *
 * - splitmix32(s): `s = s + 0x9e3779b9 (mod 2^32); z = s; z = (z ^ z>>>16)·0x21f0aaad; z = (z ^ z>>>15)·0x735a2d97;
 *   out = z ^ z>>>15` (all products mod 2^32); `mix(x)` is the same finaliser applied to x itself.
 * - hi = ⌊seed / 2^32⌋; hᵢ = mix(hi·Cᵢ mod 2^32) with C = [0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f, 0x165667b1].
 * - state = [sm₁ ^ h₁, sm₂ ^ h₂, sm₃ ^ h₃, sm₄ ^ h₄] (if all four are zero, the first becomes 1). mix and the
 *   odd multipliers are bijections with 0 ↦ 0, so every hᵢ is 0 exactly when hi is 0: seeds below 2^32 keep the
 *   plain splitmix32 state.
 * - xoshiro128**: `r = rotl(s1·5, 7)·9; t = s1<<9; s2^=s0; s3^=s1; s1^=s2; s0^=s3; s2^=t; s3 = rotl(s3, 11)`.
 * - `next()` = `((a>>>5)·2^26 + (b>>>6)) / 2^53` for two consecutive outputs a, b.
 *
 * @param seed a non-negative safe integer.
 * @returns a generator; it is not cryptographically secure.
 * @throws CoreError `INVALID_SEED` when the seed is not a non-negative safe integer.
 * @example
 * const rng = createRng(42);
 * const u = rng.next(); // same value on every platform
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new CoreError(
      'INVALID_SEED',
      `seed ${describeValue(seed)} must be a non-negative safe integer (0 ≤ seed ≤ 2^53 − 1)`,
    );
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  let sm = lo | 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [s, out] = splitmix32(sm);
    sm = s;
    // xoshiro's first outputs read single words, so the high bits must reach each of them.
    words.push(out ^ mix32(Math.imul(hi, HIGH_WORD_MULTIPLIERS[i])));
  }
  let s0 = words[0] | 0;
  let s1 = words[1] | 0;
  let s2 = words[2] | 0;
  let s3 = words[3] | 0;
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  let spare: number | null = null;

  const nextUint32 = (): number => {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return r >>> 0;
  };

  const next = (): number => {
    const a = nextUint32() >>> 5;
    const b = nextUint32() >>> 6;
    return (a * 67108864 + b) / TWO_POW_53;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      // describeValue: String() of an object without toString (or a throwing one) threw a TypeError here
      throw new CoreError(
        'INVALID_ARGUMENT',
        `rng.int(n) needs an integer n in [1, 2^32], got ${describeValue(n)}`,
      );
    }
    // Largest multiple of n that fits in 2^32; reject outputs above it (no modulo bias).
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };

  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * next() - 1;
      const v = 2 * next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * m;
        return u * m;
      }
    }
  };

  const fork = (): Rng => {
    const a = nextUint32();
    const b = nextUint32() & 0x1fffff; // 21 bits → seed < 2^53
    return createRng(b * TWO_POW_32 + a);
  };

  return { seed, nextUint32, next, int, normal, fork };
}

/**
 * Uniform draw in [lo, hi) from any generator with `next()`.
 * @param rng the generator.
 * @param lo lower bound (inclusive).
 * @param hi upper bound (exclusive).
 * @returns `lo + (hi − lo)·rng.next()`.
 * @throws {CoreError} `INVALID_ARGUMENT` when `rng` has no `next()` or a bound is not a finite number.
 * @example
 * uniform(createRng(1), 10, 20); // a value in [10, 20)
 */
export function uniform(rng: Pick<Rng, 'next'>, lo: number, hi: number): number {
  if (typeof (rng as { next?: unknown } | null)?.next !== 'function')
    throw invalidArgument('uniform', 'rng', 'a generator with next()', rng);
  checkFinite('uniform', 'lo', lo);
  checkFinite('uniform', 'hi', hi);
  const u = rng.next();
  // hi − lo overflows to Infinity for bounds past ±MAX_VALUE / 2 (the draw was NaN or Infinity): weigh the bounds
  const x = Number.isFinite(hi - lo) ? lo + (hi - lo) * u : lo * (1 - u) + hi * u;
  // rounding can land on hi itself (lo = 1, hi = 1 + 2^-52, u close to 1); the interval is half-open
  return x >= hi && lo < hi ? largestBelow(hi) : x;
}

/** The largest double below `x` (finite x). */
function largestBelow(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? -1n : 1n));
  return view.getFloat64(0);
}
