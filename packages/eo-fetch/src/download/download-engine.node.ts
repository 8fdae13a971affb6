// Resumable concurrent downloads: p-limit (global and per host), per-attempt timeouts, retries with jittered
// exponential backoff, Retry-After (pauses the whole host), size and checksum checks, temp + rename writes and
// a JSONL manifest so a re-run skips verified files and redoes everything else.

import { createHash } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { basename, dirname, resolve } from 'node:path';
import { createRng, throwIfAborted } from '@worldstrat/core';
import pLimit, { type LimitFunction } from 'p-limit';
import { EoFetchError, HttpError } from '../errors.js';
import { headerSecrets } from '../http/header-secrets.js';
import { headersRecord } from '../http/headers.js';
import type { FetchLike } from '../http/request-json.js';
import {
  errorExcerpt,
  httpErrorFromResponse,
  readBoundedText,
  scrub,
  scrubErrorChain,
} from '../http/request-json.js';
import {
  abortError,
  attemptSignal,
  classifyFetchError,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  type RetryPolicy,
  redactUrl,
  redactUrlsIn,
  retryDelay,
  sleep,
} from '../http/retry.js';
import { moveUrlCredentials, urlSecrets } from '../http/url-credentials.js';
import {
  checkFunction,
  checkIterable,
  checkNonEmptyString,
  checkNumber,
  checkObject,
  checkOptions,
  checkRetryPolicy,
  checkSignal,
  checkString,
  invalidArgument,
  thrownMessage,
} from '../internal/check-arguments.js';
import {
  type DiskFullState,
  isNotStarted,
  noteDiskFull,
  notStartedDiskFull,
  writeFailed,
} from '../internal/write-failed.js';
import {
  type FileFingerprint,
  hashWithFingerprint,
  matchesFingerprint,
  sha256File,
  trustedFingerprint,
} from './file-fingerprint.node.js';
import { compactManifest, type ManifestRecord, ManifestWriter, readManifest } from './manifest.node.js';
import { clearStaleLock, lockPartial, PARTIAL_LOCK_SUFFIX, type PartialLock } from './partial-lock.node.js';

export { sha256File };

/** One file to fetch. */
export interface DownloadJob {
  /** Absolute http(s) URL. */
  url: string;
  /** Destination file; written via `<path>.partial` and renamed when verified. */
  path: string;
  /** HTTP method (default GET). */
  method?: 'GET' | 'POST';
  /** Request headers (a record; a Headers instance or `[name, value]` pairs are taken too). */
  headers?: Record<string, string>;
  /** Request body (POST); objects are JSON-encoded. */
  body?: string | Uint8Array | Record<string, unknown>;
  /** AOI name (manifest column). */
  aoi?: string;
  /** Revisit number (manifest column). */
  revisit?: number;
  /** Catalogue item id (manifest column). */
  itemId?: string;
  /** Expected size in bytes (e.g. STAC `file:size`); a mismatch is retried as a truncated transfer. */
  expectedBytes?: number;
  /** Expected hex SHA-256; a mismatch fails the file with `CHECKSUM_MISMATCH`. */
  expectedSha256?: string;
  /** SentinelHub processing units this request costs (summed by dry runs). */
  processingUnits?: number;
  /**
   * Extra check of the finished temp file (e.g. re-read the TIFF); throw (or return `false`) to reject it. It must
   * not change the file: it is hashed again afterwards.
   */
  verify?: (tempPath: string) => unknown;
}

/** A progress event: `stage` is always `download`; `done`/`total` count files. */
export interface DownloadProgress {
  stage: 'download';
  done: number;
  total: number;
  /** What just happened to `path`. */
  event: 'skipped' | 'downloaded' | 'failed' | 'retry';
  path: string;
  /** Bytes written so far in this run. */
  bytes: number;
  /** For `retry`: the delay before the next attempt and the reason. */
  delayMs?: number;
  error?: EoFetchError;
}

/** Options of {@link downloadAll} / {@link DownloadEngine}. */
export interface DownloadOptions {
  /** Requests in flight overall (default 8). */
  concurrency?: number;
  /** Requests in flight per host (default 4). */
  perHost?: number;
  /** Retries per file after the first attempt (default 5). */
  retries?: number;
  /** Time limit of one attempt, body included (default 120 s). */
  timeoutMs?: number;
  /**
   * Longest silence of one attempt: no response headers, or no body bytes, for this long aborts the attempt
   * (`TIMEOUT`, retried per policy). Default 60 s; 0 turns it off (then only `timeoutMs` bounds a stall).
   */
  idleTimeoutMs?: number;
  /**
   * Strings that must never leave the engine (tokens, passwords): replaced by `***` in error messages (causes
   * included), progress events and the manifest. A function is read each time (tokens that get refreshed). The
   * values of the headers sent with a job (`headerSecrets`), its URL's userinfo and signed-URL tokens are scrubbed
   * from that job's errors without being listed here.
   */
  secrets?: readonly string[] | (() => readonly string[]);
  /** First backoff step (default 500 ms) and cap (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured (default 5 min). */
  maxRetryAfterMs?: number;
  /** Seed of the jitter PRNG (default 0x5eed). */
  seed?: number;
  /** JSONL manifest; without it nothing is skipped on re-runs. */
  manifestPath?: string;
  /**
   * Folder the manifest's paths are relative to (default: the manifest's folder). Give the dataset root so the
   * dataset can be opened from any working directory or moved as a whole.
   */
  manifestRoot?: string;
  /** How a manifest `verified` file is re-checked before skipping: `size` (default) or a full `sha256`. */
  verifyExisting?: 'size' | 'sha256';
  /**
   * Continue a `.partial` file left by an interrupted transfer (a killed run, a reset connection) with an HTTP
   * Range request instead of starting over (default true; GET jobs only). A server that answers 200 instead of
   * 206, or a Content-Range that does not continue the partial file to its end, makes the file start over; so does
   * an ETag, Last-Modified or size that changed since the partial's first bytes (sent as `If-Range`, within a
   * run). A partial of no known version (left by an earlier run, or from a server without validators) is
   * resumed from up to 64 KiB (half its length when shorter) before its end, and those bytes must equal the
   * partial's own, else the file starts over: a changed file whose bytes there are unchanged still passes, so
   * for files that may change between runs give the job an `expectedSha256` (checked over the whole file).
   */
  resume?: boolean;
  /**
   * Bodies up to this size are held in memory until complete and written after the request's slot is
   * released; larger ones stream to `<path>.partial` (default 1 MiB; 0 streams everything).
   */
  bufferBytes?: number;
  /**
   * Largest file taken from a server that declares no size (no Content-Length, chunked) for a job without
   * `expectedBytes`: an endless body stops there with `RESPONSE_TOO_LARGE` instead of filling the disk
   * (default {@link DEFAULT_MAX_FILE_BYTES}).
   */
  maxFileBytes?: number;
  /** Plan only: count requests and processing units, touch nothing. */
  dryRun?: boolean;
  /** Headers added to every attempt, computed fresh (e.g. a bearer token that may be refreshed). */
  authorize?: (job: DownloadJob) => Promise<Record<string, string>> | Record<string, string>;
  fetch?: FetchLike;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

/** A file that could not be downloaded. */
export interface DownloadFailure {
  job: DownloadJob;
  error: EoFetchError;
}

/** Summary of a run. */
export interface DownloadReport {
  dryRun: boolean;
  total: number;
  /** Files fetched and verified in this run (in a dry run: files that would be fetched). */
  downloaded: number;
  /** Files skipped because the manifest says verified and the file checks out. */
  skipped: number;
  failed: DownloadFailure[];
  /** HTTP requests sent (dry run: requests that would be sent, retries excluded). */
  requests: number;
  /** Retries performed. */
  retries: number;
  /** Bytes written. */
  bytes: number;
  /** Sum of `processingUnits` of the files (to be) fetched. */
  processingUnits: number;
  /** Manifest records of the files verified or downloaded in this run. */
  records: ManifestRecord[];
}

const DEFAULTS = {
  concurrency: 8,
  perHost: 4,
  verifyExisting: 'size' as const,
};

/** Default {@link DownloadOptions.idleTimeoutMs}. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Suffix of in-progress files. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Claims the files a job writes (its path, its partial and the partial's lock) in `owners` (file → the job's
 * path). A job whose path is another job's partial (`x` and `x.partial`) would resume, splice or delete the other's
 * file, so it is refused like two jobs writing one path.
 * @throws EoFetchError `DUPLICATE_PATH` naming both jobs
 */
function claimJobFiles(path: string, owners: Map<string, string>): void {
  const key = resolve(path);
  const partial = `${key}${PARTIAL_SUFFIX}`;
  const files = [key, partial, `${partial}${PARTIAL_LOCK_SUFFIX}`];
  for (const file of files) {
    const other = owners.get(file);
    if (other === undefined) continue;
    throw new EoFetchError(
      'DUPLICATE_PATH',
      resolve(other) === key
        ? `two jobs write ${path}; give every job its own path`
        : `jobs for ${other} and ${path} share the file ${file} (one job's temporary file is the other's path); give every job its own path`,
    );
  }
  for (const file of files) owners.set(file, path);
}

interface Transferred {
  bytes: number;
  sha256: string;
  /** Size of the whole file the response headers promise (Content-Length, or Content-Range's end/total). */
  declaredBytes: number | undefined;
  /** The body, when it was small enough to keep in memory. */
  held?: Uint8Array[];
  /** The partial file the body streamed into, as its handle saw it when done. */
  written?: FileIdentity;
}

/** Which file a handle wrote: the partial renamed into place must be that one, holding what was hashed. */
type FileIdentity = Pick<Stats, 'dev' | 'ino'>;

const DEFAULT_BUFFER_BYTES = 1 << 20;

/** Most bytes before a partial's end that a resume of unknown version asks for again (half the partial's when fewer). */
const RESUME_OVERLAP_BYTES = 64 * 1024;

/**
 * An answer to a resume that cannot continue the partial: a 206 whose first bytes are not the partial's last
 * ones, or a 200 that starts with them (only the tail; thrown inside the body loop).
 */
class ResumeMismatch extends Error {}

/** Default {@link DownloadOptions.maxFileBytes}: 128 GiB, above any Sentinel-2 product or release archive. */
export const DEFAULT_MAX_FILE_BYTES = 128 * 2 ** 30;

/**
 * The version of the file a `.partial` holds bytes of: a resume must continue the same version, never splice
 * the tail of a changed file onto the head of the old one.
 */
interface SourceVersion {
  etag?: string;
  lastModified?: string;
  /** Size of the whole file. */
  size?: number;
}

/** A parsed `Content-Range: bytes start-end/total` (total undefined for `*`). */
interface ContentRange {
  start: number;
  end: number;
  total?: number;
}

interface HostState {
  limit: LimitFunction;
  pausedUntil: number;
}

/**
 * A download engine: holds the limits, the host pauses and the jitter PRNG; `run(jobs)` fetches a batch.
 * Use one engine per process so that per-host limits hold across batches.
 *
 * @example
 * ```ts
 * const engine = new DownloadEngine({ concurrency: 16, perHost: 8, manifestPath: 'out/manifest.jsonl' });
 * const report = await engine.run([{ url: 'https://example.com/a.tif', path: 'out/a.tif' }]);
 * console.log(report.downloaded, report.failed.length);
 * ```
 */
export class DownloadEngine {
  readonly options: Readonly<DownloadOptions>;
  private readonly policy: RetryPolicy;
  private readonly global: LimitFunction;
  private readonly hosts = new Map<string, HostState>();
  private readonly random: () => number;
  private readonly dirs = new Set<string>();
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };

