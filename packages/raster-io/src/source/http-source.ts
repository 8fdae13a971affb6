import { HttpSourceError, RasterIoError } from '../errors.js';
import { abortError, checkRange, throwIfAborted } from '../internal/assert.js';
import type { ByteSource } from './byte-source.js';

/** Options for {@link httpSource}. */
export interface HttpSourceOptions {
  /** Extra request headers (auth tokens, user agent). */
  headers?: Record<string, string>;
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Aborts every request made through this source. */
  signal?: AbortSignal;
  /** Per-request time limit in milliseconds, body included (default 30 000). */
  timeoutMs?: number;
}

/** Defaults merged by {@link httpSource}. */
export const DEFAULT_HTTP_SOURCE = { timeoutMs: 30_000 } as const satisfies HttpSourceOptions;

/** The {@link ByteSource} returned by {@link httpSource}; counts its requests for diagnostics. */
export interface HttpByteSource extends ByteSource {
  /** Number of HTTP requests sent so far. */
  readonly requestCount: number;
  /** Number of body bytes received so far. */
  readonly bytesReceived: number;
}

const CONTENT_RANGE = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i;

/**
 * A {@link ByteSource} over an http(s) URL using `Range` requests (browser-safe).
 *
 * Every read is one `GET` with `Range: bytes=a-b`. A `206` answer is checked against `Content-Range`
 * (which also gives the file size); a `200` answer (a server that ignores ranges) is kept in memory and
 * serves every later read. Wrap it in {@link blockCache} (as {@link openGeoTiff} does for headers) to
 * merge small reads.
 *
 * @param url - absolute http(s) URL
 * @param options - headers, fetch, signal, timeoutMs
 * @returns the source (its `size` is known after the first response)
 * @throws HttpSourceError on 4xx/5xx answers (`HTTP_ERROR`; `RANGE_REQUEST_FAILED` for 416)
 * @throws RasterIoError `TIMEOUT` when a request exceeds `timeoutMs`, `ABORTED` when a signal fires
 * @example
 * ```ts
 * const tiff = await openGeoTiff(httpSource('https://example.com/scene.tif', { timeoutMs: 10_000 }));
 * ```
 */
export function httpSource(url: string, options: HttpSourceOptions = {}): HttpByteSource {
  const opts = { ...DEFAULT_HTTP_SOURCE, ...options };
  if (!/^https?:\/\//i.test(url)) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${url}: not an http(s) URL; use fileSource() for local paths`,
    );
  }
  const doFetch = opts.fetch ?? globalThis.fetch;
  let size: number | undefined;
  let whole: Uint8Array | undefined;
  let requestCount = 0;
  let bytesReceived = 0;

  async function request(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const signals = [AbortSignal.timeout(opts.timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    if (signal) signals.push(signal);
    const combined = AbortSignal.any(signals);
    const end = offset + length - 1;
    requestCount++;
    let res: Response;
    let body: Uint8Array;
    try {
      res = await doFetch(url, {
        headers: { ...opts.headers, Range: `bytes=${offset}-${end}` },
        signal: combined,
      });
      if (res.status !== 206 && res.status !== 200) {
        // Read (and drop) the body so the connection is released.
        const text = await res.text().catch(() => '');
        if (res.status === 416) {
          const total = CONTENT_RANGE.exec(res.headers.get('content-range') ?? '')?.[3];
          if (total && total !== '*') {
            size = Number(total);
            if (offset >= size) return new Uint8Array(0);
          }
          throw new HttpSourceError(
            url,
            416,
            `${url}: HTTP 416 Range Not Satisfiable for bytes=${offset}-${end}${size === undefined ? '' : ` (size ${size})`}; the file is shorter than its TIFF structure says or the server mishandles ranges`,
          );
        }
        throw new HttpSourceError(
          url,
          res.status,
          `${url}: HTTP ${res.status} ${res.statusText}${text ? ` (${text.slice(0, 120).trim()})` : ''} for bytes=${offset}-${end}`,
        );
      }
      body = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      if (err instanceof RasterIoError) throw err;
      if (signal?.aborted) throw abortError(signal, url);
      if (opts.signal?.aborted) throw abortError(opts.signal, url);
      if (combined.aborted) {
        throw new RasterIoError(
          'TIMEOUT',
          `${url}: no complete answer within ${opts.timeoutMs} ms for bytes=${offset}-${end}; raise timeoutMs or check the server`,
          { cause: err },
        );
      }
      throw new HttpSourceError(url, 0, `${url}: request failed (${(err as Error).message})`, { cause: err });
    }
    bytesReceived += body.byteLength;
    if (res.status === 200) {
      // The server ignored Range and sent the whole file: keep it and serve everything from memory.
      whole = body;
      size = body.byteLength;
      return body.subarray(Math.min(offset, size), Math.min(offset + length, size));
    }
    const m = CONTENT_RANGE.exec(res.headers.get('content-range') ?? '');
    if (!m || m[1] === undefined) {
      throw new HttpSourceError(
        url,
        206,
        `${url}: 206 answer without a valid Content-Range header for bytes=${offset}-${end}`,
      );
    }
    if (m[3] !== '*') size = Number(m[3]);
    const start = Number(m[1]);
    const stop = Number(m[2]);
    if (start !== offset || stop - start + 1 !== body.byteLength || stop > end) {
      throw new HttpSourceError(
        url,
        206,
        `${url}: asked for bytes=${offset}-${end}, got Content-Range ${start}-${stop} with ${body.byteLength} bytes`,
      );
    }
    return body;
  }

  return {
    name: url,
    get size() {
      return size;
    },
    get requestCount() {
      return requestCount;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    async read(offset, length, signal) {
      checkRange(url, offset, length);
      throwIfAborted(signal, url);
      throwIfAborted(opts.signal, url);
      if (whole)
        return whole.subarray(
          Math.min(offset, whole.byteLength),
          Math.min(offset + length, whole.byteLength),
        );
      if (size !== undefined) length = Math.max(0, Math.min(length, size - offset));
      if (length === 0) return new Uint8Array(0);
      return request(offset, length, signal);
    },
  };
}
