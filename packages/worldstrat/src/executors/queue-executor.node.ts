// The BullMQ executor: one queue per stage on Redis, one job per unit keyed by unit + stage + parameter hash.
// The coordinator enqueues and polls the jobs' states (re-adding any a restarted, empty Redis lost); workers
// (`runQueueWorker`, any number of processes or machines sharing the dataset root) run the same unit code as
// the local executor. A worker killed with kill -9 stops renewing its job's lock; BullMQ's stalled-job check
// hands the job to another worker, which redoes the unit (the unit skips what its manifest verifies).

import { redactUrl } from '@worldstrat/raster-io';
import { type Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { WorldStratError } from '../errors.js';
import {
  argumentError,
  checkArray,
  checkObject,
  checkOptionalFunction,
  checkOptionalInteger,
  checkOptionalNumber,
  checkOptionalObject,
  checkOptionalSignal,
  checkString,
} from '../internal/check-arguments.js';
import { terminalText } from '../internal/output-text.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import type { DocumentSource } from './document-checks.node.js';
import {
  EXECUTOR_STAGES,
  type Executor,
  type ExecutorRunOptions,
  type ExecutorRunResult,
  type ExecutorStage,
  type ExecutorUnit,
  errorCodeOf,
  type UnitOutcome,
  unitKey,
} from './executor.js';
import { messageOf } from './local-executor.node.js';
import { connectRedis, parseQueueUrl, type QueueUrl } from './redis-connection.node.js';
import {
  type SharedHostLimits,
  type SharedProcessingUnitLimit,
  sharedHostLimitedFetch,
  sharedProcessingUnitFetch,
} from './shared-rate-limit.node.js';
import { STAGE_HANDLERS, STAGE_PAYLOAD_CHECKS, type StageRuntime } from './stage-handlers.node.js';
import { redisLock } from './unit-lock.node.js';
import { type WorkerSentinelHub, withWorkerSentinelHub } from './worker-sentinel-hub.node.js';

/** Key prefix of every queue in Redis. */
export const QUEUE_PREFIX = 'worldstrat';
/** Attempts per job (the first run and its retries). */
const ATTEMPTS = 5;
/** Codes that retrying cannot fix (bad arguments, missing or malformed input): the job fails at once. */
const PERMANENT_CODES = new Set([
  'INVALID_ARGUMENT',
  'CONFIG_ERROR',
  'MISSING_CREDENTIALS',
  'UNKNOWN_PROVIDER',
  'DATASET_NOT_FOUND',
  'UNSUPPORTED_CAPABILITY',
  'AOI_TOO_LARGE',
  // region tiles: no scene for the tile's box and window, or a model/tile shape that cannot change on retry
  'REVISITS_NOT_FOUND',
  'BAD_SCENE_OPTIONS',
  'SHAPE_MISMATCH',
  // a SPOT order FAILED at SentinelHub: it needs a person (inspect, delete, rerun)
  'ORDER_FAILED',
]);

/** Options of {@link QueueExecutor}. */
export interface QueueExecutorOptions {
  /** How long the coordinator waits for a lost Redis to come back before `QUEUE_UNAVAILABLE` (ms; 60 s). */
  lostTimeoutMs?: number;
  /** Poll period of the jobs' states (ms; default 500). */
  pollMs?: number;
  /** First-connection timeout (ms; default 5000). */
  connectTimeoutMs?: number;
  /** Longest one exchange with Redis (enqueue, one poll) may take (ms; default 10 s). */
  requestTimeoutMs?: number;
}

type QueueJobResult = { value: unknown };

/**
 * Executor on BullMQ queues in Redis (see the file header). Create with {@link QueueExecutor.connect}.
 *
 * @example
 * ```ts
 * const executor = await QueueExecutor.connect('redis://127.0.0.1:6379/0');
 * try { await rebuild({ ...options, executor }); } finally { await executor.close(); }
 * ```
 */
export class QueueExecutor implements Executor {
  readonly kind = 'queue' as const;
  private readonly queues = new Map<ExecutorStage, Queue>();

  private constructor(
    private readonly url: QueueUrl,
    private readonly connection: Redis,
    private readonly options: QueueExecutorOptions,
  ) {}

  /**
   * Connect to the Redis of `url`.
   *
   * @param url - `redis://HOST:PORT[/DB]`.
   * @param options - timeouts.
   * @returns the executor.
   * @throws {WorldStratError} `INVALID_ARGUMENT` (bad URL), `QUEUE_UNAVAILABLE` (unreachable).
   */
  static async connect(url: string, options: QueueExecutorOptions = {}): Promise<QueueExecutor> {
    const q = parseQueueUrl(url);
    const connection = await connectRedis(q, options);
    return new QueueExecutor(q, connection, options);
  }

  private queue(stage: ExecutorStage): Queue {
    let q = this.queues.get(stage);
    if (!q) {
      q = new Queue(stage, { connection: this.connection, prefix: QUEUE_PREFIX });
      q.on('error', () => {}); // connection errors surface through the bounded polls below
      this.queues.set(stage, q);
    }
    return q;
  }

  /**
   * Workers connected to a stage's queue.
   *
   * @param stage - the stage.
   * @returns how many.
   * @throws {WorldStratError} `QUEUE_UNAVAILABLE`.
   */
  async workerCount(stage: ExecutorStage): Promise<number> {
    return this.bounded(() => this.queue(stage).getWorkersCount(), 'counting workers');
  }

  async run<P, R>(
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    options: ExecutorRunOptions,
    context: PipelineContext,
  ): Promise<ExecutorRunResult<R>> {
    const queue = this.queue(stage);
    const ids = units.map((u) => unitKey(stage, u));
    const byId = new Map(ids.map((id, i) => [id, i]));
    await this.bounded(() => this.enqueue(queue, stage, units, ids, true), 'enqueuing');
    if (options.detach) return { outcomes: [], detached: true };
    if ((await this.workerCount(stage)) === 0)
      context.log?.(
        `no worker is connected to ${this.url.display} yet: start \`worldstrat worker --queue ${this.url.display}\` (waiting)`,
      );
    const outcomes: UnitOutcome<R>[] = new Array(units.length);
    const pending = new Set(ids);
    // queue events wake the wait as soon as one of our jobs finishes; the poll confirms (and is the fallback)
    const events = await this.openEvents(stage);
    let wake = () => {};
    const hinted = new Set<string>();
    const onFinished = ({ jobId }: { jobId: string }) => {
      if (!pending.has(jobId)) return;
      hinted.add(jobId);
      wake();
    };
    events?.events.on('completed', onFinished);
    events?.events.on('failed', onFinished);
    try {
      await this.waitFor(queue, stage, units, pending, hinted, byId, outcomes, context, (w) => {
        wake = w;
      });
    } finally {
      await events?.close();
    }
    return { outcomes, detached: false };
  }

  /**
   * Polls until every pending job finished; a long Redis outage throws. A queue event naming a job wakes the
   * wait and only that job is checked, so N jobs cost O(N) state reads instead of N per event; every pending
   * job is checked every `pollMs` (the fallback when events are lost, and how lost jobs are found).
   */
  private async waitFor<P, R>(
    queue: Queue,
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    pending: Set<string>,
    hinted: Set<string>,
    byId: ReadonlyMap<string, number>,
    outcomes: UnitOutcome<R>[],
    context: PipelineContext,
    setWake: (wake: () => void) => void,
  ): Promise<void> {
    let lastOk = Date.now();
    let lastFull = 0;
    const pollMs = this.options.pollMs ?? 1000;
    const lostTimeoutMs = this.options.lostTimeoutMs ?? 60_000;
    while (pending.size) {
      if (context.signal?.aborted)
        throw new WorldStratError(
          'ABORTED',
          `stopped waiting; ${pending.size} job(s) stay queued in ${this.url.display} (workers go on; rerun to wait again)`,
        );
      try {
        const full = hinted.size === 0 || Date.now() - lastFull >= pollMs;
        const ids = full ? [...pending] : [...hinted].filter((id) => pending.has(id));
        hinted.clear();
        if (full) lastFull = Date.now();
        const finished = await this.poll(queue, stage, units, ids, byId);
        lastOk = Date.now();
        for (const [id, outcome] of finished) {
          pending.delete(id);
          outcomes[byId.get(id)!] = outcome as UnitOutcome<R>;
        }
        if (finished.size)
          context.onProgress?.({ stage, done: units.length - pending.size, total: units.length });
      } catch (err) {
        if (errorCodeOf(err) !== 'QUEUE_UNAVAILABLE') throw err;
        if (Date.now() - lastOk > lostTimeoutMs)
          throw new WorldStratError(
            'QUEUE_UNAVAILABLE',
            `lost Redis at ${this.url.display} for over ${Math.round(lostTimeoutMs / 1000)} s with ${pending.size} job(s) unfinished; finished files are kept, rerun to resume`,
            { cause: err },
          );
      }
      if (pending.size && hinted.size === 0)
        await sleep(Math.max(0, pollMs - (Date.now() - lastFull)), context.signal, setWake);
    }
  }

  /** A dedicated connection listening to the stage's queue events; `null` when it cannot start (polls suffice). */
  private async openEvents(
    stage: ExecutorStage,
  ): Promise<{ events: QueueEvents; close: () => Promise<void> } | null> {
    const connection = await connectRedis(this.url, this.options).catch(() => null);
    if (!connection) return null;
    const events = new QueueEvents(stage, { connection, prefix: QUEUE_PREFIX });
    events.on('error', () => {});
    return {
      events,
      close: async () => {
        await events.close().catch(() => {});
        connection.disconnect();
      },
    };
  }

  /** Adds missing jobs; on a fresh run, finished jobs of earlier runs are retried (their units re-verify). */
  private async enqueue<P>(
    queue: Queue,
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    ids: readonly string[],
    retryFinished: boolean,
  ): Promise<void> {
    for (let i = 0; i < units.length; i++) {
      const found = await ownJob(queue, stage, units[i] as ExecutorUnit<P>, ids[i] as string);
      if (found.kind === 'ours') {
        const state = await found.job.getState();
        if (retryFinished && (state === 'completed' || state === 'failed')) await found.job.retry(state);
        continue;
      }
      if (found.kind === 'foreign' && !(await queue.remove(ids[i] as string).catch(() => 0)))
        throw new WorldStratError(
          'UNITS_FAILED',
          `${stage} job ${ids[i]} in Redis at ${this.url.display} holds ${found.why}, and a worker is running it; stop the workers (or remove the job) and rerun`,
        );
      await queue.add(stage, units[i].params, {
        jobId: ids[i],
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      });
    }
  }

  /** States of the pending jobs: finished ones become outcomes; jobs a restarted Redis lost are added again. */
  private async poll<P>(
    queue: Queue,
    stage: ExecutorStage,
    units: readonly ExecutorUnit<P>[],
    pending: readonly string[],
    byId: ReadonlyMap<string, number>,
  ): Promise<Map<string, UnitOutcome<unknown>>> {
    return this.bounded(async () => {
      const finished = new Map<string, UnitOutcome<unknown>>();
      const lost: string[] = [];
      // the state reads go out together (one round trip), then are handled in job order
      const states = await Promise.all(pending.map((id) => queue.getJobState(id)));
      for (const [i, id] of pending.entries()) {
        const state = states[i];
        const unit = units[byId.get(id)!].unit;
        if (state === 'unknown') lost.push(id);
        else if (state === 'completed' || state === 'failed') {
          // a job whose parameters are not this unit's (another program wrote it) is replaced, never taken
          const found = await ownJob(queue, stage, units[byId.get(id)!], id);
          if (found.kind !== 'ours') lost.push(id);
          else if (state === 'failed')
            finished.set(id, { unit, ok: false, ...parseFailure(found.job.failedReason) });
          else {
            const rv: unknown = found.job.returnvalue;
            if (rv !== null && typeof rv === 'object' && 'value' in rv)
              finished.set(id, checkedOutcome(stage, id, units[byId.get(id)!], (rv as QueueJobResult).value));
            else lost.push(id);
          }
        }
      }
      if (lost.length)
        await this.enqueue(
          queue,
          stage,
          lost.map((id) => units[byId.get(id)!]),
          lost,
          false,
        );
      return finished;
    }, 'polling');
  }

  /** Runs a Redis exchange with a time limit: a dead Redis gives `QUEUE_UNAVAILABLE`, never a hang. */
  private async bounded<T>(fn: () => Promise<T>, what: string): Promise<T> {
    const limitMs = this.options.requestTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new WorldStratError(
                  'QUEUE_UNAVAILABLE',
                  `Redis at ${this.url.display} did not answer within ${limitMs} ms while ${what}`,
                ),
              ),
            limitMs,
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof WorldStratError) throw err;
      throw new WorldStratError(
        'QUEUE_UNAVAILABLE',
        `Redis at ${this.url.display}: ${messageOf(err)} while ${what}`,
        {
          cause: err,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close().catch(() => {})));
    this.connection.disconnect();
  }
}

