import { describe, expect, it } from 'vitest';
import {
  projectGrid,
  type Raster,
  RasterIoError,
  transformCoords,
  utmGridForBBox,
  warpRaster,
} from '../../src/index.js';

function ramp(width: number, height: number, dtype: 'float32' | 'uint16' = 'float32'): Raster {
  const band = dtype === 'float32' ? new Float32Array(width * height) : new Uint16Array(width * height);
  for (let i = 0; i < band.length; i++) band[i] = (i % width) * 10 + Math.floor(i / width);
  return {
    width,
    height,
    dtype,
    bands: [band],
    geo: { epsg: 32633, transform: [500000, 10, 0, 5800000, 0, -10] },
  };
}

describe('warpRaster (same CRS)', () => {
  it('is the identity on the source grid for every method', () => {
    const src = ramp(12, 9);
    for (const method of ['nearest', 'bilinear', 'cubic'] as const) {
      const out = warpRaster(
        src,
        { epsg: 32633, transform: [500000, 10, 0, 5800000, 0, -10], width: 12, height: 9 },
        { method },
      );
      expect(Array.from(out.bands[0] as Float32Array)).toEqual(Array.from(src.bands[0] as Float32Array));
    }
  });

  it('a CRS code with no definition, shared by source and grid, needs none: the affine warp', () => {
    const src = { ...ramp(12, 9), geo: { epsg: 99999, transform: [0, 1, 0, 9, 0, -1] as const } } as Raster;
    const out = warpRaster(
      src,
      { epsg: 99999, transform: [1, 1, 0, 9, 0, -1], width: 12, height: 9 },
      { method: 'nearest', noData: -1 },
    );
    expect(Array.from((out.bands[0] as Float32Array).subarray(0, 12))).toEqual([
      10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, -1,
    ]);
  });

  it('shifts by whole pixels, fills outside with noData and sets geo/noData', () => {
    const src = ramp(12, 9);
    const out = warpRaster(
      src,
      { epsg: 32633, transform: [500020, 10, 0, 5800000, 0, -10], width: 12, height: 9 },
      {
        method: 'nearest',
        noData: -1,
      },
    );
    const o = out.bands[0] as Float32Array;
    expect(o[0]).toBe(20); // source column 2
    expect(o[9]).toBe(110);
    expect(o[10]).toBe(-1); // beyond the source's right edge
    expect(out.noData).toBe(-1);
    expect(out.geo).toEqual({ epsg: 32633, transform: [500020, 10, 0, 5800000, 0, -10] });
  });

  it('bilinear at half-pixel offsets averages neighbours; cubic reproduces the (linear) ramp in the interior', () => {
    const src = ramp(12, 9);
    const grid = {
      epsg: 32633,
      transform: [500005, 10, 0, 5799995, 0, -10] as [number, number, number, number, number, number],
      width: 10,
      height: 7,
    };
    const bil = warpRaster(src, grid, { method: 'bilinear' }).bands[0] as Float32Array;
    // target (0,0) centre = source pixel coordinate (1, 1): average of columns 0,1 and rows 0,1
    expect(bil[0]).toBeCloseTo((0 + 10 + 1 + 11) / 4, 5);
    const cub = warpRaster(src, grid, { method: 'cubic' }).bands[0] as Float32Array;
    expect(cub[2 * 10 + 3]).toBeCloseTo(35 + 2.5, 4); // Keys a = −0.5 reproduces linear functions
  });

  it('cubic: a no-data tap makes that band bilinear, the other bands stay cubic (gdalwarp)', () => {
    const [w, h] = [12, 9];
    const curved = (scale: number) => {
      const b = new Float32Array(w * h);
      for (let i = 0; i < b.length; i++) b[i] = scale * ((i % w) ** 2 + 3 * Math.floor(i / w) ** 2 + 1);
      return b;
    };
    const clean = curved(1);
    const holed = curved(2);
    holed[4 * w + 6] = -9; // no-data under the taps of the target pixels around source pixel (6, 4)
    const src: Raster = {
      width: w,
      height: h,
      dtype: 'float32',
      bands: [clean, holed],
      noData: -9,
      geo: { epsg: 32633, transform: [500000, 10, 0, 5800000, 0, -10] },
    };
    const grid = {
      epsg: 32633,
      transform: [500005, 10, 0, 5799995, 0, -10] as [number, number, number, number, number, number],
      width: 10,
      height: 7,
    };
    const cub = warpRaster(src, grid, { method: 'cubic' });
    const bil = warpRaster(src, grid, { method: 'bilinear' });
    const band0 = [cub.bands[0], bil.bands[0]] as Float32Array[];
    const near = 3 * 10 + 5; // target (5, 3) → source (6, 4): its 4 × 4 taps hold the hole of band 1
    const far = 1 * 10 + 1; // target (1, 1): no hole under its taps
    // band 0 has no hole and stays cubic at `near` (gdalwarp: 68, its bilinear 69); cubic differs from
    // bilinear on a curve
    expect(band0[0]?.[near]).toBe(68);
    expect(band0[1]?.[near]).toBe(69);
    expect(Math.abs((band0[0]?.[far] as number) - (band0[1]?.[far] as number))).toBeGreaterThan(0.1);
    // band 1 at `near` is bilinear over its three valid taps (renormalised), not no-data
    expect(cub.bands[1]?.[near]).toBe(bil.bands[1]?.[near]);
    expect(cub.bands[1]?.[near]).not.toBe(-9);
  });

  it('rounds to integer dtypes and keeps the source noData by default', () => {
    const src = ramp(6, 5, 'uint16');
    src.noData = 65535;
    const out = warpRaster(src, {
      epsg: 32633,
      transform: [500005, 10, 0, 5800000, 0, -10],
      width: 6,
      height: 5,
    });
    expect(out.dtype).toBe('uint16');
    expect(out.bands[0]).toBeInstanceOf(Uint16Array);
    expect((out.bands[0] as Uint16Array)[0]).toBe(5); // (0 + 10)/2
    expect((out.bands[0] as Uint16Array)[4]).toBe(45); // (40 + 50)/2
    expect((out.bands[0] as Uint16Array)[5]).toBe(65535); // centre lands on the source's right edge: outside
    expect(out.noData).toBe(65535);
  });

  it('reprojects lon/lat → UTM: each target pixel gets the source pixel containing its centre', () => {
    // a 0.01° lon/lat raster whose values encode their column/row
    const w = 40;
    const h = 30;
    const band = new Float32Array(w * h).map((_, i) => (i % w) * 1000 + Math.floor(i / w));
    const src: Raster = {
      width: w,
      height: h,
      dtype: 'float32',
      bands: [band],
      geo: { epsg: 4326, transform: [15, 0.01, 0, 52.3, 0, -0.01] },
    };
    const grid = utmGridForBBox([15.1, 52.05, 15.3, 52.2], 100);
    expect(grid.epsg).toBe(32633);
    const out = warpRaster(src, grid, { method: 'nearest' }).bands[0] as Float32Array;
    for (const [c, r] of [
      [0, 0],
      [5, 7],
      [grid.width - 1, grid.height - 1],
    ] as const) {
      const x = grid.transform[0] + (c + 0.5) * 100;
      const y = grid.transform[3] - (r + 0.5) * 100;
      const [[lon, lat]] = transformCoords(32633, 4326, [[x, y]]) as [[number, number]];
      const col = Math.floor((lon - 15) / 0.01);
      const row = Math.floor((52.3 - lat) / 0.01);
      expect(out[r * grid.width + c]).toBe(col * 1000 + row);
    }
  });

  it('the approximate transformer (errorThresholdPx) stays within the threshold of the exact warp', () => {
    // smooth lon/lat raster with a known gradient → bound on the value error caused by coordinate error
    const w = 200;
    const h = 150;
    const band = new Float32Array(w * h).map((_, i) => (i % w) * 2 + Math.floor(i / w) * 3); // |∇| ≤ 2, 3 per px
    const src: Raster = {
      width: w,
      height: h,
      dtype: 'float32',
      bands: [band],
      geo: { epsg: 4326, transform: [14.5, 0.001, 0, 52.1, 0, -0.001] },
    };
    const grid = utmGridForBBox([14.52, 52.0, 14.68, 52.08], 20, { epsg: 32634 }); // far from zone 34's meridian
    const exact = warpRaster(src, grid, { method: 'bilinear' }).bands[0] as Float32Array;
    const approx = warpRaster(src, grid, { method: 'bilinear', errorThresholdPx: 0.125 })
      .bands[0] as Float32Array;
    let maxDiff = 0;
    let differ = 0;
    for (let i = 0; i < exact.length; i++) {
      if (Number.isNaN(exact[i]) || Number.isNaN(approx[i])) continue;
      const d = Math.abs((exact[i] as number) - (approx[i] as number));
      if (d > 0) differ++;
      maxDiff = Math.max(maxDiff, d);
    }
    expect(differ).toBeGreaterThan(0); // it really interpolated
    expect(maxDiff).toBeLessThanOrEqual(0.125 * (2 + 3) + 1e-3);
    expect(() => warpRaster(src, grid, { errorThresholdPx: -1 })).toThrow(/errorThresholdPx/);
  });

  it('validates input, honours abort and reports progress', () => {
    const src = ramp(4, 4);
    const grid = {
      epsg: 32633,
      transform: [500000, 10, 0, 5800000, 0, -10] as [number, number, number, number, number, number],
      width: 4,
      height: 4,
    };
    expect(() => warpRaster({ ...src, geo: undefined }, grid)).toThrow(/georeferenced/);
    expect(() => warpRaster(src, { ...grid, width: 0 })).toThrow(RasterIoError);
    expect(() => warpRaster(src, { ...grid, transform: [0, 0, 0, 0, 0, 0] })).toThrow(/not invertible/);
    expect(() => warpRaster(src, grid, { method: 'lanczos' as 'cubic' })).toThrow(/unknown warp method/);
    expect(() => warpRaster(src, { ...grid, epsg: 2154 })).toThrow(/registerProjection/);
    const ac = new AbortController();
    ac.abort();
    expect(() => warpRaster(src, grid, { signal: ac.signal })).toThrow(
      expect.objectContaining({ code: 'ABORTED' }),
    );
    const seen: number[] = [];
    warpRaster(src, grid, { onProgress: (p) => seen.push(p.done) });
    expect(seen.at(-1)).toBe(4);
  });
});

