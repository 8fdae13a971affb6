// openGeoTiff's `signal` bounds the open only: the tile offset/byte-count arrays each level reads lazily, at its
// first readRaster, must not fail because that signal fired once the open was over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGeoTiff, httpSource, memorySource, openGeoTiff, readRaster } from '../../src/index.js';
import { type RangeServer, startRangeServer } from '../support/range-server.js';
import { syntheticRaster } from '../support/synthetic.js';

const source = syntheticRaster('uint16', 600, 500, 2, 3);
const file = encodeGeoTiff(source, { cog: true, tileSize: 256, compression: 'deflate', overviews: [2, 4] });
const window = { x: 250, y: 250, width: 20, height: 8 };
/** The window's corner at an overview level (each halves the size). */
const at = (level: number) => ({ ...window, x: window.x >> level, y: window.y >> level });

let server: RangeServer;
beforeAll(async () => {
  server = await startRangeServer();
  server.files.set('cog.tif', file);
});
afterAll(() => server.close());

describe('openGeoTiff signal', () => {
  it('fired after the open: reads of every level without a signal still succeed, with the right pixels', async () => {
    const control = await openGeoTiff(file);
    for (const src of [memorySource(file), httpSource(server.url('/files/cog.tif'))]) {
      const ctl = new AbortController();
      const tiff = await openGeoTiff(src, { signal: ctl.signal });
      ctl.abort();
      expect(tiff.levels).toHaveLength(3);
      for (let level = 0; level < 3; level++) {
        const got = await readRaster(tiff, { level, window: at(level) });
        const want = await readRaster(control, { level, window: at(level) });
        expect(got.bands.map((b) => Array.from(b))).toEqual(want.bands.map((b) => Array.from(b)));
      }
      const row = (source.bands[1] as Uint16Array).subarray(250 * 600 + 250, 250 * 600 + 270);
      const full = await readRaster(tiff, { window, bands: [1] });
      expect(Array.from((full.bands[0] as Uint16Array).subarray(0, 20))).toEqual(Array.from(row));
    }
  });

  it("still aborts the open itself, and a read's own signal aborts that read", async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(openGeoTiff(memorySource(file), { signal: ctl.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const tiff = await openGeoTiff(memorySource(file));
    await expect(readRaster(tiff, { level: 1, window: at(1), signal: ctl.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect((await readRaster(tiff, { level: 1, window: at(1) })).width).toBe(20);
  });
});
