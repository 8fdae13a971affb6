// The revisit search stage on its own (the worldstrat CLI's `search` command runs it against a STAC server):
// item caps, the SentinelHub Catalog path and L1C revisits paired with the L2A selection on a STAC API.

import { describe, expect, it } from 'vitest';
import type { StacItem } from '../src/index.js';
import { searchItemCap, searchRevisits, searchSkipLines } from '../src/node.js';
import { startShServer } from './support/sentinel-hub-server.js';
import { makeItem, startStacServer } from './support/stac-server.js';

const AOI = [8.53, 47.36, 8.55, 47.38];
const COVER = [8.4, 47.2, 8.7, 47.5];

const items: StacItem[] = [
  makeItem('GOOD_12', '2022-06-12T10:30:00Z', 20, COVER),
  makeItem('GOOD_11', '2022-06-11T10:30:00Z', 10, COVER),
  // closest to the target date, but nothing says how cloudy it is: ranked after every known cloud cover
  (() => {
    const it = makeItem('NOCLOUD_10', '2022-06-10T10:30:00Z', 0, COVER);
    delete (it.properties as Record<string, unknown>)['eo:cloud_cover'];
    return it;
  })(),
  makeItem('ABSURD', '2022-06-10T10:30:00Z', 1, [-500, -100, 500, 100]),
  makeItem('LOTS', '2022-06-10T10:30:00Z', 1, COVER, { properties: { 'eo:cloud_cover': 'lots' } }),
];

describe('searchItemCap', () => {
  it('the default cap follows the window: 8 items a day, at least 100 and 4 × revisits', () => {
    expect(searchItemCap(['2022-06-01', '2022-06-30'], 16)).toBe(240);
    expect(searchItemCap(['2022-06-01', '2022-06-02'], 16)).toBe(100);
    expect(searchItemCap(['2022-06-01', '2022-06-01'], 100)).toBe(400);
  });
});

describe('searchRevisits via the SentinelHub Catalog', () => {
  it('caps pages (PAGE_LIMIT after a fixed number of requests) and reports invalid items', async () => {
    const sh = await startShServer();
    try {
      const provider = {
        kind: 'sentinelhub' as const,
        baseUrl: sh.url,
        credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
      };
      const aoi = { name: 'a', bounds: AOI as [number, number, number, number] };
      const window = {
        provider,
        dateRange: ['2022-06-01', '2022-06-30'] as [string, string],
        targetDate: '2022-06-10',
        nRevisits: 3,
      };
      sh.catalogItems.push(...items);
      const res = await searchRevisits([aoi], window);
      expect(res.revisits.L2A!.map((r) => r.entry.id)).toEqual(['GOOD_11', 'GOOD_12', 'NOCLOUD_10']);
      expect(res.invalidItems.map((x) => x.id).sort()).toEqual(['ABSURD', 'LOTS']);
      expect(res.unknownCloudCover.map((x) => x.id)).toEqual(['NOCLOUD_10']);

      // 250 items at 100 a page: a cap of 100 items allows 2 pages, the third request is never sent
      sh.catalogItems.length = 0;
      for (let i = 0; i < 250; i++) sh.catalogItems.push(makeItem(`I${i}`, '2022-06-10T10:30:00Z', 5, COVER));
      const searchCalls = () => sh.requests.filter((r) => r.path.includes('/catalog/')).length;
      const before = searchCalls();
      const err = await searchRevisits([aoi], { ...window, maxItemsPerSearch: 100 }).catch((e) => e);
      expect(err).toMatchObject({ code: 'PAGE_LIMIT' });
      expect(searchCalls() - before).toBe(2);
    } finally {
      await sh.close();
    }
  });
});

