// LZMA (compression 34925) in Node: GDAL's files read as GDAL reads them, at 1 and 2 threads, and hostile blocks
// (corrupt, cut, overlong, a stream declaring a 4 GiB dictionary) fail as CORRUPT_BLOCK naming the block.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadLiblzma } from '../../src/codecs/liblzma.node.js';
import type { DType } from '../../src/types.js';
import {
  expectReadsAsGdal,
  expectTilesPlaced,
  gdalRewritten,
  readTiles,
  tileBytes,
  withEnv,
} from '../support/codec-tiles.js';
import { HAS_GDAL } from '../support/gdal.js';
import { assertDistFresh, readInChild } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-lzma-');
const lzma = loadLiblzma();
const read = (blocks: Uint8Array[], options: { onCorruptBlock?: 'error' | 'fill' } = {}) =>
  readTiles(34925, blocks, 'lzma.tif', options);

/** `stream` with its LZMA2 dictionary size raised to 4 GiB − 1 in the block header (header CRC32 kept valid). */
function hugeDictionary(stream: Uint8Array): Uint8Array {
  const b = Uint8Array.from(stream);
  const start = 12; // after the stream header
  const size = ((b[start] as number) + 1) * 4;
  const flags = b[start + 1] as number;
  let at = start + 2;
  const skipVli = () => {
    while ((b[at++] as number) & 0x80);
  };
  if (flags & 0x40) skipVli(); // compressed size
  if (flags & 0x80) skipVli(); // uncompressed size
  expect(b[at]).toBe(0x21); // the LZMA2 filter
  expect(b[at + 1]).toBe(1); // one property byte: the dictionary size
  b[at + 2] = 40;
  const crc = crc32(b.subarray(start, start + size - 4));
  new DataView(b.buffer).setUint32(start + size - 4, crc, true);
  return b;
}

describe.runIf(requireTool('liblzma (Debian liblzma5) through koffi', lzma !== null))('LZMA blocks', () => {
  const lib = lzma as NonNullable<typeof lzma>;
  const good = [0, 1, 2, 3].map((t) => lib.encode(tileBytes(t), 6));

  it('decodes every tile to the pixels encoded, in the place of each tile', async () => {
    expectTilesPlaced((await read(good)).bands[0] as Uint16Array);
  });

  it('corrupt, cut, short, overlong and 4 GiB-dictionary streams → CORRUPT_BLOCK naming the tile', async () => {
    const pixels = tileBytes(0);
    const corrupt = Uint8Array.from(good[0] as Uint8Array);
    corrupt.fill(0x55, 30, 60);
    const cases: [string, Uint8Array, RegExp][] = [
      ['corrupt', corrupt, /bad LZMA block \(liblzma: corrupt data\)/],
      ['cut', (good[0] as Uint8Array).subarray(0, 40), /ends early or holds more than 2048 bytes/],
      ['short', lib.encode(pixels.subarray(0, 1000), 6), /decodes to 1000 bytes; its geometry needs 2048/],
      ['long', lib.encode(new Uint8Array(4096).fill(9), 6), /ends early or holds more than 2048 bytes/],
      ['dictionary', hugeDictionary(good[0] as Uint8Array), /needs more decoder memory than allowed/],
      ['not xz', new Uint8Array(64).fill(7), /not an \.xz stream/],
    ];
    for (const [name, block, message] of cases) {
      const err = await read([block, ...good.slice(1)]).catch((e: unknown) => e);
      expect(err, name).toMatchObject({ code: 'CORRUPT_BLOCK' });
      expect((err as Error).message, name).toMatch(/lzma\.tif: IFD 0, tile 0[: ]/);
      expect((err as Error).message, name).toMatch(message);
    }
    const filled = await read([good[0], corrupt, good[2], good[3]] as Uint8Array[], {
      onCorruptBlock: 'fill',
    });
    expect(filled.filledBlocks?.map((b) => b.index)).toEqual([1]);
  });
});

describe.runIf(requireTool('GDAL (gdal_translate) and liblzma', HAS_GDAL && lzma !== null))(
  'GDAL LZMA files',
  () => {
    it.each([
      ['uint16', 4, ['PREDICTOR=2', 'TILED=YES']],
      ['float32', 3, ['PREDICTOR=3', 'LZMA_PRESET=9', 'INTERLEAVE=BAND']],
      ['int16', 1, ['BLOCKYSIZE=7']],
    ] as [DType, number, string[]][])(
      '%s × %i %j: GDAL checksums; threads 2 = threads 1',
      async (dtype, bands, co) => {
        const path = await gdalRewritten(tmp(), dtype, bands, ['COMPRESS=LZMA', ...co], `${dtype}-${bands}`);
        await expectReadsAsGdal(path);
      },
    );

    it('without liblzma (WORLDSTRAT_LIBLZMA=off): UNSUPPORTED_CODEC saying what to install, never filled', async () => {
      assertDistFresh();
      const path = await gdalRewritten(tmp(), 'uint16', 1, ['COMPRESS=LZMA', 'TILED=YES'], 'no-backend');
      // the child (and its decode workers) inherit the variable
      await withEnv('WORLDSTRAT_LIBLZMA', 'off', async () => {
        for (const options of [{}, { onCorruptBlock: 'fill' }, { threads: 2 }]) {
          const r = await readInChild(path, options);
          expect(r, JSON.stringify(options)).toMatchObject({
            ok: false,
            typed: true,
            code: 'UNSUPPORTED_CODEC',
          });
          expect(r.message).toMatch(/no-backend\.tif: LZMA \(TIFF compression 34925\) needs liblzma/);
        }
      });
    });
  },
);
