// The download engine against servers that stall, trickle error pages, echo credentials or get moved: every
// stall ends in a bounded retry, no secret leaves the engine, and manifests survive a move of the dataset.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  appendFile,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { attemptSignal, redactUrlsIn } from '../src/http/retry.js';
import {
  appendManifest,
  compactManifest,
  type DownloadJob,
  type DownloadProgress,
  type DownloadReport,
  downloadAll,
  downloadSentinelHubRevisits,
  type EoFetchError,
  matchRevisits,
  readManifest,
  redactUrl,
  removeStaleTemps,
  SentinelHubClient,
} from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';
import { type ShServer, startShServer } from './support/sentinel-hub-server.js';

let server: FaultServer;
let dir: string;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-faults-'));
  server.hits.clear();
  server.scripts.clear();
  server.headers.clear();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const job = (name: string, extra: Partial<DownloadJob> = {}): DownloadJob => ({
  url: `${server.url}/f/${name}`,
  path: join(dir, 'out', name),
  itemId: name,
  ...extra,
});
const transports = { 'node:http': undefined, fetch: (u: string, i?: RequestInit) => fetch(u, i) };

/** Every message, cause message and stack of an error chain. */
function chainText(err: unknown): string {
  const out: string[] = [];
  for (let e = err as Error | undefined, i = 0; e && i < 10; e = e.cause as Error | undefined, i++)
    out.push(e.message, String(e.stack));
  return out.join('\n');
}

