// Release download: fetch the published WorldStrat files (Zenodo record 6810792: tar.gz archives, or the v1.1
// record 15382551: zips) with eo-fetch's resumable download engine, verify their MD5 checksums, and unpack the
// archives into the release layout (they hold hr_dataset/ and lr_dataset/ trees). Re-runs skip verified downloads (manifest) and extracted members.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { withoutTrailingSlashes } from '@worldstrat/core';
import { readFileBounded } from '@worldstrat/core/node';
import { EoFetchError, redactUrl } from '@worldstrat/eo-fetch';
import {
  type DownloadJob,
  type DownloadReport,
  downloadAll,
  removeStaleTemps,
} from '@worldstrat/eo-fetch/node';
import { type ExtractTarGzReport, extractTarGz } from '../archive/extract-tar-gz.node.js';
import { extractZip } from '../archive/extract-zip.node.js';
import { DatasetError } from '../errors.js';
import {
  argumentError,
  checkArrayArgument,
  checkInteger,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import { inputFileSize } from '../internal/input-file.node.js';
import { joinUrlPath } from '../internal/join-url.js';
import { writeTextAtomic } from '../internal/write-file.node.js';

/** Trailing slashes; the lookbehind keeps a long run of `/` before another character linear (`/\/+$/` is quadratic). */

/** Services a caller passes to {@link downloadRelease} (the same shape as the worldstrat app's pipeline context). */
export interface DownloadReleaseContext {
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
  /** One-line human-readable notes (libraries never print). */
  log?: (message: string) => void;
}

/** Zenodo record of the original WorldStrat release (tar.gz archives); the default of {@link downloadRelease}. */
export const ZENODO_RECORD = 6810792;

/** Zenodo record of WorldStrat v1.1 (zip archives; what TorchGeo downloads). */
export const ZENODO_RECORD_V1_1 = 15382551;

/** The Zenodo records `downloadRelease` knows. */
export type ReleaseRecord = typeof ZENODO_RECORD | typeof ZENODO_RECORD_V1_1;

/** Default download base of record 6810792: `<base>/<name>?download=1`. */
export const ZENODO_BASE_URL = `https://zenodo.org/record/${ZENODO_RECORD}/files`;

/** One published file of the release. */
export interface ReleaseFile {
  /** File name on Zenodo. */
  name: string;
  /** Published MD5 (hex). */
  md5: string;
  /** `archive`: a .tar.gz unpacked into `topDir`; `table`: a CSV placed at the dataset root. */
  kind: 'archive' | 'table';
  /** Top-level folder an archive unpacks into (`hr_dataset` / `lr_dataset`). */
  topDir?: string;
}

/**
 * The files `download-release` knows, with the MD5 sums published for them on Zenodo (the same sums TorchGeo
 * checks). `hr_dataset_raw.tar.gz` (raw Airbus products) and the PDF are not fetched.
 */
export const RELEASE_FILES: readonly ReleaseFile[] = Object.freeze([
  {
    name: 'hr_dataset.tar.gz',
    md5: 'ca7167334006f3c17f9071f14c435335',
    kind: 'archive',
    topDir: 'hr_dataset',
  },
  {
    name: 'lr_dataset_l1c.tar.gz',
    md5: 'd2dcafa207b1e1bc6c754607f15e9ed6',
    kind: 'archive',
    topDir: 'lr_dataset',
  },
  {
    name: 'lr_dataset_l2a.tar.gz',
    md5: '8cfc6a477cee9e9cd8b20ea27227de65',
    kind: 'archive',
    topDir: 'lr_dataset',
  },
  { name: 'metadata.csv', md5: 'dfeb3348e79b719bf03c230d5d258839', kind: 'table' },
  { name: 'stratified_train_val_test_split.csv', md5: '745035835d835280aa0298a9dc1996d1', kind: 'table' },
] satisfies ReleaseFile[]);

/** The files of the v1.1 record 15382551 with their published MD5s (zips, unpacked like the tar.gz archives). */
export const RELEASE_FILES_V1_1: readonly ReleaseFile[] = Object.freeze([
  { name: 'hr_dataset.zip', md5: '5ae09bb3557ce131242a133d9758d9e7', kind: 'archive', topDir: 'hr_dataset' },
  {
    name: 'lr_dataset_l1c.zip',
    md5: 'e90ecfa4bf838ace0b51dea1031b5ed1',
    kind: 'archive',
    topDir: 'lr_dataset',
  },
  {
    name: 'lr_dataset_l2a.zip',
    md5: '7aa1878a37d22a6c7c4b84b022a14ad7',
    kind: 'archive',
    topDir: 'lr_dataset',
  },
  { name: 'metadata.csv', md5: '1a66ac42b9a688be18debd0d95633fa1', kind: 'table' },
  { name: 'stratified_train_val_test_split.csv', md5: '874612b59bbf7987f7de7edd48a30c70', kind: 'table' },
] satisfies ReleaseFile[]);

/** Files and default base URL of each record. */
export const RELEASE_RECORDS: Readonly<
  Record<ReleaseRecord, { files: readonly ReleaseFile[]; baseUrl: string }>
> = Object.freeze({
  [ZENODO_RECORD]: { files: RELEASE_FILES, baseUrl: ZENODO_BASE_URL },
  [ZENODO_RECORD_V1_1]: {
    files: RELEASE_FILES_V1_1,
    baseUrl: `https://zenodo.org/records/${ZENODO_RECORD_V1_1}/files`,
  },
});

/** Options of {@link downloadRelease}. */
export interface DownloadReleaseOptions {
  /** Dataset root (receives `hr_dataset/`, `lr_dataset/`, the CSVs, and `downloads/`). */
  root: string;
  /** Zenodo record: 6810792 (tar.gz, default) or 15382551 (v1.1 zips). */
  record?: ReleaseRecord;
  /** Names from the record's files ({@link RELEASE_FILES}, {@link RELEASE_FILES_V1_1}) to fetch (default: all). */
  files?: readonly string[];
  /**
   * Base URL; each file is fetched from `<baseUrl>/<name>?download=1`, the base's own query parameters (a mirror's
   * `?token=…`) kept (default: the record's Zenodo files URL).
   */
  baseUrl?: string;
  /** Override the expected MD5 of some files (mirrors, or small test archives). */
  md5?: Readonly<Record<string, string>>;
  /** Skip the MD5 check (not recommended; for mirrors that repackage). Default false. */
  skipChecksum?: boolean;
  /** Unpack archives (default true). */
  extract?: boolean;
  /** Delete each archive once it is unpacked (default false: keep it so re-runs and checks stay cheap). */
  deleteArchives?: boolean;
  /** Parallel downloads (default 2) and retries per file (default 5). */
  concurrency?: number;
  retries?: number;
  /** Per-attempt time limit (default 6 h: the archives are tens of GB). */
  timeoutMs?: number;
  /**
   * Longest silence of one attempt (no headers, no body bytes) before it is aborted and retried (default 60 s;
   * 0: none, only `timeoutMs` bounds a stalled server).
   */
  idleTimeoutMs?: number;
  /** First backoff step in ms (default 500). */
  baseDelayMs?: number;
  /** Plan only: list what would be fetched and unpacked, touch nothing. */
  dryRun?: boolean;
}

/** What happened to one file. */
export interface ReleaseFileResult {
  name: string;
  url: string;
  path: string;
  md5: string;
  /** `downloaded` in this run, `skipped` (already verified), `planned` (dry run). */
  download: 'downloaded' | 'skipped' | 'planned';
  bytes: number;
  /** Archive extraction (absent for tables / `extract: false`). */
  extraction?: ExtractTarGzReport & { status: 'extracted' | 'already-extracted' | 'planned' };
}

/** Result of {@link downloadRelease}. */
export interface DownloadReleaseResult {
  root: string;
  dryRun: boolean;
  files: ReleaseFileResult[];
  /** HTTP requests sent (dry run: that would be sent). */
  requests: number;
  retries: number;
  bytesDownloaded: number;
  manifestPath: string;
}

/**
 * Hex MD5 of a file, streamed (64 KiB reads).
 *
 * @param path - file path.
 * @param signal - optional abort signal.
 * @returns lowercase hex digest.
 * @throws {DatasetError} `UNREADABLE_FILE` naming the path (missing, not a regular file, a failed read), `ABORTED`.
 * @example
 * ```ts
 * await md5File('dataset/metadata.csv'); // 'dfeb3348e79b719bf03c230d5d258839' for the release file
 * ```
 */
export async function md5File(path: string, signal?: AbortSignal): Promise<string> {
  checkString('md5File', 'path', path, true);
  checkSignalAndCallbacks('md5File', { signal }, [], 'arguments');
  await inputFileSize(path, 'a file to hash');
  const hash = createHash('md5');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16, signal }))
      hash.update(chunk as Buffer);
  } catch (e) {
    if (signal?.aborted)
      throw new DatasetError('ABORTED', `${path}: hashing aborted`, { cause: signal.reason });
    throw new DatasetError('UNREADABLE_FILE', `${path}: reading it failed (${(e as Error).message})`, {
      cause: e,
    });
  }
  return hash.digest('hex');
}

