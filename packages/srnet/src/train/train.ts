// The training loop: Adam + L2 weight decay, cosine warm restarts per epoch, seeded dropout,
// per-epoch validation with registered metrics and the bicubic baseline, progress, atomic checkpoints, resume.
import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '@worldstrat/core';
import {
  type BicubicBaselineOptions,
  meanRegisteredMetrics,
  type RegistrationMode,
  registeredMetrics,
  scoreBicubicBaseline,
} from '@worldstrat/metrics';
import { abortError, SRNET_ERROR_CODES, SrnetError, type SrnetErrorCode } from '../errors.js';
import {
  argumentError,
  checkArray,
  checkArrayLike,
  checkFunction,
  checkModel,
  checkNumber,
  checkObject,
  checkSeed,
  checkSignal,
  isRecord,
} from '../internal/check-arguments.js';
import { SeededRandom } from '../internal/random.js';
import { yieldToEventLoop } from '../internal/yield-to-event-loop.js';
import { architectureDiff } from '../models/config.js';
import type { SrModel } from '../models/sr-model.js';
import { validateInput } from '../models/validate-input.js';
import { toNhwcRevisits } from '../tfjs-engine.js';
import {
  type AdamConfig,
  cosineDecayLr,
  cosineWarmRestartsLr,
  PyTorchAdam,
  WORLDSTRAT_ADAM,
} from './adam.js';
import { checkAdamConfig } from './adam-config.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  MAX_TRAINING_COUNT,
  type TrainingCheckpoint,
} from './checkpoint.js';
import { estimateTrainingMemory, fitMicroBatch, gib, isOutOfMemory, trainingMemoryBudget } from './memory.js';
import {
  checkFiniteWeights,
  checkReplicaState,
  drawSampleSeeds,
  type ReplicaState,
  restoreReplica,
  shardGradients,
  snapshotReplica,
} from './replica.js';

/** One batch: normalised LR revisits and HR targets (row-major, explicit shapes, like upstream). */
export interface TrainBatch {
  lr: { data: Float32Array; shape: [number, number, number, number, number] };
  hr: { data: Float32Array; shape: [number, number, number, number] };
}

/** Batches for one epoch; a function is called once per epoch (0-based) and must yield the same order on resume. */
export type BatchSource =
  | Iterable<TrainBatch>
  | AsyncIterable<TrainBatch>
  | ((epoch: number) => Iterable<TrainBatch> | AsyncIterable<TrainBatch>);

/** Progress callback payload. */
export interface TrainProgress {
  stage: 'train' | 'validate';
  /** Steps done (train) or validation batches done. */
  done: number;
  /** Total steps if known (maxSteps, or epochs × steps of the first epoch). */
  total?: number;
  epoch: number;
  step: number;
  /** Loss of the last training step. */
  loss?: number;
  /** Learning rate of the current epoch. */
  lr: number;
  stepsPerSecond?: number;
  etaSeconds?: number;
  /** After validation: the epoch's summary. */
  validation?: ValidationSummary;
}

/** Mean validation metrics of an epoch (mean of per-chip values, like Lightning). */
export interface ValidationSummary {
  epoch: number;
  step: number;
  count: number;
  loss: number;
  mse: number;
  mae: number;
  ssimLoss: number;
  /** Mean per-chip registered cPSNR. */
  psnr: number;
  cssim: number;
  /** The bicubic baseline's registered metrics (absent when `baseline: false`). */
  baseline?: { psnr: number; ssimLoss: number; loss: number; mse: number; mae: number };
}

