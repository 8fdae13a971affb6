import { describe, expect, it } from 'vitest';
import { listShapeProblem } from '../src/index.js';

describe('listShapeProblem', () => {
  it('finds the first hole, a length past the limit, and nothing in a dense list', () => {
    expect(listShapeProblem([1, 2, 3], 3)).toBeUndefined();
    expect(listShapeProblem([], 0)).toBeUndefined();
    // biome-ignore lint/suspicious/noSparseArray: the holes are the point
    expect(listShapeProblem([1, , 3, , 5], 10)).toEqual({
      index: 1,
      problem: 'is a hole (an array with empty slots)',
    });
    expect(listShapeProblem([1, 2, 3], 2)).toEqual({
      problem: 'must have at most 2 items, got an array of length 3',
    });
    // an undefined element is a value, not a hole
    expect(listShapeProblem([undefined], 1)).toBeUndefined();
  });

  it('answers at once for an array 2^32 − 1 long with no elements (walking it took minutes)', () => {
    const started = Date.now();
    expect(listShapeProblem(new Array(2 ** 32 - 1), 100)?.problem).toBe(
      'must have at most 100 items, got an array of length 4294967295',
    );
    expect(Date.now() - started).toBeLessThan(500);
  });
});
