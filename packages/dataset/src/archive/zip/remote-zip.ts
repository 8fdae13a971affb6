// A zip behind an http(s) URL: raster-io's range-request source under its LRU block cache (a byte budget), with
// the directory read straight from the uncached source. A server that ignores Range is refused, never followed
// into a whole-file download.
import { blockCache, httpSource } from '@worldstrat/raster-io';
import { DatasetError } from '../../errors.js';
import { type OpenZipOptions, openZip, type ZipArchive } from './open-zip.js';

/** Options of {@link openRemoteZip}. */
export interface RemoteZipOptions extends Pick<OpenZipOptions, 'limits' | 'signal'> {
  /** Bytes of entry data kept in the block cache (LRU). Default 64 MiB. */
  cacheBytes?: number;
  /** Cache block size: each range request fetches whole blocks. Default 64 KiB. */
  blockBytes?: number;
  /** Request headers (sent to this URL's origin only). */
  headers?: Record<string, string>;
  /** Per-request time limit in ms. Default 30 000. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** Defaults of {@link RemoteZipOptions}. */
export const DEFAULT_REMOTE_ZIP = { cacheBytes: 64 * 1024 * 1024, blockBytes: 64 * 1024 } as const;

/** A remote zip and its request counter. */
export interface RemoteZip {
  zip: ZipArchive;
  /** HTTP requests sent so far for this zip. */
  readonly requestCount: number;
}

/**
 * Open a zip over HTTP range requests (3 requests at most before any entry is used).
 *
 * @param url - the archive URL.
 * @param name - how the URL is shown (credentials redacted).
 * @param options - cache budget, headers, limits.
 * @returns the archive and its request counter.
 * @throws {DatasetError} as {@link openZip}; `INVALID_ARGUMENT` for a bad cache budget.
 */
export async function openRemoteZip(
  url: string,
  name: string,
  options: RemoteZipOptions = {},
): Promise<RemoteZip> {
  const cacheBytes = options.cacheBytes ?? DEFAULT_REMOTE_ZIP.cacheBytes;
  const blockBytes = options.blockBytes ?? DEFAULT_REMOTE_ZIP.blockBytes;
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 512 || !(cacheBytes >= 0))
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `cacheBytes ${cacheBytes} / blockBytes ${blockBytes}: use cacheBytes ≥ 0 and an integer blockBytes ≥ 512`,
    );
  const raw = httpSource(url, {
    headers: options.headers,
    fetch: options.fetch,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    signal: options.signal,
    redactUrl: () => name,
    maxWholeFileBytes: 0,
  });
  const cached = blockCache(raw, {
    blockSize: blockBytes,
    maxBlocks: Math.max(1, Math.floor(cacheBytes / blockBytes)),
  });
  const zip = await openZip(cached, {
    name,
    limits: options.limits,
    directorySource: raw,
    signal: options.signal,
  });
  return {
    zip,
    get requestCount() {
      return raw.requestCount;
    },
  };
}
