import { setMember } from '@worldstrat/core';
import Papa from 'papaparse';
import { GeoSamplingError } from '../errors.js';
import { checkOptions, checkString } from '../internal/check-arguments.js';
import {
  type CsvHeaderRule,
  checkDelimiterOption,
  checkUniqueHeader,
  commaNumberProblem,
  csvDelimiter,
} from '../internal/csv-delimiter.js';
import { CSV_NEWLINE, normalizeCsvLineBreaks } from '../internal/csv-line-breaks.js';
import {
  checkArray,
  checkRecord,
  describeValue,
  isRecord,
  parseDecimal,
} from '../internal/geometry-checks.js';
import { assertLatitude, assertLongitude } from '../internal/validate.js';

/** A point of interest: unique name, lon/lat in degrees and the other columns of its row (as strings). */
export interface Poi {
  name: string;
  lon: number;
  lat: number;
  /** Source label (option `source`, else the row's `source` column, else absent). */
  source?: string;
  /** 0-based data row in the input. */
  row: number;
  /** All other columns of the row, unparsed. */
  properties: Record<string, string>;
}

/** Options of {@link readPois}. */
export interface ReadPoisOptions {
  /** `'csv'`, `'geojson'`, or `'auto'` (default: JSON when the text starts with `{`). */
  format?: 'csv' | 'geojson' | 'auto';
  /**
   * Name every row `"<prefix>-<i>"`, i = 1..N in row order (upstream's `name_prefix`), or, with `nameColumn`,
   * `"<prefix>-<value of nameColumn>"` (e.g. `UNHCR-<id_within_source>`).
   */
  namePrefix?: string;
  /** Column that holds the name. Default: upstream's detection `name` → `id` → `poi_name` → `poi_id` (last wins). */
  nameColumn?: string;
  /** Require a name (default true, like upstream `check_name`); when false, unnamed rows get `poi-<i>`. */
  checkName?: boolean;
  /** Source label for every POI (overrides a `source` column). */
  source?: string;
  /**
   * Longitude / latitude column names, both or neither (default: `lon`/`lat`, else `longitude`/`latitude`, else
   * WKT `geometry`); one alone is `INVALID_ARGUMENT`.
   */
  lonColumn?: string;
  latColumn?: string;
  /** Rows without valid coordinates: `'error'` (default) or `'skip'` (reported in `skipped`). */
  invalidRows?: 'error' | 'skip';
  /** Repeated names: `'error'` (default), `'drop'` later rows (reported in `duplicates`), or `'suffix'` them `-2`, `-3`… */
  duplicates?: 'error' | 'drop' | 'suffix';
  /**
   * CSV delimiter (e.g. `';'`, `'\t'`). Default: the one of `,` tab `|` `;` U+001E U+001F at which the header
   * line holds the coordinate columns (and `lonColumn` / `latColumn` / `nameColumn` when given); a one-column
   * header is comma-separated; no such delimiter, or two, is an error that asks for this option.
   */
  delimiter?: string;
}

/** What {@link readPois} returns. */
export interface ReadPoisResult {
  pois: Poi[];
  /** Column names of the input (CSV header or GeoJSON property keys). */
  columns: string[];
  /** Rows skipped for invalid coordinates (`invalidRows: 'skip'`). */
  skipped: { row: number; reason: string }[];
  /** Rows whose name repeated an earlier row (`duplicates: 'drop'` or `'suffix'`). */
  duplicates: { row: number; name: string; firstRow: number }[];
}

/** Ready-made options that load the upstream partner lists with the release's AOI names. */
export const PARTNER_POI_PRESETS = {
  /** `unhcr_formatted.csv` → `UNHCR-<id_within_source>` (6 rows without coordinates are skipped). */
  unhcr: { namePrefix: 'UNHCR', nameColumn: 'id_within_source', source: 'UNHCR', invalidRows: 'skip' },
  /** `amnesty_formatted.csv` → `Amnesty POI-<i>` (upstream called them `Micah POI-<i>`). */
  amnesty: { namePrefix: 'Amnesty POI', source: 'Amnesty' },
  /** `asmspotter_formatted.csv` → `ASMSpotter-<i>`. */
  asmspotter: { namePrefix: 'ASMSpotter', source: 'ASMSpotter' },
} as const satisfies Record<string, ReadPoisOptions>;

const NAME_KEYS = ['name', 'id', 'poi_name', 'poi_id'] as const;

