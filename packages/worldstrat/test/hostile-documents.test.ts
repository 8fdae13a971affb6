// Hostile documents the app reads back or takes from users and other processes: the matches file of `fetch`,
// a saved rebuild plan, unit result files, queue job parameters and results (from Redis), the shared rate
// limits' Redis keys, user input files (FIFOs, folders) and plot tables. Each must end 'ok' (with its
// invariants) or in the app's typed error naming the source and the member, never a TypeError, a hang or a
// silently wrong value.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { catalogueEntryFromStacItem, type MatchedRevisit, matchRevisits } from '@worldstrat/eo-fetch';
import { createAois } from '@worldstrat/geo-sampling';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf } from '../../../tests/support/json-mutations.js';
import { makeItem } from '../../eo-fetch/test/support/stac-server.js';
import { checkMatchesFile } from '../src/cli/commands/fetch.js';
import { WorldStratError } from '../src/errors.js';
import { type ExecutorStage, unitKey } from '../src/executors/executor.js';
import { QueueExecutor, runQueueWorker } from '../src/executors/queue-executor.node.js';
import { checkRebuildSearchResult } from '../src/executors/rebuild-search-unit.node.js';
import { connectRedis, parseQueueUrl } from '../src/executors/redis-connection.node.js';
import {
  sharedHostLimitedFetch,
  sharedProcessingUnitFetch,
} from '../src/executors/shared-rate-limit.node.js';
import { STAGE_PAYLOAD_CHECKS } from '../src/executors/stage-handlers.node.js';
import { readUnitOutput, writeUnitOutput } from '../src/executors/unit-output.node.js';
import { loadWeightsEngine } from '../src/pipelines/evaluate-models.node.js';
import { readInputText } from '../src/pipelines/read-input.node.js';
import {
  checkSavedPlan,
  fingerprintOf,
  planForDisk,
  type RebuildOptions,
  type RebuildPlan,
  rebuild,
} from '../src/pipelines/rebuild.node.js';
import { syntheticOptions } from '../src/pipelines/synthetic-record.node.js';
import { boundsCell, lonLatCell } from '../src/plots/world-map.js';
import { tempDir } from './support/fixtures.js';
import { hasRedisServer, startTestRedis, type TestRedis } from './support/redis-server.js';
import { requireTool } from './support/require-tool.js';
import { cli } from './support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-hostile-'));
});
afterAll(() => cleanup?.());

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// two AOIs around Zürich and two acquisitions covering both, matched like `worldstrat search` does
const AOIS = json(
  createAois(
    [
      { name: 'A-1', lon: 8.53, lat: 47.37 },
      { name: 'A-2', lon: 8.55, lat: 47.372 },
    ],
    2.5,
  ),
);
const ITEMS = [
  makeItem('S2_10', '2022-06-10T10:20:00Z', 12, [8.4, 47.3, 8.7, 47.45], {
    assets: { red: { href: 'http://127.0.0.1:9/red.tif', type: 'image/tiff' } },
  }),
  makeItem('S2_12', '2022-06-12T10:20:00Z', 40, [8.4, 47.3, 8.7, 47.45], {
    properties: { platform: 'sentinel-2b' },
  }),
];
const REVISITS: MatchedRevisit[] = json(
  matchRevisits(
    AOIS,
    ITEMS.map((item) => catalogueEntryFromStacItem(item)),
    { targetDate: '2022-06-11', nRevisits: 2 },
  ).revisits,
);
const MATCHES = {
  version: 1,
  provider: { kind: 'stac', url: 'http://127.0.0.1:9/stac', provider: 'earth-search' },
  levels: ['L2A'],
  targetDate: '2022-06-11',
  aois: AOIS,
  revisits: { L2A: REVISITS },
  invalidItems: [],
  unknownCloudCover: [],
  warnings: [],
};
const CLASSES = {
  landcover_id: 10,
  LCCS: 'Cropland, rainfed',
  IPCC: 'Agriculture',
  SMOD_id: 11,
  SMOD: 'Rural',
};
const PLAN = {
  version: 1,
  fingerprint: '0123456789abcdef',
  pool: { size: 30, classified: 28, outside: 2, toppedUp: 0 },
  allocation: [{ class: 'Agriculture', count: 2, poolCount: 28 }],
  shortfalls: [{ class: 'Forest', wanted: 1, drawn: 0 }],
  aois: AOIS.map((a) => ({
    ...a,
    ...CLASSES,
    spot: { id: 'SPOT-1', datetime: '2022-06-11T10:00:00Z', cloudCover: 3 },
  })),
  targetDate: '2022-06-11',
  revisits: { L2A: REVISITS },
  duplicates: 0,
  matchShortfalls: [{ level: 'L2A', aoi: 'A-2', found: 1, wanted: 2 }],
  searchRequests: 2,
  spotMissing: ['A-3'],
};
const SEARCH_RESULT = {
  searchRequests: 1,
  spot: { id: 'SPOT-1', datetime: '2022-06-11T10:00:00Z', cloudCover: null },
  revisits: { L2A: REVISITS.filter((r) => r.aoi === 'A-1') },
  duplicates: 1,
  matchShortfalls: [],
  invalidItems: [{ level: 'L2A', aoi: 'A-1', id: null, reason: 'no geometry' }],
  unknownCloudCover: [{ level: 'L2A', aoi: 'A-1', id: 'S2_13', excluded: false }],
  warnings: ['filter not supported'],
};

