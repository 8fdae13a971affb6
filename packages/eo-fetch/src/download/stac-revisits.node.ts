// Revisit download from COGs: for each matched item, read only the AOI window of every band (HTTP range
// requests through raster-io), warp it onto the AOI's 10 m grid, harmonise processing baseline ≥ 04.00, and
// write the release layout (data TIFF, SCL/CLM/dataMask layers, .metadata JSON), with a manifest for re-runs.

import { join, relative, resolve, sep } from 'node:path';
import { throwIfAborted } from '@worldstrat/core';
import {
  type BBox,
  harmonizeProcessingBaseline,
  httpSource,
  openGeoTiff,
  type ProjectedGrid,
  projectGrid,
  type Raster,
  type RasterArray,
  RasterIoError,
  type RasterIoLimits,
  readRaster,
  type TargetGrid,
  warpRaster,
} from '@worldstrat/raster-io';
import { NODE_CODECS } from '@worldstrat/raster-io/node';
import pLimit from 'p-limit';
import { EoFetchError, HttpError } from '../errors.js';
import type { FetchLike } from '../http/request-json.js';
import { abortError, type RetryPolicy, redactUrl, redactUrlsIn, withRetry } from '../http/retry.js';
import {
  checkArray,
  checkFunction,
  checkNonEmptyString,
  checkNumber,
  checkObject,
  checkObjectArray,
  checkRetryPolicy,
  checkRevisit,
  checkRevisits,
  checkSignal,
  checkString,
} from '../internal/check-arguments.js';
import {
  type DiskFullState,
  failedWritePath,
  isNotStarted,
  noteDiskFull,
  notStartedDiskFull,
} from '../internal/write-failed.js';
import { aoiGrid } from '../layout/aoi-grid.js';
import { lrRevisitPaths, type RevisitLayer } from '../layout/release-layout.js';
import { writeRevisitLayout } from '../layout/write-revisit-layout.node.js';
import type { MatchAoi, MatchedRevisit } from '../matching/match-revisits.js';
import { cloudFractionFromScl } from '../matching/match-revisits.js';
import { createPlanetaryComputerSigner, type PlanetaryComputerSigner } from '../stac/planetary-computer.js';
import {
  BAND_RESOLUTION_M,
  bandAsset,
  type CanonicalBand,
  getStacProvider,
  L1C_BANDS,
  L2A_BANDS,
  reflectanceScaling,
  type S2Level,
  type StacProvider,
} from '../stac/providers.js';
import type { StacItem } from '../stac/stac-types.js';
import { recheckVerified } from './download-engine.node.js';
import { type ManifestRecord, ManifestWriter, readManifest } from './manifest.node.js';
import { removeStaleTemps } from './stale-temps.node.js';

/** Options of {@link downloadStacRevisits}. */
export interface StacRevisitOptions {
  /** Dataset root; files go to `<root>/lr_dataset/<AOI>/<level>/`. */
  root: string;
  /** Provider (or its id) whose asset keys the items use. */
  provider: StacProvider | string;
  /** `L2A` (default: 12 bands + SCL/CLM/dataMask) or `L1C` (13 bands + dataMask). */
  level?: S2Level;
  /** Bands of the data TIFF (default the release's 12/13 in upstream order). */
  bands?: readonly CanonicalBand[];
  /** Output ground resolution (default 10 m). */
  resolutionM?: number;
  /**
   * SAS signer for providers that need one (created automatically for Planetary Computer: one per
   * {@link downloadStacRevisits} call, so its token cache serves every revisit).
   */
  signer?: PlanetaryComputerSigner;
  /** Band COGs read at once per revisit (default 4). */
  bandConcurrency?: number;
  /** Revisits processed at once (default 4). */
  concurrency?: number;
  /** Retry policy of each band read (default 3 retries, 60 s per band read). */
  retry?: Partial<RetryPolicy>;
  /**
   * Time limit of one HTTP range request, body included (default 30 s): a server that stalls mid-window is cut
   * off after this and the band read retried.
   */
  requestTimeoutMs?: number;
  /** raster-io read limits for every band COG (defaults: raster-io's); a COG over them fails its revisit. */
  readLimits?: Partial<RasterIoLimits>;
  /** Compression of the written TIFFs (default `none`, like the release). */
  compression?: 'none' | 'deflate';
  /** JSONL manifest: revisits whose files are all verified there (and still hash the same) are skipped. */
  manifestPath?: string;
  fetch?: FetchLike;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'revisit'; done: number; total: number; aoi: string; n: number }) => void;
}