/** Where checkpoints go. `save` must write atomically (see `fileCheckpointStore` in the node entry). */
export interface CheckpointSink {
  save(
    bytes: Uint8Array,
    info: { kind: 'periodic' | 'best' | 'final'; step: number; epoch: number },
  ): Promise<void>;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Training batches. */
  train: BatchSource;
  /** Validation batches, evaluated after every epoch (eval mode). */
  validation?: BatchSource;
  /** Epochs to run (upstream: 15). */
  epochs: number;
  /** Stop after this many optimiser steps in total. */
  maxSteps?: number;
  /** Adam settings; default {@link WORLDSTRAT_ADAM}. */
  optimizer?: Partial<AdamConfig>;
  /** CosineAnnealingWarmRestarts T_0 in epochs (default 300), or false for a constant rate. */
  cosineT0?: number | false;
  /**
   * Anneal the rate per step instead, from `optimizer.lr` to 0 along a half cosine over this many steps (no
   * restarts; replaces `cosineT0`). For short runs: the weights end at a low rate instead of wherever a noisy
   * constant-rate trajectory happens to stop. Not upstream's schedule.
   */
  cosineDecaySteps?: number;
  /** Registration mode of loss and metrics (default 'worldstrat', like upstream training). */
  mode?: RegistrationMode;
  /** Seed of the dropout RNG: an integer in 0..2^32−1 (default 0). */
  seed?: number;
  /** Bicubic baseline options for validation (metrics' `scoreBicubicBaseline`), or false to skip. */
  baseline?: Omit<BicubicBaselineOptions, 'size'> | false;
  /** Checkpointing: a sink, save every `every` steps (0 = only at epoch ends), and best-validation files. */
  checkpoint?: { sink: CheckpointSink; every?: number };
  /** Resume from checkpoint bytes (written by a previous run). */
  resume?: Uint8Array;
  /** The file `resume` was read from, named in errors about it. */
  resumeName?: string;
  /**
   * Split each batch into micro-batches of this many samples and accumulate their gradients (same update as the
   * whole batch: the loss is a mean over samples). Bounds memory: wasm's heap is 32-bit (4 GiB), and a HighResNet
   * R=8 batch of 8 needs several GB of activations. Default `'auto'`: the largest micro-batch whose estimated step
   * (`estimateTrainingMemory`) fits `memoryBudgetBytes`.
   */
  microBatchSize?: number | 'auto';
  /** Tensor bytes one step may use, for `microBatchSize: 'auto'`. Default `trainingMemoryBudget(backend)`. */
  memoryBudgetBytes?: number;
  /** Steps per epoch if known (for ETA before the first epoch ends). */
  stepsPerEpoch?: number;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

/** Result of {@link train}. */
export interface TrainResult {
  /** Optimiser steps done in total (including those before a resume). */
  steps: number;
  /** Epochs completed in total. */
  epochs: number;
  /** Loss of every step run by this call, in order (with the global step number). */
  losses: { step: number; loss: number }[];
  validation: ValidationSummary[];
  bestValidationLoss: number;
  /** Largest micro-batch a step of this call used (the batch size when no batch was split; 0 if no step ran). */
  microBatchSize: number;
}

function sourceFor(
  src: BatchSource,
  epoch: number,
  fn: string,
  name: string,
): Iterable<TrainBatch> | AsyncIterable<TrainBatch> {
  const it = typeof src === 'function' ? src(epoch) : src;
  const i = it as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (
    i === null ||
    typeof i !== 'object' ||
    (typeof i[Symbol.iterator] !== 'function' && typeof i[Symbol.asyncIterator] !== 'function')
  )
    argumentError(
      fn,
      typeof src === 'function' ? `${name}(${epoch})` : name,
      'an iterable or async iterable of batches',
      it,
      'BAD_CONFIG',
    );
  return it;
}

/**
 * Checks a batch has `lr` and `hr` objects with Float32Array `data` and `shape` arrays (their sizes are checked
 * after). Float32Array is the batch type: training slices samples out with subarray() and feeds them to TF.js
 * and to the data-parallel workers as float32 bytes, so a Float64Array or Uint16Array would fail deep inside.
 */
function checkBatch(fn: string, name: string, batch: unknown): TrainBatch {
  const b = checkObject<TrainBatch>(fn, name, batch, 'BAD_INPUT_SHAPE');
  for (const part of ['lr', 'hr'] as const) {
    const p = checkObject<TrainBatch['lr']>(fn, `${name}.${part}`, b[part], 'BAD_INPUT_SHAPE');
    checkArrayLike(fn, `${name}.${part}.data`, p.data, 'BAD_INPUT_SHAPE');
    checkArray(fn, `${name}.${part}.shape`, p.shape, 'BAD_INPUT_SHAPE');
    if (!(p.data instanceof Float32Array)) {
      const data = p.data as ArrayLike<unknown> & { constructor?: { name?: unknown } };
      const type = data.constructor?.name;
      throw new SrnetError(
        'BAD_INPUT_SHAPE',
        `${fn}: ${name}.${part}.data must be a Float32Array, got ${typeof type === 'string' ? type : typeof data} of ${data.length} values; convert with Float32Array.from`,
        { argument: `${name}.${part}.data` },
      );
    }
  }
  return b;
}

/** Checks a batch source: an iterable, an async iterable, or a function of the epoch returning one. */
function checkSource(fn: string, name: string, src: unknown): void {
  if (typeof src === 'function') return;
  const i = src as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (
    i === null ||
    typeof i !== 'object' ||
    (typeof i[Symbol.iterator] !== 'function' && typeof i[Symbol.asyncIterator] !== 'function')
  )
    argumentError(fn, name, 'an iterable, an async iterable or a function of the epoch', src, 'BAD_CONFIG');
}

/**
 * Checks the arguments of {@link train} and the node entry's `trainDataParallel` (internal): the model, and the
 * members of the options the loop reads.
 */
export function checkTrainArguments(fn: string, model: unknown, options: unknown): void {
  const code = 'BAD_CONFIG';
  checkModel(fn, 'model', model);
  const o = checkObject<TrainOptions>(fn, 'options', options, code);
  checkSource(fn, 'options.train', o.train);
  if (o.validation !== undefined) checkSource(fn, 'options.validation', o.validation);
  checkCounts(fn, o);
  if (o.memoryBudgetBytes !== undefined)
    checkNumber(fn, 'options.memoryBudgetBytes', o.memoryBudgetBytes, code, { min: 1 });
  if (o.seed !== undefined) checkSeed(fn, 'options.seed', o.seed);
  if (o.cosineT0 !== undefined && o.cosineT0 !== false)
    checkNumber(fn, 'options.cosineT0', o.cosineT0, code, { min: Number.MIN_VALUE });
  if (o.mode !== undefined && o.mode !== 'worldstrat' && o.mode !== 'centered')
    argumentError(fn, 'options.mode', "'worldstrat' or 'centered'", o.mode, code);
  if (o.optimizer !== undefined) checkAdamConfig(fn, 'options.optimizer', o.optimizer, true);
  if (o.baseline !== undefined && o.baseline !== false) checkObject(fn, 'options.baseline', o.baseline, code);
  if (o.checkpoint !== undefined) {
    const c = checkObject<NonNullable<TrainOptions['checkpoint']>>(
      fn,
      'options.checkpoint',
      o.checkpoint,
      code,
    );
    const sink = checkObject<CheckpointSink>(fn, 'options.checkpoint.sink', c.sink, code);
    checkFunction(fn, 'options.checkpoint.sink.save', sink.save, code);
    if (c.every !== undefined)
      checkNumber(fn, 'options.checkpoint.every', c.every, code, {
        integer: true,
        min: 0,
        max: MAX_TRAINING_COUNT,
      });
  }
  if (o.resume !== undefined && !(o.resume instanceof Uint8Array))
    argumentError(fn, 'options.resume', 'checkpoint bytes (a Uint8Array)', o.resume, 'BAD_CHECKPOINT');
  if (o.resumeName !== undefined && typeof o.resumeName !== 'string')
    argumentError(fn, 'options.resumeName', 'a string', o.resumeName, code);
  if (o.onProgress !== undefined) checkFunction(fn, 'options.onProgress', o.onProgress, code);
  checkSignal(fn, 'options.signal', o.signal, code);
}

/**
 * The counting options are whole numbers (epochs 1.5 used to run 2, Infinity with an empty source spun for ever), at
 * most {@link MAX_TRAINING_COUNT} so step arithmetic stays exact.
 */
function checkCounts(fn: string, o: TrainOptions): void {
  const count = (min: number) => ({ integer: true, min, max: MAX_TRAINING_COUNT });
  checkNumber(fn, 'options.epochs', o.epochs, 'BAD_CONFIG', count(0));
  if (o.maxSteps !== undefined) checkNumber(fn, 'options.maxSteps', o.maxSteps, 'BAD_CONFIG', count(0));
  for (const key of ['stepsPerEpoch', 'cosineDecaySteps'] as const)
    if (o[key] !== undefined) checkNumber(fn, `options.${key}`, o[key], 'BAD_CONFIG', count(1));
  if (o.microBatchSize !== undefined && o.microBatchSize !== 'auto')
    checkNumber(fn, 'options.microBatchSize', o.microBatchSize, 'BAD_CONFIG', count(1));
}

/** Where training starts: fresh (seeded), or the state a checkpoint recorded, loaded into the runner. */
async function resumeState(model: SrModel, runner: StepRunner, options: TrainOptions) {
  if (!options.resume)
    return {
      rng: new SeededRandom(options.seed ?? 0),
      step: 0,
      epoch: 0,
      skipBatches: 0,
      best: Number.POSITIVE_INFINITY,
    };
  const name = options.resumeName ?? '<bytes>';
  const ck: TrainingCheckpoint = decodeCheckpoint(options.resume, { name });
  const diff = architectureDiff(ck.config, model.config, ['checkpoint', 'model']);
  if (diff.length > 0)
    throw new SrnetError(
      'ARCHITECTURE_MISMATCH',
      `${name}: checkpoint is from another architecture (${diff.join('; ')})`,
      { diff, file: name },
    );
  const state: ReplicaState = {
    weights: ck.weights,
    m: ck.optimizer.m,
    v: ck.optimizer.v,
    step: ck.optimizer.step,
  };
  // every runner assigns weights before moments: check all of it first so a bad file changes nothing
  checkReplicaState(model, state, name);
  await runner.restore(state);
  return {
    rng: new SeededRandom(ck.rngState),
    step: ck.step,
    epoch: ck.epoch,
    skipBatches: ck.batchInEpoch,
    best: ck.bestValidationLoss,
  };
}

/** The learning rate of (epoch, step): cosine decay per step, warm restarts per epoch, or constant. */
function learningRateSchedule(options: TrainOptions, lr0: number): (epoch: number, step: number) => number {
  const t0 = options.cosineT0 === undefined ? 300 : options.cosineT0;
  const decay = options.cosineDecaySteps;
  if (decay !== undefined && !(Number.isInteger(decay) && decay > 0))
    throw new SrnetError('BAD_CONFIG', `cosineDecaySteps = ${decay}; expected a positive integer`);
  return (e, s) =>
    decay !== undefined
      ? cosineDecayLr(lr0, s, decay)
      : t0 === false
        ? lr0
        : cosineWarmRestartsLr(lr0, e, t0);
}

/** The micro-batch setting and memory budget, checked. */
function memorySettings(options: TrainOptions, backend: string): { micro: number | 'auto'; budget: number } {
  const micro = options.microBatchSize ?? 'auto';
  if (micro !== 'auto' && !(Number.isInteger(micro) && micro >= 1))
    throw new SrnetError('BAD_CONFIG', `microBatchSize = ${micro}; expected a positive integer or 'auto'`);
  const budget = options.memoryBudgetBytes ?? trainingMemoryBudget(backend);
  if (!(Number.isFinite(budget) && budget > 0))
    throw new SrnetError('BAD_CONFIG', `memoryBudgetBytes = ${budget}; expected a positive number of bytes`);
  return { micro, budget };
}

/** Validation after an epoch, with progress; running out of memory there is a typed error. */
async function validateEpoch(
  model: SrModel,
  options: TrainOptions,
  source: NonNullable<TrainOptions['validation']>,
  epoch: number,
  step: number,
  mode: NonNullable<TrainOptions['mode']>,
  lr: number,
): Promise<ValidationSummary> {
  const summary = await validate(
    model,
    source,
    epoch,
    step,
    mode,
    options.baseline ?? {},
    options.signal,
    (done) => options.onProgress?.({ stage: 'validate', done, epoch, step, lr }),
  ).catch((err: unknown) => {
    if (!isOutOfMemory(err)) throw err;
    throw new SrnetError(
      'OUT_OF_MEMORY',
      `validation after epoch ${epoch + 1} ran out of memory on the ${tf.getBackend()} backend; give the validation source smaller batches`,
      { backend: tf.getBackend() },
      { cause: err },
    );
  });
  options.onProgress?.({ stage: 'validate', done: summary.count, epoch, step, lr, validation: summary });
  return summary;
}

/**
 * Train a model in place on batches of `(B, R, C, h, w)` LR and `(B, C', H, W)` HR, the upstream way: Adam
 * (lr 1e-4, L2 weight decay 1e-4), CosineAnnealingWarmRestarts(T_0 = 300) stepped per epoch, seeded dropout,
 * the registered loss, validation per epoch (registered metrics + bicubic baseline), periodic and best-validation
 * checkpoints, exact resume. Only the parameters the forward pass uses are optimised (upstream's dead HighResNet
 * SRCNN-fusion and mask_encoder weights stay as loaded).
 *
 * @param model - the model to train (create with `createModel(config, { seed })` or load weights)
 * @param options - data, schedule, checkpoints, callbacks
 * @returns losses, validation summaries, best validation loss
 * @throws SrnetError input errors (`BAD_BANDS`, `BAD_REVISITS`, `NON_FINITE_INPUT`, …), `ARCHITECTURE_MISMATCH`
 *   when resuming from another architecture's checkpoint, `BAD_CHECKPOINT` / the weight errors for a checkpoint
 *   whose tensors do not fit (naming `resumeName` and the tensor; the model is left unchanged), `OUT_OF_MEMORY` (one sample does not fit the budget,
 *   or an allocation failed; the message suggests a micro-batch size), `ABORTED`
 * @example
 * const model = createModel({ kind: 'srcnn', revisits: 8 }, { seed: 1 });
 * await train(model, { train: (e) => batches(e), validation: valBatches, epochs: 15, onProgress: console.log });
 */
export async function train(model: SrModel, options: TrainOptions): Promise<TrainResult> {
  checkTrainArguments('train', model, options);
  return runTraining(model, options, async (adamCfg) => localRunner(model, adamCfg));
}

/** What {@link StepRunner.step} needs besides the batch. */
export interface StepContext {
  mode: RegistrationMode;
  micro: number | 'auto';
  /** Tensor bytes one step may use on one replica. */
  budget: number;
  /** Global step index (0-based), named in errors. */
  step: number;
}

/**
 * Where the steps of {@link runTraining} run: the model in this thread, or replicas in worker threads (the node
 * entry's data-parallel trainer). The training loop (schedule, RNG, checkpoints, validation) is the same for both.
 */
export interface StepRunner {
  /** TF.js backend the steps run on (memory budget). */
  readonly backend: string;
  /** One optimiser step on a checked batch with one dropout seed per sample; the batch loss and micro-batch used. */
  step(
    batch: TrainBatch,
    seeds: Uint32Array,
    lr: number,
    ctx: StepContext,
  ): Promise<{ loss: number; microBatchSize: number }>;
  /** Load a checkpoint's weights and optimiser state. */
  restore(state: ReplicaState): Promise<void>;
  /** Current weights and optimiser state, for a checkpoint. */
  snapshot(): Promise<ReplicaState>;
  /** Make the caller's model hold the current weights (before validation and when training ends). */
  sync(): Promise<void>;
  /** Free what the runner holds (optimiser state, workers); safe after a failure. */
  dispose(): Promise<void>;
}

/** The in-thread runner: the model itself and one Adam. */
function localRunner(model: SrModel, adamCfg: AdamConfig): StepRunner {
  const vars = model.trainableVariables();
  const adam = new PyTorchAdam(vars, adamCfg);
  return {
    backend: tf.getBackend(),
    async step(batch, seeds, lr, ctx) {
      const B = batch.lr.shape[0];
      const chip: [number, number] = [batch.lr.shape[3], batch.lr.shape[4]];
      const mb =
        ctx.micro === 'auto'
          ? fitMicroBatch(model.config, chip, B, ctx.budget, tf.getBackend())
          : Math.min(B, ctx.micro);
      try {
        const { grads, loss } = await shardGradients(model, vars, batch, seeds, ctx.mode, mb, B);
        try {
          adam.apply(grads, lr);
        } finally {
          tf.dispose(grads);
        }
        await checkFiniteWeights(model, vars, ctx.step + 1);
        return { loss, microBatchSize: mb };
      } catch (err) {
        throw isOutOfMemory(err)
          ? outOfMemoryError(err, model.config, chip, B, mb, ctx.budget, ctx.step)
          : err;
      }
    },
    async restore(state) {
      restoreReplica(model, adam, state);
    },
    snapshot: () => snapshotReplica(model, adam),
    async sync() {},
    async dispose() {
      try {
        adam.dispose();
      } catch {
        // after a wasm abort the backend is gone: keep the error that explains it
      }
    },
  };
}

/**
 * The training loop of {@link train} over any {@link StepRunner} (exported for the node entry's data-parallel
 * trainer; not part of the public API).
 */
export async function runTraining(
  model: SrModel,
  options: TrainOptions,
  createRunner: (adam: AdamConfig) => Promise<StepRunner>,
): Promise<TrainResult> {
  const mode = options.mode ?? 'worldstrat';
  const adamCfg: AdamConfig = { ...WORLDSTRAT_ADAM, ...options.optimizer };
  const lrFor = learningRateSchedule(options, adamCfg.lr);
  const runner = await createRunner(adamCfg);
  try {
    const result = await trainingLoop(model, options, runner, { mode, adamCfg, lrFor });
    await runner.sync();
    return result;
  } finally {
    await runner.dispose();
  }
}

/** The epochs and steps of {@link runTraining}, with progress, checkpoints and validation. */
async function trainingLoop(
  model: SrModel,
  options: TrainOptions,
  runner: StepRunner,
  fixed: {
    mode: RegistrationMode;
    adamCfg: AdamConfig;
    lrFor: (epoch: number, step: number) => number;
  },
): Promise<TrainResult> {
  const cfg = model.config;
  const { mode, adamCfg, lrFor } = fixed;
  const start = await resumeState(model, runner, options);
  let { rng, step, skipBatches, best } = start;
  const startEpoch = start.epoch;
  const { micro, budget } = memorySettings(options, runner.backend);
  let usedMicro = 0;
  const losses: { step: number; loss: number }[] = [];
  const validation: ValidationSummary[] = [];
  let stepsPerEpoch = options.stepsPerEpoch;
  const started = Date.now();
  let stepsThisRun = 0;
  let epochsCompleted = startEpoch;
  const every = options.checkpoint?.every ?? 0;

  const save = async (kind: 'periodic' | 'best' | 'final', epoch: number, batchInEpoch: number) => {
    if (!options.checkpoint) return;
    const snap = await runner.snapshot();
    const bytes = encodeAt(step, {
      config: cfg,
      weights: snap.weights,
      optimizer: { config: adamCfg, step: snap.step, m: snap.m, v: snap.v },
      step,
      epoch,
      batchInEpoch,
      rngState: rng.getState(),
      bestValidationLoss: best,
    });
    await options.checkpoint.sink.save(bytes, { kind, step, epoch });
  };

  for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
    let b = 0;
    let stoppedEarly = false;
    await yieldToEventLoop();
    throwIfAborted(options.signal, abortError);
    for await (const batch of sourceFor(options.train, epoch, 'train', 'options.train')) {
      // a macrotask per batch: with the cpu backend and a synchronous source nothing else would ever run
      await yieldToEventLoop();
      throwIfAborted(options.signal, abortError);
      checkBatch('train', `batch ${b} of epoch ${epoch}`, batch);
      if (b < skipBatches) {
        b++;
        continue;
      }
      if (options.maxSteps !== undefined && step >= options.maxSteps) {
        stoppedEarly = true;
        break;
      }
      validateInput(batch.lr.data, batch.lr.shape, cfg, { what: 'batch.lr' });
      checkHr(batch, cfg);
      const lr = lrFor(epoch, step);
      const seeds = drawSampleSeeds(rng, batch.lr.shape[0]);
      const r = await runner.step(batch, seeds, lr, { mode, micro, budget, step });
      const loss = r.loss;
      usedMicro = Math.max(usedMicro, r.microBatchSize);
      if (!Number.isFinite(loss))
        throw new SrnetError(
          'NON_FINITE_INPUT',
          `training loss became ${loss} at step ${step}; lower the learning rate or check the batch`,
        );
      step++;
      stepsThisRun++;
      b++;
      losses.push({ step, loss });
      const elapsed = (Date.now() - started) / 1000;
      const sps = elapsed > 0 ? stepsThisRun / elapsed : undefined;
      const total = options.maxSteps ?? (stepsPerEpoch ? stepsPerEpoch * options.epochs : undefined);
      options.onProgress?.({
        stage: 'train',
        done: step,
        ...(total !== undefined ? { total } : {}),
        epoch,
        step,
        loss,
        lr,
        ...(sps ? { stepsPerSecond: sps } : {}),
        ...(sps && total !== undefined ? { etaSeconds: Math.max(0, total - step) / sps } : {}),
      });
      if (every > 0 && step % every === 0) await save('periodic', epoch, b);
    }
    if (b === 0 && !stoppedEarly) throw emptyEpochError(epoch);
    skipBatches = 0;
    if (stoppedEarly) {
      // maxSteps reached mid-epoch: the resume point is this epoch, after `b` batches.
      await save('periodic', epoch, b);
      break;
    }
    if (stepsPerEpoch === undefined) stepsPerEpoch = b;
    if (options.validation) {
      await runner.sync();
      const summary = await validateEpoch(
        model,
        options,
        options.validation,
        epoch,
        step,
        mode,
        lrFor(epoch, step),
      );
      validation.push(summary);
      if (summary.loss < best) {
        best = summary.loss;
        await save('best', epoch + 1, 0);
      }
    }
    epochsCompleted = epoch + 1;
    await save('periodic', epoch + 1, 0);
    if (options.maxSteps !== undefined && step >= options.maxSteps) break;
  }
  return {
    steps: step,
    epochs: epochsCompleted,
    losses,
    validation,
    bestValidationLoss: best,
    microBatchSize: usedMicro,
  };
}

