// A synthetic, learnable multi-frame SR task: smooth HR fields; LR revisits = 2×2 box-downsampled HR plus
// independent noise per revisit. The bicubic baseline sees revisit 0 only (noisy, blurred); a model can learn to
// fuse the revisits. Deterministic from a seed.
import type { TrainBatch } from '../../src/index.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function syntheticBatch(
  seed: number,
  opts: { b: number; r: number; c: number; lr: number; noise: number },
): TrainBatch {
  const rnd = lcg(seed);
  const { b, r, c } = opts;
  const H = opts.lr * 2;
  const hr = new Float32Array(b * c * H * H);
  for (let s = 0; s < b; s++) {
    for (let ch = 0; ch < c; ch++) {
      const waves = Array.from({ length: 3 }, () => [
        rnd() * 0.5,
        rnd() * 0.5,
        rnd() * 6.28,
        0.1 + rnd() * 0.1,
      ]);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < H; x++) {
          let v = 0.5;
          for (const [fy, fx, ph, a] of waves as number[][])
            v += (a as number) * Math.sin((fy as number) * y + (fx as number) * x + (ph as number));
          hr[((s * c + ch) * H + y) * H + x] = v;
        }
      }
    }
  }
  const L = opts.lr;
  const lr = new Float32Array(b * r * c * L * L);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(6.283185307 * rnd());
  for (let s = 0; s < b; s++) {
    for (let k = 0; k < r; k++) {
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < L; y++) {
          for (let x = 0; x < L; x++) {
            const base = (s * c + ch) * H * H;
            const m =
              (hr[base + 2 * y * H + 2 * x]! +
                hr[base + 2 * y * H + 2 * x + 1]! +
                hr[base + (2 * y + 1) * H + 2 * x]! +
                hr[base + (2 * y + 1) * H + 2 * x + 1]!) /
              4;
            lr[(((s * r + k) * c + ch) * L + y) * L + x] = m + opts.noise * gauss();
          }
        }
      }
    }
  }
  return { lr: { data: lr, shape: [b, r, c, L, L] }, hr: { data: hr, shape: [b, c, H, H] } };
}
