// Data-parallel CPU training: TF.js's wasm backend runs one thread in Node, so a step uses N worker threads, each
// with a model replica. The coordinator splits every batch into N contiguous shards, each worker returns the
// gradient of its shard (weighted by shard size, like micro-batch accumulation), the coordinator sums them in
// worker order and sends the sum back, and every replica applies the same Adam update: replicas stay bit-identical
// and the step equals the single-thread whole-batch step within float rounding.
// Worker pools like piscina hand a task to any idle worker; here each shard must go to the replica that holds the
// optimiser state, so the workers are plain worker_threads addressed by index.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RegistrationMode } from '@worldstrat/metrics';
import { abortError, SRNET_ERROR_CODES, SrnetError, type SrnetErrorCode } from '../errors.js';
import { checkNumber } from '../internal/check-arguments.js';
import type { ModelConfig } from '../models/config.js';
import type { SrModel } from '../models/sr-model.js';
import type { StateDict } from '../models/state-dict.js';
import { exportStateDict, loadStateDict } from '../models/weights.js';
import type { AdamConfig } from './adam.js';
import {
  buffersOf,
  type InitialState,
  ownBuffer,
  type WorkerReply,
  type WorkerRequest,
} from './data-parallel-protocol.js';
import { type ReplicaState, type SampleArrays, sliceSamples } from './replica.js';
import {
  checkTrainArguments,
  runTraining,
  type StepRunner,
  type TrainOptions,
  type TrainResult,
} from './train.js';

/** Options of {@link trainDataParallel}: {@link TrainOptions} plus the workers. */
export interface DataParallelOptions extends TrainOptions {
  /**
   * Worker threads (one model replica each), never more than the first batch's size. Default `'auto'`: the available
   * cores.
   */
  workers?: number | 'auto';
  /** Backend of every replica (default 'wasm'; 'cpu' is the slow pure-JS backend). */
  backend?: 'wasm' | 'cpu';
  /** The built worker script. Default: {@link dataParallelWorkerScript}(). */
  workerScript?: string | URL;
  /** Receives every replica's tensor count after each update (leak checks). */
  onReplicaTensors?: (counts: number[]) => void;
}

/**
 * The built worker script: next to this module in the package's dist, or in dist/ when this module runs from its
 * TypeScript sources (tests of other packages import srnet's sources; a worker cannot load `.ts` files).
 *
 * @returns the URL of `data-parallel-worker.node.js`, or undefined when the package was not built
 */
export function dataParallelWorkerScript(): URL | undefined {
  const here = import.meta.url;
  if (!here) return undefined;
  // ESM files mirror src/ (dist/train/); the CommonJS bundle sits in dist/; sources are in src/train/.
  const candidates = /\.ts$/.test(here)
    ? ['../../dist/train/data-parallel-worker.node.js']
    : ['./data-parallel-worker.node.js', './train/data-parallel-worker.node.js'];
  for (const rel of candidates) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/** Worker threads `'auto'` uses for a batch: available cores, at most the batch size. */
export function defaultDataParallelWorkers(batch: number): number {
  checkNumber('defaultDataParallelWorkers', 'batch', batch, 'BAD_CONFIG', { min: 0 });
  return Math.max(1, Math.min(batch, availableParallelism()));
}

/**
 * Contiguous shards of a batch over `workers`: sizes differ by at most one, larger first, empty ones dropped.
 *
 * @returns `[start, count]` per worker that gets samples
 */
export function shardBounds(batch: number, workers: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(batch / workers);
  const extra = batch % workers;
  let start = 0;
  for (let w = 0; w < workers; w++) {
    const n = base + (w < extra ? 1 : 0);
    if (n > 0) out.push([start, n]);
    start += n;
  }
  return out;
}

/** The typed error for a worker's error reply: its srnet code when it has one, else TRAINING_WORKER_FAILED. */
function workerError(index: number, m: { code?: string; name?: string; message: string }): SrnetError {
  const known = (SRNET_ERROR_CODES as readonly string[]).includes(m.code ?? '');
  const code = (known ? m.code : 'TRAINING_WORKER_FAILED') as SrnetErrorCode;
  const original = m.code && !known ? ` [${m.name ?? 'Error'} ${m.code}]` : '';
  return new SrnetError(code, `data-parallel worker ${index}: ${m.message}${original}`, { worker: index });
}

/** One worker thread: one request in flight, its reply or its failure. */
class ReplicaWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void } | undefined;
  private failure: SrnetError | undefined;

  constructor(
    readonly index: number,
    script: string | URL,
  ) {
    const url = typeof script === 'string' && !script.startsWith('file:') ? script : new URL(script);
    // workerData must be an object: geotiff's web-worker shim (imported through raster-io) destructures it in
    // every worker thread.
    this.worker = new Worker(url, { workerData: {} });
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      if (m.type === 'error') p?.reject(workerError(index, m));
      else p?.resolve(m);
    });
    this.worker.on('error', (e) =>
      this.fail(
        new SrnetError('TRAINING_WORKER_FAILED', `data-parallel worker ${index} crashed: ${e.message}`, {
          worker: index,
        }),
      ),
    );
    this.worker.on('exit', (code) =>
      this.fail(
        new SrnetError(
          'TRAINING_WORKER_FAILED',
          `data-parallel worker ${index} exited with code ${code} in the middle of training`,
          { worker: index },
        ),
      ),
    );
  }

  /** Fails the request in flight and every later one with `err` (the first failure wins). */
  fail(err: SrnetError): void {
    this.failure ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.failure);
  }

  request<T extends WorkerReply['type']>(
    message: WorkerRequest,
    expect: T,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<WorkerReply, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message, transfer);
    }).then((r) => {
      if (r.type !== expect)
        throw new SrnetError(
          'TRAINING_WORKER_FAILED',
          `data-parallel worker ${this.index} replied "${r.type}" to "${message.type}"`,
          { worker: this.index },
        );
      return r as Extract<WorkerReply, { type: T }>;
    });
  }

  async terminate(): Promise<void> {
    this.fail(
      new SrnetError('TRAINING_WORKER_FAILED', `data-parallel worker ${this.index} was stopped`, {
        worker: this.index,
      }),
    );
    await this.worker.terminate();
  }
}

