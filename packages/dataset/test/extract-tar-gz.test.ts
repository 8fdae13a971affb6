// extractTarGz on archives other tools write (GNU tar in every format it has, sparse files, hard links, V7
// headers), compared file by file with what GNU tar itself extracts, and on hostile sparse maps.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveMemberTarget, extractTarGz } from '../src/archive/extract-tar-gz.node.js';
import { extractZip } from '../src/archive/extract-zip.node.js';
import { DatasetError } from '../src/errors.js';
import { type Member, tarGz } from './support/release-server.js';
import { requireTool } from './support/require-tool.js';

const dir = mkdtempSync(join(tmpdir(), 'extract-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gnuTar = spawnSync('tar', ['--version'], { encoding: 'utf8' });
const HAS_GNU_TAR = requireTool('GNU tar', gnuTar.status === 0 && /GNU tar/.test(gnuTar.stdout));

/** Regular files under `root`: relative path → length and a position-weighted checksum of the bytes. */
function filesUnder(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const b = readFileSync(p);
        let sum = 0;
        for (let i = 0; i < b.length; i++) sum = (sum * 31 + (b[i] as number) * (i + 1)) >>> 0;
        out[p.slice(root.length + 1)] = `${b.length}:${sum}`;
      }
    }
  };
  walk(root);
  return out;
}

