// `worldstrat rebuild`: sample → stratify → AOIs → catalogue search → matching → download → release layout.

import { MAX_ITEMS_PER_SEARCH } from '@worldstrat/eo-fetch/node';
import { isRebalanceWeightName } from '@worldstrat/stratify';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { QueueExecutor } from '../../executors/queue-executor.node.js';
import { parseQueueUrl } from '../../executors/redis-connection.node.js';
import { downloadFailureError, leadingFailure } from '../../internal/download-failures.js';
import { type RebuildOptions, type RebuildResult, rebuild } from '../../pipelines/rebuild.node.js';
import { checkInputFile } from '../input-file.js';
import {
  addReadLimitOptions,
  areaOption,
  checkDateOrder,
  commaListOption,
  concurrencyOption,
  dateOption,
  intOption,
  listValueOption,
  MAX_POINTS,
  numberOption,
  parseBBox,
  parseDate,
  percentOption,
  type ReadLimitOptions,
  readLimitsFrom,
  seedOption,
} from '../options.js';
import type { CliRunner } from '../runtime.js';
import { idleTimeoutMs, parseIdleTimeout } from './download-release.js';
import { type ProviderOptions, parseLevels, providerAccess, providerFromOptions } from './search.js';

/** Register the command. */
export function registerRebuild(program: Command, run: CliRunner): void {
  addReadLimitOptions(program.command('rebuild'))
    .description(
      'rebuild a WorldStrat-style dataset: sample → stratify → AOIs → catalogue search → matching → download → layout (resumable)',
    )
    .argument('<root>', 'output dataset folder (plan and manifests in <root>/rebuild/)')
    .requiredOption(
      '--landcover <file|url>',
      '(required) land-cover raster (ESA CCI LCCS 300 m, or WorldCover with --landcover-legend)',
    )
    .requiredOption(
      '--target <n>',
      '(required) number of AOIs to draw (rebalanced over IPCC classes)',
      intOption('target', { min: 1, max: 100_000 }),
    )
    .requiredOption('--from <date>', '(required) search window start (YYYY-MM-DD)', dateOption('from'))
    .requiredOption('--to <date>', '(required) search window end (YYYY-MM-DD)', dateOption('to'))
    .option('--landcover-legend <legend>', 'lccs | worldcover', 'lccs')
    .option('--smod <file|url>', 'settlement raster (GHSL SMOD, Mollweide)')
    .option('--smod-crs <crs>', 'CRS of the SMOD raster when the file names none', 'ESRI:54009')
    .option('--compat', "upstream's ceil pixel rounding in class lookups", false)
    .option('--points <file>', 'POI file (CSV/GeoJSON) used as the pool instead of sampling')
    .option(
      '--pool-size <n>',
      'points sampled for the pool (default 20 × target)',
      intOption('pool-size', { min: 1, max: MAX_POINTS }),
    )
    .option('--region <bbox>', 'sample only inside minLon,minLat,maxLon,maxLat', listValueOption())
    .option('--land-mask <file|url|none>', 'land mask GeoTIFF, or none (default Natural Earth 1:10m)')
    .option('--weight <f>', 'rebalancing weight: cbrt | sqrt | linear', 'cbrt')
    .option('--area <km2>', 'AOI area in km²', areaOption(), 2.5)
    .option('--seed <n>', 'seed of sampling, draw and split', seedOption(), 0)
    .option('--provider <kind>', 'stac | sentinelhub', 'stac')
    .option('--stac-url <url>', 'STAC API root (default: the provider’s)')
    .option(
      '--stac-provider <id>',
      'eo-fetch provider table: earth-search | earth-search-c1 | planetary-computer',
      'earth-search',
    )
    .option('--sh-url <url>', 'SentinelHub API root (default https://services.sentinel-hub.com)')
    .option('--sh-config <file>', 'SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET)')
    .option(
      '--target-date <date>',
      'date revisits are ranked against (default: middle of the window)',
      dateOption('target-date'),
    )
    .option('--revisits <n>', 'revisits per AOI', intOption('revisits', { min: 1, max: 100 }), 16)
    .option('--max-cloud <pct>', 'maximum scene cloud cover', percentOption('max-cloud'))
    .option('--levels <list>', 'L2A,L1C', commaListOption(), 'L2A')
    .option('--concurrency <n>', 'parallel searches and revisit downloads', concurrencyOption(), 4)
    .option(
      '--spot',
      'SentinelHub only: search SPOT per AOI and rank Sentinel-2 revisits against its acquisition date (no ordering)',
      false,
    )
    .option('--spot-max-cloud <pct>', 'SPOT maximum cloud coverage', percentOption('spot-max-cloud'))
    .option(
      '--order-spot',
      'implies --spot: order the chosen SPOT products into a BYOC collection and download HR RGBN/PAN (+ pansharpened _ps) into hr_dataset/<AOI>/; a dry run (ids and km² per AOI) unless --confirm-spot-orders',
      false,
    )
    .option(
      '--confirm-spot-orders',
      'with --order-spot: really create and confirm the orders (PAID: spends SentinelHub quota); existing orders are reused',
      false,
    )
    .option(
      '--spot-collection <name>',
      'BYOC collection for SPOT orders (created when missing)',
      'worldstrat-spot',
    )
    .option(
      '--spot-collection-id <id>',
      'existing BYOC collection id for SPOT orders (instead of --spot-collection)',
    )
    .option(
      '--spot-poll <s>',
      'seconds between SPOT order-status polls',
      numberOption('spot-poll', { above: 0, max: 86_400 }),
      60,
    )
    .option(
      '--spot-timeout <min>',
      'minutes to wait for SPOT delivery before giving up (re-run later: orders are reused)',
      numberOption('spot-timeout', { above: 0, max: 10_080 }),
      240,
    )
    .option(
      '--max-items <n>',
      'most catalogue items per AOI search; more fails with PAGE_LIMIT (default: 8 per day of the window, ≥ 100)',
      intOption('max-items', { min: 1, max: MAX_ITEMS_PER_SEARCH }),
    )
    .option(
      '--idle-timeout <s>',
      'seconds without data before a revisit download request is aborted and retried (default 60; 0: off)',
      parseIdleTimeout,
    )
    .option(
      '--queue <url>',
      'run the per-AOI downloads as jobs on this Redis (redis://HOST:PORT[/DB]) for `worldstrat worker` processes sharing <root>; waits for them unless --detach',
    )
    .option(
      '--detach',
      'with --queue: enqueue the next jobs (the searches; once their results are in, the downloads) and return at once; follow them with `worldstrat status --queue …`, run again without it to wait and write the tables',
      false,
    )
    .option('--replan', 'ignore the saved plan and sample/search again', false)
    .option(
      '--dry-run',
      'plan and count requests (and SentinelHub processing units); download nothing',
      false,
    )
    .action((root: string, _opts, cmd: Command) =>
      run<RebuildCommandOptions>(cmd, async (o, rt) => {
        if (o.detach && o.queue === undefined)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            '--detach needs --queue (it leaves the queued jobs to workers)',
          );
        if (o.points !== undefined) await checkInputFile(o.points, 'points file');
        const options = rebuildOptionsFrom(root, o);
        if (o.queue !== undefined && options.fetch)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            '--queue: credentials in the provider URL are not sent to the queue; give workers access another way (a config file or the environment)',
          );
        const executor = o.queue !== undefined ? await QueueExecutor.connect(o.queue) : undefined;
        const res = await rebuild(
          { ...options, ...(executor ? { executor, detach: Boolean(o.detach) } : {}) },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        ).finally(() => executor?.close());
        if (res.detached && o.queue !== undefined) {
          rt.done(res, detachedSummary(res, parseQueueUrl(o.queue).display));
          return;
        }
        rt.done(res, rebuildSummary(res).join('\n'));
        const sp = res.spot;
        const spotLead = leadingFailure(sp?.failures ?? []);
        if (sp && spotLead)
          throw downloadFailureError(
            sp.failures,
            `${sp.failures.length} SPOT file(s) failed (first: ${spotLead.aoi}: ${spotLead.message})`,
            'run again to retry (orders are reused)',
          );
        const lead = leadingFailure(res.failures);
        if (lead)
          throw downloadFailureError(
            res.failures,
            `${res.failures.length} revisit(s) failed (first: ${lead.aoi}-${lead.n}: ${lead.message})`,
            'run again to retry',
          );
      }),
    );
}

