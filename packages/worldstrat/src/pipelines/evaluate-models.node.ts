// `eval` pipeline: score SR models and the bicubic baseline on a split with shift-registered cPSNR / cSSIM in
// both metric modes ('worldstrat' = upstream's crop, 'centered' = symmetric crop), keeping a few chips for panels.
import { JIF_S2_MEAN, JIF_S2_STD } from '@worldstrat/dataset';
import type { SceneEntry, SplitMode, SplitName, WorldStratDataset } from '@worldstrat/dataset/node';
import {
  meanRegisteredMetrics,
  type RegisteredMetricsMean,
  type RegistrationMode,
  registeredMetrics,
} from '@worldstrat/metrics';
import { type RasterIoLimits, resize } from '@worldstrat/raster-io';
import {
  countParameters,
  type InferenceEngine,
  readOnnxModelInfo,
  resolveModelConfig,
  stateDictFromSafetensors,
} from '@worldstrat/srnet';
import { createInferenceEngine, createOnnxEngine } from '@worldstrat/srnet/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  argumentError,
  checkArray,
  checkContext,
  checkNumberList,
  checkObject,
  checkOptionalChoice,
  checkOptionalInteger,
  checkOptionalString,
  checkOptions,
  checkString,
  checkWithMethods,
} from '../internal/check-arguments.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { readInputBytes } from './read-input.node.js';
import { sliceRevisits } from './train-model.node.js';

/**
 * One sample's prediction shifted per channel so its mean equals the target's (what the registered metrics
 * score, before the sub-pixel shift), for display in panels.
 */
function biasAdjusted(
  pred: Float32Array,
  target: Float32Array,
  offset: number,
  channels: number,
  plane: number,
): Float32Array {
  const out = pred.slice(offset, offset + channels * plane);
  for (let k = 0; k < channels; k++) {
    let d = 0;
    for (let i = 0; i < plane; i++) d += target[offset + k * plane + i] - out[k * plane + i];
    d /= plane;
    for (let i = 0; i < plane; i++) out[k * plane + i] += d;
  }
  return out;
}

/** Name of the flat (chip-mean) reference row. */
export const FLAT_REFERENCE_NAME = 'Flat (chip mean)';

/** Both metric modes, in table order. */
export const METRIC_MODES: readonly RegistrationMode[] = Object.freeze(['worldstrat', 'centered']);

/** Options of {@link bicubicUpsample}. */
export interface BicubicUpsampleOptions {
  /** Output [H, W]. Default [156, 156]. */
  size?: [number, number];
  /** Revisit to upsample. Default 0 (the best-ranked one, like upstream's baseline). */
  revisit?: number;
  /** LR channels in output order. Default [3, 2, 1] (B04, B03, B02 → R, G, B). */
  channels?: readonly number[];
}

/**
 * The bicubic baseline in reflectance: one revisit's RGB bands, de-normalised with the JIF constants
 * (`x·std + mean`), upsampled with PyTorch bicubic (a = −0.75, raster-io `resize`). Unlike upstream's
 * `BicubicUpscaledBaseline` it does not divide by the batch maximum, so its brightness matches the HR targets
 * (the registered metrics' bias adjustment removes offsets but not scale).
 *
 * @param lr - normalised LR `[B, R, C, h, w]`.
 * @param shape - `[B, R, C, h, w]`.
 * @param options - size, revisit, channels.
 * @returns `{ data, shape: [B, 3, H, W] }`.
 * @throws {WorldStratError} `SHAPE_MISMATCH` on bad shapes or channel indices.
 */
export function bicubicUpsample(
  lr: Float32Array,
  shape: readonly [number, number, number, number, number],
  options: BicubicUpsampleOptions = {},
): { data: Float32Array; shape: [number, number, number, number] } {
  options = checkBicubicArguments(lr, shape, options);
  const [b, r, c, h, w] = shape;
  if (lr.length !== b * r * c * h * w)
    throw new WorldStratError('SHAPE_MISMATCH', `bicubicUpsample: ${lr.length} values ≠ ${shape.join('×')}`);
  const channels = options.channels ?? [3, 2, 1];
  const revisit = options.revisit ?? 0;
  if (revisit >= r || channels.some((ch) => ch >= c || ch < 0))
    throw new WorldStratError(
      'SHAPE_MISMATCH',
      `bicubicUpsample: revisit ${revisit} / channels [${channels}] out of range for ${r} revisits × ${c} bands`,
    );
  const [oh, ow] = options.size ?? [156, 156];
  const k = channels.length;
  const plane = h * w;
  const x = new Float32Array(b * k * plane);
  for (let s = 0; s < b; s++)
    channels.forEach((ch, o) => {
      const src = ((s * r + revisit) * c + ch) * plane;
      const dst = (s * k + o) * plane;
      const m = JIF_S2_MEAN[ch] ?? 0;
      const sd = JIF_S2_STD[ch] ?? 1;
      for (let i = 0; i < plane; i++) x[dst + i] = lr[src + i] * sd + m;
    });
  return { data: resize(x, [b * k, h, w], [oh, ow], { method: 'bicubic' }), shape: [b, k, oh, ow] };
}

