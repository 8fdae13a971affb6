import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { CLASS_PALETTE, encodePng, type Raster, RasterIoError, renderQuicklook } from '../../src/index.js';
import { colormapLut } from '../../src/png/colormaps.js';

describe('encodePng', () => {
  it('round-trips 8-bit RGB, 16-bit gray and RGBA through fast-png decode', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const d = decode(encodePng({ width: 2, height: 2, channels: 3, data: rgb, text: { source: 'test' } }));
    expect([d.width, d.height, d.channels, d.depth]).toEqual([2, 2, 3, 8]);
    expect(Array.from(d.data)).toEqual(Array.from(rgb));
    expect(d.text.source).toBe('test');
    const g16 = new Uint16Array([0, 1000, 65535]);
    const d16 = decode(encodePng({ width: 3, height: 1, channels: 1, data: g16 }));
    expect(d16.depth).toBe(16);
    expect(Array.from(d16.data)).toEqual([0, 1000, 65535]);
    const rgba = new Uint8Array([1, 2, 3, 0, 4, 5, 6, 255]);
    expect(Array.from(decode(encodePng({ width: 1, height: 2, channels: 4, data: rgba })).data)).toEqual(
      Array.from(rgba),
    );
  });
  it('rejects bad sizes, channels and lengths', () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(
      /11 samples.*12/,
    );
    expect(() => encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow(
      RasterIoError,
    );
    expect(() => encodePng({ width: 1, height: 1, channels: 5 as 4, data: new Uint8Array(5) })).toThrow(
      /channels/,
    );
  });
  it('writes Latin-1 tEXt as single bytes and refuses what tEXt cannot hold, typed', () => {
    const one = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array(1) };
    const png = encodePng({ ...one, text: { 'Title é': 'café ÿ\nline 2' } });
    const chunk = Buffer.from(png).indexOf('tEXt');
    expect(Array.from(png.subarray(chunk + 4, chunk + 4 + 8))).toEqual([84, 105, 116, 108, 101, 32, 0xe9, 0]);
    expect(decode(png).text['Title é']).toBe('café ÿ\nline 2');
    for (const [text, why] of [
      [{ k: '日本' }, /"k": the text must be Latin-1 without NUL/],
      [{ k: 'a\u0000b' }, /without NUL/],
      [{ '': 'x' }, /1 to 79 characters, got 0/],
      [{ ['k'.repeat(80)]: 'x' }, /1 to 79 characters, got 80/],
      [{ 'a\u0000b': 'x' }, /printable Latin-1 characters only/],
      [{ 題: 'x' }, /printable Latin-1 characters only/],
      [{ ' lead': 'x' }, /no leading, trailing or consecutive spaces/],
      [{ 'a  b': 'x' }, /no leading, trailing or consecutive spaces/],
    ] as [Record<string, string>, RegExp][]) {
      expect(() => encodePng({ ...one, text })).toThrow(RasterIoError);
      expect(() => encodePng({ ...one, text })).toThrow(why);
    }
  });
});

