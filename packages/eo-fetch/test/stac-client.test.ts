import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bandAsset,
  createPlanetaryComputerSigner,
  earthSearch,
  getStacProvider,
  planetaryComputer,
  reflectanceScaling,
  registerStacProvider,
  StacClient,
} from '../src/index.js';
import { searchQuery } from '../src/stac/stac-client.js';
import { formatStacDatetime } from '../src/stac/stac-datetime.js';
import { makeItem, type PagingStyle, type StacServer, startStacServer } from './support/stac-server.js';

// 45 items over two boxes, one per day, cloud cover cycling 0..90
const items = Array.from({ length: 45 }, (_, i) =>
  makeItem(
    `S2A_${String(i).padStart(3, '0')}`,
    new Date(Date.UTC(2021, 0, 1 + i, 10, 30)).toISOString(),
    (i * 10) % 100,
    i % 3 === 0 ? [10, 10, 11, 11] : [0, 0, 1, 1],
    { collection: i % 5 === 0 ? 'sentinel-2-l1c' : 'sentinel-2-l2a' },
  ),
);
const expectedIds = (pred: (it: (typeof items)[number]) => boolean) => items.filter(pred).map((i) => i.id);

let server: StacServer;
beforeAll(async () => {
  server = await startStacServer(items);
});
afterAll(() => server.close());

describe('StacClient search', () => {
  for (const paging of ['post-merge', 'post-replace', 'get', 'context'] as PagingStyle[]) {
    it(`pages through every result (${paging})`, async () => {
      server.paging = paging;
      server.requests.length = 0;
      const client = new StacClient(server.url);
      const params = {
        collections: ['sentinel-2-l2a'],
        bbox: [0.2, 0.2, 0.8, 0.8],
        datetime: [new Date('2021-01-05T00:00:00Z'), null] as [Date, null],
        query: { 'eo:cloud_cover': { lt: 80 } },
        limit: 4,
      };
      const got = await client.search(params, { method: paging === 'get' ? 'GET' : 'POST' });
      const want = expectedIds(
        (it) =>
          it.collection === 'sentinel-2-l2a' &&
          it.bbox![0] === 0 &&
          it.properties.datetime! >= '2021-01-05' &&
          it.properties['eo:cloud_cover']! < 80,
      );
      expect(want.length).toBeGreaterThan(12);
      expect(got.map((i) => i.id)).toEqual(want);
      expect(server.requests.filter((r) => r.url.startsWith('/search'))).toHaveLength(
        Math.ceil(want.length / 4),
      );
      if (paging === 'post-merge' || paging === 'context') {
        // later pages keep the original filters (merged body) plus the paging token
        const later = server.requests.filter((r) => r.method === 'POST').slice(1);
        for (const r of later) expect(r.body).toMatchObject({ collections: ['sentinel-2-l2a'], limit: 4 });
        expect(later[0].body.token ?? later[0].body.next).toBe(4);
      }
      if (paging === 'get')
        expect(server.requests.find((r) => r.url.startsWith('/search'))!.url).toContain(
          'datetime=2021-01-05T00%3A00%3A00Z%2F..',
        );
    });
  }

  it('caps results with maxItems and stops requesting pages', async () => {
    server.paging = 'post-merge';
    server.requests.length = 0;
    const client = new StacClient(server.url);
    const got: string[] = [];
    for await (const item of client.items({ limit: 5 }, { maxItems: 7 })) got.push(item.id);
    expect(got).toEqual(items.slice(0, 7).map((i) => i.id));
    expect(server.requests).toHaveLength(2);
  });

  it('sends CQL2 text and JSON filters, fields and sortby; encodes GET parameters', async () => {
    server.requests.length = 0;
    const client = new StacClient(server.url);
    const searches = () => server.requests.filter((r) => r.url === '/search');
    await client.search({
      filter: 'eo:cloud_cover < 20',
      fields: { include: ['id'], exclude: ['geometry'] },
      limit: 100,
    });
    expect(searches()[0].body).toEqual({
      filter: 'eo:cloud_cover < 20',
      'filter-lang': 'cql2-text',
      fields: { include: ['id'], exclude: ['geometry'] },
      limit: 100,
    });
    const cql = { op: '<', args: [{ property: 'eo:cloud_cover' }, 20] };
    await client.search({
      filter: cql,
      sortby: [{ field: 'properties.datetime', direction: 'desc' }],
      limit: 100,
    });
    expect(searches()[1].body).toMatchObject({ filter: cql, 'filter-lang': 'cql2-json' });
    const q = searchQuery({
      collections: ['a', 'b'],
      bbox: [1, 2, 3, 4],
      fields: { include: ['id'], exclude: ['assets'] },
      sortby: [
        { field: 'datetime', direction: 'desc' },
        { field: 'id', direction: 'asc' },
      ],
      filter: cql,
      intersects: { type: 'Point', coordinates: [1, 2] },
    });
    expect(Object.fromEntries(q)).toEqual({
      collections: 'a,b',
      bbox: '1,2,3,4',
      fields: 'id,-assets',
      sortby: '-datetime,+id',
      filter: JSON.stringify(cql),
      'filter-lang': 'cql2-json',
      intersects: '{"type":"Point","coordinates":[1,2]}',
    });
    expect(formatStacDatetime(['2020-01-01T00:00:00Z', new Date('2020-02-01T00:00:00Z')])).toBe(
      '2020-01-01T00:00:00Z/2020-02-01T00:00:00Z',
    );
  });

  it('reads the landing page, conformance, collections and single items; 404 is a typed error', async () => {
    const client = new StacClient(`${server.url}/`);
    expect((await client.root()).type).toBe('Catalog');
    expect(await client.conformance()).toContain('https://api.stacspec.org/v1.0.0/item-search');
    expect((await client.collections()).map((c) => c.id).sort()).toEqual([
      'sentinel-2-l1c',
      'sentinel-2-l2a',
    ]);
    expect((await client.item('sentinel-2-l2a', 'S2A_001')).properties['eo:cloud_cover']).toBe(10);
    await expect(client.item('sentinel-2-l2a', 'nope')).rejects.toMatchObject({
      code: 'HTTP_ERROR',
      status: 404,
    });
    expect(() => new StacClient('ftp://x')).toThrow(/http/);
  });
});

