// SentinelHub downloads in the release layout: Process API jobs for the download engine (S2 revisits and SPOT
// orders), TIFF verification of every answer, and the revisit .metadata sidecars.

import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { withoutTrailingSlashes } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { openGeoTiffFile } from '@worldstrat/raster-io/node';
import {
  type DownloadJob,
  type DownloadOptions,
  type DownloadReport,
  downloadAll,
} from '../download/download-engine.node.js';
import { removeStaleTemps } from '../download/stale-temps.node.js';
import { EoFetchError } from '../errors.js';
import type { FetchLike } from '../http/request-json.js';
import {
  checkArray,
  checkNonEmptyString,
  checkObject,
  checkObjectArray,
  checkRevisit,
  checkRevisits,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';
import { atomicWriteError, writeFailed } from '../internal/write-failed.js';
import { aoiPixelSize } from '../layout/aoi-grid.js';
import { hrPaths, lrRevisitPaths, type RevisitMetadata } from '../layout/release-layout.js';
import type { MatchAoi, MatchedRevisit } from '../matching/match-revisits.js';
import { type CanonicalBand, L1C_BANDS, L2A_BANDS, type S2Level } from '../stac/providers.js';
import {
  estimateProcessingUnits,
  type S2ExtraLayer,
  s2ProcessRequest,
  spotOutputSize,
  spotProcessRequest,
} from './evalscripts.js';
import type { SentinelHubClient, SentinelHubOrder } from './sentinel-hub-client.js';

/** Trailing slashes; the lookbehind keeps a long run of `/` before another character linear (`/\/+$/` is quadratic). */

/** A check that a downloaded file is a TIFF with the expected size and band count. */
export function tiffCheck(
  width: number,
  height: number,
  bands: number,
  dtype?: string,
): (path: string) => Promise<void> {
  return async (path) => {
    const tiff = await openGeoTiffFile(path);
    try {
      const l = tiff.levels[0];
      if (l.width !== width || l.height !== height || l.bandCount !== bands || (dtype && l.dtype !== dtype))
        throw new EoFetchError(
          'VERIFY_FAILED',
          `expected a ${width}×${height}×${bands}${dtype ? ` ${dtype}` : ''} TIFF, got ${l.width}×${l.height}×${l.bandCount} ${l.dtype}`,
        );
    } finally {
      await tiff.close();
    }
  };
}

/** Options of {@link sentinelHubRevisitJobs}. */
export interface SentinelHubRevisitJobsOptions {
  /** Dataset root (files go to `<root>/lr_dataset/<AOI>/<level>/`). */
  root: string;
  /** API root (default `https://services.sentinel-hub.com`). */
  baseUrl?: string;
  /** Levels (default both, L1C first like upstream). */
  levels?: readonly S2Level[];
  /** Extra layers (default CLM, CLP, dataMask). */
  layers?: readonly S2ExtraLayer[];
  /** Bands per level (default the release's 12/13). */
  bands?: Partial<Record<S2Level, readonly CanonicalBand[]>>;
}

/** The AOIs, revisits and options of the SentinelHub revisit downloads. */
function checkRevisitJobArgs(
  fn: string,
  aois: unknown,
  revisits: unknown,
  options: Partial<SentinelHubRevisitJobsOptions>,
): void {
  checkObjectArray(fn, 'aois', aois);
  checkRevisits(fn, 'revisits', revisits);
  checkObject(fn, 'options', options);
  checkNonEmptyString(fn, 'options.root', options.root);
  checkString(fn, 'options.baseUrl', options.baseUrl, true);
  for (const k of ['levels', 'layers'] as const)
    if (options[k] !== undefined) checkArray(fn, `options.${k}`, options[k]);
  if (options.bands !== undefined) checkObject(fn, 'options.bands', options.bands);
}

/**
 * Process API download jobs for matched revisits: per revisit and level one FLOAT32 data TIFF
 * (`<AOI>-<n>-<level>_data.tiff`) and one TIFF per extra layer, each verified (size, band count) before it
 * is kept. Run them with `downloadAll(jobs, { fetch: sh.fetch })` so every request carries a fresh token.
 *
 * @param aois - AOIs (bounds)
 * @param revisits - selected revisits
 * @param options - root, baseUrl, levels, layers, bands
 * @returns download jobs (with processing-unit estimates)
 */
export function sentinelHubRevisitJobs(
  aois: readonly MatchAoi[],
  revisits: readonly MatchedRevisit[],
  options: SentinelHubRevisitJobsOptions,
): DownloadJob[] {
  checkRevisitJobArgs('sentinelHubRevisitJobs', aois, revisits, options);
  const base = withoutTrailingSlashes(options.baseUrl ?? 'https://services.sentinel-hub.com');
  const byName = new Map(aois.map((a) => [a.name, a]));
  const jobs: DownloadJob[] = [];
  for (const r of revisits) {
    const aoi = byName.get(r.aoi);
    if (!aoi)
      throw new EoFetchError('INVALID_ARGUMENT', `revisit ${r.aoi}-${r.n} refers to an AOI not in the list`);
    const [width, height] = aoiPixelSize(aoi.bounds);
    for (const level of options.levels ?? (['L1C', 'L2A'] as const)) {
      const paths = lrRevisitPaths(aoi.name, r.n, level);
      const bands = options.bands?.[level] ?? (level === 'L2A' ? L2A_BANDS : L1C_BANDS);
      const common = {
        url: `${base}/api/v1/process`,
        method: 'POST' as const,
        headers: { accept: 'image/tiff' },
        aoi: aoi.name,
        revisit: r.n,
        itemId: r.entry.id,
      };
      jobs.push({
        ...common,
        path: join(options.root, paths.data),
        body: s2ProcessRequest(aoi.bounds, r.entry.datetime, level, {
          width,
          height,
          bands,
        }) as unknown as Record<string, unknown>,
        processingUnits: estimateProcessingUnits(width, height, bands.length, true),
        verify: tiffCheck(width, height, bands.length, 'float32'),
      });
      for (const layer of options.layers ?? (['CLM', 'CLP', 'dataMask'] as const)) {
        const float = layer.endsWith('Angles') || layer.endsWith('Mean');
        jobs.push({
          ...common,
          path: join(options.root, paths.layer(layer)),
          body: s2ProcessRequest(aoi.bounds, r.entry.datetime, level, {
            width,
            height,
            layer,
          }) as unknown as Record<string, unknown>,
          processingUnits: estimateProcessingUnits(width, height, 1, float),
          verify: tiffCheck(width, height, 1),
        });
      }
    }
  }
  return jobs;
}

/**
 * Writes a revisit's `<AOI>-<n>.metadata` sidecar (upstream fields plus `item_id`), atomically.
 *
 * @param root - dataset root
 * @param aoi - the AOI (`areaKm2` becomes `area`)
 * @param revisit - the revisit
 * @param level - `L2A` or `L1C`
 * @param extra - more fields
 * @returns the path written
 * @throws {@link EoFetchError} `WRITE_FAILED` naming the file when the disk is full, over quota or not writable
 *   (the temp file is removed; a sidecar already there is unchanged)
 */
export async function writeRevisitMetadata(
  root: string,
  aoi: MatchAoi,
  revisit: MatchedRevisit,
  level: S2Level,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const fn = 'writeRevisitMetadata';
  checkNonEmptyString(fn, 'root', root);
  checkObject(fn, 'aoi', aoi);
  checkRevisit(fn, 'revisit', revisit);
  checkObject(fn, 'extra', extra);
  const meta: RevisitMetadata = {
    cloud_cover: revisit.entry.cloudCover,
    target_date: revisit.targetDate,
    delta: String(revisit.deltaDays),
    area: aoi.areaKm2 ?? revisit.areaKm2,
    datetime: revisit.entry.datetime,
    item_id: revisit.entry.id,
    ...extra,
  };
  const path = join(root, lrRevisitPaths(aoi.name, revisit.n, level).metadata);
  try {
    await writeFileAtomic(path, `${JSON.stringify(meta, null, 2)}\n`);
  } catch (err) {
    throw atomicWriteError(path, err);
  }
  return path;
}

/**
 * The client's `fetch`, noting each bearer token it sends in `secrets` (the client adds the header itself, so
 * the engine never sees it): a Process API error that echoes the token is scrubbed like any known secret.
 *
 * @param client - an authenticated client
 * @param secrets - receives every token used
 * @returns a fetch for the download engine
 */
export function fetchNotingToken(client: SentinelHubClient, secrets: Set<string>): FetchLike {
  checkObject('fetchNotingToken', 'client', client);
  if (typeof (secrets as { add?: unknown } | null)?.add !== 'function')
    invalidArgument('fetchNotingToken', 'secrets', 'a Set', secrets);
  return async (url, init = {}) => {
    secrets.add(await client.accessToken(init.signal ?? undefined));
    const res = await client.fetch(url, init);
    // a 401 made the client fetch a new token (cached now): note it too
    secrets.add(await client.accessToken(init.signal ?? undefined));
    return res;
  };
}

/**
 * Downloads matched revisits through the SentinelHub Process API into the release layout (data TIFFs, layer
 * TIFFs, then the `.metadata` sidecar of every revisit whose data file is complete). `dryRun` counts requests
 * and processing units without sending anything. Bearer tokens, plus `options.secrets` (pass the client
 * id and secret), are scrubbed from every error and manifest line; the manifest's paths are relative to
 * `root` unless `manifestRoot` says otherwise.
 *
 * @param client - an authenticated client
 * @param aois - AOIs
 * @param revisits - selected revisits
 * @param options - job options plus download-engine options (concurrency, manifestPath, dryRun, ...)
 * @returns the download report; a file that could not be downloaded or a sidecar that could not be written
 *   (`WRITE_FAILED` naming it: disk full, over quota, not writable) is listed in `failed` (the sidecar under its
 *   own path, with the revisit's `aoi`, `revisit` and `itemId`), never thrown, so the report of everything else
 *   is kept; a re-run skips the verified TIFFs and writes missing sidecars
 * @throws {@link EoFetchError} `INVALID_ARGUMENT`, `DUPLICATE_PATH`, `ABORTED`
 * @example
 * ```ts
 * const plan = await downloadSentinelHubRevisits(sh, aois, match.revisits, { root: 'dataset', dryRun: true });
 * console.log(`${plan.requests} requests, ≈${plan.processingUnits.toFixed(1)} PU`);
 * ```
 */
export async function downloadSentinelHubRevisits(
  client: SentinelHubClient,
  aois: readonly MatchAoi[],
  revisits: readonly MatchedRevisit[],
  options: Omit<SentinelHubRevisitJobsOptions, 'baseUrl'> & DownloadOptions,
): Promise<DownloadReport> {
  checkObject('downloadSentinelHubRevisits', 'client', client);
  checkRevisitJobArgs('downloadSentinelHubRevisits', aois, revisits, options);
  const jobs = sentinelHubRevisitJobs(aois, revisits, { ...options, baseUrl: client.baseUrl });
  const tokens = new Set<string>();
  const listed = options.secrets;
  const report = await downloadAll(jobs, {
    concurrency: 4,
    perHost: 4,
    manifestRoot: options.root,
    ...options,
    secrets: () => [...(typeof listed === 'function' ? listed() : (listed ?? [])), ...tokens],
    fetch: fetchNotingToken(client, tokens),
  });
  if (report.dryRun) return report;
  const failed = new Set(report.failed.map((f) => f.job.path));
  const byName = new Map(aois.map((a) => [a.name, a]));
  const byPath = new Map(jobs.map((j) => [j.path, j]));
  for (const r of revisits)
    for (const level of options.levels ?? (['L1C', 'L2A'] as const)) {
      const paths = lrRevisitPaths(r.aoi, r.n, level);
      const data = join(options.root, paths.data);
      if (failed.has(data)) continue;
      const metaPath = join(options.root, paths.metadata);
      try {
        // a sidecar temp left by a killed run is replaced by this write
        const meta = `${r.aoi}-${r.n}.metadata`;
        await removeStaleTemps(join(options.root, paths.dir), (f) => f === meta);
        await writeRevisitMetadata(options.root, byName.get(r.aoi)!, r, level);
      } catch (err) {
        // this revisit failed, the others go on: the report keeps what was downloaded (a re-run skips the
        // verified TIFFs and writes the sidecar again). A sidecar left from another acquisition (a re-match) would
        // describe pixels that are no longer there: it goes
        await removeSidecarOfOther(metaPath, r.entry.id);
        const job = byPath.get(data)!;
        report.failed.push({
          job: { url: job.url, path: metaPath, aoi: r.aoi, revisit: r.n, itemId: r.entry.id },
          error: err instanceof EoFetchError ? err : writeFailed(metaPath, err),
        });
      }
    }
  return report;
}

/** Removes the sidecar at `path` when it names another item than `itemId`; any failure leaves it as it is. */
async function removeSidecarOfOther(path: string, itemId: string): Promise<void> {
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as { item_id?: unknown };
    if (meta?.item_id !== itemId) await unlink(path);
  } catch {
    // no sidecar, an unreadable one, or a disk that refuses even this: the report names the failure already
  }
}

