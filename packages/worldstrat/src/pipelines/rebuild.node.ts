// `rebuild`: regenerate a WorldStrat-style dataset from scratch:
// sample points (or read POIs) → stratify (land-cover + settlement rasters) → rebalance and draw → AOIs →
// catalogue search (STAC API or SentinelHub Catalog) → temporal matching → revisit download → release layout
// (lr_dataset/…, metadata.csv, stratified_train_val_test_split.csv). The plan (everything up to matching) is
// saved in <root>/rebuild/plan.json and reused by re-runs with the same options; downloads resume through
// eo-fetch's manifests, so an interrupted rebuild continues where it stopped.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { jointClass, type MetadataRow } from '@worldstrat/dataset';
import { metadataCsvPath, splitCsvPath, writeMetadataCsv, writeSplitCsv } from '@worldstrat/dataset/node';
import {
  type CatalogueEntry,
  catalogueEntryFromSpotFeature,
  type MatchedRevisit,
  matchRevisits,
  redactUrl,
  type S2Level,
  urlSecrets,
} from '@worldstrat/eo-fetch';
import {
  type DownloadRevisitsResult,
  downloadRevisits,
  orderSpotImagery,
  type RevisitProvider,
  type SpotOrderOptions,
  type SpotOrdersResult,
  searchRevisits,
  searchSkipLines,
  sentinelHubClientFor,
} from '@worldstrat/eo-fetch/node';
import {
  type Aoi,
  createAois,
  createRng,
  type LandMask,
  loadLandMask,
  namePoints,
  type Rng,
  samplePointsInRegion,
  samplePointsOnLand,
} from '@worldstrat/geo-sampling';
import { readPoisFile } from '@worldstrat/geo-sampling/node';
import type { BBox, RasterIoLimits } from '@worldstrat/raster-io';
import { fileSource } from '@worldstrat/raster-io/node';
import {
  type ClassColumns,
  type ClassRaster,
  classCounts,
  classifyPoints,
  loadLandMaskFromGeoTiff,
  REBALANCE_WEIGHTS,
  rebalance,
  type Shortfall,
  StratifyError,
  stratifiedDraw,
  stratifiedSplit,
} from '@worldstrat/stratify';
import { openClassRasterPathOrUrl } from '@worldstrat/stratify/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  aoiName,
  type DocumentSource,
  finite,
  integer,
  isoDate,
  list,
  MAX_LIST_LENGTH,
  matchAois,
  matchShortfalls,
  optional,
  record,
  revisitsByLevel,
  text,
} from '../executors/document-checks.node.js';
import type { Executor } from '../executors/executor.js';
import { searchThroughExecutor } from '../executors/rebuild-search-unit.node.js';
import { spotThroughExecutor } from '../executors/rebuild-spot-unit.node.js';
import { downloadThroughExecutor } from '../executors/rebuild-units.node.js';
import {
  argumentError,
  checkArray,
  checkContext,
  checkDay,
  checkNumberList,
  checkObject,
  checkOptionalChoice,
  checkOptionalFinite,
  checkOptionalFunction,
  checkOptionalObject,
  checkOptionalString,
  checkString,
  checkStringList,
  checkWithMethods,
} from '../internal/check-arguments.js';
import { checkOutputPaths, type NamedPath } from '../internal/output-paths.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { MAX_INPUT_FILE_BYTES, readInputText, readOptionalText } from './read-input.node.js';

/** Where revisits come from (see {@link RevisitProvider}). */
export type RebuildProvider = RevisitProvider;

/** Options of {@link rebuild}. */
export interface RebuildOptions {
  /** Output dataset root. */
  root: string;
  /** POI file (CSV/GeoJSON, see geo-sampling `readPoisFile`) used as the pool instead of sampling. */
  pointsFile?: string;
  /** Points sampled on land for the pool (default 20 × `target`). */
  poolSize?: number;
  /** Restrict sampling to `[minLon, minLat, maxLon, maxLat]` (area-uniform inside the box). */
  region?: BBox;
  /**
   * Land mask: a geo-sampling `LandMask`, a GeoTIFF path/URL, or `'none'` (every point counts; the land-cover
   * raster's water/no-data classes still drop points). Default Natural Earth 1:10m (lakes are land).
   */
  landMask?: LandMask | string;
  /** Land-cover raster path or http(s) URL (ESA CCI LCCS, or WorldCover with `landcoverLegend`). Required. */
  landcover: string;
  landcoverLegend?: 'lccs' | 'worldcover';
  /** Settlement-model raster (GHSL SMOD) path or URL; optional. */
  smod?: string;
  /** CRS of the SMOD raster when the file names none (default `ESRI:54009`). */
  smodCrs?: string;
  /** Upstream's ceil pixel rounding in lookups. */
  compat?: boolean;
  /** Number of AOIs to draw (rebalanced over IPCC classes). */
  target: number;
  /** Rebalancing weight f(count) (default `cbrt`, upstream). */
  weight?: 'cbrt' | 'sqrt' | 'linear';
  /** Class a short stratum is an error (`error`) or reported (`report`, default). */
  onShortfall?: 'error' | 'report';
  /** AOI area in km² (default 2.5). */
  areaKm2?: number;
  /** Seed of sampling, draw and split (default 0). */
  seed?: number;
  /** Catalogue and download backend. */
  provider: RebuildProvider;
  /** Search window `[start, end]` (ISO dates). */
  dateRange: [string, string];
  /** Date revisits are ranked against (default: middle of `dateRange`). */
  targetDate?: string;
  /** Revisits per AOI (default 16). */
  nRevisits?: number;
  /** Hard cloud-cover limit (percent). */
  maxCloudCover?: number;
  /**
   * SentinelHub only: search SPOT (dataimport API, AIRBUS) for every AOI, keep the best acquisition per AOI
   * (1 revisit ranked against `targetDate`) and use its date as that AOI's Sentinel-2 target date, like
   * upstream; AOIs without a SPOT scene are dropped (`spotMissing`). With `order`, the chosen SPOT products
   * are also ordered and downloaded (HR: `hr_dataset/<AOI>/<AOI>_rgbn|_pan|_ps.tiff`, see
   * {@link orderSpotImagery}): a dry run unless `order.confirm` (ordering is paid); `order` does not change
   * the plan.
   */
  spot?: {
    from?: string;
    to?: string;
    maxCloudCoverage?: number;
    maxIncidenceAngle?: number;
    order?: SpotOrderOptions;
  };
  /** Levels to download (default `['L2A']`). */
  levels?: readonly S2Level[];
  /** Split fractions (default 0.8/0.1/0.1). */
  splitFractions?: [number, number, number];
  /** Parallel catalogue searches and revisit downloads (default 4). */
  concurrency?: number;
  /** Most catalogue items per AOI search (default: `searchItemCap` of the window); more fails with `PAGE_LIMIT`. */
  maxItemsPerSearch?: number;
  /** Longest silence of a revisit download request before it is aborted and retried (ms; default 60 s; 0: off). */
  idleTimeoutMs?: number;
  /** Read limits for the classification rasters and the revisit COG reads; raster-io's defaults otherwise. */
  readLimits?: Partial<RasterIoLimits>;
  /** Ignore a saved plan and redo sampling, stratification and search (default false). */
  replan?: boolean;
  /** Plan (sampling, stratification, catalogue search) and count download requests; write nothing. */
  dryRun?: boolean;
  /** Injected fetch (tests, proxies). */
  fetch?: typeof fetch;
  /**
   * Run the per-AOI units (`rebuild-search`: catalogue search + matching; `rebuild-download`; with
   * `spot.order`, `rebuild-spot-order`) through this executor (`LocalExecutor`, or `QueueExecutor` for BullMQ
   * workers sharing `root`); the plan is the same as without one. Default: everything in this process. Units
   * use the executor's fetch (`new LocalExecutor({ fetch })`, or the workers' own), not `fetch`; a dry run
   * searches in this process.
   */
  executor?: Executor;
  /**
   * With a queue executor: enqueue the next stage's units and return (`detached`) instead of waiting for the
   * workers: the search units first (no plan is written until their results are in), then, on a later run whose
   * search results are all in, the downloads (and SPOT orders). A run without it waits and writes the tables.
   */
  detach?: boolean;
}

