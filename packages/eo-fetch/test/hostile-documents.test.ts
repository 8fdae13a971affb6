// Hostile documents at every boundary where eo-fetch reads outside data: STAC items and pages (Earth Search,
// Planetary Computer fixtures) served by a 127.0.0.1 server, SentinelHub token/catalog/dataimport/order answers,
// download manifests and credential files on disk. Seeded mutations of real-shaped documents must end 'ok' with
// documented invariants, or in an EoFetchError; crafted cases pin each fixed bug to its code and message.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, tallyOutcomes } from '../../../tests/support/json-mutations.js';
import {
  appendManifest,
  bandAsset,
  type CatalogueEntry,
  catalogueEntriesFromStacItems,
  catalogueEntryFromSpotFeature,
  catalogueEntryFromStacItem,
  compactManifest,
  createPlanetaryComputerSigner,
  downloadAll,
  EoFetchError,
  earthSearch,
  itemAssets,
  loadSentinelHubCredentials,
  type ManifestRecord,
  ManifestWriter,
  nextRequest,
  planetaryComputer,
  readManifest,
  reflectanceScaling,
  SentinelHubClient,
  type SpotFeature,
  StacClient,
  type StacItem,
} from '../src/node.js';
import { validateStacItem } from '../src/stac/validate-item.js';
import { fixture, type ReplayRoute, type ReplayServer, startReplayServer } from './support/replay-server.js';

/** A member that throws when a message builder calls String() on it, as JSON.parse('{"toString":1}') gives. */
const HOSTILE_TO_STRING = { toString: 1 };
const EXTRA = [HOSTILE_TO_STRING, '0', '2021-02-30T10:00:00Z', 'x 2020'];
const NO_RETRY = { retries: 0 };

const stacItems: StacItem[] = [
  fixture('earth-search-v0-item.json'),
  ...fixture('earth-search-v1-search-1.json').features,
  ...fixture('earth-search-c1-search.json').features,
  ...fixture('planetary-computer-search-1.json').features,
];

const spotFeature: SpotFeature = {
  type: 'Feature',
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [30.05, -2.0],
        [30.15, -2.0],
        [30.15, -1.9],
        [30.05, -1.9],
        [30.05, -2.0],
      ],
    ],
  },
  properties: {
    id: '4a1b2c3d-5e6f-4711-8899-aabbccddeeff',
    acquisitionDate: '2021-03-20T08:12:13.5Z',
    cloudCover: 3.2,
    incidenceAngle: 12.5,
    azimuthAngle: 180.3,
    illuminationAzimuthAngle: 140.2,
    illuminationElevationAngle: 55.1,
    constellation: 'SPOT',
    resolution: 1.5,
  },
  _links: {
    quicklook: { href: 'https://example.test/q.jpg' },
    thumbnail: { href: 'https://example.test/t.jpg' },
  },
};

/** Runs `fn` on `count` seeded variants of `doc`, checking the invariants of every 'ok' result. */
function mutate<T>(
  doc: unknown,
  count: number,
  seed: number,
  fn: (doc: any) => T | Promise<T>,
  check: (result: T, what: string) => void,
): Promise<Map<string, number>> {
  return tallyOutcomes(jsonMutations(doc, count, seed, EXTRA), EoFetchError, fn, { check });
}

/** Every outcome seen is one of `allowed` (the unexpected ones are listed when not). */
function expectOnly(outcomes: Iterable<string>, allowed: string[]): void {
  expect([...outcomes].filter((k) => !allowed.includes(k))).toEqual([]);
}

/** Throws unless `fn` throws an EoFetchError; returns it. */
async function typedError(fn: () => unknown): Promise<EoFetchError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof EoFetchError) return e;
    throw e;
  }
  throw new Error('expected an EoFetchError, got a result');
}

const isIsoInstant = (s: unknown) =>
  typeof s === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) &&
  !Number.isNaN(Date.parse(s));