interface RawRow {
  values: Record<string, string>;
  lon?: number;
  lat?: number;
  /** Where the coordinates came from, for messages (`columns lon/lat`, `features[3].geometry.coordinates`). */
  where?: string;
  /** Why the row has no point (a geometry that is not a point): `PARSE_ERROR`, or a reason to skip the row. */
  error?: string;
  /** CSV only: the coordinate cells as written and their column, checked for a comma (`12,5`) before parsing. */
  cells?: { lon?: string; lat?: string; column: { lon: string; lat: string } };
}

/** A cell of a row, never an inherited member (`constructor`, `toString`) when the row lacks the column. */
function cellOf(values: Record<string, string>, key: string | undefined): string | undefined {
  return key !== undefined && Object.hasOwn(values, key) ? values[key] : undefined;
}

/**
 * Data rows as records of own properties. papaparse's header mode assigns `row[field] = cell`, which turns a
 * `__proto__` column into a (refused) prototype assignment and loses it, so rows come from a header-less parse,
 * keyed by the header names (`fields`, each named once); a short row lacks its last keys.
 */
function csvRecords(text: string, fields: string[], delimiter: string): Record<string, string>[] {
  const rows = Papa.parse<string[]>(text, {
    delimiter,
    newline: CSV_NEWLINE,
    header: false,
    skipEmptyLines: true,
    dynamicTyping: false,
  }).data;
  return rows.slice(1).map((cells) => {
    const record: Record<string, string> = {};
    fields.forEach((field, i) => {
      if (i < cells.length) setMember(record, field, cells[i]);
    });
    return record;
  });
}

const WKT_POINT = /^\s*POINT\s*\(\s*([^\s()]+)\s+([^\s()]+)\s*\)\s*$/i;

/** What a POI CSV header must hold: the named columns, and coordinates the reader can find. */
function poiHeaderRule(opts: ReadPoisOptions): CsvHeaderRule {
  const named: [column: string, option: string][] = [];
  if (opts.lonColumn !== undefined) named.push([opts.lonColumn, 'lonColumn']);
  if (opts.latColumn !== undefined) named.push([opts.latColumn, 'latColumn']);
  if (opts.nameColumn !== undefined) named.push([opts.nameColumn, 'nameColumn']);
  const coordinates = "coordinate columns (lon/lat, longitude/latitude or a WKT 'geometry')";
  const needs =
    named.length === 0
      ? coordinates
      : `the columns ${named.map(([c, o]) => `'${c}' (${o})`).join(', ')}${
          opts.lonColumn !== undefined && opts.latColumn !== undefined ? '' : ` and ${coordinates}`
        }`;
  const lacking = (fields: readonly string[]): string[] => {
    const has = (c: string) => fields.includes(c);
    const out = named.filter(([c]) => !has(c)).map(([c, o]) => `the column '${c}' (${o})`);
    const coordinatesFound =
      (opts.lonColumn !== undefined && opts.latColumn !== undefined) ||
      (has('lon') && has('lat')) ||
      (has('longitude') && has('latitude')) ||
      has('geometry');
    if (!coordinatesFound) out.push(coordinates);
    return out;
  };
  return {
    source: 'POI CSV',
    needs,
    accepts: (fields) => lacking(fields).length === 0,
    lacks: (fields) => lacking(fields).join(' and '),
    // a named column that no split of the header holds is an unknown column, as when the delimiter is given
    missingCode: (splits) =>
      named.some(([c]) => !splits.some((f) => f.includes(c))) ? 'UNKNOWN_COLUMN' : 'MISSING_COLUMN',
  };
}

