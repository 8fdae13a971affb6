// `worldstrat benchmark <root>`: train SRCNN-SI / SRCNN-MF / HighRes-net, evaluate against bicubic, report.
import type { BackendPreference } from '@worldstrat/srnet';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { runBenchmark } from '../../pipelines/benchmark.node.js';
import {
  type CliRunner,
  parseBackendOption,
  parseIntOption,
  parseNumberOption,
  parseWorkersOption,
} from '../runtime.js';

/** Parse a loss-mode option value. */
export function parseLossMode(v: string): 'worldstrat' | 'centered' {
  if (v !== 'worldstrat' && v !== 'centered')
    throw new WorldStratError('INVALID_ARGUMENT', `--loss-mode ${v}: expected worldstrat or centered`);
  return v;
}

/** Register the command. */
export function registerBenchmark(program: Command, run: CliRunner): void {
  program
    .command('benchmark')
    .description(
      'train SRCNN-SI (R=1), SRCNN-MF (R=8), HighRes-net (R=8); score vs bicubic on the test split',
    )
    .argument('<root>', 'dataset folder in the release layout (real WorldStrat or `worldstrat synth`)')
    .requiredOption('--out <dir>', 'output folder (results.md/json, panels, curves, models, sr, report.html)')
    .option('--hidden <n>', 'hidden channels of the models', parseIntOption('hidden'), 128)
    .option('--dropout <p>', 'dropout in training', parseNumberOption('dropout'), 0.5)
    .option('--epochs <n>', 'epochs per model', parseIntOption('epochs'), 15)
    .option('--steps <n>', 'stop each model after this many optimiser steps', parseIntOption('steps'))
    .option('--batch-size <n>', 'chips per batch', parseIntOption('batch-size'), 16)
    .option('--lr <x>', 'Adam learning rate', parseNumberOption('lr'), 1e-4)
    .option(
      '--backend <name>',
      'TF.js backend: wasm (CPU, default) | webgpu | tfjs-node-gpu | cpu | auto (GPU when one is usable)',
      parseBackendOption,
      'wasm',
    )
    .option(
      '--cosine-t0 <epochs>',
      'cosine warm restarts period (0 = constant rate)',
      parseIntOption('cosine-t0'),
      300,
    )
    .option(
      '--lr-decay-steps <n>',
      'anneal the rate per step to 0 over N steps (half cosine) instead of --cosine-t0',
      parseIntOption('lr-decay-steps'),
    )
    .option(
      '--loss-mode <mode>',
      'registration of the training loss: worldstrat | centered',
      parseLossMode,
      'worldstrat',
    )
    .option('--seed <n>', 'seed', parseIntOption('seed'), 0)
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps (0 = epoch ends)',
      parseIntOption('checkpoint-every'),
      0,
    )
    .option('--resume', 'reuse finished models and continue interrupted ones from their checkpoints', false)
    .option('--panels <n>', 'comparison panels', parseIntOption('panels'), 2)
    .option('--no-geotiff', 'skip the SR GeoTIFF of a test scene')
    .option(
      '--workers <n|auto>',
      'models trained at the same time (one worker thread each; auto = one per core)',
      parseWorkersOption,
      1,
    )
    .action((root: string, _opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const r = await runBenchmark(
          {
            root,
            out: o.out as string,
            hiddenChannels: o.hidden as number,
            dropout: o.dropout as number,
            epochs: o.epochs as number,
            ...(o.steps !== undefined ? { maxSteps: o.steps as number } : {}),
            batchSize: o.batchSize as number,
            learningRate: o.lr as number,
            cosineT0: (o.cosineT0 as number) > 0 ? (o.cosineT0 as number) : false,
            ...(o.lrDecaySteps !== undefined ? { cosineDecaySteps: o.lrDecaySteps as number } : {}),
            backend: o.backend as BackendPreference,
            lossMode: o.lossMode as 'worldstrat' | 'centered',
            seed: o.seed as number,
            checkpointEvery: o.checkpointEvery as number,
            resume: Boolean(o.resume),
            panels: o.panels as number,
            geotiff: o.geotiff !== false,
            workers: o.workers as number | 'auto',
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        rt.done(r, `${r.table}\n\nreport: ${r.files.report}`);
      }),
    );
}
