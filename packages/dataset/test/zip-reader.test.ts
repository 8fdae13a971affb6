import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memorySource, openGeoTiff, readRaster } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../src/archive/zip/inflate.js';
import { openZip } from '../src/archive/zip/open-zip.js';
import { openRemoteZip } from '../src/archive/zip/remote-zip.js';
import { ZipTree } from '../src/dataset/zip-tree.js';
import { DatasetError } from '../src/errors.js';
import { openDataset } from '../src/node.js';
import { tempDir } from './support/fixtures.js';
import { type RangeServer, startRangeServer } from './support/range-server.js';
import { buildZip, type ZipInput } from './support/zip-writer.js';

const text = (s: string) => new TextEncoder().encode(s);
const pattern = (n: number, seed = 1) => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
const FILES: ZipInput[] = [
  { name: 'hr_dataset/', data: new Uint8Array() },
  { name: 'hr_dataset/A/A_ps.bin', data: pattern(5000), method: 0 },
  { name: 'lr_dataset/A/L2A/A-1.metadata', data: text('{"x":1}'.repeat(100)), method: 8 },
  { name: 'empty.txt', data: new Uint8Array(), method: 8 },
];

async function expectCode(p: Promise<unknown>, code: string, match?: RegExp): Promise<DatasetError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DatasetError);
  expect((e as DatasetError).code).toBe(code);
  if (match) expect((e as DatasetError).message).toMatch(match);
  return e as DatasetError;
}

