// SPOT 6/7 high-resolution imagery for a dataset rebuild: one dataimport (TPDI) order per AOI into a BYOC
// collection, confirmed only on request, polled until DONE, then RGBN (6 m) and PAN (1.5 m) downloaded with the
// Process API into hr_dataset/<AOI>/<AOI>_rgbn.tiff / _pan.tiff (the download engine: atomic, verified,
// manifest <root>/rebuild/manifest-HR.jsonl) and pansharpened into _ps.tiff.
// Orders are never placed twice: existing orders of the collection (same AOI name and product) are reused,
// unlike upstream, which re-orders on every run.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted as throwIfSignalAborted } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { type BBox, pansharpenHsv, type Raster } from '@worldstrat/raster-io';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import { downloadAll } from '../download/download-engine.node.js';
import { EoFetchError } from '../errors.js';
import { abortError, sleep } from '../http/retry.js';
import {
  checkNonEmptyString,
  checkObject,
  checkObjectArray,
  checkStageContext,
  checkString,
} from '../internal/check-arguments.js';
import { atomicWriteError } from '../internal/write-failed.js';
import { hrPaths } from '../layout/release-layout.js';
import { bboxAreaKm2 } from '../matching/geodesic-area.js';
import type { SentinelHubClient, SentinelHubOrder } from '../sentinelhub/sentinel-hub-client.js';
import { fetchNotingToken, spotDownloadJobs } from '../sentinelhub/sentinel-hub-downloads.node.js';
import type { StageContext } from './stage-context.js';

/** How SPOT HR imagery is ordered (see {@link orderSpotImagery}). */
export interface SpotOrderOptions {
  /** BYOC collection the orders are delivered into, created when missing (default `worldstrat-spot`). */
  collectionName?: string;
  /** An existing BYOC collection id (takes precedence over `collectionName`; never created). */
  collectionId?: string;
  /**
   * Really order (spends quota): create the collection if needed, create and confirm one order per AOI,
   * wait for delivery and download. Without it nothing paid is sent (dry run: ids and areas are reported).
   */
  confirm?: boolean;
  /** Seconds between order-status polls (default 60). */
  pollSeconds?: number;
  /** Give up waiting for delivery after this many minutes (default 240). */
  timeoutMinutes?: number;
}

/** An AOI with the SPOT product chosen for it (a rebuild plan's AOI with `spot`). */
export interface SpotOrderAoi {
  name: string;
  bounds: BBox | number[];
  spot?: { id: string };
}

/** One AOI's order in {@link SpotOrdersResult}. */
export interface SpotOrderRecord {
  aoi: string;
  productId: string;
  /** Geodesic area of the order bbox in km² (quota cost); the delivered order's `sqkm` once known. */
  sqkm: number;
  /** Order id (absent in a dry run unless an order already exists). */
  orderId?: string;
  status?: string;
  /** The order existed before this run (found by AOI name and product id) and was reused. */
  reused: boolean;
}

/** Result of {@link orderSpotImagery}. */
export interface SpotOrdersResult {
  dryRun: boolean;
  /** The BYOC collection (`id` absent in a dry run when it would be created). */
  collection: { id?: string; name?: string; created: boolean };
  orders: SpotOrderRecord[];
  /** Sum of `orders[].sqkm` of orders that a confirmed run would create (dry run) or created (this run). */
  newSqkm: number;
  created: number;
  confirmed: number;
  reused: number;
  /** Files: downloaded / skipped (complete from an earlier run) / failed / planned (dry run). */
  downloads: { downloaded: number; skipped: number; failed: number; planned: number };
  /** `_ps.tiff` files written in this run. */
  pansharpened: number;
  failures: { aoi: string; code: string; message: string }[];
  /** `<root>/rebuild/spot-orders.json` (confirmed runs). */
  file?: string;
}

/**
 * A SPOT order that did not deliver: `status` FAILED (or CANCELLED) at SentinelHub, or still not DONE when
 * `timeoutMinutes` ran out. `code` is `ORDER_FAILED` or `TIMEOUT` (CLI exit code 6).
 */
