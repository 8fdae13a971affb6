// The catalogue stages an app runs for a dataset rebuild, a search or a fetch: search a STAC API or the
// SentinelHub Catalog for every AOI, match revisits (footprint covers the AOI, ranked by date then cloud), and
// download the matched revisits into the
// release layout with a manifest per level (resumable).
import { join } from 'node:path';
import { parseIsoTime } from '@worldstrat/core';
import type { BBox, RasterIoLimits } from '@worldstrat/raster-io';
import pLimit from 'p-limit';
import { downloadStacRevisits } from '../download/stac-revisits.node.js';
import { EoFetchError } from '../errors.js';
import { abortError } from '../http/retry.js';
import {
  checkArray,
  checkFunction,
  checkNonEmptyString,
  checkNumber,
  checkObject,
  checkObjectArray,
  checkRevisits,
  checkStageContext,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';
import { type CatalogueEntry, catalogueEntriesFromStacItems } from '../matching/catalogue-entry.js';
import { type MatchAoi, type MatchedRevisit, matchRevisits, utcDay } from '../matching/match-revisits.js';
import { pairRevisits, type UnpairedRevisit } from '../matching/pair-revisits.js';
import { loadSentinelHubCredentials } from '../sentinelhub/credentials.node.js';
import { SentinelHubClient, type SentinelHubCredentials } from '../sentinelhub/sentinel-hub-client.js';
import { downloadSentinelHubRevisits } from '../sentinelhub/sentinel-hub-downloads.node.js';
import { createPlanetaryComputerSigner } from '../stac/planetary-computer.js';
import { getStacProvider, L1C_BANDS, L2A_BANDS, type S2Level, type StacProvider } from '../stac/providers.js';
import { StacClient } from '../stac/stac-client.js';
import type { StacItem } from '../stac/stac-types.js';
import type { InvalidItem } from '../stac/validate-item.js';
import type { StageContext } from './stage-context.js';

/** Where revisits come from. */
export type RevisitProvider =
  | {
      kind: 'stac';
      /** STAC API root (default: the provider's, e.g. Earth Search). */
      url?: string;
      /** Provider id or object (asset keys, collections; default `earth-search`). */
      provider?: string | StacProvider;
    }
  | {
      kind: 'sentinelhub';
      /**
       * API root (default: the config profile's `sh_base_url`, else `https://services.sentinel-hub.com`; Copernicus
       * Data Space: `https://sh.dataspace.copernicus.eu`).
       */
      baseUrl?: string;
      /**
       * Token endpoint (default: the config profile's `sh_token_url`, else `<baseUrl>/oauth/token`; Copernicus Data
       * Space: `https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token`).
       */
      tokenUrl?: string;
      /** Credentials (default: `SH_CLIENT_ID`/`SH_CLIENT_SECRET` or `configPath`). */
      credentials?: SentinelHubCredentials;
      /** sentinelhub-py config file (default `~/.config/sentinelhub/config.toml`, then `config.json`). */
      configPath?: string;
      /** Its profile (default `SH_PROFILE`, else `default-profile`). */
      profile?: string;
    };

/** Options of {@link searchRevisits}. */
export interface SearchRevisitsOptions {
  provider: RevisitProvider;
  /** `[start, end]` ISO dates (inclusive days). */
  dateRange: [string, string];
  /** Date revisits are ranked against (ISO date). */
  targetDate: string;
  /** Revisits kept per AOI (default 16). */
  nRevisits?: number;
  /** Hard cloud-cover limit (percent), also sent to the catalogue. */
  maxCloudCover?: number;
  /**
   * Levels (default `['L2A']`). Revisits are selected once, on L2A ({@link revisitSelectionLevel}), as upstream:
   * SentinelHub reuses the selection for every level (its downloads fetch each level by acquisition time); a
   * STAC provider maps each selected scene to the other level's item of the same acquisition, keeping `n`.
   */
  levels?: readonly S2Level[];
  /** Searches in flight (default 4). */
  concurrency?: number;
  /**
   * Most catalogue items one AOI's search may return (default {@link searchItemCap} of the window); a catalogue
   * with more (or with endless `next` links) fails the search with `PAGE_LIMIT` rather than being cut.
   */
  maxItemsPerSearch?: number;
  fetch?: typeof fetch;
}

/** Items per search page requested from the catalogue. */
const SEARCH_PAGE_SIZE = 100;
/**
 * Sentinel-2 items a point can have per day, generously: two satellites, overlapping relative orbits and up
 * to four overlapping MGRS tiles give far fewer; a catalogue returning more is misbehaving.
 */
const ITEMS_PER_DAY = 8;
/** Largest {@link SearchRevisitsOptions.maxItemsPerSearch}. */
export const MAX_ITEMS_PER_SEARCH = 1_000_000;

/**
 * Default cap on items of one AOI's search: {@link ITEMS_PER_DAY} per day of the window, at least 100 and at
 * least 4 × `nRevisits`.
 *
 * @param dateRange - `[start, end]` ISO dates.
 * @param nRevisits - revisits kept per AOI.
 * @returns the cap.
 */
export function searchItemCap(dateRange: readonly [string, string], nRevisits: number): number {
  checkDateRange('searchItemCap', 'dateRange', dateRange);
  checkNumber('searchItemCap', 'nRevisits', nRevisits, { integer: true, min: 1 });
  const days = Math.floor((utcDay(dateRange[1]) - utcDay(dateRange[0])) / 86_400_000) + 1;
  const byDays = Number.isFinite(days) && days > 0 ? days * ITEMS_PER_DAY : 0;
  return Math.min(MAX_ITEMS_PER_SEARCH, Math.max(100, 4 * nRevisits, byDays));
}

/** A `[start, end]` pair of date strings. */
function checkDateRange(fn: string, name: string, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2 || value.some((d) => typeof d !== 'string'))
    invalidArgument(fn, name, '[start, end] ISO dates', value);
}

