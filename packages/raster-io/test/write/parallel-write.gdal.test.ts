// writeGeoTiff with threads: 2 compresses blocks on the worker pool: the file must be byte-identical to the
// single-thread one (same zlib, same level, same layout) and a valid COG that GDAL reads back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  encodeGeoTiff,
  NODE_CODECS,
  readGeoTiffFile,
  type WriteGeoTiffOptions,
  writeGeoTiff,
} from '../../src/node.js';
import type { DType } from '../../src/types.js';
import { gdalChecksums, HAS_GDAL, PYTHON_GDAL, validateCog } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-pwrite-');

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('parallel deflate on write', () => {
  it.each([
    ['uint16', { cog: true, compression: 'deflate', predictor: true, overviews: [2, 4], tileSize: 256 }],
    ['float32', { cog: true, compression: 'deflate', predictor: true, overviews: [2], interleave: 'pixel' }],
    ['int16', { compression: 'deflate', rowsPerStrip: 3 }],
    // one strip per band, no predictor: each block spans a whole band, which must stay the caller's (not detached)
    ['uint8', { compression: 'deflate', rowsPerStrip: 310 }],
  ] as [string, WriteGeoTiffOptions][])(
    '%s %j: threads 2 and threads 1 write the bytes encodeGeoTiff returns',
    async (dtype, options) => {
      const raster = syntheticRaster(dtype as DType, 420, 310, 3, 4);
      raster.geo = { epsg: 32633, transform: [500000, 1.5, 0, 4600000, 0, -1.5] };
      const one = `${tmp()}/${dtype}-1.tif`;
      const two = `${tmp()}/${dtype}-2.tif`;
      const progress: number[] = [];
      const one1: number[] = [];
      await writeGeoTiff(one, raster, { ...options, onProgress: (p) => one1.push(p.done) });
      // threads 2 goes through pooled memory (slabs reused from write to write): the browser-safe encoder is the reference
      expect(readFileSync(one).equals(encodeGeoTiff(raster, { ...options, codecs: NODE_CODECS }))).toBe(true);
      expect(one1).toEqual(Array.from({ length: one1.length }, (_, i) => i + 1));
      const n = await writeGeoTiff(two, raster, {
        ...options,
        threads: 2,
        onProgress: (p) => progress.push(p.done),
      });
      expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
      expect(n).toBe(readFileSync(two).byteLength);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress[progress.length - 1]).toBe(progress.length);
      const back = await readGeoTiffFile(two);
      for (const [b, a] of raster.bands.entries()) expect(back.bands[b]).toEqual(a);
      expect(gdalChecksums(two)).toEqual(gdalChecksums(one));
      if (options.cog && PYTHON_GDAL) expect(validateCog(two).ok).toBe(true);
      // the caller's bands are left as they were (blocks are copied before predicting or transferring)
      expect(raster.bands[0]).toEqual(syntheticRaster(dtype as DType, 420, 310, 3, 4).bands[0]);
    },
  );

  it('writes back to back reuse pooled slabs: each file still has exactly encodeGeoTiff bytes', async () => {
    // uncompressed strips with overviews are views of overview bands kept in the slabs until written
    const cases: WriteGeoTiffOptions[] = [
      { overviews: [2, 4], rowsPerStrip: 7 },
      { compression: 'deflate', predictor: true, overviews: [2], tiled: true },
      { cog: true, compression: 'deflate', overviews: [2, 4], overviewResampling: 'nearest' },
      { compression: 'deflate', overviews: [3], rowsPerStrip: 5, threads: 2 },
    ];
    const written: [string, Uint8Array][] = [];
    for (const [k, options] of cases.entries()) {
      const raster = syntheticRaster(k % 2 ? 'uint16' : 'float32', 300 + 13 * k, 170 + 7 * k, 2, 20 + k);
      const path = `${tmp()}/seq-${k}.tif`;
      await writeGeoTiff(path, raster, options);
      const { threads: _, ...encodeOptions } = options;
      written.push([path, encodeGeoTiff(raster, { ...encodeOptions, codecs: NODE_CODECS })]);
    }
    // checked after all the writes: a later write reusing a slab must not have touched an earlier file
    for (const [path, want] of written) expect(readFileSync(path).equals(want)).toBe(true);
  });

  it('threads must be a positive integer', async () => {
    const raster = syntheticRaster('uint8', 8, 8, 1, 1);
    await expect(writeGeoTiff(`${tmp()}/bad.tif`, raster, { threads: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