export class SpotOrderError extends EoFetchError {
  override name = 'SpotOrderError';
  /**
   * @param code - `ORDER_FAILED` or `TIMEOUT`.
   * @param orderId - the order.
   * @param aoi - its AOI.
   * @param status - its last status.
   * @param message - what happened and what to do.
   */
  constructor(
    code: 'ORDER_FAILED' | 'TIMEOUT',
    readonly orderId: string,
    readonly aoi: string,
    readonly status: string,
    message: string,
  ) {
    super(code, message);
  }
}

const productsOf = (o: SentinelHubOrder) =>
  ((o.input?.data as { products?: { id: string }[] }[] | undefined) ?? []).flatMap((d) =>
    (d.products ?? []).map((p) => p.id),
  );

const STATUS_RANK: Record<string, number> = { DONE: 0, RUNNING: 1, CREATED: 2 };

function throwIfAborted(signal?: AbortSignal): void {
  throwIfSignalAborted(signal, abortError);
}

const mtime = (p: string) =>
  stat(p).then(
    (s) => s.mtimeMs,
    () => undefined,
  );

/**
 * Pansharpen an AOI's `_rgbn.tiff` with its `_pan.tiff` (raster-io's HSV method, upstream `src/datasets.py`)
 * into `_ps.tiff`: 3 bands R, G, B on the PAN grid, uint16 DNs on the same ÷10000 scale as the inputs,
 * georeferenced like the PAN file, written atomically.
 *
 * @param root - dataset root.
 * @param aoi - AOI name.
 * @returns the path written.
 * @throws raster-io errors for unreadable inputs; {@link EoFetchError} `WRITE_FAILED` naming `_ps.tiff` when the
 *   disk is full or not writable (a `_ps.tiff` already there is unchanged).
 * @example
 * ```ts
 * await pansharpenSpotAoi('rebuilt', 'Landcover-743192');
 * ```
 */
export async function pansharpenSpotAoi(root: string, aoi: string): Promise<string> {
  checkNonEmptyString('pansharpenSpotAoi', 'root', root);
  checkString('pansharpenSpotAoi', 'aoi', aoi);
  const p = hrPaths(aoi);
  const rgbn = await readGeoTiffFile(join(root, p.rgbn));
  const pan = await readGeoTiffFile(join(root, p.pan));
  const ps = pansharpenHsv(rgbn, pan);
  const bands = ps.bands.map((b) => {
    const out = new Uint16Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = Math.round((b[i] as number) * 10000);
    return out;
  });
  const raster: Raster = { width: ps.width, height: ps.height, dtype: 'uint16', bands, geo: pan.geo };
  const path = join(root, p.ps);
  try {
    await writeGeoTiff(path, raster);
  } catch (err) {
    throw atomicWriteError(path, err);
  }
  return path;
}

/**
 * Order SPOT imagery for AOIs and download it into the release layout (see the file header). Without
 * `options.confirm` (or with `dryRun`) it only reads: it reports per AOI the product and the area that would
 * be ordered, and any order that already exists. Re-runs reuse existing orders (same AOI name and product in
 * the collection), skip complete files and only pansharpen where `_ps.tiff` is missing or older than its inputs.
 *
 * @param sh - an authenticated SentinelHub client.
 * @param aois - AOIs with their SPOT product (`spot.id`); AOIs without one are skipped.
 * @param options - order options plus `root`, `concurrency` (downloads in flight, default 4), `dryRun`.
 * @param context - signal, progress (`order SPOT`, `wait SPOT orders`, `download SPOT`, `pansharpen`), log.
 * @returns orders, download counts and failures.
 * @throws {SpotOrderError} an order FAILED or did not deliver in time (after the delivered ones are
 *   downloaded); {@link EoFetchError} `INVALID_ARGUMENT` for a bad option or an unknown `collectionId`;
 *   `ORDER_FAILED`/HTTP errors from SentinelHub; `ABORTED`.
 * @example
 * ```ts
 * const dry = await orderSpotImagery(sh, plan.aois, { root: 'rebuilt' });
 * console.log(`${dry.newSqkm} km² would be ordered`);
 * ```
 */
