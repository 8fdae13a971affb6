import { Table, tableFromIPC, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
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
  GeoSamplingError,
  pointsToCsv,
  readAoisCsv,
  readAoisGeoJson,
  readPois,
  samplePointsOnSphere,
  tileAoi3x3,
} from '../src/index.js';
import { pythonFloatRepr } from '../src/table/aoi-csv.js';
import { readShared } from './support.js';

/** The GeoSamplingError `fn` throws. */
function thrown(fn: () => unknown): GeoSamplingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GeoSamplingError) return err;
    throw err;
  }
  throw new Error('expected a GeoSamplingError, nothing was thrown');
}

const parent = createAoi({ name: 'Amnesty POI-1', lon: 13.176664587401, lat: 11.79831999977345 }, 22.5, {
  source: 'Amnesty',
});
const aois: Aoi[] = [
  createAoi({ name: 'UNHCR-X', lon: 179.999, lat: -16.5 }, 2.5, { source: 'UNHCR' }),
  ...tileAoi3x3(parent),
];

describe('AOI tables', () => {
  it('formats floats like Python repr', () => {
    expect([2.5, 2, 1e-5, -0.1, 1e22, 1.5e16, 0.0001, 123.456].map(pythonFloatRepr)).toEqual([
      '2.5',
      '2.0',
      '1e-05',
      '-0.1',
      '1e+22',
      '1.5e+16',
      '0.0001',
      '123.456',
    ]);
  });

  it('writes upstream CSV columns with Python-list bounds and reads them back exactly', () => {
    const csv = aoisToCsv(aois);
    const [header, first] = csv.split('\n');
    expect(header).toBe('name,area,bounds,source,lon,lat,parent');
    expect(first).toMatch(
      /^UNHCR-X,2\.5,"\[179\.99\d+, -16\.5\d+, -179\.99\d+, -16\.4\d+\]",UNHCR,179\.999,-16\.5,$/,
    );
    expect(readAoisCsv(csv)).toEqual(aois);
  });

  it('reads the released aoi-sample.csv as is', () => {
    const sample = readAoisCsv(readShared('data/aoi-sample.csv'));
    expect(sample).toHaveLength(60);
    expect(sample[0]).toMatchObject({
      name: 'Landcover-890848',
      areaKm2: 2.5,
      source: 'Random Sampling/Landcover',
      bounds: [32.24799957102034, 28.217118355378357, 32.26410775467313, 28.231385589972923],
    });
  });

  it('round-trips through apache-arrow Tables and IPC bytes', () => {
    const table = aoisToTable(aois);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'name',
      'lon',
      'lat',
      'bounds',
      'area',
      'source',
      'parent',
    ]);
    expect(table.numRows).toBe(10);
    expect(tableToAois(table)).toEqual(aois);
    const bytes = aoisToIpc(aois);
    expect(tableFromIPC(bytes).numRows).toBe(10);
    expect(aoisFromIpc(bytes)).toEqual(aois);
    expect(() => aoisFromIpc(new Uint8Array([1, 2, 3]))).toThrow();
    const pts = pointsToTable(samplePointsOnSphere(5, { seed: 1 }));
    expect(pts.getChild('id')?.toArray()).toEqual(Int32Array.from([0, 1, 2, 3, 4]));
  });

  it('a leading U+FEFF in a name, source or parent survives Arrow as in CSV and GeoJSON, across record batches', () => {
    const bom = [
      { ...(aois[0] as Aoi), name: '\ufeffA', source: '\ufeffS' },
      { ...(aois[0] as Aoi), name: 'A', parent: '\ufeffA' },
    ];
    expect(aoisFromIpc(aoisToIpc(bom))).toEqual(bom);
    // two batches: the second batch's rows are found past the first's
    const twoBatches = new Table([...aoisToTable(aois).batches, ...aoisToTable(bom).batches]);
    expect(tableToAois(twoBatches)).toEqual([...aois, ...bom]);
    expect(readAoisCsv(aoisToCsv(bom))).toEqual(bom);
  });

  it('writes points in upstream export_to_csv layout and POIs as an Arrow table with their properties', () => {
    const pts = samplePointsOnSphere(3, { seed: 1, firstId: 7 });
    const lines = pointsToCsv(pts).trim().split('\n');
    expect(lines[0]).toBe(',lon,lat');
    expect(lines[1]).toBe(`7,${pythonFloatRepr(pts[0].lon)},${pythonFloatRepr(pts[0].lat)}`);
    expect(Number(lines[3].split(',')[2])).toBe(pts[2].lat);
    const { pois } = readPois('id,lon,lat,kind\na,1,2,camp\nb,3,4,\n', { source: 'S' });
    const t = poisToTable(pois);
    expect(t.schema.fields.map((f) => f.name)).toEqual([
      'name',
      'lon',
      'lat',
      'source',
      'row',
      'prop_id',
      'prop_lon',
      'prop_lat',
      'prop_kind',
    ]);
    expect(t.getChild('prop_kind')?.toArray()).toEqual(['camp', '']);
    expect(t.getChild('lat')?.get(1)).toBe(4);
  });

  it('round-trips through GeoJSON (antimeridian boxes become MultiPolygons)', () => {
    const fc = aoisToGeoJson(aois);
    expect(fc.features[0].geometry.type).toBe('MultiPolygon');
    expect(fc.features[1].geometry.type).toBe('Polygon');
    expect(fc.features[1].properties.parent).toBe('Amnesty POI-1');
    expect(readAoisGeoJson(JSON.stringify(fc))).toEqual(aois);
  });

  it('rejects malformed AOI CSV rows naming the row', () => {
    expect(() => readAoisCsv('name,bounds\na,"[0, 0, 1, 1]"\n')).toThrow(/'area' column/);
    expect(() => readAoisCsv('name,bounds,area\na,"[0, 0, 1]",2.5\n')).toThrow(/row 0: bounds/);
    expect(() => readAoisCsv('name,bounds,area\na,"[0, 0, 1, 1]",2.5\na,"[0, 0, 1, 1]",2.5\n')).toThrow(
      /row 1 repeats row 0/,
    );
    expect(() => readAoisCsv('name,bounds,area\na,"[0, 0, 1, 1]",-1\n')).toThrow(/row 0/);
  });
});

