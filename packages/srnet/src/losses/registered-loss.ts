// The WorldStrat registered loss as TF.js ops, differentiable w.r.t. the prediction:
// bias correction (gradients flow through it, like upstream) → separable 81-shift Lanczos search on the target
// → cMSE (min), cMAE and SSIM loss on the MSE-optimal shift → 0.3·cMSE + 0.4·cMAE + 0.3·SSIM_loss.
import * as tf from '@tensorflow/tfjs-core';
import {
  LANCZOS_TAPS,
  type LanczosVariant,
  lanczosKernels1d,
  type RegistrationMode,
  SSIM_C1,
  SSIM_C2,
  SSIM_EPS,
  ssimGaussian1d,
  WORLDSTRAT_CROP_OFFSET,
  WORLDSTRAT_LOSS_WEIGHTS,
} from '@worldstrat/metrics';
import { SrnetError } from '../errors.js';
import { argumentError, checkOptions, checkTensor, isRecord } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { reflectPad } from '../models/ops.js';

/** Options of {@link registeredLoss}. */
export interface RegisteredLossOptions {
  /** 'worldstrat' (upstream, crop offset 2, bug B1) or 'centered' (offset 5). Default 'worldstrat'. */
  mode?: RegistrationMode;
  /** Shift-kernel definition; default 'upstream' in 'worldstrat' mode, 'lanczos3' in 'centered' (like metrics). */
  kernel?: LanczosVariant;
  /** Loss weights; default {@link WORLDSTRAT_LOSS_WEIGHTS} (0.3, 0.4, 0.3). */
  weights?: { mse: number; mae: number; ssim: number };
}

/** Per-sample tensors returned by {@link registeredLoss} (each `[B]`), plus the batch-mean loss. */
export interface RegisteredLossTensors {
  /** mean_b loss_b: the optimised scalar. */
  loss: tf.Scalar;
  perSample: {
    mse: tf.Tensor1D;
    mae: tf.Tensor1D;
    ssimLoss: tf.Tensor1D;
    psnr: tf.Tensor1D;
    loss: tf.Tensor1D;
  };
  /** MSE-optimal kernel index iy·9 + ix per sample (int32). */
  shiftIndex: tf.Tensor1D;
  /** MSE of every kernel, `[B, 81]`. */
  mseAllShifts: tf.Tensor2D;
}

let kernelCache: {
  v: tf.Tensor4D;
  h: tf.Tensor4D;
  hd: tf.Tensor4D;
  g: tf.Tensor4D;
  gh: tf.Tensor4D;
  backend: string;
  variant: LanczosVariant;
} | null = null;
let activeVariant: LanczosVariant = 'upstream';

function kernels(): { v: tf.Tensor4D; h: tf.Tensor4D; hd: tf.Tensor4D; g: tf.Tensor4D; gh: tf.Tensor4D } {
  const backend = tf.getBackend();
  if (
    kernelCache &&
    kernelCache.backend === backend &&
    kernelCache.variant === activeVariant &&
    !kernelCache.v.isDisposed
  )
    return kernelCache;
  if (kernelCache)
    for (const t of [kernelCache.v, kernelCache.h, kernelCache.hd, kernelCache.g, kernelCache.gh])
      if (!t.isDisposed) t.dispose();
  const { kernels: k1 } = lanczosKernels1d({ variant: activeVariant });
  const n = k1.length / LANCZOS_TAPS;
  // vertical filter [taps, 1, 1, n]: f[a,0,0,i] = k_i[a]; horizontal [1, taps, 1, n].
  const vf = new Float32Array(LANCZOS_TAPS * n);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < LANCZOS_TAPS; a++) vf[a * n + i] = k1[i * LANCZOS_TAPS + a] as number;
  // depthwise horizontal filter [1, taps, 9 (iy), 9 (ix)]: every vertical output gets all 9 horizontal kernels.
  const hdf = new Float32Array(LANCZOS_TAPS * n * n);
  for (let a = 0; a < LANCZOS_TAPS; a++)
    for (let i = 0; i < n; i++)
      for (let m = 0; m < n; m++) hdf[(a * n + i) * n + m] = k1[m * LANCZOS_TAPS + a] as number;
  const g1 = ssimGaussian1d();
  const created = tf.tidy(() => ({
    v: tf.keep(tf.tensor4d(vf, [LANCZOS_TAPS, 1, 1, n])),
    h: tf.keep(tf.tensor4d(vf, [1, LANCZOS_TAPS, 1, n])),
    hd: tf.keep(tf.tensor4d(hdf, [1, LANCZOS_TAPS, n, n])),
    g: tf.keep(tf.tensor4d(g1, [g1.length, 1, 1, 1])),
    gh: tf.keep(tf.tensor4d(g1, [1, g1.length, 1, 1])),
  }));
  kernelCache = { ...created, backend, variant: activeVariant };
  return created;
}

