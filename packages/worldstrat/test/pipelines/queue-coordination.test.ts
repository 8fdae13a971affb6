// What queue workers share besides jobs: the Redis lock around SPOT orders (exclusive across connections,
// renewed while held, expiring after a dead holder, bounded wait), its in-process twin for the local executor,
// the SentinelHub processing-unit budget, and the verified per-unit result files.

import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStages } from '../../src/cli/commands/worker.js';
import { connectRedis, parseQueueUrl } from '../../src/executors/redis-connection.node.js';
import { sharedProcessingUnitFetch } from '../../src/executors/shared-rate-limit.node.js';
import { inProcessLock, redisLock } from '../../src/executors/unit-lock.node.js';
import { readUnitOutput, unitOutputPath, writeUnitOutput } from '../../src/executors/unit-output.node.js';
import { tempDir } from '../support/fixtures.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';

const run = requireTool('redis-server', hasRedisServer());
let redis: TestRedis;
let server: Server;
let base: string;
let spentHeader: string | undefined;
const processTimes: number[] = [];
const clients: Redis[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!run) return;
  redis = await startTestRedis();
  server = createServer((req, res) => {
    if (req.url === '/api/v1/process') processTimes.push(Date.now());
    req.resume();
    res.writeHead(200, spentHeader ? { 'x-processingunits-spent': spentHeader } : {});
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 20_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await new Promise((r) => server?.close(r));
  await redis?.stop();
});

async function client(): Promise<Redis> {
  const c = await connectRedis(parseQueueUrl(redis.url));
  clients.push(c);
  return c;
}

