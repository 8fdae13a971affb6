// Hostile documents at every entry point that reads external tables or geometry: seeded mutations of realistic
// documents must end in a result that keeps the documented invariants or in a GeoSamplingError with a known
// code; crafted cases pin each bug fixed at the parsing boundary (exact code, source and place in the message).
import { constants as bufferConstants } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type Data,
  Dictionary,
  Field,
  FixedSizeList,
  Float64,
  Int32,
  makeData,
  makeVector,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  jsonMutations,
  mulberry32,
  outcomeOf,
  tallyOutcomes,
} from '../../../tests/support/json-mutations.js';
import {
  aoisFromIpc,
  aoisToIpc,
  aoisToTable,
  pointsToTable,
  poisToTable,
  tableToAois,
} from '../src/arrow.js';
import {
  type Aoi,
  aoisToCsv,
  aoisToGeoJson,
  createAoi,
  createLandMask,
  GEO_SAMPLING_ERROR_CODES,
  GeoSamplingError,
  type LandGeometryInput,
  landMaskFromRaster,
  loadLandMask,
  type MaskRaster,
  PARTNER_POI_PRESETS,
  type ReadPoisResult,
  readAoisCsv,
  readAoisFile,
  readAoisGeoJson,
  readPois,
  readPoisFile,
  samplePointsOnSphere,
  tileAoi3x3,
} from '../src/node.js';
import { tableFromCheckedIpc } from '../src/table/aoi-table.js';
import { readShared } from './support.js';

const KNOWN_CODES: readonly string[] = GEO_SAMPLING_ERROR_CODES;

/** Runs `parse` on seeded variants of `doc`; every outcome is 'ok' (then `check` runs) or a known code. */
function tallyMutations(
  doc: unknown,
  count: number,
  seed: number,
  parse: (variant: unknown) => unknown,
  check: (result: unknown, what: string) => void,
): Promise<Map<string, number>> {
  return tallyOutcomes(jsonMutations(doc, count, seed), GeoSamplingError, parse, {
    check,
    allowed: KNOWN_CODES,
  });
}

/** Both kinds of outcome happened, so the mutations reached the checks and the valid paths. */
function expectMixed(tally: Map<string, number>, minOk: number, minCodes = 2): void {
  expect(tally.get('ok') ?? 0).toBeGreaterThanOrEqual(minOk);
  expect([...tally.keys()].filter((k) => k !== 'ok').length).toBeGreaterThanOrEqual(minCodes);
}

function thrown(fn: () => unknown): GeoSamplingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GeoSamplingError) return err;
    throw err;
  }
  throw new Error('expected a GeoSamplingError, got a result');
}

async function rejected(promise: Promise<unknown>): Promise<GeoSamplingError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GeoSamplingError) return err;
    throw err;
  }
  throw new Error('expected a GeoSamplingError, got a result');
}

const isLon = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= -180 && x <= 180;
const isLat = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= -90 && x <= 90;

/** The documented invariants of AOIs read from any table. */
function expectValidAois(result: unknown, what: string): void {
  expect(Array.isArray(result), what).toBe(true);
  const names = new Set<string>();
  for (const a of result as Aoi[]) {
    expect(typeof a.name === 'string' && a.name.trim() !== '', what).toBe(true);
    expect(names.has(a.name), `${what}: repeated name ${a.name}`).toBe(false);
    names.add(a.name);
    expect(isLon(a.lon) && isLat(a.lat), `${what}: lon/lat ${a.lon}, ${a.lat}`).toBe(true);
    expect(a.bounds, what).toHaveLength(4);
    const [w, s, e, n] = a.bounds;
    expect(isLon(w) && isLat(s) && isLon(e) && isLat(n) && s <= n, `${what}: bounds ${a.bounds}`).toBe(true);
    expect(Number.isFinite(a.areaKm2) && a.areaKm2 > 0, `${what}: area ${a.areaKm2}`).toBe(true);
    expect(typeof a.source, what).toBe('string');
    if (a.parent !== undefined) expect(typeof a.parent, what).toBe('string');
  }
}

/** The documented invariants of readPois results. */
function expectValidPois(result: unknown, what: string): void {
  const { pois, columns, skipped, duplicates } = result as ReadPoisResult;
  expect(Array.isArray(pois) && Array.isArray(columns) && Array.isArray(skipped), what).toBe(true);
  expect(Array.isArray(duplicates), what).toBe(true);
  const names = new Set<string>();
  for (const p of pois) {
    expect(typeof p.name === 'string' && p.name !== '', what).toBe(true);
    expect(p.name.includes('undefined'), `${what}: name ${p.name}`).toBe(false);
    expect(names.has(p.name), `${what}: repeated name ${p.name}`).toBe(false);
    names.add(p.name);
    expect(isLon(p.lon) && isLat(p.lat), `${what}: lon/lat ${p.lon}, ${p.lat}`).toBe(true);
    expect(Number.isSafeInteger(p.row) && p.row >= 0, what).toBe(true);
    if (p.source !== undefined) expect(typeof p.source, what).toBe('string');
    for (const v of Object.values(p.properties)) expect(typeof v, what).toBe('string');
  }
  for (const s of skipped)
    expect(Number.isSafeInteger(s.row) && typeof s.reason === 'string', what).toBe(true);
}

/** A CSV document as JSON (header + rows of cells) so the mutator can reach single cells. */
interface CsvDoc {
  header: unknown[];
  rows: unknown[];
}

/** CSV text of a mutated CsvDoc: strings as they are, anything else as JSON text (lists, numbers, null). */
function renderCsv(doc: unknown): string {
  const { header, rows } = (doc ?? {}) as Partial<CsvDoc>;
  const cell = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const line = (cells: unknown): string =>
    (Array.isArray(cells) ? cells.map(cell) : [cell(cells)]).join('\u0000');
  const lines = [line(header), ...(Array.isArray(rows) ? rows : [rows]).map(line)];
  return Papa.unparse(
    lines.map((l) => l.split('\u0000')),
    { newline: '\n' },
  );
}

function csvDocOf(text: string, rows: number): CsvDoc {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
  return { header: parsed.data[0], rows: parsed.data.slice(1, rows + 1) };
}

/** aoi-sample.csv rows with the bounds cell as a JSON list (so single coordinates get mutated). */
function aoiCsvDoc(): CsvDoc {
  const doc = csvDocOf(readShared('data/aoi-sample.csv'), 8);
  const b = doc.header.indexOf('bounds');
  for (const row of doc.rows as unknown[][]) row[b] = JSON.parse(row[b] as string);
  return doc;
}

const parent = createAoi({ name: 'Amnesty POI-1', lon: 13.176664587401, lat: 11.79831999977345 }, 22.5, {
  source: 'Amnesty',
});
const sampleAois: Aoi[] = [
  createAoi({ name: 'UNHCR-FJIs000001', lon: 179.999, lat: -16.5 }, 2.5, { source: 'UNHCR' }),
  createAoi({ name: 'Landcover-890848', lon: 32.25605366284673, lat: 28.22425197267564 }, 2.5, {
    source: 'Random Sampling/Landcover',
  }),
  ...tileAoi3x3(parent).slice(0, 3),
];

/** AOI GeoJSON: the first two features keep only their geometry, so the geometry path is exercised too. */
function aoiGeoJsonDoc() {
  const fc = structuredClone(aoisToGeoJson(sampleAois)) as ReturnType<typeof aoisToGeoJson>;
  for (const f of fc.features.slice(0, 2)) {
    delete (f as { bbox?: unknown }).bbox;
    delete (f.properties as { bounds?: unknown }).bounds;
  }
  return fc;
}

