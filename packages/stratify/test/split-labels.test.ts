import { describe, expect, it } from 'vitest';
import {
  isRebalanceWeightName,
  PAPER_SPLIT,
  paperSplit,
  paperSplitLabels,
  REBALANCE_WEIGHTS,
  stratifiedSplit,
  stratifiedSplitLabels,
} from '../src/index.js';

describe('paperSplitLabels', () => {
  it('labels every name in input order, duplicates taking successive splits', () => {
    const names = Array.from({ length: 30 }, (_, i) => `AOI-${i}`);
    names.push('AOI-3'); // upstream keeps duplicates
    const ps = paperSplit(names, { seed: PAPER_SPLIT.seed, directoryCount: 28 });
    const { labels, counts } = paperSplitLabels(names, { seed: PAPER_SPLIT.seed, directoryCount: 28 });
    expect(labels).toHaveLength(names.length);
    expect(counts).toEqual({
      train: ps.train.length,
      val: ps.val.length,
      test: ps.test.length,
      unused: ps.unused.length,
    });
    expect(counts).toEqual({ train: 22, val: 2, test: 2, unused: 5 });
    for (const k of ['train', 'val', 'test', 'unused'] as const)
      expect(labels.filter((l) => l === k)).toHaveLength(counts[k]);
    // a name labelled k is in that split of paperSplit
    names.forEach((n, i) => {
      expect(ps[labels[i]]).toContain(n);
    });
    // the two AOI-3 rows take its occurrences in train, val, test, unused order
    const order = ['train', 'val', 'test', 'unused'];
    const firstAoi3 = labels[3];
    const secondAoi3 = labels[30];
    expect(order.indexOf(firstAoi3)).toBeLessThanOrEqual(order.indexOf(secondAoi3));
  });
});

describe('stratifiedSplitLabels', () => {
  it('labels rows like stratifiedSplit and drops later duplicates as null', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ tile: `T${i}`, cls: i % 2 ? 'a' : 'b' }));
    rows.push({ tile: 'T5', cls: 'a' });
    const options = {
      nameOf: (r: (typeof rows)[number]) => r.tile,
      classOf: (r: (typeof rows)[number]) => r.cls,
      seed: 4,
    };
    const ref = stratifiedSplit(rows, options);
    const { labels, counts, duplicates } = stratifiedSplitLabels(rows, options);
    expect(duplicates).toEqual([{ index: 40, name: 'T5', firstIndex: 5 }]);
    expect(labels[40]).toBeNull();
    expect(counts).toEqual({ train: 32, val: 4, test: 4 });
    rows.slice(0, 40).forEach((r, i) => {
      expect(labels[i]).toBe(ref.splitOf.get(r.tile));
    });
  });
});

describe('REBALANCE_WEIGHTS', () => {
  it('names cbrt, sqrt and linear, and nothing else', () => {
    expect(REBALANCE_WEIGHTS.cbrt(27)).toBe(3);
    expect(REBALANCE_WEIGHTS.sqrt(16)).toBe(4);
    expect(REBALANCE_WEIGHTS.linear(7)).toBe(7);
    expect(['cbrt', 'sqrt', 'linear', 'log', 'toString', '__proto__'].map(isRebalanceWeightName)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
