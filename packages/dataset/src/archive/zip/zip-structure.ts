// Parsing of a zip's fixed structures (end of central directory, its Zip64 variants, central directory entries)
// from bytes already read. Pure functions: every length and offset is checked against the bytes at hand and the
// archive size, so a hostile archive gives a typed error, never an out-of-range read or a huge allocation.
import { DatasetError } from '../../errors.js';
import { crc32 } from './inflate.js';

/** Signatures (little-endian u32) of the records we read. */
export const SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  eocd: 0x06054b50,
  zip64Eocd: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;

/** End of central directory (22 bytes) + the longest comment (65 535): the backward scan window. */
export const EOCD_SCAN_BYTES = 22 + 0xffff;
/** Fixed part of a central directory entry. */
export const CENTRAL_HEADER_BYTES = 46;
/** Fixed part of a local file header. */
export const LOCAL_HEADER_BYTES = 30;

/** Where the central directory is, from the (Zip64) end record. */
export interface CentralDirectoryInfo {
  entries: number;
  offset: number;
  size: number;
  /** Offset of the first byte after the central directory that belongs to the end records. */
  end: number;
  zip64: boolean;
  /**
   * Bytes found before the archive proper (a self-extractor stub, or data `cat` put in front): the offsets the
   * archive stores are all this much short, as Info-ZIP's unzip and Python's zipfile correct them. `offset` and
   * every entry's `localHeaderOffset` already include it.
   */
  prepended: number;
}

/** One central directory entry. */
export interface ZipEntry {
  /** Name as stored (UTF-8); folders end with `/`. */
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  /** General purpose flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8). */
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** External attributes (the high 16 bits hold the Unix mode when the zip was made on Unix). */
  readonly externalAttributes: number;
}

/** Context for messages: the archive label (a path or a redacted URL). */
type Where = { zip: string };

export const corrupt = (w: Where, what: string): DatasetError =>
  new DatasetError('CORRUPT_ZIP', `${w.zip}: ${what}; the zip is corrupt or not a zip`);

const u16 = (b: Uint8Array, at: number) => (b[at] as number) | ((b[at + 1] as number) << 8);
const u32 = (b: Uint8Array, at: number) =>
  ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
  (b[at + 3] as number) * 0x1000000;

/** A u64 that must fit a safe integer (every size and offset we use it for). */
function u64(w: Where, b: Uint8Array, at: number, field: string): number {
  const lo = u32(b, at);
  const hi = u32(b, at + 4);
  const v = hi * 0x100000000 + lo;
  if (hi >= 0x200000 || !Number.isSafeInteger(v)) throw corrupt(w, `${field} ${hi}:${lo} is beyond 2^53`);
  return v;
}

export const readU16 = u16;
export const readU32 = u32;

/**
 * Find the end of central directory record in the archive's tail: the one whose comment ends exactly at the end of
 * the file (so a signature planted inside a comment is not taken for the real one; two such records, one in the
 * other's comment, are `CORRUPT_ZIP`: unzip and Python's zipfile take the inner one), else — bytes appended
 * after the archive, which unzip and Python's zipfile read past — the last one whose comment fits in the file.
 *
 * @param w - archive label for messages.
 * @param tail - the last bytes of the archive (at most {@link EOCD_SCAN_BYTES}).
 * @param tailStart - offset of `tail[0]` in the archive.
 * @returns offset of the record inside `tail`.
 */
export function findEocd(w: Where, tail: Uint8Array, tailStart: number): number {
  let fits = -1;
  let endsFile = -1;
  for (let at = tail.byteLength - 22; at >= 0; at--) {
    if (u32(tail, at) !== SIG.eocd) continue;
    const end = at + 22 + u16(tail, at + 20);
    if (end === tail.byteLength) {
      // a second record ending the file holds the first in its comment: which archive is meant cannot be told
      if (endsFile >= 0) {
        throw corrupt(
          w,
          `two end of central directory records end the file (at offsets ${tailStart + at} and ${tailStart + endsFile}, one inside the other's comment)`,
        );
      }
      endsFile = at;
    }
    if (end < tail.byteLength && fits < 0) fits = at;
  }
  if (endsFile >= 0) return endsFile;
  if (fits >= 0) return fits;
  throw corrupt(
    w,
    `no end of central directory record in the last ${tail.byteLength} bytes (from offset ${tailStart})`,
  );
}

