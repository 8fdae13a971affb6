import { bboxCenter, bboxCrossesAntimeridian } from '../aoi/bbox.js';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import { argumentError, checkAoiArgument } from '../internal/check-arguments.js';
import { checkBBox, swappedLongitudesProblem } from '../internal/geometry-checks.js';
import { assertArea } from '../internal/validate.js';

/**
 * Most tiles {@link tileAoi} makes: 1000 × 1000. A million tiles take ≈ 350 MB and ≈ 1 s in Node; a tile of a
 * 22.5 km² AOI is then 4.7 m wide, about three SPOT 6/7 pixels. More would only exhaust memory (1e12, a perfect
 * square, crashed the process).
 */
const MAX_TILES = 1_000_000;

/** `tiles`: a perfect square k² in [1, {@link MAX_TILES}]; returns k. */
function tilesPerSide(tiles: unknown): number {
  const k = typeof tiles === 'number' ? Math.round(Math.sqrt(tiles)) : Number.NaN;
  if (!Number.isInteger(tiles) || k < 1 || k * k !== tiles)
    throw argumentError('tileAoi', 'tiles', 'a perfect square (4, 9, 16…)', tiles);
  if (k * k > MAX_TILES) throw argumentError('tileAoi', 'tiles', `at most ${MAX_TILES} (1000 × 1000)`, tiles);
  return k;
}

/**
 * Splits an AOI into k × k equal lon/lat tiles (upstream's SPOT order tiling): tile (x, y),
 * x = west→east and y = south→north, both 1-based in the name `<parent>-<x>-<y>`, has bounds
 * `[minLon + (x−1)·Δlon, minLat + (y−1)·Δlat, … + Δlon, … + Δlat]`; `areaKm2` = parent area / k²; `lon`/`lat` =
 * the tile centre; `parent` = the parent's name. The last column and row end exactly on the parent's east and
 * north edges. Tiles are returned x-major (1-1, 1-2, …, k-k). Boxes crossing
 * the antimeridian are tiled continuously across it.
 * @param aoi the parent AOI (typically 22.5 km²).
 * @param tiles number of tiles, a perfect square (default 9 → 3 × 3 tiles of 2.5 km²), at most
 *   1 000 000 (1000 × 1000 tiles take ≈ 350 MB).
 * @returns the tiles.
 * @throws GeoSamplingError `INVALID_ARGUMENT` when `tiles` is not a perfect square, is more than
 *   1 000 000, or `aoi` is not an AOI; `INVALID_LONGITUDE` for bounds outside [-180, 180] or with minLon > maxLon
 *   that would be a box 180° wide or more across the antimeridian (longitudes swapped); `INVALID_LATITUDE` for
 *   bounds outside [-90, 90] or with minLat > maxLat; `INVALID_AREA` for an area that is not > 0.
 * @example
 * tileAoi(aoi).map((t) => t.name); // ['X-1-1', 'X-1-2', …, 'X-3-3']
 */
export function tileAoi(aoi: Aoi, tiles = 9): Aoi[] {
  checkAoiArgument('tileAoi', 'aoi', aoi);
  const swapped = swappedLongitudesProblem(Array.from(aoi.bounds));
  // such a box would be cut into tiles a third of the globe wide
  if (swapped !== undefined)
    throw new GeoSamplingError('INVALID_LONGITUDE', `tileAoi: aoi.bounds of '${aoi.name}' ${swapped}`);
  // As the AOI readers take a box: in range and minLat ≤ maxLat (an inverted or 200° tall box made tiles at
  // lat 100 or upside down).
  checkBBox(Array.from(aoi.bounds), { where: `tileAoi: aoi '${aoi.name}' bounds` });
  assertArea(aoi.areaKm2, { what: `tileAoi: aoi '${aoi.name}' areaKm2` });
  const k = tilesPerSide(tiles);
  const [minLon, minLat, rawMaxLon, maxLat] = aoi.bounds;
  const maxLon = bboxCrossesAntimeridian(aoi.bounds) ? rawMaxLon + 360 : rawMaxLon;
  const dLon = (maxLon - minLon) / k;
  const dLat = (maxLat - minLat) / k;
  const wrap = (x: number) => (x > 180 ? x - 360 : x);
  const out: Aoi[] = [];
  for (let x = 0; x < k; x++) {
    for (let y = 0; y < k; y++) {
      const west = minLon + x * dLon;
      // The last column and row end on the parent's own edges: `minLat + 2·Δ + Δ` of a box reaching the pole
      // was 90.00000000000003, a tile every writer refused (and 180.00000000000003 wrapped to −180).
      const bounds: Aoi['bounds'] = [
        wrap(west),
        minLat + y * dLat,
        x + 1 === k ? rawMaxLon : wrap(west + dLon),
        y + 1 === k ? maxLat : minLat + y * dLat + dLat,
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
