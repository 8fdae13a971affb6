import { MetricsError } from './errors.js';
import {
  checkFinite,
  checkLength,
  checkOptions,
  describe,
  type NumericArray,
  shapeSize,
} from './internal/validate.js';
import { pccShift, warpTranslate } from './phase-correlation.js';

/** Options of {@link opensrAlign}. */
export interface OpensrAlignOptions {
  /** A registration whose translation norm exceeds this (px) is rejected (satalign `max_translations`); default 5. */
  maxTranslation?: number;
  /** Phase-correlation refinement, 1/upsampleFactor px; default 50. */
  upsampleFactor?: number;
}

/** Result of {@link opensrAlign}. */
export interface OpensrAlignResult {
  /** `moving` translated onto `reference` (a copy of `moving` when the registration was rejected). */
  aligned: Float64Array;
  /** The estimated `[dy, dx]`: `reference(y, x) ≈ moving(y − dy, x − dx)`. */
  shift: [number, number];
  /** `√(dx² + dy²)` in px: opensr-test's spatial error; `null` when rejected (opensr-test reports NaN). */
  translation: number | null;
  /** True when the translation norm exceeded `maxTranslation`; then no warp was applied. */
  rejected: boolean;
}

/** Options of {@link opensrHarmonize}. */
export interface OpensrHarmonizeOptions extends OpensrAlignOptions {
  /** Histogram-match each band of SR to HR (opensr-test `harm_apply_spectral`); default true. */
  spectral?: boolean;
  /** Register SR onto HR by phase correlation (`harm_apply_spatial`); default true. */
  spatial?: boolean;
}

/** Result of {@link opensrHarmonize}. */
export interface OpensrHarmonizeResult {
  /** The harmonised SR, C×H×W. */
  sr: Float64Array;
  /** The spatial registration, when `spatial` was on. */
  alignment: Omit<OpensrAlignResult, 'aligned'> | null;
}

// Keeps OpenCV's 1/1024-px fixed-point positions inside int32, as OpenCV itself requires.
const MAX_SIDE = 1 << 20;

/**
 * Matches the histogram of each band of `image` to the same band of `reference` (scikit-image's
 * `match_histograms` with a channel axis, float path): each distinct value of the image is mapped to the
 * reference value at the same cumulative quantile, interpolated linearly between the reference's distinct
 * values. The two images may differ in size but not in band count.
 *
 * @param image - C×H×W image to adjust.
 * @param reference - C×H'×W' image whose per-band distribution is the target.
 * @param imageShape - `[C, H, W]`.
 * @param referenceShape - `[C, H', W']`; defaults to `imageShape`.
 * @returns the matched image, C×H×W, float64.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`.
 * @example
 * ```ts
 * const matched = histogramMatch(sr, hr, [4, 256, 256]);
 * ```
 */
export function histogramMatch(
  image: NumericArray,
  reference: NumericArray,
  imageShape: readonly number[],
  referenceShape: readonly number[] = imageShape,
): Float64Array {
  const fn = 'histogramMatch';
  const n = shapeSize(fn, imageShape, [3]);
  const nRef = shapeSize(fn, referenceShape, [3]);
  if (imageShape[0] !== referenceShape[0]) {
    throw new MetricsError(
      'SHAPE_MISMATCH',
      `${fn}: image has ${imageShape[0]} bands, reference ${referenceShape[0]}; histograms are matched band by band`,
    );
  }
  checkLength(fn, 'image', image, n, imageShape);
  checkLength(fn, 'reference', reference, nRef, referenceShape);
  checkFinite(fn, 'image', image);
  checkFinite(fn, 'reference', reference);
  const c = imageShape[0];
  const plane = n / c;
  const refPlane = nRef / c;
  const out = new Float64Array(n);
  for (let k = 0; k < c; k++) {
    const src = Float64Array.from({ length: plane }, (_, i) => image[k * plane + i]);
    const tmpl = Float64Array.from({ length: refPlane }, (_, i) => reference[k * refPlane + i]);
    out.set(matchCumulativeCdf(src, tmpl), k * plane);
  }
  return out;
}

/** Distinct sorted values and their cumulative quantiles `cumsum(counts)/n` (numpy `unique`). */
function quantiles(sorted: Float64Array): { values: Float64Array; q: Float64Array } {
  const values: number[] = [];
  const q: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    values.push(sorted[i]);
    q.push((i + 1) / sorted.length);
  }
  return { values: Float64Array.from(values), q: Float64Array.from(q) };
}

