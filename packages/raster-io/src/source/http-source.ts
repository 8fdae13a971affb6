import { HttpSourceError, RasterIoError } from '../errors.js';
import { abortError, checkRange, throwIfAborted } from '../internal/assert.js';
import { checkOptions, checkString, describeValue } from '../internal/check-args.js';
import { redactError, redactText, redactUrl } from '../internal/redact-url.js';
import { splitUrlCredentials, urlSecrets } from '../internal/url-credentials.js';
import type { ByteSource } from './byte-source.js';
import { credentialHeaderValues, fetchWithGuardedRedirects } from './guarded-redirects.js';

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
  /** How the URL is shown in errors and `name` (default: userinfo and token-like query params → `***`). */
  redactUrl?: (url: string) => string;
  /**
   * Largest whole-file body accepted from a server that ignores `Range` (answers 200); past it the read is
   * refused with `RANGE_REQUEST_FAILED` and the transfer cancelled. Default 1 GiB (the file is kept in memory; an
   * endless body must not exhaust it).
   */
  maxWholeFileBytes?: number;
}

/** Most bytes of an error answer's body read for the message; the rest is dropped unread. */
export const ERROR_BODY_LIMIT = 64 * 1024;
/** Longest wait for an error answer's body (a trickling or endless error page must not hang a read). */
export const ERROR_BODY_TIMEOUT_MS = 2_000;

/**
 * The start of an error answer's body, at most {@link ERROR_BODY_LIMIT} bytes and {@link ERROR_BODY_TIMEOUT_MS}
 * ms; the stream is cancelled afterwards so the connection is released. Never throws.
 */
