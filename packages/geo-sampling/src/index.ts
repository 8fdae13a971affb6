// Public API of @worldstrat/geo-sampling: named re-exports only.

export type { Rng, UtmZone } from '@worldstrat/core';
// UTM zone helpers live in @worldstrat/core (one implementation for the workspace); re-exported here.
export { createRng, utmEpsgForLonLat, utmZoneForLonLat } from '@worldstrat/core';
export { bboxToPolygon, splitBBoxAtAntimeridian } from './aoi/bbox.js';
export type { Aoi, AoiBoundsOptions, CreateAoiOptions, NamedPoint } from './aoi/create-aoi.js';
export { aoiBounds, createAoi, createAois, namePoints } from './aoi/create-aoi.js';
export type { GeoSamplingErrorCode } from './errors.js';
export { GEO_SAMPLING_ERROR_CODES, GeoSamplingError } from './errors.js';
export type {
  CreateLandMaskOptions,
  LandGeometryInput,
  LandMask,
  Topology,
  VectorLandMask,
  VectorLandMaskStats,
} from './land/land-mask.js';
export { createLandMask } from './land/land-mask.js';
export type { LoadLandMaskOptions, NaturalEarthScale } from './land/load-land-mask.js';
export { isLand, loadLandMask } from './land/load-land-mask.js';
export type { MaskRaster, RasterLandMaskOptions } from './land/raster-land-mask.js';
export { landMaskFromRaster } from './land/raster-land-mask.js';
export type { Poi, ReadPoisOptions, ReadPoisResult } from './poi/read-pois.js';
export { PARTNER_POI_PRESETS, readPois } from './poi/read-pois.js';
export { samplePointsInRegion } from './sphere/sample-points-in-region.js';
export type { SamplePointsOnLandOptions } from './sphere/sample-points-on-land.js';
export { samplePointsOnLand } from './sphere/sample-points-on-land.js';
export type { SamplePoint, SamplePointsOptions } from './sphere/sample-points-on-sphere.js';
export { samplePointsOnSphere } from './sphere/sample-points-on-sphere.js';
export type { ReadAoisCsvOptions } from './table/aoi-csv.js';
export { aoisToCsv, pointsToCsv, readAoisCsv } from './table/aoi-csv.js';
export type { AoiFeatureProperties } from './table/aoi-geojson.js';
export { aoisToGeoJson, readAoisGeoJson } from './table/aoi-geojson.js';
export { tileAoi, tileAoi3x3 } from './tiling/tile-aoi.js';
export { lonLatToUtm, utmProj4Definition } from './utm/utm.js';
