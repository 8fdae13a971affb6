// readRaster({ into }): the caller's arrays are decoded into (and returned), whatever they held before, and
// arrays that do not fit the read (count, type, length, shared memory between bands) are refused before any
// pixel is read.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { encodeGeoTiff, openGeoTiff, readRaster } from '../../src/index.js';
import type { RasterArray } from '../../src/types.js';
import { syntheticRaster } from '../support/synthetic.js';

const W = 600;
const H = 340;
const source = syntheticRaster('uint16', W, H, 3, 4);
// 256-px tiles: windows cut across tile edges
const file = encodeGeoTiff(source, { tiled: true, tileSize: 256, compression: 'deflate', predictor: true });

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('readRaster into the caller’s arrays', () => {
  it('fills garbage-holding arrays with the window of the bands asked for and returns them', async () => {
    const tiff = await openGeoTiff(file);
    const window = { x: 237, y: 11, width: 201, height: 300 };
    const into = [new Uint16Array(201 * 300).fill(0xdead), new Uint16Array(201 * 300).fill(7)];
    for (let rep = 0; rep < 2; rep++) {
      const r = await readRaster(tiff, { window, bands: [2, 0], into });
      expect(r.bands[0]).toBe(into[0]);
      expect(r.bands[1]).toBe(into[1]);
      for (const [k, b] of [2, 0].entries()) {
        const band = source.bands[b] as Uint16Array;
        for (const y of [0, 171, 299]) {
          const row = band.subarray((window.y + y) * W + window.x, (window.y + y) * W + window.x + 201);
          expect(Array.from((r.bands[k] as Uint16Array).subarray(y * 201, (y + 1) * 201))).toEqual(
            Array.from(row),
          );
        }
      }
      (into[0] as Uint16Array).fill(1); // scribbled on between reads
    }
  });

  it('takes views into one larger buffer when they do not overlap, and arrays of another realm', async () => {
    const tiff = await openGeoTiff(file);
    const n = W * H;
    const slab = new ArrayBuffer(3 * n * 2 + 64);
    const views = [0, 1, 2].map((i) => new Uint16Array(slab, 32 + i * n * 2, n));
    const r = await readRaster(tiff, { into: views });
    for (const [i, band] of source.bands.entries()) {
      expect(r.bands[i]).toBe(views[i]);
      expect(sameBytes(r.bands[i] as RasterArray, band)).toBe(true);
    }
    const foreign = runInNewContext(`[0, 1, 2].map(() => new Uint16Array(${n}))`) as RasterArray[];
    const f = await readRaster(tiff, { into: foreign });
    for (const [i, band] of source.bands.entries())
      expect(Array.from(f.bands[i] as Uint16Array)).toEqual(Array.from(band as Uint16Array));
  });

  it('refuses arrays that do not fit, naming what is wrong, before reading', async () => {
    const tiff = await openGeoTiff(file);
    const n = W * H;
    const shared = new ArrayBuffer(n * 2 + 2);
    const cases: [unknown, RegExp][] = [
      [new Uint16Array(n), /must be an array/],
      [[new Uint16Array(n), new Uint16Array(n)], /holds 2 array\(s\) for 3 band\(s\)/],
      [[new Uint16Array(n), new Int16Array(n), new Uint16Array(n)], /into\[1\] must be a Uint16Array/],
      [[new Uint16Array(n), new Uint16Array(n), new Float32Array(n)], /into\[2\] must be a Uint16Array/],
      [[new Uint16Array(n), new Uint16Array(n - 1), new Uint16Array(n)], /into\[1\] holds 203999 samples/],
      [[new Uint16Array(n), new DataView(new ArrayBuffer(2 * n)), new Uint16Array(n)], /into\[1\]/],
      [[new Uint16Array(n), new Uint16Array(n), 'x'], /into\[2\]/],
      [
        [new Uint16Array(shared, 0, n), new Uint16Array(n), new Uint16Array(shared, 2, n)],
        /overlap in memory/,
      ],
    ];
    for (const [into, message] of cases) {
      const err = await readRaster(tiff, { into: into as RasterArray[] }).catch((e: unknown) => e);
      expect(err, String(message)).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('memory'); // the source's name
    }
    const one = new Uint16Array(n);
    await expect(readRaster(tiff, { into: [one, one, new Uint16Array(n)] })).rejects.toThrow(/overlap/);
  });
});
