// LERC GeoTIFFs (GDAL's COMPRESS=LERC, LERC_DEFLATE, LERC_ZSTD): every sample type, strips and tiles, pixel and
// band interleave, lossless and lossy, NaN masks (one per pixel and one per band), 8-bit alpha carried as the
// mask, big-endian files and overviews read to GDAL's pixels; the workers decode them alike; damaged and
// crafted blobs (headers that do not fit the block, masks that overrun, unknown wrapping) fail typed and fast.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DType, Raster } from '../../src/index.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import { FIELD } from '../../src/write/tiff-ifd.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, levelsUnlikeGdal, runGdalBatch } from '../support/gdal-batch.js';
import { mutationOutcomes } from '../support/mutations.js';
import { requireTool } from '../support/require-tool.js';
import { rng, syntheticRaster } from '../support/synthetic.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-lerc-');
const W = 45;
const H = 29;

/** A base raster; with `nan: 'all'` a patch of every band is NaN. */
async function base(name: string, dtype: DType, bands: number, nan: 'none' | 'all' = 'none') {
  const r = syntheticRaster(dtype, W, H, bands, bands * 7 + dtype.length);
  if (nan !== 'none') {
    for (const b of r.bands)
      for (let y = 3; y < 9; y++) for (let x = 10; x < 21; x++) b[y * W + x] = Number.NaN;
  }
  const path = join(tmp(), `base-${name}.tif`);
  await writeGeoTiff(path, r);
  return path;
}

/** A 4-band 8-bit base whose last band is 0 or 255 (an alpha GDAL may store as the LERC mask). */
async function rgbaBase(name: string, binaryAlpha: boolean): Promise<string> {
  const r = syntheticRaster('uint8', W, H, 4, 41);
  const next = rng(5);
  const alpha = r.bands[3] as Uint8Array;
  for (let i = 0; i < alpha.length; i++)
    alpha[i] = binaryAlpha ? (next() < 0.3 ? 0 : 255) : (next() * 256) | 0;
  const path = join(tmp(), `base-${name}.tif`);
  await writeGeoTiff(path, r);
  return path;
}

