import type { BBox } from '@worldstrat/core';
// geographiclib-geodesic is CommonJS: Node's ESM loader only exposes its default export.
import geographiclib from 'geographiclib-geodesic';
import { GeoSamplingError } from '../errors.js';
import {
  argumentError,
  checkArrayArgument,
  checkObject,
  checkOptions,
  checkPointsArgument,
  checkString,
} from '../internal/check-arguments.js';
import { describeValue } from '../internal/geometry-checks.js';
import { assertArea, assertLatitude, assertLongitude } from '../internal/validate.js';

const { Geodesic } = geographiclib;

/** An area of interest: a lon/lat box around a point (WorldStrat's AOI row). */
export interface Aoi {
  /** Unique name, e.g. `Landcover-774208`, `UNHCR-IRQs012298`, `ASMSpotter-1-2-3`. */
  name: string;
  /** Longitude of the point the box was built around (tiles: the tile centre). */
  lon: number;
  /** Latitude of that point. */
  lat: number;
  /** `[minLon, minLat, maxLon, maxLat]`; `minLon > maxLon` when the box crosses the antimeridian. */
  bounds: BBox;
  /** Requested area in km² (upstream column `area`). */
  areaKm2: number;
  /** Where the point came from (`Landcover`, `UNHCR`, `ASMSpotter`, `Amnesty`, …). */
  source: string;
  /** Name of the parent AOI for tiles of a larger box. */
  parent?: string;
}

/** A named point an AOI is built around. */
export interface NamedPoint {
  name: string;
  lon: number;
  lat: number;
  source?: string;
}

/** Options of {@link aoiBounds}. */
export interface AoiBoundsOptions {
  /**
   * What to do when the box reaches a pole (the N or S geodesic passes over it): `'clamp'` (default) returns a
   * box spanning all longitudes up to ±90°; `'error'` throws `POLAR_AOI`. Other values are `INVALID_ARGUMENT`.
   */
  polar?: 'clamp' | 'error';
}

const WGS84 = Geodesic.WGS84;

/**
 * Surface of the WGS-84 ellipsoid in km² (GeographicLib's 4πc²). No AOI box is larger; up to it the half side
 * (≤ 11 292 km) is shorter than pole to pole (20 004 km), so a N/S geodesic passes at most one pole and the
 * azimuth test in {@link aoiBounds} sees every crossing. Beyond it boxes came back inverted or without their
 * centre.
 */
const EARTH_AREA_KM2 = 510_065_621.724;

/** `options.polar`: absent (`'clamp'`), `'clamp'` or `'error'`. */
function checkPolar(fn: string, options: AoiBoundsOptions): 'clamp' | 'error' {
  const { polar } = options;
  if (polar === undefined || polar === 'clamp' || polar === 'error') return polar ?? 'clamp';
  // A typo such as 'errors' used to clamp silently.
  throw argumentError(fn, 'options.polar', "'clamp' or 'error'", polar);
}

/** `INVALID_AREA` unless `areaKm2` is a finite number > 0 and at most the Earth's surface. */
function assertAoiArea(fn: string, areaKm2: number): void {
  assertArea(areaKm2);
  if (areaKm2 > EARTH_AREA_KM2) {
    throw new GeoSamplingError(
      'INVALID_AREA',
      `${fn}: areaKm2 must be at most the Earth's surface (${EARTH_AREA_KM2} km², WGS-84), got ${describeValue(areaKm2)}`,
    );
  }
}

