import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { classCounts, rebalance, StratifyError, stratifiedDraw, stratifiedSplit } from '../src/index.js';
import { readShared } from './support.js';

interface Row {
  id: number;
  IPCC: string;
}

const pool: Row[] = [
  ...Array.from({ length: 300 }, (_, i) => ({ id: i, IPCC: 'Forest' })),
  ...Array.from({ length: 40 }, (_, i) => ({ id: 300 + i, IPCC: 'Settlement' })),
  ...Array.from({ length: 5 }, (_, i) => ({ id: 340 + i, IPCC: 'Wetland' })),
];

describe('stratifiedDraw', () => {
  it('draws the allocated counts per class without replacement, reproducibly per seed', async () => {
    const allocation = [
      { class: 'Forest', count: 20 },
      { class: 'Settlement', count: 10 },
      { class: 'Wetland', count: 5 },
    ];
    const a = await stratifiedDraw(pool, (r) => r.IPCC, allocation, { seed: 7 });
    const b = await stratifiedDraw(pool, (r) => r.IPCC, allocation, { seed: 7 });
    const c = await stratifiedDraw(pool, (r) => r.IPCC, allocation, { seed: 8 });
    expect(a.rows).toEqual(b.rows);
    expect(a.rows.map((r) => r.id)).not.toEqual(c.rows.map((r) => r.id));
    expect(classCounts(a.rows.map((r) => r.IPCC))).toEqual([
      { class: 'Forest', count: 20 },
      { class: 'Settlement', count: 10 },
      { class: 'Wetland', count: 5 },
    ]);
    expect(new Set(a.rows.map((r) => r.id)).size).toBe(35);
    expect(a.shortfalls).toEqual([]);
  });

  it('is uniform within a class (each Forest row drawn ≈ equally often)', async () => {
    const hits = new Array(300).fill(0);
    for (let seed = 0; seed < 200; seed++) {
      const { rows } = await stratifiedDraw(pool, (r) => r.IPCC, [{ class: 'Forest', count: 30 }], { seed });
      for (const r of rows) hits[r.id]++;
    }
    // expected 20 per row; a biased draw (e.g. always the first rows) would fail this
    expect(Math.min(...hits)).toBeGreaterThan(5);
    expect(Math.max(...hits)).toBeLessThan(40);
  });

  it('never silently returns fewer rows: SHORTFALL error, explicit report, or top-up', async () => {
    const allocation = [{ class: 'Wetland', count: 8 }];
    await expect(stratifiedDraw(pool, (r) => r.IPCC, allocation)).rejects.toThrow(
      /Wetland \(wanted 8, have 5\)/,
    );
    const reported = await stratifiedDraw(pool, (r) => r.IPCC, allocation, { onShortfall: 'report' });
    expect(reported.shortfalls).toEqual([{ class: 'Wetland', wanted: 8, drawn: 5 }]);
    expect(reported.rows).toHaveLength(5);
    let next = 1000;
    const calls: [string | number, number][] = [];
    const topped = await stratifiedDraw(pool, (r) => r.IPCC, allocation, {
      seed: 1,
      topUp: (cls, missing) => {
        calls.push([cls, missing]);
        // "sampling more points": half of them land in the wanted class
        return Array.from({ length: 2 * missing }, (_, i) => ({
          id: next++,
          IPCC: i % 2 ? 'Wetland' : 'Forest',
        }));
      },
    });
    expect(calls).toEqual([['Wetland', 3]]);
    expect(topped.rows).toHaveLength(8);
    expect(topped.toppedUp).toBe(6);
    expect(topped.rows.every((r) => r.IPCC === 'Wetland')).toBe(true);
  });

  it('works end to end with rebalance()', async () => {
    const allocation = rebalance(classCounts(pool.map((r) => r.IPCC)), 30);
    const { rows } = await stratifiedDraw(pool, (r) => r.IPCC, allocation, { seed: 3 });
    expect(rows).toHaveLength(30);
  });

  it('refuses a class listed twice in the allocation (it drew the same rows twice), naming both rows', async () => {
    const six = pool.slice(0, 6);
    const e = await stratifiedDraw(
      six,
      (r) => r.IPCC,
      [
        { class: 'Forest', count: 5 },
        { class: 'Wetland', count: 0 },
        { class: 'Forest', count: 5 },
      ],
      { seed: 1 },
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StratifyError);
    expect([(e as StratifyError).code, (e as StratifyError).message]).toEqual([
      'INVALID_ARGUMENT',
      'allocation[0] and allocation[2] both name class Forest; list each class once (add up its counts)',
    ]);
    // numeric classes too (0 and -0 are one class, as in classCounts)
    await expect(
      stratifiedDraw(six, () => 0, [
        { class: 0, count: 1 },
        { class: -0, count: 1 },
      ]),
    ).rejects.toThrow('allocation[0] and allocation[1] both name class 0');
    // one row per class still draws without replacement
    const { rows } = await stratifiedDraw(six, (r) => r.IPCC, [{ class: 'Forest', count: 6 }], { seed: 1 });
    expect(new Set(rows.map((r) => r.id)).size).toBe(6);
  });

  it('rejects negative allocations', async () => {
    await expect(
      stratifiedDraw(pool, (r) => r.IPCC, [{ class: 'Forest', count: -1 }]),
    ).rejects.toBeInstanceOf(StratifyError);
  });
});

