// Hostile arguments for every exported function of geo-sampling's entry points (`.`, `./node`, `./arrow`): what
// JavaScript callers, JSON configs and other tools pass. Each call must end in a result or a GeoSamplingError
// (never a plain TypeError/RangeError, never a hang). The exports are iterated, so a new export is covered by
// the argument shapes at once; a valid call per function lets each argument be replaced on its own, and the
// crafted cases pin the code and message of the checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@worldstrat/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOSTILE_ARGUMENT_SHAPES,
  HOSTILE_ARGUMENT_VALUES,
  outcomeOf,
  typedError,
} from '../../../tests/support/json-mutations.js';
import * as arrowApi from '../src/arrow.js';
import * as indexApi from '../src/index.js';
import * as nodeApi from '../src/node.js';
import { samplePointsOnLandSync } from '../src/sphere/sample-points-on-land.js';

const { GeoSamplingError } = indexApi;
type Fn = (...args: unknown[]) => unknown;

/** The probe's argument lists: nothing, one hostile value, and pairs of them. */
const SHAPES: readonly unknown[][] = HOSTILE_ARGUMENT_SHAPES;

/** Values put in place of one argument of a valid call. */
const HOSTILE_VALUES: readonly unknown[] = HOSTILE_ARGUMENT_VALUES;

const AOI = {
  name: 'a',
  lon: 1,
  lat: 10,
  bounds: [0.99, 9.99, 1.01, 10.01],
  areaKm2: 2.5,
  source: 'custom',
};
const POINTS = [
  { id: 0, lon: 1, lat: 2 },
  { id: 1, lon: 3, lat: 4 },
];
const SQUARE = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ],
  ],
};
const RASTER = {
  width: 2,
  height: 1,
  bands: [Uint8Array.of(1, 0)],
  geo: { epsg: 4326, transform: [0, 1, 0, 1, 0, -1] },
};
const POIS_CSV = 'name,lon,lat\na,1,2\nb,3,4\n';
const AOIS_CSV = indexApi.aoisToCsv([AOI as indexApi.Aoi]);
const land = { source: 'all land', isLand: () => true };

let dir = '';
let cwd = '';

/** A valid call of each function (fresh arguments per call); every argument is then replaced on its own. */
const VALID: Record<string, () => unknown[]> = {
  createRng: () => [1],
  utmEpsgForLonLat: () => [13, 52],
  utmZoneForLonLat: () => [13, 52],
  bboxToPolygon: () => [[179, 0, -179, 1]],
  splitBBoxAtAntimeridian: () => [[179, 0, -179, 1]],
  aoiBounds: () => [1, 10, 2.5, { polar: 'clamp' }],
  createAoi: () => [{ name: 'a', lon: 1, lat: 10 }, 2.5, { source: 's' }],
  createAois: () => [[{ name: 'a', lon: 1, lat: 10 }], 2.5, { source: 's' }],
  namePoints: () => [structuredClone(POINTS), 'P', 'src'],
  createLandMask: () => [structuredClone(SQUARE), { cellsPerDegree: 1, source: 'square' }],
  isLand: () => [1, 1],
  loadLandMask: () => [{ scale: '110m', cellsPerDegree: 1 }],
  landMaskFromRaster: () => [structuredClone(RASTER), { land: [1], outside: false, band: 0 }],
  readPois: () => [POIS_CSV, { format: 'csv', source: 's', delimiter: ',' }],
  samplePointsInRegion: () => [3, [0, 0, 1, 1], land, indexApi.createRng(1), 0],
  samplePointsOnLand: () => [3, { mask: land, seed: 1 }],
  samplePointsOnSphere: () => [3, { seed: 1, firstId: 0 }],
  aoisToCsv: () => [[structuredClone(AOI)]],
  pointsToCsv: () => [structuredClone(POINTS)],
  readAoisCsv: () => [AOIS_CSV, { delimiter: ',' }],
  aoisToGeoJson: () => [[structuredClone(AOI)]],
  readAoisGeoJson: () => [JSON.stringify(indexApi.aoisToGeoJson([AOI as indexApi.Aoi]))],
  tileAoi: () => [structuredClone(AOI), 4],
  tileAoi3x3: () => [structuredClone(AOI)],
  lonLatToUtm: () => [13, 52, 32633],
  utmProj4Definition: () => [32633],
  readPoisFile: () => [join(dir, 'pois.csv'), { source: 's' }],
  writeAoisFile: () => [join(dir, 'out.csv'), [structuredClone(AOI)], { format: 'csv' }],
  readAoisFile: () => [join(dir, 'aois.csv'), { format: 'csv', delimiter: ',' }],
  aoisToTable: () => [[structuredClone(AOI)]],
  pointsToTable: () => [structuredClone(POINTS)],
  poisToTable: () => [indexApi.readPois(POIS_CSV).pois],
  aoisToIpc: () => [[structuredClone(AOI)]],
  aoisFromIpc: () => [arrowApi.aoisToIpc([AOI as indexApi.Aoi])],
  tableToAois: () => [arrowApi.aoisToTable([AOI as indexApi.Aoi])],
};

