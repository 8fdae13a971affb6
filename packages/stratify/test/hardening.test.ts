// Found by a hostile-input review: lookups, switches and draws that answered silently wrong (a null for a
// point on the raster, upstream rounding for `compat: "false"`, a row drawn twice) or never ended.
import { encodeGeoTiff } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import { typedError } from '../../../tests/support/json-mutations.js';
import {
  classCounts,
  openClassRaster,
  rebalance,
  StratifyError,
  stratifiedDraw,
  stratifiedSplit,
  stratifiedSplitLabels,
} from '../src/index.js';

/** A 4 × 2 EPSG:4326 raster of 90° pixels, codes 1…8 row by row, with its west edge at `x0`. */
function globe(x0: number): Uint8Array {
  return encodeGeoTiff({
    width: 4,
    height: 2,
    dtype: 'uint8',
    bands: [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)],
    noData: null,
    geo: { epsg: 4326, transform: [x0, 90, 0, 90, 0, -90] },
  });
}

async function rejection(p: Promise<unknown>): Promise<InstanceType<typeof StratifyError>> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StratifyError);
  return e as InstanceType<typeof StratifyError>;
}

describe('ClassRaster.lookup', () => {
  it('lon 180 is the first column of a −180…180 grid, like lon −180 (it was null, "outside")', async () => {
    const r = await openClassRaster(globe(-180));
    const at = [
      { lon: 180, lat: 45 },
      { lon: -180, lat: 45 },
      { lon: 180, lat: -45 },
      { lon: 179.9, lat: 45 },
    ];
    expect(await r.lookup(at)).toEqual([1, 1, 5, 4]);
    expect(await r.lookup(at, { outside: 'error' })).toEqual([1, 1, 5, 4]);
    // a 0…360 grid keeps wrapping west longitudes east: −180 and 180 are both its column 2
    const east = await openClassRaster(globe(0));
    expect(await east.lookup(at)).toEqual([3, 3, 7, 2]);
    // past the poles stays outside
    expect(await r.lookup([{ lon: 0, lat: -90 }])).toEqual([null]);
  });

  it("crs 'epsg:4326' or '4326' is read as EPSG:4326: wrapped and extent-checked (it answered null west of 0°)", async () => {
    const west = [{ lon: -10, lat: 10 }];
    for (const crs of ['EPSG:4326', 'epsg:4326', '4326']) {
      const r = await openClassRaster(globe(0), { crs });
      expect(await r.lookup(west), crs).toEqual([4]);
    }
    const metres = encodeGeoTiff({
      width: 2,
      height: 2,
      dtype: 'uint8',
      bands: [Uint8Array.of(1, 2, 3, 4)],
      noData: null,
      geo: { epsg: 3857, transform: [-2e7, 2e7, 0, 2e7, 0, -2e7] },
    });
    const e = await rejection(openClassRaster(metres, { crs: 'epsg:4326', name: 'm.tif' }));
    expect([e.code, e.message]).toEqual([
      'UNKNOWN_CRS',
      expect.stringMatching(/^m\.tif: the file is opened as EPSG:4326 but spans x -20000000…20000000/),
    ]);
  });

  it('points with a hole or 2^32 − 1 long are INVALID_ARGUMENT (a hole answered null; the long one ran out of heap)', async () => {
    const r = await openClassRaster(globe(-180), { name: 'globe.tif' });
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holey = [, { lon: 10, lat: 10 }] as { lon: number; lat: number }[];
    expect((await rejection(r.lookup(holey))).message).toBe(
      'globe.tif: lookup: points[0] is a hole (an array with empty slots)',
    );
    const started = Date.now();
    expect((await rejection(r.lookup(new Array(2 ** 32 - 1)))).message).toBe(
      'globe.tif: lookup: points must have at most 100000000 items, got an array of length 4294967295',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses switches it read by truthiness: outside 'eror' answered null, compat 'false' used upstream's pixel", async () => {
    const r = await openClassRaster(globe(-180), { name: 'globe.tif' });
    const p = [{ lon: 10, lat: 10 }];
    expect(await r.lookup(p)).toEqual([3]);
    const outside = await rejection(r.lookup(p, { outside: 'eror' as never }));
    expect([outside.code, outside.message]).toEqual([
      'INVALID_ARGUMENT',
      `globe.tif: lookup: options.outside must be one of 'null', 'error', got "eror"`,
    ]);
    const compat = await rejection(r.lookup(p, { compat: 'false' as never }));
    expect([compat.code, compat.message]).toEqual([
      'INVALID_ARGUMENT',
      'globe.tif: lookup: options.compat must be true, false or undefined, got "false"',
    ]);
    expect(await r.lookup(p, { compat: false })).toEqual([3]);
  });
});

describe('rebalance', () => {
  const counts = [
    { class: 'A', count: 1000 },
    { class: 'B', count: 125 },
    { class: 'C', count: 8 },
  ];

  it("compat: 'false' is INVALID_ARGUMENT (it switched on upstream's rounding: 6 of 7 points)", () => {
    expect(rebalance(counts, 7).map((r) => r.count)).toEqual([4, 2, 1]);
    const e = typedError(() => rebalance(counts, 7, { compat: 'false' as never }), StratifyError);
    expect([e.code, e.message]).toEqual([
      'INVALID_ARGUMENT',
      'rebalance: options.compat must be true, false or undefined, got "false"',
    ]);
  });

  it('reads the weight option once (a getter swapping it after the check was a TypeError)', () => {
    let reads = 0;
    const options = {
      get weight() {
        reads++;
        return reads <= 2 ? Math.sqrt : 5;
      },
    };
    expect(rebalance(counts, 10, options as never).map((r) => r.count)).toEqual([7, 2, 1]);
    expect(reads).toBe(1);
  });
});

describe('stratifiedDraw', () => {
  it('a topUp that hands back rows it gave before (or pool rows) never gets a row drawn twice', async () => {
    const pool = Array.from({ length: 6 }, (_, id) => ({ id, c: id % 2 }));
    const extra = Array.from({ length: 3 }, (_, k) => ({ id: 100 + k, c: 0 }));
    const topUp = () => [...pool, ...extra];
    const { rows, shortfalls, toppedUp } = await stratifiedDraw(pool, (r) => r.c, [{ class: 0, count: 8 }], {
      seed: 3,
      topUp,
      onShortfall: 'report',
    });
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 2, 4, 100, 101, 102]);
    expect(shortfalls).toEqual([{ class: 0, wanted: 8, drawn: 6 }]);
    expect(toppedUp).toBe(5 * 9);
  });

  it('a pool generator that never ends is INVALID_ARGUMENT after 10^8 rows (it hung)', async () => {
    const endless = (function* () {
      for (;;) yield { c: 'A' as const };
    })();
    const e = await rejection(stratifiedDraw(endless as never, () => null, [{ class: 'A', count: 1 }]));
    expect(e.message).toBe('stratifiedDraw: pool yielded more than 100000000 items; pass a finite list');
  }, 60_000);

  it('classCounts of an endless generator is INVALID_ARGUMENT too', () => {
    const endless = (function* () {
      for (;;) yield null;
    })();
    const e = typedError(() => classCounts(endless), StratifyError);
    expect(e.message).toBe('classCounts: values yielded more than 100000000 items; pass a finite list');
  }, 60_000);
});