/** A source tree with a sparse file (two data runs in 300 kB of holes), a hard link and a long path. */
function sourceTree(): string {
  const src = join(dir, 'src');
  rmSync(src, { recursive: true, force: true });
  const long = join(src, 'd', 'long'.repeat(30));
  execFileSync('mkdir', ['-p', long]);
  const data = Buffer.alloc(5000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
  writeFileSync(join(src, 'a.bin'), data);
  writeFileSync(join(long, `${'name'.repeat(40)}.txt`), 'deep\n');
  execFileSync('ln', [join(src, 'a.bin'), join(src, 'hard')]);
  // a file with holes: written only at two offsets, then extended (no blocks between)
  const fd = openSync(join(src, 'sp'), 'w');
  writeSync(fd, 'AAAA', 1000);
  writeSync(fd, 'BBBB', 200_000);
  ftruncateSync(fd, 300_000);
  closeSync(fd);
  return src;
}

describe.runIf(HAS_GNU_TAR)('extractTarGz equals GNU tar on what GNU tar writes', () => {
  const src = HAS_GNU_TAR ? sourceTree() : '';
  const cases: [string, string[]][] = [
    ['gnu', ['--format=gnu']],
    ['pax', ['--format=pax']],
    ['pax sparse 1.0', ['--format=pax', '--sparse', '--sparse-version=1.0']],
    ['pax sparse 0.1', ['--format=pax', '--sparse', '--sparse-version=0.1']],
  ];
  for (const [label, args] of cases) {
    it(label, async () => {
      const archive = join(dir, `${label.replace(/\W+/g, '-')}.tar.gz`);
      execFileSync('tar', [...args, '-czf', archive, '-C', src, '.']);
      const ref = join(dir, `ref-${label.replace(/\W+/g, '-')}`);
      execFileSync('mkdir', ['-p', ref]);
      execFileSync('tar', ['-xzf', archive, '-C', ref]);
      const ours = join(dir, `ours-${label.replace(/\W+/g, '-')}`);
      const report = await extractTarGz(archive, ours);
      expect(filesUnder(ours)).toEqual(filesUnder(ref));
      expect(report.ignored).toEqual([]);
      expect(report.extracted).toBe(4); // a.bin, hard (a copy), sp, the long path
      // resumed: everything in place is skipped, the hard link's copy too
      const again = await extractTarGz(archive, ours);
      expect(again).toMatchObject({ extracted: 0, skipped: 4 });
      if (label.includes('sparse')) {
        // the archive holds the packed form (GNU tar's own name for it), the extraction the real file
        expect(gunzipSync(readFileSync(archive)).toString('latin1')).toMatch(/GNUSparseFile\.\d+\/sp/);
        expect(statSync(join(ours, 'sp')).size).toBe(300_000);
        expect(report.bytes).toBeLessThan(2 * 5000 + 300_000); // segments written, holes not
      }
    });
  }

  it('sparse forms whose map the reader cannot see are listed, never written packed', async () => {
    for (const args of [
      ['--format=gnu', '--sparse'],
      ['--format=pax', '--sparse', '--sparse-version=0.0'],
    ]) {
      const archive = join(dir, 'unseen.tar.gz');
      execFileSync('tar', [...args, '-czf', archive, '-C', src, 'sp', 'a.bin']);
      const out = join(dir, `unseen-${args.join('')}`);
      const report = await extractTarGz(archive, out);
      expect(report.ignored).toEqual(['sp']);
      expect(existsSync(join(out, 'sp'))).toBe(false);
      expect(readFileSync(join(out, 'a.bin'))).toEqual(readFileSync(join(src, 'a.bin')));
    }
  });

  it('V7 headers (no ustar magic)', async () => {
    const v7 = join(dir, 'v7src');
    execFileSync('mkdir', ['-p', join(v7, 'sub')]);
    writeFileSync(join(v7, 'sub', 'x.txt'), 'seven\n');
    const archive = join(dir, 'v7.tar.gz');
    execFileSync('tar', ['--format=v7', '-czf', archive, '-C', v7, '.']);
    const out = join(dir, 'v7out');
    await extractTarGz(archive, out);
    expect(readFileSync(join(out, 'sub', 'x.txt'), 'utf8')).toBe('seven\n');
  });
});

describe('hostile sparse maps → ARCHIVE_CORRUPT, no file left', () => {
  const v1 = (map: string, data: Uint8Array, realsize = '4096'): Member => ({
    name: 'GNUSparseFile.1/s',
    data: Buffer.concat([Buffer.from(map), Buffer.alloc((512 - (map.length % 512)) % 512), data]),
    pax: {
      'GNU.sparse.major': '1',
      'GNU.sparse.minor': '0',
      'GNU.sparse.name': 's',
      'GNU.sparse.realsize': realsize,
    },
  });
  const v01 = (map: string, data: Uint8Array, size = '4096'): Member => ({
    name: 'GNUSparseFile.1/s',
    data,
    pax: {
      'GNU.sparse.size': size,
      'GNU.sparse.numblocks': '1',
      'GNU.sparse.name': 's',
      'GNU.sparse.map': map,
    },
  });
  const four = new Uint8Array([1, 2, 3, 4]);
  const cases: [string, Member, RegExp][] = [
    ['a segment past the real size', v1('1\n4094\n4\n', four), /past the file size 4096/],
    ['overlapping segments', v1('2\n0\n4\n2\n0\n', four), /overlaps/],
    ['segments holding other than the data', v1('1\n0\n8\n', four), /hold 8 bytes but the member carries 4/],
    ['text that is not a number', v1('1\n0x\n4\n', four), /byte 120/],
    ['a count no data can hold', v1('99999999\n', four), /lists 99999999 segments/],
    [
      'a map running to the end of the data',
      { ...v1('', four), data: Buffer.from('1\n0\n44') },
      /does not end/,
    ],
    [
      'a map whose padding runs past the data',
      { ...v1('', four), data: Buffer.from('1\n0\n4\n') },
      /runs past the member data/,
    ],
    [
      'NUL padding replaced by data',
      { ...v1('', four), data: Buffer.concat([Buffer.from('1\n0\n4\nx'), Buffer.alloc(505), four]) },
      /padding has byte 120/,
    ],
    [
      'a 1.0 member with no data, so no map',
      { ...v1('', four), data: new Uint8Array() },
      /holds no segment map/,
    ],
    ['a 0.1 map with an odd count', v01('0,4,9', four), /odd count/],
    ['a 0.1 map past the size', v01('4094,4', four), /past the file size/],
    ['a 0.1 size that is not a number', v01('0,4', four, '-1'), /size "-1" is not a size/],
  ];
  for (const [label, member, message] of cases) {
    it(label, async () => {
      const archive = join(dir, 'hostile.tar.gz');
      writeFileSync(archive, await tarGz([member]));
      const out = join(dir, `hostile-${label.replace(/\W+/g, '-')}`);
      const e = await extractTarGz(archive, out).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('ARCHIVE_CORRUPT');
      expect((e as DatasetError).message).toMatch(message);
      expect((e as DatasetError).message).toContain('hostile.tar.gz: member s');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    });
  }

  it('a sparse real name that leaves the destination is refused before anything is written', async () => {
    const archive = join(dir, 'sparse-escape.tar.gz');
    const member = v1('1\n0\n4\n', four);
    const outside = `escape-${process.pid}-${Date.now()}`;
    writeFileSync(
      archive,
      await tarGz([{ ...member, pax: { ...member.pax, 'GNU.sparse.name': `../${outside}` } }]),
    );
    const out = join(dir, 'escape-out');
    await expect(extractTarGz(archive, out)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE_PATH' });
    expect(existsSync(join(dir, outside))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a hard link to a member outside the destination is refused; one to a member not extracted is listed', async () => {
    const archive = join(dir, 'links.tar.gz');
    writeFileSync(archive, await tarGz([{ name: 'l', type: 'link', linkname: '../../etc/passwd' }]));
    await expect(extractTarGz(archive, join(dir, 'links-out'))).rejects.toMatchObject({
      code: 'UNSAFE_ARCHIVE_PATH',
    });
    writeFileSync(
      archive,
      await tarGz([
        { name: 'l', type: 'link', linkname: 'later' },
        { name: 'later', data: new Uint8Array([5]) },
      ]),
    );
    const out = join(dir, 'links-out2');
    const report = await extractTarGz(archive, out);
    expect(report.ignored).toEqual(['l']);
    expect(readdirSync(out)).toEqual(['later']);
    expect(statSync(join(out, 'later')).size).toBe(1);
  });
});

describe('member names against the destination and the temp files', () => {
  it('a file member named after the destination itself (".") is refused; nothing beside the destination is touched', async () => {
    for (const [i, name] of ['.', '././.'].entries()) {
      const archive = join(dir, `dot-${i}.tar.gz`);
      writeFileSync(archive, await tarGz([{ name, data: new Uint8Array(4096).fill(88) }]));
      const out = join(dir, `dot-out-${i}`);
      // a user's file where the old code put the member's temp file: `<destDir>.extracting`, outside destDir
      const sibling = `${out}.extracting`;
      writeFileSync(sibling, 'user data');
      const e = await extractTarGz(archive, out).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
      expect((e as DatasetError).message).toContain(`dot-${i}.tar.gz: member "${name}"`);
      expect(readFileSync(sibling, 'utf8')).toBe('user data');
      expect(readdirSync(dir).filter((f) => f.startsWith(`dot-out-${i}`))).toEqual([
        `dot-out-${i}`,
        `dot-out-${i}.extracting`,
      ]);
      expect(readdirSync(out)).toEqual([]);
    }
  });

  it('a member named like another member\'s temp file ("A/f.extracting" before "A/f") is kept, as is a user\'s file of that name', async () => {
    const archive = join(dir, 'tempname.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/f.extracting', data: Buffer.from('first member') },
        { name: 'A/f', data: Buffer.from('second') },
        { name: 'A/g', data: Buffer.from('third member') },
        { name: 'A/l', type: 'link', linkname: 'A/f' },
      ]),
    );
    const out = join(dir, 'tempname-out');
    execFileSync('mkdir', ['-p', join(out, 'A')]);
    writeFileSync(join(out, 'A', 'g.extracting'), 'user file');
    writeFileSync(join(out, 'A', 'l.extracting'), 'user file 2');
    const report = await extractTarGz(archive, out);
    expect(report).toEqual({ extracted: 4, skipped: 0, bytes: 36, ignored: [] });
    // every member on disk with its bytes, the user's files untouched, no temp file left
    const onDisk = Object.fromEntries(
      readdirSync(join(out, 'A'))
        .sort()
        .map((f) => [f, readFileSync(join(out, 'A', f), 'utf8')]),
    );
    expect(onDisk).toEqual({
      f: 'second',
      'f.extracting': 'first member',
      g: 'third member',
      'g.extracting': 'user file',
      l: 'second',
      'l.extracting': 'user file 2',
    });
  });

  it('names that only start with dots ("..foo", "...", "..hidden/x.tiff") are extracted; ../ still refused', async () => {
    const archive = join(dir, 'dotnames.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: '..foo', data: Buffer.from('a') },
        { name: '...', data: Buffer.from('bb') },
        { name: '..hidden/x.tiff', data: Buffer.from('ccc') },
        { name: 'd/..e', data: Buffer.from('dddd') },
      ]),
    );
    const out = join(dir, 'dotnames-out');
    // no topDir: the names are the first path segment, where the old prefix test saw `..`
    const report = await extractTarGz(archive, out);
    expect(report).toEqual({ extracted: 4, skipped: 0, bytes: 10, ignored: [] });
    expect(readFileSync(join(out, '..foo'), 'utf8')).toBe('a');
    expect(readFileSync(join(out, '...'), 'utf8')).toBe('bb');
    expect(readFileSync(join(out, '..hidden', 'x.tiff'), 'utf8')).toBe('ccc');
    expect(readFileSync(join(out, 'd', '..e'), 'utf8')).toBe('dddd');
    expect(readdirSync(out).sort()).toEqual(['...', '..foo', '..hidden', 'd']);
    writeFileSync(archive, await tarGz([{ name: '../..foo', data: Buffer.from('x') }]));
    await expect(extractTarGz(archive, join(dir, 'dotnames-out2'))).rejects.toMatchObject({
      code: 'UNSAFE_ARCHIVE_PATH',
    });
    expect(existsSync(join(dir, '..foo'))).toBe(false);
  });
});

