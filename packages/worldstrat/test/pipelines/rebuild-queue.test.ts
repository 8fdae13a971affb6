// The rebuild on BullMQ workers: a Redis started here, worker processes of the built CLI, eo-fetch's local
// STAC/COG server. The queued dataset must equal an in-process one byte for byte, with a worker killed with
// kill -9 mid-run and, separately, Redis restarted (empty) mid-run.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { removeStaleTemps } from '@worldstrat/eo-fetch/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StacServer } from '../../../eo-fetch/test/support/stac-server.js';
import { LocalExecutor } from '../../src/executors/local-executor.node.js';
import { QueueExecutor } from '../../src/executors/queue-executor.node.js';
import { parseQueueUrl } from '../../src/executors/redis-connection.node.js';
import { type RebuildOptions, rebuild } from '../../src/pipelines/rebuild.node.js';
import { tempDir } from '../support/fixtures.js';
import { REGION, type RebuildFixture, startRebuildFixture } from '../support/rebuild-fixture.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN, spawnCli } from '../support/spawn-cli.js';

const run = requireTool('redis-server', hasRedisServer()) && requireTool('built CLI', existsSync(CLI_BIN));

let dir: string;
let cleanup: () => Promise<void>;
let fixture: RebuildFixture;
let stac: StacServer;
let redis: TestRedis;
let lccsPath: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  if (!run) return;
  ({ dir, cleanup } = await tempDir('ws-rebuild-queue-'));
  fixture = await startRebuildFixture(dir);
  stac = fixture.stac;
  lccsPath = fixture.lccsPath;
  redis = await startTestRedis();
  // the workers start (a few seconds each) while the first test runs in-process
  for (let i = 0; i < 3; i++) startWorker();
}, 30_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await redis?.stop();
  await fixture?.close();
  await cleanup?.();
});

const options = (root: string, target = 20): RebuildOptions => fixture.options(root, target);

function startWorker(): ChildProcess {
  const { child } = spawnCli(
    ['worker', '--queue', redis.url, '--concurrency', '2', '--lock-duration', '2000', '--quiet'],
    dir,
  );
  workers.push(child);
  return child;
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p.slice(root.length + 1));
    }
  };
  await walk(root);
  return out.sort();
}

/** Every dataset file (the rebuild/ bookkeeping aside) of `a` equals `b`'s byte for byte. */
async function expectSameDataset(a: string, b: string): Promise<string[]> {
  const data = (fs: string[]) => fs.filter((f) => !f.startsWith('rebuild/'));
  const fa = data(await listFiles(a));
  expect(data(await listFiles(b))).toEqual(fa);
  for (const f of fa)
    expect(Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f))), f).toBe(0);
  return fa;
}

/** The merged manifest has each file once, all verified, and each (AOI, revisit) of the plan. */
async function expectManifestOnce(root: string, revisits: number): Promise<void> {
  const lines = (await readFile(join(root, 'rebuild', 'manifest-L2A.jsonl'), 'utf8')).trim().split('\n');
  const recs = lines.map(
    (l) => JSON.parse(l) as { path: string; aoi: string; revisit: number; status: string },
  );
  expect(new Set(recs.map((r) => r.path)).size).toBe(recs.length);
  expect(recs.every((r) => r.status === 'verified')).toBe(true);
  const metas = recs.filter((r) => r.path.endsWith('.metadata'));
  expect(new Set(metas.map((r) => `${r.aoi}/${r.revisit}`)).size).toBe(metas.length);
  expect(metas).toHaveLength(revisits);
}

/** `rebuild` of 4 AOIs from the fixture's catalogue, as on the command line. */
const args = (root: string) => [
  'rebuild',
  root,
  '--landcover',
  lccsPath,
  '--land-mask',
  'none',
  '--region',
  REGION.join(','),
  '--target',
  '4',
  '--pool-size',
  '40',
  '--seed',
  '3',
  '--area',
  '0.25',
  '--stac-url',
  stac.url,
  '--from',
  '2022-06-01',
  '--to',
  '2022-06-30',
  '--target-date',
  '2022-06-10',
  '--revisits',
  '1',
];

