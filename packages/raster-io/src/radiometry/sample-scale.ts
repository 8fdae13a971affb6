// The value scale of a raster: its sample type (integer DN or float reflectance) and the typical magnitude of its
// pixels, and which raster of a stack (a scene's revisits) is off the common scale. One normalisation or
// reflectance conversion serves a whole stack, so a uint16 DN revisit among float reflectance ones, or a float32
// file of DN among float32 reflectance, would enter a model 10⁴ off without these checks.

import { RasterIoError } from '../errors.js';
import { checkOptions, describeValue } from '../internal/check-args.js';

/**
 * What the scale helpers read of a raster: its bands (typed arrays, or arrays of numbers from JSON), its
 * `dtype` and `noData`. A {@link Raster} is one.
 */
export interface SampledRaster {
  bands: readonly ArrayLike<number>[];
  dtype?: string;
  noData?: number | null;
}

/** Options of {@link typicalMagnitude}. */
export interface TypicalMagnitudeOptions {
  /** 0-based bands to sample (default: every band). */
  bands?: readonly number[];
  /** Values beyond this magnitude are implausible and left out (default Infinity: none). */
  maxAbs?: number;
}

/** Where a stack mixes integer and float samples: the first raster off the usual kind. */
export interface SampleKindMismatch {
  /** The first raster whose kind (integer or float) differs from the usual one. */
  index: number;
  /** Its sample type. */
  sampleType: string;
  /** The sample type of the first raster of the usual kind. */
  expected: string;
  /** How many rasters are of the usual kind. */
  count: number;
}

/** Where a stack mixes value scales: the first raster whose typical magnitude is off the reference's. */
export interface MagnitudeMismatch {
  /** The first raster at least {@link SCALE_RATIO_LIMIT}× off the reference. */
  index: number;
  /** Its typical magnitude. */
  magnitude: number;
  /** The reference: the raster on the same scale as most others (ties: the first). */
  reference: number;
  /** The reference's typical magnitude. */
  referenceMagnitude: number;
}

/**
 * Typical magnitudes this far apart (or farther) are on different scales: DN vs reflectance differ ~10⁴, while
 * bright (cloud, ~1) and dark (water, ~0.005) reflectance stay within ~200×.
 */
export const SCALE_RATIO_LIMIT = 1000;

/** Pixels sampled per band (strided) by {@link typicalMagnitude}. */
const SAMPLES_PER_BAND = 2048;

/** Typed-array tags (realm-independent) → sample type. */
const TYPED_SAMPLE_TYPES: Readonly<Record<string, string>> = {
  '[object Uint8Array]': 'uint8',
  '[object Int8Array]': 'int8',
  '[object Uint16Array]': 'uint16',
  '[object Int16Array]': 'int16',
  '[object Uint32Array]': 'uint32',
  '[object Int32Array]': 'int32',
  '[object Float32Array]': 'float32',
  '[object Float64Array]': 'float64',
};

function invalid(message: string): never {
  throw new RasterIoError('INVALID_ARGUMENT', message);
}

/** A raster-shaped object: not an array or a typed array, with a `bands` array. */
function checkSampledRaster(fn: string, raster: unknown): SampledRaster {
  if (raster === null || typeof raster !== 'object' || Array.isArray(raster) || ArrayBuffer.isView(raster))
    invalid(`${fn}: raster must be a raster object with bands, got ${describeValue(raster)}`);
  const bands = (raster as { bands?: unknown }).bands;
  if (!Array.isArray(bands))
    invalid(`${fn}: raster.bands must be an array of bands, got ${describeValue(bands)}`);
  return raster as SampledRaster;
}

