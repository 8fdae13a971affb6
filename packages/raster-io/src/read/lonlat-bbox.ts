import proj4 from 'proj4';
import { RasterIoError } from '../errors.js';
import type { BBox } from '../types.js';

/** proj4 definition for the CRSs WorldStrat rasters use: WGS-84 lon/lat, UTM north/south, Web Mercator. */
function projDef(epsg: number): string | undefined {
  if (epsg === 4326) return 'EPSG:4326';
  if (epsg === 3857) return 'EPSG:3857';
  if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 32701 && epsg <= 32760) return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
  return undefined;
}

/**
 * The envelope, in the raster's CRS, of a lon/lat bbox (edges densified with 21 points each so curved
 * edges are covered).
 * @throws RasterIoError `UNKNOWN_CRS` for codes other than 4326, 3857, 326xx, 327xx
 */
export function lonLatBBoxToNative(bbox: BBox, epsg: number, name: string): BBox {
  if (epsg === 4326) return bbox;
  const def = projDef(epsg);
  if (!def) {
    throw new RasterIoError('UNKNOWN_CRS', `${name}: lon/lat bbox reads support EPSG:4326, 3857, 326xx and 327xx; this file is EPSG:${epsg} (convert the bbox yourself and use bboxCrs 'native')`);
  }
  const forward = proj4('EPSG:4326', def).forward;
  const [w, s, e, n] = bbox;
  const steps = 20;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const lon = w + (e - w) * t;
    const lat = s + (n - s) * t;
    for (const [x, y] of [forward([lon, s]), forward([lon, n]), forward([w, lat]), forward([e, lat])] as [number, number][]) {
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return [minX, minY, maxX, maxY];
}
