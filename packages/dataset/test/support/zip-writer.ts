// Test support: a small zip writer (stored and deflated entries, optional data descriptors, forced Zip64 records,
// an archive comment) so the tests build every variant the reader must handle, plus hooks to corrupt them.
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/archive/zip/inflate.js';

/** One file to put in a test zip. */
export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflated. */
  method?: 0 | 8;
  /** Name bytes as stored, without the UTF-8 flag (e.g. code page 437 as Windows Explorer writes); `name` unused. */
  storedName?: Uint8Array;
  /** An Info-ZIP Unicode Path extra field (0x7075) with this name, its CRC over the stored name. */
  unicodePath?: string;
  /** The CRC written in that field instead of the stored name's (a stale field, left by a renaming tool). */
  unicodePathCrc?: number;
}

/** Writer options. */
export interface ZipWriterOptions {
  /** Write sizes after the data (flag bit 3) with zeros in the local header. */
  dataDescriptor?: boolean;
  /** Zip64 end records and Zip64 extra fields with 0xFFFFFFFF placeholders, even for small files. */
  zip64?: boolean;
  /** Archive comment. */
  comment?: Uint8Array;
  /** Extra bytes in each local header (its own extra length, unlike the directory's). */
  localExtra?: number;
  /** Bytes before the archive with its stored offsets left as they were (`cat stub.sh a.zip`, a self-extractor). */
  prefix?: Uint8Array;
}

const le16 = (v: number) => Buffer.from([v & 0xff, (v >>> 8) & 0xff]);
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const le64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

/** Offsets of the pieces written, for tests that corrupt them. */
export interface ZipLayout {
  bytes: Uint8Array;
  localOffsets: number[];
  cdOffset: number;
  eocdOffset: number;
}

/**
 * Build a zip archive.
 *
 * @param files - entries in order.
 * @param options - descriptors, Zip64, comment.
 * @returns the bytes and where each record starts.
 */
export function buildZip(files: readonly ZipInput[], options: ZipWriterOptions = {}): ZipLayout {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const localOffsets: number[] = [];
  let at = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    at += b.byteLength;
  };
  for (const f of files) {
    const method = f.method ?? 0;
    const data = method === 8 ? deflateRawSync(f.data) : Buffer.from(f.data);
    const crc = crc32(f.data);
    const name = f.storedName ? Buffer.from(f.storedName) : Buffer.from(f.name, 'utf8');
    const flags = (options.dataDescriptor ? 8 : 0) | (f.storedName ? 0 : 0x800);
    const unicode = f.unicodePath
      ? Buffer.concat([
          Buffer.from([1]),
          le32(f.unicodePathCrc ?? crc32(name)),
          Buffer.from(f.unicodePath, 'utf8'),
        ])
      : null;
    const unicodeExtra = unicode
      ? Buffer.concat([le16(0x7075), le16(unicode.byteLength), unicode])
      : Buffer.alloc(0);
    const z64 = Boolean(options.zip64);
    const localExtra = Buffer.concat([
      z64
        ? Buffer.concat([le16(1), le16(16), le64(f.data.byteLength), le64(data.byteLength)])
        : Buffer.alloc(0),
      options.localExtra
        ? Buffer.concat([le16(0xcafe), le16(options.localExtra), Buffer.alloc(options.localExtra)])
        : Buffer.alloc(0),
      unicodeExtra,
    ]);
    localOffsets.push(at);
    const dd = options.dataDescriptor;
    push(
      Buffer.concat([
        le32(0x04034b50),
        le16(z64 ? 45 : 20),
        le16(flags),
        le16(method),
        le16(0),
        le16(0x21),
        le32(dd ? 0 : crc),
        le32(dd ? 0 : z64 ? 0xffffffff : data.byteLength),
        le32(dd ? 0 : z64 ? 0xffffffff : f.data.byteLength),
        le16(name.byteLength),
        le16(localExtra.byteLength),
        name,
        localExtra,
      ]),
    );
    const offset = localOffsets[localOffsets.length - 1] as number;
    push(data);
    if (dd) {
      push(
        z64
          ? Buffer.concat([le32(0x08074b50), le32(crc), le64(data.byteLength), le64(f.data.byteLength)])
          : Buffer.concat([le32(0x08074b50), le32(crc), le32(data.byteLength), le32(f.data.byteLength)]),
      );
    }
    const cdExtra = Buffer.concat([
      z64
        ? Buffer.concat([le16(1), le16(24), le64(f.data.byteLength), le64(data.byteLength), le64(offset)])
        : Buffer.alloc(0),
      unicodeExtra,
    ]);
    central.push(
      Buffer.concat([
        le32(0x02014b50),
        le16(z64 ? 45 : 20),
        le16(z64 ? 45 : 20),
        le16(flags),
        le16(method),
        le16(0),
        le16(0x21),
        le32(crc),
        le32(z64 ? 0xffffffff : data.byteLength),
        le32(z64 ? 0xffffffff : f.data.byteLength),
        le16(name.byteLength),
        le16(cdExtra.byteLength),
        le16(0),
        le16(0),
        le16(0),
        le32(0),
        le32(z64 ? 0xffffffff : offset),
        name,
        cdExtra,
      ]),
    );
  }
  const cdOffset = at;
  for (const c of central) push(c);
  const cdSize = at - cdOffset;
  if (options.zip64) {
    const recordOffset = at;
    push(
      Buffer.concat([
        le32(0x06064b50),
        le64(44),
        le16(45),
        le16(45),
        le32(0),
        le32(0),
        le64(files.length),
        le64(files.length),
        le64(cdSize),
        le64(cdOffset),
      ]),
    );
    push(Buffer.concat([le32(0x07064b50), le32(0), le64(recordOffset), le32(1)]));
  }
  const eocdOffset = at;
  const comment = Buffer.from(options.comment ?? new Uint8Array());
  const z = options.zip64;
  push(
    Buffer.concat([
      le32(0x06054b50),
      le16(0),
      le16(0),
      le16(z ? 0xffff : files.length),
      le16(z ? 0xffff : files.length),
      le32(z ? 0xffffffff : cdSize),
      le32(z ? 0xffffffff : cdOffset),
      le16(comment.byteLength),
      comment,
    ]),
  );
  if (options.prefix) {
    const p = options.prefix.byteLength;
    return {
      bytes: new Uint8Array(Buffer.concat([Buffer.from(options.prefix), ...parts])),
      localOffsets: localOffsets.map((o) => o + p),
      cdOffset: cdOffset + p,
      eocdOffset: eocdOffset + p,
    };
  }
  return { bytes: new Uint8Array(Buffer.concat(parts)), localOffsets, cdOffset, eocdOffset };
}
