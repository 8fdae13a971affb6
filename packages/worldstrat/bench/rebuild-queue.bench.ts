// Rebuild downloads (and the per-AOI catalogue searches) on 1, 2 and 4 queue worker processes against a local
// STAC/COG server behind a 50 ms latency proxy (I/O-bound): prints wall times and the speed-up over one worker.
// Each worker set runs the same rebuild 1 + WORLDSTRAT_BENCH_WARM times, each into its own root: `cold` is the
// first run of freshly started workers (every process still compiling its hot code, so N workers pay N
// warm-ups), `warm` the median of the runs after it on the same workers: the steady state of a long rebuild
// (the throughput a big dataset sees). Needs redis-server and the built CLI (dist/cli.js). Env:
// WORLDSTRAT_BENCH_AOIS (default 20), WORLDSTRAT_BENCH_WORKERS (default 1,2,4), WORLDSTRAT_BENCH_WARM (default 3),
// WORLDSTRAT_BENCH_WORKER_ARGS (extra worker arguments, e.g. --gc parallel).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { rebuild } from '../src/pipelines/rebuild.node.js';
import { tempDir } from '../test/support/fixtures.js';
import { connectWhenWorkersReady, startQueueWorkers, timedExecutor } from '../test/support/queue-workers.js';
import { startRebuildFixture } from '../test/support/rebuild-fixture.js';
import { hasRedisServer, startTestRedis } from '../test/support/redis-server.js';
import { CLI_BIN } from '../test/support/spawn-cli.js';

const AOIS = Number(process.env.WORLDSTRAT_BENCH_AOIS ?? 20);
const COUNTS = (process.env.WORLDSTRAT_BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const WARM = Number(process.env.WORLDSTRAT_BENCH_WARM ?? 3);
/** Extra `worldstrat worker` arguments, e.g. `--gc parallel`. */
const WORKER_ARGS = (process.env.WORLDSTRAT_BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);
const RUNS = ['cold', 'warm'] as const;
type Run = (typeof RUNS)[number];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

it.runIf(hasRedisServer() && existsSync(CLI_BIN))(
  'rebuild downloads on 1, 2, 4 queue workers (50 ms latency)',
  async () => {
    const { dir, cleanup } = await tempDir('ws-bench-queue-');
    const fixture = await startRebuildFixture(dir, 50);
    const redis = await startTestRedis();
    const started: ChildProcess[] = [];
    try {
      const planRoot = (n: number, i: number) => join(dir, `w${n}-${i}`);
      const seconds = { cold: new Map<number, number>(), warm: new Map<number, number>() };
      const searchSeconds = { cold: new Map<number, number>(), warm: new Map<number, number>() };
      const warmRuns = { downloads: [] as number[], searches: [] as number[] };
      for (const n of COUNTS) {
        const workers = startQueueWorkers(n, redis.url, ['--concurrency', '1', ...WORKER_ARGS], dir);
        started.push(...workers.children);
        warmRuns.downloads = [];
        warmRuns.searches = [];
        for (let i = 0; i <= WARM; i++) {
          const run: Run = i === 0 ? 'cold' : 'warm';
          // every worker connected first, so start-up is not timed
          const executor = await connectWhenWorkersReady(redis.url, 'rebuild-download', n);
          // only the executor's stages are timed (the plan's sampling and draw are the same for every n)
          const timed = timedExecutor(executor, (stage, t) => {
            const search = stage === 'rebuild-search';
            if (run === 'cold') (search ? searchSeconds : seconds).cold.set(n, t);
            else {
              const runs = search ? warmRuns.searches : warmRuns.downloads;
              runs.push(t);
              (search ? searchSeconds : seconds).warm.set(n, median(runs));
            }
          });
          await rebuild({ ...fixture.options(planRoot(n, i), AOIS), executor: timed }).finally(() =>
            executor.close(),
          );
        }
        await workers.stop();
      }
      const ratios = (m: Map<number, number>) =>
        COUNTS.map(
          (n) => `${n} worker(s) ${m.get(n)!.toFixed(1)} s (${(m.get(COUNTS[0])! / m.get(n)!).toFixed(2)}×)`,
        ).join(', ');
      console.log(
        `[worldstrat bench] rebuild, ${AOIS} AOIs, 50 ms latency, worker --concurrency 1, warm = median of ${WARM}; ` +
          RUNS.map(
            (run) => `${run}: downloads ${ratios(seconds[run])}; searches ${ratios(searchSeconds[run])}`,
          ).join('; ') +
          `; loadavg ${loadavg()
            .map((x) => x.toFixed(2))
            .join(' ')}`,
      );
    } finally {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await redis.stop();
      await fixture.close();
      await cleanup();
    }
  },
);
