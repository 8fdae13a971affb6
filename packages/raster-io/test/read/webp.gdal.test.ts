// WEBP GeoTIFFs (GDAL's COMPRESS=WEBP: 8-bit RGB / RGBA, lossy or lossless) read through the system's libwebp:
// strips and tiles, alpha, overviews and the decode workers give GDAL's pixels; blocks whose image does not fit
// the block (another size, alpha in a 3-sample block, cut, not WebP) and layouts WEBP cannot hold fail typed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadLibwebp } from '../../src/codecs/libwebp.node.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { readGeoTiffFile, webpBackend, writeGeoTiff } from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import type { Raster } from '../../src/types.js';
import { expectDecodedIntoGivenMemory, withEnv } from '../support/codec-tiles.js';
import { gdalTranslate, PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, levelsUnlikeGdal, runGdalBatch } from '../support/gdal-batch.js';
import { mutationOutcomes } from '../support/mutations.js';
import { assertDistFresh, readInChild } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { rng, syntheticRaster } from '../support/synthetic.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-webp-');
const W = 45;
const H = 29;
const available = PYTHON_GDAL !== undefined && webpBackend() !== null;

/** A smooth 8-bit image with some noise (what WEBP is made for), `bands` bands; band 4 is a graded alpha. */
function imageRaster(
  width: number,
  height: number,
  bands: number,
  seed: number,
  alpha?: 'graded' | 'opaque',
) {
  const r = syntheticRaster('uint8', width, height, bands, seed);
  const next = rng(seed);
  for (const [b, band] of r.bands.entries()) {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        band[i] =
          b === 3 && alpha
            ? alpha === 'opaque'
              ? 255
              : x < 6
                ? 0
                : Math.min(255, (x * 9 + y * 3) & 255)
            : (x * (b + 2) + y * 3 + Math.floor(next() * 24)) & 255;
      }
  }
  return r;
}

async function source(name: string, r: Raster): Promise<string> {
  const path = join(tmp(), `src-${name}.tif`);
  await writeGeoTiff(path, r);
  return path;
}

interface Variant {
  name: string;
  path: string;
  base: string;
  format: 'GTiff' | 'COG';
  co: string[];
  levels: number;
}