describe('readAoisGeoJson on hostile documents', () => {
  it('reads the realistic document, including boxes from geometry across the antimeridian', () => {
    const aois = readAoisGeoJson(aoiGeoJsonDoc() as never);
    expect(aois.map((a) => a.name)).toEqual(sampleAois.map((a) => a.name));
    // The MultiPolygon split at ±180° gives the wrapped box back, not [-180, s, 180, n].
    expect(aois[0].bounds).toEqual(sampleAois[0].bounds);
    expect(aois[0].bounds[0]).toBeGreaterThan(aois[0].bounds[2]);
    expect(aois[1].bounds).toEqual(sampleAois[1].bounds);
  });

  it('object input: 400 mutations end in valid AOIs or typed errors', async () => {
    const tally = await tallyMutations(
      aoiGeoJsonDoc(),
      400,
      11,
      (d) => readAoisGeoJson(d as never),
      expectValidAois,
    );
    expectMixed(tally, 20);
  });

  it('text input: 300 mutations end in valid AOIs or typed errors', async () => {
    const tally = await tallyMutations(
      aoiGeoJsonDoc(),
      300,
      12,
      (d) => readAoisGeoJson(JSON.stringify(d) ?? 'undefined'),
      expectValidAois,
    );
    expectMixed(tally, 15, 1);
  });

  const fc = (features: unknown) => ({ type: 'FeatureCollection', features }) as never;
  const feature = (properties: unknown, geometry: unknown = null, extra: object = {}) => ({
    type: 'Feature',
    properties,
    geometry,
    ...extra,
  });
  const ring = [
    [10, 20],
    [10, 21],
    [11, 21],
    [11, 20],
    [10, 20],
  ];
  const props = { name: 'a', area: 2.5 };

  it.each([
    ['features is not an array', fc(0), 'PARSE_ERROR', /AOI GeoJSON features must be an array/],
    ['a feature is null', fc([null]), 'PARSE_ERROR', /features\[0\] must be a Feature object/],
    [
      'properties is a string',
      fc([feature('abc', null, { bbox: [0, 0, 1, 1] })]),
      'PARSE_ERROR',
      /features\[0\]\.properties must be an object/,
    ],
    [
      'coordinates is not an array',
      fc([feature(props, { type: 'Polygon', coordinates: 7 })]),
      'PARSE_ERROR',
      /features\[0\]\.geometry\.coordinates must be an array of linear rings/,
    ],
    [
      'coordinates hold null',
      fc([feature(props, { type: 'Polygon', coordinates: [null] })]),
      'PARSE_ERROR',
      /features\[0\]\.geometry\.coordinates\[0\] must be a linear ring/,
    ],
    [
      'a position is null',
      fc([feature(props, { type: 'Polygon', coordinates: [[null, ...ring.slice(1)]] })]),
      'PARSE_ERROR',
      /coordinates\[0\]\[0\] must be a position/,
    ],
    [
      'a coordinate is the string "1e999"',
      fc([feature(props, { type: 'Polygon', coordinates: [[['1e999', 20], ...ring.slice(1)]] })]),
      'PARSE_ERROR',
      /coordinates\[0\]\[0\]\[0\] must be a finite number, got the string "1e999"/,
    ],
    [
      'a ring is open',
      fc([feature(props, { type: 'Polygon', coordinates: [ring.slice(0, 4)] })]),
      'PARSE_ERROR',
      /coordinates\[0\] is not closed/,
    ],
    [
      'a ring has 3 positions',
      fc([feature(props, { type: 'Polygon', coordinates: [[ring[0], ring[1], ring[0]]] })]),
      'PARSE_ERROR',
      /coordinates\[0\] is a ring of 3 positions/,
    ],
    [
      'a latitude is out of range',
      fc([
        feature(props, { type: 'MultiPolygon', coordinates: [[[[10, 95], ...ring.slice(1, 4), [10, 95]]]] }),
      ]),
      'INVALID_LATITUDE',
      /coordinates\[0\]\[0\]\[0\]\[1\] latitude 95/,
    ],
    [
      'bounds holds "__proto__"',
      fc([feature({ ...props, bounds: ['__proto__', 0, 1, 1] })]),
      'PARSE_ERROR',
      /features\[0\]\.properties\.bounds\[0\] must be a finite number, got the string "__proto__"/,
    ],
    [
      'bounds longitude out of range',
      fc([feature({ ...props, bounds: [0, 0, 200, 1] })]),
      'INVALID_LONGITUDE',
      /properties\.bounds\[2\] longitude 200/,
    ],
    [
      'bbox with minLat > maxLat',
      fc([feature(props, null, { bbox: [0, 5, 1, 1] })]),
      'INVALID_LATITUDE',
      /features\[0\]\.bbox has minLat 5 > maxLat 1/,
    ],
    [
      'a negative area',
      fc([feature({ ...props, area: -1, bounds: [0, 0, 1, 1] })]),
      'INVALID_AREA',
      /area -1 km² \(AOI GeoJSON features\[0\]\.properties\.area, row 0\)/,
    ],
    [
      'lon is a string',
      fc([feature({ ...props, lon: '12', bounds: [0, 0, 1, 1] })]),
      'PARSE_ERROR',
      /properties\.lon must be a finite number, got the string "12"/,
    ],
    [
      'lat outside [-90, 90]',
      fc([feature({ ...props, lat: 1e308, bounds: [0, 0, 1, 1] })]),
      'INVALID_LATITUDE',
      /latitude 1e\+308 \(AOI GeoJSON features\[0\]\.properties\.lat/,
    ],
    [
      'source is an object',
      fc([feature({ ...props, source: {}, bounds: [0, 0, 1, 1] })]),
      'PARSE_ERROR',
      /properties\.source must be a string, got an object/,
    ],
    [
      'an empty name',
      fc([feature({ ...props, name: ' ', bounds: [0, 0, 1, 1] })]),
      'MISSING_NAME',
      /features\[0\]/,
    ],
    [
      'a repeated name',
      fc([feature({ ...props, bounds: [0, 0, 1, 1] }), feature({ ...props, bounds: [0, 0, 1, 1] })]),
      'DUPLICATE_NAME',
      /features\[1\]: name 'a' repeats features\[0\]/,
    ],
  ])('%s → typed error naming the place', (_, doc, code, message) => {
    for (const input of [doc, JSON.stringify(doc)]) {
      const err = thrown(() => readAoisGeoJson(input));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/AOI GeoJSON/);
    }
  });

  it('takes the centre of a box across the antimeridian when lon/lat are absent', () => {
    const [aoi] = readAoisGeoJson(fc([feature({ ...props, bounds: [179.5, 0, -179.5, 1] })]));
    expect(aoi.lon).toBe(-180);
    expect(aoi.lat).toBe(0.5);
  });

  it('reads a polygon of 200 000 positions without overflowing the stack', () => {
    const n = 200_000;
    const big: number[][] = Array.from({ length: n }, (_, i) => [
      10 + Math.cos((2 * Math.PI * i) / n),
      20 + Math.sin((2 * Math.PI * i) / n),
    ]);
    big.push(big[0]);
    const [aoi] = readAoisGeoJson(fc([feature(props, { type: 'Polygon', coordinates: [big] })]));
    expect(aoi.bounds).toEqual([9, 19, 11, 21]);
  });
});

