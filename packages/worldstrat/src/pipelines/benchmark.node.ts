// `benchmark` pipeline (issue 8): train SRCNN-SI (R=1), SRCNN-MF (R=8) and HighRes-net (R=8) on a dataset in
// the release layout, score them and the bicubic baseline on the test split with registered cPSNR / cSSIM in
// both metric modes, and write a paper-style results table (Markdown + JSON), comparison panels, training
// curves, one SR GeoTIFF (+ PNG quicklook) and an HTML report linking everything.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { openDataset, type SplitMode, type WorldStratDataset } from '@worldstrat/dataset/node';
import type { RegistrationMode } from '@worldstrat/metrics';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import {
  type BackendPreference,
  createTfjsEngine,
  exportStateDict,
  type InferenceEngine,
  resolveModelConfig,
  stateDictFromSafetensors,
} from '@worldstrat/srnet';
import { superResolveToFile } from '@worldstrat/srnet/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  checkArray,
  checkContext,
  checkModelSpec,
  checkNumber,
  checkObject,
  checkOptionalChoice,
  checkOptionalFinite,
  checkOptionalInteger,
  checkOptionalNumber,
  checkOptionalObject,
  checkOptionalString,
  checkString,
  checkTrainingNumbers,
  checkWithMethods,
} from '../internal/check-arguments.js';
import { makeFolder } from '../internal/make-folder.node.js';
import { fixedOrDash, markdownText } from '../internal/output-text.js';
import { comparisonPanelSvg, type PanelImage } from '../plots/comparison-panel.js';
import { htmlReport, type ReportSection } from '../plots/html-report.js';
import { displayRange, resizeNearestRgb8, toRgb8 } from '../plots/image.js';
import { type CurveSeries, trainingCurvesSvg } from '../plots/line-chart.js';
import { writePlot } from '../plots/render-png.node.js';
import { evaluateModels, type MethodScores, type PanelChip } from './evaluate-models.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { readInputBytes } from './read-input.node.js';
import { readTrainRecord } from './read-train-history.node.js';
import {
  type ModelSpec,
  modelPaths,
  modelStem,
  type TrainHistory,
  type TrainModelOptions,
  trainModel,
  trainRecipe,
} from './train-model.node.js';
import { recipeDifferences } from './train-recipe.node.js';
import {
  defaultTrainWorkers,
  type TrainJob,
  trainInWorkers,
  trainWorkerScript,
} from './train-workers.node.js';

/** The paper's three models at a given width. */
export function benchmarkModels(hiddenChannels = 128, dropout = 0.5): ModelSpec[] {
  return [
    { name: 'SRCNN-SI', config: { kind: 'srcnn', revisits: 1, hiddenChannels, dropout } },
    { name: 'SRCNN-MF', config: { kind: 'srcnn', revisits: 8, hiddenChannels, dropout } },
    { name: 'HighRes-net', config: { kind: 'highresnet', revisits: 8, hiddenChannels, dropout } },
  ];
}

