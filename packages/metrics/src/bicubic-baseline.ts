import { JIF_S2_MEAN, JIF_S2_STD } from '@worldstrat/core';
import { biasAdjustPlanes } from './bias-adjust.js';
import type { RegistrationMode } from './constants.js';
import { MetricsError } from './errors.js';
import { bicubicResize } from './internal/bicubic-resize.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';
import { psnrFromMse } from './plain-metrics.js';
import { type RegisteredSampleMetrics, registeredMetrics } from './registered-metrics.js';

/** WorldStrat's Sentinel-2 normalisation "mean" per band B01…B12 (`JIF_S2_MEAN` of @worldstrat/core, float64). */
export const WORLDSTRAT_S2_MEAN: readonly number[] = JIF_S2_MEAN;
/** WorldStrat's Sentinel-2 normalisation "std" per band B01…B12 (`JIF_S2_STD` of @worldstrat/core). */
export const WORLDSTRAT_S2_STD: readonly number[] = JIF_S2_STD;

/** Options of {@link bicubicBaseline}. */
export interface BicubicBaselineOptions {
  /** Output size `[H, W]`; default `[156, 156]`. */
  size?: [number, number];
  /** LR channels to upsample, in output order; default `[3, 2, 1]` (B04, B03, B02) when C > 3, else all. */
  channels?: readonly number[];
  /** Revisit to upsample; default 0 (upstream uses revisit 0 only). */
  revisit?: number;
  /**
   * Per output channel normalisation mean; default the WorldStrat statistics of the selected channels' bands
   * (see {@link bicubicBaseline}), so `WORLDSTRAT_S2_MEAN[[3, 2, 1]]` for the default channels.
   */
  mean?: readonly number[];
  /** Per output channel normalisation std; default like `mean` (`WORLDSTRAT_S2_STD` of the selected bands). */
  std?: readonly number[];
  /**
   * `true`: upstream's baseline exactly (bug B7): the wrong inverse `(x + mean)·std`, then division by the
   * maximum over the whole batch, so a chip's baseline depends on the other chips in its batch.
   * `false` (default): the correct inverse `x·std + mean` (reflectance, the HR's units), per chip, no rescaling.
   */
  worldstratCompat?: boolean;
}

/**
 * WorldStrat's bicubic baseline (upstream's `BicubicUpscaledBaseline` model): take one revisit and the RGB
 * channels of normalised LR input, denormalise to reflectance, clamp to [0, 1] and upsample with PyTorch bicubic
 * (a = −0.75, align_corners False; the same kernel as raster-io's `resize`). With `worldstratCompat` it reproduces upstream's
 * wrong inverse and its division by the maximum over the **whole batch** (bug B7). Unless `mean`/`std` are given,
 * each selected channel is denormalised with its own band's WorldStrat statistics: channel i is band B01 + i in a
 * stack of more than 3 channels, and B04, B03, B02 in a stack of at most 3.
 *
 * @param lr - normalised LR stack, `[B, R, C, h, w]` (e.g. 2×8×12×50×50).
 * @param shape - `[B, R, C, h, w]`.
 * @param options - size, channels, revisit, mean/std, `worldstratCompat`.
 * @returns `{ data, shape: [B, channels, H, W] }`.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`,
 *   `DEGENERATE_INPUT` (compat only: batch maximum ≤ 0 or infinite after denormalising).
 * @example
 * ```ts
 * const base = bicubicBaseline(lr, [2, 8, 12, 50, 50], { worldstratCompat: true });
 * ```
 */
