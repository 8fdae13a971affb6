// The revisit search stage on its own (the worldstrat CLI's `search` command runs it against a STAC server):
// item caps and the SentinelHub Catalog path.

import { describe, expect, it } from 'vitest';
import type { StacItem } from '../src/index.js';
import { searchItemCap, searchRevisits } from '../src/node.js';
import { startShServer } from './support/sentinel-hub-server.js';
import { makeItem } from './support/stac-server.js';

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
