// Our reader against files GDAL wrote (fixtures generated here with gdal_translate/gdaladdo from a file we
// write; nothing binary is committed): pixels equal GDAL's own decoding (ENVI dump), georeferencing equals
// gdalinfo's.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import proj4 from 'proj4';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DType, openGeoTiff, type Raster, readRaster } from '../../src/index.js';
import { openGeoTiffFile, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { bandMismatches } from '../support/compare.js';
import { gdalPixels } from '../support/envi.js';
import { gdaladdo, gdalinfoJson, gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const sameValue = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const W = 301;
const H = 203;
const tmp = useTmpDir();

interface Fixture {
  name: string;
  dtype: DType;
  args: string[];
  compression: number;
  predictor: number;
  planar: 1 | 2;
  tiled: boolean;
  littleEndian?: boolean;
  /** Compare with GDAL's decoding only (see the fixture's comment). */
  gdalOnly?: boolean;
}

const FIXTURES: Fixture[] = [
  {
    name: 'u16-tiled-deflate-pred2',
    dtype: 'uint16',
    args: ['-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2'],
    compression: 8,
    predictor: 2,
    planar: 1,
    tiled: true,
  },
  {
    name: 'u16-lzw-pred2',
    dtype: 'uint16',
    args: ['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2'],
    compression: 5,
    predictor: 2,
    planar: 1,
    tiled: false,
  },
  {
    name: 'u16-band-lzw-512',
    dtype: 'uint16',
    args: [
      '-co',
      'COMPRESS=LZW',
      '-co',
      'INTERLEAVE=BAND',
      '-co',
      'TILED=YES',
      '-co',
      'BLOCKXSIZE=512',
      '-co',
      'BLOCKYSIZE=512',
    ],
    compression: 5,
    predictor: 1,
    planar: 2,
    tiled: true,
  },
  {
    name: 'u16-plain',
    dtype: 'uint16',
    args: ['-co', 'COMPRESS=NONE', '-co', 'INTERLEAVE=PIXEL'],
    compression: 1,
    predictor: 1,
    planar: 1,
    tiled: false,
  },
  {
    name: 'u8-packbits',
    dtype: 'uint8',
    args: ['-co', 'COMPRESS=PACKBITS'],
    compression: 32773,
    predictor: 1,
    planar: 1,
    tiled: false,
  },
  {
    name: 'i16-deflate-pred2-big-endian',
    dtype: 'int16',
    args: ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'ENDIANNESS=BIG', '-co', 'TILED=YES'],
    compression: 8,
    predictor: 2,
    planar: 1,
    tiled: true,
    littleEndian: false,
  },
  {
    name: 'f32-deflate-pred3',
    dtype: 'float32',
    args: ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', '-co', 'TILED=YES'],
    compression: 8,
    predictor: 3,
    planar: 1,
    tiled: true,
  },
  {
    name: 'f32-lzw-pred3-band',
    dtype: 'float32',
    args: ['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=3', '-co', 'INTERLEAVE=BAND'],
    compression: 5,
    predictor: 3,
    planar: 2,
    tiled: false,
  },
  {
    name: 'u16-lzw-band-big-endian',
    dtype: 'uint16',
    args: ['-co', 'COMPRESS=LZW', '-co', 'INTERLEAVE=BAND', '-co', 'ENDIANNESS=BIG'],
    compression: 5,
    predictor: 1,
    planar: 2,
    tiled: false,
    littleEndian: false,
  },
  // GDAL 3.6.2 does not read back its own big-endian predictor-3 floats as written (values come back
  // byte-scrambled); we decode exactly as GDAL does, so only the comparison with GDAL's decoding applies.
  {
    name: 'f32-deflate-pred3-big-endian',
    dtype: 'float32',
    args: ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', '-co', 'ENDIANNESS=BIG'],
    compression: 8,
    predictor: 3,
    planar: 1,
    tiled: false,
    littleEndian: false,
    gdalOnly: true,
  },
  {
    name: 'f64-deflate-pred2',
    dtype: 'float64',
    args: ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2'],
    compression: 8,
    predictor: 2,
    planar: 1,
    tiled: false,
  },
  {
    name: 'u16-bigtiff-deflate',
    dtype: 'uint16',
    args: ['-co', 'BIGTIFF=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', '-co', 'PREDICTOR=2'],
    compression: 8,
    predictor: 2,
    planar: 1,
    tiled: true,
  },
  {
    name: 'i32-lzw',
    dtype: 'int32',
    args: ['-co', 'COMPRESS=LZW', '-co', 'TILED=YES'],
    compression: 5,
    predictor: 1,
    planar: 1,
    tiled: true,
  },
];

const sources = new Map<DType, Raster>();
function source(dtype: DType): Raster {
  let r = sources.get(dtype);
  if (!r) {
    r = syntheticRaster(dtype, W, H, 4, 21);
    r.noData = dtype === 'uint8' ? 0 : -1;
    if (dtype === 'uint16') r.noData = 65535;
    r.geo = { epsg: 32618, transform: [580000, 1.5, 0, 4510000, 0, -1.5] };
    sources.set(dtype, r);
  }
  return r;
}

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('readRaster on GDAL-written files', () => {
  const paths = new Map<string, string>();
  beforeAll(async () => {
    for (const f of FIXTURES) {
      const ours = join(tmp(), `src-${f.dtype}.tif`);
      await writeGeoTiff(ours, source(f.dtype));
      const path = join(tmp(), `${f.name}.tif`);
      gdalTranslate([...f.args, ours, path]);
      paths.set(f.name, path);
    }
  });

  it.each(FIXTURES.map((f) => [f.name, f] as const))(
    '%s: structure, pixels, geo and nodata equal GDAL',
    async (_, f) => {
      const path = paths.get(f.name) as string;
      const tiff = await openGeoTiffFile(path);
      try {
        const level = tiff.levels[0];
        expect(level).toMatchObject({
          width: W,
          height: H,
          bandCount: 4,
          dtype: f.dtype,
          compression: f.compression,
          predictor: f.predictor,
          planarConfiguration: f.planar,
        });
        expect(level?.tileWidth !== undefined).toBe(f.tiled);
        expect(tiff.littleEndian).toBe(f.littleEndian ?? true);
        expect(tiff.bigTiff).toBe(f.name.includes('bigtiff'));
        const r = await readRaster(tiff);
        const gdal = gdalPixels(path, join(tmp(), `${f.name}.envi`), f.dtype, W, H);
        expect(bandMismatches(r.bands, gdal)).toBe(0);
        if (!f.gdalOnly) expect(bandMismatches(r.bands, source(f.dtype).bands)).toBe(0);
        const info = gdalinfoJson(path);
        expect(r.geo).toEqual({ epsg: info.stac?.['proj:epsg'], transform: info.geoTransform });
        expect(r.noData).toBe(info.bands[0]?.noDataValue);
        // a window with a reordered band subset
        const win = await readRaster(tiff, {
          window: { x: 37, y: 50, width: 100, height: 77 },
          bands: [2, 0],
        });
        expect([win.width, win.height, win.bands.length]).toEqual([100, 77, 2]);
        for (const [slot, band] of [2, 0].entries()) {
          const g = gdal[band] as ArrayLike<number>;
          const w = win.bands[slot] as ArrayLike<number>;
          let bad = 0;
          for (let y = 0; y < 77; y++)
            for (let x = 0; x < 100; x++)
              if (!sameValue(w[y * 100 + x] as number, g[(50 + y) * W + 37 + x] as number)) bad++;
          expect(bad).toBe(0);
        }
        expect(win.geo?.transform).toEqual([580000 + 37 * 1.5, 1.5, 0, 4510000 - 50 * 1.5, 0, -1.5]);
      } finally {
        await tiff.close();
      }
    },
  );

  it('overviews added by gdaladdo are levels with their own size and scaled transform; pixels equal GDAL', async () => {
    const path = join(tmp(), 'ovr.tif');
    gdalTranslate(['-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', paths.get('u16-plain') as string, path]);
    gdaladdo(['-r', 'average', path, '2', '4', '8']);
    const tiff = await openGeoTiff(readFileSync(path), { name: path });
    expect(tiff.levels.map((l) => [l.width, l.height])).toEqual([
      [301, 203],
      [151, 102],
      [76, 51],
      [38, 26],
    ]);
    for (const lv of [1, 2, 3]) {
      const { width, height } = tiff.levels[lv] as { width: number; height: number };
      const r = await readRaster(tiff, { level: lv });
      const gdal = gdalPixels(path, join(tmp(), `ovr-${lv}.envi`), 'uint16', width, height, [
        '-ovr',
        String(lv - 1),
      ]);
      expect(bandMismatches(r.bands, gdal)).toBe(0);
      expect(r.geo?.transform).toEqual([580000, (1.5 * 301) / width, 0, 4510000, 0, (-1.5 * 203) / height]);
      expect(r.noData).toBe(65535);
    }
  });

  it('sparse tiles (byte count 0, GDAL SPARSE_OK) read as nodata, like GDAL', async () => {
    const path = join(tmp(), 'sparse.tif');
    const r = spawnSync(
      'gdal_create',
      [
        '-q',
        '-ot',
        'UInt16',
        '-outsize',
        '600',
        '520',
        '-bands',
        '2',
        '-a_nodata',
        '7',
        '-co',
        'SPARSE_OK=TRUE',
        '-co',
        'TILED=YES',
        path,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const tiff = await openGeoTiffFile(path);
    const back = await readRaster(tiff, { window: { x: 100, y: 200, width: 400, height: 300 } });
    await tiff.close();
    const gdal = gdalPixels(path, join(tmp(), 'sparse.envi'), 'uint16', 600, 520);
    expect((gdal[0] as Uint16Array)[0]).toBe(7);
    expect(back.noData).toBe(7);
    for (const b of back.bands) expect((b as Uint16Array).every((v) => v === 7)).toBe(true);
  });

  it("PixelIsPoint, geographic CRS and rotated (ModelTransformation) files give gdalinfo's geotransform", async () => {
    const base = syntheticRaster('uint8', 50, 40, 1);
    const cases: [string, Raster, string[]][] = [
      [
        'point',
        { ...base, geo: { epsg: 32618, transform: [580000, 10, 0, 4510000, 0, -10] } },
        ['-mo', 'AREA_OR_POINT=Point'],
      ],
      ['wgs84', { ...base, geo: { epsg: 4326, transform: [-74.01, 0.0001, 0, 40.72, 0, -0.0001] } }, []],
      ['rotated', { ...base, geo: { epsg: 32618, transform: [580000, 10, 1, 4510000, 2, -10] } }, []],
    ];
    for (const [name, r, args] of cases) {
      const ours = join(tmp(), `${name}-ours.tif`);
      const path = join(tmp(), `${name}.tif`);
      await writeGeoTiff(ours, r);
      gdalTranslate([...args, ours, path]);
      const info = gdalinfoJson(path);
      const back = await readGeoTiffFile(path);
      expect(back.geo?.epsg).toBe(info.stac?.['proj:epsg']);
      for (const [i, v] of (back.geo?.transform ?? []).entries())
        expect(v).toBeCloseTo(info.geoTransform?.[i] as number, 9);
    }
  });
});

describe('bbox reads', () => {
  const r = syntheticRaster('uint16', 400, 300, 1, 2);
  r.geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] };
  let bytes: Uint8Array;
  beforeAll(async () => {
    const path = join(tmp(), 'bbox.tif');
    await writeGeoTiff(path, r, { tiled: true });
    bytes = readFileSync(path);
  });

  it('a native bbox selects the pixels it touches, clipped to the raster', async () => {
    const tiff = await openGeoTiff(bytes);
    const a = await readRaster(tiff, { bbox: [500105, 4598000, 500300, 4599955] });
    // x: 10.5 → 30 (pixels 10..29), y: (4600000-4599955)/10 = 4.5 → 200 (rows 4..199)
    expect([a.width, a.height]).toEqual([20, 196]);
    expect(a.geo?.transform).toEqual([500100, 10, 0, 4599960, 0, -10]);
    expect((a.bands[0] as Uint16Array)[0]).toBe((r.bands[0] as Uint16Array)[4 * 400 + 10]);
    const clipped = await readRaster(tiff, { bbox: [499000, 4590000, 500050, 4600500] });
    expect([clipped.width, clipped.height]).toEqual([5, 300]);
    await expect(readRaster(tiff, { bbox: [0, 0, 10, 10] })).rejects.toMatchObject({
      code: 'WINDOW_OUT_OF_BOUNDS',
    });
    await expect(readRaster(tiff, { bbox: [10, 10, 0, 0] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('a lon/lat bbox is converted to the UTM grid and covers the same ground', async () => {
    const tiff = await openGeoTiff(bytes);
    // The lon/lat envelope of pixel window x 100..200, y 50..120.
    const inv = proj4('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs', 'EPSG:4326').forward;
    const corners = [
      [501000, 4599500],
      [502000, 4599500],
      [501000, 4598800],
      [502000, 4598800],
    ].map((p) => inv(p as [number, number]) as [number, number]);
    const bbox: [number, number, number, number] = [
      Math.min(...corners.map((c) => c[0])),
      Math.min(...corners.map((c) => c[1])),
      Math.max(...corners.map((c) => c[0])),
      Math.max(...corners.map((c) => c[1])),
    ];
    const a = await readRaster(tiff, { bbox, bboxCrs: 'lonlat' });
    const [ox, , , oy] = a.geo?.transform as number[];
    const x0 = ((ox as number) - 500000) / 10;
    const y0 = (4600000 - (oy as number)) / 10;
    // contains the window, with only the small margin the lon/lat envelope adds (grid convergence)
    expect(x0).toBeLessThanOrEqual(100);
    expect(y0).toBeLessThanOrEqual(50);
    expect(x0 + a.width).toBeGreaterThanOrEqual(200);
    expect(y0 + a.height).toBeGreaterThanOrEqual(120);
    expect(a.width).toBeLessThan(110);
    expect(a.height).toBeLessThan(80);
  });

  it('lon/lat bbox on a raster without EPSG → UNKNOWN_CRS; without transform → NO_GEOREFERENCING', async () => {
    const { encodeGeoTiff } = await import('../../src/index.js');
    const noEpsg = await openGeoTiff(
      encodeGeoTiff({ ...r, geo: { epsg: 0, transform: r.geo?.transform as never } }),
    );
    await expect(readRaster(noEpsg, { bbox: [15, 41, 15.1, 41.1], bboxCrs: 'lonlat' })).rejects.toMatchObject(
      { code: 'UNKNOWN_CRS' },
    );
    const lambert = await openGeoTiff(
      encodeGeoTiff({ ...r, geo: { epsg: 2154, transform: r.geo?.transform as never } }),
      { name: 'l93.tif' },
    );
    await expect(readRaster(lambert, { bbox: [2, 46, 2.1, 46.1], bboxCrs: 'lonlat' })).rejects.toThrow(
      /l93\.tif: cannot convert a lon\/lat bbox to EPSG:2154/,
    );
    const bare = await openGeoTiff(encodeGeoTiff({ ...r, geo: undefined }), { name: 'bare.tif' });
    const err = await readRaster(bare, { bbox: [0, 0, 1, 1] }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NO_GEOREFERENCING' });
    expect(err.message).toContain('bare.tif');
  });
});
