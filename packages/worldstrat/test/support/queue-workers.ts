// Queue worker processes for the scale-out benchmarks: start N `worldstrat worker`s, connect a coordinator once
// all of them are registered (so start-up is never timed), and time the executor's stages.
import type { ChildProcess } from 'node:child_process';
import type { Executor, ExecutorStage } from '../../src/executors/executor.js';
import { QueueExecutor } from '../../src/executors/queue-executor.node.js';
import { spawnCli } from './spawn-cli.js';

/** Started workers: their processes and a graceful stop (SIGTERM, then wait). */
export interface QueueWorkers {
  children: ChildProcess[];
  stop(): Promise<void>;
}

/**
 * Start `n` worker processes on the queue at `redisUrl`.
 *
 * @param n - how many.
 * @param redisUrl - `redis://…` of the queue.
 * @param workerArgs - extra `worldstrat worker` arguments (`--stages`, `--concurrency`, …).
 * @param dir - working folder of the processes.
 * @param nodeArgs - Node flags of the worker processes.
 * @returns the processes and their stop.
 */
export function startQueueWorkers(
  n: number,
  redisUrl: string,
  workerArgs: readonly string[],
  dir: string,
  nodeArgs: readonly string[] = [],
): QueueWorkers {
  const workers = Array.from({ length: n }, () =>
    spawnCli(['worker', '--queue', redisUrl, ...workerArgs, '--quiet'], dir, undefined, nodeArgs),
  );
  return {
    children: workers.map((w) => w.child),
    stop: async () => {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
    },
  };
}

/** A coordinator on `redisUrl` once `n` workers serve `stage`. */
export async function connectWhenWorkersReady(
  redisUrl: string,
  stage: ExecutorStage,
  n: number,
): Promise<QueueExecutor> {
  const executor = await QueueExecutor.connect(redisUrl, { pollMs: 250 });
  while ((await executor.workerCount(stage)) < n) await new Promise((r) => setTimeout(r, 100));
  return executor;
}

/** `executor`, reporting the seconds each `run` took to `onTime` (with its stage). */
export function timedExecutor(
  executor: Executor,
  onTime: (stage: ExecutorStage, seconds: number) => void,
): Executor {
  return {
    kind: executor.kind,
    run: async (...args) => {
      const t0 = performance.now();
      try {
        return await executor.run(...args);
      } finally {
        onTime(args[0], (performance.now() - t0) / 1000);
      }
    },
    close: () => executor.close(),
  };
}
