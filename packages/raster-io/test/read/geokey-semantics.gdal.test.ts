// GeoKeys and GDAL_NODATA as GDAL reads them, where reading the values at face value gave silently wrong
// metadata: SHORT keys stored as DOUBLE or ASCII params (libgeotiff ignores them), a GeoKeyDirectory holding
// values outside 16 bits (libtiff drops the tag), GDAL_NODATA stored as numbers (libtiff drops it), a linear-unit
// key contradicting the EPSG code (GDAL drops the code), and Mollweide CRSs that are not World Mollweide.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openGeoTiff } from '../../src/index.js';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { EPSG_PROJECTED_UNITS, LINEAR_UNIT_SIZES } from '../../src/read/epsg-linear-units.js';
import { epsgUnitSize, linearUnitSize } from '../../src/read/linear-units.js';
import { HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import {
  ASCII,
  asciiValues,
  BYTE,
  DOUBLE,
  FLOAT,
  LONG,
  RATIONAL,
  SBYTE,
  SHORT,
  SLONG,
  SSHORT,
  tinyTiff,
  UNDEFINED,
} from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-geokey-semantics-');

type Tags = Record<number, [number, number[]]>;
type Key = [id: number, location: number, count: number, value: number];

/** A 4×3 byte image, 10 m pixels at (500000, 5000000), with these GeoKeys and more tags. */
function geoTiff(keys: Key[], tags: Tags = {}): Uint8Array {
  return tinyTiff([
    {
      width: 4,
      height: 3,
      strips: [new Uint8Array(12).map((_, i) => i * 7)],
      tags: {
        33550: [DOUBLE, [10, 10, 0]],
        33922: [DOUBLE, [0, 0, 0, 500_000, 5_000_000, 0]],
        34735: [SHORT, [1, 1, 0, keys.length, ...keys.flat()]],
        ...tags,
      },
    },
  ]);
}

const PROJECTED: Key = [1024, 0, 1, 1];
const AREA: Key = [1025, 0, 1, 1];
const utm33 = (): Key => [3072, 0, 1, 32633];

/** Write each case, read it with GDAL (one process) and with us: [name, GDAL's, ours] of what `pick` takes. */
async function compare<T>(
  label: string,
  cases: [string, Uint8Array][],
  pick: (gdal: { gt: number[] | null; epsg: number | null; nodata: number | null }) => T,
  ours: (geo: { gt: number[] | null; epsg: number | null; nodata: number | null }) => T = pick,
): Promise<[string, T, T][]> {
  const paths = cases.map(([name, bytes]) => {
    const path = join(tmp(), `${label}-${name}.tif`);
    writeFileSync(path, bytes);
    return path;
  });
  const gdal = runGdalBatch(tmp(), { describe: paths }, label);
  return Promise.all(
    cases.map(async ([name, bytes], i) => {
      const g = gdal[paths[i] as string];
      const nd = g?.bands[0]?.nodata;
      const theirs = {
        gt: g?.gt ?? null,
        epsg: g?.epsg === null || g?.epsg === undefined ? null : Number(g.epsg),
        nodata: nd === null || nd === undefined ? null : Number(nd),
      };
      const level = (await openGeoTiff(bytes, { name })).levels[0];
      const mine = {
        gt: level?.geo?.transform ?? null,
        epsg: level?.geo?.epsg || null,
        nodata: level?.noData ?? null,
      };
      return [name, pick(theirs), ours(mine)] as [string, T, T];
    }),
  );
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'SHORT GeoKeys of another type',
  () => {
    it('are ignored as libgeotiff ignores them: no PixelIsPoint shift, no EPSG code, no vertical part', async () => {
      const point = (loc: number, tags: Tags): Uint8Array =>
        geoTiff([PROJECTED, [1025, loc, loc === 34737 ? 2 : 1, 0], utm33()], tags);
      const lonLat = (keys: Key[], tags: Tags = {}): Uint8Array =>
        geoTiff(keys, { 33550: [DOUBLE, [0.1, 0.1, 0]], 33922: [DOUBLE, [0, 0, 0, 10, 50, 0]], ...tags });
      const cases: [string, Uint8Array][] = [
        ['raster-type-short', geoTiff([PROJECTED, [1025, 0, 1, 2], utm33()])],
        ['raster-type-double', point(34736, { 34736: [DOUBLE, [2]] })],
        ['raster-type-ascii', point(34737, { 34737: [ASCII, asciiValues('2|')] })],
        ['projected-double', geoTiff([PROJECTED, AREA, [3072, 34736, 1, 0]], { 34736: [DOUBLE, [32633]] })],
        [
          'projected-ascii',
          geoTiff([PROJECTED, AREA, [3072, 34737, 6, 0]], { 34737: [ASCII, asciiValues('32633|')] }),
        ],
        [
          'geographic-double',
          lonLat(
            [
              [1024, 0, 1, 2],
              [2048, 34736, 1, 0],
            ],
            { 34736: [DOUBLE, [4326]] },
          ),
        ],
        [
          'vertical-double',
          lonLat(
            [
              [1024, 0, 1, 2],
              [2048, 0, 1, 4326],
              [4096, 34736, 1, 0],
            ],
            { 34736: [DOUBLE, [4979]] },
          ),
        ],
        [
          'vertical-short',
          lonLat([
            [1024, 0, 1, 2],
            [2048, 0, 1, 4326],
            [4096, 0, 1, 4979],
          ]),
        ],
        ['model-double', geoTiff([[1024, 34736, 1, 0], AREA, utm33()], { 34736: [DOUBLE, [1]] })],
      ];
      const rows = await compare('key-types', cases, (g) => ({ gt: g.gt, epsg: g.epsg }));
      for (const [name, gdal, ours] of rows) expect([name, ours]).toEqual([name, gdal]);
      const byName = Object.fromEntries(rows.map(([name, , ours]) => [name, ours]));
      // the SHORT key shifts by half a pixel; DOUBLE and ASCII ones do not (they did: [499995, ..., 5000005, ...])
      expect(byName['raster-type-short']?.gt).toEqual([499_995, 10, 0, 5_000_005, 0, -10]);
      expect(byName['raster-type-double']).toEqual({ gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633 });
      expect(byName['raster-type-ascii']).toEqual({ gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633 });
      expect(byName['projected-double']?.epsg).toBeNull(); // was 32633
      expect(byName['projected-ascii']?.epsg).toBeNull(); // was 32633
      expect(byName['geographic-double']?.epsg).toBeNull(); // was 4326
      expect(byName['vertical-double']?.epsg).toBe(4326); // was 4979
      expect(byName['vertical-short']?.epsg).toBe(4979);
      expect(byName['model-double']?.epsg).toBe(32633);
    });
  },
);

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'a GeoKeyDirectory with a value outside 0..65535',
  () => {
    it('is dropped whole, as libtiff drops it (unused values too); one of another integer type in range is read', async () => {
      const directory = (last: number) => [
        1,
        1,
        0,
        4,
        1024,
        0,
        1,
        1,
        1025,
        0,
        1,
        2,
        3072,
        0,
        1,
        32633,
        5000,
        0,
        1,
        last,
      ];
      const keys = (type: number, values: number[]) => geoTiff([], { 34735: [type, values] });
      const cases: [string, Uint8Array][] = [
        ['long-in-range', keys(LONG, directory(7))],
        ['sshort-in-range', keys(SSHORT, directory(7))],
        ['long-70000-unused', keys(LONG, directory(70_000))],
        ['sshort-negative-unused', keys(SSHORT, directory(-1))],
        ['slong-negative-unused', keys(SLONG, directory(-5))],
        [
          'long-code-98169',
          keys(LONG, [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 65_536 + 32_633]),
        ],
      ];
      const rows = await compare('key-range', cases, (g) => ({ gt: g.gt, epsg: g.epsg }));
      for (const [name, gdal, ours] of rows) expect([name, ours]).toEqual([name, gdal]);
      const byName = Object.fromEntries(rows.map(([name, , ours]) => [name, ours]));
      expect(byName['long-in-range']).toEqual({ gt: [499_995, 10, 0, 5_000_005, 0, -10], epsg: 32633 });
      // dropped: no CRS and no PixelIsPoint shift (they read 32633 shifted, and EPSG 98169)
      for (const name of ['long-70000-unused', 'sshort-negative-unused', 'slong-negative-unused'])
        expect(byName[name]).toEqual({ gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: null });
      expect(byName['long-code-98169']?.epsg).toBeNull();
    });
  },
);

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'GDAL_NODATA of each field type',
  () => {
    it('is text only from the types libtiff reads an ASCII tag from; FLOAT, DOUBLE, RATIONAL are no nodata', async () => {
      const nodata = (type: number, values: number[]) =>
        geoTiff([PROJECTED, utm33()], { 42113: [type, values] });
      const text = [53, 54, 0]; // "56"
      const cases: [string, Uint8Array][] = [
        ['ascii', nodata(ASCII, asciiValues('56'))],
        ['byte', nodata(BYTE, text)],
        ['sbyte', nodata(SBYTE, text)],
        ['undefined', nodata(UNDEFINED, text)],
        ['short', nodata(SHORT, text)],
        ['sshort', nodata(SSHORT, text)],
        ['long', nodata(LONG, text)],
        ['slong', nodata(SLONG, text)],
        ['short-past-a-byte', nodata(SHORT, [53, 300, 0])],
        ['sbyte-negative', nodata(SBYTE, [53, -1, 0])],
        ['float', nodata(FLOAT, [55])],
        ['double', nodata(DOUBLE, [7])],
        ['rational', nodata(RATIONAL, [55, 1])],
      ];
      const rows = await compare('nodata-types', cases, (g) => g.nodata);
      for (const [name, gdal, ours] of rows) expect([name, ours]).toEqual([name, gdal]);
      const byName = Object.fromEntries(rows.map(([name, , ours]) => [name, ours]));
      for (const name of ['ascii', 'byte', 'sbyte', 'undefined', 'short', 'sshort', 'long', 'slong'])
        expect([name, byName[name]]).toEqual([name, 56]);
      // FLOAT 55.0 read as the character "7" (7), DOUBLE 7.0 as "\x07" (0): now none, as in GDAL
      for (const name of ['short-past-a-byte', 'sbyte-negative', 'float', 'double', 'rational'])
        expect([name, byName[name]]).toEqual([name, null]);
    });

    it('GeoAsciiParams stored as numbers are dropped like any ASCII tag (the citation keys with them)', async () => {
      const citation = asciiValues('WGS 84 / UTM zone 33N|');
      const cases: [string, Uint8Array][] = [
        [
          'ascii-params-ascii',
          geoTiff([PROJECTED, AREA, [1026, 34737, 22, 0], utm33()], { 34737: [ASCII, citation] }),
        ],
        [
          'ascii-params-double',
          geoTiff([PROJECTED, AREA, [1026, 34737, 22, 0], utm33()], { 34737: [DOUBLE, citation] }),
        ],
      ];
      const rows = await compare('ascii-params', cases, (g) => g.epsg);
      for (const [name, gdal, ours] of rows) expect([name, ours]).toEqual([name, gdal]);
      expect(rows.map(([, , ours]) => ours)).toEqual([32633, null]);
    });
  },
);

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'ProjLinearUnitsGeoKey against the EPSG code',
  () => {
    it("a unit other than the code's drops the code (0, keys kept), as GDAL does; the code's own unit keeps it", async () => {
      const units = (pcs: number, unit: number, more: Key[] = [], tags: Tags = {}) =>
        geoTiff(
          ([PROJECTED, AREA, ...more, [3072, 0, 1, pcs], [3076, 0, 1, unit]] as Key[]).sort(
            (a, b) => a[0] - b[0],
          ),
          tags,
        );
      const userSize = (pcs: number, size: number) =>
        geoTiff([PROJECTED, AREA, [3072, 0, 1, pcs], [3076, 0, 1, 32767], [3077, 34736, 1, 0]], {
          34736: [DOUBLE, [size]],
        });
      const cases: [string, Uint8Array][] = [
        ['2263-metre', units(2263, 9001)],
        ['2263-us-foot', units(2263, 9003)],
        ['2263-foot', units(2263, 9002)],
        ['32633-us-foot', units(32633, 9003)],
        ['32633-metre', units(32633, 9001)],
        ['32633-kilometre', units(32633, 9036)],
        ['32633-degree', units(32633, 9102)],
        ['32633-radian', units(32633, 9101)],
        ['32633-unknown-unit', units(32633, 9999)],
        ['2263-unknown-unit', units(2263, 9999)],
        ['32633-user-0.3048', userSize(32633, 0.3048)],
        ['32633-user-1', userSize(32633, 1)],
        ['2263-user-us-foot', userSize(2263, 0.304800609601219)],
        ['32633-user-without-size', units(32633, 32767)],
        ['27700-foot', units(27700, 9002)],
        ['31466-metre', units(31466, 9001)],
        // beside a geographic key GDAL builds the CRS from the keys and keeps the code whatever the unit
        ['2263-metre-with-geographic-key', units(2263, 9001, [[2048, 0, 1, 4269]])],
        // a unit key stored as DOUBLE is no unit key to libgeotiff
        [
          '32633-us-foot-as-double',
          geoTiff([PROJECTED, AREA, utm33(), [3076, 34736, 1, 0]], { 34736: [DOUBLE, [9003]] }),
        ],
      ];
      const rows = await compare('linear-units', cases, (g) => g.epsg);
      for (const [name, gdal, ours] of rows) expect([name, ours]).toEqual([name, gdal]);
      const byName = Object.fromEntries(rows.map(([name, , ours]) => [name, ours]));
      // each of these read as the clean code: 2263 in feet with metre coordinates (90° of error), UTM in US feet
      for (const name of ['2263-metre', '2263-foot', '32633-us-foot', '32633-kilometre', '32633-user-0.3048'])
        expect([name, byName[name]]).toEqual([name, null]);
      expect(byName['2263-us-foot']).toBe(2263);
      expect(byName['32633-metre']).toBe(32633);
      // the keys stay, so the CRS is written back as the file has it
      const geo = (await openGeoTiff(cases[0]?.[1] as Uint8Array)).levels[0]?.geo;
      expect(geo).toMatchObject({ epsg: 0, geoKeys: { 3072: 2263, 3076: 9001 } });
    });

    it('written back, such a raster keeps its keys: GDAL reads the same CRS and no EPSG code', async () => {
      const src = join(tmp(), 'units-src.tif');
      writeFileSync(src, geoTiff([PROJECTED, AREA, [3072, 0, 1, 2263], [3076, 0, 1, 9001]]));
      const out = join(tmp(), 'units-out.tif');
      await writeGeoTiff(out, await readGeoTiffFile(src));
      const gdal = runGdalBatch(tmp(), { describe: [src, out] }, 'units-roundtrip');
      expect(gdal[out]?.epsg).toBeNull();
      expect(gdal[out]?.proj4).toBe(gdal[src]?.proj4);
      expect(gdal[out]?.proj4).toContain('+units=m');
      expect((await readGeoTiffFile(out)).geo).toMatchObject({
        epsg: 0,
        geoKeys: { 3072: 2263, 3076: 9001 },
      });
    });

    it("the unit tables are what this machine's GDAL and PROJ give (test/support/generate_linear_units.py)", () => {
      const generator = fileURLToPath(new URL('../support/generate_linear_units.py', import.meta.url));
      const r = spawnSync(PYTHON_GDAL as string, [generator, '--json'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as { units: [number, number][]; sizes: [number, number][] };
      expect(want.units.length).toBeGreaterThan(5000);
      for (const [code, unit] of want.units)
        expect([code, epsgUnitSize(code)]).toEqual([code, linearUnitSize(unit)]);
      for (const [unit, size] of want.sizes) expect([unit, linearUnitSize(unit)]).toEqual([unit, size]);
      expect(EPSG_PROJECTED_UNITS.split(',').length).toBeGreaterThan(1000);
      expect(LINEAR_UNIT_SIZES.split(',').length).toBe(want.sizes.length);
    });
  },
);

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('Mollweide CRSs', () => {
  const ESRI_54009_PROJ4 = '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';
  const mollweide = (name: string, srs: string): string => {
    const raw = join(tmp(), `${name}.bin`);
    writeFileSync(raw, new Uint8Array(16).fill(7));
    writeFileSync(
      `${raw.slice(0, -4)}.hdr`,
      'ENVI\nsamples = 4\nlines = 4\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 1\ninterleave = bsq\nbyte order = 0\n',
    );
    const out = join(tmp(), `${name}.tif`);
    execFileSync('gdal_translate', [
      '-q',
      '-of',
      'GTiff',
      '-a_srs',
      srs,
      '-a_ullr',
      '0',
      '100000',
      '370000',
      '-130000',
      raw,
      out,
    ]);
    return out;
  };
  const proj4Of = (path: string): string =>
    execFileSync('gdalsrsinfo', ['-o', 'proj4', path], { encoding: 'utf8' }).trim();

  it('only World Mollweide (WGS 84, central meridian 0, no false origin, metres) is 54009; others are 0 with their keys', async () => {
    const cases: [string, string, number][] = [
      ['ghsl', ESRI_54009_PROJ4, 54009],
      ['esri-54009', 'ESRI:54009', 54009],
      ['lon-90', '+proj=moll +lon_0=90 +datum=WGS84 +units=m', 0],
      ['sphere', '+proj=moll +lon_0=0 +R=6371000 +units=m', 0],
      ['false-easting', '+proj=moll +lon_0=0 +x_0=1000000 +datum=WGS84 +units=m', 0],
      ['false-northing', '+proj=moll +lon_0=0 +y_0=500 +datum=WGS84 +units=m', 0],
      ['esri-53009-sphere', 'ESRI:53009', 0],
      ['feet', '+proj=moll +lon_0=0 +datum=WGS84 +units=ft', 0],
      ['wgs84-ellipsoid-other-datum', '+proj=moll +lon_0=0 +ellps=WGS84 +units=m', 0],
    ];
    for (const [name, srs, want] of cases) {
      const path = mollweide(name, srs);
      const r = await readGeoTiffFile(path);
      expect([name, r.geo?.epsg]).toEqual([name, want]);
      // GDAL agrees that exactly these are ESRI:54009's definition
      expect([name, proj4Of(path) === ESRI_54009_PROJ4]).toEqual([name, want === 54009]);
      expect([name, r.geo?.geoKeys?.[3073]]).toEqual([name, expect.stringContaining('Mollweide')]);
      if (want !== 0) continue;
      // the keys written back are the same CRS for GDAL (it was written as World Mollweide: up to 90° off)
      const out = join(tmp(), `${name}-rt.tif`);
      await writeGeoTiff(out, r);
      expect([name, proj4Of(out)]).toEqual([name, proj4Of(path)]);
    }
  });
});

describe('the read of the Mollweide and unit keys without GDAL', () => {
  it('a Mollweide citation naming another central meridian is 0, not 54009', async () => {
    const pe = (meridian: number) =>
      `ESRI PE String = PROJCS["World_Mollweide",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mollweide"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",${meridian}],UNIT["Meter",1.0]]|`;
    const file = (meridian: number) => {
      const text = pe(meridian);
      return geoTiff(
        [[1024, 0, 1, 32767], AREA, [2048, 0, 1, 4326], [3073, 34737, text.length, 0], [3076, 0, 1, 9001]],
        { 34737: [ASCII, asciiValues(text)] },
      );
    };
    expect((await openGeoTiff(file(0))).levels[0]?.geo?.epsg).toBe(54009);
    expect((await openGeoTiff(file(90))).levels[0]?.geo?.epsg).toBe(0);
    expect((await openGeoTiff(file(-0.5))).levels[0]?.geo?.epsg).toBe(0);
  });

  it('the unit tables know the units of common codes', () => {
    expect(epsgUnitSize(32633)).toBe(1);
    expect(epsgUnitSize(2263)).toBe(0.30480060960121924);
    expect(epsgUnitSize(2240)).toBe(0.30480060960121924);
    expect(epsgUnitSize(27700)).toBe(1);
    expect(epsgUnitSize(32767)).toBeUndefined();
    expect(linearUnitSize(9002)).toBe(0.3048);
    expect(linearUnitSize(9001)).toBe(1);
    expect(
      readFileSync(fileURLToPath(new URL('../../src/read/epsg-linear-units.ts', import.meta.url)), 'utf8'),
    ).toContain('Generated by test/support/generate_linear_units.py');
  });
});
