// Downloads and JSON requests against hostile 127.0.0.1 servers: endless bodies and gzip bombs, lying or changing
// Content-Range / ETag between a partial download and its resume, 206/200 confusion, redirects to another origin,
// hostile Retry-After values, huge error bodies and HTML where JSON belongs. Every case ends bounded (time, bytes
// read, bytes on disk) in a typed error or in the right file, and never splices two versions of a file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  catalogueEntriesFromStacItems,
  createPlanetaryComputerSigner,
  type DownloadJob,
  type DownloadOptions,
  downloadAll,
  downloadStacRevisits,
  EoFetchError,
  HttpError,
  lrRevisitPaths,
  type MatchedRevisit,
  PARTIAL_SUFFIX,
  parseRetryAfter,
  readManifest,
  requestJson,
  SentinelHubClient,
  StacClient,
  type StacItem,
  splitUrlCredentials,
  urlSecrets,
} from '../src/node.js';
import { validateStacItem } from '../src/stac/validate-item.js';
import { fixture } from './support/replay-server.js';
import { makeItem } from './support/stac-server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server whose answer per path is set by each test; counts requests and the bytes it managed to send. */
interface HostileServer {
  url: string;
  routes: Map<string, Handler>;
  hits: Map<string, number>;
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

async function startHostileServer(): Promise<HostileServer> {
  const state = {
    routes: new Map<string, Handler>(),
    hits: new Map<string, number>(),
    requests: [] as never[],
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1);
    (state.requests as { path: string; headers: IncomingMessage['headers'] }[]).push({
      path,
      headers: req.headers,
    });
    const route = state.routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end('no route');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Deterministic bytes of one version of a file. */
function bytesOf(size: number, version: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + version * 97) & 0xff;
  return out;
}

/** `size` bytes with no period (xorshift32 from `seed`): a file whose bytes at two offsets never agree by design. */
function aperiodic(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes chunks of `chunk` bytes until the client goes away, counting what was sent in `sent.bytes`. */
function endless(res: ServerResponse, sent: { bytes: number }, chunk = 64 * 1024): void {
  const block = Buffer.alloc(chunk, 0x61);
  const next = () => {
    if (res.destroyed) return;
    sent.bytes += block.length;
    if (res.write(block)) setImmediate(next);
    else res.once('drain', next);
  };
  next();
}

/** A full 200 answer of `body` with optional validators. */
function whole(res: ServerResponse, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
}

/** Headers and the first half of `body`, then a reset: what makes the engine keep a partial and resume. */
function resetHalfway(res: ServerResponse, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    ...headers,
  });
  res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
}

let server: HostileServer;
let other: HostileServer;
let dir: string;
beforeAll(async () => {
  server = await startHostileServer();
  other = await startHostileServer();
});
afterAll(async () => {
  await server.close();
  await other.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-hostile-'));
  for (const s of [server, other]) {
    s.routes.clear();
    s.hits.clear();
    s.requests.length = 0;
  }
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const FAST: DownloadOptions = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 5000, bufferBytes: 0 };
const transports: Record<string, DownloadOptions> = {
  'node:http': {},
  fetch: { fetch: (u: string, i?: RequestInit) => fetch(u, i) },
};
const job = (name: string, extra: Partial<DownloadJob> = {}): DownloadJob => ({
  url: `${server.url}/f/${name}`,
  path: join(dir, 'out', name),
  itemId: name,
  ...extra,
});

/** The code of a failed file's error and of its cause (RETRIES_EXHAUSTED wraps the last attempt's). */
function failureCodes(err: EoFetchError): string[] {
  const cause = err.cause instanceof EoFetchError ? [err.cause.code] : [];
  return [err.code, ...cause];
}

describe('bodies that do not stop', () => {
  for (const [name, transport] of Object.entries(transports))
    it(`stops a body streaming past the catalogue size, keeping nothing (${name})`, async () => {
      const sent = { bytes: 0 };
      server.routes.set('/f/endless', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked, no length
        endless(res, sent);
      });
      const started = Date.now();
      const report = await downloadAll([job('endless', { expectedBytes: 1000 })], {
        ...FAST,
        ...transport,
        retries: 0,
      });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(report.failed).toHaveLength(1);
      expect(failureCodes(report.failed[0].error)).toEqual(['RETRIES_EXHAUSTED', 'SIZE_MISMATCH']);
      expect(report.failed[0].error.message).toContain(
        'kept sending past the 1000 bytes the catalogue gives',
      );
      expect(existsSync(join(dir, 'out', 'endless'))).toBe(false);
      expect(existsSync(join(dir, 'out', `endless${PARTIAL_SUFFIX}`))).toBe(false);
      // the server could only push what fits in socket buffers before the engine hung up
      expect(sent.bytes).toBeLessThan(32 * 1024 * 1024);
    });

  for (const [name, transport] of Object.entries(transports))
    it(`stops an endless body of unknown size at maxFileBytes, keeping nothing (${name})`, async () => {
      const sent = { bytes: 0 };
      server.routes.set('/f/unsized', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked, no length
        endless(res, sent);
      });
      const report = await downloadAll([job('unsized')], {
        ...FAST,
        ...transport,
        retries: 0,
        maxFileBytes: 200_000,
      });
      expect(report.failed).toHaveLength(1);
      expect(failureCodes(report.failed[0].error)).toContain('RESPONSE_TOO_LARGE');
      expect(report.failed[0].error.message).toContain(
        'sent more than 200000 bytes without declaring a size',
      );
      expect(existsSync(join(dir, 'out', 'unsized'))).toBe(false);
      expect(existsSync(join(dir, 'out', `unsized${PARTIAL_SUFFIX}`))).toBe(false);
      expect(sent.bytes).toBeLessThan(32 * 1024 * 1024);
      await expect(downloadAll([], { maxFileBytes: -1 })).rejects.toThrow(
        'maxFileBytes must be a whole number ≥ 0',
      );
    });

  for (const [name, transport] of Object.entries(transports))
    it(`asks for the file's own bytes and refuses a gzip stream (a gzip bomb) at its headers (${name})`, async () => {
      let asked: string | undefined;
      server.routes.set('/f/bomb', (req, res) => {
        asked = req.headers['accept-encoding'];
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' });
        const gz = createGzip();
        gz.pipe(res);
        const zeros = Buffer.alloc(1 << 20);
        const next = () => {
          if (res.destroyed) return gz.destroy();
          if (gz.write(zeros)) setImmediate(next);
          else gz.once('drain', next);
        };
        next();
      });
      const started = Date.now();
      const report = await downloadAll([job('bomb', { expectedBytes: 4096 })], {
        ...FAST,
        ...transport,
        retries: 0,
      });
      expect(Date.now() - started).toBeLessThan(3000);
      // saved as sent (node:http) it was the gzip stream, decoded (fetch) the file: neither may pass as the file
      expect(asked).toBe('identity');
      expect(failureCodes(report.failed[0].error)).toEqual(['INVALID_RESPONSE']);
      expect(report.failed[0].error.message).toContain('Content-Encoding "gzip"');
      expect(existsSync(join(dir, 'out', 'bomb'))).toBe(false);
    });

  it('refuses a gzip-bombed or endless JSON answer at maxBytes, and reads only an excerpt of a huge error', async () => {
    server.routes.set('/bomb.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const gz = createGzip();
      gz.pipe(res);
      gz.write('{"a":"');
      const spaces = Buffer.alloc(1 << 20, 0x20);
      const next = () => {
        if (res.destroyed) return gz.destroy();
        if (gz.write(spaces)) setImmediate(next);
        else gz.once('drain', next);
      };
      next();
    });
    const errorSent = { bytes: 0 };
    server.routes.set('/error.json', (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"message":"');
      endless(res, errorSent); // a 100 MB+ error document
    });
    const started = Date.now();
    const bomb = await requestJson(
      `${server.url}/bomb.json`,
      {},
      { retry: { retries: 0 }, maxBytes: 1 << 20 },
    ).then(
      () => undefined,
      (e) => e,
    );
    expect(bomb).toBeInstanceOf(EoFetchError);
    expect(bomb.code).toBe('RESPONSE_TOO_LARGE');
    const error = await requestJson(`${server.url}/error.json`, {}, { retry: { retries: 0 } }).then(
      () => undefined,
      (e) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.message).toMatch(
      /^HTTP 400 Bad Request from http:\/\/127\.0\.0\.1:\d+\/error\.json: \{"message":"a{280}/,
    );
    expect(errorSent.bytes).toBeLessThan(32 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('reports HTML where JSON belongs as INVALID_RESPONSE naming the URL', async () => {
    server.routes.set('/stac/', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body>Sign in</body></html>');
    });
    const err = await new StacClient(`${server.url}/stac/`, { retry: { retries: 0 } }).root().then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      `expected JSON from ${server.url}/stac/, got "<!doctype html><html><body>Sign in</body></html>"; check the endpoint URL`,
    );
  });
});

