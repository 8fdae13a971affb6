// ZSTD (compression 50000) in Node: GDAL's files read as GDAL reads them, at 1 and 2 threads, and hostile blocks
// (corrupt, truncated, short, decoding past the block, a bomb) fail as typed errors naming the block, never filled
// silently when the codec itself is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { firstFrameLength, loadLibzstd } from '../../src/codecs/libzstd.node.js';
import { zstdBackend, zstdCodec } from '../../src/codecs/zstd-codec.node.js';
import { RasterIoError } from '../../src/errors.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { readGeoTiffFile } from '../../src/node.js';
import type { DType } from '../../src/types.js';
import {
  expectDecodedIntoGivenMemory,
  expectReadsAsGdal,
  expectTilesPlaced,
  gdalRewritten,
  readTiles,
  tileBytes,
  withEnv,
} from '../support/codec-tiles.js';
import { HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { gdalBatch } from '../support/gdal-compare.js';
import { assertDistFresh, readInChild } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { tinyTiff } from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-zstd-');
// libzstd through koffi, or node:zlib's zstd on a Node that exports its own copy (22.15 on), where the loader
// leaves libzstd unloaded: these tests run on whichever this Node decodes with
const backend = zstdBackend();
const compress = (bytes: Uint8Array, level: number) => zstdCodec.encode?.(bytes, level) as Uint8Array;
const read = (blocks: Uint8Array[], options: { onCorruptBlock?: 'error' | 'fill' } = {}) =>
  readTiles(50000, blocks, 'zstd.tif', options);

describe.runIf(requireTool('a ZSTD backend (Debian libzstd1, or Node ≥ 22.15)', backend !== null))(
  `ZSTD blocks (${backend})`,
  () => {
    const good = [0, 1, 2, 3].map((t) => compress(tileBytes(t), 3));

    it('decodes every tile to the pixels compressed, in the place of each tile', async () => {
      expectTilesPlaced((await read(good)).bands[0] as Uint16Array);
    });

    it("only a block's first frame is decoded, as libtiff's streaming loop stops at a frame's end: two frames are CORRUPT_BLOCK, as in GDAL; bytes after a whole frame are left alone", async () => {
      const pixels = tileBytes(1);
      const twoFrames = Buffer.concat([
        compress(pixels.subarray(0, 700), 1),
        compress(pixels.subarray(700), 9),
      ]);
      const trailing = Buffer.concat([good[2] as Uint8Array, Buffer.from('not a frame')]);
      const afterWhole = await read([good[0], good[1], trailing, good[3]] as Uint8Array[]);
      expectTilesPlaced(afterWhole.bands[0] as Uint16Array);
      const err = await read([good[0], twoFrames, good[2], good[3]] as Uint8Array[]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toMatch(
        /zstd\.tif: IFD 0, tile 1 decodes to 700 bytes; its geometry needs 2048/,
      );
      // the GDAL half: required under CI (requireTool throws there), skipped with a reason elsewhere
      if (!requireTool('python3-gdal', PYTHON_GDAL !== undefined)) return;
      // GDAL fails on the same block in a strip of its own
      const strip = (block: Uint8Array) => {
        const path = join(tmp(), `strip-${block.byteLength}.tif`);
        writeFileSync(
          path,
          tinyTiff([{ width: 32, height: 32, bitsPerSample: 16, compression: 50000, strips: [block] }]),
        );
        return path;
      };
      const one = strip(good[1] as Uint8Array);
      const two = strip(twoFrames);
      const gdal = gdalBatch([one, two]);
      expect(gdal.get(one)?.ok).toBe(true);
      expect(gdal.get(two)?.ok).toBe(false);
    });

    it("the first frame's length read from its header is libzstd's, for raw, RLE and compressed blocks and frames of several blocks", () => {
      const noise = Uint8Array.from({ length: 300_000 }, (_, i) => (Math.imul(i, 2654435761) >>> 13) & 255);
      const inputs = [
        new Uint8Array(0),
        new Uint8Array(5000), // one RLE block
        noise.subarray(0, 1000), // raw
        tileBytes(2), // compressed
        noise, // several blocks (over 128 KiB)
        Uint8Array.from({ length: 200_000 }, (_, i) => (i >> 10) & 3),
      ];
      for (const [k, input] of inputs.entries()) {
        for (const level of [1, 19]) {
          const frame = compress(input, level);
          const next = compress(tileBytes(0), 3);
          expect(firstFrameLength(Buffer.concat([frame, next])), `input ${k}, level ${level}`).toBe(
            frame.byteLength,
          );
          expect(firstFrameLength(frame)).toBe(frame.byteLength);
        }
      }
      expect(firstFrameLength(Uint8Array.of(1, 2, 3))).toBe(3); // not a frame: the decoder says what is wrong
    });

    it('a corrupt tile → CORRUPT_BLOCK naming the tile and ZSTD; with fill, that tile only is filled', async () => {
      const bad = Uint8Array.from(good[2] as Uint8Array);
      bad.fill(0xff, 4, 30);
      const blocks = [good[0], good[1], bad, good[3]] as Uint8Array[];
      const err = await read(blocks).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toMatch(/zstd\.tif: IFD 0, tile 2: corrupt or truncated ZSTD block/);
      const filled = await read(blocks, { onCorruptBlock: 'fill' });
      expect(filled.filledBlocks?.map((b) => b.index)).toEqual([2]);
    });

    it("a frame declaring a window over 128 MiB is CORRUPT_BLOCK, as libtiff's streaming decoder refuses it", async () => {
      // rewrite tile 1's single-segment header as a windowed one: FHD without content size, then a Window_Descriptor
      const windowed = (descriptor: number) => {
        const frame = good[1] as Uint8Array;
        const fhd = frame[4] as number;
        const fcsBytes = [1, 2, 4, 8][fhd >> 6] as number;
        expect(fhd & 0x23).toBe(0x20); // single segment, no dictionary id
        return Uint8Array.from([
          ...frame.subarray(0, 4),
          fhd & 0x04,
          descriptor,
          ...frame.subarray(5 + fcsBytes),
        ]);
      };
      // 4 MiB (what libtiff's encoder writes): decodes; 224 MiB: refused, as GDAL fails to read it
      const ok = await read([good[0], windowed(0x60), good[2], good[3]] as Uint8Array[]);
      expectTilesPlaced(ok.bands[0] as Uint16Array);
      const err = await read([good[0], windowed(0x8e), good[2], good[3]] as Uint8Array[]).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toMatch(
        /tile 1: corrupt or truncated ZSTD block \(the frame declares a \d+-byte window, over the 128 MiB libtiff decodes\)/,
      );
    });

    it('a truncated frame, a frame short of the tile and one decoding past it are CORRUPT_BLOCK', async () => {
      const first = good[0] as Uint8Array;
      const cases: [string, Uint8Array, RegExp][] = [
        ['truncated', first.subarray(0, first.byteLength - 9), /ZSTD block/],
        [
          'short',
          compress(tileBytes(0).subarray(0, 1000), 3),
          /decodes to 1000 bytes; its geometry needs 2048/,
        ],
        ['long', compress(new Uint8Array(4096).fill(3), 3), /ZSTD block decodes to more than 2048 bytes/],
      ];
      for (const [name, block, message] of cases) {
        const err = await read([block, ...good.slice(1)]).catch((e: unknown) => e);
        expect(err, name).toMatchObject({ code: 'CORRUPT_BLOCK' });
        expect((err as Error).message, name).toMatch(message);
      }
    });

    it('a bomb (64 MiB of zeros in a few KiB) stops at the tile size without allocating it', async () => {
      // the frame header declares 64 MiB: decoding must stop at the 2 KiB tile, not allocate or inflate the rest
      const bomb = compress(new Uint8Array(64 * 1024 * 1024), 19);
      expect(bomb.byteLength).toBeLessThan(64 * 1024);
      const before = process.memoryUsage().rss;
      const err = await read([bomb, ...good.slice(1)]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message).toMatch(/ZSTD block decodes to more than 2048 bytes/);
      expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
    });
  },
);

describe.runIf(requireTool('GDAL (gdal_translate) and a ZSTD backend', HAS_GDAL && backend !== null))(
  'GDAL ZSTD files',
  () => {
    it.each([
      ['uint16', 4, ['PREDICTOR=2', 'TILED=YES']],
      ['float32', 3, ['PREDICTOR=3', 'ZSTD_LEVEL=19', 'INTERLEAVE=BAND']],
      ['int16', 1, ['BLOCKYSIZE=7']],
      ['float64', 2, ['PREDICTOR=3', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=32']],
    ] as [DType, number, string[]][])(
      '%s × %i %j: GDAL checksums; threads 2 = threads 1',
      async (dtype, bands, co) => {
        const path = await gdalRewritten(tmp(), dtype, bands, ['COMPRESS=ZSTD', ...co], `${dtype}-${bands}`);
        await expectReadsAsGdal(path);
      },
    );

    // Pixel-interleaved files go through the WebAssembly stage (src/read/wasm-stage.ts), libzstd decoding each
    // block straight into the stage's block area (node:zlib's zstd, on Node 24, cannot: its blocks are copied in).
    it('pixel-interleaved, staged in WebAssembly: libzstd decodes into the stage; files and windows read as WORLDSTRAT_WASM=off reads them', async () => {
      const path = await gdalRewritten(
        tmp(),
        'uint16',
        4,
        ['COMPRESS=ZSTD', 'PREDICTOR=2', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=64'],
        'staged',
      );
      const reads = [{}, { window: { x: 70, y: 33, width: 500, height: 400 } }, { threads: 2 }];
      const pixels = async () => {
        const out: string[] = [];
        for (const options of reads) {
          const r = await readGeoTiffFile(path, options);
          out.push(r.bands.map((b) => Buffer.from(bytesOf(b)).toString('base64')).join('|'));
        }
        return out;
      };
      const lib = loadLibzstd();
      const decompress = lib ? vi.spyOn(lib, 'decompress') : undefined;
      try {
        const staged = await pixels();
        // libzstd decodes wherever it loads (node:zlib's zstd takes over on Node 24 only), and then into the stage
        expect(decompress !== undefined).toBe(backend?.startsWith('libzstd') ?? false);
        if (decompress) expectDecodedIntoGivenMemory(decompress.mock, 3, 'libzstd');
        expect(await withEnv('WORLDSTRAT_WASM', 'off', pixels)).toEqual(staged);
      } finally {
        decompress?.mockRestore();
      }
      // damaged copies (bytes of the tiles flipped, the file cut): the same pixels or typed error, staged or not
      const good = readFileSync(path);
      const random = rng(5150);
      const next = (n: number) => Math.floor(random() * n);
      const outcome = async (file: string) => {
        try {
          const r = await readGeoTiffFile(file);
          return `ok ${r.bands.map((b) => Buffer.from(bytesOf(b)).toString('base64')).join('|').length}`;
        } catch (e) {
          if (!(e instanceof RasterIoError)) throw e;
          expect(e.message).toContain(file);
          return `${e.code} ${e.message}`;
        }
      };
      const codes = new Set<string>();
      const t0 = performance.now();
      for (let i = 0; i < 24; i++) {
        const bad = Buffer.from(good);
        for (let k = 0; k < 1 + next(6); k++) bad[4096 + next(bad.length - 4096)] = next(256);
        const file = join(tmp(), `staged-bad-${i % 3}.tif`);
        writeFileSync(file, i % 4 === 3 ? bad.subarray(0, 4096 + next(bad.length - 4096)) : bad);
        const staged = await outcome(file);
        expect(await withEnv('WORLDSTRAT_WASM', 'off', () => outcome(file)), `copy ${i}`).toBe(staged);
        codes.add(staged.split(' ')[0] as string);
      }
      expect(codes.has('CORRUPT_BLOCK') || codes.has('TRUNCATED')).toBe(true);
      expect(performance.now() - t0).toBeLessThan(60_000);
    });

    it('without libzstd (WORLDSTRAT_LIBZSTD=off): node:zlib zstd where Node has it, else UNSUPPORTED_CODEC, never filled', async () => {
      assertDistFresh();
      const path = await gdalRewritten(tmp(), 'uint16', 1, ['COMPRESS=ZSTD', 'TILED=YES'], 'no-backend');
      const nodeZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
      // the child (and its decode workers) inherit the variable
      await withEnv('WORLDSTRAT_LIBZSTD', 'off', async () => {
        for (const options of [{}, { onCorruptBlock: 'fill' }, { threads: 2 }]) {
          const r = await readInChild(path, options);
          const what = JSON.stringify(options);
          if (nodeZstd) expect(r, what).toMatchObject({ ok: true, width: 620 });
          else {
            expect(r, what).toMatchObject({ ok: false, typed: true, code: 'UNSUPPORTED_CODEC' });
            expect(r.message, what).toMatch(/no-backend\.tif: ZSTD \(TIFF compression 50000\) needs libzstd/);
          }
          expect(r.filledBlocks ?? [], what).toEqual([]); // a missing codec is never a file of filled blocks
        }
      });
    });
  },
);