describe('openZip (memory source)', () => {
  const variants = {
    plain: {},
    'data descriptors': { dataDescriptor: true },
    zip64: { zip64: true },
    'zip64 + data descriptors + local extra': { zip64: true, dataDescriptor: true, localExtra: 11 },
    'a comment holding a fake end record': {
      comment: new Uint8Array([...text('xx'), 0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(30)]),
    },
  } as const;
  for (const [label, opts] of Object.entries(variants)) {
    it(`reads stored and deflated entries: ${label}`, async () => {
      const { bytes } = buildZip(FILES, opts);
      const zip = await openZip(memorySource(bytes, 'test.zip'));
      expect(zip.zip64).toBe(Boolean((opts as { zip64?: boolean }).zip64));
      expect(zip.entries.map((e) => e.name)).toEqual(FILES.map((f) => f.name));
      for (const f of FILES.slice(1)) {
        const e = zip.get(f.name)!;
        expect(e.uncompressedSize).toBe(f.data.byteLength);
        expect(Array.from(await zip.readEntry(e))).toEqual(Array.from(f.data));
      }
      const stored = await zip.entrySource(zip.get('hr_dataset/A/A_ps.bin')!);
      expect(stored.size).toBe(5000);
      expect(Array.from(await stored.read(4990, 100))).toEqual(Array.from(FILES[1].data.subarray(4990)));
      await expectCode(zip.entrySource(zip.get('lr_dataset/A/L2A/A-1.metadata')!), 'UNSUPPORTED_ZIP');
    });
  }

  it('names not stored as UTF-8: code page 437 without the flag, a Unicode Path extra field, UTF-8 without the flag', async () => {
    const cp437 = new Uint8Array([
      0x47, 0x72, 0x81, 0x6e, 0x2f, 0x8e, 0xab, 0xe1, 0xff, 0x2e, 0x74, 0x78, 0x74,
    ]);
    const files: ZipInput[] = [
      // Windows Explorer: the OEM code page, flag bit 11 clear
      { name: '', storedName: cp437, data: text('cp437'), method: 8 },
      // Info-ZIP on Windows: OEM bytes plus the UTF-8 name in a 0x7075 extra field (CRC of the stored bytes)
      {
        name: '',
        storedName: new Uint8Array([0x63, 0x61, 0x66, 0x82]),
        unicodePath: 'café-ü',
        data: text('u'),
      },
      // an extra field whose CRC does not match the stored name is ignored (it belongs to a renamed entry)
      {
        name: '',
        storedName: new Uint8Array([0x78, 0x94]),
        unicodePath: 'stale',
        unicodePathCrc: 1,
        data: text('s'),
      },
      // Info-ZIP and 7-Zip on Unix: the file system's UTF-8 bytes, flag clear
      { name: '', storedName: text('ünï/çødé.txt'), data: text('utf8'), method: 8 },
      // a BOM at the start of a name is kept, not stripped
      { name: '\ufeffbom.txt', data: text('bom') },
    ];
    for (const prefix of [undefined, text('#!/bin/sh\nexit 0\n'.repeat(40))]) {
      const zip = await openZip(memorySource(buildZip(files, { prefix }).bytes, 'names.zip'));
      const names = ['Grün/Ä½ß\u00a0.txt', 'café-ü', 'xö', 'ünï/çødé.txt', '\ufeffbom.txt'];
      expect(zip.entries.map((e) => e.name)).toEqual(names);
      const bodies = await Promise.all(zip.entries.map((e) => zip.readEntry(e)));
      expect(bodies.map((b) => new TextDecoder().decode(b))).toEqual(['cp437', 'u', 's', 'utf8', 'bom']);
      const stored = await zip.entrySource(zip.get('café-ü')!);
      expect(Array.from(await stored.read(0, 10))).toEqual(Array.from(text('u')));
    }
  });

  it('bytes put in front of the archive (a self-extractor stub) shift every stored offset, as unzip corrects', async () => {
    const prefix = text('#!/bin/sh\necho self-extracting\nexit 0\n'.repeat(30));
    for (const opts of [
      {},
      { zip64: true },
      { zip64: true, dataDescriptor: true },
      { dataDescriptor: true },
    ]) {
      const { bytes } = buildZip(FILES, { ...opts, prefix });
      const zip = await openZip(memorySource(bytes, 'sfx.zip'));
      expect(zip.entries.map((e) => e.name)).toEqual(FILES.map((f) => f.name));
      expect(zip.entries[0]!.localHeaderOffset).toBe(prefix.byteLength);
      for (const f of FILES.slice(1))
        expect(Array.from(await zip.readEntry(zip.get(f.name)!))).toEqual(Array.from(f.data));
      const stored = await zip.entrySource(zip.get('hr_dataset/A/A_ps.bin')!);
      expect(Array.from(await stored.read(4000, 20))).toEqual(
        Array.from(FILES[1]!.data.subarray(4000, 4020)),
      );
    }
    // a gap whose shifted offset holds no central directory either stays an error at the declared offset
    const z = buildZip(FILES, { prefix });
    const broken = z.bytes.slice();
    broken[z.cdOffset] = 0;
    await expectCode(
      openZip(memorySource(broken, 'sfx.zip')),
      'CORRUPT_ZIP',
      new RegExp(`bad signature at ${z.cdOffset - prefix.byteLength}\\b`),
    );
  });

  it('bytes appended after the archive are read past, as unzip and Python do; the comment-exact record still wins', async () => {
    for (const trailing of [new Uint8Array(100), text('signed by someone\n')]) {
      for (const opts of [{}, { zip64: true }, { comment: text('a comment') }]) {
        const { bytes } = buildZip(FILES, opts);
        const zip = await openZip(memorySource(new Uint8Array([...bytes, ...trailing]), 'trailing.zip'));
        expect(zip.entries.map((e) => e.name)).toEqual(FILES.map((f) => f.name));
        expect(Array.from(await zip.readEntry(zip.get(FILES[2]!.name)!))).toEqual(Array.from(FILES[2]!.data));
      }
    }
  });

  it('a fake end record in the comment whose own comment also ends the file: CORRUPT_ZIP (unzip and Python take the fake)', async () => {
    // the fake record says "no entries" and its comment runs to the end of the file, as the real record's does
    const fake = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(16), 2, 0, ...text('zz')]);
    const { bytes } = buildZip(FILES, { comment: new Uint8Array([...text('xx'), ...fake]) });
    await expectCode(
      openZip(memorySource(bytes, 'planted.zip')),
      'CORRUPT_ZIP',
      /planted\.zip.*two end of central directory records end the file/,
    );
  });

  it('crc32 is the zip checksum', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
  });
});

