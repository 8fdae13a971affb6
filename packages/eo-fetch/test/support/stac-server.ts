// A minimal STAC API on 127.0.0.1: landing page, conformance, collections, items, POST/GET /search with the
// query extension (eo:cloud_cover), bbox, datetime, ids and limit, paging in one of four styles, and static
// files (COGs) with HTTP Range support. Every request is recorded for assertions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StacItem } from '../../src/index.js';

export type PagingStyle = 'post-merge' | 'post-replace' | 'get' | 'context';

export interface RecordedRequest {
  method: string;
  url: string;
  body: any;
  headers: IncomingMessage['headers'];
}

export interface StacServer {
  url: string;
  requests: RecordedRequest[];
  paging: PagingStyle;
  items: StacItem[];
  /** Static files by path (e.g. `/data/x.tif`). */
  files: Map<string, Uint8Array>;
  /** Range requests served per file path. */
  rangeHits: Map<string, number>;
  /** Body bytes served per file path. */
  bytesServed: Map<string, number>;
  tokenRequests: number;
  /** What the landing page declares (default: item search with filter, query, sort and fields). */
  conformsTo: string[];
  /**
   * Faults of the next file requests, one per request: a status, `cut` (a 206 with its full Content-Length,
   * half the body, then the connection drops) or `short` (a consistent but short 206: Content-Range promises
   * more bytes than Content-Length delivers) or `stall` (206 headers, then silence until the client gives up).
   */
  fileFaults: (number | 'cut' | 'short' | 'stall')[];
  /** File requests answered with a `stall` fault so far. */
  stalls: number;
  /** Optional SAS check: file requests must carry this query string fragment. */
  requireQuery?: string;
  close(): Promise<void>;
}

const bboxOf = (item: StacItem) => item.bbox as number[];
const intersects = (a: number[], b: number[]) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

function filterItems(items: StacItem[], p: any): StacItem[] {
  return items.filter((it) => {
    if (p.collections && !p.collections.includes(it.collection)) return false;
    if (p.ids && !p.ids.includes(it.id)) return false;
    if (p.bbox && !intersects(bboxOf(it), p.bbox)) return false;
    if (p.datetime) {
      const [a, b] = String(p.datetime).split('/');
      const t = Date.parse(it.properties.datetime!);
      if (b === undefined) {
        if (t !== Date.parse(a)) return false;
      } else {
        if (a !== '..' && t < Date.parse(a)) return false;
        if (b !== '..' && t > Date.parse(b)) return false;
      }
    }
    const cc = p.query?.['eo:cloud_cover'];
    if (cc?.lt !== undefined && !(it.properties['eo:cloud_cover']! < cc.lt)) return false;
    if (cc?.lte !== undefined && !(it.properties['eo:cloud_cover']! <= cc.lte)) return false;
    return true;
  });
}

function parseGetParams(q: URLSearchParams): any {
  const p: any = {};
  for (const [k, v] of q) {
    if (k === 'collections' || k === 'ids') p[k] = v.split(',');
    else if (k === 'bbox') p.bbox = v.split(',').map(Number);
    else if (k === 'limit') p.limit = Number(v);
    else if (k === 'query' || k === 'intersects') p[k] = JSON.parse(v);
    else p[k] = v;
  }
  return p;
}