  /** @param options - limits, retry policy, manifest, hooks */
  constructor(options: DownloadOptions = {}) {
    checkDownloadOptions('DownloadEngine', options);
    this.options = { ...DEFAULTS, ...options };
    const { concurrency, perHost } = this.options as Required<
      Pick<DownloadOptions, 'concurrency' | 'perHost'>
    >;
    for (const [k, v] of Object.entries({ concurrency, perHost }))
      if (!Number.isInteger(v) || v < 1)
        throw new EoFetchError('INVALID_ARGUMENT', `${k} must be a positive integer, got ${v}`);
    const idle = options.idleTimeoutMs;
    if (idle !== undefined && !(Number.isFinite(idle) && idle >= 0))
      throw new EoFetchError('INVALID_ARGUMENT', `idleTimeoutMs must be a number ≥ 0, got ${idle}`);
    const maxFile = options.maxFileBytes;
    if (maxFile !== undefined && !(Number.isSafeInteger(maxFile) && maxFile >= 0))
      throw new EoFetchError('INVALID_ARGUMENT', `maxFileBytes must be a whole number ≥ 0, got ${maxFile}`);
    this.policy = {
      ...DEFAULT_RETRY_POLICY,
      ...definedOnly({
        retries: options.retries,
        timeoutMs: options.timeoutMs,
        baseDelayMs: options.baseDelayMs,
        maxDelayMs: options.maxDelayMs,
        maxRetryAfterMs: options.maxRetryAfterMs,
        seed: options.seed,
      }),
    };
    this.global = pLimit(concurrency);
    this.random = createRng(this.policy.seed >>> 0).next;
  }

