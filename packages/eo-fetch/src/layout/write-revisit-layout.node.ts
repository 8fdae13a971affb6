// Writes one revisit in the release layout: the data TIFF, its layer TIFFs and the `.metadata` sidecar (last,
// so its presence marks a complete revisit), each atomically, returning manifest records with checksums. A write
// the disk refuses (full, over quota, read-only, a file where a folder should be) is `WRITE_FAILED` naming the
// file: its temp file is gone and whatever was at its path before is untouched.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import type { Raster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { hashWithFingerprint } from '../download/file-fingerprint.node.js';
import type { ManifestRecord } from '../download/manifest.node.js';
import { checkNonEmptyString, checkObject, checkRevisit, checkString } from '../internal/check-arguments.js';
import { atomicWriteError } from '../internal/write-failed.js';
import type { MatchAoi, MatchedRevisit } from '../matching/match-revisits.js';
import type { S2Level } from '../stac/providers.js';
import { lrRevisitPaths, type RevisitLayer, type RevisitMetadata } from './release-layout.js';

/** Options of {@link writeRevisitLayout}. */
export interface WriteRevisitLayoutOptions {
  level: S2Level;
  /** The data raster (float32 reflectance, bands in release order). */
  data: Raster;
  /** Layer rasters (`CLM`, `dataMask`, `SCL`, ...). */
  layers?: Partial<Record<RevisitLayer, Raster>>;
  /** Fields added to the `.metadata` JSON after the upstream ones. */
  metadata?: Record<string, unknown>;
  /** TIFF compression (default `none`, like the release). */
  compression?: 'none' | 'deflate';
  /** Source URL/id recorded in the manifest. */
  source?: string;
}

/**
 * Writes `lr_dataset/<AOI>/<level>/<AOI>-<n>-<level>_data.tiff`, `<AOI>-<n>-<layer>.tiff` for each layer, and
 * `<AOI>-<n>.metadata` (`cloud_cover`, `target_date`, `delta` as a string, `area`, `datetime`, then extras).
 *
 * @param root - dataset root
 * @param aoi - the AOI (`areaKm2` becomes `area`)
 * @param revisit - the matched revisit (numbering, dates, cloud cover)
 * @param options - level, rasters, extra metadata, compression
 * @returns one verified manifest record per file (absolute paths, sizes, SHA-256, stat fingerprints)
 * @throws {@link EoFetchError} `WRITE_FAILED` naming the file when the disk is full, over quota or not writable
 *   (its temp file is removed and the file already at its path, if any, is unchanged; files of the revisit
 *   written before it are new, the `.metadata` sidecar is not)
 * @example
 * ```ts
 * const records = await writeRevisitLayout('dataset', aoi, revisit, { level: 'L2A', data, layers: { CLM: clm } });
 * ```
 */
export async function writeRevisitLayout(
  root: string,
  aoi: MatchAoi,
  revisit: MatchedRevisit,
  options: WriteRevisitLayoutOptions,
): Promise<ManifestRecord[]> {
  const fn = 'writeRevisitLayout';
  checkNonEmptyString(fn, 'root', root);
  checkObject(fn, 'aoi', aoi);
  checkRevisit(fn, 'revisit', revisit);
  checkObject(fn, 'options', options);
  checkObject(fn, 'options.data', options.data);
  if (options.layers !== undefined) checkObject(fn, 'options.layers', options.layers);
  if (options.metadata !== undefined) checkObject(fn, 'options.metadata', options.metadata);
  checkString(fn, 'options.source', options.source, true);
  const paths = lrRevisitPaths(aoi.name, revisit.n, options.level);
  const enc = { compression: options.compression ?? 'none' } as const;
  const written: string[] = [];
  await writing(join(root, paths.data), () => writeGeoTiff(join(root, paths.data), options.data, enc));
  written.push(paths.data);
  for (const [layer, raster] of Object.entries(options.layers ?? {}) as [
    RevisitLayer,
    Raster | undefined,
  ][]) {
    if (!raster) continue;
    const path = join(root, paths.layer(layer));
    await writing(path, () => writeGeoTiff(path, raster, enc));
    written.push(paths.layer(layer));
  }
  const meta: RevisitMetadata = {
    cloud_cover: revisit.entry.cloudCover,
    target_date: revisit.targetDate,
    delta: String(revisit.deltaDays),
    area: aoi.areaKm2 ?? revisit.areaKm2,
    datetime: revisit.entry.datetime,
    ...options.metadata,
  };
  const metaPath = join(root, paths.metadata);
  await writing(metaPath, () => writeFileAtomic(metaPath, `${JSON.stringify(meta, null, 2)}\n`));
  written.push(paths.metadata);
  const records: ManifestRecord[] = [];
  for (const rel of written) {
    const abs = join(root, rel);
    const bytes = (await stat(abs)).size;
    // hashed from disk with the file's fingerprint, so a resume need not read it again while it is untouched
    const { sha256, fingerprint } = await hashWithFingerprint(abs);
    records.push({
      aoi: aoi.name,
      revisit: revisit.n,
      itemId: revisit.entry.id,
      path: abs,
      url: options.source ?? revisit.entry.id,
      bytes,
      sha256,
      status: 'verified',
      time: new Date().toISOString(),
      ...(fingerprint?.size === bytes ? { fingerprint } : {}),
    });
  }
  return records;
}

/** Runs one atomic write of `path`; a failure of the disk becomes `WRITE_FAILED` naming the file. */
async function writing<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw atomicWriteError(path, err);
  }
}
