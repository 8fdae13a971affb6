import { StratifyError } from '../errors.js';
import { checkArray, checkObject, checkOneOf, invalidArgument } from '../internal/check-arguments.js';
import { type IpccClass, LCCS_LABELS, LCCS_TO_IPCC } from '../legends/lccs.js';
import { SMOD_LABELS } from '../legends/smod.js';
import { WORLDCOVER_LABELS, WORLDCOVER_TO_IPCC } from '../legends/worldcover.js';
import type { ClassRaster, LookupOptions } from './class-raster.js';

/** Columns {@link classifyPoints} adds (the columns upstream's Stratifier adds). */
export interface ClassColumns {
  /** Land-cover code (ESA CCI LCCS id, or WorldCover code), null outside the raster. */
  landcover_id: number | null;
  /** Label of that code in the land-cover legend. */
  LCCS: string | null;
  /** IPCC label. */
  IPCC: IpccClass | null;
  /** GHSL SMOD code, null outside the raster. */
  SMOD_id: number | null;
  /** SMOD label. */
  SMOD: string | null;
}

/** Options of {@link classifyPoints}. */
export interface ClassifyPointsOptions extends LookupOptions {
  /** Land-cover raster (ESA CCI LCCS, or WorldCover with `landcoverLegend: 'worldcover'`). */
  landcover?: ClassRaster;
  /** Settlement-model raster (GHSL SMOD). */
  smod?: ClassRaster;
  /** Legend of the land-cover raster (default `'lccs'`). */
  landcoverLegend?: 'lccs' | 'worldcover';
  /** Codes missing from a legend: `'error'` (default, `UNKNOWN_CLASS` naming the point) or `'null'` labels. */
  unknownClass?: 'error' | 'null';
}

/**
 * A pixel value as a class code: an integer that fits the tables' int32 columns. NaN (a float raster's NoData)
 * is no code (null, like a point outside the raster); any other value (12.7 from a float raster, 3e9 from a
 * uint32 one) is no class of any legend: `unknown` decides (an error, or null with `unknownClass: 'null'`), so
 * it never reaches a table truncated to a real class (12.7 → 12) or wrapped negative.
 */
function classCode(
  value: number | null,
  what: string,
  i: number,
  unknown: (what: string, code: number, i: number) => null,
): number | null {
  if (value === null || Number.isNaN(value)) return null;
  if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
  return unknown(what, value, i);
}

/**
 * Adds upstream's stratification columns (`landcover_id, LCCS, IPCC, SMOD_id, SMOD`) to lon/lat points by
 * looking them up in a land-cover and/or a settlement raster (see {@link ClassRaster.lookup}). Points outside
 * a raster get `null` values in its columns (upstream: None / 0), and so do NaN pixels of a float raster (a SMOD
 * NaN keeps upstream's label "None"). A pixel value that is not an integer class code (12.7, 3e9) is an unknown
 * class: `UNKNOWN_CLASS`, or `null` code and labels with `unknownClass: 'null'`. With `compat: true` the
 * lookups use upstream's ceil rounding.
 * @param points points with `lon`/`lat`.
 * @param options rasters, legend, unknown-code policy, lookup options.
 * @returns new objects: each point with the class columns added.
 * @throws StratifyError `UNKNOWN_CLASS` for a code missing from the legend (default policy), lookup errors;
 *   `INVALID_ARGUMENT` for points that are not an array of objects, missing options, a raster without
 *   `lookup`, or a `landcoverLegend`/`unknownClass`/`outside` switch that is not one of its values.
 * @example
 * const rows = await classifyPoints(points, { landcover: lccs, smod });
 */
export async function classifyPoints<P extends { lon: number; lat: number }>(
  points: readonly P[],
  options: ClassifyPointsOptions,
): Promise<(P & ClassColumns)[]> {
  const fn = 'classifyPoints';
  checkArray(fn, 'points', points);
  for (const [i, p] of points.entries()) checkObject(fn, `points[${i}]`, p);
  checkObject(fn, 'options', options);
  for (const key of ['landcover', 'smod'] as const) {
    const r = options[key];
    if (r !== undefined && typeof (r as Partial<ClassRaster> | null)?.lookup !== 'function')
      throw invalidArgument(fn, `options.${key}`, 'a ClassRaster (openClassRaster) or undefined', r);
  }
  const legend = checkOneOf(
    fn,
    'options.landcoverLegend',
    options.landcoverLegend,
    ['lccs', 'worldcover'],
    'lccs',
  );
  const policy = checkOneOf(fn, 'options.unknownClass', options.unknownClass, ['error', 'null'], 'error');
  checkOneOf(fn, 'options.outside', options.outside, ['null', 'error'], 'null');
  const labels = legend === 'worldcover' ? WORLDCOVER_LABELS : LCCS_LABELS;
  const toIpcc = legend === 'worldcover' ? WORLDCOVER_TO_IPCC : LCCS_TO_IPCC;
  const lc = options.landcover ? await options.landcover.lookup(points, options) : null;
  const sm = options.smod ? await options.smod.lookup(points, options) : null;
  const unknown = (what: string, code: number, i: number): null => {
    if (policy === 'error') {
      throw new StratifyError(
        'UNKNOWN_CLASS',
        `point ${i} (lon ${points[i].lon}, lat ${points[i].lat}): ${what} code ${code} is not in the legend; check the raster/legend pairing or pass unknownClass: 'null'`,
      );
    }
    return null;
  };
  const lcName = legend === 'worldcover' ? 'WorldCover' : 'LCCS';
  return points.map((p, i) => {
    const code = classCode(lc ? lc[i] : null, lcName, i, unknown);
    const smodValue = sm ? sm[i] : null;
    const smodCode = classCode(smodValue, 'SMOD', i, unknown);
    const LCCS = code === null ? null : (labels[code] ?? unknown(lcName, code, i));
    const IPCC = code === null ? null : (toIpcc[code] ?? unknown('IPCC mapping of', code, i));
    const SMOD =
      smodValue !== null && Number.isNaN(smodValue)
        ? 'None'
        : smodCode === null
          ? null
          : (SMOD_LABELS[smodCode] ?? unknown('SMOD', smodCode, i));
    return { ...p, landcover_id: code, LCCS, IPCC, SMOD_id: smodCode, SMOD };
  });
}
