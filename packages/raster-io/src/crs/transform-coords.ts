// Batch coordinate transforms through proj4 (converters cached per definition pair). When both CRSs share one
// datum, points go straight through the two projections' own inverse/forward functions on one reused point
// object, the steps proj4's transform takes in that case and in the same order (so the same bits), without the
// four to six objects proj4 allocates per point: grids of 10^5–10^6 points are projected per warp.

import proj4 from 'proj4';
import { RasterIoError } from '../errors.js';
import { describeValue } from '../internal/check-args.js';
import { type CrsRef, projectionDefinition } from './projection-registry.js';

/** Writes the transform of (x, y) into `out` (NaN, NaN outside the target's domain). */
type PointFn = (x: number, y: number, out: Float64Array) => void;
type Converter = {
  forward: (p: [number, number]) => [number, number];
  inverse: (p: [number, number]) => [number, number];
};
const converters = new Map<string, PointFn>();

function converter(from: CrsRef, to: CrsRef): PointFn | null {
  const a = projectionDefinition(from);
  const b = projectionDefinition(to);
  if (a === b) return null;
  const key = `${a}\n${b}`;
  let c = converters.get(key);
  if (!c) {
    let generic: Converter;
    try {
      generic = proj4(a, b) as unknown as Converter;
    } catch (err) {
      throw new RasterIoError(
        'UNKNOWN_CRS',
        `proj4 cannot build a transform ${String(from)} → ${String(to)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    c = sameDatumProjector(a, b) ?? genericProjector(generic, inverseCheckOf(a));
    if (converters.size > 256) converters.clear();
    converters.set(key, c);
  }
  return c;
}

/** Whether points between two CRSs take the same-datum path (internal, for tests). */
export function takesSameDatumPath(from: CrsRef, to: CrsRef): boolean {
  const c = converter(from, to);
  return c !== null && sameDatumPaths.has(c);
}
const sameDatumPaths = new WeakSet<PointFn>();

/**
 * proj4's point transform, one call (and its allocations) per point. From a projected CRS (`checkInverse`), a
 * point whose result does not transform back onto it is off the source projection's domain: NaN.
 */
function genericProjector(c: Converter, checkInverse: InverseCheck | null): PointFn {
  return (x, y, out) => {
    const r = safeForward(c, x, y);
    const off = checkInverse !== null && Number.isFinite(r[0]) && !roundTrips(c, r, x, y, checkInverse);
    out[0] = off ? Number.NaN : r[0];
    out[1] = off ? Number.NaN : r[1];
  };
}

/** What the round-trip check of a projected CRS needs: its unit in metres and its semi-major axis. */
interface InverseCheck {
  toMeter: number;
  a: number;
}

/** The round-trip check of points given in a CRS, or null when it needs none ({@link checksInverse}). */
function inverseCheckOf(def: string): InverseCheck | null {
  let p: ProjParts;
  try {
    p = new proj4.Proj(def) as unknown as ProjParts;
  } catch {
    return null;
  }
  if (!checksInverse(p)) return null;
  return { toMeter: p.to_meter ?? 1, a: p.a ?? p.datum?.a ?? 6378137 };
}

/**
 * proj4's inverse projections do not all refuse points off their domain: Mollweide clamps and wraps points
 * outside its ellipse, the orthographic clamps points past its disc onto the rim, both to finite lon/lat that
 * PROJ (and so gdalwarp) rejects. Such a point does not project back onto itself, while a point of the domain
 * does to ~1e-4 m (measured over the globe: Mollweide 2e-5 m, polar stereographic 7e-4 m at 10^12 m, LAEA near
 * its antipode 0.12 m). Tolerance: 1e-7 of the larger of the semi-major axis and the coordinates (0.64 m on the
 * Earth), far above those errors and far below a pixel.
 */
const ROUND_TRIP_RELATIVE = 1e-7;

/**
 * Projections whose inverse is not round-trip checked, measured against PROJ on a lattice of ±30 000 km: off the
 * domain proj4 already gives NaN (laea, aea), or every point that does not project back is one PROJ accepts too
 * (longitudes past ±180° from the central meridian, which both wrap: merc, eqc, lcc; tmerc thousands of km
 * off its meridian, where both extrapolate). Checking them would drop pixels gdalwarp fills, and would cost UTM
 * and Web Mercator warps ~45% more time.
 */
const INVERSE_TRUSTED: ReadonlySet<string> = new Set([
  'utm',
  'etmerc',
  'tmerc',
  'merc',
  'stere',
  'sterea',
  'laea',
  'aea',
  'lcc',
  'eqc',
]);

/** Whether points given in this CRS need the round-trip check: projected, and not {@link INVERSE_TRUSTED}. */
function checksInverse(p: ProjParts): boolean {
  const name = p.projName ?? '';
  return name !== 'longlat' && name !== 'geocent' && !INVERSE_TRUSTED.has(name);
}

function withinRoundTrip(bx: number, by: number, x: number, y: number, a: number): boolean {
  const tol = ROUND_TRIP_RELATIVE * Math.max(a, Math.abs(x), Math.abs(y));
  return Math.abs(bx - x) <= tol && Math.abs(by - y) <= tol;
}

/** Whether the result `r` of (x, y) transforms back onto (x, y) (compared in metres). */
function roundTrips(c: Converter, r: [number, number], x: number, y: number, k: InverseCheck): boolean {
  let back: [number, number];
  try {
    back = c.inverse([r[0], r[1]]);
  } catch {
    return false;
  }
  return withinRoundTrip(back[0] * k.toMeter, back[1] * k.toMeter, x * k.toMeter, y * k.toMeter, k.a);
}

/** The parts of a proj4 `Proj` that the same-datum path reads. */
interface ProjParts {
  projName?: string;
  a?: number;
  datum?: { datum_type: number; a: number; es: number };
  to_meter?: number;
  from_greenwich?: number;
  long_wrap?: number;
  inverse(p: MutablePoint): MutablePoint | null | undefined;
  forward(p: MutablePoint): MutablePoint | null | undefined;
}
interface MutablePoint {
  x: number;
  y: number;
  z: number;
}

// proj4's degree/radian constants, written as the doubles they parse to, so the conversions give the same bits
const D2R = 0.017453292519943295;
const R2D = 57.29577951308232;
// proj4's datum types that never shift points: WGS84 (or equivalent) and "no datum"
const PJD_WGS84 = 4;
const PJD_NODATUM = 5;

/**
 * The direct path when proj4 would leave points untouched between the two projections: the same datum type
 * (WGS84-equivalent or none, so no parameters or grids), equal ellipsoids by proj4's own test, no prime
 * meridian offset, no longitude wrap and no geocentric CRS. Otherwise null (proj4's full transform is used).
 */
function sameDatumProjector(a: string, b: string): PointFn | null {
  let src: ProjParts;
  let dst: ProjParts;
  try {
    src = new proj4.Proj(a) as unknown as ProjParts;
    dst = new proj4.Proj(b) as unknown as ProjParts;
  } catch {
    return null;
  }
  const sd = src.datum;
  const dd = dst.datum;
  const sameDatum =
    sd !== undefined &&
    dd !== undefined &&
    (sd.datum_type === PJD_WGS84 || sd.datum_type === PJD_NODATUM) &&
    sd.datum_type === dd.datum_type &&
    sd.a === dd.a &&
    Math.abs(sd.es - dd.es) <= 0.00000000005;
  if (
    !sameDatum ||
    src.from_greenwich ||
    dst.from_greenwich ||
    dst.long_wrap !== undefined ||
    src.projName === 'geocent' ||
    dst.projName === 'geocent' ||
    typeof src.inverse !== 'function' ||
    typeof dst.forward !== 'function'
  )
    return null;
  const srcLonLat = src.projName === 'longlat';
  const dstLonLat = dst.projName === 'longlat';
  const srcToMeter = src.to_meter;
  const dstToMeter = dst.to_meter;
  const pt: MutablePoint = { x: 0, y: 0, z: 0 };
  const back: MutablePoint = { x: 0, y: 0, z: 0 };
  const check = checksInverse(src);
  const srcA = src.a ?? sd.a;
  const fn: PointFn = (x, y, out) => {
    out[0] = Number.NaN;
    out[1] = Number.NaN;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    try {
      let p: MutablePoint | null | undefined = pt;
      pt.z = 0;
      if (srcLonLat) {
        pt.x = x * D2R;
        pt.y = y * D2R;
      } else {
        const mx = srcToMeter ? x * srcToMeter : x;
        const my = srcToMeter ? y * srcToMeter : y;
        pt.x = mx;
        pt.y = my;
        p = src.inverse(pt);
        if (!p || (check && !projectsBack(src, p, mx, my, back, srcA))) return;
      }
      let rx: number;
      let ry: number;
      if (dstLonLat) {
        rx = p.x * R2D;
        ry = p.y * R2D;
      } else {
        p = dst.forward(p);
        if (!p) return;
        rx = dstToMeter ? p.x / dstToMeter : p.x;
        ry = dstToMeter ? p.y / dstToMeter : p.y;
      }
      if (Number.isFinite(rx) && Number.isFinite(ry)) {
        out[0] = rx;
        out[1] = ry;
      }
    } catch {
      // outside the projection's domain: NaN, as proj4's transform gives through safeForward
    }
  };
  sameDatumPaths.add(fn);
  return fn;
}

/** Whether lon/lat `p` (radians), the inverse of (x, y) metres, projects back onto it (see ROUND_TRIP_RELATIVE). */
function projectsBack(
  proj: ProjParts,
  p: MutablePoint,
  x: number,
  y: number,
  scratch: MutablePoint,
  a: number,
): boolean {
  scratch.x = p.x;
  scratch.y = p.y;
  scratch.z = 0;
  const q = proj.forward(scratch);
  return !!q && withinRoundTrip(q.x, q.y, x, y, a);
}

/**
 * Transforms points between two CRSs. Geographic CRSs use `[lon, lat]` order (x first). Points that fall
 * outside either projection's domain come back as `[NaN, NaN]`, as PROJ fails them: a source point whose inverse
 * does not project back onto it (Mollweide outside its ellipse, the orthographic past its disc) is off the domain.
 *
 * @param from - source CRS (EPSG code, `'EPSG:n'`, `'ESRI:54009'`, or a proj4 string).
 * @param to - target CRS.
 * @param points - `[x, y]` pairs.
 * @returns new `[x, y]` pairs.
 * @throws RasterIoError `UNKNOWN_CRS` for an unregistered code.
 * @example
 * const [[e, n]] = transformCoords(4326, 32633, [[15, 52]]); // ≈ [500000, 5761038]
 */
export function transformCoords(
  from: CrsRef,
  to: CrsRef,
  points: readonly (readonly [number, number])[],
): [number, number][] {
  const c = converter(from, to);
  checkPoints(points);
  const out = new Float64Array(2);
  return points.map(([x, y]) => {
    if (!c) return [x, y];
    c(x, y, out);
    return [out[0] as number, out[1] as number];
  });
}

/** `[x, y]` pairs of numbers (a string would reach proj4 and come back as NaN, like a point off the domain). */
function checkPoints(points: unknown): void {
  if (!Array.isArray(points))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `transformCoords: points must be an array of [x, y], got ${describeValue(points)}`,
    );
  for (const [i, p] of points.entries())
    if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number')
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `transformCoords: points[${i}] must be [x, y] numbers, got ${describeValue(p)}`,
      );
}

/**
 * A reusable point transformer between two CRSs (internal: resolves definitions once), or `null` when the
 * CRSs are identical. Writes `[x, y]` (NaN outside the domain) into `out`.
 */
export function pointTransformer(from: CrsRef, to: CrsRef): PointFn | null {
  return converter(from, to);
}

/**
 * proj4's own transform between two CRSs, one call per point (internal: the reference the same-datum path is
 * tested against), or `null` when the CRSs are identical.
 */
export function proj4PointTransformer(from: CrsRef, to: CrsRef): PointFn | null {
  const a = projectionDefinition(from);
  const b = projectionDefinition(to);
  return a === b ? null : genericProjector(proj4(a, b) as unknown as Converter, inverseCheckOf(a));
}

function safeForward(c: Converter, x: number, y: number): [number, number] {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return [Number.NaN, Number.NaN];
  let r: [number, number];
  try {
    r = c.forward([x, y]);
  } catch {
    return [Number.NaN, Number.NaN];
  }
  const [rx, ry] = r;
  return Number.isFinite(rx) && Number.isFinite(ry) ? [rx, ry] : [Number.NaN, Number.NaN];
}

/**
 * Transforms interleaved `x0, y0, x1, y1, ...` coordinates in place (no per-point array allocation for the
 * caller); the fast path used by {@link warpRaster}.
 *
 * @param from - source CRS.
 * @param to - target CRS.
 * @param xy - interleaved coordinates, overwritten with the result (NaN outside the domain).
 * @returns `xy`.
 * @throws RasterIoError `UNKNOWN_CRS` for an unregistered code.
 * @example
 * const xy = new Float64Array([15, 52, 16, 53]);
 * transformCoordsInPlace(4326, 32633, xy);
 */
export function transformCoordsInPlace(from: CrsRef, to: CrsRef, xy: Float64Array): Float64Array {
  if (xy.length % 2 !== 0)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `interleaved coordinates need an even length (got ${xy.length})`,
    );
  const c = converter(from, to);
  if (!c) return xy;
  const out = new Float64Array(2);
  for (let i = 0; i < xy.length; i += 2) {
    c(xy[i] as number, xy[i + 1] as number, out);
    xy[i] = out[0] as number;
    xy[i + 1] = out[1] as number;
  }
  return xy;
}
