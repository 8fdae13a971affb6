// `worldstrat worker` runs its jobs in a child process under V8's single-threaded collector: the parent forwards
// SIGTERM, passes the exit code on, and a parent killed with kill -9 takes the child with it (no orphan that
// goes on taking jobs). `--gc parallel` runs one process. Linux: processes are read from /proc.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerGcChoice } from '../src/cli/worker-process.node.js';
import { tempDir } from './support/fixtures.js';
import { hasRedisServer, startTestRedis, type TestRedis } from './support/redis-server.js';
import { requireTool } from './support/require-tool.js';
import { CLI_BIN, spawnCli } from './support/spawn-cli.js';

// processes are read from /proc (Linux, as CI); Redis and the built CLI are required under CI
const run =
  process.platform === 'linux' &&
  requireTool('redis-server', hasRedisServer()) &&
  requireTool('built CLI', existsSync(CLI_BIN));

/** Pids whose parent is `ppid`, with their command lines. */
function childrenOf(ppid: number): { pid: number; cmd: string[] }[] {
  const out: { pid: number; cmd: string[] }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === ppid)
        out.push({
          pid: Number(e),
          cmd: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean),
        });
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

// Waits are generous: under load, starting a worker (two Node processes, Redis, BullMQ) took over 15 s once.
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

async function until(what: string, ok: () => boolean, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A started worker once it logged that it serves its queue. */
async function startWorker(redis: TestRedis, dir: string, extra: string[] = []) {
  const w = spawnCli(['worker', '--queue', redis.url, '--stages', 'region', ...extra], dir);
  let err = '';
  w.child.stderr!.on('data', (d) => {
    err += d;
  });
  await until('the worker to serve its queue', () => err.includes('worker on '));
  return w;
}

describe('--gc option parsing', () => {
  it('reads --gc X and --gc=X before --', () => {
    expect(workerGcChoice(['--queue', 'redis://h', '--gc', 'parallel'])).toBe('parallel');
    expect(workerGcChoice(['--gc=single'])).toBe('single');
    expect(workerGcChoice(['--queue', 'redis://h'])).toBeUndefined();
    expect(workerGcChoice(['--', '--gc', 'parallel'])).toBeUndefined();
  });
});

describe.runIf(run)('worker process', () => {
  let redis: TestRedis;
  let dir: string;
  let cleanup: () => Promise<void>;
  const started: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
    ({ dir, cleanup } = await tempDir('ws-worker-process-'));
  });
  afterAll(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis?.stop();
    await cleanup?.();
  });

  it('runs the jobs in a child under --single-threaded-gc; SIGTERM to the parent stops both, exit code 0', async () => {
    const w = await startWorker(redis, dir);
    started.push(w.child);
    const kids = childrenOf(w.child.pid!);
    expect(kids).toHaveLength(1);
    expect(kids[0]!.cmd).toContain('--single-threaded-gc');
    expect(kids[0]!.cmd).toContain('worker');
    w.child.kill('SIGTERM');
    const r = await w.done;
    expect(r.code).toBe(0);
    expect(r.out).toContain('worker stopped: 0 job(s) done, 0 failed');
    await until('the child to exit', () => !alive(kids[0]!.pid));
  }, 90_000);

  it('a parent killed with kill -9 takes its child with it', async () => {
    const w = await startWorker(redis, dir);
    started.push(w.child);
    const [kid] = childrenOf(w.child.pid!);
    expect(kid).toBeDefined();
    w.child.kill('SIGKILL');
    expect((await w.done).signal).toBe('SIGKILL');
    await until('the orphaned child to exit', () => !alive(kid!.pid), 10_000);
  }, 90_000);

  it('SIGTERM while Redis is down, or just after it restarted: the idle worker still exits 0 (it hung for ever)', async () => {
    for (const restart of [false, true]) {
      const own = await startTestRedis();
      try {
        const w = spawnCli(['worker', '--queue', own.url], dir);
        started.push(w.child);
        let err = '';
        w.child.stderr!.on('data', (d) => {
          err += d;
        });
        await until('the worker to serve its queue', () => err.includes('worker on '));
        await own.stop();
        await new Promise((r) => setTimeout(r, 2000));
        if (restart) await own.start();
        const t0 = Date.now();
        w.child.kill('SIGTERM');
        const r = await Promise.race([
          w.done,
          new Promise<null>((res) => setTimeout(() => res(null), 30_000)),
        ]);
        expect(r, `worker still running 30 s after SIGTERM (restart: ${restart})`).not.toBeNull();
        expect(r!.code, r!.err).toBe(0);
        expect(r!.out).toContain('worker stopped: 0 job(s) done, 0 failed');
        // the jobs-in-flight wait ends at once, the close gets IDLE_CLOSE_MS (5 s) and a few seconds more
        expect(Date.now() - t0).toBeLessThan(20_000);
      } finally {
        await own.stop();
      }
    }
  }, 180_000);

  it('--gc parallel runs the worker in one process; a bad --gc value is INVALID_ARGUMENT (exit 2)', async () => {
    const w = await startWorker(redis, dir, ['--gc', 'parallel']);
    started.push(w.child);
    expect(childrenOf(w.child.pid!)).toEqual([]);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(0);
    const bad = await spawnCli(['worker', '--queue', redis.url, '--gc', 'both'], dir).done;
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--gc both: use single or parallel/);
  }, 90_000);
});
