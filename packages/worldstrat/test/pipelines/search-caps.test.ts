// Catalogue searches of the revisit pipelines are bounded and honest: a STAC API with endless `next` links
// stops with PAGE_LIMIT (exit 6) after a fixed number of requests; unusable items (absurd footprint,
// `eo:cloud_cover: "lots"`) are reported, not matched; a scene without cloud cover is ranked last and reported;
// a filter the server does not declare is a warning. All against a STAC API on 127.0.0.1.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StacItem } from '@worldstrat/eo-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem } from '../../../eo-fetch/test/support/stac-server.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';

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

let server: Server;
let url = '';
let mode: 'items' | 'endless' = 'items';
let searches = 0;
let dir: string;
let cleanup: () => Promise<void>;

async function bodyOf(req: IncomingMessage): Promise<any> {
  let raw = '';
  for await (const c of req) raw += c;
  return raw ? JSON.parse(raw) : undefined;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-search-caps-'));
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const send = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/')
      // item search only: no `query` extension declared
      return send(200, {
        type: 'Catalog',
        id: 'caps',
        conformsTo: ['https://api.stacspec.org/v1.0.0/core', 'https://api.stacspec.org/v1.0.0/item-search'],
        links: [{ rel: 'search', href: `${url}/search` }],
      });
    if (path !== '/search') return send(404, { description: 'no route' });
    searches++;
    if (mode === 'endless') {
      // one item a page, every page a new `next` token: only a page cap stops this
      const token = Number(body?.token ?? 0) + 1;
      return send(200, {
        type: 'FeatureCollection',
        features: [makeItem(`E${token}`, '2022-06-10T10:30:00Z', 5, COVER)],
        links: [{ rel: 'next', href: `${url}/search`, method: 'POST', body: { token }, merge: true }],
      });
    }
    send(200, { type: 'FeatureCollection', features: items, links: [] });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await cleanup();
});

const search = (...extra: string[]) =>
  cli(
    '--json',
    'search',
    '--bbox',
    AOI.join(','),
    '--from',
    '2022-06-01',
    '--to',
    '2022-06-30',
    '--target-date',
    '2022-06-10',
    '--revisits',
    '3',
    '--stac-url',
    url,
    ...extra,
  );

describe('worldstrat search: page caps', () => {
  it('endless next links → PAGE_LIMIT, exit 6, after ceil(cap / 100) + 1 requests', async () => {
    mode = 'endless';
    try {
      searches = 0;
      const r = await search('--max-items', '150');
      expect(r.code, r.err + r.out).toBe(6);
      expect(r.out + r.err).toContain('PAGE_LIMIT');
      expect(searches).toBe(3);
      // default cap for a 30-day window: 240 items → 4 pages
      searches = 0;
      const d = await search();
      expect(d.code).toBe(6);
      expect(searches).toBe(4);
    } finally {
      mode = 'items';
    }
  });

  it('--max-items rejects a bad value with exit 2', async () => {
    for (const v of ['0', 'many', '2000000']) {
      const r = await search('--max-items', v);
      expect(r.code, v).toBe(2);
      expect(r.out + r.err).toContain('max-items');
    }
  });
});

describe('worldstrat search: unusable items and unknown cloud cover', () => {
  it('reports invalid items and ranks the scene without cloud cover last (JSON and matches file)', async () => {
    const out = join(dir, 'm.json');
    const r = await search('--out', out);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.revisits.L2A.map((x: { id: string; n: number }) => [x.n, x.id])).toEqual([
      [1, 'GOOD_11'],
      [2, 'GOOD_12'],
      [3, 'NOCLOUD_10'],
    ]);
    const invalidIds = res.invalidItems.map((x: { id: string }) => x.id).sort();
    expect(invalidIds).toEqual(['ABSURD', 'LOTS']);
    for (const x of res.invalidItems) {
      expect(x).toMatchObject({ level: 'L2A', aoi: 'bbox' });
      expect(x.reason.length).toBeGreaterThan(5);
    }
    expect(res.invalidItems.find((x: { id: string }) => x.id === 'LOTS').reason).toMatch(/cloud/);
    expect(res.unknownCloudCover).toEqual([{ level: 'L2A', aoi: 'bbox', id: 'NOCLOUD_10', excluded: false }]);
    expect(res.maxItemsPerSearch).toBe(240);
    const file = JSON.parse(await readFile(out, 'utf8'));
    expect(file.invalidItems).toEqual(res.invalidItems);
    expect(file.unknownCloudCover).toEqual(res.unknownCloudCover);
    expect(file.revisits.L2A.map((x: { entry: { id: string } }) => x.entry.id)).toEqual([
      'GOOD_11',
      'GOOD_12',
      'NOCLOUD_10',
    ]);
  });

  it('with --max-cloud: the undeclared query extension is a warning, the unknown cloud cover excluded', async () => {
    const r = await search('--max-cloud', '50');
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.revisits.L2A.map((x: { id: string }) => x.id)).toEqual(['GOOD_11', 'GOOD_12']);
    expect(res.unknownCloudCover).toEqual([{ level: 'L2A', aoi: 'bbox', id: 'NOCLOUD_10', excluded: true }]);
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toMatch(/query/);
  });

  it('text output lists skipped items and the unknown cloud cover', async () => {
    const r = await cli(
      'search',
      '--bbox',
      AOI.join(','),
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-30',
      '--target-date',
      '2022-06-10',
      '--revisits',
      '3',
      '--stac-url',
      url,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/skipped L2A bbox ABSURD: /);
    expect(r.out).toMatch(/skipped L2A bbox LOTS: .*cloud/);
    expect(r.out).toContain('no cloud cover: L2A bbox NOCLOUD_10 (ranked last)');
  });
});

describe('worldstrat search: --out', () => {
  it('refuses an --out that is the --aois file: exit 2 before any request, the AOI file kept', async () => {
    const pts = join(dir, 'pts.csv');
    await writeFile(pts, 'name,lat,lon\nZRH,47.37,8.54\n');
    const aois = join(dir, 'aois.geojson');
    expect((await cli('aois', pts, '--out', aois, '--area', '0.25')).code).toBe(0);
    const before = await readFile(aois, 'utf8');
    const n = searches;
    const r = await cli(
      'search',
      '--aois',
      aois,
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-30',
      '--stac-url',
      url,
      '--out',
      join(dir, '.', 'aois.geojson'),
    );
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`is the AOI file ${aois}`);
    expect(await readFile(aois, 'utf8')).toBe(before);
    expect(searches).toBe(n);
  });
});
