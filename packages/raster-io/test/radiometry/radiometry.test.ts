import { describe, expect, it } from 'vitest';
import {
  dnToReflectance,
  harmonizeProcessingBaseline,
  pansharpenHsv,
  percentileStretch,
  percentiles,
  type Raster,
  RasterIoError,
  resize,
  to8BitRadiometry,
} from '../../src/index.js';
import { stretchLinear } from '../../src/radiometry/percentile-stretch.js';
import {
  parseProcessingBaseline,
  processingBaselineOffset,
} from '../../src/radiometry/processing-baseline.js';
import { toUint8, twelveBitTo8Bit } from '../../src/radiometry/to-uint8.js';

describe('dnToReflectance', () => {
  it('divides by 10000 in float32 and clamps to [0,1]', () => {
    const out = dnToReflectance(new Int32Array([-5, 0, 1234, 10000, 14000]));
    expect(Array.from(out)).toEqual([0, 0, Math.fround(0.1234), 1, 1]);
    expect(Array.from(dnToReflectance([20000], { clamp: false }))).toEqual([2]);
    expect(Array.from(dnToReflectance([255], { scale: 255 }))).toEqual([1]);
    expect(() => dnToReflectance([1], { scale: 0 })).toThrow(RasterIoError);
  });
  it('converts rasters, turning no-data into NaN and keeping geo', () => {
    const r: Raster = {
      width: 2,
      height: 1,
      dtype: 'uint16',
      bands: [new Uint16Array([0, 5000])],
      noData: 0,
      geo: { epsg: 32633, transform: [0, 1, 0, 0, 0, -1] },
    };
    const out = dnToReflectance(r);
    expect(out.dtype).toBe('float32');
    expect(Number.isNaN((out.bands[0] as Float32Array)[0])).toBe(true);
    expect((out.bands[0] as Float32Array)[1]).toBe(0.5);
    expect(Number.isNaN(out.noData)).toBe(true);
    expect(out.geo).toBe(r.geo);
  });
});

describe('Sentinel-2 processing baseline', () => {
  it('parses the baseline forms and decides the offset', () => {
    expect(parseProcessingBaseline('04.00')).toEqual([4, 0]);
    expect(parseProcessingBaseline('05.09')).toEqual([5, 9]);
    expect(parseProcessingBaseline('N0509')).toEqual([5, 9]);
    expect(parseProcessingBaseline('4.0')).toEqual([4, 0]);
    expect(processingBaselineOffset('02.14')).toBe(0);
    expect(processingBaselineOffset('03.01')).toBe(0);
    expect(processingBaselineOffset('04.00')).toBe(1000);
    expect(processingBaselineOffset('N0400')).toBe(1000);
    expect(processingBaselineOffset('05.10')).toBe(1000);
    expect(() => parseProcessingBaseline('baseline four')).toThrow(
      /cannot read Sentinel-2 processing baseline/,
    );
  });
  it('subtracts 1000 and clamps at 0 from PB 04.00; copies older products unchanged', () => {
    const dn = new Uint16Array([0, 500, 1000, 1001, 11000]);
    const h = harmonizeProcessingBaseline(dn, '04.00');
    expect(h).toBeInstanceOf(Uint16Array);
    expect(Array.from(h)).toEqual([0, 0, 0, 1, 10000]);
    const old = harmonizeProcessingBaseline(dn, '03.00');
    expect(Array.from(old)).toEqual(Array.from(dn));
    expect(old).not.toBe(dn);
    expect(Array.from(harmonizeProcessingBaseline(dn, '04.00', { offset: 500 }))).toEqual([
      0, 0, 500, 501, 10500,
    ]);
    expect(Array.from(harmonizeProcessingBaseline(dn, '02.09', { offset: 500 }))).toEqual(Array.from(dn));
    expect(() => harmonizeProcessingBaseline(dn, '04.00', { offset: -1 })).toThrow(/non-negative/);
  });
  it('harmonises only the listed raster bands and leaves no-data alone', () => {
    const r: Raster = {
      width: 3,
      height: 1,
      dtype: 'uint16',
      bands: [new Uint16Array([1500, 65535, 900]), new Uint16Array([4, 8, 9])], // band 1: SCL
      noData: 65535,
    };
    const h = harmonizeProcessingBaseline(r, 'N0509', { bands: [0] });
    expect(Array.from(h.bands[0] as Uint16Array)).toEqual([500, 65535, 0]);
    expect(Array.from(h.bands[1] as Uint16Array)).toEqual([4, 8, 9]);
    expect(() => harmonizeProcessingBaseline(r, '04.00', { bands: [2] })).toThrow(/out of range/);
  });
  it('leaves NaN pixels NaN, no-data NaN or not (they became 0, a valid DN)', () => {
    const band = new Float32Array([Number.NaN, 500, 2500]);
    for (const noData of [Number.NaN, null]) {
      const r: Raster = { width: 3, height: 1, dtype: 'float32', bands: [band], noData };
      expect(Array.from(harmonizeProcessingBaseline(r, '04.00').bands[0] as Float32Array)).toEqual([
        Number.NaN,
        0,
        1500,
      ]);
    }
  });
});

