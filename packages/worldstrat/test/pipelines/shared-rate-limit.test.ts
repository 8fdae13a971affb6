// The per-host limit shared through Redis: four "workers" (each its own Redis connection and fetch, sharing
// nothing but Redis) against a local server that counts requests in flight and requests per second.
import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, parseQueueUrl } from '../../src/executors/redis-connection.node.js';
import { sharedHostLimitedFetch } from '../../src/executors/shared-rate-limit.node.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';

const run = requireTool('redis-server', hasRedisServer());
let redis: TestRedis;
let server: Server;
let base: string;
let inFlight = 0;
let maxInFlight = 0;
const startsBySecond = new Map<number, number>();
const clients: Redis[] = [];

beforeAll(async () => {
  if (!run) return;
  redis = await startTestRedis();
  server = createServer((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const sec = Math.floor(Date.now() / 1000);
    startsBySecond.set(sec, (startsBySecond.get(sec) ?? 0) + 1);
    // held long enough that three leases overlap here even when a loaded runner is slow to send them
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, 250);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 20_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await new Promise((r) => server?.close(r));
  await redis?.stop();
});

async function workers(n: number, limits: { concurrency?: number; perSecond?: number }, prefix: string) {
  const out: (typeof fetch)[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connectRedis(parseQueueUrl(redis.url));
    clients.push(c);
    out.push(sharedHostLimitedFetch(c, { ...limits, prefix }));
  }
  return out;
}

describe.runIf(run)('sharedHostLimitedFetch', () => {
  it('four workers × 6 parallel requests stay at 3 in flight on the host', async () => {
    maxInFlight = 0;
    const fs = await workers(4, { concurrency: 3 }, 'c');
    const bodies = await Promise.all(
      fs.flatMap((f) => Array.from({ length: 6 }, (_, i) => f(`${base}/c${i}`).then((r) => r.text()))),
    );
    expect(bodies).toEqual(Array(24).fill('ok'));
    expect(maxInFlight).toBe(3);
    // every lease was given back
    expect(await clients[0].zcard(`c:${new URL(base).host}:leases`)).toBe(0);
  }, 20_000);

  it('four workers stay at 5 requests started per second on the host', async () => {
    startsBySecond.clear();
    const fs = await workers(4, { perSecond: 5 }, 'r');
    // start just after a second opens on the Redis clock (the limiter's windows): a burst let through in the last
    // ms of a second reached the server in the next one, which then counted 5 + 5
    for (;;) {
      const [, us] = await clients[0].time();
      const ms = Math.floor(Number(us) / 1000);
      if (ms < 50) break;
      await new Promise((r) => setTimeout(r, Math.min(1000 - ms, 25)));
    }
    await Promise.all(
      fs.flatMap((f) => Array.from({ length: 3 }, (_, i) => f(`${base}/r${i}`).then((r) => r.text()))),
    );
    const counts = [...startsBySecond.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    // the server's second boundaries differ from Redis's by a little: allow one request of slack
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
    expect(counts.length).toBeGreaterThanOrEqual(3);
  }, 20_000);

  it('rejects a limit that is not a positive integer', async () => {
    const [c] = [await connectRedis(parseQueueUrl(redis.url))];
    clients.push(c);
    expect(() => sharedHostLimitedFetch(c, { concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
