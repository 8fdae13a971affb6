import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { MOLLWEIDE_PROJ4 } from '../../src/crs/projection-registry.js';
import { transformCoordsInPlace } from '../../src/crs/transform-coords.js';
import {
  projectionDefinition,
  RasterIoError,
  registerProjection,
  transformCoords,
  utmEpsgForLonLat,
  utmZoneForLonLat,
} from '../../src/index.js';

describe('projection definitions', () => {
  it('generates UTM strings for 32601–32660 / 32701–32760 and knows 4326, 3857, ESRI:54009', () => {
    expect(projectionDefinition(32633)).toBe('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs');
    expect(projectionDefinition('EPSG:32701')).toBe(
      '+proj=utm +zone=1 +south +datum=WGS84 +units=m +no_defs',
    );
    expect(projectionDefinition('epsg:32760')).toContain('+zone=60 +south');
    expect(projectionDefinition(4326)).toContain('+proj=longlat');
    expect(projectionDefinition(3857)).toContain('+proj=merc');
    expect(projectionDefinition('ESRI:54009')).toBe(MOLLWEIDE_PROJ4);
    expect(projectionDefinition('+proj=longlat +datum=WGS84')).toBe('+proj=longlat +datum=WGS84');
  });
  it("the package's code for World Mollweide (geo.epsg 54009) is ESRI:54009, as a number or 'EPSG:54009'", () => {
    // it became the non-existent EPSG:54009 (UNKNOWN_CRS telling users to register it)
    for (const code of [54009, '54009', 'EPSG:54009', 'epsg:54009'])
      expect(projectionDefinition(code), String(code)).toBe(MOLLWEIDE_PROJ4);
  });
  it('throws UNKNOWN_CRS naming the code and registerProjection', () => {
    for (const bad of [32600, 32661, 32700, 2056, 'EPSG:32761']) {
      try {
        projectionDefinition(bad);
        throw new Error('no throw');
      } catch (e) {
        expect(e).toBeInstanceOf(RasterIoError);
        expect((e as RasterIoError).code).toBe('UNKNOWN_CRS');
        expect((e as Error).message).toMatch(/registerProjection/);
      }
    }
    expect(() => projectionDefinition('not a crs')).toThrow(/cannot read CRS/);
  });
  it('registerProjection adds codes, refuses silent redefinition, allows override', () => {
    const lv95 =
      '+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs';
    registerProjection('EPSG:2056', lv95);
    registerProjection(2056, lv95); // same definition: no-op
    expect(projectionDefinition(2056)).toBe(lv95);
    const [[x, y]] = transformCoords(4326, 2056, [[7.43958333333333, 46.9524055555556]]) as [
      [number, number],
    ];
    // the projection origin, shifted by the Bessel→WGS-84 datum change (~100 m)
    expect(Math.abs(x - 2600000)).toBeLessThan(200);
    expect(Math.abs(y - 1200000)).toBeLessThan(200);
    expect(() => registerProjection(2056, '+proj=longlat')).toThrow(/already defined.*override/);
    expect(() => registerProjection(32633, '+proj=longlat')).toThrow(/already defined/);
    registerProjection(2056, '+proj=longlat +datum=WGS84 +no_defs', { override: true });
    expect(projectionDefinition(2056)).toBe('+proj=longlat +datum=WGS84 +no_defs');
  });
});

