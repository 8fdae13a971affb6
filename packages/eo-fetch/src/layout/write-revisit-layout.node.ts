// Writes one revisit in the release layout: the data TIFF, its layer TIFFs and the `.metadata` sidecar (last,
// so its presence marks a complete revisit), each atomically, returning manifest records with checksums.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import type { Raster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';
import { sha256File } from '../download/download-engine.node.js';
import type { ManifestRecord } from '../download/manifest.node.js';
import { checkNonEmptyString, checkObject, checkRevisit, checkString } from '../internal/check-arguments.js';
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
 * @returns one verified manifest record per file (absolute paths, sizes, SHA-256)
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
  await writeGeoTiff(join(root, paths.data), options.data, enc);
  written.push(paths.data);
  for (const [layer, raster] of Object.entries(options.layers ?? {}) as [
    RevisitLayer,
    Raster | undefined,
  ][]) {
    if (!raster) continue;
    await writeGeoTiff(join(root, paths.layer(layer)), raster, enc);
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
  await writeFileAtomic(join(root, paths.metadata), `${JSON.stringify(meta, null, 2)}\n`);
  written.push(paths.metadata);
  const records: ManifestRecord[] = [];
  for (const rel of written) {
    const abs = join(root, rel);
    records.push({
      aoi: aoi.name,
      revisit: revisit.n,
      itemId: revisit.entry.id,
      path: abs,
      url: options.source ?? revisit.entry.id,
      bytes: (await stat(abs)).size,
      sha256: await sha256File(abs),
      status: 'verified',
      time: new Date().toISOString(),
    });
  }
  return records;
}
