import { createRng } from '@worldstrat/core';
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

/**
 * Stratified, grouped train/val/test split: duplicates (same name) are removed and reported; rows are grouped
 * (tiles by parent AOI), each group takes the class of its first row, and within each class the groups are
 * shuffled (seeded) and dealt one by one to the split whose row count is furthest below its target share —
 * so each class is split ≈ 80/10/10 and no group straddles splits (upstream leaked 54 of 60 parents).
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
  const fn = 'stratifiedSplit';
  checkArray(fn, 'rows', rows);
  checkObject(fn, 'options', options);
  checkFunction(fn, 'options.nameOf', options.nameOf);
  checkFunction(fn, 'options.classOf', options.classOf);
  if (options.groupOf !== undefined) checkFunction(fn, 'options.groupOf', options.groupOf);
  const seed = options.seed === undefined ? 0 : checkSeed(fn, 'options.seed', options.seed);
  const fractions = options.fractions ?? [0.8, 0.1, 0.1];
  if (
    !Array.isArray(fractions) ||
    fractions.length !== 3 ||
    fractions.some((f) => typeof f !== 'number' || !(f >= 0)) ||
    Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) > 1e-9
  ) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `fractions ${Array.isArray(fractions) ? `[${fractions.map(shownValue).join(', ')}]` : shownValue(fractions)} must be three numbers ≥ 0 that sum to 1`,
    );
  }
  const nameOf = checkedAccessor(options.nameOf, 'nameOf');
  const classOf = checkedAccessor(options.classOf, 'classOf');
  const groupOf = options.groupOf
    ? checkedAccessor(options.groupOf, 'groupOf')
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
  const classes = [...byClass.keys()].sort();
  for (const cls of classes) {
    const list = byClass.get(cls) as { members: { row: T; index: number }[] }[];
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    const total = list.reduce((s, g) => s + g.members.length, 0);
    const have = [0, 0, 0];
    for (const g of list) {
      // Deal to the split with the largest deficit (target − have); ties → train, val, test order.
      let best = 0;
      let bestDeficit = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < 3; s++) {
        const deficit = fractions[s] * total - have[s];
        if (fractions[s] > 0 && deficit > bestDeficit + 1e-12) {
          best = s;
          bestDeficit = deficit;
        }
      }
      have[best] += g.members.length;
      for (const m of g.members) splitOfIndex.set(m.index, SPLITS[best]);
    }
  }
  const result: StratifiedSplitResult<T> = { train: [], val: [], test: [], splitOf: new Map(), duplicates };
  for (const { row, index } of kept) {
    const s = splitOfIndex.get(index) as SplitName;
    result[s].push(row);
    result.splitOf.set(nameOf(row, index), s);
  }
  return result;
}