describe('macOS metadata and unsafe paths', () => {
  it('with topDir, __MACOSX/…/._<name> members stay under __MACOSX, never beside the real files', async () => {
    const archive = join(dir, 'macos.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'hr_dataset/A/A_ps.tiff', data: Buffer.from('tiff') },
        { name: '__MACOSX/hr_dataset/A/._A_ps.tiff', data: Buffer.from('apple') },
      ]),
    );
    const out = join(dir, 'macos-out');
    expect(await extractTarGz(archive, out, { topDir: 'hr_dataset' })).toEqual({
      extracted: 2,
      skipped: 0,
      bytes: 9,
      ignored: [],
    });
    expect(readdirSync(join(out, 'hr_dataset', 'A'))).toEqual(['A_ps.tiff']);
    expect(readFileSync(join(out, '__MACOSX', 'hr_dataset', 'A', '._A_ps.tiff'), 'utf8')).toBe('apple');
    expect(archiveMemberTarget('wrap/__MACOSX/hr_dataset/A/._A_ps.tiff', 'hr_dataset')).toBe(
      join('__MACOSX', 'hr_dataset', 'A', '._A_ps.tiff'),
    );
  });

  it('UNSAFE_ARCHIVE_PATH names the archive and the member (absolute path, .., a hard link leaving)', async () => {
    const cases: [string, Member][] = [
      ['/abs/evil', { name: '/abs/evil', data: Buffer.from('x') }],
      ['hr_dataset/../../evil', { name: 'hr_dataset/../../evil', data: Buffer.from('x') }],
      ['../../etc/passwd', { name: 'l', type: 'link', linkname: '../../etc/passwd' }],
    ];
    for (const [i, [shown, member]] of cases.entries()) {
      const archive = join(dir, `unsafe-${i}.tar.gz`);
      writeFileSync(archive, await tarGz([member]));
      const out = join(dir, `unsafe-out-${i}`);
      await expect(extractTarGz(archive, out, { topDir: 'hr_dataset' })).rejects.toMatchObject({
        code: 'UNSAFE_ARCHIVE_PATH',
        message: `${archive}: member "${shown}" points outside the destination folder; refusing to extract it (the archive is corrupt or malicious)`,
      });
      expect(readdirSync(out)).toEqual([]);
    }
    // called on its own, without an archive, it still names the member
    expect(() => archiveMemberTarget('../x')).toThrow(
      'archive member "../x" points outside the destination folder; refusing to extract it (the archive is corrupt or malicious)',
    );
  });
});