/** Options of the benchmark pipeline. */
export interface BenchmarkOptions {
  /** Dataset root (release layout: real WorldStrat or `worldstrat synth`). */
  root: string;
  /** Output folder (results, panels, curves, models, checkpoints, SR GeoTIFF, report). */
  out: string;
  /** Models to train; default {@link benchmarkModels}(hiddenChannels, dropout). */
  models?: readonly ModelSpec[];
  /** Hidden channels of the default models. Default 128 (upstream). */
  hiddenChannels?: number;
  /** Dropout of the default models. Default 0.5 (upstream). */
  dropout?: number;
  /** Epochs per model. Default 15 (upstream). */
  epochs?: number;
  /** Optimiser steps per model (overrides epochs when reached first). */
  maxSteps?: number;
  /** Chips per batch. Default 16. */
  batchSize?: number;
  /** Chips per forward/backward pass (gradients accumulated per batch). Default 'auto' (fits the backend's memory). */
  microBatchSize?: number | 'auto';
  /** Adam learning rate. Default 1e-4 (upstream). */
  learningRate?: number;
  /** Cosine warm restarts T_0 (epochs) or false. Default 300 (upstream). */
  cosineT0?: number | false;
  /** Anneal the rate per step to 0 over this many steps instead of `cosineT0` (short runs, e.g. the demo). */
  cosineDecaySteps?: number;
  /** Registration mode of the training loss. Default 'worldstrat' (upstream). */
  lossMode?: RegistrationMode;
  /** Seed (init, dropout, shuffling, augmentation). Default 0. */
  seed?: number;
  /** TF.js backend for training and evaluation. Default 'wasm'. */
  backend?: BackendPreference;
  /**
   * Resume: reuse the finished models in `<out>/models` trained with the same model, dataset and settings (seed,
   * rate, schedule, loss, batch, step budget); continue a checkpoint whose run differs only in fewer steps;
   * train the others again (each choice is logged).
   */
  resume?: boolean;
  /** Checkpoint every N steps (0 = epoch ends). Default 0. */
  checkpointEvery?: number;
  /** Number of test chips shown as comparison panels. Default 2. */
  panels?: number;
  /** Write one SR GeoTIFF of a test scene with the best multi-frame model. Default true. */
  geotiff?: boolean;
  /** Skip dataset scenes with problems (reported). Default true. */
  skipInvalid?: boolean;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
  /** How scenes are assigned to train/val/test. Default 'csv' (the split CSV). */
  splitMode?: SplitMode;
  /** Validate on the val split after every epoch (for the curves). Default true. */
  validate?: boolean;
  /**
   * Models trained at the same time, each in a worker thread with its own TF.js backend (wasm and cpu run one
   * thread per backend in Node, so this is how training uses several cores). `'auto'`: one per core, at most one
   * per model. Default 1. Needs the built package; from TypeScript sources training stays sequential (logged).
   */
  workers?: number | 'auto';
  /** The worker script for `workers` > 1 (default: `train-worker.node.js` next to the bundle). */
  workerScript?: string;
  /**
   * Data-parallel steps for models trained in this thread (`trainModel`'s `dataParallel`). Default `'off'`, so
   * results compare bit for bit with model-parallel `workers`, which always train one thread per model; a worker
   * count above 1 together with `workers` above 1 is an `INVALID_ARGUMENT`.
   */
  dataParallel?: number | 'auto' | 'off';
}

/** One row of the results table. */
export interface BenchmarkRow {
  model: string;
  revisits: number;
  parameters: number;
  cpsnr: Record<RegistrationMode, number>;
  cssim: Record<RegistrationMode, number>;
  /** cPSNR minus the bicubic baseline's, per mode (0 for bicubic). */
  deltaBicubic: Record<RegistrationMode, number>;
  /** Training steps and seconds (absent for bicubic). */
  steps?: number;
  trainSeconds?: number;
  /**
   * Where the model came from (absent for bicubic): trained in this run, `continued` from a checkpoint of an
   * earlier run (resume, more steps), or `reused` finished weights of an earlier run with the same recipe.
   */
  training?: ModelOrigin;
}

/** How a benchmark run got a model (see {@link BenchmarkRow.training}). */
export type ModelOrigin = 'trained' | 'continued' | 'reused';

/** Result of the benchmark pipeline (JSON-serialisable; also written to `<out>/results.json`). */
export interface BenchmarkResult {
  dataset: string;
  synthetic: boolean;
  testScenes: string[];
  testChips: number;
  rows: BenchmarkRow[];
  /** The Markdown table (also `<out>/results.md`). */
  table: string;
  files: {
    results: string;
    table: string;
    report: string;
    panels: string[];
    curves: string[];
    models: string[];
    geotiff?: string;
    quicklook?: string;
  };
  seconds: number;
}

// a metric may be NaN (no chips) or infinite (a perfect PSNR): printed as `—` / `∞`, never `NaN`
const f2 = (x: number) => fixedOrDash(x, 2);
const f4 = (x: number) => fixedOrDash(x, 4);
const signed = (x: number) => (Number.isNaN(x) ? '—' : `${x >= 0 ? '+' : '−'}${fixedOrDash(Math.abs(x), 2)}`);

/**
 * Results-table rows from evaluation scores (the first score is the bicubic baseline the deltas refer to).
 *
 * @param scores - `evaluateModels` scores, bicubic first.
 * @param trained - steps and seconds per trained model (optional columns).
 * @returns one row per method.
 */
