// Walks a TIFF's IFD chain before geotiff.js parses it: loops, absurd entry counts and tag arrays that run
// past the end of the file become typed errors here instead of hangs or RangeErrors inside geotiff.js.
import { RasterIoError } from '../errors.js';
import type { ByteSource } from '../source/byte-source.js';
import { checkLimit, type RasterIoLimits } from './limits.js';

/** Bytes per value of each TIFF field type (6.0 plus BigTIFF's LONG8/SLONG8/IFD8). */
export const TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** Field types libtiff accepts for the tags that shape pixel data (it fails the directory otherwise). */
const UNSIGNED = new Set([1, 3, 4, 16]);
const OFFSET_TYPES = new Set([3, 4, 16]);
/**
 * Tags geotiff.js 3.0.5 parses into an array it allocates at once and fills on demand (`isArray` without `eager`),
 * none of which the reader takes from geotiff.js: the block arrays and SubIFDs (read here), Min/MaxSampleValue,
 * GrayResponseCurve, PageNumber, TransferFunction, WhitePoint, PrimaryChromaticities, ColorMap, HalftoneHints,
 * DotRange, SMin/SMaxSampleValue, TransferRange, the old-JPEG tables, YCbCrCoefficients, YCbCrSubSampling,
 * ReferenceBlackWhite and StripRowCounts.
 */
const GEOTIFFJS_LAZY_ARRAYS: ReadonlySet<number> = new Set([
  273, 279, 280, 281, 291, 297, 301, 318, 319, 320, 321, 324, 325, 330, 336, 340, 341, 342, 517, 518, 519,
  520, 521, 529, 530, 532, 559,
]);

/**
 * Tags geotiff.js 3.0.5 reads whole when it parses a directory (`eager`). Their out-of-line values count against
 * limits.maxTagBytes across all directories: 300 directories pointing at the same 4 MB of GeoKeys made it hold
 * 1.2 GB.
 */
const GEOTIFFJS_EAGER_TAGS: ReadonlySet<number> = new Set([
  254, 255, 256, 257, 258, 259, 262, 277, 278, 284, 322, 323, 338, 339, 347, 33550, 33922, 34264, 34735,
  34736, 34737, 42113, 50674,
]);

/** StripOffsets, StripByteCounts, TileOffsets, TileByteCounts. */
const BLOCK_ARRAY_TAGS: ReadonlySet<number> = new Set([273, 279, 324, 325]);
const STRUCTURAL_TYPES: Readonly<Record<number, Set<number>>> = {
  256: UNSIGNED, // ImageWidth
  257: UNSIGNED, // ImageLength
  258: UNSIGNED, // BitsPerSample
  259: UNSIGNED, // Compression
  262: UNSIGNED, // PhotometricInterpretation
  273: OFFSET_TYPES, // StripOffsets
  277: UNSIGNED, // SamplesPerPixel
  278: UNSIGNED, // RowsPerStrip
  279: OFFSET_TYPES, // StripByteCounts
  284: UNSIGNED, // PlanarConfiguration
  317: UNSIGNED, // Predictor
  322: UNSIGNED, // TileWidth
  323: UNSIGNED, // TileLength
  324: OFFSET_TYPES, // TileOffsets
  325: OFFSET_TYPES, // TileByteCounts
  338: UNSIGNED, // ExtraSamples
  339: UNSIGNED, // SampleFormat
};

/**
 * Georeferencing tags and the field types libtiff converts them from. A geo tag of another type (an UNDEFINED
 * or ASCII ModelTiepoint, say) is dropped by libtiff, so GDAL sees no such tag; geotiff.js would hand its bytes
 * on as numbers, which become a transform no other reader sees.
 */
