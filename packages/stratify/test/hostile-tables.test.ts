// Hostile tables and rasters through stratify's entry points: seeded mutations of upstream's split table (names,
// classes, class counts, allocations) and of a class raster's georeferencing and lookup points. Every outcome
// must be a result that keeps the documented invariants or a StratifyError with its code.
import { encodeGeoTiff, RasterIoError } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf, tallyOutcomes } from '../../../tests/support/json-mutations.js';
import {
  type Allocation,
  classCounts,
  classifyPoints,
  openClassRaster,
  paperSplitLabels,
  rebalance,
  rebalanceWithinClass,
  StratifyError,
  stratifiedDraw,
  stratifiedSplitLabels,
} from '../src/index.js';
import { readShared } from './support.js';

type Row = Record<string, string>;

/** Rows of a shared CSV (these tables have no quoted commas in the columns used here). */
function sharedRows(name: string, count: number): Row[] {
  const lines = readShared(`data/${name}`).trim().split('\n');
  const header = lines[0].split(',');
  return lines.slice(1, 1 + count).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
}

const SPLIT_ROWS = sharedRows('stratified_train_val_test_split.csv', 150);
const SPLITS = ['train', 'val', 'test'];
/** A value JSON can carry that `String()` cannot convert (the `toString` member shadows the prototype's). */
const UNPRINTABLE = { toString: 1, valueOf: 1 };
const EXTRA = [UNPRINTABLE, 1e9, 2 ** 53 - 1];

const stringOrNumber = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

describe('rebalance: seeded mutations of a (class, count) table and target', () => {
  const doc = {
    counts: classCounts(SPLIT_ROWS.map((r) => r['IPCC Class'])),
    target: 100,
  };

  it('the unmutated table of upstream rows allocates exactly 100 points', () => {
    expect(doc.counts.map((c) => c.class)).toContain('Settlement');
    const a = rebalance(doc.counts, doc.target);
    expect(a.reduce((s, r) => s + r.count, 0)).toBe(100);
  });

  it('300 variants (both modes) allocate sane counts or fail with a StratifyError code', async () => {
    const seen = new Map<string, number>();
    for (const { doc: d, what } of jsonMutations(doc, 300, 7, EXTRA)) {
      const { counts, target } = (d ?? {}) as { counts: never; target: number };
      for (const compat of [false, true]) {
        let out: Allocation[] = [];
        const outcome = await outcomeOf(
          `${what} (compat ${compat})`,
          () => {
            out = rebalance(counts, target, { compat });
          },
          StratifyError,
        );
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        expect(['ok', 'INVALID_ARGUMENT', 'EMPTY_CLASS'], what).toContain(outcome);
        if (outcome !== 'ok') continue;
        const total = out.reduce((s, r) => s + r.count, 0);
        if (!compat) expect(total, what).toBe(target);
        for (const r of out) {
          expect(Number.isSafeInteger(r.count) && r.count >= 0, what).toBe(true);
          expect(r.share >= 0 && r.share <= 1, what).toBe(true);
          expect(Number.isFinite(r.weight) && r.weight >= 0, what).toBe(true);
          expect(stringOrNumber(r.class), what).toBe(true);
        }
      }
    }
    expect(seen.get('ok')).toBeGreaterThan(40);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(50);
  });

  it('compat mode with a huge target allocates in closed form instead of looping target times', () => {
    const tiny = Array.from({ length: 300 }, (_, i) => ({ class: `c${i}`, count: 1 }));
    const start = performance.now();
    const a = rebalance(tiny, 2 ** 53 - 1, { compat: true });
    expect(performance.now() - start).toBeLessThan(1000);
    // every whole-percent share rounds to 0: the leftovers are dealt round-robin in priority order
    expect(a.every((r) => r.count >= Math.floor((2 ** 53 - 1) / 300))).toBe(true);
    expect(counts(rebalance(tiny.slice(0, 3), 7, { compat: true }))).toEqual([3, 2, 2]);
  });

  it('a class that cannot be printed is INVALID_ARGUMENT naming the row, not a TypeError', () => {
    const bad = [
      { class: 'Forest', count: 3 },
      { class: UNPRINTABLE, count: 2 },
    ] as never;
    expect(() => rebalance(bad, 10)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('counts[1].class'),
      }),
    );
    const nullCount = [{ class: 'Forest', count: null }] as never;
    expect(() => rebalance(nullCount, 10)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('counts[0].count'),
      }),
    );
  });

  it('counts whose weights overflow are INVALID_ARGUMENT instead of a silent all-zero split', () => {
    const huge = [
      { class: 'a', count: 1e308 },
      { class: 'b', count: 1e308 },
    ];
    expect(() => rebalance(huge, 10, { weight: (c) => c })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not finite') }),
    );
  });
});