/** numpy's `interp(x, xp, fp)` for increasing `xp`, evaluated like its C loop. */
function interp(x: number, xp: Float64Array, fp: Float64Array, start: number): { y: number; j: number } {
  const last = xp.length - 1;
  if (x < xp[0]) return { y: fp[0], j: 0 };
  if (x >= xp[last]) return { y: fp[last], j: last };
  let j = start;
  while (j < last && xp[j + 1] <= x) j++;
  if (x === xp[j]) return { y: fp[j], j };
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  if (Number.isFinite(slope)) return { y: slope * (x - xp[j]) + fp[j], j };
  // Values near ±1e308 overflow the slope; the weighted form stays finite between finite ends.
  const t = (x - xp[j]) / (xp[j + 1] - xp[j]);
  return { y: fp[j] * (1 - t) + fp[j + 1] * t, j };
}

function matchCumulativeCdf(source: Float64Array, template: Float64Array): Float64Array {
  const order = Uint32Array.from({ length: source.length }, (_, i) => i).sort(
    (a, b) => source[a] - source[b],
  );
  const sortedSrc = Float64Array.from(order, (i) => source[i]);
  const src = quantiles(sortedSrc);
  const tmpl = quantiles(Float64Array.from(template).sort());
  // Source quantiles increase, so the search into the template's quantiles only moves forward.
  const mapped = new Float64Array(src.values.length);
  let j = 0;
  for (let u = 0; u < mapped.length; u++) {
    const r = interp(src.q[u], tmpl.q, tmpl.values, j);
    mapped[u] = r.y;
    j = r.j;
  }
  const out = new Float64Array(source.length);
  let u = 0;
  for (let i = 0; i < order.length; i++) {
    if (i > 0 && sortedSrc[i] !== sortedSrc[i - 1]) u++;
    out[order[i]] = mapped[u];
  }
  return out;
}

/** satalign's alignment feature: the mean of bands [3, 2, 1] when there are more than 3, else of all bands. */
function alignmentLayer(data: NumericArray, c: number, plane: number): Float64Array {
  const bands = c > 3 ? [3, 2, 1] : Array.from({ length: c }, (_, k) => k);
  const out = new Float64Array(plane);
  for (let i = 0; i < plane; i++) {
    let s = 0;
    for (const k of bands) s += data[k * plane + i];
    out[i] = s / bands.length;
  }
  return out;
}

/** Validated alignment options and the public function they came from (for error messages). */
export interface AlignParams {
  fn: string;
  max: number;
  upsample: number;
}

function checkAlignOptions(fn: string, options: OpensrAlignOptions | undefined): AlignParams {
  const o = checkOptions(fn, options);
  const max = o.maxTranslation ?? 5;
  const upsample = o.upsampleFactor ?? 50;
  if (typeof max !== 'number' || !(max >= 0) || !Number.isFinite(max)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: maxTranslation must be a finite number ≥ 0, got ${describe(max)}`,
    );
  }
  if (!Number.isInteger(upsample) || upsample < 1 || upsample > 1000) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: upsampleFactor must be an integer in 1..1000, got ${describe(upsample)}`,
    );
  }
  return { fn, max, upsample };
}

