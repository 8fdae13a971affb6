// `train` pipeline: train one SRCNN / HighRes-net model on a WorldStrat-layout dataset with @worldstrat/srnet's
// training loop (Adam + L2, cosine restarts, seeded dropout, registered loss), atomic checkpoints, exact resume,
// and the final weights as a PyTorch-layout safetensors file.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import type { ChipBatch, SceneEntry, SplitMode, WorldStratDataset } from '@worldstrat/dataset/node';
import type { RegistrationMode } from '@worldstrat/metrics';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import {
  type BackendPreference,
  countParameters,
  createModel,
  decodeCheckpoint,
  exportStateDict,
  type ModelConfig,
  resolveModelConfig,
  type SrModel,
  selectBackend,
  stateDictToSafetensors,
  type TrainBatch,
  train,
  type ValidationSummary,
} from '@worldstrat/srnet';
import {
  dataParallelWorkerScript,
  defaultDataParallelWorkers,
  fileCheckpointStore,
  readCheckpointFile,
  trainDataParallel,
} from '@worldstrat/srnet/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  argumentError,
  checkContext,
  checkModelSpec,
  checkNumberList,
  checkObject,
  checkOptionalChoice,
  checkOptionalFinite,
  checkOptionalString,
  checkString,
  checkTrainingNumbers,
  checkWithMethods,
} from '../internal/check-arguments.js';
import { makeFolder } from '../internal/make-folder.node.js';
import {
  checkpointHistoryPath,
  type RecordedHistory,
  resumedHistory,
  withHistory,
} from './checkpoint-history.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { readTrainRecord } from './read-train-history.node.js';
import { datasetFingerprint, recipeDifferences, type TrainRecipe } from './train-recipe.node.js';

/** A model to train: a display name and its (partial) srnet configuration. */
export interface ModelSpec {
  /** Display name, e.g. "HighRes-net"; also the file-name stem (kebab-cased). */
  name: string;
  /** srnet model configuration; `kind` and `revisits` are required. */
  config: Partial<ModelConfig> & Pick<ModelConfig, 'kind' | 'revisits'>;
}

/** Options of {@link trainModel}. */
export interface TrainModelOptions {
  /** The opened dataset (open it with at least `spec.config.revisits` revisits). */
  dataset: WorldStratDataset;
  spec: ModelSpec;
  /** Output folder: `<out>/<stem>.safetensors`, `<out>/<stem>.history.json`, `<out>/checkpoints/<stem>/`. */
  out: string;
  /** How scenes are assigned to splits. Default `'csv'`. */
  splitMode?: SplitMode;
  /** Epochs over the train split. Default 15 (upstream). */
  epochs?: number;
  /** Stop after this many optimiser steps in total. */
  maxSteps?: number;
  /** Chips per batch. Default 16. */
  batchSize?: number;
  /**
   * Chips per forward/backward pass; their gradients are accumulated into one step of `batchSize` (same update).
   * Default `'auto'`: the largest that fits the backend's memory budget (srnet `estimateTrainingMemory`).
   */
  microBatchSize?: number | 'auto';
  /** Adam learning rate. Default 1e-4 (upstream). */
  learningRate?: number;
  /** Cosine warm restarts T_0 in epochs, or false for a constant rate. Default 300 (upstream). */
  cosineT0?: number | false;
  /** Anneal the rate per step to 0 over this many steps instead (srnet `cosineDecaySteps`; short runs). */
  cosineDecaySteps?: number;
  /** Registration mode of the training loss. Default 'worldstrat' (upstream). */
  lossMode?: RegistrationMode;
  /** Seed of init, dropout, shuffling and augmentation. Default 0. */
  seed?: number;
  /** Validate on the val split after every epoch. Default true (when the split has scenes). */
  validate?: boolean;
  /** Save a checkpoint every N steps (0 = epoch ends only). Default 0. */
  checkpointEvery?: number;
  /**
   * Resume from `<out>/checkpoints/<stem>/last.safetensors` when it exists, continuing the history kept beside it
   * (`last.history.json`). Default false.
   */
  resume?: boolean;
  /** TF.js backend. Default 'wasm'. */
  backend?: BackendPreference;
  /**
   * Data-parallel steps on the CPU backends (wasm, cpu): this many worker threads, each with a model replica, share
   * every batch (srnet `trainDataParallel`; same weights as one thread within float rounding). `'auto'` (default):
   * one per core, at most the batch size; `'off'` or 1: train in this thread. GPU backends always train in this
   * thread. Model-parallel training (`trainInWorkers`) turns it off inside its workers: one thread per model.
   */
  dataParallel?: number | 'auto' | 'off';
}