/** Checks `value` is an array (or typed array) of `n` integers in `[min, max]`. */
function checkIntegerTuple(
  fn: string,
  what: string,
  value: unknown,
  n: number,
  min: number,
  max: number,
): void {
  checkNumberList(fn, what, value);
  const list = value as ArrayLike<unknown>;
  if (
    list.length !== n ||
    !Array.from(list).every((x) => Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max)
  )
    throw argumentError(fn, what, `${n} integers in ${min}..${max}`, value);
}

/** Entry checks of {@link bicubicUpsample}; returns the options (`{}` when absent). */
function checkBicubicArguments(lr: unknown, shape: unknown, options: unknown): BicubicUpsampleOptions {
  const fn = 'bicubicUpsample';
  checkNumberList(fn, 'lr', lr);
  checkIntegerTuple(fn, 'shape', shape, 5, 1, Number.MAX_SAFE_INTEGER);
  const o = checkOptions<BicubicUpsampleOptions>(fn, options as BicubicUpsampleOptions | undefined);
  if (o.size !== undefined) checkIntegerTuple(fn, 'options.size', o.size, 2, 1, 100_000);
  checkOptionalInteger(fn, 'options.revisit', o.revisit, 0, Number.MAX_SAFE_INTEGER);
  if (o.channels !== undefined) {
    checkNumberList(fn, 'options.channels', o.channels);
    Array.from(o.channels).forEach((ch, i) => {
      if (!Number.isSafeInteger(ch)) throw argumentError(fn, `options.channels[${i}]`, 'an integer', ch);
    });
  }
  return o;
}

/** A model to evaluate: a name and an inference engine (its `config.revisits` picks the revisits). */
export interface EvaluatedModel {
  name: string;
  engine: InferenceEngine;
}

/** Mean metrics of one method in both modes. */
export interface MethodScores {
  name: string;
  revisits: number;
  /** Parameters used by the forward pass (0 for bicubic). */
  parameters: number;
  worldstrat: RegisteredMetricsMean;
  centered: RegisteredMetricsMean;
}

/** One chip kept for comparison panels: RGB planes (3, H, W) of every method plus LR and HR. */
export interface PanelChip {
  scene: string;
  chip: number;
  /** LR revisit 0, RGB in reflectance, (3, 50, 50). */
  lr: Float32Array;
  lrSize: number;
  /** HR target (3, 156, 156). */
  hr: Float32Array;
  hrSize: number;
  /** Per method (bicubic first): bias-adjusted prediction (channel means = HR's) and its registered metrics. */
  methods: {
    name: string;
    data: Float32Array;
    psnr: Record<RegistrationMode, number>;
    cssim: Record<RegistrationMode, number>;
  }[];
}

/** Options of {@link evaluateModels}. */
export interface EvaluateModelsOptions {
  dataset: WorldStratDataset;
  models: readonly EvaluatedModel[];
  /** Scenes to score, or a split name (with `splitMode`). Default 'test'. */
  scenes?: SplitName | readonly SceneEntry[];
  splitMode?: SplitMode;
  /** Chips per batch. Default 16. */
  batchSize?: number;
  /**
   * Also score a flat prediction (after the metrics' bias adjustment: each chip's HR channel means), a sanity
   * reference: a model that has not learned structure scores about this. Default true.
   */
  flatReference?: boolean;
  /** Keep these chips for panels: `[sceneIndex, chipIndex]` in scene order. Default [[0, 4], [1, 4]]. */
  panelChips?: readonly [number, number][];
}

