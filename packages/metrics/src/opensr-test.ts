import { MetricsError } from './errors.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  checkScore,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';
import {
  checkOpensrDistance,
  imageDistance,
  nanMean,
  type OpensrAggregation,
  type OpensrDistance,
  pixelDistance,
  resizeAntialiasBilinear,
} from './opensr-distance.js';
import {
  type AlignParams,
  alignOptions,
  alignTo,
  checkSide,
  checkSwitch,
  harmonize,
  type OpensrAlignOptions,
  type OpensrAlignResult,
} from './opensr-harmonize.js';

/** opensr-test's defaults: 16-px border mask, λ = 0.05 for all three scores, softmin temperature 0.25. */
export const OPENSR_DEFAULTS = Object.freeze({
  borderMask: 16,
  imScore: 0.05,
  omScore: 0.05,
  haScore: 0.05,
  temperature: 0.25,
} as const);

/** Options of {@link opensrConsistency}. */
export interface OpensrConsistencyOptions extends OpensrAlignOptions {
  /** Distance of the reflectance consistency; default `'l1'`. */
  reflectanceDistance?: OpensrDistance | 'fd';
  /** `'pixel'` (default) or `'image'`. */
  aggregation?: OpensrAggregation;
  /** HR pixels cropped off each side before scoring (LR: `borderMask / scale`); default 16. */
  borderMask?: number;
  /** The three bands registered for the spatial consistency when there are ≥ 3 (else band 0); default [0, 1, 2]. */
  rgbBands?: readonly [number, number, number];
}

/** Result of {@link opensrConsistency}. */
export interface OpensrConsistencyResult {
  /** nanmean of the reflectance distance between LR and SR brought onto the LR grid. */
  reflectance: number;
  /** nanmean of the spectral angle (degrees) between LR and SR on the LR grid. */
  spectral: number;
  /**
   * Spatial consistency: the length (LR px) of the translation that registers LR onto SR-on-the-LR-grid by
   * phase correlation. `null` when the registration was rejected (longer than `maxTranslation`; opensr-test
   * reports NaN).
   */
  spatial: number | null;
  /** The estimated `[dy, dx]` (LR px), also when rejected. */
  spatialShift: [number, number];
  /** The integer scale HR/LR. */
  scale: number;
}

/** Options of {@link opensrCorrectness}. */
export interface OpensrCorrectnessOptions extends OpensrAlignOptions {
  /**
   * opensr-test's SR harmonisation before scoring (`harm_apply_spectral`, `harm_apply_spatial`): histogram
   * matching of SR to HR, then a phase-correlation registration onto HR. Default `true` (both, as
   * opensr-test); `false` scores SR as given.
   */
  harmonize?: boolean | { spectral?: boolean; spatial?: boolean };
  /** Distance of the correctness scores; default `'nd'` (normalised difference). */
  distance?: OpensrDistance | 'fd';
  /**
   * Pixels where LR→HR, SR→HR and SR→LR distances all stay at or below this are ignored. A number, or
   * `'autoNN'` = the NN-th percentile of the LR→HR distance (`'auto'` = `'auto75'`, opensr-test's default).
   */
  gradientThreshold?: number | string;
  /** λ of the improvement, omission and hallucination scores; default 0.05 each. */
  imScore?: number;
  omScore?: number;
  haScore?: number;
  /** Softmin temperature; default 0.25. */
  temperature?: number;
  /** `'softmin'` (default): mean soft memberships; `'percent'`: fraction of pixels classified into each. */
  norm?: 'softmin' | 'percent';
  /** HR pixels cropped off each side before scoring; default 16. */
  borderMask?: number;
}

/** Result of {@link opensrCorrectness}. */
export interface OpensrCorrectnessResult {
  /** opensr-test's `im_metric`. */
  improvement: number;
  /** `om_metric`. */
  omission: number;
  /** `ha_metric`. */
  hallucination: number;
  /** The gradient threshold used (resolved from `'autoNN'`). */
  threshold: number;
  /** Pixels above the threshold (the ones scored). */
  scoredPixels: number;
  /** Per HR pixel (after the border crop): 0 improvement, 1 omission, 2 hallucination, 255 not scored. */
  classification: Uint8Array;
  /** The registration of SR onto HR (HR px) when spatial harmonisation ran, else null. */
  alignment: Omit<OpensrAlignResult, 'aligned'> | null;
}

