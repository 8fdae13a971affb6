// `worldstrat eval <root> --weights a.safetensors [b.onnx …]`: registered cPSNR / cSSIM vs bicubic, both modes.
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { resultRows, resultsMarkdown } from '../../pipelines/benchmark.node.js';
import { evaluatePipeline } from '../../pipelines/evaluate-models.node.js';
import { addReadLimitOptions, intOption, type ReadLimitOptions, readLimitsFrom } from '../options.js';
import type { CliRunner } from '../runtime.js';

/** Options of `worldstrat eval`. */
interface EvalCommandOptions extends ReadLimitOptions {
  weights: string[];
  engine: string;
  split: string;
  batchSize: number;
  skipInvalid: boolean;
}

/** Register the command. */
export function registerEval(program: Command, run: CliRunner): void {
  const cmd = program
    .command('eval')
    .description(
      'score weights files and bicubic on a split with registered cPSNR/cSSIM (worldstrat + centered)',
    )
    .argument('<root>', 'dataset folder in the release layout')
    .requiredOption('--weights <files...>', '.safetensors or .onnx weights (architecture detected)')
    .option('--engine <e>', 'tfjs | onnx', 'tfjs')
    .option('--split <s>', 'train | val | test', 'test')
    .option('--batch-size <n>', 'chips per batch', intOption('batch-size', { min: 1, max: 4096 }), 16)
    // Scores over fewer scenes than the split holds are not the split's scores: skipping is opt-in.
    .option(
      '--skip-invalid',
      'skip scenes with missing or unreadable files (reported) instead of failing',
      false,
    );
  addReadLimitOptions(cmd).action((root: string, _opts, cmd: Command) =>
    run<EvalCommandOptions>(cmd, async (o, rt) => {
      const engine = o.engine;
      if (engine !== 'tfjs' && engine !== 'onnx')
        throw new WorldStratError('INVALID_ARGUMENT', `--engine ${engine}: expected tfjs or onnx`);
      const split = o.split;
      if (split !== 'train' && split !== 'val' && split !== 'test')
        throw new WorldStratError('INVALID_ARGUMENT', `--split ${split}: expected train, val or test`);
      const readLimits = readLimitsFrom(o);
      const r = await evaluatePipeline.run(
        {
          root,
          weights: o.weights,
          engine,
          split,
          batchSize: o.batchSize,
          skipInvalid: o.skipInvalid === true,
          ...(readLimits ? { readLimits } : {}),
        },
        { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
      );
      const table = resultsMarkdown(resultRows(r.scores));
      const skipped = r.skipped.length
        ? ` (${r.skipped.length} skipped as invalid: ${r.skipped.join(', ')})`
        : '';
      rt.done(r, `${r.split} split: ${r.scenes.length} scenes${skipped}, ${r.chips} chips\n\n${table}`);
    }),
  );
}
