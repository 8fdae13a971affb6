import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RasterIoError, resize, resizeRaster, type SafetensorsFile } from '../../src/index.js';
import { readSafetensorsFile } from '../../src/node.js';
import { resizeTaps } from '../../src/resample/resize-taps.js';

const parity = fileURLToPath(new URL('../../../../../shared/fixtures/parity/', import.meta.url));

// JIF_S2_MEAN / JIF_S2_STD, used only to verify Normalize + resize against the fixture.
const MEAN = [
  0.0008, 0.0117, 0.0211, 0.0198, 0.0671, 0.1274, 0.1449, 0.1841, 0.1738, 0.1803, 0.0566, -0.0559,
];
const STD = [0.0892, 0.0976, 0.1001, 0.1169, 0.1154, 0.1066, 0.1097, 0.1151, 0.1122, 0.1176, 0.1298, 0.1176];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
function range(a: ArrayLike<number>): number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i] as number);
    hi = Math.max(hi, a[i] as number);
  }
  return hi - lo;
}

describe('resize against the PyTorch parity fixture (resize.safetensors)', () => {
  let fx: SafetensorsFile;
  const t = (name: string) => fx.tensors[name]?.data as Float32Array;
  beforeAll(async () => {
    fx = await readSafetensorsFile(join(parity, 'resize.safetensors'));
  });

  it('Normalize with float32-cast constants is bit-exact, then AA bilinear 158→160 within 2e-5', () => {
    const raw = t('lr_158_raw');
    const norm = new Float32Array(raw.length);
    const plane = 158 * 158;
    for (let b = 0; b < 12; b++) {
      const m = Math.fround(MEAN[b] as number);
      const s = Math.fround(STD[b] as number);
      for (let i = 0; i < plane; i++)
        norm[b * plane + i] = Math.fround(Math.fround((raw[b * plane + i] as number) - m) / s);
    }
    expect(maxAbsDiff(norm, t('lr_158_normalized'))).toBe(0);
    const out = resize(norm, [12, 158, 158], [160, 160], { method: 'bilinear', antialias: true });
    const err = maxAbsDiff(out, t('lr_160'));
    expect(err).toBeLessThanOrEqual(2e-5);
    // float32 weight emulation makes us much closer than the float64 re-implementation's 1.6e-5
    expect(err).toBeLessThan(2e-6);
  });

  it('HR: int32/10000, AA bilinear 1054→500, clamp(0,1) within 2e-5', () => {
    const dn = fx.tensors.hr_1054_dn?.data as Int32Array;
    const x = new Float32Array(dn.length);
    for (let i = 0; i < dn.length; i++) x[i] = (dn[i] as number) / 10000;
    const out = resize(x, [1, 1054, 1054], [500, 500], { method: 'bilinear', antialias: true });
    let clamped = 0;
    for (let i = 0; i < out.length; i++) {
      if ((out[i] as number) > 1) clamped++;
      out[i] = Math.min(Math.max(out[i] as number, 0), 1);
    }
    expect(clamped).toBeGreaterThan(1000); // the README's saturated patch (1738 pixels)
    expect(maxAbsDiff(out, t('hr_500'))).toBeLessThanOrEqual(2e-5);
  });

  it('plain bilinear 100→156 (align_corners=False) within 6e-6 × input range', () => {
    const inp = t('bilinear_100_in');
    const out = resize(inp, [6, 100, 100], [156, 156], { method: 'bilinear' });
    const err = maxAbsDiff(out, t('bilinear_156_out'));
    expect(err).toBeLessThanOrEqual(6e-6 * range(inp));
    expect(err).toBeLessThan(1e-6); // float32 scale + double source reproduces torch's rounding (README: 2.2e-5 otherwise)
  });

  it('bicubic 50→156 (a = −0.75) within 6e-6 × input range', () => {
    const inp = t('bicubic_50_in');
    const out = resize(inp, [6, 50, 50], [156, 156], { method: 'bicubic' });
    const err = maxAbsDiff(out, t('bicubic_156_out'));
    expect(err).toBeLessThanOrEqual(6e-6 * range(inp));
    expect(err).toBeLessThan(1.5e-6); // float32 scale + double source reproduces torch's rounding
  });

  it('exact float64 weights would be measurably worse on bilinear 100→156 (the fixture detects the emulation)', () => {
    // Independent float64 bilinear (no fround): differs from torch by ~1e-6..5e-6 × range, per the README.
    const inp = t('bilinear_100_in');
    const ref = t('bilinear_156_out');
    const s = 100 / 156;
    let err = 0;
    for (let oy = 150; oy < 156; oy++)
      for (let ox = 150; ox < 156; ox++) {
        const sy = Math.max(s * (oy + 0.5) - 0.5, 0);
        const sx = Math.max(s * (ox + 0.5) - 0.5, 0);
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(y0 + 1, 99);
        const x1 = Math.min(x0 + 1, 99);
        const ly = sy - y0;
        const lx = sx - x0;
        const v = (y: number, x: number) => inp[y * 100 + x] as number;
        const val =
          (1 - ly) * ((1 - lx) * v(y0, x0) + lx * v(y0, x1)) + ly * ((1 - lx) * v(y1, x0) + lx * v(y1, x1));
        err = Math.max(err, Math.abs(val - (ref[oy * 156 + ox] as number)));
      }
    const ours = resize(inp.subarray(0, 10000), [1, 100, 100], [156, 156]);
    let errOurs = 0;
    for (let oy = 150; oy < 156; oy++)
      for (let ox = 150; ox < 156; ox++)
        errOurs = Math.max(
          errOurs,
          Math.abs((ours[oy * 156 + ox] as number) - (ref[oy * 156 + ox] as number)),
        );
    expect(errOurs).toBeLessThan(err);
  });
});

