// kill -9 a child process in the middle of a download, run again: nothing verified is fetched twice and no
// partial file survives.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { downloadAll, PARTIAL_SUFFIX, readManifest } from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';

/** A partial file's lock (`<path>.partial.lock`). */
const PARTIAL_LOCK = `${PARTIAL_SUFFIX}.lock`;

let server: FaultServer;
let dir: string;
let childJs: string;
beforeAll(async () => {
  server = await startFaultServer(0, 50); // every body trickles in 8 chunks 50 ms apart (~400 ms per file)
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-kill-'));
  childJs = join(dir, 'child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./support/kill-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childJs,
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const files = async () =>
  (await readdir(join(dir, 'out'), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

/** Partial files with bytes in them (one just created is empty, and rightly fetched from the start again). */
async function nonEmptyPartials(): Promise<string[]> {
  if (!existsSync(join(dir, 'out'))) return [];
  const partials = (await files()).filter((f) => f.endsWith(PARTIAL_SUFFIX));
  const sizes = await Promise.all(
    partials.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return partials.filter((_, i) => (sizes[i] as number) > 0);
}

/** Resolves once every thread of `pid` is stopped (Linux /proc; elsewhere after a short wait). */
async function allThreadsStopped(pid: number): Promise<void> {
  if (!existsSync('/proc/self/task')) return void (await new Promise((r) => setTimeout(r, 100)));
  const state = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 1))) {
    // a process or thread that has ended counts as stopped
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    const states = await Promise.all(
      tasks.map((t) => readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').then(state, () => 'X')),
    );
    if (states.every((s) => 'TtZX'.includes(s))) return;
    if (Date.now() - t0 > 10_000) throw new Error(`process ${pid} did not stop: ${states.join('')}`);
  }
}

it('survives SIGKILL mid-run: verified files are not re-downloaded, partial files never survive', async () => {
  const manifestPath = join(dir, 'manifest.jsonl');
  const jobs = Array.from({ length: 24 }, (_, i) => ({
    url: `${server.url}/f/k${i}-${20_000 + i}`,
    path: join(dir, 'out', `AOI-${i % 3}`, `k${i}.bin`),
    aoi: `AOI-${i % 3}`,
    revisit: i + 1,
  }));
  const child = spawn(process.execPath, [childJs, JSON.stringify(jobs), manifestPath], { stdio: 'pipe' });
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (_code, sig) => r(sig as unknown as number)),
  );
  // kill once some files are verified and others are half-written, and no file is between its record and its
  // lock's release (the last two steps of a job): a lock left there sits beside a verified file the resume skips,
  // so no run of it ever takes that lock over. The state is judged with the child stopped (SIGSTOP), so the kill
  // leaves exactly what was judged: a child running on while this process is off the CPU (a loaded runner) killed
  // in that window before, or after the half-written files were finished.
  const deadline = Date.now() + 20_000;
  let verified = 0;
  let verifiedLocked = 0;
  const atKillPoint = async () => {
    const records = [...(await readManifest(manifestPath)).values()].filter((r) => r.status === 'verified');
    verified = records.length;
    verifiedLocked = records.filter((r) => existsSync(`${r.path}${PARTIAL_LOCK}`)).length;
    return verified >= 4 && verifiedLocked === 0 && (await nonEmptyPartials()).length > 0;
  };
  for (;;) {
    if (await atKillPoint()) {
      child.kill('SIGSTOP');
      // a child that never stops is killed, not left stopped for ever behind a failed test
      await allThreadsStopped(child.pid as number).catch((err: unknown) => {
        child.kill('SIGKILL');
        throw err;
      });
      if (await atKillPoint()) break;
      child.kill('SIGCONT');
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `child never reached the kill point (verified=${verified}, of them still holding a lock: ${verifiedLocked})`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  const before = await readManifest(manifestPath);
  const verifiedBefore = [...before.values()].filter((r) => r.status === 'verified').map((r) => r.path);
  expect(verifiedBefore.length).toBeGreaterThanOrEqual(4);
  expect(verifiedBefore.length).toBeLessThan(jobs.length);
  expect((await files()).some((f) => f.endsWith(PARTIAL_SUFFIX))).toBe(true); // the kill really was mid-body
  // every non-partial file on disk is complete (atomic rename); the killed run's partial files keep their locks
  const locks = (await files()).filter((x) => x.endsWith(PARTIAL_LOCK));
  expect(locks.length).toBeGreaterThan(0);
  for (const f of (await files()).filter((x) => !x.endsWith(PARTIAL_SUFFIX) && !x.endsWith(PARTIAL_LOCK))) {
    const j = jobs.find((x) => x.path === f)!;
    expect(sha256(await readFile(f))).toBe(sha256(contentFor(new URL(j.url).pathname)));
  }

  const hitsBefore = new Map(server.hits);
  const partialsBefore = (await nonEmptyPartials()).map(
    (f) => new URL(jobs.find((j) => `${j.path}${PARTIAL_SUFFIX}` === f)!.url).pathname,
  );
  const report = await downloadAll(jobs, { concurrency: 8, perHost: 8, manifestPath, baseDelayMs: 5 });
  expect(report.failed).toEqual([]);
  expect(report.skipped).toBe(verifiedBefore.length);
  expect(report.downloaded).toBe(jobs.length - verifiedBefore.length);
  for (const p of verifiedBefore) {
    const path = new URL(jobs.find((j) => j.path === p)!.url).pathname;
    expect(server.hits.get(path), `${p} was downloaded again`).toBe(hitsBefore.get(path));
  }
  expect((await files()).filter((f) => f.endsWith(PARTIAL_SUFFIX))).toEqual([]);
  // the dead run's locks were taken over (its pid is gone) and released with the files
  expect((await files()).filter((f) => f.endsWith(PARTIAL_LOCK))).toEqual([]);
  // the half-written files (those with bytes at the kill) were continued with Range requests, not fetched from 0
  expect(partialsBefore.length).toBeGreaterThan(0);
  // (from half the partial's length, at most 64 KiB, before its end: those bytes are compared with the partial's)
  for (const p of partialsBefore) expect(server.headers.get(p)?.range, p).toMatch(/^bytes=\d+-$/);
  const manifest = await readManifest(manifestPath);
  for (const j of jobs) {
    const expected = sha256(contentFor(new URL(j.url).pathname));
    expect(sha256(await readFile(j.path))).toBe(expected);
    expect(manifest.get(j.path)).toMatchObject({ status: 'verified', sha256: expected });
  }
  expect((await readFile(manifestPath, 'utf8')).trim().split('\n')).toHaveLength(jobs.length);
});