describe('warpRaster with a source validity mask or alpha band', () => {
  const grid = {
    epsg: 32633,
    transform: [500005, 10, 0, 5799995, 0, -10] as [number, number, number, number, number, number],
    width: 10,
    height: 7,
  };
  /** The ramp with a spike of 5000 at source pixel (3, 2). */
  const spiked = (dtype: 'float32' | 'uint16' = 'float32') => {
    const src = ramp(12, 9, dtype);
    (src.bands[0] as Float32Array | Uint16Array)[2 * 12 + 3] = 5000;
    return src;
  };
  const maskAt = (...pixels: number[]) => {
    const m = new Uint8Array(12 * 9).fill(255);
    for (const p of pixels) m[p] = 0;
    return m;
  };

  it('srcMask: a masked pixel is neither data nor blended into its neighbours (gdalwarp per-dataset mask)', () => {
    const src = spiked();
    const mask = maskAt(2 * 12 + 3);
    const plain = warpRaster(src, grid, { method: 'bilinear', noData: -1 }).bands[0] as Float32Array;
    const masked = warpRaster(src, grid, { method: 'bilinear', noData: -1, srcMask: mask })
      .bands[0] as Float32Array;
    // target (3, 1) centre = source (4, 2): taps (3..4, 1..2) with weights 1/4, the spike among them
    expect(plain[1 * 10 + 3]).toBeGreaterThan(1000);
    // masked: the other three taps renormalised, (31 + 41 + 42) / 3
    expect(masked[1 * 10 + 3]).toBeCloseTo((31 + 41 + 42) / 3, 4);
    // a target pixel whose centre falls on the masked pixel gets no value, whatever its neighbours hold
    expect(masked[1 * 10 + 2]).toBe(-1);
    const shifted = { ...grid, transform: [500008, 10, 0, 5799992, 0, -10] as typeof grid.transform };
    for (const method of ['nearest', 'bilinear', 'cubic'] as const) {
      const o = warpRaster(src, shifted, { method, noData: -1, srcMask: mask }).bands[0] as Float32Array;
      expect(o[1 * 10 + 2], method).toBe(-1);
      expect(
        Array.from(o).filter((v) => v > 1000),
        method,
      ).toEqual([]);
    }
  });

  it('alphaBand: alpha 0 is invalid, the band is not resampled and comes out as the alpha under each pixel centre', () => {
    const src = spiked('uint16');
    const alpha = new Uint16Array(12 * 9).fill(255);
    alpha[2 * 12 + 3] = 0;
    alpha[5 * 12 + 6] = 100;
    const rgba: Raster = { ...src, bands: [src.bands[0] as Uint16Array, alpha] };
    const out = warpRaster(rgba, grid, { method: 'bilinear', alphaBand: 1 });
    const [v, a] = out.bands as [Uint16Array, Uint16Array];
    expect(out.bands).toHaveLength(2);
    expect(v[1 * 10 + 3]).toBe(38);
    expect(v[1 * 10 + 2]).toBe(0); // its centre's alpha is 0: no value (0 without a no-data value)
    expect(a[1 * 10 + 2]).toBe(0);
    // the alpha under the centre: source (4, 3) → 255; (6, 5), of alpha 100 → 100; past the source → 0
    expect(a[2 * 10 + 3]).toBe(255);
    expect(a[4 * 10 + 5]).toBe(100);
    const beyond = warpRaster(
      rgba,
      { ...grid, transform: [500100, 10, 0, 5799995, 0, -10] },
      { alphaBand: 1 },
    );
    expect(Array.from((beyond.bands[1] as Uint16Array).slice(0, 10))).toEqual([
      255, 255, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    // a float output: the value band's empty pixels take noData, the alpha band 0
    const f = warpRaster(
      rgba,
      { ...grid, transform: [500100, 10, 0, 5799995, 0, -10] },
      { method: 'bilinear', alphaBand: 1, dtype: 'float32', noData: -5 },
    );
    expect(Array.from((f.bands[0] as Float32Array).slice(1, 3))).toEqual([110.5, -5]);
    expect(Array.from((f.bands[1] as Float32Array).slice(1, 3))).toEqual([255, 0]);
  });

  it('refuses a mask of the wrong size or type and an alpha band that does not exist', () => {
    const src = ramp(12, 9);
    expect(() => warpRaster(src, grid, { srcMask: new Uint8Array(10) })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/srcMask.*108 bytes.*12×9.*of 10/),
      }),
    );
    expect(() => warpRaster(src, grid, { srcMask: [1, 2] as unknown as Uint8Array })).toThrow(
      /srcMask must be a Uint8Array/,
    );
    expect(() => warpRaster(src, grid, { alphaBand: 1 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/alphaBand.*0\.\.0.*got 1/),
      }),
    );
  });
});

