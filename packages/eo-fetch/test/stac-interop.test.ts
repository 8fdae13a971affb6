// STAC interoperability against replayed request/response pairs in the shapes of Earth Search v1 (sentinel-2-l2a
// and sentinel-2-c1-l2a), Planetary Computer, and a server without filter conformance.
import { afterEach, describe, expect, it } from 'vitest';
import {
  bandAsset,
  createPlanetaryComputerSigner,
  EoFetchError,
  earthSearch,
  earthSearchC1,
  planetaryComputer,
  reflectanceScaling,
  StacClient,
  type StacItem,
  type StacWarning,
} from '../src/index.js';
import { fixture, type ReplayServer, startReplayServer } from './support/replay-server.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const esParams = {
  collections: ['sentinel-2-l2a'],
  bbox: [2.2, 48.8, 2.4, 48.9],
  datetime: '2023-06',
  filter: 'eo:cloud_cover < 20',
  limit: 2,
};

describe('Earth Search v1', () => {
  it('pages sentinel-2-l2a with POST next links, normalises the month, and counts matches', async () => {
    server = await startReplayServer([
      { method: 'GET', path: '/', file: 'earth-search-v1-landing.json' },
      {
        method: 'POST',
        path: '/search',
        when: (r) => r.body?.limit === 1,
        file: 'earth-search-v1-search-1.json',
      },
      {
        method: 'POST',
        path: '/search',
        when: (r) => r.body?.next === undefined,
        file: 'earth-search-v1-search-1.json',
      },
      { method: 'POST', path: '/search', file: 'earth-search-v1-search-2.json' },
    ]);
    const warnings: StacWarning[] = [];
    const client = new StacClient(server.url, { onWarning: (w) => warnings.push(w) });
    const res = await client.itemCollection(esParams);
    expect(res.type).toBe('FeatureCollection');
    expect(res.features.map((f) => f.id)).toEqual([
      'S2B_31UDQ_20230612_0_L2A',
      'S2A_31UDQ_20230610_0_L2A',
      'S2A_31UDQ_20230603_0_L2A',
    ]);
    expect(res.numberMatched).toBe(3);
    expect(res.invalidItems).toEqual([]);
    expect(res.warnings).toEqual([]);
    expect(warnings).toEqual([]);
    const searches = server.requests.filter((r) => r.path === '/search');
    expect(searches[0].body).toEqual({
      collections: ['sentinel-2-l2a'],
      bbox: [2.2, 48.8, 2.4, 48.9],
      datetime: '2023-06-01T00:00:00Z/2023-06-30T23:59:59Z',
      filter: 'eo:cloud_cover < 20',
      'filter-lang': 'cql2-text',
      limit: 2,
    });
    expect(searches[1].body.next).toBe('2023-06-10T11:06:21.123000Z,S2A_31UDQ_20230610_0_L2A,sentinel-2-l2a');
    // the landing page is read once per client, whatever the number of searches
    expect(await client.matched(esParams)).toBe(3);
    expect(server.requests.filter((r) => r.path === '/')).toHaveLength(1);
  });

  it('scales DNs by the BOA offset rule: boa_offset_applied wins over a contradicting raster:bands offset', async () => {
    const page1 = fixture('earth-search-v1-search-1.json');
    const page2 = fixture('earth-search-v1-search-2.json');
    const [applied, notApplied] = page1.features as StacItem[];
    const red = (it: StacItem) => bandAsset(it, earthSearch, 'B04').asset;
    // offset already added back by Element 84: DN / 10000 is reflectance, the −0.1 would subtract it twice
    expect(reflectanceScaling(applied, red(applied))).toEqual({
      scale: 0.0001,
      offset: 0,
      baseline: '05.09',
      source: 'boa-offset-applied',
    });
    expect(reflectanceScaling(notApplied, red(notApplied))).toMatchObject({
      offset: -0.1,
      source: 'raster:bands',
    });
    expect(reflectanceScaling(page2.features[0], red(page2.features[0])).offset).toBe(0);
    // Earth Search v0 names the baseline sentinel:processing_baseline; 05.11 carries the −1000 DN offset
    const v0 = fixture('earth-search-v0-item.json') as StacItem;
    expect(reflectanceScaling(v0, v0.assets.B04)).toEqual({
      scale: 0.0001,
      offset: -0.1,
      baseline: '05.11',
      source: 'processing-baseline',
    });
  });

  it('reads sentinel-2-c1-l2a scale/offset from raster:bands', async () => {
    server = await startReplayServer([
      { method: 'GET', path: '/', file: 'earth-search-v1-landing.json' },
      { method: 'POST', path: '/search', file: 'earth-search-c1-search.json' },
    ]);
    const client = new StacClient(server.url);
    const [item] = await client.search({ collections: [earthSearchC1.collections.L2A!], ids: ['x'] });
    expect(item.collection).toBe('sentinel-2-c1-l2a');
    const { asset, key } = bandAsset(item, earthSearchC1, 'B04');
    expect(key).toBe('red');
    expect(reflectanceScaling(item, asset)).toEqual({
      scale: 0.0001,
      offset: -0.1,
      baseline: '05.10',
      source: 'raster:bands',
    });
    expect(bandAsset(item, earthSearchC1, 'SCL').asset.href).toMatch(/SCL\.tif$/);
  });
});

