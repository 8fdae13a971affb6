// Streamed, resumable, traversal-safe extraction of .tar.gz archives (tar-stream + node:zlib): members that
// already exist with the right size are skipped, every file is written to a temp name and renamed when
// complete, and a member whose path leaves the destination (or names the destination itself, or passes through a
// symbolic link below it) is refused before anything of it is written.
import { createReadStream } from 'node:fs';
import { copyFile, type FileHandle, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { DatasetError } from '../errors.js';
import {
  checkOptionalString,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import { inputFileSize } from '../internal/input-file.node.js';
import { MACOS_METADATA_DIR } from '../internal/macos-metadata.js';
import {
  createTempBeside,
  DestinationGuard,
  isSystemError,
  leavesRoot,
  makeDestination,
  memberWriteError,
} from './member-files.node.js';
import {
  type SparseLayout,
  SparseMapReader,
  SparsePlacer,
  type SparseSegment,
  sparseLayout,
} from './tar-sparse.js';

/** Options of {@link extractTarGz}. */
export interface ExtractTarGzOptions {
  /**
   * Place every member under this top-level folder of `destDir` (e.g. `hr_dataset`): a member whose path
   * already contains the folder (e.g. `hr_dataset/A/x.tiff` or `dataset/hr_dataset/A/x.tiff`) is written
   * from that folder down; any other member is written under `<destDir>/<topDir>/`. A member under a macOS
   * `__MACOSX` folder (`__MACOSX/hr_dataset/A/._x.tiff`) is written from `__MACOSX` down instead, away from the
   * files it describes. Default: paths as stored.
   */
  topDir?: string;
  signal?: AbortSignal;
  /** `stage: 'extract'`, `done`/`total` in compressed bytes read. */
  onProgress?: (p: { stage: string; done: number; total: number; file?: string }) => void;
}

/** What {@link extractTarGz} did. */
export interface ExtractTarGzReport {
  /** Regular files written in this run. */
  extracted: number;
  /** Regular files already present with the member's size (resume). */
  skipped: number;
  /** Bytes of member data written (a sparse file's data segments, not its holes). */
  bytes: number;
  /**
   * Links, devices and other non-file members that were not extracted (paths as stored), and sparse files in
   * forms whose segment map the reader cannot see (GNU format `S` members, PAX sparse 0.0 with several segments).
   */
  ignored: string[];
}

/** Longest member path extracted (Linux's PATH_MAX); a longer one is `WRITE_FAILED` before any folder is made. */
const MAX_MEMBER_PATH_CHARS = 4096;

/**
 * Map a member path to its destination (relative to `destDir`), or throw when it would leave `destDir`.
 *
 * @param memberPath - the path stored in the archive.
 * @param topDir - see {@link ExtractTarGzOptions.topDir}.
 * @param archive - the archive's path, named in errors.
 * @returns the relative destination path, or `null` for the archive root itself (`./`).
 * @throws {DatasetError} `UNSAFE_ARCHIVE_PATH` naming the archive and the member for absolute paths and `..`
 *   segments (a name that only starts with dots, like `..foo`, is kept); `WRITE_FAILED` for a path over 4096
 *   characters.
 * @example
 * ```ts
 * archiveMemberTarget('./A/A_ps.tiff', 'hr_dataset'); // 'hr_dataset/A/A_ps.tiff'
 * archiveMemberTarget('__MACOSX/hr_dataset/A/._A_ps.tiff', 'hr_dataset'); // '__MACOSX/hr_dataset/A/._A_ps.tiff'
 * ```
 */
export function archiveMemberTarget(memberPath: string, topDir?: string, archive?: string): string | null {
  checkString('archiveMemberTarget', 'memberPath', memberPath);
  checkOptionalString('archiveMemberTarget', 'topDir', topDir);
  checkOptionalString('archiveMemberTarget', 'archive', archive);
  const unsafe = () =>
    new DatasetError(
      'UNSAFE_ARCHIVE_PATH',
      `${archive === undefined ? 'archive member' : `${archive}: member`} "${memberPath}" points outside the destination folder; refusing to extract it (the archive is corrupt or malicious)`,
    );
  if (isAbsolute(memberPath) || /^[a-zA-Z]:[\\/]/.test(memberPath) || memberPath.includes('\0'))
    throw unsafe();
  // no system makes a longer path (Linux PATH_MAX), and checking each folder of a 16 MiB name took hours
  if (memberPath.length > MAX_MEMBER_PATH_CHARS)
    throw new DatasetError(
      'WRITE_FAILED',
      `${archive === undefined ? 'archive member' : `${archive}: member`} "${memberPath.slice(0, 200)}…" is ${memberPath.length} characters long, more than the ${MAX_MEMBER_PATH_CHARS} a path may have; it cannot be extracted`,
    );
  const parts = memberPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe();
  if (parts.length === 0) return null;
  let rel = parts;
  const macos = parts.indexOf(MACOS_METADATA_DIR);
  if (topDir && macos >= 0) {
    // Finder's `._<name>` companions: re-rooted at topDir they would land beside the files they describe
    rel = parts.slice(macos);
  } else if (topDir) {
    const at = parts.indexOf(topDir);
    rel = at >= 0 ? parts.slice(at) : [topDir, ...parts];
  }
  const out = normalize(rel.join(sep));
  // whole segments only: `..foo` is a file name; a `topDir` of `..` would still escape here
  if (leavesRoot(out)) throw unsafe();
  return out;
}

/**
 * Extract a `.tar.gz` archive into `destDir`, streaming (constant memory). Resumable: a regular member whose
 * destination already exists with the member's size is skipped (a file of another size is kept and refused); files are written to a new hidden temp file
 * beside them (`.<random>.extracting`, never a name already on disk) and renamed when complete, so an
 * interrupted run leaves no half-written file under its real name (a failed run removes its temp file; the
 * temps of a killed run are removed by the next run into the same destination). Nothing is written through a
 * symbolic link: `destDir` itself may be one, but a link below it (a folder or file) is refused. Links
 * and devices are never created: a hard link to a file written earlier in the run becomes a copy of it, others
 * are listed in `ignored`. GNU sparse files in PAX archives are restored with
 * their holes (see the package README).
 *
 * @param archivePath - the `.tar.gz` file.
 * @param destDir - destination root (created).
 * @param options - top-level folder, signal, progress.
 * @returns counts of extracted/skipped files and bytes written.
 * @throws {DatasetError} `UNREADABLE_FILE` (the archive is missing or not a regular file), `UNSAFE_ARCHIVE_PATH`
 *   (path traversal, a file named after `destDir` itself such as `.`, a symbolic link below `destDir` on a
 *   member's path), `ARCHIVE_CORRUPT` (bad gzip/tar stream, a member size that is no byte count, a file listed
 *   twice, two members needing one path as a file and a folder), `ABORTED`, `WRITE_FAILED` (naming the member:
 *   a full disk, a file or folder already in `destDir` in its way, a file of another size at its path), `INVALID_ARGUMENT` (`destDir` is a file or
 *   lies below one).
 * @example
 * ```ts
 * await extractTarGz('downloads/hr_dataset.tar.gz', 'dataset', { topDir: 'hr_dataset' });
 * ```
 */
export async function extractTarGz(
  archivePath: string,
  destDir: string,
  options?: ExtractTarGzOptions,
): Promise<ExtractTarGzReport> {
  checkString('extractTarGz', 'archivePath', archivePath, true);
  checkString('extractTarGz', 'destDir', destDir, true);
  options = checkOptions('extractTarGz', options);
  checkSignalAndCallbacks('extractTarGz', options as Record<string, unknown>);
  checkOptionalString('extractTarGz', 'options.topDir', options.topDir);
  const { signal, onProgress } = options;
  if (signal?.aborted) throw new DatasetError('ABORTED', 'extraction aborted', { cause: signal.reason });
  const total = await inputFileSize(archivePath, 'the .tar.gz archive');
  const root = resolve(destDir);
  await makeDestination('extractTarGz', root, destDir);
  const report: ExtractTarGzReport = { extracted: 0, skipped: 0, bytes: 0, ignored: [] };
  const input = createReadStream(archivePath, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // V7 headers (no ustar magic) are read too: tar-stream still checks every header's checksum first
  const ex = tarExtract({ allowUnknownFormat: true });
  let read = 0;
  let streamError: Error | undefined;
  const fail = (e: Error) => {
    streamError ??= e;
    ex.destroy(e);
  };
  input.on('data', (c) => {
    read += c.length;
  });
  const guard = longHeaderGuard(ex, archivePath);
  limitGlobalHeader(ex, archivePath);
  input.on('error', fail);
  gunzip.on('error', fail);
  guard.on('error', fail);
  input
    .pipe(gunzip)
    .pipe(guard)
    .pipe(ex as unknown as NodeJS.WritableStream);
  const onAbort = () => fail(new DatasetError('ABORTED', 'extraction aborted', { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  const destination = new DestinationGuard(root, archivePath, destDir, 'member');
  const madeDirs = new Set<string>();
  // regular files this run wrote or found in place (destination-relative path → file), for hard links to copy
  const files = new Map<string, string>();
  // those of them that are sparse (holes): hard links to them are not copied
  const sparseFiles = new Set<string>();
  const ensureDir = async (d: string) => {
    if (madeDirs.has(d)) return;
    await mkdir(d, { recursive: true });
    madeDirs.add(d);
  };
  // the caller's progress callback: what it throws ends the extraction as it is, never blamed on the archive
  const progress = (p: Parameters<NonNullable<typeof onProgress>>[0]) => {
    try {
      onProgress?.(p);
    } catch (e) {
      throw new CallbackFailure(e);
    }
  };
  let temp: string | undefined;
  // the member being written, and its destination-relative path, for messages
  let member: { name: string; rel: string | null; isFile: boolean } | undefined;
  try {
    for await (const entry of ex) {
      const h = entry.header;
      checkMemberSize(h, archivePath);
      const isFile = h.type === 'file' || h.type === 'contiguous-file';
      const layout: SparseLayout = isFile
        ? sparseLayout(paxOf(h), h.name, h.size ?? 0, archivePath)
        : { kind: 'plain' };
      const name = layout.kind === 'plain' ? h.name : layout.name;
      const rel = archiveMemberTarget(name, options.topDir, archivePath);
      const target = rel === null ? root : join(root, rel);
      if (rel !== null && leavesRoot(relative(root, target)))
        throw new DatasetError('UNSAFE_ARCHIVE_PATH', `${archivePath}: member "${name}" leaves ${destDir}`);
      if (rel === null && isFile) throw fileAtRoot(archivePath, name, destDir);
      member = { name, rel, isFile: isFile || h.type === 'link' };
      if (h.type === 'directory') {
        if (rel !== null) await destination.check(rel, name);
        await ensureDir(target);
        entry.resume();
        continue;
      }
      const linkedRel = h.type === 'link' ? linkSource(h.linkname, options.topDir, archivePath) : undefined;
      // a copy of a sparse file would write its holes out in full (a 231-byte archive filled 1 GiB per link)
      if (linkedRel !== undefined && sparseFiles.has(linkedRel)) {
        report.ignored.push(name);
        entry.resume();
        continue;
      }
      const linked = linkedRel === undefined ? undefined : files.get(linkedRel);
      if (linked !== undefined && rel !== null) {
        entry.resume();
        if (files.has(rel)) throw listedTwice(archivePath, name, rel);
        const source = await stat(linked);
        if ((await destination.prepareFile(rel, name, source.size)) === 'skip') report.skipped++;
        else {
          await ensureDir(dirname(target));
          const made = await createTempBeside(target);
          temp = made.path;
          await made.fh.close();
          await copyFile(linked, temp);
          await rename(temp, target);
          temp = undefined;
          report.extracted++;
          report.bytes += source.size;
        }
        files.set(rel, target);
        continue;
      }
      if (!isFile || layout.kind === 'unreadable') {
        report.ignored.push(name);
        entry.resume();
        continue;
      }
      const size = layout.kind === 'plain' ? (h.size ?? 0) : layout.realSize;
      // rel is set: a file member at the root was refused above
      // a copy this run wrote is no earlier run's file to resume: which copy won would depend on the sizes
      if (files.has(rel as string)) throw listedTwice(archivePath, name, rel as string);
      const found = await destination.prepareFile(rel as string, name, size);
      if (rel !== null) files.set(rel, target);
      if (rel !== null && layout.kind !== 'plain') sparseFiles.add(rel);
      if (found === 'skip') {
        report.skipped++;
        entry.resume();
        progress({ stage: 'extract', done: read, total, file: rel ?? '' });
        continue;
      }
      await ensureDir(dirname(target));
      const made = await createTempBeside(target);
      temp = made.path;
      let got: { read: number; written: number };
      try {
        got = await writeMember(made.fh, entry, layout, `${archivePath}: member ${name}`, h.size ?? 0);
      } finally {
        await made.fh.close();
      }
      if (got.read !== (h.size ?? 0))
        throw new DatasetError(
          'ARCHIVE_CORRUPT',
          `${archivePath}: member ${name} ended after ${got.read} of ${h.size ?? 0} bytes (truncated archive)`,
        );
      await rename(temp, target);
      temp = undefined;
      report.extracted++;
      report.bytes += got.written;
      progress({ stage: 'extract', done: read, total, file: rel ?? '' });
    }
    if (streamError) throw streamError;
  } catch (err) {
    if (temp) await unlink(temp).catch(() => {});
    input.destroy();
    const e = streamError ?? err;
    if (e instanceof CallbackFailure) throw e.thrown;
    if (e instanceof DatasetError) throw e;
    // a write of ours failed (the archive's stream errors have no syscall): the destination's problem, or
    // the archive's when one of its members needs a path another one took
    if (e !== streamError && isSystemError(e) && member)
      throw memberWriteError(e, {
        archive: archivePath,
        destDir,
        noun: 'member',
        member: member.name,
        clash: member.rel === null ? undefined : clashOf(member.rel, member.isFile, files, madeDirs, root),
        corrupt: 'ARCHIVE_CORRUPT',
      });
    throw new DatasetError(
      'ARCHIVE_CORRUPT',
      `${archivePath} is not a readable .tar.gz (${(e as Error).message}); delete it and download it again`,
      { cause: e },
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  onProgress?.({ stage: 'extract', done: total, total });
  return report;
}

/**
 * Write one regular member's data to `fh`: as it comes, or for a sparse member its segments at their file
 * offsets, holes left to read as zeros, and the file cut to its real size.
 *
 * @returns member bytes read and file bytes written.
 */
async function writeMember(
  fh: FileHandle,
  entry: AsyncIterable<unknown>,
  layout: SparseLayout,
  where: string,
  dataSize: number,
): Promise<{ read: number; written: number }> {
  let read = 0;
  let written = 0;
  if (layout.kind === 'plain') {
    for await (const chunk of entry) {
      await fh.write(chunk as Uint8Array);
      read += (chunk as Uint8Array).byteLength;
    }
    return { read, written: read };
  }
  if (layout.kind === 'unreadable') throw new Error('unreadable sparse members are not written');
  const map = layout.kind === 'map-in-data' ? new SparseMapReader(where, dataSize, layout.realSize) : null;
  let placer = layout.kind === 'mapped' ? new SparsePlacer(layout.segments) : null;
  for await (const c of entry) {
    let chunk = c as Uint8Array;
    read += chunk.byteLength;
    if (!placer) {
      const got = (map as SparseMapReader).push(chunk);
      if (!got) continue;
      placer = new SparsePlacer(got.segments as SparseSegment[]);
      chunk = got.rest;
    }
    for (const [bytes, position] of placer.place(chunk)) {
      await fh.write(bytes, 0, bytes.byteLength, position);
      written += bytes.byteLength;
    }
  }
  // a 1.0 map lies in the member's data: a member with no data has none, and holes only would be invented
  if (!placer)
    throw new DatasetError('ARCHIVE_CORRUPT', `${where}: a sparse file whose member holds no segment map`);
  await fh.truncate(layout.realSize);
  return { read, written };
}

/** What the caller's `onProgress` threw, carried out of the extraction loop to be rethrown as it was. */
class CallbackFailure {
  constructor(readonly thrown: unknown) {}
}

/**
 * Most bytes of one PAX record block or GNU long name/link: tar-stream holds each in memory whole before
 * parsing it, so a small gzip claiming gigabytes there would fill the heap. Real ones are a few KiB (xattrs,
 * macOS resource forks: a few MiB at most).
 */
const MAX_LONG_HEADER_BYTES = 16 << 20;
/**
 * Most bytes of a PAX global header, whose records tar-stream copies into every later member's (git archive writes
 * one of 52 bytes: a 11 MB one made each member cost seconds).
 */
const MAX_GLOBAL_HEADER_BYTES = 64 << 10;

/**
 * Refuse a PAX global header over {@link MAX_GLOBAL_HEADER_BYTES} when tar-stream decodes it (its
 * `_decodeLongHeader`, tar-stream 3.1.x, pinned): tar-stream copies it into every later member's records, and one
 * that fits a single read never reaches the guard below.
 */
function limitGlobalHeader(ex: object, archive: string): void {
  const it = ex as { _header?: { type?: unknown } | null; _decodeLongHeader?: (buf: Uint8Array) => void };
  const decode = it._decodeLongHeader;
  if (typeof decode !== 'function') return;
  it._decodeLongHeader = (buf: Uint8Array) => {
    if (it._header?.type === 'pax-global-header' && buf.byteLength > MAX_GLOBAL_HEADER_BYTES)
      throw new DatasetError(
        'ARCHIVE_CORRUPT',
        `${archive}: a pax-global-header header of ${buf.byteLength} bytes, over the ${MAX_GLOBAL_HEADER_BYTES} such a tar header may hold here (tar-stream copies it into every member's records); the archive is corrupt or malicious`,
      );
    decode.call(ex, buf);
  };
}

/**
 * A pass-through in front of tar-stream that fails as soon as tar-stream has started collecting a PAX or
 * long-name header over {@link MAX_LONG_HEADER_BYTES}: its `_longHeader`/`_missing` state (tar-stream 3.1.x,
 * pinned) says how many bytes it still waits for.
 */
function longHeaderGuard(ex: object, archive: string): Transform {
  const state = ex as { _longHeader?: unknown; _missing?: unknown; _header?: { type?: unknown } | null };
  return new Transform({
    transform(chunk, _encoding, done) {
      const missing = state._missing;
      if (state._longHeader === true && typeof missing === 'number' && missing > MAX_LONG_HEADER_BYTES)
        done(
          new DatasetError(
            'ARCHIVE_CORRUPT',
            `${archive}: a ${String(state._header?.type ?? 'long')} header of ${missing} bytes, over the ${MAX_LONG_HEADER_BYTES} such a tar header may hold here; the archive is corrupt or malicious`,
          ),
        );
      else done(null, chunk);
    },
  });
}

/**
 * A regular member whose path is the destination folder itself (`.`, `./.`): its data has no file to go to,
 * and `<destDir>` plus a suffix would be a sibling outside the destination, so it is refused up front.
 */
function fileAtRoot(archivePath: string, name: string, destDir: string): DatasetError {
  return new DatasetError(
    'UNSAFE_ARCHIVE_PATH',
    `${archivePath}: member "${name}" is a file named after the destination folder ${destDir} itself; refusing to extract it (the archive is corrupt or malicious)`,
  );
}

/** The member's PAX records, which tar-stream parses but its type declarations leave out. */
function paxOf(header: object): Record<string, string> | null {
  const pax = (header as { pax?: unknown }).pax;
  return pax && typeof pax === 'object' ? (pax as Record<string, string>) : null;
}

/**
 * Where a hard link's target member went (the same mapping as a member path); an empty or escaping target is
 * refused like a member path.
 */
function linkSource(
  linkname: string | null | undefined,
  topDir: string | undefined,
  archive: string,
): string {
  return linkname ? (archiveMemberTarget(linkname, topDir, archive) ?? '') : '';
}

/**
 * Refuse a member whose data size is no byte count: tar-stream takes a PAX `size` through `parseInt` (NaN for
 * `abc`, 2 for `2.5`) and decodes negative base-256 fields, and an entry of such a size never ends.
 *
 * @throws {DatasetError} `ARCHIVE_CORRUPT` naming the archive and the member.
 */
function checkMemberSize(h: { name: string; size?: number | null }, archive: string): void {
  const pax = paxOf(h)?.size;
  const size = h.size ?? 0;
  // an empty PAX value unsets the record (tar-stream then keeps the header's size)
  const paxOk = pax === undefined || pax === '' || /^\d{1,16}$/.test(pax);
  if (paxOk && Number.isSafeInteger(size) && size >= 0) return;
  throw new DatasetError(
    'ARCHIVE_CORRUPT',
    `${archive}: member ${h.name} has the size ${JSON.stringify(paxOk ? String(size) : pax)}, not a byte count; the archive is corrupt`,
  );
}

/** A second member writing the file an earlier one wrote (`rel`, destination-relative). */
function listedTwice(archive: string, name: string, rel: string): DatasetError {
  return new DatasetError(
    'ARCHIVE_CORRUPT',
    `${archive}: member "${name}" writes ${rel}, which an earlier member of the archive wrote; it is listed twice (the archive is corrupt)`,
  );
}

/**
 * After a failed write, the path this run wrote that clashes with the member at `rel`: a file at or above it,
 * or (for a file member) a folder at or below it. Searched only on that error path.
 */
function clashOf(
  rel: string,
  isFile: boolean,
  files: ReadonlyMap<string, string>,
  madeDirs: ReadonlySet<string>,
  root: string,
): string | undefined {
  for (const f of files.keys())
    if (rel.startsWith(`${f}${sep}`) || (!isFile && f === rel))
      return `the file ${f} written from an earlier member`;
  if (!isFile) return undefined;
  const target = join(root, rel);
  for (const d of madeDirs)
    if (d === target || d.startsWith(`${target}${sep}`))
      return `the folder ${relative(root, d)} made for an earlier member`;
  return undefined;
}
