// PNG quicklooks of rasters: RGB composites or a single band through a colour map.

import { RasterIoError } from '../errors.js';
import { checkOptions, checkRaster, describeValue } from '../internal/check-args.js';
import { percentiles } from '../radiometry/percentile-stretch.js';
import { toFloat32 } from '../resample/dtype-cast.js';
import { resize } from '../resample/resize.js';
import type { Raster } from '../types.js';
import { CLASS_PALETTE, type Colormap, colormapLut } from './colormaps.js';
import { encodePng } from './encode-png.js';

/** How values are mapped to [0, 255]. */
export type QuicklookStretch =
  | 'percentile'
  | 'minmax'
  | 'none'
  | { min: number; max: number }
  | readonly { min: number; max: number }[];

/** Options of {@link renderQuicklook}. */
export interface QuicklookOptions {
  /** 0-based band indices: 3 for an RGB composite, 1 for a single band. Default `[0,1,2]` when there are ≥3 bands, else `[0]`. */
  bands?: readonly number[];
  /**
   * `'percentile'` (default; per band between `percentiles`), `'minmax'`, `'none'` (values are already 0–255),
   * fixed `{min, max}` for all bands, or one `{min, max}` per band. Ignored for `colormap: 'class'`.
   */
  stretch?: QuicklookStretch;
  /** Percentiles for the `'percentile'` stretch; default `[2, 98]`. */
  percentiles?: readonly [number, number];
  /** Single-band colour map; default `'gray'`. `'class'` colours integer classes with `classColors` / tab20. */
  colormap?: Colormap;
  /** Colours of class values for `colormap: 'class'` (others use the tab20 palette by value). */
  classColors?: Readonly<Record<number, readonly [number, number, number]>>;
  /** Downscale so the longest side is at most this many pixels (AA bilinear; nearest for classes). */
  maxSize?: number;
}

/**
 * Valid-pixel mask: false for NaN and the raster's `noData`, compared in each band's own precision (a float32
 * band's pixels hold the float32 of its no-data value, as GDAL compares them; other bands are compared before
 * any cast, so float64 -9999.9 or int32 16777217 still match exactly).
 */
function validMask(bands: ArrayLike<number>[], noData: number | null | undefined): Uint8Array | null {
  const n = bands[0]?.length ?? 0;
  let mask: Uint8Array | null = null;
  for (const b of bands) {
    const nd =
      noData === null || noData === undefined
        ? Number.NaN
        : b instanceof Float32Array
          ? Math.fround(noData)
          : noData;
    for (let i = 0; i < n; i++) {
      const v = b[i] as number;
      if (Number.isNaN(v) || v === nd) {
        mask ??= new Uint8Array(n).fill(1);
        mask[i] = 0;
      }
    }
  }
  return mask;
}

function limits(
  band: Float32Array,
  mask: Uint8Array | null,
  i: number,
  opts: QuicklookOptions,
): [number, number] {
  const s = opts.stretch ?? 'percentile';
  if (s === 'none') return [0, 255];
  if (Array.isArray(s)) {
    const l = s[i];
    if (!l)
      throw new RasterIoError('INVALID_ARGUMENT', `stretch has ${s.length} entries; band ${i} needs one`);
    return [l.min, l.max];
  }
  if (typeof s === 'object') return [(s as { min: number }).min, (s as { max: number }).max];
  const valid = mask ? band.filter((_, k) => mask[k] === 1) : band;
  const [lo, hi] = s === 'minmax' ? [0, 100] : (opts.percentiles ?? [2, 98]);
  return percentiles(valid, [lo, hi]) as [number, number];
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A fixed stretch: finite `min` and `max` (a string or NaN would leave the whole band black). */
function isLimits(l: unknown): boolean {
  return (
    l !== null && typeof l === 'object' && isFiniteNumber((l as any).min) && isFiniteNumber((l as any).max)
  );
}

/** The options' types and ranges, before any pixel is read. */
function checkQuicklookOptions(options: QuicklookOptions): void {
  const o = checkOptions('renderQuicklook', options);
  const bad = (name: string, value: unknown, want: string): never => {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `renderQuicklook: ${name} must be ${want}, got ${describeValue(value)}`,
    );
  };
  const s = o.stretch;
  const stretchOk =
    s === undefined ||
    s === 'percentile' ||
    s === 'minmax' ||
    s === 'none' ||
    (Array.isArray(s) ? s.every(isLimits) : isLimits(s));
  if (!stretchOk)
    bad('stretch', s, "'percentile', 'minmax', 'none', { min, max } or one { min, max } per band");
  const p = o.percentiles;
  // inverted or out-of-range limits would stretch every band backwards or past its data
  const inRange = (v: unknown) => isFiniteNumber(v) && v >= 0 && v <= 100;
  if (p !== undefined && !(Array.isArray(p) && p.length === 2 && p.every(inRange) && p[0] < p[1]))
    bad('percentiles', p, 'two numbers low < high in [0, 100]');
  if (o.maxSize !== undefined && !(Number.isSafeInteger(o.maxSize) && o.maxSize >= 1))
    bad('maxSize', o.maxSize, 'a positive integer');
  const cc = o.classColors;
  const isRgb = (c: unknown) =>
    Array.isArray(c) && c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255);
  if (cc !== undefined && !(cc !== null && typeof cc === 'object' && Object.values(cc).every(isRgb)))
    bad('classColors', cc, 'a map of class values to [r, g, b] in 0..255');
}

