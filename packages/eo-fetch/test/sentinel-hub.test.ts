import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { aoiBounds } from '@worldstrat/geo-sampling';
import { type BBox, encodeGeoTiff } from '@worldstrat/raster-io';
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
  requestJson,
  SentinelHubClient,
  sentinelHubClientFor,
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

/** A 127.0.0.1 server answering with `handle` (the body read first); closed by the caller. */
async function tinyServer(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handle(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const tokenAnswer = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"access_token":"tok-1234567890","expires_in":3600}');
};

describe('a revisit is the acquisition it names', () => {
  it('downloads a re-matched revisit again: the sidecar never describes pixels of another acquisition', async () => {
    let processCalls = 0;
    // every pixel holds the month and day (MMDD) of the acquisition asked for
    const { url, server } = await tinyServer((req, raw, res) => {
      if (req.url === '/oauth/token') return tokenAnswer(res);
      processCalls++;
      const body = JSON.parse(raw);
      const { width, height } = body.output;
      const from: string = body.input.data[0].dataFilter.timeRange.from;
      const v = Number(from.slice(5, 7)) * 100 + Number(from.slice(8, 10));
      const bands = Array.from({ length: 12 }, () => new Float32Array(width * height).fill(v));
      const tif = encodeGeoTiff({ width, height, dtype: 'float32', bands });
      res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': tif.length });
      res.end(tif);
    });
    try {
      const c = new SentinelHubClient({ clientId: 'id', clientSecret: 'sec-123456789' }, { baseUrl: url });
      const root = await mkdtemp(join(dir, 'rematch-'));
      const small = { name: 'A1', bounds: [8.5, 47.3, 8.52, 47.32] as BBox };
      // 10:30 UTC: the ±2 h window starts the same day
      const rev = (id: string, datetime: string) => ({
        aoi: 'A1',
        n: 1,
        entry: { id, source: 'S2', datetime, cloudCover: 1, coordinates: [] },
        deltaDays: 0,
        rank: 1,
        areaKm2: 1,
        coverage: 1,
        targetDate: '2021-06-01',
      });
      const opts = { root, levels: ['L2A' as const], layers: [], manifestPath: join(root, 'm.jsonl') };
      const p = lrRevisitPaths('A1', 1, 'L2A');
      const state = async () => {
        const meta = JSON.parse(await readFile(join(root, p.metadata), 'utf8'));
        const tif = await readGeoTiffFile(join(root, p.data));
        return { item: meta.item_id, datetime: meta.datetime, pixel: tif.bands[0][0] };
      };
      const first = await downloadSentinelHubRevisits(
        c,
        [small],
        [rev('S2A_0601', '2021-06-01T10:30:00Z')] as never,
        opts,
      );
      expect(first.downloaded).toBe(1);
      expect(await state()).toEqual({ item: 'S2A_0601', datetime: '2021-06-01T10:30:00Z', pixel: 601 });
      // the same revisit again: skipped
      processCalls = 0;
      const same = await downloadSentinelHubRevisits(
        c,
        [small],
        [rev('S2A_0601', '2021-06-01T10:30:00Z')] as never,
        opts,
      );
      expect({ skipped: same.skipped, processCalls }).toEqual({ skipped: 1, processCalls: 0 });
      // a re-match: n = 1 is now another acquisition; its pixels are fetched before its sidecar is written
      const second = await downloadSentinelHubRevisits(
        c,
        [small],
        [rev('S2B_0715', '2021-07-15T10:30:00Z')] as never,
        opts,
      );
      expect({ downloaded: second.downloaded, skipped: second.skipped, processCalls }).toEqual({
        downloaded: 1,
        skipped: 0,
        processCalls: 1,
      });
      expect(await state()).toEqual({ item: 'S2B_0715', datetime: '2021-07-15T10:30:00Z', pixel: 715 });
    } finally {
      server.close();
    }
  });
});

