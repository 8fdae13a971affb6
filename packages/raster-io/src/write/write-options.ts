// The option rules both writers share (encodeGeoTiff/writeGeoTiff and createCogWriter): one owner per rule, so
// the in-memory writer and the streaming one accept and refuse the same settings, with the same messages.
import { RasterIoError } from '../errors.js';
import { describeValue } from '../internal/check-args.js';
import { DTYPE_SAMPLE_FORMAT } from '../internal/typed-array.js';
import type { DType } from '../types.js';
import type { OverviewResampling } from './overviews.js';

/** TIFF compression codes of the compressions written. */
export const COMPRESSION_CODES = { none: 1, deflate: 8, zstd: 50000 } as const;

/** Why `level` is no level of `compression` (its deflate or ZSTD option), or undefined when it is one. */
export function badCompressionLevel(
  compression: keyof typeof COMPRESSION_CODES,
  level: number,
): string | undefined {
  const [name, min, max] = compression === 'zstd' ? ['zstdLevel', 1, 22] : ['deflateLevel', 0, 9];
  if (Number.isInteger(level) && level >= min && level <= max) return undefined;
  return `${name} must be ${min}..${max}, got ${level}`;
}

/**
 * The Predictor tag value for the `predictor` option (`true`: 2 for integers, 3 for floats), or why it is refused.
 * Uncompressed files get none (`true` means 1 there, and 2 or 3 is refused): libtiff, so GDAL, undoes a predictor
 * only inside a codec and would read differenced samples as the pixels.
 */
export function predictorOf(option: unknown, dtype: DType, compression: string): number | string {
  const isFloat = DTYPE_SAMPLE_FORMAT[dtype] === 3;
  const uncompressed = compression === 'none';
  const predictor = option === true ? (uncompressed ? 1 : isFloat ? 3 : 2) : option === false ? 1 : option;
  if (predictor !== 1 && predictor !== 2 && predictor !== 3)
    return `predictor must be true/false/1/2/3, got ${describeValue(option)}`;
  if (predictor === 3 && !isFloat)
    return `predictor 3 (floating point) needs a float dtype, got ${dtype}; use predictor 2`;
  if (predictor !== 1 && uncompressed)
    return `predictor ${predictor} needs compression 'deflate' or 'zstd': readers (libtiff, GDAL) apply no predictor to uncompressed files, so the differenced samples would be read as pixels`;
  return predictor;
}

/** What a writer was given, its own defaults applied (tile size, compression). */
export interface WriteSettings {
  dtype: DType;
  noData?: unknown;
  geo?: unknown;
  tileSize?: unknown;
  compression?: unknown;
  deflateLevel?: unknown;
  zstdLevel?: unknown;
  predictor?: unknown;
  overviews?: unknown;
  overviewResampling?: unknown;
  interleave?: unknown;
  onProgress?: unknown;
}

/** The settings, checked. */
export interface CheckedWriteSettings {
  tile: 256 | 512;
  compression: keyof typeof COMPRESSION_CODES;
  /** The Predictor tag value. */
  predictor: number;
  /** The deflate or ZSTD level. */
  level: number;
  factors: number[];
  resampling: OverviewResampling;
  interleave: 'band' | 'pixel';
}

/** Compression levels when none is given: GDAL's (`ZLEVEL` 6, `ZSTD_LEVEL` 9). */
export const DEFAULT_DEFLATE_LEVEL = 6;
export const DEFAULT_ZSTD_LEVEL = 9;

/** Most overview factors (2^32 is past any classic TIFF's side). */
const MAX_OVERVIEWS = 32;

/** Largest finite float32: a float32 band's no-data beyond it is read by GDAL as ±Infinity. */
const FLT_MAX = 3.4028234663852886e38;

/**
 * Checks the settings every writer takes, in a fixed order (so errors are stable); `prefix` starts each message
 * (the streaming writer names its path). Defaults of the deflate and ZSTD levels are applied here.
 * @throws RasterIoError `INVALID_ARGUMENT`
 */
