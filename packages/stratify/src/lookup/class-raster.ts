import {
  type ByteSource,
  type CrsRef,
  type GeoTiff,
  type GeoTransform,
  httpSource,
  openGeoTiff,
  type RasterArray,
  type RasterIoLimits,
  readRaster,
  transformCoords,
} from '@worldstrat/raster-io';
import { StratifyError } from '../errors.js';
import { checkCount, checkOptions, checkString, invalidArgument } from '../internal/check-arguments.js';

/** Options of {@link openClassRaster}. */
export interface OpenClassRasterOptions {
  /**
   * CRS of the raster when the file does not name an EPSG code (GHSL SMOD files are "user-defined" Mollweide:
   * pass `'ESRI:54009'`). Default: the file's EPSG code (54009 is read as ESRI:54009).
   */
  crs?: CrsRef;
  /** Band (0-based, default 0). */
  band?: number;
  /** Decoded blocks (tiles/strips) kept in memory (default 256). */
  maxCachedBlocks?: number;
  /** Name used in error messages (default: the source's name or URL). */
  name?: string;
  /** raster-io read limits for the header and every block read (default: raster-io's). */
  readLimits?: Partial<RasterIoLimits>;
  signal?: AbortSignal;
}

/** Options of {@link ClassRaster.lookup}. */
export interface LookupOptions {
  /**
   * Reproduce upstream's rasterio `index(x, y, op=math.ceil)`: fractional row/column rounded up,
   * i.e. the pixel one row south and one column east of the containing pixel. Default false: the pixel that
   * contains the point (floor; a point on a pixel edge belongs to the pixel east/south of it).
   */
  compat?: boolean;
  /** Points outside the raster: `'null'` (default, an explicit no-value) or `'error'` (`POINT_OUTSIDE_RASTER`). */
  outside?: 'null' | 'error';
  signal?: AbortSignal;
}

/** Read statistics of a {@link ClassRaster}. */
export interface ClassRasterStats {
  blocksRead: number;
  cacheHits: number;
}

/** A classification raster (land cover, settlement model) opened for point lookups. */
export interface ClassRaster {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** The CRS points are projected to (`'EPSG:4326'`, `'ESRI:54009'`, …). */
  readonly crs: CrsRef;
  readonly transform: GeoTransform;
  readonly noData: number | null;
  readonly stats: ClassRasterStats;
  /**
   * Class values at lon/lat points (WGS-84 degrees), batched by tile: each needed tile/strip is read once
   * (range requests for remote COGs) and cached. Points outside the raster give `null` (or an error).
   * NoData pixels return the raster's NoData value (e.g. −200 in GHSL SMOD, 0 in ESA CCI).
   * @throws StratifyError `INVALID_ARGUMENT` naming the raster and the point whose lon/lat is not a finite number
   *   within ±180° / ±90°; `POINT_OUTSIDE_RASTER` with `outside: 'error'`; `ABORTED`.
   */
  lookup(
    points: readonly { lon: number; lat: number }[],
    options?: LookupOptions,
  ): Promise<(number | null)[]>;
  close(): Promise<void>;
}

/** One coordinate of a point as it comes in: a finite number of degrees within `limit`. */
function checkDegrees(value: unknown, limit: number, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit) return value;
  const shown =
    typeof value === 'string'
      ? JSON.stringify(value.slice(0, 40))
      : Array.isArray(value)
        ? 'an array'
        : typeof value === 'object' && value !== null
          ? 'an object'
          : String(value);
  const why =
    typeof value === 'number' && Number.isFinite(value) ? `is outside ±${limit}°` : 'is not a number';
  throw new StratifyError('INVALID_ARGUMENT', `${where} ${shown} ${why}`);
}

/** The lon/lat pairs of the points, checked: WGS-84 degrees, lon within ±180° and lat within ±90°. */
function checkedLonLat(points: unknown, name: string): [number, number][] {
  if (!Array.isArray(points)) throw new StratifyError('INVALID_ARGUMENT', `${name}: points must be an array`);
  return points.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null)
      throw new StratifyError('INVALID_ARGUMENT', `${name}: point ${i} is not a { lon, lat } object`);
    const { lon, lat } = p as { lon?: unknown; lat?: unknown };
    return [
      checkDegrees(lon, 180, `${name}: point ${i}: lon`),
      checkDegrees(lat, 90, `${name}: point ${i}: lat`),
    ];
  });
}