/** One point of a training history. */
export interface TrainHistory {
  /** Mean training loss per epoch (epoch index, global step at its end, mean loss). */
  epochs: { epoch: number; step: number; loss: number }[];
  /** Loss of every step (global step, loss). */
  steps: [number, number][];
  /** Validation summaries (registered metrics, eval mode) per epoch. */
  validation: ValidationSummary[];
}

/** Result of {@link trainModel}. */
export interface TrainModelResult {
  name: string;
  config: ModelConfig;
  /** Parameters the forward pass uses. */
  parameters: number;
  /** Final weights (PyTorch layout, readable by `stateDictFromSafetensors`). */
  weightsPath: string;
  historyPath: string;
  checkpointDir: string;
  steps: number;
  /** Seconds of training, those of the runs this one resumed included. */
  seconds: number;
  resumedFromStep?: number;
  /** The whole run's history: a resumed run continues the one recorded up to its checkpoint. */
  history: TrainHistory;
  /** The srnet backend the model trained on (`selectBackend`'s choice, e.g. 'wasm' or 'webgpu'). */
  backend: string;
  /** Chips per forward/backward pass the steps used (largest; see `microBatchSize`). */
  microBatchSize: number;
  /** Worker threads that shared each step (1: trained in this thread; see `dataParallel`). */
  dataParallelWorkers: number;
  /** The trained model (caller disposes). */
  model: SrModel;
}

/** File-name stem of a model name: "HighRes-net" → "highres-net", "SRCNN-MF" → "srcnn-mf". */
export function modelStem(name: string): string {
  checkString('modelStem', 'name', name);
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!s) throw new WorldStratError('INVALID_ARGUMENT', `model name "${name}" has no letters or digits`);
  return s;
}

/** The files a trained model leaves in its output folder. */
export interface ModelPaths {
  /** `<out>/<stem>.safetensors`: the final weights. */
  weights: string;
  /** `<out>/<stem>.history.json`: the history, config and recipe of the finished run. */
  history: string;
  /** `<out>/checkpoints/<stem>/`: resume checkpoints and the history kept beside them. */
  checkpointDir: string;
  /** `<checkpointDir>/last.safetensors`: where a resumed run continues. */
  lastCheckpoint: string;
  /** `<checkpointDir>/last.history.json`: the history (and recipe) up to the last checkpoint. */
  keptHistory: string;
}

/**
 * Where `trainModel` writes model `name` under `out`.
 *
 * @param out - the output folder.
 * @param name - the model's display name (its stem names the files).
 * @returns the paths.
 */
export function modelPaths(out: string, name: string): ModelPaths {
  checkString('modelPaths', 'out', out);
  const stem = modelStem(name);
  const checkpointDir = join(out, 'checkpoints', stem);
  return {
    weights: join(out, `${stem}.safetensors`),
    history: join(out, `${stem}.history.json`),
    checkpointDir,
    lastCheckpoint: fileCheckpointStore(checkpointDir).lastPath,
    keptHistory: checkpointHistoryPath(checkpointDir),
  };
}

/**
 * The recipe of a run of `options` on its dataset (see `TrainRecipe`): what a reused model must have been trained
 * with.
 *
 * @param options - the training options (dataset included).
 * @returns the recipe.
 */
