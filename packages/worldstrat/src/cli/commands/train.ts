// `worldstrat train <root>`: train one model (thin wrapper over the train pipeline).
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { trainPipeline } from '../../pipelines/train-model.node.js';
import { intOption } from '../options.js';
import type { CliRunner } from '../runtime.js';
import { addTrainingOptions, trainingOptionsFrom } from './training-options.js';

const PRESETS = {
  'srcnn-si': { name: 'SRCNN-SI', kind: 'srcnn', revisits: 1 },
  'srcnn-mf': { name: 'SRCNN-MF', kind: 'srcnn', revisits: 8 },
  highresnet: { name: 'HighRes-net', kind: 'highresnet', revisits: 8 },
} as const;

/** Register the command. */
export function registerTrain(program: Command, run: CliRunner): void {
  const command = program
    .command('train')
    .description('train one SRCNN / HighRes-net model (checkpoints, --resume, weights as .safetensors)')
    .argument('<root>', 'dataset folder in the release layout')
    .requiredOption('--out <dir>', 'output folder (<model>.safetensors, <model>.history.json, checkpoints/)')
    .option('--model <name>', `preset: ${Object.keys(PRESETS).join(' | ')}`, 'highresnet')
    .option('--revisits <n>', 'override the preset revisits', intOption('revisits', { min: 1, max: 100 }));
  addTrainingOptions(command, 'continue from <out>/checkpoints/<model>/last.safetensors').action(
    (root: string, _opts, cmd: Command) =>
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
            ...trainingOptionsFrom(o),
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
