import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, RasterIoError, readSafetensors } from '../../src/index.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/node.js';
import {
  bfloat16ToFloat,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
} from '../../src/safetensors/half-float.js';

const parity = fileURLToPath(new URL('../../../../../shared/fixtures/parity/', import.meta.url));

/** Builds a safetensors file by hand (independent of encodeSafetensors). */
function handBuilt(header: object, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad && json.length % 8) {
    const p = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(32);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectCode(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as RasterIoError).code).toBe('INVALID_SAFETENSORS');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a throw');
}

describe('readSafetensors on the PyTorch parity fixtures', () => {
  it('reads lanczos-shifts: shapes, metadata and values consistent with the README', async () => {
    const f = await readSafetensorsFile(join(parity, 'lanczos-shifts.safetensors'));
    expect(Object.keys(f.tensors).sort()).toEqual(['kernels', 'kernels_1d', 'shifts']);
    expect(f.tensors.kernels?.shape).toEqual([81, 1, 11, 11]);
    expect(f.tensors.kernels?.dtype).toBe('F32');
    expect(f.metadata.upstream).toContain('39fe223');
    const shifts = f.tensors.shifts?.data as Float32Array;
    expect(Array.from(shifts)).toEqual([-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]);
    const k1 = f.tensors.kernels_1d?.data as Float32Array;
    const k2 = f.tensors.kernels?.data as Float32Array;
    // kernels[iy*9+ix] = outer(k1[iy], k1[ix]) — checks byte order and element offsets.
    for (const [iy, ix] of [
      [0, 0],
      [3, 7],
      [8, 8],
    ] as const) {
      for (let r = 0; r < 11; r++)
        for (let c = 0; c < 11; c++)
          expect(k2[(iy * 9 + ix) * 121 + r * 11 + c]).toBeCloseTo(
            (k1[iy * 11 + r] as number) * (k1[ix * 11 + c] as number),
            6,
          );
    }
    const sum0 = Array.from(k1.subarray(0, 11)).reduce((a, b) => a + b, 0);
    expect(sum0).toBeCloseTo(0.999989, 5);
  });

  it('reads resize.safetensors including the I32 tensor', async () => {
    const bytes = await readFile(join(parity, 'resize.safetensors'));
    const f = readSafetensors(bytes, { only: ['hr_1054_dn', 'lr_160'] });
    expect(Object.keys(f.tensors).sort()).toEqual(['hr_1054_dn', 'lr_160']);
    const dn = f.tensors.hr_1054_dn;
    expect(dn?.dtype).toBe('I32');
    expect(dn?.data).toBeInstanceOf(Int32Array);
    expect(dn?.shape).toEqual([1, 1, 1054, 1054]);
    let max = 0;
    for (const v of dn?.data as Int32Array) max = Math.max(max, v);
    expect(max).toBeGreaterThanOrEqual(9000); // the README's saturated patch (DN 9000–14000)
    expect(max).toBeLessThanOrEqual(14000);
    expect(JSON.parse(f.metadata.versions as string).torch).toBe('1.13.0a0');
  });
});

