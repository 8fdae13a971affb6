// `benchmark --resume` (and so `demo --resume`) reuses a finished model only when it was trained with the same
// model, dataset and settings: it reused weights of any --steps/--lr/--seed/--loss-mode or dataset before.
// More steps continue the checkpoint (as `train --resume` does, same weights as one uninterrupted run); any other
// difference trains the model again; the log says which and why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/node.js';
import { type BenchmarkOptions, benchmarkModels, runBenchmark } from '../../src/pipelines/benchmark.node.js';
import { tempDir } from '../support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-bench-resume-'));
  root = join(dir, 'ds');
  // 7 AOIs → 5 train / 1 val / 1 test; one revisit is all SRCNN-SI reads
  await generateSyntheticDataset(root, { aois: 7, revisits: 1, hrSize: 156, seed: 4 });
}, 120_000);
afterAll(() => cleanup());

const SI = benchmarkModels(4, 0).filter((m) => m.name === 'SRCNN-SI');

async function bench(out: string, extra: Partial<BenchmarkOptions> = {}) {
  const logs: string[] = [];
  const result = await runBenchmark(
    {
      root,
      out: join(dir, out),
      models: SI,
      maxSteps: 2,
      batchSize: 4,
      learningRate: 1e-3,
      cosineT0: false,
      seed: 0,
      lossMode: 'worldstrat',
      panels: 0,
      geotiff: false,
      dataParallel: 'off',
      ...extra,
    },
    { log: (m) => logs.push(m) },
  );
  const history = JSON.parse(readFileSync(join(dir, out, 'models', 'srcnn-si.history.json'), 'utf8'));
  const weights = readFileSync(join(dir, out, 'models', 'srcnn-si.safetensors'));
  return { result, logs: logs.filter((l) => l.startsWith('SRCNN-SI: ')), history, weights };
}

describe('benchmark --resume [slow: trains a tiny model about ten times]', () => {
  it('reuses a finished model only for the same settings; more steps continue it; other settings retrain', async () => {
    const first = await bench('b');
    expect(first.history.recipe).toMatchObject({
      steps: 2,
      learningRate: 1e-3,
      seed: 0,
      lossMode: 'worldstrat',
    });

    const same = await bench('b', { resume: true });
    expect(same.logs[0]).toMatch(
      /^SRCNN-SI: reusing finished weights in .* \(2 steps; same model, dataset and settings\)$/,
    );
    expect(same.result.rows.map((r) => r.cpsnr)).toEqual(first.result.rows.map((r) => r.cpsnr));
    expect(same.weights.equals(first.weights)).toBe(true);
    expect(first.result.rows.at(-1)?.training).toBe('trained');
    expect(same.result.rows.at(-1)?.training).toBe('reused');

    // more steps: the checkpoint of step 2 continues to step 3, as one run of 3 steps would have trained
    const more = await bench('b', { resume: true, maxSteps: 3 });
    expect(more.logs[0]).toBe(
      `SRCNN-SI: continuing the checkpoint of step 2 in ${join(dir, 'b', 'models', 'checkpoints', 'srcnn-si')} to 3 steps`,
    );
    expect([more.history.steps, more.history.resumedFromStep]).toEqual([3, 2]);
    expect(more.result.rows.at(-1)).toMatchObject({ steps: 3, training: 'continued' });
    const straight = await bench('straight', { maxSteps: 3 });
    expect(more.weights.equals(straight.weights)).toBe(true);

    // each setting that changes the weights (fewer steps too) trains the model again from the start
    for (const [k, [extra, change]] of (
      [
        [{ learningRate: 1e-2 }, '--lr 0.001 → 0.01'],
        [{ seed: 5 }, '--seed 0 → 5'],
        [{ lossMode: 'centered' }, '--loss-mode "worldstrat" → "centered"'],
        [{ maxSteps: 1 }, 'steps (--steps / --epochs) 2 → 1'],
      ] as [Partial<BenchmarkOptions>, string][]
    ).entries()) {
      await bench(`case-${k}`);
      const r = await bench(`case-${k}`, { resume: true, ...extra });
      expect(r.logs[0], JSON.stringify(extra)).toContain('training from the start: its weights in');
      expect(r.logs[0]).toContain(change);
      expect(r.history.resumedFromStep, JSON.stringify(extra)).toBeUndefined();
      expect(r.result.rows.at(-1)?.training).toBe('trained');
      expect(r.history.recipe).toMatchObject(recipeOf(extra));
    }
  }, 900_000);

  it('another dataset in the same folder (regenerated with another seed) is retrained, not reused', async () => {
    const other = join(dir, 'ds2');
    await generateSyntheticDataset(other, { aois: 7, revisits: 1, hrSize: 156, seed: 4 });
    const logs: string[] = [];
    const opts: BenchmarkOptions = {
      root: other,
      out: join(dir, 'c'),
      models: SI,
      maxSteps: 1,
      batchSize: 4,
      cosineT0: false,
      panels: 0,
      geotiff: false,
      dataParallel: 'off',
    };
    await runBenchmark(opts);
    await generateSyntheticDataset(other, { aois: 7, revisits: 1, hrSize: 156, seed: 8, overwrite: true });
    await runBenchmark({ ...opts, resume: true }, { log: (m) => logs.push(m) });
    expect(logs.find((l) => l.startsWith('SRCNN-SI: '))).toContain(
      'other settings (dataset (tables, generation record or train/val scenes))',
    );
  }, 300_000);
});

/** The recipe members a test's option override sets. */
function recipeOf(extra: Partial<BenchmarkOptions>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (extra.learningRate !== undefined) out.learningRate = extra.learningRate;
  if (extra.seed !== undefined) out.seed = extra.seed;
  if (extra.lossMode !== undefined) out.lossMode = extra.lossMode;
  if (extra.maxSteps !== undefined) out.steps = extra.maxSteps;
  return out;
}
