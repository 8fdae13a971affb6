// Target-grid helpers: a UTM (or any CRS) pixel grid covering a lon/lat bbox.

import { crsName } from '../crs/projection-registry.js';
import { transformCoords } from '../crs/transform-coords.js';
import { utmEpsgForLonLat } from '../crs/utm-zone.js';
import { RasterIoError } from '../errors.js';
import { checkOptions, describeValue } from '../internal/check-args.js';
import { DEFAULT_RASTER_IO_LIMITS } from '../read/limits.js';
import type { BBox } from '../types.js';
import type { TargetGrid } from './warp-raster.js';

/** Options of {@link utmGridForBBox}. */
export interface UtmGridOptions {
  /** Target EPSG code; default the UTM zone of the bbox centre ({@link utmEpsgForLonLat}). */
  epsg?: number;
  /** Snap the grid edges outward to multiples of the pixel size (GDAL `-tap`); default true. */
  alignToPixel?: boolean;
  /** Points per bbox edge used to find the projected envelope; default 21. */
  densify?: number;
}

// Points per bbox edge: thousands already trace any UTM curvature; more would only be a hang.
const MAX_DENSIFY = 10_000;
const MAX_GRID_PIXELS = DEFAULT_RASTER_IO_LIMITS.maxPixels;

/**
 * A north-up pixel grid in a projected CRS (by default the UTM zone of the bbox centre) whose extent covers
 * a lon/lat bbox: the edges are densified and projected, the envelope is taken and (by default) snapped
 * outward to multiples of the pixel size, like `gdalwarp -t_srs EPSG:326xx -tr 10 10 -tap -te_srs EPSG:4326`.
 *
 * @param bbox - `[minLon, minLat, maxLon, maxLat]` in degrees.
 * @param pixelSizeM - pixel size in target CRS units (metres for UTM), e.g. 10.
 * @param options - epsg, alignToPixel, densify.
 * @returns the target grid for {@link warpRaster}.
 * @throws RasterIoError `INVALID_ARGUMENT` for an empty/invalid bbox, a non-positive pixel size or a densify
 *   outside 1..10000, `TOO_LARGE` for a grid of more than 2^31 pixels.
 * @example
 * const grid = utmGridForBBox([15.0, 52.0, 15.02, 52.015], 10); // EPSG:32633, ~137×168 px
 */
export function utmGridForBBox(bbox: BBox, pixelSizeM: number, options: UtmGridOptions = {}): TargetGrid {
  const o = checkOptions('utmGridForBBox', options);
  const [w, s, e, n] = Array.isArray(bbox) && bbox.length === 4 ? bbox : [Number.NaN, 0, 0, 0];
  if (![w, s, e, n].every(Number.isFinite) || w >= e || s >= n || w < -180 || e > 180 || s < -90 || n > 90)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `bbox ${describeValue(bbox)} must be [minLon, minLat, maxLon, maxLat] with min < max`,
    );
  if (typeof pixelSizeM !== 'number' || !(pixelSizeM > 0) || !Number.isFinite(pixelSizeM))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `pixel size ${describeValue(pixelSizeM)} must be a positive number`,
    );
  const epsg = o.epsg ?? utmEpsgForLonLat((w + e) / 2, (s + n) / 2);
  const densify = o.densify ?? 21;
  if (!Number.isSafeInteger(densify) || densify < 1 || densify > MAX_DENSIFY)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `utmGridForBBox: densify must be an integer in 1..${MAX_DENSIFY}, got ${describeValue(densify)}`,
    );
  const steps = Math.max(1, densify - 1);
  const pts: [number, number][] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const lon = w + (e - w) * t;
    const lat = s + (n - s) * t;
    pts.push([lon, s], [lon, n], [w, lat], [e, lat]);
  }
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const [x, y] of transformCoords(4326, epsg, pts)) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  if (!Number.isFinite(minX))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `bbox ${describeValue(bbox)} does not project into ${crsName(epsg)}`,
    );
  if (o.alignToPixel ?? true) {
    minX = Math.floor(minX / pixelSizeM) * pixelSizeM;
    minY = Math.floor(minY / pixelSizeM) * pixelSizeM;
    maxX = Math.ceil(maxX / pixelSizeM) * pixelSizeM;
    maxY = Math.ceil(maxY / pixelSizeM) * pixelSizeM;
  }
  const width = Math.max(1, Math.ceil((maxX - minX) / pixelSizeM - 1e-9));
  const height = Math.max(1, Math.ceil((maxY - minY) / pixelSizeM - 1e-9));
  // A pixel far smaller than the bbox would declare a grid no warp could allocate.
  if (width * height > MAX_GRID_PIXELS)
    throw new RasterIoError(
      'TOO_LARGE',
      `utmGridForBBox: a ${pixelSizeM} m pixel makes the bbox a ${width}×${height} grid, more than ${MAX_GRID_PIXELS} pixels`,
    );
  return { epsg, transform: [minX, pixelSizeM, 0, maxY, 0, -pixelSizeM], width, height };
}