export async function trainRecipe(options: TrainModelOptions): Promise<TrainRecipe> {
  checkTrainOptions(options);
  const { dataset } = options;
  const splitMode = options.splitMode ?? 'csv';
  const splits = dataset.split(splitMode);
  const val = options.validate === false ? [] : splits.val;
  const batchSize = options.batchSize ?? 16;
  const stepsPerEpoch = Math.ceil((splits.train.length * dataset.chipsPerScene) / batchSize);
  return {
    config: resolveModelConfig(options.spec.config),
    dataset: await datasetFingerprint(dataset, { train: splits.train, val }),
    splitMode,
    seed: options.seed ?? 0,
    batchSize,
    learningRate: options.learningRate ?? 1e-4,
    cosineT0: options.cosineT0 ?? 300,
    cosineDecaySteps: options.cosineDecaySteps ?? null,
    lossMode: options.lossMode ?? 'worldstrat',
    validate: val.length > 0,
    steps: Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, stepsPerEpoch * (options.epochs ?? 15)),
  };
}

/**
 * The error for a train split without a usable scene: says how many scenes the dataset check skipped for too
 * few revisits and how many the model needs, rather than blaming the split CSV.
 */
function emptyTrainSplit(dataset: WorldStratDataset, revisits: number): WorldStratError {
  const fewer = dataset.problems.filter((p) => p.code === 'TOO_FEW_REVISITS');
  const other = dataset.problems.length - fewer.length;
  const others = other > 0 ? `; ${other} more skipped for other problems (listed in the log)` : '';
  if (fewer.length > 0)
    return new WorldStratError(
      'INVALID_ARGUMENT',
      `the train split of ${dataset.root} has no usable scene: ${fewer.length} scene(s) were skipped for too few revisits (${fewer
        .slice(0, 3)
        .map((p) => p.aoi)
        .join(
          ', ',
        )}${fewer.length > 3 ? ', …' : ''}): the model needs ${revisits} L2A revisits per scene${others}`,
    );
  return new WorldStratError(
    'INVALID_ARGUMENT',
    `the train split of ${dataset.root} is empty: the split CSV assigns no usable scene to train${others}`,
  );
}

/**
 * Keep the first `r` revisits of a `(B, R, C, h, w)` batch (SRCNN-SI uses revisit 0 only, like upstream's
 * `revisits: 1`).
 *
 * @param batch - a chip batch.
 * @param r - revisits to keep (≤ R).
 * @returns a training batch with `lr.shape[1] === r`.
 */