describe('symbolic links inside the destination and stale temps of a killed run', () => {
  it('a folder or file link below the destination is refused (UNSAFE_ARCHIVE_PATH); nothing outside is written; the root itself may be a link', async () => {
    const archive = join(dir, 'symlinks.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/x.tiff', data: Buffer.from('member bytes, longer than the outside file') },
        { name: 'A/new.tiff', data: Buffer.from('new') },
      ]),
    );
    // outside the destination: a folder and a file the links point at
    const outside = join(dir, 'symlinks-outside');
    mkdirSync(join(outside, 'A'), { recursive: true });
    writeFileSync(join(outside, 'A', 'x.tiff'), 'precious');
    writeFileSync(join(outside, 'file.tiff'), 'precious file');
    const before = filesUnder(outside);

    // hr_dataset -> outside: every member would land in the outside folder
    const out = join(dir, 'symlinks-out');
    mkdirSync(out);
    symlinkSync(outside, join(out, 'hr_dataset'));
    const e = await extractTarGz(archive, out, { topDir: 'hr_dataset' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
    expect((e as DatasetError).message).toContain(
      `symlinks.tar.gz: member "A/x.tiff" would be written through the symbolic link ${join(out, 'hr_dataset')} -> ${outside}`,
    );

    // a file link in a real folder: neither written through nor replaced
    const out2 = join(dir, 'symlinks-out2');
    mkdirSync(join(out2, 'A'), { recursive: true });
    symlinkSync(join(outside, 'file.tiff'), join(out2, 'A', 'x.tiff'));
    const e2 = await extractTarGz(archive, out2).catch((x: unknown) => x);
    expect((e2 as DatasetError).code).toBe('UNSAFE_ARCHIVE_PATH');
    expect((e2 as DatasetError).message).toContain(
      `member "A/x.tiff" would be written through the symbolic link ${join(out2, 'A', 'x.tiff')} -> ${join(outside, 'file.tiff')}`,
    );
    expect(lstatSync(join(out2, 'A', 'x.tiff')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(out2, 'A'))).toEqual(['x.tiff']);

    // the outside tree byte for byte as it was, no temp file in it
    expect(filesUnder(outside)).toEqual(before);
    expect(readFileSync(join(outside, 'A', 'x.tiff'), 'utf8')).toBe('precious');
    expect(readdirSync(join(outside, 'A'))).toEqual(['x.tiff']);

    // a destination root that is itself a link (the user's choice) is written into
    const real = join(dir, 'symlinks-real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'symlinks-root'));
    const report = await extractTarGz(archive, join(dir, 'symlinks-root'), { topDir: 'hr_dataset' });
    expect(report).toMatchObject({ extracted: 2, skipped: 0 });
    expect(readFileSync(join(real, 'hr_dataset', 'A', 'new.tiff'), 'utf8')).toBe('new');
  });

  it("a killed run's temp files are removed by the next run; other names, folders, links and files outside are kept", async () => {
    const archive = join(dir, 'stale.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'x.tiff', data: Buffer.from('top') },
        { name: 'A/y.tiff', data: Buffer.from('in A') },
      ]),
    );
    const out = join(dir, 'stale-out');
    const a = join(out, 'hr_dataset', 'A');
    mkdirSync(a, { recursive: true });
    // what a run killed mid-member leaves (the names createTempBeside draws)
    writeFileSync(join(a, '.0123456789abcdef.extracting'), 'half a member');
    writeFileSync(join(out, 'hr_dataset', '.fedcba9876543210.extracting'), 'half another');
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const p of [
      join(a, '.0123456789abcdef.extracting'),
      join(out, 'hr_dataset', '.fedcba9876543210.extracting'),
    ])
      utimesSync(p, hourAgo, hourAgo);
    // a temp another extraction is writing now (fresh): kept
    writeFileSync(join(a, '.1111111111111111.extracting'), 'live');
    // not ours: other names, a folder and a link of our pattern, a temp-named file outside the destination
    const kept: Record<string, string> = {
      '.0123456789ABCDEF.extracting': 'user 1',
      '.0123456789abcde.extracting': 'user 2',
      '.0123456789abcdef.extracting.bak': 'user 3',
      '0123456789abcdef.extracting': 'user 4',
    };
    for (const [name, text] of Object.entries(kept)) writeFileSync(join(a, name), text);
    mkdirSync(join(a, '.aaaaaaaaaaaaaaaa.extracting'));
    const target = join(dir, 'stale-link-target');
    writeFileSync(target, 'outside');
    symlinkSync(target, join(a, '.bbbbbbbbbbbbbbbb.extracting'));
    const besides = join(dir, '.cccccccccccccccc.extracting');
    writeFileSync(besides, 'beside the destination');

    const report = await extractTarGz(archive, out, { topDir: 'hr_dataset' });
    expect(report).toEqual({ extracted: 2, skipped: 0, bytes: 7, ignored: [] });
    expect(readdirSync(join(out, 'hr_dataset')).sort()).toEqual(['A', 'x.tiff']);
    expect(readdirSync(a).sort()).toEqual(
      [
        ...Object.keys(kept),
        '.1111111111111111.extracting',
        '.aaaaaaaaaaaaaaaa.extracting',
        '.bbbbbbbbbbbbbbbb.extracting',
        'y.tiff',
      ].sort(),
    );
    for (const [name, text] of Object.entries(kept)) expect(readFileSync(join(a, name), 'utf8')).toBe(text);
    expect(lstatSync(join(a, '.aaaaaaaaaaaaaaaa.extracting')).isDirectory()).toBe(true);
    expect(lstatSync(join(a, '.bbbbbbbbbbbbbbbb.extracting')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('outside');
    expect(readFileSync(besides, 'utf8')).toBe('beside the destination');
    expect(readFileSync(join(a, 'y.tiff'), 'utf8')).toBe('in A');
  });
});

