// The rebuild's per-AOI SPOT unit: order (or reuse) one AOI's SPOT product, wait for delivery, download RGBN +
// PAN and pansharpen. The order lookup and creation run inside the process's lock (`order:<collection>:<AOI>`:
// Redis in queue workers, in-process locally), so workers racing on one AOI, or a duplicate job, find the
// first one's order instead of placing a second. The whole unit also holds `spot-unit:<root>:<AOI>`, so a
// duplicate job of the AOI waits and then finds every file complete instead of writing them at the same time.
// Each unit keeps its own HR manifest and order record; the
// coordinator merges them into `<root>/rebuild/manifest-HR.jsonl` and `<root>/rebuild/spot-orders.json`.
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { EO_FETCH_ERROR_CODES, EoFetchError, type EoFetchErrorCode } from '@worldstrat/eo-fetch';
import {
  emptySpotResult,
  orderSpotImagery,
  type RevisitProvider,
  type SpotOrderAoi,
  type SpotOrderOptions,
  type SpotOrdersResult,
  sentinelHubClientFor,
} from '@worldstrat/eo-fetch/node';
import { WorldStratError } from '../errors.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import {
  absolutePath,
  aoiName,
  type DocumentSource,
  finite,
  flag,
  integer,
  list,
  lonLatBox,
  MAX_LIST_LENGTH,
  optional,
  provider,
  record,
  text,
  unitFailures,
} from './document-checks.node.js';
import type { Executor, ExecutorUnit, UnitOutcome } from './executor.js';
import { mergeUnitManifests, shareableProvider, unitManifestPath } from './rebuild-units.node.js';
import type { StageRuntime } from './stage-handlers.node.js';

/** JSON parameters of one `rebuild-spot-order` unit (no credentials: workers load their own). */
export interface RebuildSpotOrderParams {
  /** Absolute dataset root (shared by every worker). */
  root: string;
  provider: RevisitProvider;
  aoi: { name: string; bounds: number[]; spot: { id: string } };
  order: SpotOrderOptions;
}

/**
 * Order and download one AOI's SPOT imagery (see the file header).
 *
 * @param params - the unit's parameters.
 * @param context - signal.
 * @param runtime - the process's fetch and lock.
 * @returns the AOI's order, download counts and failures.
 * @throws {WorldStratError} `INVALID_ARGUMENT`; eo-fetch's `ORDER_FAILED`, `TIMEOUT` and HTTP errors.
 */
export async function runRebuildSpotOrderUnit(
  params: RebuildSpotOrderParams,
  context: PipelineContext,
  runtime: StageRuntime = {},
): Promise<SpotOrdersResult> {
  if (!isAbsolute(params.root))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `unit ${params.aoi.name}: root ${params.root} is not absolute`,
    );
  const p = params.provider;
  if (p.kind !== 'sentinelhub')
    throw new WorldStratError('INVALID_ARGUMENT', 'ordering SPOT needs the SentinelHub provider');
  const sh = await sentinelHubClientFor(p, runtime.fetch);
  const order = () =>
    orderSpotImagery(
      sh,
      [params.aoi as SpotOrderAoi],
      {
        ...params.order,
        root: params.root,
        concurrency: 2,
        ...(runtime.lock ? { lock: runtime.lock } : {}),
        recordPath: join(params.root, 'rebuild', 'units', 'spot', `${params.aoi.name}.json`),
        manifestPath: unitManifestPath(params.root, 'HR', params.aoi.name),
      },
      { signal: context.signal },
    );
  if (!runtime.lock) return order();
  // a duplicate waits as long as a delivery may take, plus the downloads
  const waitMs = ((params.order.timeoutMinutes ?? 240) + 30) * 60_000;
  return runtime.lock(`spot-unit:${params.root}:${params.aoi.name}`, order, { waitMs });
}

/**
 * Check a `rebuild-spot-order` unit's parameters as a queue delivers them.
 *
 * @param v - the job's data.
 * @param doc - names the job.
 * @returns the same parameters, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkSpotOrderParams(v: unknown, doc: DocumentSource): RebuildSpotOrderParams {
  const p = record(doc, v, 'params');
  absolutePath(doc, p.root, 'root');
  provider(doc, p.provider, 'provider');
  const a = record(doc, p.aoi, 'aoi');
  aoiName(doc, a.name, 'aoi.name');
  lonLatBox(doc, a.bounds, 'aoi.bounds');
  text(doc, record(doc, a.spot, 'aoi.spot').id, 'aoi.spot.id');
  const o = record(doc, p.order, 'order');
  for (const k of ['collectionName', 'collectionId']) optional(o[k], (x) => text(doc, x, `order.${k}`, 256));
  optional(o.confirm, (x) => flag(doc, x, 'order.confirm'));
  optional(o.pollSeconds, (x) => finite(doc, x, 'order.pollSeconds', 0, 86_400));
  optional(o.timeoutMinutes, (x) => finite(doc, x, 'order.timeoutMinutes', 0, 525_600));
  return p as unknown as RebuildSpotOrderParams;
}

/**
 * Check a `rebuild-spot-order` unit's result as a queue returns it.
 *
 * @param v - the job's return value.
 * @param doc - names the job.
 * @returns the same result, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkSpotOrdersResult(v: unknown, doc: DocumentSource): SpotOrdersResult {
  const r = record(doc, v, 'result');
  flag(doc, r.dryRun, 'dryRun');
  const c = record(doc, r.collection, 'collection');
  for (const k of ['id', 'name']) optional(c[k], (x) => text(doc, x, `collection.${k}`, 256));
  flag(doc, c.created, 'collection.created');
  for (const [i, x] of list(doc, r.orders, 'orders').entries()) {
    const o = record(doc, x, `orders[${i}]`);
    aoiName(doc, o.aoi, `orders[${i}].aoi`);
    text(doc, o.productId, `orders[${i}].productId`);
    finite(doc, o.sqkm, `orders[${i}].sqkm`, 0, 1e8);
    for (const k of ['orderId', 'status']) optional(o[k], (s) => text(doc, s, `orders[${i}].${k}`));
    flag(doc, o.reused, `orders[${i}].reused`);
  }
  finite(doc, r.newSqkm, 'newSqkm', 0, 1e12);
  for (const k of ['created', 'confirmed', 'reused', 'pansharpened'])
    integer(doc, r[k], k, 0, MAX_LIST_LENGTH);
  const d = record(doc, r.downloads, 'downloads');
  for (const k of ['downloaded', 'skipped', 'failed', 'planned'])
    integer(doc, d[k], `downloads.${k}`, 0, MAX_LIST_LENGTH);
  unitFailures(doc, r.failures, 'failures', false);
  return r as unknown as SpotOrdersResult;
}

/** Options of {@link spotThroughExecutor}. */
export interface ExecutorSpotOptions {
  root: string;
  provider: RevisitProvider;
  order: SpotOrderOptions;
  concurrency?: number;
  detach?: boolean;
}