/** What happened to one revisit. */
export interface RevisitDownloadResult {
  aoi: string;
  n: number;
  level: S2Level;
  itemId: string;
  /** Files written (or found verified), relative to `root`. */
  files: string[];
  /** Fraction of valid AOI pixels classed cloud/shadow/cirrus by SCL (L2A). */
  cloudFraction?: number;
  skipped: boolean;
}

/** Report of {@link downloadStacRevisits}. */
export interface RevisitDownloadReport {
  results: RevisitDownloadResult[];
  failed: { aoi: string; n: number; itemId: string; error: EoFetchError }[];
}

const SCL_CLOUD_CLM = new Set([8, 9, 10]);

function expandBounds(b: BBox, metres: number): BBox {
  const dLat = metres / 111_000;
  const dLon = metres / (111_000 * Math.max(0.05, Math.cos((((b[1] + b[3]) / 2) * Math.PI) / 180)));
  return [b[0] - dLon, b[1] - dLat, b[2] + dLon, b[3] + dLat];
}

/**
 * Maps raster-io's errors onto ours, so the retry policy sees what happened: a transfer cut off mid-body
 * (undici's "terminated", a reset: status 0) is a `NETWORK_ERROR` and a 206 whose bytes do not match its
 * Content-Range a `SIZE_MISMATCH`, both retried like a reset. Messages quote the URL redacted.
 */
function toEoFetchError(err: unknown, href: string): unknown {
  if (err instanceof EoFetchError) return err;
  if (err instanceof RasterIoError) {
    const safe = redactUrl(href);
    // raster-io messages already start with the source name; keep the URL once
    const own = err.message.startsWith(`${href}: `) ? err.message.slice(href.length + 2) : err.message;
    const msg = redactUrlsIn(own.split(href).join(safe));
    const status = (err as { status?: number }).status;
    if (status === 0) return new EoFetchError('NETWORK_ERROR', `${safe}: ${msg}`, { cause: err });
    if (status === 206) return new EoFetchError('SIZE_MISMATCH', `${safe}: ${msg}`, { cause: err });
    if (typeof status === 'number') return new HttpError(safe, status, `${safe}: ${msg}`, { cause: err });
    if (err.code === 'TIMEOUT') return new EoFetchError('TIMEOUT', `${safe}: ${msg}`, { cause: err });
    if (err.code === 'TRUNCATED') return new EoFetchError('SIZE_MISMATCH', `${safe}: ${msg}`, { cause: err });
    if (err.code === 'ABORTED') return new EoFetchError('ABORTED', msg, { cause: err });
    // the raster-io code (CORRUPT_TIFF, TOO_LARGE, …) stays visible in the message and as the cause
    return new EoFetchError('INVALID_RESPONSE', `${safe}: [${err.code}] ${msg}`, { cause: err });
  }
  return err;
}

/** The AOI grid's pixel centres in a band's CRS, or undefined to project per band (grids too large to hold). */
type GridProjections = (epsg: number) => ProjectedGrid | undefined;

/** Largest AOI grid whose projected coordinates (16 bytes a pixel) are kept and shared by the bands. */
const MAX_SHARED_PROJECTION_PX = 4 * 1024 * 1024;

/** One projection of the AOI grid per source CRS, shared by every band of a revisit (all bands, one proj4 pass). */
function gridProjections(grid: TargetGrid): GridProjections {
  const byEpsg = new Map<number, ProjectedGrid>();
  return (epsg) => {
    if (grid.width * grid.height > MAX_SHARED_PROJECTION_PX) return undefined;
    let p = byEpsg.get(epsg);
    if (!p) {
      p = projectGrid(grid, epsg);
      byEpsg.set(epsg, p);
    }
    return p;
  };
}

