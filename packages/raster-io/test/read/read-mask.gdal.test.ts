// Internal transparency masks (GDAL_TIFF_INTERNAL_MASK, and the masks GDAL's COG driver writes for JPEG imagery
// with an alpha band): readMask gives GDAL's GetMaskBand() bytes at every level, over windows and bboxes, on the
// workers, with sparse and damaged mask blocks handled as the pixels' blocks are.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMask, readRaster } from '../../src/index.js';
import { openGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import { blockLocations } from '../support/block-locations.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-mask-');

/** GDAL's mask band bytes of each level of `path` (GetMaskBand, then its overviews), base64. */
function gdalMasks(path: string): Buffer[] {
  const py = `
import sys, base64, json
from osgeo import gdal
ds = gdal.Open(sys.argv[1]); m = ds.GetRasterBand(1).GetMaskBand()
levels = [m] + [m.GetOverview(i) for i in range(m.GetOverviewCount())]
print(json.dumps([base64.b64encode(l.ReadRaster()).decode() for l in levels]))`;
  const r = spawnSync(PYTHON_GDAL as string, ['-c', py, path], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`GDAL python: status ${r.status} ${r.signal ?? ''} ${r.stderr}`);
  return (JSON.parse(r.stdout) as string[]).map((s) => Buffer.from(s, 'base64'));
}

/** Run GDAL Python `code` with `src` and `out` as sys.argv[1], sys.argv[2]. */
function gdalPython(code: string, ...args: string[]): void {
  const r = spawnSync(
    PYTHON_GDAL as string,
    ['-c', `import sys\nfrom osgeo import gdal\nimport numpy as np\n${code}`, ...args],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`GDAL python: status ${r.status} ${r.signal ?? ''} ${r.stderr}`);
}

