import { epsgOfGeographicKey, epsgOfProjectedKey } from '../crs/epsg-geokeys.js';
import { ESRI_MOLLWEIDE, type GeoKeyDirectory, namedGeoKeys, shortGeoKey } from '../crs/geokeys.js';
import { RasterIoError } from '../errors.js';
import type { GeoBlock, GeoTransform } from '../types.js';
import { unitsContradict } from './linear-units.js';
import { isNode, parseWkt, type WktNode, wktChild, wktChildren } from './wkt.js';

/** The tag values needed to derive georeferencing (any may be missing). */
export interface GeoTags {
  pixelScale?: ArrayLike<number>;
  tiepoint?: ArrayLike<number>;
  transformation?: ArrayLike<number>;
  /** The file's GeoKeys (references into its params: values are copied out as they are read). */
  geoKeys?: GeoKeyDirectory;
  /** The transform to use when the tags give none (a world file's, as GDAL falls back to it). */
  fallbackTransform?: GeoTransform;
  /** A transform that wins over the tags' (a PAM sidecar's, which GDAL reads first). */
  overrideTransform?: GeoTransform;
  /** A CRS that wins over the GeoKeys (a PAM sidecar's SRS): its EPSG code, 0 for one without. */
  overrideEpsg?: number;
}

const USER_DEFINED = 32767;

const MODEL_TYPE_PROJECTED = 1;
const MODEL_TYPE_GEOGRAPHIC = 2;

/** EPSG 32601–32660 and 32701–32760: WGS 84 / UTM zones north and south. */
const isWgs84Utm = (code: number): boolean =>
  (code >= 32601 && code <= 32660) || (code >= 32701 && code <= 32760);

/** The keys as {@link namedGeoKeys} gives them: SHORT keys as numbers, DOUBLE keys as their first value, text. */
type NamedKeys = Record<string, number | string | undefined>;

/**
 * EPSG code from ProjectedCSTypeGeoKey, else GeographicTypeGeoKey; 0 when absent or user-defined.
 * A projected model with a user-defined CRS is never reported as its geographic base (that would read metres as
 * degrees): it is 0, except World Mollweide (GHSL's files), which GDAL writes user-defined and we report as 54009.
 * The model type decides as in GDAL: projected, user-defined or absent take the projected CRS; geographic takes
 * GeographicTypeGeoKey, else the projected CRS's geographic base (known here for WGS 84 UTM zones); geocentric and
 * other values have no EPSG code (GDAL reads a GEOCCS or LOCAL_CS). A projected key is read as GDAL reads it
 * ({@link epsgOfProjectedKey}; 0 when the file's linear unit keys contradict the code's unit, see
 * {@link projectedCode}), a geographic key too ({@link epsgOfGeographicKey}: its code, deprecated or not, or the
 * geographic 3D CRS when the VerticalCSTypeGeoKey beside it is how GDAL writes one). Only keys of the type
 * libgeotiff expects count (a SHORT key stored as DOUBLE or ASCII params is ignored, as GDAL ignores it).
 */
export function epsgFromGeoKeys(keys: NamedKeys | null | undefined): number {
  if (!keys) return 0;
  const modelType = numberOf(keys.GTModelTypeGeoKey) ?? USER_DEFINED;
  const projected = numberOf(keys.ProjectedCSTypeGeoKey) ?? 0;
  const hasProjected = projected > 0 && projected !== USER_DEFINED;
  const geographic = numberOf(keys.GeographicTypeGeoKey) ?? 0;
  const hasGeographic = geographic > 0 && geographic !== USER_DEFINED;
  if (modelType === MODEL_TYPE_GEOGRAPHIC) {
    if (hasGeographic) return epsgOfGeographicKey(geographic, numberOf(keys.VerticalCSTypeGeoKey));
    return hasProjected && isWgs84Utm(projected) ? 4326 : 0;
  }
  if (modelType !== MODEL_TYPE_PROJECTED && modelType !== USER_DEFINED) return 0;
  if (hasProjected) return projectedCode(projected, keys);
  // GDAL marks CRSs GeoTIFF cannot encode (Mollweide...) as a user-defined model with projection keys.
  const hasProjectionKeys = keys.PCSCitationGeoKey !== undefined || keys.ProjLinearUnitsGeoKey !== undefined;
  if (modelType === MODEL_TYPE_PROJECTED || (modelType === USER_DEFINED && hasProjectionKeys)) {
    return isWorldMollweide(keys) ? ESRI_MOLLWEIDE : 0;
  }
  if (hasGeographic) return epsgOfGeographicKey(geographic, numberOf(keys.VerticalCSTypeGeoKey));
  return 0;
}

/** A key's number (SHORT keys and DOUBLE keys alike, as {@link namedGeoKeys} typed them); undefined for text. */
const numberOf = (v: number | string | undefined): number | undefined =>
  typeof v === 'number' ? v : undefined;

/** Keys that make GDAL build the projected CRS from the keys instead of importing ProjectedCSTypeGeoKey's code. */
const KEYS_BESIDE_THE_CODE = [
  'ProjectionGeoKey',
  'ProjCoordTransGeoKey',
  'GeographicTypeGeoKey',
  'GeogGeodeticDatumGeoKey',
  'GeogEllipsoidGeoKey',
] as const;

/**
 * The code GDAL reports for ProjectedCSTypeGeoKey `code`: when it imports the code from EPSG (no projection,
 * datum or ellipsoid keys beside it), a ProjLinearUnitsGeoKey (or, user-defined, a ProjLinearUnitSizeGeoKey) in
 * another unit than the code's rescales the CRS and drops the code: 0, the keys kept (2263, in US feet, with a
 * metre key is no EPSG:2263). Else {@link epsgOfProjectedKey}.
 */
