// Warp a (possibly remote) GeoTIFF/COG onto a target grid, reading only the source window the grid needs.
import { RasterIoError } from '../errors.js';
import { checkObjectWith, checkOptions, withinMemoryAsync } from '../internal/check-args.js';
import { type GeoTiff, type GeoTiffLevel, geoTiffInternals } from '../read/open-geotiff.js';
import { readMask } from '../read/read-mask.js';
import { readRaster } from '../read/read-raster.js';
import { adjustNoDataToDtype, allocBand, castToDtype } from '../resample/dtype-cast.js';
import type { GeoTransform, Raster, RasterWindow } from '../types.js';
import { checkTargetGrid, type TargetGrid, type WarpOptions, warpRaster } from './warp-raster.js';
import {
  type SourceExtent,
  sampleSourceExtent,
  type WarpGeometry,
  warpGeometry,
} from './warp-source-window.js';

/** Options of {@link warpGeoTiff}. */
export interface WarpGeoTiffOptions extends Omit<WarpOptions, 'srcMask' | 'alphaBand'> {
  /** 0-based bands to read (default all). */
  bands?: readonly number[];
  /**
   * Resolution level to read: a number (0 = full resolution), or `'auto'` for the coarsest overview whose
   * pixels are still at least as fine as the target's (GDAL's default overview choice). Default 0.
   */
  level?: number | 'auto';
  /**
   * Extra source pixels read around the sampled footprint (kernel support); default 3, or onto a coarser grid the
   * stretched kernel's reach (filter radius × source pixels per target pixel, + 1; 10 more where a sample point of
   * the grid has no source position, as gdalwarp widens its window).
   */
  marginPx?: number;
}

/** TIFF ExtraSamples values of an alpha sample: associated (premultiplied) and unassociated alpha. */
const ALPHA_SAMPLES: ReadonlySet<number> = new Set([1, 2]);

/**
 * The band gdalwarp takes as the source's alpha: the last one, when the TIFF's ExtraSamples say it is alpha (GDAL's
 * colour interpretation Alpha). -1 when there is none.
 */
function alphaBandOf(tiff: GeoTiff, levelIndex: number, level: GeoTiffLevel): number {
  const image = geoTiffInternals(tiff).images[levelIndex];
  const raw = image?.fileDirectory.getValue('ExtraSamples') as ArrayLike<number> | number | undefined;
  if (raw === undefined || raw === null) return -1;
  const kinds = typeof raw === 'number' ? [raw] : Array.from(raw);
  return kinds.length > 0 && ALPHA_SAMPLES.has(Number(kinds[kinds.length - 1])) && level.bandCount > 1
    ? level.bandCount - 1
    : -1;
}

/**
 * Source pixels read around the sampled extent, per axis: 3, or the source window's padding as gdalwarp computes
 * it (the stretched kernel's reach onto a coarser grid, 10 more where a sample point failed) + 1, so that the taps
 * near the grid's edge are all read and the result equals warping the whole image.
 */
function marginOf(method: string, g: WarpGeometry, e: SourceExtent): { x: number; y: number } {
  if (method === 'nearest') return { x: 3, y: 3 };
  const radius = method === 'cubic' ? 2 : 1;
  const extra = e.failed > 0 ? 10 : 0;
  const pad = (target: number, span: number) => {
    const scale = Math.max(1e-3, target / span);
    return Math.max(3, (scale < 0.95 ? Math.ceil(radius / scale) : radius) + extra + 1);
  };
  return { x: pad(g.target.width, e.maxU - e.minU), y: pad(g.target.height, e.maxV - e.minV) };
}

/**
 * The level `'auto'` picks: the coarsest overview whose pixels are at least as fine as the target's, measured on
 * the full-resolution extent (the smaller of the two axes' source pixels per target pixel).
 */
function autoLevel(tiff: GeoTiff, grid: TargetGrid): number {
  const base = tiff.levels[0] as GeoTiffLevel;
  const e = sampleSourceExtent(warpGeometry(base.geo as NonNullable<GeoTiffLevel['geo']>, base, grid));
  if (!e) return 0;
  const ratio = Math.min((e.maxU - e.minU) / grid.width, (e.maxV - e.minV) / grid.height);
  for (let i = tiff.levels.length - 1; i > 0; i--) {
    const lv = tiff.levels[i];
    if (lv && base.width / lv.width <= ratio) return i;
  }
  return 0;
}

/** The window of `level` to read: the sampled extent plus the margin, clipped; null when it misses the level. */
function readWindowOf(
  level: GeoTiffLevel,
  grid: TargetGrid,
  options: WarpGeoTiffOptions,
): RasterWindow | null {
  const g = warpGeometry(level.geo as NonNullable<GeoTiffLevel['geo']>, level, grid);
  const e = sampleSourceExtent(g);
  if (!e) return null;
  const m =
    options.marginPx !== undefined
      ? { x: options.marginPx, y: options.marginPx }
      : marginOf(options.method ?? 'bilinear', g, e);
  const x0 = Math.max(0, Math.floor(e.minU) - m.x);
  const y0 = Math.max(0, Math.floor(e.minV) - m.y);
  const x1 = Math.min(level.width, Math.ceil(e.maxU) + m.x);
  const y1 = Math.min(level.height, Math.ceil(e.maxV) + m.y);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The all-no-data result warpRaster would give, without reading pixels (the grid misses the file); an alpha band
 * (`alphaAt`, its index among the output bands, or -1) is 0 there, fully transparent.
 */
function emptyResult(
  level: GeoTiffLevel,
  grid: TargetGrid,
  options: WarpGeoTiffOptions,
  alphaAt: number,
): Raster {
  const bandCount = options.bands?.length ?? level.bandCount;
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
    bands: Array.from({ length: bandCount }, (_, i) =>
      allocBand(dtype, grid.width * grid.height).fill(i === alphaAt ? 0 : fill),
    ),
    noData,
    geo: { epsg: grid.epsg, transform: [...grid.transform] as GeoTransform },
  };
}