describe('renderQuicklook', () => {
  const w = 10;
  const h = 10;
  const ramp = (k: number) => Uint16Array.from({ length: w * h }, (_, i) => (i % w) * 100 * k);

  it('RGB composite with a fixed stretch maps values linearly and picks the requested bands', () => {
    const r: Raster = { width: w, height: h, dtype: 'uint16', bands: [ramp(1), ramp(2), ramp(3), ramp(4)] };
    const png = decode(renderQuicklook(r, { bands: [2, 1, 0], stretch: { min: 0, max: 900 } }));
    expect([png.width, png.height, png.channels]).toEqual([10, 10, 3]);
    // pixel x=3: band2 = 900 → 255, band1 = 600 → 170, band0 = 300 → 85
    const px = (x: number, y: number) => Array.from(png.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
    expect(px(3, 5)).toEqual([255, 170, 85]);
    expect(px(0, 0)).toEqual([0, 0, 0]);
  });

  it('percentile stretch (2–98) per band; no-data becomes transparent', () => {
    const band = Float32Array.from({ length: w * h }, (_, i) => i);
    band[0] = -1;
    const r: Raster = { width: w, height: h, dtype: 'float32', bands: [band], noData: -1 };
    const png = decode(renderQuicklook(r));
    expect(png.channels).toBe(2); // gray + alpha
    expect(png.data[0 * 2 + 1]).toBe(0); // no-data → alpha 0
    expect(png.data[1 * 2 + 1]).toBe(255);
    // valid values 1..99: p2 = 2.96, p98 = 97.04 → 50 maps to round(255·(47.04/94.08)) = 128
    expect(png.data[50 * 2]).toBe(128);
    expect(png.data[99 * 2]).toBe(255);
    expect(png.data[1 * 2]).toBe(0);
  });

  it("no-data is matched in each band's own precision: float32 holds fround(noData), float64 and int32 exact", () => {
    // The bands were cast to float32 before the comparison with the uncast value: -9999.9 (float64) and
    // 16777217 (int32) matched nothing, so the no-data pixel was opaque and stretched 1, 2, 3 to white.
    const cases: [string, Raster][] = [
      [
        'float64',
        {
          width: 4,
          height: 1,
          dtype: 'float64',
          bands: [Float64Array.of(-9999.9, 1, 2, 3)],
          noData: -9999.9,
        },
      ],
      [
        'int32',
        { width: 4, height: 1, dtype: 'int32', bands: [Int32Array.of(16777217, 1, 2, 3)], noData: 16777217 },
      ],
      // a float32 band holds the float32 of -9999.9: GDAL casts its no-data the same way
      [
        'float32',
        {
          width: 4,
          height: 1,
          dtype: 'float32',
          bands: [Float32Array.of(-9999.9, 1, 2, 3)],
          noData: -9999.9,
        },
      ],
    ];
    for (const [label, r] of cases) {
      const png = decode(renderQuicklook(r, { percentiles: [0, 100] }));
      expect(png.channels, label).toBe(2);
      // gray + alpha: no-data transparent, 1..3 stretched over the valid values only
      const data = Array.from(png.data);
      expect(
        data.filter((_, i) => i % 2 === 1),
        label,
      ).toEqual([0, 255, 255, 255]);
      expect(data.filter((_, i) => i % 2 === 0).slice(1), label).toEqual([0, 128, 255]);
    }
    // a float64 value that float32 would round onto the no-data value is a valid pixel
    const near: Raster = {
      width: 3,
      height: 1,
      dtype: 'float64',
      bands: [Float64Array.of(-9999.900001, 1, 2)],
      noData: -9999.9,
    };
    expect(decode(renderQuicklook(near)).channels).toBe(1); // no alpha: nothing is no-data
  });

  it('viridis / magma colour maps use the LUT endpoints', () => {
    const r: Raster = { width: 2, height: 1, dtype: 'float32', bands: [new Float32Array([0, 1])] };
    const v = decode(renderQuicklook(r, { colormap: 'viridis', stretch: 'minmax' }));
    expect(Array.from(v.data)).toEqual([0x44, 0x01, 0x54, 0xfd, 0xe7, 0x25]);
    const m = decode(renderQuicklook(r, { colormap: 'magma', stretch: { min: 0, max: 1 } }));
    expect(Array.from(m.data)).toEqual([0x00, 0x00, 0x04, 0xfc, 0xfd, 0xbf]);
    const lut = colormapLut('viridis');
    expect(lut.length).toBe(768);
    // entry 128 sits at 0.502 ≈ the 6th anchor (#21918c) plus 2 % towards #22a884
    expect(Array.from(lut.subarray(3 * 128, 3 * 128 + 3))).toEqual([33, 145, 140]);
  });

  it('class colour map: custom colours, tab20 fallback, nearest downscale keeps classes', () => {
    const band = Uint8Array.from({ length: 400 }, (_, i) => (i % 20 < 10 ? 10 : 190));
    const r: Raster = { width: 20, height: 20, dtype: 'uint8', bands: [band] };
    const png = decode(
      renderQuicklook(r, { colormap: 'class', classColors: { 10: [1, 2, 3] }, maxSize: 10 }),
    );
    expect([png.width, png.height, png.channels]).toEqual([10, 10, 3]);
    expect(Array.from(png.data.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(png.data.subarray(27, 30))).toEqual([
      ...(CLASS_PALETTE[190 % 20] as readonly number[]),
    ]);
  });

  it('downscales continuous bands with maxSize', () => {
    const r: Raster = { width: 100, height: 50, dtype: 'uint16', bands: [new Uint16Array(5000).fill(7)] };
    const png = decode(renderQuicklook(r, { maxSize: 40, stretch: 'none' }));
    expect([png.width, png.height]).toEqual([40, 20]);
    expect(Array.from(new Set(png.data))).toEqual([7]);
  });

  it('validates bands and colour maps', () => {
    const r: Raster = { width: 1, height: 1, dtype: 'uint8', bands: [new Uint8Array(1), new Uint8Array(1)] };
    expect(() => renderQuicklook(r, { bands: [0, 1] })).toThrow(/1 or 3 bands/);
    expect(() => renderQuicklook(r, { bands: [5] })).toThrow(/out of range/);
    expect(() => renderQuicklook(r, { colormap: 'jet' as 'gray' })).toThrow(/unknown colormap/);
  });

  it('refuses inverted or out-of-range percentiles (they stretched the quicklook backwards)', () => {
    const r: Raster = { width: 2, height: 1, dtype: 'uint16', bands: [Uint16Array.of(10, 20)] };
    for (const p of [
      [98, 2],
      [50, 50],
      [-5, 98],
      [2, 101],
    ] as [number, number][]) {
      expect(() => renderQuicklook(r, { percentiles: p }), String(p)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('low < high') }),
      );
    }
    const png = decode(renderQuicklook(r, { percentiles: [0, 100] }));
    expect(Array.from(png.data)).toEqual([0, 255]); // gray: 10 → 0, 20 → 255
  });
});