/** An epoch without batches trains nothing: a missing data folder must not look like a finished run. */
function emptyEpochError(epoch: number): SrnetError {
  return new SrnetError(
    'BAD_CONFIG',
    `train: options.train yielded no batch in epoch ${epoch}; check the training data (a function source is called once per epoch and must yield batches every time)`,
    { argument: 'options.train', epoch },
  );
}

/**
 * encodeCheckpoint, its refusal naming the step: nothing reaches the sink, so the previous file stays (a diverged
 * moment must not replace a good checkpoint with one decodeCheckpoint refuses).
 */
function encodeAt(step: number, ckpt: TrainingCheckpoint): Uint8Array {
  try {
    return encodeCheckpoint(ckpt);
  } catch (err) {
    if (!(err instanceof SrnetError)) throw err;
    throw new SrnetError(
      err.code,
      `checkpoint at step ${step} not written (the previous one is kept): ${err.message}`,
      { ...err.details, step },
      { cause: err },
    );
  }
}

/** The typed error for an allocation failure in a step: what ran out, and a micro-batch that should fit. */
export function outOfMemoryError(
  err: unknown,
  cfg: SrModel['config'],
  chip: [number, number],
  batch: number,
  micro: number,
  budget: number,
  step: number,
): SrnetError {
  const backend = tf.getBackend();
  const e = estimateTrainingMemory(cfg, chip);
  const fits = Math.max(1, Math.floor((budget - e.fixedBytes) / e.perSampleBytes));
  const suggested = Math.max(1, Math.min(Math.floor(micro / 2), fits));
  const restart =
    backend === 'wasm' ? ' The wasm module cannot continue after this abort: restart the process.' : '';
  return new SrnetError(
    'OUT_OF_MEMORY',
    `training step ${step + 1} ran out of memory on the ${backend} backend (batch ${batch} in micro-batches of ${micro}; ≈ ${gib(e.perSampleBytes)} GiB per ${chip.join('×')} sample of ${cfg.kind} R=${cfg.revisits} hidden ${cfg.hiddenChannels}): use microBatchSize ${suggested} (--micro-batch-size ${suggested}) or smaller.${restart}`,
    {
      backend,
      batch,
      microBatchSize: micro,
      suggestedMicroBatchSize: suggested,
      perSampleBytes: e.perSampleBytes,
    },
    { cause: err },
  );
}

