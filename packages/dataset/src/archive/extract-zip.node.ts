// Resumable, traversal-safe extraction of a local .zip (the v1.1 release archives) with the bounded zip reader:
// an entry whose path leaves the destination (or names the destination itself, or passes through a symbolic link
// below it) is refused before anything is written, files go to a temp name and are renamed once complete and
// CRC-checked, entries already present with the right size are skipped.
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { blockCache } from '@worldstrat/raster-io';
import { fileSource } from '@worldstrat/raster-io/node';
import { DatasetError } from '../errors.js';
import {
  checkOptionalString,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import { inputFileSize } from '../internal/input-file.node.js';
import { archiveMemberTarget, type ExtractTarGzReport } from './extract-tar-gz.node.js';
import {
  createTempBeside,
  DestinationGuard,
  isSystemError,
  leavesRoot,
  makeDestination,
  memberWriteError,
} from './member-files.node.js';
import { crc32 } from './zip/inflate.js';
import { openZip, type ZipArchive, type ZipEntry, type ZipLimits } from './zip/open-zip.js';

/** Options of {@link extractZip}. */
export interface ExtractZipOptions {
  /**
   * As `extractTarGz`'s `topDir`: members are placed from this folder down (added when missing); a macOS
   * `__MACOSX/…` entry stays under `__MACOSX`.
   */
  topDir?: string;
  limits?: Partial<ZipLimits>;
  signal?: AbortSignal;
  /** `done`/`total` in entries. */
  onProgress?: (p: { stage: string; done: number; total: number; file?: string }) => void;
}

/** Stored entries are copied in reads of this size (constant memory for large members). */
const COPY_CHUNK = 4 * 1024 * 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/**
 * Extract a `.zip` into `destDir`. Zip-slip paths and paths through a symbolic link below `destDir` (the root
 * itself may be one) are refused (`UNSAFE_ARCHIVE_PATH`) before anything is written, links and other special
 * entries are listed in `ignored`, every structural problem is `CORRUPT_ZIP` naming the archive and entry. The
 * temps of a killed run are removed by the next run into the same destination.
 *
 * @param archivePath - the zip.
 * @param destDir - destination root (created).
 * @param options - top folder, limits, signal, progress.
 * @returns counts of extracted/skipped files and bytes written.
 * @throws {DatasetError} `UNREADABLE_FILE` (the archive is missing or not a regular file), `UNSAFE_ARCHIVE_PATH`,
 *   `CORRUPT_ZIP` (also two entries unpacking to one file, or needing
 *   one path as a file and a folder), `UNSUPPORTED_ZIP`, `WRITE_FAILED` (naming the entry), `ABORTED`,
 *   `INVALID_ARGUMENT` (`destDir` is a file or lies below one).
 * @example
 * ```ts
 * await extractZip('downloads/hr_dataset.zip', 'dataset', { topDir: 'hr_dataset' });
 * ```
 */
export async function extractZip(
  archivePath: string,
  destDir: string,
  options?: ExtractZipOptions,
): Promise<ExtractTarGzReport> {
  checkString('extractZip', 'archivePath', archivePath, true);
  checkString('extractZip', 'destDir', destDir, true);
  options = checkOptions('extractZip', options);
  checkSignalAndCallbacks('extractZip', options as Record<string, unknown>);
  checkOptionalString('extractZip', 'options.topDir', options.topDir);
  if (options.limits !== undefined) checkOptions('extractZip', options.limits, 'options.limits');
  const { signal } = options;
  await inputFileSize(archivePath, 'the .zip archive');
  const raw = fileSource(archivePath);
  try {
    const zip = await openZip(blockCache(raw, { blockSize: 1 << 16, maxBlocks: 64 }), {
      name: archivePath,
      limits: options.limits,
      directorySource: raw,
      signal,
    });
    const root = resolve(destDir);
    // every path is checked before anything is written
    const plan = zip.entries.map((e) => ({
      e,
      rel: archiveMemberTarget(e.name, options.topDir, archivePath),
    }));
    // two names for one file (`A/x`, `./A/x`): which copy won would depend on their sizes (the resume rule)
    const fileAt = new Map<string, string>();
    for (const { e, rel } of plan) {
      if (rel !== null && leavesRoot(relative(root, join(root, rel))))
        throw new DatasetError('UNSAFE_ARCHIVE_PATH', `${archivePath}: entry "${e.name}" leaves ${destDir}`);
      // a file entry named `.` has no file to go to: refused, not silently dropped
      if (rel === null && isFileEntry(e))
        throw new DatasetError(
          'UNSAFE_ARCHIVE_PATH',
          `${archivePath}: entry "${e.name}" is a file named after the destination folder ${destDir} itself; refusing to extract it (the archive is corrupt or malicious)`,
        );
      if (rel === null || !isFileEntry(e)) continue;
      const first = fileAt.get(rel);
      if (first !== undefined)
        throw new DatasetError(
          'CORRUPT_ZIP',
          `${archivePath}: entries "${first}" and "${e.name}" both unpack to ${rel}; the file is listed twice`,
        );
      fileAt.set(rel, e.name);
    }
    // and no link below the root leads a write outside it
    const guard = new DestinationGuard(root, archivePath, destDir, 'entry');
    for (const { e, rel } of plan)
      if (rel !== null && (e.name.endsWith('/') || isFileEntry(e))) await guard.check(rel, e.name);
    await makeDestination('extractZip', root, destDir);
    const report: ExtractTarGzReport = { extracted: 0, skipped: 0, bytes: 0, ignored: [] };
    let done = 0;
    for (const { e, rel } of plan) {
      if (signal?.aborted) throw new DatasetError('ABORTED', 'extraction aborted', { cause: signal.reason });
      done++;
      if (rel === null) continue;
      const target = join(root, rel);
      if (e.name.endsWith('/')) {
        await guard.check(rel, e.name);
        await placeEntry(archivePath, destDir, e, rel, plan, () => mkdir(target, { recursive: true }));
        continue;
      }
      if (!isFileEntry(e)) {
        report.ignored.push(e.name);
        continue;
      }
      if ((await guard.prepareFile(rel, e.name, e.uncompressedSize)) === 'skip') {
        report.skipped++;
      } else {
        report.bytes += await placeEntry(archivePath, destDir, e, rel, plan, async () => {
          await mkdir(dirname(target), { recursive: true });
          return writeEntry(zip, e, target, signal);
        });
        report.extracted++;
      }
      options.onProgress?.({ stage: 'extract', done, total: plan.length, file: rel });
    }
    return report;
  } finally {
    await raw.close();
  }
}

/**
 * Run one entry's writes; a failed file-system call becomes a DatasetError naming the archive and the entry
 * (`CORRUPT_ZIP` when another entry needs its path as a file where it needs a folder, or the reverse).
 */
async function placeEntry<T>(
  archive: string,
  destDir: string,
  e: ZipEntry,
  rel: string,
  plan: readonly { e: ZipEntry; rel: string | null }[],
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isSystemError(err)) throw err;
    throw memberWriteError(err, {
      archive,
      destDir,
      noun: 'entry',
      member: e.name,
      clash: entryClash(e, rel, plan),
      corrupt: 'CORRUPT_ZIP',
    });
  }
}