describe('readAoisCsv on hostile tables', () => {
  it('reads the realistic rows of aoi-sample.csv', () => {
    const aois = readAoisCsv(renderCsv(aoiCsvDoc()));
    expect(aois).toHaveLength(8);
    expect(aois[0].name).toBe('Landcover-890848');
    expect(aois[0].bounds[0]).toBe(32.24799957102034);
  });

  it('500 cell mutations end in valid AOIs or typed errors', async () => {
    const tally = await tallyMutations(
      aoiCsvDoc(),
      500,
      21,
      (d) => readAoisCsv(renderCsv(d)),
      expectValidAois,
    );
    expectMixed(tally, 40);
  });

  const head = 'name,area,bounds,source,lon,lat\n';
  it.each([
    [
      'a bounds longitude out of range',
      `${head}a,2.5,"[500, 0, 501, 1]",S,,\n`,
      'INVALID_LONGITUDE',
      /AOI CSV row 0 column bounds\[0\] longitude 500/,
    ],
    [
      'bounds with minLat > maxLat',
      `${head}a,2.5,"[0, 2, 1, 1]",S,,\n`,
      'INVALID_LATITUDE',
      /AOI CSV row 0 column bounds has minLat 2 > maxLat 1/,
    ],
    [
      'a blank lon',
      `${head}a,2.5,"[0, 0, 1, 1]",S, ,0.5\n`,
      'INVALID_LONGITUDE',
      /longitude NaN \(AOI CSV column lon, row 0\)/,
    ],
    [
      'a hex area',
      `${head}a,0x10,"[0, 0, 1, 1]",S,,\n`,
      'INVALID_AREA',
      /area NaN km² \(AOI CSV column area, row 0\)/,
    ],
    [
      'an unterminated quote',
      `${head}a,2.5,"[0, 0, 1, 1],S,,\n`,
      'PARSE_ERROR',
      /AOI CSV row \d+: Quoted field unterminated/,
    ],
    [
      'a bounds cell that is not a list',
      `${head}a,2.5,nope,S,,\n`,
      'PARSE_ERROR',
      /AOI CSV row 0: bounds 'nope'/,
    ],
  ])('%s → typed error naming the row and column', (_, text, code, message) => {
    const err = thrown(() => readAoisCsv(text));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    // papaparse counts the header line in the row of its own errors.
    expect(err.row).toBe(code === 'PARSE_ERROR' && text.includes('"[0, 0, 1, 1],') ? 1 : 0);
  });

  it('a column named twice is PARSE_ERROR naming it (papaparse took the first copy), and nothing is printed', () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => {}),
    );
    try {
      const cases: [string, string][] = [
        [
          'name,bounds,area,lon,lat,lon\nA,"[1, 2, 1.1, 2.1]",2.5,1.05,2.05,9\n',
          "'lon' twice (columns 4 and 6)",
        ],
        ['name,bounds,area,area\nA,"[1, 2, 1.1, 2.1]",1,2.5\n', "'area' twice (columns 3 and 4)"],
        [
          'name;bounds;area;source;source\nA;"[1, 2, 1.1, 2.1]";2.5;a;b\n',
          "'source' twice (columns 4 and 5)",
        ],
      ];
      for (const [text, message] of cases) {
        const err = thrown(() => readAoisCsv(text));
        expect([err.code, err.message]).toEqual([
          'PARSE_ERROR',
          `AOI CSV header names the column ${message}; rename or remove one`,
        ]);
      }
      const err = thrown(() => readPois('name,lon,lat,lat\nP,10,20,-45\n'));
      expect([err.code, err.message]).toEqual([
        'PARSE_ERROR',
        "POI CSV header names the column 'lat' twice (columns 3 and 4); rename or remove one",
      ]);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("a spreadsheet's trailing empty columns and other repeated names the reader does not read are kept, silently", () => {
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => {}),
    );
    try {
      // Excel and LibreOffice export unnamed trailing columns as a run of blank names
      const [aoi] = readAoisCsv('name,bounds,area,x,x,,\nA,"[1, 2, 1.1, 2.1]",2.5,a,b,,\n');
      expect([aoi?.name, aoi?.lon, aoi?.lat]).toEqual(['A', 1.05, 2.05]);
      const { pois } = readPois('name,lon,lat,note,note,,\nP,10,20,a,b,,\n');
      expect(pois.map((p) => [p.name, p.lon, p.lat])).toEqual([['P', 10, 20]]);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('a row cut short before lon/lat is PARSE_ERROR naming the row (they were made up from the box centre); absent columns still default', () => {
    const text = `${head}A,2.5,"[1, 2, 1.1, 2.1]",Landcover,1.0123,2.0456\nB,2.5,"[3, 2, 3.1, 2.1]"\n`;
    const err = thrown(() => readAoisCsv(text));
    expect([err.code, err.message, err.row]).toEqual([
      'PARSE_ERROR',
      'AOI CSV row 1 is cut short: it has 3 cells, the header 6, none for lon, lat; write the cells (an empty lon/lat is the box centre)',
      1,
    ]);
    // cut before lat only, or before area (was INVALID_AREA NaN, which hid the cut)
    expect(thrown(() => readAoisCsv(`${head}B,2.5,"[3, 2, 3.1, 2.1]",S,3.06\n`)).message).toContain(
      'AOI CSV row 0 is cut short: it has 5 cells, the header 6, none for lat;',
    );
    expect(thrown(() => readAoisCsv('name,bounds,area\nB,"[3, 2, 3.1, 2.1]"\n')).message).toContain(
      'AOI CSV row 0 is cut short: it has 2 cells, the header 3, none for area;',
    );
    // an absent column or an empty cell is the box centre; a missing trailing label reads as empty
    const [absent] = readAoisCsv('name,area,bounds\nB,2.5,"[3, 2, 3.1, 2.1]"\n');
    expect([absent.lon, absent.lat, absent.source]).toEqual([3.05, 2.05, '']);
    const [empty] = readAoisCsv(`${head}B,2.5,"[3, 2, 3.1, 2.1]",S,,\n`);
    expect([empty.lon, empty.lat]).toEqual([3.05, 2.05]);
    const [label] = readAoisCsv('name,area,bounds,lon,lat,source\nB,2.5,"[3, 2, 3.1, 2.1]",3.06,2.07\n');
    expect([label.lon, label.lat, label.source]).toEqual([3.06, 2.07, '']);
  });

  it('takes the centre of a box across the antimeridian when lon/lat are empty', () => {
    const [aoi] = readAoisCsv(`${head}a,2.5,"[179.5, 0, -179.5, 1]",S,,\n`);
    expect([aoi.lon, aoi.lat]).toEqual([-180, 0.5]);
  });
});

/** A CSV of partner POIs: the first rows of a released file. */
const unhcrDoc = () => csvDocOf(readShared('data/unhcr_formatted.csv'), 8);
const amnestyDoc = () => csvDocOf(readShared('data/amnesty_formatted.csv'), 6);

/** Amnesty rows as a GeoJSON FeatureCollection of points. */
function poiGeoJsonDoc() {
  const { header, rows } = amnestyDoc();
  return {
    type: 'FeatureCollection',
    features: (rows as string[][]).map((r) => {
      const properties = Object.fromEntries((header as string[]).map((h, i) => [h, r[i]]));
      return {
        type: 'Feature',
        properties: { poi_id: Number(properties.poi_id), source: properties.source, description: 'x' },
        geometry: { type: 'Point', coordinates: [Number(properties.lon), Number(properties.lat)] },
      };
    }),
  };
}

describe('readPois on hostile tables and GeoJSON', () => {
  it('reads the realistic documents', () => {
    expect(readPois(renderCsv(unhcrDoc()), PARTNER_POI_PRESETS.unhcr).pois[0]).toMatchObject({
      name: 'UNHCR-UGAs001848',
      lon: 31.896969,
      lat: 3.302276,
    });
    expect(readPois(JSON.stringify(poiGeoJsonDoc())).pois.map((p) => p.name)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ]);
  });

  it('CSV: 400 mutations of UNHCR rows, with the preset and with defaults', async () => {
    const preset = await tallyMutations(
      unhcrDoc(),
      400,
      31,
      (d) => readPois(renderCsv(d), PARTNER_POI_PRESETS.unhcr),
      expectValidPois,
    );
    expectMixed(preset, 40);
    const plain = await tallyMutations(amnestyDoc(), 300, 32, (d) => readPois(renderCsv(d)), expectValidPois);
    expectMixed(plain, 30);
  });

  it('GeoJSON: 400 mutations end in valid POIs or typed errors', async () => {
    const tally = await tallyMutations(
      poiGeoJsonDoc(),
      400,
      33,
      (d) => readPois(JSON.stringify(d) ?? 'null', { format: 'geojson', duplicates: 'suffix' }),
      expectValidPois,
    );
    expectMixed(tally, 20);
  });

  const gj = (doc: unknown) => JSON.stringify(doc);
  const point = (coordinates: unknown, properties: unknown = { name: 'a' }) => ({
    type: 'Feature',
    properties,
    geometry: { type: 'Point', coordinates },
  });
  it.each([
    ['root is null', 'null', 'PARSE_ERROR', /GeoJSON root must be a FeatureCollection or Feature, got null/],
    [
      'features is not an array',
      gj({ type: 'FeatureCollection', features: 0 }),
      'PARSE_ERROR',
      /POI GeoJSON features must be an array/,
    ],
    [
      'a feature is null',
      gj({ type: 'FeatureCollection', features: [null] }),
      'PARSE_ERROR',
      /POI GeoJSON features\[0\] must be a Feature object/,
    ],
    [
      'properties is a string',
      gj(point([1, 2], 'abc')),
      'PARSE_ERROR',
      /features\[0\]\.properties must be an object/,
    ],
    [
      'coordinates is null',
      gj(point(null)),
      'PARSE_ERROR',
      /features\[0\]\.geometry\.coordinates is not a position/,
    ],
    [
      'a coordinate is "1e999"',
      gj(point(['1e999', 2])),
      'INVALID_LONGITUDE',
      /longitude the string "1e999" \(POI GeoJSON features\[0\]\.geometry\.coordinates, row 0\)/,
    ],
    [
      'a coordinate is an object',
      gj(point([1, {}])),
      'INVALID_LATITUDE',
      /latitude an object \(POI GeoJSON features\[0\]\.geometry\.coordinates/,
    ],
  ])('GeoJSON %s → typed error naming the place', (_, text, code, message) => {
    const err = thrown(() => readPois(text, { format: 'geojson' }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('keeps a __proto__ property as an ordinary column', () => {
    const { pois, columns } = readPois(gj(point([1, 2], JSON.parse('{"name":"a","__proto__":"x"}'))));
    expect(columns).toEqual(['name', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(pois[0].properties, '__proto__')?.value).toBe('x');
  });

  it('keeps a CSV __proto__ column (papaparse assigned it as the prototype and lost it)', () => {
    const { pois, columns } = readPois('name,__proto__,lon,lat\na,x,1,2\n');
    expect(columns).toEqual(['name', '__proto__', 'lon', 'lat']);
    expect(Object.getOwnPropertyDescriptor(pois[0].properties, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(pois[0].properties)).toBe(Object.prototype);
    const lonFromProto = readPois('name,__proto__,lat\na,5,2\n', {
      lonColumn: '__proto__',
      latColumn: 'lat',
    });
    expect(lonFromProto.pois[0]).toMatchObject({ name: 'a', lon: 5, lat: 2 });
  });

  it('a short row never reads an inherited member for a column named constructor or toString', () => {
    // The short row lacked the key, so `row.constructor` was Object and `.trim()` threw a TypeError.
    const err = thrown(() => readPois('lon,lat,constructor\n1,2,n1\n3,4\n', { nameColumn: 'constructor' }));
    expect([err.code, err.message, err.row]).toEqual(['MISSING_NAME', "row 1 has an empty 'constructor'", 1]);
    const prefixedErr = thrown(() =>
      readPois('lon,lat,toString\n1,2,n1\n3,4\n', { namePrefix: 'P', nameColumn: 'toString' }),
    );
    expect([prefixedErr.code, prefixedErr.message]).toEqual([
      'MISSING_NAME',
      "row 1 has an empty 'toString'",
    ]);
    const { pois } = readPois('name,lon,lat,constructor\na,1,2\n', { checkName: true });
    expect(Object.hasOwn(pois[0].properties, 'constructor')).toBe(false);
  });

  it('AOI CSV: __proto__ / constructor columns are extra columns and change nothing', () => {
    const text = 'name,area,bounds,__proto__,constructor\nA,2.5,"[0.0, 0.0, 0.1, 0.1]",x,y\n';
    expect(readAoisCsv(text)).toEqual(readAoisCsv('name,area,bounds\nA,2.5,"[0.0, 0.0, 0.1, 0.1]"\n'));
  });

  const prefixed = { namePrefix: 'P', nameColumn: 'id' };
  it.each([
    [
      'a hex longitude',
      'name,lon,lat\na,0x10,1\n',
      {},
      'INVALID_LONGITUDE',
      /^longitude "0x10" \(column lon, row 0\) is not a decimal number$/,
    ],
    [
      'a blank latitude',
      'name,lon,lat\na,1, \n',
      {},
      'INVALID_LATITUDE',
      /^latitude is missing \(column lat, row 0 is empty\)$/,
    ],
    [
      'a hex WKT coordinate',
      'name,geometry\na,POINT (0x1 2)\n',
      {},
      'INVALID_LONGITUDE',
      /^longitude "0x1" \(column geometry, row 0\) is not a decimal number$/,
    ],
    [
      'an empty prefixed name value',
      'id,lon,lat\n,1,2\n',
      prefixed,
      'MISSING_NAME',
      /row 0 has an empty 'id'/,
    ],
    [
      'a missing prefixed name value',
      'lon,lat,id\n1,2\n',
      prefixed,
      'MISSING_NAME',
      /row 0 has an empty 'id'/,
    ],
  ])('CSV %s → typed error naming the row', (_, text, options, code, message) => {
    const err = thrown(() => readPois(text, options));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.row).toBe(0);
  });

  it('names rows without a value `<prefix>-<i>` when checkName is false (never `<prefix>-undefined`)', () => {
    const { pois } = readPois('lon,lat,id\n1,2\n3,4,b\n', {
      namePrefix: 'P',
      nameColumn: 'id',
      checkName: false,
    });
    expect(pois.map((p) => p.name)).toEqual(['P-1', 'P-b']);
  });
});

describe('long numeric-looking cells', () => {
  // 256 KiB of digits then 'x': the old decimal pattern backtracked quadratically on it (about a minute).
  const long = `${'1'.repeat(256 * 1024)}x`;
  it.each([
    [
      'readPois lon column',
      () => readPois(`name,lon,lat\na,${long},1\n`),
      'INVALID_LONGITUDE',
      '(column lon, row 0) is not a decimal number',
    ],
    [
      'readPois WKT POINT',
      () => readPois(`name,geometry\na,POINT (${long} 2)\n`),
      'INVALID_LONGITUDE',
      '(column geometry, row 0) is not a decimal number',
    ],
    [
      'readAoisCsv area column',
      () => readAoisCsv(`name,area,bounds\nA,${long},"[0, 0, 1, 1]"\n`),
      'INVALID_AREA',
      'area NaN km² (AOI CSV column area, row 0)',
    ],
  ])(
    '%s: a 256 KiB cell is a typed error naming row and column, in milliseconds (was about 110 s)',
    (_, read, code, place) => {
      const started = performance.now();
      const err = thrown(read);
      const ms = performance.now() - started;
      expect([err.code, err.row]).toEqual([code, 0]);
      expect(err.message).toContain(place);
      expect(ms).toBeLessThan(5000); // linear: milliseconds; the quadratic code took over a minute
    },
  );
});

describe('readAoisFile / readPoisFile on hostile files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geo-sampling-hostile-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('mutated CSV and GeoJSON files end in valid results or typed errors naming the file', async () => {
    let n = 0;
    const inFile = async (ext: string, text: string, read: (path: string) => Promise<unknown>) => {
      const path = join(dir, `v${n++}${ext}`);
      await writeFile(path, text);
      try {
        return await read(path);
      } catch (err) {
        if (err instanceof GeoSamplingError) expect(err.message.startsWith(`'${path}': `)).toBe(true);
        throw err;
      }
    };
    const aoiCsv = await tallyMutations(
      aoiCsvDoc(),
      60,
      41,
      (d) => inFile('.csv', renderCsv(d), (p) => readAoisFile(p)),
      expectValidAois,
    );
    const aoiJson = await tallyMutations(
      aoiGeoJsonDoc(),
      60,
      42,
      (d) => inFile('.geojson', JSON.stringify(d) ?? '', (p) => readAoisFile(p)),
      expectValidAois,
    );
    const pois = await tallyMutations(
      unhcrDoc(),
      60,
      43,
      (d) => inFile('.csv', renderCsv(d), (p) => readPoisFile(p, PARTNER_POI_PRESETS.unhcr)),
      expectValidPois,
    );
    const poiJson = await tallyMutations(
      poiGeoJsonDoc(),
      60,
      44,
      (d) => inFile('.geojson', JSON.stringify(d) ?? '', (p) => readPoisFile(p)),
      expectValidPois,
    );
    for (const tally of [aoiCsv, aoiJson, pois, poiJson]) expectMixed(tally, 3, 1);
  });

  it('names the file, keeps the code and row', async () => {
    const path = join(dir, 'bad.geojson');
    await writeFile(path, JSON.stringify({ type: 'FeatureCollection', features: [null] }));
    const err = await rejected(readAoisFile(path));
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.message).toBe(`'${path}': AOI GeoJSON features[0] must be a Feature object, got null`);
    expect(err.row).toBe(0);
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, 'name,lon,lat\na,0,0\nb,0,91\n');
    const poiErr = await rejected(readPoisFile(csv));
    expect(poiErr.code).toBe('INVALID_LATITUDE');
    expect(poiErr.message).toMatch(
      new RegExp(`^'${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': latitude 91`),
    );
    expect(poiErr.row).toBe(1);
  });

  it('Arrow files: bad cells are typed errors naming the file, row and column', async () => {
    const good = Uint8Array.from(aoisToIpc(sampleAois));
    expect(aoisFromIpc(good)).toEqual(sampleAois);
    const path = join(dir, 'bad.arrow');
    // the writer refuses a NaN longitude, so the one in the file is patched in: the lon value's float64 bytes
    const bytes = Uint8Array.from(aoisToIpc([sampleAois[1] as Aoi]));
    const lon = new Uint8Array(Float64Array.of((sampleAois[1] as Aoi).lon).buffer);
    const at = Buffer.from(bytes).indexOf(lon);
    expect(at).toBeGreaterThan(0);
    bytes.set(new Uint8Array(Float64Array.of(Number.NaN).buffer), at);
    await writeFile(path, bytes);
    const err = await rejected(readAoisFile(path));
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.message).toBe(`'${path}': Arrow table row 0 column lon must be a finite number, got NaN`);
  });

  it('a FIFO, a folder or a device as the file: INVALID_ARGUMENT naming it, at once (a FIFO waited for ever)', async () => {
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    for (const read of [() => readAoisFile(fifo), () => readPoisFile(fifo)]) {
      const err = await rejected(read());
      expect([err.code, err.message]).toEqual([
        'INVALID_ARGUMENT',
        `'${fifo}': not a regular file; give a table file`,
      ]);
    }
    const folder = join(dir, 'folder.geojson');
    await mkdir(folder);
    expect((await rejected(readAoisFile(folder))).message).toBe(
      `'${folder}': not a regular file; give a table file`,
    );
    expect((await rejected(readPoisFile('/dev/zero'))).message).toContain('not a regular file');
  });

  it('a table that is not UTF-8 (a Latin-1 export) is a PARSE_ERROR naming the byte and line (names changed to U+FFFD before)', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const aois = join(dir, 'latin1-aois.csv');
    await writeFile(aois, latin1('name,lon,lat\nBern,7.4,46.9\nZ\u00fcrich,8.5,47.4\n'));
    const pois = join(dir, 'latin1-pois.csv');
    // two names that differ only in their Latin-1 letter: they were one name, a false DUPLICATE_NAME
    await writeFile(pois, latin1('name,lon,lat\nZ\u00fcrich,8.5,47.4\nZ\u00e4rich,8.6,47.5\n'));
    for (const [path, read, byte, line] of [
      [aois, () => readAoisFile(aois), 28, 3],
      [pois, () => readPoisFile(pois), 14, 2],
    ] as const) {
      const err = await rejected(read());
      expect([err.code, err.message]).toEqual([
        'PARSE_ERROR',
        `'${path}': not UTF-8 text at byte ${byte} (line ${line}); save the table as UTF-8`,
      ]);
    }
    // the same names in UTF-8, with a byte-order mark, read as before
    await writeFile(pois, `\ufeffname,lon,lat\nZ\u00fcrich,8.5,47.4\nZ\u00e4rich,8.6,47.5\n`);
    expect((await readPoisFile(pois)).pois.map((p) => p.name)).toEqual(['Z\u00fcrich', 'Z\u00e4rich']);
  });

  it('a file holding more than the size it reports (/proc) is UNREADABLE_FILE; it was read whole without a bound', async () => {
    const err = await rejected(readAoisFile('/proc/self/status', { format: 'csv' }));
    expect(err.code).toBe('UNREADABLE_FILE');
    expect(err.message).toBe(
      "'/proc/self/status': it holds more than the 0 bytes it had when opened (it changed while read, or is no plain file on disk); copy it to a regular file",
    );
  });

  it('a GeoJSON POI property nested 10 000 deep is a PARSE_ERROR naming the feature (was a RangeError)', async () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const text = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a","deep":${deep}},"geometry":{"type":"Point","coordinates":[1,2]}}]}`;
    const err = thrown(() => readPois(text));
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.row).toBe(0);
    expect(err.message).toMatch(
      /^POI GeoJSON features\[0\]\.properties\.deep is nested too deeply to be kept as a cell/,
    );
    // an ordinary nested property is kept as its JSON text
    const shallow = text.replace(deep, '[[1,2],{"k":"v"}]');
    expect(readPois(shallow).pois[0]).toMatchObject({ name: 'a' });
  });

  it('a header repeating one column name 32 000 times reads in linear time (took minutes)', async () => {
    const path = join(dir, 'repeated-header.csv');
    await writeFile(path, `name,bounds,area${',x'.repeat(32_000)}\n`);
    expect(await readAoisFile(path)).toEqual([]);
    expect(readAoisCsv(`name,bounds,area${',x'.repeat(3)},x_2\n`)).toEqual([]);
  }, 20_000);

  it("a text table just under 512 MiB but past V8's longest string: INVALID_ARGUMENT naming it, nothing read (was ERR_STRING_TOO_LONG)", async () => {
    // sparse: no disk used, and the size check comes before any read
    const size = 536_870_900;
    expect(size).toBeGreaterThan(bufferConstants.MAX_STRING_LENGTH);
    for (const [name, read] of [
      ['big.csv', readAoisFile],
      ['big-pois.csv', readPoisFile],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, '');
      await truncate(path, size);
      const err = await rejected(read(path));
      expect([err.code, err.message]).toEqual([
        'INVALID_ARGUMENT',
        `'${path}': ${size} bytes is larger than the ${bufferConstants.MAX_STRING_LENGTH} bytes a table may have`,
      ]);
      await rm(path);
    }
  });

  it('a missing file (or a path through a file) is FILE_NOT_FOUND and an unreadable one UNREADABLE_FILE, naming it (were Node errors)', async () => {
    const missing = (name: string) => join(dir, name);
    const reads: [string, () => Promise<unknown>][] = [
      ...['missing.csv', 'missing.geojson', 'missing.arrow'].map(
        (n) => [missing(n), () => readAoisFile(missing(n))] as [string, () => Promise<unknown>],
      ),
      ...['missing.csv', 'missing.geojson'].map(
        (n) => [missing(n), () => readPoisFile(missing(n))] as [string, () => Promise<unknown>],
      ),
    ];
    for (const [path, read] of reads) {
      const err = await rejected(read());
      expect([err.code, err.message]).toEqual(['FILE_NOT_FOUND', `'${path}': no such file`]);
      expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    }
    // a path through a file (ENOTDIR): nothing is there either, as core and raster-io say
    const file = join(dir, 'plain.csv');
    await writeFile(file, 'name,lon,lat\na,1,2\n');
    const through = join(file, 'inner.csv');
    for (const read of [() => readAoisFile(through), () => readPoisFile(through)]) {
      const err = await rejected(read());
      expect([err.code, err.message]).toEqual(['FILE_NOT_FOUND', `'${through}': no such file`]);
      expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    }
  });

  it('a footer block that does not hold a record batch is a PARSE_ERROR, not an endless loop', () => {
    const two = [
      createAoi({ name: 'a', lon: 1, lat: 2 }, 2.5),
      createAoi({ name: 'b', lon: 179.999, lat: 2 }, 2.5),
    ];
    const bytes = Uint8Array.from(aoisToIpc(two));
    expect(bytes.length).toBe(1314);
    // Four corrupted bytes (found by a seeded byte-flip run) made apache-arrow re-read block 0 forever.
    for (const [at, v] of [
      [1006, 148],
      [16, 104],
      [1070, 113],
      [240, 56],
    ])
      bytes[at] = v;
    const err = thrown(() => aoisFromIpc(bytes));
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.message).toBe('Arrow IPC file footer: the offset at byte 292 points outside its 528 bytes');
  });
});