function projectedCode(code: number, keys: NamedKeys): number {
  const imported = KEYS_BESIDE_THE_CODE.every((k) => numberOf(keys[k]) === undefined);
  const units = {
    units: numberOf(keys.ProjLinearUnitsGeoKey),
    size: numberOf(keys.ProjLinearUnitSizeGeoKey),
  };
  if (imported && unitsContradict(code, units)) return 0;
  return epsgOfProjectedKey(code);
}

/** WGS 84's ellipsoid, as ESRI:54009 has it. */
const WGS84_A = 6378137;
const WGS84_RF = 298.257223563;
const near = (a: unknown, b: number): boolean =>
  typeof a === 'number' && Math.abs(a - b) <= 1e-9 * Math.abs(b);

/**
 * Whether the keys are World Mollweide (ESRI:54009) exactly: GDAL writes Mollweide, which GeoTIFF has no code for,
 * as the ESRI WKT of an "ESRI PE String" citation (PCSCitationGeoKey, else GTCitationGeoKey); that WKT must be
 * Mollweide on the WGS 84 datum and ellipsoid, Greenwich, central meridian 0, false easting and northing 0, in
 * metres, and the keys beside it must not say otherwise (GeographicTypeGeoKey 4326, ProjLinearUnitsGeoKey 9001,
 * the WGS 84 axes when present). Another central meridian, a sphere or a false easting is another CRS: 0.
 */
function isWorldMollweide(keys: NamedKeys): boolean {
  const geographic = numberOf(keys.GeographicTypeGeoKey);
  const units = numberOf(keys.ProjLinearUnitsGeoKey);
  if (geographic !== undefined && geographic !== 4326) return false;
  if (units !== undefined && units !== 9001) return false;
  if (keys.GeogSemiMajorAxisGeoKey !== undefined && !near(keys.GeogSemiMajorAxisGeoKey, WGS84_A))
    return false;
  if (keys.GeogInvFlatteningGeoKey !== undefined && !near(keys.GeogInvFlatteningGeoKey, WGS84_RF))
    return false;
  const wkt = peString(keys.PCSCitationGeoKey) ?? peString(keys.GTCitationGeoKey);
  return wkt !== undefined && isMollweideWkt(wkt);
}

const PE_STRING = 'ESRI PE String = ';

/** The WKT of a citation holding an ESRI PE string (what follows the marker, as GDAL reads it). */
function peString(citation: number | string | undefined): WktNode | undefined {
  if (typeof citation !== 'string') return undefined;
  const at = citation.indexOf(PE_STRING);
  return at < 0 ? undefined : parseWkt(citation.slice(at + PE_STRING.length).trim());
}

/** ESRI:54009's WKT in substance: names aside, only the values that make it that CRS. */
function isMollweideWkt(root: WktNode): boolean {
  if (root.keyword.toUpperCase() !== 'PROJCS') return false;
  const projection = wktChild(root, 'PROJECTION')?.args[0];
  if (typeof projection !== 'string' || projection.toLowerCase() !== 'mollweide') return false;
  const zeroParameters = new Set(['central_meridian', 'false_easting', 'false_northing']);
  for (const p of wktChildren(root, 'PARAMETER')) {
    const [name, value] = p.args;
    if (typeof name !== 'string' || !zeroParameters.has(name.toLowerCase()) || value !== 0) return false;
  }
  const unit = wktChild(root, 'UNIT')?.args[1];
  const geogcs = wktChild(root, 'GEOGCS');
  if (unit !== 1 || !geogcs) return false;
  const datum = wktChild(geogcs, 'DATUM');
  const datumName = datum?.args[0];
  const spheroid = datum ? wktChild(datum, 'SPHEROID') : undefined;
  const primem = wktChild(geogcs, 'PRIMEM')?.args[1];
  return (
    typeof datumName === 'string' &&
    ['d_wgs_1984', 'wgs_1984'].includes(datumName.toLowerCase()) &&
    spheroid !== undefined &&
    near(spheroid.args[1], WGS84_A) &&
    near(spheroid.args[2], WGS84_RF) &&
    primem === 0 &&
    !root.args.some((a) => isNode(a) && a.keyword.toUpperCase() === 'EXTENSION')
  );
}

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
  // GTRasterTypeGeoKey as libgeotiff reads it: a SHORT; stored as DOUBLE or ASCII params it is ignored
  if (shortGeoKey(tags.geoKeys, 1025) === 2) {
    // PixelIsPoint: GDAL moves the origin to the corner of the first pixel.
    t = [t[0] - 0.5 * t[1] - 0.5 * t[2], t[1], t[2], t[3] - 0.5 * t[4] - 0.5 * t[5], t[4], t[5]];
  }
  return t;
}

/**
 * Geo block of a full-resolution image, or undefined when it has no transform. A CRS without a plain EPSG
 * code (0, Mollweide's 54009, or with a vertical part) keeps the file's GeoKeys so that writing it keeps the CRS.
 * A PAM sidecar's transform and SRS win (`overrideTransform`, `overrideEpsg`: then the keys are not kept).
 */
export function geoFromTags(tags: GeoTags, name: string): GeoBlock | undefined {
  const transform = tags.overrideTransform ?? transformFromTags(tags) ?? tags.fallbackTransform;
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
  // the SRS of a PAM sidecar replaces the keys' CRS: the keys no longer describe the raster
  if (tags.overrideEpsg !== undefined) return { epsg: tags.overrideEpsg, transform };
  const epsg = epsgFromGeoKeys(namedGeoKeys(tags.geoKeys));
  // Vertical keys (4096 VerticalCSTypeGeoKey...) make a compound CRS that an EPSG code alone would drop.
  const keys = tags.geoKeys;
  const vertical = shortGeoKey(keys, 4096) !== undefined;
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