async function readErrorBody(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ERROR_BODY_TIMEOUT_MS);
  });
  try {
    while (total < ERROR_BODY_LIMIT) {
      const r = await Promise.race([reader.read(), deadline]);
      if (r === 'timeout' || r.done) break;
      chunks.push(r.value);
      total += r.value.byteLength;
    }
  } catch {
    // A broken error body only loses the excerpt.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(total, ERROR_BODY_LIMIT));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, bytes.byteLength - at);
    bytes.set(part, at);
    at += part.byteLength;
    if (at >= bytes.byteLength) break;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Whether the body is content-encoded (gzip, br...): `fetch` decodes it, so its Content-Length counts the encoded
 * bytes, not the ones read (an incompressible range gzips longer than it is).
 */
function contentEncoded(res: Response): boolean {
  const encoding = res.headers.get('content-encoding')?.trim().toLowerCase();
  return encoding !== undefined && encoding !== '' && encoding !== 'identity';
}

/**
 * The body, failing through `tooLong` as soon as it exceeds `limit` bytes (the transfer is cancelled). The bytes
 * counted are the decoded ones `fetch` hands over; a Content-Length fails the answer up front only when it counts
 * those (no content encoding).
 */
async function readBodyBounded(res: Response, limit: number, tooLong: () => never): Promise<Uint8Array> {
  const declared = contentEncoded(res) ? Number.NaN : Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    res.body?.cancel().catch(() => {});
    tooLong();
  }
  if (!Number.isFinite(limit)) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    total += r.value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      tooLong();
    }
    chunks.push(r.value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The URL to request and its headers: fetch refuses a URL with `user:pw@`, so those go as Basic auth instead (an
 * `Authorization` header given wins), which then stays on the URL's origin like any auth header.
 */
function splitUserinfo(
  rawUrl: string,
  headers: Record<string, string>,
): { requestUrl: string; headers: Record<string, string> } {
  const { url, authorization } = splitUrlCredentials(rawUrl);
  const given = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  return {
    requestUrl: url,
    headers: authorization && !given ? { ...headers, Authorization: authorization } : headers,
  };
}

/** What names one version of a remote file: a strong ETag (a weak one may stay across changes), Last-Modified. */
interface FileVersion {
  etag?: string;
  lastModified?: string;
}

function versionOf(headers: Headers): FileVersion {
  const etag = headers.get('etag')?.trim();
  const lastModified = headers.get('last-modified')?.trim();
  return {
    ...(etag && !etag.startsWith('W/') ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
  };
}

/** Defaults merged by {@link httpSource}. */
export const DEFAULT_HTTP_SOURCE = {
  timeoutMs: 30_000,
  maxWholeFileBytes: 2 ** 30,
} as const satisfies HttpSourceOptions;

/** The {@link ByteSource} returned by {@link httpSource}; counts its requests for diagnostics. */
export interface HttpByteSource extends ByteSource {
  /** Number of HTTP requests sent so far. */
  readonly requestCount: number;
  /** Number of body bytes received so far. */
  readonly bytesReceived: number;
}

/** Follow-up requests for the rest of one read that a server answered short (it caps its ranges). */
export const MAX_RANGE_FOLLOW_UPS = 256;

/** Longest `timeoutMs` a timer takes (Node refuses more with a RangeError on every request). */
const MAX_TIMEOUT_MS = 2 ** 32 - 1;

/**
 * The options used at request time, checked once here: a bad `timeoutMs` made every read throw Node's
 * RangeError/TypeError (untyped, without the URL), and a NaN or text `maxWholeFileBytes` removed the cap.
 */
function checkHttpOptions(url: string, opts: HttpSourceOptions): void {
  const bad = (name: string, want: string, value: unknown): never => {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${url}: httpSource options.${name} must be ${want}, got ${describeValue(value)}`,
    );
  };
  const { timeoutMs, maxWholeFileBytes, fetch, headers } = opts;
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1 || (timeoutMs as number) > MAX_TIMEOUT_MS)
    bad('timeoutMs', `an integer 1..${MAX_TIMEOUT_MS} (milliseconds)`, timeoutMs);
  if (typeof maxWholeFileBytes !== 'number' || !(maxWholeFileBytes >= 0))
    bad('maxWholeFileBytes', 'a number >= 0 (bytes; Infinity for no cap)', maxWholeFileBytes);
  if (fetch !== undefined && typeof fetch !== 'function') bad('fetch', 'a function', fetch);
  if (headers === undefined) return;
  const proto = headers === null || typeof headers !== 'object' ? undefined : Object.getPrototypeOf(headers);
  // a Headers instance or Map has no own entries: taken as an object, its credentials were dropped silently
  if (proto !== Object.prototype && proto !== null)
    bad(
      'headers',
      'a plain object of header names to string values (for a Headers instance: Object.fromEntries(headers))',
      headers,
    );
  for (const [name, value] of Object.entries(headers as object))
    if (typeof value !== 'string') bad(`headers[${JSON.stringify(name)}]`, 'a string', value);
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
 * @param rawUrl - absolute http(s) URL; `user:password@` in it is sent as Basic auth (to its origin only)
 * @param options - headers, fetch, signal, timeoutMs, redactUrl
 * @returns the source (its `size` is known after the first response; `name` and errors show the redacted URL)
 * @throws HttpSourceError on 4xx/5xx answers (`HTTP_ERROR`; `RANGE_REQUEST_FAILED` for 416)
 * @throws RasterIoError `TIMEOUT` when a request exceeds `timeoutMs`, `ABORTED` when a signal fires
 * @example
 * ```ts
 * const tiff = await openGeoTiff(httpSource('https://example.com/scene.tif', { timeoutMs: 10_000 }));
 * ```
 */
export function httpSource(rawUrl: string, options: HttpSourceOptions = {}): HttpByteSource {
  checkString('httpSource', 'url', rawUrl);
  const given = checkOptions('httpSource', options);
  // an option given as undefined keeps its default
  const opts = {
    ...given,
    timeoutMs: given.timeoutMs ?? DEFAULT_HTTP_SOURCE.timeoutMs,
    maxWholeFileBytes: given.maxWholeFileBytes ?? DEFAULT_HTTP_SOURCE.maxWholeFileBytes,
  };
  if (opts.redactUrl !== undefined && typeof opts.redactUrl !== 'function')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${redactUrl(rawUrl)}: httpSource options.redactUrl must be a function, got ${describeValue(opts.redactUrl)}`,
    );
  // Everything below prints `url`; only the requests use the raw URL (as `requestUrl`).
  const url = (opts.redactUrl ?? redactUrl)(rawUrl);
  if (!/^https?:\/\//i.test(rawUrl)) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${url}: not an http(s) URL; use fileSource() for local paths`,
    );
  }
  checkHttpOptions(url, opts);
  const doFetch = opts.fetch ?? globalThis.fetch;
  const { requestUrl, headers } = splitUserinfo(rawUrl, opts.headers ?? {});
  // ranges are byte offsets into the file as stored: ask for it unencoded (a gzip answer decodes to the same bytes
  // but is checked against the range by its decoded length); an Accept-Encoding given wins
  const encoding: Record<string, string> = Object.keys(headers).some(
    (h) => h.toLowerCase() === 'accept-encoding',
  )
    ? {}
    : { 'Accept-Encoding': 'identity' };
  // Servers and fetch errors quote the URL, its tokens and the auth headers: never show them.
  const secrets = [...urlSecrets(rawUrl), ...credentialHeaderValues(headers)];
  const scrub = (text: string, more: readonly string[] = []) =>
    redactText(text.split(rawUrl).join(url).split(requestUrl).join(url), [...secrets, ...more]);
  let size: number | undefined;
  let whole: Uint8Array | undefined;
  /** The range a 200 answer (kept as the whole file) was sent for, and whether it held exactly that many bytes. */
  let wholeAnswer: { offset: number; end: number; exact: boolean } | undefined;
  let requestCount = 0;
  let bytesReceived = 0;
  // the file's version at the first answer: later ranges must come from the same one (a replaced file would splice)
  let version: FileVersion | undefined;
  const changed = (was: string, now: string) =>
    new RasterIoError(
      'RANGE_REQUEST_FAILED',
      `${url}: the file changed between range requests (${was}, now ${now}); its blocks would mix two versions, open it again`,
    );
  /** Checks an answer's version against the first one (and records that one). */
  function checkVersion(res: Response): void {
    const seen = versionOf(res.headers);
    if (!version) {
      version = seen;
      return;
    }
    if (version.etag && seen.etag && version.etag !== seen.etag)
      throw changed(`ETag ${version.etag}`, seen.etag);
    if (version.lastModified && seen.lastModified && version.lastModified !== seen.lastModified)
      throw changed(`Last-Modified ${version.lastModified}`, seen.lastModified);
  }

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
      // auth headers stay on the file's origin through redirects (a signed-URL redirect gets only Range)
      res = await fetchWithGuardedRedirects(
        doFetch,
        requestUrl,
        {
          headers: {
            ...encoding,
            ...headers,
            Range: `bytes=${offset}-${end}`,
            // a server that knows the file changed answers 412 instead of another version's bytes
            ...(version?.etag ? { 'If-Match': version.etag } : {}),
          },
          signal: combined,
        },
        { what: 'range request', fail: (_code, message) => new HttpSourceError(url, 0, message) },
      );
      if (res.status !== 206 && res.status !== 200) {
        // Read a bounded start of the body for the message; the rest is cancelled so the connection is released.
        // the answering URL may be a redirect's target (a signed URL) that the page echoes too
        const text = scrub(await readErrorBody(res), res.url ? urlSecrets(res.url) : []);
        if (res.status === 412 && version?.etag) throw changed(`ETag ${version.etag}`, 'another (HTTP 412)');
        if (res.status === 416) {
          const total = CONTENT_RANGE.exec(res.headers.get('content-range') ?? '')?.[3];
          if (total && total !== '*') {
            if (size !== undefined && Number(total) !== size)
              throw changed(`${size} bytes`, `${total} bytes`);
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
          // the reason phrase is the server's text too: it may echo a header
          `${url}: HTTP ${res.status} ${scrub(res.statusText).slice(0, 120)}${text ? ` (${text.slice(0, 120).trim()})` : ''} for bytes=${offset}-${end}`,
        );
      }
      // A 206 body may not exceed the range asked; a 200 (whole file) body not `maxWholeFileBytes`.
      const limit = res.status === 206 ? length : Math.max(length, opts.maxWholeFileBytes);
      body = await readBodyBounded(res, limit, () => {
        throw new RasterIoError(
          'RANGE_REQUEST_FAILED',
          res.status === 206
            ? `${url}: asked for bytes=${offset}-${end}, the 206 body is longer; refusing the answer`
            : `${url}: the server ignored Range (HTTP 200) and sends more than ${limit} bytes for bytes=${offset}-${end}; refusing to download the whole file`,
        );
      });
    } catch (err) {
      if (err instanceof RasterIoError) throw err;
      if (signal?.aborted) throw abortError(signal, url);
      if (opts.signal?.aborted) throw abortError(opts.signal, url);
      if (combined.aborted) {
        throw new RasterIoError(
          'TIMEOUT',
          `${url}: no complete answer within ${opts.timeoutMs} ms for bytes=${offset}-${end}; raise timeoutMs or check the server`,
          { cause: redactError(err, scrub) },
        );
      }
      throw new HttpSourceError(
        url,
        0,
        `${url}: request failed (${scrub(String((err as Error)?.message))})`,
        { cause: redactError(err, scrub) },
      );
    }
    bytesReceived += body.byteLength;
    checkVersion(res);
    if (res.status === 200) {
      // The server ignored Range and sent the whole file: keep it and serve everything from memory.
      checkWholeAnswer(res, body, offset, end);
      checkWholeSize(body, offset, end);
      whole = body;
      wholeAnswer = { offset, end, exact: body.byteLength === length };
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
    const start = Number(m[1]);
    const stop = Number(m[2]);
    // a byte range ends at or after its start, and inside the file it names
    const total = m[3] === '*' ? undefined : Number(m[3]);
    if (stop < start || (total !== undefined && stop >= total)) {
      throw new HttpSourceError(
        url,
        206,
        `${url}: asked for bytes=${offset}-${end}, got Content-Range ${JSON.stringify(m[0])}, which is no byte range of the file`,
      );
    }
    if (total !== undefined) {
      if (size !== undefined && total !== size) throw changed(`${size} bytes`, `${total} bytes`);
      size = total;
    }
    if (start !== offset || stop - start + 1 !== body.byteLength || stop > end) {
      throw new HttpSourceError(
        url,
        206,
        `${url}: asked for bytes=${offset}-${end}, got Content-Range ${start}-${stop} with ${body.byteLength} bytes`,
      );
    }
    return body;
  }

  /**
   * A 200 answer is the whole file, unless its Content-Range gives the file another size: then the server sent
   * the bytes asked (or others) without saying 206, and taking them for the file would shift every later read.
   */
  function checkWholeAnswer(res: Response, body: Uint8Array, offset: number, end: number): void {
    const total = CONTENT_RANGE.exec(res.headers.get('content-range') ?? '')?.[3];
    if (total === undefined || total === '*' || Number(total) === body.byteLength) return;
    throw new RasterIoError(
      'RANGE_REQUEST_FAILED',
      `${url}: the server answered HTTP 200 to bytes=${offset}-${end} with ${body.byteLength} bytes, but its Content-Range gives the file as ${total} bytes: a 200 body ${body.byteLength < Number(total) ? 'shorter' : 'longer'} than the file (the server sends ranges without 206), which cannot be taken for the whole file; refusing the answer`,
    );
  }

  /**
   * A 200 body taken for the whole file must be one: as long as the file its earlier 206 answers gave (a server
   * that answers some ranges with 200 and only the bytes asked would shift every later read), and reaching past
   * the start of the range asked (bytes that end before it are no whole file holding that range).
   */
  function checkWholeSize(body: Uint8Array, offset: number, end: number): void {
    const n = body.byteLength;
    if (size !== undefined && n !== size)
      throw new RasterIoError(
        'RANGE_REQUEST_FAILED',
        `${url}: the server answered bytes=${offset}-${end} with HTTP 200 and ${n} bytes after its 206 answers gave the file as ${size} bytes: not the whole file (ranges answered with 200 and only some bytes); refusing the answer`,
      );
    if (offset > 0 && n <= offset)
      throw new RasterIoError(
        'TRUNCATED',
        `${url}: the server answered bytes=${offset}-${end} with HTTP 200 and ${n} bytes, which end before byte ${offset}: the file ends there, or the server answers ranges with 200 and only the bytes asked; the answer is not kept`,
      );
  }

  /**
   * A read past the end of a 200 body that held exactly the bytes its request asked for: such a server most likely
   * answers ranges with 200 and only the bytes asked (a body shorter than the file), so say so instead of leaving
   * the reader to report a file that ends there.
   */
  function pastWholeAnswer(offset: number, length: number): RasterIoError {
    const a = wholeAnswer as { offset: number; end: number };
    return new RasterIoError(
      'TRUNCATED',
      `${url}: bytes=${offset}-${offset + length - 1} lie past the ${(whole as Uint8Array).byteLength} bytes the server sent with HTTP 200 to bytes=${a.offset}-${a.end}, exactly the bytes asked: the server answers ranges with 200 and a body shorter than the file (no 206, no Content-Range), or the file ends there`,
    );
  }

  /**
   * A range read whole: a server that caps the size of its ranges answers a valid but shorter 206 (its
   * Content-Range giving the real total), so the rest is asked for, at most {@link MAX_RANGE_FOLLOW_UPS} times.
   * A read is short only where the file ends (a short answer was taken for the end of the file, and a healthy
   * file reported TRUNCATED).
   */
  async function requestAll(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const first = await request(offset, length, signal);
    const parts = [first];
    let got = first.byteLength;
    // the total is known once a 206 gave it; without one a short answer may be the end of the file
    const more = () => got < length && size !== undefined && offset + got < size;
    for (let asked = 0; more(); asked++) {
      if (asked === MAX_RANGE_FOLLOW_UPS)
        throw new RasterIoError(
          'RANGE_REQUEST_FAILED',
          `${url}: the server answered bytes=${offset}-${offset + length - 1} in more than ${MAX_RANGE_FOLLOW_UPS + 1} short parts (${got} bytes so far); refusing to go on`,
        );
      const part = await request(offset + got, length - got, signal);
      if (part.byteLength === 0) break;
      parts.push(part);
      got += part.byteLength;
    }
    if (parts.length === 1) return first;
    const out = new Uint8Array(got);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
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
      if (whole) {
        if (wholeAnswer?.exact && offset + length > whole.byteLength) throw pastWholeAnswer(offset, length);
        return whole.subarray(
          Math.min(offset, whole.byteLength),
          Math.min(offset + length, whole.byteLength),
        );
      }
      if (size !== undefined) length = Math.max(0, Math.min(length, size - offset));
      if (length === 0) return new Uint8Array(0);
      return requestAll(offset, length, signal);
    },
  };
}
