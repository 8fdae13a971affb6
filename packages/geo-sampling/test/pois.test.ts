import { describe, expect, it } from 'vitest';
import { createAois, type GeoSamplingError, PARTNER_POI_PRESETS, readPois } from '../src/index.js';
import { readShared } from './support.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as GeoSamplingError).code;
  }
  return undefined;
}

describe('readPois on the upstream partner lists', () => {
  it('loads asmspotter_formatted.csv (unnamed index column) as ASMSpotter-1…40', () => {
    const { pois, columns } = readPois(
      readShared('data/asmspotter_formatted.csv'),
      PARTNER_POI_PRESETS.asmspotter,
    );
    expect(columns).toEqual(['', 'source', 'id_within_source', 'lat', 'lon', 'geometry']);
    expect(pois).toHaveLength(40);
    expect(pois[0]).toMatchObject({
      name: 'ASMSpotter-1',
      lon: -55.253591537475586,
      lat: 4.990183900438802,
      source: 'ASMSpotter',
    });
    expect(pois[39].name).toBe('ASMSpotter-40');
  });

  it('loads amnesty_formatted.csv as Amnesty POI-1…22; default detection picks poi_id', () => {
    const text = readShared('data/amnesty_formatted.csv');
    const { pois } = readPois(text, PARTNER_POI_PRESETS.amnesty);
    expect(pois).toHaveLength(22);
    expect(pois[0]).toMatchObject({
      name: 'Amnesty POI-1',
      lon: 13.176664587401,
      lat: 11.79831999977345,
      source: 'Amnesty',
    });
    expect(pois[0].properties.id_within_source).toBe(
      'Giwa Barracks - Prison compound, metal roof structures around',
    );
    const byPoiId = readPois(text).pois;
    expect(byPoiId.map((p) => p.name)).toEqual(Array.from({ length: 22 }, (_, i) => String(i + 1)));
  });

  it('loads unhcr_formatted.csv as UNHCR-<id_within_source>, skipping the 6 rows without coordinates', () => {
    const { pois, skipped, duplicates } = readPois(
      readShared('data/unhcr_formatted.csv'),
      PARTNER_POI_PRESETS.unhcr,
    );
    expect(pois).toHaveLength(8294 - 6);
    expect(skipped.map((s) => s.row)).toContain(4245);
    expect(skipped).toHaveLength(6);
    expect(duplicates).toEqual([]);
    expect(pois[0]).toMatchObject({
      name: 'UNHCR-UGAs001848',
      lon: 31.896969,
      lat: 3.302276,
      source: 'UNHCR',
    });
    expect(new Set(pois.map((p) => p.name)).size).toBe(pois.length);
    // The default `name` column repeats (e.g. 'Sabon Layi' ×19): an error naming the row unless a policy is set.
    const err = (() => {
      try {
        readPois(readShared('data/unhcr_formatted.csv'), { invalidRows: 'skip' });
      } catch (e) {
        return e as GeoSamplingError;
      }
    })();
    expect(err?.code).toBe('DUPLICATE_NAME');
    expect(err?.row).toBeGreaterThan(0);
    const dropped = readPois(readShared('data/unhcr_formatted.csv'), {
      invalidRows: 'skip',
      duplicates: 'drop',
    });
    expect(dropped.pois.length + dropped.duplicates.length).toBe(8288);
  });

  it('builds AOIs from the partner POIs (22.5 km² for ASMSpotter)', () => {
    const { pois } = readPois(readShared('data/asmspotter_formatted.csv'), PARTNER_POI_PRESETS.asmspotter);
    const aois = createAois(pois, 22.5);
    expect(aois[0].source).toBe('ASMSpotter');
    expect(aois[0].areaKm2).toBe(22.5);
  });
});

