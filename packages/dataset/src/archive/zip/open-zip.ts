// A zip archive read by random access over any byte source (a file, an HTTP URL with range requests): the end
// records and central directory once, then per entry its local header and data. Stored entries are exposed as a
// byte source windowed into the archive (a GeoTIFF inside is read block by block, like a COG); deflated entries
// are inflated whole, size-capped and CRC-checked. Browser-safe.
import type { ByteSource } from '@worldstrat/raster-io';
import { DatasetError, throwIfAborted } from '../../errors.js';
import {
  checkMethods,
  checkOptionalString,
  checkOptions,
  checkSignalAndCallbacks,
} from '../../internal/check-arguments.js';
import { crc32, inflateRawExact } from './inflate.js';
import {
  type CentralDirectoryInfo,
  corrupt,
  EOCD_SCAN_BYTES,
  findEocd,
  LOCAL_HEADER_BYTES,
  parseCentralDirectory,
  readEndRecords,
  readU16,
  readU32,
  SIG,
  type ZipEntry,
} from './zip-structure.js';

export type { ZipEntry } from './zip-structure.js';

/** Limits of {@link openZip}: every count and size an archive declares is checked against them first. */
export interface ZipLimits {
  /** Most central directory entries. Default 2,000,000 (the L2A zip of the release has a few hundred thousand). */
  maxEntries: number;
  /** Largest central directory read in one go. Default 512 MiB. */
  maxCentralDirectoryBytes: number;
  /** Largest entry inflated or read whole. Default 1 GiB. */
  maxEntryBytes: number;
}

/** Defaults of {@link ZipLimits}. */
export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 2_000_000,
  maxCentralDirectoryBytes: 512 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024 * 1024,
});

/** Options of {@link openZip}. */
export interface OpenZipOptions {
  /** Name for messages (default `source.name`); must not hold credentials. */
  name?: string;
  limits?: Partial<ZipLimits>;
  /**
   * Source for the large one-time reads (end records, central directory), e.g. the uncached HTTP source under
   * the block cache `source`, so the directory does not evict entry blocks. Default `source`.
   */
  directorySource?: ByteSource;
  signal?: AbortSignal;
}