export async function orderSpotImagery(
  sh: SentinelHubClient,
  aois: readonly SpotOrderAoi[],
  options: SpotOrderRunOptions,
  context: StageContext = {},
): Promise<SpotOrdersResult> {
  const fn = 'orderSpotImagery';
  checkObject(fn, 'sh', sh);
  checkObjectArray(fn, 'aois', aois);
  checkObject(fn, 'options', options);
  // a dry run only reads: it writes nothing under the root
  if (options.confirm && !options.dryRun) checkNonEmptyString(fn, 'options.root', options.root);
  else checkString(fn, 'options.root', options.root, true);
  for (const k of ['collectionName', 'collectionId', 'recordPath', 'manifestPath'] as const)
    checkString(fn, `options.${k}`, options[k], true);
  checkStageContext(fn, context);
  const { pollMs, timeoutMs } = spotTimings(options);
  const dryRun = Boolean(options.dryRun) || !options.confirm;
  const result = emptySpotResult(dryRun);
  const wanted = aois.filter((a) => a.spot?.id);
  // an AOI name becomes a folder of the delivery: refuse a bad one before anything is ordered (and paid)
  for (const a of wanted) hrPaths(a.name);
  if (wanted.length < aois.length)
    context.log?.(`${aois.length - wanted.length} AOI(s) have no SPOT product in the plan: not ordered`);
  const collectionId = await resolveSpotCollection(sh, options, dryRun, result, context);
  throwIfAborted(context.signal);
  const orders = await placeSpotOrders(sh, wanted, collectionId, dryRun, options.lock, result, context);
  result.newSqkm = Math.round(result.newSqkm * 1000) / 1000;
  if (dryRun) {
    result.downloads.planned = 2 * result.orders.length;
    return result;
  }
  const recordPath = options.recordPath ?? join(options.root, 'rebuild', 'spot-orders.json');
  const saveRecord = () =>
    writeFileAtomic(
      recordPath,
      `${JSON.stringify({ collection: result.collection, orders: result.orders }, null, 2)}\n`,
    ).catch((err: unknown) => {
      throw atomicWriteError(recordPath, err);
    });
  await saveRecord();
  result.file = recordPath;
  const waited = await waitForSpotDelivery(sh, orders, result, pollMs, timeoutMs, context);
  await saveRecord();
  const delivered = [...orders.values()].filter((o) => o.status === 'DONE');
  for (const o of delivered) if (o.sqkm) spotRecordOf(result, o.id).sqkm = o.sqkm;
  if (delivered.length) {
    const ok = await downloadSpotOrders(sh, delivered, collectionId!, options, result, context);
    await pansharpenSpotOrders(ok, options.root, result, context);
  }
  throwUndelivered(waited, orders, delivered.length, options.timeoutMinutes ?? 240);
  return result;
}

/** Options of {@link orderSpotImagery}: the order options plus where and how to download. */
export interface SpotOrderRunOptions extends SpotOrderOptions {
  root: string;
  /** Downloads in flight (default 4). */
  concurrency?: number;
  dryRun?: boolean;
  /**
   * Runs `fn` while holding the lock `key` (`collection:<name>` around finding or creating the collection,
   * `order:<collection id>:<AOI>` around one AOI's order lookup and creation), so processes sharing the lock
   * never create a collection or an AOI's order twice; with it, each AOI's lookup lists the orders afresh
   * inside its lock. Default: none (a single process).
   */
  lock?: SpotOrderLock;
  /** Where a confirmed run records its orders (default `<root>/rebuild/spot-orders.json`). */
  recordPath?: string;
  /** Manifest of the HR downloads (default `<root>/rebuild/manifest-HR.jsonl`; one per unit for executors). */
  manifestPath?: string;
}