/**
 * The AOI box of upstream's `AOIGenerator`: side s = √(area) km; the points at geodesic distance s/2 from
 * (lat, lon) towards N, E, S and W on the WGS-84 ellipsoid (GeographicLib's direct problem);
 * `bounds = [W.lon, S.lat, E.lon, N.lat]`. Reproduces the released WorldStrat boxes to ≤ 1e-8°.
 *
 * Defined edge cases: near the antimeridian the E/W longitudes are wrapped into [−180, 180], so the box has
 * `minLon > maxLon` (RFC 7946 convention; see {@link splitBBoxAtAntimeridian}). When the box reaches a pole,
 * the default `polar: 'clamp'` returns `[-180, S.lat, 180, 90]` (or `[-180, -90, 180, N.lat]`; a box reaching
 * both poles is `[-180, -90, 180, 90]`).
 * @param lon longitude in degrees, [−180, 180].
 * @param lat latitude in degrees, [−90, 90].
 * @param areaKm2 area in km² (> 0, at most the Earth's surface, 510 065 621.724 km²), e.g. 2.5 or 22.5.
 * @param options polar behaviour.
 * @returns `[minLon, minLat, maxLon, maxLat]`.
 * @throws GeoSamplingError `INVALID_LONGITUDE`, `INVALID_LATITUDE`, `INVALID_AREA`, `POLAR_AOI`;
 *   `INVALID_ARGUMENT` when `options.polar` is not `'clamp'` or `'error'`.
 * @example
 * aoiBounds(87.133293, 26.056683, 2.5); // [87.125392806…, 26.049547176…, 87.141193194…, 26.063818817…]
 */
export function aoiBounds(lon: number, lat: number, areaKm2: number, options?: AoiBoundsOptions): BBox {
  const polar = checkPolar('aoiBounds', checkOptions('aoiBounds', options));
  return boxAround('aoiBounds', lon, lat, areaKm2, polar);
}

/** {@link aoiBounds} after its options are checked; `fn` names the caller in errors. */
function boxAround(fn: string, lon: number, lat: number, areaKm2: number, polar: 'clamp' | 'error'): BBox {
  assertLongitude(lon);
  assertLatitude(lat);
  assertAoiArea(fn, areaKm2);
  const half = (Math.sqrt(areaKm2) * 1000) / 2;
  const n = WGS84.Direct(lat, lon, 0, half);
  const e = WGS84.Direct(lat, lon, 90, half);
  const s = WGS84.Direct(lat, lon, 180, half);
  const w = WGS84.Direct(lat, lon, 270, half);
  // A meridian geodesic that passes over a pole comes back with its azimuth flipped.
  const overNorth = lat === 90 || Math.abs(n.azi2 as number) > 90;
  const overSouth = lat === -90 || Math.abs(s.azi2 as number) < 90;
  if (!overNorth && !overSouth)
    return [w.lon2 as number, s.lat2 as number, e.lon2 as number, n.lat2 as number];
  if (polar === 'error') {
    const pole = overNorth && overSouth ? 'North and South Poles' : `${overNorth ? 'North' : 'South'} Pole`;
    throw new GeoSamplingError(
      'POLAR_AOI',
      `an AOI of ${areaKm2} km² around (${lon}, ${lat}) reaches the ${pole}; use polar: 'clamp'`,
    );
  }
  // An edge that went over its pole is clamped to it; an edge short of the other pole stays.
  return [-180, overSouth ? -90 : (s.lat2 as number), 180, overNorth ? 90 : (n.lat2 as number)];
}

/** Options of {@link createAoi} / {@link createAois}. */
export interface CreateAoiOptions extends AoiBoundsOptions {
  /** Source label when the point has none (default `'custom'`). */
  source?: string;
}

/**
 * Builds one AOI around a named point (see {@link aoiBounds} for the geometry).
 * @param point name, lon, lat (and optional source).
 * @param areaKm2 area in km².
 * @param options source label and polar behaviour.
 * @returns the AOI.
 * @throws GeoSamplingError as {@link aoiBounds}; `INVALID_ARGUMENT` for an empty name, a `point` or `options`
 *   that is not an object, an `options.polar` other than `'clamp'` or `'error'`.
 * @example
 * createAoi({ name: 'UNHCR-GNBs001075', lon: -15.791, lat: 12.428 }, 2.5, { source: 'UNHCR' });
 */
