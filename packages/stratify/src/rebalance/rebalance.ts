import { pythonRound2 } from '@worldstrat/core';
import { StratifyError } from '../errors.js';

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
 * like pandas `value_counts` without its unspecified tie order). `null`/`undefined` values are skipped.
 * @param values one class value per row.
 * @returns the table.
 * @example
 * classCounts(['a', 'b', 'a']); // [{ class: 'a', count: 2 }, { class: 'b', count: 1 }]
 */
export function classCounts(values: Iterable<ClassKey | null | undefined>): ClassCount[] {
  const m = new Map<ClassKey, number>();
  for (const v of values) if (v !== null && v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()]
    .map(([c, count]) => ({ class: c, count }))
    .sort((a, b) => b.count - a.count || compareKeys(a.class, b.class));
}

function compareKeys(a: ClassKey, b: ClassKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
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
 * @returns true for `cbrt`, `sqrt` or `linear`.
 * @example
 * isRebalanceWeightName('sqrt'); // true
 */
export function isRebalanceWeightName(name: string): name is RebalanceWeightName {
  return Object.hasOwn(REBALANCE_WEIGHTS, name);
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
 * @throws StratifyError `INVALID_ARGUMENT` for a bad target, negative counts, or weights that are not finite
 *   and ≥ 0 (or all 0); `EMPTY_CLASS` when `counts` is empty.
 * @example
 * rebalance([{ class: 'A', count: 1000 }, { class: 'B', count: 125 }, { class: 'C', count: 8 }], 100);
 * // counts 59, 29, 12 (sum 100); with { compat: true }: 59, 28, 12
 */
export function rebalance(
  counts: readonly ClassCount[],
  target: number,
  options: RebalanceOptions = {},
): Allocation[] {
  if (!Number.isSafeInteger(target) || target < 0) {
    throw new StratifyError(
      'INVALID_ARGUMENT',
      `target must be a non-negative integer number of points, got ${String(target)}`,
    );
  }
  if (counts.length === 0)
    throw new StratifyError('EMPTY_CLASS', 'cannot rebalance an empty (class, count) table');
  const f = options.weight ?? Math.cbrt;
  const weights = counts.map((c) => {
    if (!(c.count >= 0) || !Number.isFinite(c.count)) {
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `class ${String(c.class)} has count ${c.count}; counts must be finite and ≥ 0`,
      );
    }
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
  const shares = weights.map((w) => w / total);
  const rows = counts.map((c, i) => ({
    class: c.class,
    poolCount: c.count,
    weight: weights[i],
    share: shares[i],
    count: 0,
  }));
  if (options.compat) {
    const frac = (x: number) => x - Math.floor(x);
    const priority = shares
      .map((_, i) => i)
      .sort((a, b) => frac(100 * shares[b]) - frac(100 * shares[a]) || a - b);
    const q = shares.map((p) => pythonRound2(p) * target);
    let sum = 0;
    for (const v of q) sum += v;
    let r = target - sum;
    let k = 0;
    while (r > 0) {
      q[priority[k % priority.length]] += 1;
      r -= 1;
      k++;
    }
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
 * @throws StratifyError `EMPTY_CLASS` when no row has `selectBy === className`; as {@link rebalance}.
 * @example
 * rebalanceWithinClass(pool, 'IPCC', 'Settlement', 'SMOD', { weight: Math.sqrt, target: 18 });
 */
export function rebalanceWithinClass<T extends Record<string, unknown>>(
  rows: readonly T[],
  selectBy: keyof T & string,
  className: ClassKey,
  rebalanceBy: keyof T & string,
  options: RebalanceWithinClassOptions = {},
): SubStratumAllocation {
  const inside = rows.filter((r) => r[selectBy] === className);
  if (inside.length === 0) {
    throw new StratifyError(
      'EMPTY_CLASS',
      `no pool row has ${selectBy} = ${String(className)}; nothing to rebalance within it`,
    );
  }
  const counts = classCounts(inside.map((r) => r[rebalanceBy] as ClassKey | null | undefined));
  return {
    key: `${selectBy}_${String(className)}_${rebalanceBy}`,
    allocation: rebalance(counts, options.target ?? inside.length, options),
  };
}