/** A revisit provider: `{ kind: 'stac' }` or `{ kind: 'sentinelhub' }` with optional settings. */
function checkProvider(fn: string, name: string, p: unknown): void {
  const o = checkObject(fn, name, p) as Record<string, unknown>;
  if (o.kind !== 'stac' && o.kind !== 'sentinelhub')
    invalidArgument(fn, `${name}.kind`, '"stac" or "sentinelhub"', o.kind);
  for (const k of ['url', 'baseUrl', 'tokenUrl', 'configPath', 'profile'] as const)
    checkString(fn, `${name}.${k}`, o[k], true);
  if (o.provider !== undefined && typeof o.provider !== 'string')
    checkObject(fn, `${name}.provider`, o.provider);
  if (o.credentials !== undefined) checkObject(fn, `${name}.credentials`, o.credentials);
}

/** A catalogue item or entry left out of matching, and why. */
export interface SkippedItem {
  level: S2Level;
  aoi: string;
  id: string | null;
  reason: string;
}

/** A selected revisit another level's STAC catalogue has no item of (that level has no file for its `n`). */
export interface UnpairedLevelRevisit extends UnpairedRevisit {
  level: S2Level;
}

/**
 * The level revisits are selected on: L2A (spec §12), unless a STAC provider serves no L2A collection, in which
 * case the first requested level.
 *
 * @param provider - the revisit provider.
 * @param levels - the requested levels (default `['L2A']`).
 * @returns the selection level.
 */
export function revisitSelectionLevel(
  provider: RevisitProvider,
  levels: readonly S2Level[] = ['L2A'],
): S2Level {
  checkProvider('revisitSelectionLevel', 'provider', provider);
  checkArray('revisitSelectionLevel', 'levels', levels);
  if (provider.kind === 'sentinelhub' || stacProviderOf(provider).collections.L2A) return 'L2A';
  return levels[0] ?? 'L2A';
}

