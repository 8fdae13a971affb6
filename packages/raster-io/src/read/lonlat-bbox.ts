import { crsName } from '../crs/projection-registry.js';
import { transformCoords } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import type { BBox } from '../types.js';

/**
 * The envelope, in the raster's CRS, of a lon/lat bbox. Edges are densified with 21 points each so curved
 * edges are covered; points outside the projection's domain are ignored. Any CRS the projection registry
 * knows works (4326, 3857, UTM 326xx/327xx built in; others after `registerProjection`).
 * @throws RasterIoError `UNKNOWN_CRS` (naming the file) when the CRS is not registered or nothing projects
 */
export function lonLatBBoxToNative(bbox: BBox, epsg: number, name: string): BBox {
  if (epsg === 4326) return bbox;
  const [w, s, e, n] = bbox;
  const steps = 20;
  const pts: [number, number][] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const lon = w + (e - w) * t;
    const lat = s + (n - s) * t;
    pts.push([lon, s], [lon, n], [w, lat], [e, lat]);
  }
  let out: [number, number][];
  try {
    out = transformCoords(4326, epsg, pts);
  } catch (err) {
    throw new RasterIoError(
      'UNKNOWN_CRS',
      `${name}: cannot convert a lon/lat bbox to ${crsName(epsg)} (${(err as Error).message}); register it with registerProjection() or use bboxCrs 'native'`,
      { cause: err },
    );
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of out) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!(minX <= maxX && minY <= maxY)) {
    throw new RasterIoError(
      'UNKNOWN_CRS',
      `${name}: lon/lat bbox [${bbox.join(', ')}] has no valid projection in ${crsName(epsg)}`,
    );
  }
  return [minX, minY, maxX, maxY];
}