describe('searchRevisits: the SentinelHub Catalog cloud filter', () => {
  it('sends maxCloudCover as a CQL2 text filter (Catalog 1.0.0 has no query extension), never as query', async () => {
    const sh = await startShServer();
    try {
      sh.catalogItems.push(
        makeItem('CLEAR_12', '2022-06-12T10:30:00Z', 5, COVER),
        makeItem('EDGE_11', '2022-06-11T10:30:00Z', 15, COVER),
        makeItem('CLOUDY_10', '2022-06-10T10:30:00Z', 15.5, COVER),
      );
      const res = await searchRevisits([{ name: 'a', bounds: AOI as [number, number, number, number] }], {
        provider: {
          kind: 'sentinelhub',
          baseUrl: sh.url,
          credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
        },
        dateRange: ['2022-06-01', '2022-06-30'],
        targetDate: '2022-06-10',
        nRevisits: 3,
        maxCloudCover: 15,
        levels: ['L2A', 'L1C'],
      });
      const searches = sh.requests.filter((r) => r.path === '/api/v1/catalog/1.0.0/search');
      expect(searches).toHaveLength(1);
      expect(searches[0].body).toMatchObject({ filter: 'eo:cloud_cover <= 15', 'filter-lang': 'cql2-text' });
      expect(searches[0].body.query).toBeUndefined();
      // the server applied the filter: the 15.5 % scene never came back
      expect(res.found).toEqual({ L2A: { a: 2 } });
      expect(res.revisits.L2A!.map((r) => r.entry.id)).toEqual(['EDGE_11', 'CLEAR_12']);
      expect(res.revisits.L1C).toBe(res.revisits.L2A);
    } finally {
      await sh.close();
    }
  });
});

describe('searchRevisits against a catalogue that ignores datetime and collections', () => {
  it('lists items dated outside the window or of another collection as invalid, never as revisits', async () => {
    const sh = await startShServer();
    try {
      sh.catalogItems.push(
        makeItem('IN_0615', '2022-06-15T10:30:00Z', 10, COVER),
        makeItem('LAST_DAY_0630', '2022-06-30T23:59:59Z', 10, COVER),
        makeItem('AFTER_0705', '2022-07-05T10:30:00Z', 1, COVER),
        makeItem('BEFORE_0531', '2022-05-31T23:59:59Z', 1, COVER),
      );
      const res = await searchRevisits([{ name: 'a', bounds: AOI as [number, number, number, number] }], {
        provider: {
          kind: 'sentinelhub',
          baseUrl: sh.url,
          credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
        },
        dateRange: ['2022-06-01', '2022-06-30'],
        targetDate: '2022-06-30',
        nRevisits: 5,
      });
      expect(res.revisits.L2A!.map((r) => r.entry.id).sort()).toEqual(['IN_0615', 'LAST_DAY_0630']);
      expect(res.invalidItems.map((x) => [x.id, x.reason]).sort()).toEqual([
        ['AFTER_0705', 'dated 2022-07-05T10:30:00Z, outside the searched window 2022-06-01..2022-06-30'],
        ['BEFORE_0531', 'dated 2022-05-31T23:59:59Z, outside the searched window 2022-06-01..2022-06-30'],
      ]);
    } finally {
      await sh.close();
    }
  });

  it('lists a STAC item of another collection as invalid (an API answering every collection to any search)', async () => {
    const features = [
      makeItem('L2A_0615', '2022-06-15T10:30:00Z', 10, COVER),
      makeItem('L1C_0628', '2022-06-28T10:30:00Z', 1, COVER, { collection: 'sentinel-2-l1c' }),
    ];
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    // every search answers both items, whatever it asked for
    const fetchAll = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('/search')) return json({ type: 'FeatureCollection', features, links: [] });
      return json({
        type: 'Catalog',
        id: 'x',
        conformsTo: ['https://api.stacspec.org/v1.0.0/item-search'],
        links: [],
      });
    }) as typeof fetch;
    const res = await searchRevisits([{ name: 'a', bounds: AOI as [number, number, number, number] }], {
      provider: { kind: 'stac', url: 'http://127.0.0.1:9/stac' },
      dateRange: ['2022-06-01', '2022-06-30'],
      targetDate: '2022-06-30',
      nRevisits: 5,
      fetch: fetchAll,
    });
    expect(res.revisits.L2A!.map((r) => r.entry.id)).toEqual(['L2A_0615']);
    expect(res.invalidItems.map((x) => [x.id, x.reason])).toEqual([
      ['L1C_0628', 'of collection sentinel-2-l1c, not the searched sentinel-2-l2a'],
    ]);
  });
});