describe('transformCoords', () => {
  it('projects to UTM: the central meridian has easting 500000 and the equator northing 0 / 10,000,000', () => {
    const [[e1, n1], [e2, n2], [e3, n3]] = transformCoords(4326, 32633, [
      [15, 52],
      [15, 0],
      [12, 45],
    ]) as [number, number][];
    expect(e1).toBeCloseTo(500000, 4);
    expect(n1).toBeCloseTo(5761038.2126, 2); // gdaltransform -s_srs EPSG:4326 -t_srs EPSG:32633
    expect(e2).toBeCloseTo(500000, 4);
    expect(n2).toBeCloseTo(0, 4);
    expect(e3).toBeLessThan(500000);
    const [[, ns]] = transformCoords(4326, 32733, [[15, 0]]) as [[number, number]];
    expect(ns).toBeCloseTo(10_000_000, 4);
    expect(n3).toBeGreaterThan(0);
  });
  it('round-trips lon/lat ↔ UTM / Mollweide / Web Mercator to < 1e-6 m', () => {
    const pts: [number, number][] = [
      [15.3, 52.1],
      [-43.2, -22.9],
      [151.2, -33.9],
      [0.001, 0.001],
      [179.9, 70],
    ];
    for (const crs of ['EPSG:3857', 'ESRI:54009']) {
      const there = transformCoords(4326, crs, pts);
      const back = transformCoords(crs, 4326, there);
      back.forEach(([lon, lat], i) => {
        expect(lon).toBeCloseTo((pts[i] as [number, number])[0], 9);
        expect(lat).toBeCloseTo((pts[i] as [number, number])[1], 9);
      });
    }
    for (const [lon, lat] of pts) {
      const epsg = utmEpsgForLonLat(lon, lat);
      const [p] = transformCoords(4326, epsg, [[lon, lat]]) as [[number, number]];
      const [q] = transformCoords(epsg, 4326, [p]) as [[number, number]];
      expect(q[0]).toBeCloseTo(lon, 9);
      expect(q[1]).toBeCloseTo(lat, 9);
    }
  });
  // proj4's Mollweide inverse clamps and wraps points outside the ellipse, and its orthographic inverse puts points
  // past the disc on the rim, both as finite lon/lat; PROJ (gdaltransform: "transformation failed") and so
  // gdalwarp refuse them. Such a point does not project back onto itself.
  it("points off the source projection's domain are NaN: Mollweide outside its ellipse, the orthographic past its disc", () => {
    const nan = [Number.NaN, Number.NaN];
    expect(
      transformCoords(54009, 4326, [
        [18_000_000, 9_000_000], // a corner of the ellipse's bounding box
        [19_000_000, 100], // past its right end (proj4 gave -170.4°)
        [0, 9_100_000], // above the pole (proj4 gave the pole)
      ]),
    ).toEqual([nan, nan, nan]);
    const ORTHO = '+proj=ortho +lat_0=50 +lon_0=10 +datum=WGS84 +units=m +no_defs';
    expect(transformCoords(ORTHO, 4326, [[7_000_000, 0]])).toEqual([nan]);
    expect(transformCoords(ORTHO, 32632, [[0, -6_500_000]])).toEqual([nan]);
    // and the far side of the globe does not project into it
    expect(transformCoords(4326, ORTHO, [[-170, -50]])).toEqual([nan]);
    const [[lon, lat]] = transformCoords(ORTHO, 4326, [[6_000_000, 0]]) as [[number, number]];
    expect(lon).toBeGreaterThan(70);
    expect(lat).toBeGreaterThan(0);
  });

  it("ordinary points keep proj4's exact values: UTM edges, Web Mercator at high latitude and past ±180°, polar stereographic, Mollweide", () => {
    const LONLAT = '+proj=longlat +datum=WGS84 +no_defs';
    const POLAR = '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';
    const cases: [number | string, [number, number][]][] = [
      [
        32633,
        [
          [166_021, 0],
          [833_979, 9_329_005],
          [160_000, 5_500_000],
          [-1_500_000, 6_000_000],
          [2_500_000, 4_000_000],
        ],
      ],
      [
        3857,
        [
          [0, 30_000_000],
          [20_037_508, 20_037_508],
          [21_000_000, 1_000_000],
          [-30_000_000, -5_000_000],
        ],
      ],
      [
        POLAR,
        [
          [0, 0],
          [1, 1],
          [-4_000_000, 3_000_000],
          [9_000_000, -9_000_000],
          [1e8, 1e8],
        ],
      ],
      [
        54009,
        [
          [18_000_000, 100],
          [-1_000_000, 9_000_000],
          [12_000_000, -6_000_000],
        ],
      ],
    ];
    for (const [crs, pts] of cases) {
      const ref = proj4(projectionDefinition(crs), LONLAT);
      const ours = transformCoords(crs, 4326, pts);
      pts.forEach((p, i) => {
        const want = ref.forward([...p]);
        expect(ours[i], `${crs} ${p}`).toEqual([want[0], want[1]]);
        expect(Number.isFinite((ours[i] as [number, number])[0]), `${crs} ${p}`).toBe(true);
      });
    }
  });

  it('in-place interleaved transform equals the array form; identity CRS is a no-op; NaN in → NaN out', () => {
    const pts: [number, number][] = [
      [15, 52],
      [16, 53],
      [Number.NaN, 1],
    ];
    const xy = new Float64Array(pts.flat());
    transformCoordsInPlace(4326, 32633, xy);
    const arr = transformCoords(4326, 32633, pts);
    expect(Array.from(xy.subarray(0, 4))).toEqual(arr.slice(0, 2).flat());
    expect(Number.isNaN(xy[4])).toBe(true);
    expect(transformCoords(32633, 'EPSG:32633', [[1, 2]])).toEqual([[1, 2]]);
    expect(() => transformCoordsInPlace(4326, 32633, new Float64Array(3))).toThrow(/even length/);
  });
});