export function checkHr(batch: TrainBatch, cfg: SrModel['config']): void {
  const s = batch.hr.shape;
  const [oh, ow] = cfg.outputSize;
  if (
    s.length !== 4 ||
    s[0] !== batch.lr.shape[0] ||
    s[1] !== cfg.outChannels ||
    s[2] !== oh ||
    s[3] !== ow
  ) {
    throw new SrnetError(
      'BAD_INPUT_SHAPE',
      `batch.hr has shape [${s}]; expected [${batch.lr.shape[0]}, ${cfg.outChannels}, ${oh}, ${ow}] (B, outChannels, outputSize)`,
    );
  }
  if (batch.hr.data.length !== s.reduce((a, b) => a * b, 1))
    throw new SrnetError('BAD_INPUT_SHAPE', `batch.hr has ${batch.hr.data.length} values for shape [${s}]`);
  for (let i = 0; i < batch.hr.data.length; i++) {
    if (!Number.isFinite(batch.hr.data[i] as number))
      throw new SrnetError('NON_FINITE_INPUT', `batch.hr holds ${batch.hr.data[i]} at flat index ${i}`, {
        index: i,
      });
  }
}

/**
 * One optimiser step, optionally over micro-batches whose gradients are accumulated with weights n_i/B (exactly the
 * gradient of the batch-mean loss). Dropout draws one seed per sample from `rng` (B draws), so the masks do not
 * depend on the micro-batch size. Returns the batch loss.
 */