describe('readSafetensors on hand-built files (every dtype)', () => {
  it('decodes F64, I64, U8, F16, BF16, I16, BOOL with exact values', () => {
    const data = new Uint8Array(16 + 16 + 3 + 6 + 4 + 4 + 2);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, Math.PI, true);
    dv.setFloat64(8, -1e300, true);
    dv.setBigInt64(16, -(2n ** 62n), true);
    dv.setBigInt64(24, 123456789012345n, true);
    data.set([0, 127, 255], 32);
    dv.setUint16(35, 0x3c00, true); // F16 1.0  (unaligned on purpose)
    dv.setUint16(37, 0xc000, true); // -2
    dv.setUint16(39, 0x0001, true); // 2^-24
    dv.setUint16(41, 0x3f80, true); // BF16 1.0
    dv.setUint16(43, 0x4049, true); // BF16 3.140625
    dv.setInt16(45, -300, true);
    dv.setInt16(47, 300, true);
    data.set([0, 1], 49);
    const file = handBuilt(
      {
        __metadata__: { format: 'pt' },
        d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
        l: { dtype: 'I64', shape: [2, 1], data_offsets: [16, 32] },
        u: { dtype: 'U8', shape: [3], data_offsets: [32, 35] },
        h: { dtype: 'F16', shape: [3], data_offsets: [35, 41] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [41, 45] },
        s: { dtype: 'I16', shape: [2], data_offsets: [45, 49] },
        z: { dtype: 'BOOL', shape: [2], data_offsets: [49, 51] },
      },
      data,
      false,
    );
    const f = readSafetensors(file);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(f.tensors.d?.data as Float64Array)).toEqual([Math.PI, -1e300]);
    expect(Array.from(f.tensors.l?.data as BigInt64Array)).toEqual([-(2n ** 62n), 123456789012345n]);
    expect(f.tensors.l?.shape).toEqual([2, 1]);
    expect(Array.from(f.tensors.u?.data as Uint8Array)).toEqual([0, 127, 255]);
    expect(Array.from(f.tensors.h?.data as Float32Array)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(f.tensors.b?.data as Float32Array)).toEqual([1, 3.140625]);
    expect(Array.from(f.tensors.s?.data as Int16Array)).toEqual([-300, 300]);
    expect(Array.from(f.tensors.z?.data as Uint8Array)).toEqual([0, 1]);
    // the result never aliases the input
    (f.tensors.u?.data as Uint8Array)[0] = 9;
    expect(file[8 + (file.length - 8 - data.length) + 32]).toBe(0);
  });

  it('a tensor or metadata key "__proto__" is a key like any other, written and read (it set the prototype)', () => {
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    Object.defineProperty(tensors, '__proto__', {
      value: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      enumerable: true,
    });
    tensors.w = { dtype: 'F32', shape: [1], data: new Float32Array([2]) };
    const bytes = encodeSafetensors(tensors, JSON.parse('{"__proto__":"x","a":"b"}'));
    // the header names both tensors (the file was written without the first, its bytes left over)
    const header = new TextDecoder().decode(
      bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
    );
    expect(Object.keys(JSON.parse(header))).toEqual(['__metadata__', '__proto__', 'w']);
    const back = readSafetensors(bytes);
    expect(Object.keys(back.tensors)).toEqual(['__proto__', 'w']);
    expect(Array.from(Object.getOwnPropertyDescriptor(back.tensors, '__proto__')?.value.data)).toEqual([1]);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
    expect(Object.keys(back.metadata)).toEqual(['__proto__', 'a']);
  });

  it('accepts an empty file with no tensors and zero-element tensors', () => {
    expect(readSafetensors(handBuilt({}, new Uint8Array(0)))).toEqual({ tensors: {}, metadata: {} });
    const f = readSafetensors(
      handBuilt({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } }, new Uint8Array(0)),
    );
    expect(f.tensors.e?.data.length).toBe(0);
  });
});

describe('half-float conversions', () => {
  it('narrows to binary16 with round-to-nearest-even and saturates to Inf', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to Inf
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie → even (2)
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(halfToFloat(floatToHalf(Number.NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 37) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });
  it('narrows to bfloat16 with round-to-nearest-even', () => {
    expect(floatToBfloat16(1)).toBe(0x3f80);
    expect(floatToBfloat16(Math.PI)).toBe(0x4049);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bfloat16ToFloat(0xbf80)).toBe(-1);
  });
  it('rounds a float64 once, not through float32 (which made halfway-plus-a-little values tie, 1 ulp off)', () => {
    // 2^-40 above or below a halfway point is below float32's resolution: float32 made it an exact tie
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(floatToHalf(1 + 3 * 2 ** -11 - 2 ** -40)).toBe(0x3c01);
    expect(floatToHalf(-(2 ** -25 + 2 ** -60))).toBe(0x8001); // subnormal
    expect(floatToHalf(65520 - 2 ** -30)).toBe(0x7bff); // just under the overflow threshold
    expect(floatToBfloat16(1 + 2 ** -8 + 2 ** -40)).toBe(0x3f81);
    expect(floatToBfloat16(-(1 + 3 * 2 ** -8 - 2 ** -40))).toBe(0xbf81);
    expect(floatToBfloat16(2 ** -134 + 2 ** -160)).toBe(0x0001); // subnormal
  });
  it('every narrowed float64 is a nearest representable value, ties to the even one', () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const formats = [
      { narrow: floatToHalf, widen: halfToFloat, ulp: 2 ** -10, infinity: 0x7c00, exponents: [-25, 15] },
      {
        narrow: floatToBfloat16,
        widen: bfloat16ToFloat,
        ulp: 2 ** -7,
        infinity: 0x7f80,
        exponents: [-134, 127],
      },
    ];
    for (const { narrow, widen, ulp, infinity, exponents } of formats) {
      const [low, high] = exponents as [number, number];
      for (let i = 0; i < 20000; i++) {
        // halfway points (every other value) and random points, nudged below float32's resolution, both signs
        const scale = 2 ** (low + Math.floor(next() * (high - low + 1)));
        const within = Math.floor(next() / ulp) * ulp + (i % 2 ? ulp / 2 : next() * ulp);
        const x = (next() < 0.5 ? -1 : 1) * scale * (1 + within + (next() - 0.5) * 2 ** -45);
        const h = narrow(x);
        if ((h & 0x7fff) >= infinity) continue;
        const d = Math.abs(widen(h) - x);
        for (const other of [h + 1, h - 1]) {
          if ((other & 0x7fff) >= infinity || (other & 0x8000) !== (h & 0x8000)) continue;
          const e = Math.abs(widen(other) - x);
          expect(
            d < e || (d === e && h % 2 === 0),
            `${x} → ${h.toString(16)}, not ${other.toString(16)}`,
          ).toBe(true);
        }
      }
    }
  });
});