describe('UTM zone selection', () => {
  it('uses 6° zones, zone 60 at 180°, northern hemisphere from the equator', () => {
    expect(utmZoneForLonLat(-180, 10)).toEqual({ zone: 1, hemisphere: 'N' });
    expect(utmZoneForLonLat(-174.0001, 10).zone).toBe(1);
    expect(utmZoneForLonLat(-174, 10).zone).toBe(2);
    expect(utmZoneForLonLat(0, 0)).toEqual({ zone: 31, hemisphere: 'N' });
    expect(utmZoneForLonLat(-0.0001, -0.0001)).toEqual({ zone: 30, hemisphere: 'S' });
    expect(utmZoneForLonLat(180, 0).zone).toBe(60);
    expect(utmEpsgForLonLat(15, 52)).toBe(32633);
    expect(utmEpsgForLonLat(-43.2, -22.9)).toBe(32723);
    expect(utmEpsgForLonLat(151.2, -33.9)).toBe(32756);
  });
  it('applies the Norway 32V exception (56–64°N, 3–12°E)', () => {
    expect(utmZoneForLonLat(5, 60).zone).toBe(32); // Bergen: would be 31
    expect(utmZoneForLonLat(2.99, 60).zone).toBe(31);
    expect(utmZoneForLonLat(11.99, 60).zone).toBe(32);
    expect(utmZoneForLonLat(5, 64).zone).toBe(31); // north of the band
    expect(utmZoneForLonLat(5, 55.99).zone).toBe(31);
  });
  it('applies the Svalbard exceptions (72–84°N: 31X 0–9°, 33X 9–21°, 35X 21–33°, 37X 33–42°)', () => {
    expect(utmZoneForLonLat(8.9, 78).zone).toBe(31);
    expect(utmZoneForLonLat(9, 78).zone).toBe(33);
    expect(utmZoneForLonLat(15.6, 78.2).zone).toBe(33); // Longyearbyen
    expect(utmZoneForLonLat(20.9, 78).zone).toBe(33);
    expect(utmZoneForLonLat(21, 78).zone).toBe(35);
    expect(utmZoneForLonLat(33, 80).zone).toBe(37);
    expect(utmZoneForLonLat(41.9, 80).zone).toBe(37);
    expect(utmZoneForLonLat(42, 80).zone).toBe(38);
    expect(utmZoneForLonLat(-1, 78).zone).toBe(30);
    expect(utmZoneForLonLat(15, 84).zone).toBe(33); // 84°N is outside the X band: plain 6° zone
    expect(utmZoneForLonLat(10, 71.99).zone).toBe(32);
  });
  it('rejects out-of-range input', () => {
    expect(() => utmZoneForLonLat(181, 0)).toThrow(RasterIoError);
    expect(() => utmZoneForLonLat(0, Number.NaN)).toThrow(/outside/);
  });
});