/** What a `--detach` run left queued and how to go on. */
function detachedSummary(res: RebuildResult, queue: string): string {
  const follow = `follow them with \`worldstrat status --queue ${queue}\``;
  if (res.detachedStage === 'search')
    return `${res.aois} AOIs: catalogue search jobs queued on ${queue} (no plan yet); ${follow}. When they are done, run the same command again: with --detach it queues the downloads, without it waits for them and writes the tables`;
  const what = res.detachedStage === 'spot' ? 'SPOT order jobs' : 'download jobs';
  return `${res.aois} AOIs: ${what} queued on ${queue}; ${follow}, then run the same command without --detach to wait and write the tables`;
}

/** Options of `worldstrat rebuild` (as its parsers return them; dates and boxes may come as text from a config file). */
interface RebuildCommandOptions extends ProviderOptions, ReadLimitOptions {
  /** Redis URL of the queue executor. */
  queue?: string;
  detach?: boolean;
  landcover: string;
  target: number;
  from: unknown;
  to: unknown;
  landcoverLegend: string;
  smod?: string;
  smodCrs: string;
  compat: boolean;
  points?: string;
  poolSize?: number;
  region?: unknown;
  landMask?: string;
  weight: string;
  area: number;
  seed: number;
  targetDate?: unknown;
  revisits: number;
  maxCloud?: number;
  levels: unknown;
  concurrency: number;
  spot: boolean;
  spotMaxCloud?: number;
  orderSpot: boolean;
  confirmSpotOrders: boolean;
  spotCollection: string;
  spotCollectionId?: string;
  spotPoll: number;
  spotTimeout: number;
  maxItems?: number;
  idleTimeout?: unknown;
  replan: boolean;
  dryRun: boolean;
}

