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
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFailed } from '../src/internal/write-failed.js';
import {
  aoiGrid,
  type DownloadJob,
  downloadAll,
  EoFetchError,
  lrRevisitPaths,
  type MatchedRevisit,
  readManifest,
  writeRevisitLayout,
  writeRevisitMetadata,
} from '../src/node.js';
import { contentFor, type FaultServer, sha256, startFaultServer } from './support/fault-server.js';

const FULL = '/dev/full';
const haveDevFull = existsSync(FULL);

/** Temp names (full paths) `open` turns into a link to /dev/full before opening them. */
const diskFull = vi.hoisted(() => ({ match: undefined as RegExp | undefined, hits: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (path, ...rest) => {
    if (diskFull.match?.test(String(path))) {
      diskFull.hits.push(String(path));
      await fs.symlink(FULL, path);
    }
    return fs.open(path, ...rest);
  };
  return { ...fs, open, default: { ...fs, open } };
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
  diskFull.hits = [];
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
        const { symlink } = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
        await symlink(FULL, partial);

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
        // the partial (here the link) is gone, /dev/full itself untouched, the verified copy as it was
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