describe("SentinelHub's Retry-After is in milliseconds", () => {
  it('reads it as milliseconds for the Process API, the token endpoint and sh.fetch in downloadAll; other hosts in seconds', async () => {
    let processCalls = 0;
    let tokenLimited = true;
    const { url, server } = await tinyServer((req, _raw, res) => {
      if (req.url === '/oauth/token' && tokenLimited) {
        res.writeHead(429, { 'retry-after': '2000', 'content-type': 'application/json' });
        return res.end('{"error":"rate limited"}');
      }
      if (req.url === '/oauth/token') return tokenAnswer(res);
      if (req.url === '/plain') {
        res.writeHead(429, { 'retry-after': '2' });
        return res.end('slow down');
      }
      processCalls++;
      if (processCalls % 2 === 1) {
        res.writeHead(429, { 'retry-after': '1200', 'content-type': 'application/json' });
        return res.end('{"status":429,"code":"RATE_LIMIT_EXCEEDED"}');
      }
      res.writeHead(200, { 'content-type': 'image/tiff', 'content-length': 8 });
      res.end(Buffer.from('II*\0\0\0\0\0'));
    });
    try {
      const strict = { retries: 1, maxRetryAfterMs: 1000 };
      // the token endpoint's 2000 is 2 s (more than the 1 s allowed), not 2000 s
      const c = new SentinelHubClient(
        { clientId: 'id', clientSecret: 'sec-123456789' },
        { baseUrl: url, retry: strict },
      );
      const token = await c.accessToken().catch((e: unknown) => e as EoFetchError);
      expect((token as EoFetchError).code).toBe('RATE_LIMITED');
      expect((token as EoFetchError).message).toMatch(
        /the server asks to wait 2 s \(Retry-After\), more than maxRetryAfterMs=1000/,
      );
      tokenLimited = false;
      // 1200 ms: waited, then answered (it was read as 1200 s, refused as RATE_LIMITED)
      const ok = new SentinelHubClient(
        { clientId: 'id', clientSecret: 'sec-123456789' },
        { baseUrl: url, retry: { maxRetryAfterMs: 5000 } },
      );
      const started = Date.now();
      expect(await ok.process({} as never)).toHaveLength(8);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1100);
      expect(waited).toBeLessThan(10_000);
      // the engine given sh.fetch: its 429 is 1.2 s too
      const out = await mkdtemp(join(dir, 'retry-after-'));
      const job = {
        url: `${url}/api/v1/process`,
        method: 'POST' as const,
        body: {},
        path: join(out, 'x.tif'),
      };
      const refused = await downloadAll([job], { fetch: ok.fetch, maxRetryAfterMs: 1000 });
      expect(refused.failed[0].error.code).toBe('RATE_LIMITED');
      expect(refused.failed[0].error.message).toMatch(
        /wait 1 s \(Retry-After\), more than maxRetryAfterMs=1000/,
      );
      const fetched = await downloadAll([{ ...job, path: join(out, 'y.tif') }], {
        fetch: ok.fetch,
        maxRetryAfterMs: 5000,
      });
      expect(fetched.failed).toEqual([]);
      // another host keeps the HTTP unit: 2 is two seconds
      const plain = await requestJson(`${url}/plain`, {}, { retry: strict }).catch(
        (e: unknown) => e as EoFetchError,
      );
      expect((plain as EoFetchError).message).toMatch(/wait 2 s \(Retry-After\)/);
      expect(((plain as EoFetchError).cause as { retryAfterMs?: number }).retryAfterMs).toBe(2000);
    } finally {
      server.close();
    }
  });
});

