// The SentinelHub client against a slow identity server and a hostile Process API: a token request slower than one
// attempt's time limit is that attempt's TIMEOUT (retried; the download engine reports every job), never the
// caller's ABORTED; a Process API answer is read up to a cap, counted inflated.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHARED_REQUEST_GRACE_MS } from '../src/http/retry.js';
import { DEFAULT_MAX_PROCESS_BYTES, downloadAll, EoFetchError, SentinelHubClient } from '../src/node.js';
import { makeItem } from './support/stac-server.js';

const until = async (cond: () => boolean, ms: number) => {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() - t0 > ms) throw new Error('condition never met');
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
const routes = new Map<string, Handler>();
const hits = new Map<string, number>();
/** Milliseconds the token endpoint waits before answering, one entry per token request (then at once). */
let tokenDelays: number[] = [];
/** Token requests the client dropped before their answer: when each started and when it was dropped. */
const tokenAbandoned: { started: number; at: number }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    req.resume();
    if (path === '/oauth/token') {
      const delay = tokenDelays.shift() ?? 0;
      const started = Date.now();
      const answer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'issued-token-abc', expires_in: 3600 }));
      }, delay);
      res.on('close', () => {
        if (res.writableFinished) return;
        clearTimeout(answer);
        tokenAbandoned.push({ started, at: Date.now() });
      });
      return;
    }
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end('no route');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-sh-limits-'));
  routes.clear();
  hits.clear();
  tokenDelays = [];
  tokenAbandoned.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const TIFF = Buffer.from('II*\0tiny', 'latin1');
const tiff: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': TIFF.length });
  res.end(TIFF);
};
const creds = { clientId: 'client-id', clientSecret: 'client-secret-value' };
const FAST = { baseDelayMs: 10, maxDelayMs: 20 };

