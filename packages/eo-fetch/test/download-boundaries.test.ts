// The download engine's own files and hooks under misuse: a job writing the manifest, an onProgress that throws,
// FIFOs at the partial and lock names, and listed secrets inside a URL's path (the manifest's url field).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadJob, downloadAll, EoFetchError, PARTIAL_SUFFIX, readManifest } from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';

let server: FaultServer;
let dir: string;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-bounds-'));
  server.hits.clear();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const job = (name: string, extra: Partial<DownloadJob> = {}): DownloadJob => ({
  url: `${server.url}/f/${name}`,
  path: join(dir, 'out', name),
  itemId: name,
  ...extra,
});
const fast = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

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
