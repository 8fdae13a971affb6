// Target pixel centres of a grid transformed once into a source CRS, so that several rasters in that CRS (the
// bands of one Sentinel-2 item at 10, 20 and 60 m, the revisits of one AOI) warp onto the grid without running
// proj4 again per raster: the projection is most of an exact warp's time.
import { crsName } from '../crs/projection-registry.js';
import { pointTransformer } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import { checkObjectWith } from '../internal/check-args.js';
import type { TargetGrid } from './warp-raster.js';

/** A grid's pixel centres in another CRS (row-major, NaN where the point is outside that CRS's domain). */
export interface ProjectedGrid {
  /** The CRS `x`/`y` are in: the CRS of the rasters this serves. */
  epsg: number;
  /** The grid the coordinates belong to (a copy). */
  grid: TargetGrid;
  x: Float64Array;
  y: Float64Array;
}

/** Most pixels {@link projectGrid} accepts (16 bytes each: 256 MiB). */
const MAX_PROJECTED_PIXELS = 2 ** 24;

/**
 * Transforms the centre of every pixel of `grid` into `epsg`, exactly (one proj4 call per pixel), for
 * {@link warpRaster}'s `projected` option. A warp given these coordinates equals the exact warp bit for bit.
 *
 * @param grid - target grid (CRS, transform, size).
 * @param epsg - the CRS of the rasters to be warped onto the grid.
 * @returns the coordinates (16 bytes per pixel).
 * @throws RasterIoError `UNKNOWN_CRS` for unregistered codes, `INVALID_ARGUMENT` for a bad or too large grid.
 * @example
 * const projected = projectGrid(aoiGrid, 32633);
 * const b04 = warpRaster(b04Utm, aoiGrid, { projected });
 * const b11 = warpRaster(b11Utm, aoiGrid, { projected }); // 20 m source, same coordinates
 */
export function projectGrid(grid: TargetGrid, epsg: number): ProjectedGrid {
  checkObjectWith('projectGrid', 'grid', grid, []);
  const { width: W, height: H } = grid;
  if (!Number.isSafeInteger(W) || W < 1 || !Number.isSafeInteger(H) || H < 1 || W * H > MAX_PROJECTED_PIXELS)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `projectGrid: grid size ${W}×${H} must be positive integers with at most ${MAX_PROJECTED_PIXELS} pixels`,
    );
  if (!Array.isArray(grid.transform) || grid.transform.length !== 6 || !grid.transform.every(Number.isFinite))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `projectGrid: geotransform ${JSON.stringify(grid.transform)} must be 6 finite numbers`,
    );
  const project = grid.epsg === epsg ? null : pointTransformer(grid.epsg, epsg);
  const [tox, ta, tb, toy, td, te] = grid.transform;
  const x = new Float64Array(W * H);
  const y = new Float64Array(W * H);
  const tmp = new Float64Array(2);
  for (let row = 0, o = 0; row < H; row++) {
    const py = row + 0.5;
    for (let col = 0; col < W; col++, o++) {
      const px = col + 0.5;
      const gx = tox + ta * px + tb * py;
      const gy = toy + td * px + te * py;
      if (project) {
        project(gx, gy, tmp);
        x[o] = tmp[0] as number;
        y[o] = tmp[1] as number;
      } else {
        x[o] = gx;
        y[o] = gy;
      }
    }
  }
  return { epsg, grid: { ...grid, transform: [...grid.transform] }, x, y };
}

/** Throws unless `p` holds `grid`'s pixel centres in `epsg`. */
export function checkProjectedGrid(p: ProjectedGrid, grid: TargetGrid, epsg: number): void {
  const same =
    p.epsg === epsg &&
    p.grid.epsg === grid.epsg &&
    p.grid.width === grid.width &&
    p.grid.height === grid.height &&
    p.grid.transform.every((v, i) => v === grid.transform[i]) &&
    p.x.length === grid.width * grid.height &&
    p.y.length === p.x.length;
  if (!same)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `warpRaster: the projected coordinates are for a ${p.grid.width}×${p.grid.height} ${crsName(p.grid.epsg)} grid in ${crsName(p.epsg)}; this warp needs the ${grid.width}×${grid.height} ${crsName(grid.epsg)} grid in ${crsName(epsg)}`,
    );
}
