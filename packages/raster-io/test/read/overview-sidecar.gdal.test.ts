// GDAL's external overviews (`scene.tif.ovr`): what `gdaladdo -ro`, QGIS's default pyramids and a BuildOverviews
// on a file opened read-only write. openGeoTiffFile lists them after the full image when the file has no internal
// overviews, as GDAL does, and every read of them (pixels, windows, bands, threads, masks) gives GDAL's.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMask, readRaster } from '../../src/index.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { openGeoTiffFile, readGeoTiffFile } from '../../src/node.js';
import {
  GDAL_LEVELS_SCRIPT,
  type GdalLevel,
  type GdalLevels,
  gdalPythonJson,
  PYTHON_GDAL,
} from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-ovr-');

const gdal = gdalPythonJson;

/** The test files: each base written by GDAL, its overviews built on the file opened read-only (→ `.ovr`). */
const MAKE = `
import sys, json, shutil
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
d = sys.argv[1]
def make(name, bands=3, dtype=gdal.GDT_UInt16, w=301, h=203, nodata=None, co=('TILED=YES', 'COMPRESS=DEFLATE')):
    ds = gdal.GetDriverByName('GTiff').Create(d + '/' + name, w, h, bands, dtype, list(co))
    ds.SetGeoTransform([500000, 10, 0, 5000000, 0, -10])
    srs = osr.SpatialReference(); srs.ImportFromEPSG(32633); ds.SetProjection(srs.ExportToWkt())
    yy, xx = np.indices((h, w))
    for b in range(bands):
        ds.GetRasterBand(b + 1).WriteArray(((xx * 7 + yy * 13 * (b + 1) + (xx * yy) % 11) % 4000).astype('float64'))
        if nodata is not None: ds.GetRasterBand(b + 1).SetNoDataValue(nodata)
    return ds
def external(name, factors=(2, 4, 8), method='AVERAGE'):
    ds = gdal.Open(d + '/' + name)  # read-only: the overviews go to name.ovr
    ds.BuildOverviews(method, list(factors)); ds = None
make('plain.tif'); external('plain.tif')
# compressed, tiled overviews with a predictor, as people ask gdaladdo for them
gdal.SetConfigOption('COMPRESS_OVERVIEW', 'DEFLATE'); gdal.SetConfigOption('PREDICTOR_OVERVIEW', '2')
make('deflate.tif', co=('COMPRESS=LZW',)); external('deflate.tif', (3, 9), 'NEAREST')
gdal.SetConfigOption('COMPRESS_OVERVIEW', None); gdal.SetConfigOption('PREDICTOR_OVERVIEW', None)
make('nodata.tif', nodata=7); external('nodata.tif', (2,))
# a file with internal overviews beside a .ovr: GDAL reads the internal ones only
ds = make('both.tif'); ds.BuildOverviews('NEAREST', [2]); ds = None
shutil.copy(d + '/plain.tif.ovr', d + '/both.tif.ovr')
# the sidecar's own nodata and type, whatever the base's
make('nodata-elsewhere.tif', nodata=7); shutil.copy(d + '/plain.tif.ovr', d + '/nodata-elsewhere.tif.ovr')
make('float.tif', dtype=gdal.GDT_Float32); shutil.copy(d + '/plain.tif.ovr', d + '/float.tif.ovr')
# the upper-case name GDAL also tries; a mixed-case one it does not
make('upper.tif'); shutil.copy(d + '/plain.tif.ovr', d + '/upper.tif.OVR')
make('mixed.tif'); shutil.copy(d + '/plain.tif.ovr', d + '/mixed.tif.Ovr')
# a .msk mask: its overviews go to its own .msk.ovr
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'NO')
ds = make('masked.tif'); ds.CreateMaskBand(gdal.GMF_PER_DATASET)
m = np.full((203, 301), 255, np.uint8); m[:50, :100] = 0; m[120:, 200:] = 0
ds.GetRasterBand(1).GetMaskBand().WriteArray(m); ds = None
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', None)
external('masked.tif', (2, 4), 'NEAREST')
# an internal mask: the .ovr holds no mask overviews, so GDAL's overview masks are all valid
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
ds = make('inner-mask.tif'); ds.CreateMaskBand(gdal.GMF_PER_DATASET)
ds.GetRasterBand(1).GetMaskBand().WriteArray(m); ds = None
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', None)
external('inner-mask.tif', (2,), 'NEAREST')
print(json.dumps(True))
`;