describe('warpRaster with projectGrid coordinates', () => {
  /** A UTM 33N band at `res` m whose values vary in both directions (so any coordinate change shows). */
  function utmBand(res: number, dtype: 'float32' | 'uint16'): Raster {
    const w = Math.ceil(3000 / res);
    const h = Math.ceil(2400 / res);
    const band = dtype === 'float32' ? new Float32Array(w * h) : new Uint16Array(w * h);
    for (let i = 0; i < band.length; i++) band[i] = ((i % w) * 37 + Math.floor(i / w) * 11 + i * i) % 4093;
    return {
      width: w,
      height: h,
      dtype,
      bands: [band],
      geo: { epsg: 32633, transform: [500000, res, 0, 5800000, 0, -res] },
    };
  }

  it('equals the exact warp bit for bit for sources at 10, 20 and 60 m, every method and dtype', () => {
    // a lon/lat AOI grid inside the UTM rasters, like eo-fetch's WorldStrat layout
    const [[w, n]] = transformCoords(32633, 4326, [[500200, 5799800]]) as [[number, number]];
    const grid = {
      epsg: 4326,
      transform: [w, 0.00011, 0, n, 0, -0.00009] as [number, number, number, number, number, number],
      width: 150,
      height: 120,
    };
    const projected = projectGrid(grid, 32633);
    for (const res of [10, 20, 60])
      for (const dtype of ['float32', 'uint16'] as const)
        for (const method of ['nearest', 'bilinear', 'cubic'] as const) {
          const src = utmBand(res, dtype);
          const exact = warpRaster(src, grid, { method }).bands[0];
          const shared = warpRaster(src, grid, { method, projected }).bands[0];
          expect(shared).toEqual(exact);
          // and a threshold is ignored: the coordinates are exact
          expect(warpRaster(src, grid, { method, projected, errorThresholdPx: 1 }).bands[0]).toEqual(exact);
        }
    // same-CRS grids: the coordinates are the affine pixel centres
    const utmGrid = {
      epsg: 32633,
      transform: [500015, 7, 0, 5799985, 0, -7] as [number, number, number, number, number, number],
      width: 90,
      height: 60,
    };
    const src = utmBand(20, 'float32');
    expect(warpRaster(src, utmGrid, { projected: projectGrid(utmGrid, 32633) }).bands[0]).toEqual(
      warpRaster(src, utmGrid).bands[0],
    );
  });

  it('refuses coordinates of another grid or CRS, and grids too large to hold', () => {
    const grid = utmGridForBBox([15.1, 52.05, 15.3, 52.2], 100);
    const src = ramp(40, 30);
    const lonlat: Raster = { ...src, geo: { epsg: 4326, transform: [15, 0.01, 0, 52.3, 0, -0.01] } };
    const projected = projectGrid(grid, 4326);
    expect(() => warpRaster(src, grid, { projected })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/EPSG:4326/) }),
    );
    expect(() => warpRaster(lonlat, { ...grid, width: grid.width - 1 }, { projected })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      warpRaster(
        lonlat,
        { ...grid, transform: [grid.transform[0] + 1, 100, 0, grid.transform[3], 0, -100] },
        { projected },
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => projectGrid({ ...grid, width: 1e5, height: 1e5 }, 4326)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => projectGrid({ ...grid, width: 4097, height: 4096 }, 4326)).toThrow(
      /at most 16777216 pixels/,
    );
    expect(() => projectGrid({ ...grid, transform: [Number.NaN, 100, 0, 0, 0, -100] }, 4326)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/finite/) }),
    );
    expect(() => projectGrid({ ...grid, width: 1.5 }, 4326)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => projectGrid(grid, 2154)).toThrow(/registerProjection/);
  });
});