const counts = (a: { count: number }[]) => a.map((r) => r.count);

describe('classCounts / rebalanceWithinClass: seeded mutations of table rows', () => {
  const rows = SPLIT_ROWS.slice(0, 60).map((r) => ({ 'IPCC Class': r['IPCC Class'], SMOD: r.SMOD }));

  it('300 variants count sane classes or fail with a StratifyError code', async () => {
    const seen = await tallyOutcomes(
      jsonMutations(rows, 300, 13, EXTRA),
      StratifyError,
      (doc: any, what: string) => {
        const list = (Array.isArray(doc) ? doc : []) as Record<string, unknown>[];
        const within = rebalanceWithinClass(list, 'IPCC Class', 'Settlement', 'SMOD', { target: 18 });
        expect(within.key).toBe('IPCC Class_Settlement_SMOD');
        expect(
          within.allocation.reduce((s, r) => s + r.count, 0),
          what,
        ).toBe(18);
        for (const r of within.allocation) expect(stringOrNumber(r.class), what).toBe(true);
      },
      { allowed: ['INVALID_ARGUMENT', 'EMPTY_CLASS'] },
    );
    expect(seen.get('ok')).toBeGreaterThan(100);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(10);
  });

  it('an object class value is INVALID_ARGUMENT naming the row and column', () => {
    const bad = [...rows.slice(0, 3), { 'IPCC Class': 'Settlement', SMOD: UNPRINTABLE }];
    expect(() => rebalanceWithinClass(bad, 'IPCC Class', 'Settlement', 'SMOD')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('rows[3].SMOD') }),
    );
    expect(() => classCounts(['a', { b: 1 } as never])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('values[1]') }),
    );
  });
});

describe('stratifiedDraw: seeded mutations of an allocation', () => {
  const allocation = rebalance(classCounts(SPLIT_ROWS.map((r) => r.joint_class)), 40).map((a) => ({
    class: a.class,
    count: a.count,
  }));

  it('300 variants draw rows of the allocated classes or fail with a StratifyError code', async () => {
    const seen = await tallyOutcomes(
      jsonMutations(allocation, 300, 17, EXTRA),
      StratifyError,
      async (doc: any, what: string) => {
        const res = await stratifiedDraw(SPLIT_ROWS, (r) => r.joint_class, doc as never, {
          seed: 1,
          onShortfall: 'report',
        });
        const list = doc as { class: unknown; count: number }[];
        const wanted = list.reduce((s, a) => s + a.count, 0);
        const short = res.shortfalls.reduce((s, f) => s + f.wanted - f.drawn, 0);
        expect(res.rows.length, what).toBe(wanted - short);
        const classes = new Set(list.map((a) => a.class));
        for (const r of res.rows) expect(classes.has(r.joint_class), what).toBe(true);
      },
      { allowed: ['INVALID_ARGUMENT'] },
    );
    expect(seen.get('ok')).toBeGreaterThan(20);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(20);
  });

  it('an allocation row with an unprintable class is INVALID_ARGUMENT naming it', async () => {
    await expect(
      stratifiedDraw(SPLIT_ROWS, (r) => r.joint_class, [{ class: UNPRINTABLE, count: -1 }] as never),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('allocation[0].class'),
    });
    await expect(stratifiedDraw(SPLIT_ROWS, (r) => r.joint_class, null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('allocation'),
    });
  });
});