describe('stratifiedSplit', () => {
  const rows = Papa.parse<Record<string, string>>(readShared('data/stratified_train_val_test_split.csv'), {
    header: true,
    skipEmptyLines: true,
  }).data;
  // Parent AOI of a tile: ASMSpotter-12-3-1 → ASMSpotter-12, Amnesty POI-5-1-2 → Amnesty POI-5; others are their own.
  const parentOf = (tile: string) => {
    const m = /^((?:ASMSpotter|Amnesty POI)-\d+)-\d+-\d+$/.exec(tile);
    return m ? m[1] : tile;
  };
  const options = {
    nameOf: (r: Record<string, string>) => r.tile,
    classOf: (r: Record<string, string>) => r.joint_class,
    groupOf: (r: Record<string, string>) => parentOf(r.tile),
    seed: 11,
  };

  it('removes and reports the 38 duplicated tiles, keeps tiles of one parent together, ≈ 80/10/10 overall', () => {
    const s = stratifiedSplit(rows, options);
    expect(s.duplicates).toHaveLength(38);
    expect(s.duplicates[0]).toMatchObject({ name: rows[s.duplicates[0].firstIndex].tile });
    const total = s.train.length + s.val.length + s.test.length;
    expect(total).toBe(3890);
    expect(s.train.length / total).toBeCloseTo(0.8, 1);
    expect(s.val.length / total).toBeCloseTo(0.1, 1);
    expect(s.test.length / total).toBeCloseTo(0.1, 1);
    const splitOfParent = new Map<string, Set<string>>();
    for (const [name, split] of s.splitOf) {
      const p = parentOf(name);
      if (!splitOfParent.has(p)) splitOfParent.set(p, new Set());
      splitOfParent.get(p)?.add(split);
    }
    const straddling = [...splitOfParent.values()].filter((set) => set.size > 1);
    expect(straddling).toHaveLength(0);
    // upstream's CSV split: tiles of 54 of the 60 parents straddle splits
    const upstream = new Map<string, Set<string>>();
    for (const r of rows) {
      const p = parentOf(r.tile);
      if (p === r.tile) continue;
      if (!upstream.has(p)) upstream.set(p, new Set());
      upstream.get(p)?.add(r.split);
    }
    expect([...upstream.values()].filter((x) => x.size > 1).length).toBe(54);
  });

  it('stratifies within each joint class and is reproducible', () => {
    const s = stratifiedSplit(rows, options);
    const again = stratifiedSplit(rows, options);
    expect([...again.splitOf]).toEqual([...s.splitOf]);
    const big = classCounts(s.train.concat(s.val, s.test).map((r) => r.joint_class)).filter(
      (c) => c.count >= 100 && !String(c.class).startsWith('A'),
    );
    expect(big.length).toBeGreaterThan(3);
    for (const { class: cls, count } of big) {
      const inVal = s.val.filter((r) => r.joint_class === cls).length;
      const inTest = s.test.filter((r) => r.joint_class === cls).length;
      expect(Math.abs(inVal - 0.1 * count)).toBeLessThanOrEqual(1);
      expect(Math.abs(inTest - 0.1 * count)).toBeLessThanOrEqual(1);
    }
    const other = stratifiedSplit(rows, { ...options, seed: 12 });
    expect([...other.splitOf]).not.toEqual([...s.splitOf]);
  });

  it('gives the release table 3112 / 389 / 389 (80/10/10 of 3890) for every seed', () => {
    for (const seed of [0, 1, 11]) {
      const s = stratifiedSplit(rows, { ...options, seed });
      expect([s.train.length, s.val.length, s.test.length]).toEqual([3112, 389, 389]);
    }
  });

  it('rejects fractions that do not sum to 1', () => {
    expect(() => stratifiedSplit(rows, { ...options, fractions: [0.8, 0.1, 0.2] })).toThrow(/sum to 1/);
  });
});