/** Reads the AOI window of one band COG and warps it onto `grid` (float32 DN, or uint8 for SCL). */
async function readBandOnGrid(
  href: string,
  bounds: BBox,
  grid: TargetGrid,
  band: CanonicalBand,
  opts: StacRevisitOptions,
  projected: GridProjections,
): Promise<RasterArray> {
  const isScl = band === 'SCL';
  return withRetry(
    async (signal) => {
      try {
        const source = httpSource(href, {
          fetch: opts.fetch as typeof fetch,
          signal,
          ...(opts.requestTimeoutMs ? { timeoutMs: opts.requestTimeoutMs } : {}),
        });
        const tiff = await openGeoTiff(source, {
          signal,
          codecs: NODE_CODECS, // node:zlib inflate for deflate COGs
          limits: opts.readLimits,
        });
        // a margin of 3 native pixels keeps bilinear taps at the edges inside the read
        const window = expandBounds(bounds, 3 * BAND_RESOLUTION_M[band]);
        const r: Raster = await readRaster(tiff, {
          bbox: window,
          bboxCrs: 'lonlat',
          bands: [0],
          signal,
          limits: opts.readLimits,
        });
        await tiff.close();
        const coords = r.geo ? projected(r.geo.epsg) : undefined;
        const warped = warpRaster(
          { ...r, noData: r.noData ?? 0 },
          grid,
          isScl
            ? { method: 'nearest', dtype: 'uint8', noData: 0, ...(coords ? { projected: coords } : {}) }
            : { method: 'bilinear', dtype: 'float32', noData: 0, ...(coords ? { projected: coords } : {}) },
        );
        return warped.bands[0];
      } catch (err) {
        throw toEoFetchError(err, href);
      }
    },
    { policy: { retries: 3, timeoutMs: 60_000, ...opts.retry }, signal: opts.signal, url: href },
  );
}

/**
 * Reflectance of one band: `max(0, v·scale + offset)` with a `raster:bands` offset, else `v·scale` (0 stays 0,
 * the no-data DN). `harmonised` is `dn` after the processing-baseline offset, when one applies.
 */
function toReflectance(
  dn: Float32Array,
  harmonised: Float32Array,
  { scale, offset }: { scale: number; offset?: number },
): Float32Array {
  const refl = new Float32Array(dn.length);
  for (let i = 0; i < dn.length; i++) {
    const v = harmonised[i] as number;
    refl[i] = dn[i] === 0 ? 0 : offset !== undefined ? Math.max(0, v * scale + offset) : v * scale;
  }
  return refl;
}

/** 1 where every band is non-zero (the data mask), else 0. */
function nonZeroInEveryBand(bands: readonly Float32Array[], npx: number): Uint8Array {
  const valid = new Uint8Array(npx).fill(1);
  for (const band of bands) for (let i = 0; i < npx; i++) if (band[i] === 0) valid[i] = 0;
  return valid;
}

/** The shape of {@link StacRevisitOptions} (a root, a provider id or object; optional members typed). */
function checkStacRevisitOptions(fn: string, options: StacRevisitOptions): void {
  checkObject(fn, 'options', options);
  checkNonEmptyString(fn, 'options.root', options.root);
  if (typeof options.provider !== 'string') checkObject(fn, 'options.provider', options.provider);
  if (options.bands !== undefined) checkArray(fn, 'options.bands', options.bands);
  for (const k of ['resolutionM', 'requestTimeoutMs'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true, min: 0 });
  for (const k of ['bandConcurrency', 'concurrency'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true, integer: true, min: 1 });
  checkRetryPolicy(fn, 'options.retry', options.retry);
  checkString(fn, 'options.manifestPath', options.manifestPath, true);
  for (const k of ['fetch', 'onProgress'] as const) checkFunction(fn, `options.${k}`, options[k], true);
  checkSignal(fn, 'options.signal', options.signal);
}