/** An array or a typed array (not a DataView): what a band may be. */
function isBand(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * The sample type of a raster: its first band array's element type when that is a typed array (`Uint16Array` →
 * `'uint16'`, `Float32Array` → `'float32'`, also `'int8'`), else its `dtype` (bands from JSON).
 *
 * @param raster - a raster (bands, optional dtype).
 * @returns `'uint8'`, `'int8'`, `'uint16'`, `'int16'`, `'uint32'`, `'int32'`, `'float32'`, `'float64'`, or the
 *   raster's `dtype` string; undefined when neither tells (plain-array bands and no string `dtype`).
 * @throws RasterIoError `INVALID_ARGUMENT` when `raster` is not an object with a `bands` array.
 * @example
 * rasterSampleType({ bands: [new Uint16Array(4)] }); // 'uint16'
 * rasterSampleType({ bands: [[0.1, 0.2]], dtype: 'float32' }); // 'float32'
 */
export function rasterSampleType(raster: SampledRaster): string | undefined {
  const r = checkSampledRaster('rasterSampleType', raster);
  const band = r.bands[0] as unknown;
  const typed = ArrayBuffer.isView(band)
    ? TYPED_SAMPLE_TYPES[Object.prototype.toString.call(band)]
    : undefined;
  return typed ?? (typeof r.dtype === 'string' ? r.dtype : undefined);
}

/**
 * The typical magnitude of a raster's values: the median |value| of a strided sample (about 2048 pixels per
 * band) of the valid, non-zero pixels of the chosen bands. NaN, ±Infinity, `noData`, values beyond `maxAbs` and
 * non-numbers (`null` in JSON bands) are not valid. Zeros are left out: fill pixels without a noData tag would pull
 * a DN raster's median to 0. The median of an even count is the upper middle value.
 *
 * @param raster - a raster (bands, optional noData).
 * @param options - `bands` (default all), `maxAbs` (default Infinity).
 * @returns the median magnitude, or undefined when no sampled pixel is valid.
 * @throws RasterIoError `INVALID_ARGUMENT` for a raster without a `bands` array, a band that is not an array,
 *   a band index out of range, a `maxAbs` that is not a positive number, a `noData` that is not a number.
 * @example
 * typicalMagnitude({ bands: [new Float32Array([0, 0.1, 0.2, 0.3])] }); // 0.2 (the zero is left out)
 */
export function typicalMagnitude(
  raster: SampledRaster,
  options?: TypicalMagnitudeOptions,
): number | undefined {
  const fn = 'typicalMagnitude';
  const r = checkSampledRaster(fn, raster);
  const o = checkOptions(fn, options);
  const maxAbs = o.maxAbs ?? Number.POSITIVE_INFINITY;
  if (typeof maxAbs !== 'number' || !(maxAbs > 0))
    invalid(
      `${fn}: options.maxAbs must be a positive number (Infinity: no bound), got ${describeValue(maxAbs)}`,
    );
  if (r.noData !== undefined && r.noData !== null && typeof r.noData !== 'number')
    invalid(`${fn}: raster.noData must be a number or null, got ${describeValue(r.noData)}`);
  const bands = o.bands ?? r.bands.map((_, b) => b);
  if (!Array.isArray(bands))
    invalid(`${fn}: options.bands must be an array of band indices, got ${describeValue(bands)}`);
  for (const b of bands)
    if (!Number.isSafeInteger(b) || b < 0 || b >= r.bands.length)
      invalid(`${fn}: band ${describeValue(b)} is not a band index in 0..${r.bands.length - 1}`);
  let room = 0;
  for (const b of bands) {
    const data = r.bands[b] as unknown;
    if (!isBand(data))
      invalid(`${fn}: raster.bands[${b}] must be an array or typed array, got ${describeValue(data)}`);
    room += Math.ceil(data.length / Math.max(1, Math.floor(data.length / SAMPLES_PER_BAND)));
  }
  const nd = r.noData === undefined || r.noData === null ? Number.NaN : r.noData; // NaN equals nothing
  const sample = new Float64Array(room);
  let n = 0;
  for (const b of bands) {
    const data = r.bands[b] as ArrayLike<unknown>;
    const step = Math.max(1, Math.floor(data.length / SAMPLES_PER_BAND));
    for (let p = 0; p < data.length; p += step) {
      const x = data[p];
      if (typeof x !== 'number') continue;
      const v = Math.abs(x);
      if (Number.isFinite(v) && v !== 0 && v <= maxAbs && x !== nd) sample[n++] = v;
    }
  }
  if (n === 0) return undefined;
  const sorted = sample.subarray(0, n).sort();
  return sorted[n >> 1];
}