describe('AOI bounds with minLon > maxLon', () => {
  // The first row of aoi-sample.csv with its two longitudes swapped: read across the antimeridian it was a
  // 359.98°-wide box with an invented centre at lon -147.74, and tileAoi3x3 cut it into 120°-wide tiles.
  const swapped = [32.26410775467313, 28.217118355378357, 32.24799957102034, 28.231385589972923];
  const csv = `name,area,bounds,source\nLandcover-890848,2.5,"[${swapped.join(', ')}]",Random Sampling/Landcover\n`;

  it('refuses swapped longitudes in a CSV row with INVALID_LONGITUDE naming the row and the fix', () => {
    const err = thrown(() => readAoisCsv(csv));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toMatch(
      /^AOI CSV row 0 column bounds has minLon 32\.26410775467313 > maxLon 32\.24799957102034: across the antimeridian that is a box 359\.983892° wide/,
    );
    expect(err.message).toContain(
      'write [32.24799957102034, 28.217118355378357, 32.26410775467313, 28.231385589972923]',
    );
  });

  it('refuses them in a GeoJSON bounds property and a feature bbox', () => {
    const feature = (extra: object) => ({
      type: 'Feature',
      geometry: null,
      properties: { name: 'x', area: 2.5 },
      ...extra,
    });
    const byBounds = {
      type: 'FeatureCollection',
      features: [
        feature({ properties: { name: 'x', area: 2.5, bounds: [32.2641, 28.2171, 32.2479, 28.2313] } }),
      ],
    };
    const err = thrown(() => readAoisGeoJson(JSON.stringify(byBounds)));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toMatch(
      /^AOI GeoJSON features\[0\]\.properties\.bounds has minLon 32\.2641 > maxLon 32\.2479/,
    );
    const byBBox = {
      type: 'FeatureCollection',
      features: [feature({ bbox: [32.2641, 28.2171, 32.2479, 28.2313] })],
    };
    expect(thrown(() => readAoisGeoJson(JSON.stringify(byBBox))).message).toMatch(
      /^AOI GeoJSON features\[0\]\.bbox has minLon 32\.2641 > maxLon 32\.2479/,
    );
  });

  it('keeps boxes that really cross the antimeridian (less than 180° wide)', () => {
    const text =
      'name,area,bounds\nA,2.5,"[179.99, -16.5, -179.99, -16.48]"\nB,2.5,"[100.0, 0.0, -100.0, 1.0]"\n';
    const [a, b] = readAoisCsv(text);
    expect(a.bounds).toEqual([179.99, -16.5, -179.99, -16.48]);
    expect(a.lon).toBeCloseTo(-180, 9);
    expect(b.bounds).toEqual([100, 0, -100, 1]); // 160° wide across ±180°
    expect(b.lon).toBe(-180);
    // 180° wide or more: the narrow box is the likelier meaning
    expect(thrown(() => readAoisCsv('name,area,bounds\nC,2.5,"[90.0, 0.0, -90.0, 1.0]"\n')).code).toBe(
      'INVALID_LONGITUDE',
    );
  });

  it('tileAoi refuses such a box instead of cutting 120°-wide tiles', () => {
    const aoi: Aoi = {
      name: 'Landcover-890848',
      lon: 32.256,
      lat: 28.224,
      bounds: swapped as Aoi['bounds'],
      areaKm2: 2.5,
      source: 's',
    };
    const err = thrown(() => tileAoi3x3(aoi));
    expect(err.code).toBe('INVALID_LONGITUDE');
    expect(err.message).toMatch(
      /^tileAoi: aoi\.bounds of 'Landcover-890848' has minLon 32\.26410775467313 > maxLon/,
    );
  });
});

