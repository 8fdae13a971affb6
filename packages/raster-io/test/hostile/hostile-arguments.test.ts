// Hostile arguments for raster-io's non-TIFF functions: rasters and options the way callers get them from JSON
// configs, other tools and files. Seeded mutations of realistic JSON-shaped arguments must end in a valid result
// or a RasterIoError; the crafted cases pin each fixed bug to its exact code and message.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf, typedError } from '../../../../tests/support/json-mutations.js';
import {
  dnToReflectance,
  encodeGeoTiff,
  encodePng,
  encodeSafetensors,
  findMagnitudeMismatch,
  findSampleKindMismatch,
  harmonizeProcessingBaseline,
  httpSource,
  openGeoTiff,
  pansharpenHsv,
  percentileStretch,
  percentiles,
  projectGrid,
  type Raster,
  RasterIoError,
  rasterSampleType,
  readMask,
  readRaster,
  readSafetensors,
  renderQuicklook,
  resize,
  resizeRaster,
  to8BitRadiometry,
  transformCoords,
  typicalMagnitude,
  utmEpsgForLonLat,
  utmGridForBBox,
  utmZoneForLonLat,
  warpRaster,
} from '../../src/index.js';
import { createCogWriter, openGeoTiffFile, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';

const EXTRA_VALUES: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 31,
  -(2 ** 31),
  1e-320,
  3,
  4.5,
  'float32',
  'uint8',
  'nearest',
  'bogus',
];

const TYPED = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** A raster as a JSON config or another tool describes it: bands as plain arrays. */
function jsonRaster(width: number, height: number, bands: number, dtype: keyof typeof TYPED, seed: number) {
  return {
    width,
    height,
    dtype,
    noData: 0,
    bands: Array.from({ length: bands }, (_, b) =>
      Array.from({ length: width * height }, (_, i) => 1 + ((i * 37 + b * 101 + seed * 7) % 2000)),
    ),
    geo: { epsg: 32633, transform: [500000 + seed, 10, 0, 4000000, 0, -10] },
  };
}

/**
 * Turns JSON band arrays of numbers into the raster's typed arrays (what a reader hands over) and leaves
 * every hostile value (a number, a string, an object) where it is, so the function sees it as given.
 */
function materialize(r: any): any {
  if (r === null || typeof r !== 'object' || !Array.isArray(r.bands)) return r;
  const known = typeof r.dtype === 'string' && Object.hasOwn(TYPED, r.dtype);
  const Ctor = known ? TYPED[r.dtype as keyof typeof TYPED] : Float32Array;
  const bands = r.bands.map((b: unknown) =>
    Array.isArray(b) && b.every((v) => typeof v === 'number') ? Ctor.from(b as number[]) : b,
  );
  return { ...r, bands };
}

function expectFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i])) throw new Error(`${what}[${i}] is ${values[i]}`);
}