/**
 * Downloads one matched revisit from COGs into the release layout.
 *
 * @param aoi - the AOI (bounds, optional `areaKm2`)
 * @param revisit - a {@link MatchedRevisit} whose entry carries its STAC `item`
 * @param options - root, provider, level, bands, signer, retry, compression
 * @returns the files written (relative to `root`) and the measured cloud fraction
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` (no STAC item), `UNKNOWN_BAND`, HTTP/timeout errors after retries
 * @example
 * ```ts
 * const res = await downloadStacRevisit(aoi, match.byAoi.get(aoi.name)![0], { root: 'dataset', provider: 'earth-search' });
 * ```
 */
export async function downloadStacRevisit(
  aoi: MatchAoi,
  revisit: MatchedRevisit,
  options: StacRevisitOptions,
): Promise<RevisitDownloadResult & { records: ManifestRecord[] }> {
  checkObject('downloadStacRevisit', 'aoi', aoi);
  checkRevisit('downloadStacRevisit', 'revisit', revisit);
  checkStacRevisitOptions('downloadStacRevisit', options);
  const provider =
    typeof options.provider === 'string' ? getStacProvider(options.provider) : options.provider;
  const level = options.level ?? 'L2A';
  const bands = options.bands ?? (level === 'L2A' ? L2A_BANDS : L1C_BANDS);
  const item: StacItem | undefined = revisit.entry.item;
  if (!item)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `revisit ${aoi.name}-${revisit.n} has no STAC item; build entries with catalogueEntryFromStacItem`,
    );
  const signer =
    options.signer ??
    (provider.requiresSigning ? createPlanetaryComputerSigner({ fetch: options.fetch }) : undefined);
  const href = async (band: CanonicalBand) => {
    const { asset } = bandAsset(item, provider, band);
    return {
      asset,
      href: signer ? await signer.signHref(asset.href, item.collection, options.signal) : asset.href,
    };
  };
  const grid = aoiGrid(aoi.bounds, options.resolutionM ?? 10);
  const npx = grid.width * grid.height;
  const projected = gridProjections(grid);

  const data: Float32Array[] = [];
  // bands are read a few at a time (each read is a handful of range requests)
  const bandLimit = pLimit(options.bandConcurrency ?? 4);
  const read = await Promise.all(
    bands.map((band) =>
      bandLimit(async () => {
        const { asset, href: url } = await href(band);
        return {
          asset,
          dn: (await readBandOnGrid(url, aoi.bounds, grid, band, options, projected)) as Float32Array,
        };
      }),
    ),
  );
  for (const { asset, dn } of read) {
    const { scale, offset, baseline } = reflectanceScaling(item, asset);
    const fromRasterBands =
      asset['raster:bands']?.[0]?.scale !== undefined || asset['raster:bands']?.[0]?.offset !== undefined;
    // baseline ≥ 04.00 without raster:bands: subtract the 1000 DN offset (raster-io), then scale
    const harmonised =
      !fromRasterBands && offset !== 0 && baseline
        ? (harmonizeProcessingBaseline(dn, baseline) as Float32Array)
        : dn;
    data.push(toReflectance(dn, harmonised, fromRasterBands ? { scale, offset } : { scale }));
  }
  const valid = nonZeroInEveryBand(data, npx);

  const geo = { epsg: 4326, transform: grid.transform };
  const sized = { width: grid.width, height: grid.height, geo };
  const layers: Partial<Record<RevisitLayer, Raster>> = {};
  let cloudFraction: number | undefined;
  if (level === 'L2A' && provider.assetKeys.SCL && item.assets[provider.assetKeys.SCL]) {
    const { href: url } = await href('SCL');
    const scl = (await readBandOnGrid(url, aoi.bounds, grid, 'SCL', options, projected)) as Uint8Array;
    const clm = new Uint8Array(npx);
    for (let i = 0; i < npx; i++) clm[i] = scl[i] === 0 ? 255 : SCL_CLOUD_CLM.has(scl[i]) ? 1 : 0;
    cloudFraction = cloudFractionFromScl(scl);
    layers.SCL = { ...sized, dtype: 'uint8', bands: [scl], noData: 0 };
    layers.CLM = { ...sized, dtype: 'uint8', bands: [clm], noData: 255 };
  }
  layers.dataMask = { ...sized, dtype: 'uint8', bands: [valid] };
  const records = await writeRevisitLayout(
    options.root,
    aoi,
    { ...revisit, entry: { ...revisit.entry, id: item.id } },
    {
      level,
      data: { ...sized, dtype: 'float32', bands: data, noData: 0 },
      layers,
      compression: options.compression,
      source: redactUrl(item.links?.find((l) => l.rel === 'self')?.href ?? item.id),
      metadata: {
        item_id: item.id,
        collection: item.collection,
        provider: provider.id,
        processing_baseline: item.properties['s2:processing_baseline'],
        bands: [...bands],
        ...(cloudFraction !== undefined ? { cloud_fraction: cloudFraction } : {}),
      },
    },
  );
  const written = records.map((r) => r.path.slice(options.root.length).replace(/^[\\/]+/, ''));
  return {
    aoi: aoi.name,
    n: revisit.n,
    level,
    itemId: item.id,
    files: written,
    cloudFraction,
    skipped: false,
    records,
  };
}