/** Result of {@link evaluateModels}. */
export interface EvaluateModelsResult {
  /** Bicubic first, then the flat reference (when on), then the models in the given order. */
  scores: MethodScores[];
  chips: number;
  /** Scenes scored. */
  scenes: string[];
  /** Scenes of the split skipped as invalid (the dataset's `skipInvalid`), so not in the scores. */
  skipped: string[];
  panels: PanelChip[];
}

/** Entry checks of {@link evaluateModels}: the members' types, before any scene is read. */
function checkEvaluateOptions(options: EvaluateModelsOptions): void {
  const fn = 'evaluateModels';
  checkObject(fn, 'options', options);
  checkWithMethods(fn, 'options.dataset', options.dataset, 'an opened dataset (openDataset)', [
    'split',
    'batches',
  ]);
  checkArray(fn, 'options.models', options.models);
  options.models.forEach((m, i) => {
    checkObject(fn, `options.models[${i}]`, m);
    checkString(fn, `options.models[${i}].name`, m.name);
    checkWithMethods(fn, `options.models[${i}].engine`, m.engine, 'an inference engine', ['predict']);
    checkObject(fn, `options.models[${i}].engine.config`, m.engine.config);
  });
  if (options.scenes !== undefined && typeof options.scenes !== 'string') {
    checkArray(fn, 'options.scenes', options.scenes);
    options.scenes.forEach((sc, i) => {
      checkObject(fn, `options.scenes[${i}]`, sc);
      checkString(fn, `options.scenes[${i}].name`, sc.name);
    });
  } else checkOptionalChoice(fn, 'options.scenes', options.scenes, ['train', 'val', 'test']);
  checkOptionalString(fn, 'options.splitMode', options.splitMode);
  checkOptionalInteger(fn, 'options.batchSize', options.batchSize, 1, 1_000_000);
  if (options.panelChips !== undefined) {
    checkArray(fn, 'options.panelChips', options.panelChips);
    options.panelChips.forEach((p, i) => {
      checkNumberList(fn, `options.panelChips[${i}]`, p);
    });
  }
}

/**
 * Score models and the bicubic baseline chip by chip on a split (no augmentation, fixed order), with
 * @worldstrat/metrics `registeredMetrics` in both modes; means are over chips (like upstream's logged values).
 *
 * @param options - dataset, models, split, batch size, panel chips.
 * @param context - signal, progress (`evaluate` stage, per batch).
 * @returns per-method means in both modes and the panel chips.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the split is empty.
 */
