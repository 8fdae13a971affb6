// CRS definitions (proj4 strings) resolved at run time: built-in table + user registrations. No proj4 globals.

import { utmProj4 } from '@worldstrat/core';
import { RasterIoError } from '../errors.js';
import { describeValue } from '../internal/check-args.js';
import { ESRI_MOLLWEIDE } from './geokeys.js';

/** A CRS reference: an EPSG code (`32633`), an authority string (`'EPSG:32633'`, `'ESRI:54009'`) or a proj4 string. */
export type CrsRef = number | string;

/** Mollweide on WGS-84 (ESRI:54009), used for equal-area sampling. */
export const MOLLWEIDE_PROJ4 = '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';

const registered = new Map<string, string>();

export { utmProj4 };

function builtIn(key: string): string | undefined {
  const m = /^EPSG:(\d+)$/.exec(key);
  if (m) {
    const code = Number(m[1]);
    if (code === 4326) return '+proj=longlat +datum=WGS84 +no_defs';
    if (code === 3857)
      return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs';
    if (code >= 32601 && code <= 32660) return utmProj4(code - 32600, false);
    if (code >= 32701 && code <= 32760) return utmProj4(code - 32700, true);
    return undefined;
  }
  if (key === 'ESRI:54009') return MOLLWEIDE_PROJ4;
  return undefined;
}

/**
 * Codes that `GeoBlock.epsg` uses for CRSs EPSG has no code for (the reader reports them, the writer writes them):
 * World Mollweide is 54009, an ESRI code no EPSG CRS has, so the number and 'EPSG:54009' mean ESRI:54009.
 */
const NON_EPSG_CODES: ReadonlyMap<number, string> = new Map([[ESRI_MOLLWEIDE, 'ESRI:54009']]);

function epsgKey(code: number): string {
  return NON_EPSG_CODES.get(code) ?? `EPSG:${code}`;
}

/** How a `GeoBlock.epsg` code is named in messages: `EPSG:32633`, but `ESRI:54009` for World Mollweide. */
export function crsName(code: number): string {
  return epsgKey(code);
}

/**
 * Normalises a CRS reference to its registry key (`'EPSG:32633'`), or returns `null` for a raw proj4/WKT
 * definition string.
 */
export function crsKey(crs: CrsRef): string | null {
  if (typeof crs === 'number') {
    if (!Number.isSafeInteger(crs) || crs <= 0)
      throw new RasterIoError('UNKNOWN_CRS', `CRS code ${crs} is not a positive integer EPSG code`);
    return epsgKey(crs);
  }
  if (typeof crs !== 'string')
    throw new RasterIoError(
      'UNKNOWN_CRS',
      `cannot read CRS ${describeValue(crs)}; use an EPSG code (32633), 'EPSG:32633', 'ESRI:54009' or a proj4 string`,
    );
  const s = crs.trim();
  if (/^\d+$/.test(s)) return epsgKey(Number(s));
  const m = /^([A-Za-z]+):(\d+)$/.exec(s);
  if (m) {
    const authority = (m[1] as string).toUpperCase();
    return authority === 'EPSG' ? epsgKey(Number(m[2])) : `${authority}:${m[2]}`;
  }
  if (s.startsWith('+') || /^(PROJCS|GEOGCS|PROJCRS|GEOGCRS)\[/i.test(s)) return null;
  throw new RasterIoError(
    'UNKNOWN_CRS',
    `cannot read CRS ${describeValue(crs)}; use an EPSG code (32633), 'EPSG:32633', 'ESRI:54009' or a proj4 string`,
  );
}

/**
 * Registers a proj4 definition for a CRS code so that {@link transformCoords} and {@link warpRaster} can
 * use it. Built-in: EPSG:4326, EPSG:3857, EPSG:32601–32660, EPSG:32701–32760, ESRI:54009 (also as the number
 * 54009, `GeoBlock.epsg`'s code for World Mollweide).
 *
 * @param code - `32633`, `'EPSG:2056'`, `'ESRI:54009'`...
 * @param proj4def - the proj4 (or WKT) definition.
 * @param options - `override: true` to replace an existing registration or a built-in.
 * @throws RasterIoError `INVALID_ARGUMENT` when the code is already defined differently and `override` is not set.
 * @example
 * registerProjection('EPSG:2056', '+proj=somerc +lat_0=46.9524 ... +units=m +no_defs');
 */
export function registerProjection(
  code: CrsRef,
  proj4def: string,
  options: { override?: boolean } = {},
): void {
  const key = crsKey(code);
  if (key === null)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      'registerProjection needs a code such as 32633 or "EPSG:2056", not a definition',
    );
  if (typeof proj4def !== 'string' || proj4def.trim() === '')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `registerProjection(${key}): the definition must be a non-empty proj4 string`,
    );
  const existing = registered.get(key) ?? builtIn(key);
  if (existing !== undefined && existing !== proj4def && !options.override)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${key} is already defined as "${existing}"; pass { override: true } to replace it`,
    );
  registered.set(key, proj4def);
}

/**
 * The proj4 definition of a CRS (registered ones first, then the built-ins).
 *
 * @param crs - EPSG code, authority string, or a proj4 string (returned as is).
 * @returns the proj4 definition string.
 * @throws RasterIoError `UNKNOWN_CRS` naming the code and how to register it.
 * @example
 * projectionDefinition(32633); // '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs'
 */
export function projectionDefinition(crs: CrsRef): string {
  const key = crsKey(crs);
  if (key === null) return (crs as string).trim();
  const def = registered.get(key) ?? builtIn(key);
  if (def === undefined)
    throw new RasterIoError(
      'UNKNOWN_CRS',
      `no projection definition for ${key}; built-in are EPSG:4326, 3857, 32601–32660, 32701–32760 and ESRI:54009 — call registerProjection('${key}', '<proj4 string>')`,
    );
  return def;
}