export function resultRows(
  scores: readonly MethodScores[],
  trained: ReadonlyMap<string, { steps: number; seconds: number; training?: ModelOrigin }> = new Map(),
): BenchmarkRow[] {
  const fn = 'resultRows';
  checkArray(fn, 'scores', scores);
  scores.forEach((s, i) => {
    checkObject(fn, `scores[${i}]`, s);
    checkString(fn, `scores[${i}].name`, s.name);
    checkNumber(fn, `scores[${i}].revisits`, s.revisits);
    checkNumber(fn, `scores[${i}].parameters`, s.parameters);
    for (const mode of ['worldstrat', 'centered'] as const) {
      checkObject(fn, `scores[${i}].${mode}`, s[mode]);
      checkNumber(fn, `scores[${i}].${mode}.psnr`, s[mode].psnr);
    }
  });
  checkWithMethods(fn, 'trained', trained, 'a Map of model names to { steps, seconds }', ['get']);
  for (const s of scores) {
    const t = trained.get(s.name);
    if (t === undefined || t === null) continue;
    checkObject(fn, `trained.get(${JSON.stringify(s.name)})`, t);
    checkNumber(fn, `trained.get(${JSON.stringify(s.name)}).seconds`, t.seconds);
    checkOptionalChoice(fn, `trained.get(${JSON.stringify(s.name)}).training`, t.training, [
      'trained',
      'continued',
      'reused',
    ]);
  }
  const base = scores[0];
  return scores.map((s) => {
    const t = trained.get(s.name);
    return {
      model: s.name,
      revisits: s.revisits,
      parameters: s.parameters,
      cpsnr: { worldstrat: s.worldstrat.psnr, centered: s.centered.psnr },
      cssim: { worldstrat: s.worldstrat.cssim, centered: s.centered.cssim },
      deltaBicubic: {
        worldstrat: s.worldstrat.psnr - base.worldstrat.psnr,
        centered: s.centered.psnr - base.centered.psnr,
      },
      ...(t ? { steps: t.steps, trainSeconds: Math.round(t.seconds) } : {}),
      ...(t?.training ? { training: t.training } : {}),
    };
  });
}

/**
 * The results as a Markdown table like the paper's (cPSNR in dB, cSSIM, both metric modes, Δ vs bicubic).
 *
 * @param rows - bicubic first, then the models.
 * @returns Markdown text.
 */
export function resultsMarkdown(rows: readonly BenchmarkRow[]): string {
  const fn = 'resultsMarkdown';
  checkArray(fn, 'rows', rows);
  rows.forEach((r, i) => {
    checkObject(fn, `rows[${i}]`, r);
    checkString(fn, `rows[${i}].model`, r.model);
    checkNumber(fn, `rows[${i}].revisits`, r.revisits);
    checkNumber(fn, `rows[${i}].parameters`, r.parameters);
    const members = r.parameters
      ? (['cpsnr', 'cssim', 'deltaBicubic'] as const)
      : (['cpsnr', 'cssim'] as const);
    for (const m of members) {
      checkObject(fn, `rows[${i}].${m}`, r[m]);
      checkNumber(fn, `rows[${i}].${m}.worldstrat`, r[m].worldstrat);
      checkNumber(fn, `rows[${i}].${m}.centered`, r[m].centered);
    }
  });
  const head =
    '| Model | Revisits | Params | cPSNR (worldstrat) | cSSIM (worldstrat) | cPSNR (centered) | cSSIM (centered) | Δ cPSNR vs bicubic (worldstrat / centered) |';
  const sep = '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const body = rows.map(
    (r) =>
      // the model name is the user's: a `|` or a line break in it would split the row
      `| ${markdownText(r.model)} | ${r.revisits || '—'} | ${r.parameters ? r.parameters.toLocaleString('en-US') : '—'} | ${f2(r.cpsnr.worldstrat)} | ${f4(r.cssim.worldstrat)} | ${f2(r.cpsnr.centered)} | ${f4(r.cssim.centered)} | ${r.parameters ? `${signed(r.deltaBicubic.worldstrat)} / ${signed(r.deltaBicubic.centered)}` : '—'} |`,
  );
  return [head, sep, ...body].join('\n');
}

function panelSvg(chip: PanelChip): string {
  const hrShape = [3, chip.hrSize, chip.hrSize] as const;
  const range = displayRange(chip.hr, hrShape);
  const size = chip.hrSize;
  const tiles: PanelImage[] = [
    {
      title: 'LR (revisit 1)',
      caption: `${chip.lrSize}×${chip.lrSize} px, 10 m`,
      image: resizeNearestRgb8(toRgb8(chip.lr, [3, chip.lrSize, chip.lrSize], { range }), size, size),
    },
    ...chip.methods.map((m) => ({
      title: m.name,
      caption: `cPSNR ${f2(m.psnr.centered)} dB · cSSIM ${m.cssim.centered.toFixed(3)}`,
      image: toRgb8(m.data, hrShape, { range }),
    })),
    { title: 'HR (target)', caption: `${size}×${size} px`, image: toRgb8(chip.hr, hrShape, { range }) },
  ];
  return comparisonPanelSvg(tiles, {
    tileSize: 208,
    title: `${chip.scene} · chip ${chip.chip} · predictions bias-adjusted · metrics: registered, centered`,
  });
}

