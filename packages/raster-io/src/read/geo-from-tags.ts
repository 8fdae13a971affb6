import { epsgOfGeographicKey, epsgOfProjectedKey } from '../crs/epsg-geokeys.js';
import { ESRI_MOLLWEIDE, type GeoKeyDirectory, geoKeyValue, namedGeoKeys } from '../crs/geokeys.js';
import { RasterIoError } from '../errors.js';
import type { GeoBlock, GeoTransform } from '../types.js';

/** The tag values needed to derive georeferencing (any may be missing). */
export interface GeoTags {
  pixelScale?: ArrayLike<number>;
  tiepoint?: ArrayLike<number>;
  transformation?: ArrayLike<number>;
  /** The file's GeoKeys (references into its params: values are copied out as they are read). */
  geoKeys?: GeoKeyDirectory;
  /** The transform to use when the tags give none (a world file's, as GDAL falls back to it). */
  fallbackTransform?: GeoTransform;
}

const USER_DEFINED = 32767;

const MODEL_TYPE_PROJECTED = 1;
const MODEL_TYPE_GEOGRAPHIC = 2;

/** EPSG 32601–32660 and 32701–32760: WGS 84 / UTM zones north and south. */
const isWgs84Utm = (code: number): boolean =>
  (code >= 32601 && code <= 32660) || (code >= 32701 && code <= 32760);

/**
 * EPSG code from ProjectedCSTypeGeoKey, else GeographicTypeGeoKey; 0 when absent or user-defined.
 * A projected model with a user-defined CRS is never reported as its geographic base (that would read metres as
 * degrees): it is 0, except World Mollweide (GHSL's files), which GDAL writes user-defined and we report as 54009.
 * The model type decides as in GDAL: projected, user-defined or absent take the projected CRS; geographic takes
 * GeographicTypeGeoKey, else the projected CRS's geographic base (known here for WGS 84 UTM zones); geocentric and
 * other values have no EPSG code (GDAL reads a GEOCCS or LOCAL_CS). A projected key is read as GDAL reads it
 * ({@link epsgOfProjectedKey}), a geographic key too ({@link epsgOfGeographicKey}: its code, deprecated or not, or the
 * geographic 3D CRS when the VerticalCSTypeGeoKey beside it is how GDAL writes one).
 */
export function epsgFromGeoKeys(keys: Record<string, unknown> | null | undefined): number {
  if (!keys) return 0;
  const modelType = keys.GTModelTypeGeoKey === undefined ? USER_DEFINED : Number(keys.GTModelTypeGeoKey);
  const projected = Number(keys.ProjectedCSTypeGeoKey);
  const hasProjected = Number.isInteger(projected) && projected > 0 && projected !== USER_DEFINED;
  if (modelType === MODEL_TYPE_GEOGRAPHIC) {
    const geographic = Number(keys.GeographicTypeGeoKey);
    if (Number.isInteger(geographic) && geographic > 0 && geographic !== USER_DEFINED) {
      return epsgOfGeographicKey(geographic, verticalKey(keys));
    }
    return hasProjected && isWgs84Utm(projected) ? 4326 : 0;
  }
  if (modelType !== MODEL_TYPE_PROJECTED && modelType !== USER_DEFINED) return 0;
  if (hasProjected) return epsgOfProjectedKey(projected);
  // GDAL marks CRSs GeoTIFF cannot encode (Mollweide...) as a user-defined model with projection keys.
  const hasProjectionKeys = keys.PCSCitationGeoKey !== undefined || keys.ProjLinearUnitsGeoKey !== undefined;
  if (modelType === MODEL_TYPE_PROJECTED || (modelType === USER_DEFINED && hasProjectionKeys)) {
    const citation = `${keys.GTCitationGeoKey ?? ''} ${keys.PCSCitationGeoKey ?? ''}`;
    return /mollweide/i.test(citation) ? ESRI_MOLLWEIDE : 0;
  }
  const geographic = Number(keys.GeographicTypeGeoKey);
  if (Number.isInteger(geographic) && geographic > 0 && geographic !== USER_DEFINED) {
    return epsgOfGeographicKey(geographic, verticalKey(keys));
  }
  return 0;
}