export async function evaluateModels(
  options: EvaluateModelsOptions,
  context: PipelineContext = {},
): Promise<EvaluateModelsResult> {
  context = checkContext('evaluateModels', context);
  checkEvaluateOptions(options);
  throwIfAborted(context.signal);
  const { dataset } = options;
  const scenes =
    typeof options.scenes === 'object'
      ? options.scenes
      : dataset.split(options.splitMode ?? 'csv')[options.scenes ?? 'test'];
  if (scenes.length === 0)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `no scenes to evaluate in ${dataset.root} (split "${typeof options.scenes === 'string' ? options.scenes : 'test'}" is empty)`,
    );
  const batchSize = options.batchSize ?? 16;
  const wanted = new Set(
    (
      options.panelChips ?? [
        [0, 4],
        [1, 4],
      ]
    ).map(([s, c]) => `${scenes[s]?.name}#${c}`),
  );
  const flat = options.flatReference !== false;
  const refs = flat ? ['Bicubic', FLAT_REFERENCE_NAME] : ['Bicubic'];
  const names = [...refs, ...options.models.map((m) => m.name)];
  const per: Record<RegistrationMode, ReturnType<typeof registeredMetrics>>[] = names.map(() => ({
    worldstrat: [],
    centered: [],
  }));
  const panels: PanelChip[] = [];
  const total = Math.ceil((scenes.length * dataset.chipsPerScene) / batchSize);
  let done = 0;
  let count = 0;
  const scored = new Set<string>();
  for await (const batch of dataset.batches(scenes, {
    batchSize,
    shuffle: false,
    augment: false,
    signal: context.signal,
  })) {
    throwIfAborted(context.signal);
    for (const n of batch.names) scored.add(n);
    const [b, R, c, h, w] = batch.lr.shape;
    const hrShape = batch.hr.shape;
    const [, , oh, ow] = hrShape;
    const preds: Float32Array[] = [bicubicUpsample(batch.lr.data, batch.lr.shape, { size: [oh, ow] }).data];
    if (flat) preds.push(new Float32Array(batch.hr.data.length));
    for (const m of options.models) {
      const r = m.engine.config.revisits;
      const input = sliceRevisits(batch, Math.min(r, R));
      const out = await m.engine.predict({ data: input.lr.data, shape: input.lr.shape });
      preds.push(out.data);
    }
    const metrics = preds.map((p) =>
      Object.fromEntries(
        METRIC_MODES.map((mode) => [mode, registeredMetrics(p, batch.hr.data, hrShape, { mode })]),
      ),
    ) as Record<RegistrationMode, ReturnType<typeof registeredMetrics>>[];
    metrics.forEach((m, i) => {
      for (const mode of METRIC_MODES) per[i][mode].push(...m[mode]);
    });
    const sample = 3 * oh * ow;
    for (let s = 0; s < b; s++) {
      if (!wanted.has(`${batch.names[s]}#${batch.chips[s]}`)) continue;
      const lr = new Float32Array(3 * h * w);
      [3, 2, 1].forEach((ch, o) => {
        const src = ((s * R + 0) * c + ch) * h * w;
        for (let i = 0; i < h * w; i++)
          lr[o * h * w + i] = batch.lr.data[src + i] * (JIF_S2_STD[ch] ?? 1) + (JIF_S2_MEAN[ch] ?? 0);
      });
      panels.push({
        scene: batch.names[s],
        chip: batch.chips[s],
        lr,
        lrSize: h,
        hr: batch.hr.data.slice(s * sample, (s + 1) * sample),
        hrSize: oh,
        methods: names
          .map((name, i) => ({
            name,
            data: biasAdjusted(preds[i], batch.hr.data, s * sample, 3, oh * ow),
            psnr: { worldstrat: metrics[i].worldstrat[s].psnr, centered: metrics[i].centered[s].psnr },
            cssim: { worldstrat: metrics[i].worldstrat[s].cssim, centered: metrics[i].centered[s].cssim },
          }))
          .filter((m) => m.name !== FLAT_REFERENCE_NAME),
      });
    }
    count += b;
    done++;
    context.onProgress?.({ stage: 'evaluate', done, total: Math.max(total, done) });
  }
  // Every scene of the split was skipped as unreadable: there is nothing to score, and no zero to report.
  if (count === 0)
    throw new WorldStratError(
      'UNREADABLE_FILE',
      `no scene of the ${scenes.length} to evaluate in ${dataset.root} could be read (all skipped as invalid)`,
    );
  const scores: MethodScores[] = names.map((name, i) => {
    const cfg = i < refs.length ? undefined : options.models[i - refs.length].engine.config;
    return {
      name,
      revisits: cfg ? cfg.revisits : i === 0 ? 1 : 0,
      parameters: cfg ? countParameters(resolveModelConfig(cfg)).used : 0,
      worldstrat: meanRegisteredMetrics(per[i].worldstrat),
      centered: meanRegisteredMetrics(per[i].centered),
    };
  });
  const sceneNames = scenes.map((s) => s.name);
  return {
    scores,
    chips: count,
    scenes: sceneNames.filter((n) => scored.has(n)),
    skipped: sceneNames.filter((n) => !scored.has(n)),
    panels,
  };
}

/** Which engine runs a weights file. */
export type EngineChoice = 'tfjs' | 'onnx';

/** Largest weights file read (protobuf's and Node's one-buffer limit). */
const MAX_WEIGHTS_BYTES = 2 ** 31 - 1;

/**
 * Load a weights file as an inference engine: `.safetensors` (PyTorch-layout state_dict; architecture detected
 * from the keys) on TF.js or ONNX Runtime, or an `.onnx` file exported by srnet (ONNX Runtime only).
 *
 * @param path - weights file.
 * @param engine - 'tfjs' (default for safetensors) or 'onnx'.
 * @param options - outputSize override for safetensors (detected files default to 156×156), ORT threads.
 * @returns the engine (dispose it).
 * @throws {WorldStratError} `DATASET_NOT_FOUND` when the file is missing; `INVALID_ARGUMENT` for an unknown
 *   extension or an ONNX file with engine 'tfjs'; `UNREADABLE_FILE` for a folder, FIFO or file over 2 GiB;
 *   `UNREADABLE_FILE` naming the file when a .safetensors or .onnx file is corrupt, holds NaN/±Inf or
 *   non-float weights, or describes no SRCNN/HighRes-net (the srnet error, with its code, is the `cause`).
 */
