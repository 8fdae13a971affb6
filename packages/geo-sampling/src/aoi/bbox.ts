import type { BBox } from '@worldstrat/core';
import type { MultiPolygon, Polygon } from 'geojson';
import { checkBox } from '../internal/check-arguments.js';

/**
 * True when a lon/lat box crosses the antimeridian, written RFC 7946 style with `minLon > maxLon`
 * (e.g. `[179.99, -16.5, -179.99, -16.48]`).
 * @param bounds `[minLon, minLat, maxLon, maxLat]`.
 * @returns whether the box wraps across ±180°.
 * @example
 * bboxCrossesAntimeridian([179.9, 0, -179.9, 1]); // true
 */
export function bboxCrossesAntimeridian(bounds: BBox): boolean {
  return bounds[0] > bounds[2];
}

/**
 * Splits a box that crosses the antimeridian into its western-hemisphere-east part and its
 * eastern-hemisphere-west part; other boxes come back unchanged (one element).
 * @param bounds `[minLon, minLat, maxLon, maxLat]`.
 * @returns one or two boxes, each with `minLon ≤ maxLon`.
 * @throws GeoSamplingError `INVALID_ARGUMENT` unless `bounds` is four finite numbers.
 * @example
 * splitBBoxAtAntimeridian([179.9, 0, -179.9, 1]); // [[179.9, 0, 180, 1], [-180, 0, -179.9, 1]]
 */
export function splitBBoxAtAntimeridian(bounds: BBox): BBox[] {
  checkBox('splitBBoxAtAntimeridian', 'bounds', bounds);
  if (!bboxCrossesAntimeridian(bounds)) return [[...bounds] as BBox];
  return [
    [bounds[0], bounds[1], 180, bounds[3]],
    [-180, bounds[1], bounds[2], bounds[3]],
  ];
}

/**
 * The centre of a lon/lat box, antimeridian-aware, as `[lon, lat]` (upstream returns (lat, lon); we use the
 * lon-first order everywhere).
 * @param bounds `[minLon, minLat, maxLon, maxLat]`.
 * @returns `[lon, lat]` of the centre, lon in [−180, 180).
 * @example
 * bboxCenter([0, 0, 2, 2]); // [1, 1]
 */
export function bboxCenter(bounds: BBox): [number, number] {
  const maxLon = bboxCrossesAntimeridian(bounds) ? bounds[2] + 360 : bounds[2];
  let lon = (bounds[0] + maxLon) / 2;
  if (lon >= 180) lon -= 360;
  return [lon, (bounds[1] + bounds[3]) / 2];
}

/**
 * The box as a closed GeoJSON ring (upstream corner order: (minLon,minLat), (minLon,maxLat), (maxLon,maxLat),
 * (maxLon,minLat), back to the start). A box crossing the antimeridian becomes a MultiPolygon of two parts.
 * @param bounds `[minLon, minLat, maxLon, maxLat]`.
 * @returns a Polygon, or a MultiPolygon across the antimeridian.
 * @throws GeoSamplingError `INVALID_ARGUMENT` unless `bounds` is four finite numbers.
 * @example
 * bboxToPolygon([0, 0, 1, 1]).type; // 'Polygon'
 */
export function bboxToPolygon(bounds: BBox): Polygon | MultiPolygon {
  checkBox('bboxToPolygon', 'bounds', bounds);
  const ring = (b: BBox) => [
    [b[0], b[1]],
    [b[0], b[3]],
    [b[2], b[3]],
    [b[2], b[1]],
    [b[0], b[1]],
  ];
  const parts = splitBBoxAtAntimeridian(bounds);
  if (parts.length === 1) return { type: 'Polygon', coordinates: [ring(parts[0])] };
  return { type: 'MultiPolygon', coordinates: parts.map((p) => [ring(p)]) };
}