/**
 * The first raster of a stack whose sample kind (integer DN or float reflectance) differs from the usual one:
 * the kind most rasters have (ties: the first raster's).
 *
 * @param sampleTypes - one sample type per raster ({@link rasterSampleType}); types starting with `float` are
 *   float, every other one integer.
 * @returns where the stack mixes kinds, or undefined when every raster is of one kind.
 * @throws RasterIoError `INVALID_ARGUMENT` when `sampleTypes` is not an array of strings.
 * @example
 * findSampleKindMismatch(['float32', 'uint16', 'float32']);
 * // { index: 1, sampleType: 'uint16', expected: 'float32', count: 2 }
 */
export function findSampleKindMismatch(sampleTypes: readonly string[]): SampleKindMismatch | undefined {
  const fn = 'findSampleKindMismatch';
  if (!Array.isArray(sampleTypes))
    invalid(`${fn}: sampleTypes must be an array of strings, got ${describeValue(sampleTypes)}`);
  for (const [i, t] of sampleTypes.entries())
    if (typeof t !== 'string') invalid(`${fn}: sampleTypes[${i}] must be a string, got ${describeValue(t)}`);
  const kinds: string[] = sampleTypes.map((t) => (t.startsWith('float') ? 'float' : 'integer'));
  const floats = kinds.filter((k) => k === 'float').length;
  if (floats === 0 || floats === kinds.length) return undefined;
  const usual =
    2 * floats === kinds.length ? (kinds[0] as string) : 2 * floats > kinds.length ? 'float' : 'integer';
  const index = kinds.findIndex((k) => k !== usual);
  return {
    index,
    sampleType: sampleTypes[index] as string,
    expected: sampleTypes[kinds.indexOf(usual)] as string,
    count: kinds.filter((k) => k === usual).length,
  };
}

/**
 * The first raster of a stack whose typical magnitude ({@link typicalMagnitude}) is {@link SCALE_RATIO_LIMIT}×
 * or more off the reference's: the raster on the same scale as the most others (ties: the first). Rasters without
 * a magnitude (no valid pixel) match every scale.
 *
 * @param magnitudes - one typical magnitude per raster (a positive number, or undefined/null for none).
 * @returns where the stack mixes scales, or undefined when every raster is on one scale.
 * @throws RasterIoError `INVALID_ARGUMENT` when `magnitudes` is not an array of positive finite numbers
 *   (undefined/null allowed).
 * @example
 * findMagnitudeMismatch([0.12, 1800, 0.09]); // { index: 1, magnitude: 1800, reference: 0, referenceMagnitude: 0.12 }
 */
export function findMagnitudeMismatch(
  magnitudes: readonly (number | undefined | null)[],
): MagnitudeMismatch | undefined {
  const fn = 'findMagnitudeMismatch';
  if (!Array.isArray(magnitudes))
    invalid(`${fn}: magnitudes must be an array of positive numbers, got ${describeValue(magnitudes)}`);
  const typical: (number | undefined)[] = magnitudes.map((m, i) => {
    if (m === undefined || m === null) return undefined;
    if (typeof m !== 'number' || !(m > 0) || !Number.isFinite(m))
      invalid(
        `${fn}: magnitudes[${i}] must be a positive finite number or undefined, got ${describeValue(m)}`,
      );
    return m;
  });
  const near = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || Math.max(a / b, b / a) < SCALE_RATIO_LIMIT;
  let reference = 0;
  let best = -1;
  for (const [i, t] of typical.entries()) {
    if (t === undefined) continue;
    const peers = typical.filter((u) => near(t, u)).length;
    if (peers > best) [reference, best] = [i, peers];
  }
  const index = typical.findIndex((t) => !near(t, typical[reference]));
  if (index < 0) return undefined;
  return {
    index,
    magnitude: typical[index] as number,
    reference,
    referenceMagnitude: typical[reference] as number,
  };
}
