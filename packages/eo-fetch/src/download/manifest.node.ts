// Download manifest: JSON Lines, one record per file event, last record per path wins. Appends survive a
// kill -9 (a torn last line is ignored on load); compactManifest rewrites it to one line per file, atomically.
// Paths are stored relative to a root folder (the dataset), so the dataset opens from any working directory.
import { constants, type Stats } from 'node:fs';
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EoFetchError } from '../errors.js';
import {
  checkFunction,
  checkNonEmptyString,
  checkObjectArray,
  checkOptions,
  checkString,
} from '../internal/check-arguments.js';
import { processAlive } from '../internal/process-alive.node.js';
import type { FileFingerprint } from './file-fingerprint.node.js';

/** Status of one file in the manifest. */
export type ManifestStatus = 'verified' | 'failed';

/** One manifest line. */
export interface ManifestRecord {
  /** AOI name, when the file belongs to one. */
  aoi?: string;
  /** Revisit number (1..N) when the file is a revisit. */
  revisit?: number;
  /** Catalogue item / product id. */
  itemId?: string;
  /**
   * File path. On disk: relative to the manifest root (`base: 'root'`, `/`-separated); records written before
   * that carry the path as given (resolved against the working directory). In memory (what
   * {@link readManifest} returns): absolute.
   */
  path: string;
  /** `root`: `path` is relative to the manifest root. */
  base?: 'root';
  /** Source URL (credentials redacted). */
  url: string;
  /** Size on disk in bytes (0 when failed). */
  bytes: number;
  /** Hex SHA-256 of the file ('' when failed). */
  sha256: string;
  status: ManifestStatus;
  /** Error code and message of a failed file. */
  error?: { code: string; message: string };
  /** ISO-8601 time of the record. */
  time: string;
  /**
   * `lstat` of the verified file when its hash was taken (size, mtime, ctime, inode, device, and when): a resume
   * that checks content skips hashing a file whose `lstat` still matches it exactly. Records written without it
   * (older manifests) are re-hashed.
   */
  fingerprint?: FileFingerprint;
}

/** Where a manifest's relative paths start. */
export interface ManifestRootOptions {
  /** Folder the stored paths are relative to (default: the manifest's folder). */
  root?: string;
}

/** The path and options of the manifest functions. */
function checkManifestArgs(fn: string, manifestPath: string, options: ManifestRootOptions): void {
  checkNonEmptyString(fn, 'manifestPath', manifestPath);
  checkOptions(fn, options);
  checkString(fn, 'options.root', options.root, true);
}

const rootOf = (manifestPath: string, o: ManifestRootOptions) =>
  resolve(o.root ?? dirname(resolve(manifestPath)));

/**
 * Reads a manifest into a map keyed by absolute path (the last record of each path wins); the records' `path`
 * is made absolute. A missing file gives an empty map; malformed lines (a torn write after a crash) and lines that
 * are not records of the documented shape (a status other than `verified`/`failed`, a byte count that is not a
 * non-negative integer, a hash that is not hex SHA-256) are skipped: their files are verified or redone.
 *
 * @param manifestPath - path of the JSONL manifest
 * @param options - the root its paths are relative to
 * @returns records by absolute path
 * @throws {@link EoFetchError} `WRITE_FAILED` naming the manifest when it cannot be read, or is a folder, device
 *   or FIFO (read in 1 MiB pieces, so a manifest of any size loads; a line over 1 MiB is skipped)
 *   or `INVALID_ARGUMENT` when the file has lines but none is a manifest record (it is some other file)
 * @example
 * ```ts
 * const done = [...(await readManifest('out/manifest.jsonl')).values()].filter((r) => r.status === 'verified');
 * ```
 */