/**
 * A completed job's outcome: its value when it has the stage's result shape, else a failed outcome with the
 * check's code (a result corrupted in Redis fails its unit typed; a rerun redoes it).
 */
function checkedOutcome<P>(
  stage: ExecutorStage,
  id: string,
  unit: ExecutorUnit<P>,
  value: unknown,
): UnitOutcome<unknown> {
  const doc: DocumentSource = { source: `result of ${stage} job ${id} in Redis`, code: 'UNITS_FAILED' };
  try {
    STAGE_PAYLOAD_CHECKS[stage].result(value, doc, unit.params as never);
  } catch (err) {
    if (!(err instanceof WorldStratError)) throw err;
    return { unit: unit.unit, ok: false, code: err.code, message: err.message };
  }
  return { unit: unit.unit, ok: true, value };
}

/**
 * A failed job's code, message and attempts, read field by field; a record that is no hash (another program's key
 * under the job's name) is listed as `UNREADABLE`, not a reason for the whole status to fail.
 */
async function failedJobRecord(
  connection: Redis,
  key: string,
): Promise<{ code: string; message: string; attempts: number }> {
  let fields: (string | null)[];
  try {
    fields = await connection.hmget(key, 'failedReason', 'atm', 'attemptsMade');
  } catch (err) {
    if (!/WRONGTYPE/.test(messageOf(err))) throw err;
    return {
      code: 'UNREADABLE',
      message: 'its record in Redis is not a hash (written by another program)',
      attempts: 0,
    };
  }
  const [reason, atm, legacy] = fields;
  const failure = parseFailure(reason ?? undefined);
  // BullMQ 5 counts attempts in `atm`; `attemptsMade` is older versions' field
  const attempts = Number.parseInt(atm ?? legacy ?? '0', 10);
  return {
    code: terminalText(failure.code),
    message: terminalText(failure.message),
    attempts: Number.isSafeInteger(attempts) && attempts >= 0 ? attempts : 0,
  };
}