/**
 * Downloads many matched revisits (see {@link downloadStacRevisit}) with bounded concurrency. With a manifest,
 * a revisit whose files are all recorded as verified (and still have their recorded SHA-256) is skipped; one
 * whose file changed on disk since (even at the same size) is downloaded again. A file whose `lstat` (size,
 * mtime, ctime, inode, device) still matches the fingerprint recorded when it was hashed is not read again; one
 * that differs (or has no fingerprint) is re-hashed, and when it still matches, its fingerprint is refreshed.
 *
 * Once a write finds the disk full (`ENOSPC`, `EDQUOT`), the revisits not yet started fail at once with
 * `WRITE_FAILED` (`not started: the disk is full, see <first file>`), reading nothing; those already started
 * finish or fail on their own. A re-run redoes every failed revisit.
 *
 * @param aois - the AOIs (looked up by the revisits' `aoi` name)
 * @param revisits - selected revisits (`matchRevisits(...).revisits`)
 * @param options - root, provider, level, concurrency, manifestPath, signal, onProgress
 * @returns per-revisit results and failures (failures are reported, not thrown)
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for a revisit of an unknown AOI, `ABORTED`
 * @example
 * ```ts
 * const report = await downloadStacRevisits(aois, match.revisits, { root: 'dataset', provider: 'earth-search',
 *   manifestPath: 'dataset/lr-manifest.jsonl' });
 * ```
 */
