// Hardening of the samplers, the point writers, tiling and the masks: ids that stay unique, generators and
// signals that are what they claim, points that stay in their region, and inputs whose cost is bounded.
import { describe, expect, it } from 'vitest';
import { pointsToTable } from '../src/arrow.js';
import {
  aoisToCsv,
  createAoi,
  createLandMask,
  createRng,
  GeoSamplingError,
  landMaskFromRaster,
  pointsToCsv,
  samplePointsInRegion,
  samplePointsOnLand,
  samplePointsOnSphere,
  tileAoi,
  tileAoi3x3,
} from '../src/index.js';
import { samplePointsOnLandSync } from '../src/sphere/sample-points-on-land.js';

const allLand = { source: 'all land', isLand: () => true };

/** Runs `f` and returns the GeoSamplingError it throws (fails on no error or on another error class). */
function typedError(f: () => unknown): GeoSamplingError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(GeoSamplingError);
    return err as GeoSamplingError;
  }
  throw new Error('expected a GeoSamplingError, got a result');
}

describe('firstId: ids stay unique integers', () => {
  it('refuses a fraction, a negative id and ids past 2^53', () => {
    // Before: firstId 2^53 gave the ids 2^53, 2^53, 2^53 + 2 (two points shared one id), 0.5 gave 0.5, 1.5, …
    // and 1e300 gave every point the id 1e300.
    for (const firstId of [2 ** 53, 0.5, -1])
      expect(typedError(() => samplePointsOnSphere(3, { seed: 1, firstId })).message).toMatch(
        /^samplePointsOnSphere: options\.firstId must be a non-negative integer, got /,
      );
    expect(
      typedError(() => samplePointsInRegion(3, [0, 0, 1, 1], allLand, createRng(1), 1e300)).message,
    ).toBe('samplePointsInRegion: firstId must be a non-negative integer, got 1e+300');
    const last = typedError(() => samplePointsOnLandSync(3, allLand, { firstId: 2 ** 53 - 2 }));
    expect(last.code).toBe('INVALID_ARGUMENT');
    expect(last.message).toMatch(/^samplePointsOnLandSync: options\.firstId must be at most 2\^53 − 3 /);
    // the largest firstId that still gives exact ids
    const ids = samplePointsOnSphere(3, { firstId: 2 ** 53 - 3 }).map((p) => p.id);
    expect(ids).toEqual([2 ** 53 - 3, 2 ** 53 - 2, 2 ** 53 - 1]);
  });

  it('samplePointsOnLand checks firstId before it loads the mask', async () => {
    await expect(samplePointsOnLand(2, { mask: allLand, firstId: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'samplePointsOnLand: options.firstId must be a non-negative integer, got 1.5',
    });
  });
});

describe('a caller generator must return numbers in [0, 1)', () => {
  it('a generator of 32-bit integers, NaN, 1 or a string is INVALID_ARGUMENT, not points off the globe', () => {
    // Before: next() = 2^31 put a point at lon 773094113100, NaN gave NaN points, and 5 put points outside the
    // requested region, all without an error.
    const uint32 = { next: () => 2 ** 31 };
    expect(typedError(() => samplePointsOnSphere(1, { rng: uint32 as never })).message).toBe(
      'samplePointsOnSphere: options.rng.next() must return a number in [0, 1), got 2147483648',
    );
    for (const v of [Number.NaN, 1, '0.5'])
      expect(typedError(() => samplePointsOnSphere(1, { rng: { next: () => v } as never })).code).toBe(
        'INVALID_ARGUMENT',
      );
    expect(
      typedError(() => samplePointsInRegion(1, [0, 0, 1, 1], allLand, { next: () => 5 } as never)).message,
    ).toBe('samplePointsInRegion: rng.next() must return a number in [0, 1), got 5');
    expect(
      typedError(() => samplePointsOnLandSync(1, allLand, { rng: { next: () => -0.5 } as never })).code,
    ).toBe('INVALID_ARGUMENT');
    // the project generator passes the check, and the seeded streams are unchanged
    expect(samplePointsOnSphere(1, { rng: createRng(1) })).toEqual(samplePointsOnSphere(1, { seed: 1 }));
  });
});

describe('options are read once and checked', () => {
  it('an AbortController passed as the signal is INVALID_ARGUMENT (it was ignored: abort never stopped)', () => {
    const controller = new AbortController();
    controller.abort();
    expect(typedError(() => samplePointsOnSphere(1, { signal: controller as never })).message).toBe(
      'samplePointsOnSphere: options.signal must be an AbortSignal (pass controller.signal), got {}',
    );
    expect(typedError(() => samplePointsOnSphere(1, { signal: controller.signal })).code).toBe('ABORTED');
  });

  it('a getter that changes after the check cannot slip a bad generator through', () => {
    // Before: the options were read three times; a getter valid twice and then 7 ended in a plain TypeError.
    let reads = 0;
    const options = {
      get rng() {
        reads++;
        return reads <= 2 ? createRng(1) : 7;
      },
    };
    expect(samplePointsOnSphere(2, options as never)).toEqual(samplePointsOnSphere(2, { seed: 1 }));
    expect(reads).toBe(1);
  });
});

describe('samplePointsInRegion', () => {
  it('keeps every point inside the region, edges included', () => {
    // Before: u = 0 gave lat asin(sin 60°) = 59.99999999999999, outside [0, 60, 1, 61].
    const zero = { next: () => 0 } as never;
    const [p] = samplePointsInRegion(1, [0, 60, 1, 61], allLand, zero);
    expect(p).toEqual({ id: 0, lon: 0, lat: 60 });
    const top = { next: () => 1 - 2 ** -53 } as never;
    const [q] = samplePointsInRegion(1, [-0.1, -10, 0.2, 60], allLand, top);
    expect(q.lon).toBeLessThanOrEqual(0.2);
    expect(q.lat).toBeLessThanOrEqual(60);
  });

  it('ends an all-water region after 1 000 000 draws in a row, whatever n', () => {
    // Before: the only bound was 1000·n draws, 10^10 for n = 10^7 (minutes that nothing could stop). This
    // mask gives up after 2 million draws, so the old code fails here instead of hanging the run.
    let draws = 0;
    const water = {
      source: 'all water',
      isLand: () => {
        if (++draws > 2_000_000) throw new Error('still drawing after 2 000 000 misses');
        return false;
      },
    };
    const err = typedError(() => samplePointsInRegion(10_000_000, [0, 0, 1, 1], water, createRng(1)));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/is \(almost\) all water for the land mask: found 0 of 10000000 points/);
    expect(draws).toBe(1_000_000);
    // sparse land is still found: one draw in 1000 is land, 50 points take ≈ 50 000 draws
    let k = 0;
    const sparse = { source: 'sparse', isLand: () => ++k % 1000 === 0 };
    expect(samplePointsInRegion(50, [0, 0, 1, 1], sparse, createRng(2))).toHaveLength(50);
  });
});

