import geographiclib from 'geographiclib-geodesic';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { bboxCenter, bboxCrossesAntimeridian } from '../src/aoi/bbox.js';
import {
  aoiBounds,
  bboxToPolygon,
  createAoi,
  createAois,
  GeoSamplingError,
  namePoints,
  samplePointsOnSphere,
  splitBBoxAtAntimeridian,
  tileAoi,
  tileAoi3x3,
} from '../src/index.js';
import { readShared } from './support.js';

describe('aoiBounds', () => {
  const rows = Papa.parse<Record<string, string>>(readShared('data/aoi-sample.csv'), {
    header: true,
    skipEmptyLines: true,
  }).data;

  it('reproduces all 60 released boxes of aoi-sample.csv to ≤ 1e-8° from the rows lon/lat', () => {
    expect(rows.length).toBe(60);
    let worst = 0;
    for (const r of rows) {
      const released = JSON.parse(r.bounds) as number[];
      const ours = aoiBounds(Number(r.lon), Number(r.lat), Number(r.area));
      for (let k = 0; k < 4; k++) worst = Math.max(worst, Math.abs(ours[k] - released[k]));
    }
    expect(worst).toBeLessThanOrEqual(1e-8);
  });

  it('matches the spec test vectors (notebook point and dataset.csv row)', () => {
    const nb = aoiBounds(87.133293, 26.056683, 2.5);
    [87.125392806, 26.049547176, 87.141193194, 26.063818817].forEach((v, k) => {
      expect(Math.abs(nb[k] - v)).toBeLessThan(1e-9);
    });
    const b = aoiBounds(-2.4963129197727785, 37.86975030813449, 2.5);
    [-2.505297931105, 37.862627672682, -2.48732790844, 37.876872934948].forEach((v, k) => {
      expect(Math.abs(b[k] - v)).toBeLessThan(1e-11);
    });
  });

  it('is a box of ≈ √area km per side (geodesic half-sides of 790.6 m)', () => {
    const [w, s, e, n] = aoiBounds(10, 0, 2.5);
    expect((n - s) * 110.574).toBeCloseTo(Math.sqrt(2.5), 2);
    expect((e - w) * 111.32).toBeCloseTo(Math.sqrt(2.5), 2);
  });

  it('wraps boxes across the antimeridian RFC 7946 style and splits them', () => {
    const b = aoiBounds(179.999, -16.5, 2.5);
    expect(b[0]).toBeGreaterThan(179.98);
    expect(b[2]).toBeLessThan(-179.99);
    expect(bboxCrossesAntimeridian(b)).toBe(true);
    const parts = splitBBoxAtAntimeridian(b);
    expect(parts).toEqual([
      [b[0], b[1], 180, b[3]],
      [-180, b[1], b[2], b[3]],
    ]);
    expect(bboxToPolygon(b).type).toBe('MultiPolygon');
    const [clon, clat] = bboxCenter(b);
    expect(Math.abs(clon - 179.999)).toBeLessThan(1e-9);
    expect(clat).toBeCloseTo(-16.5, 6);
    expect(bboxCrossesAntimeridian(aoiBounds(-179.9, 0, 2.5))).toBe(false);
  });

  it('clamps polar boxes to the pole with all longitudes, or throws POLAR_AOI on request', () => {
    const north = aoiBounds(30, 89.9999, 2.5);
    expect(north[0]).toBe(-180);
    expect(north[2]).toBe(180);
    expect(north[3]).toBe(90);
    expect(north[1]).toBeLessThan(89.9999);
    const south = aoiBounds(0, -90, 2.5);
    expect(south).toEqual([-180, -90, 180, south[3]]);
    expect(south[3]).toBeGreaterThan(-90);
    expect(() => aoiBounds(30, 89.9999, 2.5, { polar: 'error' })).toThrow(/reaches the North Pole/);
    // 1 km from the pole with a 0.79 km half-side does not reach it: a normal (wide) box.
    const near = aoiBounds(0, 89.99, 2.5);
    expect(near[3]).toBeLessThan(90);
    expect(near[0]).toBeLessThan(near[2]);
  });

  it('clamps a box that reaches both poles to the whole globe', () => {
    // Before: the edge past the far pole was kept, e.g. [-180, -90, 180, 84.6…] at the equator.
    expect(aoiBounds(0, 0, 4.5e8)).toEqual([-180, -90, 180, 90]);
    expect(aoiBounds(0, 5, 4.9e8)).toEqual([-180, -90, 180, 90]);
    expect(aoiBounds(0, 0, 510_065_621.724)).toEqual([-180, -90, 180, 90]);
    expect(() => aoiBounds(0, 5, 4.9e8, { polar: 'error' })).toThrow(/reaches the North and South Poles/);
    // One pole only: that edge is clamped, the other kept.
    expect(aoiBounds(0, 20, 3e8)).toEqual([-180, expect.closeTo(-58.149086608, 8), 180, 90]);
  });

  it('refuses an area larger than the Earth (510 065 621.724 km²) with INVALID_AREA', () => {
    // Before: aoiBounds(0, 0, 2e9) was [-180, -90, 180, -21.3…] (without its centre), Number.MAX_VALUE gave
    // minLat > maxLat, and 1e10 gave a plausible looking [-89.2, -89.9, 89.2, 89.9].
    for (const area of [510_065_622, 6e8, 2e9, 1e10, Number.MAX_VALUE]) {
      let err: unknown;
      try {
        aoiBounds(0, 0, area);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GeoSamplingError);
      expect([(err as GeoSamplingError).code, (err as Error).message]).toEqual([
        'INVALID_AREA',
        `aoiBounds: areaKm2 must be at most the Earth's surface (510065621.724 km², WGS-84), got ${area}`,
      ]);
    }
    expect(() => createAoi({ name: 'a', lon: 0, lat: 0 }, 2e9)).toThrow(
      /^createAoi: areaKm2 must be at most/,
    );
    expect(() => createAois([{ name: 'a', lon: 0, lat: 0 }], 2e9)).toThrow(
      /^createAois: areaKm2 must be at most/,
    );
  });

  it("returns, up to the Earth's area, boxes that hold their centre with each unclamped edge √area/2 away", () => {
    const { Geodesic } = geographiclib;
    const meridianKm = (lat1: number, lat2: number, lon: number) =>
      (Geodesic.WGS84.Inverse(lat1, lon, lat2, lon).s12 as number) / 1000;
    for (let lat = -90; lat <= 90; lat += 2.5)
      for (const lon of [-180, -179.99, 0, 33.3, 179.99, 180])
        for (let x = -2; x <= 8.75; x += 0.25) {
          const area = Math.min(10 ** x, 510_065_621.724);
          const [w, s, e, n] = aoiBounds(lon, lat, area);
          const where = `aoiBounds(${lon}, ${lat}, ${area}) = [${w}, ${s}, ${e}, ${n}]`;
          expect(s <= lat && lat <= n && n <= 90 && s >= -90, where).toBe(true);
          expect(w > e ? lon >= w || lon <= e : lon >= w && lon <= e, where).toBe(true);
          // An edge short of its pole is the geodesic point at half the side; one past its pole is clamped.
          const half = Math.sqrt(area) / 2;
          if (n < 90) expect(meridianKm(lat, n, lon) / half, where).toBeCloseTo(1, 9);
          if (s > -90) expect(meridianKm(lat, s, lon) / half, where).toBeCloseTo(1, 9);
        }
  });

  it.each([
    [0, 91, 2.5, 'INVALID_LATITUDE'],
    [0, Number.NaN, 2.5, 'INVALID_LATITUDE'],
    [-180.5, 0, 2.5, 'INVALID_LONGITUDE'],
    [0, 0, 0, 'INVALID_AREA'],
    [0, 0, -2.5, 'INVALID_AREA'],
  ])('rejects lon %s lat %s area %s with %s', (lon, lat, area, code) => {
    try {
      aoiBounds(lon, lat, area);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GeoSamplingError);
      expect((err as GeoSamplingError).code).toBe(code);
    }
  });
});

