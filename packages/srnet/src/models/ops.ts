// Building blocks as TF.js ops in NHWC. All differentiable on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { SrnetError } from '../errors.js';
import type { SeededRandom } from '../internal/random.js';

/**
 * 'reflect' padding (mirror without edge repetition) of H and W by `p`.
 * `tf.mirrorPad`'s registered gradient only slices the centre out (it drops the reflected contributions), so
 * when gradients are needed we build the pad from slices + concat, whose gradients are exact.
 */
export function reflectPad(x: tf.Tensor4D, p: number, differentiable: boolean): tf.Tensor4D {
  if (p === 0) return x;
  if (!differentiable) {
    return tf.mirrorPad(
      x,
      [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ],
      'reflect',
    );
  }
  // Rows of a rank-3 [N, H, K] tensor: wasm slices and concatenates these as block copies of K floats, where
  // slicing columns of a rank-4 tensor copies C floats at a time (one at a time for C = 1: the SSIM planes).
  const padRows = (t: tf.Tensor3D): tf.Tensor3D => {
    const [nb, n, k] = t.shape;
    // fresh begin/size arrays per slice: tf.slice keeps its attrs by reference for the gradient.
    const part = (start: number): tf.Tensor3D => tf.reverse(tf.slice(t, [0, start, 0], [nb, p, k]), 1);
    return tf.concat([part(1), t, part(n - 1 - p)], 1);
  };
  const [nb, h, w, c] = x.shape;
  const rows = tf.reshape(padRows(tf.reshape(x, [nb, h, w * c])), [nb, h + 2 * p, w, c]);
  // columns: the same on the transposed tensor.
  const cols = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [nb, w, (h + 2 * p) * c]) as tf.Tensor3D;
  const padded = tf.reshape(padRows(cols), [nb, w + 2 * p, h + 2 * p, c]);
  return tf.transpose(padded, [0, 2, 1, 3]) as tf.Tensor4D;
}

/** Conv2d(k, stride 1, padding 'same' reflect, bias): reflect pad then valid cross-correlation. */
export function convSame(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  differentiable: boolean,
): tf.Tensor4D {
  const k = w.shape[0];
  const xp = reflectPad(x, (k - 1) / 2, differentiable);
  return tf.fused.conv2d({ x: xp, filter: w, strides: 1, pad: 'valid', bias: b });
}

/** Single-slope PReLU. */
export function prelu(x: tf.Tensor4D, alpha: tf.Tensor): tf.Tensor4D {
  return tf.prelu(x, alpha) as tf.Tensor4D;
}

/**
 * Element-wise dropout (PyTorch semantics: zero with probability p, scale kept values by 1/(1−p)). The mask is
 * drawn from `rng` in JS, so it is identical on every backend and resumable from the RNG state (wasm has no
 * RandomUniform kernel). With one RNG per sample (`rng[s]` draws the rows of sample s, which are contiguous along
 * axis 0), a sample's masks do not depend on which other samples share its batch: micro-batches and data-parallel
 * shards then train exactly like the whole batch.
 */
export function dropout(x: tf.Tensor4D, p: number, rng: SeededRandom | readonly SeededRandom[]): tf.Tensor4D {
  if (p <= 0) return x;
  const n = x.size;
  const mask = new Float32Array(n);
  const keep = 1 / (1 - p);
  const threshold = Math.floor(p * 4294967296);
  const streams = Array.isArray(rng) ? (rng as readonly SeededRandom[]) : [rng as SeededRandom];
  const rows = x.shape[0];
  if (streams.length === 0 || rows % streams.length !== 0)
    throw new SrnetError(
      'BAD_CONFIG',
      `dropout got ${streams.length} per-sample RNGs for ${rows} rows; the rows must split evenly into samples`,
    );
  const perSample = n / streams.length;
  for (let s = 0; s < streams.length; s++) {
    const r = streams[s] as SeededRandom;
    for (let i = s * perSample, end = i + perSample; i < end; i++)
      mask[i] = r.nextUint32() >= threshold ? keep : 0;
  }
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
}

/**
 * PyTorch-ordered PixelShuffle in NHWC: out[b, z·h+i, z·w+j, c] = in[b, h, w, c·z² + i·z + j].
 * Written as reshape/transpose (tf.depthToSpace uses another channel order and has no gradient).
 */
export function pixelShuffle(x: tf.Tensor4D, z: number): tf.Tensor4D {
  const [b, h, w, cz] = x.shape;
  const c = cz / (z * z);
  const t = tf.reshape(x, [b * h, w, c, z, z]);
  const u = tf.transpose(t, [0, 3, 1, 4, 2]); // [b·h, i, w, j, c]
  return tf.reshape(u, [b, h * z, w * z, c]);
}