function parseFailure(reason: string | undefined): { code: string; message: string } {
  const m = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1], message: m[2] } : { code: 'UNEXPECTED', message: reason ?? 'job failed' };
}

/** Sleeps `ms`, or less when `signal` fires or the wake function handed to `setWake` is called. */
const sleep = (ms: number, signal?: AbortSignal, setWake?: (wake: () => void) => void) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      setWake?.(() => {});
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
    setWake?.(done);
  });

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /** Jobs in flight in this process (default 1). */
  concurrency?: number;
  /** Stages served (default all). */
  stages?: readonly ExecutorStage[];
  /** Job lock lifetime; a dead worker's job is handed on after about this long (ms; default 30 s). */
  lockDurationMs?: number;
  /** Stops taking jobs; the jobs in flight finish first. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** What units get from this process. */
  runtime?: StageRuntime;
  /** The SentinelHub service this worker's credentials are for, and its credential files (never the job's). */
  sentinelHub?: WorkerSentinelHub;
  /** Per-host request limits shared by every worker through this Redis (searches and downloads of every unit). */
  hostLimits?: SharedHostLimits;
  /** SentinelHub processing units per window shared by every worker through this Redis (Process API requests). */
  processingUnits?: SharedProcessingUnitLimit;
  connectTimeoutMs?: number;
}