export function sliceRevisits(batch: Pick<ChipBatch, 'lr' | 'hr'>, r: number): TrainBatch {
  const fn = 'sliceRevisits';
  checkObject(fn, 'batch', batch);
  checkObject(fn, 'batch.lr', batch.lr);
  checkObject(fn, 'batch.hr', batch.hr);
  checkNumberList(fn, 'batch.lr.data', batch.lr.data);
  const shape = batch.lr.shape as unknown;
  checkNumberList(fn, 'batch.lr.shape', shape);
  const dims = Array.from(shape as ArrayLike<unknown>);
  if (dims.length !== 5 || !dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw argumentError(fn, 'batch.lr.shape', '[B, R, C, h, w] (5 integers ≥ 0)', shape);
  if (!Number.isSafeInteger(r) || r < 1) throw argumentError(fn, 'r', 'a positive integer', r);
  const [b, R, c, h, w] = batch.lr.shape;
  if (r > R) {
    throw new WorldStratError(
      'SHAPE_MISMATCH',
      `the model needs ${r} revisits but batches hold ${R}; open the dataset with revisits ≥ ${r}`,
    );
  }
  if (r === R) return { lr: batch.lr, hr: batch.hr };
  const data = batch.lr.data as unknown;
  if (!ArrayBuffer.isView(data) || data instanceof DataView)
    throw argumentError(fn, 'batch.lr.data', 'a Float32Array', data);
  if ((data as Float32Array).length !== b * R * c * h * w)
    throw new WorldStratError(
      'SHAPE_MISMATCH',
      `${fn}: batch.lr.data has ${(data as Float32Array).length} values; shape ${dims.join('×')} needs ${b * R * c * h * w}`,
    );
  const per = c * h * w;
  const out = new Float32Array(b * r * per);
  for (let s = 0; s < b; s++) out.set(batch.lr.data.subarray(s * R * per, (s * R + r) * per), s * r * per);
  return { lr: { data: out, shape: [b, r, c, h, w] }, hr: batch.hr };
}

async function* revisitBatches(source: AsyncGenerator<ChipBatch>, r: number): AsyncGenerator<TrainBatch> {
  for await (const b of source) yield sliceRevisits(b, r);
}

/**
 * The history of what was recorded up to `lastStep`. Epochs end at their validations, or every
 * `stepsPerEpoch` steps when the run does not validate; a last, partial epoch ends at `lastStep`.
 */
function historyOf(rec: RecordedHistory, lastStep: number, stepsPerEpoch: number | undefined): TrainHistory {
  const ends = rec.validation.map((v) => v.step);
  if (stepsPerEpoch !== undefined)
    for (let s = stepsPerEpoch; s <= lastStep; s += stepsPerEpoch) ends.push(s);
  if (ends.at(-1) !== lastStep) ends.push(lastStep);
  const steps = rec.steps.filter(([s]) => s <= lastStep);
  return { epochs: epochMeans(steps, ends), steps, validation: rec.validation };
}

/** Mean loss per epoch from per-step losses and the step count at each epoch end. */
function epochMeans(steps: [number, number][], ends: number[]): TrainHistory['epochs'] {
  const out: TrainHistory['epochs'] = [];
  let start = 0;
  ends.forEach((end, epoch) => {
    const xs = steps.filter(([s]) => s > start && s <= end).map(([, l]) => l);
    if (xs.length) out.push({ epoch, step: end, loss: xs.reduce((a, b) => a + b, 0) / xs.length });
    start = end;
  });
  return out;
}

/**
 * Worker threads of data-parallel training: only on the CPU backends, `'auto'` = one per core up to the batch
 * size, 1 when off or when the worker script is not built (running from sources).
 */
function dataParallelWorkers(
  options: TrainModelOptions,
  backend: string,
  batchSize: number,
  context: PipelineContext,
): number {
  const dp = options.dataParallel ?? 'auto';
  if (dp === 'off' || (backend !== 'wasm' && backend !== 'cpu')) return 1;
  if (dp !== 'auto' && !(Number.isInteger(dp) && dp >= 1))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `dataParallel = ${dp}; expected a positive integer, 'auto' or 'off'`,
    );
  const n = dp === 'auto' ? defaultDataParallelWorkers(batchSize) : Math.min(dp, batchSize);
  if (n > 1 && !dataParallelWorkerScript()) {
    if (dp !== 'auto')
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `data-parallel training (${dp} workers) needs the built @worldstrat/srnet (dist/train/data-parallel-worker.node.js)`,
      );
    context.log?.('data-parallel training unavailable (srnet is not built): training in one thread');
    return 1;
  }
  if (n > 1) context.log?.(`${options.spec.name}: data-parallel steps over ${n} worker threads`);
  return n;
}

/** A resumed checkpoint trained with other settings continues with this run's: say which ones changed. */
async function logOtherSettings(
  keptPath: string,
  recipe: TrainRecipe,
  log: (m: string) => void,
): Promise<void> {
  const kept = existsSync(keptPath) ? await readTrainRecord(keptPath).catch(() => undefined) : undefined;
  if (!kept) return;
  const changed = recipeDifferences(kept.recipe, recipe, false);
  if (changed.length)
    log(`the checkpoint was trained with other settings; continuing with this run's: ${changed.join(', ')}`);
}