describe.runIf(requireTool('python3-gdal and libwebp', available))('WEBP GeoTIFFs', () => {
  const variants: Variant[] = [];
  let gdal: Record<string, GdalFile> = {};
  const tile = ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'];

  beforeAll(async () => {
    const rgb = await source('rgb', imageRaster(W, H, 3, 3));
    const rgba = await source('rgba', imageRaster(W, H, 4, 4, 'graded'));
    const opaque = await source('opaque', imageRaster(W, H, 4, 5, 'opaque'));
    const rgbaCo = ['PHOTOMETRIC=RGB', 'ALPHA=YES'];
    const add = (name: string, base: string, co: string[], format: 'GTiff' | 'COG' = 'GTiff', levels = 1) =>
      variants.push({ name, path: join(tmp(), `${name}.tif`), base, format, co, levels });
    add('rgb-strips-lossy', rgb, ['COMPRESS=WEBP', 'BLOCKYSIZE=7']); // last strip: 1 row
    add('rgb-tiles-level-40', rgb, ['COMPRESS=WEBP', 'WEBP_LEVEL=40', ...tile]);
    add('rgb-tiles-lossless', rgb, ['COMPRESS=WEBP', 'WEBP_LOSSLESS=YES', ...tile]);
    add('rgba-lossless', rgba, ['COMPRESS=WEBP', 'WEBP_LOSSLESS=YES', ...rgbaCo, ...tile]);
    add('rgba-lossy', rgba, ['COMPRESS=WEBP', 'WEBP_LEVEL=80', ...rgbaCo, 'BLOCKYSIZE=10']);
    // an opaque alpha: libwebp may store no alpha at all, and the fourth sample decodes as 255
    add('rgba-opaque-lossy', opaque, ['COMPRESS=WEBP', ...rgbaCo, ...tile]);
    add('rgb-cog', rgb, ['COMPRESS=WEBP', 'QUALITY=70', 'BLOCKSIZE=16', 'OVERVIEW_COUNT=2'], 'COG', 3);
    gdal = runGdalBatch(
      tmp(),
      {
        create: variants.map((v) => ({ path: v.path, base: v.base, format: v.format, co: v.co })),
        describe: variants.map((v) => v.path),
      },
      'webp',
    );
  }, 60_000);

  it('every variant reads to GDAL’s pixels, bit for bit, at every level', async () => {
    const failures: string[] = [];
    let levelsChecked = 0;
    for (const v of variants) {
      const ref = gdal[v.path] as GdalFile;
      const r = await levelsUnlikeGdal(v.path, ref, { name: v.name, compression: 50001, levels: v.levels });
      failures.push(...r.differing);
      levelsChecked += r.levels;
    }
    expect(failures).toEqual([]);
    expect(levelsChecked).toBe(variants.length + 2);
  });

  it('lossless files equal their sources (RGB where alpha > 0: the encoder may change fully transparent pixels); an opaque alpha reads 255', async () => {
    for (const [name, base] of [
      ['rgb-tiles-lossless', 'src-rgb'],
      ['rgba-lossless', 'src-rgba'],
    ]) {
      const r = await readGeoTiffFile(join(tmp(), `${name}.tif`));
      const want = await readGeoTiffFile(join(tmp(), `${base}.tif`));
      const alpha = want.bands[3] as Uint8Array | undefined;
      const shown = (band: ArrayLike<number>) => Array.from(band).filter((_, i) => !alpha || alpha[i] !== 0);
      for (const [b, band] of want.bands.entries())
        expect(shown(r.bands[b] as Uint8Array), `${name} band ${b}`).toEqual(shown(band as Uint8Array));
      if (alpha) expect(alpha.filter((a) => a === 0).length).toBe(6 * H); // the transparent columns
    }
    const opaque = await readGeoTiffFile(join(tmp(), 'rgba-opaque-lossy.tif'));
    expect((opaque.bands[3] as Uint8Array).every((a) => a === 255)).toBe(true);
    const lossy = await readGeoTiffFile(join(tmp(), 'rgb-tiles-level-40.tif'));
    const src = await readGeoTiffFile(join(tmp(), 'src-rgb.tif'));
    const band = lossy.bands[0] as Uint8Array;
    const diff = band.reduce((s, v, i) => s + Math.abs(v - ((src.bands[0] as Uint8Array)[i] as number)), 0);
    expect(diff / band.length).toBeGreaterThan(0.5); // lossy: not the source…
    expect(diff / band.length).toBeLessThan(20); // …but close to it
  });

  // Pixel-interleaved WEBP levels are split into bands in WebAssembly (src/read/wasm-stage.ts), libwebp decoding
  // straight into the stage's block area: every read must equal the JavaScript split's.
  it('staged in WebAssembly: libwebp decodes into the stage; every variant, level and window reads as WORLDSTRAT_WASM=off reads it', async () => {
    const lib = loadLibwebp();
    if (!lib) throw new Error('no libwebp');
    const decode = vi.spyOn(lib, 'decode');
    const reads = (v: Variant) =>
      [
        {},
        { window: { x: 5, y: 3, width: 33, height: 21 } },
        { window: { x: 40, y: 20, width: 5, height: 9 } },
        ...Array.from({ length: v.levels - 1 }, (_, k) => ({ level: k + 1 })),
      ] as Parameters<typeof readGeoTiffFile>[1][];
    const pixels = async (v: Variant) => {
      const out: string[] = [];
      for (const options of reads(v)) {
        const r = await readGeoTiffFile(v.path, options);
        out.push(r.bands.map((b) => Buffer.from(bytesOf(b)).toString('base64')).join('|'));
      }
      return out;
    };
    try {
      for (const v of variants) {
        decode.mockClear();
        const staged = await pixels(v);
        expectDecodedIntoGivenMemory(decode.mock, 5, v.name);
        expect(await withEnv('WORLDSTRAT_WASM', 'off', () => pixels(v)), v.name).toEqual(staged);
      }
    } finally {
      decode.mockRestore();
    }
  });

  it('large reads decode WEBP blocks on the workers: threads 2 equal threads 1 and GDAL', async () => {
    const src = await source('large', imageRaster(700, 600, 3, 9));
    const path = join(tmp(), 'large-webp.tif');
    const ref = runGdalBatch(
      tmp(),
      {
        create: [{ path, base: src, format: 'GTiff', co: ['COMPRESS=WEBP', 'TILED=YES'] }],
        describe: [path],
      },
      'webp-large',
    )[path] as GdalFile;
    const one = await readGeoTiffFile(path);
    const two = await readGeoTiffFile(path, { threads: 2 });
    expect(decodeWorkerCount()).toBeGreaterThan(0);
    for (const b of [0, 1, 2]) {
      const want = Buffer.from(ref.bands[b]?.levels[0]?.data ?? '', 'base64');
      expect(Buffer.from(bytesOf(one.bands[b] as Uint8Array)).equals(want), `band ${b}`).toBe(true);
      expect(Buffer.from(bytesOf(two.bands[b] as Uint8Array)).equals(want), `band ${b}`).toBe(true);
    }
  });
});