describe('an archive path that is no readable file', () => {
  it('a missing archive (or one under a file), a folder or a FIFO is UNREADABLE_FILE naming it; nothing is created, nothing blocks', async () => {
    const dest = join(dir, 'never-created');
    const fifo = join(dir, 'archive.fifo');
    if (process.platform !== 'win32') execFileSync('mkfifo', [fifo]);
    for (const [extract, ext] of [
      [extractTarGz, '.tar.gz'],
      [extractZip, '.zip'],
    ] as const) {
      const kind = ext.replace('.', '\\.');
      const cases: [string, RegExp][] = [
        [
          join(dir, `missing${ext}`),
          new RegExp(`missing${kind}: cannot read the ${kind} archive \\(no such file\\)`),
        ],
        // a path through a regular file (ENOTDIR) is missing too
        [
          join(fifo, `inner${ext}`),
          new RegExp(`inner${kind}: cannot read the ${kind} archive \\(no such file\\)`),
        ],
        [dir, new RegExp(`: not a regular file \\(a folder\\); give the ${kind} archive`)],
        ...(process.platform === 'win32'
          ? []
          : ([[fifo, /archive\.fifo: not a regular file \(a FIFO/]] as [string, RegExp][])),
      ];
      for (const [path, message] of cases) {
        const err = await extract(path, dest).catch((e: unknown) => e);
        expect(err, path).toBeInstanceOf(DatasetError);
        expect((err as DatasetError).code, path).toBe('UNREADABLE_FILE');
        expect((err as DatasetError).message).toMatch(message);
        expect(existsSync(dest)).toBe(false);
      }
    }
  });
});

/** Files (not folders) under `root`, relative, sorted: what a run left on disk. */
function filesLeft(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => statSync(join(root, f)).isFile())
    .sort();
}

/** How a promise settled within `ms`: its value or error, or 'pending' when it did neither. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise((res) => {
    timer = setTimeout(() => res('pending'), ms);
  });
  return Promise.race([p.catch((e: unknown) => e), pending]).finally(() => clearTimeout(timer));
}

/** A one-member .tar.gz whose header size field holds base-256 `-5` (GNU's binary form, two's complement). */
async function base256NegativeSize(): Promise<Uint8Array> {
  const tar = Buffer.from(gunzipSync(await tarGz([{ name: 'A/f', data: Buffer.from('abcd') }])));
  tar.fill(0xff, 124, 135);
  tar[135] = 0xfb;
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i] as number;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return gzipSync(tar);
}