export async function trainStep(
  model: SrModel,
  adam: PyTorchAdam,
  vars: tf.Variable[],
  batch: TrainBatch,
  rng: SeededRandom,
  lr: number,
  mode: RegistrationMode,
  microBatchSize?: number,
): Promise<number> {
  const fn = 'trainStep';
  checkModel(fn, 'model', model);
  const a = checkObject<PyTorchAdam>(fn, 'adam', adam, 'BAD_CONFIG');
  checkFunction(fn, 'adam.apply', a.apply, 'BAD_CONFIG');
  checkArray(fn, 'vars', vars, 'BAD_CONFIG');
  checkBatch(fn, 'batch', batch);
  validateInput(batch.lr.data, batch.lr.shape, model.config, { what: 'batch.lr' });
  checkHr(batch, model.config);
  const r = checkObject<SeededRandom>(fn, 'rng', rng, 'BAD_CONFIG');
  checkFunction(fn, 'rng.nextUint32', r.nextUint32, 'BAD_CONFIG');
  checkNumber(fn, 'lr', lr, 'BAD_CONFIG', { min: 0 });
  if (mode !== 'worldstrat' && mode !== 'centered')
    argumentError(fn, 'mode', "'worldstrat' or 'centered'", mode, 'BAD_CONFIG');
  if (microBatchSize !== undefined)
    checkNumber(fn, 'microBatchSize', microBatchSize, 'BAD_CONFIG', { integer: true, min: 1 });
  const b = batch.lr.shape[0];
  const seeds = drawSampleSeeds(rng, b);
  const { grads, loss } = await shardGradients(model, vars, batch, seeds, mode, microBatchSize ?? b, b);
  try {
    adam.apply(grads, lr);
  } finally {
    tf.dispose(grads);
  }
  return loss;
}

