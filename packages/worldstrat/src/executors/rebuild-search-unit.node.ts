// The rebuild's per-AOI search unit: (SPOT acquisition search →) Sentinel-2 catalogue search → revisit
// matching for one AOI, and the dispatch of a plan's AOIs through an executor. Matching ranks each AOI's
// entries on their own, so per-AOI units merged in AOI order give exactly the in-process plan. Each unit's
// result is a verified JSON file under `<root>/rebuild/units/search/`, so a rerun completes without requests.
import { isAbsolute, resolve } from 'node:path';
import {
  type CatalogueEntry,
  catalogueEntryFromSpotFeature,
  EO_FETCH_ERROR_CODES,
  EoFetchError,
  type EoFetchErrorCode,
  type MatchAoi,
  type MatchedRevisit,
  matchRevisits,
  type S2Level,
} from '@worldstrat/eo-fetch';
import {
  type RevisitProvider,
  revisitSelectionLevel,
  type SearchRevisitsResult,
  searchRevisits,
  searchSkipLines,
  sentinelHubClientFor,
} from '@worldstrat/eo-fetch/node';
import { WORLDSTRAT_ERROR_CODES, WorldStratError, type WorldStratErrorCode } from '../errors.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import {
  absolutePath,
  type DocumentSource,
  dayRange,
  finite,
  flag,
  integer,
  isoDate,
  level,
  levels,
  list,
  MAX_LIST_LENGTH,
  matchAoi,
  matchShortfalls,
  optional,
  provider,
  record,
  revisitsByLevel,
  text,
} from './document-checks.node.js';
import { type Executor, type ExecutorUnit, type UnitOutcome, unitKey } from './executor.js';
import { shareableProvider } from './rebuild-units.node.js';
import type { StageRuntime } from './stage-handlers.node.js';
import { readUnitOutput, unitOutputPath, writeUnitOutput } from './unit-output.node.js';

/** SPOT acquisition search of a unit (days already checked, `YYYY-MM-DD`). */
export interface SearchSpotParams {
  from: string;
  to: string;
  maxCloudCoverage?: number;
  maxIncidenceAngle?: number;
}

/** JSON parameters of one `rebuild-search` unit (no credentials: workers load their own). */
export interface RebuildSearchParams {
  /** Absolute dataset root (the unit's result file goes under it). */
  root: string;
  provider: RevisitProvider;
  aoi: MatchAoi;
  levels: S2Level[];
  dateRange: [string, string];
  targetDate: string;
  nRevisits?: number;
  maxCloudCover?: number;
  maxItemsPerSearch?: number;
  /** Search SPOT first: the best acquisition's day becomes the AOI's target date; none drops the AOI. */
  spot?: SearchSpotParams;
}

/** What one AOI's search found. */
export interface RebuildSearchResult {
  /** Catalogue searches sent (SPOT included). */
  searchRequests: number;
  /** With `spot`: the chosen SPOT acquisition, or null when none covers the AOI (no S2 search then). */
  spot?: { id: string; datetime: string; cloudCover: number | null } | null;
  revisits: Partial<Record<S2Level, MatchedRevisit[]>>;
  duplicates: number;
  matchShortfalls: { level: S2Level; aoi: string; found: number; wanted: number }[];
  /** Selected revisits another level has no item of (absent in results stored before pairing existed). */
  unpaired?: SearchRevisitsResult['unpaired'];
  invalidItems: SearchRevisitsResult['invalidItems'];
  unknownCloudCover: SearchRevisitsResult['unknownCloudCover'];
  warnings: string[];
}

const STAGE = 'rebuild-search' as const;

/**
 * Search and match one AOI (see the file header); an earlier verified result of the same unit is returned
 * without a request.
 *
 * @param params - the unit's parameters.
 * @param context - signal.
 * @param runtime - the process's fetch (shared host limits in queue workers).
 * @returns the AOI's matched revisits and counts.
 * @throws {WorldStratError} `INVALID_ARGUMENT` (relative root, SPOT without SentinelHub); eo-fetch errors.
 */