function isGeoTiff(x: unknown): x is GeoTiff {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as GeoTiff).levels) &&
    typeof (x as GeoTiff).close === 'function'
  );
}

/**
 * Opens a classification raster for point lookups through `@worldstrat/raster-io`: a URL (COG over HTTP range
 * requests), a `ByteSource` (e.g. `fileSource(path)` from `@worldstrat/raster-io/node`), bytes, or an open
 * `GeoTiff`. Points are looked up in the raster's own CRS (EPSG:4326 grids like ESA CCI LCCS 300 m, Mollweide
 * ESRI:54009 like GHSL SMOD 1 km, via proj4).
 * @param input URL, byte source, bytes or GeoTiff.
 * @param options CRS override, band, cache size, name, signal.
 * @returns the raster handle.
 * @throws StratifyError `NO_GEOREFERENCING` (no geotransform, or a rotated one), `UNKNOWN_CRS` (no EPSG code
 *   and no `crs` option), `INVALID_ARGUMENT` (bad band, options of the wrong type, an input that is none of
 *   these); raster-io errors for unreadable files.
 * @example
 * const smod = await openClassRaster('https://example.org/GHS_SMOD_2015_54009_1K.tif', { crs: 'ESRI:54009' });
 * const codes = await smod.lookup([{ lon: 2.35, lat: 48.85 }]);
 */