/** A cell as written, quoted and cut short, for messages. */
function quotedCell(cell: string): string {
  const t = cell.trim();
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 37)}...` : t);
}

/**
 * Refuses a CSV coordinate cell that holds no decimal number: an empty or absent cell (named as missing), one
 * written with a comma (`12,5`, `1,234.5`: never read as 12 or 125) or any other text (`NaN`, `n/a`). Same code
 * and message shape as assertLongitude / assertLatitude, which run after it on the parsed number.
 */
function refuseUnreadableCoordinate(raw: RawRow, axis: 'lon' | 'lat', row: number): void {
  if (!raw.cells) return;
  const cell = raw.cells[axis];
  const where = `column ${raw.cells.column[axis]}, row ${row}`;
  const [code, word] =
    axis === 'lon'
      ? (['INVALID_LONGITUDE', 'longitude'] as const)
      : (['INVALID_LATITUDE', 'latitude'] as const);
  const problem =
    cell === undefined || cell.trim() === ''
      ? `is missing (${where} is ${cell === undefined ? 'absent: the row is cut short' : 'empty'})`
      : (commaNumberProblem(cell, where) ??
        (Number.isNaN(parseDecimal(cell))
          ? `${quotedCell(cell)} (${where}) is not a decimal number`
          : undefined));
  if (problem !== undefined) throw new GeoSamplingError(code, `${word} ${problem}`, { row });
}

/** Every column a POI may take a value from (coordinates, name, source): none of them may be named twice. */
function poiReadColumns(opts: ReadPoisOptions): ReadonlySet<string> {
  const named = [opts.lonColumn, opts.latColumn, opts.nameColumn].filter((c): c is string => c !== undefined);
  return new Set([...named, 'lon', 'lat', 'longitude', 'latitude', 'geometry', 'source', ...NAME_KEYS]);
}

function readCsvRows(text: string, opts: ReadPoisOptions): { columns: string[]; rows: RawRow[] } {
  const delimiter = csvDelimiter(text, poiHeaderRule(opts), opts.delimiter);
  const body = normalizeCsvLineBreaks(text, delimiter);
  const transformHeader = checkUniqueHeader(body, delimiter, 'POI CSV', poiReadColumns(opts));
  const parsed = Papa.parse<Record<string, string>>(body, {
    delimiter,
    newline: CSV_NEWLINE,
    header: true,
    transformHeader,
    skipEmptyLines: true,
    dynamicTyping: false,
  });
  const fatal = parsed.errors.find((e) => e.type !== 'FieldMismatch' || e.code === 'TooManyFields');
  if (fatal) {
    throw new GeoSamplingError('PARSE_ERROR', `CSV row ${fatal.row ?? '?'}: ${fatal.message}`, {
      row: fatal.row ?? undefined,
    });
  }
  const columns = parsed.meta.fields ?? [];
  const has = (c: string) => columns.includes(c);
  let lonCol = opts.lonColumn;
  let latCol = opts.latColumn;
  for (const c of [lonCol, latCol]) {
    if (c !== undefined && !has(c)) {
      throw new GeoSamplingError(
        'UNKNOWN_COLUMN',
        `column '${c}' is not in the CSV header [${columns.join(', ')}]`,
      );
    }
  }
  if (lonCol === undefined || latCol === undefined) {
    if (has('lon') && has('lat')) [lonCol, latCol] = ['lon', 'lat'];
    else if (has('longitude') && has('latitude')) [lonCol, latCol] = ['longitude', 'latitude'];
  }
  const useGeometry = (lonCol === undefined || latCol === undefined) && has('geometry');
  if ((lonCol === undefined || latCol === undefined) && !useGeometry) {
    throw new GeoSamplingError(
      'MISSING_COLUMN',
      `no coordinate columns: need lon/lat, longitude/latitude or a WKT 'geometry' column; header is [${columns.join(', ')}]`,
    );
  }
  const rows: RawRow[] = csvRecords(body, columns, delimiter).map((values) => {
    if (useGeometry) {
      const geometry = cellOf(values, 'geometry');
      const m = WKT_POINT.exec(geometry ?? '');
      if (!m) return { values, error: `geometry ${describeValue(geometry)} is not a WKT POINT (lon lat)` };
      return {
        values,
        lon: parseDecimal(m[1]),
        lat: parseDecimal(m[2]),
        where: 'column geometry',
        cells: { lon: m[1], lat: m[2], column: { lon: 'geometry', lat: 'geometry' } },
      };
    }
    const lon = cellOf(values, lonCol);
    const lat = cellOf(values, latCol);
    return {
      values,
      lon: parseDecimal(lon),
      lat: parseDecimal(lat),
      where: `columns ${lonCol}/${latCol}`,
      cells: { lon, lat, column: { lon: lonCol as string, lat: latCol as string } },
    };
  });
  return { columns, rows };
}

/** Why a feature's geometry (not a Point) gives no POI, naming the feature and the geometry type. */
function notAPoint(g: unknown, where: string): Pick<RawRow, 'error'> {
  const what =
    g === null || g === undefined
      ? 'has no geometry'
      : !isRecord(g)
        ? `has a geometry that is ${describeValue(g)}, not a GeoJSON object`
        : typeof g.type === 'string'
          ? `has a ${g.type} geometry`
          : `has a geometry of type ${describeValue(g.type)}`;
  const fix = isRecord(g) && g.type === 'MultiPoint' ? ' (write each point as its own Point feature)' : '';
  return { error: `${where} ${what}; a POI must be a Point${fix}` };
}

function readGeoJsonRows(text: string): { columns: string[]; rows: RawRow[] } {
  let obj: unknown;
  try {
    // a leading byte-order mark is valid in a GeoJSON file (GDAL reads it); JSON.parse refuses it
    obj = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new GeoSamplingError('PARSE_ERROR', `GeoJSON is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const type = isRecord(obj) ? obj.type : undefined;
  const features =
    type === 'FeatureCollection'
      ? checkArray((obj as Record<string, unknown>).features, { where: 'POI GeoJSON features' }, 'an array')
      : type === 'Feature'
        ? [obj]
        : null;
  if (!features)
    throw new GeoSamplingError(
      'PARSE_ERROR',
      `GeoJSON root must be a FeatureCollection or Feature, got ${isRecord(obj) ? describeValue(type) : describeValue(obj)}`,
    );
  const columns = new Set<string>();
  const rows = features.map((f, row): RawRow => {
    const where = `POI GeoJSON features[${row}]`;
    const feature = checkRecord(f, { where, row }, 'a Feature object');
    const props = checkRecord(feature.properties ?? {}, { where: `${where}.properties`, row }, 'an object');
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(props)) {
      columns.add(k);
      setMember(values, k, propertyText(v, `${where}.properties.${k}`, row));
    }
    const g = feature.geometry;
    if (!isRecord(g) || g.type !== 'Point') return { values, ...notAPoint(g, where) };
    const c = g.coordinates;
    const where2 = `${where}.geometry.coordinates`;
    if (!Array.isArray(c) || c.length < 2)
      return { values, error: `${where2} is not a position [lon, lat]: got ${describeValue(c)}` };
    return { values, lon: c[0], lat: c[1], where: where2 };
  });
  return { columns: [...columns], rows };
}

