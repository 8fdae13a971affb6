// Training several models at once in worker threads vs one after another in the main thread (the peer), on the
// same tiny synthetic dataset and seeds; the weights must be identical, the ratio is the wall-time speed-up.
// Needs the built package (dist/train-worker.node.js). Env: WORLDSTRAT_BENCH_STEPS (default 20).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { generateSyntheticDataset, runBenchmark } from '../src/node.js';

const WORKER = fileURLToPath(new URL('../dist/train-worker.node.js', import.meta.url));
const STEPS = Number(process.env.WORLDSTRAT_BENCH_STEPS ?? 20);

it.runIf(existsSync(WORKER))('train 2 models: worker threads vs sequential', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'worldstrat-bench-workers-'));
  try {
    const root = join(dir, 'data');
    await generateSyntheticDataset(root, { aois: 10, revisits: 8, hrSize: 527, seed: 1 });
    const models = [
      { name: 'SRCNN-MF', config: { kind: 'srcnn' as const, revisits: 8, hiddenChannels: 16, dropout: 0 } },
      {
        name: 'HighRes-net',
        config: { kind: 'highresnet' as const, revisits: 8, hiddenChannels: 16, dropout: 0 },
      },
    ];
    const run = async (out: string, workers: number) => {
      const t0 = performance.now();
      await runBenchmark({
        root,
        out: join(dir, out),
        models,
        maxSteps: STEPS,
        batchSize: 4,
        learningRate: 5e-3,
        cosineT0: false,
        lossMode: 'centered',
        validate: false,
        panels: 0,
        geotiff: false,
        workers,
        workerScript: WORKER,
      });
      return (performance.now() - t0) / 1000;
    };
    const seq = await run('seq', 1);
    const par = await run('par', 2);
    const same = ['srcnn-mf', 'highres-net'].every((m) =>
      readFileSync(join(dir, 'seq', 'models', `${m}.safetensors`)).equals(
        readFileSync(join(dir, 'par', 'models', `${m}.safetensors`)),
      ),
    );
    console.log(
      `[worldstrat bench] SRCNN-MF + HighRes-net, ${STEPS} steps each, batch 4, ${availableParallelism()} cores: sequential ${seq.toFixed(1)} s, 2 workers ${par.toFixed(1)} s → ${(seq / par).toFixed(2)}× faster; weights identical: ${same}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