/** A raster result must be internally consistent: positive size, bands of width × height of its dtype. */
function expectRaster(out: Raster): void {
  expect(Number.isSafeInteger(out.width) && out.width >= 1).toBe(true);
  expect(Number.isSafeInteger(out.height) && out.height >= 1).toBe(true);
  for (const b of out.bands) {
    expect(b.length).toBe(out.width * out.height);
    expect(b.constructor).toBe(TYPED[out.dtype]);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

interface Case {
  name: string;
  args: Record<string, unknown>;
  /** Members mutated together (one group per run). */
  groups: string[][];
  call: (a: Record<string, any>) => unknown;
  check?: (out: any, a: Record<string, any>) => void;
}

const CASES: Case[] = [
  {
    name: 'resize',
    args: {
      data: Array.from({ length: 2 * 6 * 5 }, (_, i) => i / 10),
      shape: [2, 6, 5],
      size: [4, 7],
      options: { method: 'bicubic', antialias: true },
    },
    groups: [['shape', 'size', 'options']],
    call: (a) => resize(Float32Array.from(a.data), a.shape, a.size, a.options),
    check: (out, a) => expect(out.length).toBe(a.shape[0] * a.size[0] * a.size[1]),
  },
  {
    name: 'resizeRaster',
    args: {
      raster: jsonRaster(6, 5, 2, 'uint16', 1),
      width: 3,
      height: 4,
      options: { method: 'bilinear', antialias: true, dtype: 'float32' },
    },
    groups: [['raster', 'width', 'height', 'options']],
    call: (a) => resizeRaster(materialize(a.raster), a.width, a.height, a.options),
    check: (out: Raster, a) => {
      expectRaster(out);
      expect([out.width, out.height]).toEqual([a.width, a.height]);
      if (out.geo) expectFinite(out.geo.transform, 'geo.transform');
    },
  },
  {
    name: 'encodePng',
    args: {
      image: {
        width: 3,
        height: 2,
        channels: 3,
        data: Array.from({ length: 18 }, (_, i) => i * 10),
        text: { Title: 'x' },
      },
    },
    groups: [['image']],
    call: (a) => {
      const img = a.image;
      // numbers become the typed array a caller has; anything else is passed on as given
      const numeric = Array.isArray(img?.data) && img.data.every((v: unknown) => typeof v === 'number');
      const data = numeric ? Uint8Array.from(img.data) : img?.data;
      return encodePng(img !== null && typeof img === 'object' ? { ...img, data } : img);
    },
    check: (out) => expect(Array.from(out.slice(0, 4))).toEqual(PNG_SIGNATURE),
  },
  {
    name: 'renderQuicklook',
    args: {
      raster: jsonRaster(8, 6, 3, 'uint16', 2),
      options: {
        bands: [2, 1, 0],
        stretch: { min: 0, max: 2000 },
        percentiles: [2, 98],
        colormap: 'gray',
        maxSize: 4,
      },
    },
    groups: [['raster', 'options']],
    call: (a) => renderQuicklook(materialize(a.raster), a.options),
    check: (out) => expect(Array.from(out.slice(0, 4))).toEqual(PNG_SIGNATURE),
  },
  {
    name: 'dnToReflectance',
    args: { raster: jsonRaster(4, 3, 2, 'uint16', 3), options: { scale: 10000, clamp: true } },
    groups: [['raster', 'options']],
    call: (a) => dnToReflectance(materialize(a.raster), a.options),
    check: (out: Raster) => expectRaster(out),
  },
  {
    name: 'percentiles/percentileStretch',
    args: {
      data: Array.from({ length: 50 }, (_, i) => (i * 13) % 17),
      ps: [2, 50, 98],
      options: { noData: 0, low: 2, high: 98 },
    },
    groups: [['ps', 'options']],
    call: (a) => ({
      p: percentiles(Float32Array.from(a.data), a.ps, a.options),
      s: percentileStretch(Float32Array.from(a.data), a.options),
    }),
    check: (out) => {
      expectFinite(out.p, 'percentiles');
      expect(Number.isFinite(out.s.min) && Number.isFinite(out.s.max)).toBe(true);
    },
  },
  {
    name: 'rasterSampleType/typicalMagnitude/findSampleKindMismatch/findMagnitudeMismatch',
    args: {
      rasters: [jsonRaster(5, 4, 2, 'float32', 9), jsonRaster(5, 4, 2, 'uint16', 10)],
      options: { bands: [1, 0], maxAbs: 1e5 },
    },
    groups: [['rasters', 'options']],
    call: (a) => {
      const list = Array.isArray(a.rasters) ? a.rasters.map(materialize) : [a.rasters];
      const types = list.map((r: any) => rasterSampleType(r) ?? 'unknown');
      const magnitudes = list.map((r: any) => typicalMagnitude(r, a.options));
      return { kind: findSampleKindMismatch(types), scale: findMagnitudeMismatch(magnitudes), magnitudes };
    },
    check: (out) => {
      for (const m of out.magnitudes) if (m !== undefined) expect(m > 0 && Number.isFinite(m)).toBe(true);
      if (out.kind) expect(out.kind.index).toBeLessThan(out.magnitudes.length);
      if (out.scale) expect(out.scale.index).toBeLessThan(out.magnitudes.length);
    },
  },
  {
    name: 'harmonizeProcessingBaseline',
    args: {
      raster: jsonRaster(4, 3, 2, 'uint16', 4),
      baseline: '04.00',
      options: { bands: [0, 1], offset: 1000 },
    },
    groups: [['raster', 'baseline', 'options']],
    call: (a) => harmonizeProcessingBaseline(materialize(a.raster), a.baseline, a.options),
    check: (out: Raster) => expectRaster(out),
  },
  {
    name: 'pansharpenHsv',
    args: {
      ms: jsonRaster(3, 2, 4, 'uint16', 5),
      pan: jsonRaster(6, 4, 1, 'uint16', 6),
      options: { rgbBands: [2, 1, 0], scale: 10000, epsilon: 1e-8 },
    },
    groups: [['ms', 'pan', 'options']],
    call: (a) => pansharpenHsv(materialize(a.ms), materialize(a.pan), a.options),
    check: (out: Raster) => expectRaster(out),
  },
  {
    name: 'to8BitRadiometry',
    args: { data: [0, 100, 5000, 10000, 20000] },
    groups: [['data']],
    call: (a) => to8BitRadiometry(a.data),
  },
  {
    name: 'warpRaster',
    args: {
      raster: jsonRaster(6, 5, 1, 'float32', 7),
      grid: { epsg: 32633, transform: [500010, 15, 0, 3999990, 0, -15], width: 3, height: 3 },
      options: { method: 'cubic', noData: -1, dtype: 'float32', errorThresholdPx: 0.125 },
    },
    groups: [['raster', 'grid', 'options']],
    call: (a) => warpRaster(materialize(a.raster), a.grid, a.options),
    check: (out: Raster, a) => {
      expectRaster(out);
      expect([out.width, out.height]).toEqual([a.grid.width, a.grid.height]);
    },
  },
  {
    name: 'utmGridForBBox/projectGrid',
    args: { bbox: [13.3, 52.4, 13.31, 52.41], pixel: 100, options: { epsg: 32633 } },
    groups: [['bbox', 'pixel', 'options']],
    call: (a) => {
      const grid = utmGridForBBox(a.bbox, a.pixel, a.options);
      return { grid, projected: projectGrid(grid, 4326) };
    },
    check: (out) => {
      expect(Number.isSafeInteger(out.grid.width) && out.grid.width >= 1).toBe(true);
      expect(Number.isSafeInteger(out.grid.height) && out.grid.height >= 1).toBe(true);
      expectFinite(out.grid.transform, 'grid.transform');
    },
  },
  {
    name: 'transformCoords/utmZoneForLonLat',
    args: {
      from: 4326,
      to: 32633,
      points: [
        [13.4, 52.5],
        [14, 50],
      ],
      lon: 13.4,
      lat: 52.5,
    },
    groups: [['from', 'to', 'points', 'lon', 'lat']],
    call: (a) => ({
      points: transformCoords(a.from, a.to, a.points),
      zone: utmZoneForLonLat(a.lon, a.lat),
      epsg: utmEpsgForLonLat(a.lon, a.lat),
    }),
    check: (out, a) => {
      expect(out.points).toHaveLength(a.points.length);
      expect(Number.isInteger(out.epsg)).toBe(true);
    },
  },
  {
    name: 'encodeSafetensors/readSafetensors',
    args: {
      tensors: {
        lr: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        mask: { dtype: 'U8', shape: [3], data: [0, 1, 1] },
      },
      metadata: { source: 'worldstrat' },
    },
    groups: [['tensors', 'metadata']],
    call: (a) => readSafetensors(encodeSafetensors(a.tensors, a.metadata)),
  },
  {
    name: 'encodeGeoTiff',
    args: {
      raster: jsonRaster(5, 4, 2, 'uint16', 8),
      options: {
        tiled: false,
        rowsPerStrip: 2,
        compression: 'deflate',
        deflateLevel: 6,
        predictor: 2,
        overviews: [2],
        overviewResampling: 'average',
        interleave: 'band',
      },
    },
    groups: [['raster', 'options']],
    call: (a) => encodeGeoTiff(materialize(a.raster), a.options),
    check: (out) => expect(out.length).toBeGreaterThan(8),
  },
];

describe('seeded hostile arguments end in a result or a RasterIoError', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      c.check?.(c.call(c.args), c.args);
      const outcomes = new Map<string, number>();
      for (const [g, keys] of c.groups.entries()) {
        const part = Object.fromEntries(keys.map((k) => [k, c.args[k]]));
        for (const { doc, what } of jsonMutations(part, 150, 11 + g, EXTRA_VALUES)) {
          const a = { ...c.args, ...(doc as Record<string, unknown>) };
          let out: unknown;
          const outcome = await outcomeOf(
            `${c.name}: ${what}`,
            () => {
              out = c.call(a);
            },
            RasterIoError,
          );
          if (outcome === 'ok' && c.check) {
            try {
              c.check(out, a);
            } catch (e) {
              throw new Error(`${c.name}: ${what}: ${(e as Error).message}`);
            }
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].some((k) => k !== 'ok')).toBe(true);
    });
  }
});

