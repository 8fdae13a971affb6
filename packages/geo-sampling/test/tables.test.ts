import { Table, tableFromIPC } from 'apache-arrow';
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
  pointsToCsv,
  readAoisCsv,
  readAoisGeoJson,
  readPois,
  samplePointsOnSphere,
  tileAoi3x3,
} from '../src/index.js';
import { pythonFloatRepr } from '../src/table/aoi-csv.js';
import { readShared } from './support.js';

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
