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
