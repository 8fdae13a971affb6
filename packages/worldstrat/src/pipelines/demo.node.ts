// `demo` pipeline (`pnpm demo`): synthetic mini-dataset → benchmark with small models on the CPU → table,
// panels, curves, SR GeoTIFF and report under out/demo/, plus the two checks the README promises.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DrawRevisitOptions } from '@worldstrat/dataset';
import {
  assignSplits,
  DEFAULT_SYNTHETIC_DATASET,
  generateSyntheticDataset,
  metadataCsvPath,
  splitCsvPath,
} from '@worldstrat/dataset/node';
import { throwIfAborted, WorldStratError } from '../errors.js';
import {
  checkArray,
  checkContext,
  checkNumber,
  checkObject,
  checkOptionalFinite,
  checkOptionalInteger,
  checkOptionalNumber,
  checkOptionalObject,
  checkOptionalString,
  checkOptions,
  checkStringList,
} from '../internal/check-arguments.js';
import {
  type BenchmarkOptions,
  type BenchmarkResult,
  benchmarkModels,
  runBenchmark,
} from './benchmark.node.js';
import { FLAT_REFERENCE_NAME } from './evaluate-models.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { syntheticOptions } from './synthetic-record.node.js';

/** Options of the demo. */
export interface DemoOptions {
  /** Output folder. Default 'out/demo' (dataset in `<out>/dataset`). */
  out?: string;
  /** Synthetic AOIs. Default 24. */
  aois?: number;
  /** HR side in px (1054 = release). Default 1054. */
  hrSize?: number;
  /** LR revisits per AOI (8 = Kaggle core, what the MF models use). Default 8. */
  revisits?: number;
  /** Seed of the synthetic data and of training. Default 0. */
  seed?: number;
  /** Hidden channels of the three models. Default 16. */
  hiddenChannels?: number;
  /** Optimiser steps per model. */
  steps?: number;
  /** Chips per batch. */
  batchSize?: number;
  /** Adam learning rate. */
  learningRate?: number;
  /** Anneal the rate per step to 0 over the run (half cosine). Default true; false = constant rate. */
  lrDecay?: boolean;
  /** Comparison panels. Default 2. */
  panels?: number;
  /** Write the SR GeoTIFF. Default true. */
  geotiff?: boolean;
  /** Random revisit parameters of the synthetic degradation (default: the generator's). */
  revisitOptions?: DrawRevisitOptions;
  /** Which of 'SRCNN-SI', 'SRCNN-MF', 'HighRes-net' to train. Default all three. */
  models?: readonly string[];
  /** Reuse finished models / checkpoints of a previous run in `out`. Default false. */
  resume?: boolean;
  /** Models trained at the same time in worker threads (see `BenchmarkOptions.workers`). Default 'auto'. */
  workers?: number | 'auto';
  /** Worker script override (see `BenchmarkOptions.workerScript`). */
  workerScript?: string;
}

/** The demo's defaults: ≈ a few minutes on 2 CPU cores with the wasm backend. */
export const DEMO_DEFAULTS = {
  out: 'out/demo',
  aois: 24,
  hrSize: 1054,
  revisits: 8,
  seed: 0,
  hiddenChannels: 16,
  steps: 120,
  batchSize: 4,
  learningRate: 5e-3,
  /**
   * Cosine decay of the rate to 0 over the run: at a constant 5e-3 the validation cPSNR still jumps by 2–3 dB
   * between epochs at step 120, so which model "wins" depended on where each trajectory stopped.
   */
  lrDecay: true,
  panels: 2,
  /** One worker thread per core (at most one per model): wasm trains on one core per backend in Node. */
  workers: 'auto' as number | 'auto',
  /**
   * The demo's degradation: noise σ 0.02 (5× the generator's default) and no clouds, so a few minutes of CPU
   * training can show the multi-frame gain (with σ 0.004 bicubic is already within the noise floor and needs
   * thousands of steps to beat; with clouds in 20 % of the revisits SRCNN-MF, which takes the first 8 revisits
   * unfiltered like upstream, trails SRCNN-SI by ~1 dB after 120 steps). Pass `revisitOptions` for cloudy data.
   */
  revisitOptions: { noiseSigma: 0.02, cloudProbability: 0 },
} as const;

