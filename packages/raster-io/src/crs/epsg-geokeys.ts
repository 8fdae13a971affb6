// EPSG codes in GeoKeys as GDAL reads and writes them: which kind a code is (its block says nothing: 4087 is
// projected, 6318 geographic), how a bare code is stored, and which code GDAL reports for the keys of a file. The
// answers come from GDAL itself (generated tables).
import { RasterIoError } from '../errors.js';
import type { GeoKeys } from '../types.js';
import {
  EPSG_GEOGRAPHIC,
  EPSG_GEOGRAPHIC_READ_AS,
  EPSG_NOT_HORIZONTAL,
  EPSG_READ_AS,
  EPSG_WITH_VERTICAL,
} from './epsg-tables.js';
import { GEO_KEY } from './geokeys.js';

const MODEL_PROJECTED = 1;
const MODEL_GEOGRAPHIC = 2;
const PIXEL_IS_AREA = 1;

/** The generated tables, decoded. */
export interface EpsgTables {
  /** ProjectedCSTypeGeoKey → the code GDAL reports (0: none), where it is another. */
  projectedReadAs: Map<number, number>;
  /** GeographicTypeGeoKey → the code GDAL reports, where it is another. */
  geographicReadAs: Map<number, number>;
  /** Geographic 2D and 3D codes. */
  geographic: Set<number>;
  /** Geographic 3D or compound code → [horizontal, vertical] as GDAL writes it. */
  withVertical: Map<number, [number, number]>;
  /** `horizontal:vertical` as GDAL writes a geographic 3D CRS → the code GDAL reports for that pair (0: none). */
  geographic3dReadAs: Map<string, number>;
  /** Geocentric and vertical codes. */
  notHorizontal: Set<number>;
}

let tables: EpsgTables | undefined;

/** A table's cells: base-36 fields, the first one the distance from the previous cell's code. */
function decodeCells(table: string): number[][] {
  let code = 0;
  return table.split(',').map((cell) => {
    const [gap = '', ...rest] = cell.split(':');
    code += Number.parseInt(gap, 36);
    return [code, ...rest.map((f) => Number.parseInt(f, 36))];
  });
}

const pairs = (table: string): Map<number, number> =>
  new Map(decodeCells(table).map(([code, to]) => [code as number, to as number]));
const codes = (table: string): Set<number> => new Set(decodeCells(table).map(([code]) => code as number));

/** The generated EPSG tables (decoded once). */
export function epsgTables(): EpsgTables {
  if (tables) return tables;
  const withVertical = new Map<number, [number, number]>();
  const geographic3dReadAs = new Map<string, number>();
  for (const [code, h, v, read] of decodeCells(EPSG_WITH_VERTICAL) as [number, number, number, number?][]) {
    withVertical.set(code, [h, v]);
    if (read !== undefined) geographic3dReadAs.set(`${h}:${v}`, read);
  }
  tables = {
    projectedReadAs: pairs(EPSG_READ_AS),
    geographicReadAs: pairs(EPSG_GEOGRAPHIC_READ_AS),
    geographic: codes(EPSG_GEOGRAPHIC),
    withVertical,
    geographic3dReadAs,
    notHorizontal: codes(EPSG_NOT_HORIZONTAL),
  };
  return tables;
}

/** Whether an EPSG code is a geographic (2D or 3D) CRS in the EPSG registry GDAL 3.6 ships. */
function isGeographicEpsg(epsg: number): boolean {
  return epsgTables().geographic.has(epsg);
}

function horizontalKeys(code: number): GeoKeys {
  const geographic = isGeographicEpsg(code);
  return {
    [GEO_KEY.GTModelType]: geographic ? MODEL_GEOGRAPHIC : MODEL_PROJECTED,
    [GEO_KEY.GTRasterType]: PIXEL_IS_AREA,
    [geographic ? GEO_KEY.GeographicType : GEO_KEY.ProjectedCSType]: code,
  };
}

/**
 * GeoKeys for an EPSG code (1..32766), PixelIsArea, as GDAL writes them: a geographic CRS as GTModelType 2 +
 * GeographicTypeGeoKey, a projected one as 1 + ProjectedCSTypeGeoKey, a geographic 3D or compound CRS as GDAL's
 * horizontal code + VerticalCSTypeGeoKey. A code the registry lacks (newer than its EPSG version) is written as
 * projected, the kind of most codes.
 * @throws RasterIoError `UNSUPPORTED_CRS` for a geocentric or vertical CRS (no horizontal georeferencing)
 */
export function geoKeysForEpsg(epsg: number): GeoKeys {
  const { withVertical, notHorizontal } = epsgTables();
  if (notHorizontal.has(epsg)) {
    throw new RasterIoError(
      'UNSUPPORTED_CRS',
      `EPSG:${epsg} is a geocentric or vertical CRS, which cannot georeference a raster's pixels; give its horizontal (geographic or projected) CRS`,
    );
  }
  const pair = withVertical.get(epsg);
  if (!pair) return horizontalKeys(epsg);
  return { ...horizontalKeys(pair[0]), [GEO_KEY.VerticalCSType]: pair[1] };
}

/**
 * The code GDAL reports for a ProjectedCSTypeGeoKey: a deprecated CRS's one replacement (3785 is read as 3857), a
 * compound CRS's horizontal part, 0 where GDAL reports none (a key whose CRS differs from the registry's current
 * one, or no horizontal CRS), else the code itself (also codes GDAL's registry lacks).
 */
export function epsgOfProjectedKey(code: number): number {
  return epsgTables().projectedReadAs.get(code) ?? code;
}

/**
 * The code GDAL reports for a GeographicTypeGeoKey, with the VerticalCSTypeGeoKey beside it: the geographic 3D CRS
 * when the pair is how GDAL writes one (4326 + 4979: EPSG:4979), else the geographic key's code (deprecated codes
 * too, as in GDAL, but for the two GDAL reads as their replacement).
 */
export function epsgOfGeographicKey(code: number, vertical: number | undefined): number {
  const t = epsgTables();
  const as3d = vertical === undefined ? undefined : t.geographic3dReadAs.get(`${code}:${vertical}`);
  return as3d ?? t.geographicReadAs.get(code) ?? code;
}