describe('resize kernels (hand-checked)', () => {
  it('nearest follows torch: floor(dst · float32(in/out)), clamped', () => {
    expect(Array.from(resizeTaps(3, 5, 'nearest', false).idx)).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(resizeTaps(5, 3, 'nearest', false).idx)).toEqual([0, 1, 3]);
    expect(Array.from(resizeTaps(3, 6, 'nearest', false).idx)).toEqual([0, 0, 1, 1, 2, 2]);
    const img = new Float32Array([1, 2, 3, 4, 5, 6]); // 1 plane, 2×3
    expect(Array.from(resize(img, [1, 2, 3], [4, 5], { method: 'nearest' }))).toEqual([
      1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 4, 4, 5, 5, 6,
    ]);
  });

  it('bilinear 2→4 gives the half-pixel values torch documents', () => {
    const out = resize(new Float32Array([0, 1]), [1, 1, 2], [1, 4]);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('AA bilinear weights for 1054→500 span 2·scale and sum to 1; first taps match the spec formula', () => {
    const taps = resizeTaps(1054, 500, 'bilinear', true);
    const scale = 1054 / 500;
    for (let o = 0; o < 500; o++) {
      let sum = 0;
      for (let j = 0; j < taps.k; j++) sum += taps.w[o * taps.k + j] as number;
      expect(sum).toBeCloseTo(1, 6);
    }
    // output 0: center = 1.054, xmin = 0, xmax = trunc(3.662) = 3: weights ∝ 1 − |(j − 1.054 + 0.5)/2.108|
    const raw = [0, 1, 2].map((j) => 1 - Math.abs((j - 1.054 + 0.5) / scale));
    const tot = raw.reduce((a, b) => a + b, 0);
    for (let j = 0; j < 3; j++) expect(taps.w[j]).toBeCloseTo((raw[j] as number) / tot, 6);
    expect(taps.w[3]).toBe(0);
  });

  it('bicubic (a = −0.75) is constant on 1→n and gives the hand-derived 2× ramp values', () => {
    const c = resize(new Float32Array([3]), [1, 1, 1], [4, 4], { method: 'bicubic' });
    expect(Array.from(c)).toEqual(new Array(16).fill(3));
    // 2× upsampling: t = 0.25 for odd o, 0.75 for even o. With a = −0.75 the coefficients at t = 0.25 are
    // (−0.10546875, 0.87890625, 0.26171875, −0.03515625), so a ramp i maps to i0 + 0.296875 (not the
    // linear 0.25: Keys' cubic reproduces ramps only for a = −0.5).
    const ramp = new Float32Array(20).map((_, i) => i);
    const up = resize(ramp, [1, 1, 20], [1, 40], { method: 'bicubic' });
    for (let o = 4; o < 36; o++) {
      const i0 = Math.floor(o / 2 - 0.25);
      expect(up[o]).toBeCloseTo(o % 2 ? i0 + 0.296875 : i0 + 0.703125, 5);
    }
  });

  it('lanczos3 preserves constants and ramps, and AA lanczos low-passes a checkerboard', () => {
    const flat = new Float32Array(30 * 30).fill(7);
    for (const antialias of [false, true]) {
      const o = resize(flat, [1, 30, 30], [13, 47], { method: 'lanczos3', antialias });
      expect(Math.max(...o.map((v) => Math.abs(v - 7)))).toBeLessThan(1e-5);
    }
    const ramp = new Float32Array(40).map((_, i) => i);
    const up = resize(ramp, [1, 1, 40], [1, 80], { method: 'lanczos3' });
    // Lanczos is only approximately linear-preserving; a half-pixel offset bug would be off by 0.25
    for (let o = 10; o < 70; o++)
      expect(Math.abs((up[o] as number) - ((o + 0.5) / 2 - 0.5))).toBeLessThan(0.03);
    // 0.3 cycles/px is above the output Nyquist (0.125) of a 4× downsample: AA removes it, plain aliases it
    const wave = new Float32Array(256).map((_, i) => Math.cos(2 * Math.PI * 0.3 * i));
    const aa = resize(wave, [1, 1, 256], [1, 64], { method: 'lanczos3', antialias: true });
    const plain = resize(wave, [1, 1, 256], [1, 64], { method: 'lanczos3' });
    expect(range(aa.subarray(4, 60))).toBeLessThan(0.05);
    expect(range(plain.subarray(4, 60))).toBeGreaterThan(0.5);
  });

  it('identity sizes return an equal copy; several planes are independent', () => {
    const a = new Float32Array([1, 2, 3, 4, 10, 20, 30, 40]);
    const same = resize(a, [2, 2, 2], [2, 2], { method: 'bicubic' });
    expect(same).toEqual(a);
    expect(same).not.toBe(a);
    const down = resize(a, [2, 2, 2], [1, 1], { method: 'bilinear', antialias: true });
    expect(Array.from(down)).toEqual([2.5, 25]);
  });

  it('rejects bad shapes, lengths, sizes and methods with INVALID_ARGUMENT', () => {
    const a = new Float32Array(4);
    expect(() => resize(a, [1, 2, 3], [2, 2])).toThrow(/4 values but shape \[1,2,3\] needs 6/);
    expect(() => resize(a, [1, 2, 2], [0, 2])).toThrow(RasterIoError);
    expect(() => resize(a, [1, 2, 2], [2, 2], { method: 'area' as 'nearest' })).toThrow(
      /unknown resize method "area"/,
    );
    try {
      resize(a, [1, 0, 4], [2, 2]);
    } catch (e) {
      expect((e as RasterIoError).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('resizeRaster', () => {
  it('resizes every band, keeps the dtype (rounded, clamped) and rescales the geotransform', () => {
    const r = {
      width: 4,
      height: 2,
      dtype: 'uint8' as const,
      bands: [new Uint8Array([0, 100, 200, 255, 0, 100, 200, 255]), new Uint8Array(8).fill(9)],
      noData: null,
      geo: {
        epsg: 32633,
        transform: [500000, 10, 0, 4000000, 0, -10] as [number, number, number, number, number, number],
      },
    };
    const out = resizeRaster(r, 8, 4, { method: 'bicubic' });
    expect(out.width).toBe(8);
    expect(out.height).toBe(4);
    expect(out.dtype).toBe('uint8');
    expect(out.bands[0]).toBeInstanceOf(Uint8Array);
    expect(Math.max(...(out.bands[0] as Uint8Array))).toBe(255); // bicubic overshoot clamped
    expect(Array.from(out.bands[1] as Uint8Array)).toEqual(new Array(32).fill(9));
    expect(out.geo?.transform).toEqual([500000, 5, 0, 4000000, 0, -5]);
    const f = resizeRaster(r, 2, 1, { method: 'bilinear', antialias: true, dtype: 'float32' });
    expect(f.dtype).toBe('float32');
    // AA 2× downsample: support 2, taps (0.75, 0.75, 0.25)/1.75 and (0.25, 0.75, 0.75)/1.75
    const got = Array.from(f.bands[0] as Float32Array);
    expect(got[0]).toBeCloseTo((100 * 0.75 + 200 * 0.25) / 1.75, 4);
    expect(got[1]).toBeCloseTo((100 * 0.25 + 200 * 0.75 + 255 * 0.75) / 1.75, 4);
  });

  it('int32, uint32 and float64 keep their values (they went through float32: 16777217 → 16777216, 1e300 → Inf)', () => {
    const raster = (
      dtype: 'int32' | 'uint32' | 'float64',
      band: Int32Array | Uint32Array | Float64Array,
    ) => ({
      width: band.length,
      height: 1,
      dtype,
      bands: [band],
    });
    const i32 = raster('int32', Int32Array.of(16777217, 2147483646, -2147483647));
    const u32 = raster('uint32', Uint32Array.of(4294967195, 16777217, 3));
    const f64 = raster('float64', Float64Array.of(0.1, 1e300, -5e-324));
    for (const r of [i32, u32, f64]) {
      const band = Array.from(r.bands[0] as ArrayLike<number>);
      const same = resizeRaster(r, r.width, 1, { method: 'nearest' });
      expect(same.bands[0]).toBeInstanceOf(r.bands[0]?.constructor as typeof Int32Array);
      expect(Array.from(same.bands[0] as ArrayLike<number>), r.dtype).toEqual(band);
      const up = resizeRaster(r, 2 * r.width, 2, { method: 'nearest' });
      const row = band.flatMap((v) => [v, v]);
      expect(Array.from(up.bands[0] as ArrayLike<number>), r.dtype).toEqual([...row, ...row]);
      // identity bilinear and bicubic are copies too
      for (const method of ['bilinear', 'bicubic'] as const)
        expect(Array.from(resizeRaster(r, r.width, 1, { method }).bands[0] as ArrayLike<number>)).toEqual(
          band,
        );
    }
    // interpolated in float64: 16777217 and 16777219 average to 16777218 (float32: 16777216 and 16777220)
    const mid = resizeRaster(raster('int32', Int32Array.of(16777217, 16777219)), 1, 1, {
      method: 'bilinear',
      antialias: true,
    });
    expect(Array.from(mid.bands[0] as Int32Array)).toEqual([16777218]);
    const big = resizeRaster(f64, 6, 1, { method: 'bilinear' });
    expect(Array.from(big.bands[0] as Float64Array).every(Number.isFinite)).toBe(true);
  });

  it('8/16-bit and float32 bands still go through float32, bit for bit what resize() gives', () => {
    const n = 37 * 23;
    const f32 = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 1000 + 0.123);
    const u16 = Uint16Array.from({ length: n }, (_, i) => (i * 2654435761) % 65536);
    for (const method of ['bilinear', 'bicubic', 'lanczos3'] as const) {
      const want = resize(f32, [1, 23, 37], [31, 50], { method, antialias: true });
      const got = resizeRaster({ width: 37, height: 23, dtype: 'float32', bands: [f32] }, 50, 31, {
        method,
        antialias: true,
      });
      expect(Buffer.from((got.bands[0] as Float32Array).buffer).equals(Buffer.from(want.buffer))).toBe(true);
      const want16 = resize(Float32Array.from(u16), [1, 23, 37], [31, 50], { method });
      const got16 = resizeRaster({ width: 37, height: 23, dtype: 'uint16', bands: [u16] }, 50, 31, {
        method,
        dtype: 'float32',
      });
      expect(Buffer.from((got16.bands[0] as Float32Array).buffer).equals(Buffer.from(want16.buffer))).toBe(
        true,
      );
    }
  });
});
