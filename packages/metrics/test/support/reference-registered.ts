// Straightforward reference of the registered metrics: 81 full 11×11 valid correlations of the target (every
// shifted target materialised), MSE of each against the cropped bias-adjusted prediction, then MAE and a direct
// 2-D 5×5 reflect-padded SSIM on the best shift. No separability, no fusion. Used by the equivalence test and
// by the benchmark as the peer the fast implementation is measured against.
import {
  LANCZOS_TAPS,
  lanczosKernels1d,
  type RegistrationMode,
  SSIM_C1,
  SSIM_C2,
  SSIM_EPS,
  WORLDSTRAT_CROP_OFFSET,
  WORLDSTRAT_LOSS_WEIGHTS,
} from '../../src/index.js';

export interface ReferenceSample {
  mse: number;
  mae: number;
  ssimLoss: number;
  psnr: number;
  loss: number;
  shiftIndex: number;
  mseAllShifts: Float64Array;
}

function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

export function referenceRegisteredMetrics(
  prediction: Float32Array,
  target: Float32Array,
  shape: [number, number, number, number],
  mode: RegistrationMode = 'centered',
): ReferenceSample[] {
  const [B, C, H, W] = shape;
  const T = LANCZOS_TAPS;
  const { kernels } = lanczosKernels1d({ variant: mode === 'worldstrat' ? 'upstream' : 'lanczos3' });
  // 81 2-D kernels as float64 outer products of the same 1-D values the fast path uses.
  const k2d: Float64Array[] = [];
  for (let iy = 0; iy < 9; iy++)
    for (let ix = 0; ix < 9; ix++) {
      const k = new Float64Array(T * T);
      for (let a = 0; a < T; a++)
        for (let b = 0; b < T; b++) k[a * T + b] = kernels[iy * T + a] * kernels[ix * T + b];
      k2d.push(k);
    }
  const off = WORLDSTRAT_CROP_OFFSET[mode];
  const Ho = H - T + 1;
  const Wo = W - T + 1;
  // Normalised 5-tap Gaussian, σ = 1.5, float64 (kornia's window).
  const g = [-2, -1, 0, 1, 2].map((x) => Math.exp(-(x * x) / (2 * 1.5 * 1.5)));
  const gs = g.reduce((s, v) => s + v, 0);
  for (let i = 0; i < 5; i++) g[i] /= gs;
  const out: ReferenceSample[] = [];
  for (let s = 0; s < B; s++) {
    const adj = new Float64Array(C * H * W);
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * H * W;
      let sum = 0;
      for (let k = 0; k < H * W; k++) sum += target[base + k] - prediction[base + k];
      const bias = sum / (H * W);
      for (let k = 0; k < H * W; k++) adj[c * H * W + k] = prediction[base + k] + bias;
    }
    const shifted: Float64Array[] = [];
    const mseAll = new Float64Array(81);
    // The sample's target as float64 (one conversion, not one per multiply-add).
    const tgt = Float64Array.from(target.subarray(s * C * H * W, (s + 1) * C * H * W));
    for (let k = 0; k < 81; k++) {
      const ys = new Float64Array(C * Ho * Wo);
      const kk = k2d[k];
      let acc = 0;
      for (let c = 0; c < C; c++) {
        const tb = c * H * W;
        for (let i = 0; i < Ho; i++)
          for (let j = 0; j < Wo; j++) {
            let v = 0;
            for (let a = 0; a < T; a++) {
              const row = tb + (i + a) * W + j;
              const ka = a * T;
              for (let b = 0; b < T; b++) v += kk[ka + b] * tgt[row + b];
            }
            ys[(c * Ho + i) * Wo + j] = v;
            const d = adj[c * H * W + (i + off) * W + j + off] - v;
            acc += d * d;
          }
      }
      shifted.push(ys);
      mseAll[k] = acc / (C * Ho * Wo);
    }
    let best = 0;
    for (let k = 1; k < 81; k++) if (mseAll[k] < mseAll[best]) best = k;
    const ys = shifted[best];
    let absSum = 0;
    let lossSum = 0;
    for (let c = 0; c < C; c++) {
      const px = (i: number, j: number) => adj[c * H * W + (i + off) * W + j + off];
      const ty = (i: number, j: number) => ys[(c * Ho + i) * Wo + j];
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          absSum += Math.abs(px(i, j) - ty(i, j));
          let mx = 0;
          let my = 0;
          let xx = 0;
          let yy = 0;
          let xy = 0;
          for (let a = 0; a < 5; a++)
            for (let b = 0; b < 5; b++) {
              const w = g[a] * g[b];
              const ii = reflect(i + a - 2, Ho);
              const jj = reflect(j + b - 2, Wo);
              const xv = px(ii, jj);
              const yv = ty(ii, jj);
              mx += w * xv;
              my += w * yv;
              xx += w * xv * xv;
              yy += w * yv * yv;
              xy += w * xv * yv;
            }
          const num = (2 * mx * my + SSIM_C1) * (2 * (xy - mx * my) + SSIM_C2);
          const den = (mx * mx + my * my + SSIM_C1) * (xx - mx * mx + yy - my * my + SSIM_C2);
          const ssimV = num / (den + SSIM_EPS);
          lossSum += Math.min(1, Math.max(0, (1 - ssimV) / 2));
        }
    }
    const n = C * Ho * Wo;
    const mse = mseAll[best];
    const mae = absSum / n;
    const ssimLoss = lossSum / n;
    out.push({
      mse,
      mae,
      ssimLoss,
      psnr: -10 * Math.log10(mse),
      loss:
        WORLDSTRAT_LOSS_WEIGHTS.mse * mse +
        WORLDSTRAT_LOSS_WEIGHTS.mae * mae +
        WORLDSTRAT_LOSS_WEIGHTS.ssim * ssimLoss,
      shiftIndex: best,
      mseAllShifts: mseAll,
    });
  }
  return out;
}
