import { createRng, type Rng } from '@worldstrat/core';
import { StratifyError } from '../errors.js';
import { checkArray, checkFunction, checkObject, checkSeed } from '../internal/check-arguments.js';

/** Split names. */
export type SplitName = 'train' | 'val' | 'test';

/** Options of {@link stratifiedSplit}. */
export interface StratifiedSplitOptions<T> {
  /** Unique name of a row (duplicates are removed and reported). */
  nameOf: (row: T) => string;
  /** Stratum of a row, e.g. `${source}/${IPCC}/${SMOD}` (upstream's `joint_class`). */
  classOf: (row: T) => string;
  /**
   * Group of a row: rows of one group always land in the same split (default: the row's `parent` field when
   * it is a string, else its name) — tiles of one 22.5 km² parent never straddle splits.
   */
  groupOf?: (row: T) => string;
  /** train / val / test fractions (default 0.8 / 0.1 / 0.1; must sum to 1). */
  fractions?: readonly [number, number, number];
  /** Seed of the shuffle (geo-sampling's `createRng`; default 0). */
  seed?: number;
}

/** What {@link stratifiedSplit} returns. */
export interface StratifiedSplitResult<T> {
  train: T[];
  val: T[];
  test: T[];
  /** Split of every kept name. */
  splitOf: Map<string, SplitName>;
  /** Rows dropped because their name repeated an earlier row (index in the input, name, first index). */
  duplicates: { index: number; name: string; firstIndex: number }[];
}

const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** A value in a message without `String()`, which throws for objects that shadow `toString`. */
function shownValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v === 'string'
    ? JSON.stringify(v.slice(0, 40))
    : Array.isArray(v)
      ? 'an array'
      : `a ${typeof v}`;
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A row accessor whose result is checked where it comes in: names, classes and groups are strings. */
function checkedAccessor<T>(get: (row: T) => string, what: string): (row: T, index: number) => string {
  return (row, index) => {
    const v: unknown = get(row);
    if (typeof v === 'string') return v;
    throw new StratifyError('INVALID_ARGUMENT', `row ${index}: ${what} returned ${kindOf(v)}, not a string`);
  };
}

/** Rows dealt so far over all classes, and per split. */
interface DealTotals {
  dealt: number;
  have: number[];
}

/** One class being dealt: its row count, per-split bounds ⌊share⌋ / ⌈share⌉ and rows dealt so far. */
interface ClassDeal {
  left: number;
  share: number[];
  floor: number[];
  ceil: number[];
  have: number[];
}

function classDeal(fractions: readonly [number, number, number], rows: number): ClassDeal {
  // The epsilon keeps 0.1 · 30 = 3.0000000000000004 from rounding up to 4.
  const share = fractions.map((f) => f * rows);
  return {
    left: rows,
    share,
    floor: share.map((t) => Math.floor(t + 1e-9)),
    ceil: share.map((t) => Math.ceil(t - 1e-9)),
    have: [0, 0, 0],
  };
}

/** Rows the class still owes to splits below their ⌊share⌋ if `s` took `size` more. */
function owedAfter(c: ClassDeal, s: number, size: number): number {
  let owed = 0;
  for (let t = 0; t < 3; t++) owed += Math.max(0, c.floor[t] - c.have[t] - (t === s ? size : 0));
  return owed;
}

/** The candidates where `score` is largest (all of them when tied). */
function maxima(candidates: number[], score: (s: number) => number): number[] {
  const scores = candidates.map(score);
  const top = Math.max(...scores);
  return candidates.filter((_, i) => scores[i] >= top - 1e-9);
}

/**
 * Split of the next group of a class. Splits where the class stays within ⌈share⌉ and can still reach every
 * ⌊share⌋ are candidates (per-class stratification); among them the one furthest below its share of the
 * running totals over all classes wins, so small classes do not all lean the same way. When a group is too
 * large for every candidate, the splits furthest below their class share are the candidates instead.
 */
function dealGroup(
  c: ClassDeal,
  totals: DealTotals,
  fractions: readonly [number, number, number],
  size: number,
  rng: Rng,
): number {
  const open = [0, 1, 2].filter((s) => fractions[s] > 0);
  const fits = open.filter((s) => c.have[s] + size <= c.ceil[s] && owedAfter(c, s, size) <= c.left - size);
  const totalDeficit = (s: number) => fractions[s] * (totals.dealt + size) - totals.have[s];
  const near = fits.length > 0 ? fits : maxima(open, (s) => c.share[s] - c.have[s]);
  const tied = maxima(near, totalDeficit);
  // Exact ties are drawn with the seeded RNG: a fixed order would favour one split in every class.
  const best = tied.length === 1 ? tied[0] : tied[rng.int(tied.length)];
  c.have[best] += size;
  c.left -= size;
  totals.have[best] += size;
  totals.dealt += size;
  return best;
}

