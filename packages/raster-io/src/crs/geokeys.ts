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
  GeogGeodeticDatum: 2050,
  GeogAngularUnits: 2054,
  GeogEllipsoid: 2056,
  GeogSemiMajorAxis: 2057,
  GeogInvFlattening: 2059,
  ProjectedCSType: 3072,
  PCSCitation: 3073,
  Projection: 3074,
  ProjCoordTrans: 3075,
  ProjLinearUnits: 3076,
  ProjLinearUnitSize: 3077,
  VerticalCSType: 4096,
} as const;

/**
 * The value type libgeotiff expects of each interpreted key: it ignores a key stored as another type ("Expected
 * key ... to be of type SHORT"), so a GTRasterTypeGeoKey stored as a DOUBLE is no PixelIsPoint to GDAL.
 */
const GEO_KEY_TYPE: Readonly<Record<keyof typeof GEO_KEY, 'short' | 'double' | 'ascii'>> = {
  GTModelType: 'short',
  GTRasterType: 'short',
  GTCitation: 'ascii',
  GeographicType: 'short',
  GeogCitation: 'ascii',
  GeogGeodeticDatum: 'short',
  GeogAngularUnits: 'short',
  GeogEllipsoid: 'short',
  GeogSemiMajorAxis: 'double',
  GeogInvFlattening: 'double',
  ProjectedCSType: 'short',
  PCSCitation: 'ascii',
  Projection: 'short',
  ProjCoordTrans: 'short',
  ProjLinearUnits: 'short',
  ProjLinearUnitSize: 'double',
  VerticalCSType: 'short',
};

/** ESRI's code for World Mollweide, which GeoTIFF can only store as a user-defined CRS. */
export const ESRI_MOLLWEIDE = 54009;

const TAG_DIRECTORY = 34735;
const TAG_DOUBLE = 34736;
const TAG_ASCII = 34737;
/** libgeotiff's MAX_VALUES: more GeoDoubleParams than this and it refuses the directory. */
const MAX_VALUES = 1000;
/** Most keys libgeotiff reads: it refuses `count × 8 ≥ (4 + MAX_VALUES) × 2` bytes of key entries (251 and up). */
const MAX_KEYS = 250;
/** libtiff reads GeoKeyDirectory and GeoDoubleParams with a 16-bit count: a longer tag is dropped (absent). */
const MAX_TAG_COUNT = 65535;

/** Where one key's value is: `location` 0 (inline SHORT `offset`), or `count` params from `offset`. */
interface KeyRef {
  location: number;
  count: number;
  offset: number;
}

/**
 * A GeoKeyDirectory as libgeotiff holds it: every key points into GeoDoubleParams/GeoAsciiParams, nothing is
 * copied until a value is asked for ({@link GeoKeyDirectory.get} copies one key, {@link GeoKeyDirectory.toGeoKeys}
 * all of them). Reading a CRS copies the dozen keys it looks at, however many keys name the same params.
 */
export class GeoKeyDirectory {
  readonly #refs: Map<number, KeyRef>;
  readonly #doubles: ArrayLike<number> | undefined;
  readonly #ascii: string | undefined;

  constructor(refs: Map<number, KeyRef>, doubles: ArrayLike<number> | undefined, ascii: string | undefined) {
    this.#refs = refs;
    this.#doubles = doubles;
    this.#ascii = ascii;
  }

  /** Whether key `id` has a value (keys stored in the directory itself have none here). */
  has(id: number): boolean {
    return this.#refs.has(id);
  }