const NUMERIC = new Set([1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 16, 17, 18]);
/** What libtiff reads as doubles: every number type but IFD (13) and IFD8 (18), which it drops for these tags. */
const REAL = new Set([1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17]);
const INTEGER = new Set([1, 3, 4, 6, 8, 9, 16, 17]);
/** An ASCII tag: libtiff reads its bytes from ASCII, UNDEFINED or integer values (each must fit a byte). */
const TEXT = new Set([2, 7, ...INTEGER]);
const GEO_TAG_TYPES: Readonly<Record<number, Set<number>>> = {
  33550: REAL, // ModelPixelScale
  33922: REAL, // ModelTiepoint
  34264: REAL, // ModelTransformation
  34735: INTEGER, // GeoKeyDirectory (each value must also fit 16 bits: see parseGeoKeyDirectory)
  34736: REAL, // GeoDoubleParams
  34737: TEXT, // GeoAsciiParams
};

/** One entry's field type, value count and the byte position of its value field (inline values or an offset). */
export interface RawEntry {
  type: number;
  count: number;
  valueAt: number;
}

/** One directory as walked. */
export interface WalkedIfd {
  /** Byte offset of the directory. */
  offset: number;
  /** The first entry of each tag. libtiff ignores later duplicates, and so do we. */
  entries: Map<number, RawEntry>;
  /**
   * Byte positions of the entries hidden from geotiff.js: later duplicates (it would keep the last; libtiff keeps
   * the first) and georeferencing tags libtiff drops for their field type (geotiff.js would read their values, and
   * throws on IFD8 ones beyond 2^53).
   */
  blanked: number[];
  /**
   * Byte positions of entries geotiff.js would hold as lazily loaded arrays (see {@link GEOTIFFJS_LAZY_ARRAYS}) whose
   * values are out of line: geotiff.js sees them as one value. It allocates every declared value of such a tag when
   * it parses the directory (2^32 of them, or 1 000 directories of 2^26, in a hostile file of a few kilobytes),
   * and we read none of them through it: the block arrays are read here, as many entries as there are blocks.
   */
  hiddenArrays: number[];
  /** Out-of-line bytes of the {@link GEOTIFFJS_EAGER_TAGS} entries. */
  eagerBytes: number;
  /** `[start, end, tag]` of the out-of-line values of the entries geotiff.js reads (not the hidden arrays). */
  values: [number, number, number][];
  /** Georeferencing tags libtiff ignores for their field type (read them as absent). */
  ignoredGeoTags: Set<number>;
  /**
   * Bytes the directory and its out-of-line values take (duplicates included), with the file header: what libtiff
   * subtracts from the file size when it estimates missing byte counts. NaN when an entry's type has no size.
   */
  tagBytes: number;
}

/** What {@link walkIfds} found. */
export interface IfdChain {
  /** Number of IFDs in the main chain. */
  count: number;
  /**
   * The main chain's IFDs, then the SubIFDs of IFD 0 (overviews and masks as vips and tifffile write pyramids;
   * GDAL reads only IFD 0's), numbered after the chain.
   */
  ifds: WalkedIfd[];
}

/** libtiff refuses directories with more entries than this; so do we. */
const MAX_IFD_ENTRIES = 4096;
/** libtiff reads a SubIFDs tag of at most 65535 offsets, stored as LONG, IFD, LONG8 or IFD8. */
const SUBIFD_TAG = 330;
const SUBIFD_TYPES = new Set([4, 13, 16, 18]);
const MAX_SUBIFDS = 65535;

export interface IfdWalkInput {
  source: ByteSource;
  name: string;
  littleEndian: boolean;
  bigTiff: boolean;
  limits: RasterIoLimits;
  signal?: AbortSignal;
}

/**
 * Validate the IFD chain, IFD 0's SubIFDs and every entry's value range.
 * @returns the chain's length and every directory's entries.
 * @throws RasterIoError `CORRUPT_TIFF` (loop, empty or oversized directory, unknown field type),
 *   `TRUNCATED` (an IFD, or a value of IFD 0, past the end), `TOO_LARGE` (limits.maxIfds / maxTagBytes, which
 *   also bounds the values of the tags read whole at open, summed over the directories).
 *   Values of other directories past the end are left to their readers, as libtiff leaves them: a tag it ignores
 *   stays unread, one it needs fails that directory (its reader gets no values), and block arrays fail the read
 *   of that level (`TRUNCATED`), so an overview GDAL lists is listed here too.
 */
