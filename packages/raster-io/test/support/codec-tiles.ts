// Codec tests' hand-built image: 64² uint16 of four 32² tiles, each tile's block given by the test (encoded,
// damaged or hostile), read through Node's codecs and decode workers.
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import {
  memorySource,
  NODE_CODECS,
  nodeBlockDecoder,
  openGeoTiff,
  readGeoTiffFile,
  readRaster,
  writeGeoTiff,
} from '../../src/node.js';
import type { ReadRasterResult } from '../../src/read/read-raster.js';
import type { DType } from '../../src/types.js';
import { gdalChecksums, gdalTranslate } from './gdal.js';
import { syntheticRaster } from './synthetic.js';
import { buildTiff } from './tiff-builder.js';

/** The pixels of tile `t` (values differ per tile and per pixel), as the bytes a codec encodes. */
export function tileBytes(t: number): Uint8Array {
  return new Uint8Array(Uint16Array.from({ length: 32 * 32 }, (_, i) => (t * 5000 + i * 7) & 0xffff).buffer);
}

/** Read the image whose tiles 0..3 are `blocks` of TIFF compression `compression`, as file `name`. */
export async function readTiles(
  compression: number,
  blocks: Uint8Array[],
  name: string,
  options: { onCorruptBlock?: 'error' | 'fill' } = {},
): Promise<ReadRasterResult> {
  const bytes = buildTiff({
    width: 64,
    height: 64,
    bitsPerSample: 16,
    sampleFormat: 1,
    samplesPerPixel: 1,
    compression,
    photometric: 1,
    blocks,
    tile: { width: 32, height: 32 },
  });
  const tiff = await openGeoTiff(memorySource(bytes, name), {
    blockDecoder: nodeBlockDecoder,
    codecs: NODE_CODECS,
  });
  return readRaster(tiff, options);
}

/** Every tile's pixels ({@link tileBytes}) sit in the tile's place of the 64² band. */
export function expectTilesPlaced(band: Uint16Array): void {
  for (let t = 0; t < 4; t++) {
    const want = new Uint16Array(tileBytes(t).buffer);
    for (let y = 0; y < 32; y++) {
      const at = ((t >> 1) * 32 + y) * 64 + (t & 1) * 32;
      expect(Array.from(band.subarray(at, at + 32)), `tile ${t} row ${y}`).toEqual(
        Array.from(want.subarray(y * 32, y * 32 + 32)),
      );
    }
  }
}

/** A 620×580 synthetic file of `bands` bands rewritten by gdal_translate with `co` into `dir`/`tag`.tif. */
export async function gdalRewritten(
  dir: string,
  dtype: DType,
  bands: number,
  co: string[],
  tag: string,
): Promise<string> {
  const plain = `${dir}/src-${dtype}-${bands}.tif`;
  if (!existsSync(plain)) await writeGeoTiff(plain, syntheticRaster(dtype, 620, 580, bands, 5));
  const out = `${dir}/${tag}.tif`;
  gdalTranslate([...co.flatMap((c) => ['-co', c]), plain, out]);
  return out;
}

/** Run `fn` with environment variable `name` set to `value` (child processes started meanwhile inherit it). */
export async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

/**
 * Read GDAL's file `path` at 1 and 2 threads: the pixels written back uncompressed (beside it) have GDAL's checksums,
 * and both reads are byte for byte the same.
 */
export async function expectReadsAsGdal(path: string): Promise<void> {
  const one = await readGeoTiffFile(path);
  const two = await readGeoTiffFile(path, { threads: 2 });
  const back = path.replace(/\.tif$/, '-written.tif');
  await writeGeoTiff(back, one);
  expect(gdalChecksums(back)).toEqual(gdalChecksums(path));
  const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  for (const [b, band] of one.bands.entries())
    expect(bytesOf(two.bands[b] as typeof band).equals(bytesOf(band)), `band ${b}`).toBe(true);
}

/**
 * Asserts that a native decoder spied on was handed memory to decode into (argument `intoArg`, the WebAssembly
 * stage's block area) at least once, and that every such call returned a view of that memory.
 */
export function expectDecodedIntoGivenMemory(
  mock: { calls: unknown[][]; results: { value: unknown }[] },
  intoArg: number,
  what: string,
): void {
  const given = mock.calls.filter((call) => call[intoArg] !== undefined);
  if (given.length === 0) throw new Error(`${what}: no block was decoded into given memory`);
  for (const [k, call] of mock.calls.entries()) {
    const into = call[intoArg] as Uint8Array | undefined;
    const result = mock.results[k]?.value as Uint8Array | null | undefined;
    if (into && result?.buffer !== into.buffer)
      throw new Error(`${what}: call ${k} decoded into other memory than it was given`);
  }
}
