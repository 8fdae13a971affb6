// `worldstrat benchmark <root>`: train SRCNN-SI / SRCNN-MF / HighRes-net, evaluate against bicubic, report.
import type { Command } from 'commander';
import { runBenchmark } from '../../pipelines/benchmark.node.js';
import { intOption, parseWorkersOption } from '../options.js';
import type { CliRunner } from '../runtime.js';
import { addTrainingOptions, type TrainingCommandOptions, trainingOptionsFrom } from './training-options.js';

/** Options of `worldstrat benchmark`. */
interface BenchmarkCommandOptions extends TrainingCommandOptions {
  out: string;
  panels: number;
  geotiff: boolean;
  workers: number | 'auto';
}

/** Register the command. */
export function registerBenchmark(program: Command, run: CliRunner): void {
  const command = program
    .command('benchmark')
    .description(
      'train SRCNN-SI (R=1), SRCNN-MF (R=8), HighRes-net (R=8); score vs bicubic on the test split',
    )
    .argument('<root>', 'dataset folder in the release layout (real WorldStrat or `worldstrat synth`)')
    .requiredOption(
      '--out <dir>',
      'output folder (results.md/json, panels, curves, models, sr, report.html)',
    );
  addTrainingOptions(command, 'reuse finished models and continue interrupted ones from their checkpoints')
    .option('--panels <n>', 'comparison panels', intOption('panels', { min: 0, max: 100 }), 2)
    .option('--no-geotiff', 'skip the SR GeoTIFF of a test scene')
    .option(
      '--workers <n|auto>',
      'models trained at the same time (one worker thread each; auto = one per core)',
      parseWorkersOption,
      1,
    )
    .action((root: string, _opts, cmd: Command) =>
      run<BenchmarkCommandOptions>(cmd, async (o, rt) => {
        const r = await runBenchmark(
          {
            root,
            out: o.out,
            hiddenChannels: o.hidden,
            dropout: o.dropout,
            ...trainingOptionsFrom(o),
            panels: o.panels,
            geotiff: o.geotiff !== false,
            workers: o.workers,
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        rt.done(r, `${r.table}\n\nreport: ${r.files.report}`);
      }),
    );
}