/** Entry checks of {@link trainModel}: the members' types, before the backend starts or a folder is made. */
function checkTrainOptions(options: TrainModelOptions): void {
  const fn = 'trainModel';
  checkObject(fn, 'options', options);
  checkWithMethods(fn, 'options.dataset', options.dataset, 'an opened dataset (openDataset)', [
    'split',
    'batches',
  ]);
  checkModelSpec(fn, 'options.spec', options.spec);
  checkString(fn, 'options.out', options.out);
  checkTrainingNumbers(fn, options as unknown as Record<string, unknown>);
  if (typeof options.dataParallel !== 'string')
    checkOptionalFinite(fn, 'options.dataParallel', options.dataParallel);
  checkOptionalString(fn, 'options.backend', options.backend);
  checkOptionalString(fn, 'options.splitMode', options.splitMode);
  checkOptionalChoice(fn, 'options.lossMode', options.lossMode, ['worldstrat', 'centered']);
}

/**
 * Train one model on the train split (augmented, shuffled, seeded), validating on the val split each epoch;
 * checkpoints go to `<out>/checkpoints/<stem>/` (atomic, resumable), final weights to `<out>/<stem>.safetensors`.
 *
 * @param options - dataset, model spec, schedule, output folder.
 * @param context - signal, progress (`train:<stem>` / `validate:<stem>` stages), log.
 * @returns paths, history and the trained model (dispose it).
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the train split has no usable scene (naming how many were
 *   skipped for too few revisits), `WRITE_FAILED` naming an output folder that cannot be created; srnet errors
 *   from training.
 * @example
 * ```ts
 * const ds = await openDataset('data', { revisits: 8 });
 * const r = await trainModel({ dataset: ds, spec: { name: 'HighRes-net', config: { kind: 'highresnet', revisits: 8 } }, out: 'runs/a' });
 * r.model.dispose();
 * ```
 */