/** One AOI of the plan with its classes. */
export interface RebuildAoi extends Aoi, ClassColumns {
  /** Per-AOI target date (the SPOT acquisition day with `spot`). */
  targetDate?: string;
  /** The SPOT acquisition chosen for this AOI (with `spot`). */
  spot?: { id: string; datetime: string; cloudCover: number | null };
}

/** The saved plan (`<root>/rebuild/plan.json`). */
export interface RebuildPlan {
  version: 1;
  fingerprint: string;
  pool: { size: number; classified: number; outside: number; toppedUp: number };
  allocation: { class: string | number; count: number; poolCount: number }[];
  shortfalls: Shortfall[];
  aois: RebuildAoi[];
  targetDate: string;
  /** Matched revisits per level (SentinelHub: one matching reused for all levels, like upstream). */
  revisits: Partial<Record<S2Level, MatchedRevisit[]>>;
  duplicates: number;
  /** AOIs with fewer revisits than asked, per level. */
  matchShortfalls: { level: S2Level; aoi: string; found: number; wanted: number }[];
  searchRequests: number;
  /** AOIs dropped because no SPOT acquisition covers them (with `spot`). */
  spotMissing?: string[];
}

/** Result of {@link rebuild}. */
export interface RebuildResult {
  root: string;
  dryRun: boolean;
  /** Plan reused from an earlier run. */
  planReused: boolean;
  aois: number;
  revisits: Partial<Record<S2Level, number>>;
  /** Catalogue searches sent in this run (0 when the plan was reused). */
  searchRequests: number;
  /** Download work: revisits downloaded / skipped (already complete) / failed, per level; dry run: planned. */
  downloads: Partial<
    Record<S2Level, { downloaded: number; skipped: number; failed: number; planned: number }>
  >;
  /** Requests a dry run would send for downloads (STAC: band window reads; SentinelHub: Process API calls). */
  plannedRequests: number;
  /** SentinelHub processing-unit estimate (dry run / SentinelHub only). */
  processingUnits: number;
  shortfalls: Shortfall[];
  files: { metadata?: string; split?: string; plan?: string };
  /** Errors of revisits that failed (they stay missing; run again to retry). */
  failures: { level: S2Level; aoi: string; n: number; code: string; message: string }[];
  /** SPOT orders and HR downloads (with `spot.order`). */
  spot?: SpotOrdersResult;
  /** The units were enqueued and not waited for (`detach`): no tables written yet. */
  detached?: boolean;
  /**
   * With `detached`: the stage whose units were left queued — `search` (no plan yet: a later run makes it from
   * the workers' results), `download` or `spot`.
   */
  detachedStage?: 'search' | 'download' | 'spot';
}

/**
 * Open a classification raster from a local path or an http(s) URL (stratify's opener) for point lookups; a
 * missing one is the app's `DATASET_NOT_FOUND` like every other missing input.
 *
 * @param ref - file path or URL.
 * @param crs - CRS when the file names none (e.g. `ESRI:54009` for GHSL SMOD).
 * @param readLimits - read limits for its header and blocks (raster-io's defaults otherwise).
 * @returns the stratify `ClassRaster` (close it when done).
 * @throws {WorldStratError} `DATASET_NOT_FOUND` for a missing file or URL; stratify/raster-io errors.
 * @example
 * ```ts
 * const lc = await openClassificationRaster("lccs-2020.tif");
 * ```
 */
export async function openClassificationRaster(
  ref: string,
  crs?: string,
  readLimits?: Partial<RasterIoLimits>,
): Promise<ClassRaster> {
  checkString('openClassificationRaster', 'ref', ref);
  checkOptionalString('openClassificationRaster', 'crs', crs);
  checkOptionalObject('openClassificationRaster', 'readLimits', readLimits);
  try {
    return await openClassRasterPathOrUrl(ref, {
      ...(crs ? { crs: crs as never } : {}),
      ...(readLimits ? { readLimits } : {}),
    });
  } catch (err) {
    if (err instanceof StratifyError && err.code === 'RASTER_NOT_FOUND')
      throw new WorldStratError('DATASET_NOT_FOUND', err.message, { cause: err });
    throw err;
  }
}

