// `rebuild`: regenerate a WorldStrat-style dataset from scratch (spec-dataset-generation §0):
// sample points (or read POIs) → stratify (land-cover + settlement rasters) → rebalance and draw → AOIs →
// catalogue search (STAC API or SentinelHub Catalog) → temporal matching → revisit download → release layout
// (lr_dataset/…, metadata.csv, stratified_train_val_test_split.csv). The plan (everything up to matching) is
// saved in <root>/rebuild/plan.json and reused by re-runs with the same options; downloads resume through
// eo-fetch's manifests, so an interrupted rebuild continues where it stopped.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CatalogueEntry,
  catalogueEntryFromSpotFeature,
  type MatchedRevisit,
  matchRevisits,
  type S2Level,
} from '@worldstrat/eo-fetch';
import {
  type Aoi,
  createAois,
  createRng,
  type LandMask,
  loadLandMask,
  loadLandMaskFromGeoTiff,
  namePoints,
  type Rng,
  samplePointsOnLand,
} from '@worldstrat/geo-sampling';
import { readPoisFile } from '@worldstrat/geo-sampling/node';
import { type BBox, httpSource, type RasterIoLimits } from '@worldstrat/raster-io';
import { fileSource, writeFileAtomic } from '@worldstrat/raster-io/node';
import {
  type ClassColumns,
  type ClassRaster,
  classCounts,
  classifyPoints,
  openClassRaster,
  rebalance,
  type Shortfall,
  stratifiedDraw,
  stratifiedSplit,
} from '@worldstrat/stratify';
import { openClassRasterFile } from '@worldstrat/stratify/node';
import { METADATA_COLUMNS } from '../dataset/constants.js';
import { throwIfAborted, WorldStratError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import { downloadThroughExecutor } from '../executors/rebuild-units.node.js';
import { toCsv } from '../internal/csv.js';
import { SPLIT_CSV_NAME } from '../synthetic/generate-synthetic-dataset.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import {
  downloadRevisits,
  type RevisitProvider,
  searchRevisits,
  searchSkipLines,
  sentinelHubClientFor,
} from './revisit-stages.node.js';
import { orderSpotImagery, type SpotOrderOptions, type SpotOrdersResult } from './spot-orders.node.js';

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
  /** Upstream's ceil pixel rounding in lookups (spec §4.1). */
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
   * Run the per-AOI download units through this executor (`LocalExecutor`, or `QueueExecutor` for BullMQ
   * workers sharing `root`); default: one in-process download of every revisit. Units use the executor's
   * fetch (`new LocalExecutor({ fetch })`, or the workers' own), not `fetch`.
   */
  executor?: Executor;
  /** With a queue executor: enqueue the units and return (`detached`); a later run waits and writes the tables. */
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
}

const WEIGHTS = { cbrt: Math.cbrt, sqrt: Math.sqrt, linear: (c: number) => c } as const;
const DEG = Math.PI / 180;

/**
 * Area-uniform points inside a lon/lat box (lon uniform, sin(lat) uniform), kept where `mask` says land.
 *
 * @param n - points wanted.
 * @param region - `[minLon, minLat, maxLon, maxLat]` (no antimeridian crossing).
 * @param mask - land mask.
 * @param rng - geo-sampling PRNG.
 * @param firstId - id of the first point (ids are sequential).
 * @returns points `{id, lon, lat}`.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for a bad box, or when 1000·n draws found too little land.
 * @example
 * ```ts
 * samplePointsInRegion(10, [8, 47, 9, 48], await loadLandMask(), createRng(1));
 * ```
 */