/** Checked, finite input and a NaN/±Inf prediction: the weights overflow (like the engines' output check). */
function checkFinitePrediction(pred: Float32Array, batch: number, epoch: number): void {
  const at = pred.findIndex((v) => !Number.isFinite(v));
  if (at >= 0)
    throw new SrnetError(
      'NON_FINITE_WEIGHTS',
      `validation batch ${batch} of epoch ${epoch}: the model predicted ${pred[at]} at flat index ${at} for finite input; its weights overflow float32 (the run diverged)`,
      { batch, epoch, index: at },
    );
}

/** srnet codes for @worldstrat/metrics' errors: its options are the caller's config, the rest are the data. */
function metricsErrorCode(code: unknown): SrnetErrorCode {
  if (code === 'INVALID_OPTION') return 'BAD_CONFIG';
  if ((SRNET_ERROR_CODES as readonly unknown[]).includes(code)) return code as SrnetErrorCode;
  return 'BAD_INPUT_SHAPE';
}

/** Runs a metrics call; its errors become SrnetErrors naming `where`, the original kept as `cause`. */
function metricsCall<T>(where: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof SrnetError) throw err;
    const e = err as { code?: unknown; message?: unknown };
    throw new SrnetError(
      metricsErrorCode(e?.code),
      `${where}: ${typeof e?.message === 'string' ? e.message : String(err)}`,
      { metricsCode: e?.code },
      { cause: err },
    );
  }
}