describe('sentinelhub-py profiles of other deployments', () => {
  const cdse = {
    base: 'https://sh.dataspace.copernicus.eu',
    token: 'https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token',
  };
  const recorder = () => {
    const sent: { url: string; secret: boolean }[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      sent.push({ url: String(url), secret: String(init?.body ?? '').includes('CDSEsecretVALUE987') });
      return new Response('{"error":"unauthorized_client"}', { status: 401 });
    }) as typeof fetch;
    return { sent, fetchImpl };
  };

  it('sends a Copernicus Data Space secret to its own token URL, never to services.sentinel-hub.com', async () => {
    const path = join(dir, 'cdse.toml');
    await writeFile(
      path,
      `[default-profile]\nsh_client_id = "sh-default"\nsh_client_secret = "default-secret-1"\n\n[cdse]\ninstance_id = ""\nsh_client_id = "sh-cdse-1234"\nsh_client_secret = "CDSEsecretVALUE987"\nsh_base_url = "${cdse.base}"\nsh_auth_base_url = "https://identity.dataspace.copernicus.eu"\nsh_token_url = "${cdse.token}"\n`,
    );
    const creds = await loadSentinelHubCredentials({ env: {}, configPath: path, profile: 'cdse' });
    expect(creds).toEqual({
      clientId: 'sh-cdse-1234',
      clientSecret: 'CDSEsecretVALUE987',
      baseUrl: cdse.base,
      tokenUrl: cdse.token,
    });
    // SH_PROFILE picks the profile as in sentinelhub-py
    expect(await loadSentinelHubCredentials({ env: { SH_PROFILE: 'cdse' }, configPath: path })).toEqual(
      creds,
    );
    const { sent, fetchImpl } = recorder();
    const c = new SentinelHubClient(creds, { fetch: fetchImpl, retry: { retries: 0 } });
    expect({ baseUrl: c.baseUrl, tokenUrl: c.tokenUrl }).toEqual({
      baseUrl: cdse.base,
      tokenUrl: cdse.token,
    });
    expect((await c.accessToken().catch((e: unknown) => e as EoFetchError)) as EoFetchError).toMatchObject({
      code: 'AUTH_FAILED',
    });
    expect(sent).toEqual([{ url: cdse.token, secret: true }]);
    // the revisit stages' provider config: a profile name, and a token URL that overrides the profile's
    const staged = await sentinelHubClientFor(
      { kind: 'sentinelhub', configPath: path, profile: 'cdse' },
      fetchImpl,
    );
    expect({ baseUrl: staged.baseUrl, tokenUrl: staged.tokenUrl }).toEqual({
      baseUrl: cdse.base,
      tokenUrl: cdse.token,
    });
    const other = await sentinelHubClientFor(
      { kind: 'sentinelhub', configPath: path, profile: 'cdse', tokenUrl: 'https://auth.example/token' },
      fetchImpl,
    );
    expect(other.tokenUrl).toBe('https://auth.example/token');
  });

  it("derives or refuses a profile's token URL as sentinelhub-py would, never another provider's", async () => {
    const write = async (name: string, lines: string) => {
      const path = join(dir, name);
      await writeFile(
        path,
        `[default-profile]\nsh_client_id = "cid-1234"\nsh_client_secret = "CDSEsecretVALUE987"\n${lines}`,
      );
      return path;
    };
    // only a base URL of another deployment: where its secret goes is unknown
    const bare = await write('bare.toml', `sh_base_url = "${cdse.base}"\n`);
    const err = await loadSentinelHubCredentials({ env: {}, configPath: bare }).catch(
      (e: unknown) => e as EoFetchError,
    );
    expect((err as EoFetchError).code).toBe('INVALID_ARGUMENT');
    expect((err as EoFetchError).message).toBe(
      `${bare} [default-profile]: sh_base_url "${cdse.base}" is not a SentinelHub (sentinel-hub.com) deployment and no sh_token_url says where its client secret goes; add that service's token URL (Copernicus Data Space: ${cdse.token})`,
    );
    expect((err as EoFetchError).message).not.toContain('CDSEsecretVALUE987');
    // the older sh_auth_base_url: its /oauth/token, as sentinelhub-py adjusts it
    const auth = await write(
      'auth.toml',
      `sh_base_url = "${cdse.base}"\nsh_auth_base_url = "https://auth.example/"\n`,
    );
    expect(await loadSentinelHubCredentials({ env: {}, configPath: auth })).toMatchObject({
      baseUrl: cdse.base,
      tokenUrl: 'https://auth.example/oauth/token',
    });
    // another SentinelHub deployment authenticates at the main one
    const west = await write('west.toml', 'sh_base_url = "https://services-uswest2.sentinel-hub.com"\n');
    expect(await loadSentinelHubCredentials({ env: {}, configPath: west })).toMatchObject({
      baseUrl: 'https://services-uswest2.sentinel-hub.com',
      tokenUrl: 'https://services.sentinel-hub.com/oauth/token',
    });
    const junk = await write('junk.toml', 'sh_token_url = "ftp://u:PW@x/token"\n');
    const bad = await loadSentinelHubCredentials({ env: {}, configPath: junk }).catch(
      (e: unknown) => e as EoFetchError,
    );
    expect((bad as EoFetchError).message).toBe(
      `${junk} [default-profile]: sh_token_url must be an http(s) URL, got "ftp://***@x/token"`,
    );
  });
});

