import { type BBox, toCsv } from '@worldstrat/core';
import Papa from 'papaparse';
import { bboxCenter } from '../aoi/bbox.js';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import {
  checkAoisArgument,
  checkOptions,
  checkPointsArgument,
  checkString,
} from '../internal/check-arguments.js';
import {
  checkDelimiterOption,
  checkUniqueHeader,
  commaNumberProblem,
  csvDelimiter,
} from '../internal/csv-delimiter.js';
import { CSV_NEWLINE, normalizeCsvLineBreaks } from '../internal/csv-line-breaks.js';
import { checkBBox, parseDecimal } from '../internal/geometry-checks.js';
import { assertArea, assertLatitude, assertLongitude, assertPointInBounds } from '../internal/validate.js';
import type { SamplePoint } from '../sphere/sample-points-on-sphere.js';

/** Formats a number like Python's `repr(float)` (shortest round-trip, `2.0`, `1e-05`). */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) return String(x);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(x.toExponential());
  if (!m) return String(x);
  return `${m[1]}e${m[2]}${m[3].padStart(2, '0')}`;
}

/**
 * AOIs as CSV text with upstream's column names `name,area,bounds,source,lon,lat[,parent]`; `bounds` is a
 * Python-list string `"[minLon, minLat, maxLon, maxLat]"` like the released tables.
 * @param aois the AOIs.
 * @returns CSV text (header + one line per AOI, `\n` line ends).
 * @example
 * aoisToCsv([aoi]).split('\n')[0]; // 'name,area,bounds,source,lon,lat'
 */
export function aoisToCsv(aois: readonly Aoi[]): string {
  checkAoisArgument('aoisToCsv', 'aois', aois);
  const withParent = aois.some((a) => a.parent !== undefined);
  const fields = ['name', 'area', 'bounds', 'source', 'lon', 'lat', ...(withParent ? ['parent'] : [])];
  const data = aois.map((a) => {
    const row: (string | number)[] = [
      a.name,
      pythonFloatRepr(a.areaKm2),
      `[${Array.from(a.bounds, pythonFloatRepr).join(', ')}]`,
      a.source,
      pythonFloatRepr(a.lon),
      pythonFloatRepr(a.lat),
    ];
    if (withParent) row.push(a.parent ?? '');
    return row;
  });
  return toCsv(fields, data);
}

function parseBounds(text: string, row: number): BBox {
  const t = text.trim().replace(/^\(/, '[').replace(/\)$/, ']');
  let arr: unknown;
  try {
    arr = JSON.parse(t);
  } catch {
    arr = null;
  }
  if (
    !Array.isArray(arr) ||
    arr.length !== 4 ||
    !arr.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    throw new GeoSamplingError(
      'PARSE_ERROR',
      `AOI CSV row ${row}: bounds '${shown}' is not a list of 4 numbers [minLon, minLat, maxLon, maxLat]`,
      { row },
    );
  }
  const box = checkBBox(arr, { where: `AOI CSV row ${row} column bounds`, row });
  // an AOI is an area: a box of no width or height is a misread, e.g. "[0,5, 1,5]" written with decimal commas
  if (box[0] === box[2] || box[1] === box[3]) {
    const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    throw new GeoSamplingError(
      'PARSE_ERROR',
      `AOI CSV row ${row}: bounds '${shown}' enclose no area (${box[0] === box[2] ? `minLon = maxLon = ${box[0]}` : `minLat = maxLat = ${box[1]}`}); write decimals with a point ([0.5, 1.5, ...]), not a comma`,
      { row },
    );
  }
  return box;
}

/** An optional lon/lat cell: absent or empty → `fallback`, else a strict decimal number. */
function optionalCell(cell: string | undefined, fallback: number): number {
  return cell === undefined || cell === '' ? fallback : parseDecimal(cell);
}

type NumberColumn = 'area' | 'lon' | 'lat';
const NUMBER_CODES = { area: 'INVALID_AREA', lon: 'INVALID_LONGITUDE', lat: 'INVALID_LATITUDE' } as const;
const NUMBER_WORDS = { area: 'area', lon: 'longitude', lat: 'latitude' } as const;

