import { createRng, throwIfAborted } from '@worldstrat/core';
import { StratifyError } from '../errors.js';
import {
  checkArray,
  checkCount,
  checkFunction,
  checkItemIndex,
  checkIterable,
  checkOneOf,
  checkOptions,
  checkSeed,
  checkSignal,
  invalidArgument,
} from '../internal/check-arguments.js';
import { type ClassCount, type ClassKey, checkClassKey, checkUniqueClasses } from '../rebalance/rebalance.js';

/** A class that could not be filled. */
export interface Shortfall {
  class: ClassKey;
  wanted: number;
  drawn: number;
}

/** Options of {@link stratifiedDraw}. */
export interface StratifiedDrawOptions<T> {
  /** Seed of the draw (core's `createRng`; default 0). */
  seed?: number;
  /**
   * Called when a class has fewer rows than wanted: return more candidate rows (already classified, e.g.
   * freshly sampled and looked up); the draw keeps those of the missing class that it does not hold yet (a row
   * handed back again is not drawn twice). Called up to `maxTopUpRounds` times per class.
   */
  topUp?: (cls: ClassKey, missing: number, round: number) => Promise<readonly T[]> | readonly T[];
  /** Default 5, at most 10 000; the signal is checked before each round. */
  maxTopUpRounds?: number;
  /** What to do when a class stays short: `'error'` (default, `SHORTFALL`) or `'report'` (in `shortfalls`). */
  onShortfall?: 'error' | 'report';
  signal?: AbortSignal;
}

/** What {@link stratifiedDraw} returns. */
export interface StratifiedDrawResult<T> {
  /** Drawn rows, grouped by class in allocation order; within a class in draw order. */
  rows: T[];
  /** Classes that stayed short (only with `onShortfall: 'report'`). */
  shortfalls: Shortfall[];
  /** Rows added by `topUp` (all of them, drawn or not). */
  toppedUp: number;
}

/** Most top-up rounds per class: each is a call of the caller's sampler (minutes of work each, at worst). */
const MAX_TOP_UP_ROUNDS = 10_000;

/**
 * The allocation rows, checked where they come in: a string-or-number class, listed once, and an integer
 * count ≥ 0.
 */
function checkAllocation(allocation: unknown): ClassCount[] {
  if (!Array.isArray(allocation)) {
    throw new StratifyError('INVALID_ARGUMENT', 'allocation must be an array of { class, count } rows');
  }
  checkArray('stratifiedDraw', 'allocation', allocation);
  const rows = allocation.map((row: unknown, i) => {
    if (typeof row !== 'object' || row === null) {
      throw new StratifyError('INVALID_ARGUMENT', `allocation[${i}] is not a { class, count } row`);
    }
    const { class: cls, count } = row as { class?: unknown; count?: unknown };
    const key = checkClassKey(cls, `allocation[${i}].class`);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      const shown = typeof count === 'number' ? String(count) : count === null ? 'null' : typeof count;
      throw new StratifyError(
        'INVALID_ARGUMENT',
        `allocation[${i}].count for class ${key} is ${shown}; counts must be integers ≥ 0`,
      );
    }
    return { class: key, count };
  });
  checkUniqueClasses(rows, 'allocation');
  return rows;
}

/**
 * Draws, for each (class, count) row of an allocation, `count` pool rows of that class uniformly without
 * replacement, seeded. Unlike upstream (which crashes), a short class is topped up through
 * `topUp` or reported; it never silently returns fewer rows.
 * @param pool candidate rows.
 * @param classOf the class of a row (e.g. `(r) => r.IPCC`).
 * @param allocation target counts per class (e.g. from `rebalance`).
 * @param options seed, top-up callback, shortfall policy, signal.
 * @returns drawn rows, shortfalls and the number of topped-up rows.
 * @throws StratifyError `SHORTFALL` naming the classes that stayed short (default policy), `INVALID_ARGUMENT`
 *   naming the allocation row whose class is not a string or finite number or whose count is not an integer ≥ 0,
 *   or both rows of a class listed twice, a pool that is not an array (or an iterable that yields more than
 *   10^8 rows), a `classOf` or `topUp` that is not a function (or a `topUp` that returns no array), an option
 *   of the wrong type (maxTopUpRounds, onShortfall); `ABORTED`; CoreError `INVALID_SEED` for a bad seed.
 * @example
 * const { rows } = await stratifiedDraw(pool, (r) => r.IPCC, rebalance(classCounts(pool.map((r) => r.IPCC)), 100), { seed: 1 });
 */