describe('a token request slower than one attempt', () => {
  it('downloadAll({ fetch: sh.fetch }): every job is retried and reported, none vanishes (was 0 of 3 reported)', async () => {
    routes.set('/api/v1/process', tiff);
    // the identity server takes 1 s for the first token; the engine gives an attempt 300 ms
    tokenDelays = [1000];
    const sh = new SentinelHubClient(creds, { baseUrl: base });
    const jobs = ['a', 'b', 'c'].map((n) => ({
      url: `${base}/api/v1/process?f=${n}`,
      path: join(dir, `${n}.tif`),
    }));
    const report = await downloadAll(jobs, { fetch: sh.fetch, timeoutMs: 300, retries: 8, ...FAST });
    expect(report.failed).toEqual([]);
    expect(report.downloaded).toBe(3);
    expect(report.retries).toBeGreaterThanOrEqual(3);
    expect(jobs.map((j) => existsSync(j.path))).toEqual([true, true, true]);
    // the jobs shared one token request, which ran on to its answer although the first attempts gave up
    expect(hits.get('/oauth/token')).toBe(1);
  });

  it('downloadAll: jobs whose token never comes in time end in report.failed as TIMEOUT, and the call resolves', async () => {
    routes.set('/api/v1/process', tiff);
    tokenDelays = [2500];
    const sh = new SentinelHubClient(creds, { baseUrl: base });
    const jobs = ['a', 'b'].map((n) => ({
      url: `${base}/api/v1/process?f=${n}`,
      path: join(dir, `${n}.tif`),
    }));
    const report = await downloadAll(jobs, { fetch: sh.fetch, timeoutMs: 200, retries: 1, ...FAST });
    expect(report.downloaded + report.skipped + report.failed.length).toBe(report.total);
    expect(report.failed.map((f) => [f.error.code, (f.error.cause as EoFetchError).code])).toEqual([
      ['RETRIES_EXHAUSTED', 'TIMEOUT'],
      ['RETRIES_EXHAUSTED', 'TIMEOUT'],
    ]);
    const byPath = new Map(report.failed.map((f) => [f.job.path, f.error.message]));
    for (const j of jobs)
      expect(byPath.get(j.path)).toBe(
        `${j.path}: gave up after 2 attempts: request to ${j.url} timed out; raise timeoutMs if the server is slow`,
      );
    expect(hits.get('/api/v1/process')).toBeUndefined();
  });

  it('process() and catalogSearch(): the attempt times out and is retried instead of rejecting with ABORTED', async () => {
    routes.set('/api/v1/process', tiff);
    routes.set('/api/v1/catalog/1.0.0/search', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [makeItem('S2_A', '2022-06-01T10:30:00Z', 1, [8, 47, 9, 48])],
        }),
      );
    });
    const retry = { timeoutMs: 400, retries: 3, ...FAST };
    tokenDelays = [1000];
    const sh = new SentinelHubClient(creds, { baseUrl: base, retry });
    expect(Buffer.from(await sh.process({ input: {}, output: {} } as never)).equals(TIFF)).toBe(true);
    tokenDelays = [1000];
    const sh2 = new SentinelHubClient(creds, { baseUrl: base, retry });
    const ids: string[] = [];
    for await (const item of sh2.catalogSearch({ collections: ['sentinel-2-l2a'] })) ids.push(item.id);
    expect(ids).toEqual(['S2_A']);
  });

  it("createOrder and confirmOrder keep the client's timeoutMs while sending once (a stalled answer held them 120 s)", async () => {
    const stalled: ServerResponse[] = [];
    const posts = new Map<string, number>();
    const stall: Handler = (req, res) => {
      if (req.method === 'POST') posts.set(req.url ?? '', (posts.get(req.url ?? '') ?? 0) + 1);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write('{"id":');
      stalled.push(res);
    };
    routes.set('/api/v1/dataimport/orders', stall);
    routes.set('/api/v1/dataimport/orders/o1/confirm', stall);
    const sh = new SentinelHubClient(creds, {
      baseUrl: base,
      retry: { ...FAST, retries: 2, timeoutMs: 400 },
    });
    try {
      for (const call of [
        () =>
          sh.createOrder(
            { name: 'n', collectionId: 'c', bbox: [0, 0, 0.1, 0.1], productIds: ['p'] } as never,
            { dryRun: false, retries: 0 } as never,
          ),
        () => sh.confirmOrder('o1', { confirm: true } as never),
      ]) {
        const t0 = Date.now();
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EoFetchError);
        expect(Date.now() - t0).toBeLessThan(5_000);
      }
      // posted once each: the client's retries never place or confirm an order twice
      expect(Object.fromEntries(posts)).toEqual({
        '/api/v1/dataimport/orders': 1,
        '/api/v1/dataimport/orders/o1/confirm': 1,
      });
    } finally {
      for (const r of stalled) r.destroy();
    }
  });

  it('the caller aborting is still ABORTED, at once, while the token request is pending', async () => {
    routes.set('/api/v1/process', tiff);
    tokenDelays = [1500];
    const sh = new SentinelHubClient(creds, { baseUrl: base });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const t0 = Date.now();
    const err = await sh.process({ input: {}, output: {} } as never, { signal: ctrl.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('ABORTED');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('a token request every caller gave up on', () => {
  it('is dropped a short grace after the last caller left (it kept Ctrl-C from ending the process), not retried', async () => {
    const testStart = Date.now();
    // an earlier test's request, abandoned there, may be dropped while this one runs: only this test's count
    const mine = () => tokenAbandoned.filter((t) => t.started >= testStart);
    tokenDelays = [30_000];
    const sh = new SentinelHubClient(creds, { baseUrl: base, retry: { retries: 3, timeoutMs: 60_000 } });
    const callers = [new AbortController(), new AbortController()];
    const waits = callers.map((c) => sh.accessToken(c.signal).catch((e: EoFetchError) => e.code));
    await new Promise((r) => setTimeout(r, 100));
    const left = Date.now();
    for (const c of callers) c.abort();
    expect(await Promise.all(waits)).toEqual(['ABORTED', 'ABORTED']);
    await until(() => mine().length > 0, SHARED_REQUEST_GRACE_MS + 3000);
    expect((mine()[0]?.at as number) - left).toBeGreaterThanOrEqual(SHARED_REQUEST_GRACE_MS - 50);
    await new Promise((r) => setTimeout(r, 300));
    expect([mine().length, hits.get('/oauth/token')]).toEqual([1, 1]);
    // a later caller starts a request of its own, and gets its token
    expect(await sh.accessToken(new AbortController().signal)).toBe('issued-token-abc');
    expect(hits.get('/oauth/token')).toBe(2);
  });
});

describe('Process API answers', () => {
  it('reads at most maxBytes, counting a gzip answer inflated (was 256 MiB from a 255 KiB answer)', async () => {
    // 16 MiB of zeros in about 16 KiB of gzip
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    routes.set('/api/v1/process', (_req, res) => {
      res.writeHead(200, {
        'content-type': 'image/tiff',
        'content-encoding': 'gzip',
        'content-length': bomb.length,
      });
      res.end(bomb);
    });
    const sh = new SentinelHubClient(creds, {
      baseUrl: base,
      maxProcessBytes: 1024 * 1024,
      retry: { retries: 0 },
    });
    const err = await sh.process({ input: {}, output: {} } as never).catch((e) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('RESPONSE_TOO_LARGE');
    expect(err.message).toBe(
      `response from ${base}/api/v1/process exceeds 1048576 bytes; refusing to read it (raise maxBytes if it is expected)`,
    );
    // per call, and an endless answer of unknown size stops too
    routes.set('/api/v1/process', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/tiff' });
      const block = Buffer.alloc(64 * 1024, 1);
      const next = () => {
        if (!res.destroyed && res.write(block)) setImmediate(next);
        else if (!res.destroyed) res.once('drain', next);
      };
      next();
    });
    const endless = await sh
      .process({ input: {}, output: {} } as never, { maxBytes: 256 * 1024 })
      .catch((e) => e);
    expect(endless.code).toBe('RESPONSE_TOO_LARGE');
    expect(endless.message).toContain('exceeds 262144 bytes');
    // an answer within the cap is returned whole
    routes.set('/api/v1/process', tiff);
    expect(Buffer.from(await sh.process({ input: {}, output: {} } as never)).equals(TIFF)).toBe(true);
    expect(DEFAULT_MAX_PROCESS_BYTES).toBe(512 * 1024 * 1024);
  });

  it('refuses a maxProcessBytes or maxBytes that is not a number ≥ 0', async () => {
    expect(() => new SentinelHubClient(creds, { baseUrl: base, maxProcessBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const sh = new SentinelHubClient(creds, { baseUrl: base });
    const err = await sh
      .process({ input: {}, output: {} } as never, { maxBytes: Number.NaN })
      .catch((e) => e);
    expect(err.code).toBe('INVALID_ARGUMENT');
  });
});
