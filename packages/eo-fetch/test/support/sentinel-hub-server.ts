// A SentinelHub-compatible server on 127.0.0.1: OAuth client-credentials token endpoint, Catalog search
// (context.next), dataimport search (links.next), Process API answering real TIFFs (raster-io encoder) shaped
// by the evalscript, quotas and orders (list with viewtoken paging, create, confirm).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeGeoTiff } from '@worldstrat/raster-io';
import type { SentinelHubOrder, SpotFeature, StacItem } from '../../src/index.js';

export interface ShServer {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Seconds of validity of issued tokens. */
  expiresIn: number;
  /** Echo the submitted secret in token errors (a careless server; the client must scrub it). */
  echoSecret: boolean;
  tokensIssued: number;
  validTokens: Set<string>;
  catalogItems: StacItem[];
  spotFeatures: SpotFeature[];
  orders: SentinelHubOrder[];
  collections: { id: string; name: string; s3Bucket: string }[];
  /**
   * Process faults consumed one per request: an HTTP status, `reset` (destroy the socket), `garbage` (a 200
   * that is no TIFF) or `echo-auth` (a 400, not retried, whose body quotes the request's Authorization header).
   */
  processFaults: (number | 'reset' | 'garbage' | 'echo-auth')[];
  /** Drop the connection after creating the next order (the client never sees the answer). */
  dropNextCreateResponse: boolean;
  /**
   * Milliseconds to hold answers (off by default): `listOrders` before answering `GET /orders` (widens the
   * window in which racing clients see no order), `createOrder` after recording a new order and before
   * answering (a client killed meanwhile leaves the order behind).
   */
  orderDelaysMs?: { listOrders?: number; createOrder?: number };
  requests: { method: string; path: string; body: any; auth?: string }[];
  /**
   * Order lifecycle over polls (off by default: a confirmed order stays RUNNING): a RUNNING order becomes DONE
   * after `pollsToDone` reads of `GET /orders/{id}`, or FAILED when its name is in `failNames`.
   */
  orderLifecycle?: { pollsToDone: number; failNames?: { has(name: string): boolean } };
  /**
   * Process requests on a `byoc-*` collection answer SPOT-like 12-bit DNs (off by default: the generic ramp):
   * RGBN band b = 600 + 400·b + (3x + 5y) mod 1500, PAN = 900 + (2x + 3y) mod 2500.
   */
  spotImagery?: boolean;
  close(): Promise<void>;
}

/** A `cql2-text` filter on `eo:cloud_cover` as a predicate, undefined without one, `bad` when unparsable. */
function catalogFilter(body: any): ((cloud: unknown) => boolean) | undefined | 'bad' {
  if (body.filter === undefined) return undefined;
  if (body['filter-lang'] !== undefined && body['filter-lang'] !== 'cql2-text') return 'bad';
  const m = /^\s*eo:cloud_cover\s*(<=|>=|<|>|=)\s*(-?[\d.]+(?:E[-+]?\d+)?)\s*$/i.exec(String(body.filter));
  if (!m) return 'bad';
  const x = Number(m[2]);
  const test = {
    '<': (c: number) => c < x,
    '<=': (c: number) => c <= x,
    '>': (c: number) => c > x,
    '>=': (c: number) => c >= x,
    '=': (c: number) => c === x,
  }[m[1] as '<' | '<=' | '>' | '>=' | '='];
  // an item without a cloud cover does not satisfy a comparison on it (CQL2: null is not comparable)
  return (cloud) => typeof cloud === 'number' && test(cloud);
}

const holdFor = (ms: number | undefined) =>
  ms ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

