import {
  Table as ArrowTable,
  DataType,
  Field,
  FixedSizeList,
  Float64,
  Int32,
  RecordBatchReader,
  type Table,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import type { Aoi } from '../aoi/create-aoi.js';
import { GeoSamplingError } from '../errors.js';
import {
  checkAoisArgument,
  checkBytes,
  checkMethod,
  checkPointsArgument,
  checkPoisArgument,
} from '../internal/check-arguments.js';
import {
  checkBBox,
  checkFiniteNumber,
  describeValue,
  fail,
  type Place,
} from '../internal/geometry-checks.js';
import { assertArea, assertLatitude, assertLongitude, assertPointInBounds } from '../internal/validate.js';
import type { Poi } from '../poi/read-pois.js';
import type { SamplePoint } from '../sphere/sample-points-on-sphere.js';
import { checkArrowIpc } from './arrow-ipc-check.js';

/** Largest id of the int32 `id` column of {@link pointsToTable}. */
const INT32_MAX = 2 ** 31 - 1;

const BOUNDS_TYPE = new FixedSizeList(4, new Field('item', new Float64(), false));

/**
 * AOIs as an apache-arrow `Table` with upstream's column names: `name` (utf8), `lon`, `lat` (float64),
 * `bounds` (fixed-size list of 4 float64: minLon, minLat, maxLon, maxLat), `area` (float64, km²),
 * `source` (utf8), `parent` (utf8, null for untiled AOIs).
 * @param aois the AOIs.
 * @returns the table.
 * @example
 * aoisToTable(aois).numRows;
 */
export function aoisToTable(aois: readonly Aoi[]): Table {
  checkAoisArgument('aoisToTable', 'aois', aois);
  return new ArrowTable({
    name: vectorFromArray(
      aois.map((a) => a.name),
      new Utf8(),
    ),
    lon: vectorFromArray(Float64Array.from(aois, (a) => a.lon)),
    lat: vectorFromArray(Float64Array.from(aois, (a) => a.lat)),
    bounds: vectorFromArray(
      aois.map((a) => Array.from(a.bounds)),
      BOUNDS_TYPE,
    ),
    area: vectorFromArray(Float64Array.from(aois, (a) => a.areaKm2)),
    source: vectorFromArray(
      aois.map((a) => a.source),
      new Utf8(),
    ),
    parent: vectorFromArray(
      aois.map((a) => a.parent ?? null),
      new Utf8(),
    ),
  });
}

/** Arrow number cells are numbers, or bigints for 64-bit integer columns. */
function numberOfCell(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}

function cellNumber(v: unknown, place: Place): number {
  return checkFiniteNumber(numberOfCell(v), place);
}

/** A string cell; null (or a missing column) is absent. */
function cellString(v: unknown, place: Place): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') fail(place, 'PARSE_ERROR', `must be a string, got ${describeValue(v)}`);
  return v;
}