/**
 * Reprojects a GeoTIFF (file, buffer or HTTP COG) onto a target grid: points of the grid (its edges; also its
 * interior when a pole lies on it or an edge point has no source position, as gdalwarp samples it) are transformed
 * into the file's CRS, only the covering pixel window (plus a kernel margin) of the chosen level is read with
 * {@link readRaster} (one range request per run of tiles on HTTP), then {@link warpRaster} resamples it.
 *
 * Source validity follows gdalwarp's defaults: a last band that the TIFF marks as alpha (ExtraSamples) masks the
 * pixels where it is 0 and is written as the output's alpha (the alpha under each target pixel centre that got a
 * value, 0 elsewhere); otherwise, without a no-data value, the level's internal mask (GDAL_TIFF_INTERNAL_MASK,
 * read with `readMask`) masks the pixels where it is 0. Masked pixels are neither data nor blended into their
 * neighbours.
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
  return withinMemoryAsync('warpGeoTiff', async () => {
    checkObjectWith('warpGeoTiff', 'tiff', tiff, ['levels']);
    // before anything is read or allocated: a grid that misses the file is answered with an all-nodata raster
    checkTargetGrid('warpGeoTiff', grid, checkOptions('warpGeoTiff', options));
    const base = tiff.levels[0];
    if (!base?.geo)
      throw new RasterIoError(
        'NO_GEOREFERENCING',
        `${tiff.name}: the file has no georeferencing; warpGeoTiff needs an EPSG code and transform`,
      );
    const levelIndex =
      options.level === 'auto'
        ? autoLevel(tiff, grid)
        : typeof options.level === 'number'
          ? options.level
          : 0;
    const level = tiff.levels[levelIndex];
    if (!level?.geo)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `${tiff.name}: level ${levelIndex} does not exist (levels 0..${tiff.levels.length - 1})`,
      );
    const alpha = alphaBandOf(tiff, levelIndex, level);
    const wanted = options.bands ?? Array.from({ length: level.bandCount }, (_, i) => i);
    const window = readWindowOf(level, grid, options);
    if (!window) return emptyResult(level, grid, options, alpha >= 0 ? wanted.indexOf(alpha) : -1);
    // the alpha band masks the pixels whether or not it is asked for
    const read = alpha >= 0 && !wanted.includes(alpha) ? [...wanted, alpha] : wanted;
    const common = { window, level: levelIndex, ...(options.signal ? { signal: options.signal } : {}) };
    const src = await readRaster(tiff, {
      ...common,
      ...(options.bands || read !== wanted ? { bands: read } : {}),
    });
    const validity = await sourceValidity(tiff, level, src, { alpha, wanted, read }, common);
    // the file's own validity only (masks given for another raster do not apply to this window)
    return warpRaster(src, grid, { ...options, srcMask: undefined, alphaBand: undefined, ...validity });
  });
}

/**
 * The validity options of the window read: the alpha band (as `alphaBand` when it is an output band, else folded
 * into `srcMask` and dropped), or the internal mask when the level has neither alpha nor a no-data value.
 */
async function sourceValidity(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  src: Raster,
  bands: { alpha: number; wanted: readonly number[]; read: readonly number[] },
  common: { window: RasterWindow; level: number; signal?: AbortSignal },
): Promise<Pick<WarpOptions, 'srcMask' | 'alphaBand'>> {
  const { alpha, wanted, read } = bands;
  if (alpha >= 0) {
    const at = read.indexOf(alpha);
    if (wanted.includes(alpha)) return { alphaBand: at };
    const a = src.bands.pop() as ArrayLike<number>;
    const srcMask = new Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) srcMask[i] = a[i] !== 0 ? 255 : 0;
    return { srcMask };
  }
  // gdalwarp uses a mask only when it is per-dataset, and leaves it aside where a no-data value masks some pixel
  // it read
  if (!level.mask || level.mask.perBand) return {};
  if (level.noData !== null && src.bands.some((b) => holds(b, level.noData as number))) return {};
  const m = await readMask(tiff, common);
  return m ? { srcMask: m.mask } : {};
}

/** Whether a band holds the value (NaN matching NaN). */
function holds(band: ArrayLike<number>, value: number): boolean {
  const nan = Number.isNaN(value);
  for (let i = 0; i < band.length; i++) {
    const v = band[i] as number;
    if (v === value || (nan && Number.isNaN(v))) return true;
  }
  return false;
}