/** The demo's claims, checked on the held-out (test) synthetic AOIs. */
export interface DemoChecks {
  /** Best multi-frame model's centered cPSNR minus bicubic's (dB). */
  multiFrameVsBicubic: number;
  /** Best multi-frame model's centered cPSNR minus SRCNN-SI's (dB). */
  multiFrameVsSingleImage: number;
  /** Best multi-frame model's centered cPSNR minus the flat (chip-mean) reference's (dB): > 0 = learned structure. */
  multiFrameVsFlat: number;
  /** multiFrameVsBicubic ≥ 1 dB. */
  multiFrameBeatsBicubicBy1dB: boolean;
  /** multiFrameVsSingleImage > 0. */
  multiFrameBeatsSingleImage: boolean;
}

/** Result of the demo. */
export interface DemoResult extends BenchmarkResult {
  datasetRoot: string;
  generatedDataset: boolean;
  checks: DemoChecks;
}

/**
 * Compute the demo checks from benchmark rows (bicubic, SRCNN-SI and the multi-frame models).
 *
 * @param rows - the benchmark's rows.
 * @returns the checks.
 */
export function demoChecks(rows: BenchmarkResult['rows']): DemoChecks {
  checkArray('demoChecks', 'rows', rows);
  rows.forEach((r, i) => {
    checkObject('demoChecks', `rows[${i}]`, r);
    checkNumber('demoChecks', `rows[${i}].parameters`, r.parameters);
    checkNumber('demoChecks', `rows[${i}].revisits`, r.revisits);
    checkObject('demoChecks', `rows[${i}].cpsnr`, r.cpsnr);
    checkNumber('demoChecks', `rows[${i}].cpsnr.centered`, r.cpsnr.centered);
  });
  const bicubic = rows.find((r) => r.model === 'Bicubic');
  const flat = rows.find((r) => r.model === FLAT_REFERENCE_NAME);
  const si = rows.find((r) => r.parameters > 0 && r.revisits === 1);
  const mf = rows.filter((r) => r.parameters > 0 && r.revisits > 1);
  const best = Math.max(...mf.map((r) => r.cpsnr.centered));
  const vsB = bicubic && mf.length ? best - bicubic.cpsnr.centered : Number.NaN;
  const vsSi = si && mf.length ? best - si.cpsnr.centered : Number.NaN;
  return {
    multiFrameVsBicubic: vsB,
    multiFrameVsSingleImage: vsSi,
    multiFrameVsFlat: flat && mf.length ? best - flat.cpsnr.centered : Number.NaN,
    multiFrameBeatsBicubicBy1dB: vsB >= 1,
    multiFrameBeatsSingleImage: vsSi > 0,
  };
}

/** Entry checks of {@link runDemo}: the members' types, before anything is read, generated or written. */
function checkDemoOptions(options: DemoOptions | undefined): void {
  const fn = 'runDemo';
  const o = checkOptions(fn, options);
  checkOptionalString(fn, 'options.out', o.out);
  for (const k of ['aois', 'hrSize', 'revisits', 'hiddenChannels', 'steps', 'batchSize'] as const)
    checkOptionalInteger(fn, `options.${k}`, o[k], 1, Number.MAX_SAFE_INTEGER);
  checkOptionalInteger(fn, 'options.panels', o.panels, 0, 10_000);
  checkOptionalFinite(fn, 'options.seed', o.seed);
  checkOptionalFinite(fn, 'options.learningRate', o.learningRate);
  checkOptionalObject(fn, 'options.revisitOptions', o.revisitOptions);
  if (o.models !== undefined && o.models !== null) checkStringList(fn, 'options.models', o.models);
  if (o.workers !== 'auto') checkOptionalNumber(fn, 'options.workers', o.workers, 0, 1_000_000);
  checkOptionalString(fn, 'options.workerScript', o.workerScript);
}

/** Train / val / test AOI counts of `aois` synthetic AOIs (the generator's split of the demo's datasets). */
function demoSplitCounts(aois: number): Record<'train' | 'val' | 'test', number> {
  const counts = { train: 0, val: 0, test: 0 };
  for (const s of assignSplits(aois, DEFAULT_SYNTHETIC_DATASET.splitFractions)) counts[s]++;
  return counts;
}

/** Most AOIs searched for the smallest usable count (the 80/10/10 split needs 7). */
const MAX_AOIS_SEARCHED = 1000;

/**
 * The demo trains on the train split and scores on the test split: refuse an AOI count that leaves either
 * empty before anything is generated or trained, naming the smallest count that works.
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the count, its split and the smallest usable count.
 */
