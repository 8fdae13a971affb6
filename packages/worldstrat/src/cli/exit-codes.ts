// Exit codes of the worldstrat CLI: one typed table from every package's error `code` (codes survive across
// packages and worker threads; classes do not). A code added to any package without an entry here fails typecheck.
import type { CoreErrorCode } from '@worldstrat/core';
import type { DatasetErrorCode } from '@worldstrat/dataset';
import type { EoFetchErrorCode } from '@worldstrat/eo-fetch';
import type { GeoSamplingErrorCode } from '@worldstrat/geo-sampling';
import type { MetricsErrorCode } from '@worldstrat/metrics';
import type { RasterIoErrorCode } from '@worldstrat/raster-io';
import type { SrnetErrorCode } from '@worldstrat/srnet';
import type { StratifyErrorCode } from '@worldstrat/stratify';
import type { WorldStratErrorCode } from '../errors.js';

/** Exit codes (documented in the README and in `worldstrat --help`). */
export const EXIT_CODES = Object.freeze({
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  DATA: 4,
  WRITE: 5,
  NETWORK: 6,
  ABORTED: 130,
} as const);

/** One of the {@link EXIT_CODES} values. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Every error code any worldstrat package throws. */
export type AllErrorCodes =
  | CoreErrorCode
  | RasterIoErrorCode
  | EoFetchErrorCode
  | SrnetErrorCode
  | MetricsErrorCode
  | GeoSamplingErrorCode
  | StratifyErrorCode
  | DatasetErrorCode
  | WorldStratErrorCode;

const { USAGE, NOT_FOUND, DATA, WRITE, NETWORK, ABORTED } = EXIT_CODES;

/**
 * Exit code of every package error code. A code string shared by two packages has one entry, so it means the
 * same exit everywhere. API-misuse codes the CLI cannot trigger (DISPOSED, CODEC_ALREADY_REGISTERED,
 * LAND_MASK_NOT_LOADED) count as usage errors.
 */
