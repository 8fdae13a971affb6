import type { GeoTransform } from '@worldstrat/core';
import { GeoSamplingError } from '../errors.js';
import { argumentError, checkOptions } from '../internal/check-arguments.js';
import {
  checkArray,
  checkFiniteNumber,
  checkRecord,
  describeValue,
  fail,
  type Place,
} from '../internal/geometry-checks.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';
import type { LandMask } from './land-mask.js';

/**
 * The decoded mask raster {@link landMaskFromRaster} needs: a raster-io `Raster` fits, and so does any
 * band-sequential grid with an EPSG:4326 geo block (geo-sampling reads no files itself).
 */
export interface MaskRaster {
  width: number;
  height: number;
  /** Band-sequential pixel values, `width × height` each. */
  bands: readonly ArrayLike<number>[];
  /** Pixel type name (informational; values are read as numbers). */
  dtype?: string;
  noData?: number | null;
  geo?: { epsg: number; transform: GeoTransform };
}

/** Options of {@link landMaskFromRaster}. */
export interface RasterLandMaskOptions {
  /** Which pixel values mean land: a list of codes or a predicate. Default: any value ≠ 0 and ≠ noData. */
  land?: readonly number[] | ((value: number) => boolean);
  /** Answer for points outside the raster's extent (default false = not land). */
  outside?: boolean;
  /** Band index (0-based, default 0). */
  band?: number;
}

const rasterPlace = (where: string): Place => ({ where: `mask raster${where}`, code: 'INVALID_MASK' });

/** Largest accepted `width × height`: 2³¹ pixels (a 30″ global grid is 43200 × 21600 ≈ 0.9·2³⁰). */
const MAX_PIXELS = 2 ** 31;

function checkPixelCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_PIXELS)
    fail(rasterPlace(`.${what}`), 'INVALID_MASK', `must be a positive integer, got ${describeValue(value)}`);
  return value;
}

/** The band's pixels: a typed array or an array of numbers with at least `pixels` values. */
function checkBand(band: unknown, index: number, count: number, pixels: number): ArrayLike<number> {
  if (band === undefined || band === null) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `mask raster has ${count} band(s); band ${index} does not exist`,
    );
  }
  const place = rasterPlace(`.bands[${index}]`);
  if (pixels > MAX_PIXELS)
    fail(place, 'INVALID_MASK', `would hold ${pixels} pixels, more than ${MAX_PIXELS}`);
  const isTyped = ArrayBuffer.isView(band) && !(band instanceof DataView);
  if (!isTyped && !Array.isArray(band))
    fail(place, 'INVALID_MASK', `must be an array of pixel values, got ${describeValue(band)}`);
  const data = band as ArrayLike<unknown>;
  if (data.length < pixels)
    fail(place, 'INVALID_MASK', `holds ${data.length} values; width × height needs ${pixels}`);
  if (!isTyped)
    for (let i = 0; i < pixels; i++)
      if (typeof data[i] !== 'number') checkFiniteNumber(data[i], at(place, i));
  return data as ArrayLike<number>;
}

/**
 * The column holding `lon`, read on the longitude circle: a raster in 0°..360° (common for global climate
 * grids) holds lon −10 at 350, and a −180..180 raster holds lon 180 in its −180 column. Taken as a number only,
 * every western-hemisphere point of a 0..360 raster was outside, so not land. −1 when no copy falls inside.
 */
function rasterColumn(lon: number, ox: number, pw: number, width: number): number {
  const col = Math.floor((lon - ox) / pw);
  if (col >= 0 && col < width) return col;
  const other = Math.floor((lon + (col < 0 ? 360 : -360) - ox) / pw);
  return other >= 0 && other < width ? other : -1;
}

const at = (place: Place, i: number): Place => ({ ...place, where: `${place.where}[${i}]` });

