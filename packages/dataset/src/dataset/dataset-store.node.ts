// Where a dataset's layout is read from: a folder (as extracted), the v1.1 release zips in a folder, one local
// zip, or the release zips behind a URL (a Zenodo record or a mirror folder) read with HTTP range requests.
// The scanner and the reader only see this interface, so every source serves the same scenes and pixels.

import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withoutTrailingSlashes } from '@worldstrat/core';
import { readFileBounded } from '@worldstrat/core/node';
import {
  httpErrorFromResponse,
  readBytesBounded,
  redactUrl,
  splitUrlCredentials,
  withRetry,
} from '@worldstrat/eo-fetch';
import {
  type ByteSource,
  blockCache,
  fetchWithGuardedRedirects,
  type GeoTiff,
  openGeoTiff,
  type RasterIoLimits,
} from '@worldstrat/raster-io';
import { fileSource, NODE_CODECS, openGeoTiffFile } from '@worldstrat/raster-io/node';
import { openZip, type ZipArchive, type ZipLimits } from '../archive/zip/open-zip.js';
import { DEFAULT_REMOTE_ZIP, openRemoteZip } from '../archive/zip/remote-zip.js';
import { DatasetError } from '../errors.js';
import { argumentError, checkString } from '../internal/check-arguments.js';
import { joinUrlPath } from '../internal/join-url.js';
import { tableText } from '../internal/table-text.js';
import { HR_DIR, LR_DIR, METADATA_CSV_NAME, SPLIT_CSV_NAME } from '../layout.js';
import { ZipTree } from './zip-tree.js';

/** Trailing slashes; the lookbehind keeps a long run of `/` before another character linear (`/\/+$/` is quadratic). */

/** The layout as the scanner and reader see it; `rel` paths are layout-relative (`hr_dataset/A`). */
export interface DatasetStore {
  /** The root as shown (a folder, or a URL with credentials redacted). */
  readonly root: string;
  /** `rel` as a scene path (a file path for folders; `<root>/<rel>` for zips). */
  path(rel: string): string;
  isDir(rel: string): Promise<boolean>;
  list(rel: string): Promise<string[] | null>;
  /** A table at the dataset root, or null when there is none. */
  readText(rel: string): Promise<string | null>;
  /** Open a GeoTIFF at a scene path made by {@link DatasetStore.path}. */
  openTiff(
    path: string,
    options: { signal?: AbortSignal; limits?: Partial<RasterIoLimits> },
  ): Promise<GeoTiff>;
  /** HTTP requests sent so far (0 for local stores). */
  readonly requestCount: number;
}

/** The v1.1 release files (Zenodo record 15382551). */
export const RELEASE_ZIPS = {
  hr: 'hr_dataset.zip',
  l2a: 'lr_dataset_l2a.zip',
  l1c: 'lr_dataset_l1c.zip',
} as const;