/** The pipeline's options from the command's, checked. */
function rebuildOptionsFrom(root: string, o: RebuildCommandOptions): RebuildOptions {
  const from = parseDate('from', o.from);
  const to = parseDate('to', o.to);
  checkDateOrder(from, to);
  const { provider, fetch } = providerAccess(providerFromOptions(o));
  const levels = parseLevels(o.levels);
  const weight = o.weight;
  if (!isRebalanceWeightName(weight))
    throw new WorldStratError('INVALID_ARGUMENT', `--weight ${weight}: use cbrt, sqrt or linear`);
  const legend = o.landcoverLegend;
  if (legend !== 'lccs' && legend !== 'worldcover')
    throw new WorldStratError('INVALID_ARGUMENT', `--landcover-legend ${legend}: use lccs or worldcover`);
  if (o.confirmSpotOrders && !o.orderSpot)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      '--confirm-spot-orders needs --order-spot (it confirms the SPOT orders that --order-spot places)',
    );
  const readLimits = readLimitsFrom(o);
  return {
    root,
    landcover: o.landcover,
    landcoverLegend: legend,
    smod: o.smod,
    smodCrs: o.smodCrs,
    compat: Boolean(o.compat),
    pointsFile: o.points,
    poolSize: o.poolSize,
    region: o.region !== undefined ? parseBBox(o.region, 'region') : undefined,
    landMask: o.landMask,
    target: o.target,
    weight,
    areaKm2: o.area,
    seed: o.seed,
    provider,
    dateRange: [from, to],
    targetDate: o.targetDate !== undefined ? parseDate('target-date', o.targetDate) : undefined,
    nRevisits: o.revisits,
    maxCloudCover: o.maxCloud,
    levels,
    concurrency: o.concurrency,
    ...(o.maxItems !== undefined ? { maxItemsPerSearch: o.maxItems } : {}),
    ...(o.idleTimeout !== undefined ? { idleTimeoutMs: idleTimeoutMs(o.idleTimeout) } : {}),
    ...(readLimits ? { readLimits } : {}),
    replan: Boolean(o.replan),
    spot:
      o.spot || o.orderSpot
        ? {
            maxCloudCoverage: o.spotMaxCloud,
            ...(o.orderSpot
              ? {
                  order: {
                    collectionName: o.spotCollection,
                    collectionId: o.spotCollectionId,
                    confirm: Boolean(o.confirmSpotOrders),
                    pollSeconds: o.spotPoll,
                    timeoutMinutes: o.spotTimeout,
                  },
                }
              : {}),
          }
        : undefined,
    dryRun: Boolean(o.dryRun),
    ...(fetch ? { fetch } : {}),
  };
}

/** The human summary of a rebuild (downloads, files, SPOT orders). */
function rebuildSummary(res: RebuildResult): string[] {
  const lines = [
    `${res.aois} AOIs${res.planReused ? ' (saved plan)' : `, ${res.searchRequests} catalogue searches`}`,
    ...Object.entries(res.downloads).map(([level, d]) =>
      res.dryRun
        ? `${level}: ${d.planned} revisits to download`
        : `${level}: ${d.downloaded} downloaded, ${d.skipped} already complete, ${d.failed} failed`,
    ),
  ];
  if (res.dryRun)
    lines.push(
      `dry run: ${res.plannedRequests} download requests${res.processingUnits ? `, ≈${res.processingUnits.toFixed(1)} processing units` : ''}`,
    );
  else lines.push(`wrote ${res.files.metadata} and ${res.files.split}`);
  const sp = res.spot;
  if (sp?.dryRun)
    lines.push(
      ...sp.orders.map(
        (r) =>
          `SPOT ${r.aoi}: ${r.productId}, ${r.sqkm} km²${r.orderId ? ` (order ${r.orderId} exists, ${r.status})` : ''}`,
      ),
      `SPOT dry run: ${sp.newSqkm} km² would be ordered into ${sp.collection.id ?? `a new collection ${sp.collection.name}`}; add --confirm-spot-orders to order (paid)`,
    );
  else if (sp)
    lines.push(
      `SPOT: ${sp.created} order(s) created, ${sp.reused} reused (${sp.newSqkm} km² new); HR files: ${sp.downloads.downloaded} downloaded, ${sp.downloads.skipped} already complete, ${sp.downloads.failed} failed; ${sp.pansharpened} pansharpened`,
    );
  return lines;
}