/** Mean over axes 1..3 of a rank-4 tensor, reduced one axis at a time (short float32 sums, less rounding). */
function meanPerSample(x: tf.Tensor4D): tf.Tensor1D {
  return tf.mean(tf.mean(tf.mean(x, 2), 2), 1) as tf.Tensor1D;
}

/**
 * The 81 Lanczos-shifted targets, separably: vertical 1-D pass (9 kernels) then horizontal (9 kernels).
 *
 * @param target - NHWC `[B, H, W, C]`
 * @returns `[B, 81, H−10, W−10, C]` with kernel index iy·9 + ix
 */
export function shiftedTargets(target: tf.Tensor4D): tf.Tensor5D {
  checkTensor('shiftedTargets', 'target', target, 4);
  return tf.tidy(() => {
    const { v, h } = kernels();
    const [b, hh, ww, c] = target.shape;
    const n = v.shape[3];
    const t = tf.reshape(tf.transpose(target, [0, 3, 1, 2]), [b * c, hh, ww, 1]) as tf.Tensor4D;
    const vy = tf.conv2d(t, v, 1, 'valid'); // [b·c, H', W, 9(iy)]
    const ho = hh - LANCZOS_TAPS + 1;
    const wo = ww - LANCZOS_TAPS + 1;
    const r = tf.reshape(tf.transpose(vy, [0, 3, 1, 2]), [b * c * n, ho, ww, 1]) as tf.Tensor4D;
    const hx = tf.conv2d(r, h, 1, 'valid'); // [b·c·9(iy), H', W', 9(ix)]
    const s = tf.reshape(hx, [b, c, n, ho, wo, n]);
    return tf.reshape(tf.transpose(s, [0, 2, 5, 3, 4, 1]), [b, n * n, ho, wo, c]);
  });
}

/** kornia 0.6.3 ssim_loss map mean per sample (5×5 Gaussian σ 1.5, reflect padding, clamp((1−SSIM)/2)). */
function ssimLossPerSample(x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor1D {
  const { g, gh } = kernels();
  const [b, hh, ww, c] = x.shape;
  const planes = (t: tf.Tensor4D): tf.Tensor4D =>
    tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [b * c, hh, ww, 1]) as tf.Tensor4D;
  const xp = planes(x);
  const yp = planes(y);
  const stack = tf.concat([xp, yp, tf.mul(xp, xp), tf.mul(yp, yp), tf.mul(xp, yp)], 0) as tf.Tensor4D;
  const pad = (g.shape[0] - 1) / 2;
  const f = tf.conv2d(tf.conv2d(reflectPad(stack, pad, true), g, 1, 'valid'), gh, 1, 'valid');
  const [mx, my, fxx, fyy, fxy] = tf.split(f, 5, 0) as [
    tf.Tensor4D,
    tf.Tensor4D,
    tf.Tensor4D,
    tf.Tensor4D,
    tf.Tensor4D,
  ];
  const mx2 = tf.mul(mx, mx);
  const my2 = tf.mul(my, my);
  const mxy = tf.mul(mx, my);
  const sx = tf.sub(fxx, mx2);
  const sy = tf.sub(fyy, my2);
  const sxy = tf.sub(fxy, mxy);
  const num = tf.mul(tf.add(tf.mul(mxy, 2), SSIM_C1), tf.add(tf.mul(sxy, 2), SSIM_C2));
  const den = tf.add(tf.mul(tf.add(tf.add(mx2, my2), SSIM_C1), tf.add(tf.add(sx, sy), SSIM_C2)), SSIM_EPS);
  const lossMap = tf.clipByValue(tf.div(tf.sub(1, tf.div(num, den)), 2), 0, 1);
  // [b·c, H, W, 1] → per sample mean over c, H, W
  return meanPerSample(tf.reshape(lossMap, [b, c, hh, ww]) as tf.Tensor4D);
}

