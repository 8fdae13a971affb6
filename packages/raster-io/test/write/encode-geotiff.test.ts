// Writer tests that need no GDAL: round trips through our reader, layout invariants of COGs, predictor
// maths, option validation, atomic writes.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyFloatingPointPredictor,
  applyHorizontalPredictor,
  undoFloatingPointPredictor,
  undoHorizontalPredictor,
} from '../../src/codecs/predictor.js';
import {
  type DType,
  type EncodeGeoTiffOptions,
  encodeGeoTiff,
  type GeoTransform,
  openGeoTiff,
  type Raster,
  readRaster,
} from '../../src/index.js';
import {
  type CogWriterOptions,
  createCogWriter,
  NODE_CODECS,
  readGeoTiffFile,
  writeFileAtomic,
  writeGeoTiff,
} from '../../src/node.js';
import { bandMismatches } from '../support/compare.js';
import { rng, syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir();

describe('encodeGeoTiff round trips (browser path: fflate)', () => {
  const layouts: [string, EncodeGeoTiffOptions][] = [
    ['strips', { rowsPerStrip: 7 }],
    ['tiles-deflate-pred', { tiled: true, compression: 'deflate', predictor: true }],
    ['cog-512', { cog: true, compression: 'deflate', overviews: [2] }],
    ['pixel-strips-pred', { interleave: 'pixel', rowsPerStrip: 5, compression: 'deflate', predictor: true }],
    [
      'pixel-cog',
      { interleave: 'pixel', cog: true, compression: 'deflate', predictor: true, overviews: [2] },
    ],
  ];
  const dtypes: DType[] = ['uint8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
  it.each(dtypes.flatMap((d) => layouts.map(([n, o]) => [d, n, o] as const)))(
    '%s %s',
    async (dtype, _, opts) => {
      const r = syntheticRaster(dtype, 97, 61, 3, 9);
      r.noData = dtype === 'float32' ? Number.NaN : 0;
      r.geo = { epsg: 4326, transform: [10, 0.001, 0, 50, 0, -0.001] };
      const tiff = await openGeoTiff(encodeGeoTiff(r, opts));
      expect(tiff.levels[0]).toMatchObject({
        width: 97,
        height: 61,
        bandCount: 3,
        dtype,
        planarConfiguration: opts.interleave === 'pixel' ? 1 : 2,
      });
      const back = await readRaster(tiff);
      expect(bandMismatches(back.bands, r.bands)).toBe(0);
      expect(back.geo).toEqual(r.geo);
      expect(back.noData).toEqual(r.noData);
    },
  );

  it('fflate and node:zlib outputs decode the same (both are zlib streams)', async () => {
    const r = syntheticRaster('uint16', 300, 300, 2, 1);
    const a = encodeGeoTiff(r, { tiled: true, compression: 'deflate', predictor: true });
    const b = encodeGeoTiff(r, { tiled: true, compression: 'deflate', predictor: true, codecs: NODE_CODECS });
    for (const bytes of [a, b]) {
      expect(bandMismatches((await readRaster(await openGeoTiff(bytes))).bands, r.bands)).toBe(0);
      expect(
        bandMismatches((await readRaster(await openGeoTiff(bytes, { codecs: NODE_CODECS }))).bands, r.bands),
      ).toBe(0);
    }
  });

  it('overview levels hold decimated pixels (average of 2×2 blocks for an even size)', async () => {
    const r = syntheticRaster('float32', 64, 32, 1, 2);
    const tiff = await openGeoTiff(encodeGeoTiff(r, { tiled: true, overviews: [2, 4] }));
    expect(tiff.levels.map((l) => [l.width, l.height])).toEqual([
      [64, 32],
      [32, 16],
      [16, 8],
    ]);
    const o = await readRaster(tiff, { level: 1 });
    const src = r.bands[0] as Float32Array;
    const mean = (src[0 * 64 + 2] + src[0 * 64 + 3] + src[1 * 64 + 2] + src[1 * 64 + 3]) / 4;
    expect((o.bands[0] as Float32Array)[1]).toBeCloseTo(mean, 6);
    expect(o.geo).toBeUndefined();
  });

  it('reports progress per block when encoding and reading', async () => {
    const r = syntheticRaster('uint8', 600, 300, 2, 1);
    const enc: number[] = [];
    const bytes = encodeGeoTiff(r, {
      tiled: true,
      overviews: [2],
      onProgress: (p) => enc.push(p.done / p.total),
    });
    // 2 bands × (3×2 tiles + 2×1 tiles)
    expect(enc).toHaveLength(16);
    expect(enc.at(-1)).toBe(1);
    const rd: { done: number; total: number }[] = [];
    await readRaster(await openGeoTiff(bytes), {
      window: { x: 0, y: 0, width: 300, height: 10 },
      onProgress: (p) => rd.push(p),
    });
    expect(rd.map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(rd.every((p) => p.total === 4)).toBe(true);
  });

  it('average overviews skip nodata', async () => {
    const band = new Uint16Array([10, 0, 0, 0, 20, 30, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
    const tiff = await openGeoTiff(
      encodeGeoTiff({ width: 4, height: 4, dtype: 'uint16', bands: [band], noData: 0 }, { overviews: [2] }),
    );
    const o = await readRaster(tiff, { level: 1 });
    expect(Array.from(o.bands[0] as Uint16Array)).toEqual([20, 40, 0, 0]); // mean(10, 20, 30), mean(40), all nodata
  });
});

describe('COG layout', () => {
  it('IFDs come first, tile data from the smallest overview to full resolution, with size leaders and trailers', () => {
    const r = syntheticRaster('uint16', 700, 600, 2, 3);
    const bytes = encodeGeoTiff(r, { cog: true, compression: 'deflate', overviews: [2, 4] });
    const text = new TextDecoder('latin1').decode(bytes.subarray(8, 200));
    expect(text).toMatch(
      /^GDAL_STRUCTURAL_METADATA_SIZE=\d{6} bytes\nLAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\nBLOCK_TRAILER=LAST_4_BYTES_REPEATED\n/,
    );
    const v = new DataView(bytes.buffer);
    const ifds: number[] = [];
    const firstTile: number[] = [];
    for (let off = v.getUint32(4, true); off !== 0; ) {
      ifds.push(off);
      const n = v.getUint16(off, true);
      let offsets: number[] = [];
      let counts: number[] = [];
      for (let i = 0; i < n; i++) {
        const e = off + 2 + 12 * i;
        const tag = v.getUint16(e, true);
        const count = v.getUint32(e + 4, true);
        const at = count > 1 ? v.getUint32(e + 8, true) : e + 8;
        const vals = Array.from({ length: count }, (_, k) => v.getUint32(at + 4 * k, true));
        if (tag === 324) offsets = vals;
        if (tag === 325) counts = vals;
      }
      offsets.forEach((o, k) => {
        expect(v.getUint32(o - 4, true)).toBe(counts[k]); // leader
        expect(Array.from(bytes.subarray(o + (counts[k] as number), o + (counts[k] as number) + 4))).toEqual(
          Array.from(bytes.subarray(o + (counts[k] as number) - 4, o + (counts[k] as number))),
        ); // trailer
      });
      for (let k = 1; k < offsets.length; k++) expect(offsets[k]).toBeGreaterThan(offsets[k - 1] as number); // row-major, band after band
      firstTile.push(offsets[0] as number);
      off = v.getUint32(off + 2 + 12 * n, true);
    }
    expect(ifds).toHaveLength(3);
    expect(Math.max(...ifds)).toBeLessThan(Math.min(...firstTile));
    expect(firstTile[2]).toBeLessThan(firstTile[1] as number);
    expect(firstTile[1]).toBeLessThan(firstTile[0] as number);
  });
});

describe('predictors', () => {
  it.each([
    [1, 1],
    [2, 1],
    [4, 1],
    [8, 1],
    [2, 3],
    [4, 4],
  ])('horizontal predictor round trip, %i-byte samples, stride %i', (bps, stride) => {
    const next = rng(bps * 10 + stride);
    const bytes = Uint8Array.from({ length: 8 * 12 * stride * bps }, () => Math.floor(next() * 256));
    const copy = bytes.slice();
    applyHorizontalPredictor(bytes, bps, 12 * stride, stride);
    expect(Array.from(bytes)).not.toEqual(Array.from(copy));
    undoHorizontalPredictor(bytes, bps, 12 * stride, stride);
    expect(Array.from(bytes)).toEqual(Array.from(copy));
  });

  it.each([
    [4, 1],
    [8, 1],
    [4, 3],
    [4, 4], // four lanes per word
    [8, 4],
  ])('floating-point predictor round trip, %i-byte samples, stride %i', (bps, stride) => {
    const next = rng(bps * 10 + stride);
    const rowSamples = 33 * stride;
    const bytes = Uint8Array.from({ length: 5 * rowSamples * bps }, () => Math.floor(next() * 256));
    const copy = bytes.slice();
    applyFloatingPointPredictor(bytes, bps, rowSamples, stride);
    expect(Array.from(bytes)).not.toEqual(Array.from(copy));
    undoFloatingPointPredictor(bytes, bps, rowSamples, stride);
    expect(Array.from(bytes)).toEqual(Array.from(copy));
  });

  it('horizontal predictor turns a ramp into constant differences', () => {
    const ramp = new Uint16Array([100, 103, 106, 109, 65535, 2]);
    const bytes = new Uint8Array(ramp.buffer);
    applyHorizontalPredictor(bytes, 2, 6, 1);
    expect(Array.from(ramp)).toEqual([100, 3, 3, 3, 65426, 3]);
  });
});

describe('option and raster validation', () => {
  const r = syntheticRaster('int16', 10, 10, 1);
  it.each([
    [{ predictor: 3 }, /predictor 3 .* needs a float dtype, got int16/],
    [{ tileSize: 300 }, /tileSize must be 256 or 512/],
    [{ overviews: [4, 2] }, /overviews must be increasing integers/],
    [{ compression: 'jpeg' }, /compression must be 'none', 'deflate' or 'zstd'/],
    [{ deflateLevel: 12 }, /deflateLevel must be 0\.\.9/],
    [{ compression: 'zstd', zstdLevel: 23 }, /zstdLevel must be 1\.\.22, got 23/],
    [{ compression: 'zstd', zstdLevel: 0 }, /zstdLevel must be 1\.\.22, got 0/],
    // the browser-safe encoder has no ZSTD codec of its own
    [{ compression: 'zstd' }, /compression 'zstd' needs a ZSTD codec that encodes in `codecs`/],
  ] as [EncodeGeoTiffOptions, RegExp][])('%o → INVALID_ARGUMENT', (opts, msg) => {
    expect(() => encodeGeoTiff(r, opts)).toThrow(msg);
  });

  it('rejects inconsistent rasters naming the band and the fix', () => {
    expect(() => encodeGeoTiff({ ...r, bands: [new Int16Array(99)] })).toThrow(
      /band 0 has 99 values; expected width\*height = 100/,
    );
    expect(() => encodeGeoTiff({ ...r, bands: [new Uint16Array(100)] })).toThrow(
      /band 0 is a Uint16Array but dtype is 'int16'/,
    );
    expect(() => encodeGeoTiff({ ...r, bands: [] })).toThrow(/no bands/);
    expect(() => encodeGeoTiff({ ...r, width: 0 })).toThrow(/raster size 0x10 is invalid/);
    expect(() => encodeGeoTiff({ ...r, geo: { epsg: 4326, transform: [1, 2, 3] as never } })).toThrow(
      /geo.transform must be 6 finite numbers/,
    );
  });
});

describe('one validator for both writers (writeGeoTiff used to write what createCogWriter refuses)', () => {
  const base = syntheticRaster('float32', 8, 8, 1);
  const geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] as GeoTransform };
  // [what is wrong, raster fields, options, message (the streaming writer puts its path first)]
  const cases: [string, Partial<Raster>, object, string][] = [
    [
      'noData "abc"',
      { noData: 'abc' as never },
      {},
      'noData must be a number (NaN allowed) or null, got "abc"',
    ],
    [
      'noData [1, 2]',
      { noData: [1, 2] as never },
      {},
      'noData must be a number (NaN allowed) or null, got [1,2]',
    ],
    ['noData true', { noData: true as never }, {}, 'noData must be a number (NaN allowed) or null, got true'],
    ['noData {}', { noData: {} as never }, {}, 'noData must be a number (NaN allowed) or null, got {}'],
    [
      'float32 noData 1e39',
      { noData: 1e39 },
      {},
      "noData 1e+39 is outside float32's range (±3.4028234663852886e+38): GDAL would read it as Infinity and take every such pixel for no-data; use a value a float32 band holds",
    ],
    [
      'float32 noData -1e39',
      { noData: -1e39 },
      {},
      "noData -1e+39 is outside float32's range (±3.4028234663852886e+38): GDAL would read it as -Infinity and take every such pixel for no-data; use a value a float32 band holds",
    ],
    [
      'cubic overviews',
      {},
      { overviews: [2], overviewResampling: 'cubic' },
      "overviewResampling must be 'average' or 'nearest', got \"cubic\"",
    ],
    [
      'a zero transform',
      { geo: { epsg: 4326, transform: [0, 0, 0, 0, 0, 0] } },
      {},
      'geo.transform [0,0,0,0,0,0] maps every pixel onto a point or a line (a zero pixel size: a·e − b·d = 0); GDAL would drop it and the file would have no georeferencing',
    ],
    [
      'a zero pixel height',
      { geo: { epsg: 4326, transform: [10, 1, 0, 50, 0, 0] } },
      {},
      'geo.transform [10,1,0,50,0,0] maps every pixel onto a point or a line (a zero pixel size: a·e − b·d = 0); GDAL would drop it and the file would have no georeferencing',
    ],
    ['onProgress 5', {}, { onProgress: 5 }, 'onProgress must be a function, got 5'],
    [
      '33 overviews',
      {},
      { overviews: Array.from({ length: 33 }, (_, i) => 2 ** (i + 1)) },
      'overviews must be at most 32 factors, got 33',
    ],
  ];
  it.each(cases)(
    '%s → INVALID_ARGUMENT from encodeGeoTiff, writeGeoTiff and createCogWriter',
    async (_, fields, options, message) => {
      const raster = { ...base, geo, ...fields } as Raster;
      const path = join(tmp(), 'refused.tif');
      expect(() => encodeGeoTiff(raster, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message }),
      );
      await expect(writeGeoTiff(path, raster, options)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message,
      });
      const cog = createCogWriter(path, {
        width: 8,
        height: 8,
        bands: 1,
        dtype: 'float32',
        noData: raster.noData,
        geo: raster.geo,
        ...options,
      } as CogWriterOptions);
      await expect(cog).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `${path}: ${message}` });
      expect(existsSync(path)).toBe(false);
    },
  );

  it('an option given as undefined takes its default, as when it is left out (callers forward optional fields)', () => {
    const plain = encodeGeoTiff(base);
    const keys = [
      'tiled',
      'cog',
      'compression',
      'predictor',
      'interleave',
      'overviewResampling',
      'deflateLevel',
    ];
    const undefinedOptions = Object.fromEntries(keys.map((k) => [k, undefined]));
    expect(Buffer.from(encodeGeoTiff(base, undefinedOptions as never)).equals(Buffer.from(plain))).toBe(true);
    const tiled = encodeGeoTiff(base, { tiled: true, compression: 'deflate' });
    expect(
      Buffer.from(encodeGeoTiff(base, { tiled: true, compression: 'deflate', cog: undefined })).equals(
        Buffer.from(tiled),
      ),
    ).toBe(true);
  });

  it('writer-only inputs: a hole in bands, non-boolean tiled/cog, null options → INVALID_ARGUMENT, not TypeError', async () => {
    const holed = new Array(2) as Float32Array[];
    holed[1] = base.bands[0] as Float32Array; // forEach skipped the hole; encoding then read undefined.subarray
    expect(() => encodeGeoTiff({ ...base, bands: holed })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: 'band 0 must be a typed array, got undefined',
      }),
    );
    for (const name of ['tiled', 'cog'] as const)
      expect(() => encodeGeoTiff(base, { [name]: 'false' } as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: `${name} must be true or false, got "false"`,
        }),
      );
    await expect(writeGeoTiff(join(tmp(), 'null.tif'), base, null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'writeGeoTiff: options must be an object, got null',
    });
  });

  it('a float32 noData that rounds to ±FLT_MAX, NaN and ±Inf are still written', async () => {
    for (const noData of [3.4028235e38, -3.4028235e38, Number.NaN, Number.POSITIVE_INFINITY, -0]) {
      const tiff = await openGeoTiff(encodeGeoTiff({ ...base, noData }));
      expect(tiff.levels[0]?.noData).toBe(Math.fround(noData));
    }
  });
});

