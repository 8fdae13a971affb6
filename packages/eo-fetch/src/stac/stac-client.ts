// A STAC API client: Item Search by POST or GET with the query/filter/fields/sort extensions, paging through
// `next` links (POST body merge and GET href variants, plus SentinelHub's `context.next`), async iteration with a
// max-items cap, and typed collections/items. Browser-safe.
import { EoFetchError } from '../errors.js';
import { headerSecrets } from '../http/header-secrets.js';
import { headersRecord } from '../http/headers.js';
import { type FetchLike, requestJson, scrubErrorChain } from '../http/request-json.js';
import { type RetryPolicy, redactUrl } from '../http/retry.js';
import { splitUrlCredentials, urlSecrets, withAuthorization } from '../http/url-credentials.js';
import {
  checkFunction,
  checkObject,
  checkObjectArray,
  checkOneOf,
  checkOptions,
  checkRetryPolicy,
  checkString,
  checkStringArray,
  invalidArgument,
} from '../internal/check-arguments.js';
import { formatStacDatetime } from './stac-datetime.js';
import type {
  StacCollection,
  StacItem,
  StacItemCollection,
  StacLink,
  StacSearchParams,
} from './stac-types.js';
import {
  type InvalidItem,
  invalidItemReport,
  quoted,
  scrubbedInvalidItem,
  validateStacItem,
} from './validate-item.js';

/** Search capabilities a server must declare in `conformsTo` for the server to honour them. */
export type StacCapability = 'filter' | 'query' | 'sortby' | 'fields';

/** Conformance URI pattern of each capability (any STAC API version). */
const CAPABILITY_CONFORMANCE: Readonly<Record<StacCapability, RegExp>> = {
  filter: /\/item-search#filter$/,
  query: /\/item-search#query$/,
  sortby: /\/item-search#sort$/,
  fields: /\/item-search#fields$/,
};

/** Something a search did that may not give the result asked for. */
export interface StacWarning {
  code: 'MISSING_CONFORMANCE';
  capability: StacCapability;
  message: string;
}

/** One request as the client is about to send it (what `modifyRequest` sees). */
export interface StacRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

/** Default hard cap on pages per search or collection listing (each page a request). */
export const DEFAULT_STAC_PAGE_LIMIT = 1000;
/** Default hard cap on items per search. */
export const DEFAULT_STAC_ITEM_LIMIT = 100_000;

/** Options of {@link StacClient}. */
export interface StacClientOptions {
  fetch?: FetchLike;
  /** Headers sent with every request to the API's own origin (e.g. an API key); never to another origin. */
  headers?: Record<string, string>;
  /** Called before every request; may change it in place or return a replacement (custom headers, signing). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only mutates its argument returns nothing
  modifyRequest?: (req: StacRequest) => StacRequest | void | Promise<StacRequest | void>;
  retry?: Partial<RetryPolicy>;
  /** Path of the search endpoint relative to the root (default `search`). */
  searchPath?: string;
  /**
   * What to do when a search uses `filter`, `query`, `sortby` or `fields` and the landing page's `conformsTo`
   * does not list it (servers silently ignore what they do not support): `warn` (default; `onWarning` and the
   * result's `warnings`), `error` (`UNSUPPORTED_CAPABILITY`), or `ignore` (no conformance request).
   */
  onMissingConformance?: 'warn' | 'error' | 'ignore';
  /** Receives every warning (in addition to {@link StacItemCollectionResult.warnings}). */
  onWarning?: (warning: StacWarning) => void;
  /**
   * A `next` link to another origin: `drop-headers` (default) follows it without `headers`; `refuse` throws
   * `CREDENTIAL_SCOPE` (clients whose fetch carries credentials).
   */
  offOriginLinks?: 'drop-headers' | 'refuse';
  /** Hard cap on pages of one search or listing (default {@link DEFAULT_STAC_PAGE_LIMIT}); beyond: `PAGE_LIMIT`. */
  pageLimit?: number;
  /** Hard cap on items of one search (default {@link DEFAULT_STAC_ITEM_LIMIT}); beyond: `PAGE_LIMIT`. */
  itemLimit?: number;
  /** Largest JSON response in bytes (default 64 MiB). */
  maxResponseBytes?: number;
}

/** Options of one search. */
export interface StacSearchOptions {
  /** `POST` (default) sends JSON; `GET` encodes the parameters in the query string. */
  method?: 'POST' | 'GET';
  /** Stop after exactly this many items in total. */
  maxItems?: number;
  /** Stop after this many pages. */
  maxPages?: number;
  signal?: AbortSignal;
  /** Receives each item skipped as invalid (see `validateStacItem`). */
  onInvalidItem?: (item: InvalidItem) => void;
}

