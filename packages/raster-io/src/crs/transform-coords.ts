// Batch coordinate transforms through proj4 (converters cached per definition pair).
import proj4 from 'proj4';
import { RasterIoError } from '../errors.js';
import { type CrsRef, projectionDefinition } from './projection-registry.js';

type Converter = { forward: (p: [number, number]) => [number, number] };
const converters = new Map<string, Converter>();

function converter(from: CrsRef, to: CrsRef): Converter | null {
  const a = projectionDefinition(from);
  const b = projectionDefinition(to);
  if (a === b) return null;
  const key = `${a}\n${b}`;
  let c = converters.get(key);
  if (!c) {
    try {
      c = proj4(a, b) as unknown as Converter;
    } catch (err) {
      throw new RasterIoError(
        'UNKNOWN_CRS',
        `proj4 cannot build a transform ${String(from)} → ${String(to)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (converters.size > 256) converters.clear();
    converters.set(key, c);
  }
  return c;
}

/**
 * Transforms points between two CRSs. Geographic CRSs use `[lon, lat]` order (x first). Points that fall
 * outside the target projection's domain come back as `[NaN, NaN]`.
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
  return points.map(([x, y]) => {
    if (!c) return [x, y];
    const out = safeForward(c, x, y);
    return [out[0], out[1]];
  });
}

/**
 * A reusable point transformer between two CRSs (internal: resolves definitions once), or `null` when the
 * CRSs are identical. Writes `[x, y]` (NaN outside the domain) into `out`.
 */
export function pointTransformer(
  from: CrsRef,
  to: CrsRef,
): ((x: number, y: number, out: Float64Array) => void) | null {
  const c = converter(from, to);
  if (!c) return null;
  return (x, y, out) => {
    const r = safeForward(c, x, y);
    out[0] = r[0];
    out[1] = r[1];
  };
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
  for (let i = 0; i < xy.length; i += 2) {
    const [x, y] = safeForward(c, xy[i] as number, xy[i + 1] as number);
    xy[i] = x;
    xy[i + 1] = y;
  }
  return xy;
}
