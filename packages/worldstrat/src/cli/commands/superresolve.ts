// `worldstrat superresolve <revisits…|folder> --weights w --out sr.tif`: SR GeoTIFF + PNG quicklook.
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { superresolvePipeline } from '../../pipelines/superresolve.node.js';
import { type CliRunner, parseIntOption, parseNumberOption } from '../runtime.js';

/**
 * Register a super-resolution command (`superresolve`, and `infer` with the same options).
 *
 * @param program - the CLI program.
 * @param run - the runner.
 * @param name - command name.
 * @param description - help text.
 */
export function registerSuperresolveCommand(
  program: Command,
  run: CliRunner,
  name = 'superresolve',
  description = 'super-resolve local Sentinel-2 revisits (GeoTIFF files or a lr_dataset/<AOI>/L2A folder) → GeoTIFF + PNG',
): void {
  program
    .command(name)
    .description(description)
    .argument('<inputs...>', 'co-registered 12-band L2A revisit GeoTIFFs, or a folder of *-L2A_data.tiff')
    .requiredOption('--weights <file>', '.safetensors (PyTorch layout) or .onnx weights')
    .requiredOption('--out <file.tif>', 'output GeoTIFF (float32, deflate); the PNG goes next to it')
    .option('--engine <e>', 'tfjs | onnx (default: onnx for .onnx files, else tfjs)')
    .option('--quicklook <file.png>', 'PNG quicklook path')
    .option('--no-quicklook', 'skip the PNG')
    .option('--overlap <px>', 'LR chip overlap: 0 or 25', parseIntOption('overlap'))
    .option('--batch-size <n>', 'chips per inference batch', parseIntOption('batch-size'))
    .option('--no-cloud-masks', 'ignore *-CLM.tiff masks next to the revisits')
    .option('--dn-scale <x>', 'inputs are DN: reflectance = DN·scale + offset', parseNumberOption('dn-scale'))
    .option('--dn-offset <x>', 'offset for --dn-scale', parseNumberOption('dn-offset'))
    .action((inputs: string[], _opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const engine = o.engine as string | undefined;
        if (engine !== undefined && engine !== 'tfjs' && engine !== 'onnx')
          throw new WorldStratError('INVALID_ARGUMENT', `--engine ${engine}: expected tfjs or onnx`);
        const r = await superresolvePipeline.run(
          {
            inputs,
            weights: o.weights as string,
            out: o.out as string,
            ...(engine ? { engine } : {}),
            ...(o.quicklook === false
              ? { quicklook: false as const }
              : typeof o.quicklook === 'string'
                ? { quicklook: o.quicklook }
                : {}),
            ...(o.overlap !== undefined ? { overlap: o.overlap as number } : {}),
            ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
            cloudMasks: o.cloudMasks !== false,
            ...(o.dnScale !== undefined
              ? {
                  reflectance: {
                    scale: o.dnScale as number,
                    offset: (o.dnOffset as number | undefined) ?? 0,
                  },
                }
              : {}),
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        rt.done(
          r,
          `${r.model.kind} R=${r.model.revisits} (${r.engine}): ${r.width}×${r.height} px → ${r.out}${r.quicklook ? ` + ${r.quicklook}` : ''} (${r.seconds.toFixed(1)} s)`,
        );
      }),
    );
}

/** Register `superresolve`. */
export function registerSuperresolve(program: Command, run: CliRunner): void {
  registerSuperresolveCommand(program, run);
}
