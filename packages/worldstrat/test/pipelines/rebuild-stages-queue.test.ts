// The rebuild's catalogue search and SPOT orders as queued per-AOI stages: worker processes of the built CLI
// specialised with `--stages`, a Redis started here, eo-fetch's STAC and SentinelHub test servers. The queued
// plan must equal the in-process one byte for byte with every search sent by the workers; racing workers, a
// duplicate job and a worker killed with kill -9 mid-order must never place an AOI's SPOT order twice.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ShServer, startShServer } from '../../../eo-fetch/test/support/sentinel-hub-server.js';
import { makeItem, type StacServer } from '../../../eo-fetch/test/support/stac-server.js';
import type { ExecutorUnit } from '../../src/executors/executor.js';
import { LocalExecutor } from '../../src/executors/local-executor.node.js';
import { QueueExecutor } from '../../src/executors/queue-executor.node.js';
import type { RebuildSpotOrderParams } from '../../src/executors/rebuild-spot-unit.node.js';
import { planRebuild, type RebuildOptions, rebuild } from '../../src/pipelines/rebuild.node.js';
import { tempDir } from '../support/fixtures.js';
import { type RebuildFixture, startRebuildFixture } from '../support/rebuild-fixture.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN, spawnCli } from '../support/spawn-cli.js';

const run = requireTool('redis-server', hasRedisServer()) && requireTool('built CLI', existsSync(CLI_BIN));

let dir: string;
let cleanup: () => Promise<void>;
let fixture: RebuildFixture;
let stac: StacServer;
let sh: ShServer;
let redis: TestRedis;
const children: ChildProcess[] = [];

function startWorker(url: string, stages: string, extra: string[] = []): ChildProcess {
  const { child } = spawnCli(
    // --sh-url: the service these workers' credentials are for (a job naming another is refused)
    [
      'worker',
      '--queue',
      url,
      '--stages',
      stages,
      '--concurrency',
      '2',
      '--lock-duration',
      '2000',
      '--sh-url',
      sh.url,
      ...extra,
    ],
    dir,
    { SH_CLIENT_ID: sh.clientId, SH_CLIENT_SECRET: sh.clientSecret },
  );
  children.push(child);
  return child;
}

/** Resolves once the worker logged that it serves its queues. */
const ready = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('worker on ')) resolve();
    });
  });

beforeAll(async () => {
  if (!run) return;
  ({ dir, cleanup } = await tempDir('ws-rebuild-stages-'));
  fixture = await startRebuildFixture(dir);
  stac = fixture.stac;
  sh = await startShServer();
  sh.spotImagery = true;
  sh.orderLifecycle = { pollsToDone: 1 };
  redis = await startTestRedis();
  // specialised workers: one for search + downloads, three for SPOT orders only
  startWorker(redis.url, 'search,download');
  for (let i = 0; i < 3; i++) startWorker(redis.url, 'spot');
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
  await sh?.close();
  await fixture?.close();
  await cleanup?.();
});

const searches = () => stac.requests.filter((r) => r.url.startsWith('/search')).length;

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