describe('8-bit conversions', () => {
  it('reproduces upstream trunc(255·clamp(v/10000, 0, 1)) in float32', () => {
    const v = new Uint16Array([0, 39, 40, 5000, 9999, 10000, 12000]);
    // 40/10000·255 = 1.02 → 1; 39 → 0.99 → 0; 5000 → 127.5 → 127; 9999 → 254.97 → 254
    expect(Array.from(to8BitRadiometry(v))).toEqual([0, 0, 1, 127, 254, 255, 255]);
    expect(Array.from(toUint8(v))).toEqual(Array.from(to8BitRadiometry(v)));
  });
  it('float32 arithmetic matters at exact multiples (v = 10000·k/255 rounding)', () => {
    // for every DN, the float32 pipeline gives a value within 1 of the exact trunc and never above 255
    const dn = new Uint16Array(10001).map((_, i) => i);
    const out = to8BitRadiometry(dn);
    let diffs = 0;
    for (let i = 0; i <= 10000; i++) {
      const exact = Math.trunc((255 * i) / 10000);
      expect(Math.abs((out[i] as number) - exact)).toBeLessThanOrEqual(1);
      if (out[i] !== exact) diffs++;
    }
    expect(diffs).toBeLessThan(50);
  });
  it('12-bit → 8-bit rounds linearly over 0–4095', () => {
    expect(Array.from(twelveBitTo8Bit(new Uint16Array([0, 8, 2048, 4095, 5000])))).toEqual([
      0, 0, 128, 255, 255,
    ]);
    expect(Array.from(toUint8([-1, 0.5, Number.NaN], { min: -1, max: 1, rounding: 'round' }))).toEqual([
      0, 191, 0,
    ]);
    expect(() => toUint8([1], { min: 2, max: 1 })).toThrow(/max > min/);
  });
});

