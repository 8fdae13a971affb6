// The streaming COG writer: byte-identical to the in-memory COG writer for the same image and options
// (rows fed in uneven chunks), typed errors for misuse, and nothing left behind or overwritten on abort.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DType, encodeGeoTiff, type Raster, type RasterArray, RasterIoError } from '../../src/index.js';
import { type CogWriterOptions, createCogWriter, NODE_CODECS, readGeoTiffFile } from '../../src/node.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('cog-writer-');

/** Rows `y0 .. y0 + n - 1` of every band. */
function rowsOf(r: Raster, y0: number, n: number): RasterArray[] {
  return r.bands.map((b) => b.slice(y0 * r.width, (y0 + n) * r.width) as RasterArray);
}

/** Streams `r` in chunks cycling through `chunks` rows. */
async function stream(
  path: string,
  r: Raster,
  o: Omit<CogWriterOptions, 'width' | 'height' | 'bands' | 'dtype'>,
  chunks: number[],
): Promise<number> {
  const w = await createCogWriter(path, {
    ...o,
    width: r.width,
    height: r.height,
    bands: r.bands.length,
    dtype: r.dtype,
    ...(r.noData !== undefined ? { noData: r.noData } : {}),
    ...(r.geo ? { geo: r.geo } : {}),
  });
  for (let y = 0, k = 0; y < r.height; k++) {
    const n = Math.min(chunks[k % chunks.length] as number, r.height - y);
    await w.writeRows(y, rowsOf(r, y, n));
    y += n;
  }
  return w.close();
}

function withNaNs(r: Raster): Raster {
  const b = r.bands[0] as Float32Array;
  for (let i = 0; i < b.length; i += 7) b[i] = Number.NaN;
  for (let i = 5000; i < 9000; i++) b[i] = Number.NaN; // a whole no-data patch
  return { ...r, noData: Number.NaN };
}

const GEO = {
  epsg: 32633,
  transform: [500000, 2.5, 0, 4600000, 0, -2.5] as [number, number, number, number, number, number],
};

const CASES: [
  string,
  () => Raster,
  Omit<CogWriterOptions, 'width' | 'height' | 'bands' | 'dtype'>,
  number[],
][] = [
  [
    'float32, NaN no-data, deflate + predictor, odd size, 256 tiles, [2, 4, 8]',
    () => withNaNs({ ...syntheticRaster('float32', 1100, 701, 1, 3), geo: GEO }),
    { compression: 'deflate', predictor: true, overviews: [2, 4, 8], tileSize: 256 },
    [37, 1, 300, 256],
  ],
  [
    'uint16 × 3 bands, nodata 0, band-interleaved, 512 tiles, [2, 4]',
    () => ({ ...syntheticRaster('uint16', 1030, 517, 3, 5), noData: 0 }),
    { compression: 'deflate', predictor: 2, overviews: [2, 4] },
    [512, 5],
  ],
  [
    'uint8 × 3 bands, pixel-interleaved, no compression, [3, 9]',
    () => syntheticRaster('uint8', 600, 333, 3, 7),
    { compression: 'none', interleave: 'pixel', overviews: [3, 9], tileSize: 256 },
    [1],
  ],
  [
    'uint8, a factor gap wider than a tile ([2, 1024]: overview rows read from copies)',
    () => ({ ...syntheticRaster('uint8', 300, 2100, 1, 13), noData: 7 }),
    { compression: 'deflate', overviews: [2, 1024], tileSize: 256 },
    [64, 300],
  ],
  [
    'int16 × 2 bands, nearest (overviews from full resolution), [2, 4, 16]',
    () => ({ ...syntheticRaster('int16', 777, 555, 2, 9), noData: -9999 }),
    { compression: 'deflate', overviews: [2, 4, 16], overviewResampling: 'nearest', tileSize: 256 },
    [100, 3],
  ],
  [
    'uint16, 3 px wide: the level after a 1-pixel-wide one reads full resolution, [2, 4, 8, 16]',
    () => syntheticRaster('uint16', 3, 99, 1, 17),
    { compression: 'deflate', overviews: [2, 4, 8, 16] },
    [7, 1],
  ],
  [
    'uint8 × 2 bands, pixel-interleaved nearest, 1 × 1 with [2 .. 32] (gdaladdo makes one level)',
    () => syntheticRaster('uint8', 1, 1, 2, 19),
    { compression: 'none', interleave: 'pixel', overviews: [2, 4, 8, 16, 32], overviewResampling: 'nearest' },
    [1],
  ],
];