/** The exported functions of every entry point (classes excluded: they are constructed, not called). */
const FUNCTIONS = new Map<string, Fn>();
for (const api of [indexApi, nodeApi, arrowApi] as Record<string, unknown>[])
  for (const [name, value] of Object.entries(api))
    if (typeof value === 'function' && !/^[A-Z]/.test(name)) FUNCTIONS.set(name, value as Fn);

/**
 * How the call ended: 'ok', the GeoSamplingError's code, or 'ENOENT' where a well-formed path names no file
 * (the OS's answer, not an argument error). Anything else, or a promise that does not settle, fails naming it.
 */
async function outcome(what: string, fn: Fn, args: unknown[]): Promise<string> {
  // Re-exports of @worldstrat/core's own functions throw core's typed error.
  const errorClass = Object.values(core).includes(fn) ? core.CoreError : GeoSamplingError;
  try {
    return await outcomeOf(
      what,
      async () => {
        const result = fn(...args);
        if (result instanceof Promise) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('did not settle within 20 s')), 20_000);
          });
          await Promise.race([result, timeout]).finally(() => clearTimeout(timer));
        }
      },
      errorClass,
    );
  } catch (e) {
    const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'ENOENT' && typeof cause.syscall === 'string') return 'ENOENT';
    throw e;
  }
}

const shown = (args: unknown[]): string =>
  args
    .map((a) =>
      typeof a === 'function'
        ? 'fn'
        : a instanceof Uint8Array
          ? 'Uint8Array'
          : (JSON.stringify(a) ?? String(a)).slice(0, 40),
    )
    .join(', ');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'geo-hostile-args-'));
  // Shapes like ('x') are relative paths: resolve them in the scratch folder, never in the package.
  cwd = process.cwd();
  process.chdir(dir);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'pois.csv'), POIS_CSV);
  await writeFile(join(dir, 'aois.csv'), AOIS_CSV);
  // isLand answers once the default mask is loaded.
  await indexApi.loadLandMask();
});

afterAll(() => {
  if (cwd) process.chdir(cwd);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every exported function, called with hostile argument shapes', () => {
  it('finds the exports and has a valid call for each', () => {
    expect(FUNCTIONS.size).toBeGreaterThan(30);
    // A new export is called with SHAPES at once; add a valid call here to fuzz its arguments one by one.
    expect([...FUNCTIONS.keys()].filter((name) => !VALID[name])).toEqual([]);
  });

  for (const [name, fn] of FUNCTIONS) {
    it(name, async () => {
      const outcomes = new Set<string>();
      for (const args of SHAPES) outcomes.add(await outcome(`${name}(${shown(args)})`, fn, args));
      const valid = VALID[name];
      if (valid) {
        expect(await outcome(`${name}(valid)`, fn, valid())).toBe('ok');
        const n = valid().length;
        for (let i = 0; i < n; i++)
          for (const v of HOSTILE_VALUES) {
            const args = valid();
            args[i] = v;
            outcomes.add(await outcome(`${name}(${shown(args)}) [argument ${i}]`, fn, args));
          }
      }
      expect([...outcomes].some((o) => o !== 'ok')).toBe(true);
    });
  }
});

