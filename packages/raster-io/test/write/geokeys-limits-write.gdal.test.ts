// The writers refuse GeoKeys libgeotiff (GDAL's GeoKey reader, whose limits ours follows) would not read as written:
// more than 250 keys (GTRasterTypeGeoKey, which the writer adds, counted), more than 1000 GeoDoubleParams,
// GeoAsciiParams of 65 535 characters or more. GDAL ignores such a directory whole, so the file would silently lose
// its CRS; exactly at each limit the file is written and GDAL (python3-gdal) reads the CRS back.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGeoTiff, type GeoBlock, type GeoKeys, type Raster } from '../../src/index.js';
import { createCogWriter, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-geokeys-write-');
const LAEA = '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m +no_defs';
const LAEA_SRC = 'laea-src.tif';
const TRANSFORM: GeoBlock['transform'] = [-3000, 1000, 0, 2000, 0, -1000];

/** A fresh empty folder under the suite's temporary one. */
function folder(name: string): string {
  const dir = join(tmp(), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The GeoKeys of a user-defined CRS (laea, epsg 0: keys with doubles and ASCII) as our reader gets them from GDAL. */
async function laeaKeys(): Promise<GeoKeys> {
  const src = join(tmp(), LAEA_SRC);
  const ullr = ['-3000', '2000', '3000', '-2000'];
  execFileSync('gdal_create', [
    '-q',
    '-of',
    'GTiff',
    '-outsize',
    '6',
    '4',
    '-a_srs',
    LAEA,
    '-a_ullr',
    ...ullr,
    src,
  ]);
  const { geo } = await readGeoTiffFile(src);
  expect(geo?.epsg).toBe(0);
  return geo?.geoKeys as GeoKeys;
}

const raster = (geoKeys: GeoKeys): Raster => ({
  width: 6,
  height: 4,
  dtype: 'uint8',
  bands: [new Uint8Array(24).fill(7)],
  geo: { epsg: 0, transform: TRANSFORM, geoKeys },
});

/** How many keys, GeoDoubleParams values and GeoAsciiParams characters (each text + its '|') the keys write. */
function sizes(keys: GeoKeys): { keys: number; doubles: number; ascii: number } {
  const values = Object.values(keys);
  return {
    keys: values.length,
    doubles: values.reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0),
    ascii: values.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length + 1 : 0), 0),
  };
}

/** `n` more inline keys, ids 5000... */
const inlineKeys = (n: number): GeoKeys =>
  Object.fromEntries(Array.from({ length: n }, (_, k) => [5000 + k, k]));