/** Options for stores over zips (local or remote). */
export interface ZipStoreOptions {
  /** Bytes of zip data kept in the block cache of each remote zip (LRU). Default 64 MiB. */
  cacheBytes?: number;
  /** Bytes per range request block. Default 64 KiB. */
  blockBytes?: number;
  /** Request headers for remote datasets (sent to the dataset URL's origin only). */
  headers?: Record<string, string>;
  /** Per-request time limit in ms for remote reads. Default 30 000. */
  timeoutMs?: number;
  /** Zip structure limits (entries, directory size, entry size). */
  zipLimits?: Partial<ZipLimits>;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/** Options for the store of an extracted folder. */
export interface DirectoryStoreOptions {
  /**
   * Open and read each GeoTIFF with synchronous file-system calls on the calling thread (raster-io's `syncIo`):
   * faster for files in the page cache, but each call blocks the event loop until the disk answers. Default false.
   */
  syncIo?: boolean;
}

/**
 * The store of a folder as extracted (`hr_dataset/`, `lr_dataset/`, the CSVs): paths are file paths.
 *
 * @param root - dataset folder.
 * @param options - how GeoTIFFs are read.
 * @returns the store.
 */
export function directoryStore(root: string, { syncIo = false }: DirectoryStoreOptions = {}): DatasetStore {
  return {
    root,
    path: (rel) => (rel ? join(root, rel) : root),
    isDir: async (rel) => (await stat(join(root, rel)).catch(() => null))?.isDirectory() ?? false,
    list: (rel) => readdir(join(root, rel)).catch(() => null),
    readText: async (rel) => {
      const p = join(root, rel);
      // only a table that is not there at all is absent: a folder, FIFO or dangling link in its place is an
      // error, never a silent switch to listing the folders
      if (!(await lstat(p).catch(() => null))) return null;
      const info = await stat(p).catch((e: unknown) => {
        throw new DatasetError('DATASET_NOT_FOUND', `${p} cannot be read: ${(e as Error).message}`, {
          cause: e,
        });
      });
      if (!info.isFile())
        throw new DatasetError(
          'DATASET_NOT_FOUND',
          `${p} cannot be read: not a regular file (${info.isDirectory() ? 'a folder' : 'a FIFO, socket or device'})`,
        );
      const bytes = await readFileBounded(p, { maxBytes: MAX_TABLE_BYTES, what: 'table' }).catch((e) => {
        throw new DatasetError('DATASET_NOT_FOUND', `${p} cannot be read: ${(e as Error).message}`, {
          cause: e,
        });
      });
      return tableText(bytes, `table ${p}`);
    },
    openTiff: (path, o) => openGeoTiffFile(path, { signal: o.signal, limits: o.limits, syncIo }),
    requestCount: 0,
  };
}

/** A store over a zip tree; tables come from `tables`. */
function zipStore(
  root: string,
  tree: ZipTree,
  tables: (name: string) => Promise<string | null>,
  requests: () => number,
): DatasetStore {
  const prefix = `${root}/`;
  const relOf = (path: string) => {
    if (!path.startsWith(prefix))
      throw new DatasetError('INVALID_ARGUMENT', `${path} is not a path of ${root}`);
    return path.slice(prefix.length);
  };
  return {
    root,
    path: (rel) => (rel ? `${prefix}${rel}` : root),
    isDir: (rel) => tree.isDir(rel),
    list: (rel) => tree.list(rel),
    readText: (rel) => tables(rel),
    async openTiff(path, o) {
      const source = await tree.source(relOf(path), o.signal);
      return openGeoTiff(source, { name: path, signal: o.signal, limits: o.limits, codecs: NODE_CODECS });
    },
    get requestCount() {
      return requests();
    },
  };
}

/**
 * `fetch` that follows redirects itself so the caller's headers (credentials) only go to their own origin: a hop
 * to another origin keeps `Range` (and Accept/User-Agent) and drops everything else (raster-io's
 * `fetchWithGuardedRedirects`).
 *
 * @param origin - the dataset URL's origin (a request to another origin is sent with its Range only).
 * @param base - the fetch to wrap.
 * @returns the scoped fetch.
 */
export function originScopedFetch(origin: string, base: typeof globalThis.fetch): typeof globalThis.fetch {
  const fail = (_code: string, message: string) => new DatasetError('REMOTE_READ_FAILED', message);
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    const all: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      all[name] = value;
    });
    let headers = all;
    // a URL off the dataset's origin gets no credentials at all, only its Range
    if (new URL(url).origin !== origin) headers = headers.range ? { range: headers.range } : {};
    return fetchWithGuardedRedirects(base, url, { ...init, headers }, { what: 'dataset request', fail });
  }) as typeof globalThis.fetch;
}

/** `user:pw@` in a URL becomes a Basic Authorization header (fetch refuses URLs with credentials). */
function splitCredentials(raw: string): { url: string; headers: Record<string, string> } {
  const { url, authorization } = splitUrlCredentials(raw);
  return { url, headers: authorization ? { authorization } : {} };
}

/**
 * The URL of a release file: a Zenodo record page (`…/records/<id>`, also the older `…/record/<id>`) serves
 * files at `…/records/<id>/files/<name>?download=1`; any other URL is a folder holding the files. The base's
 * query (a share link's `?token=…`, a mirror's signature) is kept on every file URL.
 *
 * @param base - record or folder URL (no credentials).
 * @returns a function from file name to URL.
 */