describe('createCogWriter', () => {
  it.each(CASES)('is byte-identical to encodeGeoTiff({ cog: true }): %s', async (name, make, o, chunks) => {
    const r = make();
    const path = join(tmp(), `${name.replace(/\W+/g, '-')}.tif`);
    const size = await stream(path, r, o, chunks);
    const expected = encodeGeoTiff(r, {
      cog: true,
      codecs: NODE_CODECS,
      compression: o.compression ?? 'deflate',
      ...(o.predictor !== undefined ? { predictor: o.predictor } : {}),
      ...(o.overviews ? { overviews: o.overviews } : {}),
      ...(o.overviewResampling ? { overviewResampling: o.overviewResampling } : {}),
      ...(o.interleave ? { interleave: o.interleave } : {}),
      ...(o.tileSize ? { tileSize: o.tileSize } : {}),
    });
    const actual = readFileSync(path);
    expect(size).toBe(expected.byteLength);
    expect(actual.byteLength).toBe(expected.byteLength);
    expect(Buffer.compare(actual, Buffer.from(expected))).toBe(0);
    const back = await readGeoTiffFile(path);
    expect(back.width).toBe(r.width);
    expect(Array.from((back.bands[0] as RasterArray).subarray(0, 50))).toEqual(
      Array.from((r.bands[0] as RasterArray).subarray(0, 50)),
    );
    expect(readdirSync(tmp()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports progress for every block', async () => {
    const r = syntheticRaster('uint8', 300, 300, 1);
    const seen: number[] = [];
    const w = await createCogWriter(join(tmp(), 'progress.tif'), {
      width: 300,
      height: 300,
      bands: 1,
      dtype: 'uint8',
      tileSize: 256,
      overviews: [2],
      onProgress: (p) => seen.push(p.done / p.total),
    });
    await w.writeRows(0, r.bands);
    await w.close();
    expect(seen.length).toBe(5); // 4 full-resolution tiles + 1 overview tile
    expect(seen.at(-1)).toBe(1);
  });
});

describe('createCogWriter misuse and failure', () => {
  const opts = { width: 64, height: 40, bands: 2, dtype: 'float32' as DType, tileSize: 256 as const };
  const rows = (n: number): Float32Array[] => [new Float32Array(64 * n), new Float32Array(64 * n)];

  async function code(p: Promise<unknown>): Promise<string | undefined> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as Error).message).toContain('misuse.tif');
    return (err as RasterIoError).code;
  }

  it('rejects rows out of order, wrong lengths, types and band counts, early close and use after close', async () => {
    const path = join(tmp(), 'misuse.tif');
    const w = await createCogWriter(path, opts);
    expect(await code(w.writeRows(1, rows(1)))).toBe('ROWS_OUT_OF_ORDER');
    expect(await code(w.writeRows(0, [new Float32Array(63), new Float32Array(63)]))).toBe('INVALID_ARGUMENT');
    expect(await code(w.writeRows(0, [new Float32Array(64)]))).toBe('INVALID_ARGUMENT');
    expect(await code(w.writeRows(0, [new Float64Array(64), new Float64Array(64)]))).toBe('INVALID_ARGUMENT');
    expect(await code(w.writeRows(0, rows(41)))).toBe('INVALID_ARGUMENT');
    await w.writeRows(0, rows(10)); // misuse above did not break the writer
    expect(w.nextRow).toBe(10);
    expect(await code(w.writeRows(5, rows(1)))).toBe('ROWS_OUT_OF_ORDER');
    expect(await code(w.close())).toBe('ROWS_OUT_OF_ORDER');
    await w.writeRows(10, rows(30));
    await w.close();
    expect(existsSync(path)).toBe(true);
    expect(await code(w.writeRows(40, rows(1)))).toBe('WRITER_CLOSED');
    expect(await code(w.close())).toBe('WRITER_CLOSED');
  });

  it('rejects bad options before touching the disk', async () => {
    const path = join(tmp(), 'misuse.tif');
    await expect(code(createCogWriter(path, { ...opts, width: 0 }))).resolves.toBe('INVALID_ARGUMENT');
    await expect(code(createCogWriter(path, { ...opts, overviews: [4, 2] }))).resolves.toBe(
      'INVALID_ARGUMENT',
    );
    await expect(code(createCogWriter(path, { ...opts, dtype: 'int8' as DType }))).resolves.toBe(
      'UNSUPPORTED_DTYPE',
    );
    await expect(code(createCogWriter(path, { ...opts, dtype: 'uint8', predictor: 3 }))).resolves.toBe(
      'INVALID_ARGUMENT',
    );
    // Sizes whose buffers could not be allocated, and a noData that is not a number: typed refusals.
    await expect(code(createCogWriter(path, { ...opts, width: 2 ** 31 }))).resolves.toBe('INVALID_ARGUMENT');
    await expect(
      code(createCogWriter(path, { ...opts, width: 2 ** 20, height: 2 ** 20, bands: 64 })),
    ).resolves.toBe('INVALID_ARGUMENT');
    await expect(code(createCogWriter(path, { ...opts, noData: '0' as unknown as number }))).resolves.toBe(
      'INVALID_ARGUMENT',
    );
    expect(readdirSync(tmp()).filter((f) => f.startsWith('misuse.tif.'))).toEqual([]);
  });

  it('abort() removes its temporary files and leaves the previous output untouched', async () => {
    const dir = tmp();
    const path = join(dir, 'keep.tif');
    writeFileSync(path, 'previous output');
    const w = await createCogWriter(path, opts);
    await w.writeRows(0, rows(20));
    expect(readdirSync(dir).filter((f) => f.startsWith('keep.tif.')).length).toBe(1); // the parked blocks
    await w.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('keep.tif.'))).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('previous output');
    await expect(w.writeRows(20, rows(1))).rejects.toMatchObject({ code: 'WRITER_CLOSED' });
  });

  it('an aborted signal fails the next call with ABORTED and cleans up', async () => {
    const dir = tmp();
    const path = join(dir, 'signal.tif');
    writeFileSync(path, 'previous output');
    const ac = new AbortController();
    const w = await createCogWriter(path, { ...opts, signal: ac.signal });
    await w.writeRows(0, rows(20));
    ac.abort();
    await expect(w.writeRows(20, rows(20))).rejects.toMatchObject({ code: 'ABORTED' });
    await w.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('signal.tif.'))).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('previous output');
  });

  it('a destination it cannot write fails with WRITE_FAILED and leaves no temporary file', async () => {
    const dir = tmp();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    await expect(createCogWriter(join(blocker, 'out.tif'), opts)).rejects.toMatchObject({
      code: 'WRITE_FAILED',
    });
    // A folder where the file should go: the rename fails at close, the parked blocks are removed.
    const path = join(dir, 'is-a-folder.tif');
    mkdirSync(join(path, 'inside'), { recursive: true });
    const w = await createCogWriter(path, opts);
    await w.writeRows(0, rows(40));
    await expect(w.close()).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    expect(readdirSync(dir).filter((f) => f.startsWith('is-a-folder.tif.'))).toEqual([]);
    expect(readdirSync(path)).toEqual(['inside']);
  });
});