/** An exclusive section keyed by name, shared by whoever may order concurrently (see `SpotOrderRunOptions`). */
export type SpotOrderLock = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

/** Validated poll interval and delivery timeout in milliseconds. */
function spotTimings(options: SpotOrderOptions): { pollMs: number; timeoutMs: number } {
  const pollMs = (options.pollSeconds ?? 60) * 1000;
  const timeoutMs = (options.timeoutMinutes ?? 240) * 60_000;
  if (!(pollMs >= 0) || !Number.isFinite(pollMs))
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `pollSeconds ${options.pollSeconds}: use a number of seconds ≥ 0`,
    );
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs))
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `timeoutMinutes ${options.timeoutMinutes}: use a number of minutes > 0`,
    );
  return { pollMs, timeoutMs };
}

/**
 * A result with nothing ordered or downloaded yet (callers that merge per-AOI results start from it).
 *
 * @param dryRun - whether the run only plans.
 * @returns the empty result.
 */
export function emptySpotResult(dryRun: boolean): SpotOrdersResult {
  return {
    dryRun,
    collection: { created: false },
    orders: [],
    newSqkm: 0,
    created: 0,
    confirmed: 0,
    reused: 0,
    downloads: { downloaded: 0, skipped: 0, failed: 0, planned: 0 },
    pansharpened: 0,
    failures: [],
  };
}

const spotRecordOf = (result: SpotOrdersResult, id: string) => result.orders.find((r) => r.orderId === id)!;

/** Stage 1: the BYOC collection (an existing id, or one found or created by name); its id, if it has one. */
async function resolveSpotCollection(
  sh: SentinelHubClient,
  options: SpotOrderRunOptions,
  dryRun: boolean,
  result: SpotOrdersResult,
  { signal, log }: StageContext,
): Promise<string | undefined> {
  if (options.collectionId) {
    const found = (await sh.byocCollections(signal)).find((c) => c.id === options.collectionId);
    if (!found)
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `BYOC collection id ${options.collectionId} does not exist for this account; pass an existing id or a collectionName to create one`,
      );
    result.collection = { id: found.id, name: found.name, created: false };
    return found.id;
  }
  const name = options.collectionName ?? 'worldstrat-spot';
  const findOrCreate = async () => {
    const before = (await sh.byocCollections(signal)).find((c) => c.name === name);
    return { before, c: before ?? (await sh.ensureByocCollection(name, { dryRun, signal })) };
  };
  const lock = options.lock;
  const { before, c } =
    lock && !dryRun ? await lock(`collection:${name}`, findOrCreate) : await findOrCreate();
  if ('dryRun' in c) {
    result.collection = { name, created: false };
    return undefined;
  }
  result.collection = { id: c.id, name, created: !before };
  if (!before) log?.(`created BYOC collection ${name} (${c.id})`);
  return c.id;
}

/**
 * Stage 2: one order per AOI: reuse an existing one (same AOI name and product), create and confirm the rest.
 * A dry run only records what exists and the area that would be ordered.
 */
async function placeSpotOrders(
  sh: SentinelHubClient,
  wanted: readonly SpotOrderAoi[],
  collectionId: string | undefined,
  dryRun: boolean,
  lock: SpotOrderLock | undefined,
  result: SpotOrdersResult,
  { signal, onProgress }: StageContext,
): Promise<Map<string, SentinelHubOrder>> {
  const lookup = async () => (collectionId ? await sh.listOrders({ collectionId }, signal) : []);
  // without a shared lock one listing serves every AOI; with one, each AOI looks up afresh inside its lock
  const listed = lock && !dryRun ? undefined : await lookup();
  const orders = new Map<string, SentinelHubOrder>();
  let done = 0;
  for (const a of wanted) {
    throwIfAborted(signal);
    const productId = a.spot!.id;
    const sqkm = bboxAreaKm2(a.bounds);
    const place = async () => {
      const existing = listed ?? (await lookup());
      const matches = existing
        .filter((o) => o.name === a.name && productsOf(o).includes(productId))
        .sort((x, y) => (STATUS_RANK[x.status] ?? 9) - (STATUS_RANK[y.status] ?? 9));
      const found: SentinelHubOrder | undefined = matches[0];
      const rec: SpotOrderRecord = { aoi: a.name, productId, sqkm, reused: Boolean(found) };
      if (dryRun) {
        if (found) Object.assign(rec, { orderId: found.id, status: found.status });
        else result.newSqkm += sqkm;
        result.orders.push(rec);
        return;
      }
      const order = await orderOneAoi(sh, a, productId, sqkm, found, collectionId!, result, signal);
      orders.set(a.name, order);
      Object.assign(rec, { orderId: order.id, status: order.status });
      result.orders.push(rec);
      onProgress?.({ stage: 'order SPOT', done: ++done, total: wanted.length });
    };
    if (lock && !dryRun) await lock(`order:${collectionId}:${a.name}`, place);
    else await place();
  }
  return orders;
}