describe('atomic writes', () => {
  it('writeGeoTiff leaves only the final file and it reads back', async () => {
    const dir = join(tmp(), 'atomic');
    const path = join(dir, 'sub', 'a.tif');
    const r = syntheticRaster('uint8', 20, 20, 1);
    const n = await writeGeoTiff(path, r, { compression: 'deflate' });
    expect(readFileSync(path).byteLength).toBe(n);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.tif']);
    expect(bandMismatches((await readGeoTiffFile(path)).bands, r.bands)).toBe(0);
  });

  it('a failed write → WRITE_FAILED naming the path, no temp file left, old file intact', async () => {
    const dir = join(tmp(), 'fail');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blocker'), 'not a folder');
    const err = await writeFileAtomic(join(dir, 'blocker', 'x.tif'), new Uint8Array(4)).catch((e) => e);
    expect(err).toMatchObject({ code: 'WRITE_FAILED' });
    expect(err.message).toContain('blocker');
    // target is a directory: rename fails after the temp file was written
    mkdirSync(join(dir, 'target.tif'));
    await expect(writeFileAtomic(join(dir, 'target.tif'), 'data')).rejects.toMatchObject({
      code: 'WRITE_FAILED',
    });
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'target.tif']);
    expect(existsSync(join(dir, 'target.tif'))).toBe(true);
  });
});

