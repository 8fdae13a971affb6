// Decode workers split whole-window reads through the WebAssembly stage, in units of whole blocks
// (decode-units.ts): the units must cover every block once as rectangles, and the pixels and errors of a threaded
// read must be exactly those of the single-thread read for windows that start and end inside blocks, several
// thread counts, tiles and strips, predictors and byte orders, and blocks stored in any order.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RasterIoError } from '../../src/errors.js';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { blockRuns, stagedUnits } from '../../src/read/decode-units.js';
import type { BlockJob } from '../../src/read/place-block.js';
import type { DType, RasterArray, RasterWindow } from '../../src/types.js';
import { blockLocations } from '../support/block-locations.js';
import { gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { rng, syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-staged-');

const job = (index: number, row: number, col: number, slot = -1): BlockJob => ({
  index,
  row,
  col,
  slot,
  offset: 1000 + index * 10,
  byteCount: 10,
  rows: 16,
  expected: 16 * 16 * 4 * 2,
});

/** The units of `u` as lists of blocks. */
const unitsOf = (u: { blocks: BlockJob[]; starts: number[] }) =>
  u.starts.slice(0, -1).map((s, k) => u.blocks.slice(s, u.starts[k + 1]));

describe('decode units', () => {
  it('staged units cover every block once, as rectangles of whole blocks in row order', () => {
    const next = rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(next() * 12);
      const cols = 1 + Math.floor(next() * 12);
      const r0 = Math.floor(next() * 5);
      const c0 = Math.floor(next() * 5);
      let blocks: BlockJob[] = [];
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) blocks.push(job(blocks.length, r0 + r, c0 + c));
      // a run of the file may hold any subset; blocks come in file order, which need not be row order
      if (trial % 3 === 1) blocks = blocks.filter(() => next() < 0.7);
      if (trial % 2 === 1) blocks.reverse();
      if (blocks.length === 0) continue;
      const threads = 1 + Math.floor(next() * 4);
      const units = stagedUnits(blocks, threads);
      expect(units.starts[0]).toBe(0);
      expect(units.starts[units.starts.length - 1]).toBe(blocks.length);
      expect(units.blocks.map((b) => b.index).sort((a, b) => a - b)).toEqual(
        blocks.map((b) => b.index).sort((a, b) => a - b),
      );
      for (const unit of unitsOf(units)) {
        expect(unit.length).toBeGreaterThan(0);
        const unitRows = [...new Set(unit.map((b) => b.row))];
        const first = unit.filter((b) => b.row === unitRows[0]).map((b) => b.col);
        // consecutive rows over the same consecutive columns, listed row by row
        for (const [k, r] of unitRows.entries()) {
          expect(r).toBe((unitRows[0] as number) + k);
          const colsHere = unit.filter((b) => b.row === r).map((b) => b.col);
          expect(colsHere).toEqual(first);
        }
        for (const [k, c] of first.entries()) expect(c).toBe((first[0] as number) + k);
        expect(unit).toEqual([...unit].sort((a, b) => a.row - b.row || a.col - b.col));
      }
      // enough units for the threads to share, unless the blocks run out
      expect(units.starts.length - 1).toBeGreaterThanOrEqual(Math.min(blocks.length, 2 * threads));
      if (blocks.length === rows * cols) {
        // a full grid: rows above the last `threads` go whole (their bands' rows copy out in one run each) …
        const tailFrom = r0 + rows - Math.min(threads, rows);
        for (const unit of unitsOf(units))
          if (unit.every((b) => b.row < tailFrom)) expect(new Set(unit.map((b) => b.col)).size).toBe(cols);
        // … and the last ones are cut into two units per thread among them, so the workers end together
        const tailUnits = unitsOf(units).filter((u) => u.some((b) => b.row >= tailFrom)).length;
        expect(tailUnits).toBeGreaterThanOrEqual(Math.min(2 * threads, cols * Math.min(threads, rows)));
      }
      for (const unit of unitsOf(units))
        if (unit.length > 1) expect(unit.reduce((n, b) => n + b.expected, 0)).toBeLessThanOrEqual(4 << 20);
    }
  });

  it('a tiled window goes in whole block rows, the last rows cut so that the workers end together', () => {
    // 5 × 5 tiles of 256² × 4 uint16, the layout of a 1054² GDAL file, on two threads
    const tiles = Array.from({ length: 25 }, (_, i) => ({
      ...job(i, Math.floor(i / 5), i % 5),
      expected: 256 * 256 * 8,
    }));
    const units = unitsOf(stagedUnits(tiles, 2));
    expect(units.map((u) => u.map((b) => b.index))).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14],
      [15, 16],
      [17, 18, 19],
      [20, 21],
      [22, 23, 24],
    ]);
  });

  it('whole block rows are joined into units of at most 1 MiB decoded, four or more per thread', () => {
    const strips = Array.from({ length: 1054 }, (_, i) => ({ ...job(i, i, 0), expected: 1054 * 8 }));
    const units = unitsOf(stagedUnits(strips, 2));
    expect(units.length).toBeGreaterThanOrEqual(8);
    for (const u of units) expect(u.reduce((n, b) => n + b.expected, 0)).toBeLessThanOrEqual(1 << 20);
    expect(Math.max(...units.map((u) => u.length))).toBeGreaterThan(64);
  });

  it('stays linear in the blocks: 200 000 one-row strips of a narrow window are joined in one pass', () => {
    const strips = Array.from({ length: 200_000 }, (_, i) => ({ ...job(i, i, 0), expected: 16 }));
    const units = unitsOf(stagedUnits(strips, 2));
    expect(units.length).toBe(8);
    expect(units.every((u) => u.length === 25_000)).toBe(true);
  }, 5_000);

  it('a block row decoding to more than 4 MiB is cut, so no worker keeps a stage of a wide window', () => {
    // 40 tiles of 512 × 512 × 4 uint16 (2 MiB each) in two rows
    const wide = Array.from({ length: 80 }, (_, i) => ({
      ...job(i, Math.floor(i / 40), i % 40),
      expected: 512 * 512 * 8,
    }));
    const units = unitsOf(stagedUnits(wide, 2));
    expect(Math.max(...units.map((u) => u.length))).toBe(2);
    expect(units.length).toBe(40);
    // a single block larger than that is still a unit of its own
    const huge = [0, 1, 2, 3, 4].map((i) => ({ ...job(i, i, 0), expected: 6 << 20 }));
    expect(unitsOf(stagedUnits(huge, 2)).map((u) => u.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('planar blocks (one band each) go in runs of consecutive blocks, in the order given', () => {
    const planar = [0, 1, 2].flatMap((slot) => [0, 1].map((c) => job(slot * 2 + c, 0, c, slot)));
    const units = stagedUnits(planar, 2);
    expect(units.blocks).toEqual(planar);
    expect(units).toEqual(blockRuns(planar));
  });
});

/** A `width`×`height` file of `bands` bands rewritten by gdal_translate with `co`. */
async function gdalFile(
  dtype: DType,
  co: string[],
  tag: string,
  size: { width: number; height: number; bands: number },
): Promise<string> {
  const plain = `${tmp()}/src-${dtype}-${size.width}x${size.height}x${size.bands}.tif`;
  if (!existsSync(plain))
    await writeGeoTiff(plain, syntheticRaster(dtype, size.width, size.height, size.bands, 5));
  const out = `${tmp()}/${tag}.tif`;
  gdalTranslate([...co.flatMap((c) => ['-co', c]), plain, out]);
  return out;
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Arrays like `bands`, in shared memory, holding garbage. */
const dirtyShared = (bands: RasterArray[]) =>
  bands.map((a) => {
    const buffer = new SharedArrayBuffer(a.byteLength);
    new Uint8Array(buffer).fill(0x5a);
    return new (a.constructor as new (b: ArrayBufferLike) => RasterArray)(buffer);
  });

/** The block offsets of IFD 0 and where the offsets array is in the file (classic little-endian TIFF, LONG offsets). */
async function blockOffsets(path: string): Promise<{ offsets: number[]; counts: number[]; at: number }> {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(bytes.toString('latin1', 0, 2)).toBe('II');
  const ifd = view.getUint32(4, true);
  const entries = view.getUint16(ifd, true);
  let at = -1;
  for (let e = 0; e < entries; e++) {
    const p = ifd + 2 + e * 12;
    const tag = view.getUint16(p, true);
    if (tag === 273 || tag === 324) {
      expect(view.getUint16(p + 2, true)).toBe(4); // LONG
      at = view.getUint32(p + 4, true) > 1 ? view.getUint32(p + 8, true) : p + 8;
    }
  }
  const { offsets, counts } = await blockLocations(path);
  return { offsets, counts, at };
}

/** Rewrite `path` with its blocks' data stored in reverse order (the last block first), same pixels. */
async function reverseBlockOrder(path: string): Promise<void> {
  const { offsets, counts, at } = await blockOffsets(path);
  const bytes = readFileSync(path);
  const start = Math.min(...offsets);
  const blocks = offsets.map((o, i) => Buffer.from(bytes.subarray(o, o + (counts[i] as number))));
  let pos = start;
  for (let i = blocks.length - 1; i >= 0; i--) {
    (blocks[i] as Buffer).copy(bytes, pos);
    bytes.writeUInt32LE(pos, at + 4 * i);
    pos += (blocks[i] as Buffer).byteLength;
  }
  writeFileSync(path, bytes);
}

const windows: (RasterWindow | undefined)[] = [
  undefined,
  { x: 37, y: 29, width: 401, height: 333 }, // starts and ends inside blocks
  { x: 70, y: 5, width: 3, height: 410 }, // a narrow column inside one block column
  { x: 0, y: 130, width: 460, height: 1 }, // one row
];

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('staged decode workers', () => {
  const layouts: [DType, number, string[]][] = [
    ['uint16', 4, ['COMPRESS=DEFLATE', 'TILED=YES', 'BLOCKXSIZE=48', 'BLOCKYSIZE=32']],
    ['uint16', 4, ['COMPRESS=LZW', 'PREDICTOR=2', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=80']],
    ['uint16', 3, ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'ENDIANNESS=BIG', 'BLOCKYSIZE=5']],
    ['uint8', 3, ['COMPRESS=LZW', 'PREDICTOR=2', 'BLOCKYSIZE=1']],
    ['int32', 2, ['COMPRESS=ZSTD', 'PREDICTOR=2', 'TILED=YES', 'BLOCKXSIZE=32', 'BLOCKYSIZE=32']],
    ['float32', 4, ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=64']],
    ['float64', 2, ['COMPRESS=LZW', 'PREDICTOR=3', 'ENDIANNESS=BIG', 'BLOCKYSIZE=9']],
  ];
  it.each(layouts)(
    '%s × %s bands %s: threads 2 and 3 read the bytes of threads 1, windows inside blocks included',
    async (dtype, bands, co) => {
      const path = await gdalFile(dtype, co, `${dtype}-${bands}-${co.join('-')}`, {
        width: 460,
        height: 420,
        bands,
      });
      for (const window of windows) {
        const single = await readGeoTiffFile(path, window ? { window } : {});
        for (const threads of [2, 3]) {
          const fresh = await readGeoTiffFile(path, { window, threads });
          const into = dirtyShared(single.bands);
          const kept = await readGeoTiffFile(path, { window, threads, into });
          for (const [b, a] of single.bands.entries()) {
            const at = `band ${b}, threads ${threads}, window ${JSON.stringify(window)}`;
            expect(sameBytes(fresh.bands[b] as RasterArray, a), at).toBe(true);
            expect(sameBytes(kept.bands[b] as RasterArray, a), at).toBe(true);
          }
        }
      }
    },
    120_000,
  );

  it('blocks stored last first with corrupt ones inside a unit: the error of the single-thread read', async () => {
    // one-row strips 3000 px wide: units of a few dozen strips, whose stages reuse their planes as a ring of
    // 44 rows, so a unit crosses from one ring into the next
    const path = await gdalFile('uint16', ['COMPRESS=DEFLATE', 'BLOCKYSIZE=1'], 'reversed', {
      width: 3000,
      height: 300,
      bands: 4,
    });
    await reverseBlockOrder(path);
    const clean = await readGeoTiffFile(path);
    for (const threads of [2, 3]) {
      const again = await readGeoTiffFile(path, { threads });
      for (const [b, a] of clean.bands.entries())
        expect(sameBytes(again.bands[b] as RasterArray, a)).toBe(true);
    }
    const { offsets } = await blockOffsets(path);
    const bytes = readFileSync(path);
    // the strips after these in their unit are stored before them, and some lie in the unit's next ring
    for (const s of [40, 41]) bytes.fill(0xff, (offsets[s] as number) + 2, (offsets[s] as number) + 30);
    writeFileSync(path, bytes);
    const failure = async (threads: number) => {
      const err = await readGeoTiffFile(path, { threads }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RasterIoError);
      return { code: (err as RasterIoError).code, message: (err as RasterIoError).message };
    };
    const one = await failure(1);
    expect(one.code).toBe('CORRUPT_BLOCK');
    expect(one.message).toContain('strip 41:'); // stored first of the two
    expect(await failure(2)).toEqual(one);
    expect(await failure(3)).toEqual(one);
  }, 60_000);
});