/** One page as {@link StacClient.pages} yields it: valid features only, the rest in `invalidItems`. */
export interface StacPage extends StacItemCollection {
  invalidItems: InvalidItem[];
  warnings: StacWarning[];
}

/** Result of {@link StacClient.itemCollection}: a GeoJSON FeatureCollection plus what was skipped. */
export interface StacItemCollectionResult {
  type: 'FeatureCollection';
  features: StacItem[];
  /** Server's `numberMatched` (or `context.matched`) of the first page, when given. */
  numberMatched?: number;
  invalidItems: InvalidItem[];
  warnings: StacWarning[];
}

/**
 * Turns search parameters into the JSON body of `POST /search` (datetime formatted, `filter-lang` set).
 *
 * @param params - search parameters
 * @returns the request body
 */
export function searchBody(params: StacSearchParams): Record<string, unknown> {
  checkObject('searchBody', 'params', params);
  const { filterLang, datetime, ...rest } = params;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) body[k] = v;
  if (datetime !== undefined) body.datetime = formatStacDatetime(datetime);
  if (params.filter !== undefined)
    body['filter-lang'] = filterLang ?? (typeof params.filter === 'string' ? 'cql2-text' : 'cql2-json');
  checkFieldsAndSortby(body);
  checkSerialisable(body);
  return body;
}

/** `fields` and `sortby` in the shapes the fields and sort extensions define (GET encodes them by those shapes). */
function checkFieldsAndSortby(body: Record<string, unknown>): void {
  const fn = 'searchBody';
  if (body.fields !== undefined) {
    checkObject(fn, 'params.fields', body.fields);
    const f = body.fields as Record<string, unknown>;
    for (const key of ['include', 'exclude'])
      if (f[key] !== undefined) checkStringArray(fn, `params.fields.${key}`, f[key]);
  }
  if (body.sortby !== undefined) {
    checkObjectArray(fn, 'params.sortby', body.sortby);
    for (const [i, s] of (body.sortby as Record<string, unknown>[]).entries()) {
      checkString(fn, `params.sortby[${i}].field`, s.field);
      if (s.direction !== undefined)
        checkOneOf(fn, `params.sortby[${i}].direction`, s.direction, ['asc', 'desc']);
    }
  }
}

/**
 * A body that JSON cannot write (a cycle, a BigInt, nesting past the call stack) is the caller's mistake, refused
 * before any request; sent, it failed as if the server had answered wrong.
 */
function checkSerialisable(body: Record<string, unknown>): void {
  try {
    JSON.stringify(body);
  } catch (err) {
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `searchBody: params cannot be written as JSON (${(err as Error)?.message ?? String(err)}): a cycle, a BigInt or nesting too deep`,
    );
  }
}

/**
 * Encodes search parameters for `GET /search`.
 * Arrays comma-separated, geometry/query/JSON filters as JSON,
 * `fields` as `a,-b`, `sortby` as `+a,-b`.
 *
 * @param params - search parameters
 * @returns URL search parameters
 * @example
 * ```ts
 * searchQuery({ collections: ['sentinel-2-l2a'], bbox: [1, 2, 3, 4], limit: 10 }).toString();
 * // 'collections=sentinel-2-l2a&bbox=1%2C2%2C3%2C4&limit=10'
 * ```
 */
export function searchQuery(params: StacSearchParams): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(searchBody(params))) {
    if (v === undefined) continue;
    if (k === 'fields') {
      const f = v as { include?: string[]; exclude?: string[] };
      q.set('fields', [...(f.include ?? []), ...(f.exclude ?? []).map((e) => `-${e}`)].join(','));
    } else if (k === 'sortby') {
      q.set(
        'sortby',
        (v as { field: string; direction: string }[])
          .map((s) => `${s.direction === 'desc' ? '-' : '+'}${s.field}`)
          .join(','),
      );
    } else if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) q.set(k, v.join(','));
    else if (typeof v === 'object') q.set(k, JSON.stringify(v));
    else q.set(k, String(v));
  }
  return q;
}

interface PageRequest {
  url: string;
  method: 'GET' | 'POST';
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A positive integer option, or a typed error naming it. */
function capOption(name: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v > 0))
    throw new EoFetchError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A search's options: an object, `method` GET or POST, `onInvalidItem` a function. */
function checkSearchOptions(fn: string, options: Partial<StacSearchOptions>): void {
  checkOptions(fn, options);
  if (options.method !== undefined) checkOneOf(fn, 'options.method', options.method, ['GET', 'POST']);
  checkFunction(fn, 'options.onInvalidItem', options.onInvalidItem, true);
}

/** Capabilities a search uses, in a stable order. */
function usedCapabilities(params: StacSearchParams): StacCapability[] {
  return (['filter', 'query', 'sortby', 'fields'] as const).filter((c) => params[c] !== undefined);
}

