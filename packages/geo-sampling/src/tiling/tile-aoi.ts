import { bboxCenter, bboxCrossesAntimeridian } from '../aoi/bbox.js';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import { checkAoiArgument } from '../internal/check-arguments.js';

/**
 * Splits an AOI into k × k equal lon/lat tiles (upstream's SPOT order tiling): tile (x, y),
 * x = west→east and y = south→north, both 1-based in the name `<parent>-<x>-<y>`, has bounds
 * `[minLon + (x−1)·Δlon, minLat + (y−1)·Δlat, … + Δlon, … + Δlat]`; `areaKm2` = parent area / k²; `lon`/`lat` =
 * the tile centre; `parent` = the parent's name. Tiles are returned x-major (1-1, 1-2, …, k-k). Boxes crossing
 * the antimeridian are tiled continuously across it.
 * @param aoi the parent AOI (typically 22.5 km²).
 * @param tiles number of tiles, a perfect square (default 9 → 3 × 3 tiles of 2.5 km²).
 * @returns the tiles.
 * @throws GeoSamplingError `INVALID_ARGUMENT` when `tiles` is not a perfect square or `aoi` is not an AOI.
 * @example
 * tileAoi(aoi).map((t) => t.name); // ['X-1-1', 'X-1-2', …, 'X-3-3']
 */
export function tileAoi(aoi: Aoi, tiles = 9): Aoi[] {
  checkAoiArgument('tileAoi', 'aoi', aoi);
  const k = Math.round(Math.sqrt(tiles));
  if (!Number.isInteger(tiles) || tiles < 1 || k * k !== tiles) {
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `tiles must be a perfect square (4, 9, 16…), got ${String(tiles)}`,
    );
  }
  const [minLon, minLat, rawMaxLon, maxLat] = aoi.bounds;
  const maxLon = bboxCrossesAntimeridian(aoi.bounds) ? rawMaxLon + 360 : rawMaxLon;
  const dLon = (maxLon - minLon) / k;
  const dLat = (maxLat - minLat) / k;
  const wrap = (x: number) => (x > 180 ? x - 360 : x);
  const out: Aoi[] = [];
  for (let x = 0; x < k; x++) {
    for (let y = 0; y < k; y++) {
      const west = minLon + x * dLon;
      const bounds: Aoi['bounds'] = [
        wrap(west),
        minLat + y * dLat,
        wrap(west + dLon),
        minLat + y * dLat + dLat,
      ];
      const [lon, lat] = bboxCenter(bounds);
      out.push({
        name: `${aoi.name}-${x + 1}-${y + 1}`,
        lon,
        lat,
        bounds,
        areaKm2: aoi.areaKm2 / tiles,
        source: aoi.source,
        parent: aoi.name,
      });
    }
  }
  return out;
}

/**
 * The WorldStrat tiling of a 22.5 km² AOI into 3 × 3 tiles of 2.5 km² (`<parent>-<x>-<y>`).
 * @param aoi the parent AOI.
 * @returns nine tiles, see {@link tileAoi}.
 * @example
 * tileAoi3x3(createAoi({ name: 'ASMSpotter-1', lon: -55.25, lat: 4.99 }, 22.5)).length; // 9
 */
export function tileAoi3x3(aoi: Aoi): Aoi[] {
  checkAoiArgument('tileAoi3x3', 'aoi', aoi);
  return tileAoi(aoi, 9);
}