/** Zero moments in PyTorch layout, for a snapshot before any step (nothing to ask the workers yet). */
function zeroMoments(model: SrModel): StateDict {
  const out: StateDict = {};
  for (const s of model.specs.filter((x) => x.used))
    out[s.key] = { shape: [...s.shape], data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) };
  return out;
}

/** The weights of `model` by unique key (PyTorch layout), copied. */
async function modelWeights(model: SrModel): Promise<StateDict> {
  const full = await exportStateDict(model);
  const out: StateDict = {};
  for (const s of model.specs) out[s.key] = full[s.key] as StateDict[string];
  return out;
}

/** Sum per-variable gradients of the shards in worker order (float32 accumulation, like tf.add). */
export function sumGradients(parts: Float32Array[][]): Float32Array[] {
  const acc = (parts[0] as Float32Array[]).map((g) => ownBuffer(g));
  for (let k = 1; k < parts.length; k++) {
    const p = parts[k] as Float32Array[];
    for (let i = 0; i < acc.length; i++) {
      const a = acc[i] as Float32Array;
      const g = p[i] as Float32Array;
      for (let j = 0; j < a.length; j++) a[j] = (a[j] as number) + (g[j] as number);
    }
  }
  return acc;
}

/** The replicas of one training run: started at the first step, with the state to start from. */
export class ReplicaPool {
  readonly workers: ReplicaWorker[];
  private started: Promise<void> | undefined;

  constructor(
    count: number,
    script: string | URL,
    private readonly setup: { config: ModelConfig; adam: AdamConfig; backend: 'wasm' | 'cpu' },
  ) {
    this.workers = Array.from({ length: count }, (_, i) => new ReplicaWorker(i, script));
  }

  /** Sends every worker its replica's state (once). */
  start(state: InitialState): Promise<void> {
    this.started ??= Promise.all(
      this.workers.map((w) => w.request({ type: 'init', ...this.setup, state }, 'ready')),
    ).then(() => undefined);
    return this.started;
  }

  /** Gradients of each shard (worker order) with the shard losses. */
  async gradients(
    batch: SampleArrays,
    seeds: Uint32Array,
    common: { mode: RegistrationMode; micro: number | 'auto'; budget: number; step: number },
  ): Promise<{ grads: Float32Array[][]; loss: number; microBatchSize: number }> {
    const B = batch.lr.shape[0];
    const shards = shardBounds(B, this.workers.length);
    const replies = await Promise.all(
      shards.map(([start, n], k) => {
        // copies: the caller's batch stays intact; the copies are transferred, not cloned again
        const samples: SampleArrays = {
          lr: { ...sliceSamples(batch.lr, start, n) },
          hr: { ...sliceSamples(batch.hr, start, n) },
        };
        samples.lr.data = samples.lr.data.slice();
        samples.hr.data = samples.hr.data.slice();
        const s = seeds.slice(start, start + n);
        const msg: WorkerRequest = { type: 'gradients', samples, seeds: s, totalBatch: B, ...common };
        return (this.workers[k] as ReplicaWorker).request(
          msg,
          'gradients',
          buffersOf([samples.lr.data, samples.hr.data, s]),
        );
      }),
    );
    let loss = 0;
    for (const r of replies) loss += r.loss;
    return {
      grads: replies.map((r) => r.grads),
      loss,
      microBatchSize: Math.max(...replies.map((r) => r.microBatchSize)),
    };
  }

  /** Every replica applies the same summed gradients (`step`: the 0-based global step, for errors); returns their tensor counts. */
  async apply(sum: Float32Array[], lr: number, step = 0): Promise<number[]> {
    const last = this.workers.length - 1;
    const replies = await Promise.all(
      this.workers.map((w, k) => {
        const grads = k === last ? sum : sum.map((g) => g.slice());
        return w.request({ type: 'apply', grads, lr, step }, 'applied', buffersOf(grads));
      }),
    );
    return replies.map((r) => r.numTensors);
  }