describe('providers', () => {
  it('maps canonical bands to each provider’s asset keys', () => {
    const es = makeItem('x', '2023-01-01T00:00:00Z', 0, [0, 0, 1, 1], {
      assets: { nir08: { href: 'https://e/B8A.tif' }, swir16: { href: 'https://e/B11.tif' } },
    });
    expect(bandAsset(es, earthSearch, 'B8A')).toEqual({ key: 'nir08', asset: { href: 'https://e/B8A.tif' } });
    expect(bandAsset(es, earthSearch, 'B11').key).toBe('swir16');
    expect(() => bandAsset(es, earthSearch, 'B02')).toThrow(/no asset "blue"/);
    expect(planetaryComputer.assetKeys.B8A).toBe('B8A');
    expect(() => bandAsset(es, planetaryComputer, 'B10')).toThrow(/UNKNOWN_BAND|no asset for band B10/);
    expect(getStacProvider('earth-search-c1').collections.L2A).toBe('sentinel-2-c1-l2a');
    expect(() => getStacProvider('nope')).toThrow(/earth-search/);
    expect(() => registerStacProvider({ ...earthSearch })).toThrow(/override/);
  });

  it('derives the reflectance scaling from raster:bands or the processing baseline', () => {
    const mk = (props: Record<string, unknown>, asset = {}) =>
      makeItem('x', '2023-01-01T00:00:00Z', 0, [0, 0, 1, 1], {
        properties: props,
        assets: { red: { href: 'h', ...asset } },
      });
    const old = mk({ 's2:processing_baseline': '03.01' });
    expect(reflectanceScaling(old, old.assets.red)).toMatchObject({ scale: 1e-4, offset: 0 });
    const neu = mk({ 's2:processing_baseline': '05.09' });
    expect(reflectanceScaling(neu, neu.assets.red)).toMatchObject({ scale: 1e-4, offset: -0.1 });
    const applied = mk({ 's2:processing_baseline': '04.00', 'earthsearch:boa_offset_applied': true });
    expect(reflectanceScaling(applied, applied.assets.red).offset).toBe(0);
    const c1 = mk(
      { 's2:processing_baseline': '05.00' },
      { 'raster:bands': [{ scale: 0.0001, offset: -0.1 }] },
    );
    expect(reflectanceScaling(c1, c1.assets.red)).toMatchObject({ scale: 0.0001, offset: -0.1 });
  });

  it('signs Planetary Computer hrefs with a SAS token cached until shortly before expiry', async () => {
    let now = Date.parse('2024-01-01T00:00:00Z');
    const calls: string[] = [];
    const fetchToken = async (url: string) => {
      calls.push(url);
      return new Response(
        JSON.stringify({
          token: `st=x&se=y&sig=secret${calls.length}`,
          'msft:expiry': new Date(now + 3_600_000).toISOString(),
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    };
    const signer = createPlanetaryComputerSigner({
      fetch: fetchToken,
      now: () => now,
      tokenUrl: 'https://pc.test/api/sas/v1/token',
    });
    const item = makeItem('S2B_X', '2023-01-01T00:00:00Z', 0, [0, 0, 1, 1], {
      assets: {
        B04: { href: 'https://acct.blob.core.windows.net/c/B04.tif' },
        SCL: { href: 'https://acct.blob.core.windows.net/c/SCL.tif' },
      },
    });
    const [a, b] = await Promise.all([signer.signItem(item), signer.signItem(item)]);
    expect(a.assets.B04.href).toBe('https://acct.blob.core.windows.net/c/B04.tif?st=x&se=y&sig=secret1');
    expect(b.assets.SCL.href).toContain('sig=secret1');
    expect(item.assets.B04.href).not.toContain('sig'); // input untouched
    expect(calls).toEqual(['https://pc.test/api/sas/v1/token/acct/c']);
    now += 50 * 60_000; // 10 min left: still valid with the 5 min margin
    await signer.signHref('https://acct.blob.core.windows.net/c/x.tif', 'sentinel-2-l2a');
    expect(signer.tokenRequests).toBe(1);
    now += 6 * 60_000; // inside the margin: refresh
    expect(await signer.signHref('https://acct.blob.core.windows.net/c/x.tif', 'sentinel-2-l2a')).toContain(
      'sig=secret2',
    );
    expect(signer.tokenRequests).toBe(2);
  });

  it('asks for a SAS token per storage account and container, and never puts one on another', async () => {
    const calls: string[] = [];
    const fetchToken = async (url: string) => {
      calls.push(url);
      const [account, container] = url.split('/token/')[1].split('/');
      return new Response(
        JSON.stringify({
          token: `sr=c&sig=for-${account}-${container}`,
          'msft:expiry': '2999-01-01T00:00:00Z',
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    };
    const signer = createPlanetaryComputerSigner({
      fetch: fetchToken,
      tokenUrl: 'https://pc.test/api/sas/v1/token',
    });
    const href = (host: string, path: string) => `https://${host}.blob.core.windows.net/${path}`;
    const item = makeItem('S2B_X', '2023-01-01T00:00:00Z', 0, [0, 0, 1, 1], {
      assets: {
        B04: { href: href('sentinel2l2a01', 'sentinel2-l2/T31/B04.tif') },
        SCL: { href: href('sentinel2l2a01', 'sentinel2-l2/T31/SCL.tif') },
        other: { href: href('sentinel2l2a01', 'other-container/x.tif') },
        mirror: { href: href('attacker', 'sentinel2-l2/T31/B04.tif') },
      },
    });
    const signed = await signer.signItem(item);
    expect(signed.assets.B04.href).toBe(
      `${href('sentinel2l2a01', 'sentinel2-l2/T31/B04.tif')}?sr=c&sig=for-sentinel2l2a01-sentinel2-l2`,
    );
    expect(signed.assets.SCL.href).toContain('sig=for-sentinel2l2a01-sentinel2-l2');
    expect(signed.assets.other.href).toContain('sig=for-sentinel2l2a01-other-container');
    // another account gets a token asked for that account, never the collection's or another account's
    expect(signed.assets.mirror.href).toContain('sig=for-attacker-sentinel2-l2');
    expect(calls.sort()).toEqual([
      'https://pc.test/api/sas/v1/token/attacker/sentinel2-l2',
      'https://pc.test/api/sas/v1/token/sentinel2l2a01/other-container',
      'https://pc.test/api/sas/v1/token/sentinel2l2a01/sentinel2-l2',
    ]);
    // an item without a collection can be signed too (tokens no longer depend on it); the account root cannot
    const { collection: _c, ...bare } = item;
    expect((await signer.signItem(bare as never)).assets.B04.href).toContain(
      'sig=for-sentinel2l2a01-sentinel2-l2',
    );
    expect(await signer.signHref('https://acct.blob.core.windows.net/')).toBe(
      'https://acct.blob.core.windows.net/',
    );
    expect(signer.tokenRequests).toBe(3);
    // an asset named __proto__ (an own key after JSON.parse) stays an asset, never the assets' prototype
    const proto = JSON.parse(
      `{"type":"Feature","id":"P","assets":{"__proto__":{"href":"${href('sentinel2l2a01', 'sentinel2-l2/p.tif')}","phantom":{"href":"x"}}}}`,
    );
    const protoSigned = await signer.signItem(proto);
    expect(Object.keys(protoSigned.assets)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(protoSigned.assets)).toBe(Object.prototype);
    expect((protoSigned.assets as Record<string, unknown>).phantom).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(protoSigned.assets, '__proto__')?.value.href).toContain('sig=');
  });

  it('shows its URL redacted in JSON and inspect output, while requests still carry the query', async () => {
    const { inspect } = await import('node:util');
    const c = new StacClient('https://user:pw123secret@stac.example.com/v1?access_token=TOKSECRET123&x=1', {
      headers: { 'X-Api-Key': 'APIKEYSECRET9' },
    });
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      url: 'https://stac.example.com/v1/?access_token=***&x=1',
      origin: 'https://stac.example.com',
    });
    const shown = JSON.stringify(c) + inspect(c, { depth: 5, showHidden: true });
    for (const secret of ['pw123secret', 'TOKSECRET123', 'APIKEYSECRET9'])
      expect(shown).not.toContain(secret);
    expect(c.url).toBe('https://stac.example.com/v1/?access_token=TOKSECRET123&x=1');
  });

  it('sends headers given as a Headers instance or pairs (a spread kept none of them)', async () => {
    for (const headers of [new Headers({ 'x-api-key': 'KEY-123456789' }), [['x-api-key', 'KEY-123456789']]]) {
      const seen: (string | null)[] = [];
      const c = new StacClient('http://127.0.0.1:9/stac', {
        headers: headers as never,
        fetch: async (_u, init) => {
          seen.push(new Headers(init?.headers).get('x-api-key'));
          return new Response('{"type":"Catalog","id":"x","links":[],"conformsTo":[]}', {
            headers: { 'content-type': 'application/json' },
          });
        },
      });
      await c.root();
      expect(seen[0]).toBe('KEY-123456789');
    }
  });
});
