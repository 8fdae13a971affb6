import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EoFetchError } from '@worldstrat/eo-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveMemberTarget, extractTarGz } from '../src/archive/extract-tar-gz.node.js';
import { DatasetError, generateSyntheticDataset, scanDataset } from '../src/node.js';
import { downloadRelease, md5File, RELEASE_FILES } from '../src/release/download-release.node.js';
import { tempDir } from './support/fixtures.js';
import { md5, membersOf, type ReleaseServer, startReleaseServer, tarGz } from './support/release-server.js';
import { requireTool } from './support/require-tool.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: ReleaseServer;
let sums: Record<string, string>;
/** Relative path → bytes of the tiny synthetic release we pack, i.e. what an unpack must reproduce. */
const expected = new Map<string, Buffer>();

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.push(
          p
            .slice(root.length + 1)
            .split('\\')
            .join('/'),
        );
    }
  };
  await walk(root);
  return out.sort();
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-release-'));
  const src = join(dir, 'source');
  await generateSyntheticDataset(src, { aois: 2, revisits: 2, hrSize: 60, compression: 'none' });
  server = await startReleaseServer();
  const hr = await membersOf(join(src, 'hr_dataset'), 'hr_dataset/');
  const l2a = await membersOf(join(src, 'lr_dataset'), 'lr_dataset/');
  // the L1C archive stores paths without the top folder (./<AOI>/L1C/…): the unpacker must add lr_dataset/
  const l1c = await membersOf(join(src, 'lr_dataset'), './', (rel) =>
    rel.replace('/L2A/', '/L1C/').replace('L2A_data', 'L1C_data'),
  );
  const archives: Record<string, Uint8Array> = {
    'hr_dataset.tar.gz': await tarGz([{ name: 'hr_dataset/', type: 'directory' }, ...hr]),
    'lr_dataset_l2a.tar.gz': await tarGz(l2a),
    'lr_dataset_l1c.tar.gz': await tarGz(l1c),
    'metadata.csv': await readFile(join(src, 'metadata.csv')),
    'stratified_train_val_test_split.csv': await readFile(join(src, 'stratified_train_val_test_split.csv')),
  };
  for (const m of [...hr, ...l2a]) expected.set(m.name, Buffer.from(m.data!));
  for (const m of l1c) expected.set(`lr_dataset/${m.name.slice(2)}`, Buffer.from(m.data!));
  expected.set('metadata.csv', Buffer.from(archives['metadata.csv']));
  expected.set(
    'stratified_train_val_test_split.csv',
    Buffer.from(archives['stratified_train_val_test_split.csv']),
  );
  sums = {};
  for (const [name, bytes] of Object.entries(archives)) {
    server.files.set(name, bytes);
    sums[name] = md5(bytes);
  }
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('download-release', () => {
  it('knows the published files and their MD5s', () => {
    expect(RELEASE_FILES.map((f) => [f.name, f.md5])).toEqual([
      ['hr_dataset.tar.gz', 'ca7167334006f3c17f9071f14c435335'],
      ['lr_dataset_l1c.tar.gz', 'd2dcafa207b1e1bc6c754607f15e9ed6'],
      ['lr_dataset_l2a.tar.gz', '8cfc6a477cee9e9cd8b20ea27227de65'],
      ['metadata.csv', 'dfeb3348e79b719bf03c230d5d258839'],
      ['stratified_train_val_test_split.csv', '745035835d835280aa0298a9dc1996d1'],
    ]);
  });

  it('downloads, verifies MD5s and unpacks into the layout the dataset reader opens', async () => {
    const root = join(dir, 'full');
    const stages = new Set<string>();
    const res = await downloadRelease(
      { root, baseUrl: server.url, md5: sums },
      { onProgress: (p) => stages.add(p.stage.split(' ')[0]) },
    );
    expect(res.files.map((f) => f.download)).toEqual(Array(5).fill('downloaded'));
    expect([...stages].sort()).toEqual(['download', 'extract']);
    const files = (await listFiles(root)).filter((f) => !f.startsWith('downloads/'));
    expect(files).toEqual([...expected.keys()].sort());
    for (const [rel, bytes] of expected)
      expect(Buffer.compare(await readFile(join(root, rel)), bytes)).toBe(0);
    expect(await md5File(join(root, 'downloads', 'hr_dataset.tar.gz'))).toBe(sums['hr_dataset.tar.gz']);
    const scan = await scanDataset(root, { revisits: 2 });
    expect(scan.scenes.map((s) => s.name)).toEqual(['Synthetic-1', 'Synthetic-2']);
    expect(scan.problems).toEqual([]);

    // a second run fetches nothing and unpacks nothing
    const hitsBefore = [...server.hits.values()].reduce((a, b) => a + b, 0);
    const again = await downloadRelease({ root, baseUrl: server.url, md5: sums });
    expect(again.files.map((f) => f.download)).toEqual(Array(5).fill('skipped'));
    expect(again.files.filter((f) => f.extraction).map((f) => f.extraction?.status)).toEqual(
      Array(3).fill('already-extracted'),
    );
    expect([...server.hits.values()].reduce((a, b) => a + b, 0)).toBe(hitsBefore);
  });

  it('resumes after an interrupted transfer and an interrupted extraction', async () => {
    const root = join(dir, 'resume');
    server.hits.clear();
    server.bytesServed.clear();
    server.ranges.clear();
    const hr = server.files.get('hr_dataset.tar.gz')!;
    server.faults.set('hr_dataset.tar.gz', { kind: 'cut', afterBytes: hr.length >> 1, times: 1 });
    const files = ['hr_dataset.tar.gz', 'metadata.csv'];
    const err = await downloadRelease({ root, baseUrl: server.url, md5: sums, files, retries: 0 }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toContain('hr_dataset.tar.gz');
    // nothing under the real name; the bytes received wait in .partial for a ranged resume
    expect(existsSync(join(root, 'downloads', 'hr_dataset.tar.gz'))).toBe(false);
    const partialBytes = (await readFile(join(root, 'downloads', 'hr_dataset.tar.gz.partial'))).length;
    expect(partialBytes).toBeGreaterThan(0);
    expect(partialBytes).toBeLessThanOrEqual(hr.length >> 1);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(true);

    // interrupt the extraction after the first file, then resume it
    const ctrl = new AbortController();
    const err2 = await downloadRelease(
      { root, baseUrl: server.url, md5: sums, files, retries: 0 },
      { signal: ctrl.signal, onProgress: (p) => p.stage.startsWith('extract') && ctrl.abort() },
    ).catch((e) => e);
    expect(err2.code).toBe('ABORTED');
    const partial = (await listFiles(root)).filter((f) => f.startsWith('hr_dataset/'));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(6);
    expect(partial.some((f) => f.endsWith('.extracting'))).toBe(false);

    const res = await downloadRelease({ root, baseUrl: server.url, md5: sums, files });
    expect(res.files.map((f) => [f.name, f.download])).toEqual([
      ['hr_dataset.tar.gz', 'skipped'],
      ['metadata.csv', 'skipped'],
    ]);
    expect(res.files[0].extraction).toMatchObject({ status: 'extracted', skipped: partial.length });
    expect(res.files[0].extraction!.extracted).toBe(6 - partial.length);
    // metadata.csv was fetched once; the archive twice: cut, then resumed with a Range request for the rest
    // only (the joined file passed the MD5 check before it was renamed into place)
    expect(server.hits.get('metadata.csv')).toBe(1);
    expect(server.hits.get('hr_dataset.tar.gz')).toBe(2);
    // (from a little before the partial's end: a partial of an earlier run has no known version, so its last
    // bytes, half its length at most 64 KiB, are asked for again and compared)
    const overlap = Math.min(65_536, Math.ceil(partialBytes / 2));
    expect(server.ranges.get('hr_dataset.tar.gz')).toEqual([`bytes=${partialBytes - overlap}-`]);
    expect(server.bytesServed.get('hr_dataset.tar.gz')).toBe(
      (hr.length >> 1) + hr.length - partialBytes + overlap,
    );
    expect(existsSync(join(root, 'downloads', 'hr_dataset.tar.gz.partial'))).toBe(false);
    for (const [rel, bytes] of expected)
      if (rel.startsWith('hr_dataset/'))
        expect(Buffer.compare(await readFile(join(root, rel)), bytes)).toBe(0);
    server.faults.clear();
  });

  it('fails with CHECKSUM_MISMATCH on a corrupted file, after bounded retries, leaving no file', async () => {
    const root = join(dir, 'md5');
    server.hits.clear();
    server.faults.set('metadata.csv', { kind: 'corrupt' });
    const err = await downloadRelease({
      root,
      baseUrl: server.url,
      md5: sums,
      files: ['metadata.csv'],
      retries: 2,
      baseDelayMs: 1,
    }).catch((e) => e);
    server.faults.clear();
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toContain(sums['metadata.csv']);
    expect(server.hits.get('metadata.csv')).toBe(3);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
    expect(existsSync(join(root, 'metadata.csv.partial'))).toBe(false);
    // the real published MD5 rejects our synthetic file too
    const err2 = await downloadRelease({
      root,
      baseUrl: server.url,
      files: ['metadata.csv'],
      retries: 0,
    }).catch((e) => e);
    expect(err2.code).toBe('CHECKSUM_MISMATCH');
    expect(err2.message).toContain('dfeb3348e79b719bf03c230d5d258839');
  });

  it.runIf(requireTool('/dev/full (Linux)', existsSync('/dev/full')))(
    'a partial that cannot be written fails at once with WRITE_FAILED naming the file, keeping the copy already there',
    async () => {
      const root = join(dir, 'disk-full');
      await mkdir(root, { recursive: true });
      const target = join(root, 'metadata.csv');
      await writeFile(target, 'the copy already there');
      // a link at the partial's name is removed, never written through (eo-fetch's own tests fill a disk)
      await symlink('/dev/full', `${target}.partial`);
      await downloadRelease({ root, baseUrl: server.url, md5: sums, files: ['metadata.csv'] });
      expect((await lstat(target)).isFile()).toBe(true);
      expect(await readFile(target, 'utf8')).not.toBe('the copy already there');
      await writeFile(target, 'the copy already there');
      // a folder in the partial's place: the write fails, and another attempt would fail the same way
      await mkdir(`${target}.partial`);
      server.hits.clear();
      const err = await downloadRelease({
        root,
        baseUrl: server.url,
        md5: sums,
        files: ['metadata.csv'],
        retries: 3,
        baseDelayMs: 1,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect(err.code).toBe('WRITE_FAILED');
      expect(err.message).toContain(`${target}: cannot write`);
      expect(err.cause).toMatchObject({ code: 'WRITE_FAILED' });
      expect(server.hits.get('metadata.csv')).toBe(1); // not retried
      expect(await readFile(target, 'utf8')).toBe('the copy already there');
    },
  );

  it("keeps a concurrent run's fresh extraction-marker temp, removes a stale one", async () => {
    const root = join(dir, 'marker-temps');
    const downloads = join(root, 'downloads');
    await mkdir(downloads, { recursive: true });
    const fresh = join(downloads, 'metadata.csv.extracted.json.0123456789ab.tmp');
    const stale = join(downloads, 'metadata.csv.extracted.json.fedcba987654.tmp');
    await writeFile(fresh, 'another run is writing this');
    await writeFile(stale, 'left by a killed run');
    const t = new Date(Date.now() - 11 * 60_000);
    await utimes(stale, t, t);
    await downloadRelease({ root, baseUrl: server.url, md5: sums, files: ['metadata.csv'] });
    expect(existsSync(stale)).toBe(false);
    expect(await readFile(fresh, 'utf8')).toBe('another run is writing this');
  });

  it('options eo-fetch would refuse are DatasetError INVALID_ARGUMENT naming the option; an engine error is wrapped, its own as cause', async () => {
    const root = join(dir, 'bad-options');
    server.hits.clear();
    const base = { root, baseUrl: server.url, files: ['metadata.csv'] };
    const cases: [Record<string, unknown>, string][] = [
      [
        { files: ['metadata.csv', 'stratified_train_val_test_split.csv', 'metadata.csv'] },
        'downloadRelease: options.files[2] repeats options.files[0] ("metadata.csv"); name each file once',
      ],
      [{ concurrency: 0 }, 'downloadRelease: options.concurrency must be an integer in 1..2147483647, got 0'],
      [{ retries: -1 }, 'downloadRelease: options.retries must be an integer in 0..2147483647, got -1'],
      [
        { timeoutMs: 0 },
        'downloadRelease: options.timeoutMs must be a number of ms in (0, 2147483647], got 0',
      ],
      [{ idleTimeoutMs: -1 }, 'downloadRelease: options.idleTimeoutMs must be a number of ms ≥ 0, got -1'],
      [
        { baseDelayMs: Number.NaN },
        'downloadRelease: options.baseDelayMs must be a number of ms ≥ 0, got NaN',
      ],
      [
        { baseUrl: 'ftp://user:secret@mirror/x' },
        'downloadRelease: options.baseUrl must be an http(s) URL, got "ftp://***@mirror/x"',
      ],
      [{ record: 'constructor' }, 'unknown release record constructor; choose 6810792 or 15382551'],
    ];
    for (const [override, message] of cases) {
      const e = await downloadRelease({ ...base, ...override } as never).catch((x: unknown) => x);
      expect(e, message).toBeInstanceOf(DatasetError);
      expect([(e as DatasetError).code, (e as DatasetError).message]).toEqual(['INVALID_ARGUMENT', message]);
    }
    expect(server.hits.size).toBe(0);
    // a root that is a file: eo-fetch cannot read its manifest there
    await writeFile(root, 'not a folder');
    const e = await downloadRelease({ ...base, retries: 0 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('WRITE_FAILED');
    expect((e as DatasetError).message).toContain(
      `download-release: [WRITE_FAILED] could not read the manifest ${join(root, 'downloads', 'manifest.jsonl')}`,
    );
    expect((e as DatasetError).cause).toBeInstanceOf(EoFetchError);
    expect(server.hits.size).toBe(0);
  });

  it('an extraction marker that cannot be written is DatasetError WRITE_FAILED naming it, after the unpack', async () => {
    const root = join(dir, 'marker-folder');
    const marker = join(root, 'downloads', 'hr_dataset.tar.gz.extracted.json');
    await mkdir(marker, { recursive: true });
    const err = await downloadRelease({
      root,
      baseUrl: server.url,
      md5: sums,
      files: ['hr_dataset.tar.gz'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('WRITE_FAILED');
    expect((err as DatasetError).message).toContain(marker);
    expect((await lstat(marker)).isDirectory()).toBe(true);
    for (const [rel, bytes] of expected)
      if (rel.startsWith('hr_dataset/'))
        expect(Buffer.compare(await readFile(join(root, rel)), bytes), rel).toBe(0);
  });

  it('dry run plans requests and touches nothing; unknown names are rejected', async () => {
    const root = join(dir, 'dry');
    server.hits.clear();
    const res = await downloadRelease({ root, baseUrl: server.url, dryRun: true });
    expect(res.requests).toBe(5);
    expect(res.files.every((f) => f.download === 'planned')).toBe(true);
    expect(existsSync(root)).toBe(false);
    expect(server.hits.size).toBe(0);
    await expect(downloadRelease({ root, files: ['hr_dataset_raw.tar'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('download-release with a base URL that has a query (a mirror token)', () => {
  it('requests <path>/<name>?<base query>&download=1, shows the token as ***, and keeps a base download=', async () => {
    const root = join(dir, 'query-base');
    const files = ['metadata.csv', 'stratified_train_val_test_split.csv'];
    server.requests.length = 0;
    const res = await downloadRelease({
      root,
      baseUrl: `${server.url}/?token=Secret123x#frag`,
      files,
      md5: sums,
      retries: 0,
    });
    // the two files download at once (concurrency 2): the server may receive either request first
    expect(server.requests.map((r) => r.line).sort()).toEqual([
      'GET /files/metadata.csv?token=Secret123x&download=1',
      'GET /files/stratified_train_val_test_split.csv?token=Secret123x&download=1',
    ]);
    expect(await readFile(join(root, 'metadata.csv'))).toEqual(expected.get('metadata.csv'));
    expect(res.files.map((f) => f.url)).toEqual(files.map((n) => `${server.url}/${n}?token=***&download=1`));
    const manifest = await readFile(join(root, 'downloads', 'manifest.jsonl'), 'utf8');
    expect(manifest).not.toContain('Secret123x');
    // a base that asks for download=0 itself is not given a second download parameter
    server.requests.length = 0;
    await downloadRelease({
      root: join(dir, 'query-base-2'),
      baseUrl: `${server.url}?download=0&sig=a%2Fb`,
      files: ['metadata.csv'],
      md5: sums,
      retries: 0,
    });
    expect(server.requests.map((r) => r.line)).toEqual(['GET /files/metadata.csv?download=0&sig=a%2Fb']);
  });

  it('a base URL with user:password@ sends them as Basic auth to the mirror (the README says so)', async () => {
    server.requests.length = 0;
    const base = server.url.replace('//', '//alice:pw-9x@');
    await downloadRelease({ root: join(dir, 'userinfo'), baseUrl: base, files: ['metadata.csv'], md5: sums });
    expect(server.requests).toEqual([
      {
        line: 'GET /files/metadata.csv?download=1',
        authorization: `Basic ${Buffer.from('alice:pw-9x').toString('base64')}`,
      },
    ]);
  });

  it('a base URL that cannot be parsed is INVALID_ARGUMENT naming the option', async () => {
    const err = await downloadRelease({ root: join(dir, 'bad-base'), baseUrl: 'http://[oops/x' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toContain('options.baseUrl must be an http(s) URL');
  });
});

describe('extractTarGz', () => {
  it('maps member paths and refuses traversal', () => {
    expect(archiveMemberTarget('./A/A_ps.tiff', 'hr_dataset')).toBe(join('hr_dataset', 'A', 'A_ps.tiff'));
    expect(archiveMemberTarget('dataset/hr_dataset/A/x.tiff', 'hr_dataset')).toBe(
      join('hr_dataset', 'A', 'x.tiff'),
    );
    expect(archiveMemberTarget('./')).toBeNull();
    for (const bad of ['../evil', 'a/../../evil', '/etc/passwd', 'C:\\x'])
      expect(() => archiveMemberTarget(bad)).toThrow(
        expect.objectContaining({ code: 'UNSAFE_ARCHIVE_PATH' }),
      );
  });

  it('keeps names that only start with dots; refuses every `..` segment, absolute path and escaping topDir', () => {
    expect(archiveMemberTarget('..foo')).toBe('..foo');
    expect(archiveMemberTarget('...')).toBe('...');
    expect(archiveMemberTarget('..hidden/x.tiff')).toBe(join('..hidden', 'x.tiff'));
    expect(archiveMemberTarget('./..foo/...', 'top')).toBe(join('top', '..foo', '...'));
    for (const [bad, topDir] of [
      ['..', undefined],
      ['a/..', undefined],
      ['a/../b', undefined],
      ['../..foo', undefined],
      ['..\\x', undefined],
      ['/..foo', undefined],
      ['x', '..'],
      ['x', '/abs'],
    ] as const)
      expect(() => archiveMemberTarget(bad, topDir)).toThrow(
        expect.objectContaining({ code: 'UNSAFE_ARCHIVE_PATH' }),
      );
  });

  it('stops at a traversing member without writing it, skips links, and rejects a truncated archive', async () => {
    const out = join(dir, 'evil-out');
    const archive = join(dir, 'evil.tar.gz');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      archive,
      await tarGz([
        { name: 'ok.txt', data: new Uint8Array([1, 2, 3]) },
        { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
        { name: '../evil.txt', data: new Uint8Array([9]) },
      ]),
    );
    await expect(extractTarGz(archive, out)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE_PATH' });
    expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
    expect(await readFile(join(out, 'ok.txt'))).toEqual(Buffer.from([1, 2, 3]));
    expect(existsSync(join(out, 'link'))).toBe(false);

    const whole = await tarGz([{ name: 'big.bin', data: new Uint8Array(200_000).fill(7) }]);
    const cut = join(dir, 'cut.tar.gz');
    await writeFile(cut, whole.subarray(0, whole.length >> 1));
    await expect(extractTarGz(cut, join(dir, 'cut-out'))).rejects.toMatchObject({ code: 'ARCHIVE_CORRUPT' });
    expect(existsSync(join(dir, 'cut-out', 'big.bin'))).toBe(false);
    expect(existsSync(join(dir, 'cut-out', 'big.bin.extracting'))).toBe(false);
  });
});

describe('md5File on a path that is no readable file', () => {
  it('missing, a folder or a FIFO is UNREADABLE_FILE naming it (a FIFO never blocks); an abort is ABORTED', async () => {
    const missing = join(dir, 'no-such-file.bin');
    const fifo = join(dir, 'hash.fifo');
    const { execFileSync } = await import('node:child_process');
    if (process.platform !== 'win32') execFileSync('mkfifo', [fifo]);
    for (const [path, message] of [
      [missing, /no-such-file\.bin: cannot read a file to hash \(no such file\)/],
      [dir, /: not a regular file \(a folder\); give a file to hash/],
      ...(process.platform === 'win32' ? [] : [[fifo, /hash\.fifo: not a regular file \(a FIFO/]]),
    ] as [string, RegExp][]) {
      const err = await md5File(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('UNREADABLE_FILE');
      expect((err as DatasetError).message).toMatch(message);
    }
    const file = join(dir, 'to-hash.bin');
    await writeFile(file, Buffer.alloc(1 << 20, 7));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const aborted = await md5File(file, ac.signal).catch((e: unknown) => e);
    expect((aborted as DatasetError).code).toBe('ABORTED');
    expect(await md5File(file)).toBe(md5(Buffer.alloc(1 << 20, 7)));
  });
});