/**
 * A GeoJSON property as a table cell: objects and arrays as their JSON text (as pandas' GeoJSON reading keeps
 * them). JSON.parse takes any depth, but stringifying recurses, so a value nested past the stack is refused.
 */
function propertyText(v: unknown, where: string, row: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v);
  } catch (err) {
    throw new GeoSamplingError(
      'PARSE_ERROR',
      `${where} is nested too deeply to be kept as a cell (${(err as Error).message})`,
      { row, cause: err },
    );
  }
}

/**
 * Reads points of interest from CSV or GeoJSON text with upstream's `DataLoader` rules: coordinates
 * from `lon`/`lat`, `longitude`/`latitude`, or a WKT `POINT (lon lat)` geometry; names from `namePrefix`
 * (1-based row numbers) or the first of `poi_id`, `poi_name`, `id`, `name` present (later keys win, as
 * upstream). Unlike upstream, names stay a column, must be unique, and bad rows raise errors naming the row.
 * The CSV delimiter is the one at which the header holds the coordinate columns (see
 * {@link ReadPoisOptions.delimiter}); numbers are plain decimals with a point (`12,5` is an error, never 12).
 * The partner lists load with {@link PARTNER_POI_PRESETS}.
 * @param text CSV or GeoJSON text.
 * @param options naming, columns, source, and policies for bad or repeated rows.
 * @returns the POIs plus columns, skipped and duplicate rows.
 * @throws GeoSamplingError `PARSE_ERROR` (also for a geometry that is not a point: a GeoJSON MultiPoint, a WKT
 *   LINESTRING), `MISSING_COLUMN`, `UNKNOWN_COLUMN`, `MISSING_NAME`, `INVALID_LONGITUDE`, `INVALID_LATITUDE`
 *   (an empty or non-numeric coordinate cell is named as such), `DUPLICATE_NAME` (all with `row` where one row is
 *   at fault);
 *   `MISSING_COLUMN` / `UNKNOWN_COLUMN` when the CSV header holds the columns at no delimiter, `PARSE_ERROR`
 *   at two (both quote the header), `PARSE_ERROR` for a CSV header naming a column twice; `INVALID_ARGUMENT`
 *   when `text` is not a string, `options` not an object or `options.delimiter` not a usable delimiter.
 * @example
 * const { pois } = readPois(csvText, PARTNER_POI_PRESETS.asmspotter); // ASMSpotter-1 … ASMSpotter-40
 */
