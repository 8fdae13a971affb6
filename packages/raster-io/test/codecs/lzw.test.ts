// The LZW codec: round trips through TIFF 6 (MSB-first) and compat streams of every kind of block, typed errors
// for corrupt and oversized blocks, truncated streams, and output buffer reuse only when the caller allows it.
import { describe, expect, it } from 'vitest';
import { decodeLzw, lzwCodec } from '../../src/codecs/lzw.js';
import type { RasterIoError } from '../../src/errors.js';
import { encodeLzw } from '../support/block-encoders.js';
import { rng } from '../support/synthetic.js';
import { encodeLzwCompat } from '../support/tiff-builder.js';

/** Byte equality without vitest's element-by-element diffing (slow on large arrays). */
const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Blocks of the kinds TIFF writers produce: noisy (short strings), smooth, constant (long strings), tiny, empty. */
function sampleBlocks(): Uint8Array[] {
  const next = rng(11);
  const smooth = new Uint16Array(64 * 1024).map((_, i) => 20000 + 5000 * Math.sin(i / 300) + next() * 40);
  return [
    new Uint8Array(30_001).map(() => Math.floor(next() * 256)),
    new Uint8Array(smooth.buffer),
    new Uint8Array(50_000).fill(7),
    new Uint8Array([1, 2, 1, 2, 1]),
    new Uint8Array(0),
  ];
}

function decodeError(decode: () => unknown): RasterIoError {
  try {
    decode();
  } catch (err) {
    return err as RasterIoError;
  }
  throw new Error('decode did not throw');
}

describe('LZW codec', () => {
  it('decodes TIFF 6 and compat streams of every kind of block back to their bytes', () => {
    for (const raw of sampleBlocks()) {
      for (const z of [encodeLzw(raw), encodeLzw(raw, false), encodeLzwCompat(raw)]) {
        expect(sameBytes(decodeLzw(z, raw.length, 'a.tif', raw.length), raw)).toBe(true);
        expect(sameBytes(decodeLzw(z, 16), raw)).toBe(true); // grown past a short expected size
        const reused = lzwCodec.decode(z, { expectedBytes: raw.length, file: 'a.tif', reuse: true });
        expect(sameBytes(reused as Uint8Array, raw)).toBe(true);
      }
    }
  });

  it('keeps what a stream cut short decodes to, and types corrupt and oversized blocks', () => {
    const raw = sampleBlocks()[1] as Uint8Array;
    const z = encodeLzw(raw);
    const part = decodeLzw(z.subarray(0, z.length >> 1), raw.length);
    expect(part.length).toBeGreaterThan(raw.length / 4);
    expect(sameBytes(part, raw.subarray(0, part.length))).toBe(true);
    // 9-bit codes: Clear, 'A', then 300 (not in the table yet)
    const bits = [256, 65, 300].map((c) => c.toString(2).padStart(9, '0')).join('');
    const bad = Uint8Array.from(bits.padEnd(32, '0').match(/.{8}/g) ?? [], (b) => Number.parseInt(b, 2));
    const corrupt = decodeError(() => decodeLzw(bad, 10, 'x.tif'));
    expect([corrupt.code, corrupt.message]).toEqual([
      'TRUNCATED',
      'x.tif: corrupt LZW block (code 300 with 258 table entries)',
    ]);
    const big = decodeError(() => lzwCodec.decode(z, { expectedBytes: 1000, maxBytes: 5000, file: 'y.tif' }));
    expect([big.code, big.message]).toEqual([
      'CORRUPT_BLOCK',
      'y.tif: LZW block decodes to more than 5000 bytes',
    ]);
  });

  it('reuses its output buffer only when the caller allows it', () => {
    const a = encodeLzw(new Uint8Array(5000).fill(1));
    const b = encodeLzw(new Uint8Array(5000).fill(2));
    const first = lzwCodec.decode(a, { expectedBytes: 5000, file: 'r.tif', reuse: true }) as Uint8Array;
    expect([first.length, first[0], first[4999]]).toEqual([5000, 1, 1]);
    const second = lzwCodec.decode(b, { expectedBytes: 5000, file: 'r.tif', reuse: true }) as Uint8Array;
    expect(second.buffer).toBe(first.buffer); // the same memory, now holding the second block
    expect([first[0], second[4999]]).toEqual([2, 2]);
    const own1 = lzwCodec.decode(a, { expectedBytes: 5000, file: 'r.tif' }) as Uint8Array;
    const own2 = lzwCodec.decode(b, { expectedBytes: 5000, file: 'r.tif' }) as Uint8Array;
    expect(own1.buffer).not.toBe(own2.buffer);
    expect(own1.buffer).not.toBe(second.buffer);
    expect([own1[0], own2[0]]).toEqual([1, 2]);
  });

  it('caps a reused buffer at maxBytes and keeps no buffer over 8 MiB', () => {
    const long = encodeLzw(new Uint8Array(20_000).fill(3));
    lzwCodec.decode(long, { expectedBytes: 20_000, file: 'c.tif', reuse: true }); // leaves a 20 kB buffer
    const short = encodeLzw(new Uint8Array(3000).fill(4));
    const over = decodeError(() =>
      lzwCodec.decode(short, { expectedBytes: 2000, file: 'c.tif', reuse: true }),
    );
    expect([over.code, over.message]).toEqual([
      'CORRUPT_BLOCK',
      'c.tif: LZW block decodes to more than 2000 bytes',
    ]);
    const grown = lzwCodec.decode(short, {
      expectedBytes: 2000,
      maxBytes: 4000,
      file: 'c.tif',
      reuse: true,
    }) as Uint8Array;
    expect([grown.length, grown[0], grown[2999]]).toEqual([3000, 4, 4]);

    const huge = 9 << 20;
    const z = encodeLzw(new Uint8Array(huge).fill(5));
    const own = lzwCodec.decode(z, { expectedBytes: huge, file: 'h.tif', reuse: true }) as Uint8Array;
    expect([own.length, own[0], own[huge - 1]]).toEqual([huge, 5, 5]);
    const small = lzwCodec.decode(short, { expectedBytes: 3000, file: 'h.tif', reuse: true }) as Uint8Array;
    expect(small.buffer).not.toBe(own.buffer); // the 9 MiB block's buffer was not kept
    expect([own[0], small[0]]).toEqual([5, 4]);
  });
});