describe('createAois', () => {
  it('builds named AOIs and refuses duplicate names naming the row', () => {
    const aois = createAois(
      [
        { name: 'a', lon: 0, lat: 10 },
        { name: 'b', lon: 1, lat: 10, source: 'UNHCR' },
      ],
      2.5,
      { source: 'Landcover' },
    );
    expect(aois.map((a) => [a.name, a.source, a.areaKm2])).toEqual([
      ['a', 'Landcover', 2.5],
      ['b', 'UNHCR', 2.5],
    ]);
    try {
      createAois(
        [
          { name: 'a', lon: 0, lat: 0 },
          { name: 'x', lon: 0, lat: 0 },
          { name: 'a', lon: 1, lat: 1 },
        ],
        2.5,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as GeoSamplingError).code).toBe('DUPLICATE_NAME');
      expect((err as GeoSamplingError).row).toBe(2);
    }
    try {
      createAois(
        [
          { name: 'ok', lon: 0, lat: 0 },
          { name: 'bad', lon: 0, lat: 95 },
        ],
        2.5,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as GeoSamplingError).code).toBe('INVALID_LATITUDE');
      expect((err as GeoSamplingError).row).toBe(1);
      expect((err as Error).message).toMatch(/row 1 \('bad'\)/);
    }
    expect(() => createAoi({ name: '', lon: 0, lat: 0 }, 2.5)).toThrow(/non-empty string/);
    const named = namePoints(samplePointsOnSphere(3, { seed: 1, firstId: 774208 }));
    expect(named.map((p) => [p.name, p.source])).toEqual([
      ['Landcover-774208', 'Landcover'],
      ['Landcover-774209', 'Landcover'],
      ['Landcover-774210', 'Landcover'],
    ]);
    expect(createAois(named, 2.5)[2].source).toBe('Landcover');
  });
});

