// `worldstrat demo` (= `pnpm demo`): synthetic mini-dataset → three small models vs bicubic → out/demo/.
import type { Command } from 'commander';
import { DEMO_DEFAULTS, runDemo } from '../../pipelines/demo.node.js';
import { intOption, numberOption, parseWorkersOption, seedOption } from '../options.js';
import type { CliRunner } from '../runtime.js';
import { parseHidden } from './training-options.js';

/** Options of `worldstrat demo`. */
interface DemoCommandOptions {
  out: string;
  aois: number;
  hrSize: number;
  seed: number;
  hidden: number;
  steps: number;
  batchSize: number;
  lr: number;
  lrDecay: boolean;
  resume: boolean;
  geotiff: boolean;
  workers: number | 'auto';
}

/** Register the command. */
export function registerDemo(program: Command, run: CliRunner): void {
  program
    .command('demo')
    .description(
      'SYNTHETIC demo: generate 24 AOIs, train SRCNN-SI / SRCNN-MF / HighRes-net briefly on the CPU, compare with bicubic',
    )
    .option('--out <dir>', 'output folder', DEMO_DEFAULTS.out)
    .option('--aois <n>', 'synthetic AOIs', intOption('aois', { min: 1, max: 10_000 }), DEMO_DEFAULTS.aois)
    .option(
      '--hr-size <px>',
      'HR side (1054 = release)',
      intOption('hr-size', { min: 27, max: 4096 }),
      DEMO_DEFAULTS.hrSize,
    )
    .option('--seed <n>', 'seed of data and training', seedOption(), DEMO_DEFAULTS.seed)
    .option('--hidden <n>', 'hidden channels (a multiple of 4)', parseHidden, DEMO_DEFAULTS.hiddenChannels)
    .option(
      '--steps <n>',
      'optimiser steps per model',
      intOption('steps', { min: 1, max: 1e9 }),
      DEMO_DEFAULTS.steps,
    )
    .option(
      '--batch-size <n>',
      'chips per batch',
      intOption('batch-size', { min: 1, max: 4096 }),
      DEMO_DEFAULTS.batchSize,
    )
    .option(
      '--lr <x>',
      'Adam learning rate',
      numberOption('lr', { above: 0, max: 10 }),
      DEMO_DEFAULTS.learningRate,
    )
    .option('--no-lr-decay', 'keep the learning rate constant (default: cosine decay to 0 over --steps)')
    .option('--resume', 'reuse finished models / checkpoints in --out', false)
    .option('--no-geotiff', 'skip the SR GeoTIFF')
    .option(
      '--workers <n|auto>',
      'models trained at the same time (one worker thread each; auto = one per core)',
      parseWorkersOption,
      DEMO_DEFAULTS.workers,
    )
    .action((_opts, cmd: Command) =>
      run<DemoCommandOptions>(cmd, async (o, rt) => {
        const t0 = performance.now();
        const r = await runDemo(
          {
            out: o.out,
            aois: o.aois,
            hrSize: o.hrSize,
            seed: o.seed,
            hiddenChannels: o.hidden,
            steps: o.steps,
            batchSize: o.batchSize,
            learningRate: o.lr,
            lrDecay: o.lrDecay !== false,
            resume: Boolean(o.resume),
            geotiff: o.geotiff !== false,
            workers: o.workers,
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        const c = r.checks;
        const yes = (b: boolean) => (b ? 'yes' : 'NO');
        rt.done(
          r,
          [
            'WorldStrat demo on SYNTHETIC data (held-out test AOIs):',
            '',
            r.table,
            '',
            `multi-frame beats bicubic by ≥ 1 dB (centered cPSNR): ${yes(c.multiFrameBeatsBicubicBy1dB)} (${c.multiFrameVsBicubic.toFixed(2)} dB)`,
            `multi-frame beats SRCNN-SI (centered cPSNR):          ${yes(c.multiFrameBeatsSingleImage)} (${c.multiFrameVsSingleImage.toFixed(2)} dB)`,
            `multi-frame vs flat chip-mean reference:               ${c.multiFrameVsFlat.toFixed(2)} dB (> 0: it learned structure)`,
            `total ${((performance.now() - t0) / 1000).toFixed(0)} s · report: ${r.files.report}`,
          ].join('\n'),
        );
      }),
    );
}