describe('Planetary Computer', () => {
  it('pages with GET next links and signs only blob-storage hrefs', async () => {
    server = await startReplayServer([
      { method: 'GET', path: '/', file: 'planetary-computer-landing.json' },
      {
        method: 'GET',
        path: '/search',
        when: (r) => !r.query.has('token'),
        file: 'planetary-computer-search-1.json',
      },
      { method: 'GET', path: '/search', file: 'planetary-computer-search-2.json' },
      {
        method: 'GET',
        // one token per storage account and container, as the planetary_computer library asks for it
        path: '/api/sas/v1/token/sentinel2l2a01/sentinel2-l2',
        reply: () => ({
          body: { token: 'st=2024&se=2024&sp=rl&sig=PCSECRET', 'msft:expiry': '2999-01-01T00:00:00Z' },
        }),
      },
    ]);
    const client = new StacClient(server.url);
    const items = await client.search(
      {
        collections: ['sentinel-2-l2a'],
        bbox: [2.2, 48.8, 2.4, 48.9],
        limit: 1,
        sortby: [{ field: 'datetime', direction: 'desc' }],
      },
      { method: 'GET' },
    );
    expect(items.map((i) => i.id)).toEqual([
      'S2B_MSIL2A_20230612T105619_R094_T31UDQ_20230612T140128',
      'S2A_MSIL2A_20210612T105621_R094_T31UDQ_20210612T135913',
    ]);
    const searches = server.requests.filter((r) => r.path === '/search');
    expect(searches[0].query.get('sortby')).toBe('-datetime');
    expect(searches[1].query.get('token')).toBe(
      'next:S2B_MSIL2A_20230612T105619_R094_T31UDQ_20230612T140128',
    );
    const signer = createPlanetaryComputerSigner({ tokenUrl: `${server.url}/api/sas/v1/token` });
    const signed = await signer.signItem(items[0]);
    expect(signed.assets.B04.href).toMatch(/\.tif\?st=2024&se=2024&sp=rl&sig=PCSECRET$/);
    expect(signed.assets.SCL.href).toContain('sig=PCSECRET');
    expect(signed.assets.tilejson.href).toBe(items[0].assets.tilejson.href);
    expect(signed.assets.rendered_preview.href).toBe(items[0].assets.rendered_preview.href);
    expect(signer.tokenRequests).toBe(1);
    // baseline 05.09 without raster:bands: the −0.1 offset; 03.00: none
    expect(reflectanceScaling(items[0], bandAsset(items[0], planetaryComputer, 'B04').asset).offset).toBe(
      -0.1,
    );
    expect(reflectanceScaling(items[1], bandAsset(items[1], planetaryComputer, 'B04').asset).offset).toBe(0);
  });
});

describe('a server without filter conformance', () => {
  const routes = () => [
    { method: 'GET' as const, path: '/', file: 'no-filter-landing.json' },
    { method: 'POST' as const, path: '/search', file: 'no-filter-search.json' },
  ];

  it('warns that the filter may be ignored (and the cloudy scene indeed comes back)', async () => {
    server = await startReplayServer(routes());
    const seen: StacWarning[] = [];
    const client = new StacClient(server.url, { onWarning: (w) => seen.push(w) });
    const res = await client.itemCollection({
      filter: 'eo:cloud_cover < 20',
      sortby: [{ field: 'datetime', direction: 'asc' }],
    });
    expect(res.features.map((f) => f.id)).toEqual(['S2A_CLEAR', 'S2A_CLOUDY']);
    expect(res.warnings.map((w) => [w.code, w.capability])).toEqual([
      ['MISSING_CONFORMANCE', 'filter'],
      ['MISSING_CONFORMANCE', 'sortby'],
    ]);
    expect(seen).toEqual(res.warnings);
    expect(res.warnings[0].message).toContain(server.url);
  });

  it("fails before searching under onMissingConformance: 'error'", async () => {
    server = await startReplayServer(routes());
    const client = new StacClient(server.url, { onMissingConformance: 'error' });
    const err = await client.search({ query: { 'eo:cloud_cover': { lt: 20 } } }).catch((e) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('UNSUPPORTED_CAPABILITY');
    expect(err.message).toMatch(/query/);
    expect(server.requests.filter((r) => r.path === '/search')).toHaveLength(0);
    // a search using no extension needs no conformance at all
    expect((await client.search({ limit: 5 })).length).toBe(2);
  });
});