const thrown = (f: () => unknown): RasterIoError => typedError(f, RasterIoError);

function expectError(f: () => unknown, code: string, message: RegExp): void {
  const e = thrown(f);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

/** A valid 2×2 georeferenced float32 raster, with `over` members replaced. */
function raster(over: Record<string, unknown> = {}): Raster {
  return {
    width: 2,
    height: 2,
    dtype: 'float32',
    bands: [Float32Array.of(1, 2, 3, 4)],
    geo: { epsg: 32633, transform: [500000, 10, 0, 4000000, 0, -10] },
    ...over,
  } as Raster;
}

describe('sizes that would allocate gigabytes or loop for minutes', () => {
  it('refuses resize outputs beyond 2^31 samples before building taps', () => {
    expectError(
      () => resize(new Float32Array(4), [1, 2, 2], [2 ** 31, 2 ** 31]),
      'TOO_LARGE',
      /^resize to 2147483648×2147483648/,
    );
    expectError(
      () => resize(new Float32Array(4), 5 as never, [2, 2]),
      'INVALID_ARGUMENT',
      /^resize shape must be \[planes, h, w\], got 5/,
    );
    expectError(
      () => resize([1, 2, 3, 4] as never, [1, 2, 2], [2, 2]),
      'INVALID_ARGUMENT',
      /^resize data must be a Float32Array/,
    );
  });

  it('refuses an output side whose tap table alone would take gigabytes (1 × 2^31 passed the sample limit)', () => {
    expectError(
      () => resize(new Float32Array(1), [1, 1, 1], [1, 2 ** 31]),
      'TOO_LARGE',
      /^resize to 1×2147483648: a side over 4194304 px/,
    );
    expect(resize(new Float32Array([7]), [1, 1, 1], [1, 5000]).every((v) => v === 7)).toBe(true);
  });

  it('refuses a warp target grid beyond 2^31 pixels', () => {
    const grid = { epsg: 32633, transform: [0, 1, 0, 0, 0, -1] as const, width: 2 ** 20, height: 2 ** 20 };
    expectError(
      () => warpRaster(raster(), grid as never),
      'TOO_LARGE',
      /^target grid 1048576×1048576 has more than/,
    );
  });

  it('refuses a UTM grid whose pixel size makes it astronomically large', () => {
    expectError(
      () => utmGridForBBox([13.3, 52.4, 13.31, 52.41], 1e-9),
      'TOO_LARGE',
      /^utmGridForBBox: a 1e-9 m pixel/,
    );
    expectError(
      () => utmGridForBBox([13.3, 52.4, 13.31, 52.41], 10, { densify: 2 ** 31 }),
      'INVALID_ARGUMENT',
      /^utmGridForBBox: densify must be an integer in 1\.\.10000/,
    );
  });

  it('refuses { length } objects instead of walking a billion elements', () => {
    const started = Date.now();
    expectError(
      () => to8BitRadiometry({ length: 1e9 } as never),
      'INVALID_ARGUMENT',
      /^toUint8: data must be an array/,
    );
    expectError(
      () => percentiles([1, 2], { length: 1e9 } as never),
      'INVALID_ARGUMENT',
      /^percentiles must be an array/,
    );
    expectError(
      () => encodeSafetensors({ x: { dtype: 'F32', shape: [1e9], data: { length: 1e9 } as never } }),
      'INVALID_SAFETENSORS',
      /^tensor "x": data must be a typed array or an array of numbers/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('values that would be coerced into wrong numbers', () => {
  it('refuses flags that are not booleans instead of reading them as truthy', () => {
    const data = new Float32Array(16).map((_, i) => i);
    expectError(
      () => resize(data, [1, 4, 4], [2, 2], { antialias: 'false' as never }),
      'INVALID_ARGUMENT',
      /^resize: options\.antialias must be true or false, got "false"/,
    );
    expectError(
      () => dnToReflectance([5000, 20000], { clamp: 'no' as never }),
      'INVALID_ARGUMENT',
      /^dnToReflectance: options\.clamp must be true or false, got "no"/,
    );
    // an explicit undefined is the default, as when left out
    expect(Array.from(resize(data, [1, 4, 4], [2, 2], { method: undefined, antialias: undefined }))).toEqual(
      Array.from(resize(data, [1, 4, 4], [2, 2])),
    );
    expect(Array.from(dnToReflectance([20000], { clamp: false }))).toEqual([2]);
  });

  it('refuses 64-bit integer arrays (bigints) where numbers are expected, instead of a TypeError', () => {
    for (const data of [new BigInt64Array(3), new BigUint64Array(3)]) {
      expectError(
        () => percentiles(data as never, [50]),
        'INVALID_ARGUMENT',
        /^percentiles: data must be an array or typed array of numbers/,
      );
      expectError(
        () => dnToReflectance(data as never),
        'INVALID_ARGUMENT',
        /^dnToReflectance: input must be/,
      );
      expectError(
        () => percentileStretch(data as never),
        'INVALID_ARGUMENT',
        /^percentileStretch: data must be/,
      );
    }
  });

  it('stretches limits more than Number.MAX_VALUE apart, and keeps ±Infinity pixels out of the limits', () => {
    expect(Array.from(percentileStretch([-1.5e308, 0, 1.5e308], { low: 0, high: 100 }).data)).toEqual([
      0, 0.5, 1,
    ]);
    const withInf = percentileStretch(
      [Number.NEGATIVE_INFINITY, 0, 5, 10, Number.POSITIVE_INFINITY, Number.NaN],
      {
        low: 0,
        high: 100,
      },
    );
    expect([withInf.min, withInf.max]).toEqual([0, 10]);
    expect(Array.from(withInf.data)).toEqual([0, 0, 0.5, 1, 1, Number.NaN]);
    // percentiles itself keeps numpy 1.24's answer (its lerp of −inf and 0 is NaN)
    expect(percentiles([Number.NEGATIVE_INFINITY, 0, 10], [0, 100])).toEqual([Number.NaN, 10]);
  });

  it('refuses a pansharpening epsilon or scale that is not a finite number > 0, naming pansharpenHsv', () => {
    const ms = raster({
      width: 2,
      height: 2,
      dtype: 'uint16',
      bands: [0, 1, 2].map(() => Uint16Array.of(0, 100, 200, 300)),
    });
    const pan = raster({ width: 2, height: 2, dtype: 'uint16', bands: [Uint16Array.of(50, 60, 70, 80)] });
    for (const epsilon of [0, -1e-8, Number.NaN])
      expectError(
        () => pansharpenHsv(ms, pan, { epsilon }),
        'INVALID_ARGUMENT',
        /^pansharpenHsv: epsilon must be a finite number > 0, got /,
      );
    expectError(
      () => pansharpenHsv(ms, pan, { scale: -1 }),
      'INVALID_ARGUMENT',
      /^pansharpenHsv: scale must be a finite number > 0, got -1/,
    );
    // black pixels give (PAN, PAN, PAN)
    const out = pansharpenHsv(ms, pan);
    expect(out.bands.map((b) => b[0])).toEqual([0.005, 0.005, 0.005].map(Math.fround));
  });

  it('refuses null (JSON for NaN) and numeric strings in plain arrays', () => {
    expectError(
      () => percentiles([null, 1, 2, 3] as never, [0, 50]),
      'INVALID_ARGUMENT',
      /^percentiles: data\[0\] must be a number, got null/,
    );
    expectError(
      () => dnToReflectance([null, 5000] as never),
      'INVALID_ARGUMENT',
      /^dnToReflectance: input\[0\] must be a number/,
    );
    expectError(
      () => encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: ['1', 2] as never } }),
      'INVALID_SAFETENSORS',
      /^tensor "x": data\[0\] must be a number, got "1"/,
    );
    expectError(
      () => transformCoords(4326, 32633, [[13, 'a']] as never),
      'INVALID_ARGUMENT',
      /^transformCoords: points\[0\] must be \[x, y\] numbers/,
    );
  });

  it('refuses quicklook stretch limits that are not numbers instead of rendering black', () => {
    const r = raster({ dtype: 'uint8', bands: [Uint8Array.of(1, 2, 3, 4)] });
    expectError(
      () => renderQuicklook(r, { stretch: { min: '0', max: 'a' } as never }),
      'INVALID_ARGUMENT',
      /^renderQuicklook: stretch must be/,
    );
    expectError(
      () => renderQuicklook(r, { stretch: 'bogus' as never }),
      'INVALID_ARGUMENT',
      /stretch must be/,
    );
    expectError(
      () => renderQuicklook(r, { maxSize: 0 }),
      'INVALID_ARGUMENT',
      /^renderQuicklook: maxSize must be a positive integer/,
    );
  });
});

describe('rasters and options of the wrong shape', () => {
  it('names the raster member instead of throwing a TypeError', () => {
    expectError(
      () => resizeRaster(raster({ geo: { epsg: 32633, transform: 0.5 } }), 1, 1),
      'INVALID_ARGUMENT',
      /^resizeRaster: raster\.geo\.transform must be six finite numbers, got 0\.5/,
    );
    expectError(
      () => resizeRaster(raster({ bands: [null] }), 1, 1),
      'INVALID_ARGUMENT',
      /^resizeRaster: raster\.bands\[0\] must be a raster typed array/,
    );
    expectError(
      () => resizeRaster(raster(), 1, 1, { dtype: 'bogus' as never }),
      'INVALID_ARGUMENT',
      /^resizeRaster dtype must be one of/,
    );
    expectError(
      () => dnToReflectance(raster({ bands: {} })),
      'INVALID_ARGUMENT',
      /^dnToReflectance: raster\.bands must be a non-empty array/,
    );
    expectError(
      () =>
        pansharpenHsv(
          raster({
            bands: [Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 2, 3, 4)],
          }),
          3 as never,
        ),
      'INVALID_ARGUMENT',
      /^pansharpenHsv: pan must be a raster object, got 3/,
    );
    expectError(
      () => renderQuicklook(raster({ bands: null })),
      'INVALID_ARGUMENT',
      /^renderQuicklook: raster\.bands/,
    );
    expectError(
      () => encodeGeoTiff(raster({ bands: [null] })),
      'INVALID_ARGUMENT',
      /^band 0 must be a typed array, got null/,
    );
    expectError(
      () => encodeGeoTiff(raster(), { overviews: 2 as never }),
      'INVALID_ARGUMENT',
      /^overviews must be increasing integers/,
    );
  });

  it('checks the warp grid and source georeferencing before inverting them', () => {
    expectError(
      () =>
        warpRaster(raster({ geo: [null] }), {
          epsg: 32633,
          transform: [0, 1, 0, 0, 0, -1],
          width: 1,
          height: 1,
        }),
      'INVALID_ARGUMENT',
      /^warpRaster: raster\.geo\.epsg must be/,
    );
    expectError(
      () => warpRaster(raster(), { epsg: 32633, transform: [[0]], width: 1, height: 1 } as never),
      'INVALID_ARGUMENT',
      /^warpRaster: grid\.transform must be six finite numbers/,
    );
    expectError(
      () =>
        warpRaster(raster({ geo: undefined }), {
          epsg: 32633,
          transform: [0, 1, 0, 0, 0, -1],
          width: 1,
          height: 1,
        }),
      'NO_GEOREFERENCING',
      /raster\.geo is missing/,
    );
  });

  it('a dtype parsed from JSON that shadows toString is UNSUPPORTED_DTYPE, not a TypeError (both writers)', async () => {
    const dtype = JSON.parse('{"toString":1,"valueOf":1}');
    const raster = { width: 1, height: 1, dtype, bands: [new Uint16Array(1)] } as unknown as Raster;
    expectError(
      () => encodeGeoTiff(raster),
      'UNSUPPORTED_DTYPE',
      /^dtype \{"toString":1,"valueOf":1\} cannot/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'hostile-cog-'));
    try {
      const path = join(dir, 'x.tif');
      const err = await createCogWriter(path, { width: 1, height: 1, bands: 1, dtype }).catch(
        (e: unknown) => e,
      );
      expect([(err as RasterIoError).code, (err as Error).message]).toEqual([
        'UNSUPPORTED_DTYPE',
        expect.stringContaining(`${path}: dtype {"toString":1,"valueOf":1} cannot be written`),
      ]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a CRS that is neither a code nor a string as UNKNOWN_CRS', () => {
    expectError(() => transformCoords(4326, {} as never, [[13, 52]]), 'UNKNOWN_CRS', /^cannot read CRS \{\}/);
  });

  it('checks encodePng image members and text chunks', () => {
    expectError(
      () => encodePng({ width: 1, height: 1, channels: 1 } as never),
      'INVALID_ARGUMENT',
      /^PNG data must be a Uint8Array/,
    );
    expectError(
      () => encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array(1), text: { a: 1 } as never }),
      'INVALID_ARGUMENT',
      /^PNG text must map keywords to strings/,
    );
    expectError(
      () => encodePng(null as never),
      'INVALID_ARGUMENT',
      /^encodePng: image must be an object, got null/,
    );
  });

  it('checks harmonizeProcessingBaseline arguments', () => {
    expectError(
      () => harmonizeProcessingBaseline(raster(), 400 as never),
      'INVALID_ARGUMENT',
      /baseline must be a string/,
    );
    expectError(
      () => harmonizeProcessingBaseline(raster(), '04.00', { bands: 1 as never }),
      'INVALID_ARGUMENT',
      /bands must be an array/,
    );
  });
});

describe('a signal option that is no AbortSignal', () => {
  it('is INVALID_ARGUMENT naming the function, before any read starts (a read left running had crashed the process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raster-io-signal-'));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const path = join(dir, 'small.tif');
      const raster: Raster = { width: 3, height: 2, dtype: 'uint8', bands: [new Uint8Array(6).fill(9)] };
      await writeGeoTiff(path, raster);
      const tiff = await openGeoTiffFile(path);
      const bytes = new Uint8Array(encodeGeoTiff(raster));
      for (const bad of ['x', {}, { aborted: false }, 1]) {
        const calls: [string, () => Promise<unknown>][] = [
          ['openGeoTiffFile', () => openGeoTiffFile(path, { signal: bad as never })],
          ['readGeoTiffFile', () => readGeoTiffFile(path, { signal: bad as never })],
          ['openGeoTiff', () => openGeoTiff(bytes, { signal: bad as never })],
          ['readRaster', () => readRaster(tiff, { signal: bad as never })],
          ['readMask', () => readMask(tiff, { signal: bad as never })],
          ['httpSource', async () => httpSource('http://127.0.0.1:9/x.tif', { signal: bad as never })],
        ];
        for (const [fn, call] of calls) {
          const err = await call().catch((e: unknown) => e);
          expect(err, `${fn} ${JSON.stringify(bad)}`).toBeInstanceOf(RasterIoError);
          expect((err as RasterIoError).code).toBe('INVALID_ARGUMENT');
          expect((err as RasterIoError).message).toMatch(
            new RegExp(`^${fn}: options\\.signal must be an AbortSignal, got `),
          );
        }
      }
      // a signal from another realm passes (checked by shape), as does a real one
      const { runInNewContext } = await import('node:vm');
      const foreign = runInNewContext('new AbortController().signal', { AbortController }) as AbortSignal;
      expect((await readRaster(tiff, { signal: foreign })).bands[0]?.[5]).toBe(9);
      expect((await readRaster(tiff, { signal: new AbortController().signal })).bands[0]?.[0]).toBe(9);
      await tiff.close();
      await new Promise((r) => setTimeout(r, 100)); // a read failing after the file closed would land here
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