describe('tableToAois on hostile Arrow tables', () => {
  const boundsType = new FixedSizeList(4, new Field('item', new Float64(), true));
  const table = (cols: Record<string, unknown[]>) =>
    new Table({
      name: vectorFromArray(cols.name ?? ['a'], new Utf8()),
      lon: vectorFromArray(cols.lon ?? [0.5], (cols.lonType as never) ?? new Float64()),
      lat: vectorFromArray(cols.lat ?? [0.5], new Float64()),
      bounds: vectorFromArray(cols.bounds ?? [[0, 0, 1, 1]], boundsType),
      area: vectorFromArray(cols.area ?? [2.5], new Float64()),
      source: vectorFromArray(cols.source ?? ['S'], new Utf8()),
    });
  it.each([
    ['a null name', { name: [null] }, 'MISSING_NAME', /Arrow table row 0 has no name/],
    [
      'a repeated name',
      {
        name: ['a', 'a'],
        lon: [0.5, 0.5],
        lat: [0.5, 0.5],
        bounds: [
          [0, 0, 1, 1],
          [0, 0, 1, 1],
        ],
        area: [2.5, 2.5],
        source: ['S', 'S'],
      },
      'DUPLICATE_NAME',
      /name 'a' at row 1 repeats row 0/,
    ],
    [
      'an infinite lon',
      { lon: [Number.POSITIVE_INFINITY] },
      'PARSE_ERROR',
      /row 0 column lon must be a finite number, got Infinity/,
    ],
    [
      'a lat out of range',
      { lat: [91] },
      'INVALID_LATITUDE',
      /latitude 91 \(Arrow table column lat, row 0\)/,
    ],
    [
      'a NaN in bounds',
      { bounds: [[0, Number.NaN, 1, 1]] },
      'PARSE_ERROR',
      /row 0 column bounds\[1\] must be a finite number, got NaN/,
    ],
    [
      'a null in bounds',
      { bounds: [[0, 0, null, 1]] },
      'PARSE_ERROR',
      /row 0 column bounds\[2\] must be a finite number, got null/,
    ],
    [
      'a negative area',
      { area: [-2.5] },
      'INVALID_AREA',
      /area -2\.5 km² \(Arrow table column area, row 0\)/,
    ],
    [
      'a text lon column',
      { lon: ['12'], lonType: new Utf8() },
      'PARSE_ERROR',
      /column lon must be a finite number, got the string "12"/,
    ],
  ])('%s → typed error naming row and column', (_, cols, code, message) => {
    const err = thrown(() => tableToAois(table(cols as Record<string, unknown[]>)));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

/** A small quantised TopoJSON topology in world-atlas's shape: one island and one box across ±180°. */
function topologyDoc() {
  return {
    type: 'Topology',
    transform: { scale: [0.01, 0.01], translate: [-180, -90] },
    objects: {
      land: {
        type: 'GeometryCollection',
        geometries: [
          { type: 'Polygon', arcs: [[0]] },
          { type: 'MultiPolygon', arcs: [[[1]], [[2]]] },
        ],
      },
    },
    arcs: [
      [
        [19000, 10000],
        [0, 1000],
        [1000, 0],
        [0, -1000],
        [-1000, 0],
      ],
      [
        [35000, 10000],
        [0, 1000],
        [1000, 0],
        [0, -1000],
        [-1000, 0],
      ],
      [
        [0, 10000],
        [0, 1000],
        [500, 0],
        [0, -1000],
        [-500, 0],
      ],
    ],
  };
}

function geoJsonLandDoc() {
  return {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { featurecla: 'Land' },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [10, 10],
              [20, 10],
              [20, 20],
              [10, 20],
              [10, 10],
            ],
          ],
        },
      },
      {
        type: 'Feature',
        properties: {},
        geometry: {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [170, -10],
                [180, -10],
                [180, 0],
                [170, 0],
                [170, -10],
              ],
            ],
            [
              [
                [-180, -10],
                [-175, -10],
                [-175, 0],
                [-180, 0],
                [-180, -10],
              ],
            ],
          ],
        },
      },
    ],
  };
}

