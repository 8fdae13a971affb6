// `superresolve --region … --model <descriptor>`: a third-party ONNX model described by a STAC MLM document runs
// region super-resolution against eo-fetch's local STAC API + COG server on 127.0.0.1. The plan follows the
// descriptor (its 50 px tile is the chip, its ×2 scale the output grid), tiles go through the in-process
// executor and two BullMQ worker processes of the built CLI (the job carries the descriptor path and the sha256
// of it and of its ONNX), and a descriptor needing bands L2A lacks fails before any request.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import {
  exportOnnx,
  initStateDict,
  JIF_S2_BANDS,
  JIF_S2_MEAN,
  JIF_S2_STD,
  resolveModelConfig,
} from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueExecutor } from '../../src/executors/queue-executor.node.js';
import { type RegionTileParams, runRegionTileUnit } from '../../src/executors/region-tile-unit.node.js';
import {
  type RegionSuperresolveOptions,
  regionSuperresolvePipeline,
} from '../../src/pipelines/region-superresolve.node.js';
import { tempDir } from '../support/fixtures.js';
import { hasRedisServer, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { REGION_EPSG, type RegionFixture, startRegionFixture } from '../support/region-fixture.js';
import { requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';
import { CLI_BIN, spawnCli } from '../support/spawn-cli.js';

const REGION = [8.535, 47.365, 8.553, 47.372] as [number, number, number, number];
const CONFIG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 1,
  hiddenChannels: 8,
  residualLayers: 0,
  outputSize: [100, 100],
});
const queueOk =
  requireTool('redis-server', hasRedisServer()) && requireTool('built CLI', existsSync(CLI_BIN));

let dir: string;
let cleanup: () => Promise<void>;
let fixture: RegionFixture;
let model: string;

/** An MLM STAC Item describing srnet's exported SRCNN: 12 L2A bands (or `bands`), 50 → 100 px, JIF z-score. */
function descriptor(bands: readonly string[] = JIF_S2_BANDS) {
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: ['https://stac-extensions.github.io/mlm/v1.4.0/schema.json'],
    id: 'srcnn-r1',
    properties: {
      datetime: null,
      'mlm:name': 'srcnn-r1-region',
      'mlm:tasks': ['super-resolution'],
      'mlm:input': [
        {
          name: 'lr',
          bands: [...bands],
          input: {
            shape: [-1, 1, 12, 50, 50],
            dim_order: ['batch', 'time', 'bands', 'height', 'width'],
            data_type: 'float32',
          },
          value_scaling: JIF_S2_BANDS.map((_, b) => ({
            type: 'z-score',
            mean: JIF_S2_MEAN[b],
            stddev: JIF_S2_STD[b],
          })),
        },
      ],
      'mlm:output': [
        {
          name: 'sr',
          tasks: ['super-resolution'],
          result: {
            shape: [-1, 1, 3, 100, 100],
            dim_order: ['batch', 'time', 'channel', 'height', 'width'],
            data_type: 'float32',
          },
        },
      ],
    },
    assets: { model: { href: './srcnn-r1.onnx', roles: ['mlm:model'], 'mlm:artifact_type': 'onnx' } },
  };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-region-model-'));
  fixture = await startRegionFixture(dir);
  writeFileSync(join(dir, 'srcnn-r1.onnx'), exportOnnx(CONFIG, initStateDict(CONFIG, { seed: 9 })));
  model = join(dir, 'srcnn-r1.json');
  writeFileSync(model, JSON.stringify(descriptor()));
}, 60_000);
afterAll(async () => {
  await fixture?.close();
  await cleanup?.();
});

/** The fixture's options with the descriptor instead of srnet weights. */
function withModel(name: string, tileSizePx: number, m = model): RegionSuperresolveOptions {
  const { weights: _weights, ...o } = fixture.options(name, REGION, tileSizePx);
  return { ...o, model: m };
}

