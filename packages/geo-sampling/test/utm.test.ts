import { describe, expect, it } from 'vitest';
import { lonLatToUtm, utmEpsgForLonLat, utmProj4Definition, utmZoneForLonLat } from '../src/index.js';

describe('UTM helpers', () => {
  it('computes zones, hemispheres and EPSG codes including the Norway/Svalbard exceptions (re-exported from core)', () => {
    expect(utmZoneForLonLat(2.35, 48.85)).toEqual({ zone: 31, hemisphere: 'N' });
    expect(utmEpsgForLonLat(-15.79, 12.43)).toBe(32628);
    expect(utmEpsgForLonLat(18.4, -33.9)).toBe(32734);
    expect(utmEpsgForLonLat(180, 0)).toBe(32660);
    expect(utmEpsgForLonLat(-180, -1)).toBe(32701);
    expect(utmEpsgForLonLat(5, 60)).toBe(32632);
    expect(utmEpsgForLonLat(2, 60)).toBe(32631);
    expect(utmEpsgForLonLat(15, 78)).toBe(32633);
  });

  it('gives proj4 definitions and projects the central meridian to easting 500 km', () => {
    expect(utmProj4Definition(32733)).toBe('+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs');
    expect(() => utmProj4Definition(4326)).toThrow(/not a WGS-84 UTM code/);
    const [e, n] = lonLatToUtm(3, 0);
    expect(e).toBeCloseTo(500000, 3);
    expect(n).toBeCloseTo(0, 3);
    const [e2, n2] = lonLatToUtm(15, -10);
    expect(e2).toBeCloseTo(500000, 3);
    // meridian arc to 10° = 1 105 854.83 m, scaled by k0 = 0.9996, from the 10 000 km false northing
    expect(n2).toBeCloseTo(10000000 - 0.9996 * 1105854.83, 0);
  });
});
