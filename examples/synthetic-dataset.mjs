// Example (@worldstrat/dataset + worldstrat plots): generate a small SYNTHETIC dataset in the release layout, read it back exactly like
// the upstream training loader (chips, normalisation, augmentation), and write its plots + HTML report.
// Run after `pnpm build`: node examples/synthetic-dataset.mjs [outDir]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateSyntheticDataset, openDataset } from '@worldstrat/dataset/node';
import { plotDatasetPipeline } from 'worldstrat/node';

export async function main({ out = 'out/examples/synthetic', aois = 6, revisits = 8, hrSize = 1054 } = {}) {
  const root = join(out, 'dataset');
  const summary = await generateSyntheticDataset(root, { aois, revisits, hrSize, seed: 0, overwrite: true });
  console.log(
    `wrote ${summary.aois.length} synthetic AOIs (HR ${summary.hrSize}² → LR ${summary.lrSize}²) to ${root}`,
  );
  const ds = await openDataset(root, { revisits: Math.min(8, revisits) });
  const { train, val, test } = ds.split();
  console.log(`splits from the CSV: train ${train.length} · val ${val.length} · test ${test.length}`);
  let chips = 0;
  for await (const batch of ds.batches('train', { batchSize: 16, seed: 1 })) {
    if (chips === 0) console.log(`first batch: lr [${batch.lr.shape}] hr [${batch.hr.shape}]`);
    chips += batch.lr.shape[0];
  }
  console.log(`${chips} training chips (9 per scene)`);
  const plots = await plotDatasetPipeline.run({ root, out: join(out, 'plots') });
  console.log(`plots and report: ${plots.report}`);
  return { aois: summary.aois.length, chips, report: plots.report };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ out: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