/** Refuses a number cell written with a comma (`2,5`): never read as 2 or 25. */
function checkNoCommaNumber(cell: string | undefined, column: NumberColumn, row: number): void {
  const problem = commaNumberProblem(cell, `AOI CSV column ${column}, row ${row}`);
  if (problem !== undefined)
    throw new GeoSamplingError(NUMBER_CODES[column], `${NUMBER_WORDS[column]} ${problem}`, { row });
}

/** Every column the AOI reader takes values from: none of them may be named twice. */
const AOI_READ_COLUMNS: ReadonlySet<string> = new Set([
  'name',
  'bounds',
  'area',
  'lon',
  'lat',
  'source',
  'parent',
]);

/** The columns an AOI's numbers and name come from: a row must have a cell for each the header has. */
const VALUE_COLUMNS = ['name', 'bounds', 'area', 'lon', 'lat'] as const;

/**
 * Refuses a row cut short before one of the value columns: its missing lon/lat would be made up from the box
 * centre (the default for an absent column or an empty cell, not for a missing one).
 */
function checkNotCutShort(
  r: Record<string, string>,
  row: number,
  valueColumns: readonly string[],
  width: number,
): void {
  const missing = valueColumns.filter((c) => r[c] === undefined);
  if (missing.length === 0) return;
  throw new GeoSamplingError(
    'PARSE_ERROR',
    `AOI CSV row ${row} is cut short: it has ${Object.keys(r).length} cells, the header ${width}, none for ${missing.join(', ')}; write the cells (an empty lon/lat is the box centre)`,
    { row },
  );
}

/** Options of {@link readAoisCsv}. */
export interface ReadAoisCsvOptions {
  /**
   * CSV delimiter (e.g. `';'`, `'\t'`). Default: the one of `,` tab `|` `;` U+001E U+001F at which the header
   * line holds the columns `name`, `bounds` and `area`; no such delimiter, or two, is an error that asks for
   * this option.
   */
  delimiter?: string;
}

const AOI_COLUMNS = ['name', 'bounds', 'area'];
const AOI_HEADER_RULE = {
  source: 'AOI CSV',
  needs: "the columns 'name', 'bounds' and 'area'",
  accepts: (fields: readonly string[]) => AOI_COLUMNS.every((c) => fields.includes(c)),
  lacks: (fields: readonly string[]) =>
    AOI_COLUMNS.filter((c) => !fields.includes(c))
      .map((c) => `the '${c}' column`)
      .join(' and '),
};

/**
 * Reads AOIs from CSV text with upstream columns (`name`, `bounds`, `area`; optional `source`, `lon`, `lat`,
 * `parent`). The released `dataset.csv` / `aoi-sample.csv` load as is (extra columns are ignored; `lon`/`lat`
 * default to the box centre when their column is absent or the cell empty, never for a row cut short before
 * them). A row may lack only trailing `source` / `parent` / extra cells (read as empty); no column is named twice. Bounds must lie in [-180, 180] × [-90, 90] with minLat ≤ maxLat;
 * `minLon > maxLon` is a box across the antimeridian only when less than 180° wide (else the longitudes look
 * swapped); lon/lat must lie in the row's own bounds (a lat-first table is refused). Any line break outside
 * quotes ends a row (`\r\n`, `\n`, `\r`, mixed in one file).
 * The delimiter is the one at which the header holds `name`, `bounds` and `area` (or `options.delimiter`);
 * numbers are plain decimals with a point (`2,5` is an error naming the row and column, never 2 or 25).
 * @param text CSV text.
 * @param options `delimiter`, when the header alone cannot tell it.
 * @returns the AOIs.
 * @throws GeoSamplingError `MISSING_COLUMN`, `PARSE_ERROR` (also for a row with more cells than the header, one
 *   cut short before `name`, `bounds`, `area`, `lon` or `lat`, or a column named twice), `DUPLICATE_NAME`,
 *   `INVALID_*` naming the row;
 *   `MISSING_COLUMN` when the header holds the columns at no delimiter, `PARSE_ERROR` at two (both quote the
 *   header); `INVALID_ARGUMENT` for a `text` that is not a string or an unusable `options.delimiter`.
 * @example
 * const aois = readAoisCsv(await (await fetch(url)).text());
 */
