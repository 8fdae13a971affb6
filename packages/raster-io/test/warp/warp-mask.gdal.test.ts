// warpGeoTiff uses a file's internal mask and alpha band as gdalwarp does by default: masked pixels are neither
// data nor blended into their neighbours, and an alpha band comes out as the output's alpha. Files are written by
// GDAL (python3-gdal), references by gdalwarp -et 0; every band is compared pixel for pixel.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Raster, type RasterArray, type TargetGrid, warpGeoTiff } from '../../src/index.js';
import { openGeoTiffFile, readGeoTiffFile } from '../../src/node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-warp-mask-');

/** Run GDAL Python `code` (gdal, osr and numpy as np imported) with `args` as sys.argv[1:]. */
function gdalPython(code: string, ...args: string[]): void {
  const py = `import sys\nfrom osgeo import gdal, osr\nimport numpy as np\ngdal.UseExceptions()\n${code}`;
  const r = spawnSync(PYTHON_GDAL as string, ['-c', py, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`GDAL python: status ${r.status} ${r.signal ?? ''} ${r.stderr}`);
}

/** gdalwarp -et 0 into UTM 34N at `res` m (plus `extra` arguments); the output path. */
function gdalwarp(src: string, method: string, res: number, name: string, extra: string[] = []): string {
  const out = join(tmp(), `${name}.tif`);
  const args = [
    '-q',
    '-overwrite',
    '-et',
    '0',
    '-r',
    method,
    '-t_srs',
    'EPSG:32634',
    '-tr',
    `${res}`,
    `${res}`,
  ];
  const r = spawnSync('gdalwarp', [...args, ...extra, src, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gdalwarp failed: ${r.stderr}`);
  return out;
}

/** Warps `src` with warpGeoTiff onto the grid of gdalwarp's `ref`; both rasters. */
async function warpLike(src: string, ref: string, method: 'nearest' | 'bilinear' | 'cubic', noData?: number) {
  const gdal = await readGeoTiffFile(ref);
  const geo = gdal.geo as NonNullable<Raster['geo']>;
  const grid: TargetGrid = {
    epsg: geo.epsg,
    transform: geo.transform,
    width: gdal.width,
    height: gdal.height,
  };
  const tiff = await openGeoTiffFile(src);
  try {
    const ours = await warpGeoTiff(tiff, grid, { method, ...(noData === undefined ? {} : { noData }) });
    return { ours, gdal };
  } finally {
    await tiff.close();
  }
}

/** Pixels that differ, all bands together. */
function differing(a: readonly RasterArray[], b: readonly RasterArray[]): number {
  let n = 0;
  a.forEach((band, k) => {
    const other = b[k] as RasterArray;
    for (let i = 0; i < band.length; i++) if (band[i] !== other[i]) n++;
  });
  return n;
}

/** How many pixels of a band hold `v`. */
function count(band: RasterArray, v: number): number {
  let n = 0;
  for (let i = 0; i < band.length; i++) if (band[i] === v) n++;
  return n;
}

/** The source georeferencing every file here gets: UTM 33N, 10 m. */
const GEO = `
ds.SetGeoTransform((500000, 10, 0, 5800000, 0, -10))
s = osr.SpatialReference(); s.ImportFromEPSG(32633); ds.SetProjection(s.ExportToWkt())`;

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'warpGeoTiff with masks and alpha vs gdalwarp -et 0',
  () => {
    // A uint16 image with a ramp, and a 100×100 block of 60000 that the internal mask hides: before, the block was
    // warped as data (9835 pixels of it, and 403 blended into its rim).
    function maskedFile(name: string, noData: number | null, noDataPixels = false): string {
      const path = join(tmp(), `${name}.tif`);
      gdalPython(
        `gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 200, 200, 1, gdal.GDT_UInt16, ['COMPRESS=DEFLATE', 'TILED=YES'])
${GEO}
y, x = np.mgrid[0:200, 0:200]
a = (1000 + 7 * x + 3 * y).astype(np.uint16); a[50:150, 50:150] = 60000
ds.GetRasterBand(1).WriteArray(a)
if sys.argv[2] != 'none': ds.GetRasterBand(1).SetNoDataValue(float(sys.argv[2]))
if sys.argv[3] == 'yes': a[0:3, 0:3] = int(sys.argv[2]); ds.GetRasterBand(1).WriteArray(a)
ds.CreateMaskBand(gdal.GMF_PER_DATASET)
m = np.full((200, 200), 255, np.uint8); m[50:150, 50:150] = 0; m[10:20, 180:195] = 0
ds.GetRasterBand(1).GetMaskBand().WriteArray(m)
ds = None`,
        path,
        noData === null ? 'none' : `${noData}`,
        noDataPixels ? 'yes' : 'no',
      );
      return path;
    }

    it.each([
      ['nearest', 'near', 10],
      ['bilinear', 'bilinear', 10],
      ['cubic', 'cubic', 10],
      ['bilinear', 'bilinear', 25], // coarser: the stretched kernel leaves masked taps out
      ['cubic', 'cubic', 25],
    ] as const)(
      'an internal mask, %s (gdalwarp -r %s) at %i m: masked pixels are not data; gdalwarp pixels',
      async (method, r, res) => {
        const src = maskedFile('masked', null);
        const ref = gdalwarp(src, r, res, `masked-${method}-${res}`, ['-dstnodata', '0']);
        const { ours, gdal } = await warpLike(src, ref, method, 0);
        expect(differing(ours.bands, gdal.bands)).toBe(0);
        const band = ours.bands[0] as Uint16Array;
        expect(count(band, 60000)).toBe(0); // the hidden block never shows
        expect(count(band, 0)).toBeGreaterThan(res === 10 ? 10_000 : 1_500); // the block and the corners are no-data
      },
    );

    // gdalwarp builds its no-data mask from the pixels it reads and, where none equals the no-data value, drops it
    // and uses the internal mask instead
    it.each([
      [true, 'left aside'],
      [false, 'used'],
    ])(
      'a no-data value and pixels equal to it (%s): the internal mask is %s, as gdalwarp does',
      async (present) => {
        const src = maskedFile(`masked-nd-${present}`, 7, present);
        const ref = gdalwarp(src, 'bilinear', 10, `masked-nd-${present}-bilinear`);
        const { ours, gdal } = await warpLike(src, ref, 'bilinear');
        expect(differing(ours.bands, gdal.bands)).toBe(0);
        const shown = count(ours.bands[0] as Uint16Array, 60000);
        if (present) expect(shown).toBeGreaterThan(9000);
        else expect(shown).toBe(0);
      },
    );

    // An RGBA file (ExtraSamples: unassociated alpha) with a transparent block of 7s and, in the second case, a
    // ramp of partial alpha: gdalwarp takes pixels of alpha 0 as invalid and writes the output's alpha as the alpha
    // under each pixel centre that got a value, 0 elsewhere. Before, the alpha band was resampled as data and the
    // 7s were warped (9841 pixels) and blended into their rim.
    function rgbaFile(name: string, partial: boolean): string {
      const path = join(tmp(), `${name}.tif`);
      gdalPython(
        `ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 200, 200, 4, gdal.GDT_Byte, ['PHOTOMETRIC=RGB', 'ALPHA=YES'])
${GEO}
y, x = np.mgrid[0:200, 0:200]
for i in range(3):
    a = ((x * (i + 1) + y) % 200 + 20).astype(np.uint8); a[50:150, 50:150] = 7; ds.GetRasterBand(i + 1).WriteArray(a)
al = np.full((200, 200), 255, np.uint8); al[50:150, 50:150] = 0
if sys.argv[2] == 'partial': al[160:200, :] = (x[160:200, :] + 1).astype(np.uint8)
ds.GetRasterBand(4).WriteArray(al)
ds = None`,
        path,
        partial ? 'partial' : 'binary',
      );
      return path;
    }

    it.each([
      ['nearest', 'near', 10, true],
      ['bilinear', 'bilinear', 10, true],
      ['cubic', 'cubic', 10, false],
      ['bilinear', 'bilinear', 25, true],
    ] as const)(
      'an RGBA file, %s (gdalwarp -r %s) at %i m, partial alpha %s: all 4 bands as gdalwarp',
      async (method, r, res, partial) => {
        const src = rgbaFile(`rgba-${partial}`, partial);
        const ref = gdalwarp(src, r, res, `rgba-${method}-${res}-${partial}`);
        const { ours, gdal } = await warpLike(src, ref, method);
        expect(gdal.bands).toHaveLength(4);
        expect(ours.bands).toHaveLength(4);
        expect(differing(ours.bands, gdal.bands)).toBe(0);
        // the transparent 7s do not show (cubic's overshoot makes a few 7s from the data next to them)
        expect(count(ours.bands[0] as Uint8Array, 7)).toBeLessThan(50);
        const alpha = ours.bands[3] as Uint8Array;
        const between = alpha.length - count(alpha, 0) - count(alpha, 255);
        if (partial) expect(between).toBeGreaterThan(1000);
        else expect(between).toBe(0);
      },
    );

    it('an RGBA file with its alpha band left out of `bands`: the alpha still masks, the output has 3 bands', async () => {
      const src = rgbaFile('rgba-binary', false);
      // (gdalwarp 3.6 has no -b: its RGB bands are the same with or without the alpha written)
      const ref = gdalwarp(src, 'bilinear', 10, 'rgba-b123');
      const gdal = await readGeoTiffFile(ref);
      const geo = gdal.geo as NonNullable<Raster['geo']>;
      const grid: TargetGrid = {
        epsg: geo.epsg,
        transform: geo.transform,
        width: gdal.width,
        height: gdal.height,
      };
      const tiff = await openGeoTiffFile(src);
      const ours = await warpGeoTiff(tiff, grid, { method: 'bilinear', bands: [0, 1, 2] });
      await tiff.close();
      expect(ours.bands).toHaveLength(3);
      expect(differing(ours.bands, gdal.bands.slice(0, 3))).toBe(0);
      expect(count(ours.bands[0] as Uint8Array, 7)).toBe(0);
    });
  },
);