/** A 4-band 8-bit RGBA source of `w`×`h` whose alpha is 0 in a left band and a disc, 255 elsewhere. */
async function rgbaSource(name: string, w: number, h: number): Promise<string> {
  const r = syntheticRaster('uint8', w, h, 4, w + h);
  r.geo = { epsg: 32633, transform: [500000, 10, 0, 4200000, 0, -10] };
  const alpha = r.bands[3] as Uint8Array;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      alpha[y * w + x] = x < w / 8 || (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 4) ** 2 ? 0 : 255;
  const path = join(tmp(), `${name}.tif`);
  await writeGeoTiff(path, r);
  return path;
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('internal masks', () => {
  let ycbcr: string;
  let cog: string;

  beforeAll(async () => {
    const src = await rgbaSource('rgba', 150, 97);
    ycbcr = join(tmp(), 'jpeg-ycbcr-mask.tif');
    // a JPEG YCbCr file with an internal mask and gdaladdo overviews (mask overviews too)
    gdalPython(
      `gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
gdal.Translate(sys.argv[2], sys.argv[1], bandList=[1, 2, 3], maskBand=4, creationOptions=['COMPRESS=JPEG', 'PHOTOMETRIC=YCBCR', 'TILED=YES', 'BLOCKXSIZE=32', 'BLOCKYSIZE=32'])
ds = gdal.Open(sys.argv[2], gdal.GA_Update); ds.BuildOverviews('AVERAGE', [2, 4]); ds = None`,
      src,
      ycbcr,
    );
    cog = join(tmp(), 'jpeg-cog.tif');
    // GDAL's COG driver turns the alpha band of a JPEG COG into a mask (blocks ≥ 128 px; overviews down to one)
    gdalPython(
      `ds = gdal.Translate('', sys.argv[1], format='MEM')
ds.GetRasterBand(4).SetColorInterpretation(gdal.GCI_AlphaBand)
gdal.Translate(sys.argv[2], ds, format='COG', creationOptions=['COMPRESS=JPEG', 'BLOCKSIZE=128'])`,
      await rgbaSource('rgba-cog', 420, 300),
      cog,
    );
  }, 60_000);

  it('every level’s mask equals GDAL’s GetMaskBand(), 0 / 255, and the pixels stay GDAL’s three bands', async () => {
    for (const path of [ycbcr, cog]) {
      const want = gdalMasks(path);
      const tiff = await openGeoTiffFile(path);
      try {
        expect(tiff.levels.length, path).toBe(3);
        expect(want.length, path).toBe(3);
        for (const [li, level] of tiff.levels.entries()) {
          expect(level.mask?.ifd, `${path} level ${li}`).toBeGreaterThan(0);
          const m = await readMask(tiff, { level: li });
          expect([m?.width, m?.height]).toEqual([level.width, level.height]);
          expect(Buffer.from(m?.mask ?? []).equals(want[li] as Buffer), `${path} level ${li}`).toBe(true);
          expect(m?.mask.some((v) => v === 0)).toBe(true);
          expect(m?.mask.every((v) => v === 0 || v === 255)).toBe(true);
        }
        expect((await readRaster(tiff)).bands.length).toBe(3); // the mask is not a band
      } finally {
        await tiff.close();
      }
    }
  });

  it('a window or a bbox of the mask is that part of the whole mask, with the window’s georeferencing', async () => {
    const tiff = await openGeoTiffFile(ycbcr);
    try {
      const whole = (await readMask(tiff)) as NonNullable<Awaited<ReturnType<typeof readMask>>>;
      const win = { x: 37, y: 21, width: 50, height: 40 };
      const part = await readMask(tiff, { window: win });
      const crop = new Uint8Array(win.width * win.height);
      for (let y = 0; y < win.height; y++)
        crop.set(
          whole.mask.subarray((win.y + y) * 150 + win.x, (win.y + y) * 150 + win.x + win.width),
          y * win.width,
        );
      expect(Buffer.from(part?.mask ?? []).equals(Buffer.from(crop))).toBe(true);
      // the same pixels as a bbox in the file's CRS (x 500 000 + 10 px, y 4 200 000 − 10 px)
      const bbox = [500370, 4200000 - 610, 500870, 4200000 - 210] as const;
      const byBox = await readMask(tiff, { bbox: [...bbox] });
      expect([byBox?.width, byBox?.height]).toEqual([win.width, win.height]);
      expect(Buffer.from(byBox?.mask ?? []).equals(Buffer.from(crop))).toBe(true);
      const pixels = await readRaster(tiff, { window: win });
      expect(part?.geo).toEqual(pixels.geo);
      expect(part?.geo).toBeDefined();
    } finally {
      await tiff.close();
    }
  });

  it('large reads at threads 2 give the mask of threads 1 and GDAL', async () => {
    // 1 MiB of packed mask bits: enough for the worker pool
    const src = await rgbaSource('rgba-large', 2900, 2900);
    const path = join(tmp(), 'large-mask.tif');
    gdalPython(
      `gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
gdal.Translate(sys.argv[2], sys.argv[1], bandList=[1], maskBand=4, creationOptions=['COMPRESS=DEFLATE', 'TILED=YES'])`,
      src,
      path,
    );
    const tiff = await openGeoTiffFile(path);
    try {
      const one = await readMask(tiff);
      const two = await readMask(tiff, { threads: 2 });
      expect(decodeWorkerCount()).toBeGreaterThan(0); // decoded on the workers
      const want = gdalMasks(path)[0] as Buffer;
      expect(Buffer.from(one?.mask ?? []).equals(want)).toBe(true);
      expect(Buffer.from(two?.mask ?? []).equals(want)).toBe(true);
    } finally {
      await tiff.close();
    }
  });

  it('sparse mask blocks read masked (0), as GDAL reads them', async () => {
    const path = join(tmp(), 'sparse-mask.tif');
    gdalPython(
      `gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 64, 64, 1, gdal.GDT_Byte, ['SPARSE_OK=TRUE', 'TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16', 'COMPRESS=DEFLATE'])
ds.CreateMaskBand(gdal.GMF_PER_DATASET)
ds.GetRasterBand(1).WriteArray(np.full((16, 16), 7, np.uint8), 0, 0)
ds.GetRasterBand(1).GetMaskBand().WriteArray(np.array([[255 if (x + y) % 3 else 0 for x in range(16)] for y in range(16)], np.uint8), 16, 0)
ds = None`,
      path,
    );
    const tiff = await openGeoTiffFile(path);
    try {
      const m = await readMask(tiff);
      expect(Buffer.from(m?.mask ?? []).equals(gdalMasks(path)[0] as Buffer)).toBe(true);
      expect(m?.mask.filter((v) => v === 255).length).toBe(170); // the one written mask tile's valid pixels
    } finally {
      await tiff.close();
    }
  });

  it('a damaged mask tile → CORRUPT_BLOCK naming the file and the mask IFD; fill leaves it masked', async () => {
    const path = join(tmp(), 'damaged-mask.tif');
    const bytes = new Uint8Array(readFileSync(ycbcr));
    const { offsets } = await blockLocations(ycbcr, { mask: true });
    const at = offsets[2] as number;
    bytes.fill(0xff, at, at + 8); // a deflate stream cannot start with 0xffff…
    writeFileSync(path, bytes);
    const tiff = await openGeoTiffFile(path);
    try {
      const err = await readMask(tiff).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toContain(`${path}: IFD ${tiff.levels[0]?.mask?.ifd}, tile 2`);
      const filled = await readMask(tiff, { onCorruptBlock: 'fill' });
      expect(filled?.filledBlocks?.map((b) => b.index)).toEqual([2]);
      expect(Array.from(filled?.mask.subarray(64, 96) ?? [])).toEqual(new Array(32).fill(0)); // tile 2: x 64..95
      expect((await readRaster(tiff)).bands.length).toBe(3); // the pixels do not depend on the mask
    } finally {
      await tiff.close();
    }
  });

  it('a mask IFD of zero tiles (TileWidth 0) ends the directories as in GDAL: no mask, no overviews; the file reads', async () => {
    const bytes = new Uint8Array(readFileSync(ycbcr));
    const view = new DataView(bytes.buffer);
    expect(view.getUint16(0, true)).toBe(0x4949); // little-endian classic TIFF (GDAL's default)
    let ifd = view.getUint32(4, true);
    ifd = view.getUint32(ifd + 2 + 12 * view.getUint16(ifd, true), true); // IFD 1: the full image's mask
    let patched = false;
    for (let e = 0; e < view.getUint16(ifd, true); e++) {
      const at = ifd + 2 + 12 * e;
      if (view.getUint16(at, true) === 322) {
        view.setUint16(at + 8, 0, true);
        patched = true;
      }
    }
    expect(patched).toBe(true);
    const path = join(tmp(), 'bad-mask-ifd.tif');
    writeFileSync(path, bytes);
    const tiff = await openGeoTiffFile(path);
    try {
      // libtiff cannot read the mask's directory, so GDAL reaches none after it (GetOverviewCount() 0, no mask)
      expect(tiff.levels[0]?.mask).toBeUndefined();
      expect(await readMask(tiff)).toBeNull();
      expect(tiff.levels).toHaveLength(1);
      expect((await readRaster(tiff)).bands.length).toBe(3);
    } finally {
      await tiff.close();
    }
  });

  it('levels without an internal mask read null; a level that does not exist → INVALID_ARGUMENT', async () => {
    const path = join(tmp(), 'plain.tif');
    await writeGeoTiff(path, syntheticRaster('uint16', 40, 30, 2, 3));
    const tiff = await openGeoTiffFile(path);
    try {
      expect(tiff.levels[0]?.mask).toBeUndefined();
      expect(await readMask(tiff)).toBeNull();
      await expect(readMask(tiff, { level: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await tiff.close();
    }
  });
});