export function checkWriteSettings(prefix: string, s: WriteSettings): CheckedWriteSettings {
  const bad = (message: string): never => {
    throw new RasterIoError('INVALID_ARGUMENT', `${prefix}${message}`);
  };
  const tile = s.tileSize;
  if (tile !== 256 && tile !== 512) bad(`tileSize must be 256 or 512, got ${describeValue(tile)}`);
  const compression = s.compression;
  if (typeof compression !== 'string' || !Object.hasOwn(COMPRESSION_CODES, compression))
    bad(`compression must be 'none', 'deflate' or 'zstd', got '${String(compression)}'`);
  const zstd = compression === 'zstd';
  const level = (
    zstd ? (s.zstdLevel ?? DEFAULT_ZSTD_LEVEL) : (s.deflateLevel ?? DEFAULT_DEFLATE_LEVEL)
  ) as number;
  const badLevel = badCompressionLevel(compression as keyof typeof COMPRESSION_CODES, level);
  if (badLevel) bad(badLevel);
  const predictor = predictorOf(s.predictor ?? false, s.dtype, compression as string);
  if (typeof predictor === 'string') bad(predictor);
  const factors = checkOverviews(s.overviews ?? [], bad);
  const resampling = s.overviewResampling ?? 'average';
  // any other name used to be written as 'average' by encodeGeoTiff
  if (resampling !== 'average' && resampling !== 'nearest')
    bad(`overviewResampling must be 'average' or 'nearest', got ${describeValue(resampling)}`);
  const interleave = s.interleave ?? 'band';
  if (interleave !== 'band' && interleave !== 'pixel')
    bad(`interleave must be 'band' or 'pixel', got ${describeValue(interleave)}`);
  checkNoData(s.noData, s.dtype, bad);
  if (s.geo) checkWriteGeo(s.geo, bad);
  if (s.onProgress !== undefined && typeof s.onProgress !== 'function')
    bad(`onProgress must be a function, got ${describeValue(s.onProgress)}`);
  return {
    tile: tile as 256 | 512,
    compression: compression as keyof typeof COMPRESSION_CODES,
    predictor: predictor as number,
    level,
    factors: factors as number[],
    resampling: resampling as OverviewResampling,
    interleave: interleave as 'band' | 'pixel',
  };
}

function checkOverviews(factors: unknown, bad: (m: string) => never): number[] {
  const rule = 'overviews must be increasing integers >= 2 (e.g. [2, 4, 8])';
  if (!Array.isArray(factors)) bad(`${rule}, got ${describeValue(factors)}`);
  const list = factors as unknown[];
  if (list.length > MAX_OVERVIEWS)
    bad(`overviews must be at most ${MAX_OVERVIEWS} factors, got ${list.length}`);
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    if (!Number.isInteger(f) || (f as number) < 2 || (i > 0 && (f as number) <= (list[i - 1] as number)))
      bad(`${rule}, got [${list.map(String).join(', ')}]`);
  }
  return list as number[];
}

/**
 * A number (NaN and ±Inf allowed) or null/undefined. GDAL_NODATA is text a reader parses, so anything else was
 * written as its `String()` ("abc" read as 0, [1, 2] as 1.2). A float32 band's finite value past ±FLT_MAX would
 * be read as ±Infinity (every infinite pixel then no-data). Integer bands keep a value out of their range or
 * fractional, as GDAL writes and reads it (no pixel matches it; the reader returns such values from GDAL's files).
 */
function checkNoData(noData: unknown, dtype: DType, bad: (m: string) => never): void {
  if (noData === undefined || noData === null) return;
  if (typeof noData !== 'number')
    bad(`noData must be a number (NaN allowed) or null, got ${describeValue(noData)}`);
  const v = noData as number;
  if (dtype === 'float32' && Number.isFinite(v) && Math.abs(v) > FLT_MAX && !Number.isFinite(Math.fround(v)))
    bad(
      `noData ${v} is outside float32's range (±${FLT_MAX}): GDAL would read it as ${v > 0 ? '' : '-'}Infinity and take every such pixel for no-data; use a value a float32 band holds`,
    );
}

/**
 * A geo block a writer can store: six finite transform numbers that map pixels onto an area (a·e − b·d ≠ 0: GDAL
 * drops a degenerate transform, and the file loses its georeferencing), and an EPSG code GeoTIFF's SHORT holds.
 */
function checkWriteGeo(geo: unknown, bad: (m: string) => never): void {
  const { transform: t, epsg } = geo as { transform?: unknown; epsg?: unknown };
  if (!Array.isArray(t) || t.length !== 6 || !t.every((v) => typeof v === 'number' && Number.isFinite(v)))
    bad(`geo.transform must be 6 finite numbers (GDAL order), got [${String(t)}]`);
  const [, a, b, , d, e] = t as number[];
  if ((a as number) * (e as number) - (b as number) * (d as number) === 0)
    bad(
      `geo.transform [${String(t)}] maps every pixel onto a point or a line (a zero pixel size: a·e − b·d = 0); GDAL would drop it and the file would have no georeferencing`,
    );
  if (!Number.isInteger(epsg) || (epsg as number) < 0 || (epsg as number) > 65535)
    bad(`geo.epsg must be an EPSG code 1..65535 (0 = unknown), got ${describeValue(epsg)}`);
}
