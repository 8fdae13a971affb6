import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../src/download/download-engine.node.js';
import { type DownloadJob, downloadAll, EoFetchError, PARTIAL_SUFFIX, readManifest } from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';

let server: FaultServer;
let dir: string;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-dl-'));
  server.hits.clear();
  server.times.clear();
  server.scripts.clear();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const job = (name: string, extra: Partial<DownloadJob> = {}): DownloadJob => ({
  url: `${server.url}/f/${name}`,
  path: join(dir, 'out', name),
  aoi: 'AOI-1',
  revisit: 1,
  itemId: name,
  ...extra,
});
const fast = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

async function listAll(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('downloadAll under injected faults', () => {
  // both transports: node:http (default, bodies buffered) and an injected fetch (SentinelHub auth) streaming to disk
  for (const transport of ['node:http', 'fetch'] as const)
    it(`completes every file through 5xx bursts, resets, truncation, lying Content-Length and stalls (${transport})`, async () => {
      const scripts: Record<string, Parameters<typeof server.scripts.set>[1]> = {
        'burst500-3000': [
          { kind: 'status', status: 500 },
          { kind: 'status', status: 500 },
          { kind: 'status', status: 500 },
        ],
        'burst503-3001': [
          { kind: 'status', status: 503 },
          { kind: 'status', status: 502 },
        ],
        'reset-65536': [{ kind: 'reset' }, { kind: 'reset' }],
        'trunc-40000': [{ kind: 'truncate' }],
        'short-5000': [{ kind: 'short-length' }], // 200 with a consistent but short body: caught by expectedBytes
        'stall-7000': [{ kind: 'stall', ms: 20_000 }], // exceeds the 4 s attempt timeout (generous: CI machines are loaded)
        'plain-100': [],
      };
      for (const [name, s] of Object.entries(scripts)) server.scripts.set(`/f/${name}`, s);
      const jobs = Object.keys(scripts).map((n) =>
        job(n, { expectedBytes: contentFor(`/f/${n}`).length, revisit: Object.keys(scripts).indexOf(n) + 1 }),
      );
      const events: string[] = [];
      const report = await downloadAll(jobs, {
        ...fast,
        timeoutMs: 4000,
        ...(transport === 'fetch'
          ? { fetch: (u: string, i?: RequestInit) => fetch(u, i), bufferBytes: 0 }
          : {}),
        manifestPath: join(dir, 'manifest.jsonl'),
        onProgress: (p) => events.push(p.event),
      });
      expect(report.failed).toEqual([]);
      expect(report.downloaded).toBe(jobs.length);
      // no storm: exactly one request per injected fault plus the successful one
      for (const [name, s] of Object.entries(scripts))
        expect(server.hits.get(`/f/${name}`), name).toBe(s.length + 1);
      expect(report.requests).toBe(Object.values(scripts).reduce((a, s) => a + s.length + 1, 0));
      expect(report.retries).toBe(report.requests - jobs.length);
      // every file equals the served bytes, the manifest holds its checksum, nothing partial is left
      const manifest = await readManifest(join(dir, 'manifest.jsonl'));
      for (const j of jobs) {
        const bytes = await readFile(j.path);
        const expected = contentFor(new URL(j.url).pathname);
        expect(sha256(bytes)).toBe(sha256(expected));
        const rec = [...manifest.values()].find((r) => r.path === j.path)!;
        expect(rec).toMatchObject({
          status: 'verified',
          bytes: expected.length,
          sha256: sha256(expected),
          aoi: 'AOI-1',
        });
      }
      expect((await listAll(dir)).filter((f) => f.endsWith(PARTIAL_SUFFIX))).toEqual([]);
      expect(events.filter((e) => e === 'retry')).toHaveLength(report.retries);
      expect(events.filter((e) => e === 'downloaded')).toHaveLength(jobs.length);
      // compacted: one line per file
      const lines = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(jobs.length);
    });

  it('honours Retry-After in seconds and as an HTTP-date, pausing the host', async () => {
    server.scripts.set('/f/ra-secs-100', [{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }]);
    const report = await downloadAll([job('ra-secs-100')], fast);
    expect(report.failed).toEqual([]);
    const [t0, t1] = server.times.get('/f/ra-secs-100')!;
    expect(t1 - t0).toBeGreaterThanOrEqual(950);

    const when = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000); // HTTP-dates have 1 s resolution
    server.scripts.set('/f/ra-date-100', [
      { kind: 'status', status: 503, headers: { 'retry-after': when.toUTCString() } },
    ]);
    const r2 = await downloadAll([job('ra-date-100'), job('other-100')], { ...fast, perHost: 1 });
    expect(r2.failed).toEqual([]);
    const [d0, d1] = server.times.get('/f/ra-date-100')!;
    expect(d1).toBeGreaterThanOrEqual(when.getTime() - 50);
    expect(d1 - d0).toBeGreaterThan(400);
  });

  it('fails a Retry-After beyond maxRetryAfterMs with RATE_LIMITED instead of waiting for hours', async () => {
    server.scripts.set('/f/ra-long-100', [
      { kind: 'status', status: 429, headers: { 'retry-after': '7200' } },
    ]);
    const report = await downloadAll([job('ra-long-100')], { ...fast, maxRetryAfterMs: 10_000 });
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0].error.code).toBe('RATE_LIMITED');
    expect(report.failed[0].error.message).toMatch(/7200 s/);
    expect(server.hits.get('/f/ra-long-100')).toBe(1);
  });

  it('bounds retries: a persistent 503 fails with RETRIES_EXHAUSTED after retries+1 requests, leaving no file', async () => {
    server.scripts.set(
      '/f/dead-100',
      Array.from({ length: 50 }, () => ({ kind: 'status' as const, status: 503 })),
    );
    const report = await downloadAll([job('dead-100'), job('fine-100')], {
      ...fast,
      retries: 3,
      manifestPath: join(dir, 'm.jsonl'),
    });
    expect(report.downloaded).toBe(1);
    expect(report.failed).toHaveLength(1);
    const err = report.failed[0].error;
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('RETRIES_EXHAUSTED');
    expect((err.cause as EoFetchError).code).toBe('HTTP_ERROR');
    expect(server.hits.get('/f/dead-100')).toBe(4);
    const files = await listAll(dir);
    expect(files.some((f) => f.includes('dead-100'))).toBe(false);
    const rec = [...(await readManifest(join(dir, 'm.jsonl'))).values()].find((r) =>
      r.path.endsWith('dead-100'),
    );
    expect(rec).toMatchObject({ status: 'failed', error: { code: 'RETRIES_EXHAUSTED' } });
  });

  it('does not retry client errors (404)', async () => {
    server.scripts.set('/f/missing-100', [{ kind: 'status', status: 404 }]);
    const report = await downloadAll([job('missing-100')], fast);
    expect(report.failed[0].error).toMatchObject({ code: 'HTTP_ERROR', status: 404 });
    expect(server.hits.get('/f/missing-100')).toBe(1);
  });

  it('rejects a body that fails its checksum or verify hook, retrying a bounded number of times', async () => {
    const report = await downloadAll(
      [
        job('sum-100', { expectedSha256: 'ab'.repeat(32) }),
        job('verify-100', {
          verify: async (p) => {
            if ((await readFile(p)).length !== 99) throw new Error('not a TIFF');
          },
        }),
      ],
      { ...fast, retries: 2 },
    );
    expect(report.failed.map((f) => (f.error.cause as EoFetchError).code).sort()).toEqual([
      'CHECKSUM_MISMATCH',
      'VERIFY_FAILED',
    ]);
    expect(server.hits.get('/f/sum-100')).toBe(3);
    expect((await listAll(dir)).length).toBe(0);
  });

  it('re-runs skip verified files, redo damaged or missing ones, and dry runs count requests without fetching', async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    const jobs = ['a-1000', 'b-2000', 'c-3000', 'd-4000'].map((n) => job(n, { processingUnits: 0.5 }));
    await downloadAll(jobs, { ...fast, manifestPath });
    expect(server.hits.size).toBe(4);
    server.hits.clear();
    await writeFile(jobs[1].path, 'damaged'); // size differs from the manifest
    await rm(jobs[2].path);
    await writeFile(`${jobs[3].path}${PARTIAL_SUFFIX}`, 'stale partial');

    const dry = await downloadAll(jobs, { ...fast, manifestPath, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, skipped: 2, downloaded: 2, requests: 2, processingUnits: 1 });
    expect(server.hits.size).toBe(0);

    const again = await downloadAll(jobs, { ...fast, manifestPath });
    expect(again).toMatchObject({ skipped: 2, downloaded: 2, requests: 2 });
    expect([...server.hits.keys()].sort()).toEqual(['/f/b-2000', '/f/c-3000']);
    for (const j of jobs) expect(await sha256File(j.path)).toBe(sha256(contentFor(new URL(j.url).pathname)));

    // sha256 re-verification catches same-size corruption
    const buf = await readFile(jobs[0].path);
    buf[0] ^= 0xff;
    await writeFile(jobs[0].path, buf);
    server.hits.clear();
    const strict = await downloadAll(jobs, { ...fast, manifestPath, verifyExisting: 'sha256' });
    expect(strict.downloaded).toBe(1);
    expect([...server.hits.keys()]).toEqual(['/f/a-1000']);
  });

  it('respects global and per-host concurrency', async () => {
    const slow = await startFaultServer(60);
    try {
      const jobs = Array.from({ length: 12 }, (_, i) => ({
        url: `${slow.url}/f/x${i}-100`,
        path: join(dir, `x${i}`),
      }));
      await downloadAll(jobs, { ...fast, concurrency: 8, perHost: 3 });
      expect(slow.maxInFlight).toBe(3);
      slow.hits.clear();
      const jobs2 = jobs.map((j) => ({ ...j, path: `${j.path}.b` }));
      await downloadAll(jobs2, { ...fast, concurrency: 2, perHost: 10 });
      expect(slow.maxInFlight).toBeLessThanOrEqual(3);
    } finally {
      await slow.close();
    }
  });

  it('resumes an interrupted transfer with a Range request instead of starting over', async () => {
    const name = 'big-300000';
    server.scripts.set(`/f/${name}`, [{ kind: 'reset' }]);
    const report = await downloadAll([job(name, { expectedBytes: 300_000 })], { ...fast, bufferBytes: 0 });
    expect(report.failed).toEqual([]);
    expect(server.hits.get(`/f/${name}`)).toBe(2);
    const range = /^bytes=(\d+)-$/.exec(String(server.headers.get(`/f/${name}`)?.range));
    expect(range).not.toBeNull();
    expect(Number(range![1])).toBeGreaterThan(0);
    expect(Number(range![1])).toBeLessThanOrEqual(150_000);
    expect(sha256(await readFile(join(dir, 'out', name)))).toBe(sha256(contentFor(`/f/${name}`)));
    // resume: false starts over
    server.hits.clear();
    server.headers.clear();
    server.scripts.set(`/f/${name}`, [{ kind: 'reset' }]);
    await rm(join(dir, 'out', name));
    await downloadAll([job(name)], { ...fast, bufferBytes: 0, resume: false });
    expect(server.headers.get(`/f/${name}`)?.range).toBeUndefined();
  });

  it('sends job headers, JSON bodies and fresh authorize() headers on every attempt', async () => {
    server.scripts.set('/f/auth-100', [{ kind: 'status', status: 502 }]);
    let n = 0;
    const report = await downloadAll(
      [job('auth-100', { method: 'POST', body: { a: 1 }, headers: { 'x-job': 'yes' } })],
      { ...fast, authorize: () => ({ authorization: `Bearer t${++n}` }) },
    );
    expect(report.failed).toEqual([]);
    const h = server.headers.get('/f/auth-100')!;
    expect(h).toMatchObject({
      authorization: 'Bearer t2',
      'x-job': 'yes',
      'content-type': 'application/json',
    });
  });

  it('validates jobs and honours the abort signal', async () => {
    await expect(downloadAll([job('x-1'), job('x-1')])).rejects.toMatchObject({ code: 'DUPLICATE_PATH' });
    // a job writing another's temporary file (x.partial) or its lock would resume, splice or delete that file:
    // refused before any request (two files were spliced and both reported downloaded)
    const hits = server.hits.get('/f/x-1') ?? 0;
    const x = join(dir, 'out', 'x-1');
    for (const other of [`${x}.partial`, `${x}.partial.lock`]) {
      for (const jobs of [
        [job('x-1'), { ...job('x-1'), path: other }],
        [{ ...job('x-1'), path: other }, job('x-1')],
      ]) {
        const err = await downloadAll(jobs).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'DUPLICATE_PATH' });
        expect((err as Error).message).toContain('share the file');
      }
    }
    expect(server.hits.get('/f/x-1') ?? 0).toBe(hits);
    await expect(downloadAll([{ url: 'ftp://x/y', path: join(dir, 'y') }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const ctrl = new AbortController();
    server.scripts.set('/f/hang-1000', [{ kind: 'stall', ms: 5000 }]);
    setTimeout(() => ctrl.abort(), 100);
    await expect(downloadAll([job('hang-1000')], { signal: ctrl.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect((await listAll(dir)).filter((f) => f.endsWith(PARTIAL_SUFFIX))).toEqual([]);
  });
});

describe('what a job asks for decides what counts as its file', () => {
  /** A fetch serving whatever `body.current` holds (a catalogue that republishes a file under one URL). */
  const served = () => {
    const state = { current: Buffer.from('version-A-'.repeat(100)), requests: 0 };
    const fetchBody = async () => {
      state.requests++;
      return new Response(new Uint8Array(state.current), {
        headers: { 'content-length': String(state.current.length) },
      });
    };
    return { state, fetch: fetchBody };
  };

  it('does not skip a verified record of another checksum, size, item or URL; replaces the file only once verified', async () => {
    const { state, fetch } = served();
    const manifestPath = join(dir, 'manifest.jsonl');
    const path = join(dir, 'f.bin');
    const url = 'http://127.0.0.1:9/f.bin';
    const base = { url, path, itemId: 'ITEM-1' };
    const opts = { ...fast, retries: 0, fetch, manifestPath };
    const a = state.current;
    expect((await downloadAll([{ ...base, expectedSha256: sha256(a) }], opts)).downloaded).toBe(1);
    // the catalogue now publishes version B, same size, with its checksum: the record of A is no B
    const b = Buffer.from('version-B-'.repeat(100));
    state.current = b;
    for (const verifyExisting of ['size', 'sha256'] as const) {
      state.requests = 0;
      const r = await downloadAll([{ ...base, expectedSha256: sha256(b) }], { ...opts, verifyExisting });
      expect({ downloaded: r.downloaded, skipped: r.skipped, requests: state.requests }).toEqual(
        verifyExisting === 'size'
          ? { downloaded: 1, skipped: 0, requests: 1 }
          : { downloaded: 0, skipped: 1, requests: 0 }, // fetched by the first pass: the record is B's now
      );
      expect(sha256(await readFile(path))).toBe(sha256(b));
    }
    // STAC's file:checksum (a sha2-256 multihash) names the same content: skipped
    state.requests = 0;
    const multihash = await downloadAll(
      [{ ...base, expectedSha256: `1220${sha256(b).toUpperCase()}` }],
      opts,
    );
    expect({ skipped: multihash.skipped, requests: state.requests }).toEqual({ skipped: 1, requests: 0 });
    // another item id under the same path (a re-matched revisit): fetched again
    state.requests = 0;
    const item = await downloadAll([{ ...base, itemId: 'ITEM-2' }], opts);
    expect({ downloaded: item.downloaded, requests: state.requests }).toEqual({ downloaded: 1, requests: 1 });
    // another URL (another path on the server; a query such as a new SAS signature is no other file)
    state.requests = 0;
    const signed = await downloadAll([{ ...base, itemId: 'ITEM-2', url: `${url}?sig=fresh` }], opts);
    expect({ skipped: signed.skipped, requests: state.requests }).toEqual({ skipped: 1, requests: 0 });
    const moved = await downloadAll([{ ...base, itemId: 'ITEM-2', url: 'http://127.0.0.1:9/g.bin' }], opts);
    expect({ downloaded: moved.downloaded, requests: state.requests }).toEqual({
      downloaded: 1,
      requests: 1,
    });
    // another size: fetched, refused (the server still has 1000 bytes), and the verified file stays as it was
    state.requests = 0;
    const sized = await downloadAll(
      [{ ...base, itemId: 'ITEM-2', url: 'http://127.0.0.1:9/g.bin', expectedBytes: 5 }],
      opts,
    );
    expect(sized.skipped).toBe(0);
    expect(sized.failed.map((f) => (f.error.cause as EoFetchError).code)).toEqual(['SIZE_MISMATCH']);
    expect(state.requests).toBe(1);
    expect(sha256(await readFile(path))).toBe(sha256(b));
  });

  it('refuses checksums and sizes that are no checksum or size before any request, naming the job', async () => {
    const { state, fetch } = served();
    const path = join(dir, 'f.bin');
    const hex = sha256(state.current);
    for (const [extra, why] of [
      [
        { expectedSha256: 12345 },
        /expectedSha256 must be a hex SHA-256 \(64 digits\) or a sha2-256 multihash \('1220' \+ 64 hex digits\), got 12345$/,
      ],
      [{ expectedSha256: '' }, /expectedSha256 must be .*, got ""$/],
      [{ expectedSha256: ` ${hex} ` }, /expectedSha256 must be .*, got " [0-9a-f]+/],
      [{ expectedSha256: `1220${hex}00` }, /expectedSha256 must be/],
      [{ expectedBytes: '600' }, /expectedBytes must be an integer ≥ 0, got "600"$/],
      [{ expectedBytes: Number.NaN }, /expectedBytes must be an integer ≥ 0, got NaN$/],
      [{ expectedBytes: -1 }, /expectedBytes must be an integer ≥ 0, got -1$/],
      [{ verify: 'yes' }, /verify must be a function, got "yes"$/],
    ] as const) {
      const err = await downloadAll([{ url: 'http://127.0.0.1:9/f.bin', path, ...(extra as object) }], {
        fetch,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EoFetchError);
      expect((err as EoFetchError).code).toBe('INVALID_ARGUMENT');
      expect((err as EoFetchError).message).toMatch(new RegExp(`^DownloadEngine\\.run: job for ${path}: `));
      expect((err as EoFetchError).message).toMatch(why);
    }
    expect(state.requests).toBe(0);
    // a multihash is the digest it carries
    const r = await downloadAll([{ url: 'http://127.0.0.1:9/f.bin', path, expectedSha256: `1220${hex}` }], {
      fetch,
    });
    expect(r.downloaded).toBe(1);
    expect(r.records[0].sha256).toBe(hex);
    const wrong = await downloadAll(
      [{ url: 'http://127.0.0.1:9/f.bin', path: `${path}.2`, expectedSha256: `1220${'0'.repeat(64)}` }],
      { fetch, retries: 0 },
    );
    const cause = wrong.failed[0].error.cause as EoFetchError;
    expect(cause.code).toBe('CHECKSUM_MISMATCH');
    expect(cause.message).toBe(
      `${path}.2: sha256 ${hex} does not match the expected ${'0'.repeat(64)}; the source changed or is corrupt`,
    );
  });

  it('reports a verify hook that throws a string, null or an object as its rejection, leaving no partial', async () => {
    for (const [thrown, said] of [
      ['not a tiff', 'not a tiff'],
      [null, 'it threw null'],
      [{ code: 'X', message: 'obj says no' }, 'obj says no'],
      [42, 'it threw 42'],
    ] as const) {
      const { fetch } = served();
      const path = join(dir, `v-${String(said).length}`);
      const report = await downloadAll(
        [
          {
            url: 'http://u:PASSWORD99@127.0.0.1:9/f?sig=SIGSECRET77',
            path,
            verify: () => {
              throw thrown;
            },
          },
        ],
        { ...fast, retries: 1, fetch, manifestPath: join(dir, 'm.jsonl') },
      );
      const err = report.failed[0].error;
      expect(err.code).toBe('RETRIES_EXHAUSTED');
      expect((err.cause as EoFetchError).code).toBe('VERIFY_FAILED');
      expect(err.message).toBe(
        `${path}: gave up after 2 attempts: ${path}: downloaded file rejected: ${said}`,
      );
      expect((await listAll(dir)).filter((f) => f.startsWith(path))).toEqual([]);
    }
  });

  it('sends headers given as a Headers instance or as pairs (a spread kept none of them)', async () => {
    for (const headers of [new Headers({ 'x-api-key': 'KEY-123456789' }), [['x-api-key', 'KEY-123456789']]]) {
      server.headers.clear();
      const report = await downloadAll([job('h-100', { headers: headers as never })], {
        ...fast,
        authorize: () => new Headers({ authorization: 'Bearer tok-1' }) as never,
      });
      expect(report.failed).toEqual([]);
      expect(server.headers.get('/f/h-100')).toMatchObject({
        'x-api-key': 'KEY-123456789',
        authorization: 'Bearer tok-1',
      });
      await rm(join(dir, 'out', 'h-100'));
    }
  });
});

// The engine's own files and hooks under misuse: a job writing the manifest, a folder as a job path, verify hooks
// that reject by returning false or change the file, an onProgress that throws, FIFOs at the partial and lock
// names, and listed secrets inside a URL's path (the manifest's url field).
describe('the engine keeps its own files and records', () => {
  it('a job whose path is the manifest (or whose partial is) is DUPLICATE_PATH before any request', async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    await downloadAll([job('a-100')], { ...fast, manifestPath });
    const before = await readFile(manifestPath, 'utf8');
    server.hits.clear();
    const err0 = await downloadAll([job('b-100'), job('m-100', { path: manifestPath })], {
      ...fast,
      manifestPath,
    }).catch((e: unknown) => e);
    expect(err0).toBeInstanceOf(EoFetchError);
    expect((err0 as EoFetchError).code).toBe('DUPLICATE_PATH');
    expect((err0 as EoFetchError).message).toContain(`writes ${manifestPath}, the run's manifest`);
    const partialOf = manifestPath.replace(/\.jsonl$/, '.bin');
    const err = await downloadAll([job('p-100', { path: partialOf })], {
      ...fast,
      manifestPath: `${partialOf}${PARTIAL_SUFFIX}`,
    }).catch((e: unknown) => e);
    expect((err as EoFetchError).code).toBe('DUPLICATE_PATH');
    expect(server.hits.size).toBe(0);
    expect(await readFile(manifestPath, 'utf8')).toBe(before);
  });

  it('a job path naming a folder (a trailing separator, ".", "..") is INVALID_ARGUMENT; the folder\'s files stay', async () => {
    const folder = join(dir, 'slash');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, '.partial'), 'USER');
    for (const path of [`${folder}/`, `${folder}/.`, `${folder}/..`]) {
      const err = await downloadAll([job('x-100', { path })], fast).catch((e: unknown) => e);
      expect((err as EoFetchError).code, path).toBe('INVALID_ARGUMENT');
      expect((err as EoFetchError).message).toContain('must be a file path');
    }
    expect(await readFile(join(folder, '.partial'), 'utf8')).toBe('USER');
    expect(server.hits.size).toBe(0);
  });

  it('a verify hook rejects by returning false too, and one that changes the file is VERIFY_FAILED (the record would not be of its bytes)', async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    const report = await downloadAll(
      [
        job('false-100', { verify: () => false }),
        job('edit-100', { verify: (p) => writeFile(p, Buffer.alloc(100, 7)) }),
        job('fine-100', { verify: () => true }),
      ],
      { ...fast, retries: 0, manifestPath },
    );
    const verifyFailure = (e: unknown): EoFetchError | undefined => {
      for (let x = e as EoFetchError | undefined; x; x = x.cause as EoFetchError | undefined)
        if (x.code === 'VERIFY_FAILED') return x;
      return undefined;
    };
    expect(
      report.failed.map((f) => [f.job.itemId, verifyFailure(f.error)?.message.split(': ').pop()]).sort(),
    ).toEqual([
      ['edit-100', 'the verify hook changed the file (its SHA-256 is no longer the one downloaded)'],
      ['false-100', 'the verify hook returned false'],
    ]);
    expect(existsSync(join(dir, 'out', 'false-100'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'edit-100'))).toBe(false);
    const fine = (await readManifest(manifestPath)).get(join(dir, 'out', 'fine-100'));
    expect(fine?.status).toBe('verified');
    expect(fine?.sha256).toBe(sha256(contentFor('/f/fine-100')));
  });

  it('what onProgress throws fails no job and loses no record: it is rethrown once every job is recorded', async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    const boom = new Error('the UI crashed');
    for (const on of ['downloaded', 'failed'] as const) {
      server.scripts.set(`/f/gone-${on}-300`, [{ kind: 'status', status: 404 }]);
      const err = await downloadAll([job(`ok-${on}-200`), job(`gone-${on}-300`)], {
        ...fast,
        retries: 0,
        manifestPath,
        onProgress: (p) => {
          if (p.event === on) throw boom;
        },
      }).catch((e: unknown) => e);
      expect(err, on).toBe(boom);
      const records = await readManifest(manifestPath);
      expect(records.get(join(dir, 'out', `ok-${on}-200`))?.status, on).toBe('verified');
      expect(await readFile(join(dir, 'out', `ok-${on}-200`))).toEqual(contentFor(`/f/ok-${on}-200`));
    }
  });

  it.runIf(process.platform !== 'win32')(
    'a FIFO at the partial or the lock name never hangs the run',
    async () => {
      const out = join(dir, 'out');
      await mkdir(out, { recursive: true });
      execFileSync('mkfifo', [join(out, `fifo-partial-100${PARTIAL_SUFFIX}`)]);
      execFileSync('mkfifo', [join(out, `fifo-lock-100${PARTIAL_SUFFIX}.lock`)]);
      const t0 = Date.now();
      const report = await downloadAll([job('fifo-partial-100'), job('fifo-lock-100')], {
        ...fast,
        retries: 0,
      });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(report.failed.map((f) => [f.job.itemId, f.error.code]).sort()).toEqual([
        ['fifo-lock-100', 'PATH_IN_USE'],
        ['fifo-partial-100', 'WRITE_FAILED'],
      ]);
    },
  );

  it("a listed secret inside a URL's path is *** in the manifest's url too, and the file is still skipped next run", async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    const secret = 'S3CRET-IN-PATH-42';
    const withSecret = job('s-100', { url: `${server.url}/f/${secret}/s-100` });
    await downloadAll([withSecret], { ...fast, manifestPath, secrets: [secret] });
    const text = await readFile(manifestPath, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain('/f/***/s-100');
    const again = await downloadAll([withSecret], { ...fast, manifestPath, secrets: [secret] });
    expect(again.skipped).toBe(1);
  });
});
