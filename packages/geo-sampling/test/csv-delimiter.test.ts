// The CSV readers decide the delimiter from the header line (the columns they need must appear at exactly one
// of , tab | ; U+001E U+001F) instead of papaparse's guess from field counts, and never read a number written
// with a comma. Each table below was misread or refused by the guess (noted per case).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoSamplingError, readAoisCsv, readAoisFile, readPois, readPoisFile } from '../src/node.js';

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

const lines = (...rows: string[]) => `${rows.join('\n')}\n`;
const nameLonLat = (r: { pois: { name: string; lon: number; lat: number }[] }) =>
  r.pois.map((p) => [p.name, p.lon, p.lat]);

describe('readPois: the delimiter comes from the header', () => {
  it('reads a one-column WKT table (the guess gave up: PARSE_ERROR "Unable to auto-detect")', () => {
    const text = lines('geometry', 'POINT (32.5 1.2)', 'POINT (33.1 -2.05)');
    const r = readPois(text, { namePrefix: 'ASMSpotter' });
    expect(r.columns).toEqual(['geometry']);
    expect(nameLonLat(r)).toEqual([
      ['ASMSpotter-1', 32.5, 1.2],
      ['ASMSpotter-2', 33.1, -2.05],
    ]);
  });

  it('reads a header-only one-column table as no POIs (was PARSE_ERROR)', () => {
    const r = readPois('geometry\n', { namePrefix: 'P' });
    expect([r.columns, r.pois, r.skipped]).toEqual([['geometry'], [], []]);
  });

  it("reads a comma table whose names hold '|' on ragged rows (the guess took '|': PARSE_ERROR)", () => {
    const text = lines(
      'name,lon,lat,note',
      'Turkana|Kakuma|Kalobeyei,34.8,3.7',
      'Garissa|Dadaab|Ifo,40.3,0.05,camp',
      'Yumbe|Bidi Bidi|Zone 1,31.4,3.5',
    );
    const r = readPois(text);
    expect(r.columns).toEqual(['name', 'lon', 'lat', 'note']);
    expect(nameLonLat(r)).toEqual([
      ['Turkana|Kakuma|Kalobeyei', 34.8, 3.7],
      ['Garissa|Dadaab|Ifo', 40.3, 0.05],
      ['Yumbe|Bidi Bidi|Zone 1', 31.4, 3.5],
    ]);
    expect(r.pois[1].properties.note).toBe('camp');
  });

  it('reads a tab table with commas in its header and names on ragged rows (the guess took ",": MISSING_COLUMN)', () => {
    const text = lines(
      'name\tlon\tlat\tnotes, remarks',
      'Kakuma, Turkana\t34.8\t3.7',
      'Dadaab, Garissa\t40.3\t0.05\tIfo, Dagahaley',
      'Bidi Bidi, Yumbe\t31.4\t3.5',
    );
    const r = readPois(text);
    expect(r.columns).toEqual(['name', 'lon', 'lat', 'notes, remarks']);
    expect(nameLonLat(r)).toEqual([
      ['Kakuma, Turkana', 34.8, 3.7],
      ['Dadaab, Garissa', 40.3, 0.05],
      ['Bidi Bidi, Yumbe', 31.4, 3.5],
    ]);
    expect(r.pois[1].properties['notes, remarks']).toBe('Ifo, Dagahaley');
    // the explicit delimiter reads it the same
    expect(readPois(text, { delimiter: '\t' })).toEqual(r);
  });

  it("still reads a ';' table with decimal points and quoted commas in the first rows (a control: the guess got it)", () => {
    const text = lines(
      'name;lon;lat;note',
      '"Camp A, north";34.8;3.7',
      '"Camp B, south";40.3;0.05;"x, y"',
      '"Camp C, west";31.4;3.5',
      '"Camp D, east";30.1;2.5;"p, q"',
    );
    expect(nameLonLat(readPois(text))).toEqual([
      ['Camp A, north', 34.8, 3.7],
      ['Camp B, south', 40.3, 0.05],
      ['Camp C, west', 31.4, 3.5],
      ['Camp D, east', 30.1, 2.5],
    ]);
  });

  it('refuses an empty text as MISSING_COLUMN (was PARSE_ERROR "Unable to auto-detect")', () => {
    for (const text of ['', '\n\n', '\r\n']) {
      const err = thrown(() => readPois(text));
      expect(err.code).toBe('MISSING_COLUMN');
      expect(err.message).toMatch(
        /^POI CSV has no header line \(the text is empty or blank\); it needs coordinate columns/,
      );
    }
  });

  it('a header that holds no coordinate columns at any delimiter: MISSING_COLUMN quoting the header', () => {
    const err = thrown(() => readPois(lines('name lon lat', 'a 1 2')));
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toBe(
      `POI CSV header "name lon lat" does not hold coordinate columns (lon/lat, longitude/latitude or a WKT 'geometry') when split at any of ',', tab, '|', ';', U+001E, U+001F; pass { delimiter } if the table uses another one`,
    );
    // a named column no split holds is UNKNOWN_COLUMN (as it was), the header quoted
    const unknown = thrown(() =>
      readPois(lines('name;lon;lat', 'a;1;2'), { lonColumn: 'x', latColumn: 'lat' }),
    );
    expect(unknown.code).toBe('UNKNOWN_COLUMN');
    expect(unknown.message).toBe(
      `POI CSV header "name;lon;lat" does not hold the columns 'x' (lonColumn), 'lat' (latColumn) when split at any of ',', tab, '|', ';', U+001E, U+001F (split at ';', it lacks the column 'x' (lonColumn)); pass { delimiter } if the table uses another one`,
    );
    // the same with the explicit delimiter: the reader's own column check
    expect(
      thrown(() =>
        readPois(lines('name;lon;lat', 'a;1;2'), { lonColumn: 'x', latColumn: 'lat', delimiter: ';' }),
      ),
    ).toMatchObject({
      code: 'UNKNOWN_COLUMN',
      message: "column 'x' is not in the CSV header [name, lon, lat]",
    });
  });

  it("a header that holds the columns at two delimiters is PARSE_ERROR; { delimiter } decides (the guess took ',' silently)", () => {
    const text = lines('lon,lat,name;lon;lat', '1,2,a;3;4');
    const err = thrown(() => readPois(text, { checkName: false }));
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.message).toBe(
      `POI CSV header "lon,lat,name;lon;lat" holds coordinate columns (lon/lat, longitude/latitude or a WKT 'geometry') both when split at ',' and ';'; pass { delimiter } to say which one the table uses`,
    );
    expect(nameLonLat(readPois(text, { checkName: false, delimiter: ';' }))).toEqual([['poi-1', 3, 4]]);
    expect(nameLonLat(readPois(text, { checkName: false, delimiter: ',' }))).toEqual([['poi-1', 1, 2]]);
  });

  it('refuses an unusable delimiter option as INVALID_ARGUMENT', () => {
    for (const delimiter of ['', '"', '\n', ';\r', '\uFEFF', 5, null]) {
      const err = thrown(() => readPois('name,lon,lat\na,1,2\n', { delimiter: delimiter as never }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(
        /^readPois: options\.delimiter must be a non-empty string without quotes or line breaks/,
      );
    }
  });
});

describe('readPois: a number written with a comma is an error naming the row and column', () => {
  it("a ';' table with decimal commas on ragged rows: INVALID_LONGITUDE at row 0, column lon (was PARSE_ERROR 'Too many fields')", () => {
    const text = lines('name;lon;lat;note', 'a;34,8;3,7', 'b;40,3;0,05;camp', 'c;31,4;3,5', 'd;30,1;2,5;x');
    const err = thrown(() => readPois(text));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toBe(
      'longitude "34,8" (column lon, row 0) is not a plain decimal number: write 34.8 (a decimal point, not a comma)',
    );
    const { pois, skipped } = readPois(text, { invalidRows: 'skip' });
    expect(pois).toEqual([]);
    expect(skipped.map((s) => s.row)).toEqual([0, 1, 2, 3]);
    expect(skipped[1].reason).toBe(
      'longitude "40,3" (column lon, row 1) is not a plain decimal number: write 40.3 (a decimal point, not a comma)',
    );
  });

  it('a decimal comma in lat only, in a WKT geometry, or a thousands separator: the code and column of that cell', () => {
    // the old messages said "latitude NaN (columns lon/lat, row 0)", without the cell
    const lat = thrown(() => readPois(lines('name;lon;lat', 'a;34.8;3,7')));
    expect([lat.code, lat.row]).toEqual(['INVALID_LATITUDE', 0]);
    expect(lat.message).toBe(
      'latitude "3,7" (column lat, row 0) is not a plain decimal number: write 3.7 (a decimal point, not a comma)',
    );
    // checked in column order, as before: a bad longitude is reported before a comma in the latitude
    expect(thrown(() => readPois(lines('name;lon;lat', 'a;200;3,7'))).message).toMatch(
      /^longitude 200 \(columns lon\/lat, row 0\) is not a number in \[-180, 180\]/,
    );
    const wkt = thrown(() => readPois(lines('name;geometry', 'a;POINT (34.8 3.7)', 'b;POINT (40,3 0,05)')));
    expect([wkt.code, wkt.row]).toEqual(['INVALID_LONGITUDE', 1]);
    expect(wkt.message).toMatch(/^longitude "40,3" \(column geometry, row 1\) is not a plain decimal number/);
    const thousands = thrown(() => readPois(lines('name\tlon\tlat', 'a\t1,234.5\t3')));
    expect(thousands.code).toBe('INVALID_LONGITUDE');
    expect(thousands.message).toBe(
      'longitude "1,234.5" (column lon, row 0) is not a plain decimal number: write decimals with a point and no thousands separators',
    );
  });

  it('a quoted "12,5" in a comma table is refused too (never 12 or 125)', () => {
    const err = thrown(() => readPois(lines('name,lon,lat', 'a,"12,5",45')));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toContain('"12,5"');
  });
});

describe('readAoisCsv: the delimiter comes from the header', () => {
  it("reads a ';' table whose first rows hold quoted bounds with commas, on ragged rows (the guess took ',')", () => {
    const text = lines(
      'name;area;bounds;source',
      'Landcover-1;2.5;"[32.24, 28.21, 32.26, 28.23]"',
      'Landcover-2;2.5;"[10.0, 20.0, 10.1, 20.1]";Landcover',
      'Landcover-3;2.5;"[11.0, 21.0, 11.1, 21.1]"',
      'Landcover-4;2.5;"[12.0, 22.0, 12.1, 22.1]";Landcover',
    );
    const aois = readAoisCsv(text);
    expect(aois.map((a) => [a.name, a.areaKm2, a.bounds, a.source])).toEqual([
      ['Landcover-1', 2.5, [32.24, 28.21, 32.26, 28.23], ''],
      ['Landcover-2', 2.5, [10.0, 20.0, 10.1, 20.1], 'Landcover'],
      ['Landcover-3', 2.5, [11.0, 21.0, 11.1, 21.1], ''],
      ['Landcover-4', 2.5, [12.0, 22.0, 12.1, 22.1], 'Landcover'],
    ]);
    expect(readAoisCsv(text, { delimiter: ';' })).toEqual(aois);
  });

  it("reads a tab table with unquoted bounds on ragged rows (the guess took ',')", () => {
    const text = lines(
      'name\tarea\tbounds\tparent',
      'A-1-1\t2.5\t[0.0, 0.0, 0.1, 0.1]\tA',
      'B\t2.5\t[1.0, 1.0, 1.1, 1.1]',
      'A-1-2\t2.5\t[0.0, 0.1, 0.1, 0.2]\tA',
      'C\t2.5\t[2.0, 2.0, 2.1, 2.1]',
      'A-1-3\t2.5\t[0.0, 0.2, 0.1, 0.3]\tA',
    );
    expect(readAoisCsv(text).map((a) => [a.name, a.bounds, a.parent])).toEqual([
      ['A-1-1', [0, 0, 0.1, 0.1], 'A'],
      ['B', [1, 1, 1.1, 1.1], undefined],
      ['A-1-2', [0, 0.1, 0.1, 0.2], 'A'],
      ['C', [2, 2, 2.1, 2.1], undefined],
      ['A-1-3', [0, 0.2, 0.1, 0.3], 'A'],
    ]);
  });

  it('refuses an empty text and a header without the columns as MISSING_COLUMN quoting the header', () => {
    expect(thrown(() => readAoisCsv(''))).toMatchObject({
      code: 'MISSING_COLUMN',
      message:
        "AOI CSV has no header line (the text is empty or blank); it needs the columns 'name', 'bounds' and 'area'",
    });
    const err = thrown(() => readAoisCsv(lines('name;area;box', 'A;2.5;"[0, 0, 1, 1]"')));
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toBe(
      `AOI CSV header "name;area;box" does not hold the columns 'name', 'bounds' and 'area' when split at any of ',', tab, '|', ';', U+001E, U+001F (split at ';', it lacks the 'bounds' column); pass { delimiter } if the table uses another one`,
    );
  });

  it('refuses bounds that enclose no area, as decimal commas give them ("[0,5, 1,5]" read as [0, 5, 1, 5])', () => {
    const head = 'name;area;bounds';
    const flat = thrown(() =>
      readAoisCsv(lines(head, 'A;2.5;"[0.25, 0.5, 1.25, 1.5]"', 'B;2.5;"[0,5, 1,5]"')),
    );
    expect([flat.code, flat.row]).toEqual(['PARSE_ERROR', 1]);
    expect(flat.message).toBe(
      "AOI CSV row 1: bounds '[0,5, 1,5]' enclose no area (minLat = maxLat = 5); write decimals with a point ([0.5, 1.5, ...]), not a comma",
    );
    const thin = thrown(() => readAoisCsv(lines(head, 'A;2.5;"[3, 0, 3, 1]"')));
    expect(thin.message).toMatch(/minLon = maxLon = 3/);
    expect(readAoisCsv(lines(head, 'A;2.5;"[0.25, 0.5, 1.25, 1.5]"'))[0]?.bounds).toEqual([
      0.25, 0.5, 1.25, 1.5,
    ]);
  });

  it('refuses a decimal-comma area, lon or lat naming the row and column (the old message showed NaN, not the cell)', () => {
    const head = 'name;area;bounds;lon;lat';
    const area = thrown(() =>
      readAoisCsv(lines(head, 'A;2.5;"[0, 0, 1, 1]";0.5;0.5', 'B;2,5;"[0, 0, 1, 1]";0.5;0.5')),
    );
    expect([area.code, area.row]).toEqual(['INVALID_AREA', 1]);
    expect(area.message).toBe(
      'area "2,5" (AOI CSV column area, row 1) is not a plain decimal number: write 2.5 (a decimal point, not a comma)',
    );
    const lon = thrown(() => readAoisCsv(lines(head, 'A;2.5;"[0, 0, 1, 1]";0,5;0.5')));
    expect([lon.code, lon.row, lon.message]).toEqual([
      'INVALID_LONGITUDE',
      0,
      'longitude "0,5" (AOI CSV column lon, row 0) is not a plain decimal number: write 0.5 (a decimal point, not a comma)',
    ]);
    const lat = thrown(() => readAoisCsv(lines(head, 'A;2.5;"[0, 0, 1, 1]";0.5;0,5')));
    expect([lat.code, lat.message]).toEqual([
      'INVALID_LATITUDE',
      'latitude "0,5" (AOI CSV column lat, row 0) is not a plain decimal number: write 0.5 (a decimal point, not a comma)',
    ]);
  });

  it('refuses an unusable delimiter option as INVALID_ARGUMENT', () => {
    const err = thrown(() => readAoisCsv('name,area,bounds\n', { delimiter: '"' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^readAoisCsv: options\.delimiter must be/);
    expect(thrown(() => readAoisCsv('name,area,bounds\n', null as never)).code).toBe('INVALID_ARGUMENT');
  });
});

describe('file readers: delimiter option and the path in delimiter errors', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geo-sampling-delimiter-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('readAoisFile and readPoisFile take { delimiter } and name the file in the header error', async () => {
    const aoiPath = join(dir, 'aois.csv');
    await writeFile(aoiPath, lines('name;area;bounds;notes, remarks', 'A;2.5;[0.0, 0.0, 1.0, 1.0];x, y'));
    // ';' gives name/area/bounds, ',' does not: the header decides
    expect((await readAoisFile(aoiPath)).map((a) => a.name)).toEqual(['A']);
    expect((await readAoisFile(aoiPath, { delimiter: ';' })).map((a) => a.bounds)).toEqual([[0, 0, 1, 1]]);
    // a wrong explicit delimiter is taken as given: the bounds' commas make too many fields
    const wrong = await rejected(readAoisFile(aoiPath, { delimiter: ',' }));
    expect(wrong.code).toBe('PARSE_ERROR');
    expect(wrong.message).toMatch(/': AOI CSV row 0: Too many fields/);
    expect(wrong.message.startsWith(`'${aoiPath}': `)).toBe(true);
    expect((await rejected(readAoisFile(aoiPath, { delimiter: '' }))).message).toMatch(
      /^readAoisFile: options\.delimiter must be/,
    );

    const poiPath = join(dir, 'pois.csv');
    await writeFile(poiPath, lines('name lon lat', 'a 1 2'));
    const err = await rejected(readPoisFile(poiPath));
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toMatch(
      new RegExp(`^'${poiPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': POI CSV header "name lon lat"`),
    );
    expect((await readPoisFile(poiPath, { delimiter: ' ' })).pois[0]).toMatchObject({
      name: 'a',
      lon: 1,
      lat: 2,
    });
    expect((await rejected(readPoisFile(poiPath, { delimiter: '\n' }))).message).toMatch(
      /^readPoisFile: options\.delimiter must be/,
    );
  });
});
