// A STAC API client: Item Search by POST or GET with the query/filter/fields/sort extensions, paging through
// `next` links (POST body merge and GET href variants, plus SentinelHub's `context.next`), async iteration with a
// max-items cap, and typed collections/items. Browser-safe.
import { EoFetchError } from '../errors.js';
import { type FetchLike, requestJson } from '../http/request-json.js';
import type { RetryPolicy } from '../http/retry.js';
import type {
  StacCollection,
  StacDatetime,
  StacItem,
  StacItemCollection,
  StacLink,
  StacSearchParams,
} from './stac-types.js';

/** Options of {@link StacClient}. */
export interface StacClientOptions {
  fetch?: FetchLike;
  /** Headers sent with every request (e.g. an API key). */
  headers?: Record<string, string>;
  retry?: Partial<RetryPolicy>;
  /** Path of the search endpoint relative to the root (default `search`). */
  searchPath?: string;
}

/** Options of one search. */
export interface StacSearchOptions {
  /** `POST` (default) sends JSON; `GET` encodes the parameters in the query string. */
  method?: 'POST' | 'GET';
  /** Stop after this many items in total. */
  maxItems?: number;
  /** Stop after this many pages. */
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * Formats a datetime parameter: Dates become RFC 3339 UTC, intervals `start/end` with `..` for open ends.
 *
 * @param dt - string, Date or `[start, end]`
 * @returns the STAC `datetime` string
 * @example
 * ```ts
 * formatStacDatetime([new Date('2017-01-01T00:00:00Z'), null]); // '2017-01-01T00:00:00Z/..'
 * ```
 */
export function formatStacDatetime(dt: StacDatetime): string {
  const one = (d: Date | string | null): string => {
    if (d === null || d === '') return '..';
    if (d instanceof Date) {
      if (Number.isNaN(d.getTime()))
        throw new EoFetchError('INVALID_ARGUMENT', 'datetime holds an invalid Date');
      return d.toISOString().replace('.000Z', 'Z');
    }
    return d;
  };
  if (Array.isArray(dt)) return `${one(dt[0])}/${one(dt[1])}`;
  return one(dt);
}

/**
 * Turns search parameters into the JSON body of `POST /search` (datetime formatted, `filter-lang` set).
 *
 * @param params - search parameters
 * @returns the request body
 */
export function searchBody(params: StacSearchParams): Record<string, unknown> {
  const { filterLang, datetime, ...rest } = params;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) body[k] = v;
  if (datetime !== undefined) body.datetime = formatStacDatetime(datetime);
  if (params.filter !== undefined)
    body['filter-lang'] = filterLang ?? (typeof params.filter === 'string' ? 'cql2-text' : 'cql2-json');
  return body;
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

/**
 * A STAC API client.
 *
 * @example
 * ```ts
 * const stac = new StacClient('https://earth-search.aws.element84.com/v1');
 * for await (const item of stac.items({ collections: ['sentinel-2-l2a'], bbox: [2.1, 48.8, 2.2, 48.9],
 *   datetime: ['2023-01-01T00:00:00Z', '2023-02-01T00:00:00Z'], filter: 'eo:cloud_cover < 20' }, { maxItems: 50 })) {
 *   console.log(item.id, item.properties['eo:cloud_cover']);
 * }
 * ```
 */
export class StacClient {
  /** Root URL with a trailing slash. */
  readonly url: string;
  private readonly opts: StacClientOptions;

  /**
   * @param url - root of the STAC API (e.g. `https://earth-search.aws.element84.com/v1`)
   * @param options - fetch, headers, retry policy
   */
  constructor(url: string, options: StacClientOptions = {}) {
    if (!/^https?:\/\//i.test(url))
      throw new EoFetchError('INVALID_ARGUMENT', `STAC API url must be http(s), got ${JSON.stringify(url)}`);
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.opts = options;
  }

  private get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return requestJson<T>(
      new URL(path, this.url).toString(),
      { headers: this.opts.headers },
      this.reqOpts(signal),
    );
  }

  private reqOpts(signal?: AbortSignal) {
    return { fetch: this.opts.fetch, retry: this.opts.retry, signal };
  }

  /** The landing page. @returns the root catalog JSON */
  root(signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.get('./', signal);
  }