export const EXIT_CODE_BY_ERROR: { readonly [K in AllErrorCodes]: ExitCode } = Object.freeze({
  // usage / arguments / configuration
  INVALID_ARGUMENT: USAGE,
  CONFIG_ERROR: USAGE,
  INVALID_OPTION: USAGE,
  INVALID_SEED: USAGE,
  INVALID_AREA: USAGE,
  BAD_CONFIG: USAGE,
  BAD_SCENE_OPTIONS: USAGE,
  MISSING_CREDENTIALS: USAGE,
  UNKNOWN_PROVIDER: USAGE,
  UNKNOWN_BAND: USAGE,
  UNKNOWN_COLUMN: USAGE,
  MISSING_COLUMN: USAGE, // fixed with --name-column / --class-column
  WORKER_FAILED: USAGE, // a raster-io worker thread crashed or is missing from the install: run with 1 thread
  UNKNOWN_CLASS: USAGE,
  BACKEND_UNAVAILABLE: USAGE, // choose another --backend
  OUT_OF_MEMORY: USAGE, // the message names the --micro-batch-size that fits
  ORDER_NOT_CONFIRMED: USAGE, // --confirm-spot-orders
  REGION_TOO_LARGE: USAGE, // split the --region or lower its size
  DUPLICATE_PATH: USAGE,
  DISPOSED: USAGE,
  CODEC_ALREADY_REGISTERED: USAGE,
  ROWS_OUT_OF_ORDER: USAGE, // raster-io streaming COG writer misuse (API only)
  WRITER_CLOSED: USAGE,
  LAND_MASK_NOT_LOADED: USAGE,
  MISSING_PEER: USAGE, // install the optional peer the message names
  UNSUPPORTED_CAPABILITY: USAGE, // the catalogue lacks a capability the request needs (filter, sortby…)
  AOI_TOO_LARGE: USAGE, // --max-aoi-px
  INVALID_DATE: USAGE, // a date option that is not an ISO-8601 calendar day
  INVALID_CSV: DATA, // a table file whose rows do not match its header, or with an open quote
  // input not found
  DATASET_NOT_FOUND: NOT_FOUND,
  FILE_NOT_FOUND: NOT_FOUND,
  REVISITS_NOT_FOUND: NOT_FOUND,
  RASTER_NOT_FOUND: NOT_FOUND, // --landcover / --smod path or URL
  NO_MATCHES: NOT_FOUND,
  // bad data: files and tensors that are malformed, inconsistent or out of range
  NOT_A_TIFF: DATA,
  TRUNCATED: DATA,
  UNSUPPORTED_CODEC: DATA,
  UNSUPPORTED_DTYPE: DATA,
  WINDOW_OUT_OF_BOUNDS: DATA,
  CORRUPT_TIFF: DATA,
  CORRUPT_BLOCK: DATA,
  TOO_LARGE: DATA, // a header or block beyond the read limits (raise them with --max-pixels … or the API's `limits`)
  UNSUPPORTED_PHOTOMETRIC: DATA,
  UNSUPPORTED_CRS: DATA, // a CRS GeoTIFF cannot store (writing)
  BAND_OUT_OF_RANGE: DATA,
  NO_GEOREFERENCING: DATA,
  UNKNOWN_CRS: DATA,
  INVALID_SAFETENSORS: DATA,
  CHECKSUM_MISMATCH: DATA,
  SIZE_MISMATCH: DATA,
  VERIFY_FAILED: DATA,
  BAD_INPUT_SHAPE: DATA,
  BAD_BANDS: DATA,
  BAD_REVISITS: DATA,
  NON_FINITE_INPUT: DATA,
  MISSING_WEIGHTS: DATA,
  MISSHAPED_WEIGHTS: DATA,
  NON_FINITE_WEIGHTS: DATA,
  WEIGHTS_DTYPE_MISMATCH: DATA,
  UNKNOWN_WEIGHTS: DATA,
  ARCHITECTURE_MISMATCH: DATA,
  BAD_SAFETENSORS: DATA,
  BAD_CHECKPOINT: DATA,
  UNSUPPORTED_KERNEL: DATA,
  BAD_ONNX: DATA,
  BAD_MODEL_DESCRIPTOR: DATA,
  MODEL_BANDS_UNAVAILABLE: DATA, // a --model descriptor needs bands the region's L2A tiles lack
  SCENE_SIZE_MISMATCH: DATA,
  CRS_MISMATCH: DATA,
  MISSING_GEOREFERENCING: DATA,
  INVALID_SHAPE: DATA,
  SHAPE_MISMATCH: DATA,
  EMPTY_MASK: DATA,
  IMAGE_TOO_SMALL: DATA,
  DEGENERATE_INPUT: DATA,
  INVALID_LATITUDE: DATA, // from a points file (the CLI checks its own coordinates as INVALID_ARGUMENT)
  INVALID_LONGITUDE: DATA,
  DUPLICATE_NAME: DATA,
  MISSING_NAME: DATA,
  PARSE_ERROR: DATA,
  INVALID_MASK: DATA,
  NO_LAND_FOUND: DATA,
  POLAR_AOI: DATA,
  EMPTY_CLASS: DATA,
  SHORTFALL: DATA,
  POINT_OUTSIDE_RASTER: DATA,
  DATASET_LAYOUT: DATA,
  MISSING_FILES: DATA,
  UNREADABLE_FILE: DATA,
  DUPLICATE_TILE: DATA,
  UNSAFE_ARCHIVE_PATH: DATA,
  ARCHIVE_CORRUPT: DATA,
  CORRUPT_ZIP: DATA, // a release zip (local or remote) with a structural problem
  UNSUPPORTED_ZIP: DATA, // encrypted/multi-disk zips, other methods, entries over the limits
  TRAINING_FAILED: DATA, // training diverged or its worker died on this data/configuration
  TRAINING_WORKER_FAILED: DATA, // a data-parallel training worker crashed or failed (same exit as TRAINING_FAILED)
  // write failures
  WRITE_FAILED: WRITE,
  PATH_IN_USE: WRITE, // another live run is downloading that file (its .partial.lock); rerun once it is done
  // network / service
  HTTP_ERROR: NETWORK,
  RANGE_REQUEST_FAILED: NETWORK,
  NETWORK_ERROR: NETWORK,
  TIMEOUT: NETWORK,
  RATE_LIMITED: NETWORK,
  NOT_READY: NETWORK, // 202 Accepted: the service is still preparing the file (retried; rerun later)
  RETRIES_EXHAUSTED: NETWORK,
  INVALID_RESPONSE: NETWORK,
  AUTH_FAILED: NETWORK,
  ORDER_FAILED: NETWORK,
  DOWNLOAD_FAILED: NETWORK,
  REMOTE_READ_FAILED: NETWORK, // a range read of a remote dataset failed (HTTP error, refused range, timeout)
  TILES_FAILED: NETWORK, // some region tiles failed (their codes are listed); a rerun redoes only those
  UNITS_FAILED: NETWORK, // a queued unit failed with a code the coordinator does not know; rerun retries it
  LOCK_TIMEOUT: NETWORK, // a SPOT order lock stayed taken (stuck holder); it expires, rerun later
  QUEUE_UNAVAILABLE: NETWORK, // Redis of --queue unreachable or lost; finished files are kept, rerun resumes
  PAGING_LOOP: NETWORK,
  PAGE_LIMIT: NETWORK,
  RESPONSE_TOO_LARGE: NETWORK,
  CREDENTIAL_SCOPE: NETWORK, // a service link pointed our credentials at another origin
  INVALID_ITEM: NETWORK, // the catalogue served an unusable item
  // Ctrl-C
  ABORTED: ABORTED,
});