/** Every revisit of a checked document: what the downloads and tables rely on. */
function expectUsableRevisits(doc: { aois: { name: string; bounds: number[] }[]; revisits: object }): void {
  const names = new Set(doc.aois.map((a) => a.name));
  for (const a of doc.aois) {
    expect(a.name).toMatch(/^[^/\\]+$/);
    expect(a.bounds.every(Number.isFinite)).toBe(true);
  }
  for (const list of Object.values(doc.revisits) as MatchedRevisit[][])
    for (const r of list) {
      expect(names.has(r.aoi)).toBe(true);
      expect(Number.isInteger(r.n) && r.n >= 1).toBe(true);
      expect(Number.isFinite(Date.parse(r.entry.datetime))).toBe(true);
      expect(r.entry.cloudCover === null || (r.entry.cloudCover >= 0 && r.entry.cloudCover <= 100)).toBe(
        true,
      );
    }
}

describe('matches file of `worldstrat fetch`', () => {
  it('the valid file passes; 400 hostile variants end ok (usable) or UNREADABLE_FILE', async () => {
    expect(checkMatchesFile(json(MATCHES), 'm.json')).toBeTruthy();
    const seen = new Set<string>();
    for (const { doc, what } of jsonMutations(MATCHES, 400, 11)) {
      const outcome = await outcomeOf(what, () => checkMatchesFile(doc, 'm.json'), WorldStratError);
      seen.add(outcome);
      if (outcome === 'ok') expectUsableRevisits(doc as typeof MATCHES);
    }
    expect([...seen].sort()).toEqual(['UNREADABLE_FILE', 'ok']);
  });

  it.each([
    [{ aois: [{ ...AOIS[0], name: '../../outside' }, AOIS[1]] }, 'aois[0].name'],
    [{ aois: [AOIS[0], { ...AOIS[1], name: 'A-1' }] }, 'aois[1].name'],
    [{ revisits: { L2A: [{ ...REVISITS[0], aoi: 'B-9' }] } }, 'revisits.L2A[0].aoi'],
    [{ revisits: { L2A: [{ ...REVISITS[0], entry: null }] } }, 'revisits.L2A[0].entry'],
    [
      {
        revisits: {
          L2A: [{ ...REVISITS[0], entry: { ...REVISITS[0].entry, datetime: '2022-02-30T00:00:00Z' } }],
        },
      },
      'revisits.L2A[0].entry.datetime',
    ],
    [{ revisits: { L2A: [{ ...REVISITS[0], n: '1' }] } }, 'revisits.L2A[0].n'],
    [{ revisits: { L3: [] } }, 'revisits key'],
    [{ provider: { kind: 'stac', url: 'file:///etc/passwd' } }, 'provider.url'],
    [{ levels: 'L2A' }, 'levels'],
  ])('crafted %#: exit 4 naming %s (dry run, no request)', async (change, place) => {
    const path = join(dir, `matches-${place.replace(/\W/g, '_')}.json`);
    await writeFile(path, JSON.stringify({ ...json(MATCHES), ...change }));
    const r = await cli('fetch', join(dir, 'fetched'), '--matches', path, '--dry-run');
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain(`UNREADABLE_FILE`);
    expect(r.err).toContain(`matches file ${path}: ${place}`);
    expect(existsSync(join(dir, 'outside'))).toBe(false);
  });

  it('a FIFO or a folder as the matches file fails at once (a FIFO read blocked for ever)', async () => {
    const fifo = join(dir, 'matches.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await cli('fetch', join(dir, 'fetched'), '--matches', fifo, '--dry-run');
    expect(r.code).toBe(4);
    expect(r.err).toContain(`matches file ${fifo} is not a regular file`);
    const folder = await cli('fetch', join(dir, 'fetched'), '--matches', dir, '--dry-run');
    expect(folder.code).toBe(4);
    const missing = await cli('fetch', join(dir, 'fetched'), '--matches', join(dir, 'none.json'));
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('DATASET_NOT_FOUND');
  });
});

describe('saved rebuild plan', () => {
  it('400 hostile variants of a plan whose fingerprint matches end ok (usable) or UNREADABLE_FILE', async () => {
    expect(checkSavedPlan(json(PLAN), 'plan.json')).toBeTruthy();
    const seen = new Set<string>();
    for (const { doc, what } of jsonMutations(PLAN, 400, 12)) {
      const outcome = await outcomeOf(
        what,
        () => checkSavedPlan(doc as Record<string, unknown>, 'plan.json'),
        WorldStratError,
      );
      seen.add(outcome);
      if (outcome === 'ok') {
        expectUsableRevisits(doc as typeof PLAN);
        for (const a of (doc as typeof PLAN).aois) expect(Math.abs(a.lat)).toBeLessThanOrEqual(90);
      }
    }
    expect([...seen].sort()).toEqual(['UNREADABLE_FILE', 'ok']);
  });

  const options = (root: string): RebuildOptions => ({
    root,
    landcover: join(dir, 'no-landcover.tif'),
    target: 2,
    provider: { kind: 'stac', url: 'http://127.0.0.1:9/stac' },
    dateRange: ['2022-06-01', '2022-06-30'],
    dryRun: true,
  });

  it('plan.json never records a token or credentials a catalogue echoed into item links; asset hrefs kept', () => {
    const plan = json(PLAN) as unknown as RebuildPlan;
    const first = plan.revisits.L2A?.[0] as MatchedRevisit;
    const asset = 'https://data.example/B04.tif?X-Amz-Signature=keep-me-for-the-download';
    first.entry.item = {
      ...(first.entry.item as NonNullable<MatchedRevisit['entry']['item']>),
      links: [
        {
          rel: 'self',
          href: 'http://127.0.0.1:9/stac/collections/s2/items/S2_1?access_token=TOK-123&page=2',
        },
        { rel: 'root', href: 'http://alice:Pa55-word@127.0.0.1:9/stac?key=K-99' },
      ],
      assets: { B04: { href: asset } },
    };
    const disk = planForDisk(plan, { kind: 'stac', url: 'http://alice:Pa55-word@127.0.0.1:9/stac?key=K-99' });
    const text = JSON.stringify(disk);
    for (const secret of ['TOK-123', 'Pa55-word', 'K-99']) expect(text).not.toContain(secret);
    const item = disk.revisits.L2A?.[0]?.entry.item;
    expect(item?.links?.map((l) => l.href)).toEqual([
      'http://127.0.0.1:9/stac/collections/s2/items/S2_1?access_token=***&page=2',
      'http://***@127.0.0.1:9/stac?key=***',
    ]);
    expect(item?.assets?.B04?.href).toBe(asset);
    // the plan kept in memory is untouched
    expect(first.entry.item.links?.[0]?.href).toContain('TOK-123');
  });

  it('the plan fingerprint covers every option that changes the plan (a new --smod-crs reused the old plan)', () => {
    const base = { ...options('r'), smod: 'smod.tif' };
    const fp = fingerprintOf(base, null);
    expect(fingerprintOf({ ...base, smodCrs: 'EPSG:3857' }, null)).not.toBe(fp);
    expect(fingerprintOf({ ...base, maxItemsPerSearch: 50 }, null)).not.toBe(fp);
    // options that do not change the plan keep it
    expect(fingerprintOf({ ...base, concurrency: 2, dryRun: false }, null)).toBe(fp);
  });

  it('a matching plan with a revisit of an unknown AOI fails typed before any download or table', async () => {
    const root = join(dir, 'plan-hostile');
    await mkdir(join(root, 'rebuild'), { recursive: true });
    const plan = { ...json(PLAN), fingerprint: fingerprintOf(options(root), null) };
    plan.revisits.L2A[1].aoi = 'Z-9'; // writeReleaseTables read `byName.get(r.aoi)!.name`: a TypeError
    await writeFile(join(root, 'rebuild', 'plan.json'), JSON.stringify(plan));
    const err = await rebuild(options(root)).catch((e) => e);
    expect(err).toBeInstanceOf(WorldStratError);
    expect(err.code).toBe('UNREADABLE_FILE');
    expect(err.message).toContain(`saved plan ${join(root, 'rebuild', 'plan.json')}`);
    expect(err.message).toContain('revisits.L2A[1].aoi "Z-9" is not one of the AOIs');
  });

  it('CLI: a plan.json that is not JSON is exit 4 naming it (was a SyntaxError, exit 1)', async () => {
    const root = join(dir, 'plan-torn');
    await mkdir(join(root, 'rebuild'), { recursive: true });
    await writeFile(join(root, 'rebuild', 'plan.json'), '{"version":1,"aois":[');
    const r = await cli(
      'rebuild',
      root,
      '--landcover',
      join(dir, 'no-landcover.tif'),
      '--target',
      '2',
      '--from',
      '2022-06-01',
      '--to',
      '2022-06-30',
      '--stac-url',
      'http://127.0.0.1:9/stac',
      '--dry-run',
    );
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain(`UNREADABLE_FILE`);
    expect(r.err).toContain(`saved plan ${join(root, 'rebuild', 'plan.json')} is not JSON`);
  });

  it('a FIFO or a folder as plan.json fails at once, naming it (a FIFO read blocked for ever)', async () => {
    for (const kind of ['fifo', 'folder']) {
      const root = join(dir, `plan-${kind}`);
      const plan = join(root, 'rebuild', 'plan.json');
      await mkdir(join(root, 'rebuild'), { recursive: true });
      if (kind === 'fifo') expect(spawnSync('mkfifo', [plan]).status).toBe(0);
      else await mkdir(plan);
      const err = await rebuild(options(root)).catch((e) => e);
      expect(err, kind).toBeInstanceOf(WorldStratError);
      expect(err.code, kind).toBe('UNREADABLE_FILE');
      expect(err.message, kind).toContain(`saved plan ${plan} is not a regular file`);
    }
  });
});

describe('files read back from disk: FIFOs and folders in their place fail at once', () => {
  it('--config FIFO is CONFIG_ERROR (exit 2); a weights FIFO is UNREADABLE_FILE; a synthetic.json FIFO is not reused', async () => {
    const fifo = join(dir, 'read-back.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await cli('split', join(dir, 'none.csv'), '--config', fifo);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`config file ${fifo}: not a regular file`);
    const weights = await loadWeightsEngine(fifo).catch((e) => e);
    expect(weights).toBeInstanceOf(WorldStratError);
    expect([weights.code, weights.message]).toEqual([
      'UNREADABLE_FILE',
      expect.stringContaining(`weights file ${fifo} is not a regular file`),
    ]);
    const missing = await loadWeightsEngine(join(dir, 'none.safetensors')).catch((e) => e);
    expect(missing.code).toBe('DATASET_NOT_FOUND');
    expect(await syntheticOptions(fifo)).toEqual({});
  });
});

describe('text files read back from disk are UTF-8', () => {
  it('a Latin-1 points file or table is UNREADABLE_FILE naming the byte and line (was decoded to U+FFFD)', async () => {
    const path = join(dir, 'latin1-points.csv');
    await writeFile(path, Buffer.from('name,lon,lat\nZ\u00fcrich,8.5,47.4\n', 'latin1'));
    const err = await readInputText(path, 'points file').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorldStratError);
    expect([(err as WorldStratError).code, (err as WorldStratError).message]).toEqual([
      'UNREADABLE_FILE',
      `points file ${path} is not UTF-8 text at byte 14 (line 2); save it as UTF-8`,
    ]);
    await writeFile(path, '\ufeffname,lon,lat\nZ\u00fcrich,8.5,47.4\n');
    expect(await readInputText(path, 'points file')).toBe('\ufeffname,lon,lat\nZ\u00fcrich,8.5,47.4\n');
  });
});

describe('unit result files', () => {
  const params = { aoi: { name: 'A-1', bounds: AOIS[0].bounds } };

  it('400 hostile search results end ok (usable) or a typed error', async () => {
    const doc = { source: 'unit output x.json', code: 'UNREADABLE_FILE' } as const;
    expect(checkRebuildSearchResult(json(SEARCH_RESULT), doc, params)).toBeTruthy();
    const seen = new Set<string>();
    for (const m of jsonMutations(SEARCH_RESULT, 400, 13)) {
      const outcome = await outcomeOf(
        m.what,
        () => checkRebuildSearchResult(m.doc, doc, params),
        WorldStratError,
      );
      seen.add(outcome);
      if (outcome === 'ok') {
        const r = m.doc as typeof SEARCH_RESULT;
        expect(Array.isArray(r.warnings) && r.warnings.every((w) => typeof w === 'string')).toBe(true);
        expectUsableRevisits({ aois: [AOIS[0]], revisits: r.revisits });
      }
    }
    expect([...seen].sort()).toEqual(['UNREADABLE_FILE', 'ok']);
  });

  it('a file whose sha256 matches but whose result is hostile is redone (undefined), never a crash', async () => {
    const path = join(dir, 'units', 'search', 'A-1.json');
    const check = (v: unknown, d: Parameters<typeof checkRebuildSearchResult>[1]) =>
      checkRebuildSearchResult(v, d, params);
    await writeUnitOutput(path, 'k', json(SEARCH_RESULT));
    expect(await readUnitOutput(path, 'k', check)).toEqual(SEARCH_RESULT);
    await writeUnitOutput(path, 'k', { ...json(SEARCH_RESULT), warnings: 5 }); // mergeSearches iterated it
    expect(await readUnitOutput(path, 'k', check)).toBeUndefined();
    await writeFile(path, 'null');
    expect(await readUnitOutput(path, 'k', check)).toBeUndefined();
    expect(await readUnitOutput(dir, 'k', check)).toBeUndefined(); // a folder
  });
});

/** Realistic job parameters and results of every stage, as the coordinator enqueues and workers return them. */
const ROOT = '/data/worldstrat';
const PAYLOADS: Record<ExecutorStage, { params: unknown; result: unknown }> = {
  'rebuild-search': {
    params: {
      root: ROOT,
      provider: { kind: 'stac', url: 'https://earth-search.aws.element84.com/v1', provider: 'earth-search' },
      aoi: { name: 'A-1', bounds: AOIS[0].bounds, areaKm2: 2.5 },
      levels: ['L2A', 'L1C'],
      dateRange: ['2022-06-01', '2022-06-30'],
      targetDate: '2022-06-11',
      nRevisits: 2,
      maxCloudCover: 50,
      spot: { from: '2022-05-01', to: '2022-07-31', maxCloudCoverage: 10, maxIncidenceAngle: 30 },
    },
    result: SEARCH_RESULT,
  },
  'rebuild-download': {
    params: {
      root: ROOT,
      provider: { kind: 'sentinelhub', baseUrl: 'https://services.sentinel-hub.com' },
      levels: ['L2A'],
      aoi: { name: 'A-1', bounds: AOIS[0].bounds, areaKm2: 2.5 },
      revisits: { L2A: REVISITS.filter((r) => r.aoi === 'A-1') },
      idleTimeoutMs: 60_000,
      readLimits: { maxPixels: 1e8 },
    },
    result: {
      downloads: { L2A: { downloaded: 1, skipped: 1, failed: 0, planned: 0 } },
      plannedRequests: 0,
      processingUnits: 0.5,
      failures: [{ level: 'L2A', aoi: 'A-1', n: 2, code: 'TIMEOUT', message: 'no data for 60 s' }],
    },
  },
  'rebuild-spot-order': {
    params: {
      root: ROOT,
      provider: { kind: 'sentinelhub' },
      aoi: { name: 'A-1', bounds: AOIS[0].bounds, spot: { id: 'SPOT-1' } },
      order: { collectionName: 'worldstrat-spot', confirm: false, pollSeconds: 60, timeoutMinutes: 240 },
    },
    result: {
      dryRun: true,
      collection: { name: 'worldstrat-spot', created: false },
      orders: [{ aoi: 'A-1', productId: 'SPOT-1', sqkm: 2.5, reused: false }],
      newSqkm: 2.5,
      created: 0,
      confirmed: 0,
      reused: 0,
      downloads: { downloaded: 0, skipped: 0, failed: 0, planned: 3 },
      pansharpened: 0,
      failures: [],
    },
  },
  'region-sr-tile': {
    params: {
      tile: 'tile_0_1',
      workDir: '/data/region-work',
      bbox: [8.5, 47.3, 8.6, 47.4],
      epsg: 32632,
      lrTransform: [460000, 10, 0, 5250000, 0, -10],
      lrWidth: 160,
      lrHeight: 160,
      window: { x: 0, y: 0, width: 480, height: 480 },
      dateRange: ['2022-06-01', '2022-06-30'],
      provider: { kind: 'stac', provider: 'earth-search' },
      revisits: 8,
      weights: '/models/srnet.safetensors',
      weightsSha256: 'a'.repeat(64),
      engine: 'tfjs',
      overlap: 16,
      batchSize: 8,
      cloudMasks: true,
    },
    result: {
      tile: 'tile_0_1',
      file: join('tiles', 'tile_0_1.tif'),
      sha256: 'b'.repeat(64),
      bytes: 1024,
      skipped: false,
    },
  },
};

describe('queue payloads (parameters checked by workers, results by the coordinator)', () => {
  for (const [stage, { params, result }] of Object.entries(PAYLOADS) as [
    ExecutorStage,
    (typeof PAYLOADS)[ExecutorStage],
  ][]) {
    it(`${stage}: 250 hostile parameters end ok or INVALID_ARGUMENT; 250 results ok or UNITS_FAILED`, async () => {
      const checks = STAGE_PAYLOAD_CHECKS[stage];
      const paramsDoc = { source: `${stage} job j`, code: 'INVALID_ARGUMENT' } as const;
      const resultDoc = { source: `result of ${stage} job j`, code: 'UNITS_FAILED' } as const;
      expect(checks.params(json(params), paramsDoc)).toBeTruthy();
      expect(checks.result(json(result), resultDoc, params as never)).toBeTruthy();
      const seen = new Set<string>();
      for (const m of jsonMutations(params, 250, 21)) {
        const outcome = await outcomeOf(m.what, () => checks.params(m.doc, paramsDoc), WorldStratError);
        seen.add(outcome);
        if (outcome === 'ok') {
          const p = m.doc as { root?: string; workDir?: string; aoi?: { name: string } };
          expect((p.root ?? p.workDir)?.startsWith('/')).toBe(true);
          if (p.aoi) expect(p.aoi.name).toMatch(/^[^/\\]+$/);
        }
      }
      for (const m of jsonMutations(result, 250, 22)) {
        seen.add(
          await outcomeOf(m.what, () => checks.result(m.doc, resultDoc, params as never), WorldStratError),
        );
      }
      expect([...seen].sort()).toEqual(['INVALID_ARGUMENT', 'UNITS_FAILED', 'ok']);
    });
  }

  it('a tile result naming another file than its own is refused (the mosaic would read it)', () => {
    const doc = { source: 'result of region-sr-tile job j', code: 'UNITS_FAILED' } as const;
    const params = PAYLOADS['region-sr-tile'].params as never;
    const result = { ...(PAYLOADS['region-sr-tile'].result as object), file: '../../etc/passwd' };
    expect(() => STAGE_PAYLOAD_CHECKS['region-sr-tile'].result(result, doc, params)).toThrow(
      'result of region-sr-tile job j: file is not tiles/tile_0_1.tif',
    );
  });
});

describe('plot inputs', () => {
  it('bounds cells: four numbers in degrees, else no box (strings were concatenated: "1" + 180)', () => {
    expect(boundsCell('[8.5,47.3,8.6,47.4]')).toEqual([8.5, 47.3, 8.6, 47.4]);
    expect(boundsCell('[179,-10,-179,10]')).toEqual([179, -10, -179, 10]); // across the antimeridian
    for (const bad of [
      '["1","2","3","4"]',
      '[1,2,3]',
      '[0,0,0,1e999]',
      '[0,10,1,5]',
      '[0,0,181,1]',
      'null',
      '{}',
      'x',
    ])
      expect(boundsCell(bad), bad).toBeUndefined();
    expect(boundsCell(undefined)).toBeUndefined();
    expect(lonLatCell('8.5', 180)).toBe(8.5);
    for (const bad of ['', ' ', 'abc', 'NaN', 'Infinity', '91', undefined])
      expect(lonLatCell(bad, 90)).toBeUndefined();
  });

  it('CLI plot map: a string-typed bounds cell draws the point without a box; a folder as table is exit 4', async () => {
    const table = join(dir, 'points.csv');
    await writeFile(table, 'name,lon,lat,bounds\nA-1,8.5,47.3,"[""1"",""2"",""3"",""4""]"\n');
    const out = join(dir, 'map');
    const r = await cli('plot', 'map', table, '--out', out);
    expect(r.code, r.err).toBe(0);
    const svg = await readFile(`${out}.svg`, 'utf8');
    expect(svg).toContain('<circle');
    expect(svg).not.toContain('fill-opacity="0.35"'); // no AOI box
    const folder = await cli('plot', 'distribution', dir, '--out', out, '--column', 'x');
    expect(folder.code).toBe(4);
    expect(folder.err).toContain(`table ${dir} is not a regular file`);
  });

  it('CLI search/rebuild: a folder as the AOI or points file is exit 4 naming it (EISDIR was "write failed")', async () => {
    const s = await cli('search', '--aois', dir, '--from', '2022-06-01', '--to', '2022-06-30');
    expect(s.code).toBe(4);
    expect(s.err).toContain(`AOI file ${dir} is not a regular file`);
  });
});

describe('demo reuse record', () => {
  it('synthetic.json that is not JSON or not an object is not reused (was a SyntaxError/TypeError)', async () => {
    const path = join(dir, 'synthetic.json');
    for (const text of ['{"options":', 'null', '[1]', '{"options":5}', '{"options":null}']) {
      await writeFile(path, text);
      expect(await syntheticOptions(path), text).toEqual({});
    }
    await writeFile(path, '{"options":{"aois":3}}');
    expect(await syntheticOptions(path)).toEqual({ aois: 3 });
  });
});

const withRedis = requireTool('redis-server', hasRedisServer());

describe.runIf(withRedis)('hostile payloads in Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  }, 20_000);
  afterAll(() => redis?.stop());

  it('limit keys another client left with leases that never end or negative counts neither hang nor lift the limits', async () => {
    const c = await connectRedis(parseQueueUrl(redis.url));
    try {
      let calls = 0;
      const ok = async () => {
        calls++;
        return new Response('ok');
      };
      // leases scored inf and 1e300 (no TTL): every request waited for ever
      await c.zadd('odd:hosts:127.0.0.1:9:leases', 'inf', 'ghost-1', '1e300', 'ghost-2');
      const host = sharedHostLimitedFetch(c, { concurrency: 1, prefix: 'odd:hosts' }, ok);
      const started = Date.now();
      expect((await host('http://127.0.0.1:9/x')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
      // a negative count in this second's rate key: every request went through
      const second = Math.floor(Number((await c.time())[0]));
      for (const s of [second, second + 1, second + 2])
        await c.set(`odd:rate:127.0.0.1:9:rate:${s}`, '-99999999999', 'EX', 10);
      const rate = sharedHostLimitedFetch(c, { perSecond: 2, prefix: 'odd:rate' }, ok);
      calls = 0;
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 6 }, () => rate('http://127.0.0.1:9/y')));
      expect(calls).toBe(6);
      // six requests at two per second span three seconds of the clock: at least one full second
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    } finally {
      c.disconnect();
    }
  }, 30_000);

  it("a job in Redis under a unit's id with other parameters (or no JSON) is replaced by the coordinator, never taken", async () => {
    const url = `${redis.url.replace(/\/\d*$/, '')}/3`;
    const queue = new Queue('rebuild-download', {
      connection: { port: redis.port, db: 3 },
      prefix: 'worldstrat',
    });
    const params = PAYLOADS['rebuild-download'].params as { aoi: object };
    const unit = { unit: 'A-1', params };
    const id = unitKey('rebuild-download', unit);
    const other = { ...params, levels: ['L1C'] };
    const c = await connectRedis(parseQueueUrl(url));
    const executor = await QueueExecutor.connect(url, { pollMs: 100 });
    try {
      // finished with another unit's parameters: a rerun would have taken its result as this unit's
      await queue.add('rebuild-download', other, { jobId: id });
      const fake = new Worker('rebuild-download', async () => ({ value: 'not read' }), {
        connection: { port: redis.port, db: 3 },
        prefix: 'worldstrat',
      });
      for (let i = 0; i < 200 && (await queue.getJobState(id)) !== 'completed'; i++)
        await new Promise((r) => setTimeout(r, 25));
      await fake.close();
      await executor.run('rebuild-download', [unit], { detach: true }, {});
      expect((await queue.getJob(id))?.data).toEqual(params);
      expect(await queue.getJobState(id)).toBe('waiting');
      // data that is not JSON (BullMQ's own parse threw, reported as "Redis unavailable")
      await c.hset(`worldstrat:rebuild-download:${id}`, 'data', '{not json');
      await expect(queue.getJob(id)).rejects.toThrow(SyntaxError);
      await executor.run('rebuild-download', [unit], { detach: true }, {});
      expect((await queue.getJob(id))?.data).toEqual(params);
    } finally {
      await executor.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      c.disconnect();
    }
  }, 30_000);

  it("a job cannot make a worker send its SentinelHub credentials to a host of the job's choosing", async () => {
    const hits: string[] = [];
    const attacker = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        hits.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"invalid_client"}');
      });
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const evil = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const saved = [process.env.SH_CLIENT_ID, process.env.SH_CLIENT_SECRET];
    process.env.SH_CLIENT_ID = 'worker-client-id';
    process.env.SH_CLIENT_SECRET = 'worker-secret-4711';
    const url = `${redis.url.replace(/\/\d*$/, '')}/2`;
    const queue = new Queue('rebuild-search', {
      connection: { port: redis.port, db: 2 },
      prefix: 'worldstrat',
    });
    const failed = async (id: string) => {
      for (let i = 0; i < 300; i++) {
        if ((await queue.getJobState(id)) === 'failed') return (await queue.getJob(id))!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${id} did not fail`);
    };
    const params = { ...(PAYLOADS['rebuild-search'].params as object), root: join(dir, 'sh-pin') };
    try {
      const stop = new AbortController();
      const worker = runQueueWorker({ url, stages: ['rebuild-search'], signal: stop.signal });
      try {
        await queue.add(
          'rebuild-search',
          { ...params, provider: { kind: 'sentinelhub', baseUrl: evil } },
          { jobId: 'pin-1' },
        );
        await queue.add(
          'rebuild-search',
          { ...params, provider: { kind: 'sentinelhub', tokenUrl: `${evil}/token` } },
          { jobId: 'pin-2' },
        );
        expect((await failed('pin-1')).failedReason).toBe(
          `INVALID_ARGUMENT: rebuild-search job pin-1: provider.baseUrl ${evil} is not this worker's SentinelHub (https://services.sentinel-hub.com), and the worker's credentials go nowhere else; start the worker with --sh-url ${evil} if that service is the one its credentials are for`,
        );
        expect((await failed('pin-2')).failedReason).toMatch(
          /^INVALID_ARGUMENT: rebuild-search job pin-2: provider\.tokenUrl .*must not be given/,
        );
        expect(hits).toEqual([]);
      } finally {
        stop.abort();
        await worker;
      }
      // a worker started for that service does call it: the refusal above is the pin, not a job that cannot run
      const stop2 = new AbortController();
      const allowed = runQueueWorker({
        url,
        stages: ['rebuild-search'],
        signal: stop2.signal,
        sentinelHub: { url: evil },
      });
      try {
        await queue.add(
          'rebuild-search',
          { ...params, provider: { kind: 'sentinelhub', baseUrl: evil } },
          { jobId: 'pin-3' },
        );
        await failed('pin-3');
        expect(hits.length).toBeGreaterThan(0);
        expect(hits[0]).toMatch(/^POST \/oauth\/token .*worker-secret-4711/);
      } finally {
        stop2.abort();
        await allowed;
      }
    } finally {
      [process.env.SH_CLIENT_ID, process.env.SH_CLIENT_SECRET] = saved;
      if (saved[0] === undefined) delete process.env.SH_CLIENT_ID;
      if (saved[1] === undefined) delete process.env.SH_CLIENT_SECRET;
      await queue.close();
      attacker.close();
    }
  }, 60_000);

  it('a worker fails hostile jobs typed and keeps serving; a corrupted result fails its unit; bad limit keys are typed', async () => {
    const stop = new AbortController();
    const worker = runQueueWorker({ url: redis.url, stages: ['rebuild-download'], signal: stop.signal });
    const queue = new Queue('rebuild-download', { connection: { port: redis.port }, prefix: 'worldstrat' });
    try {
      await queue.add('rebuild-download', { root: ROOT, aoi: { name: '../../x' } }, { jobId: 'hostile-1' });
      await queue.add('rebuild-download', null, { jobId: 'hostile-2' });
      const failed = async (id: string) => {
        for (let i = 0; i < 200; i++) {
          // the state first, then the job: a job read before it failed has no failedReason
          if ((await queue.getJobState(id)) === 'failed') return (await queue.getJob(id))!;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`job ${id} did not fail`);
      };
      const j1 = await failed('hostile-1');
      expect(j1.failedReason).toMatch(/^INVALID_ARGUMENT: rebuild-download job hostile-1: provider/);
      expect(j1.attemptsMade).toBe(1); // permanent: not retried
      const j2 = await failed('hostile-2');
      expect(j2.failedReason).toBe(
        'INVALID_ARGUMENT: rebuild-download job hostile-2: params null is not an object',
      );
    } finally {
      stop.abort();
      await worker;
      await queue.close();
    }

    // the coordinator: a completed job whose return value is not a download result (another process wrote it)
    const url = `${redis.url.replace(/\/\d*$/, '')}/1`;
    const fake = new Worker('rebuild-download', async () => ({ value: { downloads: 'all of them' } }), {
      connection: { port: redis.port, db: 1 },
      prefix: 'worldstrat',
    });
    const executor = await QueueExecutor.connect(url, { pollMs: 100 });
    try {
      const params = PAYLOADS['rebuild-download'].params;
      const run = await executor.run('rebuild-download', [{ unit: 'A-1', params }], {}, {});
      expect(run.outcomes).toHaveLength(1);
      const o = run.outcomes[0] as { ok: boolean; code: string; message: string };
      expect(o.ok).toBe(false);
      expect(o.code).toBe('UNITS_FAILED');
      expect(o.message).toMatch(
        /^result of rebuild-download job A-1\.[0-9a-f]{16} in Redis: downloads "all of them"/,
      );
    } finally {
      await executor.close();
      await fake.close();
    }

    // shared limits: keys another client left with the wrong type or value
    const c = await connectRedis(parseQueueUrl(redis.url));
    try {
      const ok = async () => new Response('ok');
      await c.set('hostile:hosts:127.0.0.1:9:leases', 'not a set');
      const host = sharedHostLimitedFetch(c, { concurrency: 2, prefix: 'hostile:hosts' }, ok);
      const e1 = await host('http://127.0.0.1:9/x').catch((e) => e);
      expect(e1.code).toBe('QUEUE_UNAVAILABLE');
      expect(e1.message).toContain('shared host limit hostile:hosts:127.0.0.1:9:leases: Redis refused');
      const win = 3_600_000;
      const slot = Math.floor(Date.now() / win);
      for (const s of [slot, slot + 1]) await c.set(`hostile:pu:${s}`, 'abc');
      const pu = sharedProcessingUnitFetch(c, { perWindow: 10, windowMs: win, prefix: 'hostile:pu' }, ok);
      const e2 = await pu('http://127.0.0.1:9/api/v1/process', { method: 'POST', body: '{}' }).catch(
        (e) => e,
      );
      expect(e2.code).toBe('QUEUE_UNAVAILABLE');
      expect(e2.message).toContain('processing-unit budget hostile:pu: Redis refused');
    } finally {
      c.disconnect();
    }
  }, 30_000);
});