  /** Conformance classes (`/conformance`). @returns the list of conformance URIs */
  async conformance(signal?: AbortSignal): Promise<string[]> {
    return (await this.get<{ conformsTo: string[] }>('conformance', signal)).conformsTo ?? [];
  }

  /** All collections (`/collections`). @returns collection documents */
  async collections(signal?: AbortSignal): Promise<StacCollection[]> {
    return (await this.get<{ collections: StacCollection[] }>('collections', signal)).collections ?? [];
  }

  /** One collection. @param id - collection id @returns its document */
  collection(id: string, signal?: AbortSignal): Promise<StacCollection> {
    return this.get(`collections/${encodeURIComponent(id)}`, signal);
  }

  /** One item. @param collection - collection id @param id - item id @returns the item */
  item(collection: string, id: string, signal?: AbortSignal): Promise<StacItem> {
    return this.get(`collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}`, signal);
  }

  /**
   * Pages of an Item Search, following `next` links until none is left (or `maxPages`/`maxItems`).
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns an async iterable of pages
   * @throws {@link EoFetchError} `INVALID_RESPONSE` when a server repeats the same page request forever
   */
  async *pages(
    params: StacSearchParams,
    options: StacSearchOptions = {},
  ): AsyncGenerator<StacItemCollection> {
    const method = options.method ?? 'POST';
    const searchUrl = new URL(this.opts.searchPath ?? 'search', this.url).toString();
    let req: PageRequest | undefined =
      method === 'POST'
        ? { url: searchUrl, method, body: searchBody(params) }
        : { url: `${searchUrl}?${searchQuery(params)}`, method };
    const seen = new Set<string>();
    let items = 0;
    let pages = 0;
    while (req) {
      const key = `${req.method} ${req.url} ${JSON.stringify(req.body ?? null)}`;
      if (seen.has(key))
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `STAC server returned a next link to a page already read (${req.method} ${req.url})`,
        );
      seen.add(key);
      const page: StacItemCollection = await requestJson<StacItemCollection>(
        req.url,
        { method: req.method, headers: { ...this.opts.headers, ...req.headers }, body: req.body },
        this.reqOpts(options.signal),
      );
      if (!page || !Array.isArray(page.features))
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `STAC search at ${req.url} did not return a FeatureCollection`,
        );
      pages++;
      items += page.features.length;
      yield page;
      if (page.features.length === 0) break;
      if (options.maxItems !== undefined && items >= options.maxItems) break;
      if (options.maxPages !== undefined && pages >= options.maxPages) break;
      req = nextRequest(page, req);
    }
  }

  /**
   * Items of an Item Search across pages, at most `maxItems`.
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns an async iterable of items
   */
  async *items(params: StacSearchParams, options: StacSearchOptions = {}): AsyncGenerator<StacItem> {
    let n = 0;
    for await (const page of this.pages(params, options)) {
      for (const item of page.features) {
        if (options.maxItems !== undefined && n >= options.maxItems) return;
        n++;
        yield item;
      }
    }
  }

  /**
   * Collects {@link StacClient.items} into an array.
   *
   * @param params - search parameters
   * @param options - method, caps, signal
   * @returns the items
   */
  async search(params: StacSearchParams, options: StacSearchOptions = {}): Promise<StacItem[]> {
    const out: StacItem[] = [];
    for await (const item of this.items(params, options)) out.push(item);
    return out;
  }
}

/**
 * The request for the page after `page`, or undefined on the last page.
 * A `rel=next` link (GET href, or POST with its body, merged into the
 * previous body when `merge` is true) or, without one, SentinelHub's `context.next` token added to the body.
 *
 * @internal exported for tests and for the SentinelHub Catalog client
 */
export function nextRequest(page: StacItemCollection, prev: PageRequest): PageRequest | undefined {
  const link: StacLink | undefined = page.links?.find((l) => l.rel === 'next');
  if (link) {
    const url = new URL(link.href, prev.url).toString();
    const method = (link.method ?? 'GET').toUpperCase();
    if (method === 'POST') {
      const body = link.merge ? { ...prev.body, ...link.body } : (link.body ?? prev.body);
      return { url, method: 'POST', body, headers: link.headers };
    }
    return { url, method: 'GET', headers: link.headers };
  }
  const token = page.context?.next;
  if (token !== undefined && token !== null && prev.method === 'POST')
    return { ...prev, body: { ...prev.body, next: token } };
  return undefined;
}