/**
 * Row-stochastic interpolation matrix `[outSize, inSize]` of PyTorch's bilinear resize with align_corners False
 * (half-pixel centres): src = max(0, (dst + 0.5)·in/out − 0.5), weights in float32 like PyTorch. The source
 * coordinate is rounded to float32 at each step, where torch's CPU kernel keeps it in double: weights differ from
 * torch's by up to ~1.5e-5 at large coordinates (480 → 1054). Only training and the antialiased shrink use this
 * matrix (inference resizes with TF.js's fused kernel); a torch-exact coordinate was tried and moved the demo's
 * small-scale SRCNN-MF − SI margin from +0.76 to +0.23 dB (training at that scale is that sensitive), so the
 * published demo figures keep this arithmetic until they are re-measured.
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const f = Math.fround;
  const scale = f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, f(f(f(o + 0.5) * scale) - 0.5));
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l1 = f(src - i0);
    const l0 = f(1 - l1);
    m[o * inSize + i0] = (m[o * inSize + i0] as number) + l0;
    m[o * inSize + i1] = (m[o * inSize + i1] as number) + l1;
  }
  return m;
}

/**
 * The 1-D Gaussian kornia's `resize(..., antialias=True)` blurs an axis with before it shrinks from `inSize` to
 * `outSize` px (kornia 0.6: factor = in/out, σ = max((factor − 1)/2, 0.001), size int(max(4σ, 3)) made odd,
 * weights exp(−x²/2σ²) normalised, in float32 like torch), or null when the axis does not shrink: kornia then
 * blurs it with σ = 0.001, whose 3 taps are exactly [0, 1, 0] in float32.
 */
export function antialiasKernel(inSize: number, outSize: number): Float32Array | null {
  const factor = inSize / outSize;
  if (!(factor > 1)) return null;
  const f = Math.fround;
  const sigma = Math.max((factor - 1) / 2, 0.001);
  let size = Math.trunc(Math.max(4 * sigma, 3));
  if (size % 2 === 0) size += 1;
  const half = (size - 1) / 2;
  const twoSigma2 = f(2 * sigma * sigma);
  const g = new Float32Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    g[i] = f(Math.exp(-f(f((i - half) * (i - half)) / twoSigma2)));
    sum = f(sum + (g[i] as number));
  }
  for (let i = 0; i < size; i++) g[i] = f((g[i] as number) / sum);
  return g;
}

/**
 * The resize matrix `[outSize, inSize]` of upstream's final kornia `Resize(antialias=True)` along one axis: the
 * bilinear matrix, after the axis's reflect-bordered Gaussian when it shrinks (kornia blurs only then, per axis; a
 * shrinking axis's reflect pad of ≈ in/out px always fits in `inSize`). Composed in float64, stored as float32.
 */
export function resizeMatrix(inSize: number, outSize: number): Float32Array {
  const bilinear = bilinearMatrix(inSize, outSize);
  const g = antialiasKernel(inSize, outSize);
  if (!g) return bilinear;
  const half = (g.length - 1) / 2;
  const reflect = (i: number) => (i < 0 ? -i : i >= inSize ? 2 * (inSize - 1) - i : i);
  const m = new Float32Array(outSize * inSize);
  const row = new Float64Array(inSize);
  for (let o = 0; o < outSize; o++) {
    row.fill(0);
    // bilinear row o reads at most two blurred samples; each is a Gaussian over reflected neighbours
    for (let j = 0; j < inSize; j++) {
      const wj = bilinear[o * inSize + j] as number;
      if (wj === 0) continue;
      for (let t = 0; t < g.length; t++) row[reflect(j + t - half)] += wj * (g[t] as number);
    }
    for (let j = 0; j < inSize; j++) m[o * inSize + j] = row[j] as number;
  }
  return m;
}

/** True when upstream's final resize to `size` blurs: some axis of `x` ([B, H, W, C]) shrinks. */
export function resizeShrinks(x: tf.Tensor4D, size: [number, number]): boolean {
  return x.shape[1] > size[0] || x.shape[2] > size[1];
}

/**
 * Upstream's final resize: bilinear (align_corners False, half-pixel centres) with kornia's antialiasing blur on
 * every axis that shrinks, as two matrix products ({@link resizeMatrix}), so its gradient is exact. TF.js's
 * registered ResizeBilinearGrad ignores `halfPixelCenters` (cpu and wasm), which silently corrupts gradients;
 * inference keeps the fused `tf.image.resizeBilinear` where no axis shrinks.
 */
export function resizeBilinearDifferentiable(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const [oh, ow] = size;
  const ry = tf.tensor2d(resizeMatrix(h, oh), [oh, h]);
  const rx = tf.tensor2d(resizeMatrix(w, ow), [ow, w]);
  // rows: [h, b·w·c] → [oh, b·w·c]
  const t1 = tf.matMul(ry, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, b * w * c]));
  // columns: [w, oh·b·c] → [ow, oh·b·c]
  const t2 = tf.reshape(tf.transpose(tf.reshape(t1, [oh, b, w, c]), [2, 0, 1, 3]), [w, oh * b * c]);
  const t3 = tf.matMul(rx, t2);
  return tf.transpose(tf.reshape(t3, [ow, oh, b, c]), [2, 1, 0, 3]) as tf.Tensor4D;
}