describe.runIf(run)('rebuild stages on queue workers', () => {
  it('search runs in the workers: plan.json equals the in-process plan byte for byte; a replan reuses the verified unit results', async () => {
    const options = (root: string): RebuildOptions => fixture.options(root, 4);
    const local = join(dir, 'plan-local');
    const before = searches();
    const ref = await rebuild(options(local));
    expect(ref.failures).toEqual([]);
    expect(ref.aois).toBe(4);
    expect(searches() - before).toBe(ref.searchRequests);
    const localPlan = await readFile(join(local, 'rebuild', 'plan.json'));

    // the local executor runs the same search units in this process (the plan as rebuild writes it)
    const viaLocal = join(dir, 'plan-local-executor');
    const localUnits = await planRebuild({ ...options(viaLocal), executor: new LocalExecutor() });
    expect(Buffer.compare(Buffer.from(`${JSON.stringify(localUnits)}\n`), localPlan)).toBe(0);
    expect((await listFiles(viaLocal)).filter((f) => f.startsWith('rebuild/units/search/'))).toHaveLength(4);

    // queued: the coordinator's own fetch must send nothing; the STAC server still sees every search
    let coordinatorRequests = 0;
    const counting: typeof fetch = (input, init) => {
      coordinatorRequests++;
      return fetch(input, init);
    };
    const queued = join(dir, 'plan-queued');
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const stagesSeen = new Set<string>();
    const atQueued = searches();
    const res = await rebuild(
      { ...options(queued), executor, fetch: counting },
      { onProgress: (p) => stagesSeen.add(p.stage) },
    ).finally(() => executor.close());
    expect(res.failures).toEqual([]);
    expect(stagesSeen).toContain('rebuild-search');
    expect(coordinatorRequests).toBe(0);
    expect(searches() - atQueued).toBe(ref.searchRequests);
    expect(res.searchRequests).toBe(ref.searchRequests);
    expect(Buffer.compare(await readFile(join(queued, 'rebuild', 'plan.json')), localPlan)).toBe(0);
    const unitFiles = (await listFiles(queued)).filter((f) => f.startsWith('rebuild/units/search/'));
    expect(unitFiles).toHaveLength(4);
    expect(unitFiles.every((f) => /\.[0-9a-f]{16}\.json$/.test(f))).toBe(true);

    // replan: every search unit finds its verified result and sends nothing
    const again = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const atReplan = searches();
    await rebuild({ ...options(queued), replan: true, executor: again }).finally(() => again.close());
    expect(searches()).toBe(atReplan);
    expect(Buffer.compare(await readFile(join(queued, 'rebuild', 'plan.json')), localPlan)).toBe(0);

    const status = await cli('status', '--queue', redis.url, '--json');
    expect(status.code, status.err).toBe(0);
    const s = JSON.parse(status.out);
    expect(Object.keys(s.stages)).toEqual([
      'rebuild-search',
      'rebuild-download',
      'rebuild-spot-order',
      'region-sr-tile',
    ]);
    expect(s.stages['rebuild-search'].completed).toBe(4);
    const text = await cli('status', '--queue', redis.url);
    expect(text.out).toMatch(/^rebuild-search: 0 waiting, 0 active, 0 delayed, 4 completed/m);
  }, 120_000);

  const spotUnit = (root: string, name: string, lon: number, pollSeconds = 0.01) => ({
    unit: name,
    params: {
      root,
      provider: { kind: 'sentinelhub' as const, baseUrl: sh.url },
      aoi: { name, bounds: [lon, 47.36, lon + 0.02, 47.375], spot: { id: `SPOT7-${name}` } },
      order: { collectionName: 'ws-stages', confirm: true, pollSeconds, timeoutMinutes: 1 },
    },
  });
  const ordersOf = (name: string) => sh.orders.filter((o) => o.name === name).length;
  const creations = () =>
    sh.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/dataimport/orders').length;

  it('three SPOT workers racing on the same AOIs (and a duplicate job) create exactly one order per AOI', async () => {
    const root = join(dir, 'spot-race');
    sh.orderDelaysMs = { listOrders: 300 }; // every racer would list "no order" before the first creates one
    const units: ExecutorUnit<RebuildSpotOrderParams>[] = [
      spotUnit(root, 'Race-1', 8.5),
      spotUnit(root, 'Race-2', 8.53),
      spotUnit(root, 'Race-3', 8.56),
      spotUnit(root, 'Race-1', 8.5, 0.02), // same AOI, other parameters: a second job
      spotUnit(root, 'Race-2', 8.53, 0.03),
    ];
    const a = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const b = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    try {
      // two coordinators enqueue the same units at once
      const [ra, rb] = await Promise.all([
        a.run('rebuild-spot-order', units, {}, {}),
        b.run('rebuild-spot-order', units, {}, {}),
      ]);
      for (const r of [ra, rb]) expect(r.outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true]);
    } finally {
      await a.close();
      await b.close();
      sh.orderDelaysMs = undefined;
    }
    expect(['Race-1', 'Race-2', 'Race-3'].map(ordersOf)).toEqual([1, 1, 1]);
    expect(sh.collections.filter((c) => c.name === 'ws-stages')).toHaveLength(1);
    expect(sh.orders.filter((o) => o.name.startsWith('Race-')).every((o) => o.status === 'DONE')).toBe(true);
    for (const n of ['Race-1', 'Race-2', 'Race-3'])
      for (const f of ['rgbn', 'pan', 'ps'])
        expect(existsSync(join(root, 'hr_dataset', n, `${n}_${f}.tiff`)), `${n} ${f}`).toBe(true);
    const status = JSON.parse((await cli('status', '--queue', redis.url, '--json')).out);
    expect(status.stages['rebuild-spot-order'].completed).toBe(5);
  }, 90_000);

  it('the local executor: duplicate units of one AOI run under its in-process lock and create one order', async () => {
    const root = join(dir, 'spot-local');
    sh.orderDelaysMs = { listOrders: 200 };
    const executor = new LocalExecutor();
    // in this process the units carry the credentials (queued ones never do)
    const credentials = { clientId: sh.clientId, clientSecret: sh.clientSecret };
    const units = [
      spotUnit(root, 'Local-1', 8.5),
      spotUnit(root, 'Local-1', 8.5, 0.02),
      spotUnit(root, 'Local-1', 8.5, 0.03),
      spotUnit(root, 'Local-2', 8.53),
    ].map((u) => ({ ...u, params: { ...u.params, provider: { ...u.params.provider, credentials } } }));
    const res = await executor.run('rebuild-spot-order', units, { concurrency: 4 }, {}).finally(() => {
      sh.orderDelaysMs = undefined;
    });
    expect(res.outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect([ordersOf('Local-1'), ordersOf('Local-2')]).toEqual([1, 1]);
    const values = res.outcomes.map((o) => (o.ok ? (o.value as { created: number; reused: number }) : null));
    expect(values.map((v) => v!.created + v!.reused)).toEqual([1, 1, 1, 1]);
    expect(values.reduce((n, v) => n + v!.created, 0)).toBe(2);
  }, 60_000);

  it('a worker killed with kill -9 while its order is being created: the rerun finds the order and never creates a second', async () => {
    const lone = await startTestRedis();
    try {
      const first = startWorker(lone.url, 'spot');
      await ready(first);
      const root = join(dir, 'spot-killed');
      sh.orderDelaysMs = { createOrder: 60_000 }; // the order exists at the server; its answer never comes
      const executor = await QueueExecutor.connect(lone.url, { pollMs: 100 });
      const created = creations();
      const pending = executor
        .run('rebuild-spot-order', [spotUnit(root, 'Killed-1', 8.6)], {}, {})
        .finally(() => executor.close());
      while (ordersOf('Killed-1') === 0) await new Promise((r) => setTimeout(r, 50));
      first.kill('SIGKILL');
      sh.orderDelaysMs = undefined;
      startWorker(lone.url, 'spot'); // takes over the stalled job once its lock expired
      const res = await pending;
      expect(first.signalCode).toBe('SIGKILL');
      expect(res.outcomes).toEqual([
        expect.objectContaining({
          ok: true,
          value: expect.objectContaining({ created: 0, reused: 1, failures: [] }),
        }),
      ]);
      expect(ordersOf('Killed-1')).toBe(1);
      expect(creations() - created).toBe(1);
      expect(existsSync(join(root, 'hr_dataset', 'Killed-1', 'Killed-1_ps.tiff'))).toBe(true);
    } finally {
      await lone.stop();
    }
  }, 90_000);

  it('rebuild --queue with spot.order: the plan and the orders come from the workers; a rerun orders nothing', async () => {
    const root = join(dir, 'spot-rebuild');
    const spotLocal = join(dir, 'spot-rebuild-local');
    sh.catalogItems.push(makeItem('S2_12', '2022-06-12T10:30:00Z', 5, [8.4, 47.25, 8.7, 47.5]));
    sh.spotFeatures.push({
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [8.4, 47.25],
            [8.7, 47.25],
            [8.7, 47.5],
            [8.4, 47.5],
            [8.4, 47.25],
          ],
        ],
      },
      properties: { id: 'SPOT7-2022-06-11', acquisitionDate: '2022-06-11T10:00:00Z', cloudCover: 0 },
    });
    const options = (r: string, confirm: boolean): RebuildOptions => ({
      ...fixture.options(r, 2),
      provider: {
        kind: 'sentinelhub',
        baseUrl: sh.url,
        credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
      },
      spot: { order: { collectionName: 'ws-rebuild', confirm, pollSeconds: 0.01, timeoutMinutes: 1 } },
    });
    // in-process plan, dry-run order: the reference plan, nothing ordered
    const dry = await rebuild(options(spotLocal, false));
    expect(dry.spot).toMatchObject({ dryRun: true, created: 0 });
    const created = creations();
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const res = await rebuild({ ...options(root, true), executor }).finally(() => executor.close());
    expect(res.failures).toEqual([]);
    // a loaded machine can miss a 2 s job-lock renewal and hand a unit to a second worker: that rerun waits for
    // the AOI's lock and reuses the order and files, so the server-side counts are the invariant
    expect(res.spot).toMatchObject({ dryRun: false, failures: [] });
    expect(res.spot!.created + res.spot!.reused).toBe(2);
    expect(res.spot!.downloads.downloaded + res.spot!.downloads.skipped).toBe(4);
    expect(creations() - created).toBe(2);
    const plan = JSON.parse(await readFile(join(root, 'rebuild', 'plan.json'), 'utf8'));
    for (const a of plan.aois as { name: string }[]) {
      expect(ordersOf(a.name)).toBe(1);
      expect(existsSync(join(root, 'hr_dataset', a.name, `${a.name}_ps.tiff`))).toBe(true);
    }
    expect(
      Buffer.compare(
        await readFile(join(root, 'rebuild', 'plan.json')),
        await readFile(join(spotLocal, 'rebuild', 'plan.json')),
      ),
    ).toBe(0);
    const record = JSON.parse(await readFile(join(root, 'rebuild', 'spot-orders.json'), 'utf8'));
    expect(record.orders.map((o: { status: string }) => o.status)).toEqual(['DONE', 'DONE']);
    const hr = (await readFile(join(root, 'rebuild', 'manifest-HR.jsonl'), 'utf8')).trim().split('\n');
    expect(hr).toHaveLength(4);

    const again = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    const rerun = await rebuild({ ...options(root, true), executor: again }).finally(() => again.close());
    expect(rerun.spot).toMatchObject({ created: 0, reused: 2, pansharpened: 0 });
    expect(rerun.spot!.downloads).toEqual({ downloaded: 0, skipped: 4, failed: 0, planned: 0 });
    expect(creations() - created).toBe(2);
  }, 120_000);
});