/** Counts of a worker's run. */
export interface QueueWorkerResult {
  completed: number;
  failed: number;
}

/**
 * Process jobs until `signal` fires (SIGTERM/SIGINT in the CLI): then stop taking jobs, let the jobs in flight
 * finish and return. A unit's typed error is kept as `CODE: message`; codes that a retry cannot fix fail the
 * job at once, others retry with exponential backoff.
 *
 * @param options - URL, concurrency, stages, lock duration, signal.
 * @returns jobs completed and failed by this process.
 * @throws {WorldStratError} `INVALID_ARGUMENT`, `QUEUE_UNAVAILABLE` (Redis unreachable at start).
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerResult> {
  checkWorkerOptions(options);
  const q = parseQueueUrl(options.url);
  const connection = await connectRedis(q, options);
  const clients = trackDuplicates(connection);
  let inFlight = 0;
  const counts: QueueWorkerResult = { completed: 0, failed: 0 };
  const lockDuration = options.lockDurationMs ?? 30_000;
  const runtime: StageRuntime = {
    lock: redisLock(connection, { ttlMs: lockDuration }),
    ...options.runtime,
    fetch: sharedFetch(connection, options),
  };
  const workers = (options.stages ?? EXECUTOR_STAGES).map((stage) => {
    const run = async (job: Job) => {
      inFlight++;
      try {
        return await processJob(stage, job, runtime, options.sentinelHub);
      } finally {
        inFlight--;
      }
    };
    const w = new Worker(stage, run, {
      connection,
      prefix: QUEUE_PREFIX,
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
      maxStalledCount: 3,
    });
    w.on('completed', (job) => {
      counts.completed++;
      options.log?.(`${stage} ${job.id}: done`);
    });
    w.on('failed', (job, err) => {
      counts.failed++;
      options.log?.(`${stage} ${job?.id ?? '?'}: ${err.message}`);
    });
    w.on('error', (err) => options.log?.(`${stage}: ${err.message}`));
    return w;
  });
  // closing a worker whose connections are still starting emits an unhandled 'error': wait for them first
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  options.log?.(`worker on ${q.display}: ${workers.map((w) => w.name).join(', ')}`);
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  options.log?.('stopping: finishing the jobs in flight');
  await closeWorkers(workers, [connection, ...clients], () => inFlight, options.log);
  connection.disconnect();
  return counts;
}

/**
 * The clients BullMQ makes from `connection` (each worker's blocking connection is a `duplicate()`), so a close
 * that Redis never acknowledges can end them.
 */
