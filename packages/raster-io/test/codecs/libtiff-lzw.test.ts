// Node's LZW codec on libtiff (through koffi): the TypeScript decoder's bytes for every block libtiff takes, the
// TypeScript decoder's exact outcome for every block it leaves (corrupt, cut short, running past the block), libtiff
// silent on stderr, and the TypeScript decoder alone when switched off.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { BlockInfo, Codec } from '../../src/codecs/codec.js';
import { checkBehaviour, type Libtiff, loadLibtiff } from '../../src/codecs/libtiff.node.js';
import { lzwCodec } from '../../src/codecs/lzw.js';
import { lzwBackend, lzwNodeCodec } from '../../src/codecs/lzw-codec.node.js';
import { NODE_CODECS } from '../../src/codecs/node-codecs.node.js';
import { openGeoTiff } from '../../src/read/open-geotiff.js';
import { readRaster } from '../../src/read/read-raster.js';
import { memorySource } from '../../src/source/memory-source.js';
import { encodeLzw } from '../support/block-encoders.js';
import { assertDistFresh, readInChild } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { buildTiff, encodeLzwCompat } from '../support/tiff-builder.js';

// GDAL links libtiff 4.5 on Debian 12, so wherever the GDAL tests run (CI included) the binding must load.
const HAS_LIBTIFF = loadLibtiff() !== null;

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Blocks of the kinds TIFF writers produce: noisy, smooth 16-bit, constant, tiny. */
function sampleBlocks(): Uint8Array[] {
  const next = rng(5);
  const smooth = new Uint16Array(32 * 1024).map((_, i) => 20000 + 5000 * Math.sin(i / 300) + next() * 40);
  return [
    new Uint8Array(20_003).map(() => Math.floor(next() * 256)),
    new Uint8Array(smooth.buffer),
    new Uint8Array(40_000).fill(7),
    new Uint8Array([1, 2, 1, 2, 1]),
  ];
}

/** What a decode gives: its bytes, or its error's code and message. */
function outcome(decode: () => Uint8Array): { bytes: Uint8Array } | { error: [string, string] } {
  try {
    return { bytes: decode() };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { error: [String(e.code), e.message] };
  }
}

const info = (expectedBytes: number, maxBytes = expectedBytes, reuse = true): BlockInfo => ({
  expectedBytes,
  maxBytes,
  file: 'lzw.tif',
  reuse,
});

