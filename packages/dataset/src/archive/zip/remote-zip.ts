// A zip behind an http(s) URL: raster-io's range-request source under its LRU block cache (a byte budget), with
// the directory read straight from the uncached source. A server that ignores Range is refused, never followed
// into a whole-file download.
import { blockCache, httpSource, RasterIoError } from '@worldstrat/raster-io';
import { DatasetError } from '../../errors.js';
import { checkOptions, checkSignalAndCallbacks, checkString } from '../../internal/check-arguments.js';
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
  options?: RemoteZipOptions,
): Promise<RemoteZip> {
  checkString('openRemoteZip', 'url', url, true);
  checkString('openRemoteZip', 'name', name);
  options = checkOptions('openRemoteZip', options);
  checkSignalAndCallbacks('openRemoteZip', options as Record<string, unknown>, ['fetch']);
  if (options.headers !== undefined) checkOptions('openRemoteZip', options.headers, 'options.headers');
  if (options.limits !== undefined) checkOptions('openRemoteZip', options.limits, 'options.limits');
  const cacheBytes = options.cacheBytes ?? DEFAULT_REMOTE_ZIP.cacheBytes;
  const blockBytes = options.blockBytes ?? DEFAULT_REMOTE_ZIP.blockBytes;
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 512 || !(cacheBytes >= 0))
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `cacheBytes ${cacheBytes} / blockBytes ${blockBytes}: use cacheBytes ≥ 0 and an integer blockBytes ≥ 512`,
    );
  const source = (): ReturnType<typeof httpSource> => {
    try {
      return httpSource(url, {
        headers: options.headers,
        fetch: options.fetch,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        signal: options.signal,
        redactUrl: () => name,
        maxWholeFileBytes: 0,
      });
    } catch (e) {
      // raster-io refuses what cannot be fetched (not an http(s) URL, a bad timeout): name it as ours
      if (e instanceof RasterIoError)
        throw new DatasetError('INVALID_ARGUMENT', `openRemoteZip: ${e.message}`, { cause: e });
      throw e;
    }
  };
  const raw = source();
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