function expectEntry(e: CatalogueEntry, what: string): void {
  const why = (() => {
    if (typeof e.id !== 'string' || e.id === '') return 'id';
    if (!isIsoInstant(e.datetime)) return `datetime ${e.datetime}`;
    if (
      e.cloudCover !== null &&
      !(typeof e.cloudCover === 'number' && e.cloudCover >= 0 && e.cloudCover <= 100)
    )
      return `cloudCover ${e.cloudCover}`;
    if (e.geometry.type !== 'Polygon' && e.geometry.type !== 'MultiPolygon') return 'geometry';
    if (e.platform !== undefined && (typeof e.platform !== 'string' || e.platform === '')) return 'platform';
    if (e.datatakeId !== undefined && typeof e.datatakeId !== 'string') return 'datatakeId';
    if (e.relativeOrbit !== undefined && !(Number.isSafeInteger(e.relativeOrbit) && e.relativeOrbit > 0))
      return `relativeOrbit ${e.relativeOrbit}`;
    for (const [k, v] of Object.entries(e.extra ?? {}))
      if (v !== undefined && typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
        return `extra.${k}`;
    return undefined;
  })();
  if (why) throw new Error(`${what}: entry has a bad ${why}`);
}

describe('catalogue entries from STAC items', () => {
  it('turns mutated Earth Search / Planetary Computer items into valid entries or INVALID_ITEM', async () => {
    const seen = new Map<string, number>();
    for (const [i, item] of stacItems.entries()) {
      const out = await mutate(item, 120, 100 + i, (d) => catalogueEntryFromStacItem(d), expectEntry);
      for (const [k, n] of out) seen.set(k, (seen.get(k) ?? 0) + n);
    }
    expect([...seen.keys()].sort()).toEqual(['INVALID_ITEM', 'ok']);
  });

  it('splits a mutated page into valid entries and reported invalid items, never throwing', async () => {
    const features = fixture('planetary-computer-search-1.json').features.concat(
      fixture('earth-search-v1-search-1.json').features,
    );
    const out = await mutate(
      features,
      200,
      7,
      (d) => catalogueEntriesFromStacItems(d),
      (r, what) => {
        for (const e of r.entries) expectEntry(e, what);
        for (const bad of r.invalidItems) {
          expect(typeof bad.reason).toBe('string');
          expect(bad.id === null || typeof bad.id === 'string').toBe(true);
        }
      },
    );
    expect([...out.keys()]).toEqual(['ok']);
  });

  it('refuses a datatake id or platform whose String() throws, naming the item and the member', async () => {
    const item = structuredClone(stacItems[1]);
    item.properties['s2:datatake_id'] = HOSTILE_TO_STRING as never;
    const err = await typedError(() => catalogueEntryFromStacItem(item));
    expect(err.code).toBe('INVALID_ITEM');
    expect(err.message).toContain(`"${item.id}"`);
    expect(err.message).toContain('properties.s2:datatake_id');
    item.properties['s2:datatake_id'] = undefined;
    item.properties.platform = [1, 2] as never; // was returned as platform "1,2"
    expect((await typedError(() => catalogueEntryFromStacItem(item))).message).toContain(
      'properties.platform',
    );
  });

  it('refuses an invalid item whose id String() throws, without a TypeError', async () => {
    const item = { ...structuredClone(stacItems[0]), id: HOSTILE_TO_STRING } as never;
    const err = await typedError(() => catalogueEntryFromStacItem(item));
    expect(err.code).toBe('INVALID_ITEM');
    expect(err.message).toBe('catalogue item (id {"toString":1}): item has no string id');
    expect(catalogueEntriesFromStacItems([item]).invalidItems).toEqual([
      { id: null, reason: 'items[0]: catalogue item (id {"toString":1}): item has no string id' },
    ]);
  });

  it('refuses datetimes that Date.parse guesses or that do not exist', async () => {
    for (const datetime of [
      '0',
      '1',
      'x 2020',
      '2021-02-30T10:00:00Z',
      '2021-06-01',
      '2021-06-01T24:00:00Z',
    ]) {
      const item = structuredClone(stacItems[2]);
      item.properties.datetime = datetime;
      const err = await typedError(() => catalogueEntryFromStacItem(item));
      expect(err.code).toBe('INVALID_ITEM');
      expect(err.message).toContain(
        `properties.datetime ${JSON.stringify(datetime)} is not an RFC 3339 date-time`,
      );
      expect(validateStacItem(item)).toBe(
        `properties.datetime ${JSON.stringify(datetime)} is not an RFC 3339 date-time`,
      );
    }
    const offset = structuredClone(stacItems[2]);
    offset.properties.datetime = '2023-06-12T12:56:19+02:00';
    expect(catalogueEntryFromStacItem(offset).datetime).toBe('2023-06-12T10:56:19.000Z');
  });

  it('refuses a relative orbit that is not a positive integer (was kept as 0.5)', async () => {
    const item = structuredClone(stacItems[4]);
    item.properties['sat:relative_orbit'] = 0.5;
    const err = await typedError(() => catalogueEntryFromStacItem(item));
    expect(err.code).toBe('INVALID_ITEM');
    expect(err.message).toContain('properties.sat:relative_orbit 0.5 is not a positive integer');
    item.properties['sat:relative_orbit'] = 94;
    expect(catalogueEntryFromStacItem(item).relativeOrbit).toBe(94);
  });

  it('names the position of a bad coordinate and cuts huge values short in the reason', () => {
    const item = structuredClone(stacItems[1]) as any;
    item.geometry.coordinates[0][3] = ['é'.repeat(300_000), 1];
    const why = validateStacItem(item)!;
    expect(why).toMatch(/^position \["é+\.\.\. is not finite numbers at geometry\.coordinates\[0\]\[3\]$/);
    expect(why.length).toBeLessThan(200);
  });

  it('refuses a list that is not an array with INVALID_ARGUMENT (was "items is not iterable")', async () => {
    const err = await typedError(() => catalogueEntriesFromStacItems(5 as never));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('catalogue items must be an array, got 5');
  });
});

describe('band assets and reflectance scaling of mutated items', () => {
  it('answers a usable scaling and an asset with an href, or INVALID_ITEM / UNKNOWN_BAND', async () => {
    const seen = new Set<string>();
    for (const [i, item] of stacItems.entries()) {
      const provider = item.collection === 'sentinel-2-l2a' && i === 4 ? planetaryComputer : earthSearch;
      const out = await mutate(
        item,
        80,
        200 + i,
        (d) => {
          const assets = itemAssets(d);
          const first = Object.values(assets)[0];
          return { scaling: reflectanceScaling(d, first), band: bandAsset(d, provider, 'B04') };
        },
        ({ scaling, band }, what) => {
          if (!Number.isFinite(scaling.scale) || scaling.scale === 0 || !Number.isFinite(scaling.offset))
            throw new Error(`${what}: scaling ${JSON.stringify(scaling)}`);
          if (scaling.baseline !== undefined && !/^N?\d{2}\.?\d{2}$/.test(scaling.baseline.trim()))
            throw new Error(`${what}: baseline ${scaling.baseline}`);
          if (typeof band.asset.href !== 'string' || band.asset.href === '') throw new Error(`${what}: href`);
        },
      );
      for (const k of out.keys()) seen.add(k);
    }
    expectOnly(seen, ['ok', 'INVALID_ITEM', 'UNKNOWN_BAND']);
    expect(seen.has('ok')).toBe(true);
  });

  it('refuses an item without properties (was a TypeError reading s2:processing_baseline)', async () => {
    const item = structuredClone(stacItems[1]) as any;
    delete item.properties;
    const err = await typedError(() => reflectanceScaling(item, Object.values(item.assets)[0] as never));
    expect(err.code).toBe('INVALID_ITEM');
    expect(err.message).toBe(`item "${item.id}": properties is not an object`);
  });

  it('refuses a processing baseline that is not a string (was String() of an object)', async () => {
    const item = structuredClone(stacItems[0]) as any;
    item.properties['sentinel:processing_baseline'] = HOSTILE_TO_STRING;
    const err = await typedError(() => reflectanceScaling(item, item.assets.B04));
    expect(err.code).toBe('INVALID_ITEM');
    expect(err.message).toContain('processing baseline {"toString":1} is not NN.NN');
    item.properties['sentinel:processing_baseline'] = 4.0; // a number: the "04.00" it meant is not knowable
    expect((await typedError(() => reflectanceScaling(item, item.assets.B04))).code).toBe('INVALID_ITEM');
  });
});

describe('SPOT features', () => {
  it('turns mutated dataimport features into valid entries or INVALID_ITEM', async () => {
    const out = await mutate(spotFeature, 400, 11, (d) => catalogueEntryFromSpotFeature(d), expectEntry);
    expect([...out.keys()].sort()).toEqual(['INVALID_ITEM', 'ok']);
  });

  it('refuses angles, resolution and links of the wrong type (were handed on in extra)', async () => {
    const cases: [string, string, unknown, string][] = [
      ['properties', 'incidenceAngle', [1, 2], 'properties.incidenceAngle [1,2] is not a number in [0, 90]'],
      [
        'properties',
        'illuminationElevationAngle',
        {},
        'properties.illuminationElevationAngle {} is not a number',
      ],
      ['properties', 'resolution', -1, 'properties.resolution -1 is not a number in'],
      [
        'properties',
        'constellation',
        HOSTILE_TO_STRING,
        'properties.constellation {"toString":1} is not a string',
      ],
      ['quicklook', 'href', { length: 1e9 }, '_links.quicklook.href {"length":1000000000} is not a string'],
      ['properties', 'acquisitionDate', '0', 'properties.acquisitionDate "0" is not an RFC 3339 date-time'],
      ['properties', 'id', HOSTILE_TO_STRING, 'no string properties.id'],
    ];
    for (const [parent, key, value, message] of cases) {
      const f = structuredClone(spotFeature) as any;
      (parent === 'quicklook' ? f._links.quicklook : f.properties)[key] = value;
      const err = await typedError(() => catalogueEntryFromSpotFeature(f));
      expect(err.code, key).toBe('INVALID_ITEM');
      expect(err.message, key).toMatch(/^SPOT feature /);
      expect(err.message, key).toContain(message);
    }
    const entry = catalogueEntryFromSpotFeature(spotFeature);
    expect(entry.extra).toEqual({
      incidence: 12.5,
      resolution: 1.5,
      view_azimuth: 180.3,
      sun_azimuth: 140.2,
      sun_elevation: 55.1,
      'quicklook.href': 'https://example.test/q.jpg',
      'thumbnail.href': 'https://example.test/t.jpg',
    });
  });
});

describe('STAC API documents from a local server', () => {
  let server: ReplayServer;
  /** What the next answer of each route is. */
  const current: {
    landing: unknown;
    page: unknown;
    item: unknown;
    collections: unknown;
    queryables: unknown;
    collection: unknown;
  } = {
    landing: null,
    page: null,
    item: null,
    collections: null,
    queryables: null,
    collection: null,
  };
  const routes: ReplayRoute[] = [
    { method: 'GET', path: '/', reply: () => ({ body: current.landing }) },
    { method: 'GET', path: '/conformance', reply: () => ({ body: { conformsTo: [] } }) },
    { method: 'GET', path: '/collections', reply: () => ({ body: current.collections }) },
    { method: 'GET', path: '/collections/sentinel-2-l2a/items/X', reply: () => ({ body: current.item }) },
    {
      method: 'GET',
      path: '/collections/sentinel-2-l2a/queryables',
      reply: () => ({ body: current.queryables }),
    },
    { method: 'GET', path: '/queryables', reply: () => ({ body: current.queryables }) },
    { method: 'GET', path: '/collections/sentinel-2-l2a', reply: () => ({ body: current.collection }) },
    // the first page is the mutated one; a page a next link leads to is empty, so every search ends
    {
      method: 'POST',
      path: '/search',
      when: (r) => r.body?.next === undefined && r.body?.token === undefined,
      reply: () => ({ body: current.page }),
    },
    { method: 'POST', path: '/search', reply: () => ({ body: { type: 'FeatureCollection', features: [] } }) },
    { method: 'GET', path: '/search', reply: () => ({ body: { type: 'FeatureCollection', features: [] } }) },
  ];
  const client = () => new StacClient(server.url, { retry: NO_RETRY, onMissingConformance: 'ignore' });

  beforeAll(async () => {
    server = await startReplayServer(routes);
  });
  afterAll(() => server.close());

  it('reads mutated landing pages as a JSON object and a list of strings, or a typed error', async () => {
    const landing = fixture('earth-search-v1-landing.json', 'http://127.0.0.1:1');
    const out = await mutate(
      landing,
      150,
      21,
      async (d) => {
        current.landing = d;
        const c = client();
        return { root: await c.root(), conformsTo: await c.conformsTo() };
      },
      ({ root, conformsTo }, what) => {
        if (!root || typeof root !== 'object' || Array.isArray(root)) throw new Error(`${what}: root`);
        if (!conformsTo.every((x) => typeof x === 'string')) throw new Error(`${what}: conformsTo`);
      },
    );
    expectOnly(out.keys(), ['ok', 'INVALID_RESPONSE']);
  });

  for (const file of [
    'earth-search-v1-search-1.json',
    'planetary-computer-search-1.json',
    'earth-search-c1-search.json',
  ]) {
    it(`pages through mutated ${file} keeping only valid items and documented members`, async () => {
      const page = fixture(file, server.url);
      const out = await mutate(
        page,
        120,
        31,
        async (d) => {
          current.page = d;
          const pages = [];
          for await (const p of client().pages({ collections: ['sentinel-2-l2a'] }, { maxPages: 3 }))
            pages.push(p);
          return pages;
        },
        (pages, what) => {
          for (const p of pages) {
            for (const f of p.features)
              if (validateStacItem(f)) throw new Error(`${what}: kept ${validateStacItem(f)}`);
            for (const k of ['numberMatched', 'numberReturned'] as const)
              if (p[k] !== undefined && !(Number.isSafeInteger(p[k]) && p[k]! >= 0))
                throw new Error(`${what}: ${k}`);
            if (p.links !== undefined && !Array.isArray(p.links)) throw new Error(`${what}: links`);
            const c = p.context;
            if (c !== undefined && (typeof c !== 'object' || c === null || Array.isArray(c)))
              throw new Error(`${what}: context`);
            for (const bad of p.invalidItems)
              if (typeof bad.reason !== 'string') throw new Error(`${what}: reason`);
          }
        },
      );
      expectOnly(out.keys(), ['ok', 'INVALID_RESPONSE', 'CREDENTIAL_SCOPE', 'PAGING_LOOP', 'HTTP_ERROR']);
      expect(out.get('ok')).toBeGreaterThan(60);
    });
  }

  it('reads mutated queryables and collection documents as JSON objects, or INVALID_RESPONSE', async () => {
    const queryables = {
      $schema: 'https://json-schema.org/draft/2019-09/schema',
      $id: `${server.url}/collections/sentinel-2-l2a/queryables`,
      type: 'object',
      title: 'Queryables for sentinel-2-l2a',
      properties: {
        'eo:cloud_cover': {
          $ref: 'https://stac-extensions.github.io/eo/v1.0.0/schema.json#/definitions/eo:cloud_cover',
        },
        's2:mgrs_tile': { title: 'MGRS tile', type: 'string' },
        datetime: { type: 'string', format: 'date-time' },
      },
      additionalProperties: true,
    };
    const isObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
    const fromQueryables = await mutate(
      queryables,
      150,
      41,
      async (d) => {
        current.queryables = d;
        return [await client().queryables('sentinel-2-l2a'), await client().queryables()];
      },
      (qs, what) => {
        if (!qs.every(isObject)) throw new Error(`${what}: queryables`);
      },
    );
    expectOnly(fromQueryables.keys(), ['ok', 'INVALID_RESPONSE']);
    const collection = {
      type: 'Collection',
      id: 'sentinel-2-l2a',
      stac_version: '1.0.0',
      description: 'Sentinel-2 L2A',
      license: 'proprietary',
      extent: {
        spatial: { bbox: [[-180, -90, 180, 90]] },
        temporal: { interval: [['2015-06-27T10:25:31Z', null]] },
      },
      links: [{ rel: 'self', href: `${server.url}/collections/sentinel-2-l2a` }],
    };
    const fromCollection = await mutate(
      collection,
      150,
      43,
      async (d) => {
        current.collection = d;
        return client().collection('sentinel-2-l2a');
      },
      (c, what) => {
        if (!isObject(c) || typeof c.id !== 'string') throw new Error(`${what}: collection`);
      },
    );
    expectOnly(fromCollection.keys(), ['ok', 'INVALID_RESPONSE']);
    expect(fromCollection.get('INVALID_RESPONSE')).toBeGreaterThan(0);
  });

  it('names the queryables URL and what came back when the answer is not an object', async () => {
    current.queryables = [1, 2];
    const err = await typedError(() => client().queryables('sentinel-2-l2a'));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      `queryables ${server.url}/collections/sentinel-2-l2a/queryables is [1,2], not a JSON Schema object`,
    );
  });

  it('matched() answers a count or undefined for mutated numberMatched / context', async () => {
    const page = fixture('earth-search-v1-search-1.json', server.url);
    const out = await mutate(
      { numberMatched: page.numberMatched, context: page.context },
      100,
      41,
      async (d) => {
        current.page = { ...page, ...d };
        return client().matched({ collections: ['sentinel-2-l2a'] });
      },
      (m, what) => {
        if (m !== undefined && !(Number.isSafeInteger(m) && m >= 0)) throw new Error(`${what}: matched ${m}`);
      },
    );
    expect([...out.keys()]).toEqual(['ok']);
  });

  it('follows mutated next links only to http(s) requests with an object body', async () => {
    // a context.next token is sent to the page's own URL; a next link's body is the server's own to choose
    const prev = { url: 'https://example.test/search?first', method: 'POST' as const, body: { limit: 2 } };
    for (const file of ['earth-search-v1-search-1.json', 'planetary-computer-search-1.json']) {
      const out = await mutate(
        { links: fixture(file).links, context: { next: 'tok-1' } },
        300,
        51,
        (d) => nextRequest(d, prev),
        (req, what) => {
          if (req === undefined) return;
          if (!/^https?:\/\//.test(req.url)) throw new Error(`${what}: url ${req.url}`);
          if (req.method !== 'GET' && req.method !== 'POST') throw new Error(`${what}: method`);
          if (req.body !== undefined && (typeof req.body !== 'object' || Array.isArray(req.body)))
            throw new Error(`${what}: body`);
          const next = req.url === prev.url ? (req.body as { next?: unknown }).next : undefined;
          if (next !== undefined && typeof next !== 'string' && !Number.isSafeInteger(next))
            throw new Error(`${what}: next`);
        },
      );
      expectOnly(out.keys(), ['ok', 'INVALID_RESPONSE']);
    }
  });

  it('refuses a next href or method that is not a string (was a request to "/123" or a TypeError)', async () => {
    const prev = { url: 'https://example.test/search?k=1', method: 'POST' as const, body: {} };
    const hrefErr = await typedError(() =>
      nextRequest(
        {
          type: 'FeatureCollection',
          features: [],
          links: [{ rel: 'self' }, { rel: 'next', href: 123 }],
        } as never,
        prev,
      ),
    );
    expect(hrefErr.code).toBe('INVALID_RESPONSE');
    expect(hrefErr.message).toBe(
      'next link href 123 from https://example.test/search?k=1 (links[1]) is not a string',
    );
    const methodErr = await typedError(() =>
      nextRequest(
        {
          type: 'FeatureCollection',
          features: [],
          links: [{ rel: 'next', href: '/p2', method: HOSTILE_TO_STRING }],
        } as never,
        prev,
      ),
    );
    expect(methodErr.message).toBe(
      'next link method {"toString":1} from https://example.test/search?k=1 (links[0]) is not a string',
    );
  });

  it('refuses a next link body nested too deeply for JSON.stringify, naming the URL scrubbed (was a plain RangeError)', async () => {
    const item = {
      type: 'Feature',
      id: 'S2A_1',
      bbox: [0, 0, 1, 1],
      geometry: {
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
      properties: { datetime: '2021-06-01T10:00:00Z' },
      assets: {},
    };
    // 200,000 nested arrays: 400 KB of JSON, far under maxResponseBytes, that JSON.parse takes
    let depth = 200_000;
    const searches: string[] = [];
    const deep = createServer((req, res) => {
      searches.push(req.url ?? '');
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const token = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      res.end(
        `{"type":"FeatureCollection","features":[${JSON.stringify(item)}],"links":[{"rel":"next","href":"/search?page=2","method":"POST","body":{"token":${token}}}]}`,
      );
    });
    await new Promise<void>((r) => deep.listen(0, '127.0.0.1', r));
    try {
      const port = (deep.address() as AddressInfo).port;
      const stac = new StacClient(`http://127.0.0.1:${port}/?access_token=SECRET-TOKEN-42`, {
        retry: NO_RETRY,
        onMissingConformance: 'ignore',
      });
      const err = await typedError(() =>
        stac.itemCollection({ collections: ['sentinel-2-l2a'] }, { maxItems: 50 }),
      );
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.message).toBe(
        `next link body from http://127.0.0.1:${port}/search?access_token=*** (links[0]) is nested more than 64 levels deep; not a search body`,
      );
      expect(searches).toHaveLength(1);
      // a body of ordinary depth is followed
      depth = 10;
      const pages: number[] = [];
      for await (const page of stac.pages({ collections: ['sentinel-2-l2a'] }, { maxPages: 2 }))
        pages.push(page.features.length);
      expect(pages).toEqual([1, 1]);
    } finally {
      deep.closeAllConnections();
      await new Promise((r) => deep.close(r));
    }
  });

  it('refuses next links with merge: true that grow the request body past 4 Mi characters (the heap filled at 39 pages)', async () => {
    const item = {
      type: 'Feature',
      id: 'S2A_1',
      bbox: [0, 0, 1, 1],
      geometry: { type: 'Point', coordinates: [0.5, 0.5] },
      properties: { datetime: '2021-06-01T10:00:00Z' },
      assets: {},
    };
    const fill = 'x'.repeat(1 << 20);
    const uploads: number[] = [];
    const growing = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      req.on('end', () => {
        uploads.push(bytes);
        const n = uploads.length;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'FeatureCollection',
            features: [{ ...item, id: `S2A_${n}` }],
            links: [{ rel: 'next', href: '/search', method: 'POST', merge: true, body: { [`k${n}`]: fill } }],
          }),
        );
      });
    });
    await new Promise<void>((r) => growing.listen(0, '127.0.0.1', r));
    try {
      const port = (growing.address() as AddressInfo).port;
      const stac = new StacClient(`http://127.0.0.1:${port}/?access_token=SECRET-TOKEN-42`, {
        retry: NO_RETRY,
        onMissingConformance: 'ignore',
      });
      const err = await typedError(() => stac.itemCollection({ collections: ['sentinel-2-l2a'] }));
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.message).toMatch(
        new RegExp(
          `^STAC search: the body of the request to http://127\\.0\\.0\\.1:${port}/search is 4\\d{6} characters long \\(next links with merge: true add to it page after page\\), more than the 4194304 a search body may have$`,
        ),
      );
      // four pages sent (the last with a 3 MiB body), the fifth refused before it went out
      expect(uploads.length).toBe(4);
      expect(Math.max(...uploads)).toBeLessThan(3.1 * 2 ** 20);
    } finally {
      growing.closeAllConnections();
      await new Promise((r) => growing.close(r));
    }
  });

  it('refuses a context.next token that is not a string or an integer (was sent back as is)', async () => {
    current.page = {
      ...fixture('earth-search-c1-search.json', server.url),
      context: { next: { $where: 'x' } },
    };
    const err = await typedError(async () => {
      for await (const _ of client().pages({})) {
        // drain
      }
    });
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      `context.next {"$where":"x"} from ${server.url}/search is not a paging token (string or integer)`,
    );
  });

  it('leaves out page counts that are not counts (was numberMatched "3" as a number)', async () => {
    current.page = {
      ...fixture('earth-search-v1-search-1.json', server.url),
      numberMatched: '3',
      numberReturned: -2,
      context: { matched: 1e308, returned: 2 },
      links: 'none',
    };
    const pages = [];
    for await (const p of client().pages({})) pages.push(p);
    expect(pages).toHaveLength(1);
    expect(pages[0].features).toHaveLength(2);
    expect(pages[0].numberMatched).toBeUndefined();
    expect(pages[0].numberReturned).toBeUndefined();
    expect(pages[0].context).toEqual({ returned: 2 });
    expect(pages[0].links).toBeUndefined();
    expect((await client().itemCollection({})).numberMatched).toBeUndefined();
  });

  it('refuses a landing page, item or collections listing of the wrong shape', async () => {
    current.landing = [1, 2];
    const rootErr = await typedError(() => client().root());
    expect(rootErr.code).toBe('INVALID_RESPONSE');
    expect(rootErr.message).toBe(`landing page ${server.url}/ is [1,2], not a JSON object`);
    current.item = { ...stacItems[4], properties: { ...stacItems[4].properties, datetime: '0' } };
    const itemErr = await typedError(() => client().item('sentinel-2-l2a', 'X'));
    expect(itemErr.code).toBe('INVALID_ITEM');
    expect(itemErr.message).toBe(
      `item ${server.url}/collections/sentinel-2-l2a/items/X: properties.datetime "0" is not an RFC 3339 date-time`,
    );
    current.item = stacItems[4];
    expect((await client().item('sentinel-2-l2a', 'X')).id).toBe(stacItems[4].id);
    current.collections = { collections: [{ id: 'sentinel-2-l2a' }, 5], links: [] };
    const listErr = await typedError(() => client().collections());
    expect(listErr.code).toBe('INVALID_RESPONSE');
    expect(listErr.message).toBe(
      `${server.url}/collections: collections[1] is not a collection with a string id`,
    );
  });

  it('refuses a SAS token that is not a string (was a TypeError on token.replace)', async () => {
    const signer = createPlanetaryComputerSigner({
      tokenUrl: `${server.url}/token`,
      retry: NO_RETRY,
      fetch: async () => new Response(JSON.stringify({ token: 5, 'msft:expiry': '0' }), { status: 200 }),
    });
    const err = await typedError(() => signer.signItem(stacItems[4]));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      `SAS token endpoint ${server.url}/token returned no token string for storage account sentinel2l2a01, container sentinel2-l2`,
    );
  });
});