describe('point writers write only what the samplers make', () => {
  it('pointsToTable refuses an id its int32 column would wrap; pointsToCsv a NaN or out-of-range coordinate', () => {
    // Before: id 2^31 was written as −2147483648, 1.7 as 1, NaN as 0; the CSV held `nan` and a latitude of 1e9.
    expect(typedError(() => pointsToTable([{ id: 2 ** 31, lon: 0, lat: 0 }])).message).toBe(
      'pointsToTable: points[0].id must be an integer in [0, 2147483647], got 2147483648',
    );
    expect(typedError(() => pointsToTable([{ id: 1.7, lon: 0, lat: 0 }])).code).toBe('INVALID_ARGUMENT');
    const nan = typedError(() => pointsToCsv([{ id: 0, lon: Number.NaN, lat: 0 }]));
    expect(nan.code).toBe('INVALID_LONGITUDE');
    expect(nan.message).toMatch(/\(pointsToCsv: points\[0\]\.lon\)/);
    expect(typedError(() => pointsToCsv([{ id: 0, lon: 0, lat: 1e9 }])).code).toBe('INVALID_LATITUDE');
    const table = pointsToTable([{ id: 2 ** 31 - 1, lon: 180, lat: -90 }]);
    expect(table.get(0)?.toJSON()).toEqual({ id: 2 ** 31 - 1, lon: 180, lat: -90 });
  });
});

describe('tileAoi checks the box it cuts', () => {
  const aoi = (bounds: number[], areaKm2 = 22.5) => ({
    name: 'X',
    lon: 0,
    lat: 0,
    bounds,
    areaKm2,
    source: 'custom',
  });

  it('an inverted or out-of-range box, or an area ≤ 0, is typed instead of tiles at lat 100', () => {
    // Before: [0, -100, 1, 100] gave tiles up to lat 100, [0, 10, 1, -10] upside-down tiles, area −5 tiles of
    // −1.25 km²; the writers then refused those tiles.
    const tall = typedError(() => tileAoi(aoi([0, -100, 1, 100]) as never, 4));
    expect(tall.code).toBe('INVALID_LATITUDE');
    expect(tall.message).toBe("tileAoi: aoi 'X' bounds[1] latitude -100 is not in [-90, 90]");
    expect(typedError(() => tileAoi(aoi([0, 10, 1, -10]) as never, 4)).message).toBe(
      "tileAoi: aoi 'X' bounds has minLat 10 > maxLat -10",
    );
    expect(typedError(() => tileAoi(aoi([0, 0, 1, 1], -5) as never, 4)).code).toBe('INVALID_AREA');
    expect(typedError(() => tileAoi(aoi([0, 0, 200, 1]) as never, 4)).code).toBe('INVALID_LONGITUDE');
    expect(tileAoi(aoi([-0.5, -0.5, 0.5, 0.5]) as never, 4).map((t) => t.bounds)).toEqual([
      [-0.5, -0.5, 0, 0],
      [-0.5, 0, 0, 0.5],
      [0, -0.5, 0.5, 0],
      [0, 0, 0.5, 0.5],
    ]);
  });
});