function curvesSvgs(histories: { name: string; history: TrainHistory }[]): {
  loss: string;
  psnr: string | null;
} {
  const loss: CurveSeries[] = histories
    .filter((h) => h.history.steps.length > 0)
    .map((h) => ({ name: h.name, points: smooth(h.history.steps) }));
  const val: CurveSeries[] = histories
    .filter((h) => h.history.validation.length > 0)
    .map((h) => ({ name: h.name, points: h.history.validation.map((v) => [v.epoch + 1, v.psnr] as const) }));
  return {
    loss: trainingCurvesSvg(loss, {
      title: 'Training loss (registered, smoothed)',
      xLabel: 'step',
      yLabel: 'loss',
    }),
    psnr: val.length
      ? trainingCurvesSvg(val, { title: 'Validation cPSNR', xLabel: 'epoch', yLabel: 'cPSNR (dB)' })
      : null,
  };
}

/** Moving average over ~2 % of the steps (at least 1) so the curve is readable. */
function smooth(points: readonly [number, number][]): [number, number][] {
  const k = Math.max(1, Math.round(points.length / 50));
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= k) sum -= points[i - k][1];
    out.push([points[i][0], sum / Math.min(i + 1, k)]);
  }
  return out;
}

/** A finished model in the models folder: its weights, history and what it was trained with. */
async function loadFinished(
  out: string,
  spec: ModelSpec,
): Promise<{
  engineBytes: Uint8Array;
  weightsPath: string;
  history: TrainHistory;
  recipe: unknown;
  steps: number;
  seconds: number;
} | null> {
  const p = modelPaths(out, spec.name);
  if (!existsSync(p.weights) || !existsSync(p.history)) return null;
  const record = await readTrainRecord(p.history);
  const want = resolveModelConfig(spec.config);
  if (JSON.stringify(record.config) !== JSON.stringify(want)) return null;
  return {
    engineBytes: new Uint8Array(await readInputBytes(p.weights, 'trained weights', 2 ** 31 - 1)),
    weightsPath: p.weights,
    history: record.history,
    recipe: record.recipe,
    steps: record.steps,
    seconds: record.seconds,
  };
}

/**
 * What a resumed benchmark does with one model: reuse weights trained with exactly this recipe (model, dataset,
 * settings, step budget); continue a checkpoint whose run differs only in having fewer steps (as `train
 * --resume` does); otherwise train it again from the start. The choice and its reason go to the log.
 */
async function resumePlan(
  modelsDir: string,
  spec: ModelSpec,
  train: Omit<TrainModelOptions, 'dataset'>,
  dataset: WorldStratDataset,
  context: PipelineContext,
): Promise<{ finished?: FinishedModel; resume: boolean }> {
  const log = (m: string) => context.log?.(`${spec.name}: ${m}`);
  const want = await trainRecipe({ ...train, dataset, resume: false });
  const finished = await loadFinished(modelsDir, spec);
  const changed = finished ? recipeDifferences(finished.recipe, want) : [];
  if (finished && changed.length === 0) {
    log(
      `reusing finished weights in ${modelsDir} (${finished.steps} steps; same model, dataset and settings)`,
    );
    return { finished, resume: false };
  }
  const p = modelPaths(modelsDir, spec.name);
  const kept =
    existsSync(p.lastCheckpoint) && existsSync(p.keptHistory)
      ? await readTrainRecord(p.keptHistory).catch(() => undefined)
      : undefined;
  if (kept && kept.steps <= want.steps && recipeDifferences(kept.recipe, want, false).length === 0) {
    log(`continuing the checkpoint of step ${kept.steps} in ${p.checkpointDir} to ${want.steps} steps`);
    return { resume: true };
  }
  const why = finished
    ? `its weights in ${modelsDir} were trained with other settings (${changed.join(', ')})`
    : kept
      ? `its checkpoint in ${p.checkpointDir} was trained with other settings (${recipeDifferences(kept.recipe, want).join(', ')})`
      : `no finished weights or checkpoint of it in ${modelsDir}`;
  log(`training from the start: ${why}`);
  return { resume: false };
}

/**
 * Train the models that need training (`pending`) in worker threads when `options.workers` asks for more than
 * one and the built worker script exists; otherwise train nothing here (the caller trains in the main thread).
 *
 * @returns names of the models trained in workers (their files are in the models folder).
 */
