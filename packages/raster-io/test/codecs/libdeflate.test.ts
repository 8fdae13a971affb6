// Deflate codecs: Node's on libdeflate (through koffi) and on its node:zlib fallback, and the browser-safe one (pako): the same bytes out, the same
// typed errors for bombs, truncation and bad checksums, and buffer reuse only when the caller allows it.
import { deflateRawSync, deflateSync, inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { deflateCodec } from '../../src/codecs/deflate.js';
import { loadLibdeflate } from '../../src/codecs/libdeflate.node.js';
import { deflateBackend, zlibCodec } from '../../src/codecs/zlib-codec.node.js';
import type { RasterIoError } from '../../src/errors.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';

// GDAL links libdeflate, so wherever the GDAL tests run (CI included) the binding must load.
const HAS_LIBDEFLATE = loadLibdeflate() !== null;

/** Byte equality without vitest's element-by-element diffing (slow on 100 KB arrays). */
const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Blocks of the kinds TIFF writers produce: smooth, noisy, constant, tiny, empty. */
function sampleBlocks(): Uint8Array[] {
  const next = rng(7);
  const smooth = new Uint16Array(256 * 256).map((_, i) => 20000 + 5000 * Math.sin(i / 300));
  const noisy = new Uint8Array(60_001).map(() => Math.floor(next() * 256));
  return [
    new Uint8Array(smooth.buffer),
    noisy,
    new Uint8Array(65_536).fill(42),
    new Uint8Array([1, 2, 3]),
    new Uint8Array(0),
  ];
}

const info = (expectedBytes: number, extra: Partial<{ maxBytes: number; reuse: boolean }> = {}) => ({
  expectedBytes,
  file: 'blocks.tif',
  ...extra,
});

function decodeError(codec: Codec, block: Uint8Array, expectedBytes: number): RasterIoError {
  // typed by shape: the node:zlib suite's module copy (vi.resetModules) has its own RasterIoError class
  try {
    codec.decode(block, info(expectedBytes));
  } catch (err) {
    return err as RasterIoError;
  }
  throw new Error('decode did not throw');
}

/** Codec behaviour both backends must share. */
function sharedBehaviour(codec: () => Codec) {
  it('inflates zlib streams of every kind to the bytes node:zlib gives', () => {
    for (const raw of sampleBlocks()) {
      for (const level of [0, 1, 6, 9]) {
        const z = deflateSync(raw, { level });
        expect(sameBytes(codec().decode(z, info(raw.byteLength)) as Uint8Array, raw)).toBe(true);
      }
    }
  });

  it('encodes streams node:zlib inflates back to the input, at every level', () => {
    for (const raw of sampleBlocks()) {
      for (const level of [0, 1, 4, 6, 9]) {
        const z = codec().encode?.(raw, level) as Uint8Array;
        expect(sameBytes(inflateSync(z), raw)).toBe(true);
      }
    }
  });

  it('ignores bytes after the end of the stream (padding some writers leave)', () => {
    const raw = sampleBlocks()[0] as Uint8Array;
    const padded = Buffer.concat([deflateSync(raw), Buffer.alloc(17, 0xff)]);
    expect(sameBytes(codec().decode(padded, info(raw.byteLength)) as Uint8Array, raw)).toBe(true);
  });

  it('stops a bomb at the byte cap with CORRUPT_BLOCK naming the file and the cap', () => {
    const bomb = deflateSync(new Uint8Array(64 << 20)); // 64 MiB of zeros in ≈ 64 KiB
    const err = decodeError(codec(), bomb, 4096);
    expect(err.name).toBe('RasterIoError'); // by name: the fallback's module copy has its own class
    expect(err.code).toBe('CORRUPT_BLOCK');
    expect(err.message).toBe('blocks.tif: deflate block inflates to more than 4096 bytes');
  });

  it('rejects truncated, checksum-damaged, raw-deflate and empty blocks as CORRUPT_BLOCK', () => {
    const raw = sampleBlocks()[1] as Uint8Array;
    const z = deflateSync(raw);
    const badSum = Buffer.from(z);
    badSum[badSum.length - 1] ^= 1;
    // a stored block (level 0) whose NLEN is not ~LEN: its bytes still come out right, but zlib refuses it
    const badNlen = Buffer.from(deflateSync(raw, { level: 0 }));
    badNlen[5] ^= 1;
    for (const block of [
      z.subarray(0, z.length - 40),
      badSum,
      badNlen,
      deflateRawSync(raw),
      new Uint8Array(0),
    ]) {
      const err = decodeError(codec(), block, raw.byteLength);
      expect(err.name).toBe('RasterIoError');
      expect(err.code).toBe('CORRUPT_BLOCK');
      expect(err.message).toMatch(/^blocks\.tif: corrupt or truncated deflate block \(/);
    }
  });

  it('returns a short block whole (a short last strip is the reader’s call, not the codec’s)', () => {
    const raw = new Uint8Array(1000).fill(3);
    const out = codec().decode(deflateSync(raw), info(500, { maxBytes: 4000 })) as Uint8Array;
    expect(out.byteLength).toBe(1000);
  });
}

describe.runIf(requireTool('libdeflate (libdeflate0, installed with GDAL)', HAS_LIBDEFLATE))(
  'deflate codec on libdeflate',
  () => {
    it('loads libdeflate and says so', () => {
      expect(loadLibdeflate()?.library).toMatch(/libdeflate/);
      expect(deflateBackend()).toMatch(/^libdeflate \(/);
    });

    sharedBehaviour(() => zlibCodec);

    it('reuses its output buffer only when the caller allows it', () => {
      const a = new Uint8Array(5000).fill(1);
      const b = new Uint8Array(5000).fill(2);
      const za = deflateSync(a);
      const zb = deflateSync(b);
      const first = zlibCodec.decode(za, info(5000, { reuse: true })) as Uint8Array;
      expect(first[0]).toBe(1);
      const second = zlibCodec.decode(zb, info(5000, { reuse: true })) as Uint8Array;
      expect(second.buffer).toBe(first.buffer); // the same memory, now holding the second block
      expect(first[0]).toBe(2);
      const own1 = zlibCodec.decode(za, info(5000)) as Uint8Array;
      const own2 = zlibCodec.decode(zb, info(5000)) as Uint8Array;
      expect(own1.buffer).not.toBe(own2.buffer);
      expect([own1[0], own2[0]]).toEqual([1, 2]);
    });

    it('gives encoded blocks their own exact-size buffers (safe to transfer to another thread)', () => {
      const [x, y] = sampleBlocks() as [Uint8Array, Uint8Array];
      const zx = zlibCodec.encode?.(x, 6) as Uint8Array;
      const zy = zlibCodec.encode?.(y, 6) as Uint8Array;
      expect(zx.buffer).not.toBe(zy.buffer);
      expect([zx.byteOffset, zx.buffer.byteLength]).toEqual([0, zx.byteLength]);
      expect(sameBytes(inflateSync(zx), x)).toBe(true);
    });
  },
);

describe('deflate codec on node:zlib (WORLDSTRAT_LIBDEFLATE=off)', () => {
  let offCodec: Codec;
  let backend: () => string;
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('falls back to node:zlib when libdeflate is switched off', async () => {
    vi.stubEnv('WORLDSTRAT_LIBDEFLATE', 'off');
    vi.resetModules();
    const mod = await import('../../src/codecs/zlib-codec.node.js');
    offCodec = mod.zlibCodec;
    backend = mod.deflateBackend;
    expect(backend()).toBe('node:zlib');
  });

  sharedBehaviour(() => offCodec);
});

// The browser-safe codec (pako) must inflate and refuse exactly as Node's do: fflate, used before, checked neither
// the Adler-32 nor a stored block's NLEN, so a damaged block read in a browser returned wrong pixels.
describe('deflate codec for browsers (pako)', () => {
  sharedBehaviour(() => deflateCodec);
});
