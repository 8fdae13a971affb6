// Layouts old libtiff versions wrote and GDAL still reads, hand-built here (GDAL cannot write them):
// pre-TIFF-6 LZW, tile offsets stored in the strip tags, uncompressed subsampled YCbCr.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLzw } from '../../src/codecs/lzw.js';
import { openGeoTiffFile, RasterIoError, readGeoTiffFile } from '../../src/node.js';
import { compareArrays } from '../support/compare.js';
import { gdalPixels } from '../support/envi.js';
import { gdalChecksums, HAS_GDAL } from '../support/gdal.js';
import { rng } from '../support/synthetic.js';
import { buildTiff, encodeLzwCompat } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-legacy-');
const W = 37;
const H = 29;

/** Smooth ramp plus noise, so LZW codes grow past 9 and 10 bits. */
function samples(n: number, max: number, seed: number): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, (_, i) => Math.floor(((i % 97) / 97) * max * 0.7 + next() * max * 0.3));
}

describe.runIf(HAS_GDAL)('legacy TIFF layouts, compared with GDAL', () => {
  it('decodes old-style (LSB-first, compat) LZW strips as GDAL does', async () => {
    const values = Uint16Array.from(samples(W * H, 65535, 3));
    const bytes = new Uint8Array(values.buffer);
    const rowsPerStrip = 10;
    const rowBytes = W * 2;
    const blocks: Uint8Array[] = [];
    for (let y = 0; y < H; y += rowsPerStrip) {
      blocks.push(encodeLzwCompat(bytes.subarray(y * rowBytes, Math.min(H, y + rowsPerStrip) * rowBytes)));
    }
    expect(blocks[0]?.[0]).toBe(0); // LSB-first Clear code: the compat signature
    const path = join(tmp(), 'lzw-compat.tif');
    writeFileSync(
      path,
      buildTiff({
        width: W,
        height: H,
        bitsPerSample: 16,
        sampleFormat: 1,
        samplesPerPixel: 1,
        compression: 5,
        photometric: 1,
        blocks,
        rowsPerStrip,
      }),
    );
    const theirs = gdalPixels(path, join(tmp(), 'lzw-compat.envi'), 'uint16', W, H)[0] as Uint16Array;
    expect(compareArrays(theirs, values).mismatches).toBe(0); // the file is valid: GDAL decodes the source
    const ours = await readGeoTiffFile(path);
    const c = compareArrays(ours.bands[0] as Uint16Array, theirs);
    expect(c.mismatches, c.first.join('; ')).toBe(0);
  });

  it('still decodes TIFF 6 LZW (MSB-first) and rejects a corrupt compat stream with a typed error', () => {
    // 9-bit MSB-first: Clear, 'A', EOI.
    expect(Array.from(decodeLzw(new Uint8Array([0x80, 0x10, 0x60, 0x20]), 1))).toEqual([0x41]);
    // LSB-first Clear then code 300 (not in the table).
    const bad = new Uint8Array([0x00, 0x59, 0x02, 0x00]);
    expect(() => decodeLzw(bad, 4, 'bad.tif')).toThrow(RasterIoError);
    expect(() => decodeLzw(bad, 4, 'bad.tif')).toThrow(/bad\.tif: corrupt LZW/);
  });

  it('reads tiles whose offsets sit in StripOffsets/StripByteCounts like GDAL', async () => {
    const tw = 16;
    const values = Uint8Array.from(samples(W * H, 255, 5));
    const blocks: Uint8Array[] = [];
    for (let ty = 0; ty < Math.ceil(H / tw); ty++) {
      for (let tx = 0; tx < Math.ceil(W / tw); tx++) {
        const tile = new Uint8Array(tw * tw);
        for (let r = 0; r < tw && ty * tw + r < H; r++) {
          for (let c = 0; c < tw && tx * tw + c < W; c++) {
            tile[r * tw + c] = values[(ty * tw + r) * W + tx * tw + c] as number;
          }
        }
        blocks.push(tile);
      }
    }
    const path = join(tmp(), 'tiles-in-strip-tags.tif');
    writeFileSync(
      path,
      buildTiff({
        width: W,
        height: H,
        bitsPerSample: 8,
        sampleFormat: 1,
        samplesPerPixel: 1,
        compression: 1,
        photometric: 1,
        blocks,
        tile: { width: tw, height: tw, offsetsInStripTags: true },
      }),
    );
    const theirs = gdalPixels(path, join(tmp(), 'tiles.envi'), 'uint8', W, H)[0] as Uint8Array;
    expect(compareArrays(theirs, values).mismatches).toBe(0);
    const tiff = await openGeoTiffFile(path);
    expect(tiff.levels[0]).toMatchObject({ tileWidth: 16, tileHeight: 16, offsetsTag: 'StripOffsets' });
    await tiff.close();
    const ours = await readGeoTiffFile(path, { window: { x: 5, y: 3, width: 30, height: 25 } });
    const win = new Uint8Array(30 * 25);
    for (let y = 0; y < 25; y++)
      for (let x = 0; x < 30; x++) win[y * 30 + x] = values[(y + 3) * W + x + 5] as number;
    expect(compareArrays(ours.bands[0] as Uint8Array, win).mismatches).toBe(0);
  });

  it('a zero tile size is a typed error, not a hang', async () => {
    const path = join(tmp(), 'zero-tile.tif');
    writeFileSync(
      path,
      buildTiff({
        width: W,
        height: H,
        bitsPerSample: 8,
        sampleFormat: 1,
        samplesPerPixel: 1,
        compression: 1,
        photometric: 1,
        blocks: [new Uint8Array(16)],
        tile: { width: 0, height: 16, offsetsInStripTags: true },
      }),
    );
    const err = await openGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as Error).message).toMatch(/zero-tile\.tif: .*tile size 0x16/);
  });

  it('refuses subsampled YCbCr (which GDAL converts to RGB) with UNSUPPORTED_PHOTOMETRIC', async () => {
    const w = 32;
    const h = 16;
    // 2×2 subsampling: each data unit is Y00 Y01 Y10 Y11 Cb Cr.
    const units = (w / 2) * (h / 2);
    const data = new Uint8Array(units * 6);
    for (let u = 0; u < units; u++) data.set([60 + (u % 50), 70, 80, 90, 100, 160], u * 6);
    const path = join(tmp(), 'ycbcr.tif');
    writeFileSync(
      path,
      buildTiff({
        width: w,
        height: h,
        bitsPerSample: 8,
        sampleFormat: 1,
        samplesPerPixel: 3,
        compression: 1,
        photometric: 6,
        blocks: [data],
        rowsPerStrip: h,
        extra: [{ tag: 530, type: 3, values: [2, 2] }],
      }),
    );
    expect(gdalChecksums(path)).toHaveLength(3); // GDAL reads it (as RGB)
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_PHOTOMETRIC' });
    expect((err as Error).message).toContain('ycbcr.tif');
  });
});