describe('stratifiedSplit with many small classes', () => {
  type Row = { name: string; cls: string };
  const classesOf = (sizes: number[]): Row[] =>
    sizes.flatMap((n, c) => Array.from({ length: n }, (_, i) => ({ name: `c${c}-${i}`, cls: `c${c}` })));
  const options = { nameOf: (r: Row) => r.name, classOf: (r: Row) => r.cls };
  const counts = (s: { train: Row[]; val: Row[]; test: Row[] }) => [
    s.train.length,
    s.val.length,
    s.test.length,
  ];
  const perClass = (s: { splitOf: Map<string, string> }, cls: string) => {
    const c = { train: 0, val: 0, test: 0 } as Record<string, number>;
    for (const [name, split] of s.splitOf) if (name.startsWith(`${cls}-`)) c[split]++;
    return [c.train, c.val, c.test];
  };

  it('84 classes × 5 rows split 336 / 42 / 42 (val no longer takes every tie)', () => {
    const rows = classesOf(Array(84).fill(5));
    for (const seed of [1, 2]) {
      const s = stratifiedSplit(rows, { ...options, seed });
      expect(counts(s)).toEqual([336, 42, 42]);
      for (let c = 0; c < 84; c++) {
        const [train, val, test] = perClass(s, `c${c}`);
        expect(train).toBe(4);
        expect(val + test).toBe(1);
      }
    }
  });

  it('keeps the totals within one row of 80/10/10 and every class within ⌊share⌋…⌈share⌉', () => {
    const sizes = Array.from({ length: 150 }, (_, i) => 1 + ((i * 7) % 9));
    const rows = classesOf(sizes);
    for (const seed of [0, 3, 7]) {
      const s = stratifiedSplit(rows, { ...options, seed });
      const [train, val, test] = counts(s);
      expect(Math.abs(train - 0.8 * rows.length)).toBeLessThanOrEqual(1);
      expect(Math.abs(val - 0.1 * rows.length)).toBeLessThanOrEqual(1);
      expect(Math.abs(test - 0.1 * rows.length)).toBeLessThanOrEqual(1);
      expect(test).toBeGreaterThan(0);
      sizes.forEach((n, c) => {
        perClass(s, `c${c}`).forEach((have, k) => {
          const share = [0.8, 0.1, 0.1][k] * n;
          expect(have).toBeGreaterThanOrEqual(Math.floor(share + 1e-9));
          expect(have).toBeLessThanOrEqual(Math.ceil(share - 1e-9));
        });
      });
    }
  });

  it('same seed → same split; the seed, not a fixed order, decides val/test ties', () => {
    const rows = classesOf(Array(40).fill(5));
    const a = stratifiedSplit(rows, { ...options, seed: 5 });
    expect([...stratifiedSplit(rows, { ...options, seed: 5 }).splitOf]).toEqual([...a.splitOf]);
    // class c0 is dealt first: whether its fifth row lands in val or test varies with the seed
    const firstClass = new Set(
      Array.from({ length: 12 }, (_, seed) =>
        perClass(stratifiedSplit(rows, { ...options, seed }), 'c0').join('/'),
      ),
    );
    expect([...firstClass].sort()).toEqual(['4/0/1', '4/1/0']);
  });
});
