// rebuild with `spot.order` against eo-fetch's SentinelHub-compatible server (orders CREATED → RUNNING → DONE over
// polls, SPOT-like uint16 imagery for BYOC Process requests): dry run, paid run, idempotent re-run, FAILED order.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hrPaths } from '@worldstrat/eo-fetch';
import { SpotOrderError } from '@worldstrat/eo-fetch/node';
import { type BBox, encodeGeoTiff } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ShServer, startShServer } from '../../../eo-fetch/test/support/sentinel-hub-server.js';
import { makeItem } from '../../../eo-fetch/test/support/stac-server.js';
import { type RebuildOptions, rebuild } from '../../src/pipelines/rebuild.node.js';
import { tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const run = promisify(execFile);
const REGION: BBox = [8.52, 47.36, 8.56, 47.38];
const COVER = [8.4, 47.25, 8.7, 47.5];
const poly = (b: number[]) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [b[0], b[1]],
      [b[2], b[1]],
      [b[2], b[3]],
      [b[0], b[3]],
      [b[0], b[1]],
    ],
  ],
});

let dir: string;
let cleanup: () => Promise<void>;
let sh: ShServer;
let lccsPath: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-rebuild-spot-'));
  // land cover: cropland (LCCS 10) everywhere around the region
  const res = 0.0025;
  const [w, h] = [120, 100];
  lccsPath = join(dir, 'lccs.tif');
  await writeFile(
    lccsPath,
    encodeGeoTiff({
      width: w,
      height: h,
      dtype: 'uint8',
      bands: [new Uint8Array(w * h).fill(10)],
      noData: 0,
      geo: { epsg: 4326, transform: [8.4, res, 0, 47.5, 0, -res] },
    }),
  );
  sh = await startShServer();
  sh.spotImagery = true;
  sh.orderLifecycle = { pollsToDone: 2 };
  sh.catalogItems.push(makeItem('S2_12', '2022-06-12T10:30:00Z', 5, COVER));
  sh.spotFeatures.push({
    geometry: poly(COVER),
    properties: { id: 'SPOT7-2022-06-11', acquisitionDate: '2022-06-11T10:00:00Z', cloudCover: 0 },
  });
});
afterAll(async () => {
  await sh.close();
  await cleanup();
});

const options = (root: string, order: NonNullable<RebuildOptions['spot']>['order']): RebuildOptions => ({
  root,
  region: REGION,
  landMask: { source: 'test: all land', isLand: () => true },
  landcover: lccsPath,
  target: 2,
  poolSize: 20,
  seed: 3,
  provider: {
    kind: 'sentinelhub',
    baseUrl: sh.url,
    credentials: { clientId: sh.clientId, clientSecret: sh.clientSecret },
  },
  dateRange: ['2022-06-01', '2022-06-30'],
  targetDate: '2022-06-10',
  nRevisits: 1,
  concurrency: 2,
  spot: { order },
});

const count = (method: string, re: RegExp) =>
  sh.requests.filter((r) => r.method === method && re.test(r.path.split('?')[0])).length;
const ORDERS = /^\/api\/v1\/dataimport\/orders$/;
const CONFIRM = /^\/api\/v1\/dataimport\/orders\/[^/]+\/confirm$/;
const POLL = /^\/api\/v1\/dataimport\/orders\/[^/]+$/;
const byocProcess = () =>
  sh.requests.filter((r) => r.path === '/api/v1/process' && r.body.input.data[0].type.startsWith('byoc-'))
    .length;

async function gdalinfo(path: string) {
  const { stdout } = await run('gdalinfo', ['-json', path]);
  return JSON.parse(stdout);
}