/**
 * Order the SPOT imagery of a plan's AOIs as one executor unit per AOI and merge the results (orders in AOI
 * order, counts summed, the units' HR manifests and order records folded into the dataset's).
 *
 * @param executor - local or queue executor.
 * @param aois - the plan's AOIs (those without a SPOT product are skipped).
 * @param options - root, provider, order options.
 * @param context - signal, progress, log.
 * @returns the merged result like `orderSpotImagery`'s, or null when detached.
 * @throws {EoFetchError} `ORDER_FAILED` / `TIMEOUT` of an undelivered order (after the rest is merged);
 *   `QUEUE_UNAVAILABLE`.
 */
export async function spotThroughExecutor(
  executor: Executor,
  aois: readonly { name: string; bounds: readonly number[]; spot?: { id: string } }[],
  options: ExecutorSpotOptions,
  context: PipelineContext,
): Promise<SpotOrdersResult | null> {
  const root = resolve(options.root);
  const provider = executor.kind === 'queue' ? shareableProvider(options.provider) : options.provider;
  const wanted = aois.filter((a) => a.spot?.id);
  if (wanted.length < aois.length)
    context.log?.(`${aois.length - wanted.length} AOI(s) have no SPOT product in the plan: not ordered`);
  const units: ExecutorUnit<RebuildSpotOrderParams>[] = wanted.map((a) => ({
    unit: a.name,
    params: {
      root,
      provider,
      aoi: { name: a.name, bounds: [...a.bounds], spot: { id: a.spot!.id } },
      order: options.order,
    },
  }));
  const run = await executor.run<RebuildSpotOrderParams, SpotOrdersResult>(
    'rebuild-spot-order',
    units,
    { concurrency: options.concurrency, detach: options.detach },
    context,
  );
  if (run.detached) return null;
  const merged = mergeSpotResults(run.outcomes, Boolean(options.order.confirm));
  if (!merged.result.dryRun) {
    await mergeUnitManifests(
      root,
      'HR',
      units.map((u) => u.unit),
    );
    const recordPath = join(root, 'rebuild', 'spot-orders.json');
    await writeFileAtomic(
      recordPath,
      `${JSON.stringify({ collection: merged.result.collection, orders: merged.result.orders }, null, 2)}\n`,
    );
    merged.result.file = recordPath;
  }
  if (merged.undelivered) throw merged.undelivered;
  return merged.result;
}

/** Codes of an order that did not deliver: rethrown after the merge, like the in-process run throws them. */
const UNDELIVERED = new Set(['ORDER_FAILED', 'TIMEOUT']);

/** Stage: sum the units' results; failed units become failures (an undelivered order is kept to rethrow). */
function mergeSpotResults(
  outcomes: readonly UnitOutcome<SpotOrdersResult>[],
  confirm: boolean,
): { result: SpotOrdersResult; undelivered?: EoFetchError } {
  const result = emptySpotResult(!confirm);
  let undelivered: EoFetchError | undefined;
  for (const o of outcomes) {
    if (!o.ok) {
      result.failures.push({ aoi: o.unit, code: o.code, message: o.message });
      if (!undelivered && UNDELIVERED.has(o.code) && isEoFetchCode(o.code))
        undelivered = new EoFetchError(o.code, `SPOT order of AOI ${o.unit}: ${o.message}`);
      continue;
    }
    const v = o.value;
    result.dryRun = v.dryRun;
    result.collection = { ...v.collection, created: result.collection.created || v.collection.created };
    result.orders.push(...v.orders);
    result.newSqkm += v.newSqkm;
    result.created += v.created;
    result.confirmed += v.confirmed;
    result.reused += v.reused;
    for (const k of ['downloaded', 'skipped', 'failed', 'planned'] as const)
      result.downloads[k] += v.downloads[k];
    result.pansharpened += v.pansharpened;
    result.failures.push(...v.failures);
  }
  result.newSqkm = Math.round(result.newSqkm * 1000) / 1000;
  return { result, ...(undelivered ? { undelivered } : {}) };
}

const isEoFetchCode = (c: string): c is EoFetchErrorCode =>
  (EO_FETCH_ERROR_CODES as readonly string[]).includes(c);