interface Triplet {
  c: number;
  scale: number;
  lr: { data: NumericArray; h: number; w: number };
  hr: { h: number; w: number };
}

/** Validates an LR/HR shape pair and returns the channel count and integer scale. */
function checkPair(
  fn: string,
  lrShape: readonly number[],
  hrShape: readonly number[],
): { c: number; scale: number } {
  shapeSize(fn, lrShape, [3]);
  shapeSize(fn, hrShape, [3]);
  if (lrShape[0] !== hrShape[0]) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: LR has ${lrShape[0]} channels, SR/HR ${hrShape[0]}; pass the same bands`,
    );
  }
  const scale = hrShape[2] / lrShape[2];
  if (!Number.isInteger(scale) || hrShape[1] / lrShape[1] !== scale) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: HR ${hrShape[1]}×${hrShape[2]} is not an integer multiple of LR ${lrShape[1]}×${lrShape[2]}`,
    );
  }
  return { c: lrShape[0], scale };
}

/** Crops `border` px off each side of a C×H×W image (opensr-test's `apply_mask`). */
function cropBorder(
  fn: string,
  data: NumericArray,
  c: number,
  h: number,
  w: number,
  border: number,
): { data: NumericArray; h: number; w: number } {
  if (border === 0) return { data, h, w };
  const oh = h - 2 * border;
  const ow = w - 2 * border;
  if (oh < 1 || ow < 1) {
    throw new MetricsError(
      'IMAGE_TOO_SMALL',
      `${fn}: a ${h}×${w} image leaves nothing after a ${border}-px border mask`,
    );
  }
  const out = new Float64Array(c * oh * ow);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++)
        out[k * oh * ow + i * ow + j] = data[k * h * w + (i + border) * w + j + border];
    }
  }
  return { data: out, h: oh, w: ow };
}

function checkBorder(fn: string, border: number): number {
  if (!Number.isInteger(border) || border < 0) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: borderMask must be an integer ≥ 0, got ${describe(border)}`,
    );
  }
  return border;
}

function checkPositive(fn: string, name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: ${name} must be a finite number > 0, got ${describe(v)}`,
    );
  }
  return v;
}

/**
 * opensr-test's reflectance and spectral consistency (`Metrics.consistency`): crop the border mask, bring SR onto
 * the LR grid with PyTorch's antialiased bilinear kernel, then average the reflectance distance (default L1)
 * and the spectral angle (degrees) between LR and that SR. Lower is better; 0 means SR downsamples to LR.
 * The spatial consistency registers the LR bands `rgbBands` onto the same bands of the downsampled SR with
 * opensr-test's default aligner (satalign's phase cross-correlation, see {@link opensrAlign}) and reports the
 * translation length in LR pixels.
 *
 * @param lr - LR image, C×h×w.
 * @param sr - SR image, C×H×W with H = s·h, W = s·w.
 * @param lrShape - `[C, h, w]`.
 * @param srShape - `[C, H, W]`.
 * @param options - `reflectanceDistance`, `aggregation`, `borderMask`, `rgbBands`, `maxTranslation`, `upsampleFactor`.
 * @returns `{ reflectance, spectral, spatial, spatialShift, scale }`.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`,
 *   `IMAGE_TOO_SMALL`, `DEGENERATE_INPUT` (every pixel gives NaN, e.g. all-zero spectra).
 * @example
 * ```ts
 * const { reflectance, spectral, spatial } = opensrConsistency(lr, sr, [4, 64, 64], [4, 256, 256]);
 * ```
 */
