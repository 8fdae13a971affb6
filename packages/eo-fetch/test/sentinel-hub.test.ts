import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../src/download/download-engine.node.js';
import {
  aoiPixelSize,
  catalogueEntryFromSpotFeature,
  downloadAll,
  downloadSentinelHubRevisits,
  EoFetchError,
  hrPaths,
  loadSentinelHubCredentials,
  lrRevisitPaths,
  matchRevisits,
  readManifest,
  SentinelHubClient,
  spotDownloadJobs,
} from '../src/node.js';
import { s2ProcessRequest, spotOutputSize } from '../src/sentinelhub/evalscripts.js';
import { type ShServer, startShServer } from './support/sentinel-hub-server.js';
import { makeItem } from './support/stac-server.js';

let sh: ShServer;
let dir: string;
beforeAll(async () => {
  sh = await startShServer();
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-sh-'));
});
afterAll(async () => {
  await sh.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sh.requests.length = 0;
  sh.echoSecret = false;
  sh.expiresIn = 3600;
});
const client = (extra = {}) =>
  new SentinelHubClient(
    { clientId: sh.clientId, clientSecret: sh.clientSecret },
    { baseUrl: sh.url, retry: { baseDelayMs: 5 }, ...extra },
  );
const bounds = aoiBounds(30.1, -1.95, 2.5) as BBox;
const aoi = { name: 'UNHCR-RWA001', bounds, areaKm2: 2.5 };