/** One AOI's confirmed order: the existing one (unless it failed) or a new one, confirmed when CREATED. */
async function orderOneAoi(
  sh: SentinelHubClient,
  a: SpotOrderAoi,
  productId: string,
  sqkm: number,
  found: SentinelHubOrder | undefined,
  collectionId: string,
  result: SpotOrdersResult,
  signal: AbortSignal | undefined,
): Promise<SentinelHubOrder> {
  let order = found;
  if (order && !(order.status in STATUS_RANK))
    throw new SpotOrderError(
      'ORDER_FAILED',
      order.id,
      a.name,
      order.status,
      `SPOT order ${order.id} for AOI ${a.name} (product ${productId}) is ${order.status}; inspect it at SentinelHub, delete it (DELETE /api/v1/dataimport/orders/${order.id}) and run again to order anew`,
    );
  if (order) result.reused++;
  else {
    const r = await sh.createOrder(
      { name: a.name, collectionId, bbox: [...a.bounds], productIds: [productId] },
      { dryRun: false, signal },
    );
    if (r.dryRun)
      throw new EoFetchError('INVALID_RESPONSE', `createOrder for AOI ${a.name} answered a dry run`);
    order = r.order;
    if (r.recovered) result.reused++;
    else {
      result.created++;
      result.newSqkm += sqkm;
    }
  }
  if (order.status === 'CREATED') {
    const r = await sh.confirmOrder(order.id, { confirm: true, signal });
    if (r.dryRun)
      throw new EoFetchError(
        'INVALID_RESPONSE',
        `confirmOrder ${order.id} (AOI ${a.name}) answered a dry run`,
      );
    order = r.order;
    result.confirmed++;
  }
  return order;
}

/** Orders still pending when the wait ended, and those that failed. */
interface SpotWaitOutcome {
  pending: Set<string>;
  failed: SentinelHubOrder[];
}

/** Stage 3: poll the orders until each is DONE or failed, or the timeout runs out (updates `orders`). */
async function waitForSpotDelivery(
  sh: SentinelHubClient,
  orders: Map<string, SentinelHubOrder>,
  result: SpotOrdersResult,
  pollMs: number,
  timeoutMs: number,
  { signal, onProgress }: StageContext,
): Promise<SpotWaitOutcome> {
  const pending = new Set([...orders.values()].filter((o) => o.status !== 'DONE').map((o) => o.id));
  const failed: SentinelHubOrder[] = [];
  const deadline = Date.now() + timeoutMs;
  onProgress?.({ stage: 'wait SPOT orders', done: orders.size - pending.size, total: orders.size });
  while (pending.size) {
    for (const id of [...pending]) {
      const o = await sh.order(id, signal);
      orders.set(o.name, o);
      spotRecordOf(result, id).status = o.status;
      if (o.status === 'DONE') pending.delete(id);
      else if (!(o.status in STATUS_RANK)) {
        pending.delete(id);
        failed.push(o);
      }
    }
    onProgress?.({ stage: 'wait SPOT orders', done: orders.size - pending.size, total: orders.size });
    if (!pending.size) break;
    if (Date.now() + pollMs > deadline) break;
    await sleep(pollMs, signal);
  }
  return { pending, failed };
}