describe('openZip on hostile archives → typed errors, quickly', () => {
  const base = () => buildZip(FILES);
  const open = (b: Uint8Array) => openZip(memorySource(b, 'bad.zip'));
  const patch32 = (b: Uint8Array, at: number, v: number) =>
    new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
  const patch16 = (b: Uint8Array, at: number, v: number) =>
    new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);

  it('not a zip, truncated, no end record', async () => {
    await expectCode(open(text('hello')), 'CORRUPT_ZIP', /bad\.zip: 5 bytes/);
    const { bytes } = base();
    await expectCode(open(bytes.subarray(0, bytes.length - 5)), 'CORRUPT_ZIP', /no end of central directory/);
    await expectCode(open(pattern(200_000)), 'CORRUPT_ZIP', /no end of central directory/);
  });

  it('central directory offset past the end record, huge entry count', async () => {
    const z = base();
    const a = z.bytes.slice();
    patch32(a, z.eocdOffset + 16, z.eocdOffset + 100);
    await expectCode(open(a), 'CORRUPT_ZIP', /runs past its end record/);
    const b = z.bytes.slice();
    patch16(b, z.eocdOffset + 10, 0xfffe);
    await expectCode(open(b), 'CORRUPT_ZIP', /65534 entries cannot fit/);
  });

  it('an end record counting fewer entries than the directory holds: CORRUPT_ZIP (the rest were dropped silently)', async () => {
    for (const zip64 of [false, true]) {
      const z = buildZip(FILES, { zip64 });
      for (const count of [1, 0]) {
        const b = z.bytes.slice();
        if (zip64) {
          // the Zip64 end record (right before its 20-byte locator) holds the counts at +24 and +32
          const rec = z.eocdOffset - 20 - 56;
          new DataView(b.buffer, b.byteOffset).setBigUint64(rec + 24, BigInt(count), true);
          new DataView(b.buffer, b.byteOffset).setBigUint64(rec + 32, BigInt(count), true);
        } else {
          patch16(b, z.eocdOffset + 8, count);
          patch16(b, z.eocdOffset + 10, count);
        }
        const at = count === 0 ? z.cdOffset : findCentral(b, z.cdOffset, 1);
        await expectCode(
          open(b),
          'CORRUPT_ZIP',
          new RegExp(
            `bad\\.zip: the end record counts ${count} entries, but the central directory holds more after them \\(at ${at}\\)`,
          ),
        );
      }
    }
  });

  it('two archives end to end: CORRUPT_ZIP as ambiguous (unzip and Python read the second, we read the first)', async () => {
    const one = buildZip([{ name: 'f.txt', data: text('AAAA copy one'), method: 0 }]);
    const two = buildZip([{ name: 'f.txt', data: text('BBBB copy two'), method: 0 }]);
    await expectCode(
      open(new Uint8Array([...one.bytes, ...two.bytes])),
      'CORRUPT_ZIP',
      new RegExp(
        `a central directory starts both at its declared offset ${two.cdOffset} and ${one.bytes.byteLength} bytes later`,
      ),
    );
    // each alone reads its own text
    const zip = await open(two.bytes);
    expect(new TextDecoder().decode(await zip.readEntry(zip.get('f.txt')!))).toBe('BBBB copy two');
  });

  it('a local header offset pointing elsewhere, overlapping entries', async () => {
    const z = base();
    const a = z.bytes.slice();
    // entry 2's local header offset → entry 1's data
    const cd2 = findCentral(a, z.cdOffset, 2);
    patch32(a, cd2 + 42, z.localOffsets[1] + 40);
    await expectCode(open(a), 'CORRUPT_ZIP', /overlaps hr_dataset\/A\/A_ps\.bin/);
    const b = z.bytes.slice();
    const cd1 = findCentral(b, z.cdOffset, 1);
    patch32(b, cd1 + 42, z.cdOffset);
    await expectCode(open(b), 'CORRUPT_ZIP', /runs past the central directory/);
  });

  it('local header name length mismatch, bad local signature', async () => {
    const z = base();
    const a = z.bytes.slice();
    patch16(a, z.localOffsets[1] + 26, 3);
    const zip = await open(a);
    await expectCode(zip.entrySource(zip.get('hr_dataset/A/A_ps.bin')!), 'CORRUPT_ZIP', /local header name/);
    const b = z.bytes.slice();
    patch32(b, z.localOffsets[2], 0x12345678);
    const zb = await open(b);
    await expectCode(
      zb.readEntry(zb.get('lr_dataset/A/L2A/A-1.metadata')!),
      'CORRUPT_ZIP',
      /no local header/,
    );
  });

  it('a deflate bomb past its declared size, a CRC mismatch, a bad stream', async () => {
    const bomb = new Uint8Array(50 * 1024 * 1024);
    const z = buildZip([{ name: 'bomb.bin', data: bomb, method: 8 }]);
    const cd = findCentral(z.bytes, z.cdOffset, 0);
    patch32(z.bytes, cd + 24, 1000); // declares 1000 bytes
    const t0 = Date.now();
    const zip = await open(z.bytes);
    await expectCode(
      zip.readEntry(zip.get('bomb.bin')!),
      'CORRUPT_ZIP',
      /bad\.zip: entry bomb\.bin inflates past its declared 1000 bytes/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    const c = buildZip([{ name: 'c.txt', data: text('hello world'), method: 8 }]);
    patch32(c.bytes, findCentral(c.bytes, c.cdOffset, 0) + 16, 0xdeadbeef);
    const zc = await open(c.bytes);
    await expectCode(
      zc.readEntry(zc.get('c.txt')!),
      'CORRUPT_ZIP',
      /CRC-32 .* does not match the directory's deadbeef/,
    );
    const d = buildZip([{ name: 'd.txt', data: text('hello world hello world'), method: 8 }]);
    d.bytes.fill(0xff, d.localOffsets[0] + 30 + 5, d.localOffsets[0] + 30 + 5 + 6);
    const zd = await open(d.bytes);
    await expectCode(zd.readEntry(zd.get('d.txt')!), 'CORRUPT_ZIP', /d\.txt/);
  });

  it('split (multi-disk) archives are UNSUPPORTED_ZIP: end record disk fields, Zip64 record and locator disk counts', async () => {
    const lastIndex = (b: Uint8Array, sig: number) => {
      const v = new DataView(b.buffer, b.byteOffset);
      for (let i = b.byteLength - 4; i >= 0; i--) if (v.getUint32(i, true) === sig) return i;
      throw new Error('no signature');
    };
    for (const at of [4, 6]) {
      const b = base().bytes.slice();
      patch16(b, lastIndex(b, 0x06054b50) + at, 1);
      await expectCode(open(b), 'UNSUPPORTED_ZIP', /multi-disk \(split\) zip archives are not supported/);
    }
    const z64 = () => buildZip(FILES, { zip64: true }).bytes.slice();
    // the Zip64 record's disk numbers, the locator's disk of that record, and its total disk count
    for (const [sig, at, value] of [
      [0x06064b50, 16, 1],
      [0x06064b50, 20, 1],
      [0x07064b50, 4, 1],
      [0x07064b50, 16, 3],
    ] as const) {
      const b = z64();
      patch32(b, lastIndex(b, sig) + at, value);
      await expectCode(open(b), 'UNSUPPORTED_ZIP', /multi-disk/);
    }
    // a total of 0 or 1 disks is one archive (writers differ)
    for (const total of [0, 1]) {
      const b = z64();
      patch32(b, lastIndex(b, 0x07064b50) + 16, total);
      expect((await open(b)).entries.length, String(total)).toBe(FILES.length);
    }
  });

  it('encrypted entries, unknown methods and entries over the size cap are refused', async () => {
    const z = base();
    const a = z.bytes.slice();
    patch16(a, findCentral(a, z.cdOffset, 1) + 8, 1);
    const za = await open(a);
    await expectCode(za.readEntry(za.get('hr_dataset/A/A_ps.bin')!), 'UNSUPPORTED_ZIP', /encrypted/);
    const b = z.bytes.slice();
    patch16(b, findCentral(b, z.cdOffset, 2) + 10, 14);
    const zb = await open(b);
    await expectCode(zb.readEntry(zb.get('lr_dataset/A/L2A/A-1.metadata')!), 'UNSUPPORTED_ZIP', /method 14/);
    const zc = await openZip(memorySource(z.bytes, 'cap.zip'), { limits: { maxEntryBytes: 100 } });
    await expectCode(zc.readEntry(zc.get('hr_dataset/A/A_ps.bin')!), 'UNSUPPORTED_ZIP', /maxEntryBytes 100/);
    await expectCode(
      openZip(memorySource(z.bytes, 'cap.zip'), { limits: { maxEntries: 2 } }),
      'UNSUPPORTED_ZIP',
      /4 entries, over maxEntries 2/,
    );
  });

  it('a stored entry whose sizes disagree, Zip64 sizes without their extra field', async () => {
    const z = base();
    const a = z.bytes.slice();
    patch32(a, findCentral(a, z.cdOffset, 1) + 24, 4999);
    const za = await open(a);
    await expectCode(
      za.entrySource(za.get('hr_dataset/A/A_ps.bin')!),
      'CORRUPT_ZIP',
      /stored entry hr_dataset\/A\/A_ps\.bin declares 5000 stored and 4999 uncompressed bytes/,
    );
    const b = z.bytes.slice();
    patch32(b, findCentral(b, z.cdOffset, 1) + 20, 0xffffffff);
    await expectCode(open(b), 'CORRUPT_ZIP', /Zip64 sizes announced but no Zip64 extra field/);
  });

  it('Zip64 locator pointing past itself', async () => {
    const z = buildZip(FILES, { zip64: true });
    const loc = z.eocdOffset - 20;
    new DataView(z.bytes.buffer).setBigUint64(loc + 8, BigInt(loc), true);
    await expectCode(open(z.bytes), 'CORRUPT_ZIP', /Zip64 end record offset .* overlaps its locator/);
  });
});

