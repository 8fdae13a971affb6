// Every file our writer produces is read by real GDAL: size, CRS, geotransform, dtype, bands, nodata,
// overviews and per-band checksums equal to those of the same pixels written by gdal_translate.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DType,
  type EncodeGeoTiffOptions,
  type GeoTransform,
  openGeoTiff,
  readRaster,
} from '../../src/index.js';
import { createCogWriter, writeGeoTiff } from '../../src/node.js';
import { bandMismatches, compareArrays } from '../support/compare.js';
import { gdalPixels } from '../support/envi.js';
import {
  GDAL_TYPE,
  type GdalInfo,
  gdaladdo,
  gdalChecksums,
  gdalinfoJson,
  gdalTranslate,
  HAS_GDAL,
  PYTHON_GDAL,
  validateCog,
} from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const NODATA: Record<DType, number> = {
  uint8: 255,
  uint16: 0,
  int16: -9999,
  uint32: 0,
  int32: -1,
  float32: -3.5,
  float64: Number.NaN,
};
const W = 301; // not a multiple of the tile size: edge tiles and short strips are exercised
const H = 203;
const tmp = useTmpDir();

const LAYOUTS: Record<string, EncodeGeoTiffOptions> = {
  strips: {},
  'strips-deflate': { compression: 'deflate' },
  'strips-deflate-pred': { compression: 'deflate', predictor: true, rowsPerStrip: 16 },
  tiles256: { tiled: true },
  'tiles256-deflate-pred': { tiled: true, tileSize: 256, compression: 'deflate', predictor: true },
  'tiles512-deflate': { tiled: true, tileSize: 512, compression: 'deflate' },
  'pixel-strips-deflate-pred': {
    interleave: 'pixel',
    compression: 'deflate',
    predictor: true,
    rowsPerStrip: 16,
  },
  'pixel-tiles256-deflate-pred': {
    interleave: 'pixel',
    tiled: true,
    compression: 'deflate',
    predictor: true,
  },
};

// A GDAL-written copy of the same pixels is the checksum reference.
const referenceCache = new Map<string, number[]>();
async function referenceChecksums(dtype: DType, bands: number, epsg: number): Promise<number[]> {
  const key = `${dtype}-${bands}-${epsg}`;
  const hit = referenceCache.get(key);
  if (hit) return hit;
  const ours = join(tmp(), `ref-ours-${key}.tif`);
  const theirs = join(tmp(), `ref-gdal-${key}.tif`);
  await writeGeoTiff(ours, raster(dtype, bands, epsg));
  gdalTranslate(['-co', 'COMPRESS=NONE', ours, theirs]);
  const sums = gdalChecksums(theirs);
  referenceCache.set(key, sums);
  return sums;
}

function raster(dtype: DType, bands: number, epsg: number) {
  const r = syntheticRaster(dtype, W, H, bands, 7);
  r.noData = NODATA[dtype];
  r.geo =
    epsg === 4326
      ? { epsg, transform: [12.25, 0.0001, 0, 45.5, 0, -0.0001] }
      : { epsg, transform: [399960, 10, 0, 5000040, 0, -10] };
  return r;
}

