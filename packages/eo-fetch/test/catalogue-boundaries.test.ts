// Hostile catalogues: endless and looping paging, off-origin next links, error bodies echoing secrets, absurd
// items, unknown cloud cover, oversized AOIs and responses, and datetime normalisation.
import { afterEach, describe, expect, it } from 'vitest';
import {
  aoiPixelSize,
  bandAsset,
  type CatalogueEntry,
  catalogueEntriesFromStacItems,
  catalogueEntryFromSpotFeature,
  createPlanetaryComputerSigner,
  EoFetchError,
  earthSearch,
  matchRevisits,
  revisitsToCsv,
  revisitsToTable,
  SentinelHubClient,
  StacClient,
  type StacItem,
} from '../src/index.js';
import { searchBody } from '../src/stac/stac-client.js';
import { formatStacDatetime } from '../src/stac/stac-datetime.js';
import { validateStacItem } from '../src/stac/validate-item.js';
import { type ReplayRequest, type ReplayServer, startReplayServer } from './support/replay-server.js';
import { makeItem } from './support/stac-server.js';

const servers: ReplayServer[] = [];
const start = async (...args: Parameters<typeof startReplayServer>) => {
  const s = await startReplayServer(...args);
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const item = (i: number) => makeItem(`IT_${i}`, '2023-06-01T10:00:00Z', 5, [0, 0, 1, 1]);
const page = (features: unknown[], links: unknown[] = [], extra = {}) => ({
  body: { type: 'FeatureCollection', features, links, ...extra },
});
const fail = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(EoFetchError);
  return err as EoFetchError;
};
const drain = async (it: AsyncIterable<unknown>) => {
  for await (const _ of it);
};

