// The WebAssembly split of pixel-interleaved blocks (src/read/wasm-stage.ts): the shipped module is the one its
// AssemblyScript source compiles to, it places every layout byte for byte as the JavaScript split does (float
// NaN payloads included), and whole reads through it equal the source pixels and the WORLDSTRAT_WASM=off reads.

import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compileDeinterleave, generatedSource } from '../../scripts/build-wasm.mjs';
import { RasterIoError, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { DEINTERLEAVE_WASM } from '../../src/read/deinterleave-wasm.generated.js';
import { type BlockGeometry, type BlockJob, placeBlock } from '../../src/read/place-block.js';
import { openPlaneStage, STAGE_MAX_BYTES } from '../../src/read/wasm-stage.js';
import type { DType, Raster, RasterArray } from '../../src/types.js';
import { gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { writeGarbledTiles, writePixelTiles } from '../support/mutations.js';
import { requireTool } from '../support/require-tool.js';
import { rng, syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-wasm-');
const DTYPE_OF_BYTES: Record<number, DType> = { 1: 'uint8', 2: 'uint16', 4: 'float32', 8: 'float64' };

afterEach(() => {
  delete process.env.WORLDSTRAT_WASM;
});

function geometry(
  spp: number,
  bps: number,
  block: { bw: number; bh: number },
  win: BlockGeometry['win'],
  levelWidth: number,
): BlockGeometry {
  return {
    name: 'test.tif',
    ifd: 0,
    kind: 'tile',
    compression: 8,
    dtype: DTYPE_OF_BYTES[bps] as DType,
    bps,
    spp,
    bw: block.bw,
    bh: block.bh,
    predictor: 1,
    littleEndian: true,
    tiled: true,
    win,
    levelWidth,
    blockBytes: block.bw * block.bh * spp * bps,
    bands: Array.from({ length: spp }, (_, i) => i),
  };
}

const ARRAY_OF_BYTES = { 1: Uint8Array, 2: Uint16Array, 4: Float32Array, 8: Float64Array } as const;

function bands(g: BlockGeometry): RasterArray[] {
  const Arr = ARRAY_OF_BYTES[g.bps as 1 | 2 | 4 | 8];
  return Array.from({ length: g.spp }, () => new Arr(g.win.width * g.win.height));
}

describe('the deinterleave WebAssembly module', () => {
  it('is what assembly/deinterleave.ts compiles to', async () => {
    const text = generatedSource(await compileDeinterleave());
    expect(text).toContain(DEINTERLEAVE_WASM);
  }, 60_000);
});

describe('staged split vs the JavaScript split', () => {
  // every SIMD form (4 × 1/2/4 bytes, 3 × 1/2 bytes) and the scalar ones, at widths around each SIMD step so
  // the tails run, with windows that cut blocks on all sides (odd source offsets: unaligned vector loads)
  const layouts: [number, number][] = [
    [4, 2],
    [4, 1],
    [4, 4],
    [3, 1],
    [3, 2],
    [2, 2],
    [5, 1],
    [4, 8],
    [3, 4],
    [2, 8],
  ];
  // predictor 3 only on 32- and 64-bit samples (floats), as libtiff takes it
  const variants = layouts.flatMap(([spp, bps]) =>
    [1, 2, 3]
      .filter((predictor) => predictor < 3 || bps >= 4)
      .flatMap((predictor) => [true, false].map((le) => [spp, bps, predictor, le] as const)),
  );
  it.each(variants)(
    '%i samples of %i bytes, predictor %i, little-endian %s: byte for byte',
    (spp, bps, predictor, le) => {
      const next = rng(spp * 10 + bps + predictor * 100 + (le ? 1000 : 0));
      for (const bw of [1, 7, 8, 15, 16, 17, 33, 70]) {
        const bh = 5;
        const levelWidth = bw * 3 - 2; // the last block column is cut by the image edge
        const height = bh * 2 + 3;
        const win = {
          x: Math.min(1, levelWidth - 1),
          y: 2,
          width: Math.max(1, levelWidth - 2),
          height: height - 3,
        };
        // the window cuts the first block column (predictor 2 undone before the split) but not the others (after)
        const g = { ...geometry(spp, bps, { bw, bh }, win, levelWidth), predictor, littleEndian: le };
        // planes over the whole window, and planes of one block row reused down it (blocks in row order)
        for (const order of [{ rowOrdered: false }, { rowOrdered: true, slabBytes: 1 }]) {
          const stage = openPlaneStage(g, order);
          if (!stage) throw new Error('no stage: WebAssembly SIMD missing?');
          const js = bands(g);
          const staged = bands(g);
          try {
            for (let row = 0; row < 3; row++) {
              // blocks of the level only, as a read plans them
              for (let col = 0; col * bw < levelWidth; col++) {
                const data = new Uint8Array(g.blockBytes);
                for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
                const b: BlockJob = {
                  index: row * 3 + col,
                  col,
                  row,
                  slot: -1,
                  offset: 0,
                  byteCount: data.length,
                  rows: bh,
                  expected: data.length,
                };
                const kept = data.slice();
                stage.place(g, b, data, () => staged);
                expect(data, 'the decoded bytes are left as they were').toEqual(kept);
                placeBlock(g, b, data, js);
              }
            }
            stage.copyTo(staged);
            for (let k = 0; k < spp; k++)
              expectSameBytes(staged[k], js[k], `band ${k}, block width ${bw}, ${JSON.stringify(order)}`);
          } finally {
            stage.release();
          }
        }
      }
    },
  );

  it('reused planes take blocks in row order only: a later row before the current one completes is refused', () => {
    const g = geometry(4, 2, { bw: 8, bh: 4 }, { x: 0, y: 0, width: 16, height: 12 }, 16);
    const stage = openPlaneStage(g, { rowOrdered: true, slabBytes: 1 });
    if (!stage) throw new Error('no stage: WebAssembly SIMD missing?');
    const block = (row: number, col: number): BlockJob => ({
      index: row * 2 + col,
      col,
      row,
      slot: -1,
      offset: 0,
      byteCount: g.blockBytes,
      rows: 4,
      expected: g.blockBytes,
    });
    const out = bands(g);
    try {
      stage.place(g, block(0, 0), new Uint8Array(g.blockBytes), () => out);
      // row 0 still lacks its second block: row 1 would land on planes row 0 has not left yet
      expect(() => stage.place(g, block(1, 0), new Uint8Array(g.blockBytes), () => out)).toThrow(
        /out of order/,
      );
    } finally {
      stage.release();
    }
  });

  it('declines what it cannot split or would not speed up: a band subset, 16-bit predictor 3, one band, uncompressed blocks, a window over the cap (unless its blocks come in row order); takes JPEG blocks', () => {
    const g = geometry(4, 2, { bw: 16, bh: 16 }, { x: 0, y: 0, width: 16, height: 16 }, 16);
    expect(openPlaneStage({ ...g, bands: [0, 2] })).toBeNull();
    expect(openPlaneStage({ ...g, bands: [1, 0, 2, 3] })).toBeNull();
    expect(openPlaneStage({ ...g, predictor: 3 })).toBeNull(); // 16-bit: half floats go their own way
    expect(openPlaneStage({ ...g, spp: 1, bands: [0] })).toBeNull();
    expect(openPlaneStage({ ...g, halfFloat: true })).toBeNull();
    expect(openPlaneStage({ ...g, compression: 1 })).toBeNull();
    const side = Math.ceil(Math.sqrt(STAGE_MAX_BYTES / 8)) + 1;
    const huge = { ...g, win: { x: 0, y: 0, width: side, height: side } };
    expect(openPlaneStage(huge)).toBeNull();
    // blocks in row order need planes of a few block rows only: the same window is staged
    const ring = openPlaneStage(huge, { rowOrdered: true });
    expect(ring).not.toBeNull();
    ring?.release();
    process.env.WORLDSTRAT_WASM = 'off';
    expect(openPlaneStage(g)).toBeNull();
    delete process.env.WORLDSTRAT_WASM;
    const stage = openPlaneStage(g);
    expect(stage).not.toBeNull();
    stage?.release();
    // JPEG blocks decode to 8-bit interleaved samples (YCbCr converted to RGB): staged like any other codec's
    const rgb = geometry(3, 1, { bw: 16, bh: 16 }, { x: 0, y: 0, width: 16, height: 16 }, 16);
    const jpeg = openPlaneStage({ ...rgb, compression: 7, jpeg: { ycbcrToRgb: true } });
    expect(jpeg).not.toBeNull();
    jpeg?.release();
  });
});

/** Float bit patterns the split must move untouched: NaNs with payloads, signed zero, infinities, subnormals. */
function oddFloats(r: Raster): void {
  const words = new Uint32Array(r.bands[1]?.buffer as ArrayBuffer);
  const odd = [0x7fc00001, 0xffc12345, 0x7f800001, 0x80000000, 0x7f800000, 0x00000001];
  for (let i = 0; i < words.length; i += 97) words[i] = odd[(i / 97) % odd.length] as number;
}

function oddDoubles(r: Raster): void {
  const words = new Uint32Array(r.bands[0]?.buffer as ArrayBuffer);
  for (let i = 0; i + 1 < words.length; i += 194) {
    words[i] = 0x00000001; // a NaN with a payload in both halves
    words[i + 1] = 0x7ff80001;
  }
}

describe('staged reads of whole files', () => {
  const cases: [string, DType, number, Parameters<typeof writeGeoTiff>[2]][] = [
    ['uint16 × 4, deflate tiles', 'uint16', 4, { compression: 'deflate', tiled: true, tileSize: 256 }],
    ['uint8 × 3, deflate strips', 'uint8', 3, { compression: 'deflate' }],
    ['float32 × 4, zstd strips', 'float32', 4, { compression: 'zstd' }],
    ['int16 × 2, deflate tiles', 'int16', 2, { compression: 'deflate', tiled: true, tileSize: 256 }],
    ['float64 × 3, deflate strips', 'float64', 3, { compression: 'deflate' }],
    [
      'uint16 × 4, deflate + predictor 2 tiles',
      'uint16',
      4,
      { compression: 'deflate', predictor: true, tiled: true, tileSize: 256 },
    ],
    ['uint8 × 3, zstd + predictor 2 strips', 'uint8', 3, { compression: 'zstd', predictor: true }],
    [
      'float32 × 4, deflate + predictor 3 tiles',
      'float32',
      4,
      { compression: 'deflate', predictor: true, tiled: true, tileSize: 256 },
    ],
    ['float64 × 2, deflate + predictor 3 strips', 'float64', 2, { compression: 'deflate', predictor: true }],
  ];
  it.each(cases)(
    '%s: the source pixels, and the same as WORLDSTRAT_WASM=off',
    async (_, dtype, n, options) => {
      const src = syntheticRaster(dtype, 201, 183, n, 7);
      if (dtype === 'float32') oddFloats(src);
      if (dtype === 'float64') oddDoubles(src);
      const path = `${tmp()}/in.tif`;
      await writeGeoTiff(path, src, { ...options, interleave: 'pixel' });
      const staged = await readGeoTiffFile(path);
      for (let k = 0; k < n; k++) expectSameBytes(staged.bands[k], src.bands[k], `band ${k}`);
      const window = { x: 37, y: 101, width: 150, height: 70 };
      const part = await readGeoTiffFile(path, { window });
      process.env.WORLDSTRAT_WASM = 'off';
      const plainPart = await readGeoTiffFile(path, { window });
      for (let k = 0; k < n; k++) expectSameBytes(part.bands[k], plainPart.bands[k], `window band ${k}`);
      expect(part.bands[0]?.[0]).toBe(src.bands[0]?.[101 * 201 + 37]);
    },
  );

  // LZW (decoded straight into the stage) and big-endian files (swapped in the stage's copy), as GDAL writes them
  const gdalCases: [DType, number, string[]][] = [
    ['uint16', 4, ['COMPRESS=LZW', 'PREDICTOR=2']],
    [
      'uint16',
      4,
      ['COMPRESS=LZW', 'PREDICTOR=2', 'ENDIANNESS=BIG', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=64'],
    ],
    ['int32', 2, ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'ENDIANNESS=BIG']],
    ['float32', 3, ['COMPRESS=ZSTD', 'ENDIANNESS=BIG', 'TILED=YES']],
    ['uint8', 4, ['COMPRESS=LZW', 'PREDICTOR=2', 'TILED=YES']],
    // (not big-endian: GDAL 3.6 reads its own big-endian predictor-3 files as byte-reversed floats, and so does
    // raster-io, staged or not, which the split test above checks byte for byte; here the source is the reference)
    ['float32', 4, ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=32']],
    ['float32', 3, ['COMPRESS=LZW', 'PREDICTOR=3']],
  ];
  it.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL)).each(gdalCases)(
    '%s × %i written by GDAL with %j: the source pixels',
    async (dtype, n, co) => {
      const src = syntheticRaster(dtype, 263, 171, n, 11);
      const plain = `${tmp()}/plain.tif`;
      await writeGeoTiff(plain, src);
      const path = `${tmp()}/gdal.tif`;
      gdalTranslate([...co.flatMap((c) => ['-co', c]), '-co', 'INTERLEAVE=PIXEL', plain, path]);
      const back = await readGeoTiffFile(path);
      for (let k = 0; k < n; k++) expectSameBytes(back.bands[k], src.bands[k], `band ${k}`);
      const window = { x: 131, y: 40, width: 100, height: 90 };
      const part = await readGeoTiffFile(path, { window });
      for (let k = 0; k < n; k++)
        for (const [x, y] of [
          [0, 0],
          [99, 89],
          [57, 33],
        ] as const)
          expect(part.bands[k]?.[y * 100 + x]).toBe(src.bands[k]?.[(y + 40) * 263 + x + 131]);
    },
  );

  // Damaged blocks (flipped bytes, cut files) through the staged path end as the JavaScript path ends them: the
  // same pixels, or a RasterIoError with the same code naming the file; never a WebAssembly trap.
  it.each([
    [
      'deflate + predictor 2 tiles',
      'uint16',
      { compression: 'deflate', predictor: true, tiled: true, tileSize: 256 },
    ],
    [
      'float32 deflate + predictor 3 strips',
      'float32',
      { compression: 'deflate', predictor: true, rowsPerStrip: 16 },
    ],
  ] as [string, DType, Parameters<typeof writeGeoTiff>[2]][])(
    'hostile %s: 120 mutations end as WORLDSTRAT_WASM=off does',
    async (_, dtype, options) => {
      const src = syntheticRaster(dtype, 300, 270, 4, 21);
      const path = `${tmp()}/good.tif`;
      await writeGeoTiff(path, src, { ...options, interleave: 'pixel' });
      const good = readFileSync(path);
      const next = rng(99);
      const outcome = async (file: string) => {
        try {
          const r = await readGeoTiffFile(file);
          return { pixels: Array.from(bytes(r.bands[3]).subarray(0, 4096)).join(',') };
        } catch (err) {
          if (!(err instanceof RasterIoError)) return { untyped: String(err) };
          expect(err.message).toContain(file);
          return { code: err.code };
        }
      };
      const t0 = performance.now();
      let failed = 0;
      for (let i = 0; i < 120; i++) {
        const bad = Buffer.from(good);
        const cut = i % 4 === 3;
        const body = Math.floor(good.length * 0.05);
        if (cut) bad.fill(0, body + Math.floor(next() * (good.length - body)));
        for (let k = 0; k < 1 + Math.floor(next() * 8); k++)
          bad[body + Math.floor(next() * (good.length - body))] = Math.floor(next() * 256);
        const file = `${tmp()}/bad.tif`;
        writeFileSync(file, cut ? bad.subarray(0, body + Math.floor(next() * (good.length - body))) : bad);
        const staged = await outcome(file);
        process.env.WORLDSTRAT_WASM = 'off';
        const plain = await outcome(file);
        delete process.env.WORLDSTRAT_WASM;
        expect(staged, `mutation ${i}`).toEqual(plain);
        expect(staged).not.toHaveProperty('untyped');
        if ('code' in staged) failed++;
      }
      expect(failed).toBeGreaterThan(20); // the mutations did reach the blocks
      expect(performance.now() - t0).toBeLessThan(60_000);
    },
    90_000,
  );

  // Windows taller than the reused planes (a slab of 256 KiB per band, in whole block rows): rows leave the planes
  // ring by ring, from a window starting inside a ring too.
  it.each([
    [
      'uint16 × 4, 256-px deflate tiles',
      'uint16',
      700,
      1300,
      { compression: 'deflate', tiled: true, tileSize: 256 },
    ],
    [
      'uint8 × 3, deflate strips of 16 rows',
      'uint8',
      600,
      1000,
      { compression: 'deflate', rowsPerStrip: 16 },
    ],
    [
      'float32 × 2, deflate + predictor 3 strips of 5 rows',
      'float32',
      300,
      1500,
      { compression: 'deflate', predictor: true, rowsPerStrip: 5 },
    ],
  ] as [string, DType, number, number, Parameters<typeof writeGeoTiff>[2]][])(
    '%s, taller than the reused planes: the source pixels, and the same as WORLDSTRAT_WASM=off',
    async (_, dtype, width, height, options) => {
      const n = dtype === 'uint16' ? 4 : dtype === 'uint8' ? 3 : 2;
      const src = syntheticRaster(dtype, width, height, n, 31);
      const path = `${tmp()}/tall.tif`;
      await writeGeoTiff(path, src, { ...options, interleave: 'pixel' });
      const whole = await readGeoTiffFile(path);
      for (let k = 0; k < n; k++) expectSameBytes(whole.bands[k], src.bands[k], `band ${k}`);
      const window = { x: 13, y: 301, width: width - 20, height: height - 350 };
      const part = await readGeoTiffFile(path, { window });
      process.env.WORLDSTRAT_WASM = 'off';
      const plainPart = await readGeoTiffFile(path, { window });
      for (let k = 0; k < n; k++) expectSameBytes(part.bands[k], plainPart.bands[k], `window band ${k}`);
      const last = (window.height - 1) * window.width + window.width - 1;
      expect(part.bands[n - 1]?.[last]).toBe(
        src.bands[n - 1]?.[(window.y + window.height - 1) * width + width - 8],
      );
    },
  );

  it('tiles stored out of row order (last tile first): the source pixels', async () => {
    const src = syntheticRaster('uint16', 700, 900, 4, 41);
    const path = `${tmp()}/in.tif`;
    await writePixelTiles(path, src);
    const reversed = `${tmp()}/reversed.tif`;
    writeFileSync(reversed, reverseTileOrder(readFileSync(path)));
    const back = await readGeoTiffFile(reversed);
    for (let k = 0; k < 4; k++) expectSameBytes(back.bands[k], src.bands[k], `band ${k}`);
    const window = { x: 100, y: 200, width: 500, height: 600 };
    const part = await readGeoTiffFile(reversed, { window });
    process.env.WORLDSTRAT_WASM = 'off';
    const plainPart = await readGeoTiffFile(reversed, { window });
    for (let k = 0; k < 4; k++) expectSameBytes(part.bands[k], plainPart.bands[k], `window band ${k}`);
  });

  it('into the caller arrays, and two reads at once on one thread each get their own stage', async () => {
    const a = syntheticRaster('uint16', 300, 200, 4, 1);
    const b = syntheticRaster('uint16', 200, 300, 4, 2);
    const pa = `${tmp()}/a.tif`;
    const pb = `${tmp()}/b.tif`;
    await writeGeoTiff(pa, a, { compression: 'deflate', tiled: true, tileSize: 256, interleave: 'pixel' });
    await writeGeoTiff(pb, b, { compression: 'deflate', interleave: 'pixel' });
    const into = a.bands.map((x) => new Uint16Array(x.length).fill(9));
    const [ra, rb] = await Promise.all([readGeoTiffFile(pa, { into }), readGeoTiffFile(pb)]);
    for (let k = 0; k < 4; k++) {
      expect(ra.bands[k]).toBe(into[k]);
      expect(into[k]).toEqual(a.bands[k]);
      expect(rb.bands[k]).toEqual(b.bands[k]);
    }
  });

  it('a corrupt block fails the read and leaves the stage fit for the next read', async () => {
    const src = syntheticRaster('uint16', 600, 300, 4, 3);
    const path = `${tmp()}/bad.tif`;
    const good = `${tmp()}/good.tif`;
    writeFileSync(good, await writeGarbledTiles(path, src));
    await expect(readGeoTiffFile(path)).rejects.toMatchObject({ code: 'CORRUPT_BLOCK' });
    const again = await readGeoTiffFile(good);
    for (let k = 0; k < 4; k++) expect(again.bands[k]).toEqual(src.bands[k]);
  });
});

/**
 * The same little-endian TIFF (one IFD) with its tiles' bytes stored in reverse order: TileOffsets rewritten, the
 * tiles moved, everything else in place.
 */
function reverseTileOrder(file: Buffer): Buffer {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ifd = view.getUint32(4, true);
  const entries = view.getUint16(ifd, true);
  const arrayAt = (tag: number) => {
    for (let i = 0; i < entries; i++) {
      const e = ifd + 2 + i * 12;
      if (view.getUint16(e, true) !== tag) continue;
      const count = view.getUint32(e + 4, true);
      const at = count === 1 ? e + 8 : view.getUint32(e + 8, true);
      const wide = view.getUint16(e + 2, true) === 4; // LONG, else SHORT
      return Array.from({ length: count }, (_, k) =>
        wide ? view.getUint32(at + 4 * k, true) : view.getUint16(at + 2 * k, true),
      ).map((value, k) => ({ value, at: at + (wide ? 4 : 2) * k, wide }));
    }
    throw new Error(`tag ${tag} missing`);
  };
  const offsets = arrayAt(324);
  const counts = arrayAt(325).map((c) => c.value);
  const start = Math.min(...offsets.map((o) => o.value));
  const out = Buffer.from(file);
  let pos = start;
  for (let i = offsets.length - 1; i >= 0; i--) {
    const o = offsets[i] as { value: number; at: number; wide: boolean };
    file.copy(out, pos, o.value, o.value + (counts[i] as number));
    if (!o.wide) throw new Error('SHORT tile offsets');
    out.writeUInt32LE(pos, o.at);
    pos += counts[i] as number;
  }
  return out;
}

/** Equal bytes; on a difference, says where (a full diff of a large band takes minutes to print). */
function expectSameBytes(a: RasterArray | undefined, b: RasterArray | undefined, label: string): void {
  const x = bytes(a);
  const y = bytes(b);
  expect(x.length, `${label}: length`).toBe(y.length);
  const at = x.findIndex((v, i) => v !== y[i]);
  const around = (z: Uint8Array) => Array.from(z.subarray(Math.max(0, at - 4), at + 8));
  expect(at === -1 ? null : { at, got: around(x), want: around(y) }, label).toBeNull();
}

function bytes(a: RasterArray | undefined): Uint8Array {
  if (!a) throw new Error('missing band');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