async function trainSpecsInWorkers(
  options: BenchmarkOptions,
  pending: readonly ModelSpec[],
  open: TrainJob['open'],
  trainOptions: (spec: ModelSpec) => Omit<TrainModelOptions, 'dataset'>,
  context: PipelineContext,
): Promise<Set<string>> {
  const workers =
    options.workers === 'auto' ? defaultTrainWorkers(pending.length) : Math.floor(options.workers ?? 1);
  if (workers <= 1 || pending.length <= 1) return new Set();
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') {
    context.log?.(`training one model at a time: worker threads are for the CPU backends, not ${backend}`);
    return new Set();
  }
  const script = options.workerScript ?? trainWorkerScript();
  if (!script) {
    context.log?.('training one model at a time: parallel training needs the built package (pnpm build)');
    return new Set();
  }
  context.log?.(
    `training ${pending.map((s) => s.name).join(', ')} in ${Math.min(workers, pending.length)} worker threads`,
  );
  await trainInWorkers(
    pending.map((spec) => ({ root: options.root, open, train: trainOptions(spec) })),
    { workers, script },
    context,
  );
  return new Set(pending.map((s) => s.name));
}

/**
 * Entry checks of {@link runBenchmark}: the members' types, before the dataset is opened or a file written
 * (ranges are checked where the values are used).
 */
function checkBenchmarkOptions(options: BenchmarkOptions): void {
  const fn = 'runBenchmark';
  checkObject(fn, 'options', options);
  checkString(fn, 'options.root', options.root);
  checkString(fn, 'options.out', options.out);
  if (options.models !== undefined && options.models !== null) {
    checkArray(fn, 'options.models', options.models);
    for (const [i, m] of options.models.entries()) checkModelSpec(fn, `options.models[${i}]`, m);
  }
  for (const k of ['hiddenChannels', 'dropout'] as const) checkOptionalFinite(fn, `options.${k}`, options[k]);
  checkTrainingNumbers(fn, options as unknown as Record<string, unknown>);
  checkOptionalInteger(fn, 'options.panels', options.panels, 0, 10_000);
  if (options.workers !== 'auto') checkOptionalNumber(fn, 'options.workers', options.workers, 0, 1_000_000);
  if (typeof options.dataParallel !== 'string')
    checkOptionalFinite(fn, 'options.dataParallel', options.dataParallel);
  checkOptionalString(fn, 'options.workerScript', options.workerScript);
  checkOptionalString(fn, 'options.backend', options.backend);
  checkOptionalChoice(fn, 'options.lossMode', options.lossMode, ['worldstrat', 'centered']);
  checkOptionalString(fn, 'options.splitMode', options.splitMode);
  checkOptionalObject(fn, 'options.readLimits', options.readLimits);
}

/**
 * Run the benchmark: train → evaluate (test split, both modes, vs bicubic) → table, panels, curves, GeoTIFF,
 * report. Every file is written atomically; with `resume` a rerun reuses finished models and continues an
 * interrupted one from its last checkpoint.
 *
 * @param options - dataset, output, models, schedule.
 * @param context - signal, progress, log.
 * @returns rows, table and the files written.
 */