  /**
   * Downloads `jobs`. Files the manifest lists as verified (and that still check out on disk) are skipped; stale
   * `.partial` files are removed; each file ends verified or in `report.failed` with a typed error. Once a write
   * finds the disk full (`ENOSPC`, `EDQUOT`), the jobs of this batch not yet sent fail at once with
   * `WRITE_FAILED` (`not started: the disk is full, see <first file>`), recorded as failed in the manifest so a
   * re-run redoes them; requests already in flight finish or fail on their own.
   *
   * @param jobs - files to fetch (paths must be unique)
   * @returns the run report
   * @throws {@link EoFetchError} `DUPLICATE_PATH`, `INVALID_ARGUMENT`, or `ABORTED` when the signal fires
   */
  async run(jobs: readonly DownloadJob[]): Promise<DownloadReport> {
    const opts = this.options;
    const seen = new Map<string, string>();
    checkIterable('DownloadEngine.run', 'jobs', jobs);
    for (const job of jobs) {
      checkObject('DownloadEngine.run', 'job', job);
      checkNonEmptyString('DownloadEngine.run', 'job.path', job.path);
      checkString('DownloadEngine.run', 'job.url', job.url);
      if (!/^https?:\/\//i.test(job.url))
        throw new EoFetchError(
          'INVALID_ARGUMENT',
          `job for ${job.path}: url must be http(s), got ${redactUrl(job.url)}`,
        );
      // before any request: a URL that does not parse (a port out of range) would fail every attempt as a
      // network error whose cause keeps the raw URL (credentials included); no cause here either
      if (!URL.canParse(job.url))
        throw new EoFetchError(
          'INVALID_ARGUMENT',
          `job for ${job.path}: url ${JSON.stringify(redactUrl(job.url))} is not a valid URL`,
        );
      checkJobFields(job);
      claimJobFiles(job.path, seen);
    }
    // the manifest is the run's own file: a job writing it (or its partial there) would replace its records
    const writesManifest = opts.manifestPath ? seen.get(resolve(opts.manifestPath)) : undefined;
    if (writesManifest !== undefined)
      throw new EoFetchError(
        'DUPLICATE_PATH',
        `the job for ${writesManifest} writes ${opts.manifestPath}, the run's manifest; give it another path`,
      );
    const manifestRoot = opts.manifestPath
      ? resolve(opts.manifestRoot ?? dirname(resolve(opts.manifestPath)))
      : undefined;
    const manifest = opts.manifestPath
      ? await readManifest(opts.manifestPath, { root: manifestRoot })
      : new Map<string, ManifestRecord>();
    const report: DownloadReport = {
      dryRun: !!opts.dryRun,
      total: jobs.length,
      downloaded: 0,
      skipped: 0,
      failed: [],
      requests: 0,
      retries: 0,
      bytes: 0,
      processingUnits: 0,
      records: [],
    };
    // manifest lines are scrubbed of the batch-wide secrets; a job's own (its URL's tokens, its headers) are
    // scrubbed from its error before the line is written
    const writer = opts.manifestPath
      ? new ManifestWriter(opts.manifestPath, { root: manifestRoot, scrub: (t) => this.scrub(t) })
      : undefined;
    let done = 0;
    // what the caller's callback throws is theirs: it never fails a job or its record, and is rethrown once every
    // job has ended and been recorded (later events are not sent)
    let progressFailure: { thrown: unknown } | undefined;
    const progress = (
      event: DownloadProgress['event'],
      path: string,
      extra: Partial<DownloadProgress> = {},
    ) => {
      if (progressFailure) return;
      try {
        opts.onProgress?.({
          stage: 'download',
          done,
          total: jobs.length,
          event,
          path,
          bytes: report.bytes,
          ...extra,
        });
      } catch (thrown) {
        progressFailure = { thrown };
      }
    };

    const todo: DownloadJob[] = [];
    for (const job of jobs) {
      const rec = manifest.get(resolve(job.path));
      // a record of other content (another checksum, size, item or URL) is no evidence for this job's file
      const verified = rec?.status === 'verified' && recordFitsJob(rec, job, (u) => this.scrub(u));
      // Beside the re-check: the lock a run killed between recording this file and releasing its lock left (a
      // skipped file's lock is taken by no later job; a job that does download it breaks a stale lock anyway).
      // It never rejects, so an early return of the re-check leaves nothing unhandled.
      const tidied = verified && !opts.dryRun ? clearStaleLock(`${job.path}${PARTIAL_SUFFIX}`) : undefined;
      const check = verified
        ? await recheckVerified(job.path, rec, this.options.verifyExisting ?? DEFAULTS.verifyExisting)
        : { ok: false };
      await tidied;
      if (check.ok) {
        // re-hashed with a fresh fingerprint: recorded, so the next resume does not read the file again (only a
        // saving: when the manifest cannot take the line, the next resume hashes it once more)
        if (check.refreshed && !opts.dryRun) await writer?.append(check.refreshed).catch(() => {});
        report.skipped++;
        report.records.push({ ...(check.refreshed ?? rec!), path: job.path });
        done++;
        progress('skipped', job.path);
      } else todo.push(job);
    }
    if (opts.dryRun) {
      report.downloaded = todo.length;
      report.requests = todo.length;
      report.processingUnits = todo.reduce((s, j) => s + (j.processingUnits ?? 0), 0);
      if (progressFailure) throw progressFailure.thrown;
      return report;
    }
    // once a write finds the disk full (not one path: ENOSPC, EDQUOT), the batch sends no new requests
    const diskState: DiskFullState = {};
    await Promise.all(
      todo.map(async (job) => {
        // this job's secrets only: scrubbing every job's error with every job's signed URL costs failures ×
        // batch size (2,000 failing presigned URLs blocked the event loop for minutes)
        const secrets = new Set([...urlSecrets(job.url), ...headerSecrets(jobHeaders(job))]);
        try {
          // recorded while the job still holds its partial file's lock: another run finds the record or the lock
          const rec = await this.runJob(job, report, progress, diskState, secrets, (verified) =>
            writer?.append(verified).catch((err: unknown) => {
              throw notRecorded(job.path, err);
            }),
          );
          report.records.push(rec);
          report.downloaded++;
          report.processingUnits += job.processingUnits ?? 0;
          done++;
          progress('downloaded', job.path);
        } catch (err) {
          const error = this.clean(classifyFetchError(err, job.url, opts.signal), secrets);
          // only the caller's abort drops the job from the report (the run then throws ABORTED)
          if (error.code === 'ABORTED' && opts.signal?.aborted) return;
          if (!isNotStarted(error)) noteDiskFull(diskState, job.path, error);
          report.failed.push({ job, error });
          // only a hint for people reading the manifest: a resume redoes every file without a verified record,
          // so a manifest that cannot take this line (the full disk that failed the job) costs the report nothing;
          // a file another run is downloading is that run's to record
          if (opts.manifestPath && error.code !== 'PATH_IN_USE')
            await writer
              ?.append(record(job, 0, '', 'failed', { code: error.code, message: error.message }))
              .catch(() => {});
          done++;
          progress('failed', job.path, { error });
        }
      }),
    );
    throwIfAborted(opts.signal, abortError);
    if (opts.manifestPath) await compactAfterRun(opts.manifestPath, manifestRoot);
    if (progressFailure) throw progressFailure.thrown;
    return report;
  }

  /**
   * Every secret to scrub now: the listed ones (batch-wide) and `job`'s own: its URL's password, Basic value and
   * signed-URL tokens, and the values of the headers sent with it (`headerSecrets`), which a server may echo.
   */
  private secretList(job?: ReadonlySet<string>): string[] {
    const s = this.options.secrets;
    const listed = typeof s === 'function' ? s() : (s ?? []);
    // longest first, so a secret containing another is replaced whole
    return [...listed, ...(job ?? [])].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
  }

  /** Replaces every batch-wide secret and URL credential in `text` by `***`. */
  private scrub(text: string): string {
    return scrub(redactUrlsIn(text), this.secretList());
  }

  /** Scrubs an error's message and those of its causes, in place (they end up in reports, logs, manifests). */
  private clean<E extends EoFetchError>(err: E, job: ReadonlySet<string>): E {
    return scrubErrorChain(err, this.secretList(job));
  }

  /** Closes idle keep-alive connections (the engine stays usable; new connections are opened on demand). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private host(url: string): HostState {
    const key = new URL(url).host;
    let h = this.hosts.get(key);
    if (!h) {
      h = { limit: pLimit(this.options.perHost ?? DEFAULTS.perHost), pausedUntil: 0 };
      this.hosts.set(key, h);
    }
    return h;
  }

  private async runJob(
    job: DownloadJob,
    report: DownloadReport,
    progress: (e: DownloadProgress['event'], p: string, x?: Partial<DownloadProgress>) => void,
    diskState: DiskFullState = {},
    secrets: Set<string> = new Set(),
    onVerified?: (rec: ManifestRecord) => Promise<unknown> | undefined,
  ): Promise<ManifestRecord> {
    const { signal } = this.options;
    // a job of a batch whose disk is full fails before it touches the disk or the network
    const notStarted = () => {
      if (diskState.full) throw notStartedDiskFull(job.path, diskState.full);
    };
    notStarted();
    const host = this.host(job.url);
    const partial = `${job.path}${PARTIAL_SUFFIX}`;
    const parent = dirname(resolve(job.path));
    // every step on the local disk fails as WRITE_FAILED naming the file (a full disk is no network error)
    const disk = <T>(step: () => Promise<T>) => onDisk(job.path, step);
    if (!this.dirs.has(parent)) {
      await disk(() => mkdir(parent, { recursive: true }));
      this.dirs.add(parent);
    }
    const resumable = this.resumable(job);
    // the partial file is this job's alone while it holds the lock (taken in its first network slot, so a batch
    // of thousands holds about as many locks as it has requests in flight); another run gets PATH_IN_USE
    let lock = undefined as PartialLock | undefined;
    let hasPartial = false;
    // what the partial file holds; unknown for a partial left by an earlier run
    let version: SourceVersion = {};
    try {
      let rec: ManifestRecord | undefined;
      for (let n = 0; !rec; n++) {
        throwIfAborted(signal, abortError);
        let error: EoFetchError;
        try {
          const got = await host.limit(async () => {
            // a host paused by Retry-After holds its queue, not global slots
            while (host.pausedUntil > Date.now()) await sleep(host.pausedUntil - Date.now(), signal);
            return this.global(async () => {
              // checked in the slot, right before the request: a job queued behind the one whose write found the
              // disk full is not started (a retry neither)
              notStarted();
              try {
                if (!lock) {
                  lock = await lockPartial(partial, job.path);
                  // a leftover of a killed run: resumable jobs continue it, others start over
                  if (resumable) hasPartial = await leftoverPartial(job.path, partial);
                  else await disk(() => unlinkQuiet(partial));
                }
                return await this.transfer(job, partial, report, hasPartial, version, secrets);
              } catch (err) {
                // noted before the slot is released, so the next queued job already sees it
                noteDiskFull(diskState, job.path, err);
                throw err;
              }
            });
          });
          // checks, verify hooks and the rename run outside the network slots (global and per host)
          rec = await this.finish(job, partial, got);
          report.bytes += rec.bytes;
          break;
        } catch (err) {
          // not started, or another run's file: nothing was sent or written, a partial file stays as it is
          if (isNotStarted(err) || !lock) throw err;
          error = this.clean(classifyFetchError(err, job.url, signal), secrets);
          noteDiskFull(diskState, job.path, error);
          // a transfer cut short keeps its bytes for a ranged resume; anything else starts over
          hasPartial = resumable && ['NETWORK_ERROR', 'TIMEOUT', 'ABORTED'].includes(error.code);
          if (!hasPartial) {
            version = {};
            const left = await unlinkQuiet(partial).then(
              () => undefined,
              (e: unknown) => e,
            );
            // a failed write (disk full, not writable) is final: say what became of the partial file, and that
            // whatever was at the path before is untouched (only a verified partial, this job's own under its
            // lock, is ever renamed onto it, as the last step of a job that succeeds)
            if (error.code === 'WRITE_FAILED')
              throw this.clean(
                new EoFetchError(
                  'WRITE_FAILED',
                  `${error.message}; ${left === undefined ? `the partial download ${partial} was removed` : `the partial download ${partial} could not be removed either (${(left as Error).message})`}, and the file already at ${job.path}, if any, is unchanged`,
                  { cause: error.cause ?? error },
                ),
                secrets,
              );
            if (left !== undefined) throw this.clean(writeFailed(job.path, left), secrets);
          }
        }
        if (error.code === 'ABORTED' || !isRetryable(error, this.policy)) throw error;
        if (n >= this.policy.retries)
          throw new EoFetchError(
            'RETRIES_EXHAUSTED',
            `${job.path}: gave up after ${n + 1} attempts: ${error.message}`,
            { cause: error },
          );
        const delayMs = retryDelay(error, n, this.policy, this.random);
        // a server that is overloaded pauses its whole host; a 202's Retry-After is about this file only
        if ((error as { retryAfterMs?: number }).retryAfterMs !== undefined && error.code !== 'NOT_READY')
          host.pausedUntil = Math.max(host.pausedUntil, Date.now() + delayMs);
        report.retries++;
        progress('retry', job.path, { delayMs, error });
        await sleep(delayMs, signal);
      }
      await onVerified?.(rec);
      return rec;
    } finally {
      await lock?.release();
    }
  }

  private resumable(job: DownloadJob): boolean {
    return (this.options.resume ?? true) && (job.method ?? 'GET') === 'GET' && job.body === undefined;
  }

  private async transfer(
    job: DownloadJob,
    partial: string,
    report: DownloadReport,
    hasPartial: boolean,
    version: SourceVersion,
    secrets: Set<string>,
  ): Promise<Transferred> {
    const opts = this.options;
    const userSignal = opts.signal;
    if (userSignal?.aborted) throw abortError(userSignal);
    const att = attemptSignal(
      userSignal,
      this.policy.timeoutMs,
      opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    );
    const { signal } = att;
    // a Headers instance or a list of pairs spread into a record would keep none of its headers
    const headers: Record<string, string> = {
      ...jobHeaders(job),
      ...headersRecord(await opts.authorize?.(job), 'DownloadEngine', 'options.authorize() result'),
    };
    for (const secret of headerSecrets(headers)) secrets.add(secret);
    // the file's own bytes: a compressed answer is not them, and a resumed range would count encoded bytes
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding'))
      headers['accept-encoding'] = 'identity';
    let body: BodyInit | undefined;
    if (job.body !== undefined) {
      if (typeof job.body === 'string' || job.body instanceof Uint8Array) body = job.body as BodyInit;
      else {
        body = JSON.stringify(job.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    let offset = 0;
    if (hasPartial) {
      try {
        offset = (await stat(partial)).size;
      } catch {
        offset = 0;
      }
    }
    // a partial of no known version (left by an earlier run, or from a server without validators) is resumed
    // from a little before its end, and those bytes must equal its own: else the file changed meanwhile
    const validator = ifRangeValidator(version);
    const overlap = offset > 0 && !validator ? Math.min(RESUME_OVERLAP_BYTES, Math.ceil(offset / 2)) : 0;
    const start = offset - overlap;
    if (offset > 0) {
      headers.range = `bytes=${start}-`;
      // a server that honours If-Range answers the whole new file (200) when the file changed
      if (validator) headers['if-range'] = validator;
    }
    report.requests++;
    try {
      // an error page is scrubbed before its excerpt is cut: an echo the cut ends inside would keep its start
      const redact = () => this.secretList(secrets);
      const res = opts.fetch
        ? await openWithFetch(
            opts.fetch,
            job.url,
            { method: job.method ?? 'GET', headers, body, signal },
            redact,
          )
        : await openWithNodeHttp(
            this.agents,
            job.url,
            { method: job.method ?? 'GET', headers, body, signal },
            redact,
          );
      att.touch();
      if (!res.ok) {
        if (offset > 0 && res.status === 416) {
          res.discard();
          await onDisk(job.path, () => unlinkQuiet(partial));
          throw new EoFetchError(
            'SIZE_MISMATCH',
            `${job.path}: the server cannot resume at byte ${offset}; starting over`,
          );
        }
        throw await res.error();
      }
      // only a 200 (or a checked 206) holds the file: a 202 is "not ready yet", a 204 or another 2xx no file
      if (res.status !== 200 && res.status !== 206) throw await notTheFile(res, job);
      const encoding = res.headers.get('content-encoding')?.trim().toLowerCase();
      if (encoding && encoding !== 'identity') {
        res.discard();
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `${job.path}: the server sent Content-Encoding ${JSON.stringify(encoding)} although the file's own bytes (identity) were asked for; they are not the file`,
        );
      }
      const bodyLength = declaredBodyLength(res.headers);
      let declaredBytes = bodyLength;
      const hash = createHash('sha256');
      let bytes = 0;
      let fh: FileHandle | undefined;
      let seamVersion: SourceVersion | undefined;
      // the partial's last bytes when a 200 answered a resume and its start is not the partial's own
      let tailOf: Uint8Array | undefined;
      let wholeVersion: SourceVersion | undefined;
      // the partial's first bytes and the version's size when a 200 answered a resume under the same version
      let headOf: Uint8Array | undefined;
      let sameSize: number | undefined;
      if (res.status === 206) {
        const range = parseContentRange(res.headers.get('content-range'));
        const seen = versionOf(res.headers, range?.total);
        const why =
          partialAnswerProblem(res.headers, range, start, bodyLength, version, seen, job) ??
          (validator && !carriesValidator(seen, validator)
            ? `answered If-Range ${JSON.stringify(validator)} with a 206 that names no ${validator === version.etag ? 'ETag' : 'Last-Modified'}, so the version it continues is unknown`
            : undefined);
        if (why) {
          res.discard();
          await onDisk(job.path, () => unlinkQuiet(partial));
          throw new EoFetchError('SIZE_MISMATCH', `${job.path}: ${why}; starting over`);
        }
        declaredBytes = range!.total ?? range!.end + 1;
        // a partial of unknown version is known to be this one only once its last bytes are compared
        if (overlap > 0) seamVersion = seen;
        else Object.assign(version, definedOnly({ ...seen }));
      } else {
        // a whole file: the old partial's bytes may be another version, so drop them before this version is
        // recorded (a body held in memory or cut off before its first byte would otherwise leave them behind);
        // its ends are kept to tell a 200 that holds only the tail (a proxy dropping Content-Range) by its start
        const ends =
          overlap > 0 ? await onDisk(job.path, () => partialEnds(partial, start, overlap)) : undefined;
        // a 200 under the partial's own version holds that version's bytes: they start as the partial does and
        // end at its size (a proxy sending only the tail under the same ETag, no size said, was saved as the file)
        if (offset > 0 && validator && sameVersion(version, versionOf(res.headers, bodyLength))) {
          headOf = await onDisk(job.path, () => partialHead(partial, Math.min(RESUME_OVERLAP_BYTES, offset)));
          sameSize = version.size;
        }
        if (offset > 0) await onDisk(job.path, () => unlinkQuiet(partial));
        if (ends && !ends.sameAsHead) tailOf = ends.tail;
        const why =
          // a resume from byte 0 (a 1-byte partial) asked for the whole file: any 200 is it
          (ends?.sameAsHead && start > 0 && !sizeOrSumKnown(job)
            ? `asked for bytes ${start} to the end and got a 200 (the whole file), but the partial download's first bytes equal its bytes ${start}-${offset - 1}, so the answer's start cannot tell the whole file from its tail and no size or checksum is known to tell them apart`
            : undefined) ?? wholeAnswerProblem(res.headers, bodyLength, version);
        if (why) {
          res.discard();
          throw new EoFetchError('SIZE_MISMATCH', `${job.path}: ${why}; starting over`);
        }
        // until its first bytes are told apart from the partial's tail, a cut body must not be resumed as this
        // version (If-Range would splice the rest onto the tail)
        if (tailOf) wholeVersion = versionOf(res.headers, bodyLength);
        else Object.assign(version, versionOf(res.headers, bodyLength));
      }
      // every step on the local disk fails as WRITE_FAILED naming the file (a full disk is no network error)
      const disk = <T>(step: () => Promise<T>) => onDisk(job.path, step);
      // the partial's last bytes, which the answer's first bytes must repeat
      let seam: Uint8Array | undefined;
      if (offset > 0 && res.status === 206) {
        await disk(async () => {
          const prev = await open(partial, 'r');
          try {
            // re-hashing a large partial is progress too: keep the idle timer from firing meanwhile
            for await (const c of prev.createReadStream({ autoClose: false, end: offset - 1 })) {
              att.touch();
              hash.update(c as Buffer);
            }
            if (overlap > 0) seam = await readExactly(prev, start, overlap);
          } finally {
            await prev.close();
          }
        });
        bytes = offset;
        fh = await disk(() => open(partial, APPEND_NO_FOLLOW));
      }
      let seamAt = 0;
      let tailAt = 0;
      let headAt = 0;
      const notThisVersion = (why: string) =>
        new ResumeMismatch(
          `${job.path}: answered the resume with a 200 under the partial download's version (${validator}) ${why}: it is not that version's whole file (a proxy sending only the tail); starting over`,
        );
      // small bodies stay in memory until complete (the file is written after the network slot is released);
      // larger ones stream to the partial file
      const limit = opts.bufferBytes ?? DEFAULT_BUFFER_BYTES;
      let held: Uint8Array[] | undefined = !fh && (declaredBytes ?? 0) <= limit ? [] : undefined;
      // a body may not run past the size its headers or the catalogue promise (endless bodies, gzip bombs)
      const cap = Math.min(
        declaredBytes ?? Number.POSITIVE_INFINITY,
        job.expectedBytes ?? Number.POSITIVE_INFINITY,
      );
      // with no size known at all, an endless body stops at maxFileBytes instead of filling the disk
      const ceiling = Number.isFinite(cap) ? cap : (opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
      let complete = false;
      let written: FileIdentity | undefined;
      try {
        for await (const body of res.body) {
          att.touch();
          let chunk = body;
          if (tailOf && tailAt < tailOf.length) {
            const n = Math.min(tailOf.length - tailAt, chunk.byteLength);
            const same = Buffer.compare(chunk.subarray(0, n), tailOf.subarray(tailAt, tailAt + n)) === 0;
            tailAt += n;
            if (!same) {
              tailOf = undefined;
              if (wholeVersion) Object.assign(version, wholeVersion);
              wholeVersion = undefined;
            } else if (tailAt === tailOf.length)
              throw new ResumeMismatch(
                `${job.path}: asked for bytes ${start} to the end, got a 200 (the whole file) that starts with the partial download's bytes ${start}-${offset - 1}: it holds only the tail; starting over`,
              );
          }
          if (headOf && headAt < headOf.length) {
            const n = Math.min(headOf.length - headAt, chunk.byteLength);
            if (Buffer.compare(chunk.subarray(0, n), headOf.subarray(headAt, headAt + n)) !== 0)
              throw notThisVersion("whose first bytes differ from the partial download's");
            headAt += n;
          }
          if (seam && seamAt < seam.length) {
            const n = Math.min(seam.length - seamAt, chunk.byteLength);
            if (Buffer.compare(chunk.subarray(0, n), seam.subarray(seamAt, seamAt + n)) !== 0)
              throw new ResumeMismatch(
                `${job.path}: the server's bytes ${start}-${offset - 1} differ from the partial download's (the file changed on the server since the partial download was started); starting over`,
              );
            seamAt += n;
            if (seamAt === seam.length && seamVersion)
              Object.assign(version, definedOnly({ ...seamVersion }));
            chunk = chunk.subarray(n);
            if (chunk.byteLength === 0) continue;
          }
          if (bytes + chunk.byteLength > ceiling && !Number.isFinite(cap))
            throw new EoFetchError(
              'RESPONSE_TOO_LARGE',
              `${job.path}: ${redactUrl(job.url)} sent more than ${ceiling} bytes without declaring a size; stopped (raise maxFileBytes if the file is that large)`,
            );
          if (bytes + chunk.byteLength > cap)
            throw new EoFetchError(
              'SIZE_MISMATCH',
              `${job.path}: ${redactUrl(job.url)} kept sending past the ${cap} bytes ${cap === declaredBytes ? 'its headers declared' : 'the catalogue gives'}; stopped`,
            );
          hash.update(chunk);
          bytes += chunk.byteLength;
          if (held && bytes > limit) {
            const out = await disk(() => open(partial, WRITE_NO_FOLLOW));
            fh = out;
            for (const c of held) await disk(() => writeAll(out, c));
            held = undefined;
          }
          if (held) held.push(chunk);
          else {
            const out = fh ?? (await disk(() => open(partial, WRITE_NO_FOLLOW)));
            fh = out;
            await disk(() => writeAll(out, chunk));
          }
        }
        if (headOf && (headAt < headOf.length || (sameSize !== undefined && bytes !== sameSize)))
          throw notThisVersion(
            `of ${bytes} bytes${sameSize === undefined ? '' : ` where that version has ${sameSize}`}`,
          );
        // a compared resume that ended before its compared bytes did not show the partial is this file
        if (seam && seamAt < seam.length)
          throw new ResumeMismatch(
            `${job.path}: the answer to the resume ended after ${seamAt} of the ${seam.length} bytes compared with the partial download's; starting over`,
          );
        complete = true;
        // a 200 whose start was never told apart from the partial's tail is this version only now
        if (wholeVersion) Object.assign(version, wholeVersion);
      } finally {
        // a file system may report a full disk or quota only when the file is closed (NFS, delayed allocation);
        // after another failure the close must not hide it
        const out = fh;
        if (out && complete) {
          written = await disk(() => out.stat()).catch(async (err: unknown) => {
            await out.close().catch(() => {}); // the stat's error is the one to report
            throw err;
          });
          await disk(() => out.close());
        } else if (out) await out.close().catch(() => {});
      }
      return { bytes, sha256: hash.digest('hex'), declaredBytes, held, written };
    } catch (err) {
      // the partial is removed by the caller, as for every SIZE_MISMATCH
      if (err instanceof ResumeMismatch)
        throw this.clean(new EoFetchError('SIZE_MISMATCH', err.message), secrets);
      throw this.clean(classifyFetchError(err, job.url, userSignal, att), secrets);
    } finally {
      att.dispose();
    }
  }

  /**
   * The job's `verify` hook on the finished partial. It rejects by throwing (anything: a string, null) or by
   * returning `false`; and it may read the file, not change it: the recorded SHA-256 must be of the bytes renamed
   * into place, so the file is hashed again after it.
   */
  private async runVerify(job: DownloadJob, partial: string, sha256: string): Promise<void> {
    const rejected = (why: string, cause?: unknown) =>
      new EoFetchError('VERIFY_FAILED', `${job.path}: downloaded file rejected: ${why}`, { cause });
    let verdict: unknown;
    try {
      verdict = await (job.verify as NonNullable<DownloadJob['verify']>)(partial);
    } catch (err) {
      // never a network failure: it is the hook's rejection
      throw rejected(thrownMessage(err), err);
    }
    if (verdict === false) throw rejected('the verify hook returned false');
    if ((await onDisk(job.path, () => sha256File(partial))) !== sha256)
      throw rejected('the verify hook changed the file (its SHA-256 is no longer the one downloaded)');
  }

  private async finish(job: DownloadJob, partial: string, got: Transferred): Promise<ManifestRecord> {
    const { bytes, sha256, declaredBytes } = got;
    const held = got.held;
    const written = held ? await onDisk(job.path, () => writeHeld(partial, held)) : got.written;
    const safe = redactUrl(job.url);
    if (declaredBytes !== undefined && bytes !== declaredBytes)
      throw new EoFetchError(
        'SIZE_MISMATCH',
        `${job.path}: got ${bytes} bytes from ${safe}, the response headers said ${declaredBytes} (truncated transfer)`,
      );
    if (job.expectedBytes !== undefined && bytes !== job.expectedBytes)
      throw new EoFetchError(
        'SIZE_MISMATCH',
        `${job.path}: got ${bytes} bytes from ${safe}, expected ${job.expectedBytes} (catalogue size)`,
      );
    const expected = expectedSha256(job);
    if (expected !== undefined && expected !== sha256)
      throw new EoFetchError(
        'CHECKSUM_MISMATCH',
        `${job.path}: sha256 ${sha256} does not match the expected ${expected}; the source changed or is corrupt`,
      );
    if (job.verify) await this.runVerify(job, partial, sha256);
    // on disk before it takes the verified file's name (a crash after the rename must not leave it empty), and
    // still the file this job wrote, of the size it hashed: the recorded digest is of the bytes renamed into place
    if (!(await onDisk(job.path, () => syncIfSame(partial, written, bytes))))
      throw new EoFetchError(
        'SIZE_MISMATCH',
        `${job.path}: ${partial} was replaced or changed by someone else after this run wrote it; starting over`,
      );
    await onDisk(job.path, () => rename(partial, job.path));
    const rec = record(job, bytes, sha256, 'verified');
    const fingerprint = await this.fingerprint(job.path, rec);
    return fingerprint ? { ...rec, fingerprint } : rec;
  }

  /**
   * The fingerprint of a file just verified, for a manifest whose files a resume re-checks by `sha256`: the file
   * is hashed once more around two `lstat`s (from the page cache, just written), since the bytes hashed during
   * the transfer say nothing about what is at the path by the time of the `lstat`. Undefined when it changed.
   */
  private async fingerprint(path: string, rec: ManifestRecord): Promise<FileFingerprint | undefined> {
    if (!this.options.manifestPath || this.options.verifyExisting !== 'sha256') return undefined;
    try {
      const { sha256, fingerprint } = await hashWithFingerprint(path);
      return sha256 === rec.sha256 && fingerprint?.size === rec.bytes ? fingerprint : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Writes a body held in memory as the partial file, flushed, through one handle; returns which file it is. */
async function writeHeld(path: string, held: Uint8Array[]): Promise<FileIdentity> {
  const fh = await open(path, WRITE_NO_FOLLOW);
  try {
    for (const chunk of held) await writeAll(fh, chunk);
    return await fh.stat();
  } finally {
    await fh.close();
  }
}

/** Flushes `path` to disk when it is still the file `written` (same inode) of `bytes` bytes; false otherwise. */
async function syncIfSame(path: string, written: FileIdentity | undefined, bytes: number): Promise<boolean> {
  const fh = await open(path, 'r+');
  try {
    const st = await fh.stat();
    if (st.size !== bytes || (written && (st.dev !== written.dev || st.ino !== written.ino))) return false;
    await fh.sync();
    return true;
  } finally {
    await fh.close();
  }
}

function record(
  job: DownloadJob,
  bytes: number,
  sha256: string,
  status: ManifestRecord['status'],
  error?: ManifestRecord['error'],
): ManifestRecord {
  return {
    ...(job.aoi !== undefined ? { aoi: job.aoi } : {}),
    ...(job.revisit !== undefined ? { revisit: job.revisit } : {}),
    ...(job.itemId !== undefined ? { itemId: job.itemId } : {}),
    path: job.path,
    url: redactUrl(job.url),
    bytes,
    sha256,
    status,
    ...(error ? { error } : {}),
    time: new Date().toISOString(),
  };
}

/** A hex SHA-256, or a sha2-256 multihash (`1220` + the digest: STAC's `file:checksum`). */
const SHA256_FORMS = /^(?:1220)?[0-9a-f]{64}$/i;

/**
 * The fields of a job that decide what counts as its file, checked before any request: a number or '' as the
 * checksum would fail every attempt or check nothing, a size of NaN or −1 retry until the retries are spent.
 */
function checkJobFields(job: DownloadJob): void {
  const fn = 'DownloadEngine.run';
  const where = `job for ${job.path}`;
  const sha = job.expectedSha256;
  if (sha !== undefined && !(typeof sha === 'string' && SHA256_FORMS.test(sha)))
    invalidArgument(
      fn,
      `${where}: expectedSha256`,
      "a hex SHA-256 (64 digits) or a sha2-256 multihash ('1220' + 64 hex digits)",
      sha,
    );
  checkNumber(fn, `${where}: expectedBytes`, job.expectedBytes, { optional: true, integer: true, min: 0 });
  checkFunction(fn, `${where}: verify`, job.verify, true);
  // a folder's name (`d/x/`, `d/x/.`): its partial would be `<folder>/.partial`, a file of the folder's own
  if (/[\\/]$/.test(job.path) || ['.', '..'].includes(basename(job.path)))
    invalidArgument(fn, `${where}: path`, 'a file path (not ending in a separator, ".", or "..")', job.path);
  jobHeaders(job);
}

/** A job's headers as a record, in whichever RequestInit form they were given. */
function jobHeaders(job: DownloadJob): Record<string, string> {
  return headersRecord(job.headers, 'DownloadEngine.run', `job for ${job.path}: headers`);
}

/** The job's expected SHA-256 as lower-case hex (a multihash unwrapped), or undefined. */
function expectedSha256(job: DownloadJob): string | undefined {
  const sha = job.expectedSha256;
  return sha === undefined ? undefined : sha.slice(sha.length - 64).toLowerCase();
}

/** Scheme, host, port and path of a URL: the resource, without credentials or query (signatures change it). */
function resourceOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether a verified record describes the content `job` asks for: its checksum and size when the job names them,
 * and its item id and URL (scheme, host, port, path) when both sides have them. A record of another acquisition
 * (a re-matched revisit under the same path) or another version of the file is no reason to skip the job.
 */
function recordFitsJob(rec: ManifestRecord, job: DownloadJob, scrubbed: (url: string) => string): boolean {
  const sha = expectedSha256(job);
  if (sha !== undefined && rec.sha256.toLowerCase() !== sha) return false;
  if (job.expectedBytes !== undefined && rec.bytes !== job.expectedBytes) return false;
  if (job.itemId !== undefined && rec.itemId !== undefined && rec.itemId !== job.itemId) return false;
  const recorded = rec.url ? resourceOf(rec.url) : undefined;
  // recorded scrubbed of the listed secrets (one may sit in the URL's path): compared the same way
  return (
    recorded === undefined || recorded === resourceOf(job.url) || recorded === resourceOf(scrubbed(job.url))
  );
}

/** Runs a step on the local disk for the file `path`, turning its failure into `WRITE_FAILED` naming the file. */
async function onDisk<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw writeFailed(path, err);
  }
}

/**
 * Writes all of `bytes` at the file's position. One `write` may take fewer bytes than given (a disk filling up
 * mid-chunk): the rest is written again, so the full disk is reported by the next call instead of the file
 * silently missing bytes the hash and byte count include.
 */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.byteLength - at);
    if (bytesWritten <= 0) throw new Error(`short write: ${at} of ${bytes.byteLength} bytes`);
    at += bytesWritten;
  }
}