/** Result of {@link searchRevisits}. */
export interface SearchRevisitsResult {
  revisits: Partial<Record<S2Level, MatchedRevisit[]>>;
  /** Catalogue entries found per level and AOI. */
  found: Partial<Record<S2Level, Record<string, number>>>;
  duplicates: number;
  matchShortfalls: { level: S2Level; aoi: string; found: number; wanted: number }[];
  /**
   * STAC: selected revisits with no item of the same acquisition in another level's catalogue; that level's list
   * skips their `n` (a missing L1C file for it) instead of taking another scene.
   */
  unpaired: UnpairedLevelRevisit[];
  searchRequests: number;
  /** Items the catalogue returned that are unusable (bad footprint, datetime, cloud cover…); not matched. */
  invalidItems: SkippedItem[];
  /** Entries without a cloud cover: ranked after every entry with one, or `excluded` under `maxCloudCover`. */
  unknownCloudCover: { level: S2Level; aoi: string; id: string; excluded: boolean }[];
  /** Catalogue warnings (e.g. a filter the server does not declare it supports), once each. */
  warnings: string[];
  /** The item cap each search ran with. */
  maxItemsPerSearch: number;
}

/** Options of {@link downloadRevisits}. */
export interface DownloadRevisitsOptions {
  /** Dataset root (`lr_dataset/…`; manifests in `<root>/rebuild/manifest-<level>.jsonl`). */
  root: string;
  provider: RevisitProvider;
  levels?: readonly S2Level[];
  /** Revisits (STAC) or requests (SentinelHub) in flight (default 4). */
  concurrency?: number;
  /** Count requests (and SentinelHub processing units) only. */
  dryRun?: boolean;
  /**
   * Longest silence before a request is aborted and retried (default 60 s): SentinelHub, no headers or body
   * bytes for this long; STAC, the limit of each COG range request.
   */
  idleTimeoutMs?: number;
  /** Read limits for the COG window reads (STAC); raster-io's defaults otherwise. */
  readLimits?: Partial<RasterIoLimits>;
  /** Manifest of a level (default `<root>/rebuild/manifest-<level>.jsonl`; executors give one per unit). */
  manifestPathFor?: (level: S2Level) => string;
  fetch?: typeof fetch;
}