/** Our writers' Arrow IPC output and two pyarrow 25 files (written by test/fixtures/make-pyarrow-fixtures.py). */
function ipcSeeds(): { name: string; bytes: Uint8Array }[] {
  const [a, b] = [sampleAois.slice(0, 3), sampleAois.slice(3)];
  const withDictionarySource = (aois: Aoi[]) => {
    const table = aoisToTable(aois);
    const source = vectorFromArray(
      aois.map((x) => x.source),
      new Dictionary(new Utf8(), new Int32()),
    );
    const columns: Record<string, Vector> = {};
    table.schema.fields.forEach((f, i) => {
      columns[f.name] = f.name === 'source' ? source : (table.getChildAt(i) as Vector);
    });
    return new Table(columns);
  };
  const points = pointsToTable(samplePointsOnSphere(4, { seed: 7 }));
  const pois = poisToTable(readPois('name,lon,lat,kind\nUNHCR-1,32.5,1.2,camp\nUNHCR-2,33.1,2.0,\n').pois);
  const tables: [string, Table, ('file' | 'stream')[]][] = [
    ['AOI table', aoisToTable(sampleAois), ['file', 'stream']],
    ['AOI table in two batches', aoisToTable(a).concat(aoisToTable(b)), ['file', 'stream']],
    ['AOI table with a dictionary source', withDictionarySource(sampleAois), ['file']],
    // apache-arrow refuses to replace a dictionary in the file format, so two batches only as a stream.
    [
      'AOI table with dictionaries in two batches',
      withDictionarySource(a).concat(withDictionarySource(b)),
      ['stream'],
    ],
    ['point table', points, ['file', 'stream']],
    ['POI table', pois, ['file', 'stream']],
  ];
  const seeds = tables.flatMap(([name, table, formats]) =>
    formats.map((format) => ({ name: `${name} (${format})`, bytes: tableToIPC(table, format) })),
  );
  for (const file of ['pyarrow-aois.arrow', 'pyarrow-types.arrows'])
    seeds.push({
      name: file,
      bytes: new Uint8Array(readFileSync(new URL(`./fixtures/${file}`, import.meta.url))),
    });
  return seeds;
}