/** A ustar header block (GNU magic) of `type` holding `size` bytes, its checksum set. */
function tarHeader(name: string, type: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'latin1');
  for (const [at, field] of [
    [100, '0000644'],
    [108, '0000000'],
    [116, '0000000'],
    [136, '00000000000'],
  ] as const)
    h.write(`${field}\0`, at, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar  \0', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** `data` padded to whole 512-byte blocks. */
const blocks = (data: Uint8Array) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

describe('PAX and long-name headers are bounded (tar-stream holds each whole in memory)', () => {
  const file = (name: string) => Buffer.concat([tarHeader(name, '0', 1), blocks(Buffer.from('x'))]);
  const cases: [string, () => Promise<Uint8Array>][] = [
    // a few KiB of gzip that would have cost gigabytes of heap before being parsed
    [
      'a PAX header of 64 MiB',
      () => tarGz([{ name: 'A/f', data: Buffer.from('x'), pax: { comment: 'a'.repeat(64 << 20) } }]),
    ],
    [
      'a GNU long name of 20 MiB',
      async () =>
        gzipSync(
          Buffer.concat([
            tarHeader('././@LongLink', 'L', 20 << 20),
            blocks(Buffer.alloc(20 << 20, 0x61)),
            file('A/f'),
            Buffer.alloc(1024),
          ]),
        ),
    ],
    [
      'a PAX global header of 65 KiB (copied into every member by tar-stream)',
      async () =>
        gzipSync(
          Buffer.concat([
            tarHeader('pax_global_header', 'g', 65 << 10),
            blocks(Buffer.alloc(65 << 10, 0x61)),
            file('A/f'),
            Buffer.alloc(1024),
          ]),
        ),
    ],
  ];
  for (const [label, make] of cases)
    it(`${label} is ARCHIVE_CORRUPT; nothing is written`, async () => {
      const archive = join(dir, 'long-header.tar.gz');
      writeFileSync(archive, await make());
      const out = join(dir, `long-${label.replace(/\W+/g, '-')}`);
      const e = await extractTarGz(archive, out).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('ARCHIVE_CORRUPT');
      expect((e as DatasetError).message).toMatch(
        /long-header\.tar\.gz: a \S+ header of \d+ bytes, over the (16777216|65536) such a tar header may hold/,
      );
      expect(filesLeft(out)).toEqual([]);
    });

  it('real-sized ones are read: a 300-byte GNU long name, a 1 MiB PAX xattr record', async () => {
    const longName = `A/${'n'.repeat(150)}/${'m'.repeat(150)}`;
    const archive = join(dir, 'long-ok.tar.gz');
    writeFileSync(
      archive,
      gzipSync(
        Buffer.concat([
          tarHeader('././@LongLink', 'L', longName.length + 1),
          blocks(Buffer.from(`${longName}\0`)),
          file('ignored-short-name'),
          gunzipSync(
            await tarGz([
              { name: 'A/g', data: Buffer.from('gg'), pax: { 'SCHILY.xattr.user.big': 'v'.repeat(1 << 20) } },
            ]),
          ),
        ]),
      ),
    );
    const out = join(dir, 'long-ok');
    const report = await extractTarGz(archive, out);
    expect(report.extracted).toBe(2);
    expect(readFileSync(join(out, longName), 'utf8')).toBe('x');
    expect(readFileSync(join(out, 'A/g'), 'utf8')).toBe('gg');
  });
});

describe('names and links that would cost time or disk out of proportion', () => {
  it('a member path over 4096 characters is WRITE_FAILED at once (a deep one took hours, folder by folder)', async () => {
    const deep = `top/${'a/'.repeat(32 << 10)}f`;
    const archive = join(dir, 'deep-name.tar.gz');
    writeFileSync(
      archive,
      gzipSync(
        Buffer.concat([
          tarHeader('././@LongLink', 'L', deep.length + 1),
          blocks(Buffer.from(`${deep}\0`)),
          tarHeader('short', '0', 1),
          blocks(Buffer.from('x')),
          Buffer.alloc(1024),
        ]),
      ),
    );
    const out = join(dir, 'deep-name');
    const t0 = Date.now();
    const e = await extractTarGz(archive, out).catch((x: unknown) => x);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((e as DatasetError).code).toBe('WRITE_FAILED');
    expect((e as DatasetError).message).toMatch(
      /is 65541 characters long, more than the 4096 a path may have/,
    );
    expect((e as DatasetError).message.length).toBeLessThan(500);
    expect(filesLeft(out)).toEqual([]);
  });

  it('a hard link to a sparse member is listed in ignored, not copied with its holes written out', async () => {
    const archive = join(dir, 'sparse-link.tar.gz');
    const map = '0\n';
    writeFileSync(
      archive,
      await tarGz([
        {
          name: 'GNUSparseFile.1/big',
          data: Buffer.concat([Buffer.from(map), Buffer.alloc(512 - map.length)]),
          pax: {
            'GNU.sparse.major': '1',
            'GNU.sparse.minor': '0',
            'GNU.sparse.name': 'A/big',
            'GNU.sparse.realsize': String(1 << 30),
          },
        },
        { name: 'A/copy', type: 'link', linkname: 'A/big' },
      ]),
    );
    const out = join(dir, 'sparse-link');
    const report = await extractTarGz(archive, out);
    expect(report.ignored).toEqual(['A/copy']);
    expect(statSync(join(out, 'A/big')).size).toBe(1 << 30);
    expect(statSync(join(out, 'A/big')).blocks).toBeLessThan(64);
    expect(existsSync(join(out, 'A/copy'))).toBe(false);
  });
});

describe('a throwing onProgress callback', () => {
  it('ends the extraction with its own error (never blamed on the archive); no temp file is left', async () => {
    const archive = join(dir, 'progress.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/f', data: Buffer.from('abcd') },
        { name: 'A/g', data: Buffer.from('efgh') },
      ]),
    );
    const out = join(dir, 'progress');
    const boom = new Error('the caller’s own failure');
    const e = await extractTarGz(archive, out, {
      onProgress: () => {
        throw boom;
      },
    }).catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(filesLeft(out)).toEqual(['A/f']);
  });
});