/** `length` bytes of an open file from `position`; a file that ends before them is an error. */
async function readExactly(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; ) {
    const { bytesRead } = await fh.read(out, at, length - at, position + at);
    if (bytesRead === 0)
      throw new Error(`the file ends at byte ${position + at}, before byte ${position + length}`);
    at += bytesRead;
  }
  return out;
}

/** The partial's first `length` bytes. */
async function partialHead(path: string, length: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    return await readExactly(fh, 0, length);
  } finally {
    await fh.close();
  }
}

/**
 * The partial's bytes from `start` (`length` of them), and whether they equal its first bytes: then a body
 * starting with them may be the whole file as well as its tail.
 */
async function partialEnds(
  path: string,
  start: number,
  length: number,
): Promise<{ tail: Uint8Array; sameAsHead: boolean }> {
  const fh = await open(path, 'r');
  try {
    const [head, tail] = [await readExactly(fh, 0, length), await readExactly(fh, start, length)];
    return { tail, sameAsHead: Buffer.compare(head, tail) === 0 };
  } finally {
    await fh.close();
  }
}

/** Whether the job names the file's size or checksum, which refuse a body that holds only part of it. */
function sizeOrSumKnown(job: DownloadJob): boolean {
  return job.expectedBytes !== undefined || expectedSha256(job) !== undefined;
}

