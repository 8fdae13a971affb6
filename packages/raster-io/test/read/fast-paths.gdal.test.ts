// The read fast paths (LZW by copying earlier output, per-kind predictor loops, word-wise de-interleaving)
// on blocks large enough to fill the LZW table many times, with runs (KwKwK codes), written by GDAL.
import { describe, expect, it } from 'vitest';
import { decodeLzw } from '../../src/codecs/lzw.js';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import type { DType, Raster } from '../../src/types.js';
import { gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-fast-');

/** Runs of one value (KwKwK codes), ramps and noise, so LZW tables fill and clear many times per strip. */
function raster(dtype: DType, bands: number, w: number, h: number, seed: number): Raster {
  const next = rng(seed);
  const Arr = { uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array, float64: Float64Array }[
    dtype as 'uint8'
  ];
  return {
    width: w,
    height: h,
    dtype,
    bands: Array.from({ length: bands }, (_, b) =>
      Arr.from({ length: w * h }, (_, i) => {
        const x = i % w;
        if (x % 200 < 60) return 7 + b; // a run
        const v = ((x * 3 + Math.floor(i / w)) % 251) + Math.floor(next() * 4);
        return dtype.startsWith('float') ? v / 7 - 3 : v;
      }),
    ),
  };
}

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('read fast paths vs the source pixels', () => {
  const cases: [DType, string[]][] = [
    ['uint8', ['COMPRESS=LZW', 'BLOCKYSIZE=64']],
    ['uint16', ['COMPRESS=LZW', 'PREDICTOR=2', 'BLOCKYSIZE=32']],
    ['uint16', ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'TILED=YES']],
    ['float32', ['COMPRESS=LZW', 'PREDICTOR=3', 'BLOCKYSIZE=16']],
    ['float32', ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'TILED=YES']],
    ['float64', ['COMPRESS=DEFLATE', 'PREDICTOR=3']],
    ['float64', ['COMPRESS=NONE']],
  ];
  it.each(cases)('%s, 3 pixel-interleaved bands, %s: equal to the source', async (dtype, co) => {
    const src = raster(dtype, 3, 460, 40, 5);
    const plain = `${tmp()}/src-${dtype}.tif`;
    await writeGeoTiff(plain, src);
    const out = `${tmp()}/${dtype}-${co.join('-')}.tif`;
    gdalTranslate([...co.flatMap((c) => ['-co', c]), '-co', 'INTERLEAVE=PIXEL', plain, out]);
    const back = await readGeoTiffFile(out);
    for (let b = 0; b < 3; b++) expect(back.bands[b]).toEqual(src.bands[b]);
    // a window and a band subset take the same paths
    const part = await readGeoTiffFile(out, {
      window: { x: 13, y: 7, width: 301, height: 30 },
      bands: [2, 0],
    });
    const want = (b: number) =>
      Array.from(
        { length: 30 * 301 },
        (_, i) => src.bands[b]?.[(7 + Math.floor(i / 301)) * 460 + 13 + (i % 301)],
      );
    expect(Array.from(part.bands[0] as ArrayLike<number>)).toEqual(want(2));
    expect(Array.from(part.bands[1] as ArrayLike<number>)).toEqual(want(0));
  });

  it.each([
    ['COMPRESS=NONE'],
    ['COMPRESS=DEFLATE', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=32'],
    // predictor 2 undone straight into the four bands
    ['COMPRESS=LZW', 'PREDICTOR=2', 'BLOCKYSIZE=5'],
    ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=16'],
  ])('uint16, 4 pixel-interleaved bands (two pixels per 32-bit word), %s: odd windows too', async (...co) => {
    const src = raster('uint16', 4, 203, 37, 9);
    const plain = `${tmp()}/src-rgbn.tif`;
    await writeGeoTiff(plain, src);
    const out = `${tmp()}/rgbn-${co.join('-')}.tif`;
    gdalTranslate([...co.flatMap((c) => ['-co', c]), '-co', 'INTERLEAVE=PIXEL', plain, out]);
    const back = await readGeoTiffFile(out);
    for (let b = 0; b < 4; b++) expect(back.bands[b]).toEqual(src.bands[b]);
    // odd x, odd widths: output rows start on odd samples and end on a lone pixel
    for (const win of [
      { x: 13, y: 7, width: 101, height: 21 },
      { x: 64, y: 0, width: 1, height: 37 },
      { x: 1, y: 3, width: 202, height: 2 },
    ]) {
      const part = await readGeoTiffFile(out, { window: win });
      for (let b = 0; b < 4; b++) {
        const want = Array.from(
          { length: win.width * win.height },
          (_, i) => src.bands[b]?.[(win.y + Math.floor(i / win.width)) * 203 + win.x + (i % win.width)],
        );
        expect(Array.from(part.bands[b] as ArrayLike<number>), `band ${b} ${JSON.stringify(win)}`).toEqual(
          want,
        );
      }
    }
  });

  it.each([
    ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'BLOCKYSIZE=5'],
    ['COMPRESS=LZW', 'PREDICTOR=3', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=16'],
  ])(
    'float32, 4 pixel-interleaved bands, predictor 3 undone straight into the bands, %s: exact bits, odd windows',
    async (...co) => {
      const src = raster('float32', 4, 203, 37, 11);
      // bit patterns a float copy could change: NaN payloads, -0, subnormals, infinities
      const bits = new Uint32Array((src.bands[2] as Float32Array).buffer);
      bits.set([0x7fc00001, 0xffa00000, 0x80000000, 0x00000001, 0x7f800000, 0xff800000], 300);
      const plain = `${tmp()}/src-f4.tif`;
      await writeGeoTiff(plain, src);
      const out = `${tmp()}/f4-${co.join('-')}.tif`;
      gdalTranslate([...co.flatMap((c) => ['-co', c]), '-co', 'INTERLEAVE=PIXEL', plain, out]);
      const words = (a: unknown) => Array.from(new Uint32Array((a as Float32Array).slice().buffer));
      for (const win of [
        { x: 0, y: 0, width: 203, height: 37 },
        { x: 13, y: 7, width: 101, height: 21 },
        { x: 64, y: 0, width: 1, height: 37 },
        { x: 1, y: 3, width: 202, height: 2 },
      ]) {
        for (const bands of [undefined, [3, 1]]) {
          const part = await readGeoTiffFile(out, { window: win, bands });
          for (const [slot, b] of (bands ?? [0, 1, 2, 3]).entries()) {
            const band = src.bands[b] as Float32Array;
            const want = Array.from({ length: win.height }, (_, r) =>
              band.subarray((win.y + r) * 203 + win.x, (win.y + r) * 203 + win.x + win.width),
            ).flatMap(words);
            expect(words(part.bands[slot]), `band ${b} ${JSON.stringify(win)}`).toEqual(want);
          }
        }
      }
    },
  );

  it('LZW: a corrupt code and a block over its size cap are typed errors', () => {
    // 9-bit MSB-first codes: Clear (256), 'A' (65), then code 300 (no such entry yet)
    const bits = [256, 65, 300].map((c) => c.toString(2).padStart(9, '0')).join('');
    const bytes = Uint8Array.from(bits.padEnd(32, '0').match(/.{8}/g) ?? [], (s) => Number.parseInt(s, 2));
    expect(() => decodeLzw(bytes, 10, 'x.tif')).toThrow(/corrupt LZW block \(code 300/);
    const run = [256, 65, 258, 259, 260].map((c) => c.toString(2).padStart(9, '0')).join('');
    const grow = Uint8Array.from(run.padEnd(48, '0').match(/.{8}/g) ?? [], (s) => Number.parseInt(s, 2));
    expect(Array.from(decodeLzw(grow, 10, 'x.tif', 10))).toEqual(new Array(10).fill(65)); // A, AA, AAA, AAAA (KwKwK)
    expect(() => decodeLzw(grow, 4, 'x.tif', 4)).toThrow(/more than 4 bytes/);
  });
});