function trackDuplicates(connection: Redis): Redis[] {
  const made: Redis[] = [];
  const duplicate = connection.duplicate.bind(connection);
  connection.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    const c = duplicate(...args);
    made.push(c);
    return c;
  };
  return made;
}

/** How long a worker's close may wait for Redis once no job is in flight (a live Redis takes milliseconds). */
const IDLE_CLOSE_MS = 5_000;

/**
 * Close the workers: jobs in flight finish first, however long they take; then Redis gets `IDLE_CLOSE_MS` to
 * acknowledge the close. With Redis down or restarting, BullMQ's QUIT and blocking read wait in the clients'
 * queues for a reconnect that may never come (and a client disconnected while it waits to reconnect keeps them
 * for ever): the clients are then ended, which fails or sends what they queued, and the close completes.
 */
async function closeWorkers(
  workers: readonly Worker[],
  clients: readonly Redis[],
  inFlight: () => number,
  log?: (line: string) => void,
): Promise<void> {
  let closed = false;
  const closing = Promise.all(workers.map((w) => w.close().catch(() => {}))).then(() => {
    closed = true;
  });
  let idleSince = Date.now();
  while (!closed) {
    await Promise.race([closing, sleep(100)]);
    if (inFlight() > 0) idleSince = Date.now();
    else if (!closed && Date.now() - idleSince >= IDLE_CLOSE_MS) {
      log?.(
        `Redis did not acknowledge the close within ${IDLE_CLOSE_MS / 1000} s (down or restarting): closing the connections`,
      );
      for (const c of clients) endClient(c);
      await Promise.race([closing, sleep(IDLE_CLOSE_MS)]);
      // the last attempt has had its time: a client it reconnected that is still open (it sent a blocking read
      // first, or was never sent its QUIT) would keep the process alive after a SIGTERM
      for (const c of clients) if (c.status !== 'end') c.disconnect();
      return;
    }
  }
}