/**
 * Entry checks of the options of {@link rebuild}, {@link planRebuild} (`full`: everything planning reads) and
 * {@link downloadPlanRevisits} (what downloading reads): the members' types, before any file or host is touched.
 */
function checkRebuildOptions(fn: string, options: RebuildOptions, full: boolean): void {
  checkObject(fn, 'options', options);
  const o = options as unknown as Record<string, unknown>;
  checkString(fn, 'options.root', o.root);
  checkObject(fn, 'options.provider', o.provider);
  const kind = (o.provider as { kind?: unknown }).kind;
  if (kind !== 'stac' && kind !== 'sentinelhub')
    throw argumentError(fn, 'options.provider.kind', '"stac" or "sentinelhub"', kind);
  if (o.levels !== undefined && o.levels !== null) checkStringList(fn, 'options.levels', o.levels);
  for (const k of ['concurrency', 'idleTimeoutMs'] as const) checkOptionalFinite(fn, `options.${k}`, o[k]);
  checkOptionalObject(fn, 'options.readLimits', o.readLimits);
  checkOptionalFunction(fn, 'options.fetch', o.fetch);
  if (!full) return;
  checkString(fn, 'options.landcover', o.landcover);
  checkArray(fn, 'options.dateRange', o.dateRange as readonly unknown[]);
  const range = o.dateRange as readonly unknown[];
  if (range.length !== 2)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${fn}: options.dateRange must be [start, end], got ${range.length} entries`,
    );
  for (const [i, d] of range.entries()) checkString(fn, `options.dateRange[${i}]`, d);
  for (const k of ['pointsFile', 'smod', 'smodCrs', 'targetDate'] as const)
    checkOptionalString(fn, `options.${k}`, o[k]);
  if (typeof o.landMask !== 'string') checkOptionalObject(fn, 'options.landMask', o.landMask);
  if (o.region !== undefined && o.region !== null) checkNumberList(fn, 'options.region', o.region);
  if (o.splitFractions !== undefined && o.splitFractions !== null)
    checkNumberList(fn, 'options.splitFractions', o.splitFractions);
  for (const k of [
    'poolSize',
    'target',
    'areaKm2',
    'seed',
    'nRevisits',
    'maxCloudCover',
    'maxItemsPerSearch',
  ] as const)
    checkOptionalFinite(fn, `options.${k}`, o[k]);
  checkOptionalChoice(fn, 'options.landcoverLegend', o.landcoverLegend, ['lccs', 'worldcover']);
  checkOptionalChoice(fn, 'options.weight', o.weight, ['cbrt', 'sqrt', 'linear']);
  checkOptionalChoice(fn, 'options.onShortfall', o.onShortfall, ['error', 'report']);
  checkOptionalObject(fn, 'options.spot', o.spot);
  if (o.executor !== undefined && o.executor !== null)
    checkWithMethods(fn, 'options.executor', o.executor, 'an executor (LocalExecutor, QueueExecutor)', [
      'run',
    ]);
}

/** The hash of the options a saved plan depends on (a plan is reused only when it matches). */
export function fingerprintOf(o: RebuildOptions, pointsText: string | null): string {
  const p = o.provider;
  const relevant = {
    points: pointsText === null ? null : createHash('sha256').update(pointsText).digest('hex'),
    poolSize: o.poolSize,
    region: o.region,
    landMask: typeof o.landMask === 'string' ? o.landMask : (o.landMask?.source ?? null),
    landcover: o.landcover,
    landcoverLegend: o.landcoverLegend,
    smod: o.smod,
    // the CRS a SMOD raster without one is read in decides its classes
    smodCrs: o.smodCrs,
    compat: o.compat,
    target: o.target,
    weight: o.weight,
    areaKm2: o.areaKm2,
    seed: o.seed,
    provider:
      p.kind === 'stac'
        ? { kind: p.kind, url: p.url, provider: typeof p.provider === 'string' ? p.provider : p.provider?.id }
        : { kind: p.kind, baseUrl: p.baseUrl },
    dateRange: o.dateRange,
    targetDate: o.targetDate,
    nRevisits: o.nRevisits,
    maxCloudCover: o.maxCloudCover,
    maxItemsPerSearch: o.maxItemsPerSearch,
    levels: o.levels,
    // ordering SPOT does not change the plan
    spot: o.spot ? { ...o.spot, order: undefined } : undefined,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/**
 * The plan as written to `plan.json`: a catalogue may echo the search URL's token or credentials into its items'
 * links, which downloads never follow, so their hrefs are redacted (token-like parameters, userinfo, and the
 * provider URL's own secrets). Asset hrefs stay as given: a reused plan downloads from them.
 */
export function planForDisk(plan: RebuildPlan, provider: RebuildProvider): RebuildPlan {
  const url = provider.kind === 'stac' ? provider.url : provider.baseUrl;
  const secrets = url ? urlSecrets(url) : [];
  const clean = (href: string) => secrets.reduce((h, x) => h.split(x).join('***'), redactUrl(href));
  const revisits = Object.fromEntries(
    Object.entries(plan.revisits).map(([level, list]) => [
      level,
      list?.map((r) => {
        const item = r.entry.item;
        if (!item || !Array.isArray(item.links)) return r;
        const links = item.links.map((l) =>
          typeof l?.href === 'string' ? { ...l, href: clean(l.href) } : l,
        );
        return { ...r, entry: { ...r.entry, item: { ...item, links } } };
      }),
    ]),
  );
  return { ...plan, revisits };
}

/** An ISO day or date-time option as its UTC day (`INVALID_ARGUMENT` otherwise). */
const isoDay = (d: string) => checkDay(d, 'date', true);

/**
 * Plan a rebuild: pool → classes → rebalanced draw → AOIs → catalogue search → matching. Pure planning: no
 * file is written (see {@link rebuild}).
 *
 * @param options - rebuild options.
 * @param context - signal, progress (`sample`, `classify`, `search`), log.
 * @returns the plan.
 * @throws {WorldStratError} `INVALID_ARGUMENT`, `DATASET_NOT_FOUND`; stratify / eo-fetch errors.
 * @example
 * ```ts
 * const plan = await planRebuild({ root: 'out', landcover: 'lccs.tif', target: 50, provider: { kind: 'stac' }, dateRange: ['2022-01-01', '2022-12-31'] });
 * ```
 */
export async function planRebuild(
  options: RebuildOptions,
  context: PipelineContext = {},
): Promise<RebuildPlan> {
  context = checkContext('planRebuild', context);
  checkRebuildOptions('planRebuild', options, true);
  // without detach the search is waited for: always a plan
  return (await planOrDetach(options, context, false)) as RebuildPlan;
}

/** A plan whose search units were enqueued and not waited for (`detach`): the AOIs drawn so far. */
interface DetachedSearch {
  detachedSearch: true;
  aois: number;
  shortfalls: Shortfall[];
}

/** The stages of {@link planRebuild}; with `detach`, a search still queued ends it early (no plan yet). */
async function planOrDetach(
  options: RebuildOptions,
  context: PipelineContext,
  detach: boolean,
): Promise<RebuildPlan | DetachedSearch> {
  throwIfAborted(context.signal);
  const { signal, onProgress, log } = context;
  const window = planWindow(options);
  const pointsText = await readPointsText(options);
  const samplePool = poolSampler(options, createRng(window.seed), signal);
  const pool = await initialPool(options, samplePool);
  onProgress?.({ stage: 'sample', done: pool.length, total: pool.length });
  throwIfAborted(signal);
  const classifier = await openClassifier(options, signal);
  try {
    const classified = await classifier.classify(pool);
    onProgress?.({ stage: 'classify', done: pool.length, total: pool.length });
    log?.(`pool: ${pool.length} points, ${classified.length} inside the land-cover classes`);
    if (classified.length === 0)
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `none of the ${pool.length} pool points falls on a land-cover class of ${options.landcover}; check the raster extent or --region`,
      );
    const draw = await drawAois(classified, options, window.seed, samplePool, classifier.classify, context);
    throwIfAborted(signal);
    // drawing never depends on search results (AOIs without revisits are reported, not replaced), so the
    // search can run after the draw, per AOI, wherever the executor runs it (a dry run writes nothing: here)
    const search =
      options.executor && !options.dryRun
        ? await searchPlanThroughExecutor(options.executor, draw.aois, options, window, context, detach)
        : await searchPlanInProcess(draw.aois, options, window, context);
    if (!search) return { detachedSearch: true, aois: draw.aois.length, shortfalls: draw.shortfalls };
    const { spot, found } = search;
    return {
      version: 1,
      fingerprint: fingerprintOf(options, pointsText),
      pool: {
        size: pool.length,
        classified: classified.length,
        outside: pool.length - classified.length,
        toppedUp: draw.toppedUp,
      },
      allocation: draw.allocation.map((a) => ({ class: a.class, count: a.count, poolCount: a.poolCount })),
      shortfalls: draw.shortfalls,
      aois: spot.aois,
      targetDate: window.targetDate,
      revisits: found.revisits,
      duplicates: found.duplicates,
      matchShortfalls: found.matchShortfalls,
      searchRequests: found.searchRequests + spot.requests,
      ...(spot.missing ? { spotMissing: spot.missing } : {}),
    };
  } finally {
    await classifier.close();
  }
}

/** What the catalogue stages add to a plan: kept AOIs, SPOT drops, matched revisits and counts. */
interface PlanSearch {
  spot: { aois: RebuildAoi[]; requests: number; missing?: string[] };
  found: Pick<RebuildPlan, 'revisits' | 'duplicates' | 'matchShortfalls' | 'searchRequests'>;
}

/** Stage: SPOT matching and the Sentinel-2 search of every AOI in this process. */
async function searchPlanInProcess(
  aois: RebuildAoi[],
  options: RebuildOptions,
  window: PlanWindow,
  context: PipelineContext,
): Promise<PlanSearch> {
  const spot = options.spot
    ? await matchSpotAcquisitions(aois, options, window, context)
    : { aois, requests: 0 };
  const found = await searchRevisits(
    spot.aois,
    {
      provider: options.provider,
      dateRange: [window.start, window.end],
      targetDate: window.targetDate,
      nRevisits: options.nRevisits,
      maxCloudCover: options.maxCloudCover,
      levels: window.levels,
      concurrency: options.concurrency,
      ...(options.maxItemsPerSearch !== undefined ? { maxItemsPerSearch: options.maxItemsPerSearch } : {}),
      fetch: options.fetch,
    },
    context,
  );
  for (const line of searchSkipLines(found)) context.log?.(line);
  return { spot, found };
}

/**
 * Stage: the same search as one `rebuild-search` unit per AOI (SPOT first, with `spot`) on the executor; with
 * `detach`, null when the units were enqueued and not waited for.
 */
async function searchPlanThroughExecutor(
  executor: Executor,
  aois: RebuildAoi[],
  options: RebuildOptions,
  window: PlanWindow,
  context: PipelineContext,
  detach: boolean,
): Promise<PlanSearch | null> {
  const spot = options.spot;
  if (spot && options.provider.kind !== 'sentinelhub')
    throw new WorldStratError('INVALID_ARGUMENT', 'spot search needs the SentinelHub provider');
  const r = await searchThroughExecutor(
    executor,
    aois,
    {
      root: options.root,
      provider: options.provider,
      levels: [...window.levels],
      dateRange: [window.start, window.end],
      targetDate: window.targetDate,
      ...(options.nRevisits !== undefined ? { nRevisits: options.nRevisits } : {}),
      ...(options.maxCloudCover !== undefined ? { maxCloudCover: options.maxCloudCover } : {}),
      ...(options.maxItemsPerSearch !== undefined ? { maxItemsPerSearch: options.maxItemsPerSearch } : {}),
      ...(spot
        ? {
            spot: {
              from: isoDay(spot.from ?? window.start),
              to: isoDay(spot.to ?? window.end),
              ...(spot.maxCloudCoverage !== undefined ? { maxCloudCoverage: spot.maxCloudCoverage } : {}),
              ...(spot.maxIncidenceAngle !== undefined ? { maxIncidenceAngle: spot.maxIncidenceAngle } : {}),
            },
          }
        : {}),
      concurrency: options.concurrency,
      detach,
    },
    context,
  );
  if (!r) return null;
  return {
    spot: { aois: r.aois, requests: 0, ...(r.spotMissing ? { missing: r.spotMissing } : {}) },
    found: r,
  };
}

/** The checked target, seed, levels and date window of a plan. */
interface PlanWindow {
  seed: number;
  levels: readonly S2Level[];
  start: string;
  end: string;
  targetDate: string;
}

/** Stage: check the target and the dates; the target date defaults to the middle of the window. */
function planWindow(options: RebuildOptions): PlanWindow {
  if (!Number.isInteger(options.target) || options.target < 1)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `target ${options.target}: use a positive integer number of AOIs`,
    );
  const [start, end] = options.dateRange.map(isoDay);
  if (start > end)
    throw new WorldStratError('INVALID_ARGUMENT', `dateRange ${start}/${end}: start is after end`);
  const targetDate =
    options.targetDate !== undefined
      ? isoDay(options.targetDate)
      : new Date((Date.parse(start) + Date.parse(end)) / 2).toISOString().slice(0, 10);
  return { seed: options.seed ?? 0, levels: options.levels ?? ['L2A'], start, end, targetDate };
}

/** The points file's text (for the plan's fingerprint), or null when the pool is sampled. */
async function readPointsText(options: RebuildOptions): Promise<string | null> {
  return options.pointsFile ? readInputText(options.pointsFile, 'points file') : null;
}

/** A pool point before classification. */
type PoolPoint = { name: string; lon: number; lat: number; source: string; parent?: string };
/** Draws `n` more land points (ids continue across calls). */
type PoolSampler = (n: number) => Promise<{ id: number; lon: number; lat: number }[]>;

/** Stage: the land-point sampler (over the region or the world), loading the land mask on first use. */
function poolSampler(options: RebuildOptions, rng: Rng, signal?: AbortSignal): PoolSampler {
  let mask: LandMask | undefined;
  const getMask = async () => {
    if (mask) return mask;
    mask =
      options.landMask === 'none'
        ? { source: 'none (every point counts as land)', isLand: () => true }
        : typeof options.landMask === 'string'
          ? await loadLandMaskFromGeoTiff(
              /^https?:\/\//i.test(options.landMask) ? options.landMask : await fileSource(options.landMask),
            )
          : (options.landMask ?? (await loadLandMask()));
    return mask;
  };
  let nextId = 0;
  return async (n) => {
    const m = await getMask();
    const pts = options.region
      ? samplePointsInRegion(n, options.region, m, rng, nextId)
      : await samplePointsOnLand(n, { rng, mask: m, firstId: nextId, signal });
    nextId += n;
    return pts;
  };
}

const namedPool = (pts: { id: number; lon: number; lat: number }[]): PoolPoint[] =>
  namePoints(pts).map((p) => ({ ...p, source: p.source ?? 'Landcover' }));

/** Stage: the pool: the points file's POIs, or `poolSize` (default 20 × target) sampled land points. */
async function initialPool(options: RebuildOptions, samplePool: PoolSampler): Promise<PoolPoint[]> {
  if (options.pointsFile) {
    const { pois } = await readPoisFile(options.pointsFile);
    return pois.map((p) => ({ name: p.name, lon: p.lon, lat: p.lat, source: p.source ?? 'POI' }));
  }
  return namedPool(await samplePool(options.poolSize ?? 20 * options.target));
}

type Classified = PoolPoint & ClassColumns;

/** Stage: the land-cover (+ settlement) rasters and a classify function keeping points inside the classes. */
async function openClassifier(
  options: RebuildOptions,
  signal?: AbortSignal,
): Promise<{ classify: (pts: PoolPoint[]) => Promise<Classified[]>; close: () => Promise<void> }> {
  const landcover = await openClassificationRaster(options.landcover, undefined, options.readLimits);
  const smod = options.smod
    ? await openClassificationRaster(options.smod, options.smodCrs ?? 'ESRI:54009', options.readLimits)
    : undefined;
  return {
    classify: async (pts) =>
      (
        await classifyPoints(pts, {
          landcover,
          smod,
          landcoverLegend: options.landcoverLegend,
          unknownClass: 'null',
          compat: options.compat,
          signal,
        })
      ).filter((r) => r.IPCC !== null),
    close: async () => {
      await landcover.close();
      await smod?.close();
    },
  };
}

/**
 * Stage: rebalance the classes and draw (short classes topped up by sampling more points when the pool is
 * sampled), then one AOI per drawn point.
 */
async function drawAois(
  classified: Classified[],
  options: RebuildOptions,
  seed: number,
  samplePool: PoolSampler,
  classify: (pts: PoolPoint[]) => Promise<Classified[]>,
  { signal, log }: PipelineContext,
) {
  let toppedUp = 0;
  const allocation = rebalance(classCounts(classified.map((r) => r.IPCC)), options.target, {
    weight: REBALANCE_WEIGHTS[options.weight ?? 'cbrt'],
  });
  const drawn = await stratifiedDraw(classified, (r) => r.IPCC, allocation, {
    seed,
    onShortfall: options.onShortfall ?? 'report',
    signal,
    topUp: options.pointsFile
      ? undefined
      : async (_cls, missing) => {
          const more = await classify(namedPool(await samplePool(Math.max(20, 10 * missing))));
          toppedUp += more.length;
          return more;
        },
  });
  for (const s of drawn.shortfalls)
    log?.(`class ${s.class}: drew ${s.drawn} of ${s.wanted} (pool too small)`);
  const aois: RebuildAoi[] = createAois(drawn.rows, options.areaKm2 ?? 2.5).map((a, i) => {
    const r = drawn.rows[i];
    return {
      ...a,
      source: r.source,
      landcover_id: r.landcover_id,
      LCCS: r.LCCS,
      IPCC: r.IPCC,
      SMOD_id: r.SMOD_id,
      SMOD: r.SMOD,
    };
  });
  return { allocation, shortfalls: drawn.shortfalls, aois, toppedUp };
}

/**
 * Stage (with `spot`): the SPOT acquisition nearest the target date per AOI (SentinelHub Catalog); AOIs without
 * one are dropped, the others take its date as their Sentinel-2 target date.
 */
async function matchSpotAcquisitions(
  aois: RebuildAoi[],
  options: RebuildOptions,
  window: PlanWindow,
  { signal, onProgress, log }: PipelineContext,
): Promise<{ aois: RebuildAoi[]; requests: number; missing?: string[] }> {
  const p = options.provider;
  const spot = options.spot;
  if (!spot) return { aois, requests: 0 };
  if (p.kind !== 'sentinelhub')
    throw new WorldStratError('INVALID_ARGUMENT', 'spot search needs the SentinelHub provider');
  const sh = await sentinelHubClientFor(p, options.fetch);
  const byAoi = new Map<string, CatalogueEntry[]>();
  let requests = 0;
  for (const a of aois) {
    const entries: CatalogueEntry[] = [];
    for await (const f of sh.spotSearch(
      {
        bbox: a.bounds,
        from: `${isoDay(spot.from ?? window.start)}T00:00:00Z`,
        to: `${isoDay(spot.to ?? window.end)}T23:59:59Z`,
        maxCloudCoverage: spot.maxCloudCoverage,
        maxIncidenceAngle: spot.maxIncidenceAngle,
      },
      { signal },
    ))
      entries.push(catalogueEntryFromSpotFeature(f));
    requests++;
    byAoi.set(a.name, entries);
    onProgress?.({ stage: 'search SPOT', done: requests, total: aois.length });
  }
  const m = matchRevisits(aois, byAoi, { targetDate: window.targetDate, nRevisits: 1 });
  const best = new Map(m.revisits.map((r) => [r.aoi, r.entry]));
  const missing = aois.filter((a) => !best.has(a.name)).map((a) => a.name);
  if (missing.length) log?.(`no SPOT acquisition covers ${missing.length} AOI(s): dropped`);
  const kept = aois.flatMap((a) => {
    const e = best.get(a.name);
    if (!e) return [];
    return [
      {
        ...a,
        targetDate: e.datetime.slice(0, 10),
        spot: { id: e.id, datetime: e.datetime, cloudCover: e.cloudCover },
      },
    ];
  });
  return { aois: kept, requests, missing };
}

/**
 * Rebuild a WorldStrat-style dataset end to end (see the file header): plan (or reuse `<root>/rebuild/plan.json`
 * when the options match), download revisits for every level with a manifest per level
 * (`<root>/rebuild/manifest-<level>.jsonl`), then write `metadata.csv` (one row per tile and revisit, the
 * synthetic/release columns) and `stratified_train_val_test_split.csv` (stratified by `source/IPCC/SMOD`,
 * grouped by parent). HR SPOT imagery is ordered and downloaded only with `spot.order` (see
 * {@link orderSpotImagery}; paid, so a dry run unless `spot.order.confirm`).
 *
 * @param options - rebuild options.
 * @param context - signal, progress, log.
 * @returns counts, files and failures.
 * @throws {WorldStratError} as {@link planRebuild}; `ABORTED`.
 * @example
 * ```ts
 * await rebuild({ root: 'rebuilt', landcover: 'C3S-LC-L4-LCCS-Map-300m-P1Y-2020-v2.1.1.tif', target: 100,
 *   provider: { kind: 'stac', provider: 'earth-search' }, dateRange: ['2022-05-01', '2022-08-31'] });
 * ```
 */
export async function rebuild(
  options: RebuildOptions,
  context: PipelineContext = {},
): Promise<RebuildResult> {
  context = checkContext('rebuild', context);
  checkRebuildOptions('rebuild', options, true);
  await checkRebuildInputsApart(options);
  throwIfAborted(context.signal);
  const { log } = context;
  const levels = options.levels ?? ['L2A'];
  const planPath = join(options.root, 'rebuild', 'plan.json');
  const saved = await savedPlan(options, planPath, context);
  const planReused = Boolean(saved);
  const planned = saved ?? (await planOrDetach(options, context, Boolean(options.detach)));
  if ('detachedSearch' in planned) return detachedSearchResult(options, planned);
  const plan = planned;
  if (!saved && !options.dryRun)
    await writeFileAtomic(planPath, `${JSON.stringify(planForDisk(plan, options.provider))}\n`);
  const result: RebuildResult = {
    root: options.root,
    dryRun: Boolean(options.dryRun),
    planReused,
    aois: plan.aois.length,
    revisits: Object.fromEntries(levels.map((l) => [l, plan.revisits[l]?.length ?? 0])),
    searchRequests: planReused ? 0 : plan.searchRequests,
    downloads: {},
    plannedRequests: 0,
    processingUnits: 0,
    shortfalls: plan.shortfalls,
    files: options.dryRun ? {} : { plan: planPath },
    failures: [],
  };
  // the executor hook: per-AOI units (local or queue workers) instead of one in-process download
  const dl =
    options.executor && !options.dryRun
      ? await downloadThroughExecutor(
          options.executor,
          plan.aois,
          plan.revisits,
          {
            root: options.root,
            provider: options.provider,
            levels,
            concurrency: options.concurrency,
            ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
            ...(options.readLimits ? { readLimits: options.readLimits } : {}),
            detach: options.detach,
          },
          context,
        )
      : await downloadPlanRevisits(plan, plan.aois, options, context);
  if (!dl) return { ...result, detached: true, detachedStage: 'download' };
  result.downloads = dl.downloads;
  result.plannedRequests = dl.plannedRequests;
  result.processingUnits = dl.processingUnits;
  result.failures = dl.failures;
  if (!options.dryRun) {
    const failed = new Set(dl.failures.map((f) => `${f.level}/${f.aoi}/${f.n}`));
    result.files = { ...result.files, ...(await writeReleaseTables(plan, failed, options)) };
  }
  if (options.spot?.order) {
    const spot = await orderPlanSpot(plan, options.spot.order, options, context);
    if (!spot) return { ...result, detached: true, detachedStage: 'spot' };
    result.spot = spot;
  }
  if (!options.dryRun && result.failures.length)
    log?.(`${result.failures.length} revisit download(s) failed; run the same command again to retry them`);
  return result;
}

/** The result of a run that left its search units queued (`detach`): no plan, downloads or tables yet. */
function detachedSearchResult(options: RebuildOptions, d: DetachedSearch): RebuildResult {
  return {
    root: options.root,
    dryRun: false,
    planReused: false,
    aois: d.aois,
    revisits: {},
    searchRequests: 0,
    downloads: {},
    plannedRequests: 0,
    processingUnits: 0,
    shortfalls: d.shortfalls,
    files: {},
    failures: [],
    detached: true,
    detachedStage: 'search',
  };
}

/**
 * Stage: no input file (points, rasters, land mask) is a table the rebuild writes or lies in a folder it fills:
 * e.g. `pointsFile: <root>/metadata.csv` would be read, then replaced by the new table.
 */
async function checkRebuildInputsApart(options: RebuildOptions): Promise<void> {
  const { root } = options;
  const inputs: NamedPath[] = [{ path: options.landcover, what: 'land-cover raster' }];
  if (options.pointsFile) inputs.push({ path: options.pointsFile, what: 'points file' });
  if (options.smod) inputs.push({ path: options.smod, what: 'settlement raster' });
  if (typeof options.landMask === 'string' && options.landMask !== 'none')
    inputs.push({ path: options.landMask, what: 'land mask' });
  await checkOutputPaths(
    [
      { path: metadataCsvPath(root), what: 'the metadata table' },
      { path: splitCsvPath(root), what: 'the split table' },
    ],
    inputs,
    ['rebuild', 'lr_dataset', 'hr_dataset'].map((d) => ({ path: join(root, d), what: 'the dataset folder' })),
  );
}

/** The plan saved by an earlier run with the same options (unless `replan`), else undefined. */
async function savedPlan(
  options: RebuildOptions,
  planPath: string,
  { log }: PipelineContext,
): Promise<RebuildPlan | undefined> {
  if (options.replan) return undefined;
  const fingerprint = fingerprintOf(options, await readPointsText(options));
  const saved = await readSavedPlan(planPath);
  if (saved?.version === 1 && saved.fingerprint === fingerprint) {
    const plan = checkSavedPlan(saved, planPath);
    log?.(`reusing the plan in ${planPath} (${plan.aois.length} AOIs)`);
    return plan;
  }
  if (saved) log?.('saved plan was made with other options: planning again');
  return undefined;
}

/** The saved plan's JSON (an object or not: checked once its fingerprint matches), or undefined when absent. */
async function readSavedPlan(planPath: string): Promise<Record<string, unknown> | undefined> {
  const text = await readOptionalText(planPath, 'saved plan', MAX_INPUT_FILE_BYTES);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new WorldStratError(
      'UNREADABLE_FILE',
      `saved plan ${planPath} is not JSON (${(e as Error).message}); run with replan (--replan) to plan again`,
      { cause: e },
    );
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc)
    ? (doc as Record<string, unknown>)
    : { version: undefined };
}

/**
 * Check a saved plan whose fingerprint matches, member by member: it is reused as is (downloads, tables).
 *
 * @param p - the parsed plan.
 * @param planPath - its file, for messages.
 * @returns the plan.
 * @throws {WorldStratError} `UNREADABLE_FILE` naming the file and the member.
 */
export function checkSavedPlan(p: Record<string, unknown>, planPath: string): RebuildPlan {
  const doc: DocumentSource = {
    source: `saved plan ${planPath} (run with replan to plan again)`,
    code: 'UNREADABLE_FILE',
  };
  const count = (v: unknown, at: string) => integer(doc, v, at, 0, MAX_LIST_LENGTH * 100);
  const pool = record(doc, p.pool, 'pool');
  for (const k of ['size', 'classified', 'outside', 'toppedUp']) count(pool[k], `pool.${k}`);
  for (const [i, a] of list(doc, p.allocation, 'allocation').entries()) {
    const at = `allocation[${i}]`;
    const r = record(doc, a, at);
    classKey(doc, r.class, `${at}.class`);
    count(r.count, `${at}.count`);
    count(r.poolCount, `${at}.poolCount`);
  }
  for (const [i, s] of list(doc, p.shortfalls, 'shortfalls').entries()) {
    const r = record(doc, s, `shortfalls[${i}]`);
    classKey(doc, r.class, `shortfalls[${i}].class`);
    count(r.wanted, `shortfalls[${i}].wanted`);
    count(r.drawn, `shortfalls[${i}].drawn`);
  }
  const names = matchAois(doc, p.aois, 'aois');
  for (const [i, a] of (p.aois as unknown[]).entries())
    planAoi(doc, a as Record<string, unknown>, `aois[${i}]`);
  isoDate(doc, p.targetDate, 'targetDate');
  revisitsByLevel(doc, p.revisits, 'revisits', names);
  count(p.duplicates, 'duplicates');
  matchShortfalls(doc, p.matchShortfalls, 'matchShortfalls');
  count(p.searchRequests, 'searchRequests');
  optional(p.spotMissing, (v) => {
    for (const [i, x] of list(doc, v, 'spotMissing').entries()) text(doc, x, `spotMissing[${i}]`);
  });
  return p as unknown as RebuildPlan;
}

/** A class of the draw (IPCC label or joint key). */
function classKey(doc: DocumentSource, v: unknown, at: string): void {
  if (typeof v === 'number') finite(doc, v, at, -1e9, 1e9);
  else text(doc, v, at, 256);
}

/** What the release tables and SPOT orders read of a plan AOI beyond the matching fields. */
function planAoi(doc: DocumentSource, a: Record<string, unknown>, at: string): void {
  finite(doc, a.lon, `${at}.lon`, -180, 180);
  finite(doc, a.lat, `${at}.lat`, -90, 90);
  text(doc, a.source, `${at}.source`, 256);
  optional(a.parent, (v) => aoiName(doc, v, `${at}.parent`));
  for (const k of ['landcover_id', 'SMOD_id']) if (a[k] !== null) integer(doc, a[k], `${at}.${k}`, -1e9, 1e9);
  for (const k of ['LCCS', 'IPCC', 'SMOD']) if (a[k] !== null) text(doc, a[k], `${at}.${k}`, 256, true);
  optional(a.spot, (v) => {
    const s = record(doc, v, `${at}.spot`);
    text(doc, s.id, `${at}.spot.id`);
    isoDate(doc, s.datetime, `${at}.spot.datetime`, true);
    if (s.cloudCover !== null) finite(doc, s.cloudCover, `${at}.spot.cloudCover`, 0, 100);
  });
}

/**
 * The per-AOI unit of a rebuild: download the planned revisits of `aois` (all of the plan's, or one AOI when a
 * queue dispatches units) into the release layout; resumable through the per-level manifests.
 *
 * @param plan - the rebuild plan.
 * @param aois - the AOIs to download (a subset of `plan.aois`).
 * @param options - rebuild options (root, provider, levels, limits, dry run).
 * @param context - signal, progress, log.
 * @returns per-level counts, planned requests and failures (failed revisits are listed, not thrown).
 */
export async function downloadPlanRevisits(
  plan: RebuildPlan,
  aois: readonly RebuildAoi[],
  options: RebuildOptions,
  context: PipelineContext = {},
): Promise<DownloadRevisitsResult> {
  const fn = 'downloadPlanRevisits';
  context = checkContext(fn, context);
  checkObject(fn, 'plan', plan);
  checkObject(fn, 'plan.revisits', plan.revisits);
  for (const [level, list] of Object.entries(plan.revisits))
    if (list !== undefined) checkArray(fn, `plan.revisits.${level}`, list);
  checkArray(fn, 'aois', aois);
  for (const [i, a] of aois.entries()) checkObject(fn, `aois[${i}]`, a);
  checkRebuildOptions(fn, options, false);
  throwIfAborted(context.signal);
  const names = new Set(aois.map((a) => a.name));
  const revisits =
    aois === plan.aois
      ? plan.revisits
      : Object.fromEntries(
          Object.entries(plan.revisits).map(([level, list]) => [
            level,
            list?.filter((r) => names.has(r.aoi)),
          ]),
        );
  return downloadRevisits(
    aois,
    revisits,
    {
      root: options.root,
      provider: options.provider,
      levels: options.levels ?? ['L2A'],
      concurrency: options.concurrency,
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.readLimits ? { readLimits: options.readLimits } : {}),
      dryRun: options.dryRun,
      fetch: options.fetch,
    },
    context,
  );
}

/** Stage: order and download the SPOT HR imagery of the plan's AOIs (a dry run unless confirmed). */
async function orderPlanSpot(
  plan: RebuildPlan,
  spotOrder: SpotOrderOptions,
  options: RebuildOptions,
  context: PipelineContext,
): Promise<SpotOrdersResult | null> {
  const p = options.provider;
  if (p.kind !== 'sentinelhub')
    throw new WorldStratError('INVALID_ARGUMENT', 'ordering SPOT needs the SentinelHub provider');
  // per-AOI `rebuild-spot-order` units on the executor (order lookup + creation under a shared lock)
  const s =
    options.executor && !options.dryRun
      ? await spotThroughExecutor(
          options.executor,
          plan.aois,
          {
            root: options.root,
            provider: p,
            order: spotOrder,
            concurrency: options.concurrency,
            detach: options.detach,
          },
          context,
        )
      : await orderSpotImagery(
          await sentinelHubClientFor(p, options.fetch),
          plan.aois,
          { ...spotOrder, root: options.root, concurrency: options.concurrency, dryRun: options.dryRun },
          context,
        );
  if (!s) return null;
  context.log?.(
    s.dryRun
      ? `SPOT: ${s.orders.length} order(s), ${s.newSqkm} km² would be ordered (dry run: pass confirm to order)`
      : `SPOT: ${s.created} order(s) created, ${s.reused} reused; HR files ${s.downloads.downloaded} downloaded, ${s.downloads.skipped} complete, ${s.pansharpened} pansharpened`,
  );
  return s;
}

/**
 * Stage: the tables of the release layout (`metadata.csv`, the split CSV) for AOIs with at least one complete
 * revisit of the first level.
 */
async function writeReleaseTables(
  plan: RebuildPlan,
  failedRevisits: ReadonlySet<string>,
  options: RebuildOptions,
): Promise<{ metadata: string; split: string }> {
  const first = (options.levels ?? ['L2A'])[0];
  const rows: MetadataRow[] = [];
  const withData = new Set<string>();
  const byName = new Map(plan.aois.map((a) => [a.name, a]));
  for (const r of plan.revisits[first] ?? []) {
    if (failedRevisits.has(`${first}/${r.aoi}/${r.n}`)) continue;
    const a = byName.get(r.aoi)!;
    withData.add(a.name);
    rows.push({
      tile: a.name,
      n: r.n,
      lowres_date: r.entry.datetime.slice(0, 10),
      highres_date: a.targetDate ?? plan.targetDate,
      bounds: JSON.stringify(a.bounds),
      area: r.areaKm2,
      cloud_cover: r.entry.cloudCover,
      delta: r.deltaDays,
      lon: a.lon,
      lat: a.lat,
      LCCS: a.landcover_id,
      SMOD: a.SMOD_id,
      'IPCC Class': a.IPCC,
      'LCCS class': a.LCCS,
      'SMOD Class': a.SMOD,
      source: a.source,
    });
  }
  const metadataPath = await writeMetadataCsv(options.root, rows);
  const tiles = plan.aois.filter((a) => withData.has(a.name));
  const split = stratifiedSplit(tiles, {
    nameOf: (a) => a.name,
    classOf: (a) => jointClass(a.source, a.IPCC, a.SMOD_id),
    groupOf: (a) => a.parent ?? a.name,
    fractions: options.splitFractions,
    seed: options.seed ?? 0,
  });
  const splitPath = await writeSplitCsv(
    options.root,
    tiles.map((a) => ({
      tile: a.name,
      ipcc: a.IPCC,
      smod: a.SMOD_id,
      source: a.source,
      split: split.splitOf.get(a.name) ?? '',
    })),
    options.nRevisits ?? 16,
  );
  return { metadata: metadataPath, split: splitPath };
}

/** The `rebuild` pipeline (see {@link rebuild}). */
export const rebuildPipeline = definePipeline<RebuildOptions, RebuildResult>({
  name: 'rebuild',
  description:
    'rebuild a WorldStrat-style dataset: sample → stratify → AOIs → catalogue search → matching → download → layout',
  run: rebuild,
});