export async function walkIfds(input: IfdWalkInput): Promise<IfdChain> {
  const { source, name, littleEndian: le, bigTiff: big, signal } = input;
  const head = await readView(source, 0, big ? 16 : 8, signal);
  if (big && (head.byteLength < 16 || head.getUint16(4, le) !== 8 || head.getUint16(6, le) !== 0)) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: BigTIFF header has a bad offset size (expected 8, 0)`);
  }
  let offset = big ? u64(head, 8, le, name, 'first IFD offset') : head.getUint32(4, le);
  const seen = new Map<number, number>();
  const ifds: WalkedIfd[] = [];
  while (offset !== 0) {
    const index = seen.size;
    const earlier = seen.get(offset);
    if (earlier !== undefined) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: IFD loop; the next-IFD offset of IFD ${index - 1} points back to IFD ${earlier} at byte ${offset}`,
      );
    }
    checkLimit(input.limits, 'maxIfds', index + 1, name, 'the IFD count');
    seen.set(offset, index);
    const { ifd, next } = await walkIfd(input, offset, `IFD ${index} at byte ${offset}`, index === 0);
    ifds.push(ifd);
    offset = next;
  }
  if (seen.size === 0)
    throw new RasterIoError('CORRUPT_TIFF', `${name}: the header points to no IFD (offset 0)`);
  const count = ifds.length;
  ifds.push(...(await walkSubIfds(input, ifds[0] as WalkedIfd, count)));
  const eager = ifds.reduce((sum, ifd) => sum + ifd.eagerBytes, 0);
  checkLimit(
    input.limits,
    'maxTagBytes',
    eager,
    name,
    'the total size in bytes of the tag values read at open',
  );
  checkPatchedBytesUnread(ifds, name, input.bigTiff);
  return { count, ifds };
}

/**
 * geotiff.js parses a copy of the header in which the {@link WalkedIfd.blanked} entries are blanked and hidden arrays' counts
 * set to 1 ({@link geotiffJsView}). A tag whose out-of-line values lie on those bytes would be read from the copy
 * (a SampleFormat of 3 read as 1: float32 pixels returned as uint32), where libtiff reads the file's: such a file
 * is refused. No writer puts values on directory entries.
 */
function checkPatchedBytesUnread(ifds: readonly WalkedIfd[], name: string, big: boolean): void {
  const entrySize = big ? 20 : 12;
  const countAt = 4;
  const countSize = big ? 8 : 4;
  // [first byte, end, the entry's byte]
  const patched: [number, number, number][] = [];
  for (const ifd of ifds) {
    for (const at of ifd.blanked) patched.push([at, at + entrySize, at]);
    for (const at of ifd.hiddenArrays) patched.push([at + countAt, at + countAt + countSize, at]);
  }
  if (patched.length === 0) return;
  patched.sort((a, b) => a[0] - b[0]);
  const starts = patched.map((p) => p[0]);
  // patched ranges do not overlap each other (each is inside its own entry): the one starting last before a
  // value range's end is the only one that can reach into it
  for (const [k, ifd] of ifds.entries())
    for (const [start, end, tag] of ifd.values) {
      const i = lastAtOrBefore(starts, end - 1);
      const p = i >= 0 ? patched[i] : undefined;
      if (p && p[1] > start)
        throw new RasterIoError(
          'CORRUPT_TIFF',
          `${name}: IFD ${k}, tag ${tag}: its values at bytes ${start}..${end - 1} lie on the directory entry at byte ${p[2]} of another tag`,
        );
    }
}