  /** Key `id`'s value, copied out of the params; undefined when absent. */
  get(id: number): GeoKeyValue | undefined {
    const ref = this.#refs.get(id);
    if (!ref) return undefined;
    const { location, count, offset } = ref;
    if (location === 0) return offset;
    const doubles = this.#doubles;
    if (location === TAG_DOUBLE && doubles) {
      return Array.from({ length: count }, (_, i) => Number(doubles[offset + i]));
    }
    // ASCII, checked by parseGeoKeyDirectory: cut at the end of the params, less its final '|'
    const text = (this.#ascii ?? '').slice(offset, offset + count);
    return text.endsWith('|') ? text.slice(0, -1) : text;
  }

  /**
   * Every key's value (at most {@link MAX_KEYS} keys of at most {@link MAX_VALUES} doubles or 65 535 characters,
   * sliced from the params, each).
   */
  toGeoKeys(): GeoKeys {
    const keys: Record<number, GeoKeyValue> = {};
    for (const id of this.#refs.keys()) keys[id] = this.get(id) as GeoKeyValue;
    return keys;
  }
}

/**
 * Parse GeoKeyDirectory (+ GeoDoubleParams, GeoAsciiParams) as libgeotiff (GDAL's reader) does: a directory newer
 * than version 1, with more keys than it holds or than libgeotiff reads ({@link MAX_KEYS}), beside more than
 * {@link MAX_VALUES} GeoDoubleParams, or with one key it cannot read (an inline value whose count is not 1, params
 * outside their array or missing, an ASCII value starting past the ASCII params, an unknown location) is ignored
 * whole, never read in part; an ASCII value running past the end of the params is cut there, as libgeotiff cuts it.
 * A GeoKeyDirectory or GeoDoubleParams of more than 65 535 values is absent (libtiff drops it), so is a directory
 * holding a value outside 0..65535 (stored as LONG, SSHORT...: libtiff drops the tag), and the ASCII params
 * are as long as libgeotiff's 16-bit count of their C string and its NUL says (65 535 characters and more wrap).
 * Keys stored in the directory itself are skipped once their offset + count is checked against its length (one
 * running past its end is refused, as libgeotiff refuses it); ASCII values lose their terminating '|' (only that
 * one: a '|' inside a value is part of it, as GDAL's structured citations have them). Nothing is copied here:
 * each key is checked and kept as a reference into the params (time and memory linear in the directory's length).
 */
export function parseGeoKeyDirectory(
  directory: ArrayLike<number> | undefined,
  doubleParams: ArrayLike<number> | undefined,
  ascii: string | undefined,
): GeoKeyDirectory | undefined {
  if (!directory || directory.length > MAX_TAG_COUNT || !allShorts(directory)) return undefined;
  if (directory.length < 4 || Number(directory[0]) > 1) return undefined;
  const declared = Number(directory[3]);
  if (declared > MAX_KEYS || 4 + 4 * declared > directory.length) return undefined;
  const doubles = doubleParams && doubleParams.length > MAX_TAG_COUNT ? undefined : doubleParams;
  if (doubles && doubles.length > MAX_VALUES) return undefined;
  const text = asciiParams(ascii);
  const refs = new Map<number, KeyRef>();
  for (let k = 0; k < declared; k++) {
    const at = 4 + 4 * k;
    const id = Number(directory[at]);
    const ref = keyRef(
      Number(directory[at + 1]),
      Number(directory[at + 2]),
      Number(directory[at + 3]),
      directory.length,
      doubles,
      text,
    );
    if (ref === null) return undefined;
    if (ref !== undefined) refs.set(id, ref);
  }
  return refs.size > 0 ? new GeoKeyDirectory(refs, doubles, text) : undefined;
}

/**
 * Whether every value fits libtiff's unsigned 16 bits: it converts a GeoKeyDirectory stored as LONG, SSHORT or
 * another integer type value by value and drops the whole tag at the first one out of range ("Incorrect value for
 * GeoKeyDirectory; tag ignored"), unused trailing values included.
 */
function allShorts(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!(Number.isInteger(v) && v >= 0 && v <= MAX_TAG_COUNT)) return false;
  }
  return true;
}

/**
 * The ASCII params as libgeotiff sees them: libtiff's C string (up to the first NUL), whose length + 1 libgeotiff
 * keeps in 16 bits, then drops a final NUL; 65 535 characters or more wrap (65 535 → none, 65 536 → one...).
 */
function asciiParams(ascii: string | undefined): string | undefined {
  if (ascii === undefined) return undefined;
  const nul = ascii.indexOf('\0');
  const text = nul < 0 ? ascii : ascii.slice(0, nul);
  return text.length < MAX_TAG_COUNT ? text : text.slice(0, (text.length + 1) & MAX_TAG_COUNT);
}

/**
 * One key's reference; undefined for a key kept in the directory itself (`shorts` values long), null for one
 * libgeotiff refuses.
 */