describe('ranges and resumes', () => {
  /** Writes `bytes` as the partial file of `name`, as a killed run leaves it. */
  async function leavePartial(name: string, bytes: Buffer): Promise<void> {
    await mkdir(join(dir, 'out'), { recursive: true });
    await writeFile(join(dir, 'out', `${name}${PARTIAL_SUFFIX}`), bytes);
  }

  const v1 = bytesOf(4000, 1);
  const v2 = bytesOf(4000, 2);

  it('starts over when a 206 does not continue the partial file (start, end, length, total)', async () => {
    const cases: Record<string, (res: ServerResponse) => void> = {
      // starts at 0 instead of 500 (a partial of no known version is resumed half its length, at most 64 KiB,
      // before its end, to compare those bytes)
      start: (res) => {
        res.writeHead(206, { 'content-range': 'bytes 0-3999/4000', 'content-length': 4000 });
        res.end(v1);
      },
      // stops before the end that was asked for
      end: (res) => {
        res.writeHead(206, { 'content-range': 'bytes 500-1999/4000', 'content-length': 1500 });
        res.end(v1.subarray(500, 2000));
      },
      // Content-Length and Content-Range disagree
      length: (res) => {
        res.writeHead(206, { 'content-range': 'bytes 500-3999/4000', 'content-length': 100 });
        res.end(v1.subarray(500, 600));
      },
      // names another file size than the catalogue's
      total: (res) => {
        res.writeHead(206, { 'content-range': 'bytes 500-4999/5000', 'content-length': 4500 });
        res.end(bytesOf(5000, 1).subarray(500));
      },
    };
    for (const [name, partialAnswer] of Object.entries(cases)) {
      await leavePartial(name, v1.subarray(0, 1000));
      server.routes.set(`/f/${name}`, (req, res) =>
        req.headers.range ? partialAnswer(res) : whole(res, v1),
      );
      const report = await downloadAll([job(name, { expectedBytes: 4000 })], FAST);
      expect(report.failed, name).toEqual([]);
      expect(
        server.requests.filter((r) => r.path === `/f/${name}`).map((r) => r.headers.range),
        name,
      ).toEqual(['bytes=500-', undefined]);
      expect((await readFile(join(dir, 'out', name))).equals(v1), name).toBe(true);
    }
  });

  it('stops a 206 body that runs past its Content-Range', async () => {
    await leavePartial('long', v1.subarray(0, 1000));
    server.routes.set('/f/long', (req, res) => {
      if (!req.headers.range) return whole(res, v1);
      res.writeHead(206, { 'content-range': 'bytes 500-3999/4000' }); // chunked: no Content-Length to stop at
      res.write(v1.subarray(500));
      endless(res, { bytes: 0 });
    });
    const report = await downloadAll([job('long')], FAST);
    expect(report.failed).toEqual([]);
    expect(server.hits.get('/f/long')).toBe(2);
    expect((await readFile(join(dir, 'out', 'long'))).equals(v1)).toBe(true);
  });

  for (const [what, first, resumed] of [
    ['ETag', { etag: '"v1"' }, { etag: '"v2"' }],
    [
      'Last-Modified',
      { etag: 'W/"weak"', 'last-modified': 'Tue, 01 Jun 2021 10:00:00 GMT' },
      { etag: 'W/"weak"', 'last-modified': 'Wed, 02 Jun 2021 10:00:00 GMT' },
    ],
    ['size', {}, {}],
  ] as const)
    it(`never splices two versions: a file whose ${what} changed before the resume is fetched again whole`, async () => {
      const newer = what === 'size' ? bytesOf(4200, 2) : v2;
      let served = 0;
      server.routes.set('/f/moving', (req, res) => {
        served++;
        if (served === 1) return resetHalfway(res, v1, first);
        if (req.headers.range) {
          // a server that ignores If-Range: the tail of the new version
          const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range)![1]);
          res.writeHead(206, {
            ...resumed,
            'content-range': `bytes ${start}-${newer.length - 1}/${newer.length}`,
            'content-length': newer.length - start,
          });
          return void res.end(newer.subarray(start));
        }
        whole(res, newer, resumed);
      });
      const report = await downloadAll([job('moving')], FAST);
      expect(report.failed).toEqual([]);
      const sent = server.requests.map((r) => [r.headers.range !== undefined, r.headers['if-range']]);
      const validator =
        what === 'ETag' ? '"v1"' : what === 'size' ? undefined : first['last-modified' as never];
      expect(sent).toEqual([
        [false, undefined],
        [true, validator],
        [false, undefined],
      ]);
      expect((await readFile(join(dir, 'out', 'moving'))).equals(newer)).toBe(true);
    });

  it('takes the whole new file when the server honours If-Range with a 200', async () => {
    let served = 0;
    server.routes.set('/f/honours', (req, res) => {
      served++;
      if (served === 1) return resetHalfway(res, v1, { etag: '"v1"' });
      expect(req.headers['if-range']).toBe('"v1"');
      whole(res, v2, { etag: '"v2"' });
    });
    const report = await downloadAll([job('honours')], FAST);
    expect(report.failed).toEqual([]);
    expect(server.hits.get('/f/honours')).toBe(2);
    expect((await readFile(join(dir, 'out', 'honours'))).equals(v2)).toBe(true);
  });

  it('refuses a 206 answering a request without Range, unless it holds the whole file', async () => {
    server.routes.set('/f/part', (_req, res) => {
      res.writeHead(206, { 'content-range': 'bytes 0-999/4000', 'content-length': 1000 });
      res.end(v1.subarray(0, 1000));
    });
    server.routes.set('/f/all', (_req, res) => {
      res.writeHead(206, { 'content-range': 'bytes 0-3999/4000', 'content-length': 4000 });
      res.end(v1);
    });
    const report = await downloadAll([job('part'), job('all')], { ...FAST, retries: 1 });
    expect(report.failed.map((f) => [f.job.itemId, ...failureCodes(f.error)])).toEqual([
      ['part', 'RETRIES_EXHAUSTED', 'SIZE_MISMATCH'],
    ]);
    expect(report.failed[0].error.message).toContain(
      'answered 206 with Content-Range "bytes 0-999/4000" to a request for the whole file',
    );
    expect(server.hits.get('/f/part')).toBe(2);
    expect(existsSync(join(dir, 'out', 'part'))).toBe(false);
    expect((await readFile(join(dir, 'out', 'all'))).equals(v1)).toBe(true);
  });

  it('overwrites the partial file when a ranged request is answered 200', async () => {
    await leavePartial('ignores', Buffer.alloc(1000, 0xee));
    server.routes.set('/f/ignores', (_req, res) => whole(res, v1));
    const report = await downloadAll([job('ignores')], FAST);
    expect(report.failed).toEqual([]);
    expect(server.requests[0].headers.range).toBe('bytes=500-');
    expect((await readFile(join(dir, 'out', 'ignores'))).equals(v1)).toBe(true);
  });

  for (const [how, bufferBytes, sentBytes] of [
    ['held in memory', 1 << 20, 1000],
    ['cut before its first byte', 0, 0],
  ] as const)
    it(`drops an old partial once a ranged request is answered 200, even when that body is ${how}`, async () => {
      await leavePartial('swapped', v1.subarray(0, 1000));
      let served = 0;
      server.routes.set('/f/swapped', (req, res) => {
        served++;
        if (served === 1) {
          // ignores Range: the whole new version, then a reset mid-body
          res.writeHead(200, { 'content-length': v2.length, etag: '"v2"' });
          res.write(v2.subarray(0, sentBytes), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
          return;
        }
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        if (!start) return whole(res, v2, { etag: '"v2"' });
        res.writeHead(206, {
          etag: '"v2"',
          'content-range': `bytes ${start}-${v2.length - 1}/${v2.length}`,
          'content-length': v2.length - start,
        });
        res.end(v2.subarray(start));
      });
      const report = await downloadAll([job('swapped')], { ...FAST, bufferBytes });
      expect(report.failed).toEqual([]);
      expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=500-', undefined]);
      expect((await readFile(join(dir, 'out', 'swapped'))).equals(v2)).toBe(true);
    });

  it('keeps the partial file of a stalled transfer for the next run, never as a verified file', async () => {
    let served = 0;
    server.routes.set('/f/stall', (req, res) => {
      served++;
      if (served > 1) {
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(206, { 'content-range': `bytes ${start}-3999/4000`, 'content-length': 4000 - start });
        return void res.end(v1.subarray(start));
      }
      res.writeHead(200, { 'content-length': 4000 });
      res.write(v1.subarray(0, 1500)); // then silence
    });
    const manifestPath = join(dir, 'manifest.jsonl');
    const first = await downloadAll([job('stall')], {
      ...FAST,
      // far above a healthy attempt's silence before its first bytes (a loaded runner can hold the process for
      // 300 ms, and the idle timer then fires before the waiting bytes are read: no partial was left)
      idleTimeoutMs: 1_500,
      retries: 0,
      manifestPath,
    });
    expect(failureCodes(first.failed[0].error)).toEqual(['RETRIES_EXHAUSTED', 'TIMEOUT']);
    expect(existsSync(join(dir, 'out', 'stall'))).toBe(false);
    expect((await stat(join(dir, 'out', `stall${PARTIAL_SUFFIX}`))).size).toBe(1500);
    expect([...(await readManifest(manifestPath)).values()].map((r) => r.status)).toEqual(['failed']);
    const second = await downloadAll([job('stall')], { ...FAST, manifestPath });
    expect(second.failed).toEqual([]);
    // a new run knows nothing of the partial's version (the server sent no validator): its last 750 bytes are
    // asked for again and compared
    expect(server.requests[1].headers.range).toBe('bytes=750-');
    expect((await readFile(join(dir, 'out', 'stall'))).equals(v1)).toBe(true);
  });

  it('never keeps a short file from a resumed 206 whose Content-Range total is * (was verified at 200 of 1000 bytes)', async () => {
    const body = bytesOf(1000, 1);
    // the end the server stops at, per case; the size this run learned is 1000 (the first answer's Content-Length)
    for (const [name, end] of [
      ['star-short', 199],
      ['star-past', 1099],
      ['star-full', 999],
    ] as const) {
      let served = 0;
      server.routes.set(`/f/${name}`, (req, res) => {
        served++;
        if (served === 1) return resetHalfway(res, body, { etag: '"v1"' });
        if (!req.headers.range) return whole(res, body, { etag: '"v1"' });
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range)![1]);
        const part = bytesOf(1100, 1).subarray(start, end + 1);
        res.writeHead(206, {
          'content-range': `bytes ${start}-${end}/*`,
          'content-length': part.length,
          etag: '"v1"',
        });
        res.end(part);
      });
      const manifestPath = join(dir, `${name}.jsonl`);
      const report = await downloadAll([job(name)], { ...FAST, manifestPath });
      expect(report.failed, name).toEqual([]);
      // a * answer that stops short of (or runs past) the known end is refused and the file fetched whole
      expect(
        server.requests.filter((r) => r.path === `/f/${name}`).map((r) => r.headers.range),
        name,
      ).toEqual(end === 999 ? [undefined, 'bytes=500-'] : [undefined, 'bytes=500-', undefined]);
      const onDisk = await readFile(join(dir, 'out', name));
      expect(onDisk.equals(body), name).toBe(true);
      expect((await readManifest(manifestPath)).get(join(dir, 'out', name))).toMatchObject({
        status: 'verified',
        bytes: 1000,
      });
    }
  });

  it('refuses a resumed 206 with total * when nothing says how long the file is (a partial left by a killed run)', async () => {
    await leavePartial('star-unknown', v1.subarray(0, 1000));
    server.routes.set('/f/star-unknown', (req, res) => {
      if (!req.headers.range) return whole(res, v1);
      res.writeHead(206, { 'content-range': 'bytes 500-1999/*', 'content-length': 1500 });
      res.end(v1.subarray(500, 2000));
    });
    const report = await downloadAll([job('star-unknown')], FAST);
    expect(report.failed).toEqual([]);
    expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=500-', undefined]);
    expect((await readFile(join(dir, 'out', 'star-unknown'))).equals(v1)).toBe(true);
  });

  /** Answers `bytes=N-` with a 206 of `body` from N, else the whole body. */
  function ranged(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    headers: Record<string, string> = {},
  ) {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (!m) return whole(res, body, headers);
    const start = Number(m[1]);
    res.writeHead(206, {
      ...headers,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'content-length': body.length - start,
    });
    res.end(body.subarray(start));
  }

  it("continues an earlier run's partial only after the bytes before its end match the server's", async () => {
    const big = bytesOf(300_000, 1);
    // half the partial's length before its end, at most 64 KiB
    for (const [name, body, partialBytes, range] of [
      ['same-small', v1, 1000, 'bytes=500-'],
      ['same-one', v1, 1, 'bytes=0-'],
      ['same-big', big, 200_000, `bytes=${200_000 - 65_536}-`],
    ] as const) {
      await leavePartial(name, body.subarray(0, partialBytes));
      server.routes.set(`/f/${name}`, (req, res) => ranged(req, res, body));
      const report = await downloadAll([job(name, { expectedBytes: body.length })], FAST);
      expect(report.failed, name).toEqual([]);
      expect(
        server.requests.filter((r) => r.path === `/f/${name}`).map((r) => r.headers.range),
        name,
      ).toEqual([range]);
      expect((await readFile(join(dir, 'out', name))).equals(body), name).toBe(true);
    }
  });

  it("never splices an earlier run's partial of another version onto the file, even with no validator or hash", async () => {
    // the partials of other versions: wholly different, or only in the byte before the partial's end
    const lastByte = Buffer.from(v1.subarray(0, 1000));
    lastByte[999] ^= 1;
    for (const [name, partial] of [
      ['other', v2.subarray(0, 1000)],
      ['last-byte', lastByte],
    ] as const) {
      await leavePartial(name, partial);
      server.routes.set(`/f/${name}`, (req, res) => ranged(req, res, v1));
      const report = await downloadAll([job(name, { expectedBytes: 4000 })], FAST);
      expect(report.failed, name).toEqual([]);
      expect(report.retries, name).toBe(1);
      expect(
        server.requests.filter((r) => r.path === `/f/${name}`).map((r) => r.headers.range),
        name,
      ).toEqual(['bytes=500-', undefined]);
      expect((await readFile(join(dir, 'out', name))).equals(v1), name).toBe(true);
    }
  });

  it('adopts the version a resumed answer names only once its bytes matched the partial (a cut inside them)', async () => {
    await leavePartial('cut-seam', v2.subarray(0, 1000));
    let served = 0;
    server.routes.set('/f/cut-seam', (req, res) => {
      served++;
      if (served > 1) return ranged(req, res, v1, { etag: '"v1"' });
      // a 206 from byte 500 whose first 100 bytes match the partial, then a reset: nothing was compared whole
      res.writeHead(206, { etag: '"v1"', 'content-range': 'bytes 500-3999/4000', 'content-length': 3500 });
      res.write(v2.subarray(500, 600), () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
    });
    const report = await downloadAll([job('cut-seam', { expectedBytes: 4000 })], FAST);
    expect(report.failed).toEqual([]);
    // the retry still compares (no If-Range with the ETag of a version the partial was never shown to be), finds
    // the partial is another version, and starts over
    const sent = server.requests.filter((r) => r.path === '/f/cut-seam').map((r) => r.headers);
    expect(sent.map((h) => [h.range, h['if-range']])).toEqual([
      ['bytes=500-', undefined],
      ['bytes=500-', undefined],
      [undefined, undefined],
    ]);
    expect((await readFile(join(dir, 'out', 'cut-seam'))).equals(v1)).toBe(true);
  });

  for (const [name, transport] of Object.entries(transports))
    it(`refuses a 200 to a ranged request that holds only the tail (Content-Range bytes 2000-3999/4000) (${name})`, async () => {
      let served = 0;
      server.routes.set('/f/tail', (req, res) => {
        served++;
        if (served === 1) return resetHalfway(res, v1, { etag: '"v1"' });
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        // a broken gateway: status 200, but only the range asked for
        res.writeHead(200, {
          etag: '"v1"',
          'content-range': `bytes ${start}-3999/4000`,
          'content-length': 4000 - start,
        });
        res.end(v1.subarray(start));
      });
      const manifestPath = join(dir, 'tail.jsonl');
      const report = await downloadAll([job('tail')], { ...FAST, ...transport, manifestPath });
      expect(report.failed).toEqual([]);
      expect(server.requests.map((r) => r.headers.range)).toEqual([undefined, 'bytes=2000-', undefined]);
      const onDisk = await readFile(join(dir, 'out', 'tail'));
      expect(onDisk.length).toBe(4000);
      expect(onDisk.equals(v1)).toBe(true);
      expect((await readManifest(manifestPath)).get(join(dir, 'out', 'tail'))).toMatchObject({
        status: 'verified',
        bytes: 4000,
      });
    });

  it('a compared resume whose answer ends before all compared bytes never keeps the partial (a full-size one was renamed into place)', async () => {
    // a partial as long as the file, of another version (a run killed after the last byte, before the rename)
    await leavePartial('full-old', v2);
    server.routes.set('/f/full-old', (req, res) => {
      if (!req.headers.range) return whole(res, v1);
      // chunked, and ended at once: none of the compared bytes
      res.writeHead(206, { 'content-range': `bytes 2000-3999/4000` });
      res.end();
    });
    const report = await downloadAll([job('full-old')], FAST);
    expect(report.failed).toEqual([]);
    expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=2000-', undefined]);
    expect((await readFile(join(dir, 'out', 'full-old'))).equals(v1)).toBe(true);
  });

  it('a 200 to a compared resume cut before its start was told apart from the tail is not resumed with If-Range', async () => {
    const big = aperiodic(300_000, 3);
    await leavePartial('tail-cut', big.subarray(0, 131_072));
    let served = 0;
    server.routes.set('/f/tail-cut', (req, res) => {
      served++;
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      if (served === 1) {
        // a gateway: 200 with the tail only, the whole file's length and a strong ETag, then a reset
        res.writeHead(200, { 'content-length': big.length, etag: '"t1"' });
        res.write(big.subarray(start, start + 16_384), () =>
          setTimeout(() => res.socket?.resetAndDestroy(), 20),
        );
        return;
      }
      ranged(req, res, big, { etag: '"t1"' });
    });
    const report = await downloadAll([job('tail-cut')], FAST);
    expect(report.failed).toEqual([]);
    // the second attempt compares again (no If-Range for a version the partial was never shown to be)
    expect(server.requests.map((r) => [r.headers.range, r.headers['if-range']])[1]?.[1]).toBeUndefined();
    expect((await readFile(join(dir, 'out', 'tail-cut'))).equals(big)).toBe(true);
  });

  it('a 206 answering If-Range without the validator sent is not appended (a server ignoring If-Range)', async () => {
    const a = aperiodic(300_000, 4);
    const b = aperiodic(300_000, 5);
    let served = 0;
    server.routes.set('/f/ignores-if-range', (req, res) => {
      served++;
      if (served === 1) return resetHalfway(res, a, { etag: '"A"' });
      // now another version of the same size, no ETag or Last-Modified, Range honoured and If-Range ignored
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      if (!start) return whole(res, b);
      res.writeHead(206, {
        'content-range': `bytes ${start}-${b.length - 1}/${b.length}`,
        'content-length': b.length - start,
      });
      res.end(b.subarray(start));
    });
    const report = await downloadAll([job('ignores-if-range')], FAST);
    expect(report.failed).toEqual([]);
    const got = await readFile(join(dir, 'out', 'ignores-if-range'));
    expect(got.equals(b)).toBe(true);
    expect(server.requests[1]?.headers['if-range']).toBe('"A"');
  });

  it('a symbolic link at the partial path is removed, never written through (an outside file was appended to)', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside, { recursive: true });
    await mkdir(join(dir, 'out'), { recursive: true });
    await writeFile(join(outside, 'victim'), v1.subarray(0, 1000));
    await symlink(join(outside, 'victim'), join(dir, 'out', `linked${PARTIAL_SUFFIX}`));
    await symlink(join(outside, 'created'), join(dir, 'out', `dangling${PARTIAL_SUFFIX}`));
    for (const name of ['linked', 'dangling'])
      server.routes.set(`/f/${name}`, (req, res) => ranged(req, res, v1));
    const report = await downloadAll([job('linked'), job('dangling')], FAST);
    expect(report.failed).toEqual([]);
    for (const name of ['linked', 'dangling']) {
      expect((await lstat(join(dir, 'out', name))).isFile(), name).toBe(true);
      expect((await readFile(join(dir, 'out', name))).equals(v1), name).toBe(true);
    }
    expect((await readFile(join(outside, 'victim'))).equals(v1.subarray(0, 1000))).toBe(true);
    expect(existsSync(join(outside, 'created'))).toBe(false);
  });

  for (const [name, transport] of Object.entries(transports))
    it(`refuses a 200 to a resume that holds only the tail with no size or range said, by its first bytes (${name})`, async () => {
      await leavePartial('bare-tail', v1.subarray(0, 1000));
      server.routes.set('/f/bare-tail', (req, res) => {
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        // a broken gateway: 200, chunked (no Content-Length), no Content-Range, only the bytes asked for
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(v1.subarray(start));
      });
      const report = await downloadAll([job('bare-tail')], { ...FAST, ...transport });
      expect(report.failed).toEqual([]);
      expect(report.retries).toBe(1);
      expect(server.requests.map((r) => r.headers.range)).toEqual(['bytes=500-', undefined]);
      expect((await readFile(join(dir, 'out', 'bare-tail'))).equals(v1)).toBe(true);
    });

  it("a 200 to a resume whose start is the partial's own start is taken whole only when a size or checksum can check it", async () => {
    // a partial whose first and last halves are equal cannot tell a tail from the whole file by its start
    const halves = Buffer.concat([v2.subarray(0, 500), v2.subarray(0, 500)]);
    const zeroHead = Buffer.concat([Buffer.alloc(1000), v1.subarray(1000)]);
    const cases = [
      // a start that is the partial's first bytes and not its compared ones: the whole file
      { name: 'head', partial: v1.subarray(0, 1000), file: v1, extra: {}, ranges: ['bytes=500-'] },
      // no size or checksum: fetched again without a range, whatever the 200 held
      { name: 'halves', partial: halves, file: v1, extra: {}, ranges: ['bytes=500-', undefined] },
      // a gateway sending only the tail of a file whose partial is zeros: saved as the whole file before
      {
        name: 'zeros',
        partial: zeroHead.subarray(0, 1000),
        file: zeroHead,
        extra: {},
        ranges: ['bytes=500-', undefined],
        tailOnly: true,
      },
      // a 1-byte partial is resumed from byte 0: any 200 to it is the whole file
      { name: 'one-byte', partial: v1.subarray(0, 1), file: v1, extra: {}, ranges: ['bytes=0-'] },
      // a size or checksum refuses a tail at the end, so the 200 is kept
      {
        name: 'sized',
        partial: halves,
        file: v1,
        extra: { expectedBytes: v1.length },
        ranges: ['bytes=500-'],
      },
      {
        name: 'summed',
        partial: halves,
        file: v1,
        extra: { expectedSha256: createHash('sha256').update(v1).digest('hex') },
        ranges: ['bytes=500-'],
      },
    ] as const;
    for (const c of cases) {
      await leavePartial(c.name, c.partial);
      server.routes.set(`/f/${c.name}`, (req, res) => {
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end('tailOnly' in c ? c.file.subarray(start) : c.file);
      });
      const report = await downloadAll([job(c.name, c.extra)], FAST);
      expect(report.failed, c.name).toEqual([]);
      const ranges = server.requests.filter((r) => r.path === `/f/${c.name}`).map((r) => r.headers.range);
      expect(ranges, c.name).toEqual(c.ranges);
      expect((await readFile(join(dir, 'out', c.name))).equals(c.file), c.name).toBe(true);
    }
  });

  for (const [name, transport] of Object.entries(transports))
    it(`refuses a 200 answering If-Range under the same version that holds only the tail, with no size said (${name})`, async () => {
      for (const [label, validator] of [
        ['etag', { etag: '"v1"' }],
        ['last-modified', { 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' }],
      ] as const) {
        const path = `/f/if-range-tail-${label}`;
        let served = 0;
        server.routes.set(path, (req, res) => {
          served++;
          if (served === 1) return resetHalfway(res, v1, validator);
          const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
          // a proxy dropping Content-Range and the length: the tail, chunked, under the same validator
          res.writeHead(200, { 'content-type': 'application/octet-stream', ...validator });
          res.end(v1.subarray(from));
        });
        const report = await downloadAll([job(`if-range-tail-${label}`)], { ...FAST, ...transport });
        expect(report.failed, label).toEqual([]);
        expect(
          server.requests.filter((r) => r.path === path).map((r) => r.headers.range),
          label,
        ).toEqual([undefined, 'bytes=2000-', undefined]);
        expect((await readFile(join(dir, 'out', `if-range-tail-${label}`))).equals(v1), label).toBe(true);
      }
    });

  it('refuses a 200 of another size for the same strong ETag, and a 200 whose Content-Range is not the whole file', async () => {
    let served = 0;
    server.routes.set('/f/shrunk', (req, res) => {
      served++;
      if (served === 1) return resetHalfway(res, v1, { etag: '"v1"' });
      // a proxy that drops Content-Range: the tail under the same ETag as the 4000-byte file
      if (req.headers.range) return whole(res, v1.subarray(2000), { etag: '"v1"' });
      whole(res, v1, { etag: '"v1"' });
    });
    server.routes.set('/f/head-only', (_req, res) => {
      res.writeHead(200, { 'content-range': 'bytes 0-999/4000', 'content-length': 1000 });
      res.end(v1.subarray(0, 1000));
    });
    const report = await downloadAll([job('shrunk'), job('head-only')], { ...FAST, retries: 2 });
    expect(report.failed.map((f) => f.job.itemId)).toEqual(['head-only']);
    const err = report.failed[0].error;
    expect(failureCodes(err)).toEqual(['RETRIES_EXHAUSTED', 'SIZE_MISMATCH']);
    expect(err.message).toContain(
      `${join(dir, 'out', 'head-only')}: answered 200 (the whole file) with Content-Range "bytes 0-999/4000", which is not the whole file; starting over`,
    );
    expect(existsSync(join(dir, 'out', 'head-only'))).toBe(false);
    expect((await readFile(join(dir, 'out', 'shrunk'))).equals(v1)).toBe(true);
    expect(server.requests.filter((r) => r.path === '/f/shrunk').map((r) => r.headers.range)).toEqual([
      undefined,
      'bytes=2000-',
      undefined,
    ]);
  });

  for (const [name, transport] of Object.entries(transports))
    it(`saves only a 200 (or a checked 206) as the file: 202 is NOT_READY and retried, 204 and 203 fail (${name})`, async () => {
      let accepted = 0;
      server.routes.set('/f/offline', (_req, res) => {
        accepted++;
        // Copernicus' Long Term Archive: offline product, retrieval triggered, come back later
        res.writeHead(202, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end('{"message":"The product is offline; its retrieval from the LTA was triggered"}');
      });
      server.routes.set('/f/restored', (_req, res) => {
        if (server.hits.get('/f/restored') === 1) {
          res.writeHead(202, { 'retry-after': '0' });
          return void res.end('later');
        }
        whole(res, v1);
      });
      server.routes.set('/f/empty', (_req, res) => void res.writeHead(204).end());
      server.routes.set('/f/proxied', (_req, res) => {
        res.writeHead(203, { 'content-length': 5 });
        res.end('proxy');
      });
      const manifestPath = join(dir, 'manifest.jsonl');
      const report = await downloadAll(
        ['offline', 'restored', 'empty', 'proxied'].map((n) => job(n)),
        { ...FAST, ...transport, retries: 2, manifestPath },
      );
      expect(report.downloaded).toBe(1);
      const failed = Object.fromEntries(report.failed.map((f) => [f.job.itemId, f.error]));
      expect(Object.keys(failed).sort()).toEqual(['empty', 'offline', 'proxied']);
      expect(failureCodes(failed.offline)).toEqual(['RETRIES_EXHAUSTED', 'NOT_READY']);
      expect(accepted).toBe(3);
      expect(failed.offline.message).toContain(
        `HTTP 202 Accepted from ${server.url}/f/offline: {"message":"The product is offline; its retrieval from the LTA was triggered"}; the server accepted the request but the file is not ready yet (202 Accepted)`,
      );
      expect(failed.empty.code).toBe('INVALID_RESPONSE');
      expect(failed.empty.message).toBe(
        `${join(dir, 'out', 'empty')}: ${server.url}/f/empty answered HTTP 204 instead of 200 with the file; nothing was saved`,
      );
      expect(failed.proxied.code).toBe('INVALID_RESPONSE');
      expect(server.hits.get('/f/empty')).toBe(1);
      for (const n of ['offline', 'empty', 'proxied']) {
        expect(existsSync(join(dir, 'out', n)), n).toBe(false);
        expect(existsSync(join(dir, 'out', `${n}${PARTIAL_SUFFIX}`)), n).toBe(false);
      }
      expect((await readFile(join(dir, 'out', 'restored'))).equals(v1)).toBe(true);
      const manifest = await readManifest(manifestPath);
      expect(
        [...manifest.values()].map((r) => [r.itemId ?? r.path.split('/').pop(), r.status]).sort(),
      ).toEqual([
        ['empty', 'failed'],
        ['offline', 'failed'],
        ['proxied', 'failed'],
        ['restored', 'verified'],
      ]);
    });

  it('leaves a file already on disk untouched when a new download of it fails', async () => {
    await mkdir(join(dir, 'out'), { recursive: true });
    await writeFile(join(dir, 'out', 'kept'), v1);
    server.routes.set('/f/kept', (_req, res) => whole(res, v2.subarray(0, 10)));
    const report = await downloadAll([job('kept', { expectedBytes: 4000 })], { ...FAST, retries: 1 });
    expect(failureCodes(report.failed[0].error)).toEqual(['RETRIES_EXHAUSTED', 'SIZE_MISMATCH']);
    expect((await readFile(join(dir, 'out', 'kept'))).equals(v1)).toBe(true);
  });
});

describe('redirects', () => {
  const secrets = {
    password: 'pw-SECRET-1',
    sas: 'sig-SECRET-2',
    key: 'key-SECRET-3',
    bearer: 'tok-SECRET-4',
  };

  for (const [name, transport] of Object.entries(transports))
    it(`follows no redirect: nothing reaches another origin and no credential is in the error (${name})`, async () => {
      other.routes.set('/stolen', (_req, res) => whole(res, v2Small));
      server.routes.set('/f/away', (_req, res) => {
        res.writeHead(302, { location: `${other.url}/stolen?sig=${secrets.sas}` });
        res.end(`moved, your key was ${secrets.key} and ${secrets.bearer}`);
      });
      server.routes.set('/f/loop', (_req, res) => {
        res.writeHead(307, { location: '/f/loop' });
        res.end();
      });
      // fetch refuses URLs with userinfo: the password goes in the URL for node:http only
      const origin = transport.fetch ? server.url : server.url.replace('//', `//user:${secrets.password}@`);
      const url = (p: string) => `${origin}${p}?sig=${secrets.sas}`;
      const manifestPath = join(dir, 'manifest.jsonl');
      const report = await downloadAll(
        [
          job('away', { url: url('/f/away'), headers: { 'x-api-key': secrets.key } }),
          job('loop', { url: url('/f/loop') }),
        ],
        {
          ...FAST,
          ...transport,
          manifestPath,
          secrets: [secrets.key],
          authorize: () => ({ authorization: `Bearer ${secrets.bearer}` }),
        },
      );
      expect(other.hits.size).toBe(0);
      expect(server.hits.get('/f/loop')).toBe(1);
      // concurrent jobs: they fail in whichever order their servers answer
      const failed = report.failed.map((f) => [f.job.itemId, f.error.code, (f.error as HttpError).status]);
      expect(failed.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
        ['away', 'HTTP_ERROR', 302],
        ['loop', 'HTTP_ERROR', 307],
      ]);
      const text = [
        ...report.failed.flatMap((f) => [f.error.message, String(f.error.stack)]),
        await readFile(manifestPath, 'utf8'),
      ].join('\n');
      for (const s of Object.values(secrets)) expect(text).not.toContain(s);
    });

  const v2Small = bytesOf(100, 2);

  const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const redirect = (status: number, location: string) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { location });
    res.end();
  };
  const received = (s: HostileServer, path: string) => s.requests.filter((r) => r.path === path);

  it('requestJson: credential headers stay on their origin through redirects, plain requests follow anywhere', async () => {
    other.routes.set('/moved', json({ where: 'other' }));
    server.routes.set('/same-target', json({ where: 'same' }));
    server.routes.set('/same', redirect(301, '/same-target'));
    server.routes.set('/away', redirect(307, `${other.url}/moved`));
    const headers = { 'x-api-key': secrets.key, authorization: `Bearer ${secrets.bearer}` };
    expect(await requestJson(`${server.url}/same`, { headers })).toEqual({ where: 'same' });
    expect(received(server, '/same-target')[0]?.headers['x-api-key']).toBe(secrets.key);
    expect(await requestJson(`${server.url}/away`, { method: 'POST', headers, body: { q: 1 } })).toEqual({
      where: 'other',
    });
    const there = received(other, '/moved');
    expect(there).toHaveLength(1);
    expect(there[0]?.headers['x-api-key']).toBeUndefined();
    expect(there[0]?.headers.authorization).toBeUndefined();
    expect(there[0]?.headers.accept).toBe('application/json');
    // without credential headers the runtime's own redirect handling applies
    expect(await requestJson(`${server.url}/away`)).toEqual({ where: 'other' });
  });

  it('requestJson: redirect loops, Locations that are not http(s) and missing ones are HTTP_ERROR, bounded', async () => {
    server.routes.set('/loop', redirect(302, '/loop'));
    server.routes.set('/file', redirect(302, 'file:///etc/passwd'));
    server.routes.set('/none', (_req, res) => res.writeHead(302).end());
    const headers = { 'x-api-key': secrets.key };
    for (const [path, message] of [
      ['/loop', 'more than 10 redirects'],
      ['/file', 'without a usable http(s) Location ("file:///etc/passwd")'],
      ['/none', 'without a usable http(s) Location (null)'],
    ]) {
      const err = await requestJson(`${server.url}${path}`, { headers }).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(EoFetchError);
      expect((err as EoFetchError).code, path).toBe('HTTP_ERROR');
      expect((err as EoFetchError).message, path).toContain(message);
      expect((err as EoFetchError).message).not.toContain(secrets.key);
    }
    expect(server.hits.get('/loop')).toBe(11);
  });

  it('a SentinelHub token request redirected to another origin never re-sends the client secret', async () => {
    other.routes.set('/token', json({ access_token: 'stolen', expires_in: 3600 }));
    server.routes.set('/oauth/token', redirect(307, `${other.url}/token`));
    const client = new SentinelHubClient(
      { clientId: 'cid', clientSecret: secrets.password },
      { baseUrl: server.url, retry: { retries: 0 } },
    );
    const err = await client.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect((err as EoFetchError).code).toBe('CREDENTIAL_SCOPE');
    expect((err as EoFetchError).message).toContain(`redirected to another origin (${other.url})`);
    expect((err as EoFetchError).message).not.toContain(secrets.password);
    expect(other.hits.size).toBe(0);
  });
});