/** Delete an unpacked archive (`deleteArchives`): a failure is `WRITE_FAILED` naming it. */
async function deleteArchive(path: string): Promise<void> {
  await unlink(path).catch((e: unknown) => {
    throw new DatasetError(
      'WRITE_FAILED',
      `${path}: unpacked, but deleting the archive failed (${(e as Error).message})`,
      { cause: e },
    );
  });
}

/**
 * The MD5 an `<archive>.extracted.json` marker records.
 *
 * @throws {DatasetError} `UNREADABLE_FILE` naming the marker when it is not the JSON this module writes
 *   (we never delete it: the user decides whether to remove it and unpack again).
 */
function extractedMd5(path: string, text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(
      'UNREADABLE_FILE',
      `${path}: not JSON (${(e as Error).message}); delete this marker to unpack the archive again`,
      { cause: e },
    );
  }
  const md5 = (parsed as { md5?: unknown } | null)?.md5;
  if (typeof parsed !== 'object' || parsed === null || (md5 !== undefined && typeof md5 !== 'string'))
    throw new DatasetError(
      'UNREADABLE_FILE',
      `${path}: expected {"md5": "<32 hex digits>", …}; delete this marker to unpack the archive again`,
    );
  return md5 as string | undefined;
}

/**
 * The options, checked before any job is built: eo-fetch would refuse them with its own error class and words
 * (`job`, `downloadAll`) the caller never used.
 */