describe('STAC paging bounds', () => {
  it('stops a catalogue that keeps inventing next links at the page cap, with a typed error', async () => {
    const s = await start([
      {
        method: 'GET',
        path: '/search',
        reply: (r) => {
          const n = Number(r.query.get('page') ?? 0);
          return page([item(n)], [{ rel: 'next', href: `/search?page=${n + 1}` }]);
        },
      },
    ]);
    const client = new StacClient(s.url, { pageLimit: 25 });
    const err = await fail(client.search({}, { method: 'GET' }));
    expect(err.code).toBe('PAGE_LIMIT');
    expect(err.message).toMatch(/25 requests/);
    expect(s.requests).toHaveLength(25);
    // a caller's own cap ends the same endless catalogue quietly, with exactly maxItems items
    s.requests.length = 0;
    const got = await client.search({}, { method: 'GET', maxItems: 7 });
    expect(got.map((i) => i.id)).toEqual(['IT_0', 'IT_1', 'IT_2', 'IT_3', 'IT_4', 'IT_5', 'IT_6']);
    expect(s.requests).toHaveLength(7);
    // and the item cap catches big pages before the page cap does
    const big = new StacClient(s.url, { itemLimit: 10 });
    expect((await fail(big.search({}, { method: 'GET' }))).code).toBe('PAGE_LIMIT');
  });

  it('detects a next link back to a page already read', async () => {
    const s = await start([
      {
        method: 'POST',
        path: '/search',
        reply: (r) =>
          page(
            [item(r.body.token ?? 0)],
            [{ rel: 'next', href: '/search', method: 'POST', body: { token: 1 }, merge: true }],
          ),
      },
    ]);
    const err = await fail(new StacClient(s.url).search({ limit: 1 }));
    expect(err.code).toBe('PAGING_LOOP');
    expect(s.requests).toHaveLength(2);
  });

  it('next links differing only by #fragment are the same request (PAGING_LOOP, not PAGE_LIMIT)', async () => {
    let n = 0;
    const s = await start([
      {
        method: 'GET',
        path: '/search',
        reply: () => page([item(n)], [{ rel: 'next', href: `/search?page=1#${++n}` }]),
      },
    ]);
    const err = await fail(new StacClient(s.url).search({ limit: 1 }, { method: 'GET' }));
    expect(err.code).toBe('PAGING_LOOP');
    expect(s.requests).toHaveLength(2);
  });

  it('a next link header HTTP cannot send is INVALID_RESPONSE at once, not a network failure retried', async () => {
    for (const headers of [{ 'x-page': 'a\r\nb' }, { 'x-page': 'a\u0000b' }, { 'bad name ': 'v' }]) {
      const s = await start([
        {
          method: 'POST',
          path: '/search',
          reply: () =>
            page([item(0)], [{ rel: 'next', href: '/search', method: 'POST', body: { t: 1 }, headers }]),
        },
      ]);
      const err = await fail(new StacClient(s.url).search({ limit: 1 }));
      expect(err.code, JSON.stringify(headers)).toBe('INVALID_RESPONSE');
      expect(err.message).toContain('is not a header name and value HTTP can send');
      expect(s.requests).toHaveLength(1);
    }
  });

  it('yields exactly maxItems from pages(), trimming the last page', async () => {
    const s = await start([
      {
        method: 'POST',
        path: '/search',
        reply: (r) => {
          const t = r.body.token ?? 0;
          return page(
            [0, 1, 2, 3, 4].map((k) => item(t + k)),
            [{ rel: 'next', href: '/search', method: 'POST', body: { token: t + 5 }, merge: true }],
          );
        },
      },
    ]);
    const sizes: number[] = [];
    for await (const p of new StacClient(s.url).pages({ limit: 5 }, { maxItems: 7 }))
      sizes.push(p.features.length);
    expect(sizes).toEqual([5, 2]);
    expect(s.requests).toHaveLength(2);
    const client = new StacClient(s.url);
    expect((await fail(client.search({}, { maxItems: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect((await fail(client.search({}, { maxPages: 1.5 }))).code).toBe('INVALID_ARGUMENT');
  });

  it('collects a page of 150 000 items and 150 000 invalid ones (spread into push(), they overflowed the stack)', async () => {
    const minimal = (i: number) => ({
      type: 'Feature',
      stac_version: '1.0.0',
      id: `I${i}`,
      geometry: null,
      properties: { datetime: '2023-06-01T10:00:00Z' },
      assets: {},
      links: [],
    });
    const n = 150_000;
    const features = [
      ...Array.from({ length: n }, (_, i) => minimal(i)),
      ...Array.from({ length: n }, (_, i) => ({ id: `bad${i}` })),
    ];
    const s = await start([{ method: 'POST', path: '/search', reply: () => page(features) }]);
    const got = await new StacClient(s.url).itemCollection({});
    expect(got.features).toHaveLength(n);
    expect(got.features[n - 1]?.id).toBe(`I${n - 1}`);
    expect(got.invalidItems).toHaveLength(n);
  });

  it('refuses a response larger than maxResponseBytes', async () => {
    const s = await start([
      { method: 'POST', path: '/search', reply: () => page(Array.from({ length: 200 }, (_, i) => item(i))) },
    ]);
    const err = await fail(new StacClient(s.url, { maxResponseBytes: 10_000 }).search({}));
    expect(err.code).toBe('RESPONSE_TOO_LARGE');
    expect(err.message).toContain(`${s.url}/search`);
  });

  it('pages /collections, reads queryables and applies modifyRequest to every request', async () => {
    const s = await start([
      {
        method: 'GET',
        path: '/collections',
        reply: (r) =>
          r.query.get('page') === '2'
            ? { body: { collections: [{ id: 'c3' }], links: [] } }
            : {
                body: {
                  collections: [{ id: 'c1' }, { id: 'c2' }],
                  links: [{ rel: 'next', href: '/collections?page=2' }],
                },
              },
      },
      {
        method: 'GET',
        path: '/collections/c1/queryables',
        reply: () => ({ body: { type: 'object', properties: { 'eo:cloud_cover': { type: 'number' } } } }),
      },
      { method: 'GET', path: '/queryables', reply: () => ({ body: [] }) },
    ]);
    const client = new StacClient(s.url, {
      headers: { 'x-api-key': 'k1' },
      modifyRequest: (req) => {
        req.headers['x-trace'] = 'abc';
      },
    });
    expect((await client.collections()).map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect((await client.collections({ maxCollections: 2 })).map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(await client.queryables('c1')).toMatchObject({
      properties: { 'eo:cloud_cover': { type: 'number' } },
    });
    expect((await fail(client.queryables())).code).toBe('INVALID_RESPONSE');
    for (const r of s.requests) expect([r.headers['x-api-key'], r.headers['x-trace']]).toEqual(['k1', 'abc']);
  });
});

describe('conformance and next-link hygiene', () => {
  it('falls back to /conformance when the landing page has no conformsTo; a link cannot swap credentials', async () => {
    const s = await start([
      { method: 'GET', path: '/', reply: () => ({ body: { type: 'Catalog', id: 'x', links: [] } }) },
      {
        method: 'GET',
        path: '/conformance',
        reply: () => ({ body: { conformsTo: ['https://api.stacspec.org/v1.0.0/item-search#fields'] } }),
      },
      {
        method: 'POST',
        path: '/search',
        reply: (r) =>
          r.body.p === 2
            ? page([item(2)])
            : page(
                [item(1)],
                [
                  {
                    rel: 'next',
                    href: '/search',
                    method: 'POST',
                    body: { p: 2 },
                    merge: true,
                    headers: { authorization: 'Bearer EVIL', 'x-page': '2' },
                  },
                ],
              ),
      },
    ]);
    const client = new StacClient(s.url, { headers: { authorization: 'Bearer MINE' } });
    const res = await client.itemCollection({ fields: { include: ['id'] }, filter: 'x > 1' });
    expect(res.features.map((f) => f.id)).toEqual(['IT_1', 'IT_2']);
    expect(res.warnings.map((w) => w.capability)).toEqual(['filter']);
    const searches = s.requests.filter((r) => r.path === '/search');
    expect(searches.map((r) => [r.headers.authorization, r.headers['x-page']])).toEqual([
      ['Bearer MINE', undefined],
      ['Bearer MINE', '2'],
    ]);
    expect(s.requests.map((r) => r.path)).toEqual(['/', '/conformance', '/search', '/search']);
  });
});

describe('conformance without a landing page', () => {
  it('warns (and still searches) when the landing page cannot be read; errors in error mode', async () => {
    const s = await start([{ method: 'POST', path: '/search', reply: () => page([item(1)]) }]);
    const res = await new StacClient(s.url).itemCollection({ query: { 'eo:cloud_cover': { lt: 5 } } });
    expect(res.features).toHaveLength(1);
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0].message).toMatch(/could not read its conformance \(HTTP 404/);
    const strict = new StacClient(s.url, { onMissingConformance: 'error' });
    expect((await fail(strict.search({ query: {} }))).code).toBe('UNSUPPORTED_CAPABILITY');
  });
});

describe('credential scoping', () => {
  const recorder = async () => {
    const seen: ReplayRequest[] = [];
    const reply = (r: ReplayRequest) => {
      seen.push(r);
      return page([item(99)]);
    };
    const other = await start([
      { method: 'POST', path: '/search', reply },
      { method: 'GET', path: '/search', reply },
    ]);
    return { other, seen };
  };

  it('SentinelHub: a Catalog next link to another origin is refused; that origin never sees the token', async () => {
    const { other, seen } = await recorder();
    const sh = await start([
      {
        method: 'POST',
        path: '/oauth/token',
        reply: () => ({ body: { access_token: 'TOKEN-abc-123', expires_in: 3600 } }),
      },
      {
        method: 'POST',
        path: '/api/v1/catalog/1.0.0/search',
        reply: () =>
          page([item(1)], [{ rel: 'next', href: `${other.url}/search`, method: 'POST', body: { next: 5 } }]),
      },
    ]);
    const client = new SentinelHubClient({ clientId: 'cid', clientSecret: 'csecret' }, { baseUrl: sh.url });
    const got: string[] = [];
    const err = await fail(
      drain(
        (async function* () {
          for await (const it of client.catalogSearch({ collections: ['sentinel-2-l2a'] })) {
            got.push(it.id);
            yield it;
          }
        })(),
      ),
    );
    expect(err.code).toBe('CREDENTIAL_SCOPE');
    expect(err.message).toContain(new URL(other.url).origin);
    expect(got).toEqual(['IT_1']);
    expect(seen).toHaveLength(0);
    // the authenticated fetch refuses other origins outright
    expect((await fail(client.fetch(`${other.url}/search`, { method: 'POST' }))).code).toBe(
      'CREDENTIAL_SCOPE',
    );
    expect(seen).toHaveLength(0);
    // and the token went to the service only
    const catalog = sh.requests.filter((r) => r.path.startsWith('/api'));
    expect(catalog[0].headers.authorization).toBe('Bearer TOKEN-abc-123');
  });

  it('SentinelHub: the dataimport search refuses off-origin links.next', async () => {
    const { other, seen } = await recorder();
    const sh = await start([
      {
        method: 'POST',
        path: '/oauth/token',
        reply: () => ({ body: { access_token: 'TOK', expires_in: 3600 } }),
      },
      {
        method: 'POST',
        path: '/api/v1/dataimport/search',
        reply: () => ({
          body: {
            features: [
              {
                geometry: {
                  type: 'Polygon',
                  coordinates: [
                    [
                      [0, 0],
                      [1, 0],
                      [1, 1],
                      [0, 0],
                    ],
                  ],
                },
                properties: { id: 'spot-1', acquisitionDate: '2021-01-01T10:00:00Z' },
              },
            ],
            links: { next: `${other.url}/search` },
          },
        }),
      },
    ]);
    const client = new SentinelHubClient({ clientId: 'cid', clientSecret: 'csecret' }, { baseUrl: sh.url });
    const err = await fail(
      drain(client.spotSearch({ bbox: [0, 0, 1, 1], from: '2021-01-01', to: '2021-02-01' })),
    );
    expect(err.code).toBe('CREDENTIAL_SCOPE');
    expect(seen).toHaveLength(0);
  });

  it('STAC: configured headers never go to another origin; refuse mode throws instead', async () => {
    const { other, seen } = await recorder();
    const s = await start([
      {
        method: 'POST',
        path: '/search',
        reply: () =>
          page([item(1)], [{ rel: 'next', href: `${other.url}/search`, method: 'POST', body: { t: 1 } }]),
      },
    ]);
    const items = await new StacClient(s.url, { headers: { authorization: 'Bearer KEY' } }).search({});
    expect(items.map((i) => i.id)).toEqual(['IT_1', 'IT_99']);
    expect(s.requests[0].headers.authorization).toBe('Bearer KEY');
    expect(seen).toHaveLength(1);
    expect(seen[0].headers.authorization).toBeUndefined();
    const err = await fail(
      new StacClient(s.url, { headers: { authorization: 'Bearer KEY' }, offOriginLinks: 'refuse' }).search(
        {},
      ),
    );
    expect(err.code).toBe('CREDENTIAL_SCOPE');
    expect(seen).toHaveLength(1);
  });

  it('SentinelHub: error bodies echoing the token, client id and secret are scrubbed', async () => {
    const sh = await start([
      {
        method: 'POST',
        path: '/oauth/token',
        reply: () => ({ body: { access_token: 'TOKEN-echo-777', expires_in: 3600 } }),
      },
      {
        method: 'POST',
        path: '/api/v1/catalog/1.0.0/search',
        reply: (r) => ({
          status: 400,
          body: {
            error: `bad request from ${r.headers.authorization} (client cid-echo-555 / secret sec-echo-999)`,
          },
        }),
      },
      {
        method: 'GET',
        path: '/api/v1/dataimport/quotas',
        reply: (r) => ({
          status: 403,
          body: { error: `token ${r.headers.authorization} lacks the quota scope` },
        }),
      },
    ]);
    const client = new SentinelHubClient(
      { clientId: 'cid-echo-555', clientSecret: 'sec-echo-999' },
      { baseUrl: sh.url, retry: { retries: 0 } },
    );
    for (const call of [
      () => drain(client.catalogSearch({ collections: ['sentinel-2-l2a'] })),
      () => client.quotas(),
    ]) {
      const err = await fail(call());
      const text = `${err.message} ${err.stack} ${JSON.stringify(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
      expect(text).toContain('***');
      for (const secret of ['TOKEN-echo-777', 'cid-echo-555', 'sec-echo-999'])
        expect(text).not.toContain(secret);
    }
  });

  it('STAC: an error body echoing the configured API key is scrubbed', async () => {
    const s = await start([
      {
        method: 'POST',
        path: '/search',
        reply: (r) => ({
          status: 400,
          body: { error: `bad key ${r.headers['x-api-key']} / ${r.headers.authorization}` },
        }),
      },
    ]);
    const client = new StacClient(s.url, {
      headers: {
        'x-api-key': 'KEY-abcdef-42',
        authorization: 'Bearer TOKEN-zyxwvu-9',
        accept: 'application/geo+json',
      },
    });
    const err = await fail(client.search({}));
    expect(err.code).toBe('HTTP_ERROR');
    expect(err.message).toContain('bad key ***');
    expect(err.message).not.toMatch(/KEY-abcdef-42|TOKEN-zyxwvu-9/);
    const { inspect } = await import('node:util');
    expect(`${JSON.stringify(client)} ${inspect(client, { depth: 5 })}`).not.toMatch(
      /KEY-abcdef-42|TOKEN-zyxwvu-9/,
    );
  });

  it("a search's own mistakes are INVALID_ARGUMENT before any request, by GET and POST alike", async () => {
    const s = await start([{ method: 'POST', path: '/search', reply: () => page([]) }]);
    const client = new StacClient(s.url, { onMissingConformance: 'ignore' });
    const cyclic: Record<string, unknown> = { op: '=' };
    cyclic.args = [cyclic];
    let deep: unknown = { op: 'not', args: [] };
    for (let i = 0; i < 20_000; i++) deep = { op: 'not', args: [deep] };
    const cases: [string, Record<string, unknown>][] = [
      ['an invalid Date', { datetime: new Date('nope') }],
      ['sortby as a string', { sortby: 'x' }],
      ['fields null', { fields: null }],
      ['fields.include a string', { fields: { include: 'id' } }],
      ['a sortby direction', { sortby: [{ field: 'id', direction: 'up' }] }],
      ['a cyclic filter', { filter: cyclic }],
      ['a BigInt in query', { query: { 'eo:cloud_cover': { lt: 10n } } }],
      ['a filter nested 20 000 deep', { filter: deep }],
    ];
    for (const method of ['GET', 'POST'] as const)
      for (const [label, params] of cases) {
        const err = await fail(client.itemCollection(params as never, { method }));
        expect(err.code, `${method} ${label}: ${err.message}`).toBe('INVALID_ARGUMENT');
      }
    expect(() => searchBody({ datetime: new Date('nope') })).toThrow(/invalid Date/);
    for (const options of [{ method: 'DELETE' }, { onInvalidItem: 5 }]) {
      const err = await fail(client.itemCollection({}, options as never));
      expect(err.code, JSON.stringify(options)).toBe('INVALID_ARGUMENT');
    }
    expect(s.requests).toHaveLength(0);
  });

  it('secrets a server echoes inside valid JSON are scrubbed from errors and invalid-item reports', async () => {
    const KEY = 'KEY-valid-json-31';
    const echoItem = (key: string) => ({
      ...item(1),
      id: `id-${key}`,
      properties: { datetime: `when ${key}` },
    });
    const s = await start([
      { method: 'GET', path: '/', reply: (r) => ({ body: `invalid key ${r.headers['x-api-key']}` }) },
      { method: 'GET', path: '/queryables', reply: (r) => ({ body: [r.headers['x-api-key']] }) },
      {
        method: 'GET',
        path: '/collections/c/items/i',
        reply: (r) => ({ body: echoItem(String(r.headers['x-api-key'])) }),
      },
      { method: 'POST', path: '/search', reply: (r) => page([echoItem(String(r.headers['x-api-key']))]) },
    ]);
    const stac = new StacClient(s.url, { headers: { 'x-api-key': KEY }, onMissingConformance: 'ignore' });
    for (const call of [() => stac.root(), () => stac.queryables(), () => stac.item('c', 'i')]) {
      const err = await fail(call());
      expect(err.message).toContain('***');
      expect(`${err.message} ${err.stack}`).not.toContain(KEY);
    }
    const reported: unknown[] = [];
    const found = await stac.itemCollection({}, { onInvalidItem: (bad) => reported.push(bad) });
    expect(found.invalidItems).toHaveLength(1);
    expect(JSON.stringify([found.invalidItems, reported])).not.toContain(KEY);
    expect(found.invalidItems[0]?.reason).toContain('***');

    // a long key that a quoted value cuts in the middle: its start is hidden too
    const LONG = 'sk_live_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg';
    const cut = await start([
      { method: 'GET', path: '/', reply: (r) => ({ body: `invalid key ${r.headers['x-api-key']}` }) },
      {
        method: 'POST',
        path: '/search',
        reply: (r) =>
          page([{ ...item(1), properties: { datetime: `www${'x'.repeat(40)}${r.headers['x-api-key']}` } }]),
      },
    ]);
    const long = new StacClient(cut.url, { headers: { 'x-api-key': LONG }, onMissingConformance: 'ignore' });
    const rootErr = await fail(long.root());
    const cutFound = await long.itemCollection({});
    const shown = `${rootErr.message} ${cutFound.invalidItems[0]?.reason}`;
    expect(shown).toContain('***...');
    expect(shown).not.toContain(LONG.slice(0, 8));

    const TOKEN = 'TOKEN-valid-json-77';
    const sh = await start([
      {
        method: 'POST',
        path: '/oauth/token',
        reply: () => ({ body: { access_token: TOKEN, expires_in: 3600 } }),
      },
      {
        method: 'GET',
        path: '/api/v1/dataimport/quotas',
        reply: (r) => ({ body: { data: [{ collectionId: 'x', quotaSqkm: r.headers.authorization }] } }),
      },
      {
        method: 'POST',
        path: '/api/v1/catalog/1.0.0/search',
        reply: (r) => page([echoItem(String(r.headers.authorization))]),
      },
    ]);
    const client = new SentinelHubClient(
      { clientId: 'cid', clientSecret: 'sec' },
      { baseUrl: sh.url, retry: { retries: 0 } },
    );
    const err = await fail(client.quotas());
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(`${err.message} ${err.stack}`).not.toContain(TOKEN);
    const shReported: { reason: string }[] = [];
    await drain(client.catalogSearch({}, { onInvalidItem: (bad) => shReported.push(bad) }));
    expect(shReported).toHaveLength(1);
    expect(JSON.stringify(shReported)).not.toContain(TOKEN);
    expect(shReported[0]?.reason).toContain('***');
  });

  it('a SentinelHub token that cannot go in a header (NUL, non-ASCII, space) is refused when it arrives', async () => {
    for (const token of ['TOK\u0000EN', 'TOKÉN', 'TOK EN']) {
      const sh = await start([
        {
          method: 'POST',
          path: '/oauth/token',
          reply: () => ({ body: { access_token: token, expires_in: 3600 } }),
        },
      ]);
      const client = new SentinelHubClient({ clientId: 'cid', clientSecret: 'sec' }, { baseUrl: sh.url });
      const err = await fail(client.quotas());
      expect(err.code, JSON.stringify(token)).toBe('INVALID_RESPONSE');
      expect(err.message).toContain('no usable access_token');
      expect(sh.requests).toHaveLength(1);
    }
  });

  it('the Planetary Computer signer names its token URL redacted', async () => {
    const s = await start([
      { method: 'GET', path: '/token/acct/cont', reply: () => ({ body: { nope: 1 } }) },
    ]);
    const withUser = s.url.replace('http://', 'http://proxyuser:PROXY-PASSW0RD@');
    const signer = createPlanetaryComputerSigner({
      tokenUrl: `${withUser}/token`,
      retry: { retries: 0 },
    });
    const err = await fail(signer.signHref('https://acct.blob.core.windows.net/cont/x.tif'));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toContain('returned no token string');
    expect(err.message).not.toContain('PROXY-PASSW0RD');
  });

  it('SentinelHub: an endless Catalog (new context.next every page) stops at the page cap', async () => {
    const sh = await start([
      {
        method: 'POST',
        path: '/oauth/token',
        reply: () => ({ body: { access_token: 'T', expires_in: 3600 } }),
      },
      {
        method: 'POST',
        path: '/api/v1/catalog/1.0.0/search',
        reply: (r) => page([item(r.body.next ?? 0)], [], { context: { next: (r.body.next ?? 0) + 1 } }),
      },
    ]);
    const client = new SentinelHubClient(
      { clientId: 'a', clientSecret: 'b' },
      { baseUrl: sh.url, pageLimit: 30 },
    );
    const err = await fail(drain(client.catalogSearch({})));
    expect(err.code).toBe('PAGE_LIMIT');
    expect(sh.requests.filter((r) => r.path.startsWith('/api'))).toHaveLength(30);
    // the same token twice is a loop, caught on the second request
    sh.routes[1].reply = () => page([item(1)], [], { context: { next: 'same' } });
    sh.requests.length = 0;
    expect((await fail(drain(client.catalogSearch({})))).code).toBe('PAGING_LOOP');
    expect(sh.requests.filter((r) => r.path.startsWith('/api'))).toHaveLength(2);
    // list endpoints (viewtoken paging) too: a repeated token is a loop, an endless one hits the cap
    sh.routes.push({
      method: 'GET',
      path: '/api/v1/dataimport/orders',
      reply: (r) => ({
        body: {
          data: [{ id: `o${r.query.get('viewtoken') ?? 0}`, name: 'A', status: 'DONE' }],
          links: { nextToken: 'x' },
        },
      }),
    });
    sh.requests.length = 0;
    expect((await fail(client.listOrders())).code).toBe('PAGING_LOOP');
    expect(sh.requests.filter((r) => r.path === '/api/v1/dataimport/orders')).toHaveLength(2);
    sh.routes.at(-1)!.reply = (r) => ({
      body: {
        data: [{ id: 'o', name: 'A', status: 'DONE' }],
        links: { nextToken: String(Number(r.query.get('viewtoken') ?? 0) + 1) },
      },
    });
    sh.requests.length = 0;
    expect((await fail(client.listOrders())).code).toBe('PAGE_LIMIT');
    expect(sh.requests.filter((r) => r.path === '/api/v1/dataimport/orders')).toHaveLength(30);
  });
});

describe('item validation', () => {
  const poly = (coords: number[][]) => ({ type: 'Polygon' as const, coordinates: [coords] });
  const box = (w: number, s: number, e: number, n: number) =>
    poly([
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ]);
  const withProps = (id: string, props: Record<string, unknown>, geometry: unknown = box(0, 0, 1, 1)) =>
    ({
      ...makeItem(id, '2023-06-01T10:00:00Z', 5, [0, 0, 1, 1], { properties: props }),
      geometry,
    }) as StacItem;

  it('skips and reports absurd items; keeps items without cloud cover as unknown', async () => {
    const bad = [
      withProps('LAT91', {}, box(0, 0, 1, 91)),
      withProps('LON500', {}, box(0, 0, 500, 1)),
      withProps('HUGE', {}, box(-1e308, -1e308, 1e308, 1e308)),
      withProps('LOTS', { 'eo:cloud_cover': 'lots' }),
      withProps('NODATE', { datetime: 'yesterday' }),
    ];
    const noCloud = makeItem('NOCLOUD', '2023-06-02T10:00:00Z', 0, [0, 0, 1, 1]);
    delete noCloud.properties['eo:cloud_cover'];
    const s = await start([
      { method: 'POST', path: '/search', reply: () => page([item(1), ...bad, noCloud, 'junk']) },
    ]);
    const reported: unknown[] = [];
    const res = await new StacClient(s.url).itemCollection({}, { onInvalidItem: (x) => reported.push(x) });
    expect(res.features.map((f) => f.id)).toEqual(['IT_1', 'NOCLOUD']);
    expect(res.invalidItems.map((x) => x.id)).toEqual(['LAT91', 'LON500', 'HUGE', 'LOTS', 'NODATE', null]);
    expect(res.invalidItems[0].reason).toBe('latitude 91 is outside [-90, 90] at geometry.coordinates[0][2]');
    expect(res.invalidItems[1].reason).toBe(
      'longitude 500 is outside [-180, 180] at geometry.coordinates[0][1]',
    );
    expect(res.invalidItems[3].reason).toBe('eo:cloud_cover "lots" is not a number in [0, 100]');
    expect(reported).toEqual(res.invalidItems);
    // straight from the converter too
    const { entries, invalidItems } = catalogueEntriesFromStacItems([...bad, noCloud]);
    expect(entries.map((e) => [e.id, e.cloudCover])).toEqual([['NOCLOUD', null]]);
    expect(invalidItems).toHaveLength(5);
    expect(validateStacItem(noCloud)).toBeUndefined();
  });

  it('refuses bboxes with a non-numeric z or south above north, non-numeric elevations and bad time ranges', () => {
    const base = makeItem('X', '2023-06-01T10:00:00Z', 5, [0, 0, 1, 1]);
    const props = (extra: Record<string, unknown>) => ({
      ...base,
      properties: { ...base.properties, ...extra },
    });
    const cases: [string, unknown, RegExp][] = [
      [
        'a 6-value bbox with a string z',
        { ...base, bbox: [0, 0, 'z', 1, 1, 5] },
        /^bbox: position .* is not finite numbers/,
      ],
      ['south above north', { ...base, bbox: [10, 10, 0, 0] }, /south edge north of its north edge/],
      [
        'a string elevation',
        { ...base, geometry: { type: 'Point', coordinates: [0, 0, 'high'] } },
        /is not finite numbers at geometry\.coordinates/,
      ],
      [
        'start after end',
        props({ start_datetime: '2023-06-02T00:00:00Z', end_datetime: '2023-06-01T00:00:00Z' }),
        /start_datetime "2023-06-02T00:00:00Z" is after end_datetime/,
      ],
      [
        'a garbage start beside a datetime',
        props({ start_datetime: 'soon' }),
        /start_datetime "soon" is not an RFC 3339/,
      ],
    ];
    for (const [label, item, message] of cases) expect(validateStacItem(item), label).toMatch(message);
    // an antimeridian bbox (west > east), a 6-value bbox, an elevation and a proper range stay valid
    for (const ok of [
      { ...base, bbox: [179, 0, -179, 1] },
      { ...base, bbox: [0, 0, -5, 1, 1, 5] },
      { ...base, geometry: { type: 'Point', coordinates: [0, 0, 12.5] } },
      props({ start_datetime: '2023-06-01T00:00:00Z', end_datetime: '2023-06-02T00:00:00Z' }),
    ])
      expect(validateStacItem(ok), JSON.stringify(ok.bbox)).toBeUndefined();
  });

  it('accepts the partial items of a fields search, still checking what is there', async () => {
    const s = await start([
      {
        method: 'POST',
        path: '/search',
        reply: () =>
          page([
            { id: 'ONLY_ID' },
            { id: 'CLOUD_ONLY', properties: { 'eo:cloud_cover': 7 } },
            { id: 'BAD_CLOUD', properties: { 'eo:cloud_cover': -3 } },
            { id: 'BAD_GEOM', geometry: { type: 'Point', coordinates: [0, 99] } },
          ]),
      },
    ]);
    const res = await new StacClient(s.url).itemCollection({
      fields: { include: ['id', 'properties.eo:cloud_cover'] },
    });
    expect(res.features.map((f) => f.id)).toEqual(['ONLY_ID', 'CLOUD_ONLY']);
    expect(res.invalidItems.map((x) => x.id)).toEqual(['BAD_CLOUD', 'BAD_GEOM']);
    // the same items without `fields` are incomplete
    expect(validateStacItem({ id: 'ONLY_ID' })).toMatch(/not "Feature"/);
  });

  it('items without assets give typed errors in band lookup and signing', async () => {
    const it = makeItem('BARE', '2023-06-01T10:00:00Z', 5, [0, 0, 1, 1]);
    delete (it as Partial<StacItem>).assets;
    expect(() => bandAsset(it, earthSearch, 'B04')).toThrow(
      expect.objectContaining({ code: 'INVALID_ITEM' }),
    );
    const signer = createPlanetaryComputerSigner({ fetch: async () => new Response('{}') });
    expect((await fail(signer.signItem(it))).code).toBe('INVALID_ITEM');
    expect(signer.tokenRequests).toBe(0);
  });
});

describe('matching', () => {
  const aoi = { name: 'A', bounds: [0.2, 0.2, 0.4, 0.4] as [number, number, number, number] };
  const entry = (
    id: string,
    day: number,
    cloudCover: number | null,
    geometry?: CatalogueEntry['geometry'],
  ): CatalogueEntry => ({
    id,
    source: 'Sentinel2',
    datetime: `2023-06-${String(day).padStart(2, '0')}T10:00:00.000Z`,
    cloudCover,
    geometry: geometry ?? {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0],
        ],
      ],
    },
    platform: `p-${id}`,
  });

  it('ranks unknown cloud cover after every known one and reports it; a hard cloud limit excludes it', () => {
    const entries = [entry('UNKNOWN', 10, null), entry('CLOUDY', 20, 90), entry('CLEAR', 12, 5)];
    const m = matchRevisits([aoi], entries, { targetDate: '2023-06-10' });
    expect(m.byAoi.get('A')!.map((r) => [r.n, r.entry.id])).toEqual([
      [1, 'CLEAR'],
      [2, 'CLOUDY'],
      [3, 'UNKNOWN'],
    ]);
    expect(m.unknownCloudCover).toEqual([{ aoi: 'A', id: 'UNKNOWN', excluded: false }]);
    const limited = matchRevisits([aoi], entries, { targetDate: '2023-06-10', maxCloudCover: 95 });
    expect(limited.revisits.map((r) => r.entry.id)).toEqual(['CLEAR', 'CLOUDY']);
    expect(limited.unknownCloudCover).toEqual([{ aoi: 'A', id: 'UNKNOWN', excluded: true }]);
  });

  it('keeps unknown cloud cover unknown in tables, CSV and SPOT entries', () => {
    const m = matchRevisits([aoi], [entry('UNKNOWN', 10, null), entry('CLEAR', 12, 5)], {
      targetDate: '2023-06-10',
    });
    const table = revisitsToTable(m.revisits);
    expect(table.getChild('cloud_cover')!.toArray().length).toBe(2);
    expect([table.getChild('cloud_cover')!.get(0), table.getChild('cloud_cover')!.get(1)]).toEqual([5, null]);
    expect(revisitsToCsv(m.revisits).split('\n')[2].split(',')[5]).toBe('');
    const spot = (
      props: Record<string, unknown>,
      coords = [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 0],
      ],
    ) =>
      catalogueEntryFromSpotFeature({
        geometry: { type: 'Polygon', coordinates: [coords] },
        properties: { id: 'S', acquisitionDate: '2021-01-01T10:00:00Z', ...props },
      } as never);
    expect(spot({}).cloudCover).toBeNull();
    expect(spot({ cloudCover: 12 }).cloudCover).toBe(12);
    expect(() => spot({ cloudCover: 'lots' })).toThrow(expect.objectContaining({ code: 'INVALID_ITEM' }));
    expect(() => spot({ acquisitionDate: 'soon' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ITEM' }),
    );
    expect(() =>
      spot({}, [
        [0, 0],
        [1, 0],
        [1, 95],
        [0, 0],
      ]),
    ).toThrow(/latitude 95/);
  });

  it('never counts an absurd footprint as covering the AOI', () => {
    const world = (w: number, s: number, e: number, n: number) => ({
      type: 'Polygon' as const,
      coordinates: [
        [
          [w, s],
          [e, s],
          [e, n],
          [w, n],
          [w, s],
        ],
      ],
    });
    const entries = [
      entry('LAT91', 1, 5, world(-10, -10, 10, 91)),
      entry('LON500', 2, 5, world(-10, -10, 500, 10)),
      entry('INF', 3, 5, world(-1e308, -1e308, 1e308, 1e308)),
      entry('OK', 4, 50),
      { ...entry('NAN', 5, 5), cloudCover: Number.NaN },
    ];
    const m = matchRevisits([aoi], entries, { targetDate: '2023-06-01' });
    expect(m.revisits.map((r) => r.entry.id)).toEqual(['OK']);
    expect(m.invalid.map((x) => [x.id, x.reason])).toEqual([
      ['LAT91', 'footprint: latitude 91 is outside [-90, 90] at geometry.coordinates[0][2]'],
      ['LON500', 'footprint: longitude 500 is outside [-180, 180] at geometry.coordinates[0][1]'],
      ['INF', 'footprint: longitude -1e+308 is outside [-180, 180] at geometry.coordinates[0][0]'],
      ['NAN', 'cloud cover null is not a number in [0, 100]'],
    ]);
    expect(() =>
      matchRevisits([{ name: 'B', bounds: [0, 0, 1, 95] }], entries, { targetDate: '2023-06-01' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses AOI rasters above the size cap (a world-sized box), configurable', () => {
    const err = (() => {
      try {
        aoiPixelSize([-180, -60, 180, 60]);
      } catch (e) {
        return e as EoFetchError;
      }
    })();
    expect(err?.code).toBe('AOI_TOO_LARGE');
    expect(err?.message).toMatch(/limit 10000 px/);
    expect(() => aoiPixelSize([0, 0, 0.5, 0.5], 10, { maxSidePx: 1000 })).toThrow(/limit 1000 px/);
    expect(aoiPixelSize([0, 0, 0.5, 0.5], 10, { maxSidePx: 6000 })).toEqual([5571, 5532]);
    expect(() => aoiPixelSize([0, 0, Number.NaN, 1])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('datetime normalisation (pystac-client rules)', () => {
  it.each([
    ['2022', '2022-01-01T00:00:00Z/2022-12-31T23:59:59Z'],
    ['2022-06', '2022-06-01T00:00:00Z/2022-06-30T23:59:59Z'],
    ['2024-02', '2024-02-01T00:00:00Z/2024-02-29T23:59:59Z'],
    ['2022-06-01', '2022-06-01T00:00:00Z/2022-06-01T23:59:59Z'],
    ['2022-06-01T10:30:00', '2022-06-01T10:30:00Z'],
    ['2022-06-01T10:30:00+02:00', '2022-06-01T08:30:00Z'],
    ['2022-06-01T10:30:00.5Z', '2022-06-01T10:30:00.500Z'],
    ['2021/2022-03', '2021-01-01T00:00:00Z/2022-03-31T23:59:59Z'],
    ['2021-05/..', '2021-05-01T00:00:00Z/..'],
    ['../2021-05-03', '../2021-05-03T23:59:59Z'],
    ['/2021', '../2021-12-31T23:59:59Z'],
  ])('%s → %s', (input, want) => {
    expect(formatStacDatetime(input)).toBe(want);
  });

  it('formats Dates and ranges, and rejects nonsense with a typed error', () => {
    expect(formatStacDatetime([new Date('2017-01-01T00:00:00Z'), null])).toBe('2017-01-01T00:00:00Z/..');
    expect(formatStacDatetime(['2020', '2020-02-01T00:00:00Z'])).toBe(
      '2020-01-01T00:00:00Z/2020-02-01T00:00:00Z',
    );
    for (const bad of ['2022-13', '2022-02-30', 'June', '2022/2021', 'a/b/c', '2022-06-01T25:00:00'])
      expect(() => formatStacDatetime(bad), bad).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
  });
});