export function readAoisCsv(text: string, options?: ReadAoisCsvOptions): Aoi[] {
  checkString('readAoisCsv', 'text', text);
  const opts = checkOptions('readAoisCsv', options);
  const delimiter = csvDelimiter(text, AOI_HEADER_RULE, checkDelimiterOption('readAoisCsv', opts.delimiter));
  const body = normalizeCsvLineBreaks(text, delimiter);
  const transformHeader = checkUniqueHeader(body, delimiter, 'AOI CSV', AOI_READ_COLUMNS);
  const parsed = Papa.parse<Record<string, string>>(body, {
    delimiter,
    newline: CSV_NEWLINE,
    header: true,
    skipEmptyLines: true,
    transformHeader,
  });
  // a short row is checked per row below: lacking only the trailing labels (source, parent) it reads as blank
  const fatal = parsed.errors.find((e) => e.type !== 'FieldMismatch' || e.code === 'TooManyFields');
  if (fatal) {
    throw new GeoSamplingError('PARSE_ERROR', `AOI CSV row ${fatal.row ?? '?'}: ${fatal.message}`, {
      row: fatal.row ?? undefined,
    });
  }
  const columns = parsed.meta.fields ?? [];
  for (const c of ['name', 'bounds', 'area']) {
    if (!columns.includes(c)) {
      throw new GeoSamplingError(
        'MISSING_COLUMN',
        `AOI CSV needs a '${c}' column; header is [${columns.join(', ')}]`,
      );
    }
  }
  const seen = new Map<string, number>();
  const valueColumns = VALUE_COLUMNS.filter((c) => columns.includes(c));
  return parsed.data.map((r, row) => {
    checkNotCutShort(r, row, valueColumns, columns.length);
    // kept as written (as pandas and the GeoJSON and Arrow readers keep it); only a blank one is refused
    const name = r.name ?? '';
    if (!name.trim())
      throw new GeoSamplingError('MISSING_NAME', `AOI CSV row ${row} has an empty name`, { row });
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new GeoSamplingError(
        'DUPLICATE_NAME',
        `AOI CSV name '${name}' at row ${row} repeats row ${prev}`,
        {
          row,
        },
      );
    }
    seen.set(name, row);
    const bounds = parseBounds(r.bounds ?? '', row);
    checkNoCommaNumber(r.area, 'area', row);
    const areaKm2 = parseDecimal(r.area);
    assertArea(areaKm2, { what: 'AOI CSV column area', row });
    checkNoCommaNumber(r.lon, 'lon', row);
    checkNoCommaNumber(r.lat, 'lat', row);
    const [centreLon, centreLat] = bboxCenter(bounds);
    const lon = optionalCell(r.lon, centreLon);
    const lat = optionalCell(r.lat, centreLat);
    assertLongitude(lon, { what: 'AOI CSV column lon', row });
    assertLatitude(lat, { what: 'AOI CSV column lat', row });
    assertPointInBounds(lon, lat, bounds, { what: 'AOI CSV columns lon/lat', row });
    const aoi: Aoi = { name, lon, lat, bounds, areaKm2, source: r.source ?? '' };
    if (r.parent) aoi.parent = r.parent;
    return aoi;
  });
}

/**
 * Sampled points as CSV in upstream's `PlanetSampler.export_to_csv` layout: an unnamed index column (here the
 * unique point id), then `lon,lat`.
 * @param points sampled points.
 * @returns CSV text with `\n` line ends.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for an id that is not a non-negative integer,
 *   `INVALID_LONGITUDE` / `INVALID_LATITUDE` for a coordinate out of range or not finite.
 * @example
 * pointsToCsv(samplePointsOnSphere(2, { seed: 1 })).split('\n')[0]; // ',lon,lat'
 */
export function pointsToCsv(points: readonly SamplePoint[]): string {
  checkPointsArgument('pointsToCsv', 'points', points);
  return toCsv(
    ['', 'lon', 'lat'],
    points.map((p) => [p.id, pythonFloatRepr(p.lon), pythonFloatRepr(p.lat)]),
  );
}
