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

  // The labelling before it was made linear: a copied list per occurrence, consumed with shift().
  const labelsByShift = (names: string[], options: { seed: number; directoryCount?: number }) => {
    const ps = paperSplit(names, options);
    const queue = new Map<string, string[]>();
    for (const k of ['train', 'val', 'test', 'unused'] as const)
      for (const n of ps[k]) queue.set(n, [...(queue.get(n) ?? []), k]);
    return names.map((n) => queue.get(n)?.shift() ?? 'unused');
  };

  it('a name repeated on many rows takes its splits in train, val, test, unused order', () => {
    const names = Array(10).fill('dup');
    expect(paperSplitLabels(names, { seed: 1 }).labels).toEqual([...Array(8).fill('train'), 'val', 'test']);
    expect(paperSplitLabels(names, { seed: 1, directoryCount: 6 }).labels).toEqual([
      'train',
      'train',
      'train',
      'train',
      'unused',
      'unused',
      'unused',
      'unused',
      'unused',
      'unused',
    ]);
    const mixed = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0 ? 'dup' : i % 3 === 1 ? `A${i % 7}` : `B${i}`,
    );
    for (const options of [{ seed: PAPER_SPLIT.seed }, { seed: 5, directoryCount: 31 }])
      expect(paperSplitLabels(mixed, options).labels).toEqual(labelsByShift(mixed, options));
  });

  it('labels 64K rows of one repeated name in linear time (copy-and-shift took tens of seconds)', () => {
    const names = Array(65536).fill('x');
    const started = performance.now();
    const { labels, counts } = paperSplitLabels(names, { seed: 3 });
    const ms = performance.now() - started;
    expect(counts).toEqual({ train: 52428, val: 6553, test: 6553, unused: 2 });
    expect(labels).toEqual([
      ...Array(52428).fill('train'),
      ...Array(6553).fill('val'),
      ...Array(6553).fill('test'),
      'unused',
      'unused',
    ]);
    expect(ms).toBeLessThan(3000);
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