describe('searchRevisits on a STAC API with L1C and L2A', () => {
  // Tile 32TMT, four L2A acquisitions; L1C holds three of them with other cloud covers, a scene L2A lacks
  // (the best L1C on its own ranking) and the same datatake seen through the neighbouring tile 32TMS.
  const mgrs = { 'mgrs:utm_zone': 32, 'mgrs:latitude_band': 'T', 'mgrs:grid_square': 'MT' };
  const dt = (day: string, baseline = 'N04.00') => `GS2A_202206${day}T102021_0360${day}_${baseline}`;
  const l2a = (day: string, time: string, cloud: number, datatake: string) =>
    makeItem(`S2A_32TMT_202206${day}_0_L2A`, `2022-06-${day}T${time}Z`, cloud, COVER, {
      properties: { ...mgrs, 's2:datatake_id': datatake },
    });
  const l1c = (id: string, datetime: string, cloud: number, properties: Record<string, unknown> = {}) =>
    makeItem(id, datetime, cloud, COVER, { collection: 'sentinel-2-l1c', properties });
  const catalogue = [
    l2a('14', '10:20:21', 5, dt('14')),
    l2a('19', '10:20:21', 0, dt('19')),
    l2a('16', '10:10:21', 20, dt('16')),
    l2a('13', '10:30:21', 1, dt('13')), // no L1C of this acquisition
    l1c('S2A_32TMT_20220614_0_L1C', '2022-06-14T10:20:21Z', 30, { 's2:datatake_id': dt('14') }),
    l1c('S2A_32TMS_20220614_0_L1C', '2022-06-14T10:20:24Z', 2, {
      's2:datatake_id': dt('14'),
      's2:mgrs_tile': '32TMS',
    }),
    // reprocessed on another baseline: still the same datatake
    l1c('S2A_32TMT_20220619_0_L1C', '2022-06-19T10:20:21Z', 40, {
      ...mgrs,
      's2:datatake_id': dt('19', 'N05.09'),
    }),
    // no datatake id: the same acquisition by sensing time (1.5 s apart)
    l1c('S2A_32TMT_20220616_0_L1C', '2022-06-16T10:10:22.500Z', 35, mgrs),
    l1c('S2B_32TMT_20220615_0_L1C', '2022-06-15T10:30:21Z', 0, mgrs),
  ];

  it('selects once on L2A and gives L1C the same acquisitions under the same n, reporting one it lacks', async () => {
    const stac = await startStacServer(catalogue);
    try {
      const res = await searchRevisits([{ name: 'a', bounds: AOI as [number, number, number, number] }], {
        provider: { kind: 'stac', url: stac.url, provider: 'earth-search' },
        dateRange: ['2022-06-01', '2022-06-30'],
        targetDate: '2022-06-15',
        nRevisits: 4,
        maxCloudCover: 25,
        levels: ['L1C', 'L2A'],
      });
      // ranks: 0614 1.5+3, 0613 3+2, 0619 4+1 (|Δ| breaks the tie with 0613), 0616 1.5+4
      expect(res.revisits.L2A!.map((r) => [r.n, r.entry.id])).toEqual([
        [1, 'S2A_32TMT_20220614_0_L2A'],
        [2, 'S2A_32TMT_20220613_0_L2A'],
        [3, 'S2A_32TMT_20220619_0_L2A'],
        [4, 'S2A_32TMT_20220616_0_L2A'],
      ]);
      expect(res.revisits.L1C!.map((r) => [r.n, r.entry.id, r.entry.cloudCover, r.deltaDays])).toEqual([
        [1, 'S2A_32TMT_20220614_0_L1C', 5, -1],
        [3, 'S2A_32TMT_20220619_0_L1C', 0, 4],
        [4, 'S2A_32TMT_20220616_0_L1C', 20, 1],
      ]);
      expect(res.unpaired).toEqual([
        {
          level: 'L1C',
          aoi: 'a',
          n: 2,
          id: 'S2A_32TMT_20220613_0_L2A',
          datetime: '2022-06-13T10:30:21.000Z',
        },
      ]);
      expect(res.found).toEqual({ L2A: { a: 4 }, L1C: { a: 5 } });
      // the cloud limit goes to the L2A search only: L1C's own cloud covers must not drop the pairs
      const searches = stac.requests.filter((r) => r.url.startsWith('/search'));
      expect(searches.map((r) => [r.body.collections[0], r.body.query ?? null])).toEqual([
        ['sentinel-2-l2a', { 'eo:cloud_cover': { lte: 25 } }],
        ['sentinel-2-l1c', null],
      ]);
      expect(searchSkipLines(res)).toEqual([
        '1 selected revisit(s) have no L1C item of the same acquisition (no L1C file for them): a n=2',
      ]);
    } finally {
      await stac.close();
    }
  });
});
