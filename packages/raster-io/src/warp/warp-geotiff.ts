// Warp a (possibly remote) GeoTIFF/COG onto a target grid, reading only the source window the grid needs.
import { transformCoords } from '../crs/transform-coords.js';
import { RasterIoError } from '../errors.js';
import { checkObjectWith } from '../internal/check-args.js';
import type { GeoTiff } from '../read/open-geotiff.js';
import { readRaster } from '../read/read-raster.js';
import { adjustNoDataToDtype, allocBand, castToDtype } from '../resample/dtype-cast.js';
import type { GeoTransform, Raster } from '../types.js';
import { type TargetGrid, type WarpOptions, warpRaster } from './warp-raster.js';

/** Options of {@link warpGeoTiff}. */
export interface WarpGeoTiffOptions extends WarpOptions {
  /** 0-based bands to read (default all). */
  bands?: readonly number[];
  /**
   * Resolution level to read: a number (0 = full resolution), or `'auto'` for the coarsest overview whose
   * pixels are still at least as fine as the target's (GDAL's default overview choice). Default 0.
   */
  level?: number | 'auto';
  /**
   * Extra source pixels read around the footprint (kernel support); default 3, or onto a coarser grid the
   * stretched kernel's reach (filter radius × source pixels per target pixel, + 1).
   */
  marginPx?: number;
}

/**
 * Source pixels read around the footprint by default: 3, or onto a coarser grid the stretched kernel's reach
 * (filter radius × source pixels per target pixel, + 1), so the taps near the grid's edge are all read and the
 * result equals warping the whole image.
 */
function defaultMargin(
  method: string,
  span: { minU: number; minV: number; maxU: number; maxV: number } | null,
  grid: TargetGrid,
): number {
  if (!span || method === 'nearest') return 3;
  const perTarget = Math.max((span.maxU - span.minU) / grid.width, (span.maxV - span.minV) / grid.height);
  const radius = method === 'cubic' ? 2 : 1;
  return Math.max(3, Math.ceil(radius * perTarget) + 1);
}

/** Target-pixel-centre footprint of a grid, densified along its edges. */
function gridOutline(grid: TargetGrid): [number, number][] {
  const [ox, a, b, oy, d, e] = grid.transform;
  const pts: [number, number][] = [];
  const steps = 20;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    for (const [c, r] of [
      [t * grid.width, 0],
      [t * grid.width, grid.height],
      [0, t * grid.height],
      [grid.width, t * grid.height],
    ] as const)
      pts.push([ox + a * c + b * r, oy + d * c + e * r]);
  }
  return pts;
}

/**
 * Reprojects a GeoTIFF (file, buffer or HTTP COG) onto a target grid: the grid outline is transformed into
 * the file's CRS, only the covering pixel window (plus a kernel margin) of the chosen level is read with
 * {@link readRaster} (one range request per run of tiles on HTTP), then {@link warpRaster} resamples it.
 *
 * @param tiff - from `openGeoTiff`.
 * @param grid - target CRS, transform and size (see {@link utmGridForBBox}).
 * @param options - warp options plus `bands`, `level` (`'auto'` picks an overview), `marginPx`.
 * @returns the warped raster on the target grid (all `noData` when the grid misses the file).
 * @throws RasterIoError `NO_GEOREFERENCING` for a file without geokeys, `UNKNOWN_CRS`, read errors, `ABORTED`.
 * @example
 * const tiff = await openGeoTiff(httpSource('https://example.com/scene.tif'));
 * const chip = await warpGeoTiff(tiff, utmGridForBBox(aoi.bounds, 10), { method: 'bilinear' });
 */
export async function warpGeoTiff(
  tiff: GeoTiff,
  grid: TargetGrid,
  options: WarpGeoTiffOptions = {},
): Promise<Raster> {
  checkObjectWith('warpGeoTiff', 'tiff', tiff, ['levels']);
  checkObjectWith('warpGeoTiff', 'grid', grid, []);
  const base = tiff.levels[0];
  if (!base?.geo)
    throw new RasterIoError(
      'NO_GEOREFERENCING',
      `${tiff.name}: the file has no georeferencing; warpGeoTiff needs an EPSG code and transform`,
    );
  const srcEpsg = base.geo.epsg;
  const outline = transformCoords(grid.epsg, srcEpsg, gridOutline(grid)).filter(
    ([x, y]) => Number.isFinite(x) && Number.isFinite(y),
  );
  let levelIndex = typeof options.level === 'number' ? options.level : 0;
  const pixelSpan = (t: GeoTransform, pts: [number, number][]) => {
    const [ox, a, b, oy, d, e] = t;
    const det = a * e - b * d;
    let minU = Number.POSITIVE_INFINITY;
    let minV = Number.POSITIVE_INFINITY;
    let maxU = Number.NEGATIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (const [x, y] of pts) {
      const u = (e * (x - ox) - b * (y - oy)) / det;
      const v = (-d * (x - ox) + a * (y - oy)) / det;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
    return { minU, minV, maxU, maxV };
  };
  if (options.level === 'auto' && outline.length > 0) {
    const s = pixelSpan(base.geo.transform, outline);
    // source pixels per target pixel at full resolution
    const ratio = Math.min((s.maxU - s.minU) / grid.width, (s.maxV - s.minV) / grid.height);
    for (let i = tiff.levels.length - 1; i > 0; i--) {
      const lv = tiff.levels[i];
      if (lv && base.width / lv.width <= ratio) {
        levelIndex = i;
        break;
      }
    }
  }
  const level = tiff.levels[levelIndex];
  if (!level?.geo)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${tiff.name}: level ${levelIndex} does not exist (levels 0..${tiff.levels.length - 1})`,
    );
  const span = outline.length ? pixelSpan(level.geo.transform, outline) : null;
  const margin = options.marginPx ?? defaultMargin(options.method ?? 'bilinear', span, grid);
  const x0 = span ? Math.max(0, Math.floor(span.minU) - margin) : 0;
  const y0 = span ? Math.max(0, Math.floor(span.minV) - margin) : 0;
  const x1 = span ? Math.min(level.width, Math.ceil(span.maxU) + margin) : 0;
  const y1 = span ? Math.min(level.height, Math.ceil(span.maxV) + margin) : 0;
  const bandCount = options.bands?.length ?? level.bandCount;
  if (x1 <= x0 || y1 <= y0) {
    // the grid does not touch the file: an all-no-data result without reading pixels
    const dtype = options.dtype ?? level.dtype;
    const isFloat = dtype === 'float32' || dtype === 'float64';
    // the value and pixels warpRaster would give (see planWarp)
    const noData =
      options.noData !== undefined
        ? adjustNoDataToDtype(options.noData, dtype)
        : (level.noData ?? (isFloat ? Number.NaN : 0));
    const fill = castToDtype(noData, dtype);
    return {
      width: grid.width,
      height: grid.height,
      dtype,
      bands: Array.from({ length: bandCount }, () => allocBand(dtype, grid.width * grid.height).fill(fill)),
      noData,
      geo: { epsg: grid.epsg, transform: [...grid.transform] as GeoTransform },
    };
  }
  const src = await readRaster(tiff, {
    window: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    level: levelIndex,
    ...(options.bands ? { bands: options.bands } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return warpRaster(src, grid, options);
}