export function bicubicBaseline(
  lr: NumericArray,
  shape: readonly number[],
  options: BicubicBaselineOptions = {},
): { data: Float32Array; shape: [number, number, number, number] } {
  const fn = 'bicubicBaseline';
  const n = shapeSize(fn, shape, [5]);
  const [b, r, c, h, w] = shape;
  checkLength(fn, 'lr', lr, n, shape);
  checkFinite(fn, 'lr', lr);
  options = checkOptions(fn, options);
  const channels = checkChannels(fn, options.channels, c);
  const revisit = options.revisit ?? 0;
  if (!Number.isInteger(revisit) || revisit < 0 || revisit >= r) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: revisit ${describe(revisit)} is out of range for ${r} revisits`,
    );
  }
  const k = channels.length;
  const mean = checkPerChannel(fn, 'mean', options.mean, WORLDSTRAT_S2_MEAN, channels, c);
  const std = checkPerChannel(fn, 'std', options.std, WORLDSTRAT_S2_STD, channels, c);
  const [outH, outW] = checkSize(fn, options.size, b * k, h);
  const plane = h * w;
  const x = new Float32Array(b * k * plane);
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < b; s++) {
    for (let o = 0; o < k; o++) {
      const src = ((s * r + revisit) * c + channels[o]) * plane;
      const dst = (s * k + o) * plane;
      const m = mean[o];
      const sd = std[o];
      for (let i = 0; i < plane; i++) {
        const v = options.worldstratCompat ? (lr[src + i] + m) * sd : lr[src + i] * sd + m;
        if (Number.isNaN(v)) {
          throw new MetricsError(
            'NON_FINITE_INPUT',
            `${fn}: denormalising lr[${src + i}] with mean ${m} and std ${sd} overflows to NaN; check mean/std`,
          );
        }
        x[dst + i] = v;
        if (x[dst + i] > max) max = x[dst + i];
      }
    }
  }
  // Upstream divides by the batch maximum; the corrected baseline keeps reflectance as it is.
  if (!options.worldstratCompat) max = 1;
  else if (!(max > 0) || !Number.isFinite(max)) {
    throw new MetricsError(
      'DEGENERATE_INPUT',
      `${fn}: the denormalised batch maximum is ${max}; upstream divides by it, so it must be finite and > 0 (check mean/std)`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / max;
    x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  const data = bicubicResize(x, [b * k, h, w], [outH, outW]);
  return { data, shape: [b, k, outH, outW] };
}

function checkChannels(fn: string, value: unknown, c: number): readonly number[] {
  if (value == null) return c > 3 ? [3, 2, 1] : Array.from({ length: c }, (_, i) => i);
  if (!Array.isArray(value) || value.length === 0) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: channels must be a non-empty array of LR channel indices, got ${describe(value)}`,
    );
  }
  for (const [i, ch] of value.entries()) {
    if (!Number.isInteger(ch) || ch < 0 || ch >= c) {
      throw new MetricsError(
        'INVALID_OPTION',
        `${fn}: channels[${i}] = ${describe(ch)} is out of range for ${c} LR channels`,
      );
    }
  }
  return value;
}

/**
 * The Sentinel-2 band (index into B01…B12) of LR channel `ch` of a `c`-channel stack: a stack of more than 3
 * channels is WorldStrat's band order (channel i = band i, the order the default channels `[3, 2, 1]` assume);
 * a stack of at most 3 is the RGB stack B04, B03, B02 in that order. Undefined past B12.
 */
function s2BandOfChannel(ch: number, c: number): number | undefined {
  const band = c > 3 ? ch : [3, 2, 1][ch];
  return band !== undefined && band < WORLDSTRAT_S2_MEAN.length ? band : undefined;
}

/**
 * `mean`/`std`: one finite number per output channel (a string would be concatenated, not added); by default the
 * WorldStrat statistics of each selected channel's band, refused for a channel that has none.
 */
