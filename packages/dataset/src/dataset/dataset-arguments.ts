// Argument checks of WorldStratDataset's methods (split, batches, loadScene): JavaScript callers and JSON
// configs pass whatever they have; each check throws DatasetError `INVALID_ARGUMENT` naming the method, the
// argument and the value, where a plain TypeError, core's seed error or a silently empty split came out before.
import {
  argumentError,
  checkArrayArgument,
  checkInteger,
  checkObject,
  checkOptions,
  checkSignalAndCallbacks,
  checkString,
} from '../internal/check-arguments.js';
import type { SceneEntry, SplitName } from './scan-dataset.node.js';

const SPLIT_NAMES: readonly string[] = ['train', 'val', 'test'];

/** `mode.paper` as paper-split options, or null when `mode` is not the `{ paper: options }` form. */
export function paperModeOptions(mode: unknown): object | null {
  if (typeof mode !== 'object' || mode === null || !('paper' in mode)) return null;
  const paper = (mode as { paper: unknown }).paper;
  // `{ paper: 'train' }` stays a name → split map (a scene may be called "paper")
  return typeof paper === 'object' && paper !== null && !Array.isArray(paper) ? paper : null;
}

/**
 * A split mode other than the paper forms: `'csv'`, `'all'` or a name → split map whose every value is a split.
 * An unknown mode string used to give three empty splits, a bad map value a TypeError.
 */
export function checkSplitMode(mode: unknown): 'csv' | 'all' | Readonly<Record<string, SplitName>> {
  if (mode === 'csv' || mode === 'all') return mode;
  const what = "'csv', 'all', 'paper', { paper: options } or a scene name → 'train' | 'val' | 'test' map";
  if (typeof mode !== 'object' || mode === null || Array.isArray(mode))
    throw argumentError('split', 'mode', what, mode);
  for (const [name, split] of Object.entries(mode))
    if (typeof split !== 'string' || !SPLIT_NAMES.includes(split))
      throw argumentError('split', `mode[${JSON.stringify(name)}]`, "'train', 'val' or 'test'", split);
  return mode as Readonly<Record<string, SplitName>>;
}

/** A scene as {@link loadScene} reads it (its HR and LR paths; the mask paths when masks are loaded). */
export function checkSceneEntry(fn: string, name: string, value: unknown, masks: boolean): SceneEntry {
  const s = checkObject(fn, name, value) as Record<string, unknown>;
  checkString(fn, `${name}.hrPath`, s.hrPath, true);
  // no revisit (or a mask list of another length) used to fail inside the stacking as "Cannot destructure …",
  // reported as an unreadable file
  const lr = checkPaths(fn, `${name}.lrPaths`, s.lrPaths, 'a non-empty array of paths', (n) => n > 0);
  if (masks)
    checkPaths(fn, `${name}.lrcPaths`, s.lrcPaths, `${lr} paths (one mask per revisit)`, (n) => n === lr);
  return value as SceneEntry;
}

/** An array of non-empty path strings whose length passes `ok`; its length. */
function checkPaths(
  fn: string,
  name: string,
  value: unknown,
  what: string,
  ok: (n: number) => boolean,
): number {
  const paths = checkArrayArgument(fn, name, value as readonly unknown[]);
  if (!ok(paths.length)) throw argumentError(fn, name, what, value);
  for (const [i, p] of paths.entries()) checkString(fn, `${name}[${i}]`, p, true);
  return paths.length;
}

/** `batches`' first argument: a split name or a list of scenes. */
export function checkBatchSource(which: unknown, masks: boolean): SplitName | SceneEntry[] {
  if (typeof which === 'string' && SPLIT_NAMES.includes(which)) return which as SplitName;
  if (!Array.isArray(which))
    throw argumentError('batches', 'which', "'train', 'val', 'test' or a list of scenes", which);
  return which.map((s, i) => checkSceneEntry('batches', `which[${i}]`, s, masks));
}

/** `batches`' options with their numbers checked; the seeds of the two generators are safe integers. */
interface CheckedBatchOptions {
  batchSize: number;
  prefetch: number;
  shuffleScenes: number;
  /** Seed mixed with the epoch (order generator; the augmentation generator adds 104 729). */
  seed: number;
}

/** The augmentation generator's seed offset from the order generator's. */
export const AUGMENT_SEED_OFFSET = 104_729;

/** Check `batches`' options (absent → defaults; a boolean option must be a boolean). */
export function checkBatchOptions(options: unknown): CheckedBatchOptions {
  const o = checkOptions('batches', options as object | undefined) as Record<string, unknown>;
  const int = (key: string, fallback: number, min: number, max?: number): number =>
    o[key] === undefined ? fallback : checkInteger('batches', `options.${key}`, o[key], min, max);
  for (const key of ['shuffle', 'augment', 'compat', 'dropLast'])
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      throw argumentError('batches', `options.${key}`, 'a boolean', o[key]);
  checkSignalAndCallbacks('batches', o);
  const seed = int('seed', 0, 0, Number.MAX_SAFE_INTEGER);
  const epoch = int('epoch', 0, 0, Number.MAX_SAFE_INTEGER);
  const mixed = seed + 7919 * epoch;
  // both generators' seeds must stay safe integers (core refuses larger ones with its own error)
  const most = Number.MAX_SAFE_INTEGER - AUGMENT_SEED_OFFSET;
  if (!(mixed <= most))
    throw argumentError('batches', 'options.seed + 7919 × options.epoch', `at most ${most}`, mixed);
  return {
    batchSize: int('batchSize', 16, 1),
    // 0 worked before (one scene ahead); NaN used to load nothing and yield no batch
    prefetch: Math.max(1, int('prefetch', 2, 0)),
    shuffleScenes: Math.max(1, int('shuffleScenes', 4, 0)),
    seed: mixed,
  };
}