describe('idle timeout', () => {
  for (const [name, doFetch] of Object.entries(transports))
    it(`aborts and retries attempts that go silent before headers, after headers and mid-body (${name})`, async () => {
      server.scripts.set('/f/silent-3000', [{ kind: 'silent', ms: 20_000 }]);
      server.scripts.set('/f/headers-4000', [{ kind: 'stall-headers', ms: 20_000 }]);
      server.scripts.set('/f/body-5000', [{ kind: 'stall', ms: 20_000 }]);
      const jobs = ['silent-3000', 'headers-4000', 'body-5000'].map((n) => job(n));
      const t0 = Date.now();
      const report = await downloadAll(jobs, {
        fetch: doFetch,
        timeoutMs: 60_000, // only the idle limit can end these attempts in time
        // far above a healthy attempt's silence (a loaded runner can hold the loop for 300 ms), far below 20 s
        idleTimeoutMs: 1_500,
        baseDelayMs: 5,
        maxDelayMs: 20,
      });
      expect(Date.now() - t0).toBeLessThan(10_000); // the servers stay silent for 20 s
      expect(report.failed).toEqual([]);
      expect(report).toMatchObject({ downloaded: 3, retries: 3, requests: 6 });
      for (const j of jobs) {
        expect(server.hits.get(new URL(j.url).pathname)).toBe(2);
        expect(sha256(await readFile(j.path))).toBe(sha256(contentFor(new URL(j.url).pathname)));
      }
    });

  it('does not cut a slow transfer that keeps sending (idle limit, not a total limit)', async () => {
    // 8 chunks 200 ms apart: ≥ 1.4 s in all, longer than the 1 s idle limit, yet never 1 s without data (a
    // gap 5× under the limit: a loaded runner stalling the loop for 300 ms no longer trips it)
    server.scripts.set('/f/slow-8000', [{ kind: 'ok', trickleMs: 200 }]);
    const t0 = Date.now();
    const report = await downloadAll([job('slow-8000')], { idleTimeoutMs: 1_000, bufferBytes: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(report).toMatchObject({ downloaded: 1, retries: 0, requests: 1 });
    // the timer logic itself, on a fake clock: touches 40 ms apart keep a 100 ms idle limit from firing
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const att = attemptSignal(undefined, 60_000, 100);
      for (let i = 0; i < 6; i++) {
        vi.advanceTimersByTime(40);
        att.touch();
      }
      expect(att.signal.aborted).toBe(false);
      vi.advanceTimersByTime(99);
      expect(att.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(att.signal.aborted).toBe(true);
      expect(att.idled).toBe(100);
      att.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a server that stays silent fails with a typed TIMEOUT naming the stall, after bounded retries', async () => {
    server.scripts.set('/f/dead-1000', [
      { kind: 'stall-headers', ms: 20_000 },
      { kind: 'silent', ms: 20_000 },
    ]);
    const events: DownloadProgress[] = [];
    const report = await downloadAll([job('dead-1000')], {
      idleTimeoutMs: 200,
      retries: 1,
      baseDelayMs: 5,
      onProgress: (p) => events.push(p),
    });
    const err = report.failed[0].error;
    expect(err.code).toBe('RETRIES_EXHAUSTED');
    expect((err.cause as EoFetchError).code).toBe('TIMEOUT');
    expect(err.message).toMatch(/stalled: no data for 0\.2 s/);
    expect(events.filter((e) => e.event === 'retry')).toHaveLength(1);
    expect(existsSync(join(dir, 'out', 'dead-1000'))).toBe(false);
  });

  it('rejects a negative or non-finite idleTimeoutMs', async () => {
    for (const idleTimeoutMs of [-1, Number.NaN])
      await expect(downloadAll([job('x-10')], { idleTimeoutMs })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
  });
});

describe('error bodies', () => {
  for (const [name, doFetch] of Object.entries(transports))
    it(`reads a trickled 50 KiB error page only up to its time cap, then retries (${name})`, async () => {
      // 50 chunks of 1 KiB, 200 ms apart: 10 s to read it whole; the idle limit never fires
      server.scripts.set('/f/slowerr-2000', [
        { kind: 'slow-error', status: 503, bytes: 50 * 1024, chunkMs: 200 },
      ]);
      const t0 = Date.now();
      const report = await downloadAll([job('slowerr-2000')], {
        fetch: doFetch,
        idleTimeoutMs: 5_000,
        baseDelayMs: 5,
      });
      expect(Date.now() - t0).toBeLessThan(4_500);
      expect(report.failed).toEqual([]);
      expect(report).toMatchObject({ downloaded: 1, retries: 1 });
    });
});

describe('secrets', () => {
  const TOKEN = 'tok-SECRET-9f8e7d6c5b4a';
  const PASSWORD = 'pw-SECRET-0a1b2c3d';
  const LISTED = 'listed-SECRET-5e6f7a8b';
  const planted = [TOKEN, PASSWORD, LISTED, Buffer.from(`alice:${PASSWORD}`).toString('base64')];

  for (const [name, doFetch] of Object.entries(transports))
    it(`scrubs tokens, listed secrets and URL passwords from errors, progress and the manifest (${name})`, async () => {
      const echo = { kind: 'echo' as const, status: 500 };
      server.scripts.set('/f/echo-1000', [echo, echo]);
      server.scripts.set('/f/pw-1000', [echo, echo]);
      const manifestPath = join(dir, 'manifest.jsonl');
      const events: string[] = [];
      const report = await downloadAll(
        [
          job('echo-1000', { headers: { 'x-api-token': LISTED } }),
          job('pw-1000', {
            url: `${server.url.replace('//', `//alice:${PASSWORD}@`)}/f/pw-1000?sig=${LISTED}`,
          }),
        ],
        {
          fetch: doFetch,
          retries: 1,
          baseDelayMs: 5,
          secrets: [LISTED],
          authorize: () => ({ authorization: `Bearer ${TOKEN}` }),
          manifestPath,
          onProgress: (p) => events.push(JSON.stringify({ ...p, message: p.error?.message })),
        },
      );
      expect(report.failed).toHaveLength(2);
      // the server did receive (and echo) the token: the test is not vacuous
      expect(server.headers.get('/f/echo-1000')?.authorization).toBe(`Bearer ${TOKEN}`);
      const said = [
        ...report.failed.map((f) => chainText(f.error)),
        ...events,
        await readFile(manifestPath, 'utf8'),
        JSON.stringify(report.records),
      ].join('\n');
      expect(said).toContain('***');
      for (const s of planted) expect(said, s).not.toContain(s);
    });

  for (const [name, doFetch] of Object.entries(transports))
    it(`scrubs the value of every credential header a job sends that an error page echoes (was authorization and x-api-key only) (${name})`, async () => {
      const sent = {
        'X-Request-N': '7', // short values of other headers stay readable
        'X-Auth-Token': 'XAUTHTOKEN-1111',
        Cookie: 'session=COOKIESESSION-2222; theme=dark',
        'Ocp-Apim-Subscription-Key': 'APIMKEY-3333',
        'X-Amz-Security-Token': 'AMZSTS-4444/with+slash=',
        'X-Tenant': 'tenant-abcdef-5555', // no credential name, but a long value the caller sent: scrubbed too
      };
      server.scripts.set('/f/hdr-1000', [{ kind: 'echo', status: 403 }]);
      const manifestPath = join(dir, 'manifest.jsonl');
      const report = await downloadAll([job('hdr-1000', { headers: sent })], {
        fetch: doFetch,
        retries: 0,
        manifestPath,
      });
      // the server did receive every header: the test is not vacuous
      const got = server.headers.get('/f/hdr-1000')!;
      expect(got['x-auth-token']).toBe(sent['X-Auth-Token']);
      expect(got.cookie).toBe(sent.Cookie);
      const err = report.failed[0].error;
      expect(err.code).toBe('AUTH_FAILED');
      const said = [chainText(err), await readFile(manifestPath, 'utf8')].join('\n');
      for (const secret of [
        'XAUTHTOKEN-1111',
        'COOKIESESSION-2222',
        'APIMKEY-3333',
        'AMZSTS-4444',
        'tenant-abcdef', // scrubbed before the excerpt is cut: no start of a secret is left either
      ])
        expect(said, secret).not.toContain(secret);
      expect(err.message).toContain('"x-auth-token":"***"');
      expect(err.message).toContain('"ocp-apim-subscription-key":"***"');
      expect(err.message).toContain('"x-request-n":"7"');
    });

  it('scrubs a batch of 2,000 failing presigned URLs in linear time, each error of its own tokens (was minutes)', async () => {
    const N = 2000;
    const signature = (i: number) => createHash('sha256').update(`sig-${i}`).digest('hex');
    const jobs = Array.from({ length: N }, (_, i) => {
      server.scripts.set(`/f/p${i}-10`, [{ kind: 'echo', status: 404 }]);
      return job(`p${i}-10`, {
        url: `${server.url}/f/p${i}-10?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F${i}&X-Amz-Signature=${signature(i)}`,
      });
    });
    // CPU time of this process (the engine and the server both run here), not wall time: a loaded runner
    // stretches the wall time of the same work five-fold (20 s seen for 4 s of CPU), and the quadratic scrub
    // is CPU spent
    const cpu0 = process.cpuUsage();
    const report = await downloadAll(jobs, { retries: 0, concurrency: 16, perHost: 16 });
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(report.failed).toHaveLength(N);
    // the odd ones named, with their errors (a bare `false` said nothing when one failed otherwise under load)
    const odd = report.failed.filter((f) => f.error.code !== 'HTTP_ERROR');
    expect(odd.map((f) => `${f.error.code}: ${f.error.message}`)).toEqual([]);
    // every echoed signature is scrubbed from its own job's error (the page quotes the URL it was asked for)
    for (const [i, f] of report.failed.entries()) {
      const k = Number(/p(\d+)-10$/.exec(f.job.path)![1]);
      expect(f.error.message, String(i)).toContain('X-Amz-Signature=***');
      expect(chainText(f.error), String(i)).not.toContain(signature(k));
    }
    // the old cost: each failure scrubbed with every job's tokens (6,000 secrets): 1,000 jobs took 14 s, 2,000
    // did not finish in 120 s; linear, this is about 4 s of CPU, loaded machine or not
    expect(cpuMs).toBeLessThan(20_000);
  }, 90_000);

  it('scrubs a signed-URL token and a password holding a raw "@" that a server echoes (were not noted)', async () => {
    const SIG = 'sv2021-SIGNATURE%2Bab%3D';
    const RAW_PW = 'S3cr@t-P4ss';
    const basic = Buffer.from(`bob:${RAW_PW}`).toString('base64');
    const echo = { kind: 'echo' as const, status: 403 };
    server.scripts.set('/f/sig-1000', [echo]);
    server.scripts.set('/f/at-1000', [echo]);
    const manifestPath = join(dir, 'manifest.jsonl');
    const report = await downloadAll(
      [
        job('sig-1000', { url: `${server.url}/f/sig-1000?se=2030&sp=r&sig=${SIG}` }),
        job('at-1000', { url: `${server.url.replace('//', `//bob:${RAW_PW}@`)}/f/at-1000` }),
      ],
      { retries: 0, manifestPath },
    );
    // the server did receive both credentials: the test is not vacuous
    expect(server.headers.get('/f/at-1000')?.authorization).toBe(`Basic ${basic}`);
    expect(report.failed.map((f) => f.error.code)).toEqual(['AUTH_FAILED', 'AUTH_FAILED']);
    const said = [...report.failed.map((f) => chainText(f.error)), await readFile(manifestPath, 'utf8')].join(
      '\n',
    );
    expect(said).toContain('"url":"/f/sig-1000?se=2030&sp=r&sig=***"');
    expect(said).toContain('"authorization":"Basic ***"');
    for (const s of [SIG, decodeURIComponent(SIG), RAW_PW, 't-P4ss', basic]) expect(said, s).not.toContain(s);
  });

  it('scrubs the bearer token a SentinelHub Process API error echoes (and the listed client secret)', async () => {
    const sh: ShServer = await startShServer();
    try {
      const bounds = aoiBounds(30, -2, 2.5) as BBox;
      const aoi = { name: 'UNHCR-RWA001', bounds, areaKm2: 2.5 };
      const entry = {
        id: 'S2_0',
        source: 'Sentinel2',
        datetime: '2021-03-10T08:30:00.000Z',
        cloudCover: 0,
        geometry: {
          type: 'Polygon' as const,
          coordinates: [
            [
              [29, -3],
              [31, -3],
              [31, -1],
              [29, -1],
              [29, -3],
            ],
          ],
        },
      };
      const match = matchRevisits([aoi], [entry], { targetDate: '2021-03-10' });
      const c = new SentinelHubClient(
        { clientId: sh.clientId, clientSecret: sh.clientSecret },
        { baseUrl: sh.url },
      );
      sh.processFaults = ['echo-auth'];
      const manifestPath = join(dir, 'sh-manifest.jsonl');
      const report = await downloadSentinelHubRevisits(c, [aoi], match.revisits, {
        root: join(dir, 'sh'),
        levels: ['L2A'],
        layers: ['dataMask'],
        manifestPath,
        retries: 0,
        concurrency: 1,
        secrets: [sh.clientSecret],
      });
      const token = [...sh.validTokens][0];
      expect(token).toMatch(/^tok-/);
      expect(report.failed).toHaveLength(1);
      const said = `${chainText(report.failed[0].error)}\n${await readFile(manifestPath, 'utf8')}`;
      expect(said).toContain('backend rejected Bearer ***');
      expect(said).not.toContain(token);
      expect(said).not.toContain(sh.clientSecret);
    } finally {
      await sh.close();
    }
  });

  it('redactUrl masks userinfo and credential query values; redactUrlsIn does so inside text', () => {
    expect(redactUrl('https://alice:pw@host.example/a?x=1&sig=abc#f')).toBe(
      'https://***@host.example/a?x=1&sig=***#f',
    );
    expect(redactUrl('http://token@host/a')).toBe('http://***@host/a');
    expect(redactUrl('https://host/a@b')).toBe('https://host/a@b'); // `@` in the path is no userinfo
    expect(redactUrlsIn('GET https://u:p@h/x?token=t failed; see http://h/y')).toBe(
      'GET https://***@h/x?token=*** failed; see http://h/y',
    );
  });
});

describe('manifest paths', () => {
  it('are stored relative to the dataset root: a moved dataset is recognised and nothing is fetched again', async () => {
    const names = ['m1-1000', 'm2-2000'];
    const jobsIn = (root: string) =>
      names.map((n) => ({ ...job(n), path: join(root, 'lr_dataset', 'AOI', n) }));
    const first = join(dir, 'first');
    const manifestPath = (root: string) => join(root, 'rebuild', 'manifest.jsonl');
    const r1 = await downloadAll(jobsIn(first), { manifestPath: manifestPath(first), manifestRoot: first });
    expect(r1.downloaded).toBe(2);
    const lines = (await readFile(manifestPath(first), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.path, l.base]).sort()).toEqual([
      ['lr_dataset/AOI/m1-1000', 'root'],
      ['lr_dataset/AOI/m2-2000', 'root'],
    ]);
    const moved = join(dir, 'moved');
    await rename(first, moved);
    const r2 = await downloadAll(jobsIn(moved), { manifestPath: manifestPath(moved), manifestRoot: moved });
    expect(r2).toMatchObject({ skipped: 2, downloaded: 0, requests: 0 });
    expect(r2.records.map((r) => r.path)).toEqual(jobsIn(moved).map((j) => j.path));
    for (const n of names) expect(server.hits.get(`/f/${n}`)).toBe(1);
  });

  it('still reads manifests written before (paths resolved against the working directory)', async () => {
    const root = join(dir, 'legacy');
    const j = { ...job('old-1500'), path: join(root, 'old-1500') };
    await mkdir(root, { recursive: true });
    const body = contentFor('/f/old-1500');
    await writeFile(j.path, body);
    const legacy = { path: j.path, url: j.url, bytes: body.length, sha256: sha256(body), status: 'verified' };
    const manifestPath = join(root, 'manifest.jsonl');
    await writeFile(manifestPath, `${JSON.stringify(legacy)}\n`);
    const report = await downloadAll([j], { manifestPath, manifestRoot: root });
    expect(report).toMatchObject({ skipped: 1, requests: 0 });
    // compaction rewrote it relative to the root
    expect(JSON.parse(await readFile(manifestPath, 'utf8'))).toMatchObject({
      path: 'old-1500',
      base: 'root',
    });
    expect((await readManifest(manifestPath, { root })).get(j.path)?.status).toBe('verified');
  });
});

describe('shared manifests', () => {
  it('two runs sharing a manifest keep every record and fail with no raw ENOENT (was one temp name per pid)', async () => {
    const manifestPath = join(dir, 'shared.jsonl');
    const batch = (tag: string) => Array.from({ length: 6 }, (_, i) => job(`${tag}${i}-500`));
    const reports = await Promise.all([
      downloadAll(batch('a'), { manifestPath }),
      downloadAll(batch('b'), { manifestPath }),
      // and bare compactions racing with appends
      ...Array.from({ length: 4 }, () => compactManifest(manifestPath)),
    ]);
    expect(reports.slice(0, 2).map((r) => (r as DownloadReport).downloaded)).toEqual([6, 6]);
    const kept = [...(await readManifest(manifestPath)).values()];
    expect(kept.map((r) => r.itemId).sort()).toEqual(
      [...batch('a'), ...batch('b')].map((j) => j.itemId).sort(),
    );
    expect(kept.every((r) => r.status === 'verified')).toBe(true);
    // one line per file, and no temp file left behind
    expect((await readFile(manifestPath, 'utf8')).trim().split('\n')).toHaveLength(12);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a manifest it cannot write as WRITE_FAILED naming it', async () => {
    const asDir = join(dir, 'as-dir.jsonl');
    await mkdir(asDir);
    const err = await compactManifest(asDir).catch((e: unknown) => e);
    expect((err as EoFetchError).code).toBe('WRITE_FAILED');
    expect((err as EoFetchError).message).toMatch(/^could not compact the manifest .*as-dir\.jsonl: EISDIR/);
    const underFile = join(dir, 'shared.jsonl', 'm.jsonl');
    await writeFile(join(dir, 'shared.jsonl'), '');
    const rec = {
      path: join(dir, 'x'),
      url: 'https://h/x',
      bytes: 0,
      sha256: '',
      status: 'failed' as const,
      time: '',
    };
    const append = await appendManifest(underFile, [rec]).catch((e: unknown) => e);
    expect((append as EoFetchError).code).toBe('WRITE_FAILED');
    expect((append as EoFetchError).message).toContain(`could not append to the manifest ${underFile}: `);
  });
});

describe('removeStaleTemps', () => {
  /** Sets a file's (or a link's own) modification time `minutes` ago. */
  const age = async (path: string, minutes: number, link = false) => {
    const t = new Date(Date.now() - minutes * 60_000);
    await (link ? lutimes(path, t, t) : utimes(path, t, t));
  };
  const owns = (f: string) => f.startsWith('A-1-') || f === 'A-1.metadata';

  it('removes temps of files the stage owns once idle for 10 minutes, and nothing else', async () => {
    const d = join(dir, 'lvl');
    await mkdir(d);
    const names = [
      'A-1-L2A_data.tiff.0123456789ab.tmp', // ours, owned, stale
      'A-1.metadata.abcdefabcdef.tmp', // ours, owned, stale
      'A-2-L2A_data.tiff.0123456789ab.tmp', // ours, another revisit
      'A-1-L2A_data.tiff.tmp', // not our pattern
      'A-1-L2A_data.tiff.XYZ456789abc.tmp', // not our pattern
      'A-1-L2A_data.tiff', // a final file
    ];
    for (const n of names) {
      await writeFile(join(d, n), 'x');
      await age(join(d, n), 11);
    }
    // another run is writing this one right now: fresh, so it stays (and is still written to afterwards)
    const fresh = 'A-1-CLM.tiff.fedcba987654.tmp';
    await writeFile(join(d, fresh), 'being written');
    // 9 minutes idle: not yet stale
    const young = 'A-1-SCL.tiff.aaaaaaaaaaaa.tmp';
    await writeFile(join(d, young), 'y');
    await age(join(d, young), 9);
    // a link and a folder named like stale temps are not temps: never removed, never followed
    const target = join(dir, 'elsewhere.txt');
    await writeFile(target, 'not yours');
    await age(target, 60);
    const link = 'A-1-dataMask.tiff.bbbbbbbbbbbb.tmp';
    await symlink(target, join(d, link));
    await age(join(d, link), 60, true);
    const folder = 'A-1-L2A_data.tiff.cccccccccccc.tmp';
    await mkdir(join(d, folder));
    await writeFile(join(d, folder, 'inside'), 'z');
    await age(join(d, folder), 60);

    const removed = await removeStaleTemps(d, owns);
    expect(removed.sort()).toEqual([names[1], names[0]].sort());
    expect((await readdir(d)).sort()).toEqual([...names.slice(2), fresh, young, link, folder].sort());
    expect(await readFile(target, 'utf8')).toBe('not yours');
    expect((await lstat(join(d, link))).isSymbolicLink()).toBe(true);
    expect(await readdir(join(d, folder))).toEqual(['inside']);
    await appendFile(join(d, fresh), ', finished');
    expect(await readFile(join(d, fresh), 'utf8')).toBe('being written, finished');
    expect(await removeStaleTemps(join(dir, 'missing'), () => true)).toEqual([]);
  });

  it('takes the age from olderThanMs (0: every temp the stage owns) and refuses a bad one', async () => {
    const d = join(dir, 'lvl0');
    await mkdir(d);
    await writeFile(join(d, 'A-1.metadata.0123456789ab.tmp'), 'x');
    await writeFile(join(d, 'A-1-SCL.tiff.0123456789ab.tmp'), 'x');
    await age(join(d, 'A-1-SCL.tiff.0123456789ab.tmp'), 2);
    expect(await removeStaleTemps(d, owns, { olderThanMs: 60_000 })).toEqual([
      'A-1-SCL.tiff.0123456789ab.tmp',
    ]);
    expect(await removeStaleTemps(d, owns, { olderThanMs: Number.POSITIVE_INFINITY })).toEqual([]);
    expect(await removeStaleTemps(d, owns, { olderThanMs: 0 })).toEqual(['A-1.metadata.0123456789ab.tmp']);
    expect(await readdir(d)).toEqual([]);
    for (const bad of [-1, Number.NaN, '600000', null])
      await expect(
        removeStaleTemps(d, owns, { olderThanMs: bad as unknown as number }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('olderThanMs') });
    await expect(removeStaleTemps(d, owns, 'old' as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
