import { crsName } from '../crs/projection-registry.js';
import { RasterIoError } from '../errors.js';
import type { BBox, GeoBlock, RasterWindow } from '../types.js';
import { lonLatBBoxToNative } from './lonlat-bbox.js';

const EPS = 1e-7;

/**
 * The pixel window covering a bbox, clipped to the raster (pixels partly inside are included).
 * @throws RasterIoError `NO_GEOREFERENCING`, `UNKNOWN_CRS` (lon/lat on a raster without EPSG), `INVALID_ARGUMENT`
 *   (rotated rasters, bad bbox), `WINDOW_OUT_OF_BOUNDS` (no overlap)
 */
export function bboxToWindow(
  level: { width: number; height: number; geo?: GeoBlock },
  bbox: BBox,
  crs: 'native' | 'lonlat',
  name: string,
): RasterWindow {
  const geo = level.geo;
  if (!geo)
    throw new RasterIoError(
      'NO_GEOREFERENCING',
      `${name}: has no geotransform, so a bbox cannot be read; pass a pixel window instead`,
    );
  const [ox, a, b, oy, d, e] = geo.transform;
  if (b !== 0 || d !== 0)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: rotated geotransform [${geo.transform.join(', ')}]; bbox reads need a north-up raster`,
    );
  if (bbox.length !== 4 || !bbox.every(Number.isFinite) || bbox[0] > bbox[2] || bbox[1] > bbox[3]) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: bbox [${bbox.join(', ')}] must be [minX, minY, maxX, maxY] with min <= max`,
    );
  }
  let box = bbox;
  if (crs === 'lonlat') {
    if (!geo.epsg)
      throw new RasterIoError(
        'UNKNOWN_CRS',
        `${name}: the file has no EPSG code, so a lon/lat bbox cannot be converted; use bboxCrs 'native'`,
      );
    box = lonLatBBoxToNative(bbox, geo.epsg, name);
  }
  const px = [(box[0] - ox) / a, (box[2] - ox) / a];
  const py = [(box[1] - oy) / e, (box[3] - oy) / e];
  const x0 = Math.max(0, Math.floor(Math.min(px[0] as number, px[1] as number) + EPS));
  const x1 = Math.min(level.width, Math.ceil(Math.max(px[0] as number, px[1] as number) - EPS));
  const y0 = Math.max(0, Math.floor(Math.min(py[0] as number, py[1] as number) + EPS));
  const y1 = Math.min(level.height, Math.ceil(Math.max(py[0] as number, py[1] as number) - EPS));
  if (x1 <= x0 || y1 <= y0) {
    throw new RasterIoError(
      'WINDOW_OUT_OF_BOUNDS',
      `${name}: bbox [${bbox.join(', ')}]${crs === 'lonlat' ? ' (lon/lat)' : ''} does not overlap the raster (${crsName(geo.epsg)}, ${level.width}x${level.height} px from origin ${ox}, ${oy})`,
    );
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