/** An opened zip archive (from {@link openZip}). */
export interface ZipArchive {
  readonly name: string;
  /** Archive size in bytes. */
  readonly size: number;
  /** Whether Zip64 end records were used. */
  readonly zip64: boolean;
  /** Entries in central directory order. */
  readonly entries: readonly ZipEntry[];
  /** The entry with this exact name. */
  get(name: string): ZipEntry | undefined;
  /** A stored entry as a byte source windowed into the archive (no copy, reads only what is asked). */
  entrySource(entry: ZipEntry, signal?: AbortSignal): Promise<ByteSource>;
  /** A stored or deflated entry, whole, CRC-32 checked. */
  readEntry(entry: ZipEntry, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Read exactly `length` bytes or fail as truncated. */
async function readExact(
  src: ByteSource,
  zip: string,
  offset: number,
  length: number,
  what: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let got: Uint8Array;
  try {
    got = await src.read(offset, length, signal);
  } catch (e) {
    throw sourceError(zip, e, `${what} (bytes ${offset}-${offset + length - 1})`);
  }
  if (got.byteLength !== length)
    throw corrupt({ zip }, `${what} is truncated: ${got.byteLength} of ${length} bytes at offset ${offset}`);
  return got;
}

/** A byte-source failure (HTTP error, timeout, refused range) as this package's error, keeping its code. */
export function sourceError(zip: string, e: unknown, what: string): DatasetError {
  if (e instanceof DatasetError) return e;
  const code = (e as { code?: unknown }).code;
  if (code === 'ABORTED') return new DatasetError('ABORTED', `${zip}: aborted`, { cause: e });
  return new DatasetError(
    'REMOTE_READ_FAILED',
    `${zip}: reading ${what} failed${typeof code === 'string' ? ` [${code}]` : ''}: ${(e as Error).message}`,
    { cause: e },
  );
}

/**
 * Open a zip archive by random access: one read for the size, one for the tail (end records, at most 65,557
 * bytes), one for the central directory; nothing else until an entry is used.
 *
 * @param source - the archive bytes (wrap an HTTP source in raster-io's `blockCache`).
 * @param options - name, limits, directory source, signal.
 * @returns the archive.
 * @throws {DatasetError} `CORRUPT_ZIP` for any structural problem, `UNSUPPORTED_ZIP` (multi-disk, limits),
 *   `REMOTE_READ_FAILED` when the source fails, `ABORTED`.
 * @example
 * ```ts
 * const zip = await openZip(blockCache(httpSource(url)), { name: url });
 * const tiff = await openGeoTiff(await zip.entrySource(zip.get('hr_dataset/A/A_ps.tiff')!));
 * ```
 */
export async function openZip(source: ByteSource, options?: OpenZipOptions): Promise<ZipArchive> {
  checkMethods('openZip', 'source', source, ['read']);
  options = checkOptions('openZip', options);
  checkSignalAndCallbacks('openZip', options as Record<string, unknown>, []);
  checkOptionalString('openZip', 'options.name', options.name);
  if (options.directorySource !== undefined)
    checkMethods('openZip', 'options.directorySource', options.directorySource, ['read']);
  if (options.limits !== undefined) checkOptions('openZip', options.limits, 'options.limits');
  const zip = options.name ?? source.name;
  const limits = { ...DEFAULT_ZIP_LIMITS, ...options.limits };
  const { signal } = options;
  const dir = options.directorySource ?? source;
  throwIfAborted(signal);
  const size = await archiveSize(dir, zip, signal);
  const tailStart = Math.max(0, size - EOCD_SCAN_BYTES);
  const tail = await readExact(dir, zip, tailStart, size - tailStart, 'end of central directory', signal);
  const eocdAt = findEocd({ zip }, tail, tailStart);
  const info = await readEndRecords({ zip }, tail, tailStart, eocdAt, (o, l) =>
    readExact(dir, zip, o, l, 'Zip64 end records', signal),
  );
  checkDirectoryLimits(zip, info, limits);
  const cd =
    info.offset >= tailStart
      ? tail.subarray(info.offset - tailStart, info.offset - tailStart + info.size)
      : await readExact(dir, zip, info.offset, info.size, 'central directory', signal);
  const { entries, storedNames } = parseCentralDirectory({ zip }, cd, info);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const dataStart = new Map<ZipEntry, Promise<number>>();
  const locate = (e: ZipEntry, s?: AbortSignal) => {
    let p = dataStart.get(e);
    if (!p) {
      p = localDataStart(source, zip, e, storedNames.get(e), info, s);
      p.catch(() => dataStart.delete(e));
      dataStart.set(e, p);
    }
    return p;
  };
  return {
    name: zip,
    size,
    zip64: info.zip64,
    entries,
    get: (name) => byName.get(name),
    async entrySource(entry, s) {
      checkEntry(zip, entry);
      if (entry.method !== 0)
        throw new DatasetError('UNSUPPORTED_ZIP', `${zip}: entry ${entry.name} is compressed; use readEntry`);
      return windowSource(source, `${zip}!/${entry.name}`, await locate(entry, s), entry.compressedSize);
    },
    async readEntry(entry, s) {
      checkEntry(zip, entry);
      if (entry.uncompressedSize > limits.maxEntryBytes || entry.compressedSize > limits.maxEntryBytes)
        throw new DatasetError(
          'UNSUPPORTED_ZIP',
          `${zip}: entry ${entry.name} is ${entry.uncompressedSize} bytes, over maxEntryBytes ${limits.maxEntryBytes}`,
        );
      const start = await locate(entry, s);
      const what = `${zip}: entry ${entry.name}`;
      const raw = await readExact(source, zip, start, entry.compressedSize, `entry ${entry.name}`, s);
      const data = entry.method === 0 ? raw : await inflateRawExact(raw, entry.uncompressedSize, what);
      const sum = crc32(data);
      if (sum !== entry.crc32)
        throw new DatasetError(
          'CORRUPT_ZIP',
          `${what}: CRC-32 ${hex(sum)} does not match the directory's ${hex(entry.crc32)}`,
        );
      return data;
    },
  };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/** The archive size: known, or learned from a first small read (HTTP sources learn it from Content-Range). */
async function archiveSize(src: ByteSource, zip: string, signal?: AbortSignal): Promise<number> {
  if (src.size === undefined) {
    try {
      await src.read(0, 4, signal);
    } catch (e) {
      throw sourceError(zip, e, 'the first bytes');
    }
  }
  const size = src.size;
  if (size === undefined) throw new DatasetError('REMOTE_READ_FAILED', `${zip}: the source reports no size`);
  if (size < 22) throw corrupt({ zip }, `${size} bytes is too short for a zip`);
  return size;
}

function checkDirectoryLimits(zip: string, info: CentralDirectoryInfo, limits: ZipLimits): void {
  if (info.entries > limits.maxEntries)
    throw new DatasetError(
      'UNSUPPORTED_ZIP',
      `${zip}: ${info.entries} entries, over maxEntries ${limits.maxEntries}`,
    );
  if (info.size > limits.maxCentralDirectoryBytes)
    throw new DatasetError(
      'UNSUPPORTED_ZIP',
      `${zip}: central directory of ${info.size} bytes, over maxCentralDirectoryBytes ${limits.maxCentralDirectoryBytes}`,
    );
}

/** Encrypted entries and methods other than stored/deflated are refused. */
function checkEntry(zip: string, e: ZipEntry): void {
  if (e.flags & 1) throw new DatasetError('UNSUPPORTED_ZIP', `${zip}: entry ${e.name} is encrypted`);
  if (e.method !== 0 && e.method !== 8)
    throw new DatasetError(
      'UNSUPPORTED_ZIP',
      `${zip}: entry ${e.name} uses compression method ${e.method}; only stored (0) and deflate (8) are read`,
    );
  if (e.method === 0 && e.compressedSize !== e.uncompressedSize)
    throw corrupt(
      { zip },
      `stored entry ${e.name} declares ${e.compressedSize} stored and ${e.uncompressedSize} uncompressed bytes`,
    );
}

/**
 * Where an entry's data starts: after its local header, whose own name and extra lengths may differ from the
 * directory's extra (never its name: the stored bytes are compared, `storedName` when the name was not stored as
 * UTF-8). Sizes always come from the central directory (data descriptors, bit 3).
 */
async function localDataStart(
  src: ByteSource,
  zip: string,
  e: ZipEntry,
  storedName: Uint8Array | undefined,
  info: CentralDirectoryInfo,
  signal?: AbortSignal,
): Promise<number> {
  const nameBytes = storedName ?? new TextEncoder().encode(e.name);
  const head = await readExact(
    src,
    zip,
    e.localHeaderOffset,
    LOCAL_HEADER_BYTES + nameBytes.byteLength,
    `local header of ${e.name}`,
    signal,
  );
  if (readU32(head, 0) !== SIG.local)
    throw corrupt({ zip }, `entry ${e.name}: no local header at offset ${e.localHeaderOffset}`);
  const nameLen = readU16(head, 26);
  const extraLen = readU16(head, 28);
  if (nameLen !== nameBytes.byteLength || !sameBytes(head.subarray(LOCAL_HEADER_BYTES), nameBytes))
    throw corrupt(
      { zip },
      `entry ${e.name}: local header name (${nameLen} bytes) differs from the directory's`,
    );
  if (readU16(head, 8) !== e.method)
    throw corrupt({ zip }, `entry ${e.name}: local header method differs from the directory's`);
  const start = e.localHeaderOffset + LOCAL_HEADER_BYTES + nameLen + extraLen;
  if (start + e.compressedSize > info.offset)
    throw corrupt(
      { zip },
      `entry ${e.name}: data (offset ${start}, ${e.compressedSize} bytes) runs into the central directory at ${info.offset}`,
    );
  return start;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A window `[start, start + length)` of a source as a source of its own. */
function windowSource(src: ByteSource, name: string, start: number, length: number): ByteSource {
  return {
    name,
    size: length,
    async read(offset, n, signal) {
      if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(n) || n < 0)
        throw new DatasetError(
          'INVALID_ARGUMENT',
          `${name}: invalid byte range offset=${offset} length=${n}`,
        );
      const from = Math.min(offset, length);
      const count = Math.min(n, length - from);
      if (count === 0) return new Uint8Array(0);
      return src.read(start + from, count, signal);
    },
  };
}
