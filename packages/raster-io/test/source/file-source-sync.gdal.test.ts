// `syncIo`: local files opened, read and closed with synchronous system calls (and their sidecars looked for so),
// as GDAL does. The source must behave as the asynchronous one in every case: the shared ByteSource suite, the
// refusals (missing, folder, device, FIFO, NUL byte, EIO, after close), and whole reads with every sidecar GDAL
// reads (PAM, .msk, world file), windows and threads. And it must make no request to libuv's I/O threads.
import { execFileSync, spawnSync } from 'node:child_process';
import fs, { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGeoTiff, RasterIoError, readMask } from '../../src/index.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { fileSource, openGeoTiffFile, readGeoTiffFile } from '../../src/node.js';
import type { Raster } from '../../src/types.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { fifoOutcomesInChild } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';
import { byteSourceSuite, SUITE_BYTES } from './byte-source.suite.js';

const tmp = useTmpDir('raster-io-sync-io-');

/** A per-dataset mask in a `.msk` sidecar of argv[1], every fifth pixel masked. */
const MAKE_MASK = `
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'NO')
ds = gdal.Open(sys.argv[1], gdal.GA_Update)
ds.CreateMaskBand(gdal.GMF_PER_DATASET)
m = (np.arange(ds.RasterXSize * ds.RasterYSize).reshape(ds.RasterYSize, ds.RasterXSize) % 5 != 0) * 255
ds.GetRasterBand(1).GetMaskBand().WriteArray(m.astype('uint8'))
ds = None
`;
beforeAll(() => writeFileSync(join(tmp(), 'suite.bin'), SUITE_BYTES));

byteSourceSuite('fileSource with syncIo', async () => fileSource(join(tmp(), 'suite.bin'), { syncIo: true }));

/** A read's outcome, comparable across the two modes: pixels, georeferencing and nodata, or the typed error. */
async function outcome(path: string, options: Parameters<typeof readGeoTiffFile>[1] = {}) {
  try {
    const r = await readGeoTiffFile(path, options);
    return {
      bands: r.bands.map((b) => Buffer.from(bytesOf(b)).toString('base64')),
      geo: r.geo,
      noData: r.noData,
      width: r.width,
      height: r.height,
    };
  } catch (e) {
    if (!(e instanceof RasterIoError)) throw e;
    return { code: e.code, message: e.message };
  }
}

function writeTiff(path: string, r: Raster, options: Parameters<typeof encodeGeoTiff>[1] = {}): void {
  writeFileSync(path, encodeGeoTiff(r, options));
}

