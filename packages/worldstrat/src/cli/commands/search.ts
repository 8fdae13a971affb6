// `worldstrat search`: catalogue search (STAC API or SentinelHub) + temporal matching for AOIs.

import { writeFileAtomic } from '@worldstrat/core/node';
import { aoiPixelSize, DEFAULT_MAX_AOI_SIDE_PX, type S2Level } from '@worldstrat/eo-fetch';
import {
  MAX_ITEMS_PER_SEARCH,
  type RevisitProvider,
  type SearchRevisitsResult,
  searchRevisits,
} from '@worldstrat/eo-fetch/node';
import type { Aoi } from '@worldstrat/geo-sampling';
import { readAoisFile } from '@worldstrat/geo-sampling/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { checkOutputPaths } from '../../internal/output-paths.node.js';
import { checkInputFile } from '../input-file.js';
import {
  checkDateOrder,
  commaListOption,
  concurrencyOption,
  dateOption,
  intOption,
  listValueOption,
  parseBBox,
  parseDate,
  percentOption,
} from '../options.js';
import { displayUrl, serviceUrlWithAuth } from '../redact.js';
import type { CliRunner, CliRuntime } from '../runtime.js';

/** What `search --out` writes and `fetch --matches` reads. */
export interface MatchesFile {
  version: 1;
  provider: RevisitProvider;
  levels: S2Level[];
  targetDate: string;
  aois: Aoi[];
  revisits: SearchRevisitsResult['revisits'];
  /** Catalogue items left out as unusable (not matched). */
  invalidItems?: SearchRevisitsResult['invalidItems'];
  /** Scenes without a cloud cover (ranked last, or excluded under a cloud limit). */
  unknownCloudCover?: SearchRevisitsResult['unknownCloudCover'];
  /** Catalogue warnings (e.g. an unsupported filter). */
  warnings?: string[];
  /** The STAC URL had credentials, which are not stored: `fetch` needs `--stac-url` again. */
  credentialsOmitted?: boolean;
}

/**
 * The provider as a file or JSON output may record it: URLs without userinfo or token parameters.
 *
 * @param p - the provider.
 * @returns the provider with displayable URLs.
 */
export function displayProvider(p: RevisitProvider): RevisitProvider {
  if (p.kind === 'stac') return { ...p, ...(p.url !== undefined ? { url: displayUrl(p.url) } : {}) };
  const { credentials: _secret, ...rest } = p;
  return { ...rest, ...(p.baseUrl !== undefined ? { baseUrl: displayUrl(p.baseUrl) } : {}) };
}

/**
 * A provider ready to use: credentials split off its URL and sent only to its origin (see serviceUrlWithAuth).
 *
 * @param p - the provider as given.
 * @returns the provider without userinfo in its URL, and the fetch that authenticates (when it had some).
 */
export function providerAccess(p: RevisitProvider): { provider: RevisitProvider; fetch?: typeof fetch } {
  const url = p.kind === 'stac' ? p.url : p.baseUrl;
  if (url === undefined) return { provider: p };
  const split = serviceUrlWithAuth(url);
  const provider: RevisitProvider =
    p.kind === 'stac' ? { ...p, url: split.url } : { ...p, baseUrl: split.url };
  return { provider, ...(split.fetch ? { fetch: split.fetch } : {}) };
}

/** Whether a provider URL carries credentials (so a file cannot record it as given). */
export function providerHasCredentials(p: RevisitProvider): boolean {
  const url = p.kind === 'stac' ? p.url : p.baseUrl;
  return url !== undefined && displayUrl(url) !== url;
}

/**
 * Provider options shared by `search` and `rebuild`-style commands.
 *
 * @param o - parsed options (`provider`, `stacUrl`, `stacProvider`, `shUrl`, `shConfig`).
 * @returns the provider.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for an unknown kind.
 */
export function providerFromOptions(o: ProviderOptions): RevisitProvider {
  const kind = o.provider ?? 'stac';
  if (kind === 'stac') return { kind, url: o.stacUrl, provider: o.stacProvider ?? 'earth-search' };
  if (kind === 'sentinelhub') return { kind, baseUrl: o.shUrl, configPath: o.shConfig };
  throw new WorldStratError('INVALID_ARGUMENT', `--provider ${kind}: use stac or sentinelhub`);
}

