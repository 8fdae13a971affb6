// `worldstrat synth <out>`: write the synthetic mini-dataset (optionally with its plots).
import { join } from 'node:path';
import { DEFAULT_SYNTHETIC_DATASET, generateSyntheticDataset } from '@worldstrat/dataset/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { plotDatasetPipeline } from '../../pipelines/plot-dataset.node.js';
import { choiceOption, intOption, seedOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

/** Options of `worldstrat synth`. */
interface SynthOptions {
  aois: number;
  revisits: number;
  hrSize: number;
  seed: number;
  compression: 'deflate' | 'none';
  l1c: boolean;
  overwrite: boolean;
  plots: boolean;
}

/** Register the command. */
export function registerSynth(program: Command, run: CliRunner): void {
  program
    .command('synth')
    .description('generate a deterministic SYNTHETIC dataset in the WorldStrat release layout')
    .argument('<out>', 'output folder (must be empty unless --overwrite)')
    .option(
      '--aois <n>',
      'number of AOIs',
      intOption('aois', { min: 1, max: 100_000 }),
      DEFAULT_SYNTHETIC_DATASET.aois,
    )
    .option(
      '--revisits <n>',
      'LR revisits per AOI (16 = release, 8 = Kaggle core)',
      intOption('revisits', { min: 1, max: 100 }),
      DEFAULT_SYNTHETIC_DATASET.revisits,
    )
    .option(
      '--hr-size <px>',
      'HR side in pixels at 1.5 m (LR side = round(hr·1.5/10))',
      intOption('hr-size', { min: 27, max: 4096 }),
      DEFAULT_SYNTHETIC_DATASET.hrSize,
    )
    .option('--seed <n>', 'master seed', seedOption(), DEFAULT_SYNTHETIC_DATASET.seed)
    .option(
      '--compression <c>',
      'GeoTIFF compression: deflate | none',
      choiceOption('compression', ['deflate', 'none']),
      DEFAULT_SYNTHETIC_DATASET.compression,
    )
    .option('--l1c', 'also write lr_dataset/<AOI>/L1C/ (13-band top-of-atmosphere revisits)', false)
    .option('--overwrite', 'write into a non-empty folder', false)
    .option('--plots', 'also write plots and an HTML report to <out>/plots', false)
    .action((out: string, _opts, cmd: Command) =>
      run<SynthOptions>(cmd, async (o, rt) => {
        const summary = await generateSyntheticDataset(out, {
          aois: o.aois,
          revisits: o.revisits,
          hrSize: o.hrSize,
          seed: o.seed,
          compression: o.compression,
          overwrite: Boolean(o.overwrite),
          l1c: Boolean(o.l1c),
          signal: rt.signal,
          onProgress: rt.onProgress,
        }).catch((err: unknown) => {
          throw withFlagHint(err);
        });
        let report: string | undefined;
        if (o.plots) {
          const plots = await plotDatasetPipeline.run(
            { root: out, out: join(out, 'plots') },
            { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
          );
          report = plots.report;
        }
        const result = {
          root: summary.root,
          aois: summary.aois.length,
          revisits: o.revisits,
          hrSize: summary.hrSize,
          lrSize: summary.lrSize,
          files: summary.files,
          splits: Object.fromEntries(
            ['train', 'val', 'test'].map((s) => [s, summary.aois.filter((a) => a.split === s).length]),
          ),
          report,
        };
        rt.done(
          result,
          `wrote ${summary.aois.length} synthetic AOIs (${summary.files} files, HR ${summary.hrSize}² → LR ${summary.lrSize}²) to ${summary.root}${report ? `\nreport: ${report}` : ''}`,
        );
      }),
    );
}

/** The library's not-empty error names its API option; on the command line that is `--overwrite`. */
function withFlagHint(err: unknown): unknown {
  const api = 'pass overwrite: true';
  const e = err as { code?: unknown; message?: unknown };
  if (!(err instanceof Error && e.code === 'INVALID_ARGUMENT' && err.message.endsWith(api))) return err;
  return new WorldStratError('INVALID_ARGUMENT', `${err.message.slice(0, -api.length)}pass --overwrite`, {
    cause: err,
  });
}
