// `worldstrat train <root>`: train one model (thin wrapper over the train pipeline).
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { trainPipeline } from '../../pipelines/train-model.node.js';
import { intOption } from '../options.js';
import type { CliRunner } from '../runtime.js';
import { addTrainingOptions, type TrainingCommandOptions, trainingOptionsFrom } from './training-options.js';

const PRESETS = {
  'srcnn-si': { name: 'SRCNN-SI', kind: 'srcnn', revisits: 1 },
  'srcnn-mf': { name: 'SRCNN-MF', kind: 'srcnn', revisits: 8 },
  highresnet: { name: 'HighRes-net', kind: 'highresnet', revisits: 8 },
} as const;

/** Options of `worldstrat train`. */
interface TrainCommandOptions extends TrainingCommandOptions {
  out: string;
  model: string;
  revisits?: number;
  overwrite: boolean;
}

const isPreset = (name: string): name is keyof typeof PRESETS => Object.hasOwn(PRESETS, name);

/** Register the command. */
export function registerTrain(program: Command, run: CliRunner): void {
  const command = program
    .command('train')
    .description('train one SRCNN / HighRes-net model (checkpoints, --resume, weights as .safetensors)')
    .argument('<root>', 'dataset folder in the release layout')
    .requiredOption('--out <dir>', 'output folder (<model>.safetensors, <model>.history.json, checkpoints/)')
    .option('--model <name>', `preset: ${Object.keys(PRESETS).join(' | ')}`, 'highresnet')
    .option('--revisits <n>', 'override the preset revisits', intOption('revisits', { min: 1, max: 100 }))
    .option(
      '--overwrite',
      'replace the model a previous run left in --out (its weights, history and checkpoints); without it (or --resume) such an --out is refused',
      false,
    );
  addTrainingOptions(command, 'continue from <out>/checkpoints/<model>/last.safetensors').action(
    (root: string, _opts, cmd: Command) =>
      run<TrainCommandOptions>(cmd, async (o, rt) => {
        // one of them: --resume continues the model in --out, --overwrite replaces it (it was ignored beside --resume)
        if (o.resume && o.overwrite)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            '--resume and --overwrite: give one (--resume continues the model in --out, --overwrite replaces it)',
          );
        if (!isPreset(o.model))
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `--model ${o.model}: expected one of ${Object.keys(PRESETS).join(', ')}`,
          );
        const preset = PRESETS[o.model];
        const r = await trainPipeline.run(
          {
            root,
            out: o.out,
            spec: {
              name: preset.name,
              config: {
                kind: preset.kind,
                revisits: o.revisits ?? preset.revisits,
                hiddenChannels: o.hidden,
                dropout: o.dropout,
              },
            },
            ...trainingOptionsFrom(o),
            overwrite: Boolean(o.overwrite),
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