/**
 * Parse `--levels L2A,L1C`.
 *
 * @param v - option text.
 * @returns the levels.
 * @throws {WorldStratError} `INVALID_ARGUMENT`.
 */
export function parseLevels(v: unknown): S2Level[] {
  const levels: S2Level[] = [];
  for (const l of String(v ?? 'L2A')
    .split(',')
    .map((s) => s.trim().toUpperCase())) {
    if (l !== 'L2A' && l !== 'L1C')
      throw new WorldStratError('INVALID_ARGUMENT', `levels ${v}: use L2A, L1C or both`);
    levels.push(l);
  }
  return levels;
}

/** The catalogue options `search`, `fetch`, `rebuild` and `superresolve` share. */
export interface ProviderOptions {
  provider?: string;
  stacUrl?: string;
  stacProvider?: string;
  shUrl?: string;
  shConfig?: string;
}

/** Register the command. */
export function registerSearch(program: Command, run: CliRunner): void {
  program
    .command('search')
    .description(
      'search Sentinel-2 scenes for AOIs (STAC API or SentinelHub Catalog) and match the best revisits',
    )
    .option('--aois <file>', 'AOI file (.csv/.geojson/.arrow from `worldstrat aois`)')
    .option('--bbox <bbox>', 'or a single box minLon,minLat,maxLon,maxLat (named "bbox")', listValueOption())
    .requiredOption('--from <date>', '(required) window start (YYYY-MM-DD)', dateOption('from'))
    .requiredOption('--to <date>', '(required) window end (YYYY-MM-DD)', dateOption('to'))
    .option(
      '--target-date <date>',
      'rank revisits by distance to this date (default: middle of the window)',
      dateOption('target-date'),
    )
    .option('--revisits <n>', 'revisits kept per AOI', intOption('revisits', { min: 1, max: 100 }), 16)
    .option('--max-cloud <pct>', 'maximum scene cloud cover', percentOption('max-cloud'))
    .option('--levels <list>', 'L2A,L1C', commaListOption(), 'L2A')
    .option('--provider <kind>', 'stac | sentinelhub', 'stac')
    .option('--stac-url <url>', 'STAC API root (default: the provider’s)')
    .option('--stac-provider <id>', 'earth-search | earth-search-c1 | planetary-computer', 'earth-search')
    .option('--sh-url <url>', 'SentinelHub API root')
    .option('--sh-config <file>', 'SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET)')
    .option('--concurrency <n>', 'searches in flight', concurrencyOption(), 4)
    .option(
      '--max-items <n>',
      'most catalogue items per AOI search; more fails with PAGE_LIMIT (default: 8 per day of the window, ≥ 100)',
      intOption('max-items', { min: 1, max: MAX_ITEMS_PER_SEARCH }),
    )
    .option(
      '--max-aoi-px <n>',
      'largest AOI side in 10 m pixels (larger AOIs are refused before searching)',
      intOption('max-aoi-px', { min: 1, max: 1_000_000 }),
      DEFAULT_MAX_AOI_SIDE_PX,
    )
    .option('--out <file.json>', 'write the matches (input of `worldstrat fetch --matches`)')
    .action((_opts, cmd: Command) => run<SearchCommandOptions>(cmd, (o, rt) => searchAction(o, rt)));
}

/** Options of `worldstrat search` (dates and boxes may come as text or lists from a config file). */
interface SearchCommandOptions extends ProviderOptions {
  aois?: string;
  bbox?: unknown;
  from: unknown;
  to: unknown;
  targetDate?: unknown;
  revisits: number;
  maxCloud?: number;
  levels: unknown;
  concurrency: number;
  maxItems?: number;
  maxAoiPx: number;
  out?: string;
}