/** Another entry that is a file at or above `rel`, or (for a file entry) any entry below it; searched on error only. */
function entryClash(
  e: ZipEntry,
  rel: string,
  plan: readonly { e: ZipEntry; rel: string | null }[],
): string | undefined {
  const file = isFileEntry(e);
  for (const other of plan) {
    if (other.e === e || other.rel === null) continue;
    if (isFileEntry(other.e) && (rel === other.rel || rel.startsWith(`${other.rel}${sep}`)))
      return `entry "${other.e.name}"`;
    if (file && (other.rel === rel || other.rel.startsWith(`${rel}${sep}`))) return `entry "${other.e.name}"`;
  }
  return undefined;
}

/** A regular file: not a folder (`name/`), and a Unix mode, when stored, of a regular file. */
function isFileEntry(e: ZipEntry): boolean {
  const type = (e.externalAttributes >>> 16) & S_IFMT;
  return !e.name.endsWith('/') && (type === 0 || type === S_IFREG);
}

/** One entry to a new temp file beside `target` (see `createTempBeside`), checked, then renamed into place. */
async function writeEntry(
  zip: ZipArchive,
  e: ZipEntry,
  target: string,
  signal?: AbortSignal,
): Promise<number> {
  let temp: string | undefined;
  try {
    const { path, fh } = await createTempBeside(target);
    temp = path;
    try {
      if (e.method === 0) {
        const src = await zip.entrySource(e, signal);
        let crc = 0;
        for (let at = 0; at < e.uncompressedSize; at += COPY_CHUNK) {
          const chunk = await src.read(at, Math.min(COPY_CHUNK, e.uncompressedSize - at), signal);
          if (chunk.byteLength === 0)
            throw new DatasetError('CORRUPT_ZIP', `${zip.name}: entry ${e.name} is truncated at ${at} bytes`);
          crc = crc32(chunk, crc);
          await fh.write(chunk);
        }
        if (crc !== e.crc32)
          throw new DatasetError('CORRUPT_ZIP', `${zip.name}: entry ${e.name} fails its CRC-32 check`);
      } else {
        await fh.write(await zip.readEntry(e, signal));
      }
    } finally {
      await fh.close();
    }
    await rename(temp, target);
    return e.uncompressedSize;
  } catch (err) {
    // only a temp file this call created is removed
    if (temp) await unlink(temp).catch(() => {});
    // a file-system call's error is the caller's to name (placeEntry)
    if (err instanceof DatasetError || isSystemError(err)) throw err;
    throw new DatasetError('CORRUPT_ZIP', `${zip.name}: entry ${e.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