/** Result of {@link downloadRevisits}. */
export interface DownloadRevisitsResult {
  downloads: Partial<
    Record<S2Level, { downloaded: number; skipped: number; failed: number; planned: number }>
  >;
  plannedRequests: number;
  processingUnits: number;
  failures: { level: S2Level; aoi: string; n: number; code: string; message: string }[];
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure stops what has not started. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  const run = pLimit(Math.max(1, limit));
  try {
    await Promise.all(items.map((x) => run(() => fn(x))));
  } finally {
    run.clearQueue();
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

const stacProviderOf = (p: Extract<RevisitProvider, { kind: 'stac' }>): StacProvider =>
  typeof p.provider === 'object' ? p.provider : getStacProvider(p.provider ?? 'earth-search');

/**
 * A SentinelHub client from explicit credentials or the environment / a config file.
 *
 * @param p - the SentinelHub provider options.
 * @param fetchImpl - optional fetch.
 * @param pageLimit - most pages of one Catalog search (default: the client's).
 * @returns the client.
 */
export async function sentinelHubClientFor(
  p: Extract<RevisitProvider, { kind: 'sentinelhub' }>,
  fetchImpl?: typeof fetch,
  pageLimit?: number,
): Promise<SentinelHubClient> {
  checkProvider('sentinelHubClientFor', 'p', p);
  checkFunction('sentinelHubClientFor', 'fetchImpl', fetchImpl, true);
  checkNumber('sentinelHubClientFor', 'pageLimit', pageLimit, { optional: true, integer: true, min: 1 });
  return (await sentinelHubSession(p, fetchImpl, pageLimit)).client;
}

/** A client and the credentials' strings, which downloads scrub from their errors and manifests. */
async function sentinelHubSession(
  p: Extract<RevisitProvider, { kind: 'sentinelhub' }>,
  fetchImpl?: typeof fetch,
  pageLimit?: number,
): Promise<{ client: SentinelHubClient; secrets: string[] }> {
  const credentials =
    p.credentials ?? (await loadSentinelHubCredentials({ configPath: p.configPath, profile: p.profile }));
  return {
    client: new SentinelHubClient(credentials, {
      baseUrl: p.baseUrl,
      tokenUrl: p.tokenUrl,
      fetch: fetchImpl,
      ...(pageLimit !== undefined ? { pageLimit } : {}),
    }),
    secrets: [credentials.clientSecret, credentials.clientId],
  };
}

/**
 * Search the catalogue for every AOI (one search per AOI and level, paged) and match revisits once, on L2A:
 * footprint covers the AOI, ranked by |Δdays| to `targetDate` + cloud cover, best `nRevisits` numbered 1..N.
 * Other levels get the same acquisitions with the same `n` (STAC: the item of the same MGRS tile and datatake,
 * else sensing time within 5 s; one without such an item is listed in `unpaired`).
 *
 * @param aois - AOIs (`name`, `bounds`, optional `areaKm2`).
 * @param options - provider, window, target date, N, levels.
 * @param context - signal, progress (`search <level>`), log.
 * @returns matched revisits per level, counts, items left out (invalid, unknown cloud cover), unpaired
 *   revisits and warnings.
 * @throws {EoFetchError} `INVALID_ARGUMENT` (level not served, bad item cap); HTTP errors and
 *   `PAGE_LIMIT` / `PAGING_LOOP` when a catalogue pages past the item cap or in circles.
 * @example
 * ```ts
 * const { revisits } = await searchRevisits(aois, { provider: { kind: 'stac' }, dateRange: ['2022-06-01', '2022-06-30'], targetDate: '2022-06-15' });
 * ```
 */
export async function searchRevisits(
  aois: readonly MatchAoi[],
  options: SearchRevisitsOptions,
  context: StageContext = {},
): Promise<SearchRevisitsResult> {
  const fn = 'searchRevisits';
  checkObjectArray(fn, 'aois', aois);
  checkObject(fn, 'options', options);
  checkProvider(fn, 'options.provider', options.provider);
  checkDateRange(fn, 'options.dateRange', options.dateRange);
  if (options.levels !== undefined) checkArray(fn, 'options.levels', options.levels);
  checkFunction(fn, 'options.fetch', options.fetch, true);
  checkNumber(fn, 'options.maxCloudCover', options.maxCloudCover, { optional: true, infinite: true });
  checkStageContext(fn, context);
  const { signal, onProgress } = context;
  const p = options.provider;
  const levels = options.levels ?? ['L2A'];
  const [start, end] = options.dateRange;
  const datetime = `${start}T00:00:00Z/${end}T23:59:59Z`;
  const cloudQuery = Number.isFinite(options.maxCloudCover)
    ? { 'eo:cloud_cover': { lte: options.maxCloudCover } }
    : undefined;
  // SentinelHub's Catalog 1.0.0 replaced the `query` extension with CQL2 `filter` (upstream sent
  // `eo:cloud_cover<100`); an infinite limit filters nothing and has no CQL2 literal.
  const cloudFilter = Number.isFinite(options.maxCloudCover)
    ? `eo:cloud_cover <= ${String(options.maxCloudCover).toUpperCase()}`
    : undefined;
  const nRevisits = options.nRevisits ?? 16;
  const itemCap = options.maxItemsPerSearch ?? searchItemCap(options.dateRange, nRevisits);
  if (!Number.isInteger(itemCap) || itemCap < 1 || itemCap > MAX_ITEMS_PER_SEARCH)
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `maxItemsPerSearch ${itemCap}: expected an integer in [1, ${MAX_ITEMS_PER_SEARCH}]`,
    );
  // One page beyond the items' pages: the last full page may still carry a `next` link to an empty one.
  const caps = { itemLimit: itemCap, pageLimit: Math.ceil(itemCap / SEARCH_PAGE_SIZE) + 1 };
  const result: SearchRevisitsResult = {
    revisits: {},
    found: {},
    duplicates: 0,
    matchShortfalls: [],
    unpaired: [],
    searchRequests: 0,
    invalidItems: [],
    unknownCloudCover: [],
    warnings: [],
    maxItemsPerSearch: itemCap,
  };
  const warnings = new Set<string>();
  type Found = { items: StacItem[]; invalid: InvalidItem[] };
  // The cloud limit applies to the selection only: another level's own cloud covers must not drop its pairs.
  const search = async (level: S2Level, selecting: boolean): Promise<Map<string, CatalogueEntry[]>> => {
    const query = selecting ? cloudQuery : undefined;
    const filter = selecting ? cloudFilter : undefined;
    let run: (bbox: BBox) => Promise<Found>;
    if (p.kind === 'stac') {
      const provider = stacProviderOf(p);
      const collection = provider.collections[level];
      if (!collection)
        throw new EoFetchError(
          'INVALID_ARGUMENT',
          `STAC provider ${provider.id} serves no ${level} collection`,
        );
      const client = new StacClient(p.url ?? provider.url, { fetch: options.fetch, ...caps });
      run = async (bbox) => {
        const r = await client.itemCollection(
          { collections: [collection], bbox, datetime, limit: SEARCH_PAGE_SIZE, ...(query ? { query } : {}) },
          { signal },
        );
        for (const w of r.warnings) warnings.add(w.message);
        return inSearch({ items: r.features, invalid: r.invalidItems }, collection, options.dateRange);
      };
    } else {
      const sh = await sentinelHubClientFor(p, options.fetch, caps.pageLimit);
      const collection = level === 'L2A' ? 'sentinel-2-l2a' : 'sentinel-2-l1c';
      run = async (bbox) => {
        const invalid: InvalidItem[] = [];
        const items = await collect(
          sh.catalogSearch(
            {
              collections: [collection],
              bbox,
              datetime,
              limit: SEARCH_PAGE_SIZE,
              ...(filter ? { filter, filterLang: 'cql2-text' as const } : {}),
            },
            { signal, onInvalidItem: (it) => invalid.push(it) },
          ),
        );
        return inSearch({ items, invalid }, collection, options.dateRange);
      };
    }
    let done = 0;
    const byAoi = new Map<string, CatalogueEntry[]>();
    await mapLimit(aois, options.concurrency ?? 4, async (a) => {
      throwIfAborted(signal);
      const found = await run(a.bounds);
      result.searchRequests++;
      const { entries, invalidItems } = catalogueEntriesFromStacItems(found.items);
      for (const it of [...found.invalid, ...invalidItems])
        result.invalidItems.push({ level, aoi: a.name, id: it.id, reason: it.reason });
      byAoi.set(a.name, entries);
      onProgress?.({ stage: `search ${level}`, done: ++done, total: aois.length });
    });
    return byAoi;
  };
  const selectOn = revisitSelectionLevel(p, levels);
  const catalogue = await search(selectOn, true);
  result.found[selectOn] = foundCounts(catalogue);
  const m = matchRevisits(aois, catalogue, {
    targetDate: options.targetDate,
    nRevisits,
    ...(options.maxCloudCover !== undefined ? { maxCloudCover: options.maxCloudCover } : {}),
  });
  result.revisits[selectOn] = m.revisits;
  result.duplicates += m.duplicates.length;
  for (const s of m.shortfalls) result.matchShortfalls.push({ level: selectOn, ...s });
  for (const x of m.invalid) result.invalidItems.push({ level: selectOn, ...x });
  for (const x of m.unknownCloudCover) result.unknownCloudCover.push({ level: selectOn, ...x });
  for (const level of levels) {
    if (level === selectOn) continue;
    if (p.kind === 'sentinelhub') {
      result.revisits[level] = m.revisits;
      continue;
    }
    const other = await search(level, false);
    result.found[level] = foundCounts(other);
    const paired = pairRevisits(aois, m.revisits, other);
    result.revisits[level] = paired.revisits;
    for (const u of paired.unpaired) result.unpaired.push({ level, ...u });
  }
  result.warnings = [...warnings];
  for (const w of result.warnings) context.log?.(`warning: ${w}`);
  return result;
}

const foundCounts = (catalogue: Map<string, CatalogueEntry[]>): Record<string, number> =>
  Object.fromEntries([...catalogue].map(([k, v]) => [k, v.length]));

/**
 * The items a search asked for: one dated outside the window or of another collection (a catalogue that ignores
 * `datetime` or `collections`) is listed as invalid instead of being matched as a revisit of this level and window.
 */
function inSearch(
  found: { items: StacItem[]; invalid: InvalidItem[] },
  collection: string,
  [start, end]: readonly [string, string],
): { items: StacItem[]; invalid: InvalidItem[] } {
  const from = parseIsoTime(start);
  const to = parseIsoTime(end) + 86_400_000; // the whole last day
  const items: StacItem[] = [];
  const invalid = [...found.invalid];
  for (const item of found.items) {
    const why = outsideSearch(item, collection, from, to, `${start}..${end}`);
    if (why) invalid.push({ id: typeof item?.id === 'string' ? item.id : null, reason: why });
    else items.push(item);
  }
  return { items, invalid };
}

function outsideSearch(
  item: StacItem,
  collection: string,
  from: number,
  to: number,
  window: string,
): string | undefined {
  const own = (item as { collection?: unknown })?.collection;
  if (typeof own === 'string' && own !== collection)
    return `of collection ${own}, not the searched ${collection}`;
  const datetime = item?.properties?.datetime;
  if (typeof datetime !== 'string') return undefined; // left to the catalogue-entry checks
  let t: number;
  try {
    t = parseIsoTime(datetime);
  } catch {
    return undefined;
  }
  return t < from || t >= to ? `dated ${datetime}, outside the searched window ${window}` : undefined;
}

/**
 * Log lines for what a search left out or ranked last (invalid items, unknown cloud cover), for pipelines that
 * report through their log only.
 *
 * @param found - the search result.
 * @returns one line per kind, none when nothing was left out.
 */
export function searchSkipLines(found: SearchRevisitsResult): string[] {
  checkObject('searchSkipLines', 'found', found);
  checkArray('searchSkipLines', 'found.invalidItems', found.invalidItems);
  checkArray('searchSkipLines', 'found.unknownCloudCover', found.unknownCloudCover);
  const ids = (xs: { id: string | null }[]) =>
    xs
      .slice(0, 5)
      .map((x) => x.id ?? '(no id)')
      .join(', ') + (xs.length > 5 ? ', …' : '');
  const out: string[] = [];
  if (found.invalidItems.length)
    out.push(
      `${found.invalidItems.length} catalogue item(s) unusable and skipped: ${ids(found.invalidItems)}`,
    );
  if (found.unknownCloudCover.length)
    out.push(
      `${found.unknownCloudCover.length} scene(s) without cloud cover (ranked last or excluded): ${ids(found.unknownCloudCover)}`,
    );
  // results stored before pairing existed have no `unpaired`
  const unpaired = found.unpaired ?? [];
  checkArray('searchSkipLines', 'found.unpaired', unpaired);
  for (const level of new Set(unpaired.map((u) => u.level))) {
    const list = unpaired.filter((u) => u.level === level);
    out.push(
      `${list.length} selected revisit(s) have no ${level} item of the same acquisition (no ${level} file for them): ${list
        .slice(0, 5)
        .map((u) => `${u.aoi} n=${u.n}`)
        .join(', ')}${list.length > 5 ? ', …' : ''}`,
    );
  }
  return out;
}

/**
 * Download matched revisits into the release layout: STAC → windowed COG reads warped to the AOI's 10 m grid
 * (`downloadStacRevisits`); SentinelHub → Process API TIFFs (`downloadSentinelHubRevisits`). One JSONL
 * manifest per level under `<root>/rebuild/`, so a re-run skips complete revisits (their files re-hashed against
 * the manifest) and redoes the rest.
 *
 * @param aois - AOIs the revisits refer to.
 * @param revisits - matched revisits per level.
 * @param options - root, provider, levels, concurrency, dry run.
 * @param context - signal, progress (`download <level>`).
 * @returns per-level counts, planned requests, processing units and failures (failed revisits are listed,
 *   not thrown).
 * @throws {EoFetchError} `ABORTED`, `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * await downloadRevisits(aois, found.revisits, { root: 'dataset', provider: { kind: 'stac' } });
 * ```
 */
export async function downloadRevisits(
  aois: readonly MatchAoi[],
  revisits: Partial<Record<S2Level, readonly MatchedRevisit[]>>,
  options: DownloadRevisitsOptions,
  context: StageContext = {},
): Promise<DownloadRevisitsResult> {
  const fn = 'downloadRevisits';
  checkObjectArray(fn, 'aois', aois);
  checkObject(fn, 'revisits', revisits);
  for (const level of Object.keys(revisits) as S2Level[])
    if (revisits[level] !== undefined) checkRevisits(fn, `revisits.${level}`, revisits[level]);
  checkObject(fn, 'options', options);
  checkNonEmptyString(fn, 'options.root', options.root);
  checkProvider(fn, 'options.provider', options.provider);
  if (options.levels !== undefined) checkArray(fn, 'options.levels', options.levels);
  for (const k of ['manifestPathFor', 'fetch'] as const) checkFunction(fn, `options.${k}`, options[k], true);
  checkStageContext(fn, context);
  const { signal, onProgress } = context;
  const p = options.provider;
  const out: DownloadRevisitsResult = { downloads: {}, plannedRequests: 0, processingUnits: 0, failures: [] };
  // one SAS signer for the stage (every level and revisit): tokens are cached per storage container
  const signer =
    p.kind === 'stac' && stacProviderOf(p).requiresSigning
      ? createPlanetaryComputerSigner({ fetch: options.fetch })
      : undefined;
  for (const level of options.levels ?? ['L2A']) {
    throwIfAborted(signal);
    const list = revisits[level] ?? [];
    const manifestPath =
      options.manifestPathFor?.(level) ?? join(options.root, 'rebuild', `manifest-${level}.jsonl`);
    const stage = `download ${level}`;
    if (p.kind === 'stac') {
      if (options.dryRun) {
        out.plannedRequests += (level === 'L2A' ? L2A_BANDS.length + 1 : L1C_BANDS.length) * list.length;
        out.downloads[level] = { downloaded: 0, skipped: 0, failed: 0, planned: list.length };
        continue;
      }
      const report = await downloadStacRevisits(aois, list, {
        root: options.root,
        provider: stacProviderOf(p),
        ...(signer ? { signer } : {}),
        level,
        manifestPath,
        concurrency: options.concurrency ?? 4,
        ...(options.idleTimeoutMs ? { requestTimeoutMs: options.idleTimeoutMs } : {}),
        ...(options.readLimits ? { readLimits: options.readLimits } : {}),
        fetch: options.fetch,
        signal,
        onProgress: (e) => onProgress?.({ stage, done: e.done, total: e.total }),
      });
      const skipped = report.results.filter((r) => r.skipped).length;
      out.downloads[level] = {
        downloaded: report.results.length - skipped,
        skipped,
        failed: report.failed.length,
        planned: 0,
      };
      for (const f of report.failed)
        out.failures.push({ level, aoi: f.aoi, n: f.n, code: f.error.code, message: f.error.message });
    } else {
      const { client: sh, secrets } = await sentinelHubSession(p, options.fetch);
      const report = await downloadSentinelHubRevisits(sh, aois, list, {
        root: options.root,
        secrets,
        idleTimeoutMs: options.idleTimeoutMs,
        levels: [level],
        manifestPath: options.dryRun ? undefined : manifestPath,
        // like the STAC path: a verified file changed on disk at the same size is fetched again
        verifyExisting: 'sha256',
        dryRun: options.dryRun,
        concurrency: options.concurrency ?? 4,
        perHost: options.concurrency ?? 4,
        signal,
        onProgress: (e) => onProgress?.({ stage, done: e.done, total: e.total }),
      });
      const perRevisit = report.total / Math.max(1, list.length);
      out.processingUnits += report.processingUnits;
      if (options.dryRun) {
        out.plannedRequests += report.requests;
        out.downloads[level] = {
          downloaded: 0,
          skipped: 0,
          failed: 0,
          planned: Math.round(report.downloaded / perRevisit),
        };
      } else {
        const failed = new Map<string, (typeof report.failed)[number]>();
        for (const f of report.failed) failed.set(`${f.job.aoi}/${f.job.revisit}`, f);
        out.downloads[level] = {
          downloaded: Math.round(report.downloaded / perRevisit),
          skipped: Math.round(report.skipped / perRevisit),
          failed: failed.size,
          planned: 0,
        };
        for (const f of failed.values())
          out.failures.push({
            level,
            aoi: f.job.aoi ?? '',
            n: f.job.revisit ?? 0,
            code: f.error.code,
            message: f.error.message,
          });
      }
    }
  }
  return out;
}
