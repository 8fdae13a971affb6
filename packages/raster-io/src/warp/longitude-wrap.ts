// gdalwarp's CENTER_LONG: a geographic source gets the longitudes it is asked for brought into the 360° around
// its own centre, so a source stored over 0..360° (global climate and land-cover products) also serves target
// pixels at −180..0°, as gdalwarp serves them (GDAL 3.6 InsertCenterLong; OGR then moves a longitude by one turn
// when it lies more than 180° from the centre).
import { projectionDefinition } from '../crs/projection-registry.js';
import type { GeoBlock } from '../types.js';

/** A source CRS's x coordinate brought within 180° of the source's centre longitude. */
export type LongitudeWrap = (x: number) => number;

/**
 * The wrap for warping from `geo` (a source `width` × `height` pixels), or null where gdalwarp adds none: a
 * projected source, or a geographic one spanning more than 360°.
 */
export function sourceLongitudeWrap(geo: GeoBlock, width: number, height: number): LongitudeWrap | null {
  if (!isGeographic(geo)) return null;
  const [ox, a, b] = geo.transform;
  const xs = [ox, ox + a * width, ox + b * height, ox + a * width + b * height];
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  if (!(max - min <= 360)) return null;
  const centre = (min + max) / 2;
  return (x) => (x < centre - 180 ? x + 360 : x > centre + 180 ? x - 360 : x);
}

/** Whether the CRS is geographic; a code with no definition (a same-CRS warp needs none) is taken as not. */
function isGeographic(geo: GeoBlock): boolean {
  let def: string;
  try {
    def = projectionDefinition(geo.epsg).trim();
  } catch {
    return false;
  }
  return /\+proj=(?:longlat|latlong|lonlat|latlon)\b/.test(def) || /^GEOG(?:CS|CRS)\[/i.test(def);
}