/**
 * MSE of every shift and the MSE-optimal shifted target. The vertical pass (9 kernels as output channels) is
 * followed by a depthwise horizontal pass (9 kernels per channel), so the 81 targets come out as channels
 * `iy·9 + ix` of `[B·C, H', W', 81]` with no transposes: moving axes of the rank-6 layout of
 * {@link shiftedTargets} cost more than the convolutions of a whole training step on wasm. The chosen target is
 * picked with one gather (no GPU→CPU sync).
 */
function searchShifts(
  cropped: tf.Tensor4D,
  target: tf.Tensor4D,
): { mseAll: tf.Tensor2D; idx: tf.Tensor1D; aligned: tf.Tensor4D } {
  const { v, hd } = kernels();
  const [b, hh, ww, c] = target.shape;
  const n = v.shape[3];
  const nn = n * n;
  const ho = hh - LANCZOS_TAPS + 1;
  const wo = ww - LANCZOS_TAPS + 1;
  const t = tf.reshape(tf.transpose(target, [0, 3, 1, 2]), [b * c, hh, ww, 1]) as tf.Tensor4D;
  const vy = tf.conv2d(t, v, 1, 'valid'); // [b·c, H', W, 9(iy)]
  const ys = tf.depthwiseConv2d(vy, hd, 1, 'valid'); // [b·c, H', W', 81 (iy·9 + ix)]
  const planes = tf.reshape(tf.transpose(cropped, [0, 3, 1, 2]), [b * c, ho, wo, 1]);
  const d = tf.squaredDifference(ys, planes);
  const perPlane = tf.mean(tf.mean(d, 2), 1); // [b·c, 81]
  const mseAll = tf.mean(tf.reshape(perPlane, [b, c, nn]), 1) as tf.Tensor2D;
  const idx = tf.cast(tf.argMin(mseAll, 1), 'int32') as tf.Tensor1D;
  // element index (plane pixel)·81 + idx[sample]; a flat axis-0 gather (wasm's Gather with batchDims > 0 reads
  // out of bounds).
  const pixels = c * ho * wo;
  const chosen = tf.reshape(tf.tile(tf.reshape(idx, [b, 1]), [1, pixels]), [-1]);
  const elems = tf.add(tf.mul(tf.range(0, b * pixels, 1, 'int32'), tf.scalar(nn, 'int32')), chosen);
  const picked = tf.gather(tf.reshape(ys, [-1]), elems); // [b·c·H'·W']
  const aligned = tf.transpose(tf.reshape(picked, [b, c, ho, wo]), [0, 2, 3, 1]) as tf.Tensor4D;
  return { mseAll, idx, aligned };
}