const thrown = (f: () => unknown) => typedError(f, GeoSamplingError);

describe('holes, absurd lengths and unprintable values', () => {
  it('a hole in the points, a 2^32 − 1 long array, and a Symbol or BigInt name or EPSG code are INVALID_ARGUMENT', () => {
    const p = { name: 'a', lon: 1, lat: 2 };
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expectError(() => indexApi.createAois([, p] as never, 2.5), /^createAois: points\[0\] is a hole/);
    const started = Date.now();
    const huge = new Array(2 ** 32 - 1);
    expectError(
      () => indexApi.createAois(huge, 2.5),
      /^createAois: points must have at most 100000000 items/,
    );
    expectError(
      () => indexApi.bboxToPolygon(huge as never),
      /^bboxToPolygon: bounds must be four finite numbers/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    for (const name of [Symbol('s'), 10n, Object.create(null)])
      expectError(
        () => indexApi.createAois([{ ...p, name }] as never, 2.5),
        /^createAois: points\[0\]\.name must be a non-empty string, got /,
      );
    for (const epsg of [Symbol('e'), 32633n, Object.create(null)]) {
      expectError(
        () => indexApi.utmProj4Definition(epsg as never),
        /^utmProj4Definition: EPSG:.* is not a WGS-84 UTM code/,
      );
      expectError(() => indexApi.lonLatToUtm(1, 2, epsg as never), /is not a WGS-84 UTM code/);
    }
  });
});

function expectError(f: () => unknown, message: RegExp, code = 'INVALID_ARGUMENT'): void {
  const e = thrown(f);
  expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
}

async function expectRejection(p: Promise<unknown>, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GeoSamplingError);
  expect([(e as InstanceType<typeof GeoSamplingError>).code, (e as Error).message]).toEqual([
    'INVALID_ARGUMENT',
    expect.stringMatching(message),
  ]);
}

