// Parallel training in worker threads gives exactly the models of sequential training (same bytes), reports one
// combined progress stage, propagates a worker's typed error, and stops on abort without half-written weights.
// The workers run the built bundle (dist/train-worker.node.js): CI builds before testing; without a build this
// file says so and skips.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BenchmarkResult,
  generateSyntheticDataset,
  runBenchmark,
  trainInWorkers,
  WorldStratError,
} from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';

const WORKER = fileURLToPath(new URL('../../dist/train-worker.node.js', import.meta.url));
const BUILT = existsSync(WORKER);
if (!BUILT) console.warn(`train-workers.test: ${WORKER} missing (run pnpm build); skipping`);

const models = [
  { name: 'SRCNN-SI', config: { kind: 'srcnn' as const, revisits: 1, hiddenChannels: 8, dropout: 0.5 } },
  { name: 'SRCNN-MF', config: { kind: 'srcnn' as const, revisits: 4, hiddenChannels: 8, dropout: 0.5 } },
  {
    name: 'HighRes-net',
    config: { kind: 'highresnet' as const, revisits: 4, hiddenChannels: 8, dropout: 0 },
  },
];

const TITLE = 'training in worker threads [slow: trains several models in workers, then one at a time]';
describe.runIf(BUILT)(TITLE, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  const base = () => ({
    root,
    models,
    maxSteps: 3,
    epochs: 100,
    batchSize: 2,
    learningRate: 1e-3,
    lossMode: 'centered' as const,
    seed: 5,
    backend: 'wasm' as const,
    panels: 0,
    geotiff: false,
  });
  let sequential: BenchmarkResult;
  let parallel: BenchmarkResult;
  const stages = new Set<string>();
  const logs: string[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('worldstrat-workers-'));
    root = join(dir, 'data');
    await generateSyntheticDataset(root, { aois: 10, revisits: 4, hrSize: 264, seed: 3 });
    sequential = await runBenchmark({ ...base(), out: join(dir, 'seq'), workers: 1 });
    parallel = await runBenchmark(
      { ...base(), out: join(dir, 'par'), workers: 2, workerScript: WORKER },
      { onProgress: (p) => stages.add(p.stage), log: (m) => logs.push(m) },
    );
  }, 600_000);
  afterAll(() => cleanup());

  it('writes byte-identical weights and the same scores as training one model at a time', () => {
    for (const m of ['srcnn-si', 'srcnn-mf', 'highres-net']) {
      const a = readFileSync(join(dir, 'seq', 'models', `${m}.safetensors`));
      const b = readFileSync(join(dir, 'par', 'models', `${m}.safetensors`));
      expect(b.length).toBeGreaterThan(1000);
      expect(Buffer.compare(a, b), m).toBe(0);
      const ha = JSON.parse(readFileSync(join(dir, 'seq', 'models', `${m}.history.json`), 'utf8'));
      const hb = JSON.parse(readFileSync(join(dir, 'par', 'models', `${m}.history.json`), 'utf8'));
      expect(hb.steps).toBe(3);
      expect(hb.history.steps).toHaveLength(3);
      expect(hb.history.steps).toEqual(ha.history.steps);
    }
    expect(parallel.rows.map((r) => [r.model, r.steps, r.cpsnr.centered, r.cssim.worldstrat])).toEqual(
      sequential.rows.map((r) => [r.model, r.steps, r.cpsnr.centered, r.cssim.worldstrat]),
    );
  });

  it('reports one combined progress stage and says which models went to workers', () => {
    expect([...stages].filter((s) => s.startsWith('train'))).toEqual(['train: 3 models']);
    expect(
      logs.some((l) =>
        /training HighRes-net, SRCNN-SI, SRCNN-MF|training SRCNN-SI, SRCNN-MF, HighRes-net/.test(l),
      ),
    ).toBe(true);
    expect(logs.filter((l) => / 3 steps in \d+ s \(worker\)$/.test(l))).toHaveLength(3);
  });

  it("propagates a worker's typed error (missing dataset → DATASET_NOT_FOUND)", async () => {
    const job = (name: string) => ({
      root: join(dir, 'nowhere'),
      open: { revisits: 1 },
      train: { spec: { ...models[0], name }, out: join(dir, 'bad'), maxSteps: 1 },
    });
    const err = await trainInWorkers([job('A'), job('B')], { workers: 2, script: WORKER }).catch((e) => e);
    expect(err).toBeInstanceOf(WorldStratError);
    expect(err.code).toBe('DATASET_NOT_FOUND');
    expect(err.message).toMatch(/^(A|B) \(training worker\): .*nowhere/);
  });

  it('abort stops every worker at a step boundary: ABORTED, no weights written, checkpoints left to resume', async () => {
    const controller = new AbortController();
    const out = join(dir, 'abort');
    const run = runBenchmark(
      { ...base(), out, maxSteps: 200, checkpointEvery: 1, workers: 2, workerScript: WORKER },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage.startsWith('train') && p.done >= 2) controller.abort();
        },
      },
    );
    const err = await run.catch((e) => e);
    expect(err).toBeInstanceOf(WorldStratError);
    expect(err.code).toBe('ABORTED');
    const files = readdirSync(join(out, 'models'));
    expect(files.filter((f) => f.endsWith('.safetensors'))).toEqual([]);
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    const ckpts = readdirSync(join(out, 'models', 'checkpoints'));
    expect(ckpts.length).toBeGreaterThan(0);
  }, 300_000);
});