/**
 * End an ioredis client now, without reconnecting. `disconnect()` alone leaves a client that waits to reconnect
 * with its queued commands pending for ever, so such a client makes one last attempt: it fails them (Redis
 * down) or sends them (Redis back), and ends either way.
 */
function endClient(c: Redis): void {
  const waiting = c.status === 'reconnecting' || c.status === 'close';
  c.disconnect();
  if (waiting) c.connect().catch(() => {});
}

/** Entry checks of {@link runQueueWorker}: every member, before Redis is contacted. */
function checkWorkerOptions(options: QueueWorkerOptions): void {
  const fn = 'runQueueWorker';
  checkObject(fn, 'options', options);
  checkString(fn, 'options.url', options.url);
  checkOptionalInteger(fn, 'options.concurrency', options.concurrency, 1, 1_000_000);
  checkOptionalInteger(fn, 'options.lockDurationMs', options.lockDurationMs, 1, 2 ** 31 - 1);
  checkOptionalNumber(fn, 'options.connectTimeoutMs', options.connectTimeoutMs, 0, 2 ** 31 - 1);
  if (options.stages !== undefined && options.stages !== null) {
    checkArray(fn, 'options.stages', options.stages);
    options.stages.forEach((s, i) => {
      if (!(EXECUTOR_STAGES as readonly unknown[]).includes(s))
        throw argumentError(fn, `options.stages[${i}]`, `one of ${EXECUTOR_STAGES.join(', ')}`, s);
    });
  }
  checkOptionalSignal(fn, 'options.signal', options.signal);
  checkOptionalFunction(fn, 'options.log', options.log);
  checkOptionalObject(fn, 'options.runtime', options.runtime);
  if (options.runtime) {
    checkOptionalFunction(fn, 'options.runtime.fetch', options.runtime.fetch);
    checkOptionalFunction(fn, 'options.runtime.lock', options.runtime.lock);
  }
  checkOptionalObject(fn, 'options.hostLimits', options.hostLimits);
  checkOptionalObject(fn, 'options.processingUnits', options.processingUnits);
  checkOptionalObject(fn, 'options.sentinelHub', options.sentinelHub);
  for (const k of ['url', 'configPath', 'profile'] as const) {
    const v = options.sentinelHub?.[k];
    if (v !== undefined) checkString(fn, `options.sentinelHub.${k}`, v);
  }
  const shUrl = options.sentinelHub?.url;
  if (shUrl !== undefined && !/^https?:\/\//i.test(shUrl))
    throw argumentError(fn, 'options.sentinelHub.url', 'an http(s) URL', redactUrl(shUrl));
}

/** The workers' fetch: the processing-unit budget first (no host slot held while waiting), then host limits. */
function sharedFetch(connection: Redis, options: QueueWorkerOptions): typeof fetch | undefined {
  let f = options.runtime?.fetch;
  if (options.hostLimits) f = sharedHostLimitedFetch(connection, options.hostLimits, f);
  if (options.processingUnits) f = sharedProcessingUnitFetch(connection, options.processingUnits, f);
  return f;
}

async function processJob(
  stage: ExecutorStage,
  job: Job,
  runtime: StageRuntime,
  sentinelHub: WorkerSentinelHub | undefined,
): Promise<QueueJobResult> {
  const handler = STAGE_HANDLERS[stage] as (
    p: unknown,
    c: PipelineContext,
    r: StageRuntime,
  ) => Promise<unknown>;
  try {
    const doc: DocumentSource = { source: `${stage} job ${job.id}`, code: 'INVALID_ARGUMENT' };
    const params = withWorkerSentinelHub(STAGE_PAYLOAD_CHECKS[stage].params(job.data, doc), sentinelHub, doc);
    return { value: await handler(params, {}, runtime) };
  } catch (err) {
    const code = errorCodeOf(err);
    const reason = `${code}: ${messageOf(err)}`;
    throw PERMANENT_CODES.has(code) ? new UnrecoverableError(reason) : new Error(reason);
  }
}

/**
 * The job of `id` if it holds this unit's parameters: a job's id is a hash of them, so one whose data hashes
 * otherwise (or is not JSON) was written by something else and must not stand for the unit.
 */
async function ownJob<P>(
  queue: Queue,
  stage: ExecutorStage,
  unit: ExecutorUnit<P>,
  id: string,
): Promise<{ kind: 'ours'; job: Job } | { kind: 'missing' } | { kind: 'foreign'; why: string }> {
  let job: Job | undefined;
  try {
    job = await queue.getJob(id);
  } catch (err) {
    if (err instanceof SyntaxError) return { kind: 'foreign', why: 'data that is not JSON' };
    throw err;
  }
  if (!job) return { kind: 'missing' };
  let key: string | undefined;
  try {
    key = unitKey(stage, { unit: unit.unit, params: job.data as P });
  } catch {
    key = undefined;
  }
  return key === id ? { kind: 'ours', job } : { kind: 'foreign', why: "parameters that are not its unit's" };
}

/** Counts and failures of the queues (see {@link queueStatus}). */
export interface QueueStatus {
  queue: string;
  stages: Record<string, Record<string, number>>;
  failed: { stage: string; unit: string; job: string; code: string; message: string; attempts: number }[];
}

/**
 * Job counts per stage and state, and the failed jobs with their typed codes (at most `maxFailed`, newest first).
 *
 * @param url - `redis://HOST:PORT[/DB]`.
 * @param maxFailed - failed jobs listed per stage (default 100).
 * @returns the status.
 * @throws {WorldStratError} `INVALID_ARGUMENT`, `QUEUE_UNAVAILABLE`.
 */
export async function queueStatus(url: string, maxFailed = 100): Promise<QueueStatus> {
  checkString('queueStatus', 'url', url);
  checkOptionalInteger('queueStatus', 'maxFailed', maxFailed, 1, 1_000_000);
  const q = parseQueueUrl(url);
  const connection = await connectRedis(q);
  let timer: NodeJS.Timeout | undefined;
  try {
    // a Redis that dies mid-way would leave the commands queued for ever: bound the whole read
    return await Promise.race([
      readStatus(connection, q, maxFailed),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new WorldStratError('QUEUE_UNAVAILABLE', `Redis at ${q.display} did not answer within 10 s`),
            ),
          10_000,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof WorldStratError) throw err;
    throw new WorldStratError('QUEUE_UNAVAILABLE', `Redis at ${q.display}: ${messageOf(err)}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    connection.disconnect();
  }
}

async function readStatus(connection: Redis, q: QueueUrl, maxFailed: number): Promise<QueueStatus> {
  const out: QueueStatus = { queue: q.display, stages: {}, failed: [] };
  for (const stage of EXECUTOR_STAGES) {
    const queue = new Queue(stage, { connection, prefix: QUEUE_PREFIX });
    queue.on('error', () => {});
    try {
      out.stages[stage] = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'paused',
      );
      // read field by field: queue.getFailed parses each job's data, and one job that another program wrote
      // as no JSON made the whole status fail
      for (const id of await queue.getRanges(['failed'], 0, maxFailed - 1, false))
        out.failed.push({
          stage,
          unit: terminalText(id.replace(/\.[0-9a-f]{16}$/, '')),
          job: terminalText(id),
          ...(await failedJobRecord(connection, queue.toKey(id))),
        });
    } finally {
      await queue.close().catch(() => {});
    }
  }
  return out;
}
