// Deterministic test images: a seeded PRNG and smooth analytic scenes.

/** mulberry32: small seeded PRNG, returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform noise in [lo, hi). */
export function randomImage(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rnd();
  return out;
}

/**
 * A smooth band-limited scene: per plane, a sum of 6 plane waves with periods 12..30 px and random phases,
 * sampled at (i + dy, j + dx). Values stay within about [0.05, 0.55].
 */
export function smoothImage(
  planes: number,
  h: number,
  w: number,
  seed: number,
  dy = 0,
  dx = 0,
): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(planes * h * w);
  for (let p = 0; p < planes; p++) {
    const waves = Array.from({ length: 6 }, () => {
      const period = 12 + 18 * rnd();
      const angle = 2 * Math.PI * rnd();
      return {
        ky: (2 * Math.PI * Math.sin(angle)) / period,
        kx: (2 * Math.PI * Math.cos(angle)) / period,
        phase: 2 * Math.PI * rnd(),
        amp: 0.02 + 0.02 * rnd(),
      };
    });
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let v = 0.3;
        for (const wv of waves) v += wv.amp * Math.sin(wv.ky * (i + dy) + wv.kx * (j + dx) + wv.phase);
        out[(p * h + i) * w + j] = v;
      }
  }
  return out;
}

/** Max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
