// Packed samples (GDAL's NBITS: 1-bit masks, 4-bit palettes, 12-bit sensors): every bit count GDAL writes for
// unsigned integers, strips and tiles, pixel and band interleave, compressed or not, both byte orders, read into
// the dtype GDAL gives them with GDAL's pixels; large reads on the workers; cut files fail typed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DType, readRaster } from '../../src/index.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { openGeoTiffFile, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-nbits-');
const W = 37;
const H = 29;

const dtypeFor = (nbits: number): DType => (nbits < 8 ? 'uint8' : nbits < 16 ? 'uint16' : 'uint32');
const LAYOUTS: [string, number, string[]][] = [
  ['strips', 1, []],
  ['tiled-pixel', 3, ['INTERLEAVE=PIXEL', 'TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16']],
  ['band-deflate', 3, ['INTERLEAVE=BAND', 'COMPRESS=DEFLATE']],
  ['lzw-3-row-strips-pixel', 2, ['INTERLEAVE=PIXEL', 'COMPRESS=LZW', 'BLOCKYSIZE=3']],
  ['big-endian-packbits', 1, ['ENDIANNESS=BIG', 'COMPRESS=PACKBITS']],
];
const NBITS = [1, 2, 3, 4, 7, 10, 12, 15, 20, 31];

/** A base raster of `nbits`-bit values in the dtype that holds them. */
async function base(nbits: number, bands: number, w = W, h = H): Promise<string> {
  const dtype = dtypeFor(nbits);
  const r = syntheticRaster(dtype, w, h, bands, nbits * 10 + bands);
  const mask = nbits === 31 ? 0x7fffffff : (1 << nbits) - 1;
  for (const b of r.bands) for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) & mask;
  const path = join(tmp(), `base-${nbits}-${bands}-${w}.tif`);
  await writeGeoTiff(path, r);
  return path;
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))('NBITS (packed) samples', () => {
  const variants: { name: string; nbits: number; path: string; base: string; co: string[] }[] = [];
  let gdal: Record<string, GdalFile> = {};

  beforeAll(async () => {
    for (const nbits of NBITS) {
      for (const [tag, bands, co] of LAYOUTS) {
        const name = `n${nbits}-${tag}`;
        variants.push({ name, nbits, path: join(tmp(), `${name}.tif`), base: await base(nbits, bands), co });
      }
    }
    gdal = runGdalBatch(
      tmp(),
      {
        create: variants.map((v) => ({
          path: v.path,
          base: v.base,
          format: 'GTiff',
          co: [`NBITS=${v.nbits}`, ...v.co],
        })),
        describe: variants.map((v) => v.path),
      },
      'nbits',
    );
  }, 120_000);

  it('every bit count and layout reads as GDAL reads it, in the dtype GDAL gives it', async () => {
    const failures: string[] = [];
    for (const v of variants) {
      const tiff = await openGeoTiffFile(v.path);
      try {
        const level = tiff.levels[0];
        expect(level?.nbits, v.name).toBe(v.nbits);
        expect(level?.dtype, v.name).toBe(dtypeFor(v.nbits));
        expect(level?.planarConfiguration, v.name).toBe(v.co.includes('INTERLEAVE=BAND') ? 2 : 1);
        const r = await readRaster(tiff);
        const ref = gdal[v.path] as GdalFile;
        for (const [b, band] of r.bands.entries()) {
          const want = Buffer.from(ref.bands[b]?.levels[0]?.data ?? '', 'base64');
          if (!Buffer.from(bytesOf(band)).equals(want)) failures.push(`${v.name} band ${b}`);
        }
        // a window that starts mid-byte of a packed row
        const win = await readRaster(tiff, { window: { x: 3, y: 5, width: 29, height: 17 }, bands: [0] });
        const full = r.bands[0] as Uint8Array;
        for (let y = 0; y < 17; y++)
          for (let x = 0; x < 29; x++)
            if ((win.bands[0] as Uint8Array)[y * 29 + x] !== full[(y + 5) * W + x + 3])
              failures.push(`${v.name} window (${x}, ${y})`);
      } finally {
        await tiff.close();
      }
    }
    expect(failures).toEqual([]);
  });

  it('large reads decode packed blocks on the workers: threads 2 equal threads 1', async () => {
    const src = await base(12, 3, 700, 600);
    const path = join(tmp(), 'n12-large.tif');
    runGdalBatch(
      tmp(),
      {
        create: [{ path, base: src, format: 'GTiff', co: ['NBITS=12', 'TILED=YES', 'COMPRESS=DEFLATE'] }],
        describe: [],
      },
      'nbits-large',
    );
    const one = await readGeoTiffFile(path);
    const two = await readGeoTiffFile(path, { threads: 2 });
    expect(decodeWorkerCount()).toBeGreaterThan(0);
    const source = await readGeoTiffFile(src);
    for (const [b, band] of source.bands.entries()) {
      expect(Buffer.from(bytesOf(one.bands[b] as typeof band)).equals(Buffer.from(bytesOf(band)))).toBe(true);
      expect(Buffer.from(bytesOf(two.bands[b] as typeof band)).equals(Buffer.from(bytesOf(band)))).toBe(true);
    }
  });

  it('limits count packed blocks at their unpacked size (16 × 16 × 3 one-bit samples: 96 bytes stored, 768 read)', async () => {
    const v = variants.find((x) => x.name === 'n1-tiled-pixel') as (typeof variants)[number];
    const err = await readGeoTiffFile(v.path, { limits: { maxBlockBytes: 500 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_LARGE' });
    expect((err as Error).message).toContain('768');
    expect((await readGeoTiffFile(v.path, { limits: { maxBlockBytes: 768 } })).bands.length).toBe(3);
  });

  it('a cut NBITS file fails with TRUNCATED naming the file, at 1 and 2 threads', async () => {
    const v = variants.find((x) => x.name === 'n4-strips') as (typeof variants)[number];
    const cut = join(tmp(), 'n4-cut.tif');
    const bytes = readFileSync(v.path);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    for (const threads of [1, 2]) {
      await expect(readGeoTiffFile(cut, { threads })).rejects.toMatchObject({ code: 'TRUNCATED' });
      await expect(readGeoTiffFile(cut, { threads })).rejects.toThrow('n4-cut.tif');
    }
  });
});