export function createAoi(point: NamedPoint, areaKm2: number, options?: CreateAoiOptions): Aoi {
  checkObject('createAoi', 'point', point);
  const opts = checkOptions('createAoi', options);
  const polar = checkPolar('createAoi', opts);
  if (typeof point.name !== 'string' || point.name.length === 0) {
    throw new GeoSamplingError(
      'INVALID_ARGUMENT',
      `createAoi: the AOI name must be a non-empty string, got ${describeValue(point.name)}`,
    );
  }
  return {
    name: point.name,
    lon: point.lon,
    lat: point.lat,
    bounds: boxAround('createAoi', point.lon, point.lat, areaKm2, polar),
    areaKm2,
    source: point.source ?? opts.source ?? 'custom',
  };
}

/**
 * Builds AOIs for many points; names must be unique.
 * @param points named points.
 * @param areaKm2 area in km² for every AOI.
 * @param options source label and polar behaviour.
 * @returns the AOIs, in input order.
 * @throws GeoSamplingError `DUPLICATE_NAME` (with `row`), or the per-point errors of {@link createAoi} with
 *   the failing `row` attached; `INVALID_ARGUMENT` when `points` is not an array of objects.
 * @example
 * createAois([{ name: 'a', lon: 0, lat: 10 }, { name: 'b', lon: 1, lat: 10 }], 2.5);
 */
export function createAois(
  points: readonly NamedPoint[],
  areaKm2: number,
  options: CreateAoiOptions = {},
): Aoi[] {
  checkArrayArgument('createAois', 'points', points);
  checkPolar('createAois', checkOptions('createAois', options));
  assertAoiArea('createAois', areaKm2);
  const seen = new Map<string, number>();
  return points.map((p, row) => {
    checkObject('createAois', `points[${row}]`, p);
    // checked before it is quoted: a Symbol or a BigInt name made the messages below throw a TypeError
    if (typeof p.name !== 'string' || p.name.length === 0)
      throw new GeoSamplingError(
        'INVALID_ARGUMENT',
        `createAois: points[${row}].name must be a non-empty string, got ${describeValue(p.name)}`,
        { row },
      );
    const prev = seen.get(p.name);
    if (prev !== undefined) {
      throw new GeoSamplingError(
        'DUPLICATE_NAME',
        `AOI name '${p.name}' at row ${row} repeats row ${prev}; names must be unique`,
        {
          row,
        },
      );
    }
    seen.set(p.name, row);
    try {
      return createAoi(p, areaKm2, options);
    } catch (err) {
      if (err instanceof GeoSamplingError) {
        throw new GeoSamplingError(err.code, `row ${row} ('${p.name}'): ${err.message}`, { row, cause: err });
      }
      throw err;
    }
  });
}

/**
 * Names sampled points the way the release named its random AOIs: `"<prefix>-<id>"` (e.g. `Landcover-774208`,
 * the point's index in the sampled pool), ready for {@link createAois}.
 * @param points points with unique ids (e.g. from `samplePointsOnLand`).
 * @param prefix name prefix (default `'Landcover'`).
 * @param source source label (default: the prefix).
 * @returns named points.
 * @throws GeoSamplingError `INVALID_ARGUMENT` when `points` is not an array of objects or `prefix`/`source` is
 *   not a string.
 * @example
 * createAois(namePoints(await samplePointsOnLand(100, { seed: 1 })), 2.5);
 */
export function namePoints(
  points: readonly { id: number; lon: number; lat: number }[],
  prefix = 'Landcover',
  source: string = prefix,
): NamedPoint[] {
  checkPointsArgument('namePoints', 'points', points, false);
  checkString('namePoints', 'prefix', prefix);
  checkString('namePoints', 'source', source);
  return points.map((p) => ({ name: `${prefix}-${p.id}`, lon: p.lon, lat: p.lat, source }));
}
