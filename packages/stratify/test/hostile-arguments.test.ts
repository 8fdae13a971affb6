// Hostile arguments for every exported function of stratify's entry points (`.` and `./node`): what JavaScript
// callers, JSON configs and other tools pass. Each call must end in a result or a StratifyError (never a plain
// TypeError/RangeError, never a hang); functions re-exported from core end in a CoreError, and those documented
// to pass raster-io / geo-sampling errors through (unreadable files, bad masks) may end in those. The exports are
// iterated, so a new export is covered by the argument shapes at once; a valid call per function lets each
// argument be replaced on its own, and the crafted cases pin the code and message of the checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@worldstrat/core';
import { CoreError } from '@worldstrat/core';
import { GeoSamplingError } from '@worldstrat/geo-sampling';
import { encodeGeoTiff, RasterIoError } from '@worldstrat/raster-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOSTILE_ARGUMENT_SHAPES,
  HOSTILE_ARGUMENT_VALUES,
  typedError,
} from '../../../tests/support/json-mutations.js';
import * as indexApi from '../src/index.js';
import * as nodeApi from '../src/node.js';

const { StratifyError } = indexApi;
type Fn = (...args: unknown[]) => unknown;
type ErrorClass = abstract new (...args: never[]) => Error & { code: string };

/** A value JSON can carry that `String()` and template literals cannot convert. */
const UNPRINTABLE = { toString: 1, valueOf: 1 };

/** The probe's argument lists: nothing, one hostile value, and pairs of them. */
const SHAPES: readonly unknown[][] = [...HOSTILE_ARGUMENT_SHAPES, [UNPRINTABLE, UNPRINTABLE]];

/** Values put in place of one argument of a valid call. */
const HOSTILE_VALUES: readonly unknown[] = [...HOSTILE_ARGUMENT_VALUES, UNPRINTABLE];

/** A 4 × 2 EPSG:4326 class raster over the whole globe (LCCS codes; 190 = urban). */
const TIFF = encodeGeoTiff({
  width: 4,
  height: 2,
  dtype: 'uint8',
  bands: [Uint8Array.of(10, 50, 190, 210, 130, 190, 0, 10)],
  noData: 0,
  geo: { epsg: 4326, transform: [-180, 90, 0, 90, 0, -90] },
});

const ROWS = [
  { tile: 'A-1', cls: 'x', parent: 'A' },
  { tile: 'A-2', cls: 'x', parent: 'A' },
  { tile: 'B-1', cls: 'y' },
  { tile: 'C-1', cls: 'x' },
];
const POINT = {
  id: 0,
  lon: 10,
  lat: 10,
  landcover_id: 10,
  LCCS: 'a',
  IPCC: 'Agriculture',
  SMOD_id: 11,
  SMOD: 'b',
};

let dir = '';
let cwd = '';
let raster: indexApi.ClassRaster;

/** A valid call of each function (fresh arguments per call); every argument is then replaced on its own. */
const VALID: Record<string, () => unknown[]> = {
  natCompare: () => ['a10', 'a9'],
  natsorted: () => [['a10', 'a9']],
  pythonRound2: () => [0.125],
  landPointTopUp: () => [(pts: unknown[]) => pts, { seed: 1, firstId: 10, pointsPerMissing: 2 }],
  stratifiedDraw: () => [
    structuredClone(ROWS),
    (r: { cls: string } | null) => r?.cls,
    [{ class: 'x', count: 2 }],
    { seed: 1, onShortfall: 'report', maxTopUpRounds: 1 },
  ],
  loadLandMaskFromGeoTiff: () => [TIFF.slice(), { land: [190] }],
  lccsLabel: () => [190],
  smodLabel: () => [30],
  openClassRaster: () => [TIFF.slice(), { name: 'lccs', maxCachedBlocks: 4 }],
  classifyPoints: () => [
    [{ lon: 10, lat: 10 }],
    { landcover: raster, landcoverLegend: 'lccs', unknownClass: 'null', outside: 'null' },
  ],
  mt19937: () => [5489],
  randperm: () => [5, 42],
  classCounts: () => [['a', 'b', 'a', null]],
  isRebalanceWeightName: () => ['cbrt'],
  rebalance: () => [
    [
      { class: 'a', count: 1000 },
      { class: 'b', count: 125 },
    ],
    10,
    { weight: Math.sqrt, compat: false },
  ],
  rebalanceWithinClass: () => [structuredClone(ROWS), 'cls', 'x', 'tile', { target: 2 }],
  paperSplit: () => [['a1', 'a2', 'a10'], { seed: 1, directoryCount: 3 }],
  paperSplitLabels: () => [['a1', 'a2', 'a10'], { seed: 1 }],
  stratifiedSplit: () => [
    structuredClone(ROWS),
    {
      nameOf: (r: { tile: string } | null) => r?.tile,
      classOf: (r: { cls: string } | null) => r?.cls,
      seed: 1,
    },
  ],
  stratifiedSplitLabels: () => [
    structuredClone(ROWS),
    {
      nameOf: (r: { tile: string } | null) => r?.tile,
      classOf: (r: { cls: string } | null) => r?.cls,
      fractions: [0.5, 0.25, 0.25],
    },
  ],
  classifiedPointsToCsv: () => [
    [{ ...POINT }, { lon: 1, lat: 2, landcover_id: null, LCCS: null, IPCC: null, SMOD_id: null, SMOD: null }],
  ],
  classifiedPointsToTable: () => [[{ ...POINT }]],
  openClassRasterFile: () => [join(dir, 'lccs.tif'), { band: 0 }],
  openClassRasterPathOrUrl: () => [join(dir, 'lccs.tif'), { name: 'x' }],
};

