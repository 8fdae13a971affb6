// Sentinel-2 processing baseline ≥ 04.00 harmonisation (BOA_ADD_OFFSET / RADIO_ADD_OFFSET = −1000).

import { RasterIoError } from '../errors.js';
import { checkOptions, checkRaster, describeValue, isRasterArgument } from '../internal/check-args.js';
import { allocBand, dtypeOf } from '../resample/dtype-cast.js';
import type { Raster, RasterArray } from '../types.js';

/** The DN offset ESA added from processing baseline 04.00 (25 Jan 2022) on. */
export const S2_PB04_OFFSET = 1000;

/**
 * Parses a Sentinel-2 processing-baseline string into `[major, minor]`. Accepts `'04.00'`, `'05.09'`,
 * `'4.0'`, `'N0400'`, `'N0509'` and `'0400'` (the forms STAC items and product names use).
 *
 * @param baseline - the baseline string (STAC `s2:processing_baseline`, or the `N....` part of a name).
 * @returns `[major, minor]`.
 * @throws RasterIoError `INVALID_ARGUMENT` for anything else.
 * @example
 * parseProcessingBaseline('N0509'); // [5, 9]
 */
export function parseProcessingBaseline(baseline: string): [number, number] {
  const s = String(baseline).trim();
  let m = /^(\d{1,2})\.(\d{1,2})$/.exec(s);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^N?(\d{2})(\d{2})$/.exec(s);
  if (m) return [Number(m[1]), Number(m[2])];
  throw new RasterIoError(
    'INVALID_ARGUMENT',
    `cannot read Sentinel-2 processing baseline ${JSON.stringify(baseline)}; expected e.g. '04.00', '05.09' or 'N0400'`,
  );
}

/**
 * The DN offset to remove for a processing baseline: 1000 from 04.00 on, 0 before.
 *
 * @param baseline - processing-baseline string (see {@link parseProcessingBaseline}).
 * @returns 1000 or 0.
 * @throws RasterIoError `INVALID_ARGUMENT` for an unreadable baseline.
 * @example
 * processingBaselineOffset('03.01'); // 0
 * processingBaselineOffset('04.00'); // 1000
 */
export function processingBaselineOffset(baseline: string): number {
  const [major] = parseProcessingBaseline(baseline);
  return major >= 4 ? S2_PB04_OFFSET : 0;
}

/** Options of {@link harmonizeProcessingBaseline}. */
export interface HarmonizeOptions {
  /** Raster band indices (0-based) holding reflectance DNs; default all. Leave SCL/masks out. */
  bands?: readonly number[];
  /**
   * The offset to remove, as read from the product metadata (`BOA_ADD_OFFSET` / `RADIO_ADD_OFFSET` with the
   * sign dropped) for baselines ≥ 04.00; default 1000. Ignored for older baselines.
   */
  offset?: number;
}

function shiftBand(band: RasterArray, offset: number, noData: number | null): RasterArray {
  const out = allocBand(dtypeOf(band), band.length);
  for (let i = 0; i < band.length; i++) {
    const v = band[i] as number;
    // a NaN pixel (no-data NaN or not) is no DN: it stays NaN instead of failing `v > offset` into 0
    out[i] = v === noData || Number.isNaN(v) ? v : v > offset ? v - offset : 0;
  }
  return out;
}

/**
 * Harmonises Sentinel-2 DNs of processing baseline ≥ 04.00 with older products: `max(DN − 1000, 0)` on the
 * reflectance bands (L2A `BOA_ADD_OFFSET` and L1C `RADIO_ADD_OFFSET` are −1000). Older baselines are
 * returned unchanged (copied). No-data pixels (raster `noData`) and NaN pixels are left as they are; DN 0 stays 0.
 *
 * @param input - a band or a raster of DNs.
 * @param baseline - the product's processing baseline (`'04.00'`, `'N0509'`, ...).
 * @param options - `bands` to restrict a raster to its reflectance bands.
 * @returns a new band of the same type, or a new raster.
 * @throws RasterIoError `INVALID_ARGUMENT` for an unreadable baseline or a band index out of range.
 * @example
 * harmonizeProcessingBaseline(new Uint16Array([0, 900, 1000, 2500]), '05.09'); // [0, 0, 0, 1500]
 */
export function harmonizeProcessingBaseline(
  input: RasterArray,
  baseline: string,
  options?: HarmonizeOptions,
): RasterArray;
export function harmonizeProcessingBaseline(
  input: Raster,
  baseline: string,
  options?: HarmonizeOptions,
): Raster;
export function harmonizeProcessingBaseline(
  input: RasterArray | Raster,
  baseline: string,
  options: HarmonizeOptions = {},
): RasterArray | Raster {
  const fn = 'harmonizeProcessingBaseline';
  options = checkOptions(fn, options);
  if (typeof baseline !== 'string')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: baseline must be a string such as '04.00', got ${describeValue(baseline)}`,
    );
  const offset = processingBaselineOffset(baseline) && (options.offset ?? S2_PB04_OFFSET);
  if (typeof offset !== 'number' || !Number.isFinite(offset) || offset < 0)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `offset ${describeValue(options.offset)} must be a non-negative number (e.g. 1000)`,
    );
  if (!isRasterArgument(input)) {
    if (!ArrayBuffer.isView(input) || input instanceof DataView)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `${fn}: input must be a raster or a band typed array, got ${describeValue(input)}`,
      );
    return offset ? shiftBand(input, offset, null) : input.slice();
  }
  const raster = checkRaster(fn, input);
  if (options.bands != null && !Array.isArray(options.bands))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${fn}: bands must be an array of band indices, got ${describeValue(options.bands)}`,
    );
  const which = new Set(options.bands ?? raster.bands.map((_, i) => i));
  for (const b of which)
    if (!Number.isInteger(b) || b < 0 || b >= raster.bands.length)
      throw new RasterIoError(
        'BAND_OUT_OF_RANGE',
        `band index ${describeValue(b)} is out of range for a ${raster.bands.length}-band raster`,
      );
  const nd = raster.noData ?? null;
  return {
    ...raster,
    bands: raster.bands.map((b, i) => (offset && which.has(i) ? shiftBand(b, offset, nd) : b.slice())),
  };
}