export async function runRebuildSearchUnit(
  params: RebuildSearchParams,
  context: PipelineContext,
  runtime: StageRuntime = {},
): Promise<RebuildSearchResult> {
  if (!isAbsolute(params.root))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `unit ${params.aoi.name}: root ${params.root} is not absolute`,
    );
  const unit = { unit: params.aoi.name, params };
  const saved = await savedSearchResult(unit);
  if (saved) return saved;
  const result = await searchOneAoi(params, context, runtime);
  await writeUnitOutput(unitOutputPath(params.root, 'search', STAGE, unit), unitKey(STAGE, unit), result);
  return result;
}

/** The verified result an earlier run of this unit saved, or undefined (then the unit has to run). */
async function savedSearchResult(
  unit: ExecutorUnit<RebuildSearchParams>,
): Promise<RebuildSearchResult | undefined> {
  const { params } = unit;
  const path = unitOutputPath(params.root, 'search', STAGE, unit);
  const saved = await readUnitOutput(path, unitKey(STAGE, unit), (v, doc) =>
    checkRebuildSearchResult(v, doc, params),
  );
  return saved && !matchedLevelsApart(saved, params) ? saved : undefined;
}

/**
 * Whether a saved result predates level pairing: it has no `unpaired` list and a STAC search of another level
 * than the selection one, which was then matched on its own (other acquisitions under the same `n`).
 */
function matchedLevelsApart(saved: RebuildSearchResult, params: RebuildSearchParams): boolean {
  if (saved.unpaired !== undefined || params.provider.kind !== 'stac') return false;
  const selectOn = revisitSelectionLevel(params.provider, params.levels);
  return params.levels.some((l) => l !== selectOn);
}