export async function readManifest(
  manifestPath: string,
  options: ManifestRootOptions = {},
): Promise<Map<string, ManifestRecord>> {
  checkManifestArgs('readManifest', manifestPath, options);
  try {
    return await readRecords(manifestPath, options);
  } catch (err) {
    if (err instanceof EoFetchError) throw err;
    throw new EoFetchError(
      'WRITE_FAILED',
      `could not read the manifest ${manifestPath}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** {@link readManifest}'s records, the file system's errors thrown as they are. */
async function readRecords(
  manifestPath: string,
  options: ManifestRootOptions,
): Promise<Map<string, ManifestRecord>> {
  const root = rootOf(manifestPath, options);
  const out = new Map<string, ManifestRecord>();
  // a file with lines but no record is some other file (a CSV, a TIFF), which a compaction would empty
  let records = 0;
  let otherLines = false;
  await forEachLine(manifestPath, (line, complete) => {
    if (line === null) {
      otherLines = true; // over 1 MiB: no record, skipped
      return;
    }
    if (!line.trim()) return;
    let rec: ManifestRecord;
    try {
      rec = JSON.parse(line) as ManifestRecord;
    } catch {
      if (complete) otherLines = true; // (a torn last line is no evidence)
      return; // torn line from an interrupted append: the file will be re-verified or redone
    }
    if (hasRecordShape(rec)) records++;
    else if (complete) otherLines = true;
    if (!isManifestRecord(rec)) return; // not a record this package wrote: the file is verified or redone
    // older records hold the path as given, relative to the working directory of their run
    const abs = rec.base === 'root' ? resolve(root, rec.path) : resolve(rec.path);
    const { base: _base, fingerprint, ...rest } = rec;
    // a fingerprint of another shape is dropped, not trusted: the file is re-hashed
    const fp = fingerprintOf(fingerprint, rest);
    out.set(abs, { ...rest, ...(fp ? { fingerprint: fp } : {}), path: abs });
  });
  if (records === 0 && otherLines) throw notAManifest(manifestPath, 'none of its lines is a manifest record');
  return out;
}

/** Bytes read from a manifest at a time. */
const READ_CHUNK_BYTES = 1 << 20;
/** Longest line kept: a record is a few hundred bytes, so a longer line is not one of ours and is skipped. */
const MAX_LINE_BYTES = 1 << 20;

/**
 * Calls `onLine` for each line of a manifest (and whether a line break ended it), read in 1 MiB chunks up to its
 * size when opened: a dataset-scale manifest can outgrow the longest string V8 holds (≈ 512 MiB), and another run
 * may append meanwhile. A line over {@link MAX_LINE_BYTES} is passed as null, unread. A missing manifest has no
 * lines; a device, FIFO or folder at its path is refused (reading one would block or never end).
 */
async function forEachLine(
  manifestPath: string,
  onLine: (line: string | null, complete: boolean) => void,
): Promise<void> {
  await withManifestFile(manifestPath, undefined, async (fh, info) => {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let overlong = false;
    const keep = (piece: Buffer) => {
      if (overlong) return;
      if (pendingBytes + piece.length > MAX_LINE_BYTES) {
        overlong = true;
        pending = [];
        pendingBytes = 0;
        return;
      }
      pending.push(Buffer.from(piece));
      pendingBytes += piece.length;
    };
    const endLine = (complete: boolean) => {
      onLine(overlong ? null : Buffer.concat(pending, pendingBytes).toString('utf8'), complete);
      pending = [];
      pendingBytes = 0;
      overlong = false;
    };
    // UTF-8 never holds byte 0x0A inside a character, so lines split on bytes
    let first = true;
    for (let left = info.size; left > 0; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
      if (bytesRead === 0) break;
      left -= bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      // a byte order mark an editor put in front of the first record is not part of it
      let start = first ? bomLength(chunk) : 0;
      first = false;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        keep(chunk.subarray(start, nl));
        endLine(true);
        start = nl + 1;
      }
      keep(chunk.subarray(start));
    }
    if (pendingBytes > 0 || overlong) endLine(false);
  });
}

/** A line's JSON value, or null when it is not JSON. */
function parsedOrNull(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * Whether a parsed line is, at least in shape, a record this package wrote: a JSON object with a string `path` and a
 * `status` of `verified` or `failed`, as every record ever written has. A file with lines but none of these (a CSV,
 * a TIFF, another tool's JSON Lines) is some other file, which a run would append to and a compaction would
 * rewrite to nothing: it is refused with `INVALID_ARGUMENT` before either.
 */
function hasRecordShape(value: unknown): boolean {
  const r = value as { path?: unknown; status?: unknown } | null;
  return (
    !!r &&
    typeof r === 'object' &&
    !Array.isArray(r) &&
    typeof r.path === 'string' &&
    (r.status === 'verified' || r.status === 'failed')
  );
}

function notAManifest(manifestPath: string, why: string): EoFetchError {
  return new EoFetchError(
    'INVALID_ARGUMENT',
    `${manifestPath} is not a download manifest (${why}); refusing to read, append to or rewrite it: give the path of a manifest, or of a file that does not exist yet`,
  );
}

/** A manifest path that is no regular file, as the file system's error for a folder (EISDIR) would say it. */
function notAFile(folder: boolean): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    folder
      ? 'EISDIR: it is a folder, not a regular file'
      : 'it is a device or FIFO, not a regular file (reading it would block or never end)',
  );
  err.code = folder ? 'EISDIR' : 'EINVAL';
  return err;
}

const optional = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || ok(v);
const isText = (v: unknown): v is string => typeof v === 'string';

/**
 * Whether a parsed line is a record as {@link appendManifest} writes it: a non-empty path, a known status, a
 * byte count that is a non-negative integer, a SHA-256 (hex, or '' for a failed file), and optional members of
 * their types. Anything else could mark a file verified with a size or hash it never had.
 */
function isManifestRecord(rec: unknown): rec is ManifestRecord {
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return false;
  const r = rec as Record<string, unknown>;
  if (!isText(r.path) || r.path === '' || r.path.includes('\0')) return false;
  if (r.status !== 'verified' && r.status !== 'failed') return false;
  if (typeof r.bytes !== 'number' || !Number.isSafeInteger(r.bytes) || r.bytes < 0) return false;
  if (!isText(r.sha256) || !(/^[0-9a-f]{64}$/i.test(r.sha256) || (r.sha256 === '' && r.status === 'failed')))
    return false;
  const error = r.error as { code?: unknown; message?: unknown } | undefined;
  return (
    isText(r.url) &&
    optional(r.time, isText) && // older records have no time
    optional(r.base, (b) => b === 'root') &&
    optional(r.aoi, isText) &&
    optional(r.itemId, isText) &&
    optional(r.revisit, (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) &&
    optional(error, (e) => !!e && typeof e === 'object' && isText(error?.code) && isText(error?.message))
  );
}

const FINGERPRINT_NUMBERS = ['mtimeMs', 'ctimeMs', 'ino', 'dev', 'at'] as const;

/** A stored fingerprint as {@link FileFingerprint} (known members only), or undefined when it is not one. */
function fingerprintOf(v: unknown, rec: Omit<ManifestRecord, 'fingerprint'>): FileFingerprint | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v) || rec.status !== 'verified') return undefined;
  const f = v as Record<string, unknown>;
  if (f.size !== rec.bytes) return undefined;
  for (const k of FINGERPRINT_NUMBERS)
    if (typeof f[k] !== 'number' || !Number.isFinite(f[k])) return undefined;
  const n = f as unknown as FileFingerprint;
  return { size: n.size, mtimeMs: n.mtimeMs, ctimeMs: n.ctimeMs, ino: n.ino, dev: n.dev, at: n.at };
}

/** The on-disk form of a record: path relative to `root`. */
function stored(rec: ManifestRecord, root: string): ManifestRecord {
  const abs = isAbsolute(rec.path) ? rec.path : resolve(rec.path);
  return { ...rec, path: relative(root, abs).split(sep).join('/'), base: 'root' };
}

/**
 * Appends records to a manifest (creating it and its folder). Appends of one line are effectively atomic.
 *
 * @param manifestPath - path of the JSONL manifest
 * @param records - records to append
 * @throws {@link EoFetchError} `WRITE_FAILED` naming the manifest when it cannot be written
 *   or `INVALID_ARGUMENT` when the file has lines but none is a manifest record (it is some other file)
 */
export async function appendManifest(
  manifestPath: string,
  records: readonly ManifestRecord[],
  options: ManifestRootOptions = {},
): Promise<void> {
  checkManifestArgs('appendManifest', manifestPath, options);
  checkObjectArray('appendManifest', 'records', records);
  await appendRecords(manifestPath, records, options, true);
}

/** {@link appendManifest} after its argument checks; `checkHead`: refuse a file that is not a manifest first. */
async function appendRecords(
  manifestPath: string,
  records: readonly ManifestRecord[],
  options: ManifestRootOptions,
  checkHead: boolean,
): Promise<void> {
  if (records.length === 0) return;
  const root = rootOf(manifestPath, options);
  const lines = records.map((r) => `${JSON.stringify(stored(r, root))}\n`).join('');
  await exclusive(manifestPath, () =>
    writing(manifestPath, 'append to', async () => {
      if (checkHead) await checkManifestHead(manifestPath);
      await mkdir(dirname(resolve(manifestPath)), { recursive: true });
      // after a line torn by a crash, a new line must not run on from it (the first record would be lost in it)
      await appendFile(manifestPath, (await endsMidLine(manifestPath)) ? `\n${lines}` : lines);
    }),
  );
}

/**
 * Refuses a file that exists and is not a manifest before anything is appended to it: some line of its first MiB
 * must be a record ({@link hasRecordShape}), unless it holds no complete line yet (empty, or one torn line).
 * Stops reading at the first record, so a manifest costs one small read.
 */
async function checkManifestHead(manifestPath: string): Promise<void> {
  await withManifestFile(manifestPath, undefined, async (fh, info) => {
    const head = Buffer.allocUnsafe(Math.min(info.size, MAX_LINE_BYTES));
    let got = 0;
    let start = -1;
    let otherLines = false;
    while (got < head.length) {
      const { bytesRead } = await fh.read(head, got, Math.min(64 * 1024, head.length - got), got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (start < 0) start = bomLength(head.subarray(0, got));
      for (let nl = head.indexOf(10, start); nl >= 0 && nl < got; nl = head.indexOf(10, start)) {
        const line = head.subarray(start, nl).toString('utf8');
        start = nl + 1;
        if (hasRecordShape(parsedOrNull(line))) return;
        if (line.trim()) otherLines = true;
      }
    }
    if (otherLines)
      throw notAManifest(manifestPath, 'none of the lines of its first MiB is a manifest record');
    if (info.size > MAX_LINE_BYTES) throw notAManifest(manifestPath, 'its first line is over 1 MiB long');
  });
}

/** The UTF-8 byte order mark (a Windows editor's save). */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** 3 when `bytes` (a file's first bytes) start with a UTF-8 byte order mark, else 0. */
function bomLength(bytes: Buffer): number {
  return bytes.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
}

/** Whether the file's last byte is not a line break (a torn last line); false for a missing or empty file. */
function endsMidLine(path: string): Promise<boolean> {
  return withManifestFile(path, false, async (fh, { size }) => {
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    return last[0] !== 10;
  });
}

/**
 * Runs `fn` on the manifest opened for reading, or returns `absent` when there is no file. Opened non-blocking
 * and refused unless a regular file: a FIFO would wait for a writer, a device never end.
 */
async function withManifestFile<T>(
  path: string,
  absent: T,
  fn: (fh: FileHandle, info: Stats) => Promise<T>,
): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw err;
  }
  try {
    const info = await fh.stat();
    if (!info.isFile()) throw notAFile(info.isDirectory());
    return await fn(fh, info);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** Tail of the writes queued on each manifest (absolute path) in this process. */
const manifestQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every write queued on `manifestPath` in this process: a compaction (read, rewrite, rename)
 * must not drop the lines another run appends meanwhile.
 */
function exclusive<T>(manifestPath: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(manifestPath);
  const run = (manifestQueues.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => {});
  manifestQueues.set(key, tail);
  void tail.then(() => {
    if (manifestQueues.get(key) === tail) manifestQueues.delete(key);
  });
  return run;
}

/** Runs a file-system step on a manifest, turning its failure into `WRITE_FAILED` naming the manifest. */
async function writing<T>(manifestPath: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EoFetchError) throw err;
    throw new EoFetchError(
      'WRITE_FAILED',
      `could not ${what} the manifest ${manifestPath}: ${(err as Error)?.message ?? String(err)}`,
      { cause: err },
    );
  }
}

/** Numbers the compactions of this process (with the pid: a temp name no other compaction uses). */
let compactions = 0;

/** Size of a file in bytes, or -1 when it does not exist. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}

/**
 * Rewrites a manifest with one line per file (the latest record), atomically (temp + rename).
 *
 * Older records are rewritten relative to the root. Each compaction writes a temp file of its own
 * (`<manifest>.<pid>-<n>.tmp`); writes to one manifest are queued within the process, and a rewrite that would
 * drop lines another process appended meanwhile is redone. Temp files of a compaction killed earlier (whose
 * process is gone) are removed.
 *
 * @param manifestPath - path of the JSONL manifest
 * @param options - the root its paths are relative to
 * @returns the number of records kept
 * @throws {@link EoFetchError} `WRITE_FAILED` naming the manifest when it cannot be read, written or renamed
 *   or `INVALID_ARGUMENT` when the file has lines but none is a manifest record (it is some other file)
 */
export async function compactManifest(
  manifestPath: string,
  options: ManifestRootOptions = {},
): Promise<number> {
  checkManifestArgs('compactManifest', manifestPath, options);
  const kept = await exclusive(manifestPath, () =>
    writing(manifestPath, 'compact', () => rewriteManifest(manifestPath, options)),
  );
  await removeDeadCompactionTemps(manifestPath);
  return kept;
}

/** Most rewrites of a manifest that another process keeps appending to before the compaction is skipped. */
const MAX_REWRITES = 5;

/**
 * Rewrites the manifest through a temp file of its own, and only if no other process appended meanwhile (its
 * lines would be lost by the rename); then it tries again, and after {@link MAX_REWRITES} leaves it as it is.
 */
async function rewriteManifest(manifestPath: string, options: ManifestRootOptions): Promise<number> {
  const root = rootOf(manifestPath, options);
  const tmp = `${manifestPath}.${process.pid}-${++compactions}.tmp`;
  for (let n = 0; ; n++) {
    const before = await sizeOf(manifestPath);
    const records = [...(await readRecords(manifestPath, options)).values()];
    try {
      await writeFile(tmp, storedChunks(records, root));
      if (before === (await sizeOf(manifestPath))) {
        await rename(tmp, manifestPath);
        return records.length;
      }
    } finally {
      await rm(tmp, { force: true });
    }
    if (n + 1 >= MAX_REWRITES) return records.length;
  }
}

/** The records' lines in pieces of about 1 MiB: a large manifest as one string would outgrow V8's. */
function* storedChunks(records: readonly ManifestRecord[], root: string): Generator<string> {
  let chunk = '';
  for (const r of records) {
    chunk += `${JSON.stringify(stored(r, root))}\n`;
    if (chunk.length >= READ_CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Removes `<manifest>.<pid>[-n].tmp` files whose process no longer runs (a compaction killed by kill -9). */
async function removeDeadCompactionTemps(manifestPath: string): Promise<void> {
  const dir = dirname(resolve(manifestPath));
  const name = basename(manifestPath);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.startsWith(`${name}.`) || !e.endsWith('.tmp')) continue;
    const m = /^(\d{1,10})(-\d{1,15})?$/.exec(e.slice(name.length + 1, -4));
    const pid = Number(m?.[1]);
    if (!m || pid === process.pid || processAlive(pid)) continue;
    await rm(join(dir, e), { force: true });
  }
}

/**
 * Appends manifest records in batches: records queued while a write is in flight go out together in the next
 * one, so thousands of small files do not cost thousands of file opens.
 *
 * @example
 * ```ts
 * const writer = new ManifestWriter('out/manifest.jsonl');
 * await writer.append(record); // resolves once the line is on disk
 * ```
 */
export class ManifestWriter {
  private queue: ManifestRecord[] = [];
  private flushing: Promise<void> | null = null;
  private checked = false;

  /**
   * @param path - the JSONL manifest
   * @param options - `root` the paths are stored relative to; `scrub` cleans each URL and error message (secrets)
   */
  constructor(
    readonly path: string,
    private readonly options: ManifestRootOptions & { scrub?: (text: string) => string } = {},
  ) {
    checkManifestArgs('ManifestWriter', path, options);
    checkFunction('ManifestWriter', 'options.scrub', options.scrub, true);
  }

  /**
   * Queues a record.
   *
   * @param rec - record to append
   * @returns a promise that resolves once the record is written
   */
  append(rec: ManifestRecord): Promise<void> {
    const { scrub } = this.options;
    // the URL too: a listed secret may sit in its path, where URL redaction does not look
    this.queue.push(
      scrub
        ? {
            ...rec,
            ...(typeof rec.url === 'string' ? { url: scrub(rec.url) } : {}),
            ...(rec.error ? { error: { ...rec.error, message: scrub(rec.error.message) } } : {}),
          }
        : rec,
    );
    if (!this.flushing) {
      this.flushing = (async () => {
        try {
          await Promise.resolve();
          while (this.queue.length) {
            // the file is checked to be a manifest once, before this writer's first line
            await appendRecords(this.path, this.queue.splice(0), this.options, !this.checked);
            this.checked = true;
          }
        } finally {
          this.flushing = null;
        }
      })();
    }
    return this.flushing;
  }
}