describe('OAuth', () => {
  it('caches the token, refreshes it before expiry, and retries once on 401 with a new token', async () => {
    let now = 1_000_000;
    const c = client({ now: () => now });
    await c.quotas();
    await c.quotas();
    expect(c.tokenRequests).toBe(1);
    now += 3_600_000 - 30_000; // 30 s before expiry: inside the 60 s refresh margin
    await c.quotas();
    expect(c.tokenRequests).toBe(2);
    sh.validTokens.clear(); // the server revokes every token
    const quotas = await c.quotas();
    expect(quotas[0]).toMatchObject({ collectionId: 'col-1', quotaSqkm: 1000, quotaUsed: 250 });
    expect(c.tokenRequests).toBe(3);
    const auth = sh.requests.filter((r) => r.path.startsWith('/api')).map((r) => r.auth);
    expect(auth.at(-2)).not.toBe(auth.at(-1)); // the retry used the new token
    // the form carries the grant type
    expect(sh.requests.find((r) => r.path === '/oauth/token')?.body.grant_type).toBe('client_credentials');
  });

  it('never leaks the credentials: not in errors, JSON, inspect output or stacks', async () => {
    sh.echoSecret = true;
    const bad = new SentinelHubClient(
      { clientId: sh.clientId, clientSecret: `${sh.clientSecret}-wrong` },
      { baseUrl: sh.url },
    );
    const err = await bad.quotas().catch((e) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('AUTH_FAILED');
    const everything = [
      err.message,
      String(err),
      err.stack,
      JSON.stringify(bad),
      inspect(bad, { depth: 5, showHidden: true }),
      inspect(err, { depth: 5 }),
    ].join('\n');
    expect(everything).not.toContain(sh.clientSecret);
    expect(everything).not.toContain(sh.clientId);
    expect(bad.tokenRequests).toBe(1); // a refused token is not retried
    expect(() => new SentinelHubClient({ clientId: '', clientSecret: '' })).toThrow(/SH_CLIENT_ID/);
  });

  it('scrubs a 16 KiB secret of slashes a token endpoint echoes, before the excerpt cuts it (was a SyntaxError)', async () => {
    sh.echoSecret = true;
    const secret = `S3cr3t${'/'.repeat(16 * 1024)}end`;
    const bad = new SentinelHubClient({ clientId: sh.clientId, clientSecret: secret }, { baseUrl: sh.url });
    const err = await bad.quotas().catch((e) => e);
    expect(err).toBeInstanceOf(EoFetchError);
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('"error_description":"bad secret *** for ***"');
    const everything = [err.message, String(err), err.stack, inspect(err, { depth: 5 })].join('\n');
    expect(everything).not.toContain('S3cr3t');
    expect(everything).not.toContain('//////////');
    expect(everything).not.toContain('%2F%2F');
  });

  it('trims a base URL of a long run of slashes in linear time, to the same URL as before', () => {
    const run = '/'.repeat(128 * 1024);
    const t0 = performance.now();
    const inner = new SentinelHubClient(
      { clientId: 'a', clientSecret: 'b' },
      { baseUrl: `https://sh.example${run}x` },
    );
    expect(inner.baseUrl).toBe(`https://sh.example${run}x`);
    const trailing = new SentinelHubClient(
      { clientId: 'a', clientSecret: 'b' },
      { baseUrl: `https://sh.example/api${run}` },
    );
    expect(trailing.baseUrl).toBe('https://sh.example/api');
    expect(trailing.tokenUrl).toBe('https://sh.example/api/oauth/token');
    // `/\/+$/` retries the run from every slash: seconds here
    expect(performance.now() - t0).toBeLessThan(4000); // linear: milliseconds; the quadratic code took 8–20 s
  });

  it('loads credentials from the environment or a config file, naming only the places it looked', async () => {
    expect(await loadSentinelHubCredentials({ env: { SH_CLIENT_ID: 'a', SH_CLIENT_SECRET: 'b' } })).toEqual({
      clientId: 'a',
      clientSecret: 'b',
    });
    const toml = join(dir, 'config.toml');
    await writeFile(
      toml,
      '[other]\nsh_client_id = "x"\n\n[default-profile]\nsh_client_id = "tid"\nsh_client_secret = "tsecret"\n',
    );
    expect(await loadSentinelHubCredentials({ env: {}, configPath: toml })).toEqual({
      clientId: 'tid',
      clientSecret: 'tsecret',
    });
    const js = join(dir, 'config.json');
    await writeFile(js, JSON.stringify({ sh_client_id: 'jid', sh_client_secret: 'jsecret' }));
    expect(await loadSentinelHubCredentials({ env: {}, configPath: js })).toEqual({
      clientId: 'jid',
      clientSecret: 'jsecret',
    });
    const half = join(dir, 'half.json');
    await writeFile(half, JSON.stringify({ sh_client_id: 'only-id-value' }));
    const err = await loadSentinelHubCredentials({
      env: { SH_CLIENT_ID: 'only-id-value' },
      configPath: half,
    }).catch((e) => e);
    expect(err.code).toBe('MISSING_CREDENTIALS');
    expect(err.message).toContain(half);
    expect(err.message).not.toContain('only-id-value');
  });
});

describe('catalogues', () => {
  it('pages the Catalog API with context.next and the SPOT search with links.next', async () => {
    sh.catalogItems = Array.from({ length: 7 }, (_, i) =>
      makeItem(`S2_${i}`, `2021-03-${10 + i}T08:30:00Z`, i * 10, [
        bounds[0] - 0.1,
        bounds[1] - 0.1,
        bounds[2] + 0.1,
        bounds[3] + 0.1,
      ]),
    );
    const c = client();
    const ids: string[] = [];
    for await (const it of c.catalogSearch({
      collections: ['sentinel-2-l2a'],
      bbox: bounds,
      filter: 'eo:cloud_cover<100',
      limit: 3,
    }))
      ids.push(it.id);
    expect(ids).toEqual(sh.catalogItems.map((i) => i.id));
    const bodies = sh.requests.filter((r) => r.path.includes('catalog')).map((r) => r.body);
    expect(bodies.map((b) => b.next)).toEqual([undefined, 3, 6]);
    expect(bodies[2]).toMatchObject({ filter: 'eo:cloud_cover<100', 'filter-lang': 'cql2-text', limit: 3 });

    const ring = [
      [bounds[0] - 0.1, bounds[1] - 0.1],
      [bounds[2] + 0.1, bounds[1] - 0.1],
      [bounds[2] + 0.1, bounds[3] + 0.1],
      [bounds[0] - 0.1, bounds[3] + 0.1],
      [bounds[0] - 0.1, bounds[1] - 0.1],
    ];
    sh.spotFeatures = [3, 40, 0, 12, 5].map((cloud, i) => ({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: {
        id: `SPOT-${i}`,
        acquisitionDate: `2021-0${i + 1}-15T08:00:00Z`,
        cloudCover: cloud,
        incidenceAngle: 10,
        constellation: 'SPOT',
      },
      _links: { quicklook: { href: `https://q/${i}` } },
    }));
    const spot: string[] = [];
    const features = [];
    for await (const f of c.spotSearch({
      bbox: bounds,
      from: '2017-01-01T00:00:00Z',
      to: '2022-01-01T00:00:00Z',
    })) {
      spot.push(f.properties.id);
      features.push(f);
    }
    expect(spot).toEqual(['SPOT-0', 'SPOT-1', 'SPOT-2', 'SPOT-3', 'SPOT-4']);
    const searches = sh.requests.filter((r) => r.path.startsWith('/api/v1/dataimport/search'));
    expect(searches).toHaveLength(3);
    expect(searches[1].body).toEqual(searches[0].body); // the same body goes to every next link
    expect(searches[0].body.data[0].dataFilter).toEqual({
      maxCloudCoverage: 100,
      maxIncidenceAngle: 90,
      timeRange: { from: '2017-01-01T00:00:00Z', to: '2022-01-01T00:00:00Z' },
    });
    // one SPOT image per AOI, closest to the target and least cloudy
    const best = matchRevisits([aoi], features.map(catalogueEntryFromSpotFeature), {
      targetDate: '2021-03-01',
      nRevisits: 1,
    });
    expect(best.revisits[0].entry).toMatchObject({
      id: 'SPOT-2',
      source: 'SPOT',
      extra: { incidence: 10, 'quicklook.href': 'https://q/2' },
    });
  });
});

describe('Process API downloads', () => {
  it('writes the release layout for S2 revisits (L1C + L2A), verifying every TIFF; dry run sends nothing', async () => {
    const entries = [0, 1].map((i) => ({
      id: `S2_${i}`,
      source: 'Sentinel2',
      datetime: `2021-03-1${i}T08:30:00.000Z`,
      cloudCover: i * 5,
      geometry: {
        type: 'Polygon' as const,
        coordinates: [
          [
            [29, -3],
            [31, -3],
            [31, -1],
            [29, -1],
            [29, -3],
          ],
        ],
      },
    }));
    const match = matchRevisits([aoi], entries, { targetDate: '2021-03-10' });
    const c = client();
    const root = join(dir, 'dataset');
    const dry = await downloadSentinelHubRevisits(c, [aoi], match.revisits, { root, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, requests: 2 * 2 * 4 });
    expect(dry.processingUnits).toBeGreaterThan(0);
    expect(sh.requests.filter((r) => r.path === '/api/v1/process')).toHaveLength(0);

    sh.processFaults = [503, 'reset', 'garbage'];
    const report = await downloadSentinelHubRevisits(c, [aoi], match.revisits, {
      root,
      manifestPath: join(root, 'manifest.jsonl'),
      baseDelayMs: 5,
    });
    expect(report.failed).toEqual([]);
    expect(report.downloaded).toBe(16);
    expect(report.retries).toBe(3); // 503, reset, and a 200 whose body is not a TIFF (rejected by the verify step)
    const [w, h] = aoiPixelSize(bounds);
    for (const n of [1, 2])
      for (const [level, nb] of [
        ['L2A', 12],
        ['L1C', 13],
      ] as const) {
        const p = lrRevisitPaths(aoi.name, n, level);
        const data = await readGeoTiffFile(join(root, p.data));
        expect(data).toMatchObject({ width: w, height: h, dtype: 'float32' });
        expect(data.bands).toHaveLength(nb);
        for (const layer of ['CLM', 'CLP', 'dataMask'] as const)
          expect((await readGeoTiffFile(join(root, p.layer(layer)))).dtype).toBe('uint8');
        const meta = JSON.parse(await readFile(join(root, p.metadata), 'utf8'));
        expect(meta).toMatchObject({
          cloud_cover: (n - 1) * 5,
          target_date: '2021-03-10',
          delta: String(n - 1),
          area: 2.5,
          item_id: `S2_${n - 1}`,
        });
      }
    // every file on disk matches its manifest checksum
    const manifest = await readManifest(join(root, 'manifest.jsonl'));
    expect(manifest.size).toBe(16);
    for (const rec of manifest.values()) expect(await sha256File(rec.path), rec.path).toBe(rec.sha256);
    const bodies = sh.requests.filter((r) => r.path === '/api/v1/process').map((r) => r.body);
    // requests run concurrently and faults are retried, so the order of bodies varies: pick by date
    const l1cs = bodies.filter(
      (b) => b.input.data[0].type === 'sentinel-2-l1c' && b.evalscript.includes('REFLECTANCE'),
    );
    const l1c = l1cs.find((b) => b.input.data[0].dataFilter.timeRange.from.startsWith('2021-03-10'));
    expect(l1c.input.data[0].dataFilter.timeRange).toEqual({
      from: '2021-03-10T06:30:00.000Z',
      to: '2021-03-10T10:30:00.000Z',
    });
    expect(new Set(l1cs.map((b) => b.input.data[0].dataFilter.timeRange.to))).toEqual(
      new Set(['2021-03-10T10:30:00.000Z', '2021-03-11T10:30:00.000Z']),
    );
    expect(l1c.input.bounds).toEqual({
      bbox: bounds,
      properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/4326' },
    });
    expect(l1c.evalscript).toContain('"B10"');
    expect(l1c.output).toMatchObject({ width: w, height: h });
    // a re-run fetches nothing
    sh.requests.length = 0;
    const again = await downloadSentinelHubRevisits(c, [aoi], match.revisits, {
      root,
      manifestPath: join(root, 'manifest.jsonl'),
    });
    expect(again.skipped).toBe(16);
    expect(sh.requests.filter((r) => r.path === '/api/v1/process')).toHaveLength(0);
  });

  it("asks for an acquisition's UTC time window whatever the machine time zone; a bad time is INVALID_ARGUMENT", () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles'; // Date.parse read a zone-less time as local time: 7 h off here
    try {
      const box = aoiBounds(8.54, 47.37, 2.5) as BBox;
      const window = (datetime: string) =>
        s2ProcessRequest(box, datetime, 'L2A', { width: 10, height: 10, windowMs: 60_000 }).input.data[0]
          ?.dataFilter?.timeRange;
      const expected = { from: '2021-03-10T08:29:00.000Z', to: '2021-03-10T08:31:00.000Z' };
      expect(window('2021-03-10T08:30:00Z')).toEqual(expected);
      expect(window('2021-03-10T08:30:00')).toEqual(expected);
      for (const bad of ['2021/03/10 08:30', '2021-02-30T08:30:00Z'])
        expect(() => window(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('downloads SPOT RGBN and PAN of delivered orders at the sizes derived from sqkm', async () => {
    const order = {
      id: 'o-1',
      name: aoi.name,
      status: 'DONE',
      sqkm: 2.5,
      input: {
        bounds: { bbox: [...bounds], properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/4326' } },
      },
    };
    const root = join(dir, 'spot');
    const c = client();
    const jobs = spotDownloadJobs([order], { root, collectionId: 'byoc-col', baseUrl: sh.url });
    const report = await downloadAll(jobs, { fetch: c.fetch });
    expect(report.failed).toEqual([]);
    expect(spotOutputSize(2.5)).toEqual({ rgbn: 263, pan: 1054 });
    const rgbn = await readGeoTiffFile(join(root, hrPaths(aoi.name).rgbn));
    expect(rgbn).toMatchObject({ width: 263, height: 263, dtype: 'uint16' });
    expect(rgbn.bands).toHaveLength(4);
    const pan = await readGeoTiffFile(join(root, hrPaths(aoi.name).pan));
    expect(pan).toMatchObject({ width: 1054, height: 1054, dtype: 'uint16' });
    const body = sh.requests.find((r) => r.path === '/api/v1/process' && r.body.output.width === 263)!.body;
    expect(body.input.data).toEqual([{ type: 'byoc-byoc-col' }]);
    expect(body.evalscript).toContain('[sample.B2, sample.B1, sample.B0, sample.B3]');
  });
});

describe('orders', () => {
  const input = { name: aoi.name, collectionId: 'col-1', bbox: [...bounds], productIds: ['SPOT-2'] };

  it('is a dry run unless asked, and confirms only with an explicit flag', async () => {
    const c = client();
    const dry = await c.createOrder(input);
    expect(dry).toMatchObject({
      dryRun: true,
      method: 'POST',
      request: { name: aoi.name, input: { provider: 'AIRBUS' } },
    });
    const confirmDry = await c.confirmOrder('order-1');
    expect(confirmDry.dryRun).toBe(true);
    expect(sh.requests.filter((r) => r.path.startsWith('/api/v1/dataimport/orders'))).toHaveLength(0);
  });

  it('never creates a duplicate order when the answer is lost, and confirms explicitly', async () => {
    const c = client();
    sh.orders = [];
    sh.dropNextCreateResponse = true;
    const res = await c.createOrder(input, { dryRun: false });
    expect(res).toMatchObject({
      dryRun: false,
      recovered: true,
      order: { id: 'order-1', status: 'CREATED' },
    });
    expect(sh.orders).toHaveLength(1);
    expect(
      sh.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/dataimport/orders'),
    ).toHaveLength(1);
    const confirmed = await c.confirmOrder('order-1', { confirm: true });
    expect(confirmed).toMatchObject({ dryRun: false, order: { status: 'RUNNING' } });
    await expect(c.createOrder({ ...input, productIds: [] }, { dryRun: false })).rejects.toMatchObject({
      code: 'ORDER_FAILED',
    });
  });

  it('finds or (explicitly) creates the BYOC collection orders are delivered to', async () => {
    sh.collections = [
      { id: 'c1', name: 'a', s3Bucket: 'x' },
      { id: 'c2', name: 'b', s3Bucket: 'x' },
      { id: 'c3', name: 'Landcover', s3Bucket: 'sh.tpdi.byoc.eu-central-1' },
    ];
    const c = client();
    expect(await c.ensureByocCollection('Landcover')).toMatchObject({ id: 'c3' }); // found on the second page
    const dry = await c.ensureByocCollection('UNHCR');
    expect(dry).toEqual({ dryRun: true, request: { name: 'UNHCR', s3Bucket: 'sh.tpdi.byoc.eu-central-1' } });
    expect(sh.collections).toHaveLength(3);
    expect(await c.ensureByocCollection('UNHCR', { dryRun: false })).toMatchObject({
      id: 'byoc-4',
      name: 'UNHCR',
    });
    expect(sh.collections).toHaveLength(4);
  });

  it('lists orders across viewtoken pages, keeping the status filter', async () => {
    sh.orders = Array.from({ length: 5 }, (_, i) => ({
      id: `o${i}`,
      name: `A${i}`,
      collectionId: 'col-1',
      status: i % 2 ? 'DONE' : 'CREATED',
    }));
    const c = client();
    expect((await c.listOrders({ collectionId: 'col-1' })).map((o) => o.id)).toEqual([
      'o0',
      'o1',
      'o2',
      'o3',
      'o4',
    ]);
    sh.orders.push(
      { id: 'o5', name: 'A5', collectionId: 'col-1', status: 'DONE' },
      { id: 'o7', name: 'A7', collectionId: 'col-1', status: 'DONE' },
    );
    sh.requests.length = 0;
    expect((await c.listOrders({ status: 'DONE' })).map((o) => o.id)).toEqual(['o1', 'o3', 'o5', 'o7']);
    expect(sh.requests.every((r) => r.path.includes('status=DONE'))).toBe(true);
    expect(sh.requests).toHaveLength(2);
  });
});
