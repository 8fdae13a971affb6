import {
  type ByteSource,
  type CrsRef,
  type GeoTiff,
  type GeoTransform,
  httpSource,
  openGeoTiff,
  projectionDefinition,
  type RasterArray,
  type RasterIoLimits,
  readRaster,
  transformCoords,
} from '@worldstrat/raster-io';
import { StratifyError } from '../errors.js';
import {
  checkArray,
  checkCount,
  checkFlag,
  checkOneOf,
  checkOptions,
  checkSignal,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';
import { gdalPixelIndex, type PixelIndex, rasterioCeilPixelIndex } from './pixel-index.js';

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
   * Reproduce upstream's rasterio (1.2) `index(x, y, op=math.ceil)`: fractional row/column from rasterio's
   * inverse affine, the point nudged by −2^−52, rounded up; i.e. the pixel one row south and one column east of
   * the containing pixel. Default false: the pixel that contains the point, as GDAL finds it
   * (gdallocationinfo: GDAL's inverse geotransform, then floor), so a point on a pixel edge belongs to the
   * pixel east/south of it exactly where GDAL says so. Anything but a boolean is `INVALID_ARGUMENT`.
   */
  compat?: boolean;
  /**
   * Points outside the raster: `'null'` (default, an explicit no-value) or `'error'` (`POINT_OUTSIDE_RASTER`);
   * any other value is `INVALID_ARGUMENT`.
   */
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
   *   within ±180° / ±90°, points with a hole or more than 10^8 of them, a `compat`/`outside` not of its
   *   values; `POINT_OUTSIDE_RASTER` with `outside: 'error'`; `ABORTED`.
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
  // a hole was skipped by map (a null answer for no point) and a 2^32 − 1 long empty array filled the heap
  checkArray(`${name}: lookup`, 'points', points);
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

/**
 * The pixel of a lon/lat point, moved by 360° into the grid when only that lands inside it: a 0…360° grid (or
 * one across ±180°, 170…190°) takes query longitudes −180…180, and lon 180 is the first column of a −180…180
 * grid (the meridian of its west edge; it fell one past the last column, outside).
 */
function wrappedPixel(pixelOf: PixelIndex, x: number, y: number, width: number): [number, number] {
  const at = pixelOf(x, y);
  if (at[0] >= 0 && at[0] < width) return at;
  for (const moved of [x + 360, x - 360]) {
    const wrapped = pixelOf(moved, y);
    if (wrapped[0] >= 0 && wrapped[0] < width) return wrapped;
  }
  return at;
}

/**
 * A lon/lat raster must span degrees: x within [−180, 360] (longitudes as −180…180 or 0…360) and at most 360°
 * wide, y within ±90 (a degree of slack for edge pixels). A file labelled EPSG:4326 with metres (GDAL's
 * user-defined Mollweide can surface as its base code 4326) is refused naming the extent.
 */
function checkDegreeExtent(
  name: string,
  transform: GeoTransform,
  width: number,
  height: number,
  crsGiven: boolean,
): void {
  const [x0, w, , y0, , h] = transform;
  const x1 = x0 + width * w;
  const y1 = y0 + height * h;
  const [west, east] = [Math.min(x0, x1), Math.max(x0, x1)];
  const degrees =
    west >= -181 && east <= 361 && east - west <= 361 && Math.min(y0, y1) >= -91 && Math.max(y0, y1) <= 91;
  if (degrees) return;
  const claim = crsGiven ? 'is opened as EPSG:4326' : 'reports EPSG:4326';
  throw new StratifyError(
    'UNKNOWN_CRS',
    `${name}: the file ${claim} but spans x ${x0}…${x1}, y ${y1}…${y0}, which are not longitude/latitude degrees (x within -180…360, y within -90…90); pass the raster's real CRS as { crs } (GHSL SMOD's Mollweide is 'ESRI:54009')`,
  );
}

/**
 * Whether `crs` is EPSG:4326 however it is spelled (`'epsg:4326'`, `'4326'`, its proj4 string): those grids get
 * the degree-extent check and the ±360° wrap too (`'epsg:4326'` on a 0…360° grid answered null west of 0°).
 */
function isLonLatCrs(crs: CrsRef): boolean {
  if (crs === 4326 || crs === 'EPSG:4326') return true;
  try {
    return projectionDefinition(crs) === projectionDefinition(4326);
  } catch {
    return false; // no definition: checkProjectionKnown names it
  }
}

/** Refuses, at open, a CRS that has no projection definition (the lookups would fail on it), naming the raster. */
function checkProjectionKnown(name: string, crs: CrsRef): void {
  try {
    projectionDefinition(crs);
  } catch (err) {
    throw new StratifyError(
      'UNKNOWN_CRS',
      `${name}: its CRS ${typeof crs === 'number' ? `EPSG:${crs}` : crs} has no projection definition, so points cannot be projected onto it; register one with registerProjection(...) from @worldstrat/raster-io before opening the raster (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** lon/lat points projected onto the raster's CRS; a failure names the raster. */
function projectPoints(name: string, crs: CrsRef, xy: [number, number][]): [number, number][] {
  try {
    return transformCoords(4326, crs, xy);
  } catch (err) {
    const code = (err as { code?: string }).code === 'UNKNOWN_CRS' ? 'UNKNOWN_CRS' : 'INVALID_ARGUMENT';
    throw new StratifyError(
      code,
      `${name}: cannot project the points onto ${String(crs)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
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
 * EPSG:4326 grids may run 0…360° (or across ±180°, e.g. 170…190°): query longitudes are moved by 360° into them.
 * @param input URL, byte source, bytes or GeoTiff.
 * @param options CRS override, band, cache size, name, signal.
 * @returns the raster handle.
 * @throws StratifyError `NO_GEOREFERENCING` (no geotransform, or a rotated one), `UNKNOWN_CRS` (no EPSG code
 *   and no `crs` option; a CRS without a projection definition, naming the raster; an EPSG:4326 file whose
 *   extent is not degrees), `INVALID_ARGUMENT` (bad band, options of the wrong type, an input that is none of
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
  // read once: a getter or Proxy cannot swap a checked value for another (a NaN cache size kept every block)
  const givenName = options.name;
  if (givenName !== undefined) checkString(fn, 'options.name', givenName);
  const givenMaxCached = options.maxCachedBlocks;
  if (givenMaxCached !== undefined) checkCount(fn, 'options.maxCachedBlocks', givenMaxCached);
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
        ...(givenName ? { name: givenName } : {}),
      });
  const name = givenName ?? tiff.name;
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
  const isLonLat = isLonLatCrs(crs);
  if (isLonLat) checkDegreeExtent(name, transform, level.width, level.height, options.crs !== undefined);
  else checkProjectionKnown(name, crs);
  const toRasterCrs = (xy: [number, number][]): [number, number][] =>
    isLonLat ? xy : projectPoints(name, crs, xy);
  const blockW = level.tileWidth ?? level.width;
  const blockH = level.tileHeight ?? level.rowsPerStrip ?? level.height;
  const blocksAcross = Math.ceil(level.width / blockW);
  const maxCached = givenMaxCached ?? 256;
  const cache = new Map<number, RasterArray>();
  const stats: ClassRasterStats = { blocksRead: 0, cacheHits: 0 };
  const gdalPixel = gdalPixelIndex(transform);
  const compatPixel = rasterioCeilPixelIndex(transform);

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
      const where = `${name}: lookup`;
      const lookupOptions = checkOptions(where, opts);
      // switches checked: `outside: 'eror'` answered null, `compat: 'false'` switched upstream's rounding on
      const pixelOf = checkFlag(where, 'options.compat', lookupOptions.compat) ? compatPixel : gdalPixel;
      const outside = checkOneOf(where, 'options.outside', lookupOptions.outside, ['null', 'error'], 'null');
      const signal = checkSignal(where, 'options.signal', lookupOptions.signal);
      const xy = checkedLonLat(points, name);
      const projected = toRasterCrs(xy);
      const out: (number | null)[] = new Array(points.length).fill(null);
      const byBlock = new Map<number, number[]>();
      const pixel = new Int32Array(points.length * 2);
      projected.forEach(([x, y], i) => {
        const [col, row] = isLonLat ? wrappedPixel(pixelOf, x, y, level.width) : pixelOf(x, y);
        const inside =
          Number.isFinite(col) &&
          Number.isFinite(row) &&
          col >= 0 &&
          row >= 0 &&
          col < level.width &&
          row < level.height;
        if (!inside) {
          if (outside === 'error') {
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
        if (signal?.aborted) throw new StratifyError('ABORTED', 'lookup aborted', { cause: signal.reason });
        const data = await block(key, signal);
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