describe.runIf(run)('redisLock', () => {
  it('two processes’ connections: one holder at a time', async () => {
    const [a, b] = [redisLock(await client()), redisLock(await client())];
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b)('aoi-1', async () => {
          most = Math.max(most, ++inside);
          await sleep(15);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  }, 20_000);

  it('a dead holder’s lock expires after its ttl; a held lock is renewed past its ttl; waits are bounded', async () => {
    const c = await client();
    // a holder that died without releasing (nobody renews it); the clock is read before the lock is set, so a
    // loaded runner slow to resume after the SET's reply cannot eat into the 600 ms measured below
    const t0 = Date.now();
    await c.set('worldstrat:locks:dead', 'someone-else', 'PX', 600);
    expect(await redisLock(c)('dead', async () => 'mine')).toBe('mine');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(await c.exists('worldstrat:locks:dead')).toBe(0); // released

    // a live holder renews its 2 s lock while a waiter waits 5 s: the waiter gives up with LOCK_TIMEOUT (a 1 s lock
    // expired when a loaded runner held the loop ~700 ms between renewals)
    const holder = redisLock(await client(), { ttlMs: 2000 });
    let release = () => {};
    const held = holder(
      'busy',
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await sleep(100);
    const err = await redisLock(c, { waitMs: 5000 })('busy', async () => 'never').catch((e) => e);
    expect(err.code).toBe('LOCK_TIMEOUT');
    expect(err.message).toContain('worldstrat:locks:busy');
    release();
    await held;
    expect(await redisLock(c)('busy', async () => 'free')).toBe('free');
  }, 20_000);

  it('the release deletes only its own token', async () => {
    const c = await client();
    await redisLock(c, { ttlMs: 1000 })('mine', async () => {
      await c.set('worldstrat:locks:mine', 'another-holder', 'PX', 5000); // taken over after an expiry
    });
    expect(await c.get('worldstrat:locks:mine')).toBe('another-holder');
  });
});

describe.runIf(run)('sharedProcessingUnitFetch', () => {
  const body = (w: number, h: number) => JSON.stringify({ output: { width: w, height: h } });

  it('two workers share one budget: 6 requests of 0.5 PU at 1 PU per window span three windows', async () => {
    processTimes.length = 0;
    spentHeader = undefined;
    const windowMs = 1500;
    const limit = { perWindow: 1, windowMs, prefix: 'pu-a' };
    const redis = await client();
    const [f1, f2] = [
      sharedProcessingUnitFetch(redis, limit),
      sharedProcessingUnitFetch(await client(), limit),
    ];
    const post = (f: typeof fetch) =>
      f(`${base}/api/v1/process`, { method: 'POST', body: body(512, 256) }).then((r) => r.text());
    // other requests are not charged
    expect(await f1(`${base}/other`).then((r) => r.text())).toBe('ok');
    // start just after a window opens on the Redis clock (the limiter's windows), so that a slow hop from the
    // charge to the server under load cannot carry a request across a window boundary
    for (;;) {
      const [s, us] = await redis.time();
      const phase = (Number(s) * 1000 + Math.floor(Number(us) / 1000)) % windowMs;
      if (phase < 50) break;
      await new Promise((r) => setTimeout(r, Math.min(windowMs - phase, 25)));
    }
    const out = await Promise.all([f1, f1, f1, f2, f2, f2].map(post));
    expect(out).toEqual(Array(6).fill('ok'));
    // shared: two requests per window, so three windows (unshared budgets would admit four in the first)
    const perWindow = new Map<number, number>();
    for (const t of processTimes)
      perWindow.set(Math.floor(t / windowMs), (perWindow.get(Math.floor(t / windowMs)) ?? 0) + 1);
    expect([...perWindow.values()]).toEqual([2, 2, 2]);
  }, 20_000);

  it('SentinelHub’s reported units correct the estimate', async () => {
    processTimes.length = 0;
    spentHeader = '2';
    const f = sharedProcessingUnitFetch(await client(), { perWindow: 2, windowMs: 500, prefix: 'pu-b' });
    for (let i = 0; i < 3; i++)
      await f(`${base}/api/v1/process`, { method: 'POST', body: body(100, 100) }).then((r) => r.text());
    spentHeader = undefined;
    // each request costs 2 once reported: one per window, not three in the first
    expect(processTimes[2] - processTimes[0]).toBeGreaterThanOrEqual(500);
  }, 20_000);

  it('rejects a budget that is not positive', async () => {
    expect(() => sharedProcessingUnitFetch(clients[0], { perWindow: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('inProcessLock', () => {
  it('runs sections of one key one after the other, other keys alongside, and survives a failing section', async () => {
    const lock = inProcessLock();
    const log: string[] = [];
    const section = (key: string, id: string, fail = false) =>
      lock(key, async () => {
        log.push(`${id}+`);
        await sleep(10);
        log.push(`${id}-`);
        if (fail) throw new Error('boom');
        return id;
      });
    const results = await Promise.allSettled([
      section('a', 'a1', true),
      section('a', 'a2'),
      section('b', 'b1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(log.indexOf('a1-')).toBeLessThan(log.indexOf('a2+'));
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
  });
});

describe('unit output files', () => {
  it('a verified result is returned; a changed, foreign or truncated one is not', async () => {
    const { dir, cleanup } = await tempDir('ws-unit-output-');
    try {
      const unit = { unit: 'AOI-1', params: { a: 1 } };
      const path = unitOutputPath(dir, 'search', 'rebuild-search', unit);
      expect(path.startsWith(join(dir, 'rebuild', 'units', 'search', 'AOI-1.'))).toBe(true);
      await writeUnitOutput(path, 'k1', { revisits: [1, 2, 3] });
      expect(await readUnitOutput(path, 'k1')).toEqual({ revisits: [1, 2, 3] });
      expect(await readUnitOutput(path, 'k2')).toBeUndefined();
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace('[1,2,3]', '[1,2,4]'));
      expect(await readUnitOutput(path, 'k1')).toBeUndefined();
      await writeFile(path, text.slice(0, 20));
      expect(await readUnitOutput(path, 'k1')).toBeUndefined();
      expect(await readUnitOutput(join(dir, 'missing.json'), 'k1')).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});

describe('worker --stages', () => {
  it('takes the short names', () => {
    expect(parseStages('search,download,spot')).toEqual([
      'rebuild-search',
      'rebuild-download',
      'rebuild-spot-order',
    ]);
    expect(parseStages('region,region-sr-tile')).toEqual(['region-sr-tile']);
    expect(() => parseStages('searching')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