/**
 * A STAC API client with pystac-client's search surface.
 * Paging with caps, `matched`, ItemCollections, paged collections, queryables, conformance checks, and
 * per-request hooks.
 *
 * @example
 * ```ts
 * const stac = new StacClient('https://earth-search.aws.element84.com/v1');
 * for await (const item of stac.items({ collections: ['sentinel-2-l2a'], bbox: [2.1, 48.8, 2.2, 48.9],
 *   datetime: '2023-01', filter: 'eo:cloud_cover < 20' }, { maxItems: 50 })) {
 *   console.log(item.id, item.properties['eo:cloud_cover']);
 * }
 * ```
 */
export class StacClient {
  /** Root URL with a trailing slash on its path, and its query (if any). */
  readonly url: string;
  private readonly origin: string;
  readonly #opts: StacClientOptions; // private: headers may hold API keys
  private conformsToCache: Promise<string[]> | undefined;

  /**
   * @param url - root of the STAC API (e.g. `https://earth-search.aws.element84.com/v1`)
   * @param options - fetch, headers, hooks, conformance policy, caps
   * @throws {@link EoFetchError} `INVALID_ARGUMENT` for a non-http(s) URL or bad caps
   */
  constructor(url: string, options: StacClientOptions = {}) {
    const fn = 'StacClient';
    checkString(fn, 'url', url);
    checkOptions(fn, options);
    const h = options.headers as unknown;
    // a Headers instance or [name, value] pairs too: spread into a record they would keep no header
    if (h instanceof Headers || Array.isArray(h)) headersRecord(h, fn, 'options.headers');
    else if (h !== undefined) {
      checkObject(fn, 'options.headers', h);
      if (Object.values(h as object).some((v) => typeof v !== 'string'))
        invalidArgument(fn, 'options.headers', 'an object of string values', h);
    }
    for (const k of ['fetch', 'modifyRequest', 'onWarning'] as const)
      checkFunction(fn, `options.${k}`, options[k], true);
    checkRetryPolicy(fn, 'options.retry', options.retry);
    checkString(fn, 'options.searchPath', options.searchPath, true);
    checkOneOf(fn, 'options.onMissingConformance', options.onMissingConformance, ['warn', 'error', 'ignore']);
    checkOneOf(fn, 'options.offOriginLinks', options.offOriginLinks, ['drop-headers', 'refuse']);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol))
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `STAC API url must be http(s), got ${JSON.stringify(redactUrl(url))}`,
      );
    capOption('pageLimit', options.pageLimit);
    capOption('itemLimit', options.itemLimit);
    capOption('maxResponseBytes', options.maxResponseBytes);
    // `user:password@` becomes a Basic header sent to this origin only (as downloadAll does); the URL kept, the
    // links resolved against it and the messages naming it carry no credentials
    const split = splitUrlCredentials(url);
    const root = splitRoot(split.url);
    this.#base = root.base;
    this.#rootQuery = root.query;
    this.url = this.#endpoint('./');
    this.origin = parsed.origin;
    this.#opts = options;
    this.#basic = split.authorization;
    this.#urlSecrets = urlSecrets(url);
  }

  /**
   * What `JSON.stringify` shows: the root redacted (token-like query values such as `access_token` → `***`).
   * `url` itself keeps the query, which every request sends.
   */
  toJSON(): Record<string, unknown> {
    return { url: redactUrl(this.url), origin: this.origin };
  }

  /** What `util.inspect` (console.log) shows: the redacted {@link toJSON} view. */
  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return this.toJSON();
  }

  /** The root's path with a trailing slash (no query): endpoints resolve against it. */
  readonly #base: string;
  /** The root's query as written (e.g. `access_token=…`): sent with every endpoint built from the root. */
  readonly #rootQuery: string;

  /**
   * The URL of `path` under the root, with the root's query (pystac-client sends its `parameters` with every
   * request). `path` may carry a query of its own, and `extra` adds one (a GET search); a name either sets
   * replaces the root's.
   */
  #endpoint(path: string, extra = ''): string {
    const u = new URL(path, this.#base);
    const own = [u.search.slice(1), extra].filter(Boolean).join('&');
    u.search = '';
    u.hash = '';
    const query = mergeQuery(this.#rootQuery, own);
    return query ? `${u}?${query}` : `${u}`;
  }

  /** The Basic value of the URL's userinfo, if it had one. */
  readonly #basic: string | undefined;
  /** The URL's password, Basic value and query tokens, scrubbed from error messages. */
  readonly #urlSecrets: string[];

  /** Headers for the API's own origin: the configured ones (read now), plus the URL's Basic credentials. */
  #ownHeaders(): Record<string, string> {
    return withAuthorization(headersRecord(this.#opts.headers, 'StacClient', 'options.headers'), this.#basic);
  }

  /** Sends one request: origin check, configured headers (own origin only), `modifyRequest`, bounded JSON. */
  private async send<T>(req: PageRequest, signal?: AbortSignal, what = 'request'): Promise<T> {
    const own = new URL(req.url).origin === this.origin;
    if (!own && this.#opts.offOriginLinks === 'refuse')
      throw new EoFetchError(
        'CREDENTIAL_SCOPE',
        `${what}: STAC API ${this.origin} linked to another origin (${new URL(req.url).origin}); refusing to send credentials there`,
      );
    let out: StacRequest = {
      url: req.url,
      method: req.method,
      headers: { ...req.headers, ...(own ? this.#ownHeaders() : {}) }, // the caller's headers win over a link's
      ...(req.body ? { body: req.body } : {}),
    };
    if (this.#opts.modifyRequest) out = (await this.#opts.modifyRequest(out)) ?? out;
    return requestJson<T>(
      out.url,
      { method: out.method, headers: out.headers, body: out.body },
      {
        fetch: this.#opts.fetch,
        retry: this.#opts.retry,
        signal,
        redact: this.secrets,
        ...(this.#opts.maxResponseBytes ? { maxBytes: this.#opts.maxResponseBytes } : {}),
      },
    );
  }

  /** Values of configured credential headers (API keys, tokens), scrubbed from error messages. */
  private get secrets(): string[] {
    return [...headerSecrets(this.#ownHeaders()), ...this.#urlSecrets];
  }

  /** Runs `run`; what it throws is scrubbed of this client's secrets (a server may echo one in valid JSON). */
  async #scrubbed<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw scrubErrorChain(err, this.secrets);
    }
  }

  private get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.send<T>({ url: this.#endpoint(path), method: 'GET' }, signal);
  }

  /**
   * The landing page.
   *
   * @returns the root catalog JSON
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when the answer is not a JSON object
   */
  async root(signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.#scrubbed(async () => {
      return this.objectAt('./', 'landing page', signal);
    });
  }

  /** GETs `path` and checks that the answer is a JSON object. */
  private async objectAt(path: string, what: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const doc = await this.get<unknown>(path, signal);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new EoFetchError(
        'INVALID_RESPONSE',
        `${what} ${redactUrl(this.#endpoint(path))} is ${quoted(doc, 40)}, not a JSON object`,
      );
    return doc as Record<string, unknown>;
  }

  /** Conformance classes (`/conformance`). @returns the list of conformance URIs */
  async conformance(signal?: AbortSignal): Promise<string[]> {
    return this.#scrubbed(async () => {
      const c = await this.get<{ conformsTo?: unknown }>('conformance', signal);
      return Array.isArray(c?.conformsTo)
        ? c.conformsTo.filter((x): x is string => typeof x === 'string')
        : [];
    });
  }

  /**
   * What the server conforms to: the landing page's `conformsTo`, else `/conformance`; read once per client.
   *
   * @returns conformance URIs
   */
  conformsTo(signal?: AbortSignal): Promise<string[]> {
    this.conformsToCache ??= (async () => {
      const root = await this.root(signal);
      const list = (root as { conformsTo?: unknown })?.conformsTo;
      if (Array.isArray(list)) return list.filter((x): x is string => typeof x === 'string');
      return this.conformance(signal);
    })().catch((err) => {
      this.conformsToCache = undefined; // a failed read is retried by the next search
      throw err;
    });
    return this.conformsToCache;
  }

  /**
   * Checks that the server declares every capability a search uses.
   *
   * @param params - the search parameters
   * @returns warnings (empty when all are declared or the policy is `ignore`)
   * @throws {@link EoFetchError} `UNSUPPORTED_CAPABILITY` under `onMissingConformance: 'error'`
   */
  async checkConformance(params: StacSearchParams, signal?: AbortSignal): Promise<StacWarning[]> {
    const policy = this.#opts.onMissingConformance ?? 'warn';
    const used = usedCapabilities(params);
    if (policy === 'ignore' || used.length === 0) return [];
    let conforms: string[];
    let unreadable: string | undefined;
    try {
      conforms = await this.conformsTo(signal);
    } catch (err) {
      // a search-only endpoint without a landing page: the search may still work, but nothing is declared
      if (!(err instanceof EoFetchError) || err.code === 'ABORTED') throw err;
      conforms = [];
      unreadable = err.message;
    }
    const warnings: StacWarning[] = [];
    for (const capability of used) {
      if (conforms.some((c) => CAPABILITY_CONFORMANCE[capability].test(c))) continue;
      const message = unreadable
        ? `STAC API ${redactUrl(this.url)}: could not read its conformance (${unreadable}); it may ignore the ${capability} parameter`
        : `STAC API ${redactUrl(this.url)} does not declare ${capability} support in conformsTo; it may ignore the ${capability} parameter and return items that do not satisfy it`;
      if (policy === 'error') throw new EoFetchError('UNSUPPORTED_CAPABILITY', message);
      const w: StacWarning = { code: 'MISSING_CONFORMANCE', capability, message };
      this.#opts.onWarning?.(w);
      warnings.push(w);
    }
    return warnings;
  }

  /**
   * All collections (`/collections`), following `next` links.
   *
   * @param options - `maxCollections` stops early; signal
   * @returns collection documents
   * @throws {@link EoFetchError} `PAGING_LOOP` / `PAGE_LIMIT` for endless listings, `INVALID_RESPONSE`
   */
  async collections(
    options: { maxCollections?: number; signal?: AbortSignal } | AbortSignal = {},
  ): Promise<StacCollection[]> {
    return this.#scrubbed(async () => {
      const o = options instanceof AbortSignal ? { signal: options } : options;
      const max = capOption('maxCollections', o.maxCollections);
      const out: StacCollection[] = [];
      const guard = this.pagingGuard('collections listing');
      let req: PageRequest | undefined = { url: this.#endpoint('collections'), method: 'GET' };
      while (req) {
        guard.visit(req);
        const page: { collections?: unknown; links?: StacLink[] } = await this.send(req, o.signal);
        if (!page || !Array.isArray(page.collections))
          throw new EoFetchError(
            'INVALID_RESPONSE',
            `${redactUrl(req.url)} did not return a collections list`,
          );
        for (const [i, c] of (page.collections as unknown[]).entries()) {
          if (max !== undefined && out.length >= max) return out;
          if (!c || typeof c !== 'object' || typeof (c as StacCollection).id !== 'string')
            throw new EoFetchError(
              'INVALID_RESPONSE',
              `${redactUrl(req.url)}: collections[${i}] is not a collection with a string id`,
            );
          out.push(c as StacCollection);
        }
        if (page.collections.length === 0) break;
        req = nextRequest(page as unknown as StacItemCollection, req);
      }
      return out;
    });
  }

  /**
   * One collection.
   *
   * @param id - collection id
   * @returns its document
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when the answer is not an object with a string `id`
   */
  async collection(id: string, signal?: AbortSignal): Promise<StacCollection> {
    return this.#scrubbed(async () => {
      const path = `collections/${encodeURIComponent(id)}`;
      const doc = await this.objectAt(path, 'collection', signal);
      if (typeof doc.id !== 'string')
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `collection ${redactUrl(this.#endpoint(path))}: id ${quoted(doc.id)} is not a string`,
        );
      return doc as StacCollection;
    });
  }

  /**
   * Queryable properties (JSON Schema) of the whole API or of one collection.
   *
   * @param collection - collection id, or undefined for `/queryables`
   * @returns the JSON Schema document
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when the answer is not an object
   */
  async queryables(collection?: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.#scrubbed(async () => {
      const path = collection ? `collections/${encodeURIComponent(collection)}/queryables` : 'queryables';
      const q = await this.get<unknown>(path, signal);
      if (!q || typeof q !== 'object' || Array.isArray(q))
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `queryables ${redactUrl(this.#endpoint(path))} is ${quoted(q, 40)}, not a JSON Schema object`,
        );
      return q as Record<string, unknown>;
    });
  }

  /**
   * One item.
   *
   * @param collection - collection id
   * @param id - item id
   * @returns the item
   * @throws {@link EoFetchError} `INVALID_ITEM` when the answer fails `validateStacItem`
   */
  async item(collection: string, id: string, signal?: AbortSignal): Promise<StacItem> {
    return this.#scrubbed(async () => {
      const path = `collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}`;
      const doc = await this.get<unknown>(path, signal);
      const why = validateStacItem(doc);
      if (why) throw new EoFetchError('INVALID_ITEM', `item ${redactUrl(this.#endpoint(path))}: ${why}`);
      return doc as StacItem;
    });
  }

  /** Loop detection plus the hard page cap, shared by searches and listings. */
  private pagingGuard(what: string) {
    const limit = this.#opts.pageLimit ?? DEFAULT_STAC_PAGE_LIMIT;
    const seen = new Set<string>();
    return {
      visit: (req: PageRequest) => {
        // the fragment is never sent: `#1`, `#2`… on one next URL are the same request
        const key = `${req.method} ${req.url.replace(/#.*$/s, '')} ${bodyKey(req, what)}`;
        if (seen.has(key))
          throw new EoFetchError(
            'PAGING_LOOP',
            `${what} at ${redactUrl(this.url)}: the server sent a next link to a page already read (${req.method} ${redactUrl(req.url)}) after ${seen.size} pages`,
          );
        if (seen.size >= limit)
          throw new EoFetchError(
            'PAGE_LIMIT',
            `${what} at ${redactUrl(this.url)} still had more pages after ${limit} requests; pass maxItems/maxPages or raise pageLimit`,
          );
        seen.add(key);
      },
    };
  }

  /** The first request of a search. */
  private firstRequest(params: StacSearchParams, method: 'GET' | 'POST'): PageRequest {
    const path = this.#opts.searchPath ?? 'search';
    return method === 'POST'
      ? { url: this.#endpoint(path), method, body: searchBody(params) }
      : { url: this.#endpoint(path, searchQuery(params).toString()), method };
  }

  /**
   * Pages of an Item Search, following `next` links until none is left (or `maxPages`/`maxItems`, exactly).
   * Invalid items (see `validateStacItem`) are left out of `features` and listed in `invalidItems`.
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns an async iterable of pages
   * @throws {@link EoFetchError} `PAGING_LOOP` when a next link repeats a page, `PAGE_LIMIT` past the hard caps,
   *   `UNSUPPORTED_CAPABILITY` (see `onMissingConformance`), `INVALID_RESPONSE`
   */
  async *pages(params: StacSearchParams, options: StacSearchOptions = {}): AsyncGenerator<StacPage> {
    checkSearchOptions('StacClient.pages', options);
    try {
      const maxItems = capOption('maxItems', options.maxItems);
      const maxPages = capOption('maxPages', options.maxPages);
      const itemLimit = this.#opts.itemLimit ?? DEFAULT_STAC_ITEM_LIMIT;
      let req: PageRequest | undefined = this.firstRequest(params, options.method ?? 'POST');
      let warnings = await this.checkConformance(params, options.signal);
      const guard = this.pagingGuard('STAC search');
      let items = 0;
      let pages = 0;
      while (req) {
        guard.visit(req);
        const page: StacItemCollection = await this.send<StacItemCollection>(
          req,
          options.signal,
          'STAC search',
        );
        if (!page || typeof page !== 'object' || !Array.isArray(page.features))
          throw new EoFetchError(
            'INVALID_RESPONSE',
            `STAC search at ${redactUrl(req.url)} did not return a FeatureCollection`,
          );
        pages++;
        const raw = page.features.length;
        const features: StacItem[] = [];
        const invalidItems: InvalidItem[] = [];
        for (const [i, f] of (page.features as unknown[]).entries()) {
          const reason = validateStacItem(f, { partial: params.fields !== undefined });
          if (reason === undefined) features.push(f as StacItem);
          else {
            const bad = scrubbedInvalidItem(invalidItemReport(f, reason, `features[${i}]`), this.secrets);
            invalidItems.push(bad);
            options.onInvalidItem?.(bad);
          }
        }
        const room = maxItems === undefined ? features.length : Math.max(0, maxItems - items);
        const kept = features.slice(0, room);
        items += kept.length;
        yield { ...pageMembers(page), features: kept, invalidItems, warnings };
        warnings = [];
        if (raw === 0) break;
        if (maxItems !== undefined && items >= maxItems) break;
        if (maxPages !== undefined && pages >= maxPages) break;
        req = nextRequest(page, req);
        if (req && items >= itemLimit)
          throw new EoFetchError(
            'PAGE_LIMIT',
            `STAC search at ${redactUrl(this.url)} still had more items after ${items}; pass maxItems or raise itemLimit`,
          );
      }
    } catch (err) {
      throw scrubErrorChain(err, this.secrets);
    }
  }

  /**
   * Items of an Item Search across pages, at most `maxItems`.
   *
   * @param params - search parameters
   * @param options - method, caps, signal, `onInvalidItem`
   * @returns an async iterable of items
   */
  async *items(params: StacSearchParams, options: StacSearchOptions = {}): AsyncGenerator<StacItem> {
    for await (const page of this.pages(params, options)) yield* page.features;
  }

  /**
   * Collects {@link StacClient.items} into an array.
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns the items
   */
  async search(params: StacSearchParams, options: StacSearchOptions = {}): Promise<StacItem[]> {
    return (await this.itemCollection(params, options)).features;
  }

  /**
   * A whole search as one GeoJSON FeatureCollection (pystac-client's `item_collection()`), with the items
   * skipped as invalid and the conformance warnings.
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns the FeatureCollection
   * @example
   * ```ts
   * const { features, invalidItems, warnings } = await stac.itemCollection({ collections: ['sentinel-2-l2a'], bbox }, { maxItems: 500 });
   * ```
   */
  async itemCollection(
    params: StacSearchParams,
    options: StacSearchOptions = {},
  ): Promise<StacItemCollectionResult> {
    const out: StacItemCollectionResult = {
      type: 'FeatureCollection',
      features: [],
      invalidItems: [],
      warnings: [],
    };
    for await (const page of this.pages(params, options)) {
      if (out.numberMatched === undefined) {
        const m = matchedOf(page);
        if (m !== undefined) out.numberMatched = m;
      }
      // one by one: spreading a page of 10^5 items into push() overflows the call stack
      for (const f of page.features) out.features.push(f);
      for (const i of page.invalidItems) out.invalidItems.push(i);
      for (const w of page.warnings) out.warnings.push(w);
    }
    return out;
  }

  /**
   * How many items the search matches, as the server counts them (`numberMatched` or `context.matched`),
   * from one request with `limit: 1`.
   *
   * @param params - search parameters
   * @param options - method, signal
   * @returns the count, or undefined when the server does not say
   */
  async matched(
    params: StacSearchParams,
    options: Pick<StacSearchOptions, 'method' | 'signal'> = {},
  ): Promise<number | undefined> {
    checkSearchOptions('StacClient.matched', options);
    return this.#scrubbed(async () => {
      await this.checkConformance(params, options.signal);
      const req = this.firstRequest({ ...params, limit: 1 }, options.method ?? 'POST');
      return matchedOf(await this.send<StacItemCollection>(req, options.signal, 'STAC search'));
    });
  }
}