/**
 * Check a `rebuild-search` unit's parameters as a queue delivers them.
 *
 * @param v - the job's data.
 * @param doc - names the job.
 * @returns the same parameters, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkRebuildSearchParams(v: unknown, doc: DocumentSource): RebuildSearchParams {
  const p = record(doc, v, 'params');
  absolutePath(doc, p.root, 'root');
  provider(doc, p.provider, 'provider');
  matchAoi(doc, p.aoi, 'aoi');
  levels(doc, p.levels, 'levels');
  dayRange(doc, p.dateRange, 'dateRange');
  isoDate(doc, p.targetDate, 'targetDate', true);
  optional(p.nRevisits, (x) => integer(doc, x, 'nRevisits', 1, 1000));
  optional(p.maxCloudCover, (x) => finite(doc, x, 'maxCloudCover', 0, 100));
  optional(p.maxItemsPerSearch, (x) => integer(doc, x, 'maxItemsPerSearch', 1, 1e7));
  optional(p.spot, (x) => {
    const s = record(doc, x, 'spot');
    dayRange(doc, [s.from, s.to], 'spot.from/to');
    optional(s.maxCloudCoverage, (c) => finite(doc, c, 'spot.maxCloudCoverage', 0, 100));
    optional(s.maxIncidenceAngle, (a) => finite(doc, a, 'spot.maxIncidenceAngle', 0, 90));
  });
  return p as unknown as RebuildSearchParams;
}

/**
 * Check a `rebuild-search` unit's result (read back from its file or from a queue) for the AOI of `params`.
 *
 * @param v - the stored result.
 * @param doc - names the file or job.
 * @param params - the unit's parameters (its AOI).
 * @returns the same result, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkRebuildSearchResult(
  v: unknown,
  doc: DocumentSource,
  params: Pick<RebuildSearchParams, 'aoi'>,
): RebuildSearchResult {
  const r = record(doc, v, 'result');
  integer(doc, r.searchRequests, 'searchRequests', 0, 1e6);
  if (r.spot !== undefined && r.spot !== null) {
    const s = record(doc, r.spot, 'spot');
    text(doc, s.id, 'spot.id');
    isoDate(doc, s.datetime, 'spot.datetime', true);
    if (s.cloudCover !== null) finite(doc, s.cloudCover, 'spot.cloudCover', 0, 100);
  }
  revisitsByLevel(doc, r.revisits, 'revisits', new Set([params.aoi.name]));
  integer(doc, r.duplicates, 'duplicates', 0, MAX_LIST_LENGTH);
  matchShortfalls(doc, r.matchShortfalls, 'matchShortfalls');
  if (r.unpaired !== undefined)
    for (const [i, x] of list(doc, r.unpaired, 'unpaired').entries()) {
      const e = record(doc, x, `unpaired[${i}]`);
      level(doc, e.level, `unpaired[${i}].level`);
      text(doc, e.aoi, `unpaired[${i}].aoi`, 256);
      integer(doc, e.n, `unpaired[${i}].n`, 1, MAX_LIST_LENGTH);
      text(doc, e.id, `unpaired[${i}].id`);
      isoDate(doc, e.datetime, `unpaired[${i}].datetime`, true);
    }
  for (const [i, x] of list(doc, r.invalidItems, 'invalidItems').entries()) {
    const e = record(doc, x, `invalidItems[${i}]`);
    level(doc, e.level, `invalidItems[${i}].level`);
    text(doc, e.aoi, `invalidItems[${i}].aoi`, 256);
    if (e.id !== null) text(doc, e.id, `invalidItems[${i}].id`);
    text(doc, e.reason, `invalidItems[${i}].reason`);
  }
  for (const [i, x] of list(doc, r.unknownCloudCover, 'unknownCloudCover').entries()) {
    const e = record(doc, x, `unknownCloudCover[${i}]`);
    level(doc, e.level, `unknownCloudCover[${i}].level`);
    text(doc, e.aoi, `unknownCloudCover[${i}].aoi`, 256);
    text(doc, e.id, `unknownCloudCover[${i}].id`);
    flag(doc, e.excluded, `unknownCloudCover[${i}].excluded`);
  }
  for (const [i, w] of list(doc, r.warnings, 'warnings').entries()) text(doc, w, `warnings[${i}]`);
  return r as unknown as RebuildSearchResult;
}

async function searchOneAoi(
  params: RebuildSearchParams,
  { signal }: PipelineContext,
  runtime: StageRuntime,
): Promise<RebuildSearchResult> {
  const out: RebuildSearchResult = {
    searchRequests: 0,
    revisits: {},
    duplicates: 0,
    matchShortfalls: [],
    unpaired: [],
    invalidItems: [],
    unknownCloudCover: [],
    warnings: [],
  };
  let aoi = params.aoi;
  if (params.spot) {
    out.spot = await bestSpotAcquisition(params, params.spot, runtime, signal);
    out.searchRequests++;
    if (!out.spot) return out;
    aoi = { ...aoi, targetDate: out.spot.datetime.slice(0, 10) };
  }
  // Selection is done once (on L2A) for every level; the other levels get the same acquisitions (eo-fetch).
  const found = await searchRevisits(
    [aoi],
    {
      provider: params.provider,
      dateRange: params.dateRange,
      targetDate: params.targetDate,
      nRevisits: params.nRevisits,
      maxCloudCover: params.maxCloudCover,
      levels: params.levels,
      concurrency: 1,
      ...(params.maxItemsPerSearch !== undefined ? { maxItemsPerSearch: params.maxItemsPerSearch } : {}),
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    },
    { signal },
  ).catch((err) => {
    if (!(err instanceof EoFetchError && err.code === 'NO_MATCHES')) throw err;
    return noMatches(params, aoi.name, params.levels);
  });
  out.searchRequests += found.searchRequests;
  for (const [l, list] of Object.entries(found.revisits)) out.revisits[l as S2Level] = list;
  out.duplicates += found.duplicates;
  for (const m of found.matchShortfalls) out.matchShortfalls.push(m);
  for (const u of found.unpaired) out.unpaired?.push(u);
  for (const i of found.invalidItems) out.invalidItems.push(i);
  for (const u of found.unknownCloudCover) out.unknownCloudCover.push(u);
  for (const w of found.warnings) out.warnings.push(w);
  return out;
}

/** One AOI without any revisit: what the in-process search reports for it when other AOIs have some. */
function noMatches(
  params: RebuildSearchParams,
  aoi: string,
  levels: readonly S2Level[],
): SearchRevisitsResult {
  const matched = revisitSelectionLevel(params.provider, levels);
  const revisits: Partial<Record<S2Level, MatchedRevisit[]>> = { [matched]: [] };
  for (const l of levels) revisits[l] = [];
  return {
    revisits,
    found: {},
    duplicates: 0,
    matchShortfalls: [{ level: matched, aoi, found: 0, wanted: params.nRevisits ?? 16 }],
    unpaired: [],
    searchRequests: 1,
    invalidItems: [],
    unknownCloudCover: [],
    warnings: [],
    maxItemsPerSearch: 0,
  };
}