export async function startStacServer(
  items: StacItem[],
  paging: PagingStyle = 'post-merge',
): Promise<StacServer> {
  const state: StacServer = {
    url: '',
    requests: [],
    paging,
    items,
    files: new Map(),
    rangeHits: new Map(),
    bytesServed: new Map(),
    fileFaults: [],
    stalls: 0,
    tokenRequests: 0,
    conformsTo: [
      'core',
      'item-search',
      'item-search#filter',
      'item-search#query',
      'item-search#sort',
      'item-search#fields',
    ].map((c) => `https://api.stacspec.org/v1.0.0/${c}`),
    close: async () => {},
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', state.url);
    const body = raw ? JSON.parse(raw) : undefined;
    state.requests.push({ method: req.method!, url: req.url!, body, headers: req.headers });
    const path = url.pathname;
    if (path.startsWith('/data/')) return serveFile(req, res, path, url);
    const sas = /^\/api\/sas\/v1\/token\/(.+)$/.exec(path);
    if (sas) {
      state.tokenRequests++;
      return json(res, 200, {
        token: `sv=2021&se=x&sig=test-${sas[1]}`,
        'msft:expiry': new Date(Date.now() + 3_600_000).toISOString(),
      });
    }
    if (path === '/')
      return json(res, 200, {
        type: 'Catalog',
        id: 'test',
        conformsTo: state.conformsTo,
        links: [{ rel: 'search', href: `${state.url}/search` }],
      });
    if (path === '/conformance')
      return json(res, 200, { conformsTo: ['https://api.stacspec.org/v1.0.0/item-search'] });
    if (path === '/collections') {
      const ids = [...new Set(state.items.map((i) => i.collection))];
      return json(res, 200, { collections: ids.map((id) => ({ type: 'Collection', id })) });
    }
    let m = /^\/collections\/([^/]+)\/items\/([^/]+)$/.exec(path);
    if (m) {
      const it = state.items.find((i) => i.collection === m![1] && i.id === decodeURIComponent(m![2]));
      return it ? json(res, 200, it) : json(res, 404, { code: 'NotFound', description: 'no such item' });
    }
    m = /^\/collections\/([^/]+)$/.exec(path);
    if (m) return json(res, 200, { type: 'Collection', id: m[1] });
    if (path === '/search') {
      const params = req.method === 'POST' ? body : parseGetParams(url.searchParams);
      const token = Number(
        (req.method === 'POST' ? (body.token ?? body.next) : url.searchParams.get('token')) ?? 0,
      );
      const limit = params.limit ?? 10;
      const all = filterItems(state.items, params);
      const features = all.slice(token, token + limit);
      const more = token + limit < all.length;
      const next = token + limit;
      const links: any[] = [];
      const page: any = {
        type: 'FeatureCollection',
        features,
        numberMatched: all.length,
        numberReturned: features.length,
        links,
      };
      if (more) {
        if (state.paging === 'post-merge')
          links.push({
            rel: 'next',
            href: `${state.url}/search`,
            method: 'POST',
            body: { token: next },
            merge: true,
          });
        else if (state.paging === 'post-replace')
          links.push({
            rel: 'next',
            href: `${state.url}/search`,
            method: 'POST',
            body: { ...params, token: next },
          });
        else if (state.paging === 'get') {
          const q = new URLSearchParams(url.search);
          q.set('token', String(next));
          links.push({ rel: 'next', href: `/search?${q}`, type: 'application/geo+json' }); // relative href
        } else page.context = { next, limit, returned: features.length };
      }
      return json(res, 200, page);
    }
    json(res, 404, { description: `no route ${path}` });
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => {
    const data = state.files.get(path);
    if (!data) return json(res, 404, { description: 'no file' });
    const fault = state.fileFaults.shift();
    if (typeof fault === 'number') return json(res, fault, { description: 'injected fault' });
    if (state.requireQuery && !url.search.includes(state.requireQuery))
      return json(res, 403, { description: 'AuthenticationFailed' });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const served = (n: number) => state.bytesServed.set(path, (state.bytesServed.get(path) ?? 0) + n);
    if (!range) {
      served(data.length);
      res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' });
      return res.end(data);
    }
    state.rangeHits.set(path, (state.rangeHits.get(path) ?? 0) + 1);
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
    if (start >= data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      return res.end();
    }
    if (fault === 'stall') {
      state.stalls++;
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${data.length}`,
        'content-length': end - start + 1,
      });
      res.flushHeaders();
      return;
    }
    if (fault === 'cut' || fault === 'short') {
      const half = data.subarray(start, start + ((end - start + 1) >> 1));
      const length = fault === 'cut' ? end - start + 1 : half.length;
      res.socket!.write(
        `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${end}/${data.length}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`,
      );
      res.socket!.end(half);
      return;
    }
    served(end - start + 1);
    res.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${data.length}`,
      'content-length': end - start + 1,
    });
    res.end(data.subarray(start, end + 1));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, { description: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

/** A Sentinel-2-like item over `bbox`. */
export function makeItem(
  id: string,
  datetime: string,
  cloud: number,
  bbox: number[],
  extra: { collection?: string; properties?: Record<string, unknown>; assets?: StacItem['assets'] } = {},
): StacItem {
  const [w, s, e, n] = bbox;
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    id,
    collection: extra.collection ?? 'sentinel-2-l2a',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [w, s],
          [e, s],
          [e, n],
          [w, n],
          [w, s],
        ],
      ],
    },
    bbox,
    properties: { datetime, 'eo:cloud_cover': cloud, platform: 'sentinel-2a', ...extra.properties },
    assets: extra.assets ?? {},
    links: [],
  };
}