describe.runIf(requireTool('libtiff ≥ 4.5 (libtiff6, installed with GDAL) through koffi', HAS_LIBTIFF))(
  'LZW codec on libtiff',
  () => {
    const lib = () => loadLibtiff() as NonNullable<ReturnType<typeof loadLibtiff>>;

    it('loads libtiff and says so', () => {
      expect(lib().library).toMatch(/libtiff/);
      expect(lzwBackend()).toMatch(/^libtiff \(/);
    });

    it('is refused where libtiff zero-fills past a short stream, or keeps an error for the next block', () => {
      const ended = ['Not enough data at scanline %u (short %lu bytes)'];
      /** A raw decode that writes "ABC", then zeros over the rest of the output when `zeroFill`. */
      const rawAbc = (zeroFill: boolean) => (_b: Uint8Array, out: Uint8Array) => {
        out.set([65, 66, 67]);
        if (zeroFill) out.fill(0, 3);
        return ended;
      };
      const real = lib();
      expect(() => checkBehaviour(real, rawAbc(false))).not.toThrow(); // as this libtiff does
      // one that zero-fills the rest of the output, as libtiff's deflate and LZMA codecs do
      expect(() => checkBehaviour(real, rawAbc(true))).toThrow(/short stream/);
      // one that keeps refusing blocks after a corrupt one
      let broken = false;
      const sticky: Libtiff = {
        library: 'sticky',
        decodeLzw: (block, expected, cap) => {
          if (block.length === 4) broken = true; // the corrupt probe
          return broken ? null : real.decodeLzw(block, expected, cap);
        },
      };
      expect(() => checkBehaviour(sticky, rawAbc(false))).toThrow(/after a corrupt one/);
    });

    it('decodes TIFF 6 streams of every kind of block to the TypeScript decoder’s bytes', () => {
      for (const raw of sampleBlocks()) {
        const native = lib().decodeLzw(encodeLzw(raw), raw.length, raw.length);
        expect(native && sameBytes(native, raw)).toBe(true);
        expect(sameBytes(lzwNodeCodec.decode(encodeLzw(raw), info(raw.length)) as Uint8Array, raw)).toBe(
          true,
        );
      }
    });

    it('leaves old-style streams and full tables without Clear to the TypeScript decoder', () => {
      // libtiff would switch its handle to the old-style decoder for good; it refuses a table grown past 5 119 codes
      const noisy = sampleBlocks()[0] as Uint8Array;
      for (const raw of sampleBlocks()) {
        for (const z of [encodeLzwCompat(raw), ...(raw === noisy ? [encodeLzw(raw, false)] : [])]) {
          expect(lib().decodeLzw(z, raw.length, raw.length)).toBeNull();
          expect(sameBytes(lzwNodeCodec.decode(z, info(raw.length)) as Uint8Array, raw)).toBe(true);
        }
      }
      // and TIFF 6 streams after them still decode through libtiff
      const raw = sampleBlocks()[1] as Uint8Array;
      expect(sameBytes(lib().decodeLzw(encodeLzw(raw), raw.length, raw.length) as Uint8Array, raw)).toBe(
        true,
      );
    });

    it('gives the first `expected` bytes of a last strip padded up to the whole block', () => {
      const raw = sampleBlocks()[0] as Uint8Array;
      const native = lib().decodeLzw(encodeLzw(raw), 1000, raw.length);
      expect(native?.byteLength).toBe(1000);
      expect(native && sameBytes(native, raw.subarray(0, 1000))).toBe(true);
    });

    it('leaves streams running past the block, cut short or corrupt to the TypeScript decoder', () => {
      const raw = sampleBlocks()[0] as Uint8Array;
      const z = encodeLzw(raw);
      // past the block: libtiff stops at the cap and says nothing, the TypeScript decoder refuses it
      expect(lib().decodeLzw(z, 5000, 5000)).toBeNull();
      expect(outcome(() => lzwNodeCodec.decode(z, info(5000)) as Uint8Array)).toEqual({
        error: ['CORRUPT_BLOCK', 'lzw.tif: LZW block decodes to more than 5000 bytes'],
      });
      // cut short: fewer bytes than expected come back, as the TypeScript decoder gives them
      const cut = z.subarray(0, z.length >> 1);
      expect(lib().decodeLzw(cut, raw.length, raw.length)).toBeNull();
      const part = lzwNodeCodec.decode(cut, info(raw.length)) as Uint8Array;
      expect(part.byteLength).toBeLessThan(raw.length);
      expect(sameBytes(part, raw.subarray(0, part.byteLength))).toBe(true);
      // Clear, 'A', then code 300, which is not in the table yet
      const bits = [256, 65, 300].map((c) => c.toString(2).padStart(9, '0')).join('');
      const bad = Uint8Array.from(bits.padEnd(32, '0').match(/.{8}/g) ?? [], (b) => Number.parseInt(b, 2));
      expect(lib().decodeLzw(bad, 10, 10)).toBeNull();
      expect(outcome(() => lzwNodeCodec.decode(bad, info(10)) as Uint8Array)).toEqual({
        error: ['TRUNCATED', 'lzw.tif: corrupt LZW block (code 300 with 258 table entries)'],
      });
      expect(lib().decodeLzw(new Uint8Array(0), 10, 10)).toBeNull();
    });

    it('tells a block’s last byte from its sentinel, whatever that byte is', () => {
      // every value as the last byte, twice in a row: the second block meets a sentinel chosen from the first
      for (let v = 0; v < 256; v++) {
        for (let k = 0; k < 2; k++) {
          const raw = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + k) & 0xff);
          raw[299] = v;
          const native = lib().decodeLzw(encodeLzw(raw), 300, 300);
          expect(native && sameBytes(native, raw), `last byte ${v}`).toBe(true);
        }
      }
    });

    it('decodes into the caller’s memory only when it has a byte to spare past the block', () => {
      const raw = sampleBlocks()[1] as Uint8Array;
      const z = encodeLzw(raw);
      const roomy = new Uint8Array(raw.length + 1);
      const got = lzwNodeCodec.decode(z, { ...info(raw.length), into: roomy }) as Uint8Array;
      expect(got.buffer).toBe(roomy.buffer);
      const tight = new Uint8Array(raw.length);
      const own = lzwNodeCodec.decode(z, { ...info(raw.length), into: tight }) as Uint8Array;
      expect(own.buffer).not.toBe(tight.buffer);
      expect(sameBytes(own, raw) && sameBytes(got, raw)).toBe(true);
      // without `reuse`, each result has memory of its own
      const a = lzwNodeCodec.decode(z, info(raw.length, raw.length, false)) as Uint8Array;
      const b = lzwNodeCodec.decode(z, info(raw.length, raw.length, false)) as Uint8Array;
      expect(a.buffer).not.toBe(b.buffer);
    });

    it('agrees with the TypeScript decoder on 3 000 mutated streams, and takes every sound TIFF 6 one', () => {
      const next = rng(17);
      const blocks = sampleBlocks().slice(0, 3);
      const streams = blocks.map((raw) => [encodeLzw(raw), encodeLzwCompat(raw)] as const);
      let taken = 0;
      let left = 0;
      const sound: boolean[] = []; // whether libtiff took each sound TIFF 6 stream
      for (let i = 0; i < 3000; i++) {
        const raw = blocks[i % blocks.length] as Uint8Array;
        const z = Uint8Array.from(
          (streams[i % blocks.length] as readonly Uint8Array[])[(i >> 2) % 2] as Uint8Array,
        );
        const kind = i % 4;
        let block = z;
        if (kind === 0)
          block = z.subarray(0, 1 + Math.floor(next() * z.length)); // cut anywhere
        else if (kind === 1)
          z[Math.floor(next() * z.length)] ^= 1 << Math.floor(next() * 8); // one bit flipped
        else if (kind === 2) z[Math.floor(next() * z.length)] = Math.floor(next() * 256); // one byte replaced
        // kind 3: sound, with an expected size anywhere up to the whole block
        const expected = kind === 3 ? 1 + Math.floor(next() * raw.length) : raw.length;
        const native = lib().decodeLzw(block, expected, raw.length);
        const ts = outcome(() => lzwCodec.decode(block, info(expected, raw.length)) as Uint8Array);
        if (kind === 3 && (i >> 2) % 2 === 0) sound.push(native !== null);
        if (native) {
          taken++;
          // libtiff's bytes are the TypeScript decoder's, which gave at least that many
          expect('bytes' in ts && ts.bytes.byteLength >= expected, `stream ${i}`).toBe(true);
          if ('bytes' in ts)
            expect(sameBytes(native, ts.bytes.subarray(0, expected)), `stream ${i}`).toBe(true);
        } else left++;
        const node = outcome(() => lzwNodeCodec.decode(block, info(expected, raw.length)) as Uint8Array);
        if ('error' in ts) expect(node, `stream ${i}`).toEqual(ts);
        else if ('bytes' in node)
          expect(sameBytes(node.bytes, ts.bytes.subarray(0, node.bytes.byteLength)), `stream ${i}`).toBe(
            true,
          );
        else expect.fail(`stream ${i}: the Node codec threw where the TypeScript decoder did not`);
      }
      expect([sound.length, sound.every(Boolean)]).toEqual([375, true]);
      expect(taken).toBeGreaterThan(sound.length); // and mutations that leave a block intact
      expect(left).toBeGreaterThan(1000);
    });

    describe('in a read', () => {
      const dir = mkdtempSync(join(tmpdir(), 'libtiff-lzw-'));
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it('reads 300 mutated tiled and striped files as the TypeScript decoder does, staged planes included', async () => {
        const next = rng(29);
        const files = [lzwFile({ tile: { width: 32, height: 32 } }), lzwFile({ rowsPerStrip: 7 })];
        const kinds = new Map<string, number>();
        for (let k = 0; k < 300; k++) {
          const { bytes, dataStart } = files[k % 2] as ReturnType<typeof lzwFile>;
          const mutant = bytes.slice();
          for (let m = 0; m < 1 + (k % 3); m++)
            mutant[dataStart + Math.floor(next() * (mutant.length - dataStart))] = Math.floor(next() * 256);
          const native = await readOutcome(mutant, NODE_CODECS);
          expect(native, `mutant ${k}`).toBe(await readOutcome(mutant, { 5: lzwCodec }));
          const kind = native.split(' ')[0] as string;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        // both outcomes are common: pixels (a literal's value changed, or only bytes past a block's end) and errors
        expect(kinds.get('ok')).toBeGreaterThan(20);
        expect((kinds.get('CORRUPT_BLOCK') ?? 0) + (kinds.get('TRUNCATED') ?? 0)).toBeGreaterThan(100);
      }, 60_000);

      it('prints nothing on stderr for a corrupt block, which fails as the TypeScript decoder says', async () => {
        assertDistFresh();
        const raw = new Uint8Array(64 * 16).map((_, i) => (i * 13) & 0xff);
        const good = encodeLzw(raw.subarray(0, 512));
        const bad = encodeLzw(raw.subarray(512));
        bad[bad.length >> 1] ^= 0xff;
        const path = join(dir, 'corrupt.tif');
        const tiff = {
          width: 64,
          height: 16,
          bitsPerSample: 8,
          sampleFormat: 1 as const,
          samplesPerPixel: 1,
        };
        writeFileSync(
          path,
          buildTiff({ ...tiff, compression: 5, photometric: 1, rowsPerStrip: 8, blocks: [good, bad] }),
        );
        const r = await readInChild(path);
        expect(r.ok).toBe(false);
        expect(r.code).toMatch(/^(CORRUPT_BLOCK|TRUNCATED)$/);
        expect(r.message).toMatch(/corrupt\.tif: IFD 0, strip 1/);
        expect(r.stderr).toBe('');
      });
    });
  },
);