describe('fileSource with syncIo: the refusals of the asynchronous source', () => {
  const sync = { syncIo: true } as const;

  it('a missing file, a folder, a device and a NUL byte: the same typed errors naming the path', async () => {
    const missing = join(tmp(), 'nope.tif');
    for (const path of [missing, join(tmp(), 'suite.bin', 'x.tif'), tmp(), '/dev/zero', `${missing}\0.tif`]) {
      const want = await outcome(path);
      expect(want).toHaveProperty('code');
      expect(await outcome(path, sync), path).toEqual(want);
      const src = fileSource(path, sync);
      const err = await src.read(0, 16).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(RasterIoError);
      expect((err as Error).message).toContain(path.split('\0')[0]);
      await src.close();
    }
    expect(await outcome(missing, sync)).toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(await outcome(tmp(), sync)).toMatchObject({ code: 'UNREADABLE_FILE' });
  });

  it('a FIFO is refused at once, not waited on (in a child: a blocking open would hang the process)', () => {
    const fifo = join(tmp(), 'pipe.tif');
    execFileSync('mkfifo', [fifo]);
    const r = fifoOutcomesInChild(fifo, sync);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const refused = {
      code: 'UNREADABLE_FILE',
      message: `${fifo}: cannot open for reading (not a regular file)`,
    };
    expect(r.outcomes).toEqual({ read: refused, file: refused });
  });

  it('a read the system fails (EIO) is UNREADABLE_FILE naming the file and the bytes', async () => {
    const path = join(tmp(), 'suite.bin');
    const real = fs.readSync;
    fs.readSync = (() => {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }) as typeof real;
    syncBuiltinESMExports();
    try {
      const src = fileSource(path, sync);
      const err = await src.read(100, 64).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RasterIoError);
      expect(err).toMatchObject({
        code: 'UNREADABLE_FILE',
        message: `${path}: reading bytes 100..163 failed (EIO: i/o error, read)`,
      });
      await src.close();
    } finally {
      fs.readSync = real;
      syncBuiltinESMExports();
    }
  });

  it('reads after close() fail with INVALID_ARGUMENT; close is idempotent; the descriptor is closed', async () => {
    const src = fileSource(join(tmp(), 'suite.bin'), sync);
    expect(Buffer.from(await src.read(5, 3)).equals(Buffer.from(SUITE_BYTES.subarray(5, 8)))).toBe(true);
    const open = fs.readdirSync('/proc/self/fd').length;
    await src.close();
    await src.close();
    expect(fs.readdirSync('/proc/self/fd').length).toBe(open - 1);
    await expect(src.read(0, 4)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('syncIo must be true or false: INVALID_ARGUMENT naming it, before anything is opened', async () => {
    const path = join(tmp(), 'suite.bin');
    for (const bad of ['yes', 1, null, {}]) {
      const options = { syncIo: bad } as unknown as { syncIo: boolean };
      expect(() => fileSource(path, options)).toThrow(RasterIoError);
      expect(() => fileSource(path, options)).toThrow(/fileSource: options\.syncIo must be true or false/);
      await expect(readGeoTiffFile(path, options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(openGeoTiffFile(path, options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('readGeoTiffFile with syncIo: hostile files', () => {
  it("cut, looping and oversized files end in the asynchronous read's typed error naming the file, fast", async () => {
    const r = syntheticRaster('uint16', 300, 200, 3, 9);
    r.geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] };
    const good = Buffer.from(encodeGeoTiff(r, { compression: 'deflate', interleave: 'pixel' }));
    const ifd = good.readUInt32LE(4);
    const entries = good.readUInt16LE(ifd);
    const entryOf = (tag: number) => {
      for (let i = 0; i < entries; i++)
        if (good.readUInt16LE(ifd + 2 + 12 * i) === tag) return ifd + 2 + 12 * i;
      throw new Error(`no tag ${tag}`);
    };
    const variants: [string, Buffer][] = [0, 5, 8, ifd + 7, Math.floor(good.length / 2), good.length - 1].map(
      (n) => [`cut-${n}`, good.subarray(0, n)],
    );
    const loop = Buffer.from(good);
    loop.writeUInt32LE(ifd, ifd + 2 + 12 * entries); // the next directory is this one
    variants.push(['loop', loop]);
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0x7fffffff, entryOf(256) + 8); // ImageWidth 2^31 − 1
    huge.writeUInt16LE(4, entryOf(256) + 2); // as a LONG
    variants.push(['huge', huge]);
    const t0 = performance.now();
    const codes = new Set<string>();
    for (const [name, bytes] of variants) {
      const path = join(tmp(), `${name}.tif`);
      writeFileSync(path, bytes);
      const want = await outcome(path);
      const got = await outcome(path, { syncIo: true });
      expect(got, name).toEqual(want);
      expect(got, name).toHaveProperty('code');
      expect((got as { message: string }).message, name).toContain(path);
      codes.add((got as { code: string }).code);
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(['TRUNCATED']));
    expect(codes.size).toBeGreaterThan(1);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('readGeoTiffFile with syncIo', () => {
  it('no request goes to libuv: the read is under way with no file-system request pending', async () => {
    const path = join(tmp(), 'plain.tif');
    const r = syntheticRaster('uint16', 300, 200, 3, 1);
    r.geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] };
    writeTiff(path, r, { compression: 'deflate', tiled: true, tileSize: 256, interleave: 'pixel' });
    const pending = () => process.getActiveResourcesInfo().filter((k) => k.startsWith('FSReq'));
    const before = pending().length;
    const asyncRead = readGeoTiffFile(path);
    expect(pending().length).toBeGreaterThan(before); // the check can see requests when there are some
    await asyncRead;
    const syncRead = readGeoTiffFile(path, { syncIo: true });
    expect(pending().length).toBe(before);
    await syncRead;
  });

  it.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
    'reads what the asynchronous source reads: PAM, .msk and world-file sidecars, windows, band subsets, threads',
    async () => {
      const dir = tmp();
      const geo = syntheticRaster('uint16', 700, 600, 3, 2);
      geo.geo = { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] };
      const layout = { compression: 'deflate', tiled: true, tileSize: 256, interleave: 'pixel' } as const;
      writeTiff(join(dir, 'geo.tif'), geo, layout);
      // PAM: nodata and a geotransform that win over the file's own
      writeTiff(join(dir, 'pam.tif'), geo, layout);
      writeFileSync(
        join(dir, 'pam.tif.aux.xml'),
        '<PAMDataset>\n  <GeoTransform>  4.0e+05,  2.0e+01,  0.0e+00,  5.0e+06,  0.0e+00, -2.0e+01</GeoTransform>\n' +
          [1, 2, 3]
            .map((b) => `  <PAMRasterBand band="${b}"><NoDataValue>7</NoDataValue></PAMRasterBand>\n`)
            .join('') +
          '</PAMDataset>\n',
      );
      // a .msk sidecar, as GDAL writes one (GDAL_TIFF_INTERNAL_MASK=NO)
      writeTiff(join(dir, 'masked.tif'), geo, layout);
      const made = spawnSync(PYTHON_GDAL as string, ['-c', MAKE_MASK, join(dir, 'masked.tif')], {
        encoding: 'utf8',
      });
      expect(made.status, made.stderr).toBe(0);
      // no geotransform in the file: the world file gives it
      const bare = syntheticRaster('uint8', 300, 170, 4, 4);
      writeTiff(join(dir, 'bare.tif'), bare, { compression: 'deflate', interleave: 'pixel' });
      writeFileSync(join(dir, 'bare.tfw'), '0.5\n0\n0\n-0.5\n100.25\n200.25\n');
      const reads: Parameters<typeof readGeoTiffFile>[1][] = [
        {},
        { window: { x: 101, y: 37, width: 190, height: 120 } },
        { bands: [2, 0] },
        { threads: 2 },
        { threads: 2, window: { x: 3, y: 29, width: 290, height: 140 } },
      ];
      for (const name of ['geo.tif', 'pam.tif', 'masked.tif', 'bare.tif']) {
        const path = join(dir, name);
        for (const options of reads) {
          const want = await outcome(path, options);
          expect(want, `${name} ${JSON.stringify(options)}`).toHaveProperty('bands');
          expect(
            await outcome(path, { ...options, syncIo: true }),
            `${name} ${JSON.stringify(options)}`,
          ).toEqual(want);
        }
      }
      expect((await readGeoTiffFile(join(dir, 'pam.tif'), { syncIo: true })).noData).toBe(7);
      expect((await readGeoTiffFile(join(dir, 'bare.tif'), { syncIo: true })).geo?.transform).toEqual([
        100, 0.5, 0, 200.5, 0, -0.5,
      ]);
      // the .msk pairs as it does asynchronously, and its mask reads the same
      const masks = [];
      for (const syncIo of [false, true]) {
        const tiff = await openGeoTiffFile(join(dir, 'masked.tif'), { syncIo });
        try {
          expect(tiff.levels[0]?.mask?.file).toBe(join(dir, 'masked.tif.msk'));
          const m = await readMask(tiff);
          masks.push(Buffer.from(bytesOf(m?.mask as Uint8Array)).toString('base64'));
        } finally {
          await tiff.close();
        }
      }
      expect(masks[1]).toBe(masks[0]);
    },
  );
});
