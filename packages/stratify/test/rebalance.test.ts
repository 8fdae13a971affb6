import { describe, expect, it } from 'vitest';
import { classCounts, pythonRound2, rebalance, rebalanceWithinClass, StratifyError } from '../src/index.js';

const ABC = [
  { class: 'A', count: 1000 },
  { class: 'B', count: 125 },
  { class: 'C', count: 8 },
];
const counts = (a: { count: number }[]) => a.map((r) => r.count);

describe('rebalance', () => {
  it.each([
    [100, [59, 28, 12]],
    [18, [10, 5, 2]],
    [7, [4, 2, 0]],
  ])('compat reproduces the spec worked example T=%d', (target, expected) => {
    expect(counts(rebalance(ABC, target, { compat: true }))).toEqual(expected);
  });

  it.each([100, 18, 7, 1, 0, 12345])(
    'default allocation sums exactly to T=%d by largest remainder',
    (target) => {
      const a = rebalance(ABC, target);
      expect(counts(a).reduce((s, x) => s + x, 0)).toBe(target);
      // every class within one of its exact quota
      for (const r of a) expect(Math.abs(r.count - r.share * target)).toBeLessThan(1);
    },
  );

  it('gives 59/29/12 for T=100 (cube-root shares .588/.294/.118) and reports weights and shares', () => {
    const a = rebalance(ABC, 100);
    expect(counts(a)).toEqual([59, 29, 12]);
    expect(a[0]).toMatchObject({ class: 'A', poolCount: 1000, weight: 10 });
    expect(a[1].weight).toBeCloseTo(5, 12);
    expect(a[2].share).toBeCloseTo(2 / 17, 12);
  });

  it('accepts any weight function and breaks ties deterministically (input order)', () => {
    const eq = [
      { class: 'x', count: 4 },
      { class: 'y', count: 4 },
      { class: 'z', count: 4 },
    ];
    expect(counts(rebalance(eq, 2, { weight: Math.sqrt }))).toEqual([1, 1, 0]);
    expect(counts(rebalance(eq, 4, { weight: () => 1 }))).toEqual([2, 1, 1]);
    expect(counts(rebalance(ABC, 10, { weight: (c) => c }))).toEqual([9, 1, 0]);
  });

  it('rejects bad targets, weights and empty tables', () => {
    expect(() => rebalance(ABC, -1)).toThrow(/target/);
    expect(() => rebalance(ABC, 1.5)).toThrow(/target/);
    expect(() => rebalance([], 10)).toThrow(/empty/);
    expect(() => rebalance(ABC, 10, { weight: () => Number.NaN })).toThrow(/finite/);
    expect(() => rebalance([{ class: 'a', count: 0 }], 10)).toThrow(/all weights are 0/);
  });

  it('refuses a class listed twice in the counts (it was passed through twice), naming both rows', () => {
    let err: unknown;
    try {
      rebalance(
        [
          { class: 'Forest', count: 6 },
          { class: 'Forest', count: 6 },
        ],
        10,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StratifyError);
    expect([(err as StratifyError).code, (err as StratifyError).message]).toEqual([
      'INVALID_ARGUMENT',
      'counts[0] and counts[1] both name class Forest; list each class once (add up its counts)',
    ]);
    expect(() => rebalance([...ABC, { class: 'B', count: 1 }], 10)).toThrow(
      'counts[1] and counts[3] both name class B',
    );
  });

  it('python-rounds to two decimals with exact ties to even', () => {
    expect([0.125, 0.375, 0.29, 0.585, 0.5882352941, 0.005].map(pythonRound2)).toEqual([
      0.12, 0.38, 0.29, 0.58, 0.59, 0.01,
    ]);
  });
});

describe('classCounts and rebalanceWithinClass', () => {
  const pool = [
    ...Array.from({ length: 50 }, () => ({ IPCC: 'Settlement', SMOD: 30 })),
    ...Array.from({ length: 18 }, () => ({ IPCC: 'Settlement', SMOD: 11 })),
    ...Array.from({ length: 2 }, () => ({ IPCC: 'Settlement', SMOD: 21 })),
    ...Array.from({ length: 40 }, () => ({ IPCC: 'Forest', SMOD: 11 })),
  ];

  it('counts classes by descending count then class', () => {
    expect(classCounts(pool.map((r) => r.IPCC))).toEqual([
      { class: 'Settlement', count: 70 },
      { class: 'Forest', count: 40 },
    ]);
    expect(classCounts([2, 1, 2, 1, null, 3])).toEqual([
      { class: 1, count: 2 },
      { class: 2, count: 2 },
      { class: 3, count: 1 },
    ]);
  });

  it('orders mixed numeric and string classes the same whatever the input order', () => {
    // numbers first (numeric), then strings (code units); text comparison made 2 < 10 < "1a" < 2 a cycle
    const expected = [2, 10, '1', '1a', 'b'];
    for (const input of [
      [2, 10, '1a', 'b', '1'],
      [10, '1a', 2, '1', 'b'],
      ['1a', 10, 2, 'b', '1'],
      ['b', '1', '1a', 10, 2],
    ]) {
      expect(classCounts(input).map((r) => r.class)).toEqual(expected);
    }
    expect(classCounts(['x', 3, 'x', 1, 3])).toEqual([
      { class: 3, count: 2 },
      { class: 'x', count: 2 },
      { class: 1, count: 1 },
    ]);
  });

  it('rebalances SMOD inside IPCC Settlement (key IPCC_Settlement_SMOD)', () => {
    const { key, allocation } = rebalanceWithinClass(pool, 'IPCC', 'Settlement', 'SMOD', {
      weight: Math.sqrt,
      target: 18,
    });
    expect(key).toBe('IPCC_Settlement_SMOD');
    expect(allocation.map((a) => a.class)).toEqual([30, 11, 21]);
    expect(counts(allocation).reduce((s, x) => s + x, 0)).toBe(18);
    // sqrt weights 7.07 / 4.24 / 1.41 → 10 / 6 / 2
    expect(counts(allocation)).toEqual([10, 6, 2]);
    expect(() => rebalanceWithinClass(pool, 'IPCC', 'Water', 'SMOD')).toThrow(/no pool row has IPCC = Water/);
  });
});