describe('SentinelHub client URLs and headers', () => {
  it('refuses a token URL with user:password@ before any request, and shows its URLs redacted', async () => {
    const sent: string[] = [];
    const fetchImpl = (async (u: string) => {
      sent.push(u);
      return new Response('{}');
    }) as typeof fetch;
    let err: unknown;
    try {
      new SentinelHubClient(
        { clientId: 'cid', clientSecret: 'SHSECRET' },
        {
          baseUrl: 'https://sh.example.com',
          tokenUrl: 'https://u:TOKPW999@sh.example.com/oauth/token',
          fetch: fetchImpl,
        },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EoFetchError);
    expect((err as EoFetchError).code).toBe('INVALID_ARGUMENT');
    expect((err as EoFetchError).message).toBe(
      'SentinelHub tokenUrl "https://***@sh.example.com/oauth/token" carries user:password@; the client id and secret go in the request body, so remove the userinfo',
    );
    expect(sent).toEqual([]);
    const c = new SentinelHubClient(
      { clientId: 'cid', clientSecret: 'SHSECRET' },
      {
        baseUrl: 'https://u:BASEPW@sh.example.com',
        tokenUrl: 'https://sh.example.com/oauth/token?client_secret=QSECRET',
      },
    );
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      baseUrl: 'https://***@sh.example.com',
      tokenUrl: 'https://sh.example.com/oauth/token?client_secret=***',
      clientId: '***',
    });
    const shown = JSON.stringify(c) + inspect(c, { depth: 5, showHidden: true });
    for (const secret of ['SHSECRET', 'BASEPW', 'QSECRET']) expect(shown).not.toContain(secret);
    expect(c.tokenUrl).toBe('https://sh.example.com/oauth/token?client_secret=QSECRET'); // used as configured
  });

  it('sh.fetch keeps headers given as a Headers instance or pairs, with its own bearer token', async () => {
    const got: Record<string, string | undefined>[] = [];
    const fake = (async (url: string, init?: RequestInit) => {
      if (String(url).endsWith('/oauth/token'))
        return new Response('{"access_token":"tok-1234567890","expires_in":3600}');
      const h = new Headers(init?.headers);
      got.push({
        type: h.get('content-type') ?? undefined,
        key: h.get('x-api-key') ?? undefined,
        auth: h.get('authorization') ?? undefined,
      });
      return new Response('{}');
    }) as typeof fetch;
    const c = new SentinelHubClient(
      { clientId: 'cid-123', clientSecret: 'sec-123456789' },
      { baseUrl: 'http://127.0.0.1:9', fetch: fake },
    );
    await c.fetch('http://127.0.0.1:9/d', {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json' }),
      body: '{}',
    });
    await c.fetch('http://127.0.0.1:9/d', {
      headers: [
        ['x-api-key', 'KEY-123456789'],
        ['Authorization', 'Basic bad'],
      ],
    });
    expect(got).toEqual([
      { type: 'application/json', key: undefined, auth: 'Bearer tok-1234567890' },
      { type: undefined, key: 'KEY-123456789', auth: 'Bearer tok-1234567890' },
    ]);
  });
});
