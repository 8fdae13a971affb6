// A list argument JavaScript can hold but no caller meant: one with holes (`[, x]`, which `map`, `forEach` and
// `for…of` skip or read as undefined, so a row is lost without a word) or one so long that walking it takes
// minutes (`new Array(2 ** 32 - 1)` holds no element at all). Each package throws its own error around it.

import { invalidArgument } from './internal/check-arguments.js';

/** What is wrong with a list argument's shape: its length, or the first hole. */
export interface ListShapeProblem {
  /** Index of the first hole (absent for a list that is too long). */
  index?: number;
  /** What to say after the argument's name: `must have at most N items, …` or `is a hole …`. */
  problem: string;
}

/**
 * The first problem of an array argument's shape, or undefined: more than `maxItems` items, or a hole.
 * @param list - the array.
 * @param maxItems - the most items the caller takes.
 * @returns the problem, or undefined when the array is dense and short enough.
 * @throws {CoreError} `INVALID_ARGUMENT` when `list` is not an array or `maxItems` not an integer ≥ 0.
 * @example
 * listShapeProblem([, 1], 10); // { index: 0, problem: 'is a hole (an array with empty slots)' }
 */
export function listShapeProblem(list: readonly unknown[], maxItems: number): ListShapeProblem | undefined {
  if (!Array.isArray(list)) throw invalidArgument('listShapeProblem', 'list', 'an array', list);
  if (!Number.isSafeInteger(maxItems) || maxItems < 0)
    throw invalidArgument('listShapeProblem', 'maxItems', 'a non-negative integer', maxItems);
  if (list.length > maxItems)
    return { problem: `must have at most ${maxItems} items, got an array of length ${list.length}` };
  for (let i = 0; i < list.length; i++)
    if (!(i in list)) return { index: i, problem: 'is a hole (an array with empty slots)' };
  return undefined;
}
