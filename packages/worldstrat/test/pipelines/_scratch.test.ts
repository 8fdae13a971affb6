import { existsSync } from 'node:fs';
import { createTfjsEngine, exportStateDict } from '@worldstrat/srnet';
import { it } from 'vitest';
import { generateSyntheticDataset, openDataset } from '../../src/node.js';
import { evaluateModels } from '../../src/pipelines/evaluate-models.node.js';
import { trainModel } from '../../src/pipelines/train-model.node.js';

it('scratch', async () => {
  const root = '/tmp/ws-w2/ds8';
  let t = performance.now();
  if (!existsSync(root + '/metadata.csv'))
    await generateSyntheticDataset(root, { aois: 10, revisits: 8, seed: 0 });
  console.log('gen', (performance.now() - t) / 1000);
  const ds = await openDataset(root, { revisits: 8, cacheScenes: 64 });
  console.log(Object.fromEntries(Object.entries(ds.split()).map(([k, v]) => [k, v.length])));
  for (const spec of [
    { name: 'SRCNN-SI', config: { kind: 'srcnn' as const, revisits: 1, hiddenChannels: 32, dropout: 0 } },
    { name: 'SRCNN-MF', config: { kind: 'srcnn' as const, revisits: 8, hiddenChannels: 32, dropout: 0 } },
    {
      name: 'HighRes-net',
      config: { kind: 'highresnet' as const, revisits: 8, hiddenChannels: 32, dropout: 0 },
    },
  ]) {
    t = performance.now();
    const r = await trainModel(
      {
        dataset: ds,
        spec,
        out: '/tmp/ws-w2/run',
        maxSteps: 6,
        batchSize: 8,
        learningRate: 1e-3,
        cosineT0: false,
        validate: false,
      },
      { log: console.log },
    );
    console.log(
      spec.name,
      'train 6 steps s',
      (performance.now() - t) / 1000,
      r.history.steps.map((x) => x[1].toFixed(3)).join(' '),
    );
    t = performance.now();
    const engine = await createTfjsEngine(r.config, await exportStateDict(r.model));
    const ev = await evaluateModels({ dataset: ds, models: [{ name: spec.name, engine }] });
    console.log(
      'eval s',
      (performance.now() - t) / 1000,
      JSON.stringify(
        ev.scores.map((s) => [s.name, s.centered.psnr.toFixed(2), s.worldstrat.psnr.toFixed(2)]),
      ),
    );
    engine.dispose();
    r.model.dispose();
  }
}, 900_000);