describe('stratifiedSplit and stratifiedSplitLabels', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ tile: `T${i}`, cls: `c${i % 3}` }));
  const plain = { nameOf: (r: (typeof rows)[0]) => r.tile, classOf: (r: (typeof rows)[0]) => r.cls, seed: 3 };

  /** Options whose accessors are getters that answer a function once, then 5. */
  function swapping(): typeof plain {
    const reads = { nameOf: 0, classOf: 0 };
    return {
      seed: 3,
      get nameOf() {
        return reads.nameOf++ === 0 ? plain.nameOf : (5 as never);
      },
      get classOf() {
        return reads.classOf++ === 0 ? plain.classOf : (5 as never);
      },
    };
  }

  it('read their accessors once: getters that change after the check split as the plain options (a TypeError before)', () => {
    const want = stratifiedSplit(rows, plain);
    const got = stratifiedSplit(rows, swapping());
    expect(got.train.map((r) => r.tile)).toEqual(want.train.map((r) => r.tile));
    expect(got.val.map((r) => r.tile)).toEqual(want.val.map((r) => r.tile));
    expect(stratifiedSplitLabels(rows, swapping()).labels).toEqual(stratifiedSplitLabels(rows, plain).labels);
    expect(new Set(stratifiedSplitLabels(rows, plain).labels)).toEqual(new Set(['train', 'val', 'test']));
  });
});

describe('signals', () => {
  it('a signal that is no AbortSignal (the controller itself) is INVALID_ARGUMENT in stratifiedDraw and lookup (it was ignored)', async () => {
    const controller = new AbortController();
    const pool = [{ c: 'A' }];
    const draw = await rejection(
      stratifiedDraw(pool, (r) => r.c, [{ class: 'A', count: 1 }], { signal: controller as never }),
    );
    expect([draw.code, draw.message]).toEqual([
      'INVALID_ARGUMENT',
      expect.stringContaining('options.signal must be an AbortSignal (pass controller.signal)'),
    ]);
    const r = await openClassRaster(globe(-180));
    const look = await rejection(r.lookup([{ lon: 0, lat: 0 }], { signal: 'x' as never }));
    expect(look.code).toBe('INVALID_ARGUMENT');
    expect(look.message).toContain('options.signal');
    // a real signal still works, and a fired one aborts
    expect(await r.lookup([{ lon: 0, lat: 45 }], { signal: controller.signal })).toEqual([3]);
    controller.abort();
    expect((await rejection(r.lookup([{ lon: 0, lat: 45 }], { signal: controller.signal }))).code).toBe(
      'ABORTED',
    );
  });
});