const TYPES: Record<string, string> = { UInt16: 'uint16', Float32: 'float32', Byte: 'uint8' };
const GMF_ALL_VALID = 1;
const base64 = (b: ArrayBufferView): string => Buffer.from(bytesOf(b as never)).toString('base64');

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('.ovr overview sidecars', () => {
  const made = (() => {
    let done = false;
    return () => {
      if (!done) gdal(MAKE, [tmp()]);
      done = true;
    };
  })();
  const at = (name: string) => join(tmp(), name);

  /** Every level and band of `name` read whole equals GDAL's, with its size, type and nodata. */
  async function expectGdalLevels(name: string, levels: number): Promise<GdalLevel[][]> {
    const path = at(name);
    const want = gdal<GdalLevels>(GDAL_LEVELS_SCRIPT, [path])[path] ?? [];
    const tiff = await openGeoTiffFile(path);
    try {
      expect([name, tiff.levels.length]).toEqual([name, levels]);
      expect(want[0]?.length).toBe(levels);
      for (const [k, level] of tiff.levels.entries()) {
        const ref = want[0]?.[k] as GdalLevel;
        expect([name, k, level.width, level.height, level.dtype, level.noData]).toEqual([
          name,
          k,
          ...ref.size,
          TYPES[ref.type],
          ref.nodata,
        ]);
        const r = await readRaster(tiff, { level: k });
        for (const [b, band] of r.bands.entries()) {
          expect([name, k, b, base64(band)]).toEqual([name, k, b, want[b]?.[k]?.data]);
        }
      }
      return want;
    } finally {
      await tiff.close();
    }
  }

  it("lists the .ovr's levels after the full image and reads GDAL's pixels, sizes, types and nodata", async () => {
    made();
    await expectGdalLevels('plain.tif', 4);
    await expectGdalLevels('deflate.tif', 3);
    await expectGdalLevels('nodata.tif', 2);
    const tiff = await openGeoTiffFile(at('plain.tif'));
    try {
      expect(tiff.levels.map((l) => [l.width, l.height, l.file])).toEqual([
        [301, 203, undefined],
        [151, 102, at('plain.tif.ovr')],
        [76, 51, at('plain.tif.ovr')],
        [38, 26, at('plain.tif.ovr')],
      ]);
      // georeferenced over the full image's extent, as internal overviews are
      expect(tiff.levels[1]?.geo).toEqual({
        epsg: 32633,
        transform: [500_000, (10 * 301) / 151, 0, 5_000_000, 0, (-10 * 203) / 102],
      });
    } finally {
      await tiff.close();
    }
  });

  it('windows, band subsets, threads 2 and syncIo read the same pixels from the sidecar', async () => {
    made();
    const path = at('deflate.tif');
    const tiff = await openGeoTiffFile(path);
    try {
      const whole = await readRaster(tiff, { level: 1 });
      const window = { x: 13, y: 7, width: 61, height: 40 };
      for (const options of [{}, { threads: 2 }]) {
        const part = await readRaster(tiff, { level: 1, window, bands: [2, 0], ...options });
        expect(part.bands.length).toBe(2);
        for (const [i, b] of [2, 0].entries()) {
          const src = whole.bands[b] as Uint16Array;
          const want = Array.from({ length: window.width * window.height }, (_, p) => {
            const x = window.x + (p % window.width);
            const y = window.y + Math.floor(p / window.width);
            return src[y * whole.width + x];
          });
          expect(Array.from(part.bands[i] as Uint16Array)).toEqual(want);
        }
        expect(part.geo?.transform[0]).toBeCloseTo(500_000 + 13 * ((10 * 301) / 101), 6);
      }
      const sync = await readGeoTiffFile(path, { level: 2, syncIo: true });
      const async = await readRaster(tiff, { level: 2 });
      expect(sync.bands.map(base64)).toEqual(async.bands.map(base64));
    } finally {
      await tiff.close();
    }
  });

  it('GDAL takes the internal overviews over a .ovr, and .OVR but no other case', async () => {
    made();
    await expectGdalLevels('both.tif', 2);
    const both = await openGeoTiffFile(at('both.tif'));
    expect(both.levels[1]?.file).toBeUndefined();
    await both.close();
    await expectGdalLevels('upper.tif', 4);
    await expectGdalLevels('mixed.tif', 1);
  });

  it("each overview keeps the sidecar's own nodata and type, as GDAL reads them", async () => {
    made();
    const nodata = await expectGdalLevels('nodata-elsewhere.tif', 4);
    expect(nodata[0]?.map((l) => l.nodata)).toEqual([7, null, null, null]);
    const float = await expectGdalLevels('float.tif', 4);
    expect(float[0]?.map((l) => l.type)).toEqual(['Float32', 'UInt16', 'UInt16', 'UInt16']);
  });

  it("masks: a .msk's overviews come from its own .msk.ovr; an internal mask has none in the .ovr", async () => {
    made();
    for (const [name, levels] of [
      ['masked.tif', 3],
      ['inner-mask.tif', 2],
    ] as const) {
      const path = at(name);
      const want = gdal<GdalLevels>(GDAL_LEVELS_SCRIPT, [path])[path]?.[0] ?? [];
      const tiff = await openGeoTiffFile(path);
      try {
        expect([name, tiff.levels.length]).toEqual([name, levels]);
        for (const [k, ref] of want.entries()) {
          const m = await readMask(tiff, { level: k });
          if (ref.maskFlags === GMF_ALL_VALID) expect([name, k, m]).toEqual([name, k, null]);
          else expect([name, k, m && base64(m.mask)]).toEqual([name, k, ref.mask]);
        }
      } finally {
        await tiff.close();
      }
    }
    const masked = await openGeoTiffFile(at('masked.tif'));
    expect(masked.levels.map((l) => l.mask?.file)).toEqual([
      at('masked.tif.msk'),
      at('masked.tif.msk.ovr'),
      at('masked.tif.msk.ovr'),
    ]);
    const window = { x: 20, y: 10, width: 40, height: 30 };
    const part = await readMask(masked, { level: 1, window, threads: 2 });
    const whole = await readMask(masked, { level: 1 });
    expect(Array.from(part?.mask ?? [])).toEqual(
      Array.from({ length: 1200 }, (_, p) => whole?.mask[(10 + Math.floor(p / 40)) * 151 + 20 + (p % 40)]),
    );
    expect(new Set(part?.mask)).toEqual(new Set([0, 255]));
    await masked.close();
  });

  it('a sidecar of another band count adds no levels; close() closes the sidecar too', async () => {
    made();
    // GDAL would give bands 1 and 2 the sidecar's overviews; a level here holds every band, so none is listed
    const path = at('two-bands.tif');
    gdal(
      `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
gdal.Translate(sys.argv[1], sys.argv[2], bandList=[1, 2])
print(json.dumps(True))
`,
      [path, at('plain.tif')],
    );
    copyFileSync(at('plain.tif.ovr'), `${path}.ovr`);
    const tiff = await openGeoTiffFile(path);
    expect(tiff.levels.length).toBe(1);
    await tiff.close();

    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const plain = await openGeoTiffFile(at('plain.tif'));
    expect(fds()).toBe(before + 2);
    await readRaster(plain, { level: 3 });
    await plain.close();
    expect(fds()).toBe(before);
  });

  it('a sidecar that is no TIFF or is cut short is refused naming it; the file reads once it is moved away', async () => {
    made();
    const path = at('broken.tif');
    copyFileSync(at('plain.tif'), path);
    writeFileSync(`${path}.ovr`, 'not a tiff at all');
    await expect(openGeoTiffFile(path)).rejects.toMatchObject({
      code: 'NOT_A_TIFF',
      message: expect.stringMatching(new RegExp(`^${path}\\.ovr: not a TIFF`)),
    });
    writeFileSync(`${path}.ovr`, readFileSync(at('plain.tif.ovr')).subarray(0, 300));
    await expect(openGeoTiffFile(path)).rejects.toMatchObject({
      code: 'TRUNCATED',
      message: expect.stringMatching(new RegExp(`^${path}\\.ovr: `)),
    });
    await expect(readGeoTiffFile(path, { syncIo: true })).rejects.toMatchObject({ code: 'TRUNCATED' });
    copyFileSync(at('plain.tif'), at('moved.tif'));
    expect((await readGeoTiffFile(at('moved.tif'))).width).toBe(301);
  });
});
