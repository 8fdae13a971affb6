// GeoTIFF GeoKeys by id: parsed from a file's GeoKeyDirectory (bounded: every reference is checked) and
// serialised back, so a CRS without an EPSG code survives a read → write round trip unchanged.
import type { GeoKeys, GeoKeyValue } from '../types.js';

/** The GeoKey ids this package interprets. */
export const GEO_KEY = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GTCitation: 1026,
  GeographicType: 2048,
  GeogCitation: 2049,
  GeogAngularUnits: 2054,
  GeogSemiMajorAxis: 2057,
  GeogInvFlattening: 2059,
  ProjectedCSType: 3072,
  PCSCitation: 3073,
  Projection: 3074,
  ProjLinearUnits: 3076,
  VerticalCSType: 4096,
} as const;

/** ESRI's code for World Mollweide, which GeoTIFF can only store as a user-defined CRS. */
export const ESRI_MOLLWEIDE = 54009;

const TAG_DIRECTORY = 34735;
const TAG_DOUBLE = 34736;
const TAG_ASCII = 34737;
const MAX_KEYS = 1024;
/**
 * Values (doubles, ASCII characters) all keys together may copy beyond what the params hold: a writer gives each
 * key its own range, while 1024 keys each naming the whole params would copy them 1024 times (GiBs).
 */
const COPY_SLACK = 64 * MAX_KEYS;

/**
 * Parse GeoKeyDirectory (+ GeoDoubleParams, GeoAsciiParams) into values by key id, as libgeotiff (GDAL's reader)
 * does: a directory newer than version 1, with more keys than it holds, or with one key it cannot read (an
 * inline value whose count is not 1, params outside their array or missing, an ASCII value starting past the
 * ASCII params, an unknown location) is ignored whole, never read in part; an ASCII value running past the end
 * of the params is cut there, as libgeotiff cuts it. Keys stored in the directory itself are skipped; ASCII values lose their '|'.
 * A directory whose keys together name more values than the params hold (plus {@link COPY_SLACK}) is ignored too:
 * libgeotiff points into the params, this copies each key's values.
 */
export function parseGeoKeyDirectory(
  directory: ArrayLike<number> | undefined,
  doubles: ArrayLike<number> | undefined,
  ascii: string | undefined,
): GeoKeys | undefined {
  if (!directory || directory.length < 4 || Number(directory[0]) > 1) return undefined;
  const declared = Number(directory[3]);
  if (4 + 4 * declared > directory.length) return undefined;
  // libgeotiff measures the ASCII params as a C string.
  const text = ascii?.split('\0')[0];
  const keys: Record<number, GeoKeyValue> = {};
  let budget = (doubles?.length ?? 0) + (text?.length ?? 0) + COPY_SLACK;
  for (let k = 0; k < Math.min(declared, MAX_KEYS); k++) {
    const at = 4 + 4 * k;
    const id = Number(directory[at]);
    const location = Number(directory[at + 1]);
    const n = Number(directory[at + 2]);
    const offset = Number(directory[at + 3]);
    if (location === TAG_DOUBLE) budget -= n;
    else if (location === TAG_ASCII) budget -= Math.min(n, Math.max(0, (text?.length ?? 0) - offset));
    if (budget < 0) return undefined;
    const value = keyValue(location, n, offset, doubles, text);
    if (value === null) return undefined;
    if (value !== undefined) keys[id] = value;
  }
  return Object.keys(keys).length > 0 ? keys : undefined;
}