function expectGdalMetadata(
  path: string,
  dtype: DType,
  bands: number,
  epsg: number,
  overviews: number,
): GdalInfo {
  const info = gdalinfoJson(path, ['-checksum']);
  const r = raster(dtype, bands, epsg);
  expect(info.size).toEqual([W, H]);
  expect(info.stac?.['proj:epsg']).toBe(epsg);
  expect(info.geoTransform).toEqual(r.geo?.transform);
  expect(info.bands).toHaveLength(bands);
  for (const b of info.bands) {
    expect(b.type).toBe(GDAL_TYPE[dtype]);
    if (Number.isNaN(NODATA[dtype])) expect(b.noDataValue).toBe('NaN');
    else expect(b.noDataValue).toBe(NODATA[dtype]);
    expect(b.overviews?.length ?? 0).toBe(overviews);
  }
  return info;
}

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('writeGeoTiff vs GDAL', () => {
  const cases: [DType, number, string][] = [];
  for (const dtype of ['uint8', 'uint16', 'int16', 'float32'] as DType[]) {
    for (const layout of Object.keys(LAYOUTS))
      if (!layout.startsWith('pixel')) cases.push([dtype, 1, layout]);
    for (const layout of [
      'strips',
      'tiles256-deflate-pred',
      'tiles512-deflate',
      'pixel-strips-deflate-pred',
      'pixel-tiles256-deflate-pred',
    ])
      cases.push([dtype, 4, layout]);
  }
  for (const dtype of ['uint32', 'int32', 'float64'] as DType[])
    cases.push([dtype, 2, 'tiles256-deflate-pred'], [dtype, 2, 'strips']);

  it.each(cases)(
    '%s × %i band(s), %s: gdalinfo metadata + checksums + our read-back',
    async (dtype, bands, layout) => {
      const epsg = dtype === 'uint8' ? 4326 : 32632;
      const r = raster(dtype, bands, epsg);
      const path = join(tmp(), `${dtype}-${bands}-${layout}.tif`);
      await writeGeoTiff(path, r, LAYOUTS[layout]);
      const info = expectGdalMetadata(path, dtype, bands, epsg, 0);
      const opts = LAYOUTS[layout] as EncodeGeoTiffOptions;
      const structure = info.metadata?.IMAGE_STRUCTURE ?? {};
      expect(structure.COMPRESSION).toBe(opts.compression === 'deflate' ? 'DEFLATE' : undefined);
      expect(structure.PREDICTOR).toBe(opts.predictor ? (dtype.startsWith('float') ? '3' : '2') : undefined);
      expect(structure.INTERLEAVE).toBe(
        bands === 1 ? 'BAND' : opts.interleave === 'pixel' ? 'PIXEL' : 'BAND',
      );
      expect(info.bands[0]?.block).toEqual(
        opts.tiled ? [opts.tileSize ?? 256, opts.tileSize ?? 256] : [W, expect.any(Number)],
      );
      expect(info.bands.map((b) => b.checksum)).toEqual(await referenceChecksums(dtype, bands, epsg));
      // Our reader gives back exactly what we wrote.
      const back = await readRaster(await openGeoTiff(readFileSync(path)));
      expect(back.dtype).toBe(dtype);
      expect(bandMismatches(back.bands, r.bands)).toBe(0);
      expect(back.geo).toEqual(r.geo);
      expect(back.noData).toEqual(r.noData);
    },
  );

  // gdaladdo -r nearest builds overviews in cascade, except for several band-interleaved bands, which it samples
  // from full resolution; ours follow the layout they are written in, so the reference has the same layout.
  it.each([
    ['uint8', 3],
    ['uint16', 3],
    ['int16', 3],
    ['float32', 3],
    ['uint16', 1],
  ] as [DType, number][])(
    '%s × %i band(s) COG with overviews: valid COG, overview pixels equal gdaladdo -r nearest',
    async (dtype, nb) => {
      const epsg = 32632;
      const r = raster(dtype, nb, epsg);
      const path = join(tmp(), `cog-${dtype}-${nb}.tif`);
      // the 3-band COGs are pixel-interleaved with a float predictor where it applies (GDAL's COG default layout)
      await writeGeoTiff(path, r, {
        cog: true,
        tileSize: 256,
        compression: 'deflate',
        predictor: true,
        overviews: [2, 4],
        overviewResampling: 'nearest',
        interleave: nb > 1 && dtype !== 'int16' ? 'pixel' : 'band',
      });
      const info = expectGdalMetadata(path, dtype, nb, epsg, 2);
      expect(info.metadata?.IMAGE_STRUCTURE?.LAYOUT).toBe('COG');
      expect(info.bands[0]?.overviews?.map((o) => o.size)).toEqual([
        [151, 102],
        [76, 51],
      ]);
      expect(info.bands.map((b) => b.checksum)).toEqual(await referenceChecksums(dtype, nb, epsg));
      if (requireTool('python3-gdal', PYTHON_GDAL !== undefined)) {
        // GDAL's own COG validator (python3-gdal).
        const v = validateCog(path);
        expect(v.output).toContain('is a valid cloud optimized GeoTIFF');
        expect(v.ok).toBe(true);
      }
      // Overviews: same pixels as gdaladdo -r nearest computes on an uncompressed copy.
      const plain = join(tmp(), `cog-${dtype}-${nb}-plain.tif`);
      await writeGeoTiff(plain, r, { interleave: nb > 1 && dtype !== 'int16' ? 'pixel' : 'band' });
      gdaladdo(['-r', 'nearest', plain, '2', '4']);
      for (const [ovr, [w, h]] of [
        [0, [151, 102]],
        [1, [76, 51]],
      ] as const) {
        const ours = gdalPixels(path, join(tmp(), `o-${dtype}-${nb}-${ovr}.envi`), dtype, w, h, [
          '-ovr',
          String(ovr),
        ]);
        const theirs = gdalPixels(plain, join(tmp(), `t-${dtype}-${nb}-${ovr}.envi`), dtype, w, h, [
          '-ovr',
          String(ovr),
        ]);
        expect(bandMismatches(ours, theirs)).toBe(0);
      }
    },
  );

  // GDAL weights partial pixels when the ratio is not an integer (301/151); we follow its summation order and
  // float32 work type, so the pixels are identical (test/write/overviews-gdaladdo.gdal.test.ts covers the rest).
  it.each([
    ['uint16', 0],
    ['int16', 0],
    ['float32', 0],
  ] as const)('%s average overviews match gdaladdo -r average (tolerance %d)', async (dtype, tol) => {
    const r = syntheticRaster(dtype, W, H, 2, 3);
    const ours = join(tmp(), `avg-ours-${dtype}.tif`);
    const plain = join(tmp(), `avg-plain-${dtype}.tif`);
    await writeGeoTiff(ours, r, { tiled: true, overviews: [2, 4], overviewResampling: 'average' });
    await writeGeoTiff(plain, r);
    gdaladdo(['-r', 'average', plain, '2', '4']);
    for (const [ovr, w, h] of [
      [0, 151, 102],
      [1, 76, 51],
    ] as const) {
      const a = gdalPixels(ours, join(tmp(), `ao-${dtype}-${ovr}.envi`), dtype, w, h, ['-ovr', String(ovr)]);
      const b = gdalPixels(plain, join(tmp(), `at-${dtype}-${ovr}.envi`), dtype, w, h, ['-ovr', String(ovr)]);
      for (let band = 0; band < 2; band++) {
        const c = compareArrays(a[band] as ArrayLike<number>, b[band] as ArrayLike<number>);
        expect(c.maxDiff, c.first.join('; ')).toBeLessThanOrEqual(tol);
        expect(c.mismatches).toBe(0);
      }
    }
  });

  // libtiff undoes a predictor only inside a codec, so GDAL reads an uncompressed file's samples as stored:
  // `predictor: true` writes none there, and an explicit 2 or 3 is refused (it used to write differences).
  it.each([
    ['writeGeoTiff', 'int16'],
    ['writeGeoTiff', 'float32'],
    ['createCogWriter', 'uint16'],
    ['createCogWriter', 'float64'],
  ] as [string, DType][])(
    "%s %s, compression 'none' + predictor: true: GDAL reads the pixels as written",
    async (writer, dtype) => {
      const r = syntheticRaster(dtype, 257, 70, 2, 5);
      const path = join(tmp(), `none-pred-${writer}-${dtype}.tif`);
      if (writer === 'writeGeoTiff')
        await writeGeoTiff(path, r, { compression: 'none', predictor: true, tiled: dtype === 'float32' });
      else {
        const w = await createCogWriter(path, {
          ...{ width: r.width, height: r.height, bands: 2, dtype },
          ...{ compression: 'none', predictor: true, tileSize: 256, overviews: [2] },
        });
        await w.writeRows(0, r.bands);
        await w.close();
      }
      expect(gdalinfoJson(path).metadata?.IMAGE_STRUCTURE?.PREDICTOR).toBeUndefined();
      const pixels = gdalPixels(
        path,
        join(tmp(), `none-pred-${writer}-${dtype}.envi`),
        dtype,
        r.width,
        r.height,
      );
      expect(bandMismatches(pixels, r.bands)).toBe(0);
    },
  );

  it.each([2, 3] as const)(
    "an explicit predictor %i with compression 'none' is INVALID_ARGUMENT",
    async (p) => {
      const r = syntheticRaster('float32', 20, 10, 1);
      const path = join(tmp(), `none-pred-${p}.tif`);
      const message = new RegExp(`predictor ${p} needs compression 'deflate' or 'zstd'`);
      await expect(writeGeoTiff(path, r, { predictor: p })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message,
      });
      const w = createCogWriter(path, {
        width: 20,
        height: 10,
        bands: 1,
        dtype: 'float32',
        compression: 'none',
        predictor: p,
      });
      await expect(w).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    },
  );

  it('rotated transform is written as ModelTransformation; no geo means no CRS', async () => {
    const r = syntheticRaster('uint8', 40, 30, 1);
    r.geo = { epsg: 32633, transform: [500000, 10, 2, 4600000, 1, -10] };
    const path = join(tmp(), 'rot.tif');
    await writeGeoTiff(path, r);
    expect(gdalinfoJson(path).geoTransform).toEqual([500000, 10, 2, 4600000, 1, -10]);
    const bare = join(tmp(), 'bare.tif');
    await writeGeoTiff(bare, syntheticRaster('uint8', 40, 30, 1));
    const info = gdalinfoJson(bare);
    expect(info.geoTransform).toBeUndefined();
    expect(info.stac?.['proj:epsg']).toBeUndefined();
  });

  it.runIf(PYTHON_GDAL !== undefined)(
    'noData -0 is written as GDAL writes it ("-0"), and GDAL reads -0 back',
    async () => {
      // String(-0) is "0": the sign was lost
      const script =
        'import sys, math\nfrom osgeo import gdal\n' +
        "src = gdal.Open(sys.argv[1]); gdal.GetDriverByName('GTiff').CreateCopy(sys.argv[2], src)\n" +
        'for p in sys.argv[1:]:\n' +
        '  ds = gdal.Open(p)\n' +
        '  print(math.copysign(1, ds.GetRasterBand(1).GetNoDataValue()))\n';
      for (const dtype of ['float32', 'int16'] as const) {
        const ours = join(tmp(), `nodata-minus-zero-${dtype}.tif`);
        await writeGeoTiff(ours, { ...syntheticRaster(dtype, 8, 8, 1), noData: -0 });
        const gdalCopy = join(tmp(), `nodata-minus-zero-${dtype}-gdal.tif`);
        const r = spawnSync(PYTHON_GDAL as string, ['-c', script, ours, gdalCopy], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim().split('\n')).toEqual(['-1.0', '-1.0']); // ours, then GDAL's own copy
        expect(gdalinfoJson(ours).bands[0]?.noDataValue).toBe(gdalinfoJson(gdalCopy).bands[0]?.noDataValue);
        expect(Object.is((await openGeoTiff(new Uint8Array(readFileSync(ours)))).levels[0]?.noData, -0)).toBe(
          true,
        );
      }
    },
  );

  it.runIf(PYTHON_GDAL !== undefined)(
    'pixel-interleaved float32 keeps NaN payloads bit for bit, as band-interleaved does',
    async () => {
      // samples were copied through JS numbers (float32 → float64 → float32), which sets a signalling NaN's quiet bit
      const payloads = [0x7f800001, 0xff800123, 0x7fa00000, 0x7fc00001, 0x3f800000];
      const n = 40 * 30;
      const bands = [0, 1].map((k) => {
        const bits = Uint32Array.from({ length: n }, (_, i) => payloads[(i + k) % payloads.length] as number);
        return new Float32Array(bits.buffer);
      });
      const raster = { width: 40, height: 30, dtype: 'float32' as const, bands };
      const files: [string, () => Promise<unknown>][] = [];
      for (const [label, options] of [
        ['strips', { interleave: 'pixel', compression: 'deflate', predictor: true }],
        ['tiles', { interleave: 'pixel', tiled: true }],
      ] as const) {
        const path = join(tmp(), `nan-bits-${label}.tif`);
        files.push([path, () => writeGeoTiff(path, raster, options)]);
      }
      const cog = join(tmp(), 'nan-bits-cog.tif');
      files.push([
        cog,
        async () => {
          const w = await createCogWriter(cog, {
            width: 40,
            height: 30,
            bands: 2,
            dtype: 'float32',
            interleave: 'pixel',
          });
          await w.writeRows(0, bands);
          await w.close();
        },
      ]);
      const script =
        'import sys, hashlib\nfrom osgeo import gdal\n' +
        'for p in sys.argv[1:]:\n' +
        '  ds = gdal.Open(p)\n' +
        '  print(ds.GetMetadataItem("INTERLEAVE", "IMAGE_STRUCTURE"), hashlib.md5(ds.ReadRaster(band_list=[1, 2])).hexdigest())\n';
      for (const [, write] of files) await write();
      const r = spawnSync(PYTHON_GDAL as string, ['-c', script, ...files.map(([p]) => p)], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const want = createHash('md5')
        .update(new Uint8Array(bands[0]?.buffer as ArrayBuffer))
        .update(new Uint8Array(bands[1]?.buffer as ArrayBuffer))
        .digest('hex');
      expect(r.stdout.trim().split('\n')).toEqual(files.map(() => `PIXEL ${want}`));
    },
  );

  it('south-up (positive pixel height) reads back south-up in GDAL and here, from both writers', async () => {
    // was written as ModelPixelScale with a negative Y scale, which GDAL and our reader take for north-up
    const r = syntheticRaster('uint16', 40, 30, 1);
    const cases: [string, number[]][] = [
      ['south-up', [500000, 10, 0, 4600000, 0, 10]],
      ['south-up east-left', [500000, -10, 0, 4600000, 0, 10]],
      ['north-up', [500000, 10, 0, 4600000, 0, -10]],
    ];
    for (const [label, transform] of cases) {
      r.geo = { epsg: 32633, transform: transform as GeoTransform };
      const plain = join(tmp(), `${label}.tif`);
      await writeGeoTiff(plain, r, { compression: 'deflate' });
      const cog = join(tmp(), `${label}-cog.tif`);
      const w = await createCogWriter(cog, { width: 40, height: 30, bands: 1, dtype: 'uint16', geo: r.geo });
      await w.writeRows(0, r.bands);
      await w.close();
      for (const path of [plain, cog]) {
        expect(gdalinfoJson(path).geoTransform, `${label} ${path}`).toEqual(transform);
        const back = await openGeoTiff(new Uint8Array(readFileSync(path)));
        expect(back.levels[0]?.geo?.transform, `${label} ${path}`).toEqual(transform);
        expect(back.levels[0]?.geo?.epsg).toBe(32633);
      }
    }
  });
});