export function readPois(text: string, options?: ReadPoisOptions): ReadPoisResult {
  checkString('readPois', 'text', text);
  options = checkOptions('readPois', options);
  checkDelimiterOption('readPois', options.delimiter);
  // one coordinate column alone would be dropped for the default pair: say so instead
  if ((options.lonColumn === undefined) !== (options.latColumn === undefined)) {
    const [given, missing] =
      options.lonColumn === undefined ? ['latColumn', 'lonColumn'] : ['lonColumn', 'latColumn'];
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `readPois: options.${given} is given without options.${missing}; name both coordinate columns, or neither (lon/lat, longitude/latitude or a WKT 'geometry' column are then found)`,
    );
  }
  const format = options.format ?? 'auto';
  const isJson = format === 'geojson' || (format === 'auto' && text.trimStart().startsWith('{'));
  const { columns, rows } = isJson ? readGeoJsonRows(text) : readCsvRows(text, options);
  if (options.nameColumn !== undefined && !columns.includes(options.nameColumn)) {
    throw new GeoSamplingError(
      'UNKNOWN_COLUMN',
      `nameColumn '${options.nameColumn}' is not among the columns [${columns.join(', ')}]`,
    );
  }
  let nameKey = options.nameColumn;
  if (nameKey === undefined) for (const k of NAME_KEYS) if (columns.includes(k)) nameKey = k;
  const checkName = options.checkName ?? true;
  if (nameKey === undefined && options.namePrefix === undefined && checkName) {
    throw new GeoSamplingError(
      'MISSING_NAME',
      `no name column (name, id, poi_name or poi_id) among [${columns.join(', ')}]; pass namePrefix, nameColumn or checkName: false`,
    );
  }
  const skipped: ReadPoisResult['skipped'] = [];
  const duplicates: ReadPoisResult['duplicates'] = [];
  const seen = new Map<string, number>();
  const suffixCount = new Map<string, number>();
  const pois: Poi[] = [];
  rows.forEach((raw, row) => {
    let problem = raw.error;
    if (!problem) {
      try {
        refuseUnreadableCoordinate(raw, 'lon', row);
        assertLongitude(raw.lon as number, { row, what: raw.where });
        refuseUnreadableCoordinate(raw, 'lat', row);
        assertLatitude(raw.lat as number, { row, what: raw.where });
      } catch (err) {
        if (options.invalidRows !== 'skip') throw err;
        problem = (err as Error).message;
      }
    } else if (options.invalidRows !== 'skip') {
      throw new GeoSamplingError('PARSE_ERROR', `row ${row}: ${problem}`, { row });
    }
    if (problem) {
      skipped.push({ row, reason: problem });
      return;
    }
    const i = row + 1;
    let name: string;
    if (options.namePrefix !== undefined) {
      const id = options.nameColumn !== undefined ? cellOf(raw.values, nameKey) : `${i}`;
      if (id === undefined || id.trim() === '') {
        if (checkName)
          throw new GeoSamplingError('MISSING_NAME', `row ${row} has an empty '${nameKey}'`, { row });
        name = `${options.namePrefix}-${i}`;
      } else {
        name = `${options.namePrefix}-${id}`;
      }
    } else if (nameKey !== undefined) {
      name = (cellOf(raw.values, nameKey) ?? '').trim();
      if (name === '') {
        if (checkName)
          throw new GeoSamplingError('MISSING_NAME', `row ${row} has an empty '${nameKey}'`, { row });
        name = `poi-${i}`;
      }
    } else {
      name = `poi-${i}`;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      const policy = options.duplicates ?? 'error';
      if (policy === 'error') {
        throw new GeoSamplingError(
          'DUPLICATE_NAME',
          `name '${name}' at row ${row} repeats row ${first}; pass duplicates: 'drop' or 'suffix'`,
          {
            row,
          },
        );
      }
      duplicates.push({ row, name, firstRow: first });
      if (policy === 'drop') return;
      let k = suffixCount.get(name) ?? 1;
      let candidate: string;
      do {
        k++;
        candidate = `${name}-${k}`;
      } while (seen.has(candidate));
      suffixCount.set(name, k);
      name = candidate;
    }
    seen.set(name, row);
    const sourceCell = cellOf(raw.values, 'source');
    const source = options.source ?? (sourceCell !== undefined && sourceCell !== '' ? sourceCell : undefined);
    const poi: Poi = { name, lon: raw.lon as number, lat: raw.lat as number, row, properties: raw.values };
    if (source !== undefined) poi.source = source;
    pois.push(poi);
  });
  return { pois, columns, skipped, duplicates };
}