describe('STAC credentials', () => {
  /** Every message and stack of an error chain. */
  const chainText = (err: unknown) => {
    const out: string[] = [];
    for (let e = err as Error | undefined, i = 0; e && i < 10; e = e.cause as Error | undefined, i++)
      out.push(e.message, String(e.stack));
    return out.join('\n');
  };
  const KEY = 'APIKEY-SUPERSECRET-999';
  const PW = 'PASSW0RD-XYZ';

  it('scrubs header keys from a non-JSON answer it quotes, causes included (was the key verbatim)', async () => {
    server.routes.set('/stac/search', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>bad key ${req.headers['x-api-key']}</p>`);
    });
    const c = new StacClient(`${server.url}/stac/`, { headers: { 'x-api-key': KEY }, retry: { retries: 0 } });
    const err = await c.search({ collections: ['x'] }).catch((e: unknown) => e);
    expect((err as EoFetchError).code).toBe('INVALID_RESPONSE');
    expect((err as EoFetchError).message).toBe(
      `expected JSON from ${server.url}/stac/search, got "<p>bad key ***</p>"; check the endpoint URL`,
    );
    expect(chainText(err)).not.toContain(KEY);
    // the Planetary Computer subscription key, quoted the same way by its token endpoint
    server.routes.set('/sas/token/acct/c', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`unknown key ${req.headers['ocp-apim-subscription-key']}`);
    });
    const signer = createPlanetaryComputerSigner({
      subscriptionKey: KEY,
      tokenUrl: `${server.url}/sas/token`,
      retry: { retries: 0 },
    });
    const sas = await signer
      .signHref('https://acct.blob.core.windows.net/c/x.tif', 'sentinel-2-l2a')
      .catch((e: unknown) => e);
    expect((sas as EoFetchError).message).toContain('got "unknown key ***"');
    expect(chainText(sas)).not.toContain(KEY);
  });

  it('sends URL userinfo as Basic auth to its origin only, typed and never in the error chain', async () => {
    const basic = `Basic ${Buffer.from(`alice:${PW}`).toString('base64')}`;
    const item = makeItem('S2A_1', '2021-01-01T10:30:00.000Z', 10, [0, 0, 1, 1]);
    server.routes.set('/stac/search', (req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        return void res.end(`rejected ${req.headers.authorization}`);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [item],
          links: [{ rel: 'next', href: `${other.url}/stac/search?page=2`, method: 'GET' }],
        }),
      );
    });
    other.routes.set('/stac/search', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'FeatureCollection', features: [], links: [] }));
    });
    const c = new StacClient(`${server.url.replace('//', `//alice:${PW}@`)}/stac`, {
      retry: { retries: 2, baseDelayMs: 5 },
    });
    expect(c.url).toBe(`${server.url}/stac/`);
    expect((await c.search({ collections: ['x'] })).map((i) => i.id)).toEqual(['S2A_1']);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([basic]);
    // the next link to another origin is followed without the credential
    expect(other.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
    // a wrong password: one request, AUTH_FAILED, the echoed credential scrubbed everywhere
    server.requests.length = 0;
    const wrong = new StacClient(`${server.url.replace('//', `//alice:${PW}-old@`)}/stac`, {
      retry: { retries: 2, baseDelayMs: 5 },
    });
    const err = await wrong.search({ collections: ['x'] }).catch((e: unknown) => e);
    expect((err as EoFetchError).code).toBe('AUTH_FAILED');
    expect(server.requests).toHaveLength(1);
    expect((err as EoFetchError).message).toBe(
      `HTTP 401 Unauthorized from ${server.url}/stac/search: rejected ***`,
    );
    expect(chainText(err)).not.toContain(PW);
  });
});

describe('credentials echoed in another encoding', () => {
  /** Every message and stack of an error chain. */
  const chainText = (err: unknown) => {
    const out: string[] = [];
    for (let e = err as Error | undefined, i = 0; e && i < 10; e = e.cause as Error | undefined, i++)
      out.push(e.message, String(e.stack));
    return out.join('\n');
  };
  /** Answers `status` with a text body made of what the request carried. */
  const echo =
    (status: number, text: (req: IncomingMessage, body: string) => string) =>
    (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c;
      });
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(text(req, body));
      });
    };

  it('scrubs a SentinelHub client secret a token endpoint echoes form-, percent- or JSON-encoded (was %21 verbatim)', async () => {
    // a space and every character the two URL escapers treat differently: ! ' ( ) * ~
    const secret = "S3cr3t-Xy!z9 (a*b)~'q";
    const form = new URLSearchParams({ s: secret }).toString().slice(2);
    expect(form).toBe('S3cr3t-Xy%21z9+%28a*b%29%7E%27q');
    server.routes.set(
      '/oauth/token',
      echo(401, (_req, body) => {
        const got = new URLSearchParams(body).get('client_secret') ?? '';
        // form as sent, encodeURIComponent, lower-case hex, JSON-escaped (ASCII only)
        return `body=${body} uri=${encodeURIComponent(got)} lower=${form.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())} json=${JSON.stringify(got)}`;
      }),
    );
    const client = new SentinelHubClient(
      { clientId: 'my-client-id-1234', clientSecret: secret },
      { baseUrl: server.url, retry: { retries: 0 } },
    );
    const err = await client.accessToken().catch((e: unknown) => e);
    expect((err as HttpError).code).toBe('AUTH_FAILED');
    expect((err as HttpError).message).toBe(
      'SentinelHub token request refused (HTTP 401); check the client id/secret (HTTP 401 Unauthorized from ' +
        `${server.url}/oauth/token: body=grant_type=client_credentials&client_id=***&client_secret=*** uri=*** ` +
        'lower=*** json="***")',
    );
    const text = chainText(err);
    for (const leak of [secret, form, encodeURIComponent(secret), 'Xy%21z9'])
      expect(text).not.toContain(leak);
  });

  it('urlSecrets lists the Basic token of URL userinfo, for a caller that sends it itself (was not exported)', async () => {
    // base64 with '+', '/' and '=': their percent-encoded echo must be scrubbed too
    const credUrl = `${server.url.replace('//', '//alice:Pw%3E%3E%3E%3Fx@')}/stac/search`;
    const token = Buffer.from('alice:Pw>>>?x').toString('base64');
    expect(token).toBe('YWxpY2U6UHc+Pj4/eA==');
    expect(urlSecrets(credUrl)).toEqual(['Pw%3E%3E%3E%3Fx', 'Pw>>>?x', token]);
    server.routes.set(
      '/stac/search',
      echo(401, (req) => {
        const auth = String(req.headers.authorization);
        return `saw ${auth}; token ${encodeURIComponent(auth.slice(6))}`;
      }),
    );
    // as a CLI does: the userinfo split off, the Basic value added by its own fetch
    const split = splitUrlCredentials(credUrl);
    const authFetch = (u: string, init?: RequestInit) =>
      fetch(u, {
        ...init,
        headers: { ...(init?.headers as object), authorization: split.authorization ?? '' },
      });
    const err = await requestJson(
      split.url,
      { method: 'POST', body: {} },
      { fetch: authFetch, redact: urlSecrets(credUrl), retry: { retries: 0 } },
    ).catch((e: unknown) => e);
    expect((err as HttpError).message).toBe(
      `HTTP 401 Unauthorized from ${server.url}/stac/search: saw Basic ***; token ***`,
    );
    // a StacClient given the URL itself scrubs the same forms
    const c = new StacClient(credUrl.replace('/search', ''), { retry: { retries: 0 } });
    const stacErr = await c.search({ collections: ['x'] }).catch((e: unknown) => e);
    expect((stacErr as HttpError).message).toBe(
      `HTTP 401 Unauthorized from ${server.url}/stac/search: saw ***; token ***`,
    );
    for (const leak of [token, encodeURIComponent(token), 'Pw>>>?x'])
      expect(chainText(err) + chainText(stacErr)).not.toContain(leak);
  });

  it('keeps the path and query of a root URL on every endpoint built from it (was POST /search, token dropped)', async () => {
    const seen: string[] = [];
    const answer = (doc: unknown) => (req: IncomingMessage, res: ServerResponse) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    };
    const item = makeItem('S2A_1', '2021-01-01T10:30:00.000Z', 10, [0, 0, 1, 1]);
    server.routes.set('/stac/', answer({ type: 'Catalog', id: 'root', links: [] }));
    server.routes.set('/stac/conformance', answer({ conformsTo: [] }));
    server.routes.set('/stac/search', answer({ type: 'FeatureCollection', features: [item], links: [] }));
    server.routes.set('/stac/collections', answer({ collections: [{ id: 'c1' }], links: [] }));
    server.routes.set('/stac/collections/c1', answer({ id: 'c1' }));
    server.routes.set('/stac/collections/c1/items/S2A_1', answer(item));
    server.routes.set('/stac/queryables', answer({ type: 'object' }));
    const q = 'access_token=TOK-abc%2B1&limit=7';
    const c = new StacClient(`${server.url}/stac?${q}#frag`, { retry: { retries: 0 } });
    expect(c.url).toBe(`${server.url}/stac/?${q}`);
    expect((await c.search({ collections: ['c1'] })).map((i) => i.id)).toEqual(['S2A_1']);
    await c.search({ collections: ['c1'], limit: 2 }, { method: 'GET' });
    await c.root();
    await c.conformance();
    await c.collections();
    await c.collection('c1');
    await c.item('c1', 'S2A_1');
    await c.queryables();
    expect(seen).toEqual([
      `POST /stac/search?${q}`,
      // a parameter the search sets replaces the root's of that name
      'GET /stac/search?access_token=TOK-abc%2B1&collections=c1&limit=2',
      `GET /stac/?${q}`,
      `GET /stac/conformance?${q}`,
      `GET /stac/collections?${q}`,
      `GET /stac/collections/c1?${q}`,
      `GET /stac/collections/c1/items/S2A_1?${q}`,
      `GET /stac/queryables?${q}`,
    ]);
    // a message naming the root masks its token
    server.routes.set(
      '/stac/search',
      answer({ type: 'FeatureCollection', features: [item], links: [{ rel: 'next', href: '?page=2' }] }),
    );
    const capped = new StacClient(`${server.url}/stac?${q}`, { retry: { retries: 0 }, pageLimit: 1 });
    const err = await capped.search({ collections: ['c1'] }).catch((e: unknown) => e);
    expect((err as EoFetchError).code).toBe('PAGE_LIMIT');
    expect((err as EoFetchError).message).toBe(
      `STAC search at ${server.url}/stac/?access_token=***&limit=7 still had more pages after 1 requests; pass maxItems/maxPages or raise pageLimit`,
    );
  });
});