/**
 * A 4-band uint16 pixel-interleaved LZW file of 70 × 45 px (the layout the read stages in WebAssembly), in 32-px
 * tiles or in strips, and where its block data starts.
 */
function lzwFile(layout: { tile?: { width: number; height: number }; rowsPerStrip?: number }) {
  const width = 70;
  const height = 45;
  const next = rng(3);
  const pixels = new Uint16Array(width * height * 4).map((_, i) => (i % 4) * 1000 + Math.floor(next() * 300));
  const bytes = new Uint8Array(pixels.buffer);
  const row = width * 8;
  const blocks: Uint8Array[] = [];
  if (layout.tile) {
    const { width: tw, height: th } = layout.tile;
    for (let ty = 0; ty < height; ty += th)
      for (let tx = 0; tx < width; tx += tw) {
        const tile = new Uint8Array(tw * th * 8); // edge tiles padded with zeros, as writers pad them
        for (let y = 0; y < th && ty + y < height; y++) {
          const from = (ty + y) * row + tx * 8;
          tile.set(bytes.subarray(from, from + Math.min(tw, width - tx) * 8), y * tw * 8);
        }
        blocks.push(encodeLzw(tile));
      }
  } else {
    const rows = layout.rowsPerStrip as number;
    for (let y = 0; y < height; y += rows)
      blocks.push(encodeLzw(bytes.subarray(y * row, Math.min(height, y + rows) * row)));
  }
  const file = buildTiff({
    width,
    height,
    bitsPerSample: 16,
    sampleFormat: 1,
    samplesPerPixel: 4,
    compression: 5,
    photometric: 1,
    blocks,
    ...layout,
  });
  const total = blocks.reduce((n, b) => n + b.byteLength, 0);
  return { bytes: file, dataStart: file.byteLength - total };
}