/** Index of the last element ≤ `x` in ascending `xs`, or −1. */
function lastAtOrBefore(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The SubIFDs of IFD 0, as GDAL visits them: each listed directory on its own (their next-IFD offsets are not
 * followed), stopping at the first that cannot be read (GDAL stops there too and keeps what it has).
 */
async function walkSubIfds(input: IfdWalkInput, first: WalkedIfd, chainLength: number): Promise<WalkedIfd[]> {
  const entry = first.entries.get(SUBIFD_TAG);
  if (!entry || !SUBIFD_TYPES.has(entry.type) || entry.count < 1 || entry.count > MAX_SUBIFDS) return [];
  const { source, littleEndian: le, signal } = input;
  const size = TYPE_SIZE[entry.type] as number;
  const bytes = entry.count * size;
  const values = await readView(source, await valuesAt(input, entry, bytes), bytes, signal);
  if (values.byteLength < bytes) return [];
  const out: WalkedIfd[] = [];
  for (let k = 0; k < entry.count; k++) {
    if (chainLength + out.length + 1 > input.limits.maxIfds) break;
    const offset = size === 8 ? values.getBigUint64(k * 8, le) : BigInt(values.getUint32(k * 4, le));
    if (offset === 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) break;
    try {
      const where = `SubIFD ${k} of IFD 0 (IFD ${chainLength + out.length}) at byte ${offset}`;
      out.push((await walkIfd(input, Number(offset), where, false)).ifd);
    } catch (err) {
      if (err instanceof RasterIoError && err.code === 'ABORTED') throw err;
      break;
    }
  }
  return out;
}

/** Where an entry's values are: inline in the entry, or at the offset it holds. */
async function valuesAt(
  input: Pick<IfdWalkInput, 'source' | 'name' | 'littleEndian' | 'bigTiff' | 'signal'>,
  entry: RawEntry,
  bytes: number,
): Promise<number> {
  const { source, name, littleEndian: le, bigTiff: big, signal } = input;
  if (bytes <= (big ? 8 : 4)) return entry.valueAt;
  const field = await readView(source, entry.valueAt, big ? 8 : 4, signal);
  return big ? u64(field, 0, le, name, 'a tag value offset') : field.getUint32(0, le);
}

/**
 * Check one directory's entries; returns them and the next-IFD offset. `valuesInFile`: out-of-line values must
 * lie inside the file (IFD 0, whose image every read needs).
 */
async function walkIfd(
  input: IfdWalkInput,
  offset: number,
  where: string,
  valuesInFile: boolean,
): Promise<{ ifd: WalkedIfd; next: number }> {
  const { source, name, littleEndian: le, bigTiff: big, limits, signal } = input;
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const countView = await readView(source, offset, countSize, signal);
  if (countView.byteLength < countSize) throw pastEnd(name, where, source.size);
  const n = big ? u64(countView, 0, le, name, where) : countView.getUint16(0, le);
  if (n === 0 || n > MAX_IFD_ENTRIES) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: ${where} declares ${n} entries (a directory holds 1..${MAX_IFD_ENTRIES})`,
    );
  }
  const bodyLength = n * entrySize + countSize * (big ? 1 : 2);
  const body = await readView(source, offset + countSize, bodyLength, signal);
  if (body.byteLength < bodyLength) throw pastEnd(name, where, source.size);
  const ifd: WalkedIfd = {
    offset,
    entries: new Map(),
    blanked: [],
    hiddenArrays: [],
    eagerBytes: 0,
    values: [],
    ignoredGeoTags: new Set(),
    tagBytes: big ? 16 + 8 + n * 20 + 8 : 8 + 2 + n * 12 + 4,
  };
  for (let i = 0; i < n; i++) {
    const at = i * entrySize;
    const tag = body.getUint16(at, le);
    const outOfLine = outOfLineBytes(body, at, big, le);
    ifd.tagBytes += outOfLine;
    // libtiff ignores every later entry of a tag it has seen in this directory (geotiff.js would keep the last)
    if (ifd.entries.has(tag)) {
      ifd.blanked.push(offset + countSize + at);
      continue;
    }
    const size = valuesInFile ? source.size : undefined;
    const entry = checkEntry(body, at, { name, where, big, le, limits, size });
    ifd.entries.set(tag, { ...entry, valueAt: offset + countSize + at + (big ? 12 : 8) });
    if (GEOTIFFJS_LAZY_ARRAYS.has(tag) && outOfLine > 0) ifd.hiddenArrays.push(offset + countSize + at);
    else if (outOfLine > 0) {
      const from = big ? u64(body, at + 12, le, name, where) : body.getUint32(at + 8, le);
      ifd.values.push([from, from + outOfLine, tag]);
    }
    if (GEOTIFFJS_EAGER_TAGS.has(tag)) ifd.eagerBytes += outOfLine;
    const geoTypes = GEO_TAG_TYPES[tag];
    if (geoTypes && !geoTypes.has(entry.type)) {
      ifd.ignoredGeoTags.add(tag);
      ifd.blanked.push(offset + countSize + at);
    }
  }
  const next = big ? u64(body, n * entrySize, le, name, where) : body.getUint32(n * entrySize, le);
  return { ifd, next };
}

/** Bytes an entry's values take outside the directory (0 when inline; NaN for a type without a size). */
function outOfLineBytes(v: DataView, at: number, big: boolean, le: boolean): number {
  const size = TYPE_SIZE[v.getUint16(at + 2, le)];
  if (size === undefined) return Number.NaN;
  const count = big ? Number(v.getBigUint64(at + 4, le)) : v.getUint32(at + 4, le);
  const bytes = size * count;
  return bytes <= (big ? 8 : 4) ? 0 : bytes;
}

interface EntryContext {
  name: string;
  where: string;
  big: boolean;
  le: boolean;
  limits: RasterIoLimits;
  size: number | undefined;
}

/** Check one entry's type and value range; returns its field type and count. */
function checkEntry(v: DataView, at: number, ctx: EntryContext): { type: number; count: number } {
  const { name, where, big, le } = ctx;
  const tag = v.getUint16(at, le);
  const type = v.getUint16(at + 2, le);
  const typeSize = TYPE_SIZE[type];
  if (typeSize === undefined) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: ${where}, tag ${tag} has unknown field type ${type}`);
  }
  if (STRUCTURAL_TYPES[tag] && !STRUCTURAL_TYPES[tag].has(type)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: ${where}, tag ${tag} has field type ${type}; expected one of ${[...STRUCTURAL_TYPES[tag]].join(', ')}`,
    );
  }
  const count = big ? u64(v, at + 4, le, name, `${where}, tag ${tag}`) : v.getUint32(at + 4, le);
  const bytes = count * typeSize;
  if (bytes <= (big ? 8 : 4)) return { type, count }; // stored inline
  // block offsets and byte counts: libtiff reads no more entries than the image has blocks, when a read needs them
  if (BLOCK_ARRAY_TAGS.has(tag)) return { type, count };
  checkLimit(ctx.limits, 'maxTagBytes', bytes, name, `${where}, tag ${tag} (${count} values) size in bytes`);
  const valueOffset = big ? u64(v, at + 12, le, name, `${where}, tag ${tag}`) : v.getUint32(at + 8, le);
  if (ctx.size !== undefined && valueOffset + bytes > ctx.size) {
    throw new RasterIoError(
      'TRUNCATED',
      `${name}: ${where}, tag ${tag} holds ${count} × ${typeSize} bytes at byte ${valueOffset}, past the end of the ${ctx.size}-byte file`,
    );
  }
  return { type, count };
}

async function readView(
  source: ByteSource,
  offset: number,
  length: number,
  signal?: AbortSignal,
): Promise<DataView> {
  const b = await source.read(offset, length, signal);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(v: DataView, at: number, le: boolean, name: string, where: string): number {
  const x = v.getBigUint64(at, le);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RasterIoError('CORRUPT_TIFF', `${name}: ${where}: 64-bit value ${x} is beyond 2^53`);
  }
  return Number(x);
}

function pastEnd(name: string, where: string, size: number | undefined): RasterIoError {
  return new RasterIoError(
    'TRUNCATED',
    `${name}: truncated TIFF; ${where} runs past the end of the ${size ?? '?'}-byte file`,
  );
}

/**
 * `bytes` (read at file offset `at`) as geotiff.js should see them: every {@link WalkedIfd.blanked} entry turned into an
 * empty entry of tag 65535, so geotiff.js (which keeps the last of two equal tags) sees libtiff's first, and
 * the counts of {@link WalkedIfd.hiddenArrays} set to 1. A copy when anything changes; the source's own
 * bytes are never changed.
 */
export function geotiffJsView(
  bytes: Uint8Array,
  at: number,
  ifds: readonly WalkedIfd[],
  le: boolean,
  big: boolean,
): Uint8Array {
  const entrySize = big ? 20 : 12;
  let out = bytes;
  const patch = (entry: number, replacement: Uint8Array): void => {
    const from = Math.max(entry, at);
    const to = Math.min(entry + replacement.byteLength, at + bytes.byteLength);
    if (from >= to) return;
    if (out === bytes) out = bytes.slice();
    out.set(replacement.subarray(from - entry, to - entry), from - at);
  };
  const blank = new Uint8Array(entrySize);
  const b = new DataView(blank.buffer);
  b.setUint16(0, 0xffff, le);
  b.setUint16(2, 1, le); // BYTE, count 0: no values
  const one = new Uint8Array(big ? 8 : 4);
  const o = new DataView(one.buffer);
  if (big) o.setBigUint64(0, 1n, le);
  else o.setUint32(0, 1, le);
  for (const ifd of ifds) {
    for (const entry of ifd.blanked) patch(entry, blank);
    for (const entry of ifd.hiddenArrays) patch(entry + 4, one);
  }
  return out;
}

/**
 * A numeric entry's values as numbers, read from the file. geotiff.js 3.0.5 reads RATIONAL arrays wrongly (it
 * skips every other value), so tags libtiff converts to floats (YCbCrCoefficients, ReferenceBlackWhite) are
 * read here. With `limit`, only the first `limit` values are read (a tag may claim millions). Undefined for a
 * non-numeric field type or values past the end of the file.
 */
export async function readNumericEntry(
  input: Pick<IfdWalkInput, 'source' | 'name' | 'littleEndian' | 'bigTiff' | 'signal'>,
  entry: RawEntry,
  limit = entry.count,
): Promise<number[] | undefined> {
  const size = TYPE_SIZE[entry.type] as number;
  if (!NUMERIC.has(entry.type) || entry.type === 13 || entry.type === 18) return undefined;
  const count = Math.max(0, Math.min(entry.count, limit));
  const bytes = count * size;
  const v = await readView(
    input.source,
    await valuesAt(input, entry, entry.count * size),
    bytes,
    input.signal,
  );
  if (v.byteLength < bytes) return undefined;
  const le = input.littleEndian;
  const read: Record<number, (at: number) => number> = {
    1: (at) => v.getUint8(at),
    3: (at) => v.getUint16(at, le),
    4: (at) => v.getUint32(at, le),
    5: (at) => ratio(v.getUint32(at, le), v.getUint32(at + 4, le)),
    6: (at) => v.getInt8(at),
    8: (at) => v.getInt16(at, le),
    9: (at) => v.getInt32(at, le),
    10: (at) => ratio(v.getInt32(at, le), v.getInt32(at + 4, le)),
    11: (at) => v.getFloat32(at, le),
    12: (at) => v.getFloat64(at, le),
    16: (at) => Number(v.getBigUint64(at, le)),
    17: (at) => Number(v.getBigInt64(at, le)),
  };
  const get = read[entry.type] as (at: number) => number;
  return Array.from({ length: count }, (_, i) => get(i * size));
}

/** A rational as libtiff reads it: 0 when the numerator or the denominator is 0. */
function ratio(numerator: number, denominator: number): number {
  return numerator === 0 || denominator === 0 ? 0 : numerator / denominator;
}