/** Stage 4: download RGBN + PAN of the delivered orders; returns the orders whose files all arrived. */
async function downloadSpotOrders(
  sh: SentinelHubClient,
  delivered: readonly SentinelHubOrder[],
  collectionId: string,
  options: SpotOrderRunOptions,
  result: SpotOrdersResult,
  { signal, onProgress }: StageContext,
): Promise<SentinelHubOrder[]> {
  const jobs = spotDownloadJobs(delivered, { root: options.root, collectionId, baseUrl: sh.baseUrl });
  // the bearer tokens sent are scrubbed from errors and the manifest (a Process API error may echo them)
  const tokens = new Set<string>();
  const report = await downloadAll(jobs, {
    concurrency: options.concurrency ?? 4,
    perHost: options.concurrency ?? 4,
    manifestPath: options.manifestPath ?? join(options.root, 'rebuild', 'manifest-HR.jsonl'),
    manifestRoot: options.root,
    secrets: () => [...tokens],
    fetch: fetchNotingToken(sh, tokens),
    signal,
    onProgress: (e) => onProgress?.({ stage: 'download SPOT', done: e.done, total: e.total }),
  });
  result.downloads = {
    downloaded: report.downloaded,
    skipped: report.skipped,
    failed: report.failed.length,
    planned: 0,
  };
  const failedAois = new Set<string>();
  for (const f of report.failed) {
    failedAois.add(f.job.aoi ?? '');
    result.failures.push({ aoi: f.job.aoi ?? '', code: f.error.code, message: f.error.message });
  }
  return delivered.filter((o) => !failedAois.has(o.name));
}

/** Stage 5: pansharpen where `_ps.tiff` is missing or older than its inputs. */
async function pansharpenSpotOrders(
  ok: readonly SentinelHubOrder[],
  root: string,
  result: SpotOrdersResult,
  { signal, onProgress }: StageContext,
): Promise<void> {
  let n = 0;
  for (const o of ok) {
    throwIfAborted(signal);
    const p = hrPaths(o.name);
    const [ps, rgbn, pan] = await Promise.all([p.ps, p.rgbn, p.pan].map((x) => mtime(join(root, x))));
    if (ps === undefined || ps < (rgbn ?? 0) || ps < (pan ?? 0)) {
      await pansharpenSpotAoi(root, o.name);
      result.pansharpened++;
    }
    onProgress?.({ stage: 'pansharpen', done: ++n, total: ok.length });
  }
}

/** The typed failure for orders that did not deliver: the first FAILED one, else the first still pending. */
function throwUndelivered(
  { pending, failed }: SpotWaitOutcome,
  orders: Map<string, SentinelHubOrder>,
  deliveredCount: number,
  timeoutMinutes: number,
): void {
  const bad = failed[0];
  if (bad) {
    const more =
      failed.length > 1
        ? ` (and ${failed.length - 1} more: ${failed
            .slice(1)
            .map((o) => o.id)
            .join(', ')})`
        : '';
    throw new SpotOrderError(
      'ORDER_FAILED',
      bad.id,
      bad.name,
      bad.status,
      `SPOT order ${bad.id} for AOI ${bad.name} is ${bad.status}${more}; ${deliveredCount} delivered order(s) were downloaded. Inspect it at SentinelHub, delete it (DELETE /api/v1/dataimport/orders/${bad.id}) and run again to order anew`,
    );
  }
  const late = [...pending][0];
  if (late) {
    const o = [...orders.values()].find((x) => x.id === late)!;
    throw new SpotOrderError(
      'TIMEOUT',
      late,
      o.name,
      o.status,
      `SPOT order ${late} for AOI ${o.name} is still ${o.status} after ${timeoutMinutes} min (${pending.size} order(s) pending); run the same command again later (orders are reused, not placed again) or raise timeoutMinutes`,
    );
  }
}