/** The SPOT acquisition nearest the target date covering the AOI (SentinelHub Catalog), or null. */
async function bestSpotAcquisition(
  params: RebuildSearchParams,
  spot: SearchSpotParams,
  runtime: StageRuntime,
  signal?: AbortSignal,
): Promise<RebuildSearchResult['spot']> {
  const p = params.provider;
  if (p.kind !== 'sentinelhub')
    throw new WorldStratError('INVALID_ARGUMENT', 'spot search needs the SentinelHub provider');
  const sh = await sentinelHubClientFor(p, runtime.fetch);
  const entries: CatalogueEntry[] = [];
  for await (const f of sh.spotSearch(
    {
      bbox: params.aoi.bounds,
      from: `${spot.from}T00:00:00Z`,
      to: `${spot.to}T23:59:59Z`,
      maxCloudCoverage: spot.maxCloudCoverage,
      maxIncidenceAngle: spot.maxIncidenceAngle,
    },
    { signal },
  ))
    entries.push(catalogueEntryFromSpotFeature(f));
  try {
    const m = matchRevisits([params.aoi], new Map([[params.aoi.name, entries]]), {
      targetDate: params.targetDate,
      nRevisits: 1,
    });
    const e = m.revisits[0].entry;
    return { id: e.id, datetime: e.datetime, cloudCover: e.cloudCover };
  } catch (err) {
    if (err instanceof EoFetchError && err.code === 'NO_MATCHES') return null;
    throw err;
  }
}

/** Options of {@link searchThroughExecutor}: the search parameters shared by every AOI. */
export type ExecutorSearchOptions = Omit<RebuildSearchParams, 'aoi' | 'root'> & {
  root: string;
  concurrency?: number;
  /**
   * Enqueue the units and return null instead of waiting for them (a queue executor's `detach`), unless every
   * unit already has its verified result file (a rerun after the workers finished): then merge as usual.
   */
  detach?: boolean;
};

/** The merged search of a plan's AOIs, as the in-process search and SPOT matching report it. */
export interface ExecutorSearchResult<A extends MatchAoi> {
  /** AOIs kept (with `spot`: those with a SPOT acquisition, carrying its day and id). */
  aois: A[];
  revisits: Partial<Record<S2Level, MatchedRevisit[]>>;
  duplicates: number;
  matchShortfalls: { level: S2Level; aoi: string; found: number; wanted: number }[];
  searchRequests: number;
  /** With `spot`: AOIs dropped for want of a SPOT acquisition. */
  spotMissing?: string[];
}

/**
 * Search and match a plan's AOIs as one executor unit per AOI and merge the results in AOI order.
 *
 * @param executor - local or queue executor.
 * @param aois - the drawn AOIs.
 * @param options - search parameters, root, concurrency.
 * @param context - signal, progress, log.
 * @returns the merged search; null when `detach` left the units queued.
 * @throws {EoFetchError} `NO_MATCHES` when no AOI keeps a revisit (or a SPOT acquisition); a failed unit's
 *   typed code (eo-fetch's or the app's), `UNITS_FAILED` for a code neither knows; `QUEUE_UNAVAILABLE`.
 */
export async function searchThroughExecutor<A extends MatchAoi>(
  executor: Executor,
  aois: readonly A[],
  options: ExecutorSearchOptions,
  context: PipelineContext,
): Promise<ExecutorSearchResult<A> | null> {
  const { concurrency, detach, ...shared } = options;
  const root = resolve(options.root);
  const provider = executor.kind === 'queue' ? shareableProvider(options.provider) : options.provider;
  const units: ExecutorUnit<RebuildSearchParams>[] = aois.map((a) => ({
    unit: a.name,
    params: {
      ...shared,
      root,
      provider,
      aoi: { name: a.name, bounds: a.bounds, ...(a.areaKm2 !== undefined ? { areaKm2: a.areaKm2 } : {}) },
    },
  }));
  if (detach) {
    // the workers write each result beside the dataset: once all are there, the plan needs no queue
    const saved = await Promise.all(units.map(savedSearchResult));
    if (saved.every((r): r is RebuildSearchResult => r !== undefined))
      return mergeSearches(aois, saved, options, context);
  }
  const run = await executor.run<RebuildSearchParams, RebuildSearchResult>(
    STAGE,
    units,
    { concurrency, detach },
    context,
  );
  if (run.detached) return null;
  const results = run.outcomes.map(unitValue);
  return mergeSearches(aois, results, options, context);
}