/** The AOIs to search: an AOI file, or one box named "bbox"; each checked against the pixel-size cap. */
async function searchAois(o: SearchCommandOptions): Promise<Aoi[]> {
  if (o.aois !== undefined && o.bbox !== undefined)
    throw new WorldStratError('INVALID_ARGUMENT', 'give --aois <file> or --bbox <box>, not both');
  let aois: Aoi[];
  if (o.aois) {
    await checkInputFile(o.aois, 'AOI file');
    if (o.out) await checkOutputPaths([{ path: o.out, what: '--out' }], [{ path: o.aois, what: 'AOI file' }]);
    aois = await readAoisFile(o.aois);
  } else if (o.bbox) {
    const b = parseBBox(o.bbox);
    aois = [
      { name: 'bbox', lon: (b[0] + b[2]) / 2, lat: (b[1] + b[3]) / 2, bounds: b, areaKm2: 0, source: 'bbox' },
    ];
  } else throw new WorldStratError('INVALID_ARGUMENT', 'search needs --aois <file> or --bbox <box>');
  // a world-sized box would otherwise match scenes and be fetched as a huge, degenerate raster
  for (const a of aois) if (a.bounds[0] < a.bounds[2]) aoiPixelSize(a.bounds, 10, { maxSidePx: o.maxAoiPx });
  return aois;
}

/** Search, optionally write the matches file, print the summary. */
async function searchAction(o: SearchCommandOptions, rt: CliRuntime): Promise<void> {
  const from = parseDate('from', o.from);
  const to = parseDate('to', o.to);
  checkDateOrder(from, to);
  const targetDate =
    o.targetDate !== undefined
      ? parseDate('target-date', o.targetDate)
      : new Date((Date.parse(from) + Date.parse(to)) / 2).toISOString().slice(0, 10);
  const aois = await searchAois(o);
  const given = providerFromOptions(o);
  const { provider, fetch } = providerAccess(given);
  const levels = parseLevels(o.levels);
  const res = await searchRevisits(
    aois,
    {
      provider,
      dateRange: [from, to],
      targetDate,
      nRevisits: o.revisits,
      maxCloudCover: o.maxCloud,
      levels,
      concurrency: o.concurrency,
      ...(o.maxItems !== undefined ? { maxItemsPerSearch: o.maxItems } : {}),
      ...(fetch ? { fetch } : {}),
    },
    { signal: rt.signal, onProgress: rt.onProgress },
  );
  const skipped = {
    invalidItems: res.invalidItems,
    unknownCloudCover: res.unknownCloudCover,
    warnings: res.warnings,
  };
  if (o.out) {
    const file: MatchesFile = {
      version: 1,
      provider: displayProvider(provider),
      ...(providerHasCredentials(given) ? { credentialsOmitted: true } : {}),
      levels,
      targetDate,
      aois,
      revisits: res.revisits,
      ...skipped,
    };
    await writeFileAtomic(o.out, `${JSON.stringify(file)}\n`);
  }
  const summary = {
    aois: aois.length,
    searchRequests: res.searchRequests,
    found: res.found,
    duplicates: res.duplicates,
    shortfalls: res.matchShortfalls,
    maxItemsPerSearch: res.maxItemsPerSearch,
    ...skipped,
    revisits: Object.fromEntries(
      Object.entries(res.revisits).map(([level, list]) => [
        level,
        (list ?? []).map((r) => ({
          aoi: r.aoi,
          n: r.n,
          id: r.entry.id,
          datetime: r.entry.datetime,
          cloudCover: r.entry.cloudCover,
          deltaDays: r.deltaDays,
        })),
      ]),
    ),
    out: o.out ?? null,
  };
  const lines = Object.entries(summary.revisits).flatMap(([level, list]) => [
    `${level}: ${list.length} revisits for ${aois.length} AOIs (${res.searchRequests} searches)`,
    ...list.map(
      (r) =>
        `  ${r.aoi} #${r.n}  ${r.id}  ${r.datetime.slice(0, 10)}  ${r.cloudCover === null ? 'cloud unknown' : `cloud ${r.cloudCover}%`}  Δ${r.deltaDays} d`,
    ),
  ]);
  for (const x of res.invalidItems)
    lines.push(`skipped ${x.level} ${x.aoi} ${x.id ?? '(no id)'}: ${x.reason}`);
  for (const x of res.unknownCloudCover)
    lines.push(
      `no cloud cover: ${x.level} ${x.aoi} ${x.id} (${x.excluded ? 'excluded by --max-cloud' : 'ranked last'})`,
    );
  for (const w of res.warnings) lines.push(`warning: ${w}`);
  if (o.out) lines.push(`wrote ${o.out}`);
  rt.done(summary, lines.join('\n'));
}