describe('SentinelHub answers', () => {
  const secret = 'sh-secret-9f8e7d6c5b4a';
  const issued = 'eyJhbGciOiJSUzI1NiJ9.issued-token-value';
  let server: ReplayServer;
  const current: Record<string, unknown> = {};
  const reply = (key: string) => () => ({ body: current[key] });
  beforeAll(async () => {
    server = await startReplayServer([
      { method: 'POST', path: '/oauth/token', reply: reply('token') },
      { method: 'POST', path: '/api/v1/dataimport/search', reply: reply('spot') },
      { method: 'GET', path: '/api/v1/dataimport/orders/o-1', reply: reply('order') },
      { method: 'GET', path: '/api/v1/dataimport/orders', reply: reply('orders') },
      { method: 'GET', path: '/api/v1/dataimport/quotas', reply: reply('quotas') },
      { method: 'GET', path: '/api/v1/byoc/collections', reply: reply('byoc') },
      // an order POST whose answer is lost (the order may exist)
      { method: 'POST', path: '/api/v1/dataimport/orders', reply: () => ({ status: 503, body: {} }) },
    ]);
  });
  afterAll(() => server.close());
  const validToken = { access_token: issued, token_type: 'Bearer', expires_in: 3600 };
  const client = () =>
    new SentinelHubClient(
      { clientId: 'client-id-abc', clientSecret: secret },
      { baseUrl: server.url, retry: NO_RETRY },
    );
  const order = {
    id: 'o-1',
    name: 'UNHCR-RWA001',
    collectionId: 'byoc-1',
    status: 'DONE',
    created: '2021-04-01T10:00:00Z',
    sqkm: 2.5,
    input: {
      provider: 'AIRBUS',
      bounds: {
        bbox: [30.05, -2.0, 30.15, -1.9],
        properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/4326' },
      },
      data: [{ constellation: 'SPOT', products: [{ id: spotFeature.properties.id }] }],
    },
  };

  it('takes a token from mutated token answers only when it is a usable string with a sane expiry', async () => {
    const out = await mutate(
      validToken,
      150,
      61,
      async (d) => {
        current.token = d;
        return client().accessToken();
      },
      (token, what) => {
        if (typeof token !== 'string' || token === '') throw new Error(`${what}: token ${token}`);
      },
    );
    expect([...out.keys()].sort()).toEqual(['INVALID_RESPONSE', 'ok']);
  });

  it('names the bad member of a token answer and never the token or the secret', async () => {
    const cases: [unknown, string][] = [
      [{ access_token: issued, expires_in: '3600' }, 'expires_in "3600", not a lifetime in seconds'],
      [{ access_token: issued, expires_in: 1e308 }, 'expires_in 1e+308, not a lifetime in seconds'],
      [{ access_token: issued, expires_at: -1 }, 'expires_at -1, not epoch seconds'],
      [{ access_token: HOSTILE_TO_STRING }, 'no usable access_token (a object)'],
      [{ access_token: [issued] }, 'no usable access_token (a array)'],
      [`{"access_token":"${issued}", oops`, 'did not answer JSON'],
    ];
    for (const [body, message] of cases) {
      current.token = body;
      const err = await typedError(() => client().accessToken());
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.message).toContain(`token endpoint ${server.url}/oauth/token`);
      expect(err.message).toContain(message);
      expect(err.message).not.toContain(issued);
      expect(err.message).not.toContain(secret);
    }
  });

  it('refuses a token whose expires_at is already past (was cached and fetched again for every call)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const expiresAt of [1, now - 10]) {
      current.token = { access_token: issued, expires_at: expiresAt };
      const err = await typedError(() => client().accessToken());
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.message).toMatch(
        new RegExp(`answered expires_at ${expiresAt}, already past \\(now \\d+\\): no lifetime left$`),
      );
      expect(err.message).not.toContain(issued);
    }
    current.token = { access_token: issued, expires_at: now + 3600 };
    const c = client();
    expect(await c.accessToken()).toBe(issued);
    expect(await c.accessToken()).toBe(issued);
    expect(c.tokenRequests).toBe(1);
  });

  it('never orders twice when the listing read after a lost answer has no data array (was a second POST)', async () => {
    current.token = validToken;
    const input = {
      name: 'UNHCR-RWA001',
      collectionId: 'byoc-1',
      bbox: [30.05, -2.0, 30.15, -1.9] as [number, number, number, number],
      productIds: [spotFeature.properties.id],
    };
    for (const listing of [{}, null, '', { links: {} }]) {
      current.orders = listing;
      const before = server.requests.length;
      const err = await typedError(() => client().createOrder(input, { dryRun: false }));
      const posts = server.requests
        .slice(before)
        .filter((r) => r.method === 'POST' && r.path === '/api/v1/dataimport/orders');
      expect(posts).toHaveLength(1);
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.message).toMatch(
        /^order UNHCR-RWA001 may have been created \(its answer was lost: .*HTTP 503 /,
      );
      expect(err.message).toContain(
        'could not be listed to check: SentinelHub listing /api/v1/dataimport/orders: data is missing;',
      );
    }
    current.quotas = {};
    expect((await typedError(() => client().quotas())).message).toBe('SentinelHub quotas: data is missing');
  });

  it('yields mutated dataimport features as objects and converts them or refuses them typed', async () => {
    current.token = validToken;
    const page = {
      type: 'FeatureCollection',
      features: [spotFeature],
      links: { next: `${server.url}/api/v1/dataimport/search?page=2` },
    };
    const c = client();
    const out = await mutate(
      page,
      150,
      71,
      async (d) => {
        current.spot = d;
        const entries = [];
        for await (const f of c.spotSearch(
          { bbox: [30, -2, 30.2, -1.9], from: '2021-01-01', to: '2021-12-31' },
          { maxItems: 5 },
        )) {
          expect(f && typeof f === 'object' && !Array.isArray(f)).toBe(true);
          entries.push(catalogueEntryFromSpotFeature(f));
        }
        return entries;
      },
      (entries, what) => {
        for (const e of entries) expectEntry(e, what);
      },
    );
    expectOnly(out.keys(), [
      'ok',
      'INVALID_ITEM',
      'INVALID_RESPONSE',
      'PAGING_LOOP',
      'CREDENTIAL_SCOPE',
      'HTTP_ERROR',
    ]);
  });

  it('refuses a links.next that is not a URL (was TypeError: Invalid URL)', async () => {
    current.token = validToken;
    current.spot = { features: [spotFeature], links: { next: 'http://[::1' } };
    const err = await typedError(async () => {
      for await (const _ of client().spotSearch({ bbox: [30, -2, 30.2, -1.9], from: 'a', to: 'b' })) {
        // drain
      }
    });
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      `dataimport search ${server.url}/api/v1/dataimport/search: links.next "http://[::1" is not a URL`,
    );
  });

  it('reads mutated orders, order listings and quotas as their documented shapes or INVALID_RESPONSE', async () => {
    current.token = validToken;
    const c = client();
    const checkOrder = (o: any, what: string) => {
      for (const k of ['id', 'name', 'status'])
        if (typeof o[k] !== 'string') throw new Error(`${what}: order.${k}`);
      if (o.sqkm !== undefined && o.sqkm !== null && !(Number.isFinite(o.sqkm) && o.sqkm >= 0))
        throw new Error(`${what}: sqkm`);
      const data = o.input?.data;
      if (data !== undefined && data !== null && !Array.isArray(data)) throw new Error(`${what}: input.data`);
    };
    const seen = new Set<string>();
    const add = (m: Map<string, number>) => {
      for (const k of m.keys()) seen.add(k);
    };
    add(
      await mutate(
        order,
        120,
        81,
        (d) => {
          current.order = d;
          return c.order('o-1');
        },
        checkOrder,
      ),
    );
    add(
      await mutate(
        { data: [order, { ...order, id: 'o-2' }], links: {} },
        120,
        82,
        (d) => {
          current.orders = d;
          return c.listOrders();
        },
        (os, what) => {
          for (const o of os) checkOrder(o, what);
        },
      ),
    );
    add(
      await mutate(
        { data: [{ collectionId: 'byoc-1', quotaSqkm: 1000, quotaUsed: 12.5 }] },
        120,
        83,
        (d) => {
          current.quotas = d;
          return c.quotas();
        },
        (qs, what) => {
          if (!Array.isArray(qs)) throw new Error(`${what}: quotas`);
          for (const q of qs)
            if (
              typeof q.collectionId !== 'string' ||
              !(Number.isFinite(q.quotaSqkm) && Number.isFinite(q.quotaUsed))
            )
              throw new Error(`${what}: quota`);
        },
      ),
    );
    expect([...seen].sort()).toEqual(['INVALID_RESPONSE', 'PAGING_LOOP', 'ok'].filter((k) => seen.has(k)));
    expect(seen.has('ok') && seen.has('INVALID_RESPONSE')).toBe(true);
  });

  it('names the order and the member of a malformed order (was a TypeError in createOrder recovery)', async () => {
    current.token = validToken;
    current.orders = { data: [{ ...order, input: { data: 5 } }] };
    const err = await typedError(() => client().listOrders());
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toBe(
      'SentinelHub listing /api/v1/dataimport/orders data[0]: input.data is not an array',
    );
    current.order = { ...order, status: HOSTILE_TO_STRING };
    expect((await typedError(() => client().order('o-1'))).message).toBe(
      'SentinelHub order /api/v1/dataimport/orders/o-1: status {"toString":1} is not a string',
    );
    current.quotas = { data: 'lots' };
    expect((await typedError(() => client().quotas())).message).toBe(
      'SentinelHub quotas: data is not an array',
    );
    current.byoc = { data: [{ id: 'b', name: 7 }] };
    expect((await typedError(() => client().byocCollections())).message).toBe(
      'SentinelHub listing /api/v1/byoc/collections data[0]: name 7 is not a string',
    );
  });
});

