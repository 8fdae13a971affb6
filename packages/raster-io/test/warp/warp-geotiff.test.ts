import { describe, expect, it } from 'vitest';
import {
  type ByteSource,
  encodeGeoTiff,
  memorySource,
  openGeoTiff,
  type Raster,
  readRaster,
  type TargetGrid,
  transformCoords,
  warpGeoTiff,
  warpRaster,
} from '../../src/index.js';

/** 1024×1024, 2-band uint16 at 10 m in UTM 33N, 256-px tiles, overviews ×2 ×4. */
function makeTiff(): Uint8Array {
  const w = 1024;
  const h = 1024;
  const b0 = new Uint16Array(w * h);
  const b1 = new Uint16Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      b0[y * w + x] = 1000 + ((x * 7 + y * 13) % 500);
      b1[y * w + x] = (x + y) * 3;
    }
  const raster: Raster = {
    width: w,
    height: h,
    dtype: 'uint16',
    bands: [b0, b1],
    noData: 0,
    geo: { epsg: 32633, transform: [600000, 10, 0, 5800000, 0, -10] },
  };
  return encodeGeoTiff(raster, { tiled: true, tileSize: 256, overviews: [2, 4] });
}

function countingSource(bytes: Uint8Array): { source: ByteSource; read: () => number } {
  const inner = memorySource(bytes, 'counted.tif');
  let total = 0;
  return {
    source: {
      name: inner.name,
      size: inner.size,
      read(offset, length, signal) {
        total += length;
        return inner.read(offset, length, signal);
      },
    },
    read: () => total,
  };
}

/** A UTM 34N grid around a UTM 33N point (rotated ~5° against the source). */
function gridAround(e: number, n: number, pixel: number, size: number): TargetGrid {
  const [[x, y]] = transformCoords(32633, 32634, [[e, n]]) as [[number, number]];
  return {
    epsg: 32634,
    transform: [Math.round(x) - (pixel * size) / 2, pixel, 0, Math.round(y) + (pixel * size) / 2, 0, -pixel],
    width: size,
    height: size,
  };
}

describe('warpGeoTiff', () => {
  const bytes = makeTiff();

  it('reads only the needed window and equals warping the full image', async () => {
    const counted = countingSource(bytes);
    const tiff = await openGeoTiff(counted.source);
    const grid = gridAround(601500, 5798500, 10, 60);
    const afterOpen = counted.read();
    const part = await warpGeoTiff(tiff, grid, { method: 'cubic' });
    const windowBytes = counted.read() - afterOpen;
    const full = warpRaster(await readRaster(tiff), grid, { method: 'cubic' });
    expect(part.bands.map((b) => Array.from(b))).toEqual(full.bands.map((b) => Array.from(b)));
    expect(part.geo).toEqual({ epsg: 32634, transform: grid.transform });
    // the footprint (~60 px + margin) touches at most 4 of the 16 full-resolution tiles
    expect(windowBytes).toBeLessThanOrEqual(4 * 256 * 256 * 2 * 2 + 4096);
    expect(windowBytes).toBeGreaterThan(0);
  });

  it('onto a coarser grid reads the stretched kernel’s whole reach and equals warping the full image', async () => {
    const tiff = await openGeoTiff(bytes);
    const grid = gridAround(602000, 5797000, 40, 30); // 4 source pixels per target pixel: cubic reaches 8
    for (const method of ['bilinear', 'cubic'] as const) {
      const part = await warpGeoTiff(tiff, grid, { method });
      const full = warpRaster(await readRaster(tiff), grid, { method });
      expect(part.bands.map((b) => Array.from(b))).toEqual(full.bands.map((b) => Array.from(b)));
    }
  });

  it("level 'auto' reads the ×4 overview for a 40 m grid", async () => {
    const tiff = await openGeoTiff(bytes);
    expect(tiff.levels.map((l) => l.width)).toEqual([1024, 512, 256]);
    const grid = gridAround(605000, 5795000, 40, 50);
    // band 0 is a non-linear pattern, so averaging overviews and full resolution give different samples
    const auto = await warpGeoTiff(tiff, grid, { level: 'auto', method: 'bilinear', bands: [0] });
    const ref = warpRaster(await readRaster(tiff, { level: 2, bands: [0] }), grid, { method: 'bilinear' });
    expect(Array.from(auto.bands[0] as Uint16Array)).toEqual(Array.from(ref.bands[0] as Uint16Array));
    const lvl0 = await warpGeoTiff(tiff, grid, { method: 'bilinear', bands: [0] });
    expect(Array.from(lvl0.bands[0] as Uint16Array)).not.toEqual(Array.from(ref.bands[0] as Uint16Array));
  });

  it('returns all no-data without reading pixels when the grid misses the file', async () => {
    const counted = countingSource(bytes);
    const tiff = await openGeoTiff(counted.source);
    const before = counted.read();
    const out = await warpGeoTiff(tiff, gridAround(700000, 5700000, 10, 20));
    expect(counted.read()).toBe(before);
    expect(out.noData).toBe(0);
    expect(out.bands).toHaveLength(2);
    expect(Array.from(new Set(out.bands[0] as Uint16Array))).toEqual([0]);
  });

  it('a grid that misses the file is checked like warpRaster checks it before its all-nodata answer (RangeError, TypeError, a 10^12-pixel array)', async () => {
    const tiff = await openGeoTiff(bytes);
    const far = gridAround(700000, 5700000, 10, 20);
    const cases: [Partial<TargetGrid>, object, string, RegExp][] = [
      [{ width: 1e6, height: 1e6 }, {}, 'TOO_LARGE', /target grid 1000000×1000000 has more than \d+ pixels/],
      [{ width: -5, height: 3 }, {}, 'INVALID_ARGUMENT', /target grid size -5×3 must be positive integers/],
      [
        { width: 2.5, height: 3 },
        {},
        'INVALID_ARGUMENT',
        /target grid size 2\.5×3 must be positive integers/,
      ],
      [{}, { dtype: 'int8' }, 'INVALID_ARGUMENT', /^warpGeoTiff: dtype must be one of uint8, /],
      [{}, { noData: '0' }, 'INVALID_ARGUMENT', /^warpGeoTiff: noData must be a number, got "0"/],
      [
        { transform: [1, 0, 0, 2, 0, 0] as never },
        {},
        'INVALID_ARGUMENT',
        /target geotransform \[1,0,0,2,0,0\]/,
      ],
    ];
    for (const [edit, options, code, message] of cases) {
      const err = await warpGeoTiff(tiff, { ...far, ...edit } as TargetGrid, options).catch(
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(edit)).toMatchObject({ code });
      expect((err as Error).message).toMatch(message);
    }
  });

  it('rejects files without georeferencing', async () => {
    const plain = encodeGeoTiff({ width: 4, height: 4, dtype: 'uint8', bands: [new Uint8Array(16)] });
    const tiff = await openGeoTiff(plain);
    await expect(warpGeoTiff(tiff, gridAround(601500, 5798500, 10, 4))).rejects.toMatchObject({
      code: 'NO_GEOREFERENCING',
    });
  });
});