  /** Weights and optimiser state of replica `index`. */
  async snapshot(index = 0): Promise<ReplicaState> {
    return (await (this.workers[index] as ReplicaWorker).request({ type: 'snapshot' }, 'snapshot')).state;
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Makes every request in flight fail with `err` and stops the workers. */
  abort(err: SrnetError): void {
    for (const w of this.workers) w.fail(err);
    void this.close();
  }
}

/** Checked worker count and script of the options. */
function poolSettings(options: DataParallelOptions): { workers: number | 'auto'; script: string | URL } {
  const workers = options.workers ?? 'auto';
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 1 && workers <= 1024))
    throw new SrnetError('BAD_CONFIG', `workers = ${workers}; expected a positive integer or 'auto'`);
  if (options.backend !== undefined && options.backend !== 'wasm' && options.backend !== 'cpu')
    throw new SrnetError(
      'BAD_CONFIG',
      `backend = ${String(options.backend)}; data-parallel training runs on 'wasm' or 'cpu' (GPU backends train in one thread with train())`,
    );
  const script = options.workerScript ?? dataParallelWorkerScript();
  if (!script)
    throw new SrnetError(
      'BAD_CONFIG',
      'data-parallel training needs the built package (dist/train/data-parallel-worker.node.js); build @worldstrat/srnet or use train()',
    );
  return { workers, script };
}

/** A {@link StepRunner} over worker replicas; the pool starts at the first step (sized by its batch for 'auto'). */
function dataParallelRunner(
  model: SrModel,
  adam: AdamConfig,
  options: DataParallelOptions,
  settings: { workers: number | 'auto'; script: string | URL },
  onPool: (pool: ReplicaPool | undefined) => void,
): StepRunner {
  const backend = options.backend ?? 'wasm';
  let pool: ReplicaPool | undefined;
  let initial: InitialState | undefined;
  const poolFor = async (batch: number): Promise<ReplicaPool> => {
    if (pool) return pool;
    // a worker count given is the pool's size whatever the first batch holds (a batch of 1 first made the whole run
    // single-replica, and a resume starting after it two: the trajectories differed); 'auto' follows the batch
    const n = settings.workers === 'auto' ? defaultDataParallelWorkers(batch) : settings.workers;
    pool = new ReplicaPool(n, settings.script, { config: model.config, adam, backend });
    onPool(pool);
    await pool.start(initial ?? { weights: await modelWeights(model), step: 0 });
    return pool;
  };
  return {
    backend,
    async step(batch, seeds, lr, ctx) {
      const p = await poolFor(batch.lr.shape[0]);
      const g = await p.gradients(batch, seeds, ctx);
      const counts = await p.apply(sumGradients(g.grads), lr, ctx.step);
      options.onReplicaTensors?.(counts);
      return { loss: g.loss, microBatchSize: g.microBatchSize };
    },
    async restore(state) {
      loadStateDict(model, state.weights);
      initial = state;
    },
    async snapshot() {
      if (pool) return pool.snapshot(0);
      if (initial?.m && initial.v) return initial as ReplicaState;
      return {
        weights: await modelWeights(model),
        m: zeroMoments(model),
        v: zeroMoments(model),
        step: initial?.step ?? 0,
      };
    },
    async sync() {
      if (pool) loadStateDict(model, (await pool.snapshot(0)).weights);
    },
    async dispose() {
      await pool?.close();
    },
  };
}

/**
 * {@link train} with data-parallel steps over worker threads (one wasm model replica per core): same options,
 * schedule, dropout streams, checkpoints (interchangeable with single-thread ones) and validation (run on `model`
 * in this thread after every epoch); the weights equal single-thread training within float rounding, and a run is
 * deterministic for a fixed seed and worker count. `model` holds the trained weights at the end. The memory budget
 * (`memoryBudgetBytes`, `microBatchSize: 'auto'`) applies to each worker's shard.
 *
 * @param model - the model to train (its weights start every replica)
 * @param options - {@link TrainOptions} plus `workers`, `backend`, `workerScript`
 * @returns as {@link train}
 * @throws SrnetError as {@link train}; a worker's own srnet error (prefixed with the worker); `TRAINING_WORKER_FAILED`
 *   when a worker crashes, exits or fails otherwise; `BAD_CONFIG` for a bad worker count or a missing worker
 *   script; `ABORTED` (the workers are terminated at once)
 * @example
 * const model = createModel({ kind: 'highresnet', revisits: 8 }, { seed: 1 });
 * await trainDataParallel(model, { train: (e) => batches(e), epochs: 15, workers: 'auto' });
 */
export async function trainDataParallel(model: SrModel, options: DataParallelOptions): Promise<TrainResult> {
  checkTrainArguments('trainDataParallel', model, options);
  const settings = poolSettings(options);
  let pool: ReplicaPool | undefined;
  const onAbort = () => pool?.abort(abortError(options.signal as AbortSignal));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await runTraining(model, options, async (adam) =>
      dataParallelRunner(model, adam, options, settings, (p) => {
        pool = p;
        if (options.signal?.aborted) onAbort();
      }),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