/** One key's value; undefined for a key kept in the directory itself, null for one libgeotiff refuses. */
function keyValue(
  location: number,
  n: number,
  offset: number,
  doubles: ArrayLike<number> | undefined,
  ascii: string | undefined,
): GeoKeyValue | undefined | null {
  if (location === 0) return n === 1 ? offset : null;
  if (location === TAG_DIRECTORY) return undefined;
  if (location === TAG_DOUBLE) {
    if (!doubles || offset + n > doubles.length) return null;
    return Array.from({ length: n }, (_, i) => Number(doubles[offset + i]));
  }
  if (location === TAG_ASCII) {
    // libgeotiff: a value that runs one past the end lacks only its '|' (some writers omit the last one); one that
    // starts inside the params but runs further is truncated at their end (a warning); one starting after them
    // is refused
    const lacksBar = n > 0 && offset + n === (ascii?.length ?? 0) + 1;
    if (ascii === undefined || (offset >= ascii.length && !lacksBar)) return null;
    return ascii.slice(offset, offset + n).replace(/\|$/, '');
  }
  return null;
}

/** The TIFF tags (GeoKeyDirectory, GeoDoubleParams, GeoAsciiParams) that encode `keys`. */
export function encodeGeoKeys(keys: GeoKeys): {
  directory: number[];
  doubles: number[];
  ascii: string;
} {
  const ids = Object.keys(keys)
    .map(Number)
    .sort((a, b) => a - b);
  // Minor revision 1 (GeoTIFF 1.1) for vertical keys: GDAL reads a compound CRS only from such a directory.
  const directory = [1, 1, ids.some((id) => id >= 4096) ? 1 : 0, ids.length];
  const doubles: number[] = [];
  let ascii = '';
  for (const id of ids) {
    const v = keys[id] as GeoKeyValue;
    if (typeof v === 'string') {
      const text = `${v.replace(/\|/g, ' ')}|`;
      directory.push(id, TAG_ASCII, text.length, ascii.length);
      ascii += text;
    } else if (typeof v === 'number') {
      directory.push(id, 0, 1, v);
    } else {
      directory.push(id, TAG_DOUBLE, v.length, doubles.length);
      doubles.push(...v);
    }
  }
  return { directory, doubles, ascii };
}

/** Whether every value has the shape its storage needs (SHORT 0..65535, non-empty DOUBLE arrays, text). */
export function validGeoKeys(keys: GeoKeys): boolean {
  return Object.entries(keys).every(
    ([id, v]) =>
      Number.isInteger(Number(id)) &&
      Number(id) > 0 &&
      Number(id) <= 65535 &&
      (typeof v === 'string' ||
        (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535) ||
        (Array.isArray(v) && v.length > 0 && v.every(Number.isFinite))),
  );
}

/** The keys as geotiff.js names them (the ones {@link epsgFromGeoKeys} and the transform code look at). */
export function namedGeoKeys(keys: GeoKeys | undefined): Record<string, unknown> | undefined {
  if (!keys) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, id] of Object.entries(GEO_KEY)) {
    const v = keys[id];
    if (v !== undefined) out[`${name}GeoKey`] = Array.isArray(v) && v.length === 1 ? v[0] : v;
  }
  return out;
}

/**
 * World Mollweide on WGS 84 (ESRI:54009) exactly as GDAL writes it: GeoTIFF has no Mollweide projection
 * code, so the model is user-defined and the CRS is the ESRI WKT in PCSCitationGeoKey (GDAL ignores that
 * citation when ProjectedCSTypeGeoKey is present, so there is none).
 */
export const MOLLWEIDE_GEOKEYS: GeoKeys = {
  [GEO_KEY.GTModelType]: 32767,
  [GEO_KEY.GTRasterType]: 1,
  [GEO_KEY.GTCitation]: 'World_Mollweide',
  [GEO_KEY.GeographicType]: 4326,
  [GEO_KEY.GeogCitation]: 'WGS 84',
  [GEO_KEY.GeogAngularUnits]: 9102,
  [GEO_KEY.GeogSemiMajorAxis]: [6378137],
  [GEO_KEY.GeogInvFlattening]: [298.257223563],
  [GEO_KEY.PCSCitation]:
    'ESRI PE String = PROJCS["World_Mollweide",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mollweide"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],UNIT["Meter",1.0]]',
  [GEO_KEY.ProjLinearUnits]: 9001,
};
