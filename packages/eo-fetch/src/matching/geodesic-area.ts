// Geodesic areas on the WGS-84 ellipsoid (GeographicLib) and footprint ∩ AOI coverage.

import { featureCollection, polygon as turfPolygon } from '@turf/helpers';
import { intersect } from '@turf/intersect';
import type { BBox } from '@worldstrat/core';
import { bboxToPolygon, splitBBoxAtAntimeridian } from '@worldstrat/geo-sampling';
import geographiclib from 'geographiclib-geodesic';
import type { Footprint } from './catalogue-entry.js';

const WGS84 = geographiclib.Geodesic.WGS84;

/**
 * Area of a lon/lat polygon on the WGS-84 ellipsoid in km² (outer rings minus holes; GeographicLib).
 *
 * @param geometry - Polygon or MultiPolygon in degrees
 * @returns area in km²
 * @example
 * ```ts
 * geodesicAreaKm2({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] }); // ≈ 12308.78
 * ```
 */
export function geodesicAreaKm2(geometry: Footprint): number {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let total = 0;
  for (const rings of polys) {
    rings.forEach((ring, i) => {
      const p = WGS84.Polygon(false);
      const n =
        ring.length > 1 && ring[0][0] === ring.at(-1)![0] && ring[0][1] === ring.at(-1)![1]
          ? ring.length - 1
          : ring.length;
      for (let k = 0; k < n; k++) p.AddPoint(ring[k][1], ring[k][0]);
      const a = Math.abs(p.Compute(false, true).area ?? 0) / 1e6;
      total += i === 0 ? a : -a;
    });
  }
  return total;
}

/**
 * Geodesic area of a lon/lat box in km², rounded to 0.001 km² (what a SPOT order of that box costs in quota).
 *
 * @param bbox - `[west, south, east, north]` in degrees.
 * @returns area in km².
 * @example bboxAreaKm2([8.53, 47.36, 8.55, 47.38]) // ≈ 3.35
 */
export function bboxAreaKm2(bbox: BBox | readonly number[]): number {
  return Math.round(geodesicAreaKm2(bboxToPolygon(bbox as BBox)) * 1000) / 1000;
}

/**
 * How much of an AOI box a footprint covers (fraction and km²).
 * The planar (lon/lat) intersection of the two, measured
 * geodesically, divided by the box's geodesic area. Boxes across the antimeridian are split first.
 *
 * @param footprint - scene footprint
 * @param bounds - AOI `[minLon, minLat, maxLon, maxLat]` (`minLon > maxLon` across ±180°)
 * @returns `{ areaKm2, aoiAreaKm2, coverage }` with coverage in [0, 1]
 */
export function footprintCoverage(
  footprint: Footprint,
  bounds: BBox,
): { areaKm2: number; aoiAreaKm2: number; coverage: number } {
  let areaKm2 = 0;
  let aoiAreaKm2 = 0;
  const fp = { type: 'Feature' as const, properties: {}, geometry: footprint };
  for (const part of splitBBoxAtAntimeridian(bounds)) {
    const box = bboxToPolygon(part);
    aoiAreaKm2 += geodesicAreaKm2(box as Footprint);
    const inter = intersect(
      featureCollection([turfPolygon((box as { coordinates: number[][][] }).coordinates), fp as never]),
    );
    if (inter) areaKm2 += geodesicAreaKm2(inter.geometry as Footprint);
  }
  return { areaKm2, aoiAreaKm2, coverage: aoiAreaKm2 > 0 ? Math.min(1, areaKm2 / aoiAreaKm2) : 0 };
}