export function checkDemoAois(aois: number): void {
  const usable = (c: Record<'train' | 'val' | 'test', number>) => c.train > 0 && c.test > 0;
  const c = demoSplitCounts(aois);
  if (usable(c)) return;
  let min = aois + 1;
  while (min < MAX_AOIS_SEARCHED && !usable(demoSplitCounts(min))) min++;
  const [tr, va, te] = DEFAULT_SYNTHETIC_DATASET.splitFractions.map((f) => Math.round(f * 100));
  throw new WorldStratError(
    'INVALID_ARGUMENT',
    `${aois} AOIs (--aois ${aois}) split ${tr}/${va}/${te} into ${c.train} train, ${c.val} val and ${c.test} test AOIs; the demo trains on train and scores on test, so neither may be empty: use at least ${min} AOIs (--aois ${min})`,
  );
}

/**
 * Whether `datasetRoot` holds a finished synthetic dataset generated with `wanted` and `revisitOptions`.
 * `synthetic.json` is written last (and removed first by an overwrite), so a generation cut short is never taken.
 */
export async function reusableSyntheticDataset(
  datasetRoot: string,
  wanted: Record<string, unknown>,
  revisitOptions: object,
): Promise<boolean> {
  const record = join(datasetRoot, 'synthetic.json');
  if (![record, metadataCsvPath(datasetRoot), splitCsvPath(datasetRoot)].every((p) => existsSync(p)))
    return false;
  const params = await syntheticOptions(record);
  return (
    Object.entries(wanted).every(([k, v]) => params[k] === v) &&
    JSON.stringify(params.revisitOptions ?? null) === JSON.stringify({ ...revisitOptions })
  );
}

/**
 * Run the demo: generate (or reuse) the synthetic dataset, then the benchmark with small models.
 *
 * @param options - sizes, seed, schedule.
 * @param context - signal, progress, log.
 * @returns the benchmark result plus the demo checks.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for an AOI count whose split leaves no train or test AOI (before
 *   anything is generated); the errors of the generator and the benchmark.
 */
export async function runDemo(options: DemoOptions = {}, context: PipelineContext = {}): Promise<DemoResult> {
  checkDemoOptions(options);
  context = checkContext('runDemo', context);
  throwIfAborted(context.signal);
  // an `out` left undefined (or null) is the default folder, not a crash in join()
  const o = { ...DEMO_DEFAULTS, ...options, out: options?.out ?? DEMO_DEFAULTS.out };
  checkDemoAois(o.aois);
  const datasetRoot = join(o.out, 'dataset');
  const wanted = { aois: o.aois, revisits: o.revisits, hrSize: o.hrSize, seed: o.seed };
  let generated = false;
  const reuse = await reusableSyntheticDataset(datasetRoot, wanted, o.revisitOptions);
  if (reuse) context.log?.(`reusing the synthetic dataset in ${datasetRoot}`);
  else {
    context.log?.(
      `generating ${o.aois} synthetic AOIs (${o.revisits} revisits, HR ${o.hrSize}²) in ${datasetRoot}`,
    );
    await generateSyntheticDataset(datasetRoot, {
      ...wanted,
      overwrite: true,
      revisitOptions: { ...o.revisitOptions },
      ...(context.signal ? { signal: context.signal } : {}),
      onProgress: (p) => context.onProgress?.(p),
    });
    generated = true;
  }
  const bench: BenchmarkOptions = {
    root: datasetRoot,
    out: o.out,
    models: benchmarkModels(o.hiddenChannels, 0).filter((m) => !o.models || o.models.includes(m.name)),
    maxSteps: o.steps,
    epochs: 1000,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    cosineT0: false,
    ...(o.lrDecay ? { cosineDecaySteps: o.steps } : {}),
    lossMode: 'centered',
    seed: o.seed,
    backend: 'wasm',
    panels: o.panels,
    resume: Boolean(o.resume),
    workers: o.workers,
    ...(o.workerScript !== undefined ? { workerScript: o.workerScript } : {}),
    ...(o.geotiff === false ? { geotiff: false } : {}),
  };
  const result = await runBenchmark(bench, context);
  return { ...result, datasetRoot, generatedDataset: generated, checks: demoChecks(result.rows) };
}

/** The `demo` pipeline (see {@link runDemo}). */
export const demoPipeline = definePipeline<DemoOptions, DemoResult>({
  name: 'demo',
  description: 'synthetic mini-dataset → SRCNN-SI / SRCNN-MF / HighRes-net vs bicubic on the CPU → out/demo/',
  run: runDemo,
});
