// Example (srnet + worldstrat): train a small multi-frame SRCNN on the synthetic dataset with the upstream
// data pipeline (JIF transforms, 3×3 chips, rot90+flip on train), validate each epoch with the registered
// cPSNR against the bicubic baseline, and plot the training curves.
// Run after `pnpm build`: node examples/train.mjs [outDir]   (a few minutes on 2 CPU cores with the defaults)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createModel, selectBackend, train } from '@worldstrat/srnet';
import { generateSyntheticDataset, openDataset, trainingCurvesSvg, writePlot } from 'worldstrat/node';

export async function main({
  out = 'out/examples/train',
  aois = 12,
  hrSize = 264,
  revisits = 4,
  hidden = 16,
  epochs = 3,
  batchSize = 8,
  maxSteps,
  trainScenes = Number.POSITIVE_INFINITY,
} = {}) {
  const root = join(out, 'dataset');
  await generateSyntheticDataset(root, { aois, revisits, hrSize, seed: 7, overwrite: true });
  const ds = await openDataset(root, { revisits, cacheScenes: aois });
  const split = ds.split();
  const trainList = split.train.slice(0, trainScenes);
  const { backend } = await selectBackend('auto');
  const model = createModel({ kind: 'srcnn', revisits, hiddenChannels: hidden }, { seed: 1 });
  const t0 = performance.now();
  const result = await train(model, {
    // Train split: shuffled + augmented; validation: fixed order, no augmentation (upstream augments both).
    train: (epoch) => ds.batches(trainList, { batchSize, seed: 1, epoch, shuffle: true, augment: true }),
    validation: () => ds.batches(split.val, { batchSize }),
    epochs,
    maxSteps,
    mode: 'centered',
    seed: 1,
    onProgress: (p) => {
      if (p.stage === 'train' && p.done % 10 === 0)
        console.log(
          `step ${p.step} loss ${p.loss?.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      if (p.validation) {
        const v = p.validation;
        console.log(
          `epoch ${v.epoch}: val cPSNR ${v.psnr.toFixed(2)} dB (bicubic ${v.baseline?.psnr.toFixed(2) ?? '–'} dB), cSSIM ${v.cssim.toFixed(3)}`,
        );
      }
    },
  });
  const svg = trainingCurvesSvg(
    [
      { name: 'train loss', points: result.losses.map((l) => [l.step, l.loss]) },
      { name: 'val loss', points: result.validation.map((v) => [v.step, v.loss]), dashed: true },
    ],
    {
      title: `SRCNN-MF (R=${revisits}) on synthetic data, ${backend}`,
      xLabel: 'step',
      yLabel: 'registered loss',
    },
  );
  const files = await writePlot(join(out, 'training-curves'), svg);
  console.log(`${result.steps} steps on ${backend}; curves → ${files.png}`);
  model.dispose?.();
  return { steps: result.steps, validation: result.validation, backend };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ out: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