describe('AOI point outside its own bounds', () => {
  // aoi-sample.csv's header with lon and lat swapped (a table written lat-first): each row's point was read
  // degrees away from its box and accepted.
  const sample = readShared('data/aoi-sample.csv').split('\r\n');
  const latFirst = `${[sample[0].replace(',lon,lat,', ',lat,lon,'), sample[1], sample[2]].join('\r\n')}\r\n`;

  it('refuses a lat-first CSV with INVALID_LONGITUDE naming the row', () => {
    expect(readAoisCsv(`${sample.slice(0, 3).join('\r\n')}\r\n`)).toHaveLength(2);
    const err = thrown(() => readAoisCsv(latFirst));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toBe(
      'point lon 28.22425197267564, lat 32.25605366284673 (AOI CSV columns lon/lat, row 0) lies outside its own bounds [32.24799957102034, 28.217118355378357, 32.26410775467313, 28.231385589972923]; are lon and lat swapped (a table written lat-first)? lon/lat must be a point of the box (its centre in the released tables)',
    );
  });

  it('refuses it in GeoJSON and Arrow, and in the writers', () => {
    const ring = [
      [10, 20],
      [11, 20],
      [11, 21],
      [10, 21],
      [10, 20],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Polygon', coordinates: [ring] },
          properties: { name: 'a', area: 2.5, lon: 100, lat: -50 },
        },
      ],
    };
    const err = thrown(() => readAoisGeoJson(JSON.stringify(fc)));
    expect([err.code, err.row]).toEqual(['INVALID_LONGITUDE', 0]);
    expect(err.message).toMatch(
      /^point lon 100, lat -50 \(AOI GeoJSON features\[0\]\.properties\.lon\/lat, row 0\) lies outside/,
    );
    const bad: Aoi = { name: 'a', lon: 10.5, lat: 25, bounds: [10, 20, 11, 21], areaKm2: 2.5, source: '' };
    const table = aoisToTable([{ ...bad, lat: 20.5 }]);
    expect(tableToAois(table)[0].lat).toBe(20.5);
    // the lat column replaced by the lon column: 10.5, outside [20, 21]
    const latIndex = table.schema.fields.findIndex((f) => f.name === 'lat');
    const edited = table.setChildAt(latIndex, table.getChild('lon') as Vector);
    const arrowErr = thrown(() => tableToAois(edited));
    expect([arrowErr.code, arrowErr.row]).toEqual(['INVALID_LATITUDE', 0]);
    expect(arrowErr.message).toMatch(
      /^point lon 10\.5, lat 10\.5 \(Arrow table columns lon\/lat, row 0\) lies outside/,
    );
    expect(thrown(() => aoisToCsv([bad])).message).toMatch(
      /^point lon 10\.5, lat 25 \(aoisToCsv: aois\[0\]\.lon\/lat\) lies outside/,
    );
  });

  it('takes points on the edge, within 1e-5°, and across the antimeridian', () => {
    const rows = [
      'name,area,bounds,lon,lat',
      'edge,2.5,"[10.0, 20.0, 11.0, 21.0]",11.000009,19.999991',
      'east,2.5,"[179.9, 0.0, -179.9, 0.1]",180.0,0.05',
      'west,2.5,"[179.9, 0.0, -179.9, 0.1]",-179.95,0.05',
      'edge180,2.5,"[179.9, 0.0, 180.0, 0.1]",-180.0,0.05',
    ];
    expect(readAoisCsv(`${rows.join('\n')}\n`).map((a) => a.lon)).toEqual([11.000009, 180, -179.95, -180]);
    const outside = 'name,area,bounds,lon,lat\nfar,2.5,"[179.9, 0.0, -179.9, 0.1]",179.8,0.05\n';
    expect(thrown(() => readAoisCsv(outside)).code).toBe('INVALID_LONGITUDE');
    const latOut = 'name,area,bounds,lon,lat\nn,2.5,"[10.0, 20.0, 11.0, 21.0]",10.5,21.001\n';
    expect(thrown(() => readAoisCsv(latOut)).code).toBe('INVALID_LATITUDE');
  });
});