/**
 * Process API jobs for delivered SPOT orders: `<AOI>_rgbn.tiff` (4 bands R,G,B,NIR at 6 m) and
 * `<AOI>_pan.tiff` (1 band at 1.5 m), uint16, sizes from the order's `sqkm`; each file is its own job, so a
 * missing PAN is fetched even when RGBN exists (upstream skips it).
 *
 * @param orders - orders with status DONE (`name` = AOI name, `sqkm`, `input.bounds`)
 * @param options - dataset root, BYOC collection id, API root
 * @returns download jobs
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for orders without bbox or area
 */
export function spotDownloadJobs(
  orders: readonly SentinelHubOrder[],
  options: { root: string; collectionId: string; baseUrl?: string },
): DownloadJob[] {
  const fn = 'spotDownloadJobs';
  checkObjectArray(fn, 'orders', orders);
  checkObject(fn, 'options', options);
  checkNonEmptyString(fn, 'options.root', options.root);
  checkString(fn, 'options.collectionId', options.collectionId);
  checkString(fn, 'options.baseUrl', options.baseUrl, true);
  const base = withoutTrailingSlashes(options.baseUrl ?? 'https://services.sentinel-hub.com');
  return orders.flatMap((o) => {
    const bbox = o.input?.bounds?.bbox;
    if (!bbox || !o.sqkm)
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `order ${o.id} (${o.name}) has no input.bounds.bbox or sqkm`,
      );
    const crs = o.input?.bounds?.properties?.crs;
    const size = spotOutputSize(o.sqkm);
    const p = hrPaths(o.name);
    const common = {
      url: `${base}/api/v1/process`,
      method: 'POST' as const,
      headers: { accept: 'image/tiff' },
      aoi: o.name,
      itemId: o.id,
    };
    return [
      {
        ...common,
        path: join(options.root, p.rgbn),
        body: spotProcessRequest(options.collectionId, bbox, 'RGBN', size.rgbn, crs) as unknown as Record<
          string,
          unknown
        >,
        processingUnits: estimateProcessingUnits(size.rgbn, size.rgbn, 4, false),
        verify: tiffCheck(size.rgbn, size.rgbn, 4, 'uint16'),
      },
      {
        ...common,
        path: join(options.root, p.pan),
        body: spotProcessRequest(options.collectionId, bbox, 'PAN', size.pan, crs) as unknown as Record<
          string,
          unknown
        >,
        processingUnits: estimateProcessingUnits(size.pan, size.pan, 1, false),
        verify: tiffCheck(size.pan, size.pan, 1, 'uint16'),
      },
    ];
  });
}