/**
 * Renders a raster as a PNG quicklook: an RGB composite of three bands, or one band through a colour map
 * (`gray`, `viridis`, `magma`, or `class` for land-cover / SMOD codes). Continuous bands are stretched to
 * 0–255 (2–98 % percentiles per band by default). No-data and NaN pixels become transparent (an alpha channel
 * is added only when such pixels exist).
 *
 * @param raster - any raster (any dtype).
 * @param options - bands, stretch, percentiles, colormap, classColors, maxSize.
 * @returns PNG bytes (8-bit gray, RGB, gray+alpha or RGBA).
 * @throws RasterIoError `BAND_OUT_OF_RANGE` for bad band indices, `INVALID_ARGUMENT` for bad options.
 * @example
 * const png = renderQuicklook(s2, { bands: [3, 2, 1] }); // B04, B03, B02 true colour
 * const lc = renderQuicklook(landCover, { colormap: 'class' });
 */
export function renderQuicklook(raster: Raster, options: QuicklookOptions = {}): Uint8Array {
  checkRaster('renderQuicklook', raster);
  checkQuicklookOptions(options);
  const bandIdx = options.bands ?? (raster.bands.length >= 3 ? [0, 1, 2] : [0]);
  if (!Array.isArray(bandIdx) || (bandIdx.length !== 1 && bandIdx.length !== 3))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `quicklooks take 1 or 3 bands (got ${describeValue(bandIdx)})`,
    );
  for (const b of bandIdx)
    if (!Number.isInteger(b) || b < 0 || b >= raster.bands.length)
      throw new RasterIoError(
        'BAND_OUT_OF_RANGE',
        `band ${describeValue(b)} is out of range for a ${raster.bands.length}-band raster`,
      );
  const colormap = options.colormap ?? 'gray';
  if (!['gray', 'viridis', 'magma', 'class'].includes(colormap))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `unknown colormap ${describeValue(colormap)}; use gray, viridis, magma or class`,
    );
  if (colormap !== 'gray' && bandIdx.length !== 1)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `colormap '${colormap}' needs a single band; pass bands: [i]`,
    );
  const isClass = colormap === 'class';
  let { width, height } = raster;
  const source = bandIdx.map((b) => raster.bands[b] as ArrayLike<number>);
  let mask = validMask(source, raster.noData);
  let bands = source.map(toFloat32);
  const maxSize = options.maxSize;
  if (maxSize !== undefined && Math.max(width, height) > maxSize) {
    const f = maxSize / Math.max(width, height);
    const w2 = Math.max(1, Math.round(width * f));
    const h2 = Math.max(1, Math.round(height * f));
    const method = isClass ? 'nearest' : 'bilinear';
    if (mask) {
      // fill invalid pixels with 0 before filtering and downsample the mask with nearest
      bands = bands.map((b) => b.map((v, i) => ((mask as Uint8Array)[i] ? v : 0)));
      const m = resize(Float32Array.from(mask), [1, height, width], [h2, w2], { method: 'nearest' });
      mask = Uint8Array.from(m);
    }
    bands = bands.map((b) => resize(b, [1, height, width], [h2, w2], { method, antialias: !isClass }));
    width = w2;
    height = h2;
  }
  const n = width * height;
  const ch = (bandIdx.length === 3 || colormap !== 'gray' ? 3 : 1) + (mask ? 1 : 0);
  const out = new Uint8Array(n * ch);
  const colour = bandIdx.length === 3 ? 3 : colormap === 'gray' ? 1 : 3;
  if (isClass) {
    const band = bands[0] as Float32Array;
    const custom = options.classColors ?? {};
    for (let i = 0; i < n; i++) {
      const v = Math.round(band[i] as number);
      const c =
        custom[v] ??
        CLASS_PALETTE[((v % CLASS_PALETTE.length) + CLASS_PALETTE.length) % CLASS_PALETTE.length];
      if (c) {
        out[i * ch] = c[0];
        out[i * ch + 1] = c[1];
        out[i * ch + 2] = c[2];
      }
    }
  } else {
    const lut = colormap === 'gray' ? null : colormapLut(colormap);
    bands.forEach((band, k) => {
      const [lo, hi] = limits(band, mask, k, options);
      const range = hi - lo;
      for (let i = 0; i < n; i++) {
        const t = range > 0 ? ((band[i] as number) - lo) / range : 0;
        const q = Number.isNaN(t) ? 0 : Math.round(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
        if (lut) {
          out[i * ch] = lut[3 * q] as number;
          out[i * ch + 1] = lut[3 * q + 1] as number;
          out[i * ch + 2] = lut[3 * q + 2] as number;
        } else out[i * ch + k] = q;
      }
    });
  }
  if (mask) for (let i = 0; i < n; i++) out[i * ch + colour] = mask[i] ? 255 : 0;
  return encodePng({ width, height, channels: ch as 1 | 2 | 3 | 4, data: out });
}