function checkPerChannel(
  fn: string,
  name: string,
  value: unknown,
  defaults: readonly number[],
  channels: readonly number[],
  c: number,
): readonly number[] {
  const k = channels.length;
  if (value == null)
    return channels.map((ch, i) => {
      const band = s2BandOfChannel(ch, c);
      if (band === undefined)
        throw new MetricsError(
          'INVALID_OPTION',
          `${fn}: channels[${i}] = ${ch} of a ${c}-channel LR stack has no WorldStrat statistics (known: channels 0..${Math.min(c, 12) - 1} as ${c > 3 ? 'B01…B12' : 'B04, B03, B02'}); pass options.mean and options.std for it`,
        );
      return defaults[band] as number;
    });
  if (!Array.isArray(value) || value.length !== k) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: ${name} needs one value per output channel (${k}), got ${describe(value)}`,
    );
  }
  for (const [i, v] of value.entries()) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MetricsError(
        'INVALID_OPTION',
        `${fn}: ${name}[${i}] must be a finite number, got ${describe(v)}`,
      );
    }
  }
  return value;
}

// Output samples one call may allocate (1 GiB of float32): far above any batch, far below a hostile size.
const MAX_OUTPUT_SAMPLES = 2 ** 28;

/** `size`: two positive integers whose output (and the width pass before it) fits {@link MAX_OUTPUT_SAMPLES}. */
function checkSize(fn: string, value: unknown, planes: number, inH: number): [number, number] {
  if (value == null) value = [156, 156];
  const [outH, outW] = Array.isArray(value) && value.length === 2 ? value : [Number.NaN, Number.NaN];
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: size must be two positive integers, got ${describe(value)}`,
    );
  }
  if (planes * Math.max(outH, inH) * outW > MAX_OUTPUT_SAMPLES) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: size ${outH}×${outW} for ${planes} planes exceeds ${MAX_OUTPUT_SAMPLES} output samples`,
    );
  }
  return [outH, outW];
}

/** Options of {@link scoreBicubicBaseline}. */
export interface ScoreBicubicBaselineOptions extends Omit<BicubicBaselineOptions, 'size'> {
  /** Registration mode of the scoring (default `'centered'`). */
  mode?: RegistrationMode;
}

/** Registered metrics of the baseline plus upstream's unregistered baseline PSNR. */
export interface BaselineSampleMetrics extends RegisteredSampleMetrics {
  /** `−10·log10(MSE(bias-adjusted baseline, y))` over the full chip, unregistered (upstream `PSNR_baseline`, B5). */
  psnrUnregistered: number;
}

/**
 * Scores the bicubic baseline against HR targets the way upstream logs it: baseline → bias adjustment →
 * registered cMSE / cMAE / SSIM loss (its own shift search), plus the unregistered `PSNR_baseline`.
 *
 * @param lr - normalised LR stack `[B, R, C, h, w]`.
 * @param lrShape - `[B, R, C, h, w]`.
 * @param target - HR targets `[B, C', H, W]` (C' = number of baseline channels, 3 by default).
 * @param targetShape - `[B, C', H, W]`.
 * @param options - {@link BicubicBaselineOptions} (size comes from the target) and `mode`.
 * @returns one {@link BaselineSampleMetrics} per sample.
 * @throws {@link MetricsError} as {@link bicubicBaseline} and {@link registeredMetrics}; `SHAPE_MISMATCH` when
 *   batch or channel counts differ.
 * @example
 * ```ts
 * const scores = scoreBicubicBaseline(lr, [2, 8, 12, 50, 50], hr, [2, 3, 156, 156], { mode: 'worldstrat', worldstratCompat: true });
 * ```
 */
export function scoreBicubicBaseline(
  lr: NumericArray,
  lrShape: readonly number[],
  target: NumericArray,
  targetShape: readonly number[],
  options: ScoreBicubicBaselineOptions = {},
): BaselineSampleMetrics[] {
  const fn = 'scoreBicubicBaseline';
  const n = shapeSize(fn, targetShape, [4]);
  checkLength(fn, 'target', target, n, targetShape);
  const [b, c, h, w] = targetShape;
  const { mode, ...baselineOptions } = checkOptions(fn, options);
  const base = bicubicBaseline(lr, lrShape, { ...baselineOptions, size: [h, w] });
  if (base.shape[0] !== b || base.shape[1] !== c) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: baseline is ${base.shape.join('×')} but the target is ${targetShape.join('×')}; batch and channels must match`,
    );
  }
  const registered = registeredMetrics(base.data, target, targetShape, { mode });
  checkFinite(fn, 'target', target);
  const sample = c * h * w;
  const adjusted = new Float64Array(sample);
  return registered.map((m, s) => {
    biasAdjustPlanes(base.data, target, s * sample, c, h * w, adjusted, 0);
    let sq = 0;
    for (let i = 0; i < sample; i++) {
      const d = adjusted[i] - target[s * sample + i];
      sq += d * d;
    }
    return { ...m, psnrUnregistered: psnrFromMse(sq / sample) };
  });
}
