// Which source pixels a warp needs, found as gdalwarp finds them (GDAL 3.6 GDALWarpOperation::ComputeSourceWindow
// and ComputeSourceWindowStartingFromSource): points on the target grid's edges are transformed into the source,
// or, when one of them fails or a pole lies inside the grid, a grid of points through its interior plus a grid of
// source points transformed forward. Edge points alone miss what only the interior reaches: the rows around a
// pole inside the grid and the columns on both sides of the antimeridian (all longitudes meet at the pole).
import { transformCoords } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import { describeValue } from '../internal/check-args.js';
import type { GeoBlock, GeoTransform } from '../types.js';
import { type LongitudeWrap, sourceLongitudeWrap } from './longitude-wrap.js';

/** Pixel coordinates (edges are integers) mapped from one raster into another; NaN where a point fails. */
export type PixelMap = (points: [number, number][]) => [number, number][];

/** A raster's size in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

/** What the source window of a warp is computed from: both pixel maps and both sizes. */
export interface WarpGeometry {
  /** Target pixel → source pixel. */
  toSource: PixelMap;
  /** Source pixel → target pixel. */
  toTarget: PixelMap;
  target: PixelSize;
  source: PixelSize;
  /** Whether a pole (gdalwarp's special points: latitude ±89.9999 at longitude 0) lies on the target grid. */
  poleInTarget: boolean;
}

/** Source pixel extent of the sample points that transformed, and how many did not. */
export interface SourceExtent {
  minU: number;
  minV: number;
  maxU: number;
  maxV: number;
  /** Sample points that failed to transform (gdalwarp widens the window by 10 pixels when any did). */
  failed: number;
}

/** GDAL's default SAMPLE_STEPS: points per edge, and grid lines per axis (plus the two next to the edges). */
const STEPS = 21;

/**
 * The inverse of a geotransform (pixel = inv · (x − ox, y − oy)).
 *
 * @throws RasterIoError `INVALID_ARGUMENT` naming `what` when it is singular.
 */
export function invertTransform(t: GeoTransform, what: string): GeoTransform {
  const [ox, a, b, oy, d, e] = t;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || det === 0)
    throw new RasterIoError('INVALID_ARGUMENT', `${what} geotransform ${describeValue(t)} is not invertible`);
  return [ox, e / det, -b / det, oy, -d / det, a / det];
}

/**
 * Pixel coordinates of `from` → world → (CRS change) → pixel coordinates of `to`, longitudes brought around `to`'s
 * centre by `wrap` (a geographic source: see longitude-wrap.ts).
 */
function pixelMap(from: GeoBlock, to: GeoBlock, toName: string, wrap: LongitudeWrap | null = null): PixelMap {
  const [fox, fa, fb, foy, fd, fe] = from.transform;
  const [tox, i00, i01, toy, i10, i11] = invertTransform(to.transform, toName);
  return (points) => {
    const world = points.map(([px, py]): [number, number] => [
      fox + fa * px + fb * py,
      foy + fd * px + fe * py,
    ]);
    const there = from.epsg === to.epsg ? world : transformCoords(from.epsg, to.epsg, world);
    return there.map(([tx, y]) => {
      const x = wrap ? wrap(tx) : tx;
      return [i00 * (x - tox) + i01 * (y - toy), i10 * (x - tox) + i11 * (y - toy)];
    });
  };
}

/**
 * The geometry of warping a raster (`sourceGeo`, `source` size) onto a grid.
 *
 * @param sourceGeo - the source's CRS and geotransform.
 * @param source - the source's size.
 * @param grid - the target grid.
 * @returns both pixel maps, the sizes and whether a pole lies on the grid.
 */
export function warpGeometry(
  sourceGeo: GeoBlock,
  source: PixelSize,
  grid: { epsg: number; transform: GeoTransform } & PixelSize,
): WarpGeometry {
  const targetGeo: GeoBlock = { epsg: grid.epsg, transform: grid.transform };
  const target = { width: grid.width, height: grid.height };
  return {
    toSource: pixelMap(
      targetGeo,
      sourceGeo,
      'source',
      sourceLongitudeWrap(sourceGeo, source.width, source.height),
    ),
    toTarget: pixelMap(sourceGeo, targetGeo, 'target'),
    target,
    source: { width: source.width, height: source.height },
    poleInTarget: poleOnGrid(targetGeo, target),
  };
}

/** Whether latitude ±89.9999 at longitude 0 (not ±90, whose longitude some projections lose) is on the grid. */
function poleOnGrid(geo: GeoBlock, size: PixelSize): boolean {
  const toPixel = pixelMap({ epsg: 4326, transform: [0, 1, 0, 0, 0, 1] }, geo, 'target');
  return toPixel([
    [0, -89.9999],
    [0, 89.9999],
  ]).some(([x, y]) => x >= 0 && x <= size.width && y >= 0 && y <= size.height);
}

