// Reads with threads: 2 decode large reads on the worker pool: pixels, filled blocks and errors must be exactly
// those of the single-thread path, small reads must not start the pool, and the built package (ESM and CJS)
// must find its worker script and let the process exit.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RasterIoError } from '../../src/errors.js';
import {
  type ByteSource,
  type FileByteSource,
  fileSource,
  memorySource,
  NODE_CODECS,
  nodeBlockDecoder,
  openGeoTiff,
  openGeoTiffFile,
  readGeoTiffFile,
  readRaster,
  writeGeoTiff,
} from '../../src/node.js';
import { decodeWorkerCount } from '../../src/read/decode-pool.node.js';
import type { DType, RasterArray } from '../../src/types.js';
import { blockLocations } from '../support/block-locations.js';
import { gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-parallel-');
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** A 620×580 file (3 bands unless told) (over the 1 MiB parallel threshold) rewritten by gdal_translate with `co`. */
async function gdalFile(dtype: DType, co: string[], tag: string, bands = 3): Promise<string> {
  const plain = `${tmp()}/src-${dtype}-${bands}.tif`;
  if (!existsSync(plain)) await writeGeoTiff(plain, syntheticRaster(dtype, 620, 580, bands, 9));
  const out = `${tmp()}/${tag}.tif`;
  gdalTranslate([...co.flatMap((c) => ['-co', c]), plain, out]);
  return out;
}

/** An array of `a`'s type and length, plain or shared, full of 0xa5 bytes. */
function dirtyLike<T extends RasterArray>(a: T, shared: boolean): T {
  const buffer = shared ? new SharedArrayBuffer(a.byteLength) : new ArrayBuffer(a.byteLength);
  new Uint8Array(buffer).fill(0xa5);
  return new (a.constructor as new (b: ArrayBufferLike) => T)(buffer);
}

/** A 128-px deflate-tiled uint16 file and its tiles' offsets (to damage it at a known place). */
async function tiledFile(tag: string): Promise<{ path: string; offsets: number[] }> {
  const path = await gdalFile(
    'uint16',
    ['COMPRESS=DEFLATE', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=128'],
    tag,
  );
  const { offsets } = await blockLocations(path);
  return { path, offsets };
}

/** The typed error a whole-file read with `threads` fails with. */
async function errorOf(path: string, threads: number): Promise<{ code: string; message: string }> {
  const err = await readGeoTiffFile(path, { threads }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RasterIoError);
  return { code: (err as RasterIoError).code, message: (err as RasterIoError).message };
}

/** `file` with a promise that settles once a read has borrowed its descriptor for the workers. */
function lendingWatched(file: FileByteSource): { source: ByteSource; lent: Promise<void> } {
  let onLent = () => {};
  const lent = new Promise<void>((resolve) => {
    onLent = resolve;
  });
  const source: ByteSource = {
    name: file.name,
    get size() {
      return file.size;
    },
    preferredReadBytes: file.preferredReadBytes,
    read: (offset, length, signal) => file.read(offset, length, signal),
    readInto: (offset, target, signal) =>
      (file.readInto as NonNullable<ByteSource['readInto']>)(offset, target, signal),
    async lendFile(signal) {
      const borrowed = await (file.lendFile as NonNullable<ByteSource['lendFile']>)(signal);
      onLent();
      return borrowed;
    },
    close: () => file.close(),
  };
  return { source, lent };
}

type LentFile = NonNullable<Awaited<ReturnType<NonNullable<ByteSource['lendFile']>>>>;

/** `file` read as it is, whose descriptor lent to the workers goes through `lend` first. */
function lendingThrough(file: FileByteSource, lend: (borrowed: LentFile) => LentFile): ByteSource {
  return {
    name: file.name,
    get size() {
      return file.size;
    },
    read: (offset, length, signal) => file.read(offset, length, signal),
    async lendFile(signal) {
      const borrowed = await (file.lendFile as NonNullable<ByteSource['lendFile']>)(signal);
      return borrowed && lend(borrowed);
    },
    close: () => file.close(),
  };
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('parallel block decoding', () => {
  it('small reads stay on the calling thread (no worker started)', async () => {
    const path = await gdalFile('uint16', ['COMPRESS=DEFLATE', 'TILED=YES'], 'small');
    const one = await readGeoTiffFile(path, {
      threads: 2,
      window: { x: 10, y: 10, width: 100, height: 100 },
    });
    const two = await readGeoTiffFile(path, { threads: 2, window: { x: 0, y: 0, width: 620, height: 256 } });
    expect(one.bands[0]?.length).toBe(100 * 100);
    expect(two.bands[2]?.length).toBe(620 * 256);
    expect(decodeWorkerCount()).toBe(0);
  });

  const cases: [DType, string[], number?][] = [
    ['uint16', ['COMPRESS=DEFLATE', 'TILED=YES']],
    ['uint16', ['COMPRESS=LZW', 'PREDICTOR=2']],
    ['uint16', ['COMPRESS=NONE']],
    ['uint16', ['COMPRESS=PACKBITS', 'INTERLEAVE=BAND', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=64']],
    ['uint16', ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'ENDIANNESS=BIG']],
    ['float32', ['COMPRESS=DEFLATE', 'PREDICTOR=3']],
    ['float32', ['COMPRESS=LZW', 'PREDICTOR=3', 'TILED=YES', 'INTERLEAVE=BAND']],
    ['float64', ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'TILED=YES']],
    ['uint8', ['COMPRESS=LZW', 'BLOCKYSIZE=3']],
    ['int16', ['COMPRESS=DEFLATE', 'PREDICTOR=2', 'INTERLEAVE=BAND']],
    // four pixel-interleaved bands: the one-pass split of whole reads
    ['uint8', ['COMPRESS=DEFLATE', 'TILED=YES'], 4],
    ['uint16', ['COMPRESS=LZW', 'PREDICTOR=2'], 4],
    ['float32', ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'TILED=YES'], 4],
    ['float64', ['COMPRESS=LZW'], 4],
  ];
  it.each(cases.map(([d, c, b]) => [d, c, b ?? 3] as const))(
    '%s %s (%s bands): threads 2 equal to threads 1 and the source, whole file, window and band subset',
    async (dtype, co, bands) => {
      const path = await gdalFile(dtype, co, `${dtype}-${bands}-${co.join('-')}`, bands);
      const source = syntheticRaster(dtype, 620, 580, bands, 9);
      const whole = await readGeoTiffFile(path);
      // byte comparison: toEqual over 360 000-sample arrays took most of a case's 8–44 s on a loaded runner
      for (const [b, a] of source.bands.entries()) {
        expect(whole.bands[b]?.constructor).toBe(a.constructor);
        expect(sameBytes(whole.bands[b] as typeof a, a), `band ${b}`).toBe(true);
      }
      const reads = [{}, { window: { x: 37, y: 3, width: 577, height: 569 }, bands: [2, 0] }];
      for (const r of reads) {
        const single = await readGeoTiffFile(path, r);
        const multi = await readGeoTiffFile(path, { ...r, threads: 2 });
        expect(multi.bands.length).toBe(single.bands.length);
        for (const [b, a] of single.bands.entries()) {
          const m = multi.bands[b] as typeof a;
          expect(m.constructor).toBe(a.constructor);
          expect(m.buffer instanceof SharedArrayBuffer).toBe(false); // callers get plain buffers
          expect(
            Buffer.from(m.buffer, m.byteOffset, m.byteLength).equals(
              Buffer.from(a.buffer, a.byteOffset, a.byteLength),
            ),
          ).toBe(true);
        }
        expect(multi.geo).toEqual(single.geo);
        // into the caller's arrays, plain or shared, holding garbage: the same bytes, in those arrays
        for (const [threads, shared] of [
          [1, false],
          [2, false],
          [2, true],
        ] as const) {
          const into = single.bands.map((a) => dirtyLike(a, shared));
          const got = await readGeoTiffFile(path, { ...r, threads, into });
          for (const [b, a] of single.bands.entries()) {
            expect(got.bands[b]).toBe(into[b]);
            expect(sameBytes(got.bands[b] as typeof a, a), `threads ${threads} shared ${shared}`).toBe(true);
          }
        }
      }
      expect(decodeWorkerCount()).toBe(2);
    },
    180_000,
  );

  it('a corrupt tile: the same CORRUPT_BLOCK error, and with fill the same filled blocks and pixels', async () => {
    const { path, offsets } = await tiledFile('corrupt');
    const bytes = readFileSync(path);
    for (const t of [6, 17]) bytes.fill(0xff, (offsets[t] as number) + 2, (offsets[t] as number) + 40);
    writeFileSync(path, bytes);
    const e1 = await errorOf(path, 1);
    expect(e1.code).toBe('CORRUPT_BLOCK');
    expect(e1.message).toContain('tile 6');
    expect(await errorOf(path, 2)).toEqual(e1);
    const f1 = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
    const f2 = await readGeoTiffFile(path, { onCorruptBlock: 'fill', threads: 2 });
    expect(f1.filledBlocks?.map((b) => b.index)).toEqual([6, 17]);
    expect(f2.filledBlocks).toEqual(f1.filledBlocks);
    for (const [b, a] of f1.bands.entries()) expect(f2.bands[b]).toEqual(a);
    // filled blocks are cleared in the caller's arrays too (they held garbage before)
    for (const [threads, shared] of [
      [1, false],
      [2, false],
      [2, true],
    ] as const) {
      const into = f1.bands.map((a) => dirtyLike(a, shared));
      const f = await readGeoTiffFile(path, { onCorruptBlock: 'fill', threads, into });
      expect(f.filledBlocks).toEqual(f1.filledBlocks);
      for (const [b, a] of f1.bands.entries()) expect(sameBytes(f.bands[b] as typeof a, a)).toBe(true);
    }
  });

  it('a header claiming 65 535 samples per pixel fails on workers as fast as here (it took seconds and 4 GiB)', async () => {
    const path = await gdalFile(
      'float32',
      ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16', 'COMPRESS=DEFLATE'],
      'spp',
      1,
    );
    const bytes = readFileSync(path);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const ifd = v.getUint32(4, true);
    for (let i = 0; i < v.getUint16(ifd, true); i++)
      if (v.getUint16(ifd + 2 + 12 * i, true) === 277) v.setUint16(ifd + 2 + 12 * i + 8, 65535, true);
    writeFileSync(path, bytes);
    const window = { x: 30, y: 12, width: 6, height: 11 };
    const outcomes = [];
    for (const threads of [1, 2]) {
      const rss = process.memoryUsage().rss;
      const started = performance.now();
      const tiff = await openGeoTiffFile(path);
      const err = await readRaster(tiff, { window, threads }).catch((e: unknown) => e);
      await tiff.close();
      outcomes.push([(err as RasterIoError).code, (err as Error).message]);
      expect(performance.now() - started, `threads ${threads}`).toBeLessThan(2000);
      expect(process.memoryUsage().rss - rss, `threads ${threads}`).toBeLessThan(512 * 2 ** 20);
    }
    expect(outcomes[0]?.[0]).toBe('CORRUPT_BLOCK');
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('a truncated file: workers reading the lent file fail like the calling thread, and fill the same blocks', async () => {
    const { path, offsets } = await tiledFile('truncated');
    // cut the file inside the last tile in file order: that tile is short, the ones after it are missing
    const order = offsets.map((o, t) => [o, t] as const).sort((a, b) => a[0] - b[0]);
    const [cutAt, cutTile] = order[order.length - 3] as readonly [number, number];
    writeFileSync(path, readFileSync(path).subarray(0, cutAt + 10));
    const e1 = await errorOf(path, 1);
    expect(e1.code).toBe('TRUNCATED');
    expect(e1.message).toContain(`tile ${cutTile} `);
    expect(await errorOf(path, 2)).toEqual(e1);
    const f1 = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
    const f2 = await readGeoTiffFile(path, { onCorruptBlock: 'fill', threads: 2 });
    expect(f1.filledBlocks?.map((b) => b.index).sort((a, b) => a - b)).toEqual(
      order
        .slice(-3)
        .map(([, t]) => t)
        .sort((a, b) => a - b),
    );
    expect(f2.filledBlocks).toEqual(f1.filledBlocks);
    for (const [b, a] of f1.bands.entries()) expect(sameBytes(f2.bands[b] as typeof a, a)).toBe(true);
  });

  it('close() during a threaded read waits for the workers reading the file, and the read completes', async () => {
    const path = await gdalFile('float32', ['COMPRESS=DEFLATE', 'PREDICTOR=3', 'TILED=YES'], 'close-race');
    const want = await readGeoTiffFile(path);
    for (let i = 0; i < 3; i++) {
      const { source, lent } = lendingWatched(fileSource(path));
      const tiff = await openGeoTiff(source, { blockDecoder: nodeBlockDecoder, codecs: NODE_CODECS });
      const events: string[] = [];
      const read = readRaster(tiff, { threads: 2 }).then((r) => {
        events.push('read');
        return r;
      });
      await lent; // the workers have the descriptor: closing now must wait for them
      const closed = tiff.close().then(() => events.push('closed'));
      const [got] = await Promise.all([read, closed]);
      expect(events).toEqual(['read', 'closed']);
      for (const [b, a] of want.bands.entries()) expect(sameBytes(got.bands[b] as typeof a, a)).toBe(true);
    }
  });

  it('sources that lend no file (memory, HTTP) send their blocks to the workers: same pixels and errors', async () => {
    const path = await gdalFile('uint16', ['COMPRESS=LZW', 'PREDICTOR=2', 'TILED=YES'], 'memory');
    const bytes = new Uint8Array(readFileSync(path));
    const open = (b: Uint8Array) =>
      openGeoTiff(memorySource(b, 'in-memory.tif'), { blockDecoder: nodeBlockDecoder, codecs: NODE_CODECS });
    const want = await readRaster(await open(bytes), { threads: 1 });
    const got = await readRaster(await open(bytes), { threads: 2 });
    for (const [b, a] of want.bands.entries()) expect(sameBytes(got.bands[b] as typeof a, a)).toBe(true);
    const cut = bytes.subarray(0, bytes.byteLength - 5000);
    const e1 = await readRaster(await open(cut), { threads: 1 }).catch((e: unknown) => e);
    const e2 = await readRaster(await open(cut), { threads: 2 }).catch((e: unknown) => e);
    expect((e1 as RasterIoError).code).toBe('TRUNCATED');
    expect((e2 as RasterIoError).message).toBe((e1 as RasterIoError).message);
  });

  it('progress counts every block once with workers, and an abort stops them taking blocks', async () => {
    const tiled = await gdalFile(
      'uint16',
      ['COMPRESS=DEFLATE', 'TILED=YES', 'BLOCKXSIZE=128', 'BLOCKYSIZE=128'],
      'progress',
    );
    const seen: number[] = [];
    await readGeoTiffFile(tiled, { threads: 2, onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1)); // 5 × 5 tiles of 128 px

    // 4000 one-row LZW strips, aborted once the workers have the file but before they take a strip: they
    // find the shared counter past the end and decode nothing (no timing involved: without the counter's
    // stop they would decode all 4000, each reported as progress)
    const big = `${tmp()}/abort-src.tif`;
    const source = syntheticRaster('uint16', 2000, 4000, 1, 5);
    await writeGeoTiff(big, source);
    const lzw = `${tmp()}/abort-lzw.tif`;
    gdalTranslate(['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', '-co', 'BLOCKYSIZE=1', big, lzw]);
    const controller = new AbortController();
    const file = fileSource(lzw);
    const abortingOnLend = lendingThrough(file, (borrowed) => {
      controller.abort(new Error('enough'));
      return borrowed;
    });
    const tiff = await openGeoTiff(abortingOnLend, { blockDecoder: nodeBlockDecoder, codecs: NODE_CODECS });
    let decoded = 0;
    const err = await readRaster(tiff, {
      threads: 2,
      signal: controller.signal,
      onProgress: (p) => {
        decoded = p.done;
      },
    }).catch((e: unknown) => e);
    await tiff.close();
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as RasterIoError).code).toBe('ABORTED');
    expect(decoded).toBe(0);
    // the pool is free for the next read, which is whole
    const whole = await readGeoTiffFile(lzw, { threads: 2 });
    expect(sameBytes(whole.bands[0] as Uint16Array, source.bands[0] as Uint16Array)).toBe(true);
  });

  it('a lent descriptor the workers cannot read is UNREADABLE_FILE naming the file, the block and its bytes', async () => {
    const { path, offsets } = await tiledFile('lent-unreadable');
    const want = await readGeoTiffFile(path);
    const file = fileSource(path);
    // the workers get a descriptor of a folder: every read of it fails (EISDIR), as a failing disk's would (EIO)
    let folderFd = -1;
    let released = 0;
    const lendingAFolder = lendingThrough(file, (borrowed) => {
      folderFd = openSync(tmp(), 'r');
      return {
        fd: folderFd,
        size: borrowed.size,
        release: () => {
          released++;
          closeSync(folderFd);
          borrowed.release();
        },
      };
    });
    const tiff = await openGeoTiff(lendingAFolder, { blockDecoder: nodeBlockDecoder, codecs: NODE_CODECS });
    const err = await readRaster(tiff, { threads: 2 }).catch((e: unknown) => e);
    await tiff.close();
    expect(folderFd).toBeGreaterThanOrEqual(0);
    expect(err).toBeInstanceOf(RasterIoError);
    const { code, message } = err as RasterIoError;
    // the first block in file order, as the single-thread path would name it
    const first = offsets.indexOf(Math.min(...offsets));
    expect(code).toBe('UNREADABLE_FILE');
    expect(message).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: IFD 0, tile ${first}: reading bytes ${offsets[first]}\\.\\.\\d+ failed \\(EISDIR`,
      ),
    );
    // the descriptor went back once, and the pool still reads whole files
    expect(released).toBe(1);
    const again = await readGeoTiffFile(path, { threads: 2 });
    expect(sameBytes(again.bands[1] as Uint16Array, want.bands[1] as Uint16Array)).toBe(true);
  });

  it('threads must be a positive integer', async () => {
    const path = await gdalFile('uint16', ['COMPRESS=DEFLATE', 'TILED=YES'], 'small');
    for (const threads of [0, 1.5, Number.NaN]) {
      await expect(readGeoTiffFile(path, { threads })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('the built package (ESM and CJS) finds its worker and the process exits by itself', async () => {
    const path = await gdalFile('uint16', ['COMPRESS=LZW', 'PREDICTOR=2'], 'dist');
    const want = await readGeoTiffFile(path);
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => (s + v) % 2147483647, 0);
    const script = (load: string) =>
      `${load}.then(async (m) => { const r = await m.readGeoTiffFile(${JSON.stringify(path)}, { threads: 2 }); ` +
      `console.log(JSON.stringify(r.bands.map((a) => Array.from(a).reduce((s, v) => (s + v) % 2147483647, 0)))); });`;
    for (const [file, load] of [
      ['esm.mjs', `import(${JSON.stringify(`${dist}node.js`)})`],
      ['cjs.cjs', `Promise.resolve(require(${JSON.stringify(`${dist}node.cjs`)}))`],
    ] as const) {
      writeFileSync(`${tmp()}/${file}`, script(load));
      // no explicit exit: an idle pool that kept the process alive would hit the timeout
      const { NODE_OPTIONS: _, ...env } = process.env;
      const r = spawnSync(process.execPath, [`${tmp()}/${file}`], { encoding: 'utf8', timeout: 60_000, env });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(want.bands.map(sum));
    }
  });

  it('workers the pool starts but never uses (threads > blocks) do not keep the process alive', () => {
    // A 300² deflate write makes one task for 2 threads; a 1024² read of 4 tiles gets 20 threads. The second
    // worker of each never had a message: it used to stay ref'd, and the child never exited.
    const out = `${tmp()}/idle-pool.tif`;
    const script =
      `import(${JSON.stringify(`${dist}node.js`)}).then(async (m) => {\n` +
      `  const mode = process.argv[2];\n` +
      `  const n = mode === 'write' ? 300 : 1024;\n` +
      `  const a = new Uint16Array(n * n).map((_, i) => i % 4093);\n` +
      `  const raster = { width: n, height: n, dtype: 'uint16', bands: [a] };\n` +
      `  if (mode === 'write') await m.writeGeoTiff(${JSON.stringify(out)}, raster, { compression: 'deflate', threads: 2 });\n` +
      `  else {\n` +
      `    await m.writeGeoTiff(${JSON.stringify(out)}, raster, { compression: 'deflate', tiled: true, tileSize: 512 });\n` +
      `    const r = await m.readGeoTiffFile(${JSON.stringify(out)}, { threads: 20 });\n` +
      `    if (r.bands[0][n * n - 1] !== a[n * n - 1]) throw new Error('wrong pixels');\n` +
      `  }\n` +
      `  console.log('settled');\n` +
      `});\n`;
    writeFileSync(`${tmp()}/idle-pool.mjs`, script);
    const { NODE_OPTIONS: _, ...env } = process.env;
    for (const mode of ['write', 'read']) {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [`${tmp()}/idle-pool.mjs`, mode], {
        encoding: 'utf8',
        timeout: 20_000,
        env,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('settled');
      expect(r.signal).toBeNull(); // not killed by the timeout
      expect(r.status).toBe(0);
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
  });
});