/** Decodes UTF-8 keeping a leading U+FEFF, which is text of the cell (apache-arrow's decoder drops it). */
const KEEP_BOM = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Row `i` of a column as written: a Utf8 cell is decoded from its bytes with {@link KEEP_BOM} (a name `'\ufeffA'`
 * read back as `'A'`, which could then repeat another row's name); other types as apache-arrow reads them.
 */
function cellOf(vector: Vector, i: number): unknown {
  if (!DataType.isUtf8(vector.type) && !DataType.isLargeUtf8(vector.type)) return vector.get(i);
  let row = i;
  for (const data of vector.data) {
    if (row >= data.length) {
      row -= data.length;
      continue;
    }
    if (!data.getValid(row)) return null;
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const [from, to] = [Number(offsets[row]), Number(offsets[row + 1])];
    return KEEP_BOM.decode((data.values as Uint8Array).subarray(from, to));
  }
  return undefined;
}

function column(table: Table, name: string) {
  const c = table.getChild(name);
  if (!c) {
    throw new GeoSamplingError(
      'MISSING_COLUMN',
      `table has no '${name}' column; columns are [${table.schema.fields.map((f) => f.name).join(', ')}]`,
    );
  }
  return c;
}

/**
 * Reads AOIs back from a table made by {@link aoisToTable} (or any table with those columns; `parent` optional).
 * @param table an apache-arrow table.
 * @returns the AOIs.
 * @throws GeoSamplingError `MISSING_COLUMN` when a required column is absent, `PARSE_ERROR` for a cell of the
 *   wrong type, `MISSING_NAME`, `DUPLICATE_NAME`, `INVALID_LONGITUDE` / `INVALID_LATITUDE` / `INVALID_AREA`
 *   for values out of range (all with `row`).
 * @example
 * tableToAois(aoisToTable(aois));
 */
export function tableToAois(table: Table): Aoi[] {
  checkMethod('tableToAois', 'table', table, 'getChild');
  const name = column(table, 'name');
  const lon = column(table, 'lon');
  const lat = column(table, 'lat');
  const bounds = column(table, 'bounds');
  const area = column(table, 'area');
  const source = column(table, 'source');
  const parent = table.getChild('parent');
  const seen = new Map<string, number>();
  const out: Aoi[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const place = (col: string): Place => ({ where: `Arrow table row ${i} column ${col}`, row: i });
    const aoiName = cellOf(name, i);
    if (typeof aoiName !== 'string' || aoiName.trim() === '')
      throw new GeoSamplingError('MISSING_NAME', `Arrow table row ${i} has no name`, { row: i });
    const prev = seen.get(aoiName);
    if (prev !== undefined) {
      throw new GeoSamplingError(
        'DUPLICATE_NAME',
        `Arrow table name '${aoiName}' at row ${i} repeats row ${prev}`,
        {
          row: i,
        },
      );
    }
    seen.set(aoiName, i);
    const b = bounds.get(i);
    const aoi: Aoi = {
      name: aoiName,
      lon: cellNumber(lon.get(i), place('lon')),
      lat: cellNumber(lat.get(i), place('lat')),
      bounds: checkBBox(b ? Array.from(b as ArrayLike<unknown>, numberOfCell) : null, place('bounds')),
      areaKm2: cellNumber(area.get(i), place('area')),
      source: cellString(cellOf(source, i), place('source')) ?? '',
    };
    assertLongitude(aoi.lon, { what: 'Arrow table column lon', row: i });
    assertLatitude(aoi.lat, { what: 'Arrow table column lat', row: i });
    assertPointInBounds(aoi.lon, aoi.lat, aoi.bounds, { what: 'Arrow table columns lon/lat', row: i });
    assertArea(aoi.areaKm2, { what: 'Arrow table column area', row: i });
    const p = cellString(parent ? cellOf(parent, i) : undefined, place('parent'));
    if (p !== undefined) aoi.parent = p;
    out.push(aoi);
  }
  return out;
}

/**
 * Sampled points as an apache-arrow `Table` with columns `id` (int32), `lon`, `lat` (float64).
 * @param points the points: ids integers in [0, 2^31 − 1] (the int32 column), lon/lat in range.
 * @returns the table.
 * @throws GeoSamplingError `INVALID_ARGUMENT` for an id outside [0, 2^31 − 1] or not an integer,
 *   `INVALID_LONGITUDE` / `INVALID_LATITUDE` for a coordinate out of range or not finite.
 * @example
 * pointsToTable(samplePointsOnSphere(10)).numRows; // 10
 */
export function pointsToTable(points: readonly SamplePoint[]): Table {
  checkPointsArgument('pointsToTable', 'points', points, true, INT32_MAX);
  return new ArrowTable({
    id: vectorFromArray(
      points.map((p) => p.id),
      new Int32(),
    ),
    lon: vectorFromArray(Float64Array.from(points, (p) => p.lon)),
    lat: vectorFromArray(Float64Array.from(points, (p) => p.lat)),
  });
}

/**
 * Serialises AOIs as an Arrow IPC file (the `.arrow` / Feather v2 format).
 * @param aois the AOIs.
 * @returns IPC file bytes.
 * @example
 * const bytes = aoisToIpc(aois);
 */
export function aoisToIpc(aois: readonly Aoi[]): Uint8Array {
  checkAoisArgument('aoisToIpc', 'aois', aois);
  return tableToIPC(aoisToTable(aois), 'file');
}

/**
 * An apache-arrow Table from IPC bytes (file or stream format) whose structure is checked first. The reader is
 * iterated once: `tableFromIPC` re-opens it after the last batch and reads a schema from wherever it stopped,
 * which a corrupt file turns into an endless loop; a stream's later concatenated streams are not read.
 * @throws GeoSamplingError `PARSE_ERROR` naming the corrupt part.
 */
export function tableFromCheckedIpc(bytes: Uint8Array): Table {
  checkArrowIpc(bytes);
  try {
    return new ArrowTable([...RecordBatchReader.from(bytes)]);
  } catch (err) {
    throw new GeoSamplingError('PARSE_ERROR', `not an Arrow IPC file/stream: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Reads AOIs from Arrow IPC bytes (file or stream format).
 * @param bytes IPC bytes.
 * @returns the AOIs.
 * @throws GeoSamplingError `PARSE_ERROR` for bytes that are not Arrow IPC, are corrupt (the message names the
 *   part, e.g. `Arrow IPC file record batch 0: column 'name' offset 2 (1) is below offset 1`) or use what
 *   apache-arrow cannot read (compression, big-endian data, metadata before V4); `MISSING_COLUMN`.
 * @example
 * aoisFromIpc(aoisToIpc(aois));
 */
export function aoisFromIpc(bytes: Uint8Array): Aoi[] {
  checkBytes('aoisFromIpc', 'bytes', bytes);
  return tableToAois(tableFromCheckedIpc(bytes));
}

/**
 * POIs as an apache-arrow `Table`: `name` (utf8), `lon`, `lat` (float64), `source` (utf8, nullable), `row`
 * (int32, the input row), plus one utf8 column per original property (prefixed `prop_`, e.g. `prop_date`).
 * @param pois POIs from {@link readPois}.
 * @returns the table.
 * @example
 * poisToTable(readPois(text, PARTNER_POI_PRESETS.unhcr).pois).getChild('prop_location_type');
 */
export function poisToTable(pois: readonly Poi[]): Table {
  checkPoisArgument('poisToTable', 'pois', pois);
  const keys = [...new Set(pois.flatMap((p) => Object.keys(p.properties)))];
  const columns: Record<string, Vector> = {
    name: vectorFromArray(
      pois.map((p) => p.name),
      new Utf8(),
    ),
    lon: vectorFromArray(Float64Array.from(pois, (p) => p.lon)),
    lat: vectorFromArray(Float64Array.from(pois, (p) => p.lat)),
    source: vectorFromArray(
      pois.map((p) => p.source ?? null),
      new Utf8(),
    ),
    row: vectorFromArray(
      pois.map((p) => p.row),
      new Int32(),
    ),
  };
  for (const k of keys) {
    columns[`prop_${k}`] = vectorFromArray(
      pois.map((p) => p.properties[k] ?? null),
      new Utf8(),
    );
  }
  return new ArrowTable(columns);
}
