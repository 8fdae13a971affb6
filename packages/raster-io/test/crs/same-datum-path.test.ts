// The same-datum projection path must give proj4's own transform bit for bit, NaNs included, and must really be
// the path taken for WGS-84 pairs (else the comparison would hold trivially).
import { describe, expect, it } from 'vitest';
import type { CrsRef } from '../../src/crs/projection-registry.js';
import {
  pointTransformer,
  proj4PointTransformer,
  takesSameDatumPath,
} from '../../src/crs/transform-coords.js';

const LV95 =
  '+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs';
const LAEA_ETRS89 =
  '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs';
const ED50_UTM = '+proj=utm +zone=32 +ellps=intl +towgs84=-87,-98,-121,0,0,0,0 +units=m +no_defs';
const US_FEET_UTM = '+proj=utm +zone=15 +datum=WGS84 +units=us-ft +no_defs';
const POLAR = '+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';
const GREENWICH_OFFSET = '+proj=longlat +ellps=WGS84 +pm=paris +no_defs';
const WRAPPED = '+proj=longlat +datum=WGS84 +lon_wrap=180 +no_defs';

/** A lon/lat lattice over the whole globe plus points off it, and the same in a projected CRS's metres. */
function lonLatProbe(): [number, number][] {
  const pts: [number, number][] = [];
  for (let lat = -90; lat <= 90; lat += 7.5)
    for (let lon = -180; lon <= 180; lon += 11.25) pts.push([lon, lat]);
  pts.push(
    [8.54, 47.37],
    [8.5400001, 47.3700001],
    [-0.0000001, 0],
    [181, 10],
    [0, 91],
    [Number.NaN, 1],
    [1, Number.POSITIVE_INFINITY],
  );
  return pts;
}
function metreProbe(): [number, number][] {
  const pts: [number, number][] = [];
  for (let y = -10_000_000; y <= 10_000_000; y += 731_111)
    for (let x = -2_000_000; x <= 3_000_000; x += 173_333) pts.push([x, y]);
  pts.push([465_000.5, 5_245_000.25], [1e12, 1e12], [Number.NaN, 0]);
  return pts;
}

function compare(from: CrsRef, to: CrsRef, pts: [number, number][]): number {
  const fast = pointTransformer(from, to);
  const ref = proj4PointTransformer(from, to);
  if (!fast || !ref) throw new Error('identical CRSs');
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  let finite = 0;
  for (const [x, y] of pts) {
    fast(x, y, a);
    ref(x, y, b);
    if (!Object.is(a[0], b[0]) || !Object.is(a[1], b[1]))
      throw new Error(
        `${String(from)} → ${String(to)} at (${x}, ${y}): ${a[0]}, ${a[1]} vs proj4 ${b[0]}, ${b[1]}`,
      );
    if (Number.isFinite(a[0])) finite++;
  }
  return finite;
}

describe('same-datum projection path', () => {
  const direct: [CrsRef, CrsRef, 'deg' | 'm'][] = [
    [4326, 32632, 'deg'],
    [32632, 4326, 'm'],
    [4326, 32755, 'deg'],
    [32755, 4326, 'm'],
    [32631, 32632, 'm'],
    [32632, 32733, 'm'],
    [4326, 'ESRI:54009', 'deg'],
    ['ESRI:54009', 4326, 'm'],
    [4326, POLAR, 'deg'],
    [POLAR, 32633, 'm'],
    [US_FEET_UTM, 4326, 'm'],
    [4326, US_FEET_UTM, 'deg'],
    [LAEA_ETRS89, 4326, 'm'], // zero towgs84: proj4 takes it as WGS-84 equivalent
  ];
  it.each(direct)('%s → %s equals proj4 bit for bit and takes the direct path', (from, to, units) => {
    expect(takesSameDatumPath(from, to)).toBe(true);
    const finite = compare(from, to, units === 'deg' ? lonLatProbe() : metreProbe());
    expect(finite).toBeGreaterThan(20); // the probe reaches the projection's domain, not only NaNs
  });

  const viaProj4: [CrsRef, CrsRef, 'deg' | 'm'][] = [
    [4326, LV95, 'deg'], // datum shift
    [ED50_UTM, 4326, 'm'], // three-parameter datum shift
    [4326, 3857, 'deg'], // +nadgrids=@null: a grid-shift datum in proj4
    [GREENWICH_OFFSET, 4326, 'deg'], // prime meridian
    [4326, WRAPPED, 'deg'], // longitude wrap
  ];
  it.each(viaProj4)('%s → %s keeps proj4 full transform', (from, to, units) => {
    expect(takesSameDatumPath(from, to)).toBe(false);
    compare(from, to, units === 'deg' ? lonLatProbe() : metreProbe());
  });
});