/** A standalone WebP image of `src`'s window (x, y, width, height), written by GDAL's WEBP driver. */
function webpImage(src: string, win: [number, number, number, number], co: string[] = ['LOSSLESS=TRUE']) {
  const out = join(tmp(), `img-${win.join('-')}-${co.join('-').replace(/\W+/g, '')}.webp`);
  gdalTranslate(['-of', 'WEBP', ...co.flatMap((c) => ['-co', c]), '-srcwin', ...win.map(String), src, out]);
  return new Uint8Array(readFileSync(out));
}

/** A 32×32 tiled WEBP TIFF (16-px tiles) of `blocks`. */
function webpTiff(name: string, blocks: Uint8Array[], samples = 3, bitsPerSample = 8): string {
  const path = join(tmp(), `${name}.tif`);
  writeFileSync(
    path,
    buildTiff({
      width: 32,
      height: 32,
      bitsPerSample,
      sampleFormat: 1,
      samplesPerPixel: samples,
      compression: 50001,
      photometric: samples >= 3 ? 2 : 1,
      blocks,
      tile: { width: 16, height: 16 },
    }),
  );
  return path;
}

describe.runIf(requireTool('GDAL and libwebp', available))('hostile WEBP blocks', () => {
  let rgbSrc: Raster;
  let good: Uint8Array[];
  let rgbaSrc: string;

  beforeAll(async () => {
    rgbSrc = imageRaster(32, 32, 3, 21);
    const src = await source('tiles', rgbSrc);
    rgbaSrc = await source('tiles-rgba', imageRaster(32, 32, 4, 22, 'graded'));
    good = [0, 1, 2, 3].map((t) => webpImage(src, [(t & 1) * 16, (t >> 1) * 16, 16, 16]));
  }, 60_000);

  it('a TIFF assembled from four lossless WebP images reads to their pixels, as GDAL reads it', async () => {
    const path = webpTiff('h-intact', good);
    const r = await readGeoTiffFile(path);
    for (const [b, band] of rgbSrc.bands.entries())
      expect(
        Buffer.from(bytesOf(r.bands[b] as Uint8Array)).equals(Buffer.from(bytesOf(band))),
        `band ${b}`,
      ).toBe(true);
    const ref = runGdalBatch(tmp(), { describe: [path] }, 'webp-intact')[path] as GdalFile;
    expect(
      Buffer.from(ref.bands[2]?.levels[0]?.data ?? '', 'base64').equals(
        Buffer.from(r.bands[2] as Uint8Array),
      ),
    ).toBe(true);
  });

  it('a 4-sample block holding an image without alpha reads alpha 255 (as libtiff accepts it)', async () => {
    const r = await readGeoTiffFile(webpTiff('h-rgb-in-rgba', good, 4));
    expect((r.bands[3] as Uint8Array).every((a) => a === 255)).toBe(true);
    expect(Buffer.from(r.bands[1] as Uint8Array).equals(Buffer.from(rgbSrc.bands[1] as Uint8Array))).toBe(
      true,
    );
  });

  it('blocks whose image does not fit the block → CORRUPT_BLOCK naming the file and the tile', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['another size', webpImage(rgbaSrc, [0, 0, 20, 16]), 'a 20×16 image where the block is 16×16'],
      [
        'alpha in a 3-sample block',
        webpImage(rgbaSrc, [16, 0, 16, 16]),
        'an image with alpha in a 3-sample block',
      ],
      ['cut', (good[1] as Uint8Array).slice(0, (good[1] as Uint8Array).length >> 1), 'could not decode it'],
      ['not WebP', new Uint8Array(200).fill(0x5a), 'not a WebP image libwebp can read'],
      ['empty RIFF', Uint8Array.from(Buffer.from('RIFF\x04\x00\x00\x00WEBP', 'latin1')), 'not a WebP image'],
    ];
    for (const [what, blob, message] of cases) {
      const path = webpTiff(`h-${what.replace(/\W+/g, '-')}`, [
        good[0] as Uint8Array,
        blob,
        good[2] as Uint8Array,
        good[3] as Uint8Array,
      ]);
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err, what).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message, what).toContain(`${path}: IFD 0, tile 1`);
      expect((err as Error).message, what).toContain(message);
      const filled = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
      expect(
        filled.filledBlocks?.map((b) => b.index),
        what,
      ).toEqual([1]);
      // the other tiles keep their pixels: row 20 lies in tile 2
      const row = (r: { bands: ArrayLike<number>[] }) =>
        Array.from((r.bands[0] as Uint8Array).subarray(20 * 32, 20 * 32 + 16));
      expect(row(filled), what).toEqual(row(rgbSrc));
    }
  });

  it('layouts WEBP cannot hold (16-bit, one sample) → UNSUPPORTED_CODEC naming the file', async () => {
    for (const [name, samples, bits, why] of [
      ['h-16-bit', 3, 16, '16-bit uint16 samples'],
      ['h-one-sample', 1, 8, '1 samples per pixel'],
    ] as const) {
      const path = webpTiff(name, good, samples, bits);
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err, name).toMatchObject({ code: 'UNSUPPORTED_CODEC' });
      expect((err as Error).message, name).toContain(`${path}: IFD 0 is WEBP-compressed with ${why}`);
    }
  });

  it('200 random mutations of a lossy tiled WEBP file: the same outcome at 1 and 2 threads, only typed errors', async () => {
    const path0 = join(tmp(), 'h-mutable.tif');
    runGdalBatch(
      tmp(),
      {
        create: [
          {
            path: path0,
            base: rgbaSrc,
            format: 'GTiff',
            co: [
              'COMPRESS=WEBP',
              'PHOTOMETRIC=RGB',
              'ALPHA=YES',
              'TILED=YES',
              'BLOCKXSIZE=16',
              'BLOCKYSIZE=16',
            ],
          },
        ],
        describe: [],
      },
      'webp-mutable',
    );
    const original = new Uint8Array(readFileSync(path0));
    const firstBlob = Buffer.from(original).indexOf('RIFF');
    const codes = await mutationOutcomes({
      original,
      from: firstBlob,
      cases: 200,
      seed: 31,
      path: join(tmp(), 'h-mutant.tif'),
    });
    expect(codes.get('CORRUPT_BLOCK')).toBeGreaterThan(50);
    expect([...codes.keys()].every((c) => ['ok', 'CORRUPT_BLOCK'].includes(c))).toBe(true);
  }, 60_000);

  it('without libwebp (WORLDSTRAT_LIBWEBP=off): UNSUPPORTED_CODEC saying what to install, never filled', async () => {
    assertDistFresh();
    const path = webpTiff('no-backend', good);
    await withEnv('WORLDSTRAT_LIBWEBP', 'off', async () => {
      for (const options of [{}, { onCorruptBlock: 'fill' }, { threads: 2 }]) {
        const r = await readInChild(path, options);
        expect(r, JSON.stringify(options)).toMatchObject({
          ok: false,
          typed: true,
          code: 'UNSUPPORTED_CODEC',
        });
        expect(r.message).toMatch(/no-backend\.tif: WEBP \(TIFF compression 50001\) needs Node with libwebp/);
      }
    });
  });
});
