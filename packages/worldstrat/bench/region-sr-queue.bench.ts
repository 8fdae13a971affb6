// Region super-resolution tiles on 1 and 2 queue worker processes (CPU-bound: SRCNN at the paper's width of 128
// hidden channels, on a local STAC/COG server without latency): prints wall times of the tile stage and the
// speed-up over one worker: the worker counts run interleaved WORLDSTRAT_BENCH_REPEATS times (default 3) and the
// ratio is of the medians (on two cores single runs vary by ±10 %). Needs redis-server and the built CLI
// (dist/cli.js). Env: WORLDSTRAT_BENCH_WORKER_NODE_FLAGS (Node flags of the workers), WORLDSTRAT_BENCH_WORKER_ARGS
// (extra worker arguments, e.g. --gc parallel for V8's default collector),
// WORLDSTRAT_BENCH_WORKERS (default 1,2), WORLDSTRAT_BENCH_HIDDEN (SRCNN width, default 128; narrower models spend a larger share of
// each tile on the search, download and warps, which the coordinator's process also serves).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { it } from 'vitest';
import { regionSuperresolvePipeline } from '../src/pipelines/region-superresolve.node.js';
import { tempDir } from '../test/support/fixtures.js';
import { connectWhenWorkersReady, startQueueWorkers, timedExecutor } from '../test/support/queue-workers.js';
import { hasRedisServer, startTestRedis } from '../test/support/redis-server.js';
import { startRegionFixture } from '../test/support/region-fixture.js';
import { CLI_BIN } from '../test/support/spawn-cli.js';

const COUNTS = (process.env.WORLDSTRAT_BENCH_WORKERS ?? '1,2').split(',').map(Number);
const HIDDEN = Number(process.env.WORLDSTRAT_BENCH_HIDDEN ?? 128);
const REPEATS = Number(process.env.WORLDSTRAT_BENCH_REPEATS ?? 3);
/** Node flags for the worker processes. */
const NODE_FLAGS = (process.env.WORLDSTRAT_BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Extra `worldstrat worker` arguments, e.g. `--gc parallel` (V8's default collector, one process). */
const WORKER_ARGS = (process.env.WORLDSTRAT_BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
/** ≈ 3 × 3.3 km: 16 tiles of 100 LR px (overlap 50). */
const REGION: [number, number, number, number] = [8.52, 47.355, 8.56, 47.385];

it.runIf(hasRedisServer() && existsSync(CLI_BIN))(
  'region SR tiles on 1, 2 queue workers (CPU-bound)',
  async () => {
    const { dir, cleanup } = await tempDir('ws-bench-region-');
    const fixture = await startRegionFixture(dir, HIDDEN);
    const redis = await startTestRedis();
    const started: ChildProcess[] = [];
    try {
      const seconds = new Map<number, number[]>(COUNTS.map((n) => [n, []]));
      let tiles = 0;
      const runs = Array.from({ length: REPEATS }, (_, rep) => COUNTS.map((n) => [rep, n] as const)).flat();
      for (const [idx, [rep, n]] of runs.entries()) {
        const workers = startQueueWorkers(
          n,
          redis.url,
          ['--stages', 'region-sr-tile', ...WORKER_ARGS],
          dir,
          NODE_FLAGS,
        );
        started.push(...workers.children);
        const executor = await connectWhenWorkersReady(redis.url, 'region-sr-tile', n);
        // only the tile stage is timed (planning and the mosaic are the same for every n)
        const timed = timedExecutor(executor, (_stage, t) => seconds.get(n)!.push(t));
        const r = await regionSuperresolvePipeline
          .run({ ...fixture.options(`w${idx}-${n}-r${rep}`, REGION, 100), executor: timed })
          .finally(() => executor.close());
        tiles = r.tiles.total;
        await workers.stop();
      }
      const one = median(seconds.get(COUNTS[0]!)!);
      console.log(
        `[worldstrat bench] region SR, ${tiles} tiles, SRCNN hidden ${HIDDEN}, workers node ${NODE_FLAGS.join(' ') || '(no flags)'} worker ${WORKER_ARGS.join(' ') || '(default args)'}, median of ${REPEATS} interleaved runs: ${COUNTS.map(
          (n) => {
            const m = median(seconds.get(n)!);
            const all = seconds
              .get(n)!
              .map((t) => t.toFixed(1))
              .join(' ');
            return `${n} worker(s) ${m.toFixed(1)} s [${all}] (${(one / m).toFixed(2)}×)`;
          },
        ).join(', ')}; loadavg ${loadavg()
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
