import { describe, expect, it } from 'vitest';
import { CoreError, utmEpsgForLonLat, utmProj4, utmZoneForLonLat } from '../src/index.js';

describe('UTM zones', () => {
  it('computes zones, hemispheres and EPSG codes with the Norway/Svalbard exceptions', () => {
    expect(utmZoneForLonLat(2.35, 48.85)).toEqual({ zone: 31, hemisphere: 'N' });
    expect(utmZoneForLonLat(-0.0001, -0.0001)).toEqual({ zone: 30, hemisphere: 'S' });
    expect(utmEpsgForLonLat(-43.2, -22.9)).toBe(32723);
    expect(utmEpsgForLonLat(180, 0)).toBe(32660);
    expect(utmEpsgForLonLat(-180, -1)).toBe(32701);
    expect(utmEpsgForLonLat(5, 60)).toBe(32632); // Norway: zone 31 widened into 32
    expect(utmEpsgForLonLat(2, 60)).toBe(32631);
    expect([8, 10, 25, 40].map((lon) => utmZoneForLonLat(lon, 78).zone)).toEqual([31, 33, 35, 37]); // Svalbard
  });

  it('rejects coordinates outside the globe with a typed error', () => {
    expect(() => utmZoneForLonLat(181, 0)).toThrowError(CoreError);
    expect(() => utmZoneForLonLat(0, Number.NaN)).toThrow(/outside/);
  });

  it('writes proj4 definitions', () => {
    expect(utmProj4(33, true)).toBe('+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs');
    expect(utmProj4(31, false)).toBe('+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs');
  });
});

describe('hostile zone and coordinate values', () => {
  it('utmProj4 refuses zones outside 1–60 (it wrote "+zone=100" before); messages quote odd values', () => {
    for (const zone of [0, 61, 1.5, Number.NaN, -3]) {
      expect(() => utmProj4(zone, false), String(zone)).toThrow(CoreError);
      expect(() => utmProj4(zone, false)).toThrow(/UTM zone .* is not a whole number from 1 to 60/);
    }
    const hostile = { toString: 1, valueOf: 1 } as unknown as number;
    expect(() => utmZoneForLonLat(hostile, 0)).toThrow('lon/lat ({"toString":1,"valueOf":1}, 0) is outside');
  });
});

/** The adjacent double below (`dir` -1) or above (+1) x. */
function adjacent(x: number, dir: -1 | 1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (x > 0 === dir > 0 ? 1n : -1n));
  return view.getFloat64(0);
}

/** The zone by exact comparisons with the edges -180 + 6k (exact doubles): no rounding anywhere. */
function referenceZone(lon: number): number {
  let zone = 1;
  for (let k = 1; k < 60; k++) if (lon >= -180 + 6 * k) zone = k + 1;
  return zone;
}

describe('UTM zones are exact next to every zone edge', () => {
  it('puts longitudes a few ulps west of an edge in the western zone ((lon + 180) / 6 rounded them east)', () => {
    // [lon, exact zone]; the old Math.floor((lon + 180) / 6) + 1 gave the zone east of each
    const cases: [number, number][] = [
      [-Number.MIN_VALUE, 30], // -5e-324 + 180 === 180
      [-(2 ** -46), 30], // -1.4210854715202004e-14: the widest longitude west of 0° that rounded onto it
      [-6 - 2 ** -50, 29], // -6.000000000000001, the double below -6
      [-60 - 2 ** -47, 20], // -60.00000000000001
      [6 - 2 ** -50, 31], // 5.999999999999999, the double below 6: 186 - 2^-50 rounds to 186
      [12 - 2 ** -49, 32], // 11.999999999999998
      [174 - 2 ** -45, 59], // 173.99999999999997
    ];
    for (const [lon, zone] of cases) {
      expect(Math.round(lon) % 6 === 0 && lon < Math.round(lon), `${lon} is just west of an edge`).toBe(true);
      expect(utmZoneForLonLat(lon, 0), String(lon)).toEqual({ zone, hemisphere: 'N' });
      expect(utmZoneForLonLat(Math.round(lon), 0).zone, `edge ${Math.round(lon)}`).toBe(zone + 1);
    }
    expect(utmEpsgForLonLat(-(2 ** -46), -Number.MIN_VALUE)).toBe(32730);
    expect(utmEpsgForLonLat(6 - 2 ** -50, 10)).toBe(32631);
    expect(utmEpsgForLonLat(-0, -0)).toBe(32631); // -0 is on the edge of zone 31, and northern
  });

  it('agrees with exact edge comparisons for the 2000 doubles on either side of every edge', () => {
    let checked = 0;
    for (let k = 0; k <= 60; k++) {
      for (const dir of [-1, 1] as const) {
        let lon = -180 + 6 * k;
        for (let i = 0; i < 2000 && lon >= -180 && lon <= 180; i++, lon = adjacent(lon, dir)) {
          const zone = utmZoneForLonLat(lon, 0).zone;
          if (zone !== referenceZone(lon))
            expect.fail(`lon ${lon}: zone ${zone}, exact ${referenceZone(lon)}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200_000);
  });

  it('applies the Norway and Svalbard exceptions exactly at their edges', () => {
    const below = (x: number) => adjacent(x, -1);
    const zone = (lon: number, lat: number) => utmZoneForLonLat(lon, lat).zone;
    // Norway: zone 32 over 3°–12°E, 56°–64°N
    expect([zone(below(3), 60), zone(3, 60), zone(below(12), 60), zone(12, 60)]).toEqual([31, 32, 32, 33]);
    expect([zone(5, below(56)), zone(5, 56), zone(5, below(64)), zone(5, 64)]).toEqual([31, 32, 32, 31]);
    expect(zone(-Number.MIN_VALUE, 60)).toBe(30);
    // Svalbard: zones 31/33/35/37 over 0°–9°/9°–21°/21°–33°/33°–42°E, 72°–84°N
    expect([zone(-(2 ** -46), 78), zone(0, 78), zone(below(9), 78), zone(9, 78)]).toEqual([30, 31, 31, 33]);
    expect([zone(below(21), 78), zone(21, 78), zone(below(33), 78), zone(33, 78)]).toEqual([33, 35, 35, 37]);
    expect([zone(below(42), 78), zone(42, 78)]).toEqual([37, 38]);
    // 84°N itself is in the band, as in the `utm` package upstream uses (72 <= lat <= 84)
    expect([zone(8, below(72)), zone(8, 72), zone(8, below(84)), zone(8, 84), zone(10, 84)]).toEqual([
      32, 31, 31, 31, 33,
    ]);
    expect(zone(8, adjacent(84, 1))).toBe(32);
    expect(utmEpsgForLonLat(below(9), -Number.MIN_VALUE)).toBe(32732); // southern: no exception applies
  });

  it('utmProj4 refuses a south that is no boolean (the string "false" gave +south)', () => {
    expect(utmProj4(33, false)).toBe('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs');
    for (const south of ['false', 1, null, undefined])
      expect(() => utmProj4(33, south as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
  });
});