export async function trainModel(
  options: TrainModelOptions,
  context: PipelineContext = {},
): Promise<TrainModelResult> {
  context = checkContext('trainModel', context);
  checkTrainOptions(options);
  throwIfAborted(context.signal);
  const { dataset, spec } = options;
  const stem = modelStem(spec.name);
  const config = resolveModelConfig(spec.config);
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 16;
  const splits = dataset.split(options.splitMode ?? 'csv');
  const trainScenes: SceneEntry[] = splits.train;
  const valScenes: SceneEntry[] = options.validate === false ? [] : splits.val;
  if (trainScenes.length === 0) throw emptyTrainSplit(dataset, config.revisits);
  const recipe = await trainRecipe(options);
  const backend = await selectBackend(options.backend ?? 'wasm');
  context.log?.(`${spec.name}: training on ${backend.backend} (${backend.reason})`);
  const paths = modelPaths(options.out, spec.name);
  const { checkpointDir, history: historyPath, keptHistory: keptHistoryPath } = paths;
  await makeFolder('checkpoint folder', checkpointDir);
  const store = fileCheckpointStore(checkpointDir);
  let resume: Uint8Array | undefined;
  let resumedFromStep: number | undefined;
  // what earlier runs recorded up to the checkpoint: this run continues it (steps, validation, seconds)
  let recorded: RecordedHistory = { steps: [], validation: [], seconds: 0 };
  if (options.resume && existsSync(store.lastPath)) {
    resume = await readCheckpointFile(store.lastPath);
    const at = decodeCheckpoint(resume, { name: store.lastPath });
    resumedFromStep = at.step;
    context.log?.(`${spec.name}: resuming from ${store.lastPath} (step ${resumedFromStep})`);
    const log = (m: string) => context.log?.(`${spec.name}: ${m}`);
    await logOtherSettings(keptHistoryPath, recipe, log);
    recorded = (await resumedHistory(keptHistoryPath, historyPath, at, log)) ?? recorded;
  }
  const model = createModel(config, { seed });
  const stepsPerEpoch = Math.ceil((trainScenes.length * dataset.chipsPerScene) / batchSize);
  const epochs = options.epochs ?? 15;
  const total = options.maxSteps ?? stepsPerEpoch * epochs;
  const { steps, validation } = recorded;
  const t0 = performance.now();
  const seconds = () => recorded.seconds + (performance.now() - t0) / 1000;
  const epochLength = valScenes.length > 0 ? undefined : stepsPerEpoch;
  const document = (lastStep: number, secs = seconds(), indent?: number) =>
    JSON.stringify(
      {
        name: spec.name,
        config,
        recipe,
        steps: lastStep,
        seconds: secs,
        resumedFromStep,
        history: historyOf(recorded, lastStep, epochLength),
      },
      null,
      indent,
    );
  const workers = dataParallelWorkers(options, backend.backend, batchSize, context);
  const run = (m: SrModel, o: Parameters<typeof train>[1]) =>
    workers > 1
      ? trainDataParallel(m, { ...o, workers, backend: backend.backend as 'wasm' | 'cpu' })
      : train(m, o);
  let result: Awaited<ReturnType<typeof train>>;
  try {
    result = await run(model, {
      train: (epoch) =>
        revisitBatches(
          dataset.batches(trainScenes, {
            batchSize,
            seed,
            epoch,
            shuffle: true,
            augment: true,
            signal: context.signal,
          }),
          config.revisits,
        ),
      ...(valScenes.length > 0
        ? {
            validation: () =>
              revisitBatches(
                dataset.batches(valScenes, {
                  batchSize,
                  shuffle: false,
                  augment: false,
                  signal: context.signal,
                }),
                config.revisits,
              ),
          }
        : {}),
      epochs,
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.microBatchSize !== undefined ? { microBatchSize: options.microBatchSize } : {}),
      optimizer: { lr: options.learningRate ?? 1e-4 },
      cosineT0: options.cosineT0 ?? 300,
      ...(options.cosineDecaySteps !== undefined ? { cosineDecaySteps: options.cosineDecaySteps } : {}),
      mode: options.lossMode ?? 'worldstrat',
      seed,
      baseline: false,
      // the history goes beside each resume checkpoint (compact JSON: rewritten every time)
      checkpoint: {
        sink: withHistory(store, keptHistoryPath, (step) => document(step)),
        every: options.checkpointEvery ?? 0,
      },
      ...(resume ? { resume, resumeName: store.lastPath } : {}),
      stepsPerEpoch,
      signal: context.signal,
      onProgress: (p) => {
        if (p.stage === 'train' && p.loss !== undefined) {
          steps.push([p.step, p.loss]);
          context.onProgress?.({ stage: `train:${stem}`, done: p.done, total });
        } else if (p.stage === 'validate' && p.validation) {
          validation.push(p.validation);
          context.log?.(
            `${spec.name}: epoch ${p.epoch + 1} step ${p.step}: val cPSNR ${p.validation.psnr.toFixed(2)} dB (${p.validation.count} chips)`,
          );
        }
      },
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  throwIfAborted(context.signal);
  const history = historyOf(recorded, result.steps, epochLength);
  const stateDict = await exportStateDict(model);
  await makeFolder('output folder', options.out);
  const weightsPath = paths.weights;
  await writeFileAtomic(weightsPath, stateDictToSafetensors(stateDict, config));
  const secs = seconds();
  await writeFileAtomic(historyPath, `${document(result.steps, secs, 1)}\n`);
  return {
    name: spec.name,
    config,
    parameters: countParameters(config).used,
    weightsPath,
    historyPath,
    checkpointDir,
    steps: result.steps,
    seconds: secs,
    ...(resumedFromStep !== undefined ? { resumedFromStep } : {}),
    history,
    backend: backend.backend,
    microBatchSize: result.microBatchSize,
    dataParallelWorkers: workers,
    model,
  };
}

/** Options of the `train` pipeline (opens the dataset itself). */
export interface TrainPipelineOptions extends Omit<TrainModelOptions, 'dataset'> {
  /** Dataset root (release layout, real or synthetic). */
  root: string;
  /** Skip scenes with problems instead of failing. Default true. */
  skipInvalid?: boolean;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
  /**
   * Replace a model of the same name that `out` already holds (its checkpoints are removed first). Default false:
   * without `resume` such an `out` is refused, so a finished model is never replaced by accident.
   */
  overwrite?: boolean;
}

/**
 * A fresh run (no `resume`) into an `out` that holds this model's weights, history or checkpoints: refused
 * unless `overwrite`, which removes the old checkpoints first (a stale `best`/`last` is never mixed with the new
 * run; the weights and history are replaced when the run ends).
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the files found; `WRITE_FAILED` when they cannot be removed.
 */
async function checkFreshOutput(
  out: string,
  name: string,
  overwrite: boolean,
  log?: (m: string) => void,
): Promise<void> {
  const p = modelPaths(out, name);
  const checkpoints = await readdir(p.checkpointDir).catch(() => [] as string[]);
  const found = [
    ...[p.weights, p.history].filter((f) => existsSync(f)),
    ...checkpoints.map((f) => join(p.checkpointDir, f)),
  ];
  if (found.length === 0) return;
  if (!overwrite)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--out ${out} already holds a trained ${name} (${found.slice(0, 4).join(', ')}${found.length > 4 ? ', …' : ''}); pass --resume to continue it or --overwrite to replace it`,
    );
  log?.(`${name}: --overwrite: removing the earlier run's checkpoints in ${p.checkpointDir}`);
  await rm(p.checkpointDir, { recursive: true, force: true }).catch((e: unknown) => {
    throw new WorldStratError(
      'WRITE_FAILED',
      `cannot remove the earlier checkpoints in ${p.checkpointDir} (${(e as Error).message})`,
      { cause: e },
    );
  });
}

/** JSON result of the `train` pipeline. */
export type TrainPipelineResult = Omit<TrainModelResult, 'model' | 'history'> & {
  finalLoss?: number;
  validation?: ValidationSummary;
};

/** `train`: open a dataset and train one model (weights + history + checkpoints under `out`). */
export const trainPipeline = definePipeline<TrainPipelineOptions, TrainPipelineResult>({
  name: 'train',
  description: 'train one SRCNN / HighRes-net model on a WorldStrat-layout dataset (checkpoints, resume)',
  async run(options, context = {}) {
    const { openDataset } = await import('@worldstrat/dataset/node');
    const { root, skipInvalid, readLimits, overwrite, ...rest } = options;
    // before the data loads: an --out that cannot be a folder (a file, read-only) failed only after it
    await makeFolder('output folder', options.out);
    if (!options.resume)
      await checkFreshOutput(options.out, options.spec.name, Boolean(overwrite), context.log);
    const unreadable = new Set<string>();
    const dataset = await openDataset(root, {
      revisits: options.spec.config.revisits,
      skipInvalid: skipInvalid ?? true,
      cacheScenes: 64,
      readLimits,
      signal: context.signal,
      onProblem: (p) => {
        unreadable.add(p.aoi);
        context.log?.(`skipped: ${p.message}`);
      },
    });
    const train = dataset.split(options.splitMode ?? 'csv').train;
    let r: TrainModelResult;
    try {
      r = await trainModel({ ...rest, dataset }, context);
    } catch (e) {
      // With every training scene skipped the trainer only sees empty epochs; say why instead.
      if (train.length > 0 && train.every((s) => unreadable.has(s.name)))
        throw new WorldStratError(
          'UNREADABLE_FILE',
          `none of the ${train.length} training scene(s) of ${root} could be read (all skipped; see the log)`,
          { cause: e },
        );
      throw e;
    }
    r.model.dispose();
    const { model: _m, history, ...json } = r;
    return {
      ...json,
      ...(history.epochs.length ? { finalLoss: history.epochs.at(-1)?.loss } : {}),
      ...(history.validation.length ? { validation: history.validation.at(-1) } : {}),
    };
  },
});