describe('readPois rules and errors', () => {
  it('accepts longitude/latitude columns, WKT geometry and GeoJSON', () => {
    expect(readPois('name,longitude,latitude\na,1,2\n').pois[0]).toMatchObject({ name: 'a', lon: 1, lat: 2 });
    expect(readPois('id,geometry\nx,POINT (3.5 -4.25)\n').pois[0]).toMatchObject({
      name: 'x',
      lon: 3.5,
      lat: -4.25,
    });
    const gj = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { poi_name: 'p', source: 'S' },
          geometry: { type: 'Point', coordinates: [10, 20] },
        },
      ],
    });
    expect(readPois(gj).pois[0]).toMatchObject({ name: 'p', lon: 10, lat: 20, source: 'S' });
  });

  it('applies upstream name detection (later keys win) and 1-based prefixes', () => {
    expect(readPois('name,id,lon,lat\nn,i,0,0\n').pois[0].name).toBe('i');
    expect(
      readPois('name,id,lon,lat\nn,i,0,0\nm,j,1,1\n', { namePrefix: 'P' }).pois.map((p) => p.name),
    ).toEqual(['P-1', 'P-2']);
    expect(readPois('lon,lat\n0,0\n', { checkName: false }).pois[0].name).toBe('poi-1');
    expect(
      readPois('name,lon,lat\na,0,0\na,1,1\n', { duplicates: 'suffix' }).pois.map((p) => p.name),
    ).toEqual(['a', 'a-2']);
  });

  it('raises typed errors naming the row or column', () => {
    expect(codeOf(() => readPois('lon,lat\n0,0\n'))).toBe('MISSING_NAME');
    expect(codeOf(() => readPois('name,x,y\na,0,0\n'))).toBe('MISSING_COLUMN');
    expect(codeOf(() => readPois('name,lon,lat\na,0,0\n', { nameColumn: 'nope' }))).toBe('UNKNOWN_COLUMN');
    expect(codeOf(() => readPois('name,lon,lat\na,0,0\n', { lonColumn: 'x', latColumn: 'lat' }))).toBe(
      'UNKNOWN_COLUMN',
    );
    // one coordinate column alone was dropped for the default lon/lat pair, reading the wrong column
    for (const one of [{ lonColumn: 'x_lon' }, { latColumn: 'x_lat' }]) {
      expect(() => readPois('name,lon,lat,x_lon,x_lat\na,0,0,10,20\n', one)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/without options\.(lat|lon)Column/),
        }),
      );
    }
    expect(
      readPois('name,lon,lat,x_lon,x_lat\na,0,0,10,20\n', { lonColumn: 'x_lon', latColumn: 'x_lat' }).pois[0],
    ).toMatchObject({
      lon: 10,
      lat: 20,
    });
    expect(codeOf(() => readPois('name,lon,lat\na,0,0\nb,0,91\n'))).toBe('INVALID_LATITUDE');
    expect(codeOf(() => readPois('name,lon,lat\na,200,0\n'))).toBe('INVALID_LONGITUDE');
    expect(codeOf(() => readPois('name,lon,lat\na,,0\n'))).toBe('INVALID_LONGITUDE');
    expect(codeOf(() => readPois('name,lon,lat\na,0,0\na,1,1\n'))).toBe('DUPLICATE_NAME');
    expect(codeOf(() => readPois('{not json', { format: 'geojson' }))).toBe('PARSE_ERROR');
    try {
      readPois('name,lon,lat\na,0,0\nb,0,0\nc,0,NaN\n');
    } catch (err) {
      expect((err as GeoSamplingError).row).toBe(2);
      expect((err as Error).message).toMatch(/row 2/);
    }
  });
});

describe('readPois messages and line endings', () => {
  function thrown(fn: () => unknown): GeoSamplingError {
    try {
      fn();
    } catch (err) {
      return err as GeoSamplingError;
    }
    throw new Error('expected a GeoSamplingError, nothing was thrown');
  }

  it('a MultiPoint feature is a PARSE_ERROR naming the feature and its type (was INVALID_LONGITUDE)', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'MultiPoint', coordinates: [[10, 20]] },
          properties: { name: 'a' },
        },
      ],
    };
    const err = thrown(() => readPois(JSON.stringify(fc)));
    expect([err.code, err.row, err.message]).toEqual([
      'PARSE_ERROR',
      0,
      'row 0: POI GeoJSON features[0] has a MultiPoint geometry; a POI must be a Point (write each point as its own Point feature)',
    ]);
    const noGeometry = { ...fc, features: [{ ...fc.features[0], geometry: null }] };
    expect(thrown(() => readPois(JSON.stringify(noGeometry))).message).toBe(
      'row 0: POI GeoJSON features[0] has no geometry; a POI must be a Point',
    );
    expect(readPois(JSON.stringify(noGeometry), { invalidRows: 'skip' }).skipped).toEqual([
      { row: 0, reason: 'POI GeoJSON features[0] has no geometry; a POI must be a Point' },
    ]);
  });

  it('an empty or non-numeric coordinate cell is named as such (was "longitude NaN … wrap it into [-180, 180]")', () => {
    const empty = thrown(() => readPois('name,lat,lon\nA,,\n'));
    expect([empty.code, empty.row, empty.message]).toEqual([
      'INVALID_LONGITUDE',
      0,
      'longitude is missing (column lon, row 0 is empty)',
    ]);
    expect(thrown(() => readPois('name,lat,lon\nA,NaN,1\n')).message).toBe(
      'latitude "NaN" (column lat, row 0) is not a decimal number',
    );
    expect(thrown(() => readPois('name,lon,lat\nA,1\n')).message).toBe(
      'latitude is missing (column lat, row 0 is absent: the row is cut short)',
    );
    // a number out of range keeps its hint
    expect(thrown(() => readPois('name,lon,lat\nA,200,1\n')).message).toBe(
      'longitude 200 (columns lon/lat, row 0) is not a number in [-180, 180]; wrap it into [-180, 180] first',
    );
  });

  it('a CRLF table with an LF-only last line keeps no line break in its last cells', () => {
    const { pois } = readPois('name,lon,lat,source\r\nA,1,2,UNHCR\r\nB,3,4,UNHCR\n');
    expect(pois.map((p) => [p.source, p.properties.source])).toEqual([
      ['UNHCR', 'UNHCR'],
      ['UNHCR', 'UNHCR'],
    ]);
    const lfHeader = readPois('name,lon,lat,source\nA,1,2,x\r\nB,3,4,y\r\n').pois;
    expect(lfHeader.map((p) => p.source)).toEqual(['x', 'y']);
  });

  it('reads GeoJSON with a leading byte-order mark', () => {
    const text =
      '\uFEFF{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"p"}}]}';
    expect(readPois(text).pois).toEqual([{ name: 'p', lon: 1, lat: 2, row: 0, properties: { name: 'p' } }]);
    expect(readPois(text, { format: 'geojson' }).pois).toHaveLength(1);
  });
});