/**
 * Node.js system error codes that reach the CLI unwrapped: a missing path is "not found"; permission, full or
 * read-only disks, an existing target, and a file where a folder is expected (or the reverse) are write
 * failures (reads of user inputs are wrapped as DATASET_NOT_FOUND/UNREADABLE_FILE before they get here);
 * socket failures are network errors; Node's own abort is Ctrl-C.
 */
export const EXIT_CODE_BY_SYSTEM_ERROR: Readonly<Record<string, ExitCode>> = Object.freeze({
  ENOENT: NOT_FOUND,
  EACCES: WRITE,
  EPERM: WRITE,
  ENOSPC: WRITE,
  EDQUOT: WRITE,
  EROFS: WRITE,
  EEXIST: WRITE,
  ENOTDIR: WRITE,
  EISDIR: WRITE,
  ENOTEMPTY: WRITE,
  EMFILE: WRITE,
  EXDEV: WRITE,
  ECONNREFUSED: NETWORK,
  ECONNRESET: NETWORK,
  ENOTFOUND: NETWORK,
  EAI_AGAIN: NETWORK,
  ETIMEDOUT: NETWORK,
  EHOSTUNREACH: NETWORK,
  ENETUNREACH: NETWORK,
  ABORT_ERR: ABORTED,
});

/** The `code` of an error-like value, or '' when it has none. */
function codeOf(err: unknown): string {
  if (typeof err !== 'object' || err === null || !('code' in err)) return '';
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/**
 * The exit code for any thrown value: the package code's entry in {@link EXIT_CODE_BY_ERROR}, a Node system
 * code from {@link EXIT_CODE_BY_SYSTEM_ERROR}, commander's usage errors → 2, anything else → 1 (a bug).
 *
 * @param err - the error (any value).
 * @returns the process exit code.
 * @example
 * ```ts
 * exitCodeFor(new WorldStratError('DATASET_NOT_FOUND', '…')); // 3
 * ```
 */
export function exitCodeFor(err: unknown): ExitCode {
  const code = codeOf(err);
  if (Object.hasOwn(EXIT_CODE_BY_ERROR, code)) return EXIT_CODE_BY_ERROR[code as AllErrorCodes];
  if (Object.hasOwn(EXIT_CODE_BY_SYSTEM_ERROR, code)) return EXIT_CODE_BY_SYSTEM_ERROR[code];
  if (code.startsWith('commander.')) return USAGE;
  if (err instanceof Error && err.name === 'AbortError') return ABORTED;
  return EXIT_CODES.UNEXPECTED;
}

/**
 * The exit-code table as Markdown (the README section is generated from it).
 *
 * @returns a Markdown table: exit code, meaning, the error codes that map to it.
 */
export function exitCodeTableMarkdown(): string {
  const meaning: Record<ExitCode, string> = {
    0: 'success',
    1: 'unexpected error (a bug: please report it with `WORLDSTRAT_DEBUG=1` output)',
    2: 'bad arguments, options or config file',
    3: 'input not found',
    4: 'bad data (unreadable, malformed or inconsistent input)',
    5: 'write failed',
    6: 'network or service failure',
    130: 'interrupted (Ctrl-C); finished files are kept, none half-written',
  };
  const byExit = new Map<ExitCode, string[]>([
    [EXIT_CODES.UNEXPECTED, ['any other']],
    [EXIT_CODES.USAGE, ['commander.*']],
  ]);
  for (const [code, exit] of [
    ...Object.entries(EXIT_CODE_BY_ERROR),
    ...Object.entries(EXIT_CODE_BY_SYSTEM_ERROR),
  ] as [string, ExitCode][])
    byExit.set(exit, [...(byExit.get(exit) ?? []), code]);
  const rows = (Object.keys(meaning).map(Number) as ExitCode[]).map(
    (exit) =>
      `| ${exit} | ${meaning[exit]} | ${(byExit.get(exit) ?? [])
        .sort()
        .map((c) => (c === 'any other' ? c : `\`${c}\``))
        .join(' ')} |`,
  );
  return ['| exit | meaning | error codes |', '| --- | --- | --- |', ...rows].join('\n');
}
