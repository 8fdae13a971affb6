// The prepared LR input of whole-scene inference: used revisits, normalisation and LR validity, and the cutting
// of normalised model input for any rectangle of the scene.
import type { Raster } from '@worldstrat/raster-io';
import { reflect } from './chip-grid.js';
import { bandNoData, markMissing } from './select-revisits.js';

/** What cutting model input needs: the used revisits' bands, fill rules and the folded normalisation. */
export interface SceneInput {
  width: number;
  height: number;
  /** Model input bands. */
  channels: number;
  /** Model revisit slots. */
  revisits: number;
  /** For each slot, the index into `src` of the revisit it holds, or −1 for a zero slot. */
  slotK: number[];
  /** Used revisits × model bands. */
  src: ArrayLike<number>[][];
  noData: Raster['noData'][];
  /** Per-band mean and std in raster units (reflectance conversion folded in). */
  mean: number[];
  std: number[];
  /** Larger |raw values| count as missing. */
  maxAbsRaw: number;
}

/** 1 per LR pixel where at least one used revisit has every used band. */
export function lrValidity(s: SceneInput): Uint8Array {
  const { width: W, height: H, channels: C, src, noData, maxAbsRaw } = s;
  const lrValid = new Uint8Array(W * H);
  const missing = new Uint8Array(W * H);
  for (let k = 0; k < src.length; k++) {
    missing.fill(0);
    for (let b = 0; b < C; b++)
      markMissing((src[k] as ArrayLike<number>[])[b], noData[k], maxAbsRaw, missing);
    for (let p = 0; p < W * H; p++) if (missing[p] === 0) lrValid[p] = 1;
  }
  return lrValid;
}

/**
 * Cut, fill and normalise the `w × h` region at (x0, y0) into `dst` from `base`, laid out (R, C, h, w).
 * Missing pixels take the mean of the revisits that have data there (the band mean when none has); pixels
 * beyond the scene edge are mirrored.
 */
export function fillRegion(
  s: SceneInput,
  dst: Float32Array,
  base: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
): void {
  const { width: W, height: H, channels: C, revisits: R, slotK, src, noData, mean, std, maxAbsRaw } = s;
  const n = src.length;
  const plane = w * h;
  const raw = new Float64Array(n * C);
  const valid = new Uint8Array(n);
  // per revisit and band, as markMissing reads it (float32 bands hold their noData rounded to float32)
  const nd = new Float64Array(n * C);
  for (let k = 0; k < n; k++)
    for (let b = 0; b < C; b++) nd[k * C + b] = bandNoData((src[k] as ArrayLike<number>[])[b], noData[k]);
  for (let yy = 0; yy < h; yy++) {
    const sy = reflect(y0 + yy, H);
    for (let xx = 0; xx < w; xx++) {
      const p = sy * W + reflect(x0 + xx, W);
      for (let k = 0; k < n; k++) {
        let ok = 1;
        const arrs = src[k] as ArrayLike<number>[];
        for (let b = 0; b < C; b++) {
          const v = (arrs[b] as ArrayLike<number>)[p] as number;
          raw[k * C + b] = v;
          if (!Number.isFinite(v) || Math.abs(v) > maxAbsRaw || v === nd[k * C + b]) ok = 0;
        }
        valid[k] = ok;
      }
      const off = yy * w + xx;
      for (let b = 0; b < C; b++) {
        let sum = 0;
        let cnt = 0;
        for (let k = 0; k < n; k++) {
          if (valid[k]) {
            sum += raw[k * C + b] as number;
            cnt++;
          }
        }
        const m = mean[b] as number;
        const sd = std[b] as number;
        const fill = cnt > 0 ? (sum / cnt - m) / sd : 0;
        for (let j = 0; j < R; j++) {
          const k = slotK[j] as number;
          const v = k < 0 ? 0 : valid[k] ? ((raw[k * C + b] as number) - m) / sd : fill;
          dst[base + (j * C + b) * plane + off] = v;
        }
      }
    }
  }
}
