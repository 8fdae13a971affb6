// CCITT bilevel GeoTIFFs (compressions 2, 3, 4: GDAL's CCITTRLE / CCITTFAX3 / CCITTFAX4 on NBITS=1 data, and
// libtiff's tiffcp for what GDAL does not write: T.4 2-D, fill bits, least-significant-bit-first order, tiles) read
// to GDAL's pixels and to their sources; runs of every code length appear; damaged blocks fail typed. FillOrder 2
// under the other codecs too.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoTiffFile, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import type { Raster } from '../../src/types.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, runGdalBatch } from '../support/gdal-batch.js';
import { mutationOutcomes } from '../support/mutations.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-ccitt-');
const TIFFCP = spawnSync('tiffcp', [], { encoding: 'utf8' }).error === undefined;

/**
 * A 0/1 image whose rows alternate white and black runs of every code the tables hold: 0–63, the make-ups
 * 64–2560 (plus a remainder) and, in the first row, one white run longer than 2560 (two make-ups).
 */
function runsRaster(width: number, height: number, seed: number): Raster {
  const band = new Uint8Array(width * height);
  const next = rng(seed);
  const lengths = [
    ...Array.from({ length: 64 }, (_, i) => i + 1),
    ...Array.from({ length: 40 }, (_, i) => 64 * (i + 1) + (i % 7)),
  ];
  let k = 0;
  for (let y = 0; y < height; y++) {
    let x = y === 0 ? 2700 : 0; // row 0: a white run of 2700, then the rest
    let color = y % 3 === 1 ? 1 : 0; // some rows start black (a white run of 0)
    while (x < width) {
      // rows 2–4 of every 5: random short runs (2-D codes between close changes), else the code lengths
      const short = y % 5 === 2 || y % 5 === 3 ? 4 : y % 5 === 4 ? 40 : 0;
      const run = short ? 1 + Math.floor(next() * short) : (lengths[k++ % lengths.length] as number);
      band.fill(color, y * width + x, y * width + Math.min(width, x + run));
      x += run;
      color ^= 1;
    }
  }
  return { width, height, dtype: 'uint8', bands: [band] };
}

/** How many rows of `r` differ from the row above (the test images must not repeat one row). */
function distinctRows(r: Raster): number {
  const b = r.bands[0] as Uint8Array;
  let n = 0;
  for (let y = 1; y < r.height; y++)
    if (
      !bytesOf(b.subarray(y * r.width, (y + 1) * r.width)).equals(
        bytesOf(b.subarray((y - 1) * r.width, y * r.width)),
      )
    )
      n++;
  return n;
}