/**
 * Evaluate a model on validation batches (eval mode) with @worldstrat/metrics' registered metrics and the
 * bicubic baseline. Means are over chips, like upstream's logged values.
 */
export async function validate(
  model: SrModel,
  source: BatchSource,
  epoch: number,
  step: number,
  mode: RegistrationMode,
  baseline: Omit<BicubicBaselineOptions, 'size'> | false,
  signal?: AbortSignal,
  onBatch?: (done: number) => void,
): Promise<ValidationSummary> {
  const fn = 'validate';
  checkModel(fn, 'model', model);
  checkSource(fn, 'source', source);
  checkNumber(fn, 'epoch', epoch, 'BAD_CONFIG', { integer: true, min: 0 });
  checkNumber(fn, 'step', step, 'BAD_CONFIG', { integer: true, min: 0 });
  if (mode !== 'worldstrat' && mode !== 'centered')
    argumentError(fn, 'mode', "'worldstrat' or 'centered'", mode, 'BAD_CONFIG');
  if (baseline !== false && !isRecord(baseline))
    argumentError(fn, 'baseline', 'bicubic baseline options or false', baseline, 'BAD_CONFIG');
  checkSignal(fn, 'signal', signal, 'BAD_CONFIG');
  if (onBatch !== undefined) checkFunction(fn, 'onBatch', onBatch, 'BAD_CONFIG');
  const all: ReturnType<typeof registeredMetrics> = [];
  const base: ReturnType<typeof scoreBicubicBaseline> = [];
  let done = 0;
  for await (const batch of sourceFor(source, epoch, 'validate', 'source')) {
    throwIfAborted(signal, abortError);
    checkBatch(fn, `validation batch ${done}`, batch);
    validateInput(batch.lr.data, batch.lr.shape, model.config, { what: 'validation lr' });
    checkHr(batch, model.config);
    const y = tf.tidy(() =>
      tf.transpose(model.forward(toNhwcRevisits(batch.lr.data, batch.lr.shape)), [0, 3, 1, 2]),
    );
    const pred = (await y.data()) as Float32Array;
    y.dispose();
    checkFinitePrediction(pred, done, epoch);
    const where = `validation batch ${done} of epoch ${epoch}`;
    all.push(...metricsCall(where, () => registeredMetrics(pred, batch.hr.data, batch.hr.shape, { mode })));
    if (baseline !== false)
      base.push(
        ...metricsCall(`${where} (bicubic baseline)`, () =>
          scoreBicubicBaseline(batch.lr.data, batch.lr.shape, batch.hr.data, batch.hr.shape, {
            ...baseline,
            mode,
          }),
        ),
      );
    done++;
    onBatch?.(done);
  }
  if (all.length === 0)
    throw new SrnetError('BAD_INPUT_SHAPE', `validation source yielded no batches in epoch ${epoch}`);
  const m = metricsCall(`validation of epoch ${epoch}`, () => meanRegisteredMetrics(all));
  const summary: ValidationSummary = {
    epoch,
    step,
    count: m.count,
    loss: m.loss,
    mse: m.mse,
    mae: m.mae,
    ssimLoss: m.ssimLoss,
    psnr: m.psnr,
    cssim: m.cssim,
  };
  if (base.length > 0) {
    const bm = metricsCall(`bicubic baseline of epoch ${epoch}`, () => meanRegisteredMetrics(base));
    summary.baseline = { psnr: bm.psnr, ssimLoss: bm.ssimLoss, loss: bm.loss, mse: bm.mse, mae: bm.mae };
  }
  return summary;
}
