import { describeValue, natCompare } from '@worldstrat/core';
import { StratifyError } from '../errors.js';
import { checkOptions, invalidArgument } from '../internal/check-arguments.js';
import { randperm } from '../random/mt19937.js';

/** Options of {@link paperSplit}. */
export interface PaperSplitOptions {
  /** `data_split_seed` (default 386564310, the benchmark's; upstream's code default is 42). */
  seed?: number;
  /**
   * M, the number of entries of `<root>/hr_dataset` on the machine that trained (upstream takes the split
   * sizes from `len(os.listdir(...))`, not from the list). Default: the number of names. The released
   * benchmark used M = 3929 (see {@link PAPER_SPLIT}).
   */
  directoryCount?: number;
  /** Override the counts (upstream `--train_split/--val_split/--test_split`). */
  trainCount?: number;
  valCount?: number;
  testCount?: number;
}

/** The exact parameters of the published WorldStrat benchmark split. */
export const PAPER_SPLIT = Object.freeze({ seed: 386564310, directoryCount: 3929 });

/** What {@link paperSplit} returns; names keep upstream's duplicates. */
export interface PaperSplit {
  train: string[];
  val: string[];
  test: string[];
  /** Shuffled scenes past train + val + test (upstream never uses them). */
  unused: string[];
  /** The natsorted scene list (duplicates kept). */
  scenes: string[];
  /** The permutation: shuffled scene k is `scenes[permutation[k]]`. */
  permutation: number[];
  counts: { train: number; val: number; test: number };
}

/** The names as they come in (a CSV row too short to have one gives `undefined`): strings only. */
function checkNames(names: unknown): asserts names is readonly string[] {
  if (!Array.isArray(names)) throw new StratifyError('INVALID_ARGUMENT', 'names must be an array of strings');
  const i = names.findIndex((n) => typeof n !== 'string');
  if (i >= 0) {
    const n: unknown = names[i];
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `names[${i}] is ${n === null ? 'null' : Array.isArray(n) ? 'an array' : typeof n}, not a scene name`,
    );
  }
}

/**
 * Reproduces the train/val/test split the upstream training actually used: it ignores the
 * CSV's `split` column; the AOI list (duplicates kept) is natsorted as `<root>/hr_dataset/<aoi>/` paths,
 * shuffled by `torch.randperm(N)` with an MT19937 generator seeded with `seed`, and cut into
 * `int(0.8·M)`, `int(0.1·M)`, `int(0.1·M)` scenes, M = `directoryCount`. With
 * `paperSplit(tiles, PAPER_SPLIT)` on the 3 928 tiles of `stratified_train_val_test_split.csv` this gives
 * 3 143 / 392 / 392 scenes and leaves `Landcover-774999` unused, exactly as upstream.
 * @param names AOI names in CSV order (duplicates kept, as upstream).
 * @param options seed, directory count, count overrides.
 * @returns the three scene lists, the unused rest, and the permutation.
 * @throws StratifyError `INVALID_ARGUMENT` for bad counts or a name that is not a string (naming its index).
 * @example
 * const split = paperSplit(tiles, PAPER_SPLIT);
 * split.train[0]; // 'ASMSpotter-9-2-3'
 */
export function paperSplit(names: readonly string[], opts?: PaperSplitOptions): PaperSplit {
  checkNames(names);
  const options = checkOptions('paperSplit', opts);
  const seed = options.seed ?? PAPER_SPLIT.seed;
  if (typeof seed !== 'number')
    throw invalidArgument('paperSplit', 'options.seed', 'a non-negative integer', seed);
  const m = options.directoryCount ?? names.length;
  if (!Number.isSafeInteger(m) || m < 0) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `directoryCount must be a non-negative integer, got ${describeValue(m)}`,
    );
  }
  // Python int() truncates the float product, e.g. int(0.8 * 3929) = int(3143.2000000000003) = 3143.
  const train = options.trainCount ?? Math.trunc(0.8 * m);
  const val = options.valCount ?? Math.trunc(0.1 * m);
  const test = options.testCount ?? Math.trunc(0.1 * m);
  for (const [k, v] of Object.entries({ train, val, test })) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `${k} count must be a non-negative integer, got ${describeValue(v)}`,
      );
  }
  // The prefix `<root>/hr_dataset/` is common to all paths; the trailing '/' takes part in the comparison.
  const scenes = [...names].sort((a, b) => natCompare(`${a}/`, `${b}/`));
  const permutation = randperm(scenes.length, seed);
  const shuffled = permutation.map((i) => scenes[i]);
  const split = {
    train: shuffled.slice(0, train),
    val: shuffled.slice(train, train + val),
    test: shuffled.slice(train + val, train + val + test),
  };
  // the lists' own sizes: counts past the end of the list (a trainCount of 5 for 2 scenes) cut them short
  const counts = { train: split.train.length, val: split.val.length, test: split.test.length };
  return { ...split, unused: shuffled.slice(train + val + test), scenes, permutation, counts };
}