export function opensrConsistency(
  lr: NumericArray,
  sr: NumericArray,
  lrShape: readonly number[],
  srShape: readonly number[],
  options: OpensrConsistencyOptions = {},
): OpensrConsistencyResult {
  const fn = 'opensrConsistency';
  options = checkOptions(fn, options);
  const t = prepareTriplet(fn, lr, sr, null, lrShape, srShape, checkBorder(fn, options.borderMask ?? 16));
  const method = checkOpensrDistance(fn, options.reflectanceDistance ?? 'l1');
  const agg = checkAggregation(fn, options.aggregation ?? 'pixel');
  const align = alignOptions(fn, options);
  const bands = checkRgbBands(fn, options.rgbBands ?? [0, 1, 2], t.c);
  checkSide(fn, t.lr.h, t.lr.w);
  const down = resizeAntialiasBilinear(t.sr.data, t.c, t.sr.h, t.sr.w, 1 / t.scale);
  const n = t.lr.h * t.lr.w;
  const score = (m: OpensrDistance): number =>
    agg === 'image'
      ? imageDistance(m, t.lr.data, down.data, t.c * n)
      : nanMean(pixelDistance(m, t.lr.data, down.data, t.c, n));
  const reflectance = score(method);
  const spectral = score('sad');
  if (Number.isNaN(reflectance) || Number.isNaN(spectral)) {
    throw new MetricsError('DEGENERATE_INPUT', `${fn}: every pixel gives NaN (all-zero spectra?)`);
  }
  checkScore(fn, 'reflectance consistency', reflectance);
  const n1 = t.lr.h * t.lr.w;
  const reg = alignTo(
    pickBands(t.lr.data, bands, n1),
    pickBands(down.data, bands, n1),
    bands.length,
    t.lr.h,
    t.lr.w,
    align,
  );
  return { reflectance, spectral, spatial: reg.translation, spatialShift: reg.shift, scale: t.scale };
}

/** opensr-test's `rgb_bands` selection: those three bands when C ≥ 3, else band 0. */
function checkRgbBands(fn: string, bands: readonly number[], c: number): number[] {
  if (c < 3) return [0];
  if (
    !Array.isArray(bands) ||
    bands.length !== 3 ||
    bands.some((b) => !Number.isInteger(b) || b < 0 || b >= c)
  ) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: rgbBands must be three band indices in 0..${c - 1}, got ${describe(bands)}`,
    );
  }
  return [...bands];
}

function pickBands(data: NumericArray, bands: readonly number[], plane: number): Float64Array {
  const out = new Float64Array(bands.length * plane);
  bands.forEach((b, k) => {
    for (let i = 0; i < plane; i++) out[k * plane + i] = data[b * plane + i];
  });
  return out;
}

function checkAggregation(fn: string, agg: string): OpensrAggregation {
  if (agg !== 'pixel' && agg !== 'image') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: aggregation must be 'pixel' or 'image', got ${describe(agg)}`,
    );
  }
  return agg;
}

/** Validates LR/SR(/HR) and crops the border masks. */
function prepareTriplet(
  fn: string,
  lr: NumericArray,
  sr: NumericArray,
  hr: NumericArray | null,
  lrShape: readonly number[],
  hrShape: readonly number[],
  border: number,
): Triplet & { sr: { data: NumericArray; h: number; w: number }; hrData: NumericArray | null } {
  const { c, scale } = checkPair(fn, lrShape, hrShape);
  checkLength(fn, 'lr', lr, lrShape[0] * lrShape[1] * lrShape[2], lrShape);
  const nHr = hrShape[0] * hrShape[1] * hrShape[2];
  checkLength(fn, 'sr', sr, nHr, hrShape);
  if (hr) checkLength(fn, 'hr', hr, nHr, hrShape);
  checkFinite(fn, 'lr', lr);
  checkFinite(fn, 'sr', sr);
  if (hr) checkFinite(fn, 'hr', hr);
  const lrC = cropBorder(fn, lr, c, lrShape[1], lrShape[2], Math.floor(border / scale));
  const srC = cropBorder(fn, sr, c, hrShape[1], hrShape[2], border);
  const hrC = hr ? cropBorder(fn, hr, c, hrShape[1], hrShape[2], border) : null;
  return { c, scale, lr: lrC, sr: srC, hr: { h: srC.h, w: srC.w }, hrData: hrC ? hrC.data : null };
}