/** A harmonisation switch: absent means on; anything but a boolean is refused (`'no'` would read as on). */
export function checkSwitch(fn: string, name: string, value: unknown): boolean {
  if (value == null) return true;
  if (typeof value !== 'boolean') {
    throw new MetricsError('INVALID_OPTION', `${fn}: ${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** The unchecked core of {@link opensrAlign}. */
export function alignTo(
  moving: NumericArray,
  reference: NumericArray,
  c: number,
  h: number,
  w: number,
  opts: AlignParams,
): OpensrAlignResult {
  const plane = h * w;
  const [dy, dx] = pccShift(
    opts.fn,
    alignmentLayer(reference, c, plane),
    alignmentLayer(moving, c, plane),
    h,
    w,
    opts.upsample,
  );
  // satalign stores the shift in a float32 warp matrix.
  const tx = Math.fround(dx);
  const ty = Math.fround(dy);
  const norm = Math.sqrt(tx * tx + ty * ty);
  if (Math.fround(norm) > opts.max) {
    return { aligned: Float64Array.from(moving), shift: [dy, dx], translation: null, rejected: true };
  }
  return {
    aligned: warpTranslate(moving, c, h, w, tx, ty),
    shift: [dy, dx],
    translation: norm,
    rejected: false,
  };
}

/**
 * Registers `moving` onto `reference` like opensr-test's `SpatialMetricAlign` with its default method
 * (`'pcc'`: satalign's phase cross-correlation): both images are reduced to one feature band (the mean of
 * bands 3, 2, 1 when there are more than three, else of all bands), the sub-pixel shift is found by phase
 * correlation, a shift longer than `maxTranslation` is rejected, and `moving` is translated with OpenCV's
 * bilinear `warpAffine` (1/32-px positions, replicated border). The translation norm is opensr-test's
 * spatial error.
 *
 * @param moving - C×H×W image to register.
 * @param reference - C×H×W reference.
 * @param shape - `[C, H, W]`.
 * @param options - `maxTranslation` (default 5 px), `upsampleFactor` (default 50).
 * @returns the aligned image, the shift, the translation norm (null when rejected) and the rejection flag.
 * @throws {@link MetricsError} `INVALID_SHAPE` (also a side over 2^20 px), `SHAPE_MISMATCH`, `NON_FINITE_INPUT`,
 *   `INVALID_OPTION`.
 * @example
 * ```ts
 * const { aligned, translation } = opensrAlign(sr, hr, [3, 256, 256]);
 * ```
 */
export function opensrAlign(
  moving: NumericArray,
  reference: NumericArray,
  shape: readonly number[],
  options: OpensrAlignOptions = {},
): OpensrAlignResult {
  const fn = 'opensrAlign';
  const n = shapeSize(fn, shape, [3]);
  const [c, h, w] = shape;
  checkSide(fn, h, w);
  checkLength(fn, 'moving', moving, n, shape);
  checkLength(fn, 'reference', reference, n, shape);
  checkFinite(fn, 'moving', moving);
  checkFinite(fn, 'reference', reference);
  return alignTo(moving, reference, c, h, w, checkAlignOptions(fn, options));
}

export function checkSide(fn: string, h: number, w: number): void {
  if (h > MAX_SIDE || w > MAX_SIDE) {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: ${h}×${w} is outside the registration's range (sides up to ${MAX_SIDE} px); score tiles instead`,
    );
  }
}

/** Validated alignment options, for the opensr-test entry points. */
export function alignOptions(fn: string, o: OpensrAlignOptions): AlignParams {
  return checkAlignOptions(fn, o);
}

/**
 * opensr-test's SR harmonisation (`Metrics.sr_harm_setup`): histogram-match SR to HR band by band
 * (`spectral`), then register the result onto HR with {@link opensrAlign} (`spatial`). It removes the
 * systematic radiometric and geometric error before the correctness scores.
 *
 * @param sr - SR image, C×H×W.
 * @param hr - HR reference, C×H×W.
 * @param shape - `[C, H, W]`.
 * @param options - `spectral`, `spatial` (both default true), `maxTranslation`, `upsampleFactor`.
 * @returns the harmonised SR and the registration details.
 * @throws {@link MetricsError} `INVALID_SHAPE`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_OPTION`.
 * @example
 * ```ts
 * const { sr: srHarm, alignment } = opensrHarmonize(sr, hr, [4, 256, 256]);
 * ```
 */
export function opensrHarmonize(
  sr: NumericArray,
  hr: NumericArray,
  shape: readonly number[],
  options: OpensrHarmonizeOptions = {},
): OpensrHarmonizeResult {
  const fn = 'opensrHarmonize';
  const n = shapeSize(fn, shape, [3]);
  const [c, h, w] = shape;
  checkSide(fn, h, w);
  checkLength(fn, 'sr', sr, n, shape);
  checkLength(fn, 'hr', hr, n, shape);
  checkFinite(fn, 'sr', sr);
  checkFinite(fn, 'hr', hr);
  const o = checkOptions(fn, options);
  const opts = checkAlignOptions(fn, o);
  const spectral = checkSwitch(fn, 'spectral', o.spectral);
  return harmonize(sr, hr, c, h, w, spectral, checkSwitch(fn, 'spatial', o.spatial), opts);
}

/** The unchecked core of {@link opensrHarmonize}. */
export function harmonize(
  sr: NumericArray,
  hr: NumericArray,
  c: number,
  h: number,
  w: number,
  spectral: boolean,
  spatial: boolean,
  opts: AlignParams,
): OpensrHarmonizeResult {
  const shape = [c, h, w];
  let out: Float64Array = spectral ? histogramMatch(sr, hr, shape) : Float64Array.from(sr);
  let alignment: OpensrHarmonizeResult['alignment'] = null;
  if (spatial) {
    const { aligned, ...rest } = alignTo(out, hr, c, h, w, opts);
    out = aligned;
    alignment = rest;
  }
  return { sr: out, alignment };
}
