// The value-scale conventions of a stack of rasters (a scene's revisits): sample type, typical magnitude, and the
// first raster off the common kind or scale. srnet (superResolve) and dataset (scene loading) refuse stacks
// these helpers flag, so their exact semantics are pinned here with real Sentinel-2 values.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  dnToReflectance,
  findMagnitudeMismatch,
  findSampleKindMismatch,
  type Raster,
  RasterIoError,
  rasterSampleType,
  SCALE_RATIO_LIMIT,
  typicalMagnitude,
} from '../../src/index.js';

const f32 = Math.fround;

function thrown(f: () => unknown): RasterIoError {
  try {
    f();
  } catch (e) {
    if (e instanceof RasterIoError) return e;
    throw new Error(
      `expected a RasterIoError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
    );
  }
  throw new Error('expected a RasterIoError, nothing was thrown');
}

/** A 158×158 Sentinel-2 L2A-like reflectance band (vegetation ~0.03–0.35) as float32. */
function reflectanceBand(seed: number): Float32Array {
  return Float32Array.from({ length: 158 * 158 }, (_, i) => {
    const x = i % 158;
    const y = Math.floor(i / 158);
    return 0.03 + 0.32 * (0.5 + 0.5 * Math.sin(x / 9 + seed) * Math.cos(y / 7 - seed));
  });
}

describe('rasterSampleType', () => {
  it("names the band arrays' element type, whatever the dtype field says", () => {
    expect(rasterSampleType({ bands: [new Uint16Array([1200, 980])], dtype: 'float32' })).toBe('uint16');
    expect(rasterSampleType({ bands: [Float32Array.of(0.12, 0.098)] })).toBe('float32');
    expect(rasterSampleType({ bands: [new Float64Array(2)] })).toBe('float64');
    expect(rasterSampleType({ bands: [new Uint8Array(2)] })).toBe('uint8');
    expect(rasterSampleType({ bands: [new Int8Array(2)] })).toBe('int8');
    expect(rasterSampleType({ bands: [new Int16Array(2)] })).toBe('int16');
    expect(rasterSampleType({ bands: [new Uint32Array(2)] })).toBe('uint32');
    expect(rasterSampleType({ bands: [new Int32Array(2)] })).toBe('int32');
    // a Float32Array of another realm (vm context, some worker setups) is still float32
    const foreign = runInNewContext('new Float32Array([0.5, 0.25])') as Float32Array;
    expect(foreign instanceof Float32Array).toBe(false);
    expect(rasterSampleType({ bands: [foreign] })).toBe('float32');
  });

  it('falls back to the dtype for JSON bands, empty band lists and non-raster typed arrays', () => {
    expect(rasterSampleType({ bands: [[0.12, 0.2]], dtype: 'float32' })).toBe('float32');
    expect(rasterSampleType({ bands: [], dtype: 'uint16' })).toBe('uint16');
    expect(rasterSampleType({ bands: [new Uint8ClampedArray(2) as never], dtype: 'uint8' })).toBe('uint8');
    expect(rasterSampleType({ bands: [[1, 2]] })).toBeUndefined();
    expect(rasterSampleType({ bands: [[1, 2]], dtype: 42 as never })).toBeUndefined();
  });

  it('refuses what is not a raster with a bands array', () => {
    for (const bad of [null, undefined, 42, 'x', [], new Float32Array(2), {}, { bands: 'x' }]) {
      const e = thrown(() => rasterSampleType(bad as never));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/^rasterSampleType: raster(\.bands)? must be/);
    }
    expect(thrown(() => rasterSampleType({ bands: 'x' } as never)).message).toBe(
      'rasterSampleType: raster.bands must be an array of bands, got "x"',
    );
  });
});

describe('typicalMagnitude', () => {
  it('is the median |value| of the valid non-zero pixels (upper middle of an even count)', () => {
    // fill 0, NaN (no data), +Inf (overflow) and a negative BOA reflectance of a dark pixel
    const band = Float32Array.of(0, 0.0523, 0.0871, -0.1204, Number.NaN, Number.POSITIVE_INFINITY, 0.3012);
    expect(typicalMagnitude({ bands: [band] })).toBe(f32(0.1204)); // of 0.0523, 0.0871, 0.1204, 0.3012
    expect(typicalMagnitude({ bands: [band], noData: f32(0.3012) })).toBe(f32(0.0871));
    expect(typicalMagnitude({ bands: [band] }, { maxAbs: 0.1 })).toBe(f32(0.0871)); // 0.0523, 0.0871
    expect(typicalMagnitude({ bands: [band], noData: null })).toBe(f32(0.1204));
  });

  it('samples only the chosen bands; a DN raster with fill zeros and a noData tag gives its DN median', () => {
    const dn: Raster = {
      width: 3,
      height: 2,
      dtype: 'uint16',
      noData: 65535,
      bands: [Uint16Array.of(0, 0, 0, 1180, 1432, 65535), Uint16Array.of(0, 2410, 2650, 2890, 65535, 65535)],
    };
    expect(typicalMagnitude(dn, { bands: [0] })).toBe(1432); // 1180, 1432
    expect(typicalMagnitude(dn, { bands: [1] })).toBe(2650); // 2410, 2650, 2890
    expect(typicalMagnitude(dn)).toBe(2410); // 1180, 1432, 2410, 2650, 2890
    // without the noData tag the 65535 fill counts as data
    expect(typicalMagnitude({ ...dn, noData: undefined }, { bands: [1] })).toBe(2890);
  });

  it('is undefined when no sampled pixel is valid', () => {
    expect(typicalMagnitude({ bands: [new Uint16Array(6)] })).toBeUndefined();
    expect(typicalMagnitude({ bands: [Float32Array.of(Number.NaN, -9999)], noData: -9999 })).toBeUndefined();
    expect(typicalMagnitude({ bands: [[null, 0] as never] })).toBeUndefined(); // JSON null: no data
    expect(typicalMagnitude({ bands: [Float32Array.of(5e4)] }, { maxAbs: 1e4 })).toBeUndefined();
  });

  it('reads a bounded strided sample of about 2048 pixels per band', () => {
    // 10000 pixels: stride floor(10000 / 2048) = 4; only every 4th pixel (0.2) is read, never the 5000s
    const band = Float32Array.from({ length: 10_000 }, (_, i) => (i % 4 === 0 ? 0.2 : 5000));
    expect(typicalMagnitude({ bands: [band] })).toBe(f32(0.2));
    // 2048 pixels or fewer: every pixel is read (the 5000s are the majority there)
    const small = Float32Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 0.2 : 5000));
    expect(typicalMagnitude({ bands: [small] })).toBe(5000);
  });

  it('a DN revisit and the same revisit as reflectance are 10⁴ apart', () => {
    const refl: Raster = {
      width: 158,
      height: 158,
      dtype: 'float32',
      bands: [reflectanceBand(0), reflectanceBand(1)],
    };
    const dn: Raster = {
      ...refl,
      dtype: 'uint16',
      bands: refl.bands.map((b) => Uint16Array.from(b, (v) => Math.round(v * 1e4))),
    };
    const back = dnToReflectance(dn);
    const [a, b, c] = [dn, refl, back].map((r) => typicalMagnitude(r) as number);
    expect(a / (b as number)).toBeGreaterThan(0.999e4);
    expect(a / (b as number)).toBeLessThan(1.001e4);
    expect(Math.abs((c as number) - (b as number))).toBeLessThan(1e-4);
    expect(b).toBeGreaterThan(0.1);
    expect(b).toBeLessThan(0.3);
  });

  it('refuses bad arguments with INVALID_ARGUMENT naming the function and the argument', () => {
    const r = { bands: [Float32Array.of(0.1, 0.2)] };
    const cases: [() => unknown, string][] = [
      [
        () => typicalMagnitude(null as never),
        'typicalMagnitude: raster must be a raster object with bands, got null',
      ],
      [() => typicalMagnitude(r, { bands: [1] }), 'typicalMagnitude: band 1 is not a band index in 0..0'],
      [() => typicalMagnitude(r, { bands: [0.5] }), 'typicalMagnitude: band 0.5 is not a band index in 0..0'],
      [
        () => typicalMagnitude(r, { bands: 0 as never }),
        'typicalMagnitude: options.bands must be an array of band indices, got 0',
      ],
      [
        () => typicalMagnitude(r, { maxAbs: 0 }),
        'typicalMagnitude: options.maxAbs must be a positive number (Infinity: no bound), got 0',
      ],
      [
        () => typicalMagnitude(r, { maxAbs: Number.NaN }),
        'typicalMagnitude: options.maxAbs must be a positive number (Infinity: no bound), got NaN',
      ],
      [
        () => typicalMagnitude({ ...r, noData: '0' as never }),
        'typicalMagnitude: raster.noData must be a number or null, got "0"',
      ],
      [
        () => typicalMagnitude({ bands: [{ length: 1e9 } as never] }),
        'typicalMagnitude: raster.bands[0] must be an array or typed array, got {"length":1000000000}',
      ],
      [() => typicalMagnitude(r, null as never), 'typicalMagnitude: options must be an object, got null'],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toBe(message);
    }
  });
});

describe('findSampleKindMismatch', () => {
  it('names the first raster off the usual kind (integer DN vs float reflectance)', () => {
    expect(findSampleKindMismatch(['float32', 'uint16', 'float32', 'float32'])).toEqual({
      index: 1,
      sampleType: 'uint16',
      expected: 'float32',
      count: 3,
    });
    // most are DN: the float one is named, even when it comes first
    expect(findSampleKindMismatch(['float32', 'uint16', 'uint16'])).toEqual({
      index: 0,
      sampleType: 'float32',
      expected: 'uint16',
      count: 2,
    });
    // a tie: the first raster's kind is the usual one
    expect(findSampleKindMismatch(['uint16', 'float64', 'float32', 'int16'])).toEqual({
      index: 1,
      sampleType: 'float64',
      expected: 'uint16',
      count: 2,
    });
  });

  it('accepts one kind of any width, and empty stacks', () => {
    expect(findSampleKindMismatch(['uint16', 'uint8', 'int16'])).toBeUndefined();
    expect(findSampleKindMismatch(['float32', 'float64'])).toBeUndefined();
    expect(findSampleKindMismatch([])).toBeUndefined();
  });

  it('refuses what is not an array of strings', () => {
    expect(thrown(() => findSampleKindMismatch('float32' as never)).message).toBe(
      'findSampleKindMismatch: sampleTypes must be an array of strings, got "float32"',
    );
    expect(thrown(() => findSampleKindMismatch(['float32', undefined] as never)).message).toBe(
      'findSampleKindMismatch: sampleTypes[1] must be a string, got undefined',
    );
  });
});

describe('findMagnitudeMismatch', () => {
  it('names a DN-scale revisit among reflectance ones against the majority reference', () => {
    expect(SCALE_RATIO_LIMIT).toBe(1000);
    expect(findMagnitudeMismatch([0.118, 0.095, 1180, 0.11])).toEqual({
      index: 2,
      magnitude: 1180,
      reference: 0,
      referenceMagnitude: 0.118,
    });
    // most revisits are DN: the reflectance one is off, the reference is the first DN one
    expect(findMagnitudeMismatch([1200, 0.1, 1500, 1300])).toEqual({
      index: 1,
      magnitude: 0.1,
      reference: 0,
      referenceMagnitude: 1200,
    });
    // the first revisit is the odd one out: the reference is the first of the majority
    expect(findMagnitudeMismatch([2570, 0.155, 0.16, 0.12])).toEqual({
      index: 0,
      magnitude: 2570,
      reference: 1,
      referenceMagnitude: 0.155,
    });
  });

  it('keeps bright cloud and dark water reflectance (~200×) on one scale; 1000× is the limit', () => {
    expect(findMagnitudeMismatch([0.004, 0.9, 0.12, 0.06])).toBeUndefined();
    expect(findMagnitudeMismatch([1, 999])).toBeUndefined();
    expect(findMagnitudeMismatch([1, 1000])).toEqual({
      index: 1,
      magnitude: 1000,
      reference: 0,
      referenceMagnitude: 1,
    });
  });

  it('rasters without a magnitude match every scale', () => {
    expect(findMagnitudeMismatch([undefined, null, 0.1])).toBeUndefined();
    expect(findMagnitudeMismatch([undefined, 0.1, 2000, 0.2])).toEqual({
      index: 2,
      magnitude: 2000,
      reference: 1,
      referenceMagnitude: 0.1,
    });
    expect(findMagnitudeMismatch([])).toBeUndefined();
  });

  it('refuses magnitudes that are not positive finite numbers', () => {
    for (const [bad, shown] of [
      [0, '0'],
      [-0.1, '-0.1'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      ['0.1', '"0.1"'],
    ] as const) {
      const e = thrown(() => findMagnitudeMismatch([0.1, bad as never]));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toBe(
        `findMagnitudeMismatch: magnitudes[1] must be a positive finite number or undefined, got ${shown}`,
      );
    }
    expect(thrown(() => findMagnitudeMismatch({} as never)).message).toBe(
      'findMagnitudeMismatch: magnitudes must be an array of positive numbers, got {}',
    );
  });
});