describe('split labels: seeded mutations of upstream split rows', () => {
  it('300 stratified variants label every row train/val/test/null or fail with a StratifyError code', async () => {
    const seen = await tallyOutcomes(
      jsonMutations(SPLIT_ROWS, 300, 19, EXTRA),
      StratifyError,
      (doc: any, what: string) => {
        const rows = (Array.isArray(doc) ? doc : []) as unknown[];
        const cell = (r: unknown, k: string) => (r as Record<string, string> | null)?.[k] as string;
        const res = stratifiedSplitLabels(rows, {
          nameOf: (r) => cell(r, 'tile'),
          classOf: (r) => cell(r, 'joint_class'),
          seed: 3,
        });
        expect(res.labels, what).toHaveLength(rows.length);
        for (const l of res.labels) expect([...SPLITS, null], what).toContain(l);
        const labelled = res.labels.filter((l) => l !== null).length;
        expect(res.counts.train + res.counts.val + res.counts.test, what).toBe(labelled);
        expect(labelled + res.duplicates.length, what).toBe(rows.length);
      },
      { allowed: ['INVALID_ARGUMENT'] },
    );
    expect(seen.get('ok')).toBeGreaterThan(50);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(50);
  });

  it('300 paper-split variants label every name or fail with a StratifyError code', async () => {
    const doc = { names: SPLIT_ROWS.map((r) => r.tile), directoryCount: 150 };
    const seen = await tallyOutcomes(
      jsonMutations(doc, 300, 29, EXTRA),
      StratifyError,
      (d: any, what: string) => {
        const { names, directoryCount } = (d ?? {}) as { names: string[]; directoryCount: number };
        const res = paperSplitLabels(names, { directoryCount });
        expect(res.labels, what).toHaveLength(names.length);
        for (const l of res.labels) expect([...SPLITS, 'unused'], what).toContain(l);
        const { train, val, test, unused } = res.counts;
        expect(train + val + test + unused, what).toBe(names.length);
      },
      { allowed: ['INVALID_ARGUMENT'] },
    );
    expect(seen.get('ok')).toBeGreaterThan(50);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(50);
  });

  it('a name that is not a string is INVALID_ARGUMENT naming the row', () => {
    const names = SPLIT_ROWS.slice(0, 5).map((r) => r.tile) as unknown[];
    names[3] = undefined; // a short CSV row
    expect(() => paperSplitLabels(names as string[])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('names[3]') }),
    );
    const rows: Record<string, unknown>[] = SPLIT_ROWS.slice(0, 5).map((r, i) =>
      i === 2 ? { ...r, joint_class: UNPRINTABLE } : r,
    );
    expect(() =>
      stratifiedSplitLabels(rows, {
        nameOf: (r) => r.tile as string,
        classOf: (r) => r.joint_class as never,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('row 2: classOf returned an object'),
      }),
    );
  });
});