/** `STEPS` points per edge of a `width` × `height` grid, corners included. */
function edgePoints({ width: W, height: H }: PixelSize): [number, number][] {
  const pts: [number, number][] = [];
  for (let k = 0; k < STEPS; k++) {
    const r = k / (STEPS - 1);
    pts.push([r * W, 0], [r * W, H], [0, r * H], [W, r * H]);
  }
  return pts;
}

/**
 * GDAL's sample grid: `STEPS` lines per axis from edge to edge plus one half a pixel inside each edge.
 * `yInsetOf` is the size the row inset is divided by: GDAL divides by the width on the target grid.
 */
function gridPoints({ width: W, height: H }: PixelSize, yInsetOf: number): [number, number][] {
  const ratio = (i: number, size: number) =>
    i === 0 ? 0.5 / size : i <= STEPS ? (i - 1) / (STEPS - 1) : 1 - 0.5 / size;
  const pts: [number, number][] = [];
  for (let iy = 0; iy < STEPS + 2; iy++)
    for (let ix = 0; ix < STEPS + 2; ix++) pts.push([ratio(ix, W) * W, ratio(iy, yInsetOf) * H]);
  return pts;
}

/** The extent of the mapped points that are finite, and the count of those that are not. */
function extentOf(mapped: [number, number][]): SourceExtent {
  const e: SourceExtent = {
    minU: Number.POSITIVE_INFINITY,
    minV: Number.POSITIVE_INFINITY,
    maxU: Number.NEGATIVE_INFINITY,
    maxV: Number.NEGATIVE_INFINITY,
    failed: 0,
  };
  for (const [u, v] of mapped) {
    if (!Number.isFinite(u) || !Number.isFinite(v)) e.failed++;
    else include(e, u, v);
  }
  return e;
}

function include(e: SourceExtent, u: number, v: number): void {
  e.minU = Math.min(e.minU, u);
  e.maxU = Math.max(e.maxU, u);
  e.minV = Math.min(e.minV, v);
  e.maxV = Math.max(e.maxV, v);
}

/**
 * The source extent a warp samples, or null when hardly any point transforms (gdalwarp's "too many points
 * failed": all but 4 or fewer). Edge points first; the interior grid when a pole is on the target grid or an edge
 * point failed, then also the source grid transformed forward, whose points that land on the target widen the
 * extent (a source point the inverse transform cannot reach).
 */
export function sampleSourceExtent(g: WarpGeometry): SourceExtent | null {
  const grid = () => gridPoints(g.target, g.target.width);
  let useGrid = g.poleInTarget;
  let samples = useGrid ? grid() : edgePoints(g.target);
  let e = extentOf(g.toSource(samples));
  if (!useGrid && e.failed > 0) {
    useGrid = true;
    samples = grid();
    e = extentOf(g.toSource(samples));
  }
  if (e.failed > samples.length - 5) return null;
  if (useGrid) widenFromSource(g, e);
  return e;
}

/** ComputeSourceWindowStartingFromSource: source grid points that land on the target widen the extent. */
function widenFromSource(g: WarpGeometry, e: SourceExtent): void {
  const src = gridPoints(g.source, g.source.height);
  const { width: W, height: H } = g.target;
  g.toTarget(src).forEach(([x, y], i) => {
    if (x >= 0 && x <= W && y >= 0 && y <= H) {
      const [u, v] = src[i] as [number, number];
      include(e, u, v);
    }
  });
}

/**
 * gdalwarp's x-scale where its window-based one is `y / x` > 100 times smaller than the y-scale (a window spanning
 * the width of a global lon/lat source across the antimeridian, or around a pole): the mean of the local scales
 * `1 / max(|Δu| one target pixel right, |Δu| one down)` at up to 10 × 10 points of the grid (edges included),
 * leaving out those under a tenth of the largest (points straddling the discontinuity). Null when no point
 * transforms (the window-based scale stays).
 */
export function sampledXScale(g: WarpGeometry): number | null {
  const { width: W, height: H } = g.target;
  const nx = Math.min(10, W);
  const ny = Math.min(10, H);
  const pts: [number, number][] = [];
  for (let iy = 0; iy < ny; iy++)
    for (let ix = 0; ix < nx; ix++) {
      const x = nx === 1 ? 0 : (ix * W) / (nx - 1);
      const y = ny === 1 ? 0 : (iy * H) / (ny - 1);
      pts.push([x, y], [ix === nx - 1 ? x - 1 : x + 1, y], [x, iy === ny - 1 ? y - 1 : y + 1]);
    }
  const m = g.toSource(pts);
  const scales: number[] = [];
  for (let i = 0; i < m.length; i += 3) {
    const [u0, v0] = m[i] as [number, number];
    const [u1, v1] = m[i + 1] as [number, number];
    const [u2, v2] = m[i + 2] as [number, number];
    if ([u0, v0, u1, v1, u2, v2].every(Number.isFinite))
      scales.push(1 / Math.max(Math.abs(u1 - u0), Math.abs(u2 - u0)));
  }
  if (scales.length === 0) return null;
  // summed in increasing order, as GDAL sums them
  scales.sort((a, b) => a - b);
  const top = scales[scales.length - 1] as number;
  const kept = scales.filter((s) => s > top / 10);
  return kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : null;
}