/** Offset of central directory entry `i`. */
function findCentral(b: Uint8Array, cdOffset: number, i: number): number {
  const v = new DataView(b.buffer, b.byteOffset);
  let at = cdOffset;
  for (let k = 0; k < i; k++)
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  return at;
}

describe('the layout tree over a zip', () => {
  it('an entry name thousands of folders deep is refused quickly (UNSUPPORTED_ZIP), not indexed per folder', async () => {
    // a 64 KiB name of `a/a/…`: 32,000 folders, each a key holding every folder above it (~1 GiB, seconds)
    const deep = `hr_dataset/${'a/'.repeat(32_000)}x.tif`;
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'deep.zip');
      await writeFile(path, buildZip([...FILES, { name: deep, data: text('x') }]).bytes);
      const t0 = performance.now();
      const e = await expectCode(openDataset(path), 'UNSUPPORTED_ZIP', /32002 folders deep, over the 32/);
      expect(performance.now() - t0).toBeLessThan(4000); // linear: milliseconds; the quadratic code took 8–20 s
      expect(e.message).toContain(path);
      expect(e.message).toContain('hr_dataset/a/a/a/');
      expect(e.message.length).toBeLessThan(path.length + 600);
    } finally {
      await cleanup();
    }
  });

  it('entries up to 32 deep are indexed folder by folder', async () => {
    const names = [
      'hr_dataset/A/A_ps.bin',
      `hr_dataset/${'d/'.repeat(30)}f`,
      'lr_dataset/A/L2A/A-1.metadata',
    ];
    const zip = await openZip(
      memorySource(buildZip(names.map((name) => ({ name, data: text(name) }))).bytes, 'z.zip'),
    );
    const tree = new ZipTree([
      { topDir: 'hr_dataset', strict: true, open: async () => zip },
      { topDir: 'lr_dataset', strict: true, open: async () => zip },
    ]);
    expect(await tree.list('')).toEqual(['hr_dataset', 'lr_dataset']);
    expect((await tree.list('hr_dataset'))?.sort()).toEqual(['A', 'd']);
    expect(await tree.list('hr_dataset/A')).toEqual(['A_ps.bin']);
    expect(await tree.list(`hr_dataset/${'d/'.repeat(29)}d`)).toEqual(['f']);
    expect(await tree.list(`hr_dataset/${'d/'.repeat(14)}d`)).toEqual(['d']);
    expect(await tree.isDir('hr_dataset/d/d')).toBe(true);
    expect(await tree.isDir('hr_dataset/d/x')).toBe(false);
    expect((await tree.file(`hr_dataset/${'d/'.repeat(30)}f`))?.entry.name).toBe(names[1]);
    expect(await tree.list('lr_dataset/A/L2A')).toEqual(['A-1.metadata']);
  });

  it('a file listed twice in one zip is CORRUPT_ZIP naming both entries, whatever their order', async () => {
    for (const names of [
      ['decoy/hr_dataset/A/A_ps.bin', 'hr_dataset/A/A_ps.bin'],
      ['hr_dataset/A/A_ps.bin', './hr_dataset//A/A_ps.bin'],
    ]) {
      const zip = await openZip(
        memorySource(buildZip(names.map((name) => ({ name, data: text(name) }))).bytes, 'dup.zip'),
      );
      const tree = new ZipTree([{ topDir: 'hr_dataset', strict: true, open: async () => zip }]);
      const err = await tree.file('hr_dataset/A/A_ps.bin').catch((e: unknown) => e);
      expect(err, names[0]).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('CORRUPT_ZIP');
      expect((err as DatasetError).message).toBe(
        `dup.zip: entries "${names[0]}" and "${names[1]}" are both hr_dataset/A/A_ps.bin; the file is listed twice`,
      );
    }
  });

  it("a zip's entries for another zip's part of the layout never shadow that zip's files", async () => {
    const real = 'lr_dataset/A/L1C/A-1-L1C_data.tiff';
    const l2a = await openZip(
      memorySource(
        buildZip(
          ['lr_dataset/A/L2A/A-1-L2A_data.tiff', real, 'hr_dataset/A/A_ps.tiff'].map((name) => ({
            name,
            data: text(`decoy ${name}`),
          })),
        ).bytes,
        'l2a.zip',
      ),
    );
    const l1c = await openZip(memorySource(buildZip([{ name: real, data: text('real') }]).bytes, 'l1c.zip'));
    const hr = await openZip(
      memorySource(buildZip([{ name: 'hr_dataset/A/A_ps.tiff', data: text('real') }]).bytes, 'hr.zip'),
    );
    const tree = new ZipTree([
      { topDir: 'hr_dataset', open: async () => hr },
      { topDir: 'lr_dataset', level: 'L2A', open: async () => l2a },
      { topDir: 'lr_dataset', level: 'L1C', open: async () => l1c },
    ]);
    // the L2A zip is opened first
    expect(await tree.list('lr_dataset/A/L2A')).toEqual(['A-1-L2A_data.tiff']);
    expect((await tree.file(real))?.zip.name).toBe('l1c.zip');
    expect((await tree.file('hr_dataset/A/A_ps.tiff'))?.zip.name).toBe('hr.zip');
  });

  it("entries under a macOS __MACOSX folder are no layout files (Finder's `._<name>` companions)", async () => {
    const names = [
      'hr_dataset/A/A_ps.bin',
      '__MACOSX/hr_dataset/A/._A_ps.bin',
      'WorldStrat/lr_dataset/A/L2A/A-1.metadata',
      '__MACOSX/WorldStrat/lr_dataset/A/L2A/._A-1.metadata',
      '__MACOSX/hr_dataset/B/._B_ps.bin',
    ];
    const zip = await openZip(
      memorySource(buildZip(names.map((name) => ({ name, data: text(name) }))).bytes, 'mac.zip'),
    );
    const tree = new ZipTree([
      { topDir: 'hr_dataset', strict: true, open: async () => zip },
      { topDir: 'lr_dataset', strict: true, open: async () => zip },
    ]);
    expect(await tree.list('hr_dataset')).toEqual(['A']);
    expect(await tree.list('hr_dataset/A')).toEqual(['A_ps.bin']);
    expect(await tree.list('lr_dataset/A/L2A')).toEqual(['A-1.metadata']);
    expect(await tree.file('hr_dataset/A/._A_ps.bin')).toBeUndefined();
    // the same for a zip holding one part of the layout (entries outside it get the part's top folder)
    const part = new ZipTree([{ topDir: 'hr_dataset', open: async () => zip }]);
    expect(await part.list('hr_dataset')).toEqual(['A']);
    expect(await part.list('hr_dataset/A')).toEqual(['A_ps.bin']);
  });
});