// customGrad's value must be one tensor: the side results (kept, so they survive the forward's tidy) are handed
// back through this slot and disposed by the caller of registeredLoss.
let searchSide: { mseAll: tf.Tensor2D; idx: tf.Tensor1D } | null = null;
const searchAligned = tf.customGrad(((cropped: tf.Tensor4D, target: tf.Tensor4D) => {
  const { mseAll, idx, aligned } = tf.tidy(() => {
    const s = searchShifts(cropped, target);
    return { mseAll: s.mseAll, idx: s.idx, aligned: s.aligned };
  });
  searchSide = { mseAll: tf.keep(mseAll), idx: tf.keep(idx) };
  return { value: aligned, gradFunc: () => [tf.zerosLike(cropped), tf.zerosLike(target)] };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

function search(
  cropped: tf.Tensor4D,
  target: tf.Tensor4D,
): { aligned: tf.Tensor4D; mseAll: tf.Tensor2D; idx: tf.Tensor1D } {
  searchSide = null;
  const aligned = (searchAligned as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor4D)(cropped, target);
  const side = searchSide as { mseAll: tf.Tensor2D; idx: tf.Tensor1D } | null;
  if (!side) throw new SrnetError('UNSUPPORTED_KERNEL', 'registered loss: shift search produced no result');
  searchSide = null;
  return { aligned, ...side };
}

/**
 * Registered WorldStrat loss of a batch, as differentiable TF.js ops (use inside `tf.variableGrads`).
 *
 * @param prediction - ŷ, NHWC `[B, H, W, C]` (e.g. 2×156×156×3)
 * @param target - y, same shape (no gradient)
 * @param options - mode and weights
 * @returns batch loss scalar, per-sample metrics, shift indices. `shiftIndex` and `mseAllShifts` are not
 *   tracked by an enclosing `tf.tidy` (they come out of a custom-gradient op): dispose them yourself.
 * @throws SrnetError `BAD_INPUT_SHAPE` when shapes differ or H, W < 13
 * @example const { loss } = registeredLoss(model.forward(x, { training: true, rng }), y);
 */
export function registeredLoss(
  prediction: tf.Tensor4D,
  target: tf.Tensor4D,
  options: RegisteredLossOptions = {},
): RegisteredLossTensors {
  const fn = 'registeredLoss';
  checkTensor(fn, 'prediction', prediction, 4);
  checkTensor(fn, 'target', target, 4);
  options = checkOptions(fn, options, 'BAD_CONFIG');
  const mode = options.mode ?? 'worldstrat';
  if (mode !== 'worldstrat' && mode !== 'centered')
    throw new SrnetError('BAD_CONFIG', `mode ${showValue(mode)} is not 'worldstrat' or 'centered'`);
  if (options.kernel !== undefined && options.kernel !== 'upstream' && options.kernel !== 'lanczos3')
    argumentError(fn, 'options.kernel', "'upstream' or 'lanczos3'", options.kernel, 'BAD_CONFIG');
  const w = options.weights ?? WORLDSTRAT_LOSS_WEIGHTS;
  if (
    !isRecord(w) ||
    !['mse', 'mae', 'ssim'].every((k) => Number.isFinite((w as Record<string, unknown>)[k]))
  )
    argumentError(fn, 'options.weights', '{ mse, mae, ssim } finite numbers', w, 'BAD_CONFIG');
  if (prediction.shape.join() !== target.shape.join()) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `prediction [${prediction.shape}] and target [${target.shape}] differ; both must be NHWC [B, H, W, C]`,
    );
  }
  const [b, hh, ww, c] = prediction.shape;
  if (hh < LANCZOS_TAPS + 2 || ww < LANCZOS_TAPS + 2) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `images are ${hh}×${ww}; the registered loss needs at least ${LANCZOS_TAPS + 2}×${LANCZOS_TAPS + 2}`,
    );
  }
  activeVariant = options.kernel ?? (mode === 'worldstrat' ? 'upstream' : 'lanczos3');
  const off = WORLDSTRAT_CROP_OFFSET[mode];
  if (off === undefined)
    throw new SrnetError('BAD_CONFIG', `mode "${String(mode)}" is not 'worldstrat' or 'centered'`);
  const ho = hh - LANCZOS_TAPS + 1;
  const wo = ww - LANCZOS_TAPS + 1;
  // 1. bias correction on the full prediction, per sample and channel (gradient flows through the mean).
  const adjusted = tf.add(
    prediction,
    tf.mean(tf.mean(tf.sub(target, prediction), 1, true), 2, true),
  ) as tf.Tensor4D;
  const cropped = tf.slice(adjusted, [0, off, off, 0], [b, ho, wo, c]) as tf.Tensor4D;
  // 2. search: 81 shifted targets (constants), MSE of each; argmin (first on ties). Run inside customGrad so the
  //    tape records one node with a zero gradient instead of the 81-shift tensors (the min's gradient is the
  //    gradient at the chosen shift, which step 3 computes).
  const { aligned, mseAll, idx: shiftIndex } = search(cropped, target);
  // 3. metrics on the MSE-optimal pair (the min's gradient is the gradient at the chosen shift).
  const diff = tf.sub(cropped, aligned) as tf.Tensor4D;
  const mse = meanPerSample(tf.square(diff) as tf.Tensor4D);
  const mae = meanPerSample(tf.abs(diff) as tf.Tensor4D);
  const ssimLoss = ssimLossPerSample(cropped, aligned);
  const psnr = tf.mul(-10 / Math.LN10, tf.log(mse)) as tf.Tensor1D;
  const perLoss = tf.addN([tf.mul(w.mse, mse), tf.mul(w.mae, mae), tf.mul(w.ssim, ssimLoss)]) as tf.Tensor1D;
  return {
    loss: tf.mean(perLoss) as tf.Scalar,
    perSample: { mse, mae, ssimLoss, psnr, loss: perLoss },
    shiftIndex,
    mseAllShifts: mseAll,
  };
}

/** Free the cached kernel tensors (e.g. before switching backends in tests). */
export function disposeLossKernels(): void {
  if (!kernelCache) return;
  for (const t of [kernelCache.v, kernelCache.h, kernelCache.hd, kernelCache.g, kernelCache.gh])
    if (!t.isDisposed) t.dispose();
  kernelCache = null;
}