describe('rebuild with spot.order', () => {
  it('dry run (no confirm) orders nothing and reports product and area per AOI; a confirmed run orders, waits, downloads and pansharpens; a re-run orders and downloads nothing', async () => {
    const paidRoot = join(dir, 'paid');
    const dry = await rebuild(options(paidRoot, { collectionName: 'ws-hr', pollSeconds: 0.01 }));
    expect(dry.spot).toBeDefined();
    const d = dry.spot!;
    expect(d.dryRun).toBe(true);
    expect(d.orders).toHaveLength(2);
    for (const r of d.orders) {
      expect(r.productId).toBe('SPOT7-2022-06-11');
      expect(r.sqkm).toBeGreaterThan(2.45);
      expect(r.sqkm).toBeLessThan(2.55);
      expect(r.orderId).toBeUndefined();
    }
    expect(d.newSqkm).toBeCloseTo(d.orders[0].sqkm + d.orders[1].sqkm, 3);
    expect(d.collection).toEqual({ name: 'ws-hr', created: false });
    expect(count('POST', ORDERS)).toBe(0);
    expect(count('POST', /^\/api\/v1\/byoc\/collections$/)).toBe(0);
    expect(byocProcess()).toBe(0);
    expect(existsSync(join(paidRoot, 'hr_dataset'))).toBe(false);

    // confirmed: collection created, one order per AOI created + confirmed, polled to DONE, files written
    const stages = new Set<string>();
    const res = await rebuild(
      options(paidRoot, { collectionName: 'ws-hr', confirm: true, pollSeconds: 0.01, timeoutMinutes: 1 }),
      { onProgress: (p) => stages.add(p.stage) },
    );
    const s = res.spot!;
    expect(s.dryRun).toBe(false);
    expect(s.collection).toMatchObject({ name: 'ws-hr', created: true });
    expect(sh.collections.map((c) => c.name)).toEqual(['ws-hr']);
    expect(s).toMatchObject({ created: 2, confirmed: 2, reused: 0, pansharpened: 2, failures: [] });
    expect(s.downloads).toEqual({ downloaded: 4, skipped: 0, failed: 0, planned: 0 });
    expect(count('POST', ORDERS)).toBe(2);
    expect(count('POST', CONFIRM)).toBe(2);
    expect(count('GET', POLL)).toBe(4); // 2 polls per order: RUNNING, then DONE
    expect(sh.orders.map((o) => [o.status, o.collectionId])).toEqual(
      Array(2).fill(['DONE', sh.collections[0].id]),
    );
    expect(new Set(sh.orders.map((o) => o.name))).toEqual(new Set(s.orders.map((o) => o.aoi)));
    expect(byocProcess()).toBe(4);
    for (const st of ['order SPOT', 'wait SPOT orders', 'download SPOT', 'pansharpen'])
      expect(stages).toContain(st);
    const record = JSON.parse(await readFile(join(paidRoot, 'rebuild', 'spot-orders.json'), 'utf8'));
    expect(record.orders.map((o: { orderId: string; status: string }) => o.status)).toEqual(['DONE', 'DONE']);

    const plan = JSON.parse(await readFile(join(paidRoot, 'rebuild', 'plan.json'), 'utf8'));
    expect(plan.aois).toHaveLength(2);
    for (const a of plan.aois as { name: string; bounds: number[] }[]) {
      const p = hrPaths(a.name);
      const [w, so, e, n] = a.bounds;
      const expectTiff = async (file: string, size: number, bands: number) => {
        const info = await gdalinfo(join(paidRoot, file));
        expect(info.size).toEqual([size, size]);
        expect(info.bands).toHaveLength(bands);
        for (const b of info.bands) expect(b.type).toBe('UInt16');
        const gt = info.geoTransform as number[];
        expect(gt[0]).toBeCloseTo(w, 9);
        expect(gt[3]).toBeCloseTo(n, 9);
        expect(gt[1]).toBeCloseTo((e - w) / size, 12);
        expect(gt[5]).toBeCloseTo(-(n - so) / size, 12);
        expect(info.coordinateSystem.wkt).toContain('4326');
      };
      if (requireTool('GDAL (gdalinfo)', hasGdal)) {
        await expectTiff(p.rgbn, 263, 4); // 2.5 km² → 263 px at 6 m
        await expectTiff(p.pan, 1054, 1); // 1054 px at 1.5 m
        await expectTiff(p.ps, 1054, 3); // R, G, B on the PAN grid
      }
      const rgbn = await readGeoTiffFile(join(paidRoot, p.rgbn));
      const pan = await readGeoTiffFile(join(paidRoot, p.pan));
      const ps = await readGeoTiffFile(join(paidRoot, p.ps));
      // the server's SPOT DNs: band b = 600 + 400·b + (3x + 5y) mod 1500, PAN = 900 + (2x + 3y) mod 2500
      expect([0, 1, 2, 3].map((b) => rgbn.bands[b][0])).toEqual([600, 1000, 1400, 1800]);
      expect(rgbn.bands[0][263 + 2]).toBe(600 + 11);
      expect(pan.bands[0][1054 * 2 + 5]).toBe(900 + 16);
      // HSV pansharpening: V = max(R,G,B) = B is replaced by PAN, so B_ps = PAN and R_ps < G_ps < B_ps
      const [R, G, B] = ps.bands;
      let equal = 0;
      let ordered = 0;
      for (let i = 0; i < B.length; i++) {
        if (B[i] === pan.bands[0][i]) equal++;
        if (R[i] < G[i] && G[i] < B[i]) ordered++;
      }
      expect([equal, ordered]).toEqual([B.length, B.length]);
      expect(R[0]).toBe(Math.round((900 * 600) / 1400)); // corner pixel: PAN · R / B
    }

    // re-run: the orders are found by AOI name + product and reused; every file is complete
    const again = await rebuild(
      options(paidRoot, { collectionName: 'ws-hr', confirm: true, pollSeconds: 0.01, timeoutMinutes: 1 }),
    );
    expect(again.planReused).toBe(true);
    expect(again.spot).toMatchObject({ created: 0, confirmed: 0, reused: 2, pansharpened: 0 });
    expect(again.spot!.downloads).toEqual({ downloaded: 0, skipped: 4, failed: 0, planned: 0 });
    expect(again.spot!.orders.map((o) => o.reused)).toEqual([true, true]);
    expect(count('POST', ORDERS)).toBe(2);
    expect(count('POST', CONFIRM)).toBe(2);
    expect(byocProcess()).toBe(4);
    expect(sh.orders).toHaveLength(2);

    // a dry run now names the existing orders and would order 0 km²
    const dry2 = await rebuild(options(paidRoot, { collectionName: 'ws-hr' }));
    expect(dry2.spot!.orders.map((o) => [o.orderId, o.status])).toEqual(sh.orders.map((o) => [o.id, 'DONE']));
    expect(dry2.spot!.newSqkm).toBe(0);
  });

  it('an order that goes FAILED is a typed error naming the order (CLI exit code 6); an unknown collection id is a usage error', async () => {
    const before = sh.orders.length;
    sh.orderLifecycle = { pollsToDone: 2, failNames: { has: () => true } };
    const cfg = join(dir, 'sh.json');
    await writeFile(cfg, JSON.stringify({ sh_client_id: sh.clientId, sh_client_secret: sh.clientSecret }));
    const args = [
      'rebuild',
      join(dir, 'failing'),
      '--region',
      REGION.join(','),
      '--land-mask',
      'none',
      '--landcover',
      lccsPath,
      '--target',
      '2',
      '--pool-size',
      '20',
      '--seed',
      '3',
      '--provider',
      'sentinelhub',
      '--sh-url',
      sh.url,
      '--sh-config',
      cfg,
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-30',
      '--revisits',
      '1',
      '--order-spot',
      '--spot-collection',
      'ws-fail',
      '--spot-poll',
      '0.01',
    ];
    const dry = await cli('--json', ...args);
    expect(dry.code, dry.err).toBe(0);
    expect(JSON.parse(dry.out).spot).toMatchObject({ dryRun: true, created: 0 });
    expect(sh.orders).toHaveLength(before);

    const r = await cli(...args, '--confirm-spot-orders');
    expect(sh.orders).toHaveLength(before + 2);
    const first = sh.orders[before];
    expect(first.status).toBe('FAILED');
    expect(r.code, r.err).toBe(6);
    expect(r.err).toContain(`SPOT order ${first.id} for AOI ${first.name} is FAILED`);
    expect(r.err).toContain(sh.orders[before + 1].id);
    expect(existsSync(join(dir, 'failing', 'hr_dataset'))).toBe(false);

    // the library error is a SpotOrderError carrying the order id; a re-run does not re-order
    const err = await rebuild({
      ...options(join(dir, 'failing'), { collectionName: 'ws-fail', confirm: true, pollSeconds: 0.01 }),
      landMask: 'none',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SpotOrderError);
    expect(err).toMatchObject({ code: 'ORDER_FAILED', status: 'FAILED', orderId: first.id });
    expect(sh.orders).toHaveLength(before + 2);
    // a dry run reports the failed orders instead of throwing, and would order nothing new
    const dryFailed = await rebuild({
      ...options(join(dir, 'failing'), { collectionName: 'ws-fail' }),
      landMask: 'none',
    });
    expect(dryFailed.spot!.orders.map((o) => [o.orderId, o.status])).toEqual(
      sh.orders.slice(before).map((o) => [o.id, 'FAILED']),
    );
    expect(dryFailed.spot!.newSqkm).toBe(0);

    // an order that never delivers: TIMEOUT naming it; a re-run later reuses it instead of ordering again
    sh.orderLifecycle = { pollsToDone: 1_000_000 };
    const late = await rebuild({
      ...options(join(dir, 'failing'), {
        collectionName: 'ws-slow',
        confirm: true,
        pollSeconds: 0.01,
        timeoutMinutes: 0.001,
      }),
      landMask: 'none',
    }).catch((e) => e);
    expect(late).toBeInstanceOf(SpotOrderError);
    const slow = sh.orders.slice(before + 2);
    expect(slow.map((o) => o.status)).toEqual(['RUNNING', 'RUNNING']);
    expect(late).toMatchObject({ code: 'TIMEOUT', status: 'RUNNING', orderId: slow[0].id });
    expect(late.message).toContain(`SPOT order ${slow[0].id}`);
    sh.orderLifecycle = { pollsToDone: 1 };
    const later = await rebuild(
      options(join(dir, 'failing'), { collectionName: 'ws-slow', confirm: true, pollSeconds: 0.01 }),
    );
    expect(later.spot).toMatchObject({ created: 0, reused: 2, pansharpened: 2 });
    expect(sh.orders).toHaveLength(before + 4);

    const bad = await cli(...args, '--spot-collection-id', 'no-such-collection');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('no-such-collection');

    const usage = await cli(...args.filter((a) => a !== '--order-spot'), '--confirm-spot-orders');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--confirm-spot-orders needs --order-spot');
  });
});
