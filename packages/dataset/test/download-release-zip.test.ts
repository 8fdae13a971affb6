// download-release for the v1.1 record (15382551): zips fetched, MD5-checked and unpacked into the same layout
// as the tar.gz record, with zip-slip refused before anything is written and re-runs skipping finished work.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractZip } from '../src/archive/extract-zip.node.js';
import { DatasetError, generateSyntheticDataset, scanDataset } from '../src/node.js';
import {
  downloadRelease,
  RELEASE_FILES_V1_1,
  RELEASE_RECORDS,
} from '../src/release/download-release.node.js';
import { tempDir } from './support/fixtures.js';
import { md5, membersOf, type ReleaseServer, startReleaseServer } from './support/release-server.js';
import { buildZip } from './support/zip-writer.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: ReleaseServer;
const sums: Record<string, string> = {};
const expected = new Map<string, Buffer>();

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-release-zip-'));
  const src = join(dir, 'source');
  await generateSyntheticDataset(src, { aois: 2, revisits: 2, hrSize: 60, compression: 'none', l1c: true });
  server = await startReleaseServer();
  const hr = await membersOf(join(src, 'hr_dataset'), 'hr_dataset/');
  const lr = await membersOf(join(src, 'lr_dataset'), 'lr_dataset/');
  const l2a = lr.filter((m) => m.name.includes('/L2A/'));
  // the L1C zip stores paths without the top folder: the unpacker must add lr_dataset/
  const l1c = lr
    .filter((m) => m.name.includes('/L1C/'))
    .map((m) => ({ ...m, name: m.name.slice('lr_dataset/'.length) }));
  const files: Record<string, Uint8Array> = {
    'hr_dataset.zip': buildZip(hr.map((m) => ({ name: m.name, data: m.data! }))).bytes,
    'lr_dataset_l2a.zip': buildZip(
      l2a.map((m) => ({ name: m.name, data: m.data!, method: 8 as const })),
      { zip64: true, dataDescriptor: true },
    ).bytes,
    'lr_dataset_l1c.zip': buildZip(l1c.map((m) => ({ name: m.name, data: m.data!, method: 8 as const })))
      .bytes,
    'metadata.csv': await readFile(join(src, 'metadata.csv')),
    'stratified_train_val_test_split.csv': await readFile(join(src, 'stratified_train_val_test_split.csv')),
  };
  for (const m of [...hr, ...l2a]) expected.set(m.name, Buffer.from(m.data!));
  for (const m of l1c) expected.set(`lr_dataset/${m.name}`, Buffer.from(m.data!));
  for (const [name, bytes] of Object.entries(files)) {
    server.files.set(name, bytes);
    sums[name] = md5(bytes);
  }
}, 60_000);
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('download-release --record 15382551 (v1.1 zips)', () => {
  it('knows the v1.1 files, their MD5s and the Zenodo records URL', () => {
    expect(RELEASE_FILES_V1_1.map((f) => [f.name, f.md5])).toEqual([
      ['hr_dataset.zip', '5ae09bb3557ce131242a133d9758d9e7'],
      ['lr_dataset_l1c.zip', 'e90ecfa4bf838ace0b51dea1031b5ed1'],
      ['lr_dataset_l2a.zip', '7aa1878a37d22a6c7c4b84b022a14ad7'],
      ['metadata.csv', '1a66ac42b9a688be18debd0d95633fa1'],
      ['stratified_train_val_test_split.csv', '874612b59bbf7987f7de7edd48a30c70'],
    ]);
    expect(RELEASE_RECORDS[15382551].baseUrl).toBe('https://zenodo.org/records/15382551/files');
  });

  it('downloads, verifies, unpacks into the layout; a re-run skips everything', async () => {
    const root = join(dir, 'ds');
    const r = await downloadRelease({
      root,
      record: 15382551,
      baseUrl: server.url,
      md5: sums,
      baseDelayMs: 1,
    });
    expect(r.files.map((f) => f.download)).toEqual(Array(5).fill('downloaded'));
    expect(r.files.filter((f) => f.extraction).map((f) => f.extraction?.status)).toEqual(
      Array(3).fill('extracted'),
    );
    for (const [rel, bytes] of expected) expect((await readFile(join(root, rel))).equals(bytes)).toBe(true);
    const scan = await scanDataset(root, { revisits: 2 });
    expect(scan.scenes.length).toBe(2);
    expect(scan.problems).toEqual([]);
    const again = await downloadRelease({ root, record: 15382551, baseUrl: server.url, md5: sums });
    expect(again.files.map((f) => f.download)).toEqual(Array(5).fill('skipped'));
    expect(again.files.filter((f) => f.extraction).map((f) => f.extraction?.status)).toEqual(
      Array(3).fill('already-extracted'),
    );
    await expect(downloadRelease({ root, record: 1 as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('refuses zip-slip before writing anything; a corrupt zip is CORRUPT_ZIP; existing files survive', async () => {
    const dest = join(dir, 'slip');
    const evil = join(dir, 'slip.zip');
    writeFileSync(
      evil,
      buildZip([
        { name: 'hr_dataset/A/ok.txt', data: new Uint8Array([1, 2, 3]) },
        { name: '../outside.txt', data: new Uint8Array([4]) },
      ]).bytes,
    );
    const e = await extractZip(evil, dest, { topDir: 'hr_dataset' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
    expect((e as DatasetError).message).toBe(
      `${evil}: member "../outside.txt" points outside the destination folder; refusing to extract it (the archive is corrupt or malicious)`,
    );
    expect(existsSync(join(dest, 'hr_dataset/A/ok.txt'))).toBe(false);
    const absolute = join(dir, 'absolute.zip');
    writeFileSync(absolute, buildZip([{ name: '/etc/evil', data: new Uint8Array([4]) }]).bytes);
    await expect(extractZip(absolute, dest)).rejects.toMatchObject({
      code: 'UNSAFE_ARCHIVE_PATH',
      message: `${absolute}: member "/etc/evil" points outside the destination folder; refusing to extract it (the archive is corrupt or malicious)`,
    });
    expect(existsSync(join(dir, 'outside.txt'))).toBe(false);

    const good = buildZip([{ name: 'hr_dataset/B/b.bin', data: new Uint8Array(1000).fill(9), method: 8 }]);
    good.bytes[good.localOffsets[0] + 30 + 'hr_dataset/B/b.bin'.length + 2] ^= 0xff;
    const bad = join(dir, 'bad.zip');
    writeFileSync(bad, good.bytes);
    const fresh = join(dir, 'slip-fresh');
    const f = await extractZip(bad, fresh).catch((x: unknown) => x);
    expect((f as DatasetError).code).toBe('CORRUPT_ZIP');
    expect((f as DatasetError).message).toContain('b.bin');
    expect(existsSync(join(fresh, 'hr_dataset/B/b.bin'))).toBe(false);
    // a file of another size already there is no earlier run's: never replaced (a good entry neither)
    const before = join(dest, 'hr_dataset/B/b.bin');
    mkdirSync(join(dest, 'hr_dataset/B'), { recursive: true });
    writeFileSync(before, 'keep');
    for (const zip of [bad, join(dir, 'good.zip')]) {
      writeFileSync(
        join(dir, 'good.zip'),
        buildZip([{ name: 'hr_dataset/B/b.bin', data: new Uint8Array(1000) }]).bytes,
      );
      const g = await extractZip(zip, dest).catch((x: unknown) => x);
      expect((g as DatasetError).code, zip).toBe('WRITE_FAILED');
      expect((g as DatasetError).message).toContain(`would replace ${before}, a file of 4 bytes`);
      expect(await readFile(before, 'utf8')).toBe('keep');
    }
  });

  it('extractZip with topDir keeps macOS __MACOSX/…/._<name> entries under __MACOSX, never beside the real files', async () => {
    const mac = join(dir, 'macos.zip');
    const junk = new Uint8Array(64).fill(7);
    writeFileSync(
      mac,
      buildZip([
        { name: 'hr_dataset/A/A_ps.tiff', data: new Uint8Array([1, 2, 3]) },
        { name: '__MACOSX/hr_dataset/A/._A_ps.tiff', data: junk },
        { name: 'WorldStrat/hr_dataset/B/B_ps.tiff', data: new Uint8Array([4]) },
        { name: '__MACOSX/WorldStrat/hr_dataset/B/._B_ps.tiff', data: junk },
      ]).bytes,
    );
    const dest = join(dir, 'macos-out');
    const report = await extractZip(mac, dest, { topDir: 'hr_dataset' });
    expect(report).toEqual({ extracted: 4, skipped: 0, bytes: 4 + 2 * junk.length, ignored: [] });
    expect(readdirSync(join(dest, 'hr_dataset', 'A'))).toEqual(['A_ps.tiff']);
    expect(readdirSync(join(dest, 'hr_dataset', 'B'))).toEqual(['B_ps.tiff']);
    expect(readdirSync(dest).sort()).toEqual(['__MACOSX', 'hr_dataset']);
    expect(readFileSync(join(dest, '__MACOSX/hr_dataset/A/._A_ps.tiff'))).toEqual(Buffer.from(junk));
    expect(readFileSync(join(dest, '__MACOSX/WorldStrat/hr_dataset/B/._B_ps.tiff'))).toEqual(
      Buffer.from(junk),
    );
  });

  it("extractZip keeps an entry named like another entry's temp file and a user's file of that name", async () => {
    const dest = join(dir, 'tempname');
    const zip = join(dir, 'tempname.zip');
    writeFileSync(
      zip,
      buildZip([
        { name: 'A/f.extracting', data: Buffer.from('first entry') },
        { name: 'A/f', data: Buffer.from('second'), method: 8 },
        { name: 'A/g', data: Buffer.from('third entry') },
      ]).bytes,
    );
    mkdirSync(join(dest, 'A'), { recursive: true });
    writeFileSync(join(dest, 'A/g.extracting'), 'user file');
    expect(await extractZip(zip, dest)).toEqual({ extracted: 3, skipped: 0, bytes: 28, ignored: [] });
    // every entry on disk with its bytes, the user's file untouched, no temp file left
    const onDisk = Object.fromEntries(
      readdirSync(join(dest, 'A'))
        .sort()
        .map((f) => [f, readFileSync(join(dest, 'A', f), 'utf8')]),
    );
    expect(onDisk).toEqual({
      f: 'second',
      'f.extracting': 'first entry',
      g: 'third entry',
      'g.extracting': 'user file',
    });
  });

  it('extractZip unpacks names that only start with dots and refuses a file entry named "."', async () => {
    const dest = join(dir, 'dotnames');
    const zip = join(dir, 'dotnames.zip');
    writeFileSync(
      zip,
      buildZip([
        { name: '..foo', data: Buffer.from('a') },
        { name: '...', data: Buffer.from('bb') },
        { name: '..hidden/x.tiff', data: Buffer.from('ccc') },
      ]).bytes,
    );
    // no topDir: the names are the first path segment, where the old prefix test saw `..`
    expect(await extractZip(zip, dest)).toEqual({ extracted: 3, skipped: 0, bytes: 6, ignored: [] });
    expect(readFileSync(join(dest, '..foo'), 'utf8')).toBe('a');
    expect(readFileSync(join(dest, '...'), 'utf8')).toBe('bb');
    expect(readFileSync(join(dest, '..hidden/x.tiff'), 'utf8')).toBe('ccc');

    const dot = join(dir, 'dot.zip');
    writeFileSync(
      dot,
      buildZip([
        { name: 'ok.txt', data: Buffer.from('ok') },
        { name: '.', data: Buffer.from('X') },
      ]).bytes,
    );
    const e = await extractZip(dot, join(dir, 'dot-out')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
    expect((e as DatasetError).message).toContain('dot.zip: entry "."');
    expect(existsSync(join(dir, 'dot-out'))).toBe(false);
  });
  it('extractZip refuses a symbolic link below the destination before writing anything; files outside stay byte-identical', async () => {
    const zip = join(dir, 'symlink.zip');
    writeFileSync(
      zip,
      buildZip([
        { name: 'hr_dataset/B/first.tiff', data: Buffer.from('written before the link, in the old code') },
        {
          name: 'hr_dataset/A/x.tiff',
          data: Buffer.from('member bytes, longer than the outside file'),
          method: 8,
        },
      ]).bytes,
    );
    const outside = join(dir, 'symlink-outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'x.tiff'), 'precious');
    const dest = join(dir, 'symlink-dest');
    mkdirSync(join(dest, 'hr_dataset'), { recursive: true });
    // hr_dataset/A -> outside: x.tiff would overwrite the outside file
    symlinkSync(outside, join(dest, 'hr_dataset', 'A'));
    const e = await extractZip(zip, dest).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
    expect((e as DatasetError).message).toContain(
      `symlink.zip: entry "hr_dataset/A/x.tiff" would be written through the symbolic link ${join(dest, 'hr_dataset', 'A')} -> ${outside}`,
    );
    expect(readFileSync(join(outside, 'x.tiff'), 'utf8')).toBe('precious');
    expect(readdirSync(outside)).toEqual(['x.tiff']);
    // refused before anything was written, and the link left as the user made it
    expect(readdirSync(join(dest, 'hr_dataset')).sort()).toEqual(['A']);
    expect(lstatSync(join(dest, 'hr_dataset', 'A')).isSymbolicLink()).toBe(true);
  });

  it("extractZip removes a killed run's temp files from the folders it writes, and only those", async () => {
    const zip = join(dir, 'stale.zip');
    writeFileSync(zip, buildZip([{ name: 'A/y.tiff', data: Buffer.from('in A'), method: 8 }]).bytes);
    const dest = join(dir, 'stale-dest');
    mkdirSync(join(dest, 'A', '.aaaaaaaaaaaaaaaa.extracting'), { recursive: true });
    writeFileSync(join(dest, 'A', '.0123456789abcdef.extracting'), 'half an entry');
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(dest, 'A', '.0123456789abcdef.extracting'), hourAgo, hourAgo);
    writeFileSync(join(dest, 'A', '.2222222222222222.extracting'), 'another run, writing now');
    writeFileSync(join(dest, 'A', '.0123456789abcdef.extracting~'), 'user file');
    writeFileSync(join(dest, 'A', '.0123456789abcdeg.extracting'), 'user file 2');
    expect(await extractZip(zip, dest)).toEqual({ extracted: 1, skipped: 0, bytes: 4, ignored: [] });
    expect(readdirSync(join(dest, 'A')).sort()).toEqual([
      '.0123456789abcdef.extracting~',
      '.0123456789abcdeg.extracting',
      '.2222222222222222.extracting',
      '.aaaaaaaaaaaaaaaa.extracting',
      'y.tiff',
    ]);
    expect(readFileSync(join(dest, 'A', '.0123456789abcdef.extracting~'), 'utf8')).toBe('user file');
    expect(readFileSync(join(dest, 'A', '.0123456789abcdeg.extracting'), 'utf8')).toBe('user file 2');
    expect(readFileSync(join(dest, 'A', 'y.tiff'), 'utf8')).toBe('in A');
  });

  it('extractZip: entries needing one path as a file and a folder, or two names for one file, are CORRUPT_ZIP naming them', async () => {
    const zip = join(dir, 'clash.zip');
    const cases: [{ name: string; data: Uint8Array }[], string][] = [
      [
        [
          { name: 'A', data: Buffer.from('AAAA') },
          { name: 'A/b', data: Buffer.from('b') },
        ],
        'clash.zip: entry "A/b" clashes with entry "A": one path cannot be both a file and a folder (EEXIST',
      ],
      [
        [
          { name: 'A/b', data: Buffer.from('b') },
          { name: 'A', data: Buffer.from('AAAA') },
        ],
        'clash.zip: entry "A" clashes with entry "A/b": one path cannot be both a file and a folder (EISDIR',
      ],
      [
        [
          { name: 'A/x', data: Buffer.from('first') },
          { name: './A/x', data: Buffer.from('other') },
        ],
        'clash.zip: entries "A/x" and "./A/x" both unpack to A/x; the file is listed twice',
      ],
    ];
    for (const [i, [entries, message]] of cases.entries()) {
      writeFileSync(zip, buildZip(entries).bytes);
      const e = await extractZip(zip, join(dir, `clash-out-${i}`)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('CORRUPT_ZIP');
      expect((e as DatasetError).message).toContain(message);
    }
    // the same-name pair is refused before anything is written
    expect(existsSync(join(dir, 'clash-out-2'))).toBe(false);
  });

  it('extractZip: a destDir that is a file (or below one) is INVALID_ARGUMENT naming it; a file on disk in the way is WRITE_FAILED naming the entry', async () => {
    const zip = join(dir, 'dest.zip');
    writeFileSync(zip, buildZip([{ name: 'A/x', data: Buffer.from('x') }]).bytes);
    const file = join(dir, 'zip-dest-is-file');
    writeFileSync(file, 'a file');
    for (const dest of [file, join(file, 'sub')]) {
      const e = await extractZip(zip, dest).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('INVALID_ARGUMENT');
      expect((e as DatasetError).message).toBe(
        `extractZip: destDir ${dest} is a file or lies below one; give a folder to extract into`,
      );
    }
    const dest = join(dir, 'zip-dest-blocked');
    mkdirSync(dest);
    writeFileSync(join(dest, 'A'), 'user file');
    const e = await extractZip(zip, dest).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('WRITE_FAILED');
    expect((e as DatasetError).message).toContain(`dest.zip: entry "A/x" could not be written (EEXIST`);
    expect((e as DatasetError).message).toContain(
      `a file stands where a folder is needed, or a folder where a file is needed, in ${dest}`,
    );
    expect(readFileSync(join(dest, 'A'), 'utf8')).toBe('user file');
  });
});