/** A whole read of `bytes` with `codecs`: "ok" and the bands' bytes, or the error's code and message. */
async function readOutcome(bytes: Uint8Array, codecs: Readonly<Record<number, Codec>>): Promise<string> {
  try {
    const tiff = await openGeoTiff(memorySource(bytes, 'mutant.tif'), { codecs });
    const r = await readRaster(tiff, { threads: 1 });
    return `ok ${r.bands.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')).join(',')}`;
  } catch (err) {
    const e = err as { code?: unknown; message: string };
    if (typeof e.code !== 'string') throw err;
    return `${e.code} ${e.message}`;
  }
}

describe('LZW codec with libtiff switched off (WORLDSTRAT_LIBTIFF=off)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('decodes with the TypeScript decoder alone', async () => {
    vi.stubEnv('WORLDSTRAT_LIBTIFF', 'off');
    vi.resetModules();
    const mod = await import('../../src/codecs/lzw-codec.node.js');
    const libtiff = await import('../../src/codecs/libtiff.node.js');
    expect(mod.lzwBackend()).toBe('TypeScript');
    expect(libtiff.loadLibtiff()).toBeNull();
    const raw = sampleBlocks()[1] as Uint8Array;
    expect(sameBytes(mod.lzwNodeCodec.decode(encodeLzw(raw), info(raw.length)) as Uint8Array, raw)).toBe(
      true,
    );
  });
});