const HOSTILE_WORDS = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 0x00ffffff, 0xfffffff8];
const HOSTILE_LONGS = [2n ** 53n, 2n ** 62n, -1n, 2n ** 31n, 2n ** 32n];

/** Seeded byte-level variants: single bytes, 32/64-bit words, truncations, repeated or copied ranges. */
function* ipcMutations(bytes: Uint8Array, count: number, seed: number) {
  const random = mulberry32(seed);
  const below = (n: number) => Math.floor(random() * n);
  for (let n = 0; n < count; n++) {
    let out = Uint8Array.from(bytes);
    const view = new DataView(out.buffer);
    const len = out.length;
    let what: string;
    const kind = below(6);
    if (kind === 0) {
      const [at, v] = [below(len), below(256)];
      out[at] = v;
      what = `byte ${at} = ${v}`;
    } else if (kind === 1) {
      const [at, v] = [4 * below(len >> 2), HOSTILE_WORDS[below(HOSTILE_WORDS.length)]];
      view.setUint32(at, v, true);
      what = `word at ${at} = 0x${v.toString(16)}`;
    } else if (kind === 2) {
      const [at, v] = [8 * below(len >> 3), HOSTILE_LONGS[below(HOSTILE_LONGS.length)]];
      view.setBigInt64(at, v, true);
      what = `long at ${at} = ${v}`;
    } else if (kind === 3) {
      const end = below(len);
      out = out.slice(0, end);
      what = `cut to ${end} bytes`;
    } else {
      const [from, size, at] = [below(len), 1 + below(64), below(len)];
      if (kind === 4) {
        out = Uint8Array.from([
          ...out.subarray(0, at),
          ...out.subarray(from, from + size),
          ...out.subarray(at),
        ]);
        what = `bytes ${from}+${size} inserted at ${at}`;
      } else {
        out.copyWithin(at, from, from + size);
        what = `bytes ${from}+${size} copied over ${at}`;
      }
    }
    yield { bytes: out, what };
  }
}