describe('files on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eo-fetch-hostile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const record = {
    aoi: 'UNHCR-RWA001',
    revisit: 1,
    itemId: 'S2B_31UDQ_20240115_0_L2A',
    path: 'UNHCR-RWA001/L2A/UNHCR-RWA001-1-L2A_data.tiff',
    base: 'root',
    url: 'https://example.test/B04.tif',
    bytes: 123_456,
    sha256: 'a'.repeat(64),
    status: 'verified',
    time: '2024-01-16T10:00:00.000Z',
  };

  it('keeps only records of the documented shape from mutated manifest lines, never throwing', async () => {
    const manifestPath = join(dir, 'manifest.jsonl');
    const good = { ...record, path: 'good.tiff' };
    const out = await mutate(
      record,
      300,
      91,
      async (d) => {
        await writeFile(manifestPath, `${JSON.stringify(good)}\n${JSON.stringify(d)}\n{"torn":`);
        return readManifest(manifestPath);
      },
      (records, what) => {
        expect(records.get(join(dir, 'good.tiff'))?.bytes, what).toBe(123_456);
        for (const r of records.values()) {
          const bad =
            !isAbsolute(r.path) ||
            (r.status !== 'verified' && r.status !== 'failed') ||
            !Number.isSafeInteger(r.bytes) ||
            r.bytes < 0 ||
            typeof r.sha256 !== 'string' ||
            !(/^[0-9a-f]{64}$/i.test(r.sha256) || (r.sha256 === '' && r.status === 'failed')) ||
            typeof r.url !== 'string' ||
            (r.revisit !== undefined && !(Number.isSafeInteger(r.revisit) && r.revisit >= 1));
          if (bad) throw new Error(`${what}: kept ${JSON.stringify(r).slice(0, 200)}`);
        }
      },
    );
    expect([...out.keys()]).toEqual(['ok']);
  });

  it('skips records that would mark a file verified with a size or hash it never had', async () => {
    const manifestPath = join(dir, 'crafted.jsonl');
    const lines = [
      { ...record, path: 'bytes-string', bytes: '123456' },
      { ...record, path: 'bytes-negative', bytes: -1 },
      { ...record, path: 'bytes-huge', bytes: 1e308 },
      { ...record, path: 'status-done', status: 'done' },
      { ...record, path: 'hash-object', sha256: HOSTILE_TO_STRING },
      { ...record, path: 'hash-empty-verified', sha256: '' },
      {
        ...record,
        path: 'failed',
        status: 'failed',
        bytes: 0,
        sha256: '',
        error: { code: 'HTTP_ERROR', message: 'x' },
      },
      { ...record, path: 'legacy', base: undefined, time: undefined },
    ];
    await writeFile(manifestPath, lines.map((l) => JSON.stringify(l)).join('\n'));
    const got = await readManifest(manifestPath);
    expect([...got.keys()].sort()).toEqual([join(dir, 'failed'), join(process.cwd(), 'legacy')].sort());
  });

  it('reads a manifest in pieces: lines across 1 MiB chunk edges, an overlong line skipped, and a compaction of it', async () => {
    const manifestPath = join(dir, 'chunked.jsonl');
    // 12 000 records of varying length (≈ 4 MiB: lines straddle every chunk edge), one 3 MiB line of garbage
    // among them (skipped whole, never joined to its neighbours), a torn last line
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      lines.push(JSON.stringify({ ...record, path: `f/${i}.tif`, itemId: `item-${'x'.repeat(i % 97)}` }));
      if (i === 6_000) lines.push(`{"path":"${'g'.repeat(3 << 20)}"}`);
    }
    await writeFile(manifestPath, `${lines.join('\n')}\n{"path":"torn`);
    const got = await readManifest(manifestPath, { root: dir });
    expect(got.size).toBe(12_000);
    expect(got.get(join(dir, 'f/5999.tif'))?.itemId).toBe(`item-${'x'.repeat(5999 % 97)}`);
    expect(got.get(join(dir, 'f/6001.tif'))?.itemId).toBe(`item-${'x'.repeat(6001 % 97)}`);
    expect([...got.values()].every((r) => r.bytes === record.bytes && r.status === 'verified')).toBe(true);
    // compaction writes the same records back, one line each, and reads back equal
    expect(await compactManifest(manifestPath, { root: dir })).toBe(12_000);
    expect(await readManifest(manifestPath, { root: dir })).toEqual(got);
  });

  it('refuses a manifest path that is a device, a FIFO or a folder (typed, naming it; no endless read, no hang)', async () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'zero-link.jsonl'), /: it is a device or FIFO, not a regular file/],
      [join(dir, 'fifo.jsonl'), /: it is a device or FIFO, not a regular file/],
      [join(dir, 'folder.jsonl'), /: EISDIR: it is a folder, not a regular file/],
    ];
    await symlink('/dev/zero', cases[0][0]);
    execFileSync('mkfifo', [cases[1][0]]);
    await mkdir(cases[2][0]);
    for (const [path, why] of cases) {
      const t0 = performance.now();
      const err = await readManifest(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(EoFetchError);
      expect((err as EoFetchError).code).toBe('WRITE_FAILED');
      expect((err as Error).message).toContain(`could not read the manifest ${path}: `);
      expect((err as Error).message).toMatch(why);
      expect(performance.now() - t0).toBeLessThan(5_000);
    }
  });

  it('refuses a file that is not a manifest before reading, appending to or compacting it (a compaction emptied it)', async () => {
    const tiff = Buffer.alloc(3 << 20);
    tiff.set([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
    for (let i = 8; i < tiff.length; i++) tiff[i] = (i * 131) & 0xff;
    const noBreak = Buffer.from(tiff.map((b) => (b === 10 ? 11 : b))); // no line break at all
    const NONE = 'none of its lines is a manifest record';
    const NONE_HEAD = 'none of the lines of its first MiB is a manifest record';
    const cases: [string, string | Buffer, string, string][] = [
      ['metadata.csv', 'name,lon,lat\nA,10,45\n', NONE, NONE_HEAD],
      ['items.jsonl', `${JSON.stringify({ type: 'Feature', id: 'S2A' })}\n`, NONE, NONE_HEAD],
      ['scene.tif', tiff, NONE, NONE_HEAD],
      ['nobreak.tif', noBreak, NONE, 'its first line is over 1 MiB long'],
    ];
    const manifestRecord: ManifestRecord = {
      ...record,
      base: 'root',
      status: 'verified',
      path: join(dir, 'x.tif'),
    };
    for (const [name, content, whyRead, whyAppend] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      const before = await readFile(path);
      const calls: [string, () => Promise<unknown>, string][] = [
        ['readManifest', () => readManifest(path), whyRead],
        ['compactManifest', () => compactManifest(path), whyRead],
        ['appendManifest', () => appendManifest(path, [manifestRecord]), whyAppend],
        ['ManifestWriter', () => new ManifestWriter(path).append(manifestRecord), whyAppend],
        [
          'downloadAll',
          () =>
            downloadAll([{ url: 'http://127.0.0.1:9/never', path: join(dir, 'never.tif') }], {
              manifestPath: path,
            }),
          whyRead,
        ],
      ];
      for (const [what, call, why] of calls) {
        const err = await call().catch((e: unknown) => e);
        expect(err, `${name} ${what}`).toBeInstanceOf(EoFetchError);
        expect((err as EoFetchError).code).toBe('INVALID_ARGUMENT');
        expect((err as EoFetchError).message).toBe(
          `${path} is not a download manifest (${why}); refusing to read, append to or rewrite it: give the path of a manifest, or of a file that does not exist yet`,
        );
        expect((await readFile(path)).equals(before), `${name} ${what} left the file as it was`).toBe(true);
      }
    }
    // what a manifest may start with: a torn first append (a crash), or nothing at all
    const torn = join(dir, 'torn-first.jsonl');
    await writeFile(torn, '{"path":"a.tif","url":"x","by');
    expect((await readManifest(torn)).size).toBe(0);
    // the record appended after the torn line starts a line of its own (it used to run on from the torn one)
    await appendManifest(torn, [{ ...manifestRecord, path: join(dir, 'b.tif') }], { root: dir });
    expect([...(await readManifest(torn, { root: dir })).keys()]).toEqual([join(dir, 'b.tif')]);
    await appendManifest(torn, [{ ...manifestRecord, path: join(dir, 'd.tif') }], { root: dir });
    expect(await compactManifest(torn, { root: dir })).toBe(2);
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    await appendManifest(empty, [{ ...manifestRecord, path: join(dir, 'c.tif') }], { root: dir });
    expect([...(await readManifest(empty, { root: dir })).keys()]).toEqual([join(dir, 'c.tif')]);
  });

  it('reads a manifest saved with a UTF-8 byte order mark (its first record was dropped, a one-record file refused)', async () => {
    const files = ['a.tif', 'b.tif'];
    const line = (f: string) =>
      JSON.stringify({
        ...record,
        status: 'verified',
        base: 'root',
        path: f,
        bytes: 10,
        sha256: 'a'.repeat(64),
      });
    for (const [name, text, want] of [
      ['bom-crlf.jsonl', `\uFEFF${files.map(line).join('\r\n')}\r\n`, files],
      ['bom-one.jsonl', `\uFEFF${line('a.tif')}\n`, ['a.tif']],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, text);
      const expected = want.map((f) => join(dir, f));
      expect([...(await readManifest(path, { root: dir })).keys()]).toEqual(expected);
      // appended to and compacted without losing the first record (nor keeping the mark)
      await appendManifest(
        path,
        [{ ...record, status: 'verified', path: join(dir, 'c.tif') } as ManifestRecord],
        { root: dir },
      );
      expect(await compactManifest(path, { root: dir })).toBe(expected.length + 1);
      expect((await readFile(path, 'utf8')).startsWith('{')).toBe(true);
      expect([...(await readManifest(path, { root: dir })).keys()]).toEqual([
        ...expected,
        join(dir, 'c.tif'),
      ]);
    }
  });

  it('loads credentials from mutated JSON config files or says MISSING_CREDENTIALS without the values', async () => {
    const configPath = join(dir, 'config.json');
    const config = {
      sh_client_id: 'client-id-abc',
      sh_client_secret: 'sh-secret-9f8e7d6c5b4a',
      sh_base_url: 'https://services.sentinel-hub.com',
    };
    const out = await mutate(
      config,
      200,
      101,
      async (d) => {
        await writeFile(configPath, JSON.stringify(d));
        try {
          return await loadSentinelHubCredentials({ env: {}, configPath });
        } catch (e) {
          expect(String((e as Error).message)).not.toContain(config.sh_client_secret);
          throw e;
        }
      },
      (creds, what) => {
        if (
          !creds.clientId ||
          typeof creds.clientId !== 'string' ||
          !creds.clientSecret ||
          typeof creds.clientSecret !== 'string'
        )
          throw new Error(`${what}: credentials`);
      },
    );
    // a mutated sh_base_url (not an http(s) URL, or a deployment with no token URL) is refused, never guessed at
    expect([...out.keys()].sort()).toEqual(['INVALID_ARGUMENT', 'MISSING_CREDENTIALS', 'ok']);
  });

  it('refuses a JSON config that is null or an array (was TypeError reading sh_client_id of null)', async () => {
    for (const text of ['null', '[1]', '"sh-secret"']) {
      const configPath = join(dir, `odd-${text.length}.json`);
      await writeFile(configPath, text);
      const err = await typedError(() => loadSentinelHubCredentials({ env: {}, configPath }));
      expect(err.code).toBe('MISSING_CREDENTIALS');
      expect(err.message).toBe(
        `${configPath} is not a JSON object; expected {"sh_client_id": ..., "sh_client_secret": ...}`,
      );
    }
  });

  it('refuses a FIFO or an oversized file as config instead of hanging or reading it all', async () => {
    const fifo = join(dir, 'config.toml');
    execFileSync('mkfifo', [fifo]);
    const err = await typedError(() => loadSentinelHubCredentials({ env: {}, configPath: fifo }));
    expect(err.code).toBe('MISSING_CREDENTIALS');
    expect(err.message).toBe(`${fifo} is not a config file (not a regular file)`);
    const big = join(dir, 'big.toml');
    await writeFile(big, `sh_client_id = "a"\nsh_client_secret = "b"\n${'#'.repeat(2 * 1024 * 1024)}\n`);
    expect((await typedError(() => loadSentinelHubCredentials({ env: {}, configPath: big }))).message).toBe(
      `${big} is not a config file (${2 * 1024 * 1024 + 43} bytes, more than 1048576)`,
    );
  });

  it('reads TOML section lines in linear time: a "[" + spaces line is skipped quickly (the regex was cubic)', async () => {
    const sub = join(dir, 'toml-sections');
    await mkdir(sub, { recursive: true });
    const configPath = join(sub, 'config.toml');
    const hostile = `[${' '.repeat(4096)}x`;
    await writeFile(
      configPath,
      `${hostile}\nsh_client_id = "top"\n[ "prod" ]\nsh_client_id = "pid"\nsh_client_secret = "ps"\n` +
        `["my profile"]\nsh_client_id = "mid"\nsh_client_secret = "ms"\n[ " ]\nsh_client_id = "q"\nsh_client_secret = "qs"\n` +
        `[default-profile]\nsh_client_secret = "ds"\n`,
    );
    const t0 = performance.now();
    // the hostile line is no section: the key after it is top-level, so every profile sees it
    expect(await loadSentinelHubCredentials({ env: {}, configPath })).toEqual({
      clientId: 'top',
      clientSecret: 'ds',
    });
    expect(performance.now() - t0).toBeLessThan(4000); // linear: milliseconds; the quadratic code took 8–20 s
    expect(await loadSentinelHubCredentials({ env: {}, configPath, profile: 'prod' })).toEqual({
      clientId: 'pid',
      clientSecret: 'ps',
    });
    expect(await loadSentinelHubCredentials({ env: {}, configPath, profile: 'my profile' })).toEqual({
      clientId: 'mid',
      clientSecret: 'ms',
    });
    // `[ " ]`: the regex gives its last space to the name, so the section is " " (kept as it was)
    expect(await loadSentinelHubCredentials({ env: {}, configPath, profile: ' ' })).toEqual({
      clientId: 'q',
      clientSecret: 'qs',
    });
  });

  it('reads TOML basic-string escapes as the characters they stand for (was kept as backslashes)', async () => {
    const sub = join(dir, 'toml');
    await mkdir(sub, { recursive: true });
    const configPath = join(sub, 'config.toml');
    await writeFile(
      configPath,
      '[default-profile]\nsh_client_id = "id\\u0041"\nsh_client_secret = "se\\"cr\\\\et"\n[other]\nsh_client_id = "no"\n',
    );
    expect(await loadSentinelHubCredentials({ env: {}, configPath })).toEqual({
      clientId: 'idA',
      clientSecret: 'se"cr\\et',
    });
  });
});
