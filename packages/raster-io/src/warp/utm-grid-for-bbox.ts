// Target-grid helpers: a UTM (or any CRS) pixel grid covering a lon/lat bbox.
import { transformCoords } from '../crs/transform-coords.js';
import { utmEpsgForLonLat } from '../crs/utm-zone.js';
import { RasterIoError } from '../errors.js';
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

/**
 * A north-up pixel grid in a projected CRS (by default the UTM zone of the bbox centre) whose extent covers
 * a lon/lat bbox: the edges are densified and projected, the envelope is taken and (by default) snapped
 * outward to multiples of the pixel size, like `gdalwarp -t_srs EPSG:326xx -tr 10 10 -tap -te_srs EPSG:4326`.
 *
 * @param bbox - `[minLon, minLat, maxLon, maxLat]` in degrees.
 * @param pixelSizeM - pixel size in target CRS units (metres for UTM), e.g. 10.
 * @param options - epsg, alignToPixel, densify.
 * @returns the target grid for {@link warpRaster}.
 * @throws RasterIoError `INVALID_ARGUMENT` for an empty/invalid bbox or a non-positive pixel size.
 * @example
 * const grid = utmGridForBBox([15.0, 52.0, 15.02, 52.015], 10); // EPSG:32633, ~137×168 px
 */
export function utmGridForBBox(bbox: BBox, pixelSizeM: number, options: UtmGridOptions = {}): TargetGrid {
  const [w, s, e, n] = bbox;
  if (![w, s, e, n].every(Number.isFinite) || w >= e || s >= n || w < -180 || e > 180 || s < -90 || n > 90)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `bbox ${JSON.stringify(bbox)} must be [minLon, minLat, maxLon, maxLat] with min < max`,
    );
  if (!(pixelSizeM > 0) || !Number.isFinite(pixelSizeM))
    throw new RasterIoError('INVALID_ARGUMENT', `pixel size ${pixelSizeM} must be a positive number`);
  const epsg = options.epsg ?? utmEpsgForLonLat((w + e) / 2, (s + n) / 2);
  const steps = Math.max(1, (options.densify ?? 21) - 1);
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
      `bbox ${JSON.stringify(bbox)} does not project into EPSG:${epsg}`,
    );
  if (options.alignToPixel ?? true) {
    minX = Math.floor(minX / pixelSizeM) * pixelSizeM;
    minY = Math.floor(minY / pixelSizeM) * pixelSizeM;
    maxX = Math.ceil(maxX / pixelSizeM) * pixelSizeM;
    maxY = Math.ceil(maxY / pixelSizeM) * pixelSizeM;
  }
  const width = Math.max(1, Math.ceil((maxX - minX) / pixelSizeM - 1e-9));
  const height = Math.max(1, Math.ceil((maxY - minY) / pixelSizeM - 1e-9));
  return { epsg, transform: [minX, pixelSizeM, 0, maxY, 0, -pixelSizeM], width, height };
}
