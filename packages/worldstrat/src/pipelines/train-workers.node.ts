// Train several models at once, one worker_thread each. TF.js's wasm backend runs one thread per backend in
// Node, so on an n-core machine n models train in about the time of the slowest instead of the sum. A worker
// opens the dataset itself and writes the same files as `trainModel` (weights, history, checkpoints); the
// caller reads them back. Results are identical to training in the main thread (same code, same seeds).
import { addAbortListener } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OpenDatasetOptions } from '@worldstrat/dataset/node';
import {
  throwIfAborted,
  WORLDSTRAT_ERROR_CODES,
  WorldStratError,
  type WorldStratErrorCode,
} from '../errors.js';
import {
  argumentError,
  checkArray,
  checkContext,
  checkModelSpec,
  checkObject,
  checkOptionalFinite,
  checkOptions,
  checkString,
} from '../internal/check-arguments.js';
import type { PipelineContext } from './pipeline.js';
import type { ModelSpec, TrainModelOptions } from './train-model.node.js';

/** One model to train in a worker: the dataset to open and {@link trainModel}'s options without the dataset. */
export interface TrainJob {
  root: string;
  open: Pick<OpenDatasetOptions, 'revisits' | 'skipInvalid' | 'cacheScenes' | 'readLimits'>;
  train: Omit<TrainModelOptions, 'dataset'>;
}

/** Messages a training worker posts. */
export type TrainWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'log'; message: string }
  | { type: 'done'; steps: number; seconds: number }
  | { type: 'error'; code?: string; name?: string; message: string };

/** Options of {@link trainInWorkers}. */
export interface TrainInWorkersOptions {
  /** Models trained at the same time. Default: min(jobs, available cores). */
  workers?: number;
  /** The worker script (built `train-worker.node.js`). Default: {@link trainWorkerScript}(). */
  script?: string | URL;
}

/**
 * The built worker script next to this module, or undefined when running from TypeScript sources (tests,
 * ts-node), where a worker could not load the `.ts` files: callers then train in the main thread.
 *
 * @returns a file URL string of `train-worker.node.js`, or undefined.
 */
export function trainWorkerScript(): string | undefined {
  if (/\.ts$/.test(import.meta.url)) return undefined;
  const url = new URL('./train-worker.node.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url.href : undefined;
}

/** Worker threads worth using for `jobs` models on this machine. */
export function defaultTrainWorkers(jobs: number): number {
  if (!Number.isSafeInteger(jobs) || jobs < 0)
    throw argumentError('defaultTrainWorkers', 'jobs', 'an integer ≥ 0', jobs);
  return Math.max(1, Math.min(jobs, availableParallelism()));
}

/** A rough relative cost of training a model, to start the longest first. */
function trainingCost(spec: ModelSpec): number {
  return spec.config.revisits * (spec.config.kind === 'highresnet' ? 2 : 1);
}

/**
 * Train one model in a worker thread.
 *
 * @param job - dataset and training options.
 * @param script - the worker script.
 * @param context - signal (asks the worker to stop at the next step; checkpoints stay resumable), progress
 *   (`done`/`total` steps), log.
 * @returns steps and seconds of the run.
 * @throws {WorldStratError} the worker's code when it is a worldstrat one (`ABORTED`, `INVALID_ARGUMENT`, …),
 *   else `TRAINING_FAILED` with the worker's message and original code (e.g. an srnet `BAD_CONFIG`).
 */
export function trainInWorker(
  job: TrainJob,
  script: string | URL,
  context: PipelineContext = {},
): Promise<{ steps: number; seconds: number }> {
  const { signal } = context;
  return runTrainWorker(job, script, context, (stop) => {
    if (!signal) return () => {};
    const listener = addAbortListener(signal, stop);
    return () => listener[Symbol.dispose]();
  });
}

/** Registers `stop` to run once on abort; returns the unregister function. */
type OnStop = (stop: () => void) => () => void;

function runTrainWorker(
  job: TrainJob,
  script: string | URL,
  context: PipelineContext,
  onStop: OnStop,
): Promise<{ steps: number; seconds: number }> {
  const name = job.train.spec.name;
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      typeof script === 'string' && !script.startsWith('file:') ? script : new URL(script),
      {
        workerData: job,
      },
    );
    let settled = false;
    const unregister = onStop(() => worker.postMessage({ type: 'abort' }));
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      unregister();
      f();
    };
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'progress')
        context.onProgress?.({ stage: `train:${name}`, done: m.done, total: m.total });
      else if (m.type === 'log') context.log?.(m.message);
      else if (m.type === 'done') finish(() => resolve({ steps: m.steps, seconds: m.seconds }));
      else if (m.type === 'error') {
        const known = (WORLDSTRAT_ERROR_CODES as readonly string[]).includes(m.code ?? '');
        const code = (known ? m.code : 'TRAINING_FAILED') as WorldStratErrorCode;
        const original = m.code && !known ? ` [${m.name ?? 'Error'} ${m.code}]` : '';
        finish(() => reject(new WorldStratError(code, `${name} (training worker): ${m.message}${original}`)));
      }
    });
    worker.on('error', (e) =>
      finish(() =>
        reject(new WorldStratError('TRAINING_FAILED', `${name} (training worker) crashed: ${e.message}`)),
      ),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new WorldStratError(
            'TRAINING_FAILED',
            `${name}: training worker exited with code ${code} before finishing`,
          ),
        ),
      ),
    );
  });
}