/**
 * opensr-test's correctness scores (`Metrics.correctness`): improvement, omission and hallucination. LR is
 * brought onto the HR grid (antialiased bilinear); per HR pixel the distances d_ref = d(LR↑, HR),
 * d_im = d(SR, HR) and d_om = d(SR, LR↑) are taken; pixels where all three stay ≤ the gradient threshold are
 * dropped; with the ratios D_im = d_im/d_ref and D_om = d_om/d_ref and H = D_im + D_om − 1:
 * improvement = D_im + D_om·(1 − e^{−λ_im·H}), omission = D_om + D_im·(1 − e^{−λ_om·H}),
 * hallucination = e^{−λ_ha·D_im·D_om}; a softmin with temperature T turns the three into memberships, and
 * the scores are their means (`norm: 'softmin'`) or the fractions of pixels whose smallest score is each
 * (`'percent'`).
 *
 * As in opensr-test, SR is first harmonised to HR after the border mask (`harmonize`, default on: band-wise
 * histogram matching, then a phase-correlation registration, see {@link opensrHarmonize}); `harmonize: false`
 * scores SR as given (`harm_apply_spectral=False, harm_apply_spatial=False`).
 *
 * @param lr - LR image, C×h×w.
 * @param sr - SR image, C×H×W.
 * @param hr - HR reference, C×H×W.
 * @param lrShape - `[C, h, w]`.
 * @param hrShape - `[C, H, W]` (shared by SR and HR).
 * @param options - distance, threshold, λs, temperature, norm, border mask, harmonisation.
 * @returns the three scores, the threshold used, the scored pixel count, the per-pixel classes and the
 *   registration of SR onto HR.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`,
 *   `IMAGE_TOO_SMALL`, `DEGENERATE_INPUT` (no pixel above the threshold, or only pixels whose scores are 0/0).
 * @example
 * ```ts
 * const { improvement, omission, hallucination } = opensrCorrectness(lr, sr, hr, [4, 64, 64], [4, 256, 256]);
 * ```
 */
export function opensrCorrectness(
  lr: NumericArray,
  sr: NumericArray,
  hr: NumericArray,
  lrShape: readonly number[],
  hrShape: readonly number[],
  options: OpensrCorrectnessOptions = {},
): OpensrCorrectnessResult {
  const fn = 'opensrCorrectness';
  const params = correctnessParams(fn, checkOptions(fn, options));
  const t = prepareTriplet(fn, lr, sr, hr, lrShape, hrShape, params.border);
  const up = resizeAntialiasBilinear(t.lr.data, t.c, t.lr.h, t.lr.w, t.scale);
  if (up.h !== t.hr.h || up.w !== t.hr.w) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: LR on the HR grid is ${up.h}×${up.w} but HR after the border mask is ${t.hr.h}×${t.hr.w}; use a border mask divisible by the scale`,
    );
  }
  const n = t.hr.h * t.hr.w;
  const hrData = t.hrData as NumericArray;
  const h = params.harmonize;
  const harm =
    h.spectral || h.spatial
      ? harmonize(t.sr.data, hrData, t.c, t.hr.h, t.hr.w, h.spectral, h.spatial, params.align)
      : { sr: t.sr.data, alignment: null };
  const dRef = pixelDistance(params.distance, up.data, hrData, t.c, n);
  const dIm = pixelDistance(params.distance, harm.sr, hrData, t.c, n);
  const dOm = pixelDistance(params.distance, harm.sr, up.data, t.c, n);
  const threshold = resolveThreshold(fn, params.threshold, dRef);
  return { ...scoreCorrectness(fn, dRef, dIm, dOm, threshold, params), alignment: harm.alignment };
}

interface CorrectnessParams {
  distance: OpensrDistance;
  threshold: number | string;
  im: number;
  om: number;
  ha: number;
  temperature: number;
  norm: 'softmin' | 'percent';
  border: number;
  harmonize: { spectral: boolean; spatial: boolean };
  align: AlignParams;
}

function correctnessParams(fn: string, o: OpensrCorrectnessOptions): CorrectnessParams {
  const norm = o.norm ?? 'softmin';
  if (norm !== 'softmin' && norm !== 'percent') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: norm must be 'softmin' or 'percent', got ${describe(norm)}`,
    );
  }
  return {
    distance: checkOpensrDistance(fn, o.distance ?? 'nd'),
    threshold: o.gradientThreshold ?? 'auto',
    im: checkPositive(fn, 'imScore', o.imScore ?? OPENSR_DEFAULTS.imScore),
    om: checkPositive(fn, 'omScore', o.omScore ?? OPENSR_DEFAULTS.omScore),
    ha: checkPositive(fn, 'haScore', o.haScore ?? OPENSR_DEFAULTS.haScore),
    temperature: checkPositive(fn, 'temperature', o.temperature ?? OPENSR_DEFAULTS.temperature),
    norm,
    border: checkBorder(fn, o.borderMask ?? OPENSR_DEFAULTS.borderMask),
    harmonize: harmonizeFlags(fn, o.harmonize ?? true),
    align: alignOptions(fn, o),
  };
}

