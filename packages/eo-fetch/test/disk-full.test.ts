// Writes the disk refuses: a full disk (ENOSPC), a folder in the way, a file where a folder should be. Every
// download path reports them as `WRITE_FAILED` naming the file and saying why in words (not as a retried
// NETWORK_ERROR or an INVALID_RESPONSE), removes its temp file and leaves the file already at the path as it was.
//
// The full disk is real: the kernel's /dev/full answers every write with ENOSPC. The engine's temp file has a
// known name (`<path>.partial`), so a symbolic link to /dev/full is put there. core's atomic writes (the TIFFs
// and sidecars of the STAC path, SentinelHub sidecars) draw a random temp name, so `open` of node:fs/promises is
// wrapped for this file only: for the one temp name a test picks, it first puts that link where the temp file
// goes, then opens as usual. Everything else about the write, the failure and the clean-up is the real code.
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import { type BBox, encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { diskFullCode, writeFailed } from '../src/internal/write-failed.js';
import {
  aoiGrid,
  catalogueEntryFromStacItem,
  type DownloadJob,
  downloadAll,
  downloadSentinelHubRevisits,
  downloadStacRevisits,
  EoFetchError,
  earthSearch,
  lrRevisitPaths,
  type MatchedRevisit,
  matchRevisits,
  readManifest,
  SentinelHubClient,
  writeRevisitLayout,
  writeRevisitMetadata,
} from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';
import { requireTool } from './support/require-tool.js';
import { startShServer } from './support/sentinel-hub-server.js';
import { makeItem, startStacServer } from './support/stac-server.js';

const FULL = '/dev/full';
// the kernel's always-full device: under CI its absence fails the suite instead of skipping these tests
const haveDevFull = requireTool('/dev/full (Linux)', existsSync(FULL));

/**
 * Temp names (full paths) `open` opens /dev/full in place of; with `once`, only the first
 * one opened (whichever job gets there first), after which the match is cleared.
 */
const diskFull = vi.hoisted(() => ({
  match: undefined as RegExp | undefined,
  once: false,
  hits: [] as string[],
  /** Appends and whole-file writes to a path matching this go to /dev/full instead (the manifest's lines, its
   * compaction's temp file). */
  appends: undefined as RegExp | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, ...rest) => {
    if (diskFull.match?.test(String(path))) {
      if (diskFull.once) diskFull.match = undefined;
      diskFull.hits.push(String(path));
      // opened in its place (a link to it there would be refused: the engine never writes through a link)
      return fs.open(FULL, ...rest);
    }
    return fs.open(path, ...rest);
  };
  const appendFile: typeof fs.appendFile = async (path, data, options) =>
    fs.appendFile(diskFull.appends?.test(String(path)) ? FULL : path, data, options);
  const writeFile: typeof fs.writeFile = async (path, data, options) =>
    fs.writeFile(diskFull.appends?.test(String(path)) ? FULL : path, data, options);
  return { ...fs, open, appendFile, writeFile, default: { ...fs, open, appendFile, writeFile } };
});

let server: FaultServer;
let dir: string;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-disk-'));
  server.hits.clear();
  server.scripts.clear();
  diskFull.match = undefined;
  diskFull.once = false;
  diskFull.hits = [];
  diskFull.appends = undefined;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every message, cause message and stack of an error chain. */
function chainText(err: unknown): string {
  const out: string[] = [];
  for (let e = err as Error | undefined, i = 0; e && i < 10; e = e.cause as Error | undefined, i++)
    out.push(e.message, String(e.stack));
  return out.join('\n');
}

/** lstat or null: a dangling link still counts as there. */
const present = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe('download engine', () => {
  for (const [how, bufferBytes] of [
    ['held in memory, written after the transfer', undefined],
    ['streamed to the partial file', 0],
  ] as const)
    it.runIf(haveDevFull)(
      `a full disk fails the file at once as WRITE_FAILED naming it, removes the partial and keeps the verified file (${how})`,
      async () => {
        const name = 'full-20000';
        const path = join(dir, 'out', name);
        // credentials in the URL (userinfo, a signed query) must not reach the error
        const url = new URL(`${server.url}/f/${name}?sig=tok3n-secret`);
        url.username = 'user';
        url.password = 'pa55word';
        const job: DownloadJob = { url: url.href, path, itemId: name };
        // a copy verified by an earlier run
        await mkdir(join(dir, 'out'));
        const before = Buffer.from('the copy an earlier run verified');
        await writeFile(path, before);
        const manifestPath = join(dir, 'manifest.jsonl');
        await writeFile(
          manifestPath,
          `${JSON.stringify({ path: name, base: 'root', url: 'x', bytes: 1, sha256: sha256(before), status: 'verified' })}\n`,
        );
        // the disk is full: every write of the partial file gets ENOSPC from the kernel
        const partial = `${path}.partial`;
        diskFull.match = /full-20000\.partial$/;

        const report = await downloadAll([job], {
          manifestPath,
          manifestRoot: dir,
          bufferBytes,
          retries: 3,
          baseDelayMs: 1,
          secrets: ['pa55word'],
        });
        expect(report.failed).toHaveLength(1);
        const err = report.failed[0].error;
        expect(err).toBeInstanceOf(EoFetchError);
        expect(err.code).toBe('WRITE_FAILED');
        expect(err.message).toMatch(
          new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write: `),
        );
        expect(err.message).toContain('the disk is full (ENOSPC');
        expect(err.message).toContain('free some space and run again');
        expect(err.message).toContain(`the partial download ${partial} was removed`);
        expect(err.message).toContain(`the file already at ${path}, if any, is unchanged`);
        expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
        const text = chainText(err);
        expect(text).not.toContain('pa55word');
        expect(text).not.toContain('tok3n');
        // not retried: another attempt would only fill the same disk
        expect(server.hits.get(`/f/${name}`)).toBe(1);
        expect(report.retries).toBe(0);
        // no partial left, /dev/full itself untouched, the verified copy as it was
        diskFull.match = undefined;
        expect(await present(partial)).toBe(false);
        expect((await lstat(FULL)).isCharacterDevice()).toBe(true);
        expect(await readFile(path)).toEqual(before);
        const rec = (await readManifest(manifestPath, { root: dir })).get(path);
        expect(rec).toMatchObject({ status: 'failed', error: { code: 'WRITE_FAILED' } });
        expect(JSON.stringify(rec)).not.toContain('pa55word');
        expect(JSON.stringify(rec)).not.toContain('tok3n');

        // once there is space again, the next run fetches it
        const again = await downloadAll([job], { manifestPath, manifestRoot: dir, bufferBytes });
        expect(again.failed).toEqual([]);
        expect(sha256(await readFile(path))).toBe(sha256(contentFor(`/f/${name}`)));
      },
    );

  /** A batch of five jobs after one an earlier run verified, and the manifest saying so. */
  async function batchWithVerifiedFile() {
    const out = join(dir, 'out');
    await mkdir(out);
    const manifestPath = join(dir, 'manifest.jsonl');
    const keptName = 'kept-700';
    const kept = join(out, keptName);
    const keptBytes = contentFor(`/f/${keptName}`);
    await writeFile(kept, keptBytes);
    await writeFile(
      manifestPath,
      `${JSON.stringify({ path: `out/${keptName}`, base: 'root', url: 'x', bytes: keptBytes.length, sha256: sha256(keptBytes), status: 'verified' })}\n`,
    );
    const names = [1, 2, 3, 4, 5].map((i) => `batch${i}-${3000 + i}`);
    const jobs: DownloadJob[] = [keptName, ...names].map((n) => ({
      url: `${server.url}/f/${n}`,
      path: join(out, n),
      itemId: n,
    }));
    return { out, manifestPath, kept, keptName, keptBytes, keptStat: await stat(kept), names, jobs };
  }
  const notStarted = (path: string, first: string) =>
    `${path}: not started: the disk is full, see ${first} (ENOSPC); free some space and run again`;
  const requestsSent = () => [...server.hits.values()].reduce((a, b) => a + b, 0);

  it.runIf(haveDevFull)(
    'once a write finds the disk full, the jobs of the batch not yet sent fail at once, sending nothing; a re-run completes them, the verified file untouched',
    async () => {
      const b = await batchWithVerifiedFile();
      // the disk fills up at the first partial file written, whichever job gets there first
      diskFull.match = /\.partial$/;
      diskFull.once = true;
      const opts = {
        manifestPath: b.manifestPath,
        manifestRoot: dir,
        concurrency: 1,
        bufferBytes: 0,
        baseDelayMs: 1,
      };
      const report = await downloadAll(b.jobs, opts);
      expect(diskFull.hits).toHaveLength(1);
      const first = diskFull.hits[0].slice(0, -'.partial'.length);
      expect(report).toMatchObject({ skipped: 1, downloaded: 0, retries: 0 });
      expect(report.failed).toHaveLength(5);
      // one request: the one whose write found the disk full; nothing was sent for the four after it
      expect(report.requests).toBe(1);
      expect(requestsSent()).toBe(1);
      expect(server.hits.get(`/f/${basename(first)}`)).toBe(1);
      for (const { job, error } of report.failed) {
        expect(error).toBeInstanceOf(EoFetchError);
        expect(error.code).toBe('WRITE_FAILED');
        if (job.path === first)
          expect(error.message).toContain(`${first}: cannot write: the disk is full (ENOSPC`);
        else expect(error.message).toBe(notStarted(job.path, first));
        expect(await present(`${job.path}.partial`)).toBe(false);
        expect(await present(job.path)).toBe(false);
      }
      // recorded as failed like any other failure, so the next run redoes them
      const manifest = await readManifest(b.manifestPath, { root: dir });
      for (const n of b.names)
        expect(manifest.get(join(b.out, n))).toMatchObject({
          status: 'failed',
          error: { code: 'WRITE_FAILED' },
        });
      expect(manifest.get(b.kept)).toMatchObject({ status: 'verified' });

      // space again: the next run sends the five, skips the verified file and completes
      server.hits.clear();
      const again = await downloadAll(b.jobs, opts);
      expect(again.failed).toEqual([]);
      expect(again).toMatchObject({ downloaded: 5, skipped: 1, requests: 5 });
      for (const n of b.names) {
        expect(server.hits.get(`/f/${n}`)).toBe(1);
        expect(sha256(await readFile(join(b.out, n)))).toBe(sha256(contentFor(`/f/${n}`)));
      }
      expect(server.hits.has(`/f/${b.keptName}`)).toBe(false);
      expect(await readFile(b.kept)).toEqual(b.keptBytes);
      const keptNow = await stat(b.kept);
      expect([keptNow.ino, keptNow.mtimeMs]).toEqual([b.keptStat.ino, b.keptStat.mtimeMs]);
      const after = await readManifest(b.manifestPath, { root: dir });
      for (const j of b.jobs) expect(after.get(j.path)?.status).toBe('verified');
    },
  );

  it.runIf(haveDevFull)(
    'with two in flight, the other one finishes; only the jobs not yet sent fail as not started',
    async () => {
      const b = await batchWithVerifiedFile();
      diskFull.match = /\.partial$/;
      diskFull.once = true;
      const report = await downloadAll(b.jobs, {
        manifestPath: b.manifestPath,
        manifestRoot: dir,
        concurrency: 2,
        bufferBytes: 0,
        baseDelayMs: 1,
      });
      const first = diskFull.hits[0]!.slice(0, -'.partial'.length);
      // the full disk's file and the jobs already sent before its write failed; usually only the one other job
      // in flight, but on a loaded machine that one can finish (and the next start) before the failing write
      // returns: what holds is that the batch stops, and every job not sent fails as not started (below)
      expect(report.requests).toBeGreaterThanOrEqual(1);
      expect(report.requests).toBeLessThan(5);
      expect(requestsSent()).toBe(report.requests);
      const failedPaths = new Set(report.failed.map((f) => f.job.path));
      expect(report.downloaded + report.failed.length).toBe(5);
      // the one in flight beside it finished: downloaded, not failed
      expect(report.downloaded).toBe(report.requests - 1);
      expect(report.failed.filter(({ job }) => job.path !== first).length).toBe(5 - report.requests);
      for (const { job, error } of report.failed) {
        expect(error.code).toBe('WRITE_FAILED');
        if (job.path !== first) {
          expect(error.message).toBe(notStarted(job.path, first));
          expect(server.hits.has(`/f/${basename(job.path)}`)).toBe(false);
        }
      }
      for (const n of b.names)
        if (!failedPaths.has(join(b.out, n)))
          expect(sha256(await readFile(join(b.out, n)))).toBe(sha256(contentFor(`/f/${n}`)));
      expect(await readFile(b.kept)).toEqual(b.keptBytes);
    },
  );

  it.runIf(haveDevFull)(
    'a manifest the full disk refuses: the report still comes back, the verified file stays, unrecorded, and a resume records it',
    async () => {
      const b = await batchWithVerifiedFile();
      // the manifest's appends, and the temp file of its compaction at the end of the run
      diskFull.appends = /manifest\.jsonl(\.\d+-\d+\.tmp)?$/;
      const opts = { manifestPath: b.manifestPath, manifestRoot: dir, concurrency: 1, baseDelayMs: 1 };
      const report = await downloadAll(b.jobs, opts);
      // before, the manifest's WRITE_FAILED rejected the whole run and its report was lost
      expect(report).toMatchObject({ skipped: 1, downloaded: 0 });
      expect(report.failed).toHaveLength(5);
      // the jobs whose transfer ended before the first refused line are downloaded but not recorded; a full disk
      // found at the manifest stops the batch like one found by a download, so the rest are not started
      const recorded = /^(.*): downloaded and verified, but not recorded \(could not append to the manifest /;
      const notRecorded = report.failed.filter(({ error }) => recorded.test(error.message));
      expect(notRecorded.length).toBeGreaterThanOrEqual(1);
      expect(report.requests).toBe(notRecorded.length);
      const first = notRecorded[0]!.job.path;
      for (const { job, error } of report.failed) {
        expect(error.code).toBe('WRITE_FAILED');
        if (recorded.test(error.message)) {
          expect(recorded.exec(error.message)?.[1]).toBe(job.path);
          expect(error.message).toContain('ENOSPC');
          expect(error.message).toMatch(/a resume downloads it again$/);
          // the downloaded file is whole and stays
          expect(sha256(await readFile(job.path))).toBe(sha256(contentFor(`/f/${basename(job.path)}`)));
        } else {
          expect(error.message).toBe(notStarted(job.path, first));
          expect(server.hits.has(`/f/${basename(job.path)}`)).toBe(false);
          expect(await present(job.path)).toBe(false);
        }
      }
      // the manifest is as it was (its one verified line), and its compaction left no temp file
      expect((await readFile(b.manifestPath, 'utf8')).trim().split('\n')).toHaveLength(1);
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

      diskFull.appends = undefined;
      server.hits.clear();
      const again = await downloadAll(b.jobs, opts);
      expect(again.failed).toEqual([]);
      expect(again).toMatchObject({ downloaded: 5, skipped: 1 });
      const after = await readManifest(b.manifestPath, { root: dir });
      for (const j of b.jobs) expect(after.get(j.path)?.status).toBe('verified');
    },
  );

  it.runIf(haveDevFull)(
    'a verified file re-hashed on resume is skipped even when the disk refuses its fresh fingerprint line',
    async () => {
      const b = await batchWithVerifiedFile();
      // touched: its stat no longer matches the record, so it is hashed again and a fresh fingerprint recorded
      const { utimes } = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      await utimes(b.kept, new Date(), new Date(Date.now() - 60_000));
      diskFull.appends = /manifest\.jsonl(\.\d+-\d+\.tmp)?$/;
      const before = await readFile(b.manifestPath, 'utf8');
      const report = await downloadAll([b.jobs[0]!], {
        manifestPath: b.manifestPath,
        manifestRoot: dir,
        verifyExisting: 'sha256',
      });
      expect(report).toMatchObject({ skipped: 1, downloaded: 0, failed: [], requests: 0 });
      expect(await readFile(b.manifestPath, 'utf8')).toBe(before);
      expect(await readFile(b.kept)).toEqual(b.keptBytes);
    },
  );

  it('a folder in the way of the finished file fails at the rename as WRITE_FAILED; the folder stays', async () => {
    const name = 'blocked-3000';
    const path = join(dir, 'out', name);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'keep.txt'), 'mine');
    const report = await downloadAll([{ url: `${server.url}/f/${name}`, path }], { baseDelayMs: 1 });
    const err = report.failed[0]?.error;
    expect(err?.code).toBe('WRITE_FAILED');
    expect(err?.message).toContain(`${path}: cannot write: a folder is in the way of the file (EISDIR`);
    expect(err?.message).toContain('was removed');
    expect(server.hits.get(`/f/${name}`)).toBe(1);
    expect(await present(`${path}.partial`)).toBe(false);
    expect(await readdir(path)).toEqual(['keep.txt']);
  });

  it('a file where the destination folder should be is WRITE_FAILED before any request is sent', async () => {
    await writeFile(join(dir, 'out'), 'a file, not a folder');
    const path = join(dir, 'out', 'sub', 'x-100');
    const report = await downloadAll([{ url: `${server.url}/f/x-100`, path }]);
    const err = report.failed[0]?.error;
    expect(err?.code).toBe('WRITE_FAILED');
    expect(err?.message).toContain(
      `${path}: cannot write: a part of the path is a file, not a folder (ENOTDIR`,
    );
    expect(server.hits.size).toBe(0);
    expect(await readFile(join(dir, 'out'), 'utf8')).toBe('a file, not a folder');
  });

  it('a write refused for one path only (ENOTDIR) does not stop the batch: the other jobs are sent and written', async () => {
    await writeFile(join(dir, 'out'), 'a file, not a folder');
    const blocked = join(dir, 'out', 'sub', 'x-100');
    const fine = [1, 2].map((i) => join(dir, 'ok', `y${i}-200`));
    const report = await downloadAll(
      [blocked, ...fine].map((path) => ({ url: `${server.url}/f/${basename(path)}`, path })),
      { concurrency: 1 },
    );
    expect(report.failed.map((f) => [f.job.path, f.error.code])).toEqual([[blocked, 'WRITE_FAILED']]);
    expect(report.downloaded).toBe(2);
    for (const path of fine) expect(server.hits.get(`/f/${basename(path)}`)).toBe(1);
  });
});

describe('release layout writes (STAC revisits, SentinelHub sidecars)', () => {
  const bounds = aoiBounds(8.54, 47.37, 2.5) as BBox;
  const aoi = { name: 'Landcover-7', bounds, areaKm2: 2.5 };
  const revisit: MatchedRevisit = {
    aoi: aoi.name,
    n: 1,
    entry: {
      id: 'S2A_OLD',
      source: 'Sentinel2',
      datetime: '2022-06-10T10:30:00.000Z',
      cloudCover: 3,
      geometry: { type: 'Polygon', coordinates: [] },
    },
    deltaDays: 0,
    rank: 1,
    areaKm2: 2.5,
    coverage: 1,
    targetDate: '2022-06-10',
  };
  const grid = aoiGrid(bounds);
  const geo = { epsg: 4326, transform: grid.transform };
  const layout = (value: number, id: string) => ({
    level: 'L2A' as const,
    data: {
      width: grid.width,
      height: grid.height,
      dtype: 'float32' as const,
      bands: [new Float32Array(grid.width * grid.height).fill(value)],
      noData: 0,
      geo,
    },
    layers: {
      dataMask: {
        width: grid.width,
        height: grid.height,
        dtype: 'uint8' as const,
        bands: [new Uint8Array(grid.width * grid.height).fill(value > 0 ? 1 : 0)],
        geo,
      },
    },
    metadata: { item_id: id },
  });
  const p = lrRevisitPaths(aoi.name, 1, 'L2A');
  const temps = async (levelDir: string) => (await readdir(levelDir)).filter((f) => f.endsWith('.tmp'));

  it.runIf(haveDevFull)(
    'writeRevisitLayout: a full disk is WRITE_FAILED naming the file; its temp is removed, the file already there unchanged',
    async () => {
      await writeRevisitLayout(dir, aoi, revisit, layout(0.5, 'S2A_OLD'));
      const levelDir = join(dir, p.dir);
      const oldMask = await readFile(join(dir, p.layer('dataMask')));
      const oldMeta = await readFile(join(dir, p.metadata), 'utf8');
      // the disk fills up while the dataMask layer is written
      diskFull.match = /-dataMask\.tiff\.[0-9a-f]{12}\.tmp$/;
      const err = await writeRevisitLayout(dir, aoi, revisit, layout(0, 'S2B_NEW')).catch((e: unknown) => e);
      expect(diskFull.hits).toHaveLength(1);
      expect(err).toBeInstanceOf(EoFetchError);
      const e = err as EoFetchError;
      expect(e.code).toBe('WRITE_FAILED');
      expect(e.message).toContain(
        `${join(dir, p.layer('dataMask'))}: cannot write: the disk is full (ENOSPC`,
      );
      expect(e.message).toContain(
        'its temp file was removed and the file already at this path, if any, is unchanged',
      );
      expect(await temps(levelDir)).toEqual([]);
      expect(await readFile(join(dir, p.layer('dataMask')))).toEqual(oldMask);
      // the sidecar (written last, it marks a complete revisit) still describes the old revisit
      expect(await readFile(join(dir, p.metadata), 'utf8')).toBe(oldMeta);
    },
  );

  it.runIf(haveDevFull)(
    'writeRevisitMetadata (SentinelHub path): a full disk is WRITE_FAILED naming the sidecar, which stays as it was',
    async () => {
      const path = await writeRevisitMetadata(dir, aoi, revisit, 'L2A');
      const old = await readFile(path, 'utf8');
      diskFull.match = /\.metadata\.[0-9a-f]{12}\.tmp$/;
      const err = await writeRevisitMetadata(dir, aoi, { ...revisit, deltaDays: 3 }, 'L2A').catch(
        (e: unknown) => e,
      );
      expect(diskFull.hits).toHaveLength(1);
      expect(err).toBeInstanceOf(EoFetchError);
      expect(err).toMatchObject({ code: 'WRITE_FAILED' });
      expect((err as Error).message).toContain(`${path}: cannot write: the disk is full (ENOSPC`);
      expect(await temps(join(dir, p.dir))).toEqual([]);
      expect(await readFile(path, 'utf8')).toBe(old);
    },
  );

  /** A B04 COG in UTM 32N around the AOI (10 m, a constant DN). */
  function b04Cog(): Uint8Array {
    const [[cx, cy]] = transformCoords(4326, 32632, [
      [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2],
    ]);
    const size = 804;
    const x0 = Math.floor(cx - 4020);
    const y0 = Math.ceil(cy + 4020);
    return encodeGeoTiff(
      {
        width: size,
        height: size,
        dtype: 'uint16',
        bands: [new Uint16Array(size * size).fill(1500)],
        noData: 0,
        geo: { epsg: 32632, transform: [x0, 10, 0, y0, 0, -10] },
      },
      { cog: true, tileSize: 256, compression: 'none' },
    );
  }

  it.runIf(haveDevFull)(
    'downloadStacRevisits: once a write finds the disk full, revisits not yet started fail at once reading nothing; a re-run completes them',
    async () => {
      const stac = await startStacServer([]);
      try {
        const cog = b04Cog();
        const ids = ['S2_DONE', 'S2_R1', 'S2_R2', 'S2_R3', 'S2_R4'];
        const items = ids.map((id, i) => {
          stac.files.set(`/data/${id}/B04.tif`, cog);
          return makeItem(
            id,
            `2022-06-${String(10 + i).padStart(2, '0')}T10:30:00Z`,
            i,
            [bounds[0] - 0.05, bounds[1] - 0.05, bounds[2] + 0.05, bounds[3] + 0.05],
            {
              properties: { 's2:processing_baseline': '05.09' },
              assets: {
                [earthSearch.assetKeys.B04!]: { href: `${stac.url}/data/${id}/B04.tif`, type: 'image/tiff' },
              },
            },
          );
        });
        const match = matchRevisits(
          [aoi],
          items.map((i) => catalogueEntryFromStacItem(i)),
          { targetDate: '2022-06-10' },
        );
        expect(match.revisits).toHaveLength(5);
        const manifestPath = join(dir, 'lr-manifest.jsonl');
        const opts = {
          root: dir,
          provider: earthSearch,
          bands: ['B04' as const],
          manifestPath,
          concurrency: 1,
        };
        const fileRequests = (id: string) =>
          stac.requests.filter((r) => r.url.startsWith(`/data/${id}/`)).length;
        const done = match.revisits.filter((r) => r.entry.id === 'S2_DONE');
        // an earlier run verified one revisit
        expect((await downloadStacRevisits([aoi], done, opts)).failed).toEqual([]);
        const doneDir = join(dir, lrRevisitPaths(aoi.name, done[0].n, 'L2A').dir);
        const doneFiles = (await readdir(doneDir)).filter((f) => f.startsWith(`${aoi.name}-${done[0].n}`));
        const before = new Map<string, [string, number]>();
        for (const f of doneFiles) {
          const path = join(doneDir, f);
          before.set(f, [sha256(await readFile(path)), (await stat(path)).mtimeMs]);
        }

        // the disk fills up at the first TIFF of the run: one revisit at a time, the others not started
        stac.requests.length = 0;
        diskFull.match = /\.tiff\.[0-9a-f]{12}\.tmp$/;
        diskFull.once = true;
        const report = await downloadStacRevisits([aoi], match.revisits, opts);
        expect(diskFull.hits).toHaveLength(1);
        const first = diskFull.hits[0]!.replace(/\.[0-9a-f]{12}\.tmp$/, '');
        expect(report.results.map((r) => [r.n, r.skipped])).toEqual([[done[0].n, true]]);
        expect(report.failed).toHaveLength(4);
        const firstFailure = report.failed.filter((f) => !f.error.message.includes('not started'));
        expect(firstFailure).toHaveLength(1);
        expect(firstFailure[0].error.code).toBe('WRITE_FAILED');
        expect(firstFailure[0].error.message).toContain(`${first}: cannot write: the disk is full (ENOSPC`);
        for (const f of report.failed) {
          expect(f.error.code).toBe('WRITE_FAILED');
          if (f === firstFailure[0]) expect(fileRequests(f.itemId)).toBeGreaterThan(0);
          else {
            const levelDir = join(dir, lrRevisitPaths(aoi.name, f.n, 'L2A').dir);
            expect(f.error.message).toBe(
              `revisit ${aoi.name}-${f.n} (${levelDir}): not started: the disk is full, see ${first} (ENOSPC); free some space and run again`,
            );
            // nothing read for it: no request to its COG
            expect(fileRequests(f.itemId)).toBe(0);
          }
        }
        expect(fileRequests('S2_DONE')).toBe(0);

        // space again: the re-run redoes the four and skips the verified one
        stac.requests.length = 0;
        const again = await downloadStacRevisits([aoi], match.revisits, opts);
        expect(again.failed).toEqual([]);
        expect(again.results.map((r) => r.skipped).sort()).toEqual([false, false, false, false, true]);
        for (const id of ids.slice(1)) expect(fileRequests(id)).toBeGreaterThan(0);
        expect(fileRequests('S2_DONE')).toBe(0);
        for (const [f, [hash, mtime]] of before) {
          const path = join(doneDir, f);
          expect([sha256(await readFile(path)), (await stat(path)).mtimeMs]).toEqual([hash, mtime]);
        }
        expect((await readdir(doneDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      } finally {
        await stac.close();
      }
    },
  );

  it.runIf(haveDevFull)(
    'downloadSentinelHubRevisits: a sidecar the disk refuses fails its revisit in the report, the other revisits complete; a re-run writes it',
    async () => {
      const sh = await startShServer();
      try {
        const shAoi = { name: 'UNHCR-RWA001', bounds: aoiBounds(30.1, -1.95, 2.5) as BBox, areaKm2: 2.5 };
        const entries = [0, 1, 2].map((i) => ({
          id: `S2_${i}`,
          source: 'Sentinel2',
          datetime: `2021-03-1${i}T08:30:00.000Z`,
          cloudCover: i,
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
        }));
        const match = matchRevisits([shAoi], entries, { targetDate: '2021-03-10' });
        expect(match.revisits).toHaveLength(3);
        const client = new SentinelHubClient(
          { clientId: sh.clientId, clientSecret: sh.clientSecret },
          { baseUrl: sh.url },
        );
        const root = join(dir, 'sh');
        const opts = {
          root,
          levels: ['L2A' as const],
          layers: ['dataMask' as const],
          manifestPath: join(root, 'manifest.jsonl'),
          concurrency: 1,
        };
        const meta = (n: number) => join(root, lrRevisitPaths(shAoi.name, n, 'L2A').metadata);
        // the disk fills up at revisit 2's sidecar (written after every TIFF)
        diskFull.match = new RegExp(`${shAoi.name}-2\\.metadata\\.[0-9a-f]{12}\\.tmp$`);
        const report = await downloadSentinelHubRevisits(client, [shAoi], match.revisits, opts);
        expect(diskFull.hits).toHaveLength(1);
        expect(report.downloaded).toBe(6);
        expect(report.failed).toHaveLength(1);
        const [f] = report.failed;
        expect(f.job).toMatchObject({ path: meta(2), aoi: shAoi.name, revisit: 2 });
        expect(f.job.itemId).toBe(match.revisits.find((r) => r.n === 2)!.entry.id);
        expect(f.error).toBeInstanceOf(EoFetchError);
        expect(f.error.code).toBe('WRITE_FAILED');
        expect(f.error.message).toContain(`${meta(2)}: cannot write: the disk is full (ENOSPC`);
        // the revisits before and after it are complete; its temp is gone, no sidecar claims it complete
        expect(await present(meta(1))).toBe(true);
        expect(await present(meta(3))).toBe(true);
        expect(await present(meta(2))).toBe(false);
        expect(await temps(join(root, lrRevisitPaths(shAoi.name, 2, 'L2A').dir))).toEqual([]);
        const meta1 = await readFile(meta(1), 'utf8');

        // space again: the re-run skips every verified TIFF and writes the missing sidecar
        diskFull.match = undefined;
        sh.requests.length = 0;
        const again = await downloadSentinelHubRevisits(client, [shAoi], match.revisits, opts);
        expect(again.failed).toEqual([]);
        expect(again.skipped).toBe(6);
        expect(sh.requests.filter((r) => r.path === '/api/v1/process')).toHaveLength(0);
        expect(JSON.parse(await readFile(meta(2), 'utf8'))).toMatchObject({ item_id: f.job.itemId });
        expect(await readFile(meta(1), 'utf8')).toBe(meta1);

        // a re-match: revisit 1 is another acquisition, fetched again; when its sidecar cannot be written, the
        // old one (naming the acquisition whose pixels were just replaced) is removed, never left to describe them
        const first = match.revisits.find((r) => r.n === 1)!;
        const rematched = {
          ...first,
          entry: { ...first.entry, id: 'S2_9', datetime: '2021-03-19T08:30:00.000Z' },
        };
        diskFull.match = new RegExp(`${shAoi.name}-1\\.metadata\\.[0-9a-f]{12}\\.tmp$`);
        const moved = await downloadSentinelHubRevisits(client, [shAoi], [rematched], opts);
        expect(moved.downloaded).toBe(2);
        expect(moved.failed.map((x) => [x.job.path, x.error.code])).toEqual([[meta(1), 'WRITE_FAILED']]);
        expect(await present(meta(1))).toBe(false);
        diskFull.match = undefined;
        const fixed = await downloadSentinelHubRevisits(client, [shAoi], [rematched], opts);
        expect({ failed: fixed.failed, skipped: fixed.skipped }).toEqual({ failed: [], skipped: 2 });
        expect(JSON.parse(await readFile(meta(1), 'utf8'))).toMatchObject({ item_id: 'S2_9' });
      } finally {
        await sh.close();
      }
    },
  );
});

describe('writeFailed wording', () => {
  const sys = (code: string, message: string) => Object.assign(new Error(message), { code });
  it.each([
    ['EDQUOT', 'the disk quota is used up'],
    ['EROFS', 'the file system is read-only'],
    ['EACCES', 'the folder is not writable'],
    ['EPERM', 'the folder is not writable'],
    ['ENOSPC', 'the disk is full'],
  ])('%s: names the file and says %s', (code, words) => {
    const e = writeFailed('/data/x.tif', sys(code, `${code}: failed, open '/data/x.tif.partial'`));
    expect(e).toMatchObject({ code: 'WRITE_FAILED' });
    expect(e.message).toMatch(new RegExp(`^/data/x\\.tif: cannot write: ${words} \\(${code}: `));
  });

  it('diskFullCode: only a full disk or quota (ENOSPC, EDQUOT, behind wrappers too) stops a batch', () => {
    expect(diskFullCode(sys('ENOSPC', 'x'))).toBe('ENOSPC');
    expect(diskFullCode(writeFailed('/q', sys('EDQUOT', 'x')))).toBe('EDQUOT');
    for (const code of ['EROFS', 'EACCES', 'ENOTDIR', 'EISDIR', 'EIO'])
      expect(diskFullCode(writeFailed('/q', sys(code, 'x')))).toBeUndefined();
    expect(diskFullCode(new EoFetchError('NETWORK_ERROR', 'reset'))).toBeUndefined();
  });

  it('finds the system error behind a wrapper, redacts URLs, and keeps the words of an error without one', () => {
    const wrapped = Object.assign(new Error('/x: write failed'), {
      code: 'WRITE_FAILED',
      cause: sys('ENOSPC', 'ENOSPC: no space left on device, write https://u:pw@h.example/a?token=t0k'),
    });
    const e = writeFailed('/x', wrapped);
    expect(e.message).toContain('the disk is full');
    expect(e.message).not.toContain('pw');
    expect(e.message).not.toContain('t0k');
    expect(e.cause).toBe(wrapped);
    expect(writeFailed('/y', new Error('over 4 GiB')).message).toBe('/y: cannot write: over 4 GiB');
    const own = new EoFetchError('ABORTED', 'stop');
    expect(writeFailed('/z', own)).toBe(own);
  });
});