export async function runBenchmark(
  options: BenchmarkOptions,
  context: PipelineContext = {},
): Promise<BenchmarkResult> {
  context = checkContext('runBenchmark', context);
  checkBenchmarkOptions(options);
  throwIfAborted(context.signal);
  const t0 = performance.now();
  const specs = options.models ?? benchmarkModels(options.hiddenChannels ?? 128, options.dropout ?? 0.5);
  if (specs.length === 0) throw new WorldStratError('INVALID_ARGUMENT', 'benchmark needs at least one model');
  const modelParallel = options.workers !== undefined && options.workers !== 1;
  if (modelParallel && typeof options.dataParallel === 'number' && options.dataParallel > 1)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--data-parallel ${options.dataParallel} with --workers ${options.workers}: model-parallel training runs one thread per model; use one of them`,
    );
  const revisits = Math.max(...specs.map((s) => s.config.revisits));
  const dataset = await openDataset(options.root, {
    revisits,
    skipInvalid: options.skipInvalid ?? true,
    cacheScenes: 512,
    readLimits: options.readLimits,
    signal: context.signal,
    onProblem: (p) => context.log?.(`skipped: ${p.message}`),
  });
  const synthetic = existsSync(join(options.root, 'synthetic.json'));
  const out = options.out;
  const modelsDir = join(out, 'models');
  await makeFolder('models folder', modelsDir);
  const planned = benchmarkTrainOptions(options, modelsDir);
  // With resume: finished models of an earlier run trained with this recipe (read once here and reused below),
  // and which models continue their checkpoint rather than start again.
  const finished = new Map<string, FinishedModel>();
  const continued = new Set<string>();
  if (options.resume)
    for (const spec of specs) {
      const plan = await resumePlan(modelsDir, spec, planned(spec), dataset, context);
      if (plan.finished) finished.set(spec.name, plan.finished);
      if (plan.resume) continued.add(spec.name);
    }
  const trainOptions = (spec: ModelSpec) => ({ ...planned(spec), resume: continued.has(spec.name) });
  const inWorkers = await trainSpecsInWorkers(
    options,
    specs.filter((s) => !finished.has(s.name)),
    { revisits, skipInvalid: options.skipInvalid ?? true, cacheScenes: 512, readLimits: options.readLimits },
    trainOptions,
    context,
  );
  const models: BenchmarkModels = { engines: [], histories: [], trained: new Map(), files: [] };
  try {
    for (const spec of specs) {
      throwIfAborted(context.signal);
      await addBenchmarkModel(
        models,
        spec,
        { dataset, modelsDir, finished, inWorkers, trainOptions, options },
        context,
      );
    }
    const ev = await evaluateModels(
      {
        dataset,
        models: models.engines,
        scenes: 'test',
        ...(options.splitMode !== undefined ? { splitMode: options.splitMode } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        panelChips: Array.from({ length: options.panels ?? 2 }, (_, i) => [i, 4] as [number, number]),
      },
      context,
    );
    const rows = resultRows(ev.scores, models.trained);
    const figures = await writeBenchmarkFigures(out, ev.panels, models.histories);
    const sr =
      options.geotiff !== false
        ? await writeBenchmarkGeoTiff(rows, models.engines, dataset, options, context)
        : {};
    const result: BenchmarkResult = {
      dataset: options.root,
      synthetic,
      testScenes: ev.scenes,
      testChips: ev.chips,
      rows,
      table: resultsMarkdown(rows),
      files: {
        results: join(out, 'results.json'),
        table: join(out, 'results.md'),
        report: join(out, 'report.html'),
        panels: figures.panels,
        curves: figures.curves,
        models: models.files,
        ...(sr.geotiff ? { geotiff: sr.geotiff } : {}),
        ...(sr.quicklook ? { quicklook: sr.quicklook } : {}),
      },
      seconds: (performance.now() - t0) / 1000,
    };
    await writeBenchmarkReport(result, ev);
    return result;
  } finally {
    for (const e of models.engines) e.engine.dispose();
  }
}

/** A finished model of an earlier run (see {@link loadFinished}). */
type FinishedModel = NonNullable<Awaited<ReturnType<typeof loadFinished>>>;

/** The models of a benchmark run as they become ready: engines, training histories, step counts, files. */
interface BenchmarkModels {
  engines: { name: string; engine: InferenceEngine }[];
  histories: { name: string; history: TrainHistory }[];
  trained: Map<string, { steps: number; seconds: number; training: ModelOrigin }>;
  files: string[];
}

/** The training options of one model of the benchmark (everything but the dataset). */
function benchmarkTrainOptions(
  options: BenchmarkOptions,
  modelsDir: string,
): (spec: ModelSpec) => Omit<TrainModelOptions, 'dataset'> {
  return (spec) => ({
    spec,
    out: modelsDir,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.microBatchSize !== undefined ? { microBatchSize: options.microBatchSize } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.cosineT0 !== undefined ? { cosineT0: options.cosineT0 } : {}),
    ...(options.cosineDecaySteps !== undefined ? { cosineDecaySteps: options.cosineDecaySteps } : {}),
    ...(options.lossMode !== undefined ? { lossMode: options.lossMode } : {}),
    seed: options.seed ?? 0,
    backend: options.backend ?? 'wasm',
    dataParallel: options.dataParallel ?? 'off',
    resume: false,
    checkpointEvery: options.checkpointEvery ?? 0,
    ...(options.splitMode !== undefined ? { splitMode: options.splitMode } : {}),
    ...(options.validate !== undefined ? { validate: options.validate } : {}),
  });
}

/** Where {@link addBenchmarkModel} finds or trains a model. */
interface ModelSources {
  dataset: Awaited<ReturnType<typeof openDataset>>;
  modelsDir: string;
  finished: ReadonlyMap<string, FinishedModel>;
  inWorkers: ReadonlySet<string>;
  trainOptions: (spec: ModelSpec) => Omit<TrainModelOptions, 'dataset'>;
  options: BenchmarkOptions;
}

/**
 * Stage: one model ready for evaluation: reuse finished weights (an earlier run, or a training worker of this
 * one), or train it here.
 */
async function addBenchmarkModel(
  models: BenchmarkModels,
  spec: ModelSpec,
  { dataset, modelsDir, finished, inWorkers, trainOptions, options }: ModelSources,
  context: PipelineContext,
): Promise<void> {
  const { engines, histories, trained } = models;
  const done =
    finished.get(spec.name) ?? (inWorkers.has(spec.name) ? await loadFinished(modelsDir, spec) : null);
  if (inWorkers.has(spec.name) && !done)
    throw new WorldStratError(
      'TRAINING_FAILED',
      `${spec.name}: the training worker finished but ${modelsDir} holds no matching weights and history`,
    );
  const origin: ModelOrigin =
    inWorkers.has(spec.name) || !done ? (trainOptions(spec).resume ? 'continued' : 'trained') : 'reused';
  if (done) {
    const { stateDict, config } = stateDictFromSafetensors(done.engineBytes, {
      name: done.weightsPath,
    });
    const cfg = { ...config, outputSize: resolveModelConfig(spec.config).outputSize };
    engines.push({
      name: spec.name,
      engine: await createTfjsEngine(cfg, stateDict, { backend: options.backend ?? 'wasm' }),
    });
    histories.push({ name: spec.name, history: done.history });
    trained.set(spec.name, { steps: done.steps, seconds: done.seconds, training: origin });
  } else {
    context.log?.(`${spec.name}: training (${spec.config.kind}, R=${spec.config.revisits})`);
    const r = await trainModel({ dataset, ...trainOptions(spec) }, context);
    try {
      engines.push({
        name: spec.name,
        engine: await createTfjsEngine(r.config, await exportStateDict(r.model)),
      });
    } finally {
      r.model.dispose();
    }
    histories.push({ name: spec.name, history: r.history });
    trained.set(spec.name, { steps: r.steps, seconds: r.seconds, training: origin });
    context.log?.(`${spec.name}: ${r.steps} steps in ${r.seconds.toFixed(0)} s`);
  }
  models.files.push(join(modelsDir, `${modelStem(spec.name)}.safetensors`));
}

/** Stage: the comparison panels and training curves as SVG + PNG. */
async function writeBenchmarkFigures(
  out: string,
  chips: readonly PanelChip[],
  histories: { name: string; history: TrainHistory }[],
): Promise<{ panels: string[]; curves: string[] }> {
  const panelsDir = join(out, 'panels');
  const panels: string[] = [];
  for (const chip of chips) {
    const p = await writePlot(join(panelsDir, `${chip.scene}-chip${chip.chip}`), panelSvg(chip));
    panels.push(p.png);
  }
  const curvesDir = join(out, 'curves');
  const svgs = curvesSvgs(histories);
  const curves = [(await writePlot(join(curvesDir, 'training-loss'), svgs.loss)).png];
  if (svgs.psnr) curves.push((await writePlot(join(curvesDir, 'validation-cpsnr'), svgs.psnr)).png);
  return { panels, curves };
}

/**
 * Stage: a whole test scene super-resolved by the best multi-frame model (else the best trained one) as
 * GeoTIFF + PNG quicklook.
 */
async function writeBenchmarkGeoTiff(
  rows: readonly BenchmarkRow[],
  engines: readonly { name: string; engine: InferenceEngine }[],
  dataset: Awaited<ReturnType<typeof openDataset>>,
  options: BenchmarkOptions,
  context: PipelineContext,
): Promise<{ geotiff?: string; quicklook?: string }> {
  const out = options.out;
  const mf = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.parameters > 0 && r.revisits > 1);
  const pick = (mf.length ? mf : rows.map((r, i) => ({ r, i })).filter(({ r }) => r.parameters > 0)).sort(
    (a, b) => b.r.cpsnr.centered - a.r.cpsnr.centered,
  )[0];
  const scene = dataset.split(options.splitMode ?? 'csv').test[0];
  if (pick && scene) {
    const entry = engines.find((e) => e.name === pick.r.model) as (typeof engines)[number];
    const scenesRead = await Promise.all(
      scene.lrPaths
        .slice(0, entry.engine.config.revisits)
        .map((p) => readGeoTiffFile(p, { signal: context.signal, limits: options.readLimits })),
    );
    const geotiff = join(out, 'sr', `${scene.name}_${modelStem(entry.name)}_sr.tif`);
    const quicklook = geotiff.replace(/\.tif$/, '.png');
    await makeFolder('SR folder', join(out, 'sr'));
    await superResolveToFile(scenesRead, geotiff, {
      engine: entry.engine,
      quicklookPath: quicklook,
      signal: context.signal,
      onProgress: (p) => context.onProgress?.({ stage: `sr:${p.stage}`, done: p.done, total: p.total }),
    });
    context.log?.(`SR GeoTIFF (${entry.name}): ${geotiff}`);
    return { geotiff, quicklook };
  }
  return {};
}

/** Stage: results.md, results.json and the HTML report (each written atomically). */
async function writeBenchmarkReport(
  result: BenchmarkResult,
  ev: { scenes: readonly string[]; skipped: readonly string[]; chips: number },
): Promise<void> {
  const { rows, table, synthetic } = result;
  const {
    results: resultsPath,
    table: tablePath,
    report: reportPath,
    panels,
    curves,
    geotiff,
    quicklook,
  } = result.files;
  const modelFiles = result.files.models;
  const out = dirname(resultsPath);
  const rel = (p: string) => relative(out, p);
  const noteWith = (skipped: string) =>
    `Test split: ${ev.scenes.length} scenes${ev.skipped.length ? ` (${ev.skipped.length} unreadable, skipped: ${skipped})` : ''}, ${ev.chips} chips of 50×50 LR → 156×156 HR. cPSNR/cSSIM are shift-registered (±2 px, 0.5 px steps, bias-adjusted), means over chips; "worldstrat" mode uses upstream's crop, "centered" the symmetric one. Bicubic = revisit 1 upsampled (PyTorch bicubic, reflectance).`;
  const note = noteWith(ev.skipped.join(', '));
  // scene names in the note come from folder names: escaped for Markdown (the HTML report escapes its own)
  const mdNote = noteWith(ev.skipped.map(markdownText).join(', '));
  await writeFileAtomic(
    tablePath,
    `${synthetic ? '**SYNTHETIC DATA** (generated by `worldstrat synth`; not real imagery)\n\n' : ''}${table}\n\n${mdNote}\n`,
  );
  await writeFileAtomic(resultsPath, `${JSON.stringify(result, null, 2)}\n`);
  const sections: ReportSection[] = [
    {
      heading: 'Results',
      text: note,
      table: {
        header: [
          'Model',
          'Revisits',
          'Params',
          'cPSNR ws',
          'cSSIM ws',
          'cPSNR centered',
          'cSSIM centered',
          'Δ vs bicubic (centered)',
        ],
        rows: rows.map((r) => [
          r.model,
          r.revisits || '—',
          r.parameters || '—',
          f2(r.cpsnr.worldstrat),
          f4(r.cssim.worldstrat),
          f2(r.cpsnr.centered),
          f4(r.cssim.centered),
          r.parameters ? signed(r.deltaBicubic.centered) : '—',
        ]),
      },
      links: [
        { href: rel(resultsPath), text: 'results.json' },
        { href: rel(tablePath), text: 'results.md' },
        ...modelFiles.map((m) => ({ href: rel(m), text: rel(m) })),
      ],
    },
    {
      heading: 'Comparison panels (test chips)',
      images: panels.map((p) => ({ src: rel(p), alt: rel(p), caption: 'LR · bicubic · models · HR' })),
    },
    { heading: 'Training curves', images: curves.map((p) => ({ src: rel(p), alt: rel(p) })) },
  ];
  if (geotiff && quicklook)
    sections.push({
      heading: 'Super-resolved scene',
      images: [{ src: rel(quicklook), alt: 'SR quicklook', caption: 'whole test scene, 2–98 % stretch' }],
      links: [{ href: rel(geotiff), text: rel(geotiff) }],
    });
  await writeFileAtomic(
    reportPath,
    htmlReport('WorldStrat benchmark', sections, {
      generatedAt: new Date().toISOString(),
      ...(synthetic ? { banner: 'SYNTHETIC DATA — not real imagery' } : {}),
    }),
  );
}

/** The `benchmark` pipeline (see {@link runBenchmark}). */
export const benchmarkPipeline = definePipeline<BenchmarkOptions, BenchmarkResult>({
  name: 'benchmark',
  description:
    'train SRCNN-SI, SRCNN-MF and HighRes-net, evaluate vs bicubic (registered cPSNR/cSSIM), report',
  run: runBenchmark,
});