/** Error classes besides StratifyError each function may end in (as its TSDoc says). */
const ALSO: Record<string, readonly ErrorClass[]> = {
  // re-exported from core: core's error class
  natCompare: [CoreError],
  natsorted: [CoreError],
  pythonRound2: [CoreError],
  // files and masks: raster-io's errors for unreadable bytes, geo-sampling's for a bad mask
  loadLandMaskFromGeoTiff: [RasterIoError, GeoSamplingError],
  openClassRaster: [RasterIoError],
  openClassRasterFile: [RasterIoError],
  openClassRasterPathOrUrl: [RasterIoError],
  // a bad seed is core's INVALID_SEED wherever it is given
  landPointTopUp: [CoreError],
  stratifiedDraw: [CoreError],
  stratifiedSplit: [CoreError],
  stratifiedSplitLabels: [CoreError],
};

/** The exported functions of both entry points (classes excluded: they are constructed, not called). */
const FUNCTIONS = new Map<string, Fn>();
for (const api of [indexApi, nodeApi] as Record<string, unknown>[])
  for (const [name, value] of Object.entries(api))
    if (typeof value === 'function' && !/^[A-Z]/.test(name)) FUNCTIONS.set(name, value as Fn);

// The accessors of the valid calls are null-safe, as a caller's should be: an error thrown by the caller's own
// callback is the caller's, and passes through unchanged.

/**
 * How the call ended: 'ok', or `<Class>:<code>` of an allowed typed error. Anything else, or a promise that does
 * not settle within 10 s, fails naming the call. An 'ok' handle is closed again.
 */
async function outcome(what: string, name: string, fn: Fn, args: unknown[]): Promise<string> {
  try {
    let result = fn(...args);
    if (result instanceof Promise) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('did not settle within 10 s')), 10_000);
      });
      result = await Promise.race([result, timeout]).finally(() => clearTimeout(timer));
    }
    const handle = result as { close?: unknown } | null;
    if (name.startsWith('openClassRaster') && typeof handle?.close === 'function') await handle.close();
    return 'ok';
  } catch (e) {
    for (const C of [StratifyError, ...(ALSO[name] ?? [])])
      if (e instanceof C) return `${C.name}:${(e as { code: string }).code}`;
    const message = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new Error(`${what}: ${message}`, { cause: e });
  }
}

const shown = (args: unknown[]): string => args.map((a) => core.describeValue(a, 30)).join(', ');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratify-hostile-args-'));
  // Shapes like ('x') are relative paths: resolve them in the scratch folder, never in the package.
  cwd = process.cwd();
  process.chdir(dir);
  writeFileSync(join(dir, 'lccs.tif'), TIFF);
  raster = await indexApi.openClassRaster(TIFF.slice(), { name: 'lccs' });
});