/**
 * Wraps a user-supplied mask raster (e.g. a GeoTIFF/COG read with `@worldstrat/raster-io`) as a {@link LandMask}.
 * The raster must be georeferenced in EPSG:4326 (lon/lat degrees, north-up); the pixel that contains the point
 * decides (floor of the fractional pixel index; the east/south edges belong to the next pixel). Longitudes are
 * read on the circle: a raster in 0°..360° answers lon −10 from its 350° column, and lon 180 is lon −180.
 * @param raster a north-up EPSG:4326 raster, e.g. from raster-io's `readRaster`; `loadLandMaskFromGeoTiff` of
 *   `@worldstrat/stratify` reads one from a URL or file.
 * @param options land values, band and the out-of-extent answer.
 * @returns the mask.
 * @throws GeoSamplingError `INVALID_MASK` when the raster has no georeferencing, another CRS, a rotated or
 *   non-finite transform, a bad width/height, or the band does not exist or holds fewer than width × height
 *   numbers; `INVALID_ARGUMENT` for `options` that is not an object, a `land` that is neither an array nor a
 *   function, or an `outside` that is not a boolean.
 * @example
 * const mask = landMaskFromRaster(raster, { land: [1] });
 */
export function landMaskFromRaster(raster: MaskRaster, options?: RasterLandMaskOptions): LandMask {
  const opts = checkOptions('landMaskFromRaster', options);
  const spec = opts.land ?? undefined;
  if (spec !== undefined && typeof spec !== 'function' && !Array.isArray(spec))
    throw argumentError('landMaskFromRaster', 'options.land', 'an array of pixel values or a function', spec);
  const outside = opts.outside ?? false;
  if (typeof outside !== 'boolean')
    throw argumentError('landMaskFromRaster', 'options.outside', 'a boolean', outside);
  const r = checkRecord(raster, rasterPlace(''), 'a raster object');
  const width = checkPixelCount(r.width, 'width');
  const height = checkPixelCount(r.height, 'height');
  const geo = r.geo;
  if (geo === undefined || geo === null) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      'mask raster has no georeferencing; write it with an EPSG:4326 geotransform',
    );
  }
  const { epsg, transform } = checkRecord(geo, rasterPlace('.geo'), 'an object { epsg, transform }');
  if (epsg !== 4326) {
    throw new GeoSamplingError(
      'INVALID_MASK',
      `mask raster is in EPSG:${describeValue(epsg)}; warp it to EPSG:4326 first (gdalwarp -t_srs EPSG:4326)`,
    );
  }
  const t = checkArray(transform, rasterPlace('.geo.transform'), 'a geotransform of 6 numbers');
  if (t.length !== 6)
    fail(rasterPlace('.geo.transform'), 'INVALID_MASK', `must hold 6 numbers, got ${t.length}`);
  const [ox, pw, rx, oy, ry, ph] = t.map((v, i) => checkFiniteNumber(v, rasterPlace(`.geo.transform[${i}]`)));
  if (rx !== 0 || ry !== 0 || pw <= 0 || ph >= 0) {
    throw new GeoSamplingError('INVALID_MASK', `mask raster transform [${t.join(', ')}] is not north-up`);
  }
  const bandIndex = opts.band ?? 0;
  const bands = checkArray(r.bands, rasterPlace('.bands'), 'an array of bands');
  const data = checkBand(bands[bandIndex], bandIndex, bands.length, width * height);
  if (r.noData !== undefined && r.noData !== null && typeof r.noData !== 'number')
    fail(rasterPlace('.noData'), 'INVALID_MASK', `must be a number or null, got ${describeValue(r.noData)}`);
  const noData = raster.noData ?? null;
  const test: (v: number) => boolean =
    typeof spec === 'function'
      ? spec
      : Array.isArray(spec)
        ? (
            (set) => (v: number) =>
              set.has(v)
          )(new Set(spec as number[]))
        : (v: number) => v !== 0 && v !== noData && !Number.isNaN(v);
  return {
    source: `raster ${width}×${height} (EPSG:4326)`,
    isLand(lon: number, lat: number): boolean {
      assertLongitude(lon);
      assertLatitude(lat);
      const col = rasterColumn(lon, ox, pw, width);
      const row = Math.floor((lat - oy) / ph);
      if (col < 0 || row < 0 || col >= width || row >= height) return outside;
      return test(data[row * width + col]);
    },
  };
}
