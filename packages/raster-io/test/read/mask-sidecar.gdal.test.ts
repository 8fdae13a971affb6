// GDAL's `.msk` mask sidecar (`scene.tif.msk`): what `gdal_translate -mask` and CreateMaskBand write when masks are
// not internal (GDAL 3.6's default). openGeoTiffFile pairs it as GDAL does and readMask returns GDAL's mask band.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGeoTiff, readMask } from '../../src/index.js';
import { openGeoTiffFile } from '../../src/node.js';
import { GDAL_LEVELS_SCRIPT, type GdalLevels, gdalPythonJson, PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-msk-');

const gdal = gdalPythonJson;

/** Makes the test files (GDAL_TIFF_INTERNAL_MASK=NO: masks go to .msk). */
const MAKE = `
import sys, json
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'NO')
src, d = sys.argv[1], sys.argv[2]
# gdal_translate -mask 1: band 1's values become the per-dataset mask
gdal.Translate(d + '/copied.tif', src, options='-ot Byte -scale -mask 1')
# a per-dataset 0/255 mask written through CreateMaskBand, with overviews in the file and in the .msk
ds = gdal.Translate(d + '/dataset.tif', src, options='-ot Byte -scale')
ds.CreateMaskBand(gdal.GMF_PER_DATASET)
m = (np.indices((ds.RasterYSize, ds.RasterXSize)).sum(axis=0) % 3 != 0).astype('uint8') * 255
ds.GetRasterBand(1).GetMaskBand().WriteArray(m)
ds = None
ds = gdal.Open(d + '/dataset.tif', gdal.GA_Update); ds.BuildOverviews('NEAREST', [2, 4]); ds = None
ds = gdal.Open(d + '/dataset.tif.msk', gdal.GA_Update); ds.BuildOverviews('NEAREST', [2, 4]); ds = None
# one mask per band
ds = gdal.Translate(d + '/per-band.tif', src, options='-ot Byte -scale -b 1 -b 1')
for b in (1, 2):
    band = ds.GetRasterBand(b)
    band.CreateMaskBand(0)
    band.GetMaskBand().WriteArray(((np.indices((ds.RasterYSize, ds.RasterXSize))[b - 1] % (b + 1)) != 0).astype('uint8') * 255)
ds = None
print(json.dumps(True))
`;

const base64 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('.msk mask sidecars', () => {
  const made = (() => {
    let done = false;
    return () => {
      if (done) return;
      const r = syntheticRaster('uint8', 37, 23, 1, 3);
      r.geo = { epsg: 32633, transform: [500_000, 10, 0, 5_000_000, 0, -10] };
      writeFileSync(join(tmp(), 'src.tif'), encodeGeoTiff(r, { compression: 'none' }));
      gdal(MAKE, [join(tmp(), 'src.tif'), tmp()]);
      done = true;
    };
  })();

  it("readMask returns GDAL's mask band at every level GDAL takes from the sidecar (per dataset, flag 2)", async () => {
    made();
    const paths = ['copied.tif', 'dataset.tif'].map((f) => join(tmp(), f));
    const want = gdal<GdalLevels>(GDAL_LEVELS_SCRIPT, paths);
    for (const path of paths) {
      const tiff = await openGeoTiffFile(path);
      try {
        const levels = want[path]?.[0] ?? [];
        expect(tiff.levels.length).toBe(levels.length);
        for (const [k, level] of levels.entries()) {
          expect([path, k, level.maskFlags]).toEqual([path, k, 2]);
          expect(tiff.levels[k]?.mask).toMatchObject({ file: `${path}.msk` });
          const m = await readMask(tiff, { level: k });
          expect([path, k, m && base64(m.mask)]).toEqual([path, k, level.mask]);
        }
      } finally {
        await tiff.close();
      }
    }
    // `-mask 1` copies band 1's values: the mask is GDAL's bytes as stored, not 0/255 (it was null before)
    const copied = await openGeoTiffFile(paths[0] as string);
    const m = await readMask(copied, { window: { x: 3, y: 2, width: 5, height: 4 }, threads: 2 });
    const whole = await readMask(copied);
    expect(new Set(Array.from(whole?.mask ?? [])).size).toBeGreaterThan(2);
    expect(Array.from(m?.mask ?? [])).toEqual(
      Array.from({ length: 20 }, (_, i) => whole?.mask[(2 + Math.floor(i / 5)) * 37 + 3 + (i % 5)]),
    );
    expect(m?.geo).toEqual({ epsg: 32633, transform: [500_030, 10, 0, 4_999_980, 0, -10] });
    await copied.close();
  });

  it('a sidecar with one mask per band gives each band its own (flag 0)', async () => {
    made();
    const path = join(tmp(), 'per-band.tif');
    const want = gdal<GdalLevels>(GDAL_LEVELS_SCRIPT, [path])[path] ?? [];
    const tiff = await openGeoTiffFile(path);
    try {
      expect(tiff.levels[0]?.mask).toEqual({ ifd: 0, file: `${path}.msk`, perBand: true });
      for (const band of [0, 1]) {
        expect(want[band]?.[0]?.maskFlags).toBe(0);
        const m = await readMask(tiff, { band });
        expect([band, m && base64(m.mask)]).toEqual([band, want[band]?.[0]?.mask]);
      }
      expect(base64((await readMask(tiff, { band: 0 }))?.mask as Uint8Array)).not.toBe(
        base64((await readMask(tiff, { band: 1 }))?.mask as Uint8Array),
      );
      await expect(readMask(tiff, { band: 2 })).rejects.toMatchObject({ code: 'BAND_OUT_OF_RANGE' });
    } finally {
      await tiff.close();
    }
  });

  it('no mask where GDAL has none: a sidecar without INTERNAL_MASK_FLAGS; one of another size is refused', async () => {
    made();
    // a .msk without the flags metadata: GDAL takes no mask from it
    const bare = join(tmp(), 'bare.tif');
    copyFileSync(join(tmp(), 'copied.tif'), bare);
    const r = syntheticRaster('uint8', 37, 23, 1, 5);
    writeFileSync(`${bare}.msk`, encodeGeoTiff(r, { compression: 'none' }));
    expect(gdal<GdalLevels>(GDAL_LEVELS_SCRIPT, [bare])[bare]?.[0]?.[0]?.maskFlags).not.toBe(2);
    const tiff = await openGeoTiffFile(bare);
    expect(tiff.levels[0]?.mask).toBeUndefined();
    expect(await readMask(tiff)).toBeNull();
    await tiff.close();
    // a sidecar that is no mask of this image
    const other = join(tmp(), 'other.tif');
    copyFileSync(join(tmp(), 'copied.tif'), other);
    writeFileSync(
      `${other}.msk`,
      encodeGeoTiff(syntheticRaster('uint8', 5, 5, 1, 5), { compression: 'none' }),
    );
    await expect(openGeoTiffFile(other)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: `${other}.msk: GDAL mask sidecar is 5x5 uint8, the image 37x23 (a mask is 8-bit, of the image's size)`,
    });
  });
});