afterAll(async () => {
  await raster?.close();
  if (cwd) process.chdir(cwd);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every exported function, called with hostile argument shapes', () => {
  it('finds the exports and has a valid call for each', () => {
    expect(FUNCTIONS.size).toBeGreaterThan(20);
    // A new export is called with SHAPES at once; add a valid call here to fuzz its arguments one by one.
    expect([...FUNCTIONS.keys()].filter((name) => !VALID[name])).toEqual([]);
  });

  it('checks the re-exports from core through core itself', () => {
    for (const name of ['natCompare', 'natsorted', 'pythonRound2'])
      expect(FUNCTIONS.get(name)).toBe((core as Record<string, unknown>)[name]);
  });

  for (const [name, fn] of FUNCTIONS) {
    it(name, async () => {
      const outcomes = new Set<string>();
      for (const args of SHAPES) outcomes.add(await outcome(`${name}(${shown(args)})`, name, fn, args));
      const valid = VALID[name];
      if (valid) {
        expect(await outcome(`${name}(valid)`, name, fn, valid())).toBe('ok');
        const n = valid().length;
        for (let i = 0; i < n; i++)
          for (const v of HOSTILE_VALUES) {
            const args = valid();
            args[i] = v;
            outcomes.add(await outcome(`${name}(${shown(args)}) [argument ${i}]`, name, fn, args));
          }
      }
      // a predicate answers false; every other function refuses some argument
      if (name !== 'isRebalanceWeightName') expect([...outcomes].some((o) => o !== 'ok')).toBe(true);
    });
  }
});

const thrown = (f: () => unknown) => typedError(f, StratifyError);

function expectError(f: () => unknown, code: string, message: RegExp | string): void {
  const e = thrown(f);
  expect([e.code, e.message]).toEqual([
    code,
    typeof message === 'string' ? message : expect.stringMatching(message),
  ]);
}

async function expectRejection(p: Promise<unknown>, code: string, message: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StratifyError);
  expect([(e as InstanceType<typeof StratifyError>).code, (e as Error).message]).toEqual([code, message]);
}