describe('tileAoi', () => {
  it('splits 22.5 km² into 3×3 tiles of 2.5 km² named <parent>-<x>-<y>, x west→east, y south→north', () => {
    const parent = createAoi(
      { name: 'ASMSpotter-1', lon: -55.253591537475586, lat: 4.990183900438802 },
      22.5,
      { source: 'ASMSpotter' },
    );
    const tiles = tileAoi3x3(parent);
    expect(tiles.map((t) => t.name)).toEqual([
      'ASMSpotter-1-1-1',
      'ASMSpotter-1-1-2',
      'ASMSpotter-1-1-3',
      'ASMSpotter-1-2-1',
      'ASMSpotter-1-2-2',
      'ASMSpotter-1-2-3',
      'ASMSpotter-1-3-1',
      'ASMSpotter-1-3-2',
      'ASMSpotter-1-3-3',
    ]);
    const [w, s, e, n] = parent.bounds;
    const t12 = tiles[1];
    expect(t12.bounds[0]).toBe(w);
    expect(t12.bounds[1]).toBeCloseTo(s + (n - s) / 3, 12);
    const t33 = tiles[8];
    expect(t33.bounds[2]).toBeCloseTo(e, 12);
    expect(t33.bounds[3]).toBeCloseTo(n, 12);
    for (const t of tiles) {
      expect(t.parent).toBe('ASMSpotter-1');
      expect(t.areaKm2).toBeCloseTo(2.5, 12);
      expect(t.source).toBe('ASMSpotter');
      expect(t.lon).toBeCloseTo((t.bounds[0] + t.bounds[2]) / 2, 12);
    }
    // The centre tile is centred on the parent's point.
    expect(tiles[4].lon).toBeCloseTo(parent.lon, 9);
    expect(() => tileAoi(parent, 8)).toThrow(/perfect square/);
    expect(tileAoi(parent, 4)).toHaveLength(4);
  });

  it('tiles a box that crosses the antimeridian continuously', () => {
    const parent = createAoi({ name: 'P', lon: 179.99, lat: 0 }, 22.5);
    const tiles = tileAoi3x3(parent);
    expect(bboxCrossesAntimeridian(parent.bounds)).toBe(true);
    const row = ['P-1-1', 'P-2-1', 'P-3-1'].map((n) => tiles.find((t) => t.name === n)?.bounds as number[]);
    // West edges step east by a third of the (wrapped) width; the last tile straddles ±180°.
    const width = parent.bounds[2] + 360 - parent.bounds[0];
    expect(row[1][0] - row[0][0]).toBeCloseTo(width / 3, 12);
    expect(row[2][0]).toBeGreaterThan(179.99);
    expect(row[2][2]).toBeCloseTo(parent.bounds[2], 12);
    expect(tiles.filter((t) => bboxCrossesAntimeridian(t.bounds)).map((t) => t.name)).toEqual([
      'P-3-1',
      'P-3-2',
      'P-3-3',
    ]);
  });
});