export async function loadWeightsEngine(
  path: string,
  engine: EngineChoice = 'tfjs',
  options: { threads?: number } = {},
): Promise<InferenceEngine> {
  const bytes = new Uint8Array(await readInputBytes(path, 'weights file', MAX_WEIGHTS_BYTES));
  if (path.endsWith('.onnx')) {
    if (engine !== 'onnx')
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `${path} is an ONNX file; use --engine onnx (or a .safetensors file)`,
      );
    unusableWeightsAsDataError(path, () => readOnnxModelInfo(bytes, { name: path }));
    return createOnnxEngine(bytes, {
      name: path,
      ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    });
  }
  if (!path.endsWith('.safetensors'))
    throw new WorldStratError('INVALID_ARGUMENT', `${path}: weights must be a .safetensors or .onnx file`);
  const { stateDict, config } = unusableWeightsAsDataError(path, () =>
    stateDictFromSafetensors(bytes, { name: path }),
  );
  return createInferenceEngine({
    engine,
    config,
    stateDict,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(engine === 'tfjs' ? { backend: 'wasm' as const } : {}),
  });
}

/** srnet's codes for a weights file that cannot be used as weights (bad container, values or layout). */
const UNUSABLE_WEIGHTS = new Set([
  'BAD_SAFETENSORS',
  'BAD_ONNX',
  'MISSING_WEIGHTS',
  'MISSHAPED_WEIGHTS',
  'NON_FINITE_WEIGHTS',
  'WEIGHTS_DTYPE_MISMATCH',
  'ARCHITECTURE_MISMATCH',
]);

/** A bad weights file is bad input data (exit 4), whatever srnet code described it; keep that code in the message. */
function unusableWeightsAsDataError<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code !== 'string' || !UNUSABLE_WEIGHTS.has(code)) throw err;
    const message = (err as Error).message;
    throw new WorldStratError(
      'UNREADABLE_FILE',
      `unusable weights ${message.startsWith(path) ? message : `${path}: ${message}`} [${code}]`,
      { cause: err },
    );
  }
}

/** Options of the `eval` pipeline. */
export interface EvaluatePipelineOptions {
  /** Dataset root. */
  root: string;
  /** Weights files (`.safetensors` / `.onnx`), named by file stem unless `names` is given. */
  weights: readonly string[];
  names?: readonly string[];
  engine?: EngineChoice;
  split?: SplitName;
  splitMode?: SplitMode;
  batchSize?: number;
  skipInvalid?: boolean;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
}

/** `eval`: score weights files and bicubic on a split in both metric modes. */
export const evaluatePipeline = definePipeline<
  EvaluatePipelineOptions,
  Omit<EvaluateModelsResult, 'panels'> & { split: SplitName }
>({
  name: 'eval',
  description: 'score SR weights and bicubic on a dataset split with registered cPSNR/cSSIM (both modes)',
  async run(options, context = {}) {
    if (options.weights.length === 0)
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        'eval needs at least one weights file (--weights a.safetensors)',
      );
    const { openDataset } = await import('@worldstrat/dataset/node');
    const models: EvaluatedModel[] = [];
    try {
      for (const [i, w] of options.weights.entries()) {
        const engine = await loadWeightsEngine(w, options.engine ?? 'tfjs');
        models.push({
          name: options.names?.[i] ?? (w.split('/').pop() ?? w).replace(/\.(safetensors|onnx)$/, ''),
          engine,
        });
      }
      const revisits = Math.max(...models.map((m) => m.engine.config.revisits));
      const dataset = await openDataset(options.root, {
        revisits,
        skipInvalid: options.skipInvalid ?? true,
        readLimits: options.readLimits,
        signal: context.signal,
        onProblem: (p) => context.log?.(`skipped: ${p.message}`),
      });
      const split = options.split ?? 'test';
      const r = await evaluateModels(
        {
          dataset,
          models,
          scenes: split,
          ...(options.splitMode ? { splitMode: options.splitMode } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          panelChips: [],
        },
        context,
      );
      const { panels: _p, ...rest } = r;
      return { ...rest, split };
    } finally {
      for (const m of models) m.engine.dispose();
    }
  },
});