function checkReleaseOptions(options: DownloadReleaseOptions): void {
  const fn = 'downloadRelease';
  checkObject(fn, 'options', options);
  checkString(fn, 'options.root', options.root, true);
  if (options.files !== undefined) {
    checkArrayArgument(fn, 'options.files', options.files);
    const seen = new Map<string, number>();
    for (const [i, f] of options.files.entries()) {
      checkString(fn, `options.files[${i}]`, f);
      const first = seen.get(f);
      // one download path per name: the engine refuses two jobs writing one file
      if (first !== undefined)
        throw new DatasetError(
          'INVALID_ARGUMENT',
          `${fn}: options.files[${i}] repeats options.files[${first}] ("${f}"); name each file once`,
        );
      seen.set(f, i);
    }
  }
  checkOptionalString(fn, 'options.baseUrl', options.baseUrl);
  if (
    options.baseUrl !== undefined &&
    !(/^https?:\/\//i.test(options.baseUrl) && URL.canParse(options.baseUrl))
  )
    throw argumentError(fn, 'options.baseUrl', 'an http(s) URL', redactUrl(options.baseUrl));
  if (options.md5 !== undefined) {
    checkOptions(fn, options.md5, 'options.md5');
    for (const [name, md5] of Object.entries(options.md5))
      if (typeof md5 !== 'string') throw argumentError(fn, `options.md5.${name}`, 'a string', md5);
  }
  if (options.concurrency !== undefined) checkInteger(fn, 'options.concurrency', options.concurrency, 1);
  if (options.retries !== undefined) checkInteger(fn, 'options.retries', options.retries, 0);
  const t = options.timeoutMs;
  // the longest delay a timer takes; a longer one fires at once
  if (t !== undefined && !(typeof t === 'number' && t > 0 && t <= 2 ** 31 - 1))
    throw argumentError(fn, 'options.timeoutMs', 'a number of ms in (0, 2147483647]', t);
  for (const k of ['idleTimeoutMs', 'baseDelayMs'] as const) {
    const v = options[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw argumentError(fn, `options.${k}`, 'a number of ms ≥ 0', v);
  }
}

/**
 * An error the download engine threw (not a failed file: those are in its report) as a DatasetError: `ABORTED`
 * kept, eo-fetch's code in the message and the original as `cause`.
 */
function engineError(err: unknown): DatasetError {
  if (err instanceof DatasetError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ABORTED')
    return new DatasetError('ABORTED', 'download-release interrupted; run it again to resume', {
      cause: err,
    });
  const mapped =
    code === 'WRITE_FAILED'
      ? 'WRITE_FAILED'
      : code === 'INVALID_ARGUMENT' || code === 'DUPLICATE_PATH'
        ? 'INVALID_ARGUMENT'
        : 'DOWNLOAD_FAILED';
  const tag = err instanceof EoFetchError ? `[${err.code}] ` : '';
  return new DatasetError(mapped, `download-release: ${tag}${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

class Md5Mismatch extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`MD5 ${actual} does not match the published ${expected}`);
  }
}

function findMd5Mismatch(err: unknown): Md5Mismatch | undefined {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof Md5Mismatch) return e;
  return undefined;
}

/**
 * Download the WorldStrat release from Zenodo (or a mirror), verify MD5s and unpack it into the layout the
 * dataset reader expects: `<root>/{hr_dataset,lr_dataset}/…`, `<root>/metadata.csv`,
 * `<root>/stratified_train_val_test_split.csv`. Archives go to `<root>/downloads/` through eo-fetch's engine
 * (retries with backoff, an idle timeout, temp + rename, a JSONL manifest at `<root>/downloads/manifest.jsonl`
 * with paths relative to `root`); a file whose MD5 does not match is retried, then reported as
 * `CHECKSUM_MISMATCH` and never put in place. A failed run leaves every file already there untouched (only the
 * engine's `.partial` files are written until a file is verified). URL credentials (`user:pw@`) never appear
 * in results, errors or the manifest. Extraction skips members already present with the right size and
 * records completion in `<archive>.extracted.json`.
 *
 * @param options - root, files, base URL, limits, dry run.
 * @param context - signal, progress (`download` then `extract` stages), log.
 * @returns per-file results and totals.
 * @throws {DatasetError} `INVALID_ARGUMENT` (unknown file name or record, a name repeated in `files`, a bad
 *   `concurrency`, `retries`, `timeoutMs`, `idleTimeoutMs`, `baseDelayMs`, a `baseUrl` that is not http(s)),
 *   `CHECKSUM_MISMATCH`, `DOWNLOAD_FAILED`, `WRITE_FAILED` (a download the disk refused: full, over quota,
 *   read-only; names the file; or a manifest that cannot be read, e.g. `root` is a file: eo-fetch's error as
 *   `cause`),
 *   `UNSAFE_ARCHIVE_PATH`, `ARCHIVE_CORRUPT` (tar.gz), `CORRUPT_ZIP` / `UNSUPPORTED_ZIP` (zip), `ABORTED`.
 * @example
 * ```ts
 * await downloadRelease({ root: 'dataset', files: ['metadata.csv', 'stratified_train_val_test_split.csv'] });
 * ```
 */
export async function downloadRelease(
  options: DownloadReleaseOptions,
  context?: DownloadReleaseContext,
): Promise<DownloadReleaseResult> {
  checkReleaseOptions(options);
  context = checkOptions('downloadRelease', context, 'context');
  checkSignalAndCallbacks(
    'downloadRelease',
    context as Record<string, unknown>,
    ['onProgress', 'log'],
    'context',
  );
  const { signal, onProgress, log } = context;
  const recordKey = options.record ?? ZENODO_RECORD;
  const record = Object.hasOwn(RELEASE_RECORDS, recordKey) ? RELEASE_RECORDS[recordKey] : undefined;
  if (!record)
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `unknown release record ${options.record}; choose ${Object.keys(RELEASE_RECORDS).join(' or ')}`,
    );
  const known = new Map(record.files.map((f) => [f.name, f]));
  const names = options.files ?? record.files.map((f) => f.name);
  const selected = names.map((n) => {
    const f = known.get(n);
    if (!f)
      throw new DatasetError(
        'INVALID_ARGUMENT',
        `unknown release file "${n}"; choose from ${[...known.keys()].join(', ')}`,
      );
    return { ...f, md5: (options.md5?.[n] ?? f.md5).toLowerCase() };
  });
  const base = options.baseUrl ?? record.baseUrl;
  // a mirror's `?token=…` belongs to every file request: names go onto the path, beside ?download=1
  const urlOf = (f: ReleaseFile) => joinUrlPath(base, [f.name], { download: '1' });
  const safeBase = withoutTrailingSlashes(redactUrl(base));
  const downloads = join(options.root, 'downloads');
  const manifestPath = join(downloads, 'manifest.jsonl');
  const pathOf = (f: ReleaseFile) =>
    f.kind === 'archive' ? join(downloads, f.name) : join(options.root, f.name);
  const markerOf = (f: ReleaseFile) => `${pathOf(f)}.extracted.json`;
  // marker temps of an earlier run killed mid-write (the markers are rewritten when needed); a fresh one may be
  // another run's write in progress and is left alone (removeStaleTemps only takes temps idle for 10 minutes)
  if (!options.dryRun) {
    const markers = new Set(selected.map((f) => `${f.name}.extracted.json`));
    await removeStaleTemps(downloads, (name) => markers.has(name));
  }

  // an archive already unpacked (marker with the same MD5) needs neither download nor extraction,
  // even when `deleteArchives` removed it
  const done = new Set<string>();
  for (const f of selected) {
    if (f.kind !== 'archive' || options.extract === false) continue;
    // A marker we cannot read as a small regular file (missing, a FIFO, a folder) means not unpacked.
    const marker = await readFileBounded(markerOf(f), { maxBytes: 1 << 20, what: 'extraction marker' }).then(
      (b) => b.toString('utf8'),
      () => null,
    );
    if (marker !== null && extractedMd5(markerOf(f), marker) === f.md5) done.add(f.name);
  }
  const jobs: DownloadJob[] = selected
    .filter((f) => !done.has(f.name))
    .map((f) => ({
      url: urlOf(f),
      path: pathOf(f),
      itemId: f.name,
      verify: options.skipChecksum
        ? undefined
        : async (temp: string) => {
            const actual = await md5File(temp, signal);
            if (actual !== f.md5) throw new Md5Mismatch(f.name, f.md5, actual);
          },
    }));
  log?.(
    `${options.dryRun ? 'would fetch' : 'fetching'} ${jobs.length} file(s) from ${safeBase}${done.size ? ` (${done.size} already unpacked)` : ''}`,
  );
  let report: DownloadReport;
  try {
    report = await downloadAll(jobs, {
      concurrency: options.concurrency ?? 2,
      perHost: options.concurrency ?? 2,
      retries: options.retries ?? 5,
      timeoutMs: options.timeoutMs ?? 6 * 3600_000,
      idleTimeoutMs: options.idleTimeoutMs,
      baseDelayMs: options.baseDelayMs,
      bufferBytes: 0,
      manifestPath: options.dryRun ? undefined : manifestPath,
      manifestRoot: options.root,
      dryRun: options.dryRun,
      signal,
      onProgress: (p) => onProgress?.({ stage: 'download', done: p.done, total: p.total }),
    });
  } catch (err) {
    throw engineError(err);
  }
  if (report.failed.length) {
    // nothing is deleted here: a file already in place was not written by this run (the engine only writes
    // `.partial` files and renames them once verified), and may be the copy the user still needs
    // a full, over-quota or unwritable disk: another run fails the same way until space is made
    const disk = report.failed.find((f) => f.error.code === 'WRITE_FAILED');
    if (disk)
      throw new DatasetError(
        'WRITE_FAILED',
        `${disk.error.message}${report.failed.length > 1 ? ` (${report.failed.length - 1} more file(s) failed too)` : ''}`,
        { cause: disk.error },
      );
    const md5 = report.failed.map((f) => findMd5Mismatch(f.error)).find(Boolean);
    if (md5)
      throw new DatasetError(
        'CHECKSUM_MISMATCH',
        `${md5.file}: MD5 ${md5.actual} does not match the published ${md5.expected} after ${(options.retries ?? 5) + 1} attempts; the download was discarded. Check --base-url (a mirror may serve another version) or pass --md5 ${md5.file}=<sum>`,
        { cause: report.failed[0].error },
      );
    throw new DatasetError(
      'DOWNLOAD_FAILED',
      `could not download ${report.failed.map((f) => `${f.job.itemId} (${f.error.code}: ${f.error.message})`).join('; ')}; run again to resume`,
      { cause: report.failed[0].error },
    );
  }
  const recordByPath = new Map(report.records.map((r) => [r.path, r]));
  // the engine lists the records of skipped (already verified) files first
  const skippedPaths = new Set(report.records.slice(0, report.skipped).map((r) => r.path));
  const results: ReleaseFileResult[] = selected.map((f) => {
    const path = pathOf(f);
    const skipped = done.has(f.name) || skippedPaths.has(path);
    return {
      name: f.name,
      url: redactUrl(urlOf(f)),
      path,
      md5: f.md5,
      download: skipped ? 'skipped' : options.dryRun ? 'planned' : 'downloaded',
      bytes: recordByPath.get(path)?.bytes ?? 0,
    };
  });

  if (options.extract !== false) {
    for (const f of selected) {
      if (f.kind !== 'archive') continue;
      const r = results.find((x) => x.name === f.name)!;
      const empty = { extracted: 0, skipped: 0, bytes: 0, ignored: [] as string[] };
      if (done.has(f.name)) {
        r.extraction = { ...empty, status: 'already-extracted' };
        continue;
      }
      if (options.dryRun) {
        r.extraction = { ...empty, status: 'planned' };
        continue;
      }
      log?.(`unpacking ${f.name} into ${join(options.root, f.topDir ?? '')}`);
      const extract = f.name.endsWith('.zip') ? extractZip : extractTarGz;
      const ex = await extract(pathOf(f), options.root, {
        topDir: f.topDir,
        signal,
        onProgress: (p) => onProgress?.({ stage: `extract ${f.name}`, done: p.done, total: p.total }),
      });
      if (ex.ignored.length) log?.(`${f.name}: ignored ${ex.ignored.length} non-file member(s) (links)`);
      await writeTextAtomic(
        markerOf(f),
        `${JSON.stringify({ name: f.name, md5: f.md5, files: ex.extracted + ex.skipped, time: new Date().toISOString() })}\n`,
      );
      r.extraction = { ...ex, status: 'extracted' };
      if (options.deleteArchives) await deleteArchive(pathOf(f));
    }
  }
  for (const r of results)
    if (!r.bytes && r.download !== 'planned') r.bytes = (await stat(r.path).catch(() => null))?.size ?? 0;
  return {
    root: options.root,
    dryRun: Boolean(options.dryRun),
    files: results,
    requests: report.requests,
    retries: report.retries,
    bytesDownloaded: report.bytes,
    manifestPath,
  };
}