describe('percentiles and stretch', () => {
  it('matches numpy linear percentiles', () => {
    expect(percentiles([1, 2, 3, 4], [0, 50, 100])).toEqual([1, 2.5, 4]);
    // np.percentile(np.arange(101), [2, 98]) = [2, 98]; np.percentile([10, 0, 5], 25) = 2.5
    expect(
      percentiles(
        Float32Array.from({ length: 101 }, (_, i) => i),
        [2, 98],
      ),
    ).toEqual([2, 98]);
    expect(percentiles([10, 0, 5], [25])).toEqual([2.5]);
    expect(percentiles([Number.NaN, 7, -1, 7], [50], { noData: -1 })).toEqual([7]);
    expect(percentiles([Number.NaN], [50]).map(Number.isNaN)).toEqual([true]);
    expect(() => percentiles([1], [101])).toThrow(/outside/);
  });
  it('stretches between the 2nd and 98th percentiles, NaN for invalid pixels', () => {
    const band = Float32Array.from({ length: 101 }, (_, i) => i);
    band[50] = -9999;
    const { data, min, max } = percentileStretch(band, { noData: -9999 });
    // 100 valid values 0..100 without 50: positions 1.98 and 97.02 → 1.98 and 98.02
    expect(min).toBeCloseTo(1.98, 10);
    expect(max).toBeCloseTo(98.02, 10);
    expect(data[0]).toBe(0);
    expect(data[100]).toBe(1);
    expect(data[26]).toBeCloseTo((26 - 1.98) / 96.04, 6);
    expect(Number.isNaN(data[50])).toBe(true);
    expect(Array.from(stretchLinear([3, 3], 3, 3))).toEqual([0, 0]);
    expect(() => percentileStretch(band, { low: 50, high: 50 })).toThrow(/low < high/);
  });
});

describe('pansharpenHsv', () => {
  const pan: Raster = {
    width: 4,
    height: 4,
    dtype: 'uint16',
    bands: [new Uint16Array(16).map((_, i) => 1000 + 500 * (i % 4))],
    geo: { epsg: 32633, transform: [0, 1.5, 0, 0, 0, -1.5] },
  };
  it('is PAN·c/max(R,G,B) on the PAN grid (same size: no resize)', () => {
    const ms: Raster = {
      width: 4,
      height: 4,
      dtype: 'uint16',
      bands: [
        new Uint16Array(16).fill(2000),
        new Uint16Array(16).fill(1000),
        new Uint16Array(16).fill(500),
        new Uint16Array(16).fill(7000), // NIR, ignored
      ],
    };
    const out = pansharpenHsv(ms, pan);
    expect(out.bands).toHaveLength(3);
    expect(out.geo).toBe(pan.geo);
    for (let i = 0; i < 16; i++) {
      const p = (1000 + 500 * (i % 4)) / 10000;
      expect((out.bands[0] as Float32Array)[i]).toBeCloseTo(p, 6); // R is the max → PAN
      expect((out.bands[1] as Float32Array)[i]).toBeCloseTo(p * 0.5, 6);
      expect((out.bands[2] as Float32Array)[i]).toBeCloseTo(p * 0.25, 6);
    }
  });
  it('gives (PAN, PAN, PAN) where RGB is black, and resizes RGB with AA bilinear to the PAN size', () => {
    const ms: Raster = {
      width: 2,
      height: 2,
      dtype: 'uint16',
      bands: [new Uint16Array([0, 4000, 0, 4000]), new Uint16Array([0, 2000, 0, 2000]), new Uint16Array(4)],
    };
    const out = pansharpenHsv(ms, pan);
    const r = resize(new Float32Array([0, 0.4, 0, 0.4]), [1, 2, 2], [4, 4], {
      method: 'bilinear',
      antialias: true,
    });
    for (let i = 0; i < 16; i++) {
      const p = (1000 + 500 * (i % 4)) / 10000;
      if (r[i] === 0) {
        expect((out.bands[0] as Float32Array)[i]).toBeCloseTo(p, 6);
        expect((out.bands[2] as Float32Array)[i]).toBeCloseTo(p, 6);
      } else {
        expect((out.bands[0] as Float32Array)[i]).toBeCloseTo(p, 6); // R = max
        expect((out.bands[1] as Float32Array)[i]).toBeCloseTo(p / 2, 6); // G = R/2 everywhere
        expect((out.bands[2] as Float32Array)[i]).toBeCloseTo(0, 6);
      }
    }
    expect(r[0]).toBe(0); // column 0 of the upsampled image is pure black
    expect(() => pansharpenHsv(ms, pan, { rgbBands: [0, 1, 3] })).toThrow(/out of range/);
  });
});