describe('lists with holes or of absurd length, and unbounded loops', () => {
  const opts = { nameOf: (r: { n: string }) => r.n, classOf: () => 'A' };
  it('a hole is INVALID_ARGUMENT naming its index (it was skipped: a row lost without a word)', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holey = [, { n: 'a' }, { n: 'b' }] as { n: string }[];
    expectError(
      () => indexApi.stratifiedSplit(holey, opts),
      'INVALID_ARGUMENT',
      'stratifiedSplit: rows[0] is a hole (an array with empty slots)',
    );
    expectError(
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      () => indexApi.stratifiedSplit([{ n: 'a' }], { ...opts, fractions: [, 0.5, 0.5] as never }),
      'INVALID_ARGUMENT',
      'fractions [, 0.5, 0.5] must be three numbers ≥ 0 that sum to 1',
    );
    expectError(
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      () => indexApi.rebalance([, { class: 'A', count: 5 }] as never, 10),
      'INVALID_ARGUMENT',
      'rebalance: counts[0] is a hole (an array with empty slots)',
    );
    expectError(
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      () => indexApi.rebalanceWithinClass([, { I: 'S', M: 1 }] as never, 'I', 'S', 'M', { target: 3 }),
      'INVALID_ARGUMENT',
      'rebalanceWithinClass: rows[0] is a hole (an array with empty slots)',
    );
  });

  it('an array 2^32 − 1 long with no elements is refused at once (walking it took minutes, spreading it the heap)', () => {
    const huge = new Array(2 ** 32 - 1);
    const started = Date.now();
    expectError(
      () => indexApi.classCounts(huge),
      'INVALID_ARGUMENT',
      'classCounts: values must have at most 100000000 items, got an array of length 4294967295',
    );
    expectError(
      () => indexApi.rebalance(huge, 10),
      'INVALID_ARGUMENT',
      'rebalance: counts must have at most 100000000 items, got an array of length 4294967295',
    );
    expectError(
      () => indexApi.stratifiedSplit(huge, opts),
      'INVALID_ARGUMENT',
      'stratifiedSplit: rows must have at most 100000000 items, got an array of length 4294967295',
    );
    const sorted = typedError(() => core.natsorted(huge), CoreError);
    expect(sorted.message).toBe(
      'natsorted: values must be at most 100000000 strings, got "an array of length 4294967295"',
    );
    expectError(
      () => indexApi.randperm(2e8, 1),
      'INVALID_ARGUMENT',
      'randperm needs an integer n in 0..10000000, got 200000000',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stratifiedDraw: top-up rounds are capped and a timeout stops a synchronous top-up that finds nothing', async () => {
    const pool = [{ c: 'A' }];
    const allocation = [{ class: 'A', count: 5 }];
    const classOf = (r: { c: string }) => r.c;
    await expect(
      indexApi.stratifiedDraw(pool, classOf, allocation, { topUp: () => [], maxTopUpRounds: 2 ** 53 - 1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'stratifiedDraw: options.maxTopUpRounds must be at most 10000, got 9007199254740991',
    });
    let calls = 0;
    const started = Date.now();
    const err = await indexApi
      .stratifiedDraw(pool, classOf, allocation, {
        topUp: () => {
          calls++;
          return [];
        },
        maxTopUpRounds: 10_000,
        signal: AbortSignal.timeout(100),
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(10_000);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("paperSplit counts are the lists' own sizes (counts past the list were reported as given)", () => {
    expect(indexApi.paperSplit(['a', 'b'], { seed: 1, trainCount: 5 }).counts).toEqual({
      train: 2,
      val: 0,
      test: 0,
    });
    expect(indexApi.paperSplit(['a', 'b'], { seed: 1, directoryCount: 2 ** 40 }).counts).toEqual({
      train: 2,
      val: 0,
      test: 0,
    });
  });
});

describe('crafted cases: the code and message of each check', () => {
  it('split functions name the missing or malformed argument', () => {
    expectError(
      () => indexApi.paperSplit(undefined as never),
      'INVALID_ARGUMENT',
      'names must be an array of strings',
    );
    expectError(
      () => indexApi.paperSplit(['a'], { trainCount: UNPRINTABLE as never }),
      'INVALID_ARGUMENT',
      'train count must be a non-negative integer, got {"toString":1,"valueOf":1}',
    );
    expectError(
      () => indexApi.stratifiedSplit([], undefined as never),
      'INVALID_ARGUMENT',
      'stratifiedSplit: options must be an object, got undefined',
    );
    expectError(
      () => indexApi.stratifiedSplitLabels(ROWS, { nameOf: (r) => r.tile, classOf: 'cls' as never }),
      'INVALID_ARGUMENT',
      'stratifiedSplit: options.classOf must be a function, got "cls"',
    );
    const badSeed = typedError(
      () => indexApi.stratifiedSplit(ROWS, { nameOf: (r) => r.tile, classOf: (r) => r.cls, seed: -1 }),
      CoreError,
    );
    expect([badSeed.code, badSeed.message]).toEqual([
      'INVALID_SEED',
      'stratifiedSplit: options.seed must be a non-negative safe integer, got -1',
    ]);
    expectError(
      () => indexApi.randperm(3, undefined as never),
      'INVALID_ARGUMENT',
      'randperm: seed must be a non-negative integer or an Mt19937 generator, got undefined',
    );
  });

  it('stratifiedDraw checks its arguments and options, and what topUp returns', async () => {
    const pool = [{ c: 'a' }];
    const classOf = (r: { c: string }) => r.c;
    await expectRejection(
      indexApi.stratifiedDraw(undefined as never, classOf, []),
      'INVALID_ARGUMENT',
      'stratifiedDraw: pool must be an array, got undefined',
    );
    await expectRejection(
      indexApi.stratifiedDraw(pool, 'c' as never, []),
      'INVALID_ARGUMENT',
      'stratifiedDraw: classOf must be a function, got "c"',
    );
    // an unknown policy used to behave as 'report' and return a short draw
    await expectRejection(
      indexApi.stratifiedDraw(pool, classOf, [{ class: 'a', count: 2 }], { onShortfall: 'warn' as never }),
      'INVALID_ARGUMENT',
      "stratifiedDraw: options.onShortfall must be one of 'error', 'report', got \"warn\"",
    );
    await expectRejection(
      indexApi.stratifiedDraw(pool, classOf, [{ class: 'a', count: 2 }], { topUp: () => 5 as never }),
      'INVALID_ARGUMENT',
      'stratifiedDraw: options.topUp("a", …) result must be an array of rows, got 5',
    );
    // a bad seed is core's INVALID_SEED wherever it is given
    const badSeed = await indexApi.stratifiedDraw(pool, classOf, [], { seed: 'x' as never }).catch((e) => e);
    expect(badSeed).toBeInstanceOf(CoreError);
    expect([badSeed.code, badSeed.message]).toEqual([
      'INVALID_SEED',
      'stratifiedDraw: options.seed must be a non-negative safe integer, got "x"',
    ]);
  });

  it('landPointTopUp needs a classify function and its options', () => {
    expectError(
      () => indexApi.landPointTopUp((p) => p, undefined as never),
      'INVALID_ARGUMENT',
      'landPointTopUp: options must be an object, got undefined',
    );
    expectError(
      () => indexApi.landPointTopUp(null as never, { seed: 1, firstId: 0 }),
      'INVALID_ARGUMENT',
      'landPointTopUp: classify must be a function, got null',
    );
    expectError(
      () => indexApi.landPointTopUp((p) => p, { seed: 1, firstId: Number.NaN }),
      'INVALID_ARGUMENT',
      'landPointTopUp: options.firstId must be an integer ≥ 0, got NaN',
    );
  });

  it('classifyPoints refuses switches it would silently read as their default', async () => {
    await expectRejection(
      indexApi.classifyPoints([{ lon: 1, lat: 2 }], undefined as never),
      'INVALID_ARGUMENT',
      'classifyPoints: options must be an object, got undefined',
    );
    await expectRejection(
      indexApi.classifyPoints([{ lon: 1, lat: 2 }], { landcover: raster, unknownClass: 'skip' as never }),
      'INVALID_ARGUMENT',
      "classifyPoints: options.unknownClass must be one of 'error', 'null', got \"skip\"",
    );
    await expectRejection(
      indexApi.classifyPoints([{ lon: 1, lat: 2 }], { landcover: 'lccs.tif' as never }),
      'INVALID_ARGUMENT',
      'classifyPoints: options.landcover must be a ClassRaster (openClassRaster) or undefined, got "lccs.tif"',
    );
    await expectRejection(
      raster.lookup([{ lon: 1, lat: 2 }], null as never),
      'INVALID_ARGUMENT',
      'lccs: lookup: options must be an object or undefined, got null',
    );
  });

  it('table writers name the row member of the wrong type', () => {
    expectError(
      () => indexApi.classifiedPointsToCsv(undefined as never),
      'INVALID_ARGUMENT',
      'classifiedPointsToCsv: rows must be an array, got undefined',
    );
    expectError(
      () => indexApi.classifiedPointsToTable([{ ...POINT, LCCS: { a: 1 } }] as never),
      'INVALID_ARGUMENT',
      'classifiedPointsToTable: rows[0].LCCS must be a string or null, got {"a":1}',
    );
  });

  it('counts, legends and rebalancing refuse values that cannot be classes or labels', () => {
    expectError(
      () => indexApi.classCounts(undefined as never),
      'INVALID_ARGUMENT',
      'classCounts: values must be an array, got undefined',
    );
    expectError(
      () => indexApi.lccsLabel(UNPRINTABLE as never),
      'INVALID_ARGUMENT',
      'lccsLabel: code must be a number, got {"toString":1,"valueOf":1}',
    );
    // a name of Object.prototype is not a legend entry
    expectError(() => indexApi.smodLabel('toString' as never), 'UNKNOWN_CLASS', /^SMOD code toString is not/);
    expect(indexApi.isRebalanceWeightName(UNPRINTABLE as never)).toBe(false);
    expectError(
      () => indexApi.rebalance([{ class: 'a', count: 1 }], 1, { weight: 'cbrt' as never }),
      'INVALID_ARGUMENT',
      'rebalance: options.weight must be a function, got "cbrt"',
    );
    expectError(
      () => indexApi.rebalanceWithinClass(ROWS, 'cls', UNPRINTABLE as never, 'tile'),
      'INVALID_ARGUMENT',
      'rebalanceWithinClass: className must be a string or a number, got {"toString":1,"valueOf":1}',
    );
  });

  it('raster openers refuse options and inputs that are not objects or paths', async () => {
    await expectRejection(
      indexApi.openClassRaster(TIFF.slice(), null as never),
      'INVALID_ARGUMENT',
      'openClassRaster: options must be an object or undefined, got null',
    );
    await expectRejection(
      indexApi.openClassRaster(42 as never),
      'INVALID_ARGUMENT',
      'openClassRaster: input must be a URL, a ByteSource, bytes or a GeoTiff, got 42',
    );
    await expectRejection(
      indexApi.loadLandMaskFromGeoTiff(TIFF.slice(), null as never),
      'INVALID_ARGUMENT',
      'loadLandMaskFromGeoTiff: options must be an object or undefined, got null',
    );
    await expectRejection(
      nodeApi.openClassRasterPathOrUrl(UNPRINTABLE as never),
      'INVALID_ARGUMENT',
      'openClassRasterPathOrUrl: ref must be a string, got {"toString":1,"valueOf":1}',
    );
  });
});
