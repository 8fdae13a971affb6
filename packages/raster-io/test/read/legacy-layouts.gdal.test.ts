// Layouts old libtiff versions wrote and GDAL still reads, hand-built here (GDAL cannot write them):
// pre-TIFF-6 LZW, tile offsets stored in the strip tags, uncompressed subsampled YCbCr.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLzw } from '../../src/codecs/lzw.js';
import { openGeoTiffFile, RasterIoError, readGeoTiffFile } from '../../src/node.js';
import { compareArrays } from '../support/compare.js';
import { gdalPixels } from '../support/envi.js';
import { HAS_GDAL } from '../support/gdal.js';
import { gdalBatch } from '../support/gdal-compare.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { type BuiltTiff, buildTiff, encodeLzwCompat } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-legacy-');
const W = 37;
const H = 29;

/** Smooth ramp plus noise, so LZW codes grow past 9 and 10 bits. */
function samples(n: number, max: number, seed: number): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, (_, i) => Math.floor(((i % 97) / 97) * max * 0.7 + next() * max * 0.3));
}

/** An 8-bit, 3-sample YCbCr TIFF (PhotometricInterpretation 6) with this YCbCrSubSampling; uncompressed by default. */
function ycbcrTiff(
  t: Omit<BuiltTiff, 'bitsPerSample' | 'sampleFormat' | 'samplesPerPixel' | 'photometric' | 'compression'> & {
    compression?: number;
    subsampling: number[];
  },
): Uint8Array {
  const { subsampling, compression = 1, extra = [], ...rest } = t;
  return buildTiff({
    ...rest,
    bitsPerSample: 8,
    sampleFormat: 1,
    samplesPerPixel: 3,
    compression,
    photometric: 6,
    extra: [{ tag: 530, type: 3, values: subsampling }, ...extra],
  });
}

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('legacy TIFF layouts, compared with GDAL', () => {
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

  it.each([
    ['Byte', 'uint8', '300'],
    ['Byte', 'uint8', '3.5'],
    ['Int16', 'int16', '-40000'],
    ['UInt16', 'uint16', '-2.5'],
    ['Float32', 'float32', '-3.4e+38'],
  ] as const)('sparse %s (%s) blocks with nodata %s read as GDAL fills them', async (gdalType, dtype, nd) => {
    const path = join(tmp(), `sparse-${gdalType}-${nd}.tif`);
    execFileSync('gdal_create', [
      '-q',
      '-of',
      'GTiff',
      '-outsize',
      '20',
      '10',
      '-ot',
      gdalType,
      '-co',
      'SPARSE_OK=TRUE',
      '-a_nodata',
      nd,
      path,
    ]);
    const theirs = gdalPixels(
      path,
      join(tmp(), `sparse-${gdalType}-${nd}.envi`),
      dtype,
      20,
      10,
    )[0] as ArrayLike<number>;
    const ours = await readGeoTiffFile(path);
    expect(compareArrays(ours.bands[0] as ArrayLike<number>, theirs).mismatches).toBe(0);
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

  // YCbCr outside JPEG: GDAL reads it through libtiff's RGBA interface; we convert with the same tables.
  it.each([
    { sub: [2, 2], tile: false, w: 37, h: 29 },
    { sub: [2, 1], tile: false, w: 37, h: 29 },
    { sub: [4, 2], tile: false, w: 37, h: 29 },
    { sub: [1, 1], tile: false, w: 20, h: 9 },
    { sub: [2, 2], tile: false, w: 37, h: 29, rbw: [16, 235, 128, 240, 128, 240] },
    // inside libtiff's float32 range (−2^31 + 128, 2^31): converted, however odd
    { sub: [2, 2], tile: false, w: 37, h: 29, rbw: [16, 235, 2e9, 240, 128, 240] },
  ])(
    'converts YCbCr subsampled $sub (tiled: $tile) to the RGB GDAL returns',
    async ({ sub, tile, w, h, rbw }) => {
      const [hs, vs] = sub as [number, number];
      const next = rng(hs * 10 + vs);
      const bw = tile ? 16 : w;
      const bh = tile ? 16 : 8;
      const blocks: Uint8Array[] = [];
      for (let by = 0; by < Math.ceil(h / bh); by++) {
        for (let bx = 0; bx < Math.ceil(w / bw); bx++) {
          const rows = tile ? bh : Math.min(bh, h - by * bh);
          const units = Math.ceil(bw / hs) * Math.ceil(rows / vs);
          blocks.push(Uint8Array.from({ length: units * (hs * vs + 2) }, () => Math.floor(next() * 256)));
        }
      }
      const name = `ycbcr-${hs}${vs}${tile ? '-tiled' : ''}`;
      const path = join(tmp(), `${name}.tif`);
      writeFileSync(
        path,
        ycbcrTiff({
          width: w,
          height: h,
          subsampling: [hs, vs],
          blocks,
          ...(tile ? { tile: { width: bw, height: bh } } : { rowsPerStrip: bh }),
          extra: rbw ? [{ tag: 532, type: 12, values: rbw }] : [],
        }),
      );
      const theirs = gdalPixels(path, join(tmp(), `${name}.envi`), 'uint8', w, h);
      const ours = await readGeoTiffFile(path);
      expect(ours.bands).toHaveLength(3);
      for (let b = 0; b < 3; b++) {
        const c = compareArrays(ours.bands[b] as Uint8Array, theirs[b] as Uint8Array);
        expect(c.mismatches, `band ${b}: ${c.first.join('; ')}`).toBe(0);
      }
      // A window and a band subset cut the same pixels out of the converted blocks.
      const win = { x: 3, y: 5, width: w - 5, height: h - 6 };
      const part = await readGeoTiffFile(path, { window: win, bands: [2, 0] });
      const want = (band: number) =>
        Uint8Array.from({ length: win.width * win.height }, (_, i) => {
          const x = win.x + (i % win.width);
          const y = win.y + Math.floor(i / win.width);
          return (theirs[band] as Uint8Array)[y * w + x] as number;
        });
      expect(compareArrays(part.bands[0] as Uint8Array, want(2)).mismatches).toBe(0);
      expect(compareArrays(part.bands[1] as Uint8Array, want(0)).mismatches).toBe(0);
    },
  );

  it('a YCbCrSubSampling tag of other than two values is ignored, as libtiff ignores it: 2×2, the pixels GDAL returns', async () => {
    const [w, h] = [20, 12];
    const next = rng(77);
    // 2×2 data units (4 Y, Cb, Cr) for the whole image in one strip; the tag claims 1×1 with a third value
    const units = Math.ceil(w / 2) * Math.ceil(h / 2);
    const blocks = [Uint8Array.from({ length: units * 6 }, () => Math.floor(next() * 256))];
    const path = join(tmp(), 'ycbcr-sub-count3.tif');
    writeFileSync(path, ycbcrTiff({ width: w, height: h, subsampling: [1, 1, 1], blocks, rowsPerStrip: h }));
    const theirs = gdalPixels(path, join(tmp(), 'ycbcr-sub-count3.envi'), 'uint8', w, h);
    const ours = await readGeoTiffFile(path);
    for (let b = 0; b < 3; b++) {
      const c = compareArrays(ours.bands[b] as Uint8Array, theirs[b] as Uint8Array);
      expect(c.mismatches, `band ${b}: ${c.first.join('; ')}`).toBe(0);
    }
  });

  it.each([
    ['vertical subsampling above horizontal', 'ycbcr-12', false],
    ['tiles (GDAL 3.6 cannot read them either)', 'ycbcr-tiled', true],
  ] as const)('refuses YCbCr with %s: UNSUPPORTED_PHOTOMETRIC', async (_, name, tiled) => {
    const path = join(tmp(), `${name}.tif`);
    writeFileSync(
      path,
      ycbcrTiff({
        width: 16,
        height: 16,
        subsampling: tiled ? [2, 2] : [1, 2],
        blocks: [new Uint8Array(16 * 8 * 4)],
        ...(tiled ? { tile: { width: 16, height: 16 } } : { rowsPerStrip: 16 }),
      }),
    );
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_PHOTOMETRIC' });
    expect((err as Error).message).toContain(`${name}.tif`);
  });

  // libtiff's RGBA interface reads an uncompressed YCbCr strip at its stored byte count (fuzz: a tifffile YCbCr
  // file whose count was cut read pixels where GDAL fails); an image's only strip gets libtiff's estimate when its
  // count looks bad, a scanline (a row of 2×2 sampling blocks over 2, rounded down) per image row, which an odd
  // number of rows leaves short of the strip's last row of sampling blocks
  it.each([
    { label: 'exact counts', h: 9, rps: 9, counts: [180], ok: true },
    { label: 'an only strip one byte short', h: 9, rps: 9, counts: [179], ok: false },
    {
      label: 'an only strip counted 0, odd rows (estimate 162 of 180)',
      h: 9,
      rps: 9,
      counts: [0],
      ok: false,
    },
    {
      label: 'an only strip counted 0, even rows (estimate 180 of 180)',
      h: 10,
      rps: 10,
      counts: [0],
      ok: true,
    },
    { label: 'an only strip counted past the end of the file', h: 10, rps: 10, counts: [999], ok: true },
    { label: 'a later strip one byte short', h: 9, rps: 4, counts: [72, 71, 36], ok: false },
    { label: 'strips counted longer than their rows', h: 9, rps: 4, counts: [80, 72, 36], ok: true },
  ])('uncompressed YCbCr 2×2, $label: read or refused as GDAL reads it', async ({ h, rps, counts, ok }) => {
    const w = 11;
    const next = rng(h * 100 + counts[0]!);
    const blocks = counts.map((_, k) => {
      const rows = Math.min(rps, h - k * rps);
      return Uint8Array.from({ length: Math.ceil(w / 2) * Math.ceil(rows / 2) * 6 }, () =>
        Math.floor(next() * 256),
      );
    });
    // a longer stored count needs bytes behind its strip: pad every block to its count
    const padded = blocks.map((b, k) => {
      const c = counts[k]!;
      if (c <= b.byteLength || c === 999) return b;
      const p = new Uint8Array(c);
      p.set(b);
      return p;
    });
    const path = join(tmp(), `ycbcr-counts-${h}-${counts.join('-')}.tif`);
    writeFileSync(
      path,
      ycbcrTiff({
        width: w,
        height: h,
        subsampling: [2, 2],
        blocks: padded,
        rowsPerStrip: rps,
        byteCounts: counts,
      }),
    );
    const gdal = gdalBatch([path]).get(path);
    expect(gdal?.ok, JSON.stringify(gdal)).toBe(ok);
    const ours = await readGeoTiffFile(path).catch((e: unknown) => e);
    if (!ok) {
      expect(ours).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((ours as Error).message).toMatch(
        /IFD 0, strip \d holds \d+ bytes of YCbCr samples.*its rows need \d+/,
      );
      return;
    }
    const theirs = gdalPixels(path, join(tmp(), `ycbcr-counts-${h}.envi`), 'uint8', w, h);
    for (let b = 0; b < 3; b++) {
      const c = compareArrays(
        (ours as Awaited<ReturnType<typeof readGeoTiffFile>>).bands[b] as Uint8Array,
        theirs[b] as Uint8Array,
      );
      expect(c.mismatches, `band ${b}: ${c.first.join('; ')}`).toBe(0);
    }
  });

  it("ReferenceBlackWhite outside libtiff's range: GDAL fails the read, and we refuse it (fuzz: a mutated tiffcp file)", async () => {
    const path = join(tmp(), 'ycbcr-rbw-range.tif');
    writeFileSync(
      path,
      ycbcrTiff({
        width: 8,
        height: 4,
        subsampling: [2, 2],
        blocks: [new Uint8Array(4 * 2 * 6).fill(100)],
        rowsPerStrip: 4,
        extra: [{ tag: 532, type: 12, values: [16, 235, 3e9, 240, 128, 240] }],
      }),
    );
    expect(gdalBatch([path]).get(path)?.ok).toBe(false);
    await expect(readGeoTiffFile(path)).rejects.toMatchObject({ code: 'UNSUPPORTED_PHOTOMETRIC' });
  });

  it('a YCbCr strip shorter than its data units is a typed error, not zero-filled pixels', async () => {
    const path = join(tmp(), 'ycbcr-short.tif');
    writeFileSync(
      path,
      ycbcrTiff({
        width: 8,
        height: 4,
        compression: 8,
        subsampling: [2, 2],
        blocks: [deflateSync(new Uint8Array(10))],
        rowsPerStrip: 4,
      }),
    );
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as RasterIoError).code).toBe('CORRUPT_BLOCK');
    // 4 rows × 4 columns with 2×2 chroma subsampling: 4 data units of 6 bytes per 2 rows = 48 bytes
    expect((err as Error).message).toMatch(
      /ycbcr-short\.tif: IFD 0, strip 0 decodes to 10 bytes; its geometry needs 48/,
    );
  });
});