export function releaseFileUrl(base: string): (name: string) => string {
  checkString('releaseFileUrl', 'base', base, true);
  if (!URL.canParse(base)) throw argumentError('releaseFileUrl', 'base', 'an absolute URL', base);
  const u = new URL(base);
  const m = /^(.*)\/records?\/(\d+)\/?$/.exec(u.pathname);
  if (m) {
    u.pathname = `${m[1]}/records/${m[2]}`;
    const record = u.href;
    return (name) => joinUrlPath(record, ['files', name], { download: '1' });
  }
  return (name) => joinUrlPath(base, [name]);
}

/** Most bytes of a remote table (the release's metadata.csv is ~10 MB). */
const MAX_TABLE_BYTES = 256 * 1024 * 1024;

/** A remote table's bytes through eo-fetch's retrying request path; a 404 means "no such table". */
async function fetchTable(
  url: string,
  shown: string,
  headers: Record<string, string>,
  options: ZipStoreOptions,
): Promise<Uint8Array | null> {
  const doFetch = options.fetch ?? globalThis.fetch;
  try {
    return await withRetry(
      async (signal) => {
        const res = await doFetch(url, { headers, signal });
        if (res.status === 404) {
          await res.body?.cancel().catch(() => {});
          return null;
        }
        if (!res.ok) throw await httpErrorFromResponse(res, url);
        return readBytesBounded(res, url, MAX_TABLE_BYTES);
      },
      {
        signal: options.signal,
        url,
        policy: { retries: 2, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      },
    );
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ABORTED') throw new DatasetError('ABORTED', `${shown}: aborted`, { cause: e });
    const msg = (e as Error).message.split(url).join(shown);
    throw new DatasetError('REMOTE_READ_FAILED', `${shown}: ${msg}`, { cause: e });
  }
}

/**
 * The store for `root`: an http(s) URL (Zenodo record or folder of the v1.1 files), a local `.zip`, a folder of
 * the v1.1 zips, or an extracted folder.
 *
 * @param root - path or URL.
 * @param options - cache budget, headers, limits.
 * @returns the store (no zip is opened yet).
 */
export async function resolveDatasetStore(
  root: string,
  options: ZipStoreOptions & DirectoryStoreOptions = {},
): Promise<DatasetStore> {
  if (/^https?:\/\//i.test(root)) return remoteStore(root, options);
  const st = await stat(root).catch(() => null);
  if (st?.isFile() && root.toLowerCase().endsWith('.zip')) return singleZipStore(root, options);
  if (st?.isDirectory()) {
    const hasTree = (await stat(join(root, HR_DIR)).catch(() => null))?.isDirectory();
    const hasZip = (await stat(join(root, RELEASE_ZIPS.hr)).catch(() => null))?.isFile();
    if (!hasTree && hasZip) return localZipsStore(root, options);
  }
  return directoryStore(root, { syncIo: options.syncIo });
}

function remoteStore(root: string, options: ZipStoreOptions): DatasetStore {
  const { url, headers: auth } = splitCredentials(root);
  const shown = withoutTrailingSlashes(redactUrl(root));
  const headers = { ...options.headers, ...auth };
  options = { ...options, fetch: originScopedFetch(new URL(url).origin, options.fetch ?? globalThis.fetch) };
  if (new URL(url).pathname.toLowerCase().endsWith('.zip'))
    return remoteSingleZipStore(url, shown, headers, options);
  const fileUrl = releaseFileUrl(url);
  // labels of the files (messages, scene paths): the root without its query, whose token each request carries
  const folder = withoutTrailingSlashes(redactUrl(root.replace(/[?#][\s\S]*$/, '')));
  const counters: { requestCount: number }[] = [];
  let tableRequests = 0;
  const part = (name: string, topDir: typeof HR_DIR | typeof LR_DIR, level?: 'L2A' | 'L1C') => ({
    topDir,
    level,
    open: async () => {
      const r = await openRemoteZip(fileUrl(name), `${folder}/${name}`, {
        cacheBytes: options.cacheBytes,
        blockBytes: options.blockBytes,
        headers,
        timeoutMs: options.timeoutMs,
        limits: options.zipLimits,
        fetch: options.fetch,
        signal: options.signal,
      });
      counters.push(r);
      return r.zip;
    },
  });
  const tree = new ZipTree([
    part(RELEASE_ZIPS.hr, HR_DIR),
    part(RELEASE_ZIPS.l2a, LR_DIR, 'L2A'),
    part(RELEASE_ZIPS.l1c, LR_DIR, 'L1C'),
  ]);
  const tables = async (name: string) => {
    if (name !== SPLIT_CSV_NAME && name !== METADATA_CSV_NAME) return null;
    tableRequests++;
    const shown = `${folder}/${name}`;
    const bytes = await fetchTable(fileUrl(name), shown, headers, options);
    return bytes && tableText(bytes, `table ${shown}`);
  };
  return zipStore(
    folder,
    tree,
    tables,
    () => tableRequests + counters.reduce((n, c) => n + c.requestCount, 0),
  );
}

/** A local zip: a file source under the block cache (the same code path as remote zips). */
async function openLocalZip(path: string, options: ZipStoreOptions) {
  const raw: ByteSource = fileSource(path);
  const blockSize = options.blockBytes ?? DEFAULT_REMOTE_ZIP.blockBytes;
  const maxBlocks = Math.max(
    1,
    Math.floor((options.cacheBytes ?? DEFAULT_REMOTE_ZIP.cacheBytes) / blockSize),
  );
  const cached = blockCache(raw, { blockSize, maxBlocks });
  return openZip(cached, {
    name: path,
    limits: options.zipLimits,
    directorySource: raw,
    signal: options.signal,
  });
}

function localZipsStore(root: string, options: ZipStoreOptions): DatasetStore {
  const part = (name: string, topDir: typeof HR_DIR | typeof LR_DIR, level?: 'L2A' | 'L1C') => ({
    topDir,
    level,
    open: () => openLocalZip(join(root, name), options),
  });
  const tree = new ZipTree([
    part(RELEASE_ZIPS.hr, HR_DIR),
    part(RELEASE_ZIPS.l2a, LR_DIR, 'L2A'),
    part(RELEASE_ZIPS.l1c, LR_DIR, 'L1C'),
  ]);
  const dir = directoryStore(root);
  return zipStore(
    root,
    tree,
    (name) => dir.readText(name),
    () => 0,
  );
}

/** A remote zip of the whole layout (like {@link singleZipStore}). */
function remoteSingleZipStore(
  url: string,
  shown: string,
  headers: Record<string, string>,
  options: ZipStoreOptions,
): DatasetStore {
  let counter: { requestCount: number } | undefined;
  return singleZipStore(
    shown,
    options,
    async () => {
      const r = await openRemoteZip(url, shown, {
        cacheBytes: options.cacheBytes,
        blockBytes: options.blockBytes,
        headers,
        timeoutMs: options.timeoutMs,
        limits: options.zipLimits,
        fetch: options.fetch,
        signal: options.signal,
      });
      counter = r;
      return r.zip;
    },
    () => counter?.requestCount ?? 0,
  );
}

/** One zip holding the whole layout (`hr_dataset/…`, `lr_dataset/…`, the CSVs at its top or under one folder). */
function singleZipStore(
  path: string,
  options: ZipStoreOptions,
  openIt: () => Promise<ZipArchive> = () => openLocalZip(path, options),
  requests: () => number = () => 0,
): DatasetStore {
  let opened: Promise<ZipArchive> | undefined;
  const zip = () => {
    opened ??= openIt();
    opened.catch(() => {
      opened = undefined;
    });
    return opened;
  };
  const tree = new ZipTree([
    { topDir: HR_DIR, strict: true, open: zip },
    { topDir: LR_DIR, strict: true, open: zip },
  ]);
  const tables = async (name: string) => {
    const z = await zip();
    // at the top or under one folder; two of them (a decoy listed first) are a corrupt zip, not a choice
    const found = z.entries.filter((x) => x.name === name || x.name.replace(/^[^/]+\//, '') === name);
    if (found.length > 1)
      throw new DatasetError(
        'CORRUPT_ZIP',
        `${path}: entries ${found
          .slice(0, 2)
          .map((x) => JSON.stringify(x.name.slice(0, 200)))
          .join(
            ' and ',
          )}${found.length > 2 ? ` (and ${found.length - 2} more)` : ''} are all the table ${name}; it is listed more than once`,
      );
    const e = found[0];
    return e ? tableText(await z.readEntry(e, options.signal), `${path}: ${e.name}`) : null;
  };
  return zipStore(path, tree, tables, requests);
}
