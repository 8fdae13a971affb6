// Planar (PlanarConfiguration 2) 8-bit YCbCr subsampled 1×1, as tifffile writes it: GDAL 3.6 reads it through
// libtiff's RGBA interface, converted to RGB, and so must we, with the same fixed-point tables (plain,
// deflate, ReferenceBlackWhite and YCbCrCoefficients, overviews), for windows, band subsets, `into` and threads.
// The files are written at test time by tifffile (python3-tifffile; CI installs it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoTiff, openGeoTiffFile, RasterIoError, readRaster } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-planar-ycbcr-');
const WRITER = fileURLToPath(new URL('../support/planar_ycbcr_tiffs.py', import.meta.url));
const HAS_TIFFFILE =
  PYTHON_GDAL !== undefined &&
  spawnSync(PYTHON_GDAL, ['-c', 'import tifffile, numpy; from osgeo import gdal'], { encoding: 'utf8' })
    .status === 0;

/** GDAL's read of `name` (`full`, `window` or `ov1`) as band-sequential planes of `width × height`. */
function gdalPlanes(name: string, kind: string, width: number, height: number, bands = 3): Uint8Array[] {
  const raw = new Uint8Array(readFileSync(join(tmp(), `${name}.${kind}.raw`)));
  expect(raw.length).toBe(width * height * bands);
  return Array.from({ length: bands }, (_, b) => raw.subarray(b * width * height, (b + 1) * width * height));
}

const open = async (name: string) => openGeoTiff(new Uint8Array(readFileSync(join(tmp(), `${name}.tif`))));

/** Whether two byte arrays are equal (one expect per band: a diff of 1 MB arrays would be unreadable). */
const same = (a: ArrayLike<number> | undefined, b: ArrayLike<number>): boolean =>
  a !== undefined &&
  a.length === b.length &&
  Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)) === 0;

describe.runIf(requireTool('python3-gdal with python3-tifffile', HAS_TIFFFILE))(
  'planar YCbCr 1×1 (tifffile) reads as GDAL reads it',
  () => {
    beforeAll(() => {
      const r = spawnSync(PYTHON_GDAL as string, [WRITER, tmp()], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }, 120_000);

    it.each(['plain', 'zlib-large', 'studio', 'wide-range', 'pyramid'])(
      '%s: full read, window, band subsets and into equal GDAL',
      async (name) => {
        expect(existsSync(join(tmp(), `${name}.error`))).toBe(false);
        const tiff = await open(name);
        const level = tiff.levels[0];
        expect(level?.photometric).toBe(6);
        expect(level?.planarConfiguration).toBe(2);
        const { width, height } = level as { width: number; height: number };
        const full = gdalPlanes(name, 'full', width, height);
        const r = await readRaster(tiff);
        expect(r.bands.length).toBe(3);
        for (const b of [0, 1, 2]) expect(same(r.bands[b], full[b] as Uint8Array), `band ${b}`).toBe(true);

        const window = { x: 5, y: 7, width: 30, height: 20 };
        const win = gdalPlanes(name, 'window', 30, 20);
        const w = await readRaster(tiff, { window });
        for (const b of [0, 1, 2])
          expect(same(w.bands[b], win[b] as Uint8Array), `window band ${b}`).toBe(true);

        // a band subset still converts from all three planes; bands asked twice are separate arrays
        const subset = await readRaster(tiff, { window, bands: [2, 0, 2] });
        expect(subset.bands.length).toBe(3);
        expect(same(subset.bands[0], win[2] as Uint8Array)).toBe(true);
        expect(same(subset.bands[1], win[0] as Uint8Array)).toBe(true);
        expect(same(subset.bands[2], win[2] as Uint8Array)).toBe(true);
        expect(subset.bands[0]).not.toBe(subset.bands[2]);
        const green = await readRaster(tiff, { bands: [1] });
        expect(green.bands.length).toBe(1);
        expect(same(green.bands[0], full[1] as Uint8Array)).toBe(true);

        // into the caller's arrays (holding garbage), a subset in another order
        const into = [new Uint8Array(600).fill(0xa5), new Uint8Array(600).fill(0xa5)];
        const got = await readRaster(tiff, { window, bands: [1, 2], into });
        expect(got.bands[0]).toBe(into[0]);
        expect(got.bands[1]).toBe(into[1]);
        expect(same(into[0], win[1] as Uint8Array)).toBe(true);
        expect(same(into[1], win[2] as Uint8Array)).toBe(true);
      },
    );

    it('converts the overview (a SubIFD) as GDAL does', async () => {
      const tiff = await open('pyramid');
      expect(tiff.levels.length).toBe(2);
      const ov = gdalPlanes('pyramid', 'ov1', 60, 45);
      const r = await readRaster(tiff, { level: 1 });
      for (const b of [0, 1, 2])
        expect(same(r.bands[b], ov[b] as Uint8Array), `overview band ${b}`).toBe(true);
      const g = await readRaster(tiff, {
        level: 1,
        bands: [2],
        window: { x: 3, y: 4, width: 20, height: 10 },
      });
      const want = new Uint8Array(200);
      for (let y = 0; y < 10; y++)
        want.set((ov[2] as Uint8Array).subarray((y + 4) * 60 + 3, (y + 4) * 60 + 23), y * 20);
      expect(same(g.bands[0], want)).toBe(true);
    });

    it('threads 2 decode the planes on the workers and give the same RGB (whole file, window, subset, into)', async () => {
      const tiff = await openGeoTiffFile(join(tmp(), 'zlib-large.tif'));
      try {
        const full = gdalPlanes('zlib-large', 'full', 700, 520);
        const r = await readRaster(tiff, { threads: 2 });
        expect(decodeWorkerCount()).toBeGreaterThan(0);
        for (const b of [0, 1, 2]) expect(same(r.bands[b], full[b] as Uint8Array), `band ${b}`).toBe(true);
        const win = gdalPlanes('zlib-large', 'window', 30, 20);
        const w = await readRaster(tiff, { threads: 2, window: { x: 5, y: 7, width: 30, height: 20 } });
        for (const b of [0, 1, 2])
          expect(same(w.bands[b], win[b] as Uint8Array), `window band ${b}`).toBe(true);
        const into = [new Uint8Array(new SharedArrayBuffer(700 * 520)).fill(0xa5)];
        const blue = await readRaster(tiff, { threads: 2, bands: [2], into });
        expect(blue.bands[0]).toBe(into[0]);
        expect(same(into[0], full[2] as Uint8Array)).toBe(true);
      } finally {
        await tiff.close();
      }
    });

    it('keeps tiled planar YCbCr refused (GDAL 3.6 fails on uncompressed YCbCr tiles)', async () => {
      const tiff = await open('tiled');
      const err = await readRaster(tiff).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RasterIoError);
      expect((err as RasterIoError).code).toBe('UNSUPPORTED_PHOTOMETRIC');
    });
  },
);
