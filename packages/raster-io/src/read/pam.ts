// GDAL's PAM sidecar (`scene.tif.aux.xml`): georeferencing and nodata GDAL keeps beside a file it may not write
// into (PROFILE=GeoTIFF/BASELINE, read-only opens, CRSs GeoTIFF keys cannot hold). GDAL gives it priority over the
// file's own tags (GTIFF_GEOREF_SOURCES defaults to PAM,INTERNAL,TABFILE,WORLDFILE), so we read what of it we can
// say something about: the geotransform, the SRS's EPSG code and each band's nodata.
import { RasterIoError } from '../errors.js';
import type { GeoTransform } from '../types.js';
import { gdalAtof } from './open-geotiff.js';
import { parseWkt, wktAuthority } from './wkt.js';
import { scanXml, type XmlElement, XmlScanError, xmlChild } from './xml-scan.js';

/** What a PAM sidecar says about a dataset, as far as this package reads it. */
export interface PamInfo {
  /** The sidecar's path or name, for messages. */
  name: string;
  /** `<GeoTransform>`: wins over the file's tags and world file. */
  transform?: GeoTransform;
  /** `<SRS>`: its EPSG code (ESRI:54009 as 54009), 0 when it names none we read; wins over the GeoKeys. */
  epsg?: number;
  /** `<PAMRasterBand band="n"><NoDataValue>`: band number (1-based) → nodata, winning over GDAL_NODATA. */
  noData: Map<number, number>;
}

/** ESRI:54009 (World Mollweide), the one non-EPSG code `GeoBlock.epsg` holds. */
const ESRI_MOLLWEIDE = 54009;

/**
 * The sidecar `text` as GDAL reads it: root `<PAMDataset>` (another root is no PAM: undefined), its first
 * `<GeoTransform>` (six numbers, as `sscanf("%lf,%lf,...")` reads them), first `<SRS>` and each
 * `<PAMRasterBand band="n">`'s `<NoDataValue>` (its `le_hex_equiv` attribute, the double's bytes, first; else
 * `CPLAtofM` of the text: `nan`, `inf`, `-inf` included). Everything else is ignored.
 * @throws RasterIoError `CORRUPT_TIFF` naming the sidecar when it is not well-formed XML or its GeoTransform is
 *   no six finite numbers
 */
export function parsePam(text: string, name: string): PamInfo | undefined {
  let root: XmlElement;
  try {
    root = scanXml(text, 2);
  } catch (err) {
    if (!(err instanceof XmlScanError)) throw err;
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: GDAL PAM sidecar is not well-formed XML (${err.message})`,
      {
        cause: err,
      },
    );
  }
  if (root.name !== 'PAMDataset') return undefined;
  const info: PamInfo = { name, noData: new Map() };
  const gt = xmlChild(root, 'GeoTransform');
  if (gt) info.transform = parseGeoTransform(gt.text, name);
  const srs = xmlChild(root, 'SRS');
  // an empty SRS sets nothing in GDAL, so the file's own CRS stays
  if (srs && srs.text.trim() !== '') info.epsg = epsgOfSrs(srs.text.trim());
  for (const band of root.children.filter((c) => c.name === 'PAMRasterBand')) {
    const n = Number(band.attributes.band ?? '0');
    const value = xmlChild(band, 'NoDataValue');
    if (Number.isInteger(n) && n >= 1 && value) info.noData.set(n, noDataValue(value));
  }
  return info;
}

const C_DOUBLE = /^\s*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i;

/** `%lf,%lf,%lf,%lf,%lf,%lf`: six C doubles, each followed at once by a comma but the last. */
function parseGeoTransform(text: string, name: string): GeoTransform {
  const values: number[] = [];
  let rest = text;
  for (let i = 0; i < 6; i++) {
    const m = C_DOUBLE.exec(rest);
    if (!m) break;
    values.push(cDouble(m[0].trim()));
    rest = rest.slice(m[0].length);
    if (i < 5) {
      if (!rest.startsWith(',')) break;
      rest = rest.slice(1);
    }
  }
  if (values.length !== 6 || !values.every(Number.isFinite)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: GDAL PAM sidecar's <GeoTransform> is not six finite numbers separated by commas: "${text.trim().slice(0, 200)}"`,
    );
  }
  return values as GeoTransform;
}

function cDouble(s: string): number {
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (/^-?inf/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^-?nan/.test(lower)) return Number.NaN;
  return Number(s);
}

/** A `<NoDataValue>`: the exact double of `le_hex_equiv` (16 hex digits, little-endian) first, else its text. */
function noDataValue(element: XmlElement): number {
  const hex = element.attributes.le_hex_equiv?.trim();
  if (hex && /^[0-9a-fA-F]{16}$/.test(hex)) {
    const bytes = new Uint8Array(8);
    for (let i = 0; i < 8; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return new DataView(bytes.buffer).getFloat64(0, true);
  }
  return gdalAtof(element.text);
}

/**
 * The EPSG code of an SRS as GDAL's PAM holds it (`SetFromUserInput` text): `EPSG:n` or `urn:ogc:def:crs:EPSG::n`,
 * or a WKT (1 or 2) whose root carries `AUTHORITY["EPSG","n"]` / `ID["EPSG",n]` (ESRI:54009 too, as 54009);
 * 0 for any other definition (a PROJ string, a WKT without a code at its root, a bound or engineering CRS).
 */
export function epsgOfSrs(text: string): number {
  const plain = /^(EPSG|ESRI):(\d+)$/i.exec(text) ?? /^urn:ogc:def:crs:(EPSG|ESRI):[^:]*:(\d+)$/i.exec(text);
  if (plain) return authorityCode((plain[1] as string).toUpperCase(), Number(plain[2]));
  const root = parseWkt(text);
  const id = root ? wktAuthority(root) : undefined;
  return id ? authorityCode(id.authority, id.code) : 0;
}

function authorityCode(authority: string, code: number): number {
  if (authority === 'EPSG') return code;
  return authority === 'ESRI' && code === ESRI_MOLLWEIDE ? ESRI_MOLLWEIDE : 0;
}