/** A root URL split into the base endpoints resolve against (path ending in '/') and its query as written. */
function splitRoot(url: string): { base: string; query: string } {
  const u = new URL(url);
  const hash = url.indexOf('#');
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const q = beforeHash.indexOf('?');
  // as written: re-serializing could change how a token is spelt
  const query = q < 0 ? '' : beforeHash.slice(q + 1);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return { base: u.toString(), query };
}

/** The name of one `name=value` pair, decoded as a server reads it. */
const paramName = (pair: string): string => new URLSearchParams(pair).keys().next().value ?? '';

/** `root` then `own` (both `a=1&b=2`); a parameter `own` names replaces the root's of that name. */
function mergeQuery(root: string, own: string): string {
  const pairs = (q: string) => q.split('&').filter(Boolean);
  const names = new Set(pairs(own).map(paramName));
  return [...pairs(root).filter((kv) => !names.has(paramName(kv))), ...pairs(own)].join('&');
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The members of a search page other than `features`, each kept only when it has its documented type (a count
 * that is not a non-negative integer, `links` that is not an array, a `context` that is not an object are left
 * out rather than handed on as numbers and arrays they are not).
 */
function pageMembers(page: StacItemCollection): Omit<StacItemCollection, 'features'> {
  const out: Omit<StacItemCollection, 'features'> = { ...page, type: 'FeatureCollection' };
  delete (out as Partial<StacItemCollection>).features;
  if (!isCount(page.numberMatched)) delete out.numberMatched;
  if (!isCount(page.numberReturned)) delete out.numberReturned;
  if (!Array.isArray(page.links)) delete out.links;
  const c: unknown = page.context;
  if (!c || typeof c !== 'object' || Array.isArray(c)) delete out.context;
  else {
    const context = { ...(c as NonNullable<StacItemCollection['context']>) };
    for (const k of ['returned', 'matched', 'limit'] as const) if (!isCount(context[k])) delete context[k];
    out.context = context;
  }
  return out;
}

/** `numberMatched` or `context.matched` when it is a non-negative integer. */
function matchedOf(page: StacItemCollection): number | undefined {
  const m = page?.numberMatched ?? page?.context?.matched;
  return isCount(m) ? m : undefined;
}

/** A next link's `headers`, checked to be string values (servers set paging headers, nothing else). */
function linkHeaders(h: unknown, from: string): Record<string, string> | undefined {
  if (h === undefined || h === null) return undefined;
  if (typeof h !== 'object' || Array.isArray(h) || Object.values(h).some((v) => typeof v !== 'string'))
    throw new EoFetchError(
      'INVALID_RESPONSE',
      `next link headers from ${redactUrl(from)} are not string values`,
    );
  // what fetch would refuse to send (a CR/LF, NUL or non-Latin-1 value, a name that is no token) is the server's
  // fault now, not a network failure retried for a minute
  const bad = Object.entries(h as Record<string, string>).find(
    ([k, v]) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(k) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(v),
  );
  if (bad)
    throw new EoFetchError(
      'INVALID_RESPONSE',
      `next link headers from ${redactUrl(from)}: header ${quoted(bad[0])} is not a header name and value HTTP can send`,
    );
  // a catalogue must not replace the caller's credentials
  const out = Object.fromEntries(
    Object.entries(h as Record<string, string>).filter(([k]) => k.toLowerCase() !== 'authorization'),
  );
  return Object.keys(out).length ? out : undefined;
}

/** A request body as a paging key; a body JSON cannot serialise (too deep, a cycle) is the server's fault. */
function bodyKey(req: PageRequest, what: string): string {
  let text: string;
  try {
    text = JSON.stringify(req.body ?? null);
  } catch (err) {
    throw new EoFetchError(
      'INVALID_RESPONSE',
      `${what}: the body of the request to ${redactUrl(req.url)} cannot be serialised (${(err as Error)?.message})`,
    );
  }
  // `merge: true` links add to the body page after page: a server growing it by 1 MiB a page filled the heap
  if (text.length > MAX_REQUEST_BODY_CHARS)
    throw new EoFetchError(
      'INVALID_RESPONSE',
      `${what}: the body of the request to ${redactUrl(req.url)} is ${text.length} characters long (next links with merge: true add to it page after page), more than the ${MAX_REQUEST_BODY_CHARS} a search body may have`,
    );
  // the paging guard keeps one key per page: a hash, not the body itself
  return `${text.length}:${stringHash(text)}`;
}

/** Longest request body sent while paging (a search body with a detailed AOI polygon is tens of KB). */
const MAX_REQUEST_BODY_CHARS = 4 * 1024 * 1024;

/** A 53-bit hash of `text` (cyrb53): page keys of different bodies never meet in practice. */
function stringHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Deepest nesting of a `next` link's body taken (a search body nests CQL2 filters a few levels, not 64). */
const MAX_NEXT_BODY_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `max` levels deep (an iterative walk: no stack to overflow). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The request for the page after `page`, or undefined on the last page.
 * A `rel=next` link (GET href, or POST with its body, merged into the
 * previous body when `merge` is true) or, without one, SentinelHub's `context.next` token added to the body.
 *
 * @internal exported for tests and for the SentinelHub Catalog client
 */
export function nextRequest(page: StacItemCollection, prev: PageRequest): PageRequest | undefined {
  checkObject('nextRequest', 'page', page);
  checkObject('nextRequest', 'prev', prev);
  checkString('nextRequest', 'prev.url', prev.url);
  const link: StacLink | undefined = Array.isArray(page.links)
    ? page.links.find((l) => l && l.rel === 'next')
    : undefined;
  if (link) {
    const at = `${redactUrl(prev.url)} (links[${(page.links as unknown[]).indexOf(link)}])`;
    if (typeof link.href !== 'string' || link.href === '')
      throw new EoFetchError(
        'INVALID_RESPONSE',
        `next link href ${quoted(link.href)} from ${at} is not a string`,
      );
    if (link.method !== undefined && typeof link.method !== 'string')
      throw new EoFetchError(
        'INVALID_RESPONSE',
        `next link method ${quoted(link.method)} from ${at} is not a string`,
      );
    let url: string;
    try {
      url = new URL(link.href, prev.url).toString();
    } catch (err) {
      throw new EoFetchError('INVALID_RESPONSE', `next link ${quoted(link.href)} from ${at} is not a URL`, {
        cause: err,
      });
    }
    if (!/^https?:/.test(url))
      throw new EoFetchError('INVALID_RESPONSE', `next link ${quoted(link.href)} from ${at} is not http(s)`);
    if (
      link.body !== undefined &&
      (typeof link.body !== 'object' || link.body === null || Array.isArray(link.body))
    )
      throw new EoFetchError('INVALID_RESPONSE', `next link body from ${at} is not an object`);
    // the body is serialised (paging guard, request): JSON.stringify recurses, and 200,000 nested arrays (400 KB)
    // overflow its stack with a plain RangeError
    if (nestedDeeperThan(link.body, MAX_NEXT_BODY_DEPTH))
      throw new EoFetchError(
        'INVALID_RESPONSE',
        `next link body from ${at} is nested more than ${MAX_NEXT_BODY_DEPTH} levels deep; not a search body`,
      );
    const method = String(link.method ?? 'GET').toUpperCase();
    const headers = linkHeaders(link.headers, prev.url);
    if (method === 'POST') {
      const body = link.merge ? { ...prev.body, ...link.body } : (link.body ?? prev.body);
      return { url, method: 'POST', body, ...(headers ? { headers } : {}) };
    }
    if (method !== 'GET')
      throw new EoFetchError('INVALID_RESPONSE', `next link from ${at} uses method ${quoted(link.method)}`);
    return { url, method: 'GET', ...(headers ? { headers } : {}) };
  }
  const context: unknown = page.context;
  const token = context && typeof context === 'object' ? (context as { next?: unknown }).next : undefined;
  if (token === undefined || token === null || prev.method !== 'POST') return undefined;
  // a paging token goes back to the server as is: only a short string or an integer is one
  if (!(typeof token === 'string' && token.length <= 4096) && !Number.isSafeInteger(token))
    throw new EoFetchError(
      'INVALID_RESPONSE',
      `context.next ${quoted(token)} from ${redactUrl(prev.url)} is not a paging token (string or integer)`,
    );
  return { ...prev, body: { ...prev.body, next: token } };
}
