import type { BBox } from '@worldstrat/core';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { bboxCenter, bboxToPolygon } from '../aoi/bbox.js';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import { checkAoisArgument } from '../internal/check-arguments.js';
import {
  boundsOfPolygons,
  checkArray,
  checkBBox,
  checkFiniteNumber,
  checkGeoJsonBBox,
  checkMultiPolygonCoordinates,
  checkPolygonCoordinates,
  checkRecord,
  describeValue,
  fail,
  isRecord,
  type Place,
} from '../internal/geometry-checks.js';
import { assertArea, assertLatitude, assertLongitude, assertPointInBounds } from '../internal/validate.js';

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
  checkAoisArgument('aoisToGeoJson', 'aois', aois);
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
 * and `area` property; bounds come from the `bounds` property, else the feature `bbox`, else the (Multi)Polygon
 * geometry; `lon`/`lat` default to the box centre). Names must be unique; coordinates must be finite and in
 * [-180, 180] × [-90, 90]; rings must be closed with ≥ 4 positions; a `bbox` may hold 6 numbers (3D, RFC 7946);
 * a leading byte-order mark is skipped. Boxes with `minLon > maxLon` must be less than 180° wide across the
 * antimeridian, and `lon`/`lat` must lie in the feature's box.
 * @param input GeoJSON text or object.
 * @returns the AOIs.
 * @throws GeoSamplingError `PARSE_ERROR`, `MISSING_COLUMN`, `MISSING_NAME`, `DUPLICATE_NAME`, `INVALID_AREA`,
 *   `INVALID_LONGITUDE`, `INVALID_LATITUDE`, naming the feature index and member (`features[3].properties.bounds`).
 * @example
 * readAoisGeoJson(JSON.stringify(aoisToGeoJson(aois)));
 */
export function readAoisGeoJson(input: string | FeatureCollection): Aoi[] {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      // a leading byte-order mark is valid in a GeoJSON file (GDAL reads it); JSON.parse refuses it
      doc = JSON.parse(input.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new GeoSamplingError('PARSE_ERROR', `GeoJSON is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (!isRecord(doc) || doc.type !== 'FeatureCollection')
    throw new GeoSamplingError('PARSE_ERROR', 'AOI GeoJSON must be a FeatureCollection');
  const features = checkArray(doc.features, { where: 'AOI GeoJSON features' }, 'an array of Features');
  const seen = new Map<string, number>();
  return features.map((f, row) => {
    const aoi = aoiFromFeature(f, row);
    const prev = seen.get(aoi.name);
    if (prev !== undefined) {
      throw new GeoSamplingError(
        'DUPLICATE_NAME',
        `AOI GeoJSON features[${row}]: name '${aoi.name}' repeats features[${prev}]`,
        { row },
      );
    }
    seen.set(aoi.name, row);
    return aoi;
  });
}

/** One AOI from one feature; `row` is the feature index. */
function aoiFromFeature(f: unknown, row: number): Aoi {
  const where = `AOI GeoJSON features[${row}]`;
  const feature = checkRecord(f, { where, row }, 'a Feature object');
  const p = checkRecord(feature.properties ?? {}, { where: `${where}.properties`, row }, 'an object');
  if (typeof p.name !== 'string' || typeof p.area !== 'number') {
    throw new GeoSamplingError(
      'MISSING_COLUMN',
      `${where} needs string 'name' and number 'area' properties`,
      { row },
    );
  }
  if (p.name.trim() === '') throw new GeoSamplingError('MISSING_NAME', `${where} has an empty name`, { row });
  assertArea(p.area, { what: `${where}.properties.area`, row });
  const bounds = featureBounds(feature, p, where, row);
  const [centreLon, centreLat] = bboxCenter(bounds);
  const aoi: Aoi = {
    name: p.name,
    lon: optionalNumber(p.lon, { where: `${where}.properties.lon`, row }) ?? centreLon,
    lat: optionalNumber(p.lat, { where: `${where}.properties.lat`, row }) ?? centreLat,
    bounds,
    areaKm2: p.area,
    source: optionalString(p.source, { where: `${where}.properties.source`, row }) ?? '',
  };
  assertLongitude(aoi.lon, { what: `${where}.properties.lon`, row });
  assertLatitude(aoi.lat, { what: `${where}.properties.lat`, row });
  assertPointInBounds(aoi.lon, aoi.lat, bounds, { what: `${where}.properties.lon/lat`, row });
  const parent = optionalString(p.parent, { where: `${where}.properties.parent`, row });
  if (parent !== undefined) aoi.parent = parent;
  return aoi;
}

/** The box from the `bounds` property, else the feature `bbox`, else the (Multi)Polygon geometry. */
function featureBounds(
  feature: Record<string, unknown>,
  p: Record<string, unknown>,
  where: string,
  row: number,
) {
  if (p.bounds !== undefined && p.bounds !== null)
    return checkBBox(p.bounds, { where: `${where}.properties.bounds`, row });
  if (feature.bbox !== undefined && feature.bbox !== null)
    return checkGeoJsonBBox(feature.bbox, { where: `${where}.bbox`, row });
  const g = feature.geometry;
  const place = { where: `${where}.geometry.coordinates`, row };
  if (isRecord(g) && g.type === 'Polygon')
    return boundsOfPolygons([checkPolygonCoordinates(g.coordinates, place)]);
  if (isRecord(g) && g.type === 'MultiPolygon') {
    const polygons = checkMultiPolygonCoordinates(g.coordinates, place);
    if (polygons.length > 0) return boundsOfPolygons(polygons);
  }
  throw new GeoSamplingError(
    'PARSE_ERROR',
    `${where} has no bounds: no 'bounds' property, no 'bbox' and no (Multi)Polygon geometry`,
    { row },
  );
}

/** A member that may be absent (undefined or null) but must be a number when present. */
function optionalNumber(value: unknown, place: Place): number | undefined {
  if (value === undefined || value === null) return undefined;
  return checkFiniteNumber(value, place);
}

/** A member that may be absent (undefined or null) but must be a string when present. */
function optionalString(value: unknown, place: Place): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(place, 'PARSE_ERROR', `must be a string, got ${describeValue(value)}`);
  return value;
}