// A `.partial` path is the engine's own: a symbolic link there (left by anyone) must not make it write through to
// another file. O_NOFOLLOW makes such an open fail (ELOOP) instead of following it (0 where the OS has none).
// O_NONBLOCK: a FIFO there fails the open (ENXIO) instead of waiting for a reader for ever; no effect on files.
const NO_FOLLOW = (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);
const WRITE_NO_FOLLOW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | NO_FOLLOW;
const APPEND_NO_FOLLOW = fsConstants.O_WRONLY | fsConstants.O_APPEND | NO_FOLLOW;

/**
 * Whether a killed run's partial file is there to resume: a non-empty regular file. Anything else at that name
 * (a symbolic link, a folder) is not a download of ours: a link is removed (not what it points to), so the
 * transfer starts over into a file of its own; a folder is left for the write to report.
 */
async function leftoverPartial(path: string, partial: string): Promise<boolean> {
  const st = await lstat(partial).catch(() => undefined);
  if (st?.isSymbolicLink()) await onDisk(path, () => unlinkQuiet(partial));
  return st?.isFile() === true && st.size > 0;
}

async function unlinkQuiet(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Length of the body as sent (undefined when absent, encoded or not a byte count). */
function declaredBodyLength(headers: Opened['headers']): number | undefined {
  const v = headers.get('content-length');
  if (v === null || headers.get('content-encoding') != null || !/^\d{1,15}$/.test(v.trim())) return undefined;
  return Number(v);
}

/** `bytes start-end/total`, or undefined when the header is absent or not a consistent range. */
function parseContentRange(value: string | null): ContentRange | undefined {
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const range: ContentRange = { start: Number(m[1]), end: Number(m[2]) };
  if (m[3] !== '*') range.total = Number(m[3]);
  if (range.end < range.start || (range.total !== undefined && range.end >= range.total)) return undefined;
  return range;
}

/** The validators of a response (size: the whole file's, when known). */
function versionOf(headers: Opened['headers'], size: number | undefined): SourceVersion {
  return {
    etag: headers.get('etag') ?? undefined,
    lastModified: headers.get('last-modified') ?? undefined,
    size,
  };
}

/** The If-Range value of a known version: a strong ETag, else Last-Modified (weak ETags cannot be used). */
function ifRangeValidator(v: SourceVersion): string | undefined {
  if (v.etag && !v.etag.startsWith('W/')) return v.etag;
  return v.lastModified;
}

/** Whether a 206 names the validator its If-Range sent (else its version is unknown: a server ignoring it). */
function carriesValidator(seen: SourceVersion, validator: string): boolean {
  return seen.etag === validator || seen.lastModified === validator;
}

/** What differs between the version a partial holds and the one a server now serves, or undefined. */
function versionChange(before: SourceVersion, now: SourceVersion): string | undefined {
  for (const [k, name] of [
    ['etag', 'ETag'],
    ['lastModified', 'Last-Modified'],
    ['size', 'size'],
  ] as const)
    if (before[k] !== undefined && now[k] !== undefined && before[k] !== now[k])
      return `the file changed on the server since the partial download (${name} ${JSON.stringify(before[k])} → ${JSON.stringify(now[k])})`;
  return undefined;
}

/**
 * Why a 206 answer cannot be appended to the `offset` bytes already held, or undefined when it can: it must
 * cover exactly `offset` to the end of the same version of the file (a 206 to a request without Range is only
 * accepted when it holds the whole file).
 */
function partialAnswerProblem(
  headers: Opened['headers'],
  range: ContentRange | undefined,
  offset: number,
  bodyLength: number | undefined,
  before: SourceVersion,
  now: SourceVersion,
  job: DownloadJob,
): string | undefined {
  const shown = JSON.stringify(headers.get('content-range'));
  if (offset === 0 && !(range?.start === 0 && range.end === (range.total ?? 0) - 1))
    return `answered 206 with Content-Range ${shown} to a request for the whole file`;
  if (!range || range.start !== offset)
    return `asked to resume at byte ${offset}, got Content-Range ${shown}`;
  if (range.total !== undefined && range.end !== range.total - 1)
    return `asked for bytes ${offset} to the end, got Content-Range ${shown}`;
  // `*`: the server does not say how long the file is, so the answer must reach the end this run knows of (the
  // first answer's size, the catalogue's); with neither, a resumed file could never be known complete
  if (range.total === undefined) {
    const known = before.size ?? job.expectedBytes;
    if (known === undefined)
      return `Content-Range ${shown} does not give the file's length and nothing else did, so the resumed file cannot be known complete`;
    if (range.end !== known - 1)
      return `asked for bytes ${offset} to the end of the ${known}-byte file, got Content-Range ${shown}`;
  }
  if (bodyLength !== undefined && bodyLength !== range.end - range.start + 1)
    return `Content-Length ${bodyLength} does not match Content-Range ${shown}`;
  const size = range.total ?? range.end + 1;
  if (job.expectedBytes !== undefined && size !== job.expectedBytes)
    return `Content-Range ${shown} names a ${size}-byte file, the catalogue ${job.expectedBytes} bytes`;
  return offset > 0 ? versionChange(before, now) : undefined;
}

/**
 * Why a 200 answer cannot be the whole file, or undefined when it can: a Content-Range on it must cover the file
 * from byte 0 to its end (a proxy answering a ranged request with 200 and only the tail), and a file of the same
 * version (the same strong ETag or Last-Modified) must have the size it had earlier in this run.
 */
function wholeAnswerProblem(
  headers: Opened['headers'],
  bodyLength: number | undefined,
  before: SourceVersion,
): string | undefined {
  const raw = headers.get('content-range');
  if (raw !== null) {
    const range = parseContentRange(raw);
    const size = range && (range.total ?? before.size ?? range.end + 1);
    if (
      !range ||
      range.start !== 0 ||
      range.end !== (size as number) - 1 ||
      (bodyLength !== undefined && bodyLength !== size)
    )
      return `answered 200 (the whole file) with Content-Range ${JSON.stringify(raw)}, which is not the whole file`;
  }
  const same = sameVersion(before, versionOf(headers, bodyLength));
  if (same && before.size !== undefined && bodyLength !== undefined && bodyLength !== before.size)
    return `answered 200 with ${bodyLength} bytes for the same version of the file (${before.etag ? `ETag ${before.etag}` : `Last-Modified ${before.lastModified}`}) that had ${before.size} bytes`;
  return undefined;
}

/** Whether `now` names the version `before` names: its strong ETag, or (without an ETag) its Last-Modified. */
function sameVersion(before: SourceVersion, now: SourceVersion): boolean {
  const strong = (etag: string | undefined) => (etag && !etag.startsWith('W/') ? etag : undefined);
  return (
    (strong(before.etag) !== undefined && strong(before.etag) === now.etag) ||
    (before.etag === undefined &&
      before.lastModified !== undefined &&
      before.lastModified === now.lastModified)
  );
}

/**
 * The error for a 2xx answer that is not the file: a 202 Accepted (an offline archive product being retrieved) is
 * `NOT_READY`, retried per policy with its Retry-After; a 204, 205 or other 2xx is `INVALID_RESPONSE`.
 */
async function notTheFile(res: Opened, job: DownloadJob): Promise<EoFetchError> {
  if (res.status === 202) {
    const e = await res.error();
    return new HttpError(
      e.url,
      202,
      `${e.message}; the server accepted the request but the file is not ready yet (202 Accepted), asking again later`,
      { code: 'NOT_READY', retryAfterMs: e.retryAfterMs },
    );
  }
  res.discard();
  return new EoFetchError(
    'INVALID_RESPONSE',
    `${job.path}: ${redactUrl(job.url)} answered HTTP ${res.status} instead of 200 with the file; nothing was saved`,
  );
}

function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Whether a file the manifest lists as `verified` still checks out on disk, so a re-run may skip it: its size,
 * and with `sha256` its whole content (a same-size change, such as a flipped bit, fails only that check). With
 * `sha256`, a file whose `lstat` matches the record's trusted {@link FileFingerprint} exactly is not read.
 *
 * @param path - the file
 * @param rec - its manifest record, if any
 * @param check - `size` or `sha256`
 * @returns false for a missing file, one not recorded as verified, or one that differs from the record
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for an empty `path` or a `check` other than `size`/`sha256`
 * @example
 * ```ts
 * const records = await readManifest('dataset/manifest.jsonl', { root: 'dataset' });
 * for (const rec of records.values()) if (!(await stillVerified(rec.path, rec, 'sha256'))) console.log(rec.path);
 * ```
 */
export async function stillVerified(
  path: string,
  rec: ManifestRecord | undefined,
  check: 'size' | 'sha256',
): Promise<boolean> {
  checkNonEmptyString('stillVerified', 'path', path);
  if (check !== 'size' && check !== 'sha256')
    invalidArgument('stillVerified', 'check', '"size" or "sha256"', check);
  return (await recheckVerified(path, rec, check)).ok;
}

/**
 * {@link stillVerified}, also returning the record to append to the manifest when the file had to be re-hashed
 * (no fingerprint, a racily clean one, or one that differs: a copy, a `touch`) and still has its hash: the same
 * record with a fresh fingerprint, so the next resume does not read it again.
 *
 * @param path - the file
 * @param rec - its manifest record, if any
 * @param check - `size` or `sha256`
 * @returns `ok`, and `refreshed` when a new fingerprint was taken
 */
export async function recheckVerified(
  path: string,
  rec: ManifestRecord | undefined,
  check: 'size' | 'sha256',
): Promise<{ ok: boolean; refreshed?: ManifestRecord }> {
  if (rec?.status !== 'verified') return { ok: false };
  try {
    if (check === 'sha256' && rec.fingerprint && trustedFingerprint(rec.fingerprint)) {
      const st = await lstat(path);
      if (st.size === rec.bytes && matchesFingerprint(rec.fingerprint, st)) return { ok: true };
    }
    if ((await stat(path)).size !== rec.bytes) return { ok: false };
    if (check !== 'sha256') return { ok: true };
    const { sha256, fingerprint } = await hashWithFingerprint(path);
    if (sha256 !== rec.sha256) return { ok: false };
    if (!fingerprint || fingerprint.size !== rec.bytes) return { ok: true };
    return { ok: true, refreshed: { ...rec, fingerprint, time: new Date().toISOString() } };
  } catch {
    return { ok: false };
  }
}

/**
 * Downloads `jobs` with a fresh {@link DownloadEngine}.
 *
 * @param jobs - files to fetch
 * @param options - concurrency, perHost, retries, manifestPath, dryRun, onProgress, signal, ...
 * @returns the run report (failed files are listed, not thrown)
 * @throws {@link EoFetchError} `DUPLICATE_PATH`, `INVALID_ARGUMENT`, `ABORTED`
 * @example
 * ```ts
 * const report = await downloadAll(jobs, { concurrency: 16, perHost: 8, manifestPath: 'data/manifest.jsonl' });
 * if (report.failed.length) console.error(report.failed.map((f) => `${f.job.path}: ${f.error.code}`));
 * ```
 */
export async function downloadAll(
  jobs: readonly DownloadJob[],
  options: DownloadOptions = {},
): Promise<DownloadReport> {
  checkIterable('downloadAll', 'jobs', jobs);
  checkDownloadOptions('downloadAll', options);
  const engine = new DownloadEngine(options);
  try {
    return await engine.run(jobs);
  } finally {
    engine.close();
  }
}

/** The shape of {@link DownloadOptions} (limits are checked by the engine). */
function checkDownloadOptions(fn: string, options: DownloadOptions): void {
  checkOptions(fn, options);
  const { retries, timeoutMs, baseDelayMs, maxDelayMs, maxRetryAfterMs, seed } = options;
  checkRetryPolicy(fn, 'options', { retries, timeoutMs, baseDelayMs, maxDelayMs, maxRetryAfterMs, seed });
  for (const k of ['concurrency', 'perHost'] as const)
    checkNumber(fn, `options.${k}`, options[k], { optional: true, integer: true, min: 1 });
  checkNumber(fn, 'options.bufferBytes', options.bufferBytes, { optional: true, min: 0 });
  for (const k of ['manifestPath', 'manifestRoot'] as const)
    checkString(fn, `options.${k}`, options[k], true);
  for (const k of ['authorize', 'fetch', 'onProgress'] as const)
    checkFunction(fn, `options.${k}`, options[k], true);
  checkSignal(fn, 'options.signal', options.signal);
}

/** A response as the engine needs it, from `fetch` or from `node:http`. */
interface Opened {
  ok: boolean;
  status: number;
  /** Drops an unread body (frees the connection). */
  discard(): void;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array>;
  /** Builds the HttpError of a failed response (reads a short excerpt of the body). */
  error(): Promise<HttpError>;
}

interface OpenInit {
  method: string;
  headers: Record<string, string>;
  body: BodyInit | undefined;
  signal: AbortSignal;
}

async function openWithFetch(
  doFetch: FetchLike,
  url: string,
  init: OpenInit,
  redact: () => readonly string[],
): Promise<Opened> {
  // redirects are not followed (as with node:http): headers such as x-api-key would go to any origin
  // fetch refuses `user:password@` in a URL: send it as Basic auth, as node:http does
  const moved = moveUrlCredentials(url, init.headers);
  const res = await doFetch(moved.url, { ...init, headers: moved.headers, redirect: 'manual' });
  const empty = (async function* () {})();
  return {
    ok: res.ok,
    status: res.status,
    discard: () => {
      res.body?.cancel().catch(() => {});
    },
    headers: res.headers,
    body: (res.body as unknown as AsyncIterable<Uint8Array> | null) ?? empty,
    error: () => httpErrorFromResponse(res, url, redact()),
  };
}

/**
 * The default transport: `node:http(s)` with keep-alive agents. It costs about half the CPU of `fetch` per
 * request (no WHATWG stream layers), which matters at thousands of small files; an injected `fetch` (auth,
 * tests, browsers) takes the other path.
 */
function openWithNodeHttp(
  agents: { http: HttpAgent; https: HttpsAgent },
  url: string,
  init: OpenInit,
  redact: () => readonly string[],
): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const isHttps = url.startsWith('https:');
    const request = isHttps ? httpsRequest : httpRequest;
    const req = request(url, {
      method: init.method,
      headers: init.headers,
      agent: isHttps ? agents.https : agents.http,
      signal: init.signal,
    });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      resolve({
        ok: status >= 200 && status < 300,
        status,
        discard: () => res.destroy(),
        headers: {
          get: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v);
          },
        },
        body: res,
        error: async () => {
          const it = res[Symbol.asyncIterator]();
          const text = await readBoundedText({ read: () => it.next(), cancel: () => res.destroy() });
          const safe = redactUrl(url);
          const excerpt = errorExcerpt(scrub(text, redact()));
          return new HttpError(
            safe,
            status,
            `HTTP ${status} ${res.statusMessage ?? ''} from ${safe}${excerpt ? `: ${excerpt}` : ''}`,
            { retryAfterMs: parseRetryAfter(res.headers['retry-after'] as string | undefined) },
          );
        },
      });
    });
    if (init.body === undefined) req.end();
    else req.end(typeof init.body === 'string' ? init.body : Buffer.from(init.body as Uint8Array));
  });
}

/**
 * Compacts the manifest after a run. A disk that refuses the rewrite (full, read-only) leaves the manifest as it
 * was, valid but longer, and the next run compacts it: the run's report is returned all the same.
 */
async function compactAfterRun(manifestPath: string, root: string | undefined): Promise<void> {
  try {
    await compactManifest(manifestPath, { root });
  } catch (err) {
    if ((err as { code?: unknown })?.code !== 'WRITE_FAILED') throw err;
  }
}

/**
 * A verified file whose manifest record could not be written: `WRITE_FAILED` saying so, the manifest's error as
 * its cause (a full disk found there stops the batch like one found by a download). The file stays: a resume,
 * finding no record, downloads it again.
 */
function notRecorded(path: string, err: unknown): EoFetchError {
  const why = err instanceof Error ? err.message : String(err);
  return new EoFetchError(
    'WRITE_FAILED',
    `${path}: downloaded and verified, but not recorded (${why}); a resume downloads it again`,
    { cause: err },
  );
}
