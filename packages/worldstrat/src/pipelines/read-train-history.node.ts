// Reading back a training history JSON (`<stem>.history.json`): the file may have been edited, cut short or
// replaced, so every member is checked before it is handed out as a TrainHistory.
import type { ValidationSummary } from '@worldstrat/srnet';
import { WorldStratError } from '../errors.js';
import { readInputText } from './read-input.node.js';
import type { TrainHistory } from './train-model.node.js';

/** Largest history file read (a million logged steps take ≈ 25 MB). */
const MAX_HISTORY_BYTES = 256 * 1024 * 1024;

type Fail = (where: string, what: string) => never;

/**
 * A finite number, or NaN where the writer's JSON turned a NaN loss into `null`. JSON.parse reads `1e999` as
 * Infinity, which the writer would save back as `null`: refused here rather than changed on the next resume.
 */
function metric(v: unknown, where: string, fail: Fail): number {
  if (v === null) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'is not a finite number');
  return v as number;
}

function count(v: unknown, where: string, fail: Fail): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) fail(where, 'is not a count (an integer ≥ 0)');
  return v as number;
}

function list(v: unknown, where: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) fail(where, 'is not an array');
  return v as unknown[];
}

function record(v: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'is not an object');
  return v as Record<string, unknown>;
}

const VALIDATION_METRICS = ['loss', 'mse', 'mae', 'ssimLoss', 'psnr', 'cssim'] as const;
const BASELINE_METRICS = ['psnr', 'ssimLoss', 'loss', 'mse', 'mae'] as const;

function validationSummary(v: unknown, where: string, fail: Fail): ValidationSummary {
  const o = record(v, where, fail);
  const summary = {
    epoch: count(o.epoch, `${where}.epoch`, fail),
    step: count(o.step, `${where}.step`, fail),
    count: count(o.count, `${where}.count`, fail),
  } as ValidationSummary;
  for (const k of VALIDATION_METRICS) summary[k] = metric(o[k], `${where}.${k}`, fail);
  if (o.baseline !== undefined) {
    const b = record(o.baseline, `${where}.baseline`, fail);
    const baseline = {} as NonNullable<ValidationSummary['baseline']>;
    for (const k of BASELINE_METRICS) baseline[k] = metric(b[k], `${where}.baseline.${k}`, fail);
    summary.baseline = baseline;
  }
  return summary;
}

/** Check a parsed history document member by member; `fail` names the member. */
function parseTrainHistory(doc: unknown, fail: Fail): TrainHistory {
  const h = record(record(doc, '$', fail).history, '$.history', fail);
  const epochs = list(h.epochs, '$.history.epochs', fail).map((e, i) => {
    const at = `$.history.epochs[${i}]`;
    const o = record(e, at, fail);
    return {
      epoch: count(o.epoch, `${at}.epoch`, fail),
      step: count(o.step, `${at}.step`, fail),
      loss: metric(o.loss, `${at}.loss`, fail),
    };
  });
  const steps = list(h.steps, '$.history.steps', fail).map((s, i): [number, number] => {
    const at = `$.history.steps[${i}]`;
    const pair = list(s, at, fail);
    if (pair.length !== 2) fail(at, 'is not a [step, loss] pair');
    return [count(pair[0], `${at}[0]`, fail), metric(pair[1], `${at}[1]`, fail)];
  });
  const validation = list(h.validation, '$.history.validation', fail).map((v, i) =>
    validationSummary(v, `$.history.validation[${i}]`, fail),
  );
  return { epochs, steps, validation };
}

/** What a history file holds besides the history: the run's config, recipe, step count and seconds. */
export interface TrainRecord {
  config: unknown;
  /** The run's training settings (`TrainRecipe`) as recorded; absent in files of older versions. */
  recipe: unknown;
  steps: number;
  seconds: number;
  history: TrainHistory;
}

/**
 * Read a history JSON written by `trainModel` whole.
 *
 * @throws {WorldStratError} `UNREADABLE_FILE` as {@link readTrainHistory}.
 */
export async function readTrainRecord(path: string): Promise<TrainRecord> {
  const unreadable = (what: string, cause?: unknown): never => {
    throw new WorldStratError('UNREADABLE_FILE', `training history ${path}: ${what}`, { cause });
  };
  let text: string;
  try {
    text = await readInputText(path, 'training history', MAX_HISTORY_BYTES);
  } catch (e) {
    // Missing or not a regular file: both unreadable histories here (the message names the file).
    throw new WorldStratError('UNREADABLE_FILE', (e as Error).message, { cause: e });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return unreadable(`not JSON (${(e as Error).message})`, e);
  }
  const fail: Fail = (where, what) => unreadable(`${where} ${what}`);
  const o = record(doc, '$', fail);
  if (typeof o.seconds !== 'number' || !(o.seconds >= 0) || !Number.isFinite(o.seconds))
    fail('$.seconds', 'is not a duration in seconds');
  return {
    config: o.config,
    recipe: o.recipe,
    steps: count(o.steps, '$.steps', fail),
    seconds: o.seconds as number,
    history: parseTrainHistory(doc, fail),
  };
}

/**
 * Read the history of a history JSON written by `trainModel`.
 *
 * @param path - the `<stem>.history.json` file.
 * @returns its history; losses the writer saved as `null` (NaN) come back as NaN.
 * @throws {WorldStratError} `UNREADABLE_FILE` naming the file and the member that is missing or of the wrong
 *   type (or: not readable, not JSON, larger than 256 MiB).
 */
export async function readTrainHistory(path: string): Promise<TrainHistory> {
  return (await readTrainRecord(path)).history;
}