/** A unit's result, or its failure rethrown with the unit's code. */
function unitValue(o: UnitOutcome<RebuildSearchResult>): RebuildSearchResult {
  if (o.ok) return o.value;
  const message = `search of AOI ${o.unit}: ${o.message}`;
  if ((EO_FETCH_ERROR_CODES as readonly string[]).includes(o.code))
    throw new EoFetchError(o.code as EoFetchErrorCode, message);
  if ((WORLDSTRAT_ERROR_CODES as readonly string[]).includes(o.code))
    throw new WorldStratError(o.code as WorldStratErrorCode, message);
  throw new WorldStratError('UNITS_FAILED', `${message} [${o.code}]`);
}

const NO_MATCHES_MESSAGE =
  'no AOI kept any revisit; check the catalogue dates, maxCloudCover/maxDeltaDays, and that footprints cover the AOIs';

/** Stage: fold the per-AOI results in AOI order (what one search over every AOI reports). */
function mergeSearches<A extends MatchAoi>(
  aois: readonly A[],
  results: readonly RebuildSearchResult[],
  options: ExecutorSearchOptions,
  context: PipelineContext,
): ExecutorSearchResult<A> {
  const out: ExecutorSearchResult<A> = {
    aois: [],
    revisits: {},
    duplicates: 0,
    matchShortfalls: [],
    searchRequests: 0,
  };
  const missing: string[] = [];
  // the level revisits are selected on: no AOI with one there is NO_MATCHES, as for one search
  const order: S2Level[] = [revisitSelectionLevel(options.provider, options.levels)];
  const skipped: Pick<SearchRevisitsResult, 'invalidItems' | 'unknownCloudCover' | 'unpaired'> = {
    invalidItems: [],
    unknownCloudCover: [],
    unpaired: [],
  };
  const warnings = new Set<string>();
  results.forEach((r, i) => {
    out.searchRequests += r.searchRequests;
    if (r.spot === null) {
      missing.push(aois[i].name);
      return;
    }
    out.aois.push(
      r.spot ? { ...aois[i], targetDate: r.spot.datetime.slice(0, 10), spot: r.spot } : (aois[i] as A),
    );
    for (const [l, list] of Object.entries(r.revisits) as [S2Level, MatchedRevisit[]][])
      out.revisits[l] = [...(out.revisits[l] ?? []), ...list];
    out.duplicates += r.duplicates;
    for (const m of r.matchShortfalls) out.matchShortfalls.push(m);
    for (const i of r.invalidItems) skipped.invalidItems.push(i);
    for (const u of r.unknownCloudCover) skipped.unknownCloudCover.push(u);
    for (const u of r.unpaired ?? []) skipped.unpaired.push(u);
    for (const w of r.warnings) warnings.add(w);
  });
  if (options.spot) {
    if (missing.length === aois.length && aois.length > 0)
      throw new EoFetchError('NO_MATCHES', NO_MATCHES_MESSAGE);
    if (missing.length) context.log?.(`no SPOT acquisition covers ${missing.length} AOI(s): dropped`);
    out.spotMissing = missing;
  }
  if (out.aois.length > 0 && order.some((l) => (out.revisits[l]?.length ?? 0) === 0))
    throw new EoFetchError('NO_MATCHES', NO_MATCHES_MESSAGE);
  // one search reports shortfalls level by level, AOIs in order within each
  out.matchShortfalls.sort((x, y) => order.indexOf(x.level) - order.indexOf(y.level));
  for (const w of warnings) context.log?.(`warning: ${w}`);
  for (const line of searchSkipLines(skipped as SearchRevisitsResult)) context.log?.(line);
  return out;
}
