// Write a super-resolved scene: a georeferenced float32 GeoTIFF (atomic) and optionally a PNG quicklook.
import type { Raster } from '@worldstrat/raster-io';
import { writeFileAtomic, writeGeoTiff } from '@worldstrat/raster-io/node';
import { SrnetError } from '../errors.js';
import { type SuperResolveOptions, type SuperResolveResult, superResolve } from './super-resolve.js';

/** Options of {@link writeSuperResolvedGeoTiff}. */
export interface WriteSuperResolvedOptions {
  /** GeoTIFF compression (default `deflate` with the floating-point predictor). */
  compression?: 'none' | 'deflate';
  /** Write a Cloud-Optimized GeoTIFF (tiled, with overviews 2, 4, 8 when the image is large enough). */
  cog?: boolean;
  /** Also write an 8-bit RGB PNG quicklook here (2–98 % stretch of the first three bands, NaN → black). */
  quicklookPath?: string;
}

/** Percentile of the finite values of `a` (on a strided sample for big images). */
function percentile(a: Float32Array, q: number): number {
  const step = Math.max(1, Math.floor(a.length / 200_000));
  const s: number[] = [];
  for (let i = 0; i < a.length; i += step) if (Number.isFinite(a[i] as number)) s.push(a[i] as number);
  if (s.length === 0) return 0;
  s.sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
}

/**
 * 8-bit RGB quicklook of an SR raster: each of the first three bands stretched from its 2nd to 98th
 * percentile; NaN pixels black. Returns interleaved RGB bytes (row-major).
 */
export function quicklookRgb(raster: Raster): Uint8Array {
  const n = raster.width * raster.height;
  const rgb = new Uint8Array(n * 3);
  for (let c = 0; c < 3; c++) {
    const band = raster.bands[Math.min(c, raster.bands.length - 1)] as Float32Array;
    const lo = percentile(band, 0.02);
    const hi = percentile(band, 0.98);
    const span = hi > lo ? hi - lo : 1;
    for (let i = 0; i < n; i++) {
      const v = band[i] as number;
      rgb[i * 3 + c] = Number.isFinite(v)
        ? Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255)))
        : 0;
    }
  }
  return rgb;
}

/**
 * Write the SR raster of {@link superResolve} as a float32 GeoTIFF (same CRS, scaled geotransform, NaN
 * noData), atomically (temp file + rename, so no partial file is ever visible), plus an optional PNG quicklook.
 *
 * @returns the GeoTIFF size in bytes.
 * @throws SrnetError `MISSING_GEOREFERENCING` if the raster has no geo block; raster-io's `WRITE_FAILED`.
 */
export async function writeSuperResolvedGeoTiff(
  path: string,
  result: Pick<SuperResolveResult, 'raster'>,
  options: WriteSuperResolvedOptions = {},
): Promise<number> {
  const { raster } = result;
  if (!raster.geo) {
    throw new SrnetError(
      'MISSING_GEOREFERENCING',
      `cannot write ${path}: the SR raster has no georeferencing; super-resolve georeferenced revisits`,
    );
  }
  // Encode the quicklook first: a failure there must not leave a GeoTIFF without its quicklook.
  let png: Uint8Array | undefined;
  if (options.quicklookPath) {
    // raster-io's PNG encoder (fast-png); looked up at run time so the GeoTIFF path never depends on it.
    const rasterIo = (await import('@worldstrat/raster-io')) as unknown as {
      encodePng?: (img: { width: number; height: number; channels: number; data: Uint8Array }) => Uint8Array;
    };
    const encodePng = rasterIo.encodePng;
    if (typeof encodePng !== 'function') {
      throw new SrnetError(
        'BACKEND_UNAVAILABLE',
        `cannot write the quicklook ${options.quicklookPath}: this @worldstrat/raster-io has no encodePng; update raster-io or omit quicklookPath`,
      );
    }
    png = encodePng({ width: raster.width, height: raster.height, channels: 3, data: quicklookRgb(raster) });
  }
  const compression = options.compression ?? 'deflate';
  const bigEnough = Math.min(raster.width, raster.height) >= 1024;
  const size = await writeGeoTiff(path, raster, {
    compression,
    predictor: compression === 'deflate',
    tiled: options.cog ? true : raster.width * raster.height > 512 * 512,
    ...(options.cog ? { cog: true, overviews: bigEnough ? [2, 4, 8] : [2] } : {}),
  });
  if (png && options.quicklookPath) await writeFileAtomic(options.quicklookPath, png);
  return size;
}

/**
 * {@link superResolve} then {@link writeSuperResolvedGeoTiff}: nothing is written unless inference completed,
 * and the GeoTIFF appears atomically (an aborted or failed run leaves no file behind).
 *
 * @example
 * await superResolveToFile(revisits, 'sr.tif', { engine, quicklookPath: 'sr.png', onProgress: console.log });
 */
export async function superResolveToFile(
  scene: Raster[],
  path: string,
  options: SuperResolveOptions & WriteSuperResolvedOptions,
): Promise<SuperResolveResult & { bytes: number }> {
  const result = await superResolve(scene, options);
  if (options.signal?.aborted) throw new SrnetError('ABORTED', `aborted before writing ${path}`);
  const bytes = await writeSuperResolvedGeoTiff(path, result, options);
  return { ...result, bytes };
}