describe.runIf(requireTool('GDAL (gdal_create) and python3-gdal', HAS_GDAL && PYTHON_GDAL !== undefined))(
  'GeoKeys at and past libgeotiff limits',
  () => {
    /** The limit's keys exactly at it, and one past it, from the laea CRS's own keys. */
    const limits: [string, (own: GeoKeys) => { at: GeoKeys; over: GeoKeys }, RegExp][] = [
      [
        '250 keys, GTRasterTypeGeoKey the writer adds counted',
        (own) => {
          // without GTRasterTypeGeoKey: the writer adds it (PixelIsArea), the 250th or the 251st key
          const { 1025: _, ...given } = own;
          const free = 250 - sizes(given).keys - 1;
          return { at: { ...given, ...inlineKeys(free) }, over: { ...given, ...inlineKeys(free + 1) } };
        },
        /^geo\.geoKeys: a GeoKeyDirectory of 251 keys \(250 given \+ key 1025 the writer adds\), key 5\d\d\d the 251st; libgeotiff \(GDAL's GeoKey reader\) reads at most 250 keys.*no CRS.*; drop keys or shorten their values$/,
      ],
      [
        '1000 GeoDoubleParams',
        (own) => {
          const free = 1000 - sizes(own).doubles;
          const doubles = (n: number) => Array.from({ length: n }, (_, i) => i / 4);
          return { at: { ...own, 5000: doubles(free) }, over: { ...own, 5000: doubles(free + 1) } };
        },
        /^geo\.geoKeys: key 5000's \d+ DOUBLE values make GeoDoubleParams of 1001 values; libgeotiff \(GDAL's GeoKey reader\) reads at most 1000.*no CRS.*; drop keys or shorten their values$/,
      ],
      [
        '65 534 GeoAsciiParams characters',
        (own) => {
          // two texts past GDAL's citations: the last one ends at the limit (a wrapped length would lose it)
          const free = 65534 - sizes(own).ascii - 40001 - 1;
          const a = 'a'.repeat(40000);
          return {
            at: { ...own, 5000: a, 5001: 'b'.repeat(free) },
            over: { ...own, 5000: a, 5001: 'b'.repeat(free + 1) },
          };
        },
        /^geo\.geoKeys: key 5001's text \(\d+ characters \+ its '\|'\) makes GeoAsciiParams of 65535 characters; libgeotiff \(GDAL's GeoKey reader\) holds at most 65534.*no CRS.*; drop keys or shorten their values$/,
      ],
    ];

    it('a text that is not 7-bit ASCII, or holds a NUL, is refused (it was cut to 7 bits: no CRS in GDAL)', async () => {
      const own = await laeaKeys();
      const dir = folder('ascii');
      for (const [text, shown] of [
        ['café', '"é" at character 3'],
        ['a\0b', '"\\u0000" at character 1'],
        ['ok 😀', '"😀" at character 3'],
      ] as const) {
        const keys = { ...own, 5000: text };
        const refused = expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(`key 5000's text holds ${shown}; GeoAsciiParams hold 7-bit ASCII`),
        });
        expect(() => encodeGeoTiff(raster(keys))).toThrow(refused);
        await expect(writeGeoTiff(join(dir, 'x.tif'), raster(keys))).rejects.toThrow(refused);
      }
      expect(readdirSync(dir)).toEqual([]);
      // plain ASCII is written, and GDAL reads the CRS back
      const ok = join(dir, 'ascii.tif');
      await writeGeoTiff(ok, raster({ ...own, 5000: 'plain ASCII ~|' }));
      const gdal = runGdalBatch(tmp(), { describe: [ok] }, 'ascii');
      expect(gdal[ok]?.proj4).toMatch(/^\+proj=laea \+lat_0=10 \+lon_0=20 /);
    });

    it.each(limits)(
      '%s: at the limit GDAL reads the CRS; one past is refused, nothing written',
      async (name, make, message) => {
        const own = await laeaKeys();
        const { at, over } = make(own);
        const dir = folder(name.replace(/\W+/g, '-'));

        // exactly at the limit: written (writeGeoTiff and the streaming COG writer), GDAL reads the laea CRS
        const written = join(dir, 'at.tif');
        await writeGeoTiff(written, raster(at));
        const cog = join(dir, 'at-cog.tif');
        const w = await createCogWriter(cog, {
          width: 6,
          height: 4,
          bands: 1,
          dtype: 'uint8',
          geo: raster(at).geo,
        });
        await w.writeRows(0, raster(at).bands);
        await w.close();
        const src = join(tmp(), LAEA_SRC);
        const gdal = runGdalBatch(tmp(), { describe: [src, written, cog] }, name.replace(/\W+/g, '-'));
        expect(gdal[src]?.proj4).toMatch(/^\+proj=laea \+lat_0=10 \+lon_0=20 /);
        for (const path of [written, cog]) {
          expect(gdal[path]?.proj4, path).toBe(gdal[src]?.proj4);
          expect(gdal[path]?.gt, path).toEqual(TRANSFORM);
          // and so do we, every key back as written (with the PixelIsArea key the writer adds)
          const back = (await readGeoTiffFile(path)).geo;
          expect(back?.epsg, path).toBe(0);
          expect(back?.geoKeys, path).toEqual({ ...at, 1025: 1 });
        }

        // one past: INVALID_ARGUMENT naming the limit, the count and the key, before anything reaches the disk
        const refused = expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(message),
        });
        expect(() => encodeGeoTiff(raster(over))).toThrow(refused);
        const past = folder(`${name.replace(/\W+/g, '-')}-past`);
        await expect(writeGeoTiff(join(past, 'over.tif'), raster(over))).rejects.toThrow(refused);
        await expect(
          writeGeoTiff(join(past, 'over-threads.tif'), raster(over), { compression: 'deflate', threads: 2 }),
        ).rejects.toThrow(refused);
        await expect(
          createCogWriter(join(past, 'over-cog.tif'), {
            width: 6,
            height: 4,
            bands: 1,
            dtype: 'uint8',
            geo: raster(over).geo,
          }),
        ).rejects.toThrow(refused);
        expect(readdirSync(past)).toEqual([]);
      },
    );
  },
);