/** Max |a − b| over pixels at least `margin` px from the border (both finite there). */
function interiorDiff(a: Float32Array, b: Float32Array, w: number, h: number, margin: number): number {
  let m = 0;
  for (let y = margin; y < h - margin; y++)
    for (let x = margin; x < w - margin; x++) {
      const i = y * w + x;
      expect(Number.isFinite(a[i]) && Number.isFinite(b[i])).toBe(true);
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
  return m;
}

describe('region superresolve with a --model descriptor', () => {
  it('6 feathered tiles equal the whole-scene (one tile) run of the same model within 1e-4 away from the border', async () => {
    const one = await regionSuperresolvePipeline.run(withModel('model-one', 400));
    expect(one.tiles).toEqual({ total: 1, computed: 1, skipped: 0 });
    expect(one.epsg).toBe(REGION_EPSG);
    // the descriptor's 50 px tile aligns the grid, its 50 → 100 px output makes 5 m pixels
    expect([one.lrWidth, one.lrHeight]).toEqual([150, 100]);
    expect([one.width, one.height]).toEqual([300, 200]);
    expect(one.pixelSizeM).toEqual([5, 5]);
    const tiled = await regionSuperresolvePipeline.run(withModel('model-tiled', 50));
    expect(tiled.tiles.total).toBe(6);
    const a = await readGeoTiffFile(one.out);
    const b = await readGeoTiffFile(tiled.out);
    expect(a.bands.length).toBe(3);
    expect(b.geo?.transform).toEqual(a.geo?.transform);
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of a.bands[0] as Float32Array)
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect(hi - lo).toBeGreaterThan(1e-3);
    for (let k = 0; k < 3; k++)
      expect(
        interiorDiff(a.bands[k] as Float32Array, b.bands[k] as Float32Array, a.width, a.height, 16),
        `band ${k}`,
      ).toBeLessThan(1e-4);
    // the tile record keys on the descriptor: a re-run keeps every tile
    const again = await regionSuperresolvePipeline.run(withModel('model-tiled', 50));
    expect(again.tiles).toEqual({ total: 6, computed: 0, skipped: 6 });
    // records edited to `null` or `{}` are unreadable: those tiles are redone (null crashed the resume)
    const records = readdirSync(join(again.workDir, 'tiles')).filter((f) => f.endsWith('.json'));
    expect(records.length).toBe(6);
    writeFileSync(join(again.workDir, 'tiles', records[0] as string), 'null');
    writeFileSync(join(again.workDir, 'tiles', records[1] as string), '{}');
    const redone = await regionSuperresolvePipeline.run(withModel('model-tiled', 50));
    expect(redone.tiles).toEqual({ total: 6, computed: 2, skipped: 4 });
  }, 180_000);

  it('a descriptor needing bands the L2A catalogue lacks fails typed before any request; the CLI exits 4', async () => {
    const odd = join(dir, 'needs-b10.json');
    const bands: string[] = [...JIF_S2_BANDS];
    bands[10] = 'B10'; // cirrus: L1C only
    writeFileSync(odd, JSON.stringify(descriptor(bands)));
    const n = fixture.stac.requests.length;
    const err = await regionSuperresolvePipeline
      .run(withModel('model-b10', 50, odd))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_BANDS_UNAVAILABLE' });
    expect((err as Error).message).toContain('needs-b10.json');
    expect((err as Error).message).toContain('B10');
    expect(fixture.stac.requests.length).toBe(n);
    const out = join(dir, 'model-b10-cli', 'mosaic.tif');
    const r = await cli(
      'superresolve',
      '--region',
      REGION.join(','),
      '--dates',
      '2022-06-01/2022-06-30',
      '--stac-url',
      fixture.stac.url,
      '--model',
      odd,
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain('MODEL_BANDS_UNAVAILABLE');
    expect(existsSync(out)).toBe(false);
    const both = await cli(
      'superresolve',
      '--region',
      REGION.join(','),
      '--dates',
      '2022-06-01/2022-06-30',
      '--model',
      model,
      '--weights',
      fixture.weights,
      '--out',
      out,
    );
    expect(both.code, both.err).toBe(2);
    expect(both.err).toContain('not both');
  }, 60_000);

  it('a tile unit whose descriptor or ONNX differs from the planned sha256 fails typed before any request', async () => {
    const base: RegionTileParams = {
      tile: 'tile_0_0',
      workDir: join(dir, 'unit'),
      bbox: REGION,
      epsg: REGION_EPSG,
      lrTransform: [0, 10, 0, 0, 0, -10],
      lrWidth: 50,
      lrHeight: 50,
      window: { x: 0, y: 0, width: 100, height: 100 },
      dateRange: ['2022-06-01', '2022-06-30'],
      provider: { kind: 'stac', url: fixture.stac.url },
      revisits: 1,
      model,
      modelSha256: '0'.repeat(64),
      modelOnnxSha256: '0'.repeat(64),
    };
    const n = fixture.stac.requests.length;
    const codeOf = (p: RegionTileParams) =>
      runRegionTileUnit(p, {}).then(
        () => 'ok',
        (e: unknown) => [(e as { code?: string }).code, (e as Error).message],
      );
    const wrongJson = await codeOf(base);
    expect(wrongJson[0]).toBe('CHECKSUM_MISMATCH');
    expect(wrongJson[1]).toContain('model descriptor');
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const wrongOnnx = await codeOf({ ...base, modelSha256: sha(model) });
    expect(wrongOnnx[0]).toBe('CHECKSUM_MISMATCH');
    expect(wrongOnnx[1]).toContain('srcnn-r1.onnx');
    const both = await codeOf({ ...base, weights: fixture.weights, weightsSha256: sha(fixture.weights) });
    expect(both[0]).toBe('INVALID_ARGUMENT');
    const relative = await codeOf({ ...base, model: 'srcnn-r1.json' });
    expect(relative[0]).toBe('INVALID_ARGUMENT');
    expect(fixture.stac.requests.length).toBe(n);
  }, 30_000);

  it('CLI: --region with --model writes the in-process mosaic', async () => {
    const out = join(dir, 'model-cli', 'mosaic.tif');
    const r = await cli(
      '--json',
      'superresolve',
      '--region',
      REGION.join(','),
      '--dates',
      '2022-06-01/2022-06-30',
      '--stac-url',
      fixture.stac.url,
      '--model',
      model,
      '--out',
      out,
      '--tile-size',
      '50',
      '--tile-overlap',
      '50',
      '--overlap',
      '0',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).tiles).toEqual({ total: 6, computed: 6, skipped: 0 });
    const a = await readGeoTiffFile(out);
    const b = await readGeoTiffFile(join(dir, 'model-tiled', 'mosaic.tif'));
    for (let k = 0; k < 3; k++)
      expect(Array.from(a.bands[k] as Float32Array)).toEqual(Array.from(b.bands[k] as Float32Array));
  }, 120_000);
});

describe.runIf(queueOk)('region superresolve with a --model descriptor on 2 queue workers', () => {
  let redis: TestRedis;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
    for (let i = 0; i < 2; i++)
      workers.push(
        spawnCli(['worker', '--queue', redis.url, '--stages', 'region-sr-tile', '--quiet'], dir).child,
      );
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    await redis?.stop();
  });

  it('workers load the descriptor and give the in-process pixels', async () => {
    const executor = await QueueExecutor.connect(redis.url, { pollMs: 100 });
    try {
      const r = await regionSuperresolvePipeline.run({ ...withModel('model-queued', 50), executor });
      expect(r.tiles).toEqual({ total: 6, computed: 6, skipped: 0 });
      const queued = await readGeoTiffFile(r.out);
      const local = await readGeoTiffFile(join(dir, 'model-tiled', 'mosaic.tif'));
      for (let k = 0; k < 3; k++)
        expect(Array.from(queued.bands[k] as Float32Array)).toEqual(
          Array.from(local.bands[k] as Float32Array),
        );
    } finally {
      await executor.close();
    }
  }, 120_000);
});