describe('class raster: seeded mutations of the georeferencing and of lookup points', () => {
  // 8×4 global LCCS raster of 45° pixels (codes from the legend, 0 = NoData)
  const CODES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160];
  const band = Uint8Array.from({ length: 32 }, (_, i) => (i % 7 === 6 ? 0 : CODES[i % CODES.length]));
  const geoDoc = { epsg: 4326, transform: [-180, 45, 0, 90, 0, -45], noData: 0 };
  const points = sharedRows('asmspotter_formatted.csv', 20).map((r) => ({
    lon: Number(r.lon),
    lat: Number(r.lat),
  }));

  /** How an open + lookup of bytes ended; raster-io's own typed errors are the documented ones for bad files. */
  async function lookupOutcome(what: string, bytes: Uint8Array, pts: unknown): Promise<string> {
    try {
      return await outcomeOf(
        what,
        async () => {
          const raster = await openClassRaster(bytes, { name: 'lccs.tif' });
          const values = await raster.lookup(pts as never);
          expect(values, what).toHaveLength((pts as unknown[]).length);
          for (const v of values) expect(v === null || band.includes(v), what).toBe(true);
        },
        StratifyError,
      );
    } catch (e) {
      if (e instanceof Error && e.cause instanceof RasterIoError) return `raster-io:${e.cause.code}`;
      throw e;
    }
  }

  it('the unmutated raster classifies upstream points with legend codes', async () => {
    const bytes = encodeGeoTiff({
      width: 8,
      height: 4,
      dtype: 'uint8',
      bands: [band],
      noData: 0,
      geo: { epsg: 4326, transform: geoDoc.transform as never },
    });
    const rows = await classifyPoints(points, {
      landcover: await openClassRaster(bytes),
      unknownClass: 'null',
    });
    // the first point (lon −55.25, lat 4.99) lies in row 1, column 2 of the 45° grid
    expect(rows[0].landcover_id).toBe(band[1 * 8 + 2]);
    for (const [i, r] of rows.entries()) {
      const col = Math.floor((points[i].lon + 180) / 45);
      const row = Math.floor((90 - points[i].lat) / 45);
      expect(r.landcover_id).toBe(band[row * 8 + col]);
    }
  });

  it('300 georeferencing variants open and look up sane values or fail with a typed error', async () => {
    const seen = new Map<string, number>();
    for (const { doc, what } of jsonMutations(geoDoc, 300, 31, EXTRA)) {
      const g = (doc ?? {}) as { epsg: number; transform: never; noData: number };
      let bytes: Uint8Array;
      try {
        bytes = encodeGeoTiff({
          width: 8,
          height: 4,
          dtype: 'uint8',
          bands: [band],
          // the writer refuses a noData that is no number: leave it out so the georeferencing is still read
          noData: typeof g.noData === 'number' ? g.noData : undefined,
          geo: { epsg: g.epsg, transform: g.transform },
        });
      } catch {
        continue; // the writer refuses it: no file to read
      }
      const outcome = await lookupOutcome(what, bytes, points);
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      expect(['ok', 'NO_GEOREFERENCING', 'UNKNOWN_CRS'], what).toContain(
        outcome.replace(/^raster-io:.*/, 'ok'),
      );
    }
    expect(seen.get('ok')).toBeGreaterThan(10);
  });

  it('300 point variants look up values or fail with INVALID_ARGUMENT', async () => {
    const bytes = encodeGeoTiff({
      width: 8,
      height: 4,
      dtype: 'uint8',
      bands: [band],
      noData: 0,
      geo: { epsg: 4326, transform: geoDoc.transform as never },
    });
    const seen = new Map<string, number>();
    for (const { doc, what } of jsonMutations(points, 300, 37, EXTRA)) {
      const outcome = await lookupOutcome(what, bytes, Array.isArray(doc) ? doc : []);
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      expect(['ok', 'INVALID_ARGUMENT'], what).toContain(outcome);
    }
    expect(seen.get('ok')).toBeGreaterThan(8);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(50);
  });

  it('a point whose lat is not a number is INVALID_ARGUMENT naming the raster and the point', async () => {
    const bytes = encodeGeoTiff({
      width: 8,
      height: 4,
      dtype: 'uint8',
      bands: [band],
      noData: 0,
      geo: { epsg: 54009, transform: [-18_000_000, 4_500_000, 0, 9_000_000, 0, -4_500_000] },
    });
    const raster = await openClassRaster(bytes, { name: 'smod.tif' });
    await expect(raster.lookup([points[0], { lon: 10, lat: '48.8' as never }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('smod.tif: point 1: lat "48.8" is not a number'),
    });
  });
});
