// Two runs downloading the same path at once (two processes, two engines, a second `worldstrat rebuild`): the
// `<path>.partial` belongs to one of them (its `.lock`), the other gets PATH_IN_USE and touches nothing, so no
// run renames or records bytes it did not write. A lock whose run is gone is taken over and the partial resumed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadEngine, PARTIAL_SUFFIX, readManifest } from '../src/node.js';

const SIZE = 2 * 1024 * 1024;
const body = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: Server;
let url: string;
const requests: { path: string; range?: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const range = req.headers.range;
    requests.push({ path, range });
    const start = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
    if (start > 0) {
      res.writeHead(206, {
        'content-range': `bytes ${start}-${SIZE - 1}/${SIZE}`,
        'content-length': SIZE - start,
      });
      return void res.end(body.subarray(start));
    }
    res.writeHead(200, { 'content-length': SIZE });
    if (path !== '/slow.bin') return void res.end(body);
    // 32 chunks 15 ms apart (about half a second): long enough for a second run to start meanwhile
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      const end = Math.min(SIZE, at + SIZE / 32);
      res.write(body.subarray(at, end));
      at = end;
      if (at < SIZE) setTimeout(next, 15);
      else res.end();
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-concurrent-'));
  requests.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const FAST = { baseDelayMs: 5, maxDelayMs: 20, bufferBytes: 0 };
const until = async (cond: () => boolean, ms = 5000) => {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() - t0 > ms) throw new Error('condition never met');
};

