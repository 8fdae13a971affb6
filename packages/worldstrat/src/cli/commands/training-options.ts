// The training options `train` and `benchmark` share (model width, schedule, loss, backend, checkpoints), declared
// once so both commands parse and document them the same way.
import type { RegistrationMode } from '@worldstrat/metrics';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import type { BackendPreference } from '@worldstrat/srnet';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import {
  addReadLimitOptions,
  intOption,
  numberOption,
  type ReadLimitOptions,
  readLimitsFrom,
  seedOption,
} from '../options.js';
import { parseBackendOption } from '../runtime.js';

/** Parse a loss-mode option value. */
export function parseLossMode(v: string): RegistrationMode {
  if (v !== 'worldstrat' && v !== 'centered')
    throw new WorldStratError('INVALID_ARGUMENT', `--loss-mode ${v}: expected worldstrat or centered`);
  return v;
}

const hiddenCount = intOption('hidden', { min: 4, max: 4096 });

/**
 * Parse `--hidden <n>`: the models end in a PixelShuffle of zoom factor 2, so their hidden channels come in
 * multiples of 2² (the model's own check named `config.hiddenChannels`, not the option).
 */
export function parseHidden(v: string): number {
  const n = hiddenCount(v);
  if (n % 4 !== 0)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--hidden ${v}: expected a multiple of 4 (the models' PixelShuffle of zoom factor 2 takes channels in groups of 2²)`,
    );
  return n;
}

/** Largest micro-batch the CLI takes (a batch of chips, not of scenes). */
const MAX_MICRO_BATCH = 65_536;

/** Parse `--micro-batch-size <n|auto>`: a positive integer or 'auto'. */
export function parseMicroBatchSize(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  // digits only, as the other counts: Number() took 0x10, 1e3 and 1e20
  if (!/^[0-9]+$/.test(v) || n < 1 || n > MAX_MICRO_BATCH)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--micro-batch-size ${v}: expected 1…${MAX_MICRO_BATCH} chips or 'auto' (the most that fit the backend's memory)`,
    );
  return n;
}

/** Parse `--data-parallel <n|auto|off>`: worker threads sharing each step on CPU backends. */
export function parseDataParallel(v: string): number | 'auto' | 'off' {
  if (v === 'auto' || v === 'off') return v;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < 1 || n > 256)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--data-parallel ${v}: expected 1…256 worker threads, 'auto' (one per core) or 'off'`,
    );
  return n;
}

/**
 * Declare the shared training options on a command (upstream defaults: hidden 128, dropout 0.5, 15 epochs,
 * batch 16, lr 1e-4, cosine restarts T0 300, worldstrat loss, seed 0, wasm).
 *
 * @param cmd - the command.
 * @param resumeHelp - what `--resume` does for this command.
 * @returns the same command.
 */
export function addTrainingOptions(cmd: Command, resumeHelp: string): Command {
  return addReadLimitOptions(cmd)
    .option('--hidden <n>', 'hidden channels (a multiple of 4)', parseHidden, 128)
    .option('--dropout <p>', 'dropout in training', numberOption('dropout', { min: 0, max: 0.99 }), 0.5)
    .option('--epochs <n>', 'epochs per model', intOption('epochs', { min: 1, max: 1e6 }), 15)
    .option('--steps <n>', 'stop after N optimiser steps', intOption('steps', { min: 1, max: 1e9 }))
    .option('--batch-size <n>', 'chips per batch', intOption('batch-size', { min: 1, max: 4096 }), 16)
    .option(
      '--micro-batch-size <n|auto>',
      'chips per forward/backward pass, gradients accumulated over the batch (auto: the most that fit the backend memory)',
      parseMicroBatchSize,
      'auto',
    )
    .option('--lr <x>', 'Adam learning rate', numberOption('lr', { above: 0, max: 10 }), 1e-4)
    .option(
      '--cosine-t0 <epochs>',
      'cosine warm restarts period (0 = constant rate)',
      intOption('cosine-t0', { min: 0, max: 1e9 }),
      300,
    )
    .option(
      '--lr-decay-steps <n>',
      'anneal the rate per step to 0 over N steps (half cosine) instead of --cosine-t0',
      intOption('lr-decay-steps', { min: 1, max: 1e9 }),
    )
    .option(
      '--loss-mode <mode>',
      'registration of the training loss: worldstrat | centered',
      parseLossMode,
      'worldstrat',
    )
    .option('--seed <n>', 'seed (init, dropout, shuffling, augmentation)', seedOption(), 0)
    .option(
      '--backend <name>',
      'TF.js backend: wasm (CPU, default) | webgpu | tfjs-node-gpu | cpu | auto (GPU when one is usable)',
      parseBackendOption,
      'wasm',
    )
    .option(
      '--data-parallel <n|auto|off>',
      'CPU backends: worker threads sharing each step, one model replica each (auto: one per core, at most the batch size; off: one thread). Off inside --workers model-parallel training',
      parseDataParallel,
      'auto',
    )
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps (0 = epoch ends)',
      intOption('checkpoint-every', { min: 0, max: 1e9 }),
      0,
    )
    .option('--resume', resumeHelp, false);
}

/** The options {@link addTrainingOptions} declares, as its parsers return them. */
export interface TrainingCommandOptions extends ReadLimitOptions {
  hidden: number;
  dropout: number;
  epochs: number;
  steps?: number;
  batchSize: number;
  microBatchSize?: number | 'auto';
  lr: number;
  cosineT0: number;
  lrDecaySteps?: number;
  lossMode: RegistrationMode;
  seed: number;
  backend: BackendPreference;
  dataParallel?: number | 'auto' | 'off';
  checkpointEvery: number;
  resume: boolean;
}

/** The shared training options as pipeline options (after {@link addTrainingOptions} parsed them). */
export interface ParsedTrainingOptions {
  epochs: number;
  maxSteps?: number;
  batchSize: number;
  microBatchSize: number | 'auto';
  learningRate: number;
  cosineT0: number | false;
  cosineDecaySteps?: number;
  lossMode: RegistrationMode;
  seed: number;
  backend: BackendPreference;
  dataParallel: number | 'auto' | 'off';
  checkpointEvery: number;
  resume: boolean;
  readLimits?: Partial<RasterIoLimits>;
}

/**
 * Map parsed option values to the pipelines' training options (hidden and dropout go into the model configs).
 *
 * @param o - commander's option values.
 * @returns the options `trainPipeline` and `runBenchmark` share.
 */
export function trainingOptionsFrom(o: TrainingCommandOptions): ParsedTrainingOptions {
  const readLimits = readLimitsFrom(o);
  return {
    epochs: o.epochs,
    ...(o.steps !== undefined ? { maxSteps: o.steps } : {}),
    batchSize: o.batchSize,
    microBatchSize: o.microBatchSize ?? 'auto',
    learningRate: o.lr,
    cosineT0: o.cosineT0 > 0 ? o.cosineT0 : false,
    ...(o.lrDecaySteps !== undefined ? { cosineDecaySteps: o.lrDecaySteps } : {}),
    lossMode: o.lossMode,
    seed: o.seed,
    backend: o.backend,
    // a --config file bypasses commander's parser
    dataParallel: parseDataParallel(String(o.dataParallel ?? 'auto')),
    checkpointEvery: o.checkpointEvery,
    resume: Boolean(o.resume),
    ...(readLimits ? { readLimits } : {}),
  };
}