/** Reads every cell (nested values in full): nothing may throw, strings and floats must be what they say. */
function readEveryCell(table: Table, what: string): void {
  const rows = Math.min(table.numRows, 10_000);
  table.schema.fields.forEach((field, c) => {
    const column = table.getChildAt(c);
    const valueType = field.type instanceof Dictionary ? field.type.dictionary : field.type;
    for (let i = 0; i < rows; i++) {
      const cell = column?.get(i);
      JSON.stringify(cell, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      if (cell === null) continue;
      if (valueType instanceof Utf8) expect(typeof cell, `${what}: ${field.name}[${i}]`).toBe('string');
      if (valueType instanceof Float64) expect(typeof cell, `${what}: ${field.name}[${i}]`).toBe('number');
    }
  });
}

/**
 * A watchdog thread for code that may never return: when the case number in `beat[0]` stays the same for
 * `limitMs`, it prints the case (written to `text`, its length in `beat[2]`) and kills the test process, since
 * nothing else can stop a synchronous endless loop. `beat[1] = 1` stops it.
 */
function startWatchdog(limitMs: number) {
  const beat = new Int32Array(new SharedArrayBuffer(12));
  const text = new Uint8Array(new SharedArrayBuffer(1024));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const [beat, text, limitMs] = [new Int32Array(workerData.beat), new Uint8Array(workerData.text), workerData.limitMs];
     const { writeSync } = require('node:fs');
     let last = -1, since = Date.now();
     const timer = setInterval(() => {
       if (Atomics.load(beat, 1) === 1) return clearInterval(timer);
       const now = Atomics.load(beat, 0);
       if (now !== last) { last = now; since = Date.now(); return; }
       if (now > 0 && Date.now() - since > limitMs) {
         const what = new TextDecoder().decode(text.slice(0, Atomics.load(beat, 2)));
         writeSync(2, '\\nhang: case ' + now + ' ran for over ' + limitMs + ' ms: ' + what + '\\n');
         process.kill(process.pid, 'SIGKILL');
       }
     }, 100);`,
    { eval: true, workerData: { beat: beat.buffer, text: text.buffer, limitMs } },
  );
  let n = 0;
  return {
    enter(what: string): void {
      const { written } = new TextEncoder().encodeInto(what, text);
      Atomics.store(beat, 2, written);
      Atomics.store(beat, 0, ++n);
    },
    async stop(): Promise<void> {
      Atomics.store(beat, 1, 1);
      await worker.terminate();
    },
  };
}

describe('Arrow IPC readers on corrupt bytes', () => {
  it('accepts our writers’ files and pyarrow’s, and reads them as apache-arrow does', () => {
    for (const { name, bytes } of ipcSeeds()) {
      const table = tableFromCheckedIpc(bytes);
      expect(
        JSON.stringify(table.toArray(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        name,
      ).toBe(
        JSON.stringify(tableFromIPC(bytes).toArray(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      );
      readEveryCell(table, name);
    }
    const pyarrow = aoisFromIpc(
      new Uint8Array(readFileSync(new URL('./fixtures/pyarrow-aois.arrow', import.meta.url))),
    );
    expect(pyarrow.map((a) => [a.name, a.source, a.parent])).toEqual([
      ['UNHCR-1', 'UNHCR', undefined],
      ['UNHCR-2', 'UNHCR', undefined],
      ['Amnesty POI-1', 'Amnesty', 'X'],
      ['Landcover-3', 'Landcover', undefined],
    ]);
  });

  // Each of these hung apache-arrow (it decoded every entry a corrupt count claims, or looped on a bad block) or
  // took seconds; found by the byte-level run below against the old reader.
  const seed = (name: string) => Uint8Array.from(ipcSeeds().find((x) => x.name === name)?.bytes ?? []);
  const long = (at: number, v: bigint) => (b: Uint8Array) => new DataView(b.buffer).setBigInt64(at, v, true);
  it.each([
    [
      'point table (file)',
      (b: Uint8Array) => {
        b[504] = 105;
      },
      "Arrow IPC file footer: column 'lon' children claim 536936448 entries of 4 bytes; 3 bytes remain",
    ],
    [
      'point table (file)',
      long(192, 2n ** 62n),
      'Arrow IPC file record batch 0: field nodes claim 1073741824 entries of 16 bytes; 48 bytes remain',
    ],
    [
      'AOI table (file)',
      long(88, 2n ** 53n),
      'Arrow IPC file record batch 0: buffers claim 2097152 entries of 16 bytes; 424 bytes remain',
    ],
    [
      'AOI table in two batches (stream)',
      (b: Uint8Array) => {
        b[486] = 58;
      },
      "Arrow IPC stream: column 'name' children claim 3801088 entries of 4 bytes; 8 bytes remain",
    ],
    [
      'pyarrow-aois.arrow',
      (b: Uint8Array) => b.copyWithin(2603, 2019, 2066),
      'Arrow IPC file footer: the table at byte 424 has a vtable of 0 bytes',
    ],
  ])('%s with a corrupt count → PARSE_ERROR naming the part, at once', (name, corrupt, message) => {
    const bytes = seed(name);
    corrupt(bytes);
    const started = performance.now();
    const err = thrown(() => aoisFromIpc(bytes));
    expect([err.code, err.message]).toEqual(['PARSE_ERROR', message]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  /** One AOI row as an IPC stream whose column `column` is replaced by `data`. */
  const withColumn = (column: string, data: Data) => {
    const table = aoisToTable([sampleAois[1], sampleAois[2]]);
    const columns: Record<string, Vector> = {};
    table.schema.fields.forEach((f, i) => {
      columns[f.name] = f.name === column ? makeVector(data) : (table.getChildAt(i) as Vector);
    });
    return tableToIPC(new Table(columns), 'stream');
  };
  it.each([
    [
      'a dictionary index past the end of the dictionary',
      withColumn(
        'source',
        makeData({
          type: new Dictionary(new Utf8(), new Int32()),
          length: 2,
          data: Int32Array.of(0, 5),
          dictionary: vectorFromArray(['UNHCR', 'Amnesty'], new Utf8()),
        }),
      ),
      "Arrow IPC stream message 2: column 'source' row 1 has index 5 into a dictionary of 2 values",
    ],
    [
      'string offsets that go back',
      withColumn(
        'name',
        makeData({
          type: new Utf8(),
          length: 2,
          valueOffsets: Int32Array.of(0, 3, 1),
          data: new TextEncoder().encode('abc'),
        }),
      ),
      "Arrow IPC stream message 1: column 'name' offset 2 (1) is below offset 1",
    ],
  ])('%s → PARSE_ERROR naming the column and row', (_, bytes, message) => {
    const err = thrown(() => aoisFromIpc(bytes));
    expect([err.code, err.message]).toEqual(['PARSE_ERROR', message]);
  });

  it('200 byte-level mutations of each file end in checked output or typed errors, each fast', async () => {
    const watchdog = startWatchdog(10_000);
    const rssBefore = process.memoryUsage().rss;
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const slowest = { ms: 0, what: '' };
    try {
      for (const [s, { name, bytes }] of ipcSeeds().entries()) {
        const tallies = { aois: new Map<string, number>(), table: new Map<string, number>() };
        for (const { bytes: variant, what: change } of ipcMutations(bytes, 200, 9000 + s)) {
          const what = `${name}, ${change}`;
          watchdog.enter(what);
          const started = performance.now();
          const aois = await outcomeOf(
            what,
            () => expectValidAois(aoisFromIpc(variant), what),
            GeoSamplingError,
          );
          const table = await outcomeOf(
            what,
            () => readEveryCell(tableFromCheckedIpc(variant), what),
            GeoSamplingError,
          );
          const ms = performance.now() - started;
          if (ms > slowest.ms) Object.assign(slowest, { ms, what });
          for (const [tally, outcome] of [
            [tallies.aois, aois],
            [tallies.table, table],
          ] as const) {
            expect(KNOWN_CODES.includes(outcome) || outcome === 'ok', `${what}: ${outcome}`).toBe(true);
            tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
          }
        }
        expect(tallies.table.get('ok') ?? 0, name).toBeGreaterThanOrEqual(20);
        expect(tallies.table.get('PARSE_ERROR') ?? 0, name).toBeGreaterThanOrEqual(20);
        if (name.startsWith('AOI')) expect(tallies.aois.get('ok') ?? 0, name).toBeGreaterThanOrEqual(20);
      }
    } finally {
      await watchdog.stop();
    }
    expect(slowest.ms, `slowest case: ${slowest.what}`).toBeLessThan(1000);
    // No case may have raised the process's peak memory by more than 256 MiB.
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(
      Math.max(peakBefore, rssBefore + 256 * 2 ** 20),
    );
  });
});

function expectWorkingMask(result: unknown, what: string): void {
  const mask = result as ReturnType<typeof createLandMask>;
  expect(Number.isSafeInteger(mask.stats.edges) && mask.stats.edges >= 0, what).toBe(true);
  for (const [lon, lat] of [
    [15, 15],
    [0, 0],
    [-180, 90],
    [179.9, -89.9],
    [5, 15],
  ])
    expect(typeof mask.isLand(lon, lat), what).toBe('boolean');
}

describe('createLandMask on hostile geometry', () => {
  it('builds masks from the realistic documents', () => {
    const topo = createLandMask(topologyDoc() as never, { cellsPerDegree: 2 });
    expect([topo.isLand(15, 15), topo.isLand(0, 0), topo.isLand(177, 15), topo.isLand(-177, 15)]).toEqual([
      true,
      false,
      true,
      true,
    ]);
    const gj = createLandMask(geoJsonLandDoc() as never, { cellsPerDegree: 2 });
    expect([gj.isLand(15, 15), gj.isLand(175, -5), gj.isLand(-176, -5), gj.isLand(0, 0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('TopoJSON: 400 mutations end in working masks or typed errors', async () => {
    const tally = await tallyMutations(
      topologyDoc(),
      400,
      51,
      (d) => createLandMask(d as LandGeometryInput, { cellsPerDegree: 1 }),
      expectWorkingMask,
    );
    expectMixed(tally, 5, 1);
    expect(tally.get('INVALID_MASK') ?? 0).toBeGreaterThanOrEqual(50);
  });

  it('GeoJSON: 400 mutations end in working masks or typed errors', async () => {
    const tally = await tallyMutations(
      geoJsonLandDoc(),
      400,
      52,
      (d) => createLandMask(d as LandGeometryInput, { cellsPerDegree: 1 }),
      expectWorkingMask,
    );
    expectMixed(tally, 5, 1);
    expect(tally.get('INVALID_MASK') ?? 0).toBeGreaterThanOrEqual(50);
  });

  it('Natural Earth 1:110m topology: 60 mutations end in working masks or typed errors', async () => {
    const require = createRequire(import.meta.url);
    const land = JSON.parse(readFileSync(require.resolve('world-atlas/land-110m.json'), 'utf8'));
    const whole = createLandMask(land, { cellsPerDegree: 1 });
    expect([whole.isLand(2.35, 48.85), whole.isLand(-30, 0)]).toEqual([true, false]);
    const tally = await tallyMutations(
      land,
      60,
      53,
      (d) => createLandMask(d as LandGeometryInput, { cellsPerDegree: 1 }),
      expectWorkingMask,
    );
    // A changed delta in a quantised arc moves every later vertex, so most variants leave a ring open.
    expect(tally.get('INVALID_MASK') ?? 0).toBeGreaterThan(40);
  });

  const topo = (patch: Record<string, unknown>) => ({ ...topologyDoc(), ...patch }) as never;
  const poly = (coordinates: unknown) => ({ type: 'Polygon', coordinates }) as never;
  it.each([
    ['null input', null as never, /land geometry must be a TopoJSON Topology or GeoJSON object, got null/],
    [
      'features that are not an array',
      { type: 'FeatureCollection', features: 0 } as never,
      /land geometry features must be an array/,
    ],
    [
      'a null feature',
      { type: 'FeatureCollection', features: [null] } as never,
      /land geometry features\[0\] must be a Feature/,
    ],
    [
      'coordinates that are not an array',
      poly(5),
      /land geometry \(root\)\.coordinates must be an array of linear rings/,
    ],
    [
      'a string coordinate',
      poly([
        [
          [0, 0],
          [1, 0],
          ['1e999', 1],
          [0, 0],
        ],
      ]),
      /\(root\)\.coordinates\[0\]\[2\]\[0\] must be a finite number/,
    ],
    [
      'a latitude of 100',
      poly([
        [
          [0, 0],
          [1, 0],
          [1, 100],
          [0, 0],
        ],
      ]),
      /coordinates\[0\]\[2\]\[1\] latitude 100/,
    ],
    [
      'an open ring',
      poly([
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
      ]),
      /coordinates\[0\] is not closed/,
    ],
    [
      'a ring of 3 positions',
      poly([
        [
          [0, 0],
          [1, 0],
          [0, 0],
        ],
      ]),
      /coordinates\[0\] is a ring of 3 positions/,
    ],
    [
      'an arc index out of range',
      topo({ objects: { land: { type: 'Polygon', arcs: [[7]] } } }),
      /objects\.land\.arcs\[0\]\[0\] must be an arc index of the 3 arcs, got 7/,
    ],
    [
      'a non-integer arc index',
      topo({ objects: { land: { type: 'Polygon', arcs: [['x']] } } }),
      /got the string "x"/,
    ],
    [
      'a transform without scale',
      topo({ transform: { translate: [0, 0] } }),
      /land geometry transform\.scale must be an array/,
    ],
    ['arcs that are not an array', topo({ arcs: {} }), /land geometry arcs must be an array of arcs/],
    [
      'an arc position of null',
      topo({ arcs: [[null]] }),
      /land geometry arcs\[0\]\[0\] must be an array of numbers/,
    ],
    ['objects of null', topo({ objects: null }), /land geometry objects must be an object/],
    [
      'a Point object',
      topo({ objects: { land: { type: 'Point', coordinates: [0, 0] } } }),
      /must be \(Multi\)Polygon, got the string "Point"/,
    ],
    [
      'GeometryCollections nested 20 deep',
      (() => {
        let g: unknown = {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        };
        for (let i = 0; i < 20; i++) g = { type: 'GeometryCollection', geometries: [g] };
        return { type: 'Feature', properties: {}, geometry: g } as never;
      })(),
      /land geometry geometry(\.geometries\[0\]){16} nests GeometryCollections deeper than 16/,
    ],
  ])('%s → INVALID_MASK naming the place', (_, input, message) => {
    const err = thrown(() => createLandMask(input, { cellsPerDegree: 1 }));
    expect(err.code).toBe('INVALID_MASK');
    expect(err.message).toMatch(message);
  });
});

/** A 4 × 2 global raster of 90° pixels, as a JSON document. */
function rasterDoc() {
  return {
    width: 4,
    height: 2,
    dtype: 'uint8',
    bands: [[0, 0, 1, 0, 0, 0, 0, 255]],
    noData: 255,
    geo: { epsg: 4326, transform: [-180, 90, 0, 90, 0, -90] },
  };
}

describe('landMaskFromRaster on hostile rasters', () => {
  it('400 mutations end in working masks or typed errors', async () => {
    expect(landMaskFromRaster(rasterDoc() as unknown as MaskRaster).isLand(45, 45)).toBe(true);
    const tally = await tallyMutations(
      rasterDoc(),
      400,
      61,
      (d) => landMaskFromRaster(d as MaskRaster),
      (m, what) => {
        const mask = m as ReturnType<typeof landMaskFromRaster>;
        for (const [lon, lat] of [
          [45, 45],
          [-45, -45],
          [180, 90],
          [-180, -90],
          [135, -45],
        ])
          expect(typeof mask.isLand(lon, lat), what).toBe('boolean');
      },
    );
    expectMixed(tally, 15, 1);
  });

  const raster = (patch: Record<string, unknown>, geo: Record<string, unknown> = {}) =>
    ({ ...rasterDoc(), ...patch, geo: { ...rasterDoc().geo, ...geo } }) as never;
  it.each([
    ['a null raster', null as never, /mask raster must be a raster object, got null/],
    [
      'a transform that is not an array',
      raster({}, { transform: 5 }),
      /mask raster\.geo\.transform must be a geotransform of 6 numbers/,
    ],
    [
      'a NaN in the transform',
      raster({}, { transform: [-180, Number.NaN, 0, 90, 0, -90] }),
      /\.geo\.transform\[1\] must be a finite number, got NaN/,
    ],
    [
      'a band shorter than width × height',
      raster({ bands: [[1, 1]] }),
      /\.bands\[0\] holds 2 values; width × height needs 8/,
    ],
    [
      'a string pixel',
      raster({ bands: [[0, 0, 'x', 0, 0, 0, 0, 0]] }),
      /\.bands\[0\]\[2\] must be a finite number, got the string "x"/,
    ],
    ['a negative width', raster({ width: -4 }), /mask raster\.width must be a positive integer, got -4/],
    [
      'a fractional height',
      raster({ height: 0.5 }),
      /mask raster\.height must be a positive integer, got 0\.5/,
    ],
    ['a string noData', raster({ noData: 'x' }), /mask raster\.noData must be a number or null/],
    ['bands that are not an array', raster({ bands: {} }), /mask raster\.bands must be an array of bands/],
  ])('%s → INVALID_MASK naming the place', (_, input, message) => {
    const err = thrown(() => landMaskFromRaster(input));
    expect(err.code).toBe('INVALID_MASK');
    expect(err.message).toMatch(message);
  });

  it('pixels past a short band are no longer land (they were, as undefined ≠ 0)', () => {
    expect(() => landMaskFromRaster(raster({ bands: [[0, 0, 0, 0]] })).isLand(135, -45)).toThrow(
      GeoSamplingError,
    );
  });
});

describe('loadLandMask on hostile options', () => {
  const values: unknown[] = [
    0,
    -1,
    0.5,
    -0,
    2 ** 53 + 2,
    1e308,
    '',
    '30',
    'NaN',
    '__proto__',
    true,
    [],
    {},
    [30],
  ];
  it('rejects every bad cellsPerDegree and scale with INVALID_ARGUMENT before loading anything', async () => {
    for (const cellsPerDegree of values) {
      const err = await rejected(loadLandMask({ scale: '110m', cellsPerDegree: cellsPerDegree as number }));
      expect(err.code, String(cellsPerDegree)).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(/cellsPerDegree must be an integer in \[1, 240\]/);
    }
    for (const scale of values) {
      const err = await rejected(loadLandMask({ scale: scale as never, cellsPerDegree: 1 }));
      expect(err.code, String(scale)).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(/unknown Natural Earth scale/);
    }
  });
});

describe('AOI CSV written by aoisToCsv', () => {
  it('reads back what it wrote (the stricter checks accept every real box)', () => {
    expect(readAoisCsv(aoisToCsv(sampleAois))).toEqual(sampleAois);
    expect(readAoisCsv(readShared('data/aoi-sample.csv'))).toHaveLength(60);
  });
});