describe('two runs downloading the same path', () => {
  it('lets one own the partial file: the other gets PATH_IN_USE, sends nothing and records nothing', async () => {
    const path = join(dir, 'big.bin');
    const job = { url: `${url}/slow.bin`, path };
    const a = new DownloadEngine({ ...FAST, manifestPath: join(dir, 'a.jsonl'), manifestRoot: dir });
    const b = new DownloadEngine({ ...FAST, manifestPath: join(dir, 'b.jsonl'), manifestRoot: dir });
    const runA = a.run([job]);
    // B starts while A is half-way through its partial file (it used to delete it and write its own there)
    await until(() => existsSync(`${path}${PARTIAL_SUFFIX}`));
    const reportB = await b.run([job]);
    const reportA = await runA;
    a.close();
    b.close();

    expect(reportA.failed).toEqual([]);
    expect(reportA.downloaded).toBe(1);
    expect(reportB.downloaded).toBe(0);
    expect(reportB.failed).toHaveLength(1);
    const err = reportB.failed[0].error;
    expect(err.code).toBe('PATH_IN_USE');
    expect(err.message).toBe(
      `${path}: another run is downloading this file (process ${process.pid} on ${JSON.stringify(hostname())}), holding ${path}${PARTIAL_SUFFIX}.lock; nothing was changed. Run again once it is done (a lock whose run was killed is taken over after 10 minutes, at once on the same host)`,
    );
    // only A asked the server; the file on disk is the server's, and A recorded the hash of exactly those bytes
    expect(requests).toEqual([{ path: '/slow.bin', range: undefined }]);
    const onDisk = await readFile(path);
    expect(sha256(onDisk)).toBe(sha256(body));
    expect((await readManifest(join(dir, 'a.jsonl'), { root: dir })).get(path)).toMatchObject({
      status: 'verified',
      bytes: SIZE,
      sha256: sha256(body),
    });
    // B's manifest does not claim the file failed: the record belongs to the run that holds it
    expect((await readManifest(join(dir, 'b.jsonl'), { root: dir })).size).toBe(0);
    expect(existsSync(`${path}${PARTIAL_SUFFIX}`)).toBe(false);
    expect(existsSync(`${path}${PARTIAL_SUFFIX}.lock`)).toBe(false);
  });

  it('never renames a partial file someone else put in its place: the recorded hash is of the bytes on disk', async () => {
    const path = join(dir, 'swapped.bin');
    let swaps = 0;
    const engine = new DownloadEngine({ ...FAST, manifestPath: join(dir, 'm.jsonl'), manifestRoot: dir });
    const report = await engine.run([
      {
        url: `${url}/swapped.bin`,
        path,
        // a writer that ignores the lock replaces the finished partial file with other bytes of the same size
        verify: async (tmp) => {
          if (swaps++ > 0) return;
          await writeFile(`${tmp}.other`, Buffer.alloc(SIZE, 0x55));
          await rename(`${tmp}.other`, tmp);
        },
      },
    ]);
    engine.close();
    expect(report.failed).toEqual([]);
    expect(report.retries).toBe(1);
    expect(sha256(await readFile(path))).toBe(sha256(body));
    expect((await readManifest(join(dir, 'm.jsonl'), { root: dir })).get(path)?.sha256).toBe(sha256(body));
  });

  it('refuses a lock held by a live process on this host or refreshed lately on another, and takes over a dead one', async () => {
    await mkdir(join(dir, 'out'), { recursive: true });
    const partialOf = (name: string) => join(dir, 'out', `${name}${PARTIAL_SUFFIX}`);
    const lockOf = (name: string) => `${partialOf(name)}.lock`;
    // a process that has exited: its pid is free
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(exited.stdout.toString());
    const locks: Record<string, { pid: number; host: string; old?: boolean }> = {
      live: { pid: process.ppid, host: hostname() }, // the test runner's parent: alive
      remote: { pid: 1, host: 'other-host.example' }, // another host, refreshed just now
      dead: { pid: deadPid, host: hostname() }, // killed run on this host
      abandoned: { pid: 1, host: 'other-host.example', old: true }, // another host, not refreshed for an hour
      reused: { pid: process.ppid, host: hostname(), old: true }, // a dead run's pid now someone else's
    };
    for (const [name, owner] of Object.entries(locks)) {
      // what a killed run leaves: half of the file and its lock
      await writeFile(partialOf(name), body.subarray(0, SIZE / 2));
      await writeFile(lockOf(name), JSON.stringify({ ...owner, token: `t-${name}` }));
      if (owner.old) {
        const hourAgo = new Date(Date.now() - 3600_000);
        await utimes(lockOf(name), hourAgo, hourAgo);
      }
    }
    // a lock naming nobody: just created by a live run about to write it, or left empty a minute ago by a run
    // killed (or refused by a full disk) between creating and writing it
    for (const [name, ageMs] of [
      ['creating', 0],
      ['empty', 60_000],
    ] as const) {
      await writeFile(partialOf(name), body.subarray(0, SIZE / 2));
      await writeFile(lockOf(name), '');
      const then = new Date(Date.now() - ageMs);
      await utimes(lockOf(name), then, then);
    }
    const jobs = [...Object.keys(locks), 'creating', 'empty'].map((name) => ({
      url: `${url}/${name}.bin`,
      path: join(dir, 'out', name),
    }));
    const engine = new DownloadEngine(FAST);
    const report = await engine.run(jobs);
    engine.close();

    expect(report.failed.map((f) => [f.job.path.split('/').pop(), f.error.code]).sort()).toEqual([
      ['creating', 'PATH_IN_USE'],
      ['live', 'PATH_IN_USE'],
      ['remote', 'PATH_IN_USE'],
    ]);
    // the refused ones are exactly as their owners left them
    for (const name of ['live', 'remote']) {
      expect((await readFile(partialOf(name))).equals(body.subarray(0, SIZE / 2)), name).toBe(true);
      expect(JSON.parse(await readFile(lockOf(name), 'utf8')).token, name).toBe(`t-${name}`);
      expect(existsSync(join(dir, 'out', name)), name).toBe(false);
    }
    // the stale ones were taken over and their partial files resumed, not fetched again from byte 0
    for (const name of ['dead', 'abandoned', 'reused', 'empty']) {
      expect(sha256(await readFile(join(dir, 'out', name))), name).toBe(sha256(body));
      expect(existsSync(lockOf(name)), name).toBe(false);
      // no version is known of another run's partial: its last 64 KiB are asked for again and compared
      expect(
        requests.filter((r) => r.path === `/${name}.bin`).map((r) => r.range),
        name,
      ).toEqual([`bytes=${SIZE / 2 - 65536}-`]);
    }
    expect(requests.map((r) => r.path).sort()).toEqual([
      '/abandoned.bin',
      '/dead.bin',
      '/empty.bin',
      '/reused.bin',
    ]);
  });

  it('a lock a killed run left beside a file it had verified goes when a later run skips that file; live ones stay', async () => {
    const manifest = { manifestPath: join(dir, 'm.jsonl'), manifestRoot: dir };
    const names = ['dead', 'live', 'remote', 'dry'];
    const jobs = names.map((name) => ({ url: `${url}/${name}.bin`, path: join(dir, 'out', name) }));
    const first = new DownloadEngine({ ...FAST, ...manifest });
    expect((await first.run(jobs)).downloaded).toBe(4);
    first.close();
    // what a run killed between recording each file and releasing its lock leaves: the lock, beside the file
    const lockOf = (name: string) => join(dir, 'out', `${name}${PARTIAL_SUFFIX}.lock`);
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const owners: Record<string, { pid: number; host: string }> = {
      dead: { pid: Number(exited.stdout.toString()), host: hostname() },
      live: { pid: process.ppid, host: hostname() }, // the test runner's parent: alive
      remote: { pid: 1, host: 'other-host.example' }, // another host, refreshed just now
      dry: { pid: Number(exited.stdout.toString()), host: hostname() },
    };
    for (const [name, owner] of Object.entries(owners))
      await writeFile(lockOf(name), JSON.stringify({ ...owner, token: `t-${name}` }));
    requests.length = 0;

    // a dry run touches nothing
    const dry = new DownloadEngine({ ...FAST, ...manifest, dryRun: true });
    expect((await dry.run(jobs)).skipped).toBe(4);
    dry.close();
    for (const name of names) expect(existsSync(lockOf(name)), name).toBe(true);

    const again = new DownloadEngine({ ...FAST, ...manifest });
    const report = await again.run(jobs.filter((j) => !j.path.endsWith('dry')));
    again.close();
    expect([report.skipped, report.downloaded, report.failed.length]).toEqual([3, 0, 0]);
    expect(requests).toEqual([]);
    expect(existsSync(lockOf('dead'))).toBe(false);
    for (const name of ['live', 'remote']) {
      expect(JSON.parse(await readFile(lockOf(name), 'utf8')).token, name).toBe(`t-${name}`);
    }
    // not in this run's jobs: left alone
    expect(existsSync(lockOf('dry'))).toBe(true);
    for (const name of names) expect(sha256(await readFile(join(dir, 'out', name))), name).toBe(sha256(body));
  });

  it("a disk that refuses the lock's bytes leaves no lock behind: the next run goes ahead at once", async () => {
    // a child whose file-size limit is 0 bytes (SIGXFSZ ignored: writes fail with EFBIG, as on a full disk or
    // quota) creates the lock file, then cannot write it; the engine comes from dist, as users get it
    const engineUrl = new URL('../dist/node.js', import.meta.url).href;
    const path = join(dir, 'refused.bin');
    const script = `const { DownloadEngine } = await import(${JSON.stringify(engineUrl)});
      const r = await new DownloadEngine({ retry: { retries: 0 } }).run([{ url: ${JSON.stringify(`${url}/refused.bin`)}, path: ${JSON.stringify(path)} }]);
      process.stdout.write(r.failed.map((f) => f.error.code).join());`;
    const child = spawnSync(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f 0; exec "$0" --input-type=module -e "$1"`, process.execPath, script],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.stdout, child.stderr).toBe('WRITE_FAILED');
    expect(existsSync(`${path}${PARTIAL_SUFFIX}.lock`)).toBe(false);
    const engine = new DownloadEngine(FAST);
    const report = await engine.run([{ url: `${url}/refused.bin`, path }]);
    engine.close();
    expect([report.downloaded, report.failed.length]).toEqual([1, 0]);
    expect(sha256(await readFile(path))).toBe(sha256(body));
  });
});
