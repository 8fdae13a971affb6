// orderSpotImagery called by several processes at once (two calls here, sharing only the lock they are given):
// with a shared lock each AOI's order is looked up afresh and created once; without one, both callers list "no
// order" and create two. The server holds its order listing, so the race window is wide open.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelHubClient } from '../src/sentinelhub/sentinel-hub-client.js';
import { orderSpotImagery, type SpotOrderLock } from '../src/stages/spot-orders.node.js';
import { type ShServer, startShServer } from './support/sentinel-hub-server.js';

let sh: ShServer;
let dir: string;
beforeAll(async () => {
  sh = await startShServer();
  sh.orderDelaysMs = { listOrders: 150 };
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-spot-lock-'));
});
afterAll(async () => {
  await sh.close();
  await rm(dir, { recursive: true, force: true });
});

const client = () =>
  new SentinelHubClient(
    { clientId: sh.clientId, clientSecret: sh.clientSecret },
    { baseUrl: sh.url, retry: { baseDelayMs: 5 } },
  );

/** A lock shared by the callers of this process (sections of one key run one after the other). */
function chainLock(keys: string[]): SpotOrderLock {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    keys.push(key);
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => {}).then(fn);
    tails.set(key, run);
    return run;
  };
}

const aois = (prefix: string) => [
  { name: `${prefix}-1`, bounds: [30.1, -1.96, 30.12, -1.94], spot: { id: 'SPOT6-A' } },
  { name: `${prefix}-2`, bounds: [30.2, -1.96, 30.22, -1.94], spot: { id: 'SPOT6-A' } },
];

/** Two concurrent callers; the orders never deliver, so each ends with TIMEOUT after placing its orders. */
async function race(prefix: string, collectionName: string, lock?: SpotOrderLock) {
  const call = (i: number) =>
    orderSpotImagery(client(), aois(prefix), {
      root: join(dir, `${prefix}-${i}`),
      collectionName,
      confirm: true,
      pollSeconds: 0.01,
      timeoutMinutes: 0.001,
      ...(lock ? { lock } : {}),
    }).catch((e) => e);
  return Promise.all([call(0), call(1)]);
}

const ordersOf = (name: string) => sh.orders.filter((o) => o.name === name).length;

describe('orderSpotImagery with a shared lock', () => {
  it('two concurrent callers place one order per AOI and one collection', async () => {
    const keys: string[] = [];
    const results = await race('Locked', 'lock-col', chainLock(keys));
    for (const r of results) expect(r.code).toBe('TIMEOUT'); // still RUNNING: the orders exist, undelivered
    expect([ordersOf('Locked-1'), ordersOf('Locked-2')]).toEqual([1, 1]);
    expect(sh.collections.filter((c) => c.name === 'lock-col')).toHaveLength(1);
    const col = sh.collections.find((c) => c.name === 'lock-col')!.id;
    expect(new Set(keys)).toEqual(
      new Set(['collection:lock-col', `order:${col}:Locked-1`, `order:${col}:Locked-2`]),
    );
  }, 30_000);

  it('without it the same race orders an AOI twice (what the lock prevents)', async () => {
    // the collection exists already, so only the order lookup races
    await race('Free', 'lock-col');
    expect(ordersOf('Free-1') + ordersOf('Free-2')).toBeGreaterThan(2);
  }, 30_000);
});
