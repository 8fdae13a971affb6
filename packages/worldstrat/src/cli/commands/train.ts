// `worldstrat train <root>`: train one model (thin wrapper over the train pipeline).
import type { BackendPreference } from '@worldstrat/srnet';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { trainPipeline } from '../../pipelines/train-model.node.js';
import { type CliRunner, parseBackendOption, parseIntOption, parseNumberOption } from '../runtime.js';
import { parseLossMode } from './benchmark.js';

const PRESETS = {
  'srcnn-si': { name: 'SRCNN-SI', kind: 'srcnn', revisits: 1 },
  'srcnn-mf': { name: 'SRCNN-MF', kind: 'srcnn', revisits: 8 },
  highresnet: { name: 'HighRes-net', kind: 'highresnet', revisits: 8 },
} as const;

/** Register the command. */
export function registerTrain(program: Command, run: CliRunner): void {
  program
    .command('train')
    .description('train one SRCNN / HighRes-net model (checkpoints, --resume, weights as .safetensors)')
    .argument('<root>', 'dataset folder in the release layout')
    .requiredOption('--out <dir>', 'output folder (<model>.safetensors, <model>.history.json, checkpoints/)')
    .option('--model <name>', `preset: ${Object.keys(PRESETS).join(' | ')}`, 'highresnet')
    .option('--revisits <n>', 'override the preset revisits', parseIntOption('revisits'))
    .option('--hidden <n>', 'hidden channels', parseIntOption('hidden'), 128)
    .option('--dropout <p>', 'dropout', parseNumberOption('dropout'), 0.5)
    .option('--epochs <n>', 'epochs', parseIntOption('epochs'), 15)
    .option('--steps <n>', 'stop after N optimiser steps', parseIntOption('steps'))
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
      'cosine warm restarts period (0 = constant)',
      parseIntOption('cosine-t0'),
      300,
    )
    .option(
      '--lr-decay-steps <n>',
      'anneal the rate per step to 0 over N steps (half cosine) instead of --cosine-t0',
      parseIntOption('lr-decay-steps'),
    )
    .option('--loss-mode <mode>', 'worldstrat | centered', parseLossMode, 'worldstrat')
    .option('--seed <n>', 'seed', parseIntOption('seed'), 0)
    .option('--checkpoint-every <n>', 'checkpoint every N steps', parseIntOption('checkpoint-every'), 0)
    .option('--resume', 'continue from <out>/checkpoints/<model>/last.safetensors', false)
    .action((root: string, _opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const preset = PRESETS[o.model as keyof typeof PRESETS];
        if (!preset)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `--model ${o.model}: expected one of ${Object.keys(PRESETS).join(', ')}`,
          );
        const r = await trainPipeline.run(
          {
            root,
            out: o.out as string,
            spec: {
              name: preset.name,
              config: {
                kind: preset.kind,
                revisits: (o.revisits as number | undefined) ?? preset.revisits,
                hiddenChannels: o.hidden as number,
                dropout: o.dropout as number,
              },
            },
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
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        rt.done(
          r,
          `${r.name}: ${r.steps} steps in ${r.seconds.toFixed(0)} s${r.validation ? `, val cPSNR ${r.validation.psnr.toFixed(2)} dB` : ''}\nweights: ${r.weightsPath}`,
        );
      }),
    );
}