function keyRef(
  location: number,
  n: number,
  offset: number,
  shorts: number,
  doubles: ArrayLike<number> | undefined,
  ascii: string | undefined,
): KeyRef | undefined | null {
  if (location === 0) return n === 1 ? { location, count: 1, offset } : null;
  // libgeotiff checks these against the directory's length too (GDAL: "GeoTIFF tags apparently corrupt")
  if (location === TAG_DIRECTORY) return offset + n > shorts ? null : undefined;
  if (location === TAG_DOUBLE) {
    return !doubles || offset + n > doubles.length ? null : { location, count: n, offset };
  }
  if (location === TAG_ASCII) {
    // libgeotiff: a value that runs one past the end lacks only its '|' (some writers omit the last one); one that
    // starts inside the params but runs further is truncated at their end (a warning); one starting after them
    // is refused
    const lacksBar = n > 0 && offset + n === (ascii?.length ?? 0) + 1;
    if (ascii === undefined || (offset >= ascii.length && !lacksBar)) return null;
    return { location, count: n, offset };
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
      // as libgeotiff writes it: the value as it is ('|' inside it too: GDAL's citations hold them, and readers
      // address each value by offset and count), then '|' for its terminating NUL
      const text = `${v}|`;
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

/**
 * Why libgeotiff (GDAL's GeoKey reader, and ours) would not read the GeoKeyDirectory {@link encodeGeoKeys} writes
 * for `keys` as written, or undefined when it would: more than {@link MAX_KEYS} keys or {@link MAX_VALUES}
 * GeoDoubleParams and it ignores the whole directory; GeoAsciiParams of 65 535 characters or more (its 16-bit
 * length of them + their NUL wraps) and it reads them cut or wrapped, which ignores the directory too as soon as an
 * ASCII key starts past the wrapped end. Names the limit, the count and the key (in written order, by id) that
 * passes it. Within these limits every tag holds at most 65 535 values (1004 SHORTs, 1000 DOUBLEs, 65 534
 * characters + NUL), so every key's count and offset fit its SHORT too. `added` names keys the caller adds to the
 * ones it was given (counted, but not the user's doing).
 */
export function geoKeysPastLimits(keys: GeoKeys, added: readonly number[] = []): string | undefined {
  const ids = Object.keys(keys)
    .map(Number)
    .sort((a, b) => a - b);
  if (ids.length > MAX_KEYS) {
    const given = ids.length - added.length;
    const adds = added.length > 0 ? ` (${given} given + key ${added.join(', ')} the writer adds)` : '';
    return `a GeoKeyDirectory of ${ids.length} keys${adds}, key ${ids[MAX_KEYS]} the ${MAX_KEYS + 1}st; libgeotiff (GDAL's GeoKey reader) reads at most ${MAX_KEYS} keys and ignores the whole directory beyond, so the file would have no CRS`;
  }
  let doubles = 0;
  let ascii = 0;
  for (const id of ids) {
    const v = keys[id] as GeoKeyValue;
    if (typeof v === 'string') {
      ascii += v.length + 1; // its '|'
      if (ascii >= MAX_TAG_COUNT)
        return `key ${id}'s text (${v.length} characters + its '|') makes GeoAsciiParams of ${ascii} characters; libgeotiff (GDAL's GeoKey reader) holds at most ${MAX_TAG_COUNT - 1}: their length + NUL wraps in 16 bits and it would read only the first ${(ascii + 1) & MAX_TAG_COUNT}, cutting a text or, as soon as a key starts past them, ignoring the whole directory (no CRS)`;
    } else if (typeof v !== 'number') {
      doubles += v.length;
      if (doubles > MAX_VALUES)
        return `key ${id}'s ${v.length} DOUBLE values make GeoDoubleParams of ${doubles} values; libgeotiff (GDAL's GeoKey reader) reads at most ${MAX_VALUES} and ignores the whole directory beyond, so the file would have no CRS`;
    }
  }
  return undefined;
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

/** Key `id`'s value in plain keys or a parsed directory (which copies it out of the params). */
export function geoKeyValue(
  keys: GeoKeys | GeoKeyDirectory | undefined,
  id: number,
): GeoKeyValue | undefined {
  return keys instanceof GeoKeyDirectory ? keys.get(id) : keys?.[id];
}

/**
 * Key `id` as libgeotiff's GTIFKeyGetSHORT reads it: an inline SHORT value; undefined when absent or stored as
 * DOUBLE or ASCII params (libgeotiff ignores those, with a warning).
 */
export function shortGeoKey(keys: GeoKeys | GeoKeyDirectory | undefined, id: number): number | undefined {
  const v = geoKeyValue(keys, id);
  return typeof v === 'number' ? v : undefined;
}

/**
 * The keys as geotiff.js names them (the ones {@link epsgFromGeoKeys} and the transform code look at), each only
 * when stored as the type libgeotiff expects of it: SHORT keys as numbers, DOUBLE keys as their first value,
 * ASCII keys as text. A key of another type is left out, as libgeotiff leaves it out.
 */
export function namedGeoKeys(
  keys: GeoKeys | GeoKeyDirectory | undefined,
): Record<string, number | string> | undefined {
  if (!keys) return undefined;
  const out: Record<string, number | string> = {};
  for (const [name, id] of Object.entries(GEO_KEY)) {
    const v = geoKeyValue(keys, id);
    const type = GEO_KEY_TYPE[name as keyof typeof GEO_KEY];
    if (type === 'short' && typeof v === 'number') out[`${name}GeoKey`] = v;
    else if (type === 'ascii' && typeof v === 'string') out[`${name}GeoKey`] = v;
    else if (type === 'double' && Array.isArray(v) && v.length > 0) out[`${name}GeoKey`] = v[0] as number;
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