describe('encodeSafetensors', () => {
  it('round-trips every dtype and metadata, header padded to 8 and tensors aligned', () => {
    const tensors = {
      a: { shape: [2, 2], data: new Float32Array([1.5, -2, 3, 4e-30]) },
      b: { shape: [3], data: new Float64Array([1 / 3, -0, 1e308]) },
      c: { shape: [2], data: new BigInt64Array([-5n, 2n ** 60n]) },
      d: { dtype: 'I64' as const, shape: [2], data: [7, -8] },
      e: { shape: [1], data: new Uint8Array([200]) },
      f: { dtype: 'F16' as const, shape: [2], data: new Float32Array([0.5, 1024]) },
      g: { dtype: 'BF16' as const, shape: [1], data: [2.5] },
      h: { shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
      i: { shape: [1], data: new Uint16Array([65535]) },
    };
    const bytes = encodeSafetensors(tensors, { model_args: JSON.stringify({ zoom: 2 }) });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    for (const [k, v] of Object.entries(header)) {
      if (k === '__metadata__') continue;
      const { dtype, data_offsets } = v as { dtype: string; data_offsets: number[] };
      const size = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U16: 2, U8: 1 }[dtype] as number;
      expect((data_offsets[0] as number) % size).toBe(0);
    }
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ model_args: '{"zoom":2}' });
    expect(back.tensors.a).toEqual({ dtype: 'F32', shape: [2, 2], data: tensors.a.data });
    expect(Array.from(back.tensors.b?.data as Float64Array)).toEqual([1 / 3, -0, 1e308]);
    expect(Array.from(back.tensors.c?.data as BigInt64Array)).toEqual([-5n, 2n ** 60n]);
    expect(Array.from(back.tensors.d?.data as BigInt64Array)).toEqual([7n, -8n]);
    expect(back.tensors.e?.data).toEqual(new Uint8Array([200]));
    expect(Array.from(back.tensors.f?.data as Float32Array)).toEqual([0.5, 1024]);
    expect(back.tensors.f?.dtype).toBe('F16');
    expect(Array.from(back.tensors.g?.data as Float32Array)).toEqual([2.5]);
    expect(Array.from(back.tensors.h?.data as Int32Array)).toEqual([-2147483648, 2147483647]);
    expect(Array.from(back.tensors.i?.data as Uint16Array)).toEqual([65535]);
  });

  it('rejects mismatched lengths, bad shapes, reserved names and non-string metadata', () => {
    expectCode(
      () => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } }),
      /"x".*4 elements.*3/,
    );
    expectCode(() => encodeSafetensors({ x: { shape: [-1], data: new Float32Array(0) } }), /shape/);
    expectCode(() => encodeSafetensors({ __metadata__: { shape: [0], data: [] } }), /reserved/);
    expectCode(() => encodeSafetensors({}, { n: 3 as unknown as string }), /metadata "n".*strings/);
    expectCode(() => encodeSafetensors({ x: { dtype: 'I64', shape: [1], data: [1.5] } }), /not an integer/);
  });

  it('refuses integer values that would be wrapped or truncated, naming the tensor, element and value', () => {
    const write = (dtype: string, data: unknown) => () =>
      encodeSafetensors({ w: { dtype, shape: [(data as unknown[]).length], data } as never });
    // was: written as 1, -1294967296, 0, 0
    expectCode(write('I32', [7, 1.5]), /^tensor "w": I32 element 1 is 1\.5, not an integer/);
    expectCode(
      write('I32', [3e9]),
      /"w": I32 element 0 is 3000000000, outside I32's range -2147483648\.\.2147483647/,
    );
    expectCode(write('I32', [Number.NaN]), /element 0 is NaN, not an integer/);
    expectCode(write('I32', [Number.NEGATIVE_INFINITY]), /element 0 is -Infinity, not an integer/);
    expectCode(write('U8', [300]), /U8 element 0 is 300, outside U8's range 0\.\.255/); // was 44
    expectCode(write('U8', [-1]), /U8 element 0 is -1, outside/); // was 255
    expectCode(write('U8', [255.9]), /U8 element 0 is 255\.9, not an integer/); // was 255
    expectCode(write('I16', [40000]), /I16 element 0 is 40000, outside/); // was -25536
    expectCode(write('U32', [-1]), /U32 element 0 is -1, outside/); // was 4294967295
    expectCode(write('I8', new Float32Array([0.5, 200])), /I8 element 0 is 0\.5, not an integer/);
    expectCode(write('I64', [2 ** 64]), /I64 element 0 is 18446744073709552000, outside I64's range/); // was 0
    expectCode(write('U64', [-5]), /U64 element 0 is -5, outside U64's range 0\.\./); // was 2^64 − 5
    expectCode(write('U64', new BigInt64Array([-5n])), /U64 element 0 is -5n, outside/);
    expectCode(
      write('I64', new BigUint64Array([2n ** 63n])),
      /I64 element 0 is 9223372036854775808n, outside/,
    );
    // the ends of each range are written exactly
    const ends = encodeSafetensors({
      a: { dtype: 'I8', shape: [2], data: [-128, 127] },
      b: { dtype: 'U32', shape: [2], data: [0, 4294967295] },
      c: { dtype: 'I64', shape: [2], data: [-(2n ** 63n), 2n ** 63n - 1n] as unknown as number[] },
      d: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
    });
    const back = readSafetensors(ends).tensors;
    expect(Array.from(back.a?.data as Int8Array)).toEqual([-128, 127]);
    expect(Array.from(back.b?.data as Uint32Array)).toEqual([0, 4294967295]);
    expect(Array.from(back.c?.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(Array.from(back.d?.data as BigUint64Array)).toEqual([2n ** 64n - 1n]);
  });

  it('refuses a finite float that would overflow to ±Inf; NaN and ±Inf themselves are kept', () => {
    const write = (dtype: string, data: number[] | Float64Array) => () =>
      encodeSafetensors({ w: { dtype, shape: [data.length], data } as never });
    // was: written as Infinity
    expectCode(
      write('F32', new Float64Array([1, 1e300])),
      /"w": F32 element 1 is 1e\+300, beyond F32's largest/,
    );
    expectCode(write('F32', [-3.5e38]), /F32 element 0 is -3\.5e\+38, beyond/);
    expectCode(write('F16', [65520]), /F16 element 0 is 65520, beyond F16's largest finite value/);
    expectCode(write('BF16', [1e39]), /BF16 element 0 is 1e\+39, beyond BF16's largest/);
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4028234663852886e38];
    for (const dtype of ['F64', 'F32'] as const) {
      const t = readSafetensors(write(dtype, special)() as Uint8Array).tensors.w;
      expect(Array.from(t?.data as Float32Array), dtype).toEqual(special);
    }
    const half = readSafetensors(write('F16', [Number.NaN, Number.NEGATIVE_INFINITY, 65504])() as Uint8Array);
    expect(Array.from(half.tensors.w?.data as Float32Array)).toEqual([
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      65504,
    ]);
    // F64 holds any double
    const wide = readSafetensors(write('F64', [1e300])() as Uint8Array).tensors.w;
    expect(Array.from(wide?.data as Float64Array)).toEqual([1e300]);
    // a bigint is finite however large (it was stored as Infinity)
    const big = (dtype: string) => () =>
      encodeSafetensors({ w: { dtype, shape: [2], data: [1n, 2n ** 1024n] } as never });
    expectCode(big('F64'), /"w": F64 element 1 is \d+\.\.\., beyond F64's largest finite value/);
    expectCode(big('F32'), /"w": F32 element 1 is \d+\.\.\., beyond F32's largest/);
    expectCode(big('F16'), /"w": F16 element 1 is \d+\.\.\., beyond F16's largest/);
  });

  it('refuses a shape with holes ([, 3] was written as [null, 3], which no reader takes)', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holey = [, 3] as unknown as number[];
    expectCode(
      () => encodeSafetensors({ w: { shape: holey, data: new Float32Array(3) } }),
      /"w": shape .* must be non-negative integers/,
    );
  });
});

describe('readSafetensors error handling', () => {
  const good = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) } });
  it('names the file and the problem', () => {
    expectCode(() => readSafetensors(new Uint8Array(5), { name: 'w.st' }), /^w\.st: file is 5 bytes/);
    expectCode(() => readSafetensors(good.subarray(0, good.length - 1)), /data section|truncated/);
    expectCode(() => readSafetensors(good.subarray(0, 20)), /runs past the end.*truncated/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expectCode(() => readSafetensors(huge), /100 MB/);
    expectCode(
      () => readSafetensors(handBuilt([1, 2] as unknown as object, new Uint8Array(0))),
      /must be an object/,
    );
    const notJson = good.slice();
    notJson[8] = 0x7b + 1;
    expectCode(() => readSafetensors(notJson), /not valid UTF-8 JSON/);
  });
  it('checks its options and quotes deep or odd header values without a second error', () => {
    const invalid = (f: () => unknown, pattern: RegExp) => {
      const e = (() => {
        try {
          f();
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(RasterIoError);
      expect((e as RasterIoError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(pattern);
    };
    for (const only of [5, true, {}, 'ab', [1]])
      invalid(
        () => readSafetensors(good, { only: only as never }),
        /^readSafetensors: options\.only must be an array of tensor names, got /,
      );
    invalid(
      () => readSafetensors(good, { name: Symbol('n') as never }),
      /^readSafetensors: options\.name must be a string, got Symbol\(n\)/,
    );
    expect(Object.keys(readSafetensors(good, { only: ['a'] }).tensors)).toEqual(['a']);
    // a shape, dtype or data_offsets nested 100 000 deep (JSON.stringify of it overflowed the stack)
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const field of ['shape', 'dtype', 'data_offsets']) {
      const header = `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"${field}":${deep}}}`;
      const json = new TextEncoder().encode(header);
      const file = new Uint8Array(8 + json.length + 8);
      new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
      file.set(json, 8);
      expectCode(
        () => readSafetensors(file, { name: 'deep.st' }),
        new RegExp(`^deep\\.st: tensor "a" has ${field} \\[object Array\\]`),
      );
    }
  });

  it('rejects bad dtypes, sizes, overlaps, gaps and trailing bytes', () => {
    const d8 = new Uint8Array(8);
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F8', shape: [8], data_offsets: [0, 8] } }, d8)),
      /dtype "F8"/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8)),
      /needs 12 bytes.*span 8/,
    );
    expectCode(
      () =>
        readSafetensors(
          handBuilt(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
            },
            d8,
          ),
        ),
      /overlaps/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8)),
      /gap/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d8)),
      /trailing/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, d8)),
      /shape/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, d8)),
      /past the data/,
    );
    expectCode(
      () => readSafetensors(handBuilt({ __metadata__: { a: 1 } }, new Uint8Array(0))),
      /metadata values must be strings/,
    );
    expectCode(() => readSafetensors(good, { only: ['nope'] }), /no tensor named "nope"/);
  });
});

describe('safetensors file helpers', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  it('writes atomically (no temp file left, also on failure) and reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'st-'));
    dirs.push(dir);
    const path = join(dir, 'w.safetensors');
    await writeSafetensorsFile(path, { w: { shape: [3], data: new Float32Array([1, 2, 3]) } }, { k: 'v' });
    await writeSafetensorsFile(path, { w: { shape: [2], data: new Float32Array([4, 5]) } });
    expect(await readdir(dir)).toEqual(['w.safetensors']);
    const back = await readSafetensorsFile(path);
    expect(Array.from(back.tensors.w?.data as Float32Array)).toEqual([4, 5]);
    expect(back.metadata).toEqual({});
    await expect(writeSafetensorsFile(join(dir, 'w.safetensors', 'x.st'), {})).rejects.toMatchObject({
      code: 'WRITE_FAILED',
    });
    expect(await readdir(dir)).toEqual(['w.safetensors']);
  });
});