describe('Retry-After', () => {
  it('reads hostile values as a finite wait or nothing', () => {
    const now = Date.UTC(2024, 0, 1);
    expect(parseRetryAfter('1e309', now)).toBeUndefined();
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(Number.MAX_SAFE_INTEGER); // was Infinity
    expect(parseRetryAfter('Fri, 31 Dec 9999 00:00:00 GMT', now)).toBe(253402214400000 - now);
    expect(parseRetryAfter(' 2 ', now)).toBe(2000);
    // the three HTTP-date forms, all UTC (asctime was read as local time)
    for (const v of [
      'Mon, 01 Jan 2024 00:00:05 GMT',
      'Monday, 01-Jan-24 00:00:05 GMT',
      'Mon Jan  1 00:00:05 2024',
    ])
      expect([v, parseRetryAfter(v, now)]).toEqual([v, 5000]);
    // text that is no HTTP-date is no wait (Date.parse read '-1' as 2001, 'in 2099' and 'Tue 2099' as 2099)
    for (const v of ['-1', 'in 2099', 'Tue 2099', 'Sat, 01 Jan 10000 00:00:00 GMT', '2024-01-01T00:00:05Z'])
      expect([v, parseRetryAfter(v, now)]).toEqual([v, undefined]);
    expect(parseRetryAfter('Wed, 31 Feb 2024 00:00:05 GMT', now)).toBeUndefined();
  });

  it('waits a bounded time whatever the server asks, and fails long waits at once', async () => {
    const values = {
      negative: '-1',
      overflow: '1e309',
      year9999: 'Fri, 31 Dec 9999 00:00:00 GMT',
      garbage: 'in 2099',
      huge: '9'.repeat(400),
    };
    for (const [name, value] of Object.entries(values)) {
      let served = 0;
      server.routes.set(`/f/${name}`, (_req, res) => {
        if (served++ === 0) return void res.writeHead(429, { 'retry-after': value }).end('slow down');
        whole(res, v1Small);
      });
    }
    const started = Date.now();
    const report = await downloadAll(
      Object.keys(values).map((n) => job(n)),
      FAST,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    // concurrent jobs: they fail in whichever order their servers answer
    const failed = [...report.failed].sort((a, b) =>
      String(a.job.itemId).localeCompare(String(b.job.itemId)),
    );
    expect(failed.map((f) => [f.job.itemId, f.error.code])).toEqual([
      ['huge', 'RATE_LIMITED'],
      ['year9999', 'RATE_LIMITED'],
    ]);
    const huge = failed[0].error;
    expect(huge.message).toContain('the server asks to wait 9007199254741 s (Retry-After)');
    expect((huge.cause as HttpError).retryAfterMs).toBe(Number.MAX_SAFE_INTEGER);
    expect(report.downloaded).toBe(3); // negative, overflow and garbage: no wait asked, retried with backoff
  });

  const v1Small = bytesOf(100, 1);
});

describe('item ids and AOI names that become paths', () => {
  const item: StacItem = fixture('earth-search-v1-search-1.json').features[0];

  it('refuses item ids over 1024 characters or with control characters, naming the item position', () => {
    const long = { ...structuredClone(item), id: 'S2'.repeat(600) };
    const control = { ...structuredClone(item), id: 'S2A\u0000x' };
    expect(validateStacItem(long)).toBe('item id of 1200 characters is longer than 1024');
    expect(validateStacItem(control)).toBe('item id "S2A\\u0000x" holds control characters');
    expect(validateStacItem({ ...structuredClone(item), id: 'a'.repeat(1024) })).toBeUndefined();
    const { entries, invalidItems } = catalogueEntriesFromStacItems([item, long, control]);
    expect(entries.map((e) => e.id)).toEqual([item.id]);
    expect(invalidItems).toEqual([
      {
        id: null,
        reason: `items[1]: catalogue item "${'S2'.repeat(38)}...: item id of 1200 characters is longer than 1024`,
      },
      {
        id: null,
        reason: 'items[2]: catalogue item "S2A\\u0000x": item id "S2A\\u0000x" holds control characters',
      },
    ]);
  });

  it('refuses AOI names that cannot be folder names, before reading a manifest or writing anything', async () => {
    for (const bad of ['a/b', '..', 'a\u0000b', 'x'.repeat(201), 'é'.repeat(101)])
      expect(() => lrRevisitPaths(bad, 1, 'L2A')).toThrowError(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('cannot be used as a folder name'),
        }),
      );
    expect(lrRevisitPaths('é'.repeat(100), 1, 'L2A').dir).toBe(`lr_dataset/${'é'.repeat(100)}/L2A`);
    // the manifest is a folder here: reading it would fail with another error than the name check
    const manifestPath = join(dir, 'manifest-dir');
    await mkdir(manifestPath);
    const aoi = { name: 'bad\u0000name', bounds: [30, -2, 30.01, -1.99] as [number, number, number, number] };
    const revisit = { aoi: aoi.name, n: 1, entry: { id: 'x' } } as unknown as MatchedRevisit;
    const err = await downloadStacRevisits([aoi], [revisit], {
      root: dir,
      provider: 'earth-search',
      manifestPath,
    }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^AOI name "bad\\u0000name" cannot be used as a folder name/);
  });
});