function harmonizeFlags(
  fn: string,
  h: boolean | { spectral?: boolean; spatial?: boolean },
): { spectral: boolean; spatial: boolean } {
  if (typeof h === 'boolean') return { spectral: h, spatial: h };
  if (h === null || typeof h !== 'object') {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: harmonize must be a boolean or { spectral?, spatial? }, got ${describe(h)}`,
    );
  }
  return {
    spectral: checkSwitch(fn, 'harmonize.spectral', h.spectral),
    spatial: checkSwitch(fn, 'harmonize.spatial', h.spatial),
  };
}

/** A number, or `'autoNN'`: the k-th smallest d_ref with k = ⌊NN/100 · n⌋ (torch `kthvalue`, 1-based). */
function resolveThreshold(fn: string, spec: number | string, dRef: Float64Array): number {
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec)) {
      throw new MetricsError('INVALID_OPTION', `${fn}: gradientThreshold must be finite, got ${spec}`);
    }
    return spec;
  }
  const m = typeof spec === 'string' ? /^auto(\d{1,3})?$/.exec(spec) : null;
  const pct = m ? Number(m[1] ?? 75) : Number.NaN;
  const k = Math.floor((pct / 100) * dRef.length);
  if (!m || pct > 100 || k < 1) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: gradientThreshold must be a number, 'auto' or 'autoNN' (NN in 1..100, enough pixels), got ${describe(spec)}`,
    );
  }
  const sorted = Float64Array.from(dRef).sort();
  return sorted[k - 1];
}

/** The relative distances, the three scores, the softmin and the aggregation. */
function scoreCorrectness(
  fn: string,
  dRef: Float64Array,
  dIm: Float64Array,
  dOm: Float64Array,
  threshold: number,
  p: CorrectnessParams,
): Omit<OpensrCorrectnessResult, 'alignment'> {
  const n = dRef.length;
  const classification = new Uint8Array(n).fill(255);
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  let scored = 0;
  for (let i = 0; i < n; i++) {
    if (!(dRef[i] > threshold || dIm[i] > threshold || dOm[i] > threshold)) continue;
    scored++;
    const ri = dIm[i] / dRef[i];
    const ro = dOm[i] / dRef[i];
    const h = ri + ro - 1;
    const scores = [
      ri + ro * (1 - Math.exp(-h * p.im)),
      ro + ri * (1 - Math.exp(-h * p.om)),
      Math.exp(-ri * ro * p.ha),
    ];
    const e = scores.map((s) => Math.exp(-s / p.temperature));
    const total = e[0] + e[1] + e[2];
    let best = 0;
    for (let k = 0; k < 3; k++) {
      const m = e[k] / total;
      if (!Number.isNaN(m)) {
        sums[k] += m;
        counts[k]++;
      }
      // argmax in torch/numpy picks the first NaN, else the first maximum.
      const mb = e[best] / total;
      if (!Number.isNaN(mb) && (Number.isNaN(m) || m > mb)) best = k;
    }
    classification[i] = best;
  }
  if (scored === 0) {
    throw new MetricsError(
      'DEGENERATE_INPUT',
      `${fn}: no pixel has a distance above the gradient threshold ${threshold}; nothing to score`,
    );
  }
  const stat = (k: number): number => {
    if (p.norm === 'softmin') {
      // Every scored pixel gave NaN memberships (0/0 distance ratios): there is no score to report.
      if (counts[k] === 0) {
        throw new MetricsError(
          'DEGENERATE_INPUT',
          `${fn}: every scored pixel has zero LR→HR and SR→LR distances, so the softmin scores are undefined`,
        );
      }
      return sums[k] / counts[k];
    }
    let c = 0;
    for (const v of classification) if (v === k) c++;
    return c / scored;
  };
  return {
    improvement: stat(0),
    omission: stat(1),
    hallucination: stat(2),
    threshold,
    scoredPixels: scored,
    classification,
  };
}
