// ZSTD writes (Node): writeGeoTiff and createCogWriter files that GDAL reads as ZSTD with the pixels written, valid
// COGs, the same bytes at any thread count, and typed errors for bad levels.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zstdBackend } from '../../src/codecs/zstd-codec.node.js';
import type { Raster } from '../../src/index.js';
import { createCogWriter, readGeoTiffFile, type WriteGeoTiffOptions, writeGeoTiff } from '../../src/node.js';
import type { DType } from '../../src/types.js';
import {
  gdalChecksums,
  gdalinfoJson,
  gdalOverviewChecksums,
  HAS_GDAL,
  validateCog,
} from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster, writeRowsOf } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-zstd-write-');
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.runIf(requireTool('GDAL (gdalinfo) and a ZSTD backend', HAS_GDAL && zstdBackend() !== null))(
  'ZSTD writes',
  () => {
    it.each([
      ['uint16', { compression: 'zstd', predictor: true, tiled: true, interleave: 'pixel' }],
      ['float32', { compression: 'zstd', predictor: true, rowsPerStrip: 9, zstdLevel: 19 }],
      ['int16', { compression: 'zstd', cog: true, overviews: [2, 4], zstdLevel: 1 }],
      ['float64', { compression: 'zstd', tiled: true, tileSize: 512 }],
    ] as [DType, WriteGeoTiffOptions][])(
      '%s %j: GDAL reads ZSTD with the pixels written',
      async (dtype, options) => {
        const raster = syntheticRaster(dtype, 700, 530, 3, 21);
        raster.geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] };
        const path = join(tmp(), `${dtype}.tif`);
        const plain = join(tmp(), `${dtype}-plain.tif`);
        await writeGeoTiff(path, raster, options);
        await writeGeoTiff(plain, raster, { overviews: options.overviews });
        const info = gdalinfoJson(path);
        expect(info.metadata?.IMAGE_STRUCTURE?.COMPRESSION).toBe('ZSTD');
        expect(gdalChecksums(path)).toEqual(gdalChecksums(plain));
        if (options.overviews) expect(gdalOverviewChecksums(path)).toEqual(gdalOverviewChecksums(plain));
        if (options.cog) expect(validateCog(path).ok).toBe(true);
        const back = await readGeoTiffFile(path);
        for (const [b, band] of raster.bands.entries())
          expect(bytesOf(back.bands[b] as typeof band).equals(bytesOf(band))).toBe(true);
        // ZSTD blocks are compressed on this thread whatever the count: the same file
        const two = join(tmp(), `${dtype}-2.tif`);
        await writeGeoTiff(two, raster, { ...options, threads: 2 });
        expect(readFileSync(two).equals(readFileSync(path))).toBe(true);
      },
    );

    it('a higher level makes a smaller file of the same pixels', async () => {
      const raster = syntheticRaster('uint16', 600, 400, 2, 3);
      const sizes: number[] = [];
      for (const zstdLevel of [1, 19]) {
        const path = join(tmp(), `level-${zstdLevel}.tif`);
        sizes.push(await writeGeoTiff(path, raster, { compression: 'zstd', predictor: true, zstdLevel }));
        expect(gdalChecksums(path)).toEqual(gdalChecksums(join(tmp(), 'level-1.tif')));
      }
      expect(sizes[1]).toBeLessThan(sizes[0] as number);
    });

    it('createCogWriter: a valid ZSTD COG whose bands and overviews GDAL reads as written', async () => {
      const r: Raster = {
        ...syntheticRaster('float32', 900, 700, 2, 12),
        noData: Number.NaN,
        geo: { epsg: 32631, transform: [400000, 2.5, 0, 5000000, 0, -2.5] },
      };
      const path = join(tmp(), 'stream.tif');
      const w = await createCogWriter(path, {
        width: r.width,
        height: r.height,
        bands: 2,
        dtype: 'float32',
        noData: Number.NaN,
        geo: r.geo,
        compression: 'zstd',
        zstdLevel: 12,
        predictor: true,
        overviews: [2, 4],
      });
      await writeRowsOf(w, r, 128);
      expect(validateCog(path).ok).toBe(true);
      expect(gdalinfoJson(path).metadata?.IMAGE_STRUCTURE?.COMPRESSION).toBe('ZSTD');
      const whole = join(tmp(), 'whole.tif');
      await writeGeoTiff(whole, r, { cog: true, compression: 'deflate', predictor: true, overviews: [2, 4] });
      expect(gdalChecksums(path)).toEqual(gdalChecksums(whole));
      expect(gdalOverviewChecksums(path)).toEqual(gdalOverviewChecksums(whole));
    });

    it('bad ZSTD levels are INVALID_ARGUMENT naming the option, for both writers', async () => {
      const raster = syntheticRaster('uint8', 8, 8, 1, 1);
      for (const zstdLevel of [0, 23, 2.5]) {
        await expect(
          writeGeoTiff(join(tmp(), 'bad.tif'), raster, { compression: 'zstd', zstdLevel }),
        ).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(`zstdLevel must be 1..22, got ${zstdLevel}`),
        });
        await expect(
          createCogWriter(join(tmp(), 'bad-cog.tif'), {
            width: 8,
            height: 8,
            bands: 1,
            dtype: 'uint8',
            compression: 'zstd',
            zstdLevel,
          }),
        ).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('zstdLevel must be 1..22'),
        });
      }
    });
  },
);