export async function stratifiedDraw<T>(
  pool: readonly T[],
  classOf: (row: T) => ClassKey | null | undefined,
  allocation: readonly ClassCount[],
  options?: StratifiedDrawOptions<T>,
): Promise<StratifiedDrawResult<T>> {
  const fn = 'stratifiedDraw';
  checkIterable(fn, 'pool', pool);
  checkFunction(fn, 'classOf', classOf);
  const o = checkOptions(fn, options);
  const signal = checkSignal(fn, 'options.signal', o.signal);
  const rng = createRng(o.seed === undefined ? 0 : checkSeed(fn, 'options.seed', o.seed));
  const topUp = o.topUp === undefined ? undefined : checkFunction(fn, 'options.topUp', o.topUp);
  const maxRounds =
    o.maxTopUpRounds === undefined ? 5 : checkCount(fn, 'options.maxTopUpRounds', o.maxTopUpRounds);
  if (maxRounds > MAX_TOP_UP_ROUNDS)
    throw invalidArgument(fn, 'options.maxTopUpRounds', `at most ${MAX_TOP_UP_ROUNDS}`, maxRounds);
  const onShortfall = checkOneOf(fn, 'options.onShortfall', o.onShortfall, ['error', 'report'], 'error');
  const byClass = new Map<ClassKey, T[]>();
  let index = 0;
  for (const row of pool) {
    checkItemIndex(fn, 'pool', index++);
    const c = classOf(row);
    if (c === null || c === undefined) continue;
    let list = byClass.get(c);
    if (!list) {
      list = [];
      byClass.set(c, list);
    }
    list.push(row);
  }
  const out: T[] = [];
  const shortfalls: Shortfall[] = [];
  let toppedUp = 0;
  for (const { class: cls, count } of checkAllocation(allocation)) {
    throwIfAborted(
      signal,
      (s) => new StratifyError('ABORTED', 'stratified draw aborted', { cause: s.reason }),
    );
    const candidates = [...(byClass.get(cls) ?? [])];
    // rows already held: a topUp that hands back a row again (its cache, the pool) would have it drawn twice
    let held: Set<T> | undefined;
    for (let round = 1; candidates.length < count && topUp && round <= maxRounds; round++) {
      // each round may be a synchronous callback: yield, so a timeout or another task can abort the draw
      if (round > 1) await new Promise<void>((resolve) => setTimeout(resolve, 0));
      throwIfAborted(
        signal,
        (s) => new StratifyError('ABORTED', 'stratified draw aborted', { cause: s.reason }),
      );
      const extra = await topUp(cls, count - candidates.length, round);
      if (!Array.isArray(extra))
        throw invalidArgument(
          fn,
          `options.topUp(${JSON.stringify(cls)}, …) result`,
          'an array of rows',
          extra,
        );
      checkArray(fn, `options.topUp(${JSON.stringify(cls)}, …) result`, extra);
      toppedUp += extra.length;
      held ??= new Set(candidates);
      for (const row of extra) {
        if (classOf(row) !== cls || held.has(row)) continue;
        held.add(row);
        candidates.push(row);
      }
    }
    const take = Math.min(count, candidates.length);
    // Partial Fisher–Yates: the first `take` entries become a uniform sample without replacement.
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(candidates.length - i);
      const t = candidates[i];
      candidates[i] = candidates[j];
      candidates[j] = t;
      out.push(candidates[i]);
    }
    if (take < count) shortfalls.push({ class: cls, wanted: count, drawn: take });
  }
  if (shortfalls.length && onShortfall === 'error') {
    throw new StratifyError(
      'SHORTFALL',
      `not enough pool rows for ${shortfalls.map((s) => `${String(s.class)} (wanted ${s.wanted}, have ${s.drawn})`).join(', ')}; ` +
        "pass topUp to sample more points, a larger pool, or onShortfall: 'report'",
    );
  }
  return { rows: out, shortfalls, toppedUp };
}
