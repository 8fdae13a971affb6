import { pythonRound2 } from '@worldstrat/core';
import { StratifyError } from '../errors.js';
import {
  checkArray,
  checkFlag,
  checkFunction,
  checkItemIndex,
  checkIterable,
  checkOptions,
  checkString,
  invalidArgument,
} from '../internal/check-arguments.js';

/** A class label (string labels like "Settlement" or numeric codes like 23). */
export type ClassKey = string | number;

/** One row of a (class, count) table. */
export interface ClassCount {
  class: ClassKey;
  count: number;
}

/** One row of a rebalanced allocation. */
export interface Allocation extends ClassCount {
  /** Count in the reference pool. */
  poolCount: number;
  /** f(poolCount). */
  weight: number;
  /** weight / Σ weight. */
  share: number;
}

/** Options of {@link rebalance}. */
export interface RebalanceOptions {
  /** f(count) → weight (default `Math.cbrt`, upstream's cube root; `Math.sqrt` was used inside Settlement). */
  weight?: (count: number) => number;
  /**
   * Reproduce upstream's allocation: whole-percent shares `round(p, 2)·T`, leftovers added while
   * `T − Σ > 0` in order of the fractional part of 100·p, then truncation — totals can fall short of T.
   * Default false: exact totals by largest remainder.
   */
  compat?: boolean;
}

/**
 * (class, count) table of a column, sorted by count descending, then class ascending (deterministic,
 * like pandas `value_counts` without its unspecified tie order): numeric classes first in numeric order, then
 * string classes in code-unit order, whatever the input order. `null`/`undefined` values are skipped.
 * @param values one class value per row.
 * @returns the table.
 * @throws StratifyError `INVALID_ARGUMENT` naming the value that is neither a string nor a finite number, or
 *   for `values` that are not an array (or another iterable, or one that yields more than 10^8 values).
 * @example
 * classCounts(['a', 'b', 'a']); // [{ class: 'a', count: 2 }, { class: 'b', count: 1 }]
 */
export function classCounts(values: Iterable<ClassKey | null | undefined>): ClassCount[] {
  return countClasses(checkIterable('classCounts', 'values', values), (i) => `values[${i}]`);
}

/** {@link classCounts} with `where(i)` naming the i-th value in messages. */
function countClasses(values: Iterable<unknown>, where: (i: number) => string): ClassCount[] {
  const m = new Map<ClassKey, number>();
  let i = 0;
  for (const v of values) {
    checkItemIndex('classCounts', 'values', i);
    if (v !== null && v !== undefined) {
      // the message is only built for a bad value
      const key = typeof v === 'string' ? v : checkClassKey(v, where(i));
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    i++;
  }
  return [...m.entries()]
    .map(([c, count]) => ({ class: c, count }))
    .sort((a, b) => b.count - a.count || compareKeys(a.class, b.class));
}

/**
 * A class value as read from a table: a string or a finite number (a Map key that prints in messages).
 * @throws StratifyError `INVALID_ARGUMENT` naming `where`.
 */
export function checkClassKey(value: unknown, where: string): ClassKey {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  const shown = typeof value === 'number' ? String(value) : Array.isArray(value) ? 'an array' : typeof value;
  throw new StratifyError('INVALID_ARGUMENT', `${where} is ${shown}; a class is a string or a finite number`);
}

/**
 * Refuses a (class, count) table that lists a class twice: a draw would take the same rows again for the second
 * row (not "without replacement"), a rebalance would split the class's share in two.
 * @param rows the checked rows.
 * @param name the table in messages (`allocation`, `counts`).
 * @throws StratifyError `INVALID_ARGUMENT` naming both indices and the class.
 */
export function checkUniqueClasses(rows: readonly ClassCount[], name: string): void {
  const first = new Map<ClassKey, number>();
  rows.forEach((row, i) => {
    const earlier = first.get(row.class);
    if (earlier !== undefined)
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `${name}[${earlier}] and ${name}[${i}] both name class ${String(row.class)}; list each class once (add up its counts)`,
      );
    first.set(row.class, i);
  });
}

/** A count from a (class, count) table: a finite number ≥ 0. */
function checkCount(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const shown = typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
  throw new StratifyError('INVALID_ARGUMENT', `${where} is ${shown}; counts must be finite numbers ≥ 0`);
}