describe('crafted hostile arguments: the code and the message name the function and the argument', () => {
  const { aoisToCsv, bboxToPolygon, createAoi, createAois, namePoints, pointsToCsv, readPois } = indexApi;
  const { samplePointsInRegion, samplePointsOnSphere, splitBBoxAtAntimeridian, tileAoi } = indexApi;

  it('boxes: four finite numbers, typed arrays included', () => {
    expectError(
      () => bboxToPolygon(undefined as never),
      /^bboxToPolygon: bounds must be four finite numbers \[minLon, minLat, maxLon, maxLat\], got undefined$/,
    );
    expectError(
      () => splitBBoxAtAntimeridian([0, Number.NaN, 1, 1] as never),
      /^splitBBoxAtAntimeridian: bounds must be four finite numbers .*got \[0,null,1,1\]$/,
    );
    expect(splitBBoxAtAntimeridian(Float64Array.of(179, 0, -179, 1) as never)).toEqual([
      [179, 0, 180, 1],
      [-180, 0, -179, 1],
    ]);
  });

  it('points, AOIs and options must be objects; absent options stay the defaults', () => {
    expectError(() => createAoi(null as never, 2.5), /^createAoi: point must be an object, got null$/);
    expectError(
      () => createAoi({ name: 'a', lon: 1, lat: 10 }, 2.5, 'UNHCR' as never),
      /^createAoi: options must be an object, got "UNHCR"$/,
    );
    expectError(
      () => createAois([null] as never, 2.5),
      /^createAois: points\[0\] must be an object, got null$/,
    );
    expectError(() => createAois('ab' as never, 2.5), /^createAois: points must be an array, got "ab"$/);
    expect(createAoi({ name: 'a', lon: 1, lat: 10 }, 2.5, undefined).source).toBe('custom');
    expectError(() => namePoints(POINTS, 5 as never), /^namePoints: prefix must be a string, got 5$/);
    expectError(() => tileAoi(null as never), /^tileAoi: aoi must be an object, got null$/);
    expectError(
      () => indexApi.tileAoi3x3({ ...AOI, bounds: [0, 0, 1] } as never),
      /^tileAoi3x3: aoi\.bounds must be four finite numbers/,
    );
  });

  it('writers refuse members they would write as wrong text instead of writing it', () => {
    // Before: a string lon was written as "-inf", a missing bounds threw a TypeError.
    expectError(
      () => pointsToCsv([{ id: 0, lon: '1', lat: 2 }] as never),
      /^pointsToCsv: points\[0\]\.lon must be a number, got "1"$/,
    );
    expectError(
      () => aoisToCsv([{ ...AOI, bounds: undefined }] as never),
      /^aoisToCsv: aois\[0\]\.bounds must be four finite numbers .*got undefined$/,
    );
    expectError(
      () => indexApi.aoisToGeoJson({} as never),
      /^aoisToGeoJson: aois must be an array, got \{\}$/,
    );
    // Bounds as a typed array are written as numbers (Float64Array.map used to turn the text into NaN).
    const typed = { ...AOI, bounds: Float64Array.from(AOI.bounds) };
    expect(aoisToCsv([typed] as never)).toBe(aoisToCsv([AOI] as never));
  });

  it('readers need text', () => {
    expectError(() => readPois(undefined as never), /^readPois: text must be a string, got undefined$/);
    expectError(() => readPois(POIS_CSV, null as never), /^readPois: options must be an object, got null$/);
    expectError(() => indexApi.readAoisCsv(42 as never), /^readAoisCsv: text must be a string, got 42$/);
  });

  it('samplers check the count, region, mask, generator and options', () => {
    const rng = indexApi.createRng(1);
    expectError(
      () => samplePointsInRegion(3, null as never, land, rng),
      /^samplePointsInRegion: region must be four finite numbers/,
    );
    expectError(
      () => samplePointsInRegion(3, [0, 0, 1, 1], {} as never, rng),
      /^samplePointsInRegion: mask\.isLand must be a function, got undefined$/,
    );
    // Before: Infinity points looped until memory ran out.
    expectError(
      () => samplePointsInRegion(Number.POSITIVE_INFINITY, [0, 0, 1, 1], land, rng),
      /^samplePointsInRegion: n must be a non-negative integer, got Infinity$/,
    );
    expectError(
      () => samplePointsOnSphere(2 ** 40),
      /^n = 1099511627776 is more than 10000000, the most one call takes/,
    );
    // 2·10^8 points ended the process out of memory
    expectError(() => samplePointsOnSphere(2e8), /^n = 200000000 is more than 10000000/);
    expectError(
      () => samplePointsOnSphere(1, { onProgress: 'log' } as never),
      /^samplePointsOnSphere: options\.onProgress must be a function, got "log"$/,
    );
  });

  it("options.polar is 'clamp' or 'error'", () => {
    // Before: any polar value other than 'error' clamped silently (a typo such as 'errors' went unnoticed).
    for (const polar of ['errors', 'x', 1, null])
      expectError(
        () => indexApi.aoiBounds(0, 89.9999, 2.5, { polar } as never),
        new RegExp(`^aoiBounds: options\\.polar must be 'clamp' or 'error', got ${JSON.stringify(polar)}$`),
      );
    expectError(
      () => createAoi({ name: 'a', lon: 1, lat: 10 }, 2.5, { polar: 'Error' } as never),
      /^createAoi: options\.polar must be 'clamp' or 'error', got "Error"$/,
    );
    expectError(
      () => createAois([{ name: 'a', lon: 1, lat: 10 }], 2.5, { polar: 'no' } as never),
      /^createAois: options\.polar must be 'clamp' or 'error', got "no"$/,
    );
    expect(indexApi.aoiBounds(0, 89.9999, 2.5, { polar: undefined })[3]).toBe(90);
  });

  it('options.maxRejectionsInARow is a positive integer', async () => {
    // Before: NaN (or Infinity) was never reached by the miss counter: an endless loop on a mask without land.
    // This mask gives up after 2 million draws, so the old code fails here instead of hanging the run.
    let draws = 0;
    const water = {
      source: 'all water',
      isLand: () => {
        if (++draws > 2_000_000) throw new Error('still drawing after 2 000 000 misses');
        return false;
      },
    };
    const refused: [unknown, string][] = [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [0, '0'],
      [-5, '-5'],
      [1.5, '1\\.5'],
      ['5', '"5"'],
    ];
    for (const [bad, shownValue] of refused)
      expectError(
        () => samplePointsOnLandSync(1, water, { seed: 1, maxRejectionsInARow: bad as never }),
        new RegExp(
          `^samplePointsOnLandSync: options\\.maxRejectionsInARow must be a positive integer, got ${shownValue}$`,
        ),
      );
    await expectRejection(
      indexApi.samplePointsOnLand(1, { mask: water, seed: 1, maxRejectionsInARow: Number.NaN }),
      /^samplePointsOnLand: options\.maxRejectionsInARow must be a positive integer, got NaN$/,
    );
    expect(draws).toBe(0);
    expectError(
      () => samplePointsOnLandSync(1, water, { seed: 1, maxRejectionsInARow: 7 }),
      /^7 uniform draws in a row found no land in mask "all water"/,
      'NO_LAND_FOUND',
    );
    expect(draws).toBe(7);
  });

  it('tiles is a perfect square of at most 1 000 000', () => {
    // Before: 1e12 is a perfect square, so it was accepted and the process died of heap exhaustion.
    expectError(
      () => tileAoi(structuredClone(AOI) as never, 1e12),
      /^tileAoi: tiles must be at most 1000000 \(1000 × 1000\), got 1000000000000$/,
    );
    expectError(
      () => tileAoi(structuredClone(AOI) as never, 1001 ** 2),
      /^tileAoi: tiles must be at most 1000000 /,
    );
    expectError(
      () => tileAoi(structuredClone(AOI) as never, 8),
      /^tileAoi: tiles must be a perfect square \(4, 9, 16…\), got 8$/,
    );
    expect(tileAoi(structuredClone(AOI) as never, 100 ** 2)).toHaveLength(10_000);
  });

  it('land masks check their options', async () => {
    expectError(
      () => indexApi.landMaskFromRaster(structuredClone(RASTER) as never, { outside: 'yes' } as never),
      /^landMaskFromRaster: options\.outside must be a boolean, got "yes"$/,
    );
    expectError(
      () => indexApi.landMaskFromRaster(structuredClone(RASTER) as never, { land: 1 } as never),
      /^landMaskFromRaster: options\.land must be an array of pixel values or a function, got 1$/,
    );
    expect(
      indexApi.landMaskFromRaster(structuredClone(RASTER) as never, { land: null } as never).isLand(0.5, 0.5),
    ).toBe(true);
    expectError(
      () => indexApi.createLandMask(structuredClone(SQUARE) as never, null as never),
      /^createLandMask: options must be an object, got null$/,
    );
    await expectRejection(
      indexApi.loadLandMask(null as never),
      /^loadLandMask: options must be an object, got null$/,
    );
  });

  it('files: a non-empty path and a known format', async () => {
    await expectRejection(
      nodeApi.writeAoisFile(join(dir, 'x.csv'), [AOI] as never, { format: 'parquet' } as never),
      /^writeAoisFile: options\.format must be 'csv', 'geojson' or 'arrow', got "parquet"$/,
    );
    await expectRejection(
      nodeApi.readAoisFile('' as never),
      /^readAoisFile: path must be a non-empty string, got ""$/,
    );
    await expectRejection(
      nodeApi.readPoisFile(null as never),
      /^readPoisFile: path must be a non-empty string/,
    );
    expectError(
      () => arrowApi.aoisFromIpc([1, 2] as never),
      /^aoisFromIpc: bytes must be a Uint8Array, got \[1,2\]$/,
    );
  });
});