export async function downloadStacRevisits(
  aois: readonly MatchAoi[],
  revisits: readonly MatchedRevisit[],
  options: StacRevisitOptions,
): Promise<RevisitDownloadReport> {
  checkObjectArray('downloadStacRevisits', 'aois', aois);
  checkRevisits('downloadStacRevisits', 'revisits', revisits);
  checkStacRevisitOptions('downloadStacRevisits', options);
  const byName = new Map(aois.map((a) => [a.name, a]));
  for (const r of revisits)
    if (!byName.has(r.aoi))
      throw new EoFetchError('INVALID_ARGUMENT', `revisit ${r.aoi}-${r.n} refers to an AOI not in the list`);
  const level = options.level ?? 'L2A';
  // every name and number becomes part of a path (manifest lookups, temp cleanup): all checked before any work
  for (const r of revisits) lrRevisitPaths(r.aoi, r.n, level);
  // manifest paths are relative to the dataset root: the same dataset is recognised from any working directory
  const root = resolve(options.root);
  const manifest = options.manifestPath
    ? await readManifest(options.manifestPath, { root })
    : new Map<string, ManifestRecord>();
  const writer = options.manifestPath ? new ManifestWriter(options.manifestPath, { root }) : undefined;
  // records by revisit number, then item id, grouped once: a scan of the manifest per revisit is quadratic
  const byRevisitItem = new Map<number | undefined, Map<string | undefined, ManifestRecord[]>>();
  for (const m of manifest.values()) {
    let items = byRevisitItem.get(m.revisit);
    if (!items) {
      items = new Map();
      byRevisitItem.set(m.revisit, items);
    }
    const list = items.get(m.itemId);
    if (list) list.push(m);
    else items.set(m.itemId, [m]);
  }
  // one signer for the whole call: its token cache serves every revisit (a signer per revisit asked the token
  // endpoint once per revisit)
  const provider =
    typeof options.provider === 'string' ? getStacProvider(options.provider) : options.provider;
  const signer =
    options.signer ??
    (provider.requiresSigning ? createPlanetaryComputerSigner({ fetch: options.fetch }) : undefined);
  const perRevisit: StacRevisitOptions = { ...options, provider, ...(signer ? { signer } : {}) };
  const limit = pLimit(options.concurrency ?? 4);
  const report: RevisitDownloadReport = { results: [], failed: [] };
  // once a write finds the disk full (ENOSPC, EDQUOT), revisits not yet started fail without reading anything
  const disk: DiskFullState = {};
  let done = 0;
  await Promise.all(
    revisits.map((r) =>
      limit(async () => {
        throwIfAborted(options.signal, abortError);
        const aoi = byName.get(r.aoi)!;
        const itemId = r.entry.item?.id ?? r.entry.id;
        // complete when the manifest has this revisit's metadata (written last) and every file it listed
        const levelDir = join(root, 'lr_dataset', r.aoi, level);
        const mine = (byRevisitItem.get(r.n)?.get(itemId) ?? []).filter((m) =>
          m.path.startsWith(levelDir + sep),
        );
        const metaAbs = join(root, lrRevisitPaths(r.aoi, r.n, level).metadata);
        // re-hashed, not just sized: a same-size change after verification must not pass as done; a file whose
        // lstat still matches its recorded fingerprint is not read
        const checks = await Promise.all(mine.map((m) => recheckVerified(m.path, m, 'sha256')));
        const complete = mine.some((m) => m.path === metaAbs) && checks.every((c) => c.ok);
        if (complete) {
          // files re-hashed with a fresh fingerprint (a copy, a touch): the next resume does not read them. Only a
          // saving: a manifest that cannot take the line (a full disk) leaves the next resume to hash them again
          for (const c of checks) if (c.refreshed) await writer?.append(c.refreshed).catch(() => {});
          const files = mine.map((m) => relative(root, m.path).split(sep).join('/'));
          report.results.push({ aoi: r.aoi, n: r.n, level, itemId, files, skipped: true });
        } else {
          try {
            if (disk.full) throw notStartedDiskFull(`revisit ${r.aoi}-${r.n} (${levelDir})`, disk.full);
            // temp files of this revisit left by a killed run: it is rewritten whole
            const prefix = `${r.aoi}-${r.n}`;
            await removeStaleTemps(levelDir, (f) => f.startsWith(`${prefix}-`) || f === `${prefix}.metadata`);
            const { records, ...res } = await downloadStacRevisit(aoi, r, perRevisit);
            for (const rec of records) await writer?.append(rec);
            report.results.push(res);
          } catch (err) {
            const error =
              err instanceof EoFetchError
                ? err
                : // another library's error may quote a signed asset URL: redact it like ours
                  new EoFetchError('INVALID_RESPONSE', redactUrlsIn(String((err as Error)?.message ?? err)), {
                    cause: err,
                  });
            // only the caller's abort ends the call; an inner time limit is this revisit's failure
            if (error.code === 'ABORTED' && options.signal?.aborted) throw error;
            if (!isNotStarted(error)) noteDiskFull(disk, failedWritePath(error) ?? levelDir, error);
            report.failed.push({ aoi: r.aoi, n: r.n, itemId, error });
          }
        }
        done++;
        options.onProgress?.({ stage: 'revisit', done, total: revisits.length, aoi: r.aoi, n: r.n });
      }),
    ),
  );
  const order = new Map(aois.map((a, i) => [a.name, i]));
  const byRevisit = (a: { aoi: string; n: number }, b: { aoi: string; n: number }) =>
    order.get(a.aoi)! - order.get(b.aoi)! || a.n - b.n;
  report.results.sort(byRevisit);
  report.failed.sort(byRevisit);
  return report;
}