/** The rows of a (class, count) table, checked where they come in. */
function checkCountRows(counts: unknown): ClassCount[] {
  if (!Array.isArray(counts)) {
    throw new StratifyError('INVALID_ARGUMENT', 'counts must be an array of { class, count } rows');
  }
  checkArray('rebalance', 'counts', counts);
  const rows = counts.map((row: unknown, i) => {
    if (typeof row !== 'object' || row === null) {
      throw new StratifyError('INVALID_ARGUMENT', `counts[${i}] is not a { class, count } row`);
    }
    const r = row as { class?: unknown; count?: unknown };
    return {
      class: checkClassKey(r.class, `counts[${i}].class`),
      count: checkCount(r.count, `counts[${i}].count`),
    };
  });
  checkUniqueClasses(rows, 'counts');
  return rows;
}

/**
 * Total order on class keys: numbers first in numeric order, then strings in code-unit order (pandas'
 * `safe_sort` puts ints before strings too). Comparing a number with a string as text is not transitive
 * (2 < 10 < "1a" < 2), so the sorted table would depend on input order.
 */
function compareKeys(a: ClassKey, b: ClassKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The named rebalancing weights (cube root: upstream's default; square root: used inside Settlement). */
export const REBALANCE_WEIGHTS = Object.freeze({
  cbrt: Math.cbrt,
  sqrt: Math.sqrt,
  linear: (count: number) => count,
});

/** A name of {@link REBALANCE_WEIGHTS}. */
export type RebalanceWeightName = keyof typeof REBALANCE_WEIGHTS;

/**
 * Whether `name` is one of {@link REBALANCE_WEIGHTS} (for user input: an option value, a config field).
 * @param name the candidate.
 * @returns true for `cbrt`, `sqrt` or `linear`; false for anything else, a non-string too.
 * @example
 * isRebalanceWeightName('sqrt'); // true
 */
export function isRebalanceWeightName(name: string): name is RebalanceWeightName {
  return typeof name === 'string' && Object.hasOwn(REBALANCE_WEIGHTS, name);
}

/**
 * Rebalances a (class, count) table to a target total: wᵢ = f(countᵢ), pᵢ = wᵢ / Σw, nᵢ ≈ pᵢ·T.
 * Default: exact totals Σnᵢ = T by largest remainder (ties → larger weight, then input order). With
 * `compat: true`, upstream's whole-percent rounding and truncation (T = 100 → 59/28/12 for counts
 * 1000/125/8 with cube root; T = 18 → 10/5/2; T = 7 → 4/2/0).
 * @param counts the pool's (class, count) rows, e.g. from {@link classCounts}.
 * @param target total number of points to draw (T).
 * @param options weight function and compat switch.
 * @returns one allocation row per class, in input order.
 * @throws StratifyError `INVALID_ARGUMENT` for a bad target, a row (`counts[i].class`, `counts[i].count`) that is
 *   not a string-or-number class with a finite count ≥ 0, a class listed twice (naming both rows), or weights that are not finite and ≥ 0 (or all 0,
 *   or summing past the largest number), a `compat` that is not a boolean; `EMPTY_CLASS` when `counts` is empty.
 * @example
 * rebalance([{ class: 'A', count: 1000 }, { class: 'B', count: 125 }, { class: 'C', count: 8 }], 100);
 * // counts 59, 29, 12 (sum 100); with { compat: true }: 59, 28, 12
 */
export function rebalance(
  counts: readonly ClassCount[],
  target: number,
  opts?: RebalanceOptions,
): Allocation[] {
  const options = checkOptions('rebalance', opts);
  // each option read once: a getter or Proxy cannot swap a checked value for another
  const weight = options.weight;
  if (weight !== undefined) checkFunction('rebalance', 'options.weight', weight);
  const compat = checkFlag('rebalance', 'options.compat', options.compat);
  if (!Number.isSafeInteger(target) || target < 0) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `target must be a non-negative integer number of points, got ${typeof target === 'number' ? target : typeof target}`,
    );
  }
  const rowsIn = checkCountRows(counts);
  if (rowsIn.length === 0)
    throw new StratifyError('EMPTY_CLASS', 'cannot rebalance an empty (class, count) table');
  const f = weight ?? Math.cbrt;
  const weights = rowsIn.map((c) => {
    const w = f(c.count);
    if (!Number.isFinite(w) || w < 0) {
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `weight f(${c.count}) = ${w} for class ${String(c.class)}; f must return finite values ≥ 0`,
      );
    }
    return w;
  });
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) throw new StratifyError('INVALID_ARGUMENT', 'all weights are 0; nothing to allocate');
  if (!Number.isFinite(total)) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      'the sum of the weights is not finite; the counts are too large',
    );
  }
  const shares = weights.map((w) => w / total);
  const rows = rowsIn.map((c, i) => ({
    class: c.class,
    poolCount: c.count,
    weight: weights[i],
    share: shares[i],
    count: 0,
  }));
  if (compat) {
    const frac = (x: number) => x - Math.floor(x);
    const priority = shares
      .map((_, i) => i)
      .sort((a, b) => frac(100 * shares[b]) - frac(100 * shares[a]) || a - b);
    const q = shares.map((p) => pythonRound2(p) * target);
    let sum = 0;
    for (const v of q) sum += v;
    // upstream adds 1 per step in priority order while the leftover is > 0: ceil(leftover) steps, dealt here in
    // whole rounds plus a partial one so a huge target costs no more than a small one
    const steps = Math.max(0, Math.ceil(target - sum));
    const rounds = Math.floor(steps / priority.length);
    priority.forEach((i, k) => {
      q[i] += rounds + (k < steps % priority.length ? 1 : 0);
    });
    rows.forEach((row, i) => {
      row.count = Math.trunc(q[i]);
    });
    return rows;
  }
  const quotas = shares.map((p) => p * target);
  const floors = quotas.map(Math.floor);
  let left = target - floors.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((_, i) => i)
    .sort((a, b) => quotas[b] - floors[b] - (quotas[a] - floors[a]) || weights[b] - weights[a] || a - b);
  for (let k = 0; left > 0; k++, left--) floors[order[k % order.length]] += 1;
  rows.forEach((row, i) => {
    row.count = floors[i];
  });
  return rows;
}