describe('member sizes that are no byte count', () => {
  const cases: [string, () => Promise<Uint8Array>, string][] = [
    [
      'a PAX size of -5',
      () => tarGz([{ name: 'A/f', data: Buffer.from('abcd'), pax: { size: '-5' } }]),
      '"-5"',
    ],
    [
      'a PAX size of abc',
      () => tarGz([{ name: 'A/f', data: Buffer.from('abcd'), pax: { size: 'abc' } }]),
      '"abc"',
    ],
    [
      'a PAX size of 2.5',
      () => tarGz([{ name: 'A/f', data: Buffer.from('abcd'), pax: { size: '2.5' } }]),
      '"2.5"',
    ],
    ['a negative base-256 size field', base256NegativeSize, '"-'],
  ];
  for (const [label, archiveBytes, shown] of cases) {
    it(`${label}: ARCHIVE_CORRUPT naming the member within 5 s, no temp file left`, async () => {
      const archive = join(dir, 'badsize.tar.gz');
      writeFileSync(archive, await archiveBytes());
      const out = join(dir, `badsize-${label.replace(/\W+/g, '-')}`);
      const e = await settledWithin(extractTarGz(archive, out), 5000);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('ARCHIVE_CORRUPT');
      expect((e as DatasetError).message).toContain(`badsize.tar.gz: member A/f has the size ${shown}`);
      expect(filesLeft(out)).toEqual([]);
    });
  }
});

describe('a member listed twice', () => {
  it('is refused whatever the sizes (ARCHIVE_CORRUPT naming it); a file an earlier run left complete is still skipped', async () => {
    const archive = join(dir, 'twice.tar.gz');
    for (const [i, second] of ['BBBB', 'BBBBBB'].entries()) {
      writeFileSync(
        archive,
        await tarGz([
          { name: 'A/x.txt', data: Buffer.from('AAAA') },
          { name: 'A/x.txt', data: Buffer.from(second) },
        ]),
      );
      const e = await extractTarGz(archive, join(dir, `twice-out-${i}`)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('ARCHIVE_CORRUPT');
      expect((e as DatasetError).message).toContain('twice.tar.gz: member "A/x.txt" writes A/x.txt');
      expect((e as DatasetError).message).toContain('listed twice');
    }
    // two names for one destination (with topDir), and a hard link written twice
    writeFileSync(
      archive,
      await tarGz([
        { name: 'hr_dataset/A/x', data: Buffer.from('a') },
        { name: './A/x', data: Buffer.from('b') },
      ]),
    );
    await expect(extractTarGz(archive, join(dir, 'twice-top'), { topDir: 'hr_dataset' })).rejects.toThrow(
      /member "\.\/A\/x" writes hr_dataset\/A\/x, which an earlier member/,
    );
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/x', data: Buffer.from('a') },
        { name: 'A/l', type: 'link', linkname: 'A/x' },
        { name: 'A/l', type: 'link', linkname: 'A/x' },
      ]),
    );
    await expect(extractTarGz(archive, join(dir, 'twice-link'))).rejects.toMatchObject({
      code: 'ARCHIVE_CORRUPT',
      message: expect.stringContaining('member "A/l" writes A/l'),
    });
    // resume: what an interrupted run left complete is skipped, the rest extracted
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/x.txt', data: Buffer.from('AAAA') },
        { name: 'A/y.txt', data: Buffer.from('yy') },
      ]),
    );
    const out = join(dir, 'twice-resume');
    mkdirSync(join(out, 'A'), { recursive: true });
    writeFileSync(join(out, 'A', 'x.txt'), 'AAAA');
    expect(await extractTarGz(archive, out)).toEqual({ extracted: 1, skipped: 1, bytes: 2, ignored: [] });
    expect(readFileSync(join(out, 'A', 'y.txt'), 'utf8')).toBe('yy');
  });
});

