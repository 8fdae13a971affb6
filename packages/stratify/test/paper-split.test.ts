import { createHash } from 'node:crypto';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { mt19937, natsorted, PAPER_SPLIT, paperSplit, randperm } from '../src/index.js';
import { readShared } from './support.js';

const fixture = JSON.parse(readShared('fixtures/parity/split-permutation.json')) as {
  seed: number;
  n: number;
  permutation: number[];
  first_50: number[];
  last_10: number[];
  sha256_of_comma_joined_decimal: string;
  sum_i_times_perm_i: number;
  small_cases_same_seed: Record<string, number[]>;
  seed_42: { first_50: number[] };
  split_counts_for_M_3929: { train: [number, number]; val: [number, number]; test: [number, number] };
};

describe('MT19937 and randperm', () => {
  it('matches the reference MT19937 outputs', () => {
    const g = mt19937(5489);
    expect([g.nextUint32(), g.nextUint32(), g.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
    // the 10 000th output of the default seed (C++ std::mt19937 conformance value)
    const h = mt19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = h.nextUint32();
    expect(v).toBe(4123659995);
  });

  it('reproduces torch.randperm(3928) for seed 386564310 bit for bit (fixture)', () => {
    const perm = randperm(fixture.n, fixture.seed);
    expect(perm).toEqual(fixture.permutation);
    expect(perm.slice(0, 50)).toEqual(fixture.first_50);
    expect(perm.slice(-10)).toEqual(fixture.last_10);
    expect(createHash('sha256').update(perm.join(',')).digest('hex')).toBe(
      fixture.sha256_of_comma_joined_decimal,
    );
    expect(perm.reduce((s, p, i) => s + i * p, 0)).toBe(fixture.sum_i_times_perm_i);
    for (const [n, expected] of Object.entries(fixture.small_cases_same_seed))
      expect(randperm(Number(n), fixture.seed)).toEqual(expected);
    expect(randperm(3928, 42).slice(0, 50)).toEqual(fixture.seed_42.first_50);
  });
});

describe('natsorted', () => {
  it('sorts like Python natsort (numbers as integers, capitals before lower case)', () => {
    expect(
      natsorted([
        'Landcover-10',
        'UNHCR-AFGs1',
        'Amnesty POI-1-1-1',
        'ASMSpotter-10-1-1',
        'ASMSpotter-9-3-3',
        'Landcover-9',
      ]),
    ).toEqual([
      'ASMSpotter-9-3-3',
      'ASMSpotter-10-1-1',
      'Amnesty POI-1-1-1',
      'Landcover-9',
      'Landcover-10',
      'UNHCR-AFGs1',
    ]);
  });
});

describe('paperSplit', () => {
  const tiles = Papa.parse<Record<string, string>>(readShared('data/stratified_train_val_test_split.csv'), {
    header: true,
    skipEmptyLines: true,
  }).data.map((r) => r.tile);

  it('reproduces the split upstream training used (seed 386564310, M = 3929)', () => {
    expect(tiles).toHaveLength(3928);
    const s = paperSplit(tiles, PAPER_SPLIT);
    const c = fixture.split_counts_for_M_3929;
    expect([s.train.length, s.val.length, s.test.length]).toEqual([
      c.train[1] - c.train[0],
      c.val[1] - c.val[0],
      c.test[1] - c.test[0],
    ]);
    expect(s.permutation).toEqual(fixture.permutation);
    expect(s.scenes.slice(0, 2)).toEqual(['ASMSpotter-1-1-1', 'ASMSpotter-1-1-2']);
    expect(s.train.slice(0, 3)).toEqual(['ASMSpotter-9-2-3', 'Landcover-774208', 'Amnesty POI-13-2-1']);
    expect(s.val.slice(0, 3)).toEqual(['UNHCR-GMBs003386', 'Landcover-777618', 'UNHCR-MMRs035162']);
    expect(s.test.slice(0, 3)).toEqual(['UNHCR-BFAs004586', 'Landcover-772992', 'Landcover-768822']);
    expect(s.unused).toEqual(['Landcover-774999']);
    const train = new Set(s.train);
    const val = new Set(s.val);
    const test = new Set(s.test);
    expect([train.size, val.size, test.size]).toEqual([3117, 392, 392]);
    expect([...val].filter((t) => train.has(t))).toHaveLength(4);
    expect([...test].filter((t) => train.has(t))).toHaveLength(8);
  });

  it('defaults M to the list length and accepts count overrides', () => {
    const names = Array.from({ length: 10 }, (_, i) => `T-${i}`);
    const s = paperSplit(names, { seed: 386564310 });
    expect(s.counts).toEqual({ train: 8, val: 1, test: 1 });
    // natsorted list is T-0..T-9, so shuffled scene k is T-perm[k]
    expect([...s.train, ...s.val, ...s.test]).toEqual(
      fixture.small_cases_same_seed['10'].map((i) => `T-${i}`),
    );
    const o = paperSplit(names, { seed: 1, trainCount: 2, valCount: 2, testCount: 2 });
    expect([o.train.length, o.val.length, o.test.length, o.unused.length]).toEqual([2, 2, 2, 4]);
    expect(() => paperSplit(names, { directoryCount: -1 })).toThrow(/directoryCount/);
  });
});