/** Options of {@link rebalanceWithinClass}. */
export interface RebalanceWithinClassOptions extends RebalanceOptions {
  /** Target total inside the class (default: the number of pool rows in the class). */
  target?: number;
}

/** What {@link rebalanceWithinClass} returns. */
export interface SubStratumAllocation {
  /** Upstream's key `"{selectBy}_{className}_{rebalanceBy}"`, e.g. `IPCC_Settlement_SMOD`. */
  key: string;
  allocation: Allocation[];
}

/**
 * Sub-stratum rebalancing: restrict the pool to rows whose `selectBy` column equals `className`,
 * count the `rebalanceBy` column inside it and rebalance those counts (e.g. SMOD inside IPCC "Settlement").
 * @param rows pool rows (any objects).
 * @param selectBy column that selects the stratum (e.g. 'IPCC').
 * @param className value of that column (e.g. 'Settlement').
 * @param rebalanceBy column to rebalance within the stratum (e.g. 'SMOD').
 * @param options weight, compat, target.
 * @returns the key and the allocation.
 * @throws StratifyError `EMPTY_CLASS` when no row has `selectBy === className`; `INVALID_ARGUMENT` naming the row
 *   when a row is not an object or its `rebalanceBy` value is neither a string nor a finite number; as
 *   {@link rebalance}.
 * @example
 * rebalanceWithinClass(pool, 'IPCC', 'Settlement', 'SMOD', { weight: Math.sqrt, target: 18 });
 */
export function rebalanceWithinClass<T extends Record<string, unknown>>(
  rows: readonly T[],
  selectBy: keyof T & string,
  className: ClassKey,
  rebalanceBy: keyof T & string,
  opts?: RebalanceWithinClassOptions,
): SubStratumAllocation {
  const fn = 'rebalanceWithinClass';
  const options = checkOptions(fn, opts);
  checkString(fn, 'selectBy', selectBy);
  checkString(fn, 'rebalanceBy', rebalanceBy);
  // null/undefined select the rows that lack a class; an object cannot be a class (nor be printed in the key)
  if (className != null && typeof className !== 'string' && typeof className !== 'number')
    throw invalidArgument(fn, 'className', 'a string or a number', className);
  if (!Array.isArray(rows)) throw new StratifyError('INVALID_ARGUMENT', 'rows must be an array of objects');
  checkArray(fn, 'rows', rows);
  rows.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null) {
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `rows[${i}] is ${r === null ? 'null' : typeof r}, not a row`,
      );
    }
  });
  const insideAt = rows.flatMap((r, i) => (r[selectBy] === className ? [i] : []));
  const inside = insideAt.map((i) => rows[i]);
  if (inside.length === 0) {
    throw new StratifyError(
      'EMPTY_CLASS',
      `no pool row has ${selectBy} = ${String(className)}; nothing to rebalance within it`,
    );
  }
  const counts = countClasses(
    inside.map((r) => r[rebalanceBy]),
    (i) => `rows[${insideAt[i]}].${rebalanceBy}`,
  );
  return {
    key: `${selectBy}_${String(className)}_${rebalanceBy}`,
    allocation: rebalance(counts, options.target ?? inside.length, options),
  };
}