/**
 * Train models in a pool of worker threads (longest first), reporting one combined progress stage
 * (`train: N models`, steps summed) so a single progress bar stays meaningful.
 *
 * @param jobs - one job per model (their `train.out` folders receive the usual files).
 * @param options - pool size and worker script.
 * @param context - signal, progress, log.
 * @returns steps and seconds per model name, in job order.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when no worker script is available; the first worker failure
 *   (the other workers are asked to stop).
 */
export async function trainInWorkers(
  jobs: readonly TrainJob[],
  options: TrainInWorkersOptions = {},
  context: PipelineContext = {},
): Promise<Map<string, { steps: number; seconds: number }>> {
  const fn = 'trainInWorkers';
  context = checkContext(fn, context);
  checkArray(fn, 'jobs', jobs);
  jobs.forEach((j, i) => {
    checkObject(fn, `jobs[${i}]`, j);
    checkString(fn, `jobs[${i}].root`, j.root);
    checkObject(fn, `jobs[${i}].open`, j.open);
    checkObject(fn, `jobs[${i}].train`, j.train);
    checkModelSpec(fn, `jobs[${i}].train.spec`, j.train.spec);
    checkString(fn, `jobs[${i}].train.out`, j.train.out);
  });
  options = checkOptions(fn, options);
  checkOptionalFinite(fn, 'options.workers', options.workers);
  if (options.script !== undefined && typeof options.script !== 'string' && !(options.script instanceof URL))
    throw argumentError(fn, 'options.script', 'a path, a file URL string or a URL', options.script);
  throwIfAborted(context.signal);
  const script = options.script ?? trainWorkerScript();
  if (!script)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      'parallel training needs the built package (dist/train-worker.node.js); run `pnpm build` or use workers: 1',
    );
  const queue = [...jobs].sort((a, b) => trainingCost(b.train.spec) - trainingCost(a.train.spec));
  const workers = Math.max(1, Math.min(options.workers ?? defaultTrainWorkers(jobs.length), jobs.length));
  const stop = new AbortController();
  const onAbort = () => stop.abort(context.signal?.reason);
  context.signal?.addEventListener('abort', onAbort, { once: true });
  // One listener on `stop` fans out to the running workers: a listener each would pass Node's MaxListeners (10)
  // with `--workers` above 10 and print a warning.
  const running = new Set<() => void>();
  stop.signal.addEventListener('abort', () => {
    for (const f of [...running]) f();
  });
  const onStop: OnStop = (f) => {
    if (stop.signal.aborted) {
      f();
      return () => {};
    }
    running.add(f);
    return () => running.delete(f);
  };
  const progress = new Map<string, { done: number; total: number }>();
  const stage = `train: ${jobs.length} models`;
  const results = new Map<string, { steps: number; seconds: number }>();
  let failure: unknown;
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let job = queue.shift(); job && !failure; job = queue.shift()) {
          throwIfAborted(stop.signal);
          const name = job.train.spec.name;
          try {
            const r = await runTrainWorker(
              job,
              script,
              {
                onProgress: (p) => {
                  progress.set(name, { done: p.done, total: p.total });
                  let done = 0;
                  let total = 0;
                  for (const j of jobs) {
                    const q = progress.get(j.train.spec.name);
                    done += q?.done ?? 0;
                    total += q?.total ?? j.train.maxSteps ?? 0;
                  }
                  context.onProgress?.({ stage, done, total: Math.max(total, done) });
                },
                ...(context.log ? { log: context.log } : {}),
              },
              onStop,
            );
            results.set(name, r);
            context.log?.(`${name}: ${r.steps} steps in ${r.seconds.toFixed(0)} s (worker)`);
          } catch (e) {
            failure ??= e;
            stop.abort(e);
          }
        }
      }),
    );
  } finally {
    context.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  return new Map(
    jobs.map((j) => [
      j.train.spec.name,
      results.get(j.train.spec.name) as { steps: number; seconds: number },
    ]),
  );
}