const verticalKey = (keys: Record<string, unknown>): number | undefined =>
  keys.VerticalCSTypeGeoKey === undefined ? undefined : Number(keys.VerticalCSTypeGeoKey);

/** GDAL takes the transform from ModelPixelScale (+ ModelTiepoint) when it has two non-zero scales. */
function pixelScaleWins(scale: ArrayLike<number>): boolean {
  return scale.length >= 2 && Number(scale[0]) !== 0 && Number(scale[1]) !== 0;
}

/**
 * GDAL-ordered geotransform as GDAL derives it: ModelPixelScale (two non-zero values) with ModelTiepoint wins, and
 * then a missing tiepoint means no transform; else exactly 16 ModelTransformation values. A negative Y scale is
 * taken as north-up (GDAL's default: such files exist and mean it), and PixelIsPoint rasters get GDAL's
 * half-pixel shift. Undefined when the file has none.
 */
export function transformFromTags(tags: GeoTags): GeoTransform | undefined {
  let t: GeoTransform | undefined;
  const scale = tags.pixelScale;
  const m = tags.transformation;
  if (scale && pixelScaleWins(scale)) {
    if (!tags.tiepoint || tags.tiepoint.length < 6) return undefined;
    const [i, j, , x, y] = Array.from(tags.tiepoint, Number);
    const sx = Number(scale[0]);
    const sy = -Math.abs(Number(scale[1]));
    t = [(x as number) - (i as number) * sx, sx, 0, (y as number) - (j as number) * sy, 0, sy];
  } else if (m && m.length === 16) {
    t = [m[3], m[0], m[1], m[7], m[4], m[5]].map(Number) as GeoTransform;
  }
  if (!t) return undefined;
  if (Number(geoKeyValue(tags.geoKeys, 1025)) === 2) {
    // PixelIsPoint: GDAL moves the origin to the corner of the first pixel.
    t = [t[0] - 0.5 * t[1] - 0.5 * t[2], t[1], t[2], t[3] - 0.5 * t[4] - 0.5 * t[5], t[4], t[5]];
  }
  return t;
}

/**
 * Geo block of a full-resolution image, or undefined when it has no transform. A CRS without a plain EPSG
 * code (0, Mollweide's 54009, or with a vertical part) keeps the file's GeoKeys so that writing it keeps the CRS.
 */
export function geoFromTags(tags: GeoTags, name: string): GeoBlock | undefined {
  const transform = transformFromTags(tags) ?? tags.fallbackTransform;
  if (!transform) return undefined;
  if (!transform.every(Number.isFinite)) {
    // GDAL hands such a transform on as it is; NaN or infinite coordinates are no georeferencing.
    const from =
      tags.pixelScale && pixelScaleWins(tags.pixelScale)
        ? 'ModelPixelScale/ModelTiepoint'
        : 'ModelTransformation';
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD 0's ${from} give a non-finite geotransform [${transform.join(', ')}]`,
    );
  }
  const epsg = epsgFromGeoKeys(namedGeoKeys(tags.geoKeys));
  // Vertical keys (4096 VerticalCSTypeGeoKey...) make a compound CRS that an EPSG code alone would drop.
  const keys = tags.geoKeys;
  const vertical = keys?.has(4096) === true;
  const keepKeys = keys && (epsg === 0 || epsg === ESRI_MOLLWEIDE || vertical) && keys.has(1024);
  return keepKeys ? { epsg, transform, geoKeys: keys.toGeoKeys() } : { epsg, transform };
}

/** Geo block of an overview: same extent as the full image, coarser pixels. */
export function scaleGeo(
  geo: GeoBlock,
  fullWidth: number,
  fullHeight: number,
  width: number,
  height: number,
): GeoBlock {
  const fx = fullWidth / width;
  const fy = fullHeight / height;
  const [ox, a, b, oy, d, e] = geo.transform;
  return { ...geo, transform: [ox, a * fx, b * fy, oy, d * fx, e * fy] };
}

/** Geo block of a pixel window of a raster. */
export function windowGeo(geo: GeoBlock, x: number, y: number): GeoBlock {
  const [ox, a, b, oy, d, e] = geo.transform;
  return { ...geo, transform: [ox + x * a + y * b, a, b, oy + x * d + y * e, d, e] };
}