export async function openClassRaster(
  input: string | ByteSource | Uint8Array | ArrayBuffer | GeoTiff,
  opts?: OpenClassRasterOptions,
): Promise<ClassRaster> {
  const fn = 'openClassRaster';
  const options = checkOptions(fn, opts);
  if (options.name !== undefined) checkString(fn, 'options.name', options.name);
  if (options.maxCachedBlocks !== undefined)
    checkCount(fn, 'options.maxCachedBlocks', options.maxCachedBlocks);
  if (
    typeof input !== 'string' &&
    !isGeoTiff(input) &&
    (typeof input !== 'object' || input === null || Array.isArray(input))
  )
    throw invalidArgument(fn, 'input', 'a URL, a ByteSource, bytes or a GeoTiff', input);
  const tiff = isGeoTiff(input)
    ? input
    : await openGeoTiff(typeof input === 'string' ? httpSource(input, { signal: options.signal }) : input, {
        signal: options.signal,
        limits: options.readLimits,
        ...(options.name ? { name: options.name } : {}),
      });
  const name = options.name ?? tiff.name;
  const level = tiff.levels[0];
  if (!level.geo) {
    throw new StratifyError(
      'NO_GEOREFERENCING',
      `${name}: raster has no georeferencing (no geotransform); point lookups need one`,
    );
  }
  const transform = level.geo.transform;
  if (transform[2] !== 0 || transform[4] !== 0) {
    throw new StratifyError(
      'NO_GEOREFERENCING',
      `${name}: rotated geotransform [${transform.join(', ')}] is not supported; warp it north-up`,
    );
  }
  let crs: CrsRef;
  if (options.crs !== undefined) crs = options.crs;
  else if (level.geo.epsg === 54009) crs = 'ESRI:54009';
  else if (level.geo.epsg > 0) crs = level.geo.epsg;
  else {
    throw new StratifyError(
      'UNKNOWN_CRS',
      `${name}: the file names no EPSG code (user-defined CRS); pass { crs }, e.g. 'ESRI:54009' for GHSL SMOD`,
    );
  }
  const band = options.band ?? 0;
  if (!Number.isInteger(band) || band < 0 || band >= level.bandCount) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `${name}: band ${band} does not exist (the raster has ${level.bandCount})`,
    );
  }
  const isLonLat = crs === 4326 || crs === 'EPSG:4326';
  if (isLonLat && options.crs === undefined) {
    // A GeoTIFF with a user-defined projected CRS (e.g. GDAL's Mollweide) can surface as its geographic base
    // code 4326; an extent far outside ±180° / ±90° betrays it.
    const [x0, w, , y0, , h] = transform;
    const x1 = x0 + level.width * w;
    const y1 = y0 + level.height * h;
    if (
      Math.min(x0, x1) < -181 ||
      Math.max(x0, x1) > 181 ||
      Math.min(y0, y1) < -91 ||
      Math.max(y0, y1) > 91
    ) {
      throw new StratifyError(
        'UNKNOWN_CRS',
        `${name}: the file reports EPSG:4326 but spans x ${x0}…${x1}, y ${y1}…${y0}, which is not degrees; pass { crs }, e.g. 'ESRI:54009' for GHSL SMOD`,
      );
    }
  }
  const blockW = level.tileWidth ?? level.width;
  const blockH = level.tileHeight ?? level.rowsPerStrip ?? level.height;
  const blocksAcross = Math.ceil(level.width / blockW);
  const maxCached = options.maxCachedBlocks ?? 256;
  const cache = new Map<number, RasterArray>();
  const stats: ClassRasterStats = { blocksRead: 0, cacheHits: 0 };
  const [ox, pw, , oy, , ph] = transform;

  async function block(key: number, signal?: AbortSignal): Promise<RasterArray> {
    const hit = cache.get(key);
    if (hit) {
      stats.cacheHits++;
      cache.delete(key);
      cache.set(key, hit); // LRU: most recent last
      return hit;
    }
    const bx = key % blocksAcross;
    const by = Math.floor(key / blocksAcross);
    const x = bx * blockW;
    const y = by * blockH;
    const raster = await readRaster(tiff, {
      window: { x, y, width: Math.min(blockW, level.width - x), height: Math.min(blockH, level.height - y) },
      bands: [band],
      signal,
      limits: options.readLimits,
    });
    stats.blocksRead++;
    const data = raster.bands[0];
    cache.set(key, data);
    while (cache.size > maxCached) cache.delete(cache.keys().next().value as number);
    return data;
  }

  return {
    name,
    width: level.width,
    height: level.height,
    crs,
    transform,
    noData: level.noData,
    stats,
    async lookup(points, opts) {
      const lookupOptions = checkOptions(`${name}: lookup`, opts);
      const round = lookupOptions.compat ? Math.ceil : Math.floor;
      const xy = checkedLonLat(points, name);
      const projected = isLonLat ? xy : transformCoords(4326, crs, xy);
      const out: (number | null)[] = new Array(points.length).fill(null);
      const byBlock = new Map<number, number[]>();
      const pixel = new Int32Array(points.length * 2);
      projected.forEach(([x, y], i) => {
        const col = round((x - ox) / pw);
        const row = round((y - oy) / ph);
        const inside =
          Number.isFinite(col) &&
          Number.isFinite(row) &&
          col >= 0 &&
          row >= 0 &&
          col < level.width &&
          row < level.height;
        if (!inside) {
          if (lookupOptions.outside === 'error') {
            throw new StratifyError(
              'POINT_OUTSIDE_RASTER',
              `${name}: point ${i} (lon ${points[i].lon}, lat ${points[i].lat}) falls outside the ${level.width}×${level.height} raster`,
            );
          }
          return;
        }
        pixel[2 * i] = col;
        pixel[2 * i + 1] = row;
        const key = Math.floor(row / blockH) * blocksAcross + Math.floor(col / blockW);
        let list = byBlock.get(key);
        if (!list) {
          list = [];
          byBlock.set(key, list);
        }
        list.push(i);
      });
      for (const [key, idx] of byBlock) {
        if (lookupOptions.signal?.aborted)
          throw new StratifyError('ABORTED', 'lookup aborted', { cause: lookupOptions.signal.reason });
        const data = await block(key, lookupOptions.signal);
        const x0 = (key % blocksAcross) * blockW;
        const y0 = Math.floor(key / blocksAcross) * blockH;
        const w = Math.min(blockW, level.width - x0);
        for (const i of idx) out[i] = data[(pixel[2 * i + 1] - y0) * w + (pixel[2 * i] - x0)];
      }
      return out;
    },
    close: () => tiff.close(),
  };
}