interface Variant {
  name: string;
  path: string;
  base: string;
  co: string[];
  addo?: string;
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('LERC GeoTIFFs', () => {
  const variants: Variant[] = [];
  const unreadable: Variant[] = [];
  let gdal: Record<string, GdalFile> = {};
  const tile = ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'];

  beforeAll(async () => {
    const add = (name: string, b: string, co: string[], addo?: string) =>
      variants.push({ name, path: join(tmp(), `${name}.tif`), base: b, co, ...(addo ? { addo } : {}) });
    const u16 = await base('u16', 'uint16', 4);
    add('u16-tiled-pixel', u16, ['COMPRESS=LERC', ...tile]);
    add('u16-strips-zstd', u16, ['COMPRESS=LERC_ZSTD', 'BLOCKYSIZE=5']); // last strip: 4 rows
    add('u16-band-deflate', u16, ['COMPRESS=LERC_DEFLATE', 'INTERLEAVE=BAND', ...tile]);
    add('u16-lossy', u16, ['COMPRESS=LERC', 'MAX_Z_ERROR=3']);
    add('u16-overviews', u16, ['COMPRESS=LERC_DEFLATE', ...tile], 'AVERAGE');
    const i16 = await base('i16', 'int16', 2);
    add('i16-big-endian-lossy', i16, ['COMPRESS=LERC', 'ENDIANNESS=BIG', 'MAX_Z_ERROR=2']);
    add('i16-lossless', i16, ['COMPRESS=LERC', 'INTERLEAVE=BAND']);
    add('u8-one-band', await base('u8', 'uint8', 1), ['COMPRESS=LERC']);
    add('u8-three-bands', await base('u8x3', 'uint8', 3), ['COMPRESS=LERC_ZSTD', ...tile]);
    add('u8-alpha-as-mask', await rgbaBase('rgba', true), ['COMPRESS=LERC', 'PHOTOMETRIC=RGB', 'ALPHA=YES']);
    add('u8-alpha-graded', await rgbaBase('rgba-graded', false), [
      'COMPRESS=LERC',
      'PHOTOMETRIC=RGB',
      'ALPHA=YES',
    ]);
    add('i32-zstd', await base('i32', 'int32', 1), ['COMPRESS=LERC_ZSTD']);
    const f32 = await base('f32-nan', 'float32', 3, 'all');
    add('f32-planar-nan', f32, ['COMPRESS=LERC', 'INTERLEAVE=BAND', ...tile]);
    add('f32-one-band-zstd', await base('f32-1', 'float32', 1, 'all'), [
      'COMPRESS=LERC_ZSTD',
      'BLOCKYSIZE=7',
    ]);
    add('f32-no-nan-lossy', await base('f32', 'float32', 2), ['COMPRESS=LERC', 'MAX_Z_ERROR=0.01', ...tile]);
    add('f64-no-nan', await base('f64', 'float64', 3), ['COMPRESS=LERC_DEFLATE', ...tile]);
    // pixel-interleaved floats with NaN: GDAL 3.6 cannot read these back (lerc_decode() fails), so they are
    // checked against their sources below instead of against GDAL's reading
    for (const [name, b, co] of [
      ['f32-pixel-mask-lossy', f32, ['COMPRESS=LERC', 'MAX_Z_ERROR=0.001', ...tile]],
      ['f32-pixel-mask-lossless', f32, ['COMPRESS=LERC_DEFLATE']],
      [
        'f64-pixel-mask',
        await base('f64-nan-all', 'float64', 2, 'all'),
        ['COMPRESS=LERC', 'MAX_Z_ERROR=0.0001'],
      ],
    ] as const)
      unreadable.push({ name, path: join(tmp(), `${name}.tif`), base: b, co: [...co] });
    gdal = runGdalBatch(
      tmp(),
      {
        create: [...variants, ...unreadable].map((v) => ({
          path: v.path,
          base: v.base,
          format: 'GTiff' as const,
          co: v.co,
          ...(v.addo ? { addo: v.addo } : {}),
        })),
        describe: variants.map((v) => v.path),
      },
      'lerc',
    );
  }, 120_000);

  it('every variant reads to GDAL’s pixels, bit for bit, at every level', async () => {
    const failures: string[] = [];
    let levelsChecked = 0;
    for (const v of variants) {
      const ref = gdal[v.path] as GdalFile;
      const levels = v.addo ? 3 : 1;
      const r = await levelsUnlikeGdal(v.path, ref, { name: v.name, compression: 34887, levels });
      failures.push(...r.differing);
      levelsChecked += r.levels;
    }
    expect(failures).toEqual([]);
    expect(levelsChecked).toBe(variants.length + 2); // the overview variant has two more levels
  });

  it('pixel-interleaved floats with NaN (one mask per pixel) equal their sources within MAX_Z_ERROR, NaN where they have NaN', async () => {
    const maxError: Record<string, number> = {
      'f32-pixel-mask-lossy': 0.001,
      'f32-pixel-mask-lossless': 0,
      'f64-pixel-mask': 0.0001,
    };
    const failures: string[] = [];
    for (const v of unreadable) {
      const r = await readGeoTiffFile(v.path);
      const source = await readGeoTiffFile(v.base);
      const tolerance = maxError[v.name] as number;
      for (const [b, band] of r.bands.entries()) {
        const want = source.bands[b] as Float32Array;
        for (let i = 0; i < want.length; i++) {
          const got = band[i] as number;
          const ok = Number.isNaN(want[i] as number)
            ? Number.isNaN(got)
            : Math.abs(got - (want[i] as number)) <= tolerance * (1 + 1e-6);
          if (!ok) failures.push(`${v.name} band ${b} pixel ${i}: ${got} vs ${want[i]}`);
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    const f32 = await readGeoTiffFile(join(tmp(), 'f32-pixel-mask-lossless.tif'));
    expect((f32.bands[1] as Float32Array).filter((v) => Number.isNaN(v)).length).toBe(6 * 11); // the patch
  });

  it('uint32 LERC (full-width offsets near 3·10⁹, and the whole range) reads to GDAL’s pixels; the decoder’s accessor alias is gone afterwards', async () => {
    // micro-blocks of values 3·10⁹ + a little store uint32 offsets, which lerc 3.0 reads through a misspelt
    // DataView method (src/codecs/lerc.ts aliases it for the call)
    const r = syntheticRaster('uint32', W, H, 2, 12);
    const high = r.bands[0] as Uint32Array;
    for (let i = 0; i < high.length; i++) high[i] = 3_000_000_000 + ((i * 7919) % 70_000);
    const src = join(tmp(), 'base-u32.tif');
    await writeGeoTiff(src, r);
    const files = [
      ['COMPRESS=LERC'],
      ['COMPRESS=LERC', 'MAX_Z_ERROR=5', ...tile],
      ['COMPRESS=LERC_DEFLATE', 'INTERLEAVE=BAND'],
    ].map((co, i) => ({ path: join(tmp(), `u32-lerc-${i}.tif`), base: src, format: 'GTiff' as const, co }));
    const ref = runGdalBatch(tmp(), { create: files, describe: files.map((f) => f.path) }, 'u32');
    for (const f of files) {
      const got = await readGeoTiffFile(f.path);
      for (const b of [0, 1]) {
        const want = Buffer.from(ref[f.path]?.bands[b]?.levels[0]?.data ?? '', 'base64');
        expect(Buffer.from(bytesOf(got.bands[b] as Uint32Array)).equals(want), `${f.co} band ${b}`).toBe(
          true,
        );
      }
      expect((got.bands[0] as Uint32Array)[0]).toBeGreaterThanOrEqual(2_999_999_995);
    }
    expect('getUInt32' in DataView.prototype).toBe(false);
  });

  it('8-bit alpha stored as the LERC mask comes back as the source alpha (0/255)', async () => {
    const rgba = await readGeoTiffFile(join(tmp(), 'u8-alpha-as-mask.tif'));
    const source = await readGeoTiffFile(join(tmp(), 'base-rgba.tif'));
    expect(Buffer.from(rgba.bands[3] as Uint8Array).equals(Buffer.from(source.bands[3] as Uint8Array))).toBe(
      true,
    );
  });

  it('large reads decode LERC blocks on the workers: threads 2 equal threads 1 and the source', async () => {
    const r = syntheticRaster('uint16', 700, 600, 3, 9);
    const src = join(tmp(), 'large-src.tif');
    await writeGeoTiff(src, r);
    const path = join(tmp(), 'large-lerc.tif');
    runGdalBatch(
      tmp(),
      {
        create: [{ path, base: src, format: 'GTiff', co: ['COMPRESS=LERC_DEFLATE', 'TILED=YES'] }],
        describe: [],
      },
      'lerc-large',
    );
    const one = await readGeoTiffFile(path);
    const two = await readGeoTiffFile(path, { threads: 2 });
    expect(decodeWorkerCount()).toBeGreaterThan(0);
    for (const [b, band] of r.bands.entries()) {
      expect(Buffer.from(bytesOf(one.bands[b] as typeof band)).equals(Buffer.from(bytesOf(band)))).toBe(true);
      expect(Buffer.from(bytesOf(two.bands[b] as typeof band)).equals(Buffer.from(bytesOf(band)))).toBe(true);
    }
  });
});

/** Esri's Fletcher-32 over a Lerc2 blob from byte 14 (after magic, version and checksum) to its end. */
function lercChecksum(blob: Uint8Array): number {
  let sum1 = 0xffff;
  let sum2 = 0xffff;
  const data = blob.subarray(14);
  let words = data.length >> 1;
  let i = 0;
  while (words > 0) {
    let run = Math.min(words, 359);
    words -= run;
    while (run-- > 0) {
      sum1 += (data[i++] as number) << 8;
      sum2 += sum1 += data[i++] as number;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length & 1) sum2 += sum1 += (data[i] as number) << 8;
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

/** Re-sign a (modified) version-4 blob so that it passes the checksum and reaches the decoder. */
function resign(blob: Uint8Array): Uint8Array {
  new DataView(blob.buffer, blob.byteOffset).setUint32(10, lercChecksum(blob), true);
  return blob;
}

/** The `nth` Lerc2 blob of a file GDAL wrote (one-strip files: one blob per band). */
function nthBlob(path: string, nth = 0): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  let at = -1;
  for (let k = 0; k <= nth; k++) at = Buffer.from(bytes).indexOf('Lerc2 ', at + 1);
  const size = new DataView(bytes.buffer).getInt32(at + 34, true); // version 4: blobSize at byte 34
  return bytes.slice(at, at + size);
}

/** A one-strip LERC TIFF around `blob` (LercParameters: version 4, `wrap`). */
function lercTiff(
  name: string,
  blob: Uint8Array,
  dtype: 'uint8' | 'uint16' | 'float32',
  wrap = 0,
  samples = 1,
): string {
  const path = join(tmp(), `${name}.tif`);
  const float = dtype === 'float32';
  const bytes = buildTiff({
    width: W,
    height: H,
    bitsPerSample: float ? 32 : dtype === 'uint8' ? 8 : 16,
    sampleFormat: float ? 3 : 1,
    samplesPerPixel: samples,
    compression: 34887,
    photometric: 1,
    blocks: [blob],
    extra: [{ tag: 50674, type: FIELD.LONG, values: [4, wrap] }],
  });
  writeFileSync(path, bytes);
  return path;
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('hostile LERC blocks', () => {
  let u16Blob: Uint8Array;
  let f32Blob: Uint8Array;
  let perBand: [Uint8Array, Uint8Array];
  let mutable: string;
  const u16 = syntheticRaster('uint16', W, H, 1, 3);
  const twoBands = syntheticRaster('float32', W, H, 2, 8);
  for (let i = 0; i < 40; i++) (twoBands.bands[0] as Float32Array)[i * 31] = Number.NaN;
  for (let i = 0; i < 25; i++) (twoBands.bands[1] as Float32Array)[i * 47 + 5] = Number.NaN;

  beforeAll(async () => {
    const srcU16 = join(tmp(), 'h-u16-src.tif');
    await writeGeoTiff(srcU16, u16);
    const f = syntheticRaster('float32', W, H, 1, 4);
    for (let i = 100; i < 160; i++) (f.bands[0] as Float32Array)[i] = Number.NaN;
    const srcF32 = join(tmp(), 'h-f32-src.tif');
    await writeGeoTiff(srcF32, f as Raster);
    const srcTwo = join(tmp(), 'h-two-src.tif');
    await writeGeoTiff(srcTwo, twoBands);
    const one = (p: string) => p.replace('-src', '-lerc');
    mutable = join(tmp(), 'h-tiles.tif');
    runGdalBatch(
      tmp(),
      {
        create: [
          { path: one(srcU16), base: srcU16, format: 'GTiff', co: ['COMPRESS=LERC'] },
          { path: one(srcF32), base: srcF32, format: 'GTiff', co: ['COMPRESS=LERC'] },
          { path: one(srcTwo), base: srcTwo, format: 'GTiff', co: ['COMPRESS=LERC', 'INTERLEAVE=BAND'] },
          {
            path: mutable,
            base: srcU16,
            format: 'GTiff',
            co: ['COMPRESS=LERC', ...['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16']],
          },
        ],
        describe: [],
      },
      'lerc-hostile',
    );
    u16Blob = nthBlob(one(srcU16));
    f32Blob = nthBlob(one(srcF32));
    perBand = [nthBlob(one(srcTwo), 0), nthBlob(one(srcTwo), 1)];
  }, 60_000);

  it('a rebuilt one-strip file reads to the source (the crafted files below differ from it in one place)', async () => {
    const r = await readGeoTiffFile(lercTiff('h-intact', u16Blob.slice(), 'uint16'));
    expect(
      Buffer.from(bytesOf(r.bands[0] as Uint16Array)).equals(
        Buffer.from(bytesOf(u16.bands[0] as Uint16Array)),
      ),
    ).toBe(true);
  });

  const crafted: [string, (b: Uint8Array) => Uint8Array, string][] = [
    ['rows that do not match the strip', (b) => resign(setInt(b, 14, H + 1)), `is ${W}×${H + 1} pixels`],
    ['another data type', (b) => resign(setInt(b, 38, 6)), 'has data type 6'],
    ['micro-blocks of 0 px', (b) => resign(setInt(b, 30, 0)), 'micro-blocks of 0 px'],
    ['more valid pixels than pixels', (b) => resign(setInt(b, 26, W * H + 1)), 'valid pixels'],
    ['a blob size past the block', (b) => resign(setInt(b, 34, b.byteLength + 1)), 'are left in the block'],
    ['Lerc2 version 9', (b) => setInt(b, 6, 9), 'version 9'],
    ['a damaged byte (checksum)', (b) => flip(b, b.byteLength - 3), 'Checksum'],
    ['a second, cut blob', (b) => concat(b, b.subarray(0, 20)), 'more than 1 blob(s)'],
  ];
  for (const [what, craft, message] of crafted) {
    it(`${what} → CORRUPT_BLOCK naming the file`, async () => {
      const path = lercTiff(`h-${what.replace(/\W+/g, '-')}`, craft(u16Blob.slice()), 'uint16');
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain(message);
    });
  }

  it('a mask run past the pixel count fails before the decoder follows it, and fill keeps nothing invented', async () => {
    // the float blob has a mask (the NaN pixels); its first run becomes a repeat of 32 767 bytes
    const blob = f32Blob.slice();
    const maskAt = 14 + 52 + 4; // version 4: header, then the mask's byte count
    expect(new DataView(blob.buffer).getUint32(maskAt - 4, true)).toBeGreaterThan(0);
    new DataView(blob.buffer).setInt16(maskAt, -32767, true);
    const path = lercTiff('h-mask-overrun', resign(blob), 'float32');
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect((err as Error).message).toContain('covers more pixels');
    const filled = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
    expect(filled.filledBlocks?.length).toBe(1);
  });

  it('a micro-block with fewer bit-stuffed values than pixels fails (the decoder fills the rest with stale values)', async () => {
    // the last micro-block (5 × 5 px): bit-stuffed (encoding 1), uint16 offset 0, a one-byte count of 10 4-bit values
    const path = lercTiff('h-short-count', craftedU16Blob([0x15, 0, 0, 0x84, 10, 1, 2, 3, 4, 5]), 'uint16');
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect((err as Error).message).toContain('holds 10 values where 25 are expected');
  });

  it('a raw micro-block cut short fails instead of being zero-filled by the decoder', async () => {
    // the last micro-block: uncompressed (encoding 0), 10 of its 50 bytes, then the blob ends
    const path = lercTiff('h-raw-cut', craftedU16Blob([0x14, ...new Array(10).fill(7)]), 'uint16');
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect((err as Error).message).toContain('is cut inside a raw micro-block');
  });

  it('a Huffman table declaring 2³¹ codes fails before the decoder allocates them', async () => {
    // 8-bit, lossless: after the range and the one-sweep flag, Huffman mode 2, then the table header
    const blob = new Uint8Array(66 + 4 + 2 + 2 + 16);
    const v = new DataView(blob.buffer);
    blob.set(Buffer.from('Lerc2 '), 0);
    [4, 0, H, W, 1, W * H, 8, blob.byteLength, 1].forEach((x, i) => {
      v.setInt32(6 + 4 * i, x, true);
    });
    v.setFloat64(42, 0.5, true);
    v.setFloat64(58, 200, true);
    blob.set([0, 200, 0, 2], 70); // range 0..200, not one sweep, Huffman mode 2
    [2, 0x7fffffff, 0, 0x7fffffff].forEach((x, i) => {
      v.setInt32(74 + 4 * i, x, true);
    });
    const path = lercTiff('h-huffman-size', resign(blob), 'uint8');
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect((err as Error).message).toContain('has a Huffman table of version 2, size 2147483647');
  });

  it('an intact float blob with a mask reads to NaN exactly where the source has NaN', async () => {
    const r = await readGeoTiffFile(lercTiff('h-f32-intact', f32Blob.slice(), 'float32'));
    const band = r.bands[0] as Float32Array;
    expect(band.filter((v) => Number.isNaN(v)).length).toBe(60);
    expect(Number.isNaN(band[99] as number)).toBe(false);
    expect(Number.isNaN(band[100] as number)).toBe(true);
  });

  it('a pixel-interleaved float block of one blob per band, each with its own mask, reads NaN per band', async () => {
    // libtiff writes this layout (nDim 1, one blob and mask per sample) when NaN differ between samples; the
    // planar file's two band blobs, back to back, are exactly such a block
    const path = lercTiff('h-per-band', concat(...perBand), 'float32', 0, 2);
    const r = await readGeoTiffFile(path);
    for (const b of [0, 1]) {
      const got = Buffer.from(bytesOf(r.bands[b] as Float32Array));
      expect(got.equals(Buffer.from(bytesOf(twoBands.bands[b] as Float32Array))), `band ${b}`).toBe(true);
    }
    expect((r.bands[0] as Float32Array).filter((v) => Number.isNaN(v)).length).toBe(40);
    expect((r.bands[1] as Float32Array).filter((v) => Number.isNaN(v)).length).toBe(25);
  });

  it('an unknown wrapping fails the read with UNSUPPORTED_CODEC; deflate wrapping of a raw blob is CORRUPT_BLOCK', async () => {
    const odd = lercTiff('h-wrap-7', u16Blob.slice(), 'uint16', 7);
    await expect(readGeoTiffFile(odd)).rejects.toMatchObject({ code: 'UNSUPPORTED_CODEC' });
    const notDeflate = lercTiff('h-wrap-1', u16Blob.slice(), 'uint16', 1);
    await expect(readGeoTiffFile(notDeflate)).rejects.toMatchObject({ code: 'CORRUPT_BLOCK' });
  });

  it('12-bit samples declared LERC-compressed fail with UNSUPPORTED_CODEC naming the file (LERC holds whole bytes)', async () => {
    const path = join(tmp(), 'h-lerc-12bit.tif');
    const bytes = buildTiff({
      width: W,
      height: H,
      bitsPerSample: 12,
      sampleFormat: 1,
      samplesPerPixel: 1,
      compression: 34887,
      photometric: 1,
      blocks: [u16Blob.slice()],
      extra: [{ tag: 50674, type: FIELD.LONG, values: [4, 0] }],
    });
    writeFileSync(path, bytes);
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_CODEC' });
    expect((err as Error).message).toContain(`${path}: IFD 0 is LERC-compressed 12-bit data`);
  });

  it('300 random mutations of a tiled LERC file: the same outcome at 1 and 2 threads, only typed errors', async () => {
    const original = new Uint8Array(readFileSync(mutable));
    const firstBlob = Buffer.from(original).indexOf('Lerc2 ');
    const codes = await mutationOutcomes({
      original,
      from: firstBlob,
      cases: 300,
      seed: 17,
      path: join(tmp(), 'h-mutant.tif'),
    });
    expect(codes.get('CORRUPT_BLOCK')).toBeGreaterThan(100);
  }, 60_000);
});

/**
 * A signed version-4 uint16 blob of the test size (every pixel valid, values 0–1000, 8-px micro-blocks: 6 × 4 of
 * them): every micro-block but the last is all zero (encoding 2, its column in the header's check bits), and
 * `last` is the last one's bytes.
 */
function craftedU16Blob(last: number[]): Uint8Array {
  const head = 66 + 4 + 4 + 1; // header, mask byte count, value range, one-sweep flag
  const body: number[] = [];
  for (let by = 0; by < 4; by++)
    for (let bx = 0; bx < 6; bx++) if (by < 3 || bx < 5) body.push(2 | (bx << 2));
  body.push(...last);
  const blob = new Uint8Array(head + body.length);
  const v = new DataView(blob.buffer);
  blob.set(Buffer.from('Lerc2 '), 0);
  [4, 0, H, W, 1, W * H, 8, blob.byteLength, 3].forEach((x, i) => {
    v.setInt32(6 + 4 * i, x, true);
  });
  v.setFloat64(42, 0.5, true); // maxZError
  v.setFloat64(50, 0, true); // zMin
  v.setFloat64(58, 1000, true); // zMax
  v.setUint32(66, 0, true); // no mask
  v.setUint16(70, 0, true); // range of the one dimension: 0..1000
  v.setUint16(72, 1000, true);
  blob[74] = 0; // not one sweep: micro-blocks follow
  blob.set(body, head);
  return resign(blob);
}

function setInt(b: Uint8Array, at: number, v: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setInt32(at, v, true);
  return b;
}

function flip(b: Uint8Array, at: number): Uint8Array {
  b[at] = (b[at] as number) ^ 0x5a;
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