describe('tileAoi: the last tiles end on the parent edges', () => {
  it('tiles of a box clamped to the North Pole end at 90, so the writers take them', () => {
    // Before: minLat + 2Δ + Δ was 90.00000000000001 (aoisToCsv then refused the tiles of its own AOI).
    const polar = {
      name: 'P',
      lon: 0,
      lat: 45,
      bounds: [-180, 0.96, 180, 90],
      areaKm2: 5e8,
      source: 's',
    };
    const tiles = tileAoi(polar as never, 9);
    expect(tiles.filter((t) => t.name.endsWith('-3')).map((t) => t.bounds[3])).toEqual([90, 90, 90]);
    expect(tiles.filter((t) => t.name.startsWith('P-3-')).map((t) => t.bounds[2])).toEqual([180, 180, 180]);
    expect(() => aoisToCsv(tiles)).not.toThrow();
    const big = createAoi({ name: 'B', lon: 0, lat: 15.358430173838045 }, 5e8);
    expect(big.bounds[3]).toBe(90);
    expect(() => aoisToCsv(tileAoi3x3(big))).not.toThrow();
  });
});

describe('landMaskFromRaster reads longitudes on the circle', () => {
  it('a 0..360 raster answers for the western hemisphere; lon 180 is lon −180', () => {
    // Before: every point west of Greenwich was outside a 0..360 raster, so water (land sampling then drew
    // only eastern-hemisphere points), and lon 180 was outside a −180..180 raster.
    const west = new Uint8Array(360 * 180);
    for (let row = 0; row < 180; row++) west.fill(1, row * 360 + 180, row * 360 + 360); // lon 180..360
    const mask = landMaskFromRaster({
      width: 360,
      height: 180,
      bands: [west],
      geo: { epsg: 4326, transform: [0, 1, 0, 90, 0, -1] },
    });
    expect(mask.isLand(-10, 10)).toBe(true);
    expect(mask.isLand(-180, 10)).toBe(true);
    expect(mask.isLand(10, 10)).toBe(false);
    const pts = samplePointsOnLandSync(200, mask, { seed: 5 });
    expect(pts.every((p) => p.lon < 0)).toBe(true);

    const global = landMaskFromRaster({
      width: 2,
      height: 1,
      bands: [Uint8Array.of(1, 0)],
      geo: { epsg: 4326, transform: [-180, 180, 0, 90, 0, -180] },
    });
    expect(global.isLand(180, 0)).toBe(global.isLand(-180, 0));
    expect(global.isLand(180, 0)).toBe(true);
    // a regional raster still answers `outside` away from its extent
    const regional = landMaskFromRaster({
      width: 1,
      height: 1,
      bands: [Uint8Array.of(1)],
      geo: { epsg: 4326, transform: [10, 1, 0, 1, 0, -1] },
    });
    expect([regional.isLand(10.5, 0.5), regional.isLand(-10, 0.5), regional.isLand(-170, 0.5)]).toEqual([
      true,
      false,
      false,
    ]);
  });
});

describe('createLandMask bounds the work of long edges', () => {
  it('a 400 kB polygon of 180°-long edges is INVALID_MASK at once, not 36 s and 3 GB', () => {
    const ring: number[][] = [];
    const n = 20_000;
    for (let i = 0; i < n; i++) ring.push([i % 2 ? 89.9 : -90, -80 + (160 * i) / n]);
    ring.push([-90, 85], ring[0]);
    const t0 = performance.now();
    const err = typedError(() => createLandMask({ type: 'Polygon', coordinates: [ring] }));
    expect(err.code).toBe('INVALID_MASK');
    expect(err.message).toMatch(/^land geometry edges cross more than 33554432 grid cells at 30 cells\/°/);
    expect(performance.now() - t0).toBeLessThan(5000);
    // the same zigzag with 200 edges is an ordinary mask
    const small = ring.filter((_, i) => i % 100 === 0);
    small.push(small[0]);
    expect(createLandMask({ type: 'Polygon', coordinates: [small] }).stats.edges).toBeGreaterThan(100);
  });
});