describe('hostile nodata and rows in the writers', () => {
  it('32-bit integer bands with a nodata no pixel can hold (1e20, ±Infinity, 3.4e38) write average overviews at once (the search for its replacement never ended; gdaladdo hangs on them too)', async () => {
    for (const dtype of ['uint32', 'int32'] as const) {
      const plain = syntheticRaster(dtype, 6, 6, 1, 5);
      // the same nodata arithmetic (float32 work values) with a nodata that masks nothing: 3, held by no pixel
      expect(Array.from(plain.bands[0] as ArrayLike<number>)).not.toContain(3);
      const want = await overviewOf(encodeGeoTiff({ ...plain, noData: 3 }, { overviews: [2] }));
      expect(want).not.toContain(3);
      for (const noData of [1e20, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38]) {
        const raster = { ...plain, noData };
        expect(await overviewOf(encodeGeoTiff(raster, { overviews: [2] })), `${dtype} ${noData}`).toEqual(
          want,
        );
        const path = join(tmp(), `${dtype}-nodata.tif`);
        await writeGeoTiff(path, raster, { overviews: [2] });
        expect(Array.from((await readGeoTiffFile(path, { level: 1 })).bands[0] as ArrayLike<number>)).toEqual(
          want,
        );
        const cog = await createCogWriter(path, {
          width: 6,
          height: 6,
          bands: 1,
          dtype,
          noData,
          overviews: [2],
        });
        await cog.writeRows(0, plain.bands);
        await cog.close();
        expect(Array.from((await readGeoTiffFile(path, { level: 1 })).bands[0] as ArrayLike<number>)).toEqual(
          want,
        );
      }
    }
  }, 20_000);

  it('createCogWriter: a sparse bands array is INVALID_ARGUMENT naming the band, and the writer goes on (was WRITE_FAILED)', async () => {
    const path = join(tmp(), 'sparse-rows.tif');
    const r = syntheticRaster('uint8', 4, 4, 2, 3);
    const cog = await createCogWriter(path, { width: 4, height: 4, bands: 2, dtype: 'uint8' });
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holed = [r.bands[0] as Uint8Array, ,] as unknown as Uint8Array[];
    await expect(cog.writeRows(0, holed)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `${path}: writeRows(0) band 1 is not a uint8 typed array`,
    });
    await cog.writeRows(0, r.bands);
    await cog.close();
    expect(bandMismatches((await readGeoTiffFile(path)).bands, r.bands)).toBe(0);
  });
});

/** The first overview's first band of a file's bytes. */
async function overviewOf(bytes: Uint8Array): Promise<number[]> {
  const tiff = await openGeoTiff(bytes, { codecs: NODE_CODECS });
  return Array.from((await readRaster(tiff, { level: 1 })).bands[0] as ArrayLike<number>);
}