/**
 * Stratified, grouped train/val/test split: duplicates (same name) are removed and reported; rows are grouped
 * (tiles by parent AOI), each group takes the class of its first row, and within each class the groups are
 * shuffled (seeded) and dealt one by one: each class stays within ⌊share⌋…⌈share⌉ of every split where its
 * group sizes allow, and among the splits that keep it there the group goes to the one furthest below its share
 * of the running totals over all classes (ties drawn with the seeded RNG) — so each class is split ≈ 80/10/10,
 * the totals stay within about one group of 80/10/10 even for many small classes, and no group straddles
 * splits (upstream leaked 54 of 60 parents).
 * @param rows the rows (AOIs with class columns, split-CSV rows, …).
 * @param options name, class and group accessors, fractions, seed.
 * @returns the three splits (input order kept inside each), a name → split map and the removed duplicates.
 * @throws StratifyError `INVALID_ARGUMENT` for fractions that are negative or do not sum to 1, rows that are not
 *   an array, missing options, an accessor that is not a function or returns something other than a string
 *   (naming the row); CoreError `INVALID_SEED` for a seed that is not a non-negative safe integer.
 * @example
 * stratifiedSplit(rows, { nameOf: (r) => r.tile, classOf: (r) => r.joint_class, groupOf: (r) => parentOf(r.tile), seed: 1 });
 */
export function stratifiedSplit<T>(
  rows: readonly T[],
  options: StratifiedSplitOptions<T>,
): StratifiedSplitResult<T> {
  return splitRows(rows, options, 'stratifiedSplit').result;
}

/**
 * {@link stratifiedSplit}, with each kept row's split by its index (internal: the labels of
 * `stratifiedSplitLabels` come from it, not from calling `nameOf` again).
 */
export function splitRows<T>(
  rows: readonly T[],
  options: StratifiedSplitOptions<T>,
  fn: string,
): { result: StratifiedSplitResult<T>; splitOfIndex: ReadonlyMap<number, SplitName> } {
  checkArray(fn, 'rows', rows);
  checkObject(fn, 'options', options);
  // each option read once: a getter or Proxy cannot hand the split another value than the one checked
  const { nameOf: givenName, classOf: givenClass, groupOf: givenGroup, seed: givenSeed } = options;
  checkFunction(fn, 'options.nameOf', givenName);
  checkFunction(fn, 'options.classOf', givenClass);
  if (givenGroup !== undefined) checkFunction(fn, 'options.groupOf', givenGroup);
  const seed = givenSeed === undefined ? 0 : checkSeed(fn, 'options.seed', givenSeed);
  const fractions = options.fractions ?? [0.8, 0.1, 0.1];
  if (
    !Array.isArray(fractions) ||
    fractions.length !== 3 ||
    // by index: `some` skips a hole, whose sum is NaN and passed the check below
    [0, 1, 2].some((i) => typeof fractions[i] !== 'number' || !((fractions[i] as number) >= 0)) ||
    Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) > 1e-9
  ) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `fractions ${Array.isArray(fractions) ? `[${fractions.map(shownValue).join(', ')}]` : shownValue(fractions)} must be three numbers ≥ 0 that sum to 1`,
    );
  }
  const nameOf = checkedAccessor(givenName, 'nameOf');
  const classOf = checkedAccessor(givenClass, 'classOf');
  const groupOf = givenGroup
    ? checkedAccessor(givenGroup, 'groupOf')
    : (row: T, index: number) => {
        const p = (row as { parent?: unknown } | null)?.parent;
        return typeof p === 'string' && p !== '' ? p : nameOf(row, index);
      };
  const firstIndex = new Map<string, number>();
  const duplicates: StratifiedSplitResult<T>['duplicates'] = [];
  const kept: { row: T; index: number }[] = [];
  rows.forEach((row, index) => {
    const name = nameOf(row, index);
    const first = firstIndex.get(name);
    if (first !== undefined) {
      duplicates.push({ index, name, firstIndex: first });
      return;
    }
    firstIndex.set(name, index);
    kept.push({ row, index });
  });
  // Groups in first-appearance order; class = class of the group's first row.
  const groups = new Map<string, { cls: string; members: { row: T; index: number }[] }>();
  for (const item of kept) {
    const g = groupOf(item.row, item.index);
    let group = groups.get(g);
    if (!group) {
      group = { cls: classOf(item.row, item.index), members: [] };
      groups.set(g, group);
    }
    group.members.push(item);
  }
  const byClass = new Map<string, { cls: string; members: { row: T; index: number }[] }[]>();
  for (const group of groups.values()) {
    let list = byClass.get(group.cls);
    if (!list) {
      list = [];
      byClass.set(group.cls, list);
    }
    list.push(group);
  }
  const rng = createRng(seed);
  const splitOfIndex = new Map<number, SplitName>();
  const totals: DealTotals = { dealt: 0, have: [0, 0, 0] };
  const classes = [...byClass.keys()].sort();
  for (const cls of classes) {
    const list = byClass.get(cls) as { members: { row: T; index: number }[] }[];
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    const deal = classDeal(
      fractions,
      list.reduce((s, g) => s + g.members.length, 0),
    );
    for (const g of list) {
      const best = dealGroup(deal, totals, fractions, g.members.length, rng);
      for (const m of g.members) splitOfIndex.set(m.index, SPLITS[best]);
    }
  }
  const result: StratifiedSplitResult<T> = { train: [], val: [], test: [], splitOf: new Map(), duplicates };
  for (const { row, index } of kept) {
    const s = splitOfIndex.get(index) as SplitName;
    result[s].push(row);
    result.splitOf.set(nameOf(row, index), s);
  }
  return { result, splitOfIndex };
}
