import type { BBox } from '@worldstrat/core';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { bboxToPolygon } from '../aoi/bbox.js';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';

/** Properties of an AOI feature written by {@link aoisToGeoJson}. */
export interface AoiFeatureProperties {
  name: string;
  lon: number;
  lat: number;
  area: number;
  source: string;
  bounds: BBox;
  parent?: string;
}

/**
 * AOIs as a GeoJSON FeatureCollection of box polygons (MultiPolygons across the antimeridian) whose properties
 * carry `name, lon, lat, area, source, bounds[, parent]`.
 * @param aois the AOIs.
 * @returns the FeatureCollection.
 * @example
 * JSON.stringify(aoisToGeoJson(aois));
 */
export function aoisToGeoJson(
  aois: readonly Aoi[],
): FeatureCollection<Polygon | MultiPolygon, AoiFeatureProperties> {
  return {
    type: 'FeatureCollection',
    features: aois.map((a): Feature<Polygon | MultiPolygon, AoiFeatureProperties> => {
      const properties: AoiFeatureProperties = {
        name: a.name,
        lon: a.lon,
        lat: a.lat,
        area: a.areaKm2,
        source: a.source,
        bounds: [...a.bounds] as BBox,
      };
      if (a.parent !== undefined) properties.parent = a.parent;
      return {
        type: 'Feature',
        bbox: [a.bounds[0], a.bounds[1], a.bounds[2], a.bounds[3]],
        geometry: bboxToPolygon(a.bounds),
        properties,
      };
    }),
  };
}

/**
 * Reads AOIs from a GeoJSON FeatureCollection written by {@link aoisToGeoJson} (or any features with a `name`
 * and `area` property; bounds come from the `bounds` property, else the feature `bbox`, else the geometry).
 * @param input GeoJSON text or object.
 * @returns the AOIs.
 * @throws GeoSamplingError `PARSE_ERROR` / `MISSING_COLUMN` naming the feature index.
 * @example
 * readAoisGeoJson(JSON.stringify(aoisToGeoJson(aois)));
 */
export function readAoisGeoJson(input: string | FeatureCollection): Aoi[] {
  let fc: FeatureCollection;
  try {
    fc = typeof input === 'string' ? JSON.parse(input) : input;
  } catch (err) {
    throw new GeoSamplingError('PARSE_ERROR', `GeoJSON is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (fc?.type !== 'FeatureCollection')
    throw new GeoSamplingError('PARSE_ERROR', 'AOI GeoJSON must be a FeatureCollection');
  return fc.features.map((f, row) => {
    const p = (f.properties ?? {}) as Partial<AoiFeatureProperties>;
    if (typeof p.name !== 'string' || typeof p.area !== 'number') {
      throw new GeoSamplingError(
        'MISSING_COLUMN',
        `feature ${row} needs string 'name' and number 'area' properties`,
        { row },
      );
    }
    let bounds = (p.bounds ?? f.bbox) as number[] | undefined;
    if (!bounds && f.geometry && (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon')) {
      const pts =
        f.geometry.type === 'Polygon' ? f.geometry.coordinates.flat() : f.geometry.coordinates.flat(2);
      const xs = pts.map((q) => q[0]);
      const ys = pts.map((q) => q[1]);
      bounds = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    }
    if (!bounds || bounds.length !== 4)
      throw new GeoSamplingError('PARSE_ERROR', `feature ${row} ('${p.name}') has no bounds`, { row });
    const b = bounds.slice(0, 4) as BBox;
    const aoi: Aoi = {
      name: p.name,
      lon: typeof p.lon === 'number' ? p.lon : (b[0] + b[2]) / 2,
      lat: typeof p.lat === 'number' ? p.lat : (b[1] + b[3]) / 2,
      bounds: b,
      areaKm2: p.area,
      source: p.source ?? '',
    };
    if (typeof p.parent === 'string') aoi.parent = p.parent;
    return aoi;
  });
}