describe('files already in the destination', () => {
  it("a file of another size is WRITE_FAILED naming it and kept (no earlier run's); one of the member's size is skipped", async () => {
    const archive = join(dir, 'existing.tar.gz');
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/same', data: Buffer.from('abcd') },
        { name: 'A/other', data: Buffer.from('efgh') },
        { name: 'A/hard', type: 'link', linkname: 'A/same' },
      ]),
    );
    const out = join(dir, 'existing');
    mkdirSync(join(out, 'A'), { recursive: true });
    writeFileSync(join(out, 'A/same'), 'WXYZ');
    writeFileSync(join(out, 'A/other'), 'the user’s longer file');
    const e = await extractTarGz(archive, out).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('WRITE_FAILED');
    expect((e as DatasetError).message).toContain(`member "A/other" would replace ${join(out, 'A/other')}`);
    expect(readFileSync(join(out, 'A/other'), 'utf8')).toBe('the user’s longer file');
    expect(readFileSync(join(out, 'A/same'), 'utf8')).toBe('WXYZ');
    // a hard link's copy is held to the same rule
    rmSync(join(out, 'A/other'));
    writeFileSync(join(out, 'A/hard'), 'x');
    const h = await extractTarGz(archive, out).catch((x: unknown) => x);
    expect((h as DatasetError).code).toBe('WRITE_FAILED');
    expect(readFileSync(join(out, 'A/hard'), 'utf8')).toBe('x');
    rmSync(join(out, 'A/hard'));
    expect(await extractTarGz(archive, out)).toMatchObject({ extracted: 1, skipped: 2 });
  });
});

describe('paths that cannot be written', () => {
  it('a destDir that is a file or lies below one is INVALID_ARGUMENT naming it', async () => {
    const archive = join(dir, 'dest.tar.gz');
    writeFileSync(archive, await tarGz([{ name: 'A/x', data: Buffer.from('x') }]));
    const file = join(dir, 'dest-is-file');
    writeFileSync(file, 'a file');
    for (const dest of [file, join(file, 'sub')]) {
      const e = await extractTarGz(archive, dest).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('INVALID_ARGUMENT');
      expect((e as DatasetError).message).toBe(
        `extractTarGz: destDir ${dest} is a file or lies below one; give a folder to extract into`,
      );
    }
    expect(readFileSync(file, 'utf8')).toBe('a file');
  });

  it('members needing one path as a file and a folder are ARCHIVE_CORRUPT naming both; a clash with a file on disk is WRITE_FAILED, never "download it again"', async () => {
    const archive = join(dir, 'clash.tar.gz');
    const orders: [Member[], string][] = [
      [
        [
          { name: 'A', data: Buffer.from('AAAA') },
          { name: 'A/b', data: Buffer.from('b') },
        ],
        'member "A/b" clashes with the file A written from an earlier member: one path cannot be both a file and a folder (EEXIST',
      ],
      [
        [
          { name: 'A/b', data: Buffer.from('b') },
          { name: 'A', data: Buffer.from('AAAA') },
        ],
        'member "A" clashes with the folder A made for an earlier member: one path cannot be both a file and a folder (EISDIR',
      ],
      [
        [
          { name: 'A', data: Buffer.from('AAAA') },
          { name: 'A/', type: 'directory' },
        ],
        'member "A/" clashes with the file A written from an earlier member: one path cannot be both a file and a folder (EEXIST',
      ],
    ];
    for (const [i, [members, message]] of orders.entries()) {
      writeFileSync(archive, await tarGz(members));
      const out = join(dir, `clash-out-${i}`);
      const e = await extractTarGz(archive, out).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).code).toBe('ARCHIVE_CORRUPT');
      expect((e as DatasetError).message).toContain(`clash.tar.gz: ${message}`);
      expect((e as DatasetError).message).not.toContain('download');
      expect(filesLeft(out).filter((f) => f.endsWith('.extracting'))).toEqual([]);
    }
    // the destination in the way: a user's file where a folder goes, a user's folder where a file goes
    writeFileSync(
      archive,
      await tarGz([
        { name: 'A/b', data: Buffer.from('b') },
        { name: 'C', data: Buffer.from('c') },
      ]),
    );
    const onDisk = join(dir, 'clash-disk');
    mkdirSync(onDisk);
    writeFileSync(join(onDisk, 'A'), 'user file');
    const e = await extractTarGz(archive, onDisk).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe('WRITE_FAILED');
    expect((e as DatasetError).message).toMatch(
      new RegExp(
        `clash\\.tar\\.gz: member "A/b" could not be written \\(EEXIST.*a file stands where a folder is needed, or a folder where a file is needed, in ${onDisk}`,
      ),
    );
    expect((e as DatasetError).message).not.toContain('download');
    rmSync(join(onDisk, 'A'));
    mkdirSync(join(onDisk, 'C'));
    const f = await extractTarGz(archive, onDisk).catch((x: unknown) => x);
    expect((f as DatasetError).code).toBe('WRITE_FAILED');
    expect((f as DatasetError).message).toContain('clash.tar.gz: member "C" could not be written');
    expect(filesLeft(onDisk)).toEqual(['A/b']);
  });
});
