// Write a super-resolved scene: a georeferenced float32 GeoTIFF (atomic) and optionally a PNG quicklook.

import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { type QuicklookOptions, type Raster, renderQuicklook } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import type { InferenceEngine } from '../engine.js';
import { SrnetError } from '../errors.js';
import {
  checkArray,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkRasterArg,
  checkString,
} from '../internal/check-arguments.js';
import { createInferenceEngine, type EngineSpec } from './create-inference-engine.node.js';
import { type SuperResolveOptions, type SuperResolveResult, superResolve } from './super-resolve.js';

/** Options of {@link writeSuperResolvedGeoTiff}. */
export interface WriteSuperResolvedOptions {
  /** GeoTIFF compression (default `deflate`; `deflate` and `zstd` with the floating-point predictor). */
  compression?: 'none' | 'deflate' | 'zstd';
  /** Write a Cloud-Optimized GeoTIFF (tiled, with overviews 2, 4, 8 when the image is large enough). */
  cog?: boolean;
  /** Also write a PNG quicklook here (raster-io renderQuicklook: RGB of bands 0–2, 2–98 % stretch, NaN transparent). */
  quicklookPath?: string;
  /** Options for the quicklook (bands, stretch, maxSize...). */
  quicklook?: QuicklookOptions;
}

/**
 * Write the SR raster of {@link superResolve} as a float32 GeoTIFF (same CRS, scaled geotransform, NaN
 * noData), atomically (temp file + rename, so no partial file is ever visible), plus an optional PNG quicklook.
 *
 * @returns the GeoTIFF size in bytes.
 * @throws SrnetError `MISSING_GEOREFERENCING` if the raster has no geo block; `BAD_SCENE_OPTIONS` if `quicklookPath`
 *   is the GeoTIFF's own file (also through `..` or a symlinked folder); raster-io's `WRITE_FAILED` (GeoTIFF), core's `WRITE_FAILED` (quicklook).
 */
export async function writeSuperResolvedGeoTiff(
  path: string,
  result: Pick<SuperResolveResult, 'raster'>,
  options: WriteSuperResolvedOptions = {},
): Promise<number> {
  checkWriteArguments('writeSuperResolvedGeoTiff', path, options);
  await checkDistinctOutputs('writeSuperResolvedGeoTiff', path, options.quicklookPath);
  checkObject('writeSuperResolvedGeoTiff', 'result', result, 'BAD_SCENE_OPTIONS');
  checkRasterArg('writeSuperResolvedGeoTiff', 'result.raster', result.raster, 'BAD_SCENE_OPTIONS');
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
    png = renderQuicklook(raster, {
      bands: raster.bands.length >= 3 ? [0, 1, 2] : [0],
      ...options.quicklook,
    });
  }
  const compression = options.compression ?? 'deflate';
  const bigEnough = Math.min(raster.width, raster.height) >= 1024;
  const size = await writeGeoTiff(path, raster, {
    compression,
    predictor: compression !== 'none',
    tiled: options.cog ? true : raster.width * raster.height > 512 * 512,
    ...(options.cog ? { cog: true, overviews: bigEnough ? [2, 4, 8] : [2] } : {}),
  });
  if (png && options.quicklookPath) await writeFileAtomic(options.quicklookPath, png);
  return size;
}

/** The path and the writer options of {@link writeSuperResolvedGeoTiff} and {@link superResolveToFile}. */
function checkWriteArguments(fn: string, path: unknown, options: unknown): void {
  checkString(fn, 'path', path, 'BAD_SCENE_OPTIONS');
  const o = checkOptions<WriteSuperResolvedOptions>(
    fn,
    options as WriteSuperResolvedOptions,
    'BAD_SCENE_OPTIONS',
  );
  checkOptionalString(fn, 'options.quicklookPath', o.quicklookPath, 'BAD_SCENE_OPTIONS');
  if (o.quicklook !== undefined) checkObject(fn, 'options.quicklook', o.quicklook, 'BAD_SCENE_OPTIONS');
}

/** Where `path` really lands: symlinks resolved for the file, or else for its folder when that exists. */
async function landingPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    try {
      return join(await realpath(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * Refuses a quicklook path that lands on the GeoTIFF itself (`out/../out/sr.tif`, a symlinked folder): the PNG
 * would silently replace the GeoTIFF just written.
 */
async function checkDistinctOutputs(
  fn: string,
  path: string,
  quicklookPath: string | undefined,
): Promise<void> {
  if (!quicklookPath) return;
  const [tif, png] = await Promise.all([landingPath(path), landingPath(quicklookPath)]);
  if (tif === png)
    throw new SrnetError(
      'BAD_SCENE_OPTIONS',
      `${fn}: options.quicklookPath ${quicklookPath} is the GeoTIFF path ${path} (both are ${tif}); the quicklook would overwrite the GeoTIFF — give it its own file, e.g. ${tif.replace(/\.tiff?$/i, '')}.png`,
      { path, quicklookPath },
    );
}

/**
 * {@link superResolve} then {@link writeSuperResolvedGeoTiff}: nothing is written unless inference completed,
 * and the GeoTIFF appears atomically (an aborted or failed run leaves no file behind). `engine` is an engine
 * instance, or `{ engine: 'onnx' | 'tfjs', config, stateDict }` to create (and dispose) one for this call.
 *
 * @example
 * await superResolveToFile(revisits, 'sr.tif', { engine, quicklookPath: 'sr.png', onProgress: console.log });
 */
export async function superResolveToFile(
  scene: Raster[],
  path: string,
  options: Omit<SuperResolveOptions, 'engine'> &
    WriteSuperResolvedOptions & { engine: InferenceEngine | EngineSpec },
): Promise<SuperResolveResult & { bytes: number }> {
  checkArray('superResolveToFile', 'scene', scene, 'SCENE_SIZE_MISMATCH');
  checkObject('superResolveToFile', 'options', options, 'BAD_SCENE_OPTIONS');
  checkWriteArguments('superResolveToFile', path, options);
  checkObject('superResolveToFile', 'options.engine', options.engine, 'BAD_SCENE_OPTIONS');
  await checkDistinctOutputs('superResolveToFile', path, options.quicklookPath);
  const owned = 'predict' in options.engine ? null : await createInferenceEngine(options.engine);
  const engine = owned ?? (options.engine as InferenceEngine);
  try {
    const result = await superResolve(scene, { ...options, engine });
    if (options.signal?.aborted) throw new SrnetError('ABORTED', `aborted before writing ${path}`);
    const bytes = await writeSuperResolvedGeoTiff(path, result, options);
    return { ...result, bytes };
  } finally {
    owned?.dispose();
  }
}