export function samplePointsInRegion(
  n: number,
  region: BBox,
  mask: LandMask,
  rng: Rng,
  firstId = 0,
): { id: number; lon: number; lat: number }[] {
  const [w, s, e, no] = region;
  if (!(w < e && s < no && w >= -180 && e <= 180 && s >= -90 && no <= 90))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `region ${JSON.stringify(region)}: expected [minLon, minLat, maxLon, maxLat] with min < max inside [-180, 180] × [-90, 90]`,
    );
  const s0 = Math.sin(s * DEG);
  const s1 = Math.sin(no * DEG);
  const out: { id: number; lon: number; lat: number }[] = [];
  let tries = 0;
  while (out.length < n) {
    if (++tries > 1000 * Math.max(n, 1))
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `region ${JSON.stringify(region)} is (almost) all water for the land mask: found ${out.length} of ${n} points in ${tries - 1} draws`,
      );
    const lon = w + (e - w) * rng.next();
    const lat = Math.asin(s0 + (s1 - s0) * rng.next()) / DEG;
    if (mask.isLand(lon, lat)) out.push({ id: firstId + out.length, lon, lat });
  }
  return out;
}

/**
 * Open a classification raster from a local path or an http(s) URL (COG range reads) for point lookups.
 *
 * @param ref - file path or URL.
 * @param crs - CRS when the file names none (e.g. `ESRI:54009` for GHSL SMOD).
 * @param readLimits - read limits for its header and blocks (raster-io's defaults otherwise).
 * @returns the stratify `ClassRaster` (close it when done).
 * @throws {WorldStratError} `DATASET_NOT_FOUND` for a missing local file; stratify/raster-io errors.
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
  const opts = { ...(crs ? { crs: crs as never } : {}), ...(readLimits ? { readLimits } : {}) };
  if (!/^https?:\/\//i.test(ref) && !(await stat(ref).catch(() => null))?.isFile())
    throw new WorldStratError(
      'DATASET_NOT_FOUND',
      `classification raster ${ref} does not exist; pass an existing file or an http(s) URL`,
    );
  try {
    return /^https?:\/\//i.test(ref)
      ? await openClassRaster(httpSource(ref), { name: ref, ...opts })
      : await openClassRasterFile(ref, opts);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'NOT_FOUND')
      throw new WorldStratError('DATASET_NOT_FOUND', `classification raster ${ref} not found`, {
        cause: err,
      });
    throw err;
  }
}

function fingerprintOf(o: RebuildOptions, pointsText: string | null): string {
  const p = o.provider;
  const relevant = {
    points: pointsText === null ? null : createHash('sha256').update(pointsText).digest('hex'),
    poolSize: o.poolSize,
    region: o.region,
    landMask: typeof o.landMask === 'string' ? o.landMask : (o.landMask?.source ?? null),
    landcover: o.landcover,
    landcoverLegend: o.landcoverLegend,
    smod: o.smod,
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
    levels: o.levels,
    // ordering SPOT does not change the plan
    spot: o.spot ? { ...o.spot, order: undefined } : undefined,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

const isoDay = (d: string) => {
  const t = Date.parse(d);
  if (Number.isNaN(t))
    throw new WorldStratError('INVALID_ARGUMENT', `date ${d}: expected an ISO date (YYYY-MM-DD)`);
  return new Date(t).toISOString().slice(0, 10);
};

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
  const { signal, onProgress, log } = context;
  if (!Number.isInteger(options.target) || options.target < 1)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `target ${options.target}: use a positive integer number of AOIs`,
    );
  const seed = options.seed ?? 0;
  const areaKm2 = options.areaKm2 ?? 2.5;
  const levels = options.levels ?? ['L2A'];
  const [start, end] = options.dateRange.map(isoDay);
  if (start > end)
    throw new WorldStratError('INVALID_ARGUMENT', `dateRange ${start}/${end}: start is after end`);
  const targetDate =
    options.targetDate !== undefined
      ? isoDay(options.targetDate)
      : new Date((Date.parse(start) + Date.parse(end)) / 2).toISOString().slice(0, 10);
  const pointsText = options.pointsFile
    ? await readFile(options.pointsFile, 'utf8').catch((e) => {
        throw new WorldStratError(
          'DATASET_NOT_FOUND',
          `points file ${options.pointsFile}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      })
    : null;

  // (A) pool
  const rng = createRng(seed);
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
  const samplePool = async (n: number) => {
    const m = await getMask();
    let pts: { id: number; lon: number; lat: number }[];
    if (options.region) pts = samplePointsInRegion(n, options.region, m, rng, nextId);
    else {
      pts = await samplePointsOnLand(n, { rng, mask: m, firstId: nextId, signal });
    }
    nextId += n;
    return pts;
  };
  type PoolPoint = { name: string; lon: number; lat: number; source: string; parent?: string };
  let pool: PoolPoint[];
  if (options.pointsFile) {
    const { pois } = await readPoisFile(options.pointsFile);
    pool = pois.map((p) => ({ name: p.name, lon: p.lon, lat: p.lat, source: p.source ?? 'POI' }));
  } else {
    const n = options.poolSize ?? 20 * options.target;
    pool = namePoints(await samplePool(n)).map((p) => ({ ...p, source: p.source ?? 'Landcover' }));
  }
  onProgress?.({ stage: 'sample', done: pool.length, total: pool.length });
  throwIfAborted(signal);

  // (B) stratify
  const landcover = await openClassificationRaster(options.landcover, undefined, options.readLimits);
  const smod = options.smod
    ? await openClassificationRaster(options.smod, options.smodCrs ?? 'ESRI:54009', options.readLimits)
    : undefined;
  const classify = async (pts: PoolPoint[]) =>
    (
      await classifyPoints(pts, {
        landcover,
        smod,
        landcoverLegend: options.landcoverLegend,
        unknownClass: 'null',
        compat: options.compat,
        signal,
      })
    ).filter((r) => r.IPCC !== null);
  let toppedUp = 0;
  let plan: RebuildPlan;
  try {
    const classified = await classify(pool);
    onProgress?.({ stage: 'classify', done: pool.length, total: pool.length });
    log?.(`pool: ${pool.length} points, ${classified.length} inside the land-cover classes`);
    if (classified.length === 0)
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `none of the ${pool.length} pool points falls on a land-cover class of ${options.landcover}; check the raster extent or --region`,
      );

    // (C) rebalance + draw (short classes topped up by sampling more points when we sample)
    const allocation = rebalance(classCounts(classified.map((r) => r.IPCC)), options.target, {
      weight: WEIGHTS[options.weight ?? 'cbrt'],
    });
    const drawn = await stratifiedDraw(classified, (r) => r.IPCC, allocation, {
      seed,
      onShortfall: options.onShortfall ?? 'report',
      signal,
      topUp: options.pointsFile
        ? undefined
        : async (_cls, missing) => {
            const more = await classify(
              namePoints(await samplePool(Math.max(20, 10 * missing))).map((p) => ({
                ...p,
                source: p.source ?? 'Landcover',
              })),
            );
            toppedUp += more.length;
            return more;
          },
    });
    for (const s of drawn.shortfalls)
      log?.(`class ${s.class}: drew ${s.drawn} of ${s.wanted} (pool too small)`);

    // (D) AOIs
    const aoiList = createAois(drawn.rows, areaKm2);
    let aois: RebuildAoi[] = aoiList.map((a, i) => {
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
    throwIfAborted(signal);

    // (E) catalogue search + (F) matching
    let spotRequests = 0;
    let spotMissing: string[] | undefined;
    if (options.spot) {
      const p = options.provider;
      if (p.kind !== 'sentinelhub')
        throw new WorldStratError('INVALID_ARGUMENT', 'spot search needs the SentinelHub provider');
      const sh = await sentinelHubClientFor(p, options.fetch);
      const byAoi = new Map<string, CatalogueEntry[]>();
      for (const a of aois) {
        const entries: CatalogueEntry[] = [];
        for await (const f of sh.spotSearch(
          {
            bbox: a.bounds,
            from: `${isoDay(options.spot.from ?? start)}T00:00:00Z`,
            to: `${isoDay(options.spot.to ?? end)}T23:59:59Z`,
            maxCloudCoverage: options.spot.maxCloudCoverage,
            maxIncidenceAngle: options.spot.maxIncidenceAngle,
          },
          { signal },
        ))
          entries.push(catalogueEntryFromSpotFeature(f));
        spotRequests++;
        byAoi.set(a.name, entries);
        onProgress?.({ stage: 'search SPOT', done: spotRequests, total: aois.length });
      }
      const m = matchRevisits(aois, byAoi, { targetDate, nRevisits: 1 });
      const best = new Map(m.revisits.map((r) => [r.aoi, r.entry]));
      spotMissing = aois.filter((a) => !best.has(a.name)).map((a) => a.name);
      if (spotMissing.length) log?.(`no SPOT acquisition covers ${spotMissing.length} AOI(s): dropped`);
      aois = aois
        .filter((a) => best.has(a.name))
        .map((a) => {
          const e = best.get(a.name)!;
          return {
            ...a,
            targetDate: e.datetime.slice(0, 10),
            spot: { id: e.id, datetime: e.datetime, cloudCover: e.cloudCover },
          };
        });
    }
    const found = await searchRevisits(
      aois,
      {
        provider: options.provider,
        dateRange: [start, end],
        targetDate,
        nRevisits: options.nRevisits,
        maxCloudCover: options.maxCloudCover,
        levels,
        concurrency: options.concurrency,
        ...(options.maxItemsPerSearch !== undefined ? { maxItemsPerSearch: options.maxItemsPerSearch } : {}),
        fetch: options.fetch,
      },
      context,
    );
    for (const line of searchSkipLines(found)) context.log?.(line);
    const { revisits, duplicates, matchShortfalls } = found;
    const searchRequests = found.searchRequests + spotRequests;
    plan = {
      version: 1,
      fingerprint: fingerprintOf(options, pointsText),
      pool: {
        size: pool.length,
        classified: classified.length,
        outside: pool.length - classified.length,
        toppedUp,
      },
      allocation: allocation.map((a) => ({ class: a.class, count: a.count, poolCount: a.poolCount })),
      shortfalls: drawn.shortfalls,
      aois,
      targetDate,
      revisits,
      duplicates,
      matchShortfalls,
      searchRequests,
      ...(spotMissing ? { spotMissing } : {}),
    };
  } finally {
    await landcover.close();
    await smod?.close();
  }
  return plan;
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
  const { log } = context;
  const levels = options.levels ?? ['L2A'];
  const planPath = join(options.root, 'rebuild', 'plan.json');
  const pointsText = options.pointsFile ? await readFile(options.pointsFile, 'utf8').catch(() => null) : null;
  const fingerprint = fingerprintOf(options, pointsText);
  let plan: RebuildPlan | undefined;
  if (!options.replan) {
    const saved = await readFile(planPath, 'utf8').then(
      (t) => JSON.parse(t) as RebuildPlan,
      () => undefined,
    );
    if (saved?.version === 1 && saved.fingerprint === fingerprint) plan = saved;
    else if (saved) log?.('saved plan was made with other options: planning again');
  }
  const planReused = Boolean(plan);
  if (plan) log?.(`reusing the plan in ${planPath} (${plan.aois.length} AOIs)`);
  else {
    plan = await planRebuild(options, context);
    if (!options.dryRun) await writeFileAtomic(planPath, `${JSON.stringify(plan)}\n`);
  }
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
  const downloadOptions = {
    root: options.root,
    provider: options.provider,
    levels,
    concurrency: options.concurrency,
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.readLimits ? { readLimits: options.readLimits } : {}),
  };
  // the executor hook: per-AOI units (local or queue workers) instead of one in-process download
  const dl =
    options.executor && !options.dryRun
      ? await downloadThroughExecutor(
          options.executor,
          plan.aois,
          plan.revisits,
          { ...downloadOptions, detach: options.detach },
          context,
        )
      : await downloadRevisits(
          plan.aois,
          plan.revisits,
          { ...downloadOptions, dryRun: options.dryRun, fetch: options.fetch },
          context,
        );
  if (!dl) return { ...result, detached: true };
  result.downloads = dl.downloads;
  result.plannedRequests = dl.plannedRequests;
  result.processingUnits = dl.processingUnits;
  result.failures = dl.failures;
  const failedRevisits = new Set(dl.failures.map((f) => `${f.level}/${f.aoi}/${f.n}`));
  const spotOrder = options.spot?.order;
  const orderSpot = async () => {
    if (!spotOrder) return;
    const p = options.provider;
    if (p.kind !== 'sentinelhub')
      throw new WorldStratError('INVALID_ARGUMENT', 'ordering SPOT needs the SentinelHub provider');
    const sh = await sentinelHubClientFor(p, options.fetch);
    result.spot = await orderSpotImagery(
      sh,
      plan.aois,
      { ...spotOrder, root: options.root, concurrency: options.concurrency, dryRun: options.dryRun },
      context,
    );
    const s = result.spot;
    log?.(
      s.dryRun
        ? `SPOT: ${s.orders.length} order(s), ${s.newSqkm} km² would be ordered (dry run: pass confirm to order)`
        : `SPOT: ${s.created} order(s) created, ${s.reused} reused; HR files ${s.downloads.downloaded} downloaded, ${s.downloads.skipped} complete, ${s.pansharpened} pansharpened`,
    );
  };
  if (options.dryRun) {
    await orderSpot();
    return result;
  }

  // (K) tables of the release layout, for AOIs with at least one complete revisit of the first level
  const first = levels[0];
  const rows: (string | number | null)[][] = [];
  const withData = new Set<string>();
  const byName = new Map(plan.aois.map((a) => [a.name, a]));
  for (const r of plan.revisits[first] ?? []) {
    if (failedRevisits.has(`${first}/${r.aoi}/${r.n}`)) continue;
    const a = byName.get(r.aoi)!;
    withData.add(a.name);
    rows.push([
      a.name,
      r.n,
      r.entry.datetime.slice(0, 10),
      a.targetDate ?? plan.targetDate,
      JSON.stringify(a.bounds),
      r.areaKm2,
      r.entry.cloudCover,
      r.deltaDays,
      a.lon,
      a.lat,
      a.landcover_id,
      a.SMOD_id,
      a.IPCC,
      a.LCCS,
      a.SMOD,
      a.source,
    ]);
  }
  const metadataPath = join(options.root, 'metadata.csv');
  await writeFileAtomic(metadataPath, toCsv(METADATA_COLUMNS, rows));
  const tiles = plan.aois.filter((a) => withData.has(a.name));
  const jointClass = (a: RebuildAoi) => `${a.source}/${a.IPCC}/${a.SMOD_id ?? 'None'}`;
  const split = stratifiedSplit(tiles, {
    nameOf: (a) => a.name,
    classOf: jointClass,
    groupOf: (a) => a.parent ?? a.name,
    fractions: options.splitFractions,
    seed: options.seed ?? 0,
  });
  const splitPath = join(options.root, SPLIT_CSV_NAME);
  await writeFileAtomic(
    splitPath,
    toCsv(
      ['', 'tile', 'IPCC Class', 'SMOD', 'source', 'joint_class', 'split'],
      tiles.map((a, i) => [
        i * (options.nRevisits ?? 16),
        a.name,
        a.IPCC,
        a.SMOD_id,
        a.source,
        jointClass(a),
        split.splitOf.get(a.name) ?? '',
      ]),
    ),
  );
  result.files.metadata = metadataPath;
  result.files.split = splitPath;
  await orderSpot();
  if (result.failures.length)
    log?.(`${result.failures.length} revisit download(s) failed; run the same command again to retry them`);
  return result;
}

/** The `rebuild` pipeline (see {@link rebuild}). */
export const rebuildPipeline = definePipeline<RebuildOptions, RebuildResult>({
  name: 'rebuild',
  description:
    'rebuild a WorldStrat-style dataset: sample → stratify → AOIs → catalogue search → matching → download → layout',
  run: rebuild,
});