describe('CSV tables with mixed line endings', () => {
  const tiles = tileAoi3x3(
    createAoi({ name: 'ASMSpotter-1', lon: -55.25, lat: 4.99 }, 22.5, { source: 'ASMSpotter' }),
  );
  const lines = aoisToCsv(tiles).trimEnd().split('\n');

  it('a CRLF AOI table whose last line ends in LF keeps no line break in the last cell', () => {
    const mixed = `${lines.slice(0, -1).join('\r\n')}\r\n${lines.at(-1)}\n`;
    expect(readAoisCsv(mixed).map((a) => a.parent)).toEqual(tiles.map(() => 'ASMSpotter-1'));
    expect(readAoisCsv(mixed)).toEqual(tiles);
  });

  it('an LF header over CRLF rows, lone CRs and a CRLF inside a quoted cell', () => {
    const lfHeader = `${lines[0]}\n${lines.slice(1).join('\r\n')}\r\n`;
    expect(readAoisCsv(lfHeader)).toEqual(tiles);
    expect(readAoisCsv(`${lines.join('\r')}\r`)).toEqual(tiles);
    const quoted =
      'name,area,bounds,source\r\nA,2.5,"[0.0, 0.0, 0.1, 0.1]","two\r\nlines"\nB,2.5,"[0.0, 0.0, 0.1, 0.1]",x\n';
    expect(readAoisCsv(quoted).map((a) => a.source)).toEqual(['two\r\nlines', 'x']);
  });
});

describe('GeoJSON that GDAL reads', () => {
  const ring3d = [
    [10, 20, 5],
    [11, 20, 5],
    [11, 21, 5],
    [10, 21, 5],
    [10, 20, 5],
  ];
  const fc = (extra: object) => ({
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [ring3d] },
        properties: { name: 'a', area: 2.5 },
        ...extra,
      },
    ],
  });
  const expected = [{ name: 'a', lon: 10.5, lat: 20.5, bounds: [10, 20, 11, 21], areaKm2: 2.5, source: '' }];

  it('reads a 3D bbox of 6 numbers (RFC 7946 §5) and a leading byte-order mark', () => {
    expect(readAoisGeoJson(JSON.stringify(fc({ bbox: [10, 20, 5, 11, 21, 5] })))).toEqual(expected);
    expect(readAoisGeoJson(`\uFEFF${JSON.stringify(fc({}))}`)).toEqual(expected);
  });

  it('still refuses a bbox of another length, naming it', () => {
    const err = thrown(() => readAoisGeoJson(JSON.stringify(fc({ bbox: [10, 20, 11, 21, 5] }))));
    expect([err.code, err.message]).toEqual([
      'PARSE_ERROR',
      'AOI GeoJSON features[0].bbox must hold 4 numbers [minLon, minLat, maxLon, maxLat] or 6 [minLon, minLat, minAlt, maxLon, maxLat, maxAlt], got an array of 5',
    ]);
    expect(
      thrown(() => readAoisGeoJson(JSON.stringify(fc({ bbox: [10, 20, 5, 200, 21, 5] })))).message,
    ).toMatch(/^AOI GeoJSON features\[0\]\.bbox\[3\] longitude 200 is not in \[-180, 180\]/);
  });
});