export async function startShServer(): Promise<ShServer> {
  const s: ShServer = {
    url: '',
    clientId: 'client-id-123',
    clientSecret: 'very-secret-value-xyz',
    expiresIn: 3600,
    echoSecret: false,
    tokensIssued: 0,
    validTokens: new Set(),
    catalogItems: [],
    spotFeatures: [],
    orders: [],
    collections: [],
    processFaults: [],
    dropNextCreateResponse: false,
    requests: [],
    close: async () => {},
  };
  const orderPolls = new Map<string, number>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', s.url);
    const path = url.pathname;
    const isForm = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
    const body = raw ? (isForm ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw)) : undefined;
    s.requests.push({
      method: req.method!,
      path: `${path}${url.search}`,
      body,
      auth: req.headers.authorization,
    });
    if (path === '/oauth/token') {
      if (body?.grant_type !== 'client_credentials')
        return json(res, 400, { error: 'unsupported_grant_type' });
      if (body.client_id !== s.clientId || body.client_secret !== s.clientSecret)
        return json(res, 401, {
          error: 'invalid_client',
          error_description: s.echoSecret
            ? `bad secret ${body.client_secret} for ${body.client_id}`
            : 'Invalid client',
        });
      const token = `tok-${++s.tokensIssued}`;
      s.validTokens.add(token);
      return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: s.expiresIn });
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!s.validTokens.has(token))
      return json(res, 401, { error: { status: 401, reason: 'Unauthorized', message: 'invalid token' } });

    if (path === '/api/v1/catalog/1.0.0/search' && req.method === 'POST') {
      // Catalog 1.0.0 dropped the `query` extension for CQL2 `filter` (text here, `eo:cloud_cover <op> <n>`)
      if (body.query !== undefined)
        return json(res, 400, { error: { status: 400, message: 'query is not supported; use filter' } });
      const cloud = catalogFilter(body);
      if (cloud === 'bad')
        return json(res, 400, { error: { status: 400, message: `cannot parse filter ${body.filter}` } });
      const start = Number(body.next ?? 0);
      const limit = body.limit ?? 10;
      const matching = s.catalogItems.filter(
        (i) =>
          (!body.collections || body.collections.includes(i.collection)) &&
          (!cloud || cloud(i.properties['eo:cloud_cover'])),
      );
      const features = matching.slice(start, start + limit);
      const ctx: any = { limit, returned: features.length };
      if (start + limit < matching.length) ctx.next = start + limit;
      return json(res, 200, { type: 'FeatureCollection', features, links: [], context: ctx });
    }
    if (path === '/api/v1/dataimport/search' && req.method === 'POST') {
      const page = Number(url.searchParams.get('page') ?? 0);
      const per = 2;
      const features = s.spotFeatures.slice(page * per, page * per + per);
      const links: any = {};
      if ((page + 1) * per < s.spotFeatures.length)
        links.next = `${s.url}/api/v1/dataimport/search?page=${page + 1}`;
      return json(res, 200, { type: 'FeatureCollection', features, links });
    }
    if (path === '/api/v1/process' && req.method === 'POST') {
      const fault = s.processFaults.shift();
      if (fault === 'reset') return req.socket.destroy();
      if (fault === 'echo-auth')
        return json(res, 400, {
          error: { status: 400, message: `backend rejected ${req.headers.authorization}` },
        });
      if (fault === 'garbage') {
        // a 200 with a consistent Content-Length but a body that is not a TIFF
        const junk = Buffer.from('II*\0 this is not really a tiff, just bytes that look like one at first');
        res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': junk.length });
        return res.end(junk);
      }
      if (typeof fault === 'number')
        return json(res, fault, { error: { status: fault, message: 'injected' } });
      const { width, height } = body.output;
      const script: string = body.evalscript;
      const bands = Number(/bands:\s*(\d+)/.exec(script.slice(script.indexOf('output')))?.[1] ?? 1);
      const sample = /sampleType:\s*"(\w+)"/.exec(script)?.[1] ?? 'FLOAT32';
      const dtype = sample === 'UINT8' ? 'uint8' : sample === 'UINT16' ? 'uint16' : 'float32';
      const n = width * height;
      const arr = () =>
        dtype === 'uint8' ? new Uint8Array(n) : dtype === 'uint16' ? new Uint16Array(n) : new Float32Array(n);
      const byoc = String(body.input.data?.[0]?.type ?? '').startsWith('byoc-');
      const data = Array.from({ length: bands }, (_, b) => {
        const a = arr();
        if (s.spotImagery && byoc && dtype === 'uint16')
          for (let i = 0; i < n; i++) {
            const x = i % width;
            const y = Math.floor(i / width);
            a[i] = bands === 1 ? 900 + ((2 * x + 3 * y) % 2500) : 600 + 400 * b + ((3 * x + 5 * y) % 1500);
          }
        else
          for (let i = 0; i < n; i++)
            a[i] = dtype === 'float32' ? 0.01 * (b + 1) + i / n / 10 : (b + i) % 200;
        return a;
      });
      const [w, so, e, no] = body.input.bounds.bbox;
      const tiff = encodeGeoTiff({
        width,
        height,
        dtype,
        bands: data,
        geo: { epsg: 4326, transform: [w, (e - w) / width, 0, no, 0, -(no - so) / height] },
      });
      res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': tiff.length });
      return res.end(tiff);
    }
    if (path === '/api/v1/byoc/collections' && req.method === 'GET') {
      const start = Number(url.searchParams.get('viewtoken') ?? 0);
      const links: any = {};
      if (start + 2 < s.collections.length) links.nextToken = String(start + 2);
      return json(res, 200, { data: s.collections.slice(start, start + 2), links });
    }
    if (path === '/api/v1/byoc/collections' && req.method === 'POST') {
      const c = { id: `byoc-${s.collections.length + 1}`, name: body.name, s3Bucket: body.s3Bucket };
      s.collections.push(c);
      return json(res, 201, { data: c });
    }
    if (path === '/api/v1/dataimport/quotas')
      return json(res, 200, { data: [{ collectionId: 'col-1', quotaSqkm: 1000, quotaUsed: 250 }] });
    if (path === '/api/v1/dataimport/orders' && req.method === 'GET') {
      const status = url.searchParams.get('status');
      const list = s.orders.filter(
        (o) =>
          (!status || o.status === status) &&
          (!url.searchParams.get('collectionId') || o.collectionId === url.searchParams.get('collectionId')),
      );
      await holdFor(s.orderDelaysMs?.listOrders); // answers what was there before the wait
      const start = Number(url.searchParams.get('viewtoken') ?? 0);
      const per = 2;
      const links: any = {};
      if (start + per < list.length) links.nextToken = String(start + per);
      return json(res, 200, { data: list.slice(start, start + per), links });
    }
    if (path === '/api/v1/dataimport/orders' && req.method === 'POST') {
      if (!body?.input?.data?.[0]?.products?.length)
        return json(res, 400, { error: { status: 400, message: { message: 'No products given' } } });
      const order: SentinelHubOrder = {
        id: `order-${s.orders.length + 1}`,
        name: body.name,
        collectionId: body.collectionId,
        status: 'CREATED',
        sqkm: 2.5,
        created: new Date().toISOString(),
        input: body.input,
      };
      s.orders.push(order);
      await holdFor(s.orderDelaysMs?.createOrder);
      if (s.dropNextCreateResponse) {
        s.dropNextCreateResponse = false;
        return req.socket.destroy();
      }
      return json(res, 201, order);
    }
    let m = /^\/api\/v1\/dataimport\/orders\/([^/]+)\/confirm$/.exec(path);
    if (m && req.method === 'POST') {
      const o = s.orders.find((x) => x.id === m![1]);
      if (!o) return json(res, 404, { error: { message: 'no order' } });
      o.status = 'RUNNING';
      return json(res, 200, o);
    }
    m = /^\/api\/v1\/dataimport\/orders\/([^/]+)$/.exec(path);
    if (m) {
      const o = s.orders.find((x) => x.id === m![1]);
      if (o && s.orderLifecycle && o.status === 'RUNNING') {
        const polls = (orderPolls.get(o.id) ?? 0) + 1;
        orderPolls.set(o.id, polls);
        if (s.orderLifecycle.failNames?.has(o.name)) o.status = 'FAILED';
        else if (polls >= s.orderLifecycle.pollsToDone) o.status = 'DONE';
      }
      return o ? json(res, 200, o) : json(res, 404, { error: { message: 'no order' } });
    }
    json(res, 404, { error: { message: `no route ${path}` } });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, { error: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return s;
}