describe('openRemoteZip over a 127.0.0.1 range server', () => {
  let server: RangeServer;
  beforeAll(async () => {
    server = await startRangeServer();
  });
  afterAll(() => server.close());

  it('opens with ≤ 3 requests, reads a stored entry by window and a deflated one whole, then from cache', async () => {
    const big = pattern(600_000, 9);
    const files: ZipInput[] = [
      { name: 'a/big.bin', data: big },
      { name: 'a/small.json', data: text('{"k": "v"}'.repeat(500)), method: 8 },
    ];
    server.files.set('z/ok.zip', buildZip(files, { zip64: true, dataDescriptor: true }).bytes);
    const { zip, requestCount: _ } = await openRemoteZip(`${server.origin}/z/ok.zip`, 'ok.zip', {
      blockBytes: 16 * 1024,
    }).then((r) => ({ zip: r.zip, requestCount: r.requestCount }));
    expect(server.hits.get('z/ok.zip')).toBeLessThanOrEqual(3);
    server.resetCounts();
    const src = await zip.entrySource(zip.get('a/big.bin')!);
    const w = await src.read(300_000, 1000);
    expect(Array.from(w)).toEqual(Array.from(big.subarray(300_000, 301_000)));
    // local header + one window: a few blocks, never the whole 600 kB entry
    expect(server.hits.get('z/ok.zip')).toBeLessThanOrEqual(2);
    expect(server.bytesServed.get('z/ok.zip')!).toBeLessThan(64 * 1024);
    expect(new TextDecoder().decode(await zip.readEntry(zip.get('a/small.json')!))).toBe(
      '{"k": "v"}'.repeat(500),
    );
    server.resetCounts();
    await src.read(300_000, 1000);
    await zip.readEntry(zip.get('a/small.json')!);
    expect(server.totalHits()).toBe(0);
  });

  it('a GeoTIFF in a stored entry is read by window through raster-io', async () => {
    const { writeGeoTiff } = await import('@worldstrat/raster-io/node');
    const { tempDir } = await import('./support/fixtures.js');
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { dir, cleanup } = await tempDir();
    try {
      const w = 1024;
      const band = new Uint16Array(w * w).map((_, i) => i % 4093);
      const path = join(dir, 't.tif');
      await writeGeoTiff(
        path,
        { width: w, height: w, bands: [band], dtype: 'uint16' },
        { tiled: true, tileSize: 256 },
      );
      const tif = new Uint8Array(await readFile(path));
      server.files.set('z/tif.zip', buildZip([{ name: 'x/t.tif', data: tif }]).bytes);
      const { zip } = await openRemoteZip(`${server.origin}/z/tif.zip`, 'tif.zip', { blockBytes: 4096 });
      server.resetCounts();
      const tiff = await openGeoTiff(await zip.entrySource(zip.get('x/t.tif')!));
      const r = await readRaster(tiff, { window: { x: 128, y: 128, width: 64, height: 64 } });
      expect(r.bands[0][0]).toBe(band[128 * w + 128]);
      expect(r.bands[0][64 * 64 - 1]).toBe(band[191 * w + 191]);
      // one 256² tile of 16 (plus headers), not the whole file
      expect(server.bytesServed.get('z/tif.zip')!).toBeLessThan(tif.byteLength / 8);
    } finally {
      await cleanup();
    }
  });

  it('hostile servers: ignored Range (endless 200), wrong Content-Range, short and long bodies → typed errors', async () => {
    const bytes = buildZip(FILES).bytes;
    for (const mode of ['ignore-range', 'wrong-content-range', 'short-body', 'long-body'] as const) {
      const p = `z/${mode}.zip`;
      server.files.set(p, bytes);
      server.modes.set(p, mode);
      const t0 = Date.now();
      const e = await expectCode(
        openRemoteZip(`${server.origin}/${p}`, `https://mirror.example/${mode}.zip`),
        'REMOTE_READ_FAILED',
      );
      expect(e.message).toContain(`https://mirror.example/${mode}.zip`);
      expect(Date.now() - t0).toBeLessThan(5000);
      if (mode === 'ignore-range') expect(server.bytesServed.get(p)!).toBeLessThan(64 * 2 ** 20);
    }
    await expectCode(
      openRemoteZip(`${server.origin}/z/missing.zip`, 'missing.zip'),
      'REMOTE_READ_FAILED',
      /404/,
    );
  });
});