describe('utmGridForBBox', () => {
  it('covers the bbox, snaps to the pixel size and picks the centre zone', () => {
    const bbox: [number, number, number, number] = [15.0, 52.0, 15.02, 52.015];
    const g = utmGridForBBox(bbox, 10);
    expect(g.epsg).toBe(32633);
    const [ox, px, , oy, , py] = g.transform;
    expect(px).toBe(10);
    expect(py).toBe(-10);
    expect(ox % 10).toBe(0);
    expect(oy % 10).toBe(0);
    const corners = transformCoords(4326, 32633, [
      [15.0, 52.0],
      [15.02, 52.015],
      [15.0, 52.015],
      [15.02, 52.0],
    ]);
    for (const [x, y] of corners) {
      expect(x).toBeGreaterThanOrEqual(ox);
      expect(x).toBeLessThanOrEqual(ox + g.width * 10);
      expect(y).toBeLessThanOrEqual(oy);
      expect(y).toBeGreaterThanOrEqual(oy - g.height * 10);
    }
    expect(g.width).toBeLessThan(140 + 3); // ~1372 m wide
    expect(g.height).toBeLessThan(168 + 3); // ~1669 m tall
    expect(utmGridForBBox([5, 60, 5.01, 60.01], 10).epsg).toBe(32632); // Norway exception
    expect(utmGridForBBox(bbox, 10, { epsg: 32634 }).epsg).toBe(32634);
    expect(() => utmGridForBBox([15, 52, 14, 53], 10)).toThrow(/min < max/);
    expect(() => utmGridForBBox(bbox, 0)).toThrow(/pixel size/);
  });
});