const noTemps = async (root: string) =>
  expect((await listFiles(root)).filter((f) => /\.(tmp|partial)$|\.tmp-|\.partial-/.test(f))).toEqual([]);

describe.runIf(run)('rebuild --queue (BullMQ workers)', () => {
  it('the local executor runs the same per-AOI units: the dataset equals the default in-process one', async () => {
    const local = join(dir, 'small-local');
    const ref = await rebuild(options(local, 4));
    expect(ref.failures).toEqual([]);
    const viaLocal = join(dir, 'small-local-executor');
    const res = await rebuild({ ...options(viaLocal, 4), executor: new LocalExecutor() });
    expect(res.downloads.L2A).toEqual({ downloaded: ref.revisits.L2A, skipped: 0, failed: 0, planned: 0 });
    await expectSameDataset(local, viaLocal);
    await expectManifestOnce(viaLocal, ref.revisits.L2A!);
  }, 60_000);

  it('three workers, one killed with kill -9 mid-run: the dataset equals the in-process one', async () => {
    const local = join(dir, 'local');
    const ref = await rebuild(options(local));
    expect(ref.aois).toBe(20);
    expect(ref.failures).toEqual([]);

    const victim = workers[0];
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const queued = join(dir, 'queued');
    let killed = false;
    const res = await rebuild(
      { ...options(queued), executor },
      {
        onProgress: (p) => {
          if (p.stage === 'rebuild-download' && p.done >= 2 && !killed) {
            killed = true;
            victim.kill('SIGKILL');
          }
        },
      },
    ).finally(() => executor.close());
    expect(killed).toBe(true);
    expect(victim.signalCode).toBe('SIGKILL');
    expect(res.failures).toEqual([]);
    // a write the kill cut short leaves its atomic temp beside the file another worker then wrote whole; a later
    // run takes such temps only once idle for 10 minutes (they may be a live run's), so here, with every worker
    // idle, they are removed as that run would, and each must sit beside its finished file
    for (const f of await listFiles(queued)) {
      const m = /^(.+)\.[0-9a-f]{12}\.tmp$/.exec(f);
      if (!m) continue;
      expect(existsSync(join(queued, m[1] as string)), f).toBe(true);
      await removeStaleTemps(join(queued, dirname(f)), () => true, { olderThanMs: 0 });
    }
    expect(res.downloads.L2A!.downloaded + res.downloads.L2A!.skipped).toBe(ref.revisits.L2A);
    const files = await expectSameDataset(local, queued);
    expect(files.filter((f) => f.endsWith('.tiff')).length).toBeGreaterThanOrEqual(20);
    await expectManifestOnce(queued, ref.revisits.L2A!);
    await noTemps(queued);

    const status = await cli('status', '--queue', redis.url, '--json');
    expect(status.code).toBe(0);
    const s = JSON.parse(status.out);
    expect(s.stages['rebuild-download'].completed).toBe(20);
    expect(s.failed).toEqual([]);

    // a rerun re-verifies every unit and downloads nothing
    const reads = stac.requests.length;
    const again = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const rerun = await rebuild({ ...options(queued), executor: again }).finally(() => again.close());
    expect(rerun.downloads.L2A).toEqual({ downloaded: 0, skipped: ref.revisits.L2A, failed: 0, planned: 0 });
    expect(stac.requests.length).toBe(reads);
  }, 120_000);

  it('Redis restarted (empty) mid-run: the run completes with the same dataset', async () => {
    while (workers.filter((w) => w.exitCode === null && w.signalCode === null).length < 2) startWorker();
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100, lostTimeoutMs: 30_000 });
    const root = join(dir, 'restarted');
    let restarted: Promise<void> | undefined;
    const res = await rebuild(
      { ...options(root, 8), executor },
      {
        onProgress: (p) => {
          if (p.stage === 'rebuild-download' && p.done >= 1 && !restarted)
            restarted = redis.stop().then(() => redis.start());
        },
      },
    ).finally(() => executor.close());
    await restarted;
    expect(restarted).toBeDefined();
    expect(res.failures).toEqual([]);
    const local = join(dir, 'restarted-local');
    await rebuild(options(local, 8));
    await expectSameDataset(local, root);
    await expectManifestOnce(root, res.revisits.L2A!);
    await noTemps(root);
  }, 90_000);

  it('CLI: --detach returns after enqueuing; a second run waits and writes the same dataset as an in-process run', async () => {
    const root = join(dir, 'cli-queued');
    const detached = await cli('--json', ...args(root), '--queue', redis.url, '--detach');
    expect(detached.code, detached.err).toBe(0);
    expect(JSON.parse(detached.out)).toMatchObject({ detached: true, aois: 4 });
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
    const waited = await cli('--json', ...args(root), '--queue', redis.url);
    expect(waited.code, waited.err).toBe(0);
    const res = JSON.parse(waited.out);
    expect(res.failures).toEqual([]);
    expect(res.downloads.L2A.downloaded + res.downloads.L2A.skipped).toBe(4);
    const local = join(dir, 'cli-local');
    const ref = await cli('--json', ...args(local));
    expect(ref.code, ref.err).toBe(0);
    await expectSameDataset(local, root);
  }, 60_000);

  it('CLI: --detach with no worker running returns at once, the searches queued and no plan written (it waited for workers)', async () => {
    const lone = await startTestRedis(); // no worker listens here
    try {
      const root = join(dir, 'detach-no-worker');
      const waited = new Promise<null>((r) => setTimeout(() => r(null), 30_000));
      const t0 = Date.now();
      const r = await Promise.race([cli('--json', ...args(root), '--queue', lone.url, '--detach'), waited]);
      expect(r, 'rebuild --detach was still waiting for a worker after 30 s').not.toBeNull();
      expect(r!.code, r!.err).toBe(0);
      expect(JSON.parse(r!.out)).toMatchObject({ detached: true, detachedStage: 'search', aois: 4 });
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(existsSync(join(root, 'rebuild', 'plan.json'))).toBe(false);
      expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
      const status = JSON.parse((await cli('--json', 'status', '--queue', lone.url)).out);
      expect(status.stages['rebuild-search'].waiting).toBe(4);
      expect(status.stages['rebuild-download'].waiting).toBe(0);
      // the text result says how to follow the jobs and how to go on
      const text = await cli(...args(root), '--queue', lone.url, '--detach');
      expect(text.code, text.err).toBe(0);
      expect(text.out).toContain('4 AOIs: catalogue search jobs queued on');
      expect(text.out).toContain(`worldstrat status --queue ${parseQueueUrl(lone.url).display}`);
    } finally {
      await lone.stop();
    }
  }, 60_000);

  it('CLI: a --detach rerun once the searches are done queues the downloads (plan written) and returns', async () => {
    const root = join(dir, 'detach-stages');
    // the fixture's workers run the searches of the first detached run
    const first = await cli('--json', ...args(root), '--queue', redis.url, '--detach');
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ detached: true, detachedStage: 'search' });
    const done = async () => {
      for (let i = 0; i < 300; i++) {
        const again = await cli('--json', ...args(root), '--queue', redis.url, '--detach');
        const res = JSON.parse(again.out);
        if (res.detachedStage !== 'search') return res;
        await new Promise((w) => setTimeout(w, 200));
      }
      throw new Error('the searches never finished');
    };
    const second = await done();
    expect(second).toMatchObject({ detached: true, detachedStage: 'download', aois: 4 });
    expect(existsSync(join(root, 'rebuild', 'plan.json'))).toBe(true);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
    const waited = await cli('--json', ...args(root), '--queue', redis.url);
    expect(waited.code, waited.err).toBe(0);
    expect(JSON.parse(waited.out).failures).toEqual([]);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(true);
  }, 90_000);

  it('a unit failing with a code no retry can fix fails at once; status lists it with its code', async () => {
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const params = {
      root: 'relative/root',
      provider: { kind: 'stac', url: stac.url },
      levels: ['L2A'],
      aoi: { name: 'Bad-1', bounds: REGION },
      revisits: { L2A: [] },
    };
    const run = await executor
      .run('rebuild-download', [{ unit: 'Bad-1', params }], {}, {})
      .finally(() => executor.close());
    expect(run.outcomes).toEqual([
      {
        unit: 'Bad-1',
        ok: false,
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('relative/root'),
      },
    ]);
    const status = await cli('status', '--queue', redis.url, '--json');
    const failed = JSON.parse(status.out).failed;
    expect(failed).toEqual([
      expect.objectContaining({
        stage: 'rebuild-download',
        unit: 'Bad-1',
        code: 'INVALID_ARGUMENT',
        attempts: 1,
      }),
    ]);
    const text = await cli('status', '--queue', redis.url);
    expect(text.out).toContain('failed rebuild-download Bad-1 [INVALID_ARGUMENT] after 1 attempt(s)');
  }, 30_000);

  it('Redis lost for longer than lostTimeoutMs: QUEUE_UNAVAILABLE, no plan or table written (the search units never ran)', async () => {
    const lone = await startTestRedis(); // no worker listens here
    const executor = await QueueExecutor.connect(lone.url, {
      pollMs: 100,
      lostTimeoutMs: 1000,
      requestTimeoutMs: 3000,
    });
    const root = join(dir, 'lost');
    const lines: string[] = [];
    const err = await rebuild(
      { ...options(root, 3), executor },
      {
        log: (l) => {
          lines.push(l);
          if (l.startsWith('no worker is connected')) void lone.stop();
        },
      },
    )
      .catch((e) => e)
      .finally(() => executor.close());
    await lone.stop();
    expect(err.code, String(err)).toBe('QUEUE_UNAVAILABLE');
    expect(
      lines.some((l) => l.includes(`start \`worldstrat worker --queue redis://127.0.0.1:${lone.port}`)),
      lines.join('\n'),
    ).toBe(true);
    expect(err.code).toBe('QUEUE_UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${lone.port}`);
    // the catalogue search is a queued stage too: without a worker no plan can be made, and nothing is written
    expect(existsSync(join(root, 'rebuild', 'plan.json'))).toBe(false);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
    expect(existsSync(root)).toBe(false);
  }, 30_000);

  it('an unreachable Redis is QUEUE_UNAVAILABLE with exit 6; a bad URL is a usage error', async () => {
    const closed = `redis://127.0.0.1:${redis.port + 1}/0`;
    const err = await QueueExecutor.connect(closed, { connectTimeoutMs: 2000 }).catch((e) => e);
    expect(err.code).toBe('QUEUE_UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${redis.port + 1}`);
    const r = await cli('status', '--queue', closed);
    expect(r.code).toBe(6);
    expect(r.err).toContain('QUEUE_UNAVAILABLE');
    const w = await cli('worker', '--queue', 'http://127.0.0.1:1');
    expect(w.code).toBe(2);
    expect(parseQueueUrl('redis://u:s3cret@h:7000/2')).toMatchObject({
      host: 'h',
      port: 7000,
      db: 2,
      password: 's3cret',
    });
    expect(parseQueueUrl('redis://u:s3cret@h:7000/2').display).not.toContain('s3cret');
    const d = await cli(
      'rebuild',
      join(dir, 'x'),
      '--landcover',
      lccsPath,
      '--target',
      '1',
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-02',
      '--detach',
    );
    expect(d.code).toBe(2);
  }, 30_000);

  it('worker: SIGTERM stops it cleanly (exit 0)', async () => {
    const { child, done } = spawnCli(['worker', '--queue', redis.url], dir);
    workers.push(child);
    let err = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('worker on ')) resolve();
      });
    });
    child.kill('SIGTERM');
    const res = await done;
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain('worker stopped: 0 job(s) done, 0 failed');
  }, 30_000);
});