/**
 * Read the (Zip64) end of central directory. `readAt` fetches the Zip64 record, which may lie before the tail.
 *
 * @param w - archive label.
 * @param tail - archive tail holding the end record at `eocdAt`.
 * @param tailStart - offset of `tail[0]`.
 * @param eocdAt - offset of the end record inside `tail`.
 * @param readAt - reads `length` bytes at an archive offset.
 * @returns the central directory's position, size and entry count.
 */
export async function readEndRecords(
  w: Where,
  tail: Uint8Array,
  tailStart: number,
  eocdAt: number,
  readAt: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<CentralDirectoryInfo> {
  const eocdOffset = tailStart + eocdAt;
  const disk = u16(tail, eocdAt + 4);
  const cdDisk = u16(tail, eocdAt + 6);
  let entries = u16(tail, eocdAt + 10);
  let size = u32(tail, eocdAt + 12);
  let offset = u32(tail, eocdAt + 16);
  let end = eocdOffset;
  // The Zip64 locator sits right before the end record (read separately when a long comment pushed it out of the tail).
  const locatorOffset = eocdOffset - 20;
  let loc: Uint8Array | null = null;
  if (eocdAt >= 20) loc = tail.subarray(eocdAt - 20, eocdAt);
  else if (locatorOffset >= 0) loc = await readAt(locatorOffset, 20);
  const hasLocator = loc !== null && loc.byteLength === 20 && u32(loc, 0) === SIG.zip64Locator;
  const saturated = entries === 0xffff || size === 0xffffffff || offset === 0xffffffff;
  if (loc && hasLocator) {
    const stored = u64(w, loc, 8, 'Zip64 end record offset');
    if (stored + 56 > locatorOffset)
      throw corrupt(w, `Zip64 end record offset ${stored} overlaps its locator at ${locatorOffset}`);
    const { rec, recordOffset } = await zip64Record(w, stored, locatorOffset, readAt);
    // this disk, the directory's disk, the record's disk, and the total (0 or 1 for one archive: writers differ)
    if (u32(rec, 16) !== 0 || u32(rec, 20) !== 0 || u32(loc, 4) !== 0 || u32(loc, 16) > 1)
      throw new DatasetError(
        'UNSUPPORTED_ZIP',
        `${w.zip}: multi-disk (split) zip archives are not supported`,
      );
    entries = u64(w, rec, 32, 'Zip64 entry count');
    size = u64(w, rec, 40, 'Zip64 central directory size');
    offset = u64(w, rec, 48, 'Zip64 central directory offset');
    end = recordOffset;
  } else if (saturated) {
    throw corrupt(w, 'Zip64 values in the end record but no Zip64 locator before it');
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new DatasetError('UNSUPPORTED_ZIP', `${w.zip}: multi-disk (split) zip archives are not supported`);
  }
  if (offset + size > end)
    throw corrupt(
      w,
      `central directory (offset ${offset}, ${size} bytes) runs past its end record at ${end}`,
    );
  if (entries * CENTRAL_HEADER_BYTES > size)
    throw corrupt(w, `${entries} entries cannot fit a ${size}-byte central directory`);
  const prepended = await prependedBytes(w, { offset, size, end, entries }, readAt);
  return { entries, offset: offset + prepended, size, end, zip64: hasLocator, prepended };
}

/**
 * The Zip64 end record: at the offset its locator gives, or else (bytes put in front of the archive shift every
 * stored offset) right before the locator, where writers put it.
 */
async function zip64Record(
  w: Where,
  stored: number,
  locatorOffset: number,
  readAt: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<{ rec: Uint8Array; recordOffset: number }> {
  const at = async (offset: number) => {
    const rec = await readAt(offset, 56);
    return rec.byteLength === 56 && u32(rec, 0) === SIG.zip64Eocd ? rec : null;
  };
  const rec = await at(stored);
  if (rec) return { rec, recordOffset: stored };
  const before = locatorOffset - 56;
  const moved = before > stored ? await at(before) : null;
  if (!moved) throw corrupt(w, `no Zip64 end record signature at offset ${stored}`);
  return { rec: moved, recordOffset: before };
}

/**
 * How many bytes precede the archive. Writers put the central directory right before the end records, so a gap
 * between its declared end and the end records means the stored offsets are short by that gap (a stub or other
 * data in front). Taken when the directory's signature is missing at the declared offset and found at the
 * shifted one; 0 when found at the declared offset only, and the parse reports the declared offset when neither.
 * Found at both, the file is two archives end to end (or built to look like one): unzip and Python read the
 * shifted one, a reader taking the declared one would see other files, so it is refused.
 */
async function prependedBytes(
  w: Where,
  info: { offset: number; size: number; end: number; entries: number },
  readAt: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<number> {
  const { offset, size, end, entries } = info;
  const gap = end - (offset + size);
  if (gap <= 0 || entries === 0) return 0;
  const sigAt = async (o: number) => {
    const b = await readAt(o, 4);
    return b.byteLength === 4 && u32(b, 0) === SIG.central;
  };
  const [declared, shifted] = [await sigAt(offset), await sigAt(offset + gap)];
  if (declared && shifted)
    throw corrupt(
      w,
      `a central directory starts both at its declared offset ${offset} and ${gap} bytes later, where the end record places it (two archives end to end?); which one is meant is ambiguous`,
    );
  return shifted && !declared ? gap : 0;
}

/** Zip64 extended information: the saturated fields, in their fixed order. */
function applyZip64Extra(
  w: Where,
  name: string,
  extra: Uint8Array,
  fields: { usize: number; csize: number; offset: number },
): void {
  const data = findExtra(extra, 0x0001);
  if (data === 'malformed') throw corrupt(w, `entry ${name}: extra field runs past its end`);
  if (data) {
    let p = 0;
    const take = (field: string) => {
      if (p + 8 > data.byteLength)
        throw corrupt(w, `entry ${name}: Zip64 extra field too short for ${field}`);
      const v = u64(w, data, p, `entry ${name} ${field}`);
      p += 8;
      return v;
    };
    if (fields.usize === 0xffffffff) fields.usize = take('uncompressed size');
    if (fields.csize === 0xffffffff) fields.csize = take('compressed size');
    if (fields.offset === 0xffffffff) fields.offset = take('local header offset');
    return;
  }
  if (fields.usize === 0xffffffff || fields.csize === 0xffffffff || fields.offset === 0xffffffff)
    throw corrupt(w, `entry ${name}: Zip64 sizes announced but no Zip64 extra field`);
}

// ignoreBOM keeps a leading U+FEFF in the name, so a valid UTF-8 name re-encodes to exactly its stored bytes
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** IBM PC code page 437, the zip format's name encoding when flag bit 11 (UTF-8) is clear: bytes 0x80–0xFF. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function cp437(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] as string);
  return s;
}

function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * An entry name as unzip tools show it: the Info-ZIP Unicode Path extra field (0x7075) when its CRC matches the
 * stored name, else the stored bytes as UTF-8 when they are valid UTF-8 (flag bit 11, or Unix tools that store
 * the file system's UTF-8 names without the flag), else as code page 437 (the format's default: Windows
 * Explorer's archives). Never lossy: invalid bytes are never replaced, so two names cannot collapse into one.
 * `utf8` says whether the name is the stored bytes' UTF-8 decoding (so it re-encodes to them).
 */
function decodeName(raw: Uint8Array, extra: Uint8Array): { name: string; utf8: boolean } {
  const unicode = findExtra(extra, 0x7075);
  if (
    unicode instanceof Uint8Array &&
    unicode.byteLength > 5 &&
    unicode[0] === 1 &&
    u32(unicode, 1) === crc32(raw)
  ) {
    const name = utf8OrNull(unicode.subarray(5));
    if (name !== null) return { name, utf8: false };
  }
  const name = utf8OrNull(raw);
  return name === null ? { name: cp437(raw), utf8: false } : { name, utf8: true };
}

/**
 * The data of the first extra field with this id, null when there is none, or `'malformed'` when a field before
 * it runs past the end of the list.
 */
function findExtra(extra: Uint8Array, id: number): Uint8Array | null | 'malformed' {
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const len = u16(extra, at + 2);
    if (at + 4 + len > extra.byteLength) return 'malformed';
    if (u16(extra, at) === id) return extra.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
  return null;
}

/** Central directory entries, and the stored name bytes of those whose name is not their UTF-8 encoding. */
export interface CentralDirectory {
  entries: ZipEntry[];
  /** Stored (local header) name bytes, for entries whose `name` was decoded from code page 437 or an extra field. */
  storedNames: Map<ZipEntry, Uint8Array>;
}

/**
 * Parse every central directory entry.
 *
 * @param w - archive label.
 * @param cd - the central directory bytes.
 * @param info - its declared entry count and position.
 * @returns the entries in directory order, and the stored bytes of names not stored as UTF-8.
 */
export function parseCentralDirectory(
  w: Where,
  cd: Uint8Array,
  info: CentralDirectoryInfo,
): CentralDirectory {
  const out: ZipEntry[] = [];
  const storedNames = new Map<ZipEntry, Uint8Array>();
  let at = 0;
  for (let i = 0; i < info.entries; i++) {
    if (at + CENTRAL_HEADER_BYTES > cd.byteLength || u32(cd, at) !== SIG.central)
      throw corrupt(
        w,
        `central directory entry ${i} of ${info.entries}: bad signature at ${info.offset + at}`,
      );
    const nameLen = u16(cd, at + 28);
    const extraLen = u16(cd, at + 30);
    const commentLen = u16(cd, at + 32);
    const next = at + CENTRAL_HEADER_BYTES + nameLen + extraLen + commentLen;
    if (next > cd.byteLength) throw corrupt(w, `central directory entry ${i} runs past the directory`);
    const nameEnd = at + CENTRAL_HEADER_BYTES + nameLen;
    const raw = cd.subarray(at + CENTRAL_HEADER_BYTES, nameEnd);
    const extra = cd.subarray(nameEnd, nameEnd + extraLen);
    const { name, utf8 } = decodeName(raw, extra);
    const fields = { usize: u32(cd, at + 24), csize: u32(cd, at + 20), offset: u32(cd, at + 42) };
    if (fields.usize === 0xffffffff || fields.csize === 0xffffffff || fields.offset === 0xffffffff)
      applyZip64Extra(w, name, extra, fields);
    const entry: ZipEntry = {
      name,
      flags: u16(cd, at + 8),
      method: u16(cd, at + 10),
      crc32: u32(cd, at + 16),
      compressedSize: fields.csize,
      uncompressedSize: fields.usize,
      localHeaderOffset: fields.offset + info.prepended,
      externalAttributes: u32(cd, at + 38),
    };
    out.push(entry);
    if (!utf8) storedNames.set(entry, raw.slice());
    at = next;
  }
  // Python and unzip read the directory to its declared size: entries past the count would be lost here silently
  if (at + 4 <= cd.byteLength && u32(cd, at) === SIG.central)
    throw corrupt(
      w,
      `the end record counts ${info.entries} entries, but the central directory holds more after them (at ${info.offset + at})`,
    );
  checkLayout(w, out, info);
  return { entries: out, storedNames };
}

/**
 * Entries must lie before the central directory and must not overlap (overlapping entries are the classic
 * zip-bomb trick: one compressed stream counted many times). Each local record takes at least its fixed header,
 * its name and its data.
 */
function checkLayout(w: Where, entries: ZipEntry[], info: CentralDirectoryInfo): void {
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const names = new Set<string>();
  let prevEnd = 0;
  let prev = '';
  for (const e of byOffset) {
    if (names.has(e.name)) throw corrupt(w, `entry ${e.name} is listed twice`);
    names.add(e.name);
    if (e.localHeaderOffset < prevEnd)
      throw corrupt(
        w,
        `entry ${e.name} (offset ${e.localHeaderOffset}) overlaps ${prev} (ends at ${prevEnd})`,
      );
    const minEnd = e.localHeaderOffset + LOCAL_HEADER_BYTES + e.compressedSize;
    if (minEnd > info.offset)
      throw corrupt(
        w,
        `entry ${e.name}: data (offset ${e.localHeaderOffset}, ${e.compressedSize} bytes) runs past the central directory at ${info.offset}`,
      );
    prevEnd = minEnd;
    prev = e.name;
  }
}