/** GDAL rewrites `src` (0/1 bytes) as 1-bit samples with `co`. */
function gdalOneBit(src: string, out: string, co: string[]): void {
  const py = `import sys\nfrom osgeo import gdal\ngdal.UseExceptions()\ngdal.Translate(sys.argv[2], sys.argv[1], creationOptions=sys.argv[3:])`;
  const r = spawnSync(PYTHON_GDAL as string, ['-c', py, src, out, 'NBITS=1', ...co], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

function tiffcp(args: string[]): void {
  const r = spawnSync('tiffcp', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tiffcp ${args.join(' ')}: ${r.stderr}`);
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.runIf(requireTool('python3-gdal and tiffcp (libtiff-tools)', PYTHON_GDAL !== undefined && TIFFCP))(
  'CCITT GeoTIFFs',
  () => {
    const source = runsRaster(3000, 61, 7);
    const files: { name: string; path: string; compression: number }[] = [];
    let gdal: Record<string, GdalFile> = {};

    beforeAll(async () => {
      const src = join(tmp(), 'src.tif');
      await writeGeoTiff(src, source);
      const plain = join(tmp(), 'one-bit.tif');
      gdalOneBit(src, plain, []);
      const add = (name: string, make: (path: string) => void) => {
        const path = join(tmp(), `${name}.tif`);
        make(path);
        files.push({ name, path, compression: name.includes('rle') ? 2 : name.includes('3') ? 3 : 4 });
      };
      add('gdal-rle', (p) => gdalOneBit(src, p, ['COMPRESS=CCITTRLE']));
      add('gdal-fax3', (p) => gdalOneBit(src, p, ['COMPRESS=CCITTFAX3', 'BLOCKYSIZE=7']));
      add('gdal-fax4', (p) => gdalOneBit(src, p, ['COMPRESS=CCITTFAX4']));
      add('gdal-fax4-tiles', (p) =>
        gdalOneBit(src, p, ['COMPRESS=CCITTFAX4', 'TILED=YES', 'BLOCKXSIZE=256', 'BLOCKYSIZE=16']),
      );
      add('tiffcp-g3-2d', (p) => tiffcp(['-c', 'g3:2d', '-r', '9', plain, p]));
      add('tiffcp-g3-2d-fill', (p) => tiffcp(['-c', 'g3:2d:fill', plain, p]));
      add('tiffcp-g3-1d-fill-lsb', (p) => tiffcp(['-c', 'g3:1d:fill', '-f', 'lsb2msb', plain, p]));
      add('tiffcp-g4-lsb', (p) => tiffcp(['-c', 'g4', '-f', 'lsb2msb', plain, p]));
      add('tiffcp-g3-2d-tiles', (p) => tiffcp(['-c', 'g3:2d:fill', '-t', '-w', '512', '-l', '32', plain, p]));
      gdal = runGdalBatch(tmp(), { describe: files.map((f) => f.path) }, 'ccitt');
    }, 60_000);

    it('every variant reads to GDAL’s pixels and to the source, 0/1 per pixel', async () => {
      const want = bytesOf(source.bands[0] as Uint8Array);
      expect(distinctRows(source)).toBe(source.height - 1);
      for (const f of files) {
        const tiff = await openGeoTiffFile(f.path);
        expect(tiff.levels[0]?.compression, f.name).toBe(f.compression);
        await tiff.close();
        const r = await readGeoTiffFile(f.path);
        expect(r.dtype, f.name).toBe('uint8');
        const ref = Buffer.from(gdal[f.path]?.bands[0]?.levels[0]?.data ?? '', 'base64');
        expect(bytesOf(r.bands[0] as Uint8Array).equals(ref), `${f.name} vs GDAL`).toBe(true);
        expect(bytesOf(r.bands[0] as Uint8Array).equals(want), `${f.name} vs source`).toBe(true);
      }
      expect(files.length).toBe(9);
    });

    it('FillOrder 2 (bits stored least significant first) under every codec, 1-bit and 8-bit: GDAL’s pixels', async () => {
      const plain = join(tmp(), 'one-bit.tif');
      const rgba = join(tmp(), 'rgba-8bit.tif');
      const eight: Raster = {
        width: 97,
        height: 61,
        dtype: 'uint8',
        bands: [0, 1, 2, 3].map((b) => Uint8Array.from({ length: 97 * 61 }, (_, i) => (i * (7 + b)) & 255)),
      };
      await writeGeoTiff(rgba, eight);
      const variants = [
        ...['none', 'lzw', 'zip', 'packbits'].map((c) => ({ src: plain, args: ['-c', c] })),
        { src: rgba, args: ['-c', 'none'] },
        { src: rgba, args: ['-c', 'zip', '-t', '-w', '32', '-l', '32'] },
        { src: rgba, args: ['-c', 'lzw', '-p', 'separate'] },
      ].map((v, i) => ({ ...v, path: join(tmp(), `lsb-first-${i}.tif`) }));
      for (const v of variants) tiffcp([...v.args, '-f', 'lsb2msb', v.src, v.path]);
      const ref = runGdalBatch(tmp(), { describe: variants.map((v) => v.path) }, 'fill-order');
      for (const v of variants) {
        expect(
          readFileSync(v.path).includes(
            Buffer.from([0x0a, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00]),
          ),
          `${v.args} FillOrder 2`,
        ).toBe(true);
        const r = await readGeoTiffFile(v.path);
        const want = v.src === plain ? [source.bands[0] as Uint8Array] : (eight.bands as Uint8Array[]);
        for (const [b, band] of r.bands.entries()) {
          const gdalBand = Buffer.from(ref[v.path]?.bands[b]?.levels[0]?.data ?? '', 'base64');
          expect(bytesOf(band).equals(gdalBand), `${v.args} band ${b} vs GDAL`).toBe(true);
          expect(bytesOf(band).equals(bytesOf(want[b] as Uint8Array)), `${v.args} band ${b} vs source`).toBe(
            true,
          );
        }
      }
    });

    it('JPEG ignores FillOrder 2 as libtiff does (its codec takes no bit reversal): GDAL’s pixels', async () => {
      const rgb = join(tmp(), 'rgb-8bit.tif');
      await writeGeoTiff(rgb, {
        width: 64,
        height: 48,
        dtype: 'uint8',
        bands: [0, 1, 2].map((b) => Uint8Array.from({ length: 64 * 48 }, (_, i) => (i * (3 + b)) & 255)),
      });
      const paths = [
        ['-c', 'jpeg'],
        ['-c', 'jpeg', '-t', '-w', '16', '-l', '16'],
      ].map((args, i) => {
        const path = join(tmp(), `jpeg-lsb-first-${i}.tif`);
        tiffcp([...args, '-f', 'lsb2msb', rgb, path]);
        return path;
      });
      const ref = runGdalBatch(tmp(), { describe: paths }, 'jpeg-fill-order');
      for (const path of paths) {
        const r = await readGeoTiffFile(path); // reversed first, the data did not start with a JPEG SOI
        expect(r.bands.length).toBe(3);
        for (const [b, band] of r.bands.entries()) {
          const gdalBand = Buffer.from(ref[path]?.bands[b]?.levels[0]?.data ?? '', 'base64');
          expect(gdalBand.length).toBe(64 * 48);
          expect(bytesOf(band).equals(gdalBand), `${path} band ${b} vs GDAL`).toBe(true);
        }
      }
    });

    it('large reads decode CCITT blocks on the workers: threads 2 equal threads 1 and the source', async () => {
      const big = runsRaster(3100, 3000, 11); // 1.1 MiB of packed rows: enough for the worker pool
      const src = join(tmp(), 'big-src.tif');
      await writeGeoTiff(src, big);
      const path = join(tmp(), 'big-fax4.tif');
      gdalOneBit(src, path, ['COMPRESS=CCITTFAX4', 'BLOCKYSIZE=64']);
      const one = await readGeoTiffFile(path);
      const two = await readGeoTiffFile(path, { threads: 2 });
      expect(decodeWorkerCount()).toBeGreaterThan(0);
      expect(bytesOf(one.bands[0] as Uint8Array).equals(bytesOf(big.bands[0] as Uint8Array))).toBe(true);
      expect(bytesOf(two.bands[0] as Uint8Array).equals(bytesOf(big.bands[0] as Uint8Array))).toBe(true);
    });

    it('a cut strip and a strip of garbage → CORRUPT_BLOCK naming the file and the strip; fill keeps the others', async () => {
      const good = join(tmp(), 'gdal-fax3.tif'); // strips of 7 rows
      const rows = readGeoTiffFile(good);
      const bytes = new Uint8Array(readFileSync(good));
      const { offsets, counts } = stripTable(bytes);
      for (const [what, damage] of [
        [
          'cut',
          (b: Uint8Array) =>
            b.fill(
              0,
              (offsets[2] as number) + ((counts[2] as number) >> 1),
              (offsets[2] as number) + (counts[2] as number),
            ),
        ],
        [
          'garbage',
          (b: Uint8Array) =>
            b.fill(0xa5, offsets[2] as number, (offsets[2] as number) + (counts[2] as number)),
        ],
      ] as const) {
        const copy = bytes.slice();
        damage(copy);
        const path = join(tmp(), `damaged-${what}.tif`);
        writeFileSync(path, copy);
        const err = await readGeoTiffFile(path).catch((e: unknown) => e);
        expect(err, what).toMatchObject({ code: 'CORRUPT_BLOCK' });
        expect((err as Error).message, what).toContain(`${path}: IFD 0, strip 2`);
        const filled = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
        expect(
          filled.filledBlocks?.map((b) => b.index),
          what,
        ).toEqual([2]);
        const want = (await rows).bands[0] as Uint8Array;
        expect(
          bytesOf((filled.bands[0] as Uint8Array).subarray(0, 14 * 3000)).equals(
            bytesOf(want.subarray(0, 14 * 3000)),
          ),
        ).toBe(true);
        expect((filled.bands[0] as Uint8Array).subarray(14 * 3000, 21 * 3000).every((v) => v === 0)).toBe(
          true,
        );
      }
    });

    it('300 random mutations of a T.6 file: the same outcome at 1 and 2 threads, only typed errors', async () => {
      const original = new Uint8Array(readFileSync(join(tmp(), 'gdal-fax4-tiles.tif')));
      const { offsets } = stripTable(original, 324);
      const first = Math.min(...offsets);
      const codes = await mutationOutcomes({
        original,
        from: first,
        cases: 300,
        seed: 5,
        path: join(tmp(), 'mutant.tif'),
      });
      expect(codes.get('CORRUPT_BLOCK')).toBeGreaterThan(100);
      expect([...codes.keys()].every((c) => ['ok', 'CORRUPT_BLOCK'].includes(c))).toBe(true);
    }, 60_000);

    it('8-bit samples declared CCITT-compressed → UNSUPPORTED_CODEC naming the file', async () => {
      const path = join(tmp(), 'eight-bit-fax.tif');
      writeFileSync(
        path,
        buildTiff({
          width: 16,
          height: 4,
          bitsPerSample: 8,
          sampleFormat: 1,
          samplesPerPixel: 1,
          compression: 4,
          photometric: 1,
          blocks: [new Uint8Array(16)],
        }),
      );
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_CODEC' });
      expect((err as Error).message).toContain(`${path}: IFD 0 is CCITT-compressed (4) with 8-bit samples`);
    });
  },
);

/** The block offsets and byte counts of IFD 0 (strip tags, or tile tags with `offsetsTag` 324). */
function stripTable(bytes: Uint8Array, offsetsTag = 273): { offsets: number[]; counts: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint16(0, true)).toBe(0x4949); // little-endian classic TIFF
  const ifd = view.getUint32(4, true);
  const read = (tag: number): number[] => {
    for (let e = 0; e < view.getUint16(ifd, true); e++) {
      const at = ifd + 2 + 12 * e;
      if (view.getUint16(at, true) !== tag) continue;
      const type = view.getUint16(at + 2, true);
      const n = view.getUint32(at + 4, true);
      const size = type === 3 ? 2 : 4;
      const base = n * size > 4 ? view.getUint32(at + 8, true) : at + 8;
      return Array.from({ length: n }, (_, i) =>
        size === 2 ? view.getUint16(base + 2 * i, true) : view.getUint32(base + 4 * i, true),
      );
    }
    throw new Error(`tag ${tag} not found`);
  };
  return { offsets: read(offsetsTag), counts: read(offsetsTag === 324 ? 325 : 279) };
}
