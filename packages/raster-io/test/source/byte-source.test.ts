import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type BlockCacheOptions,
  type ByteSource,
  blockCache,
  encodeGeoTiff,
  httpSource,
  memorySource,
  openGeoTiff,
  RasterIoError,
  readRaster,
} from '../../src/index.js';
import { fileSource, readGeoTiffFile } from '../../src/node.js';
import { type RangeServer, startRangeServer } from '../support/range-server.js';
import { fifoOutcomesInChild } from '../support/read-child.js';
import { useTmpDir } from '../support/tmp.js';
import { byteSourceSuite, SUITE_BYTES } from './byte-source.suite.js';

const tmp = useTmpDir();
let server: RangeServer;
beforeAll(async () => {
  server = await startRangeServer();
  server.files.set('suite.bin', SUITE_BYTES);
  writeFileSync(join(tmp(), 'suite.bin'), SUITE_BYTES);
});
afterAll(() => server.close());

byteSourceSuite('memorySource', async () => memorySource(SUITE_BYTES, 'suite'));
byteSourceSuite('memorySource over an ArrayBuffer', async () =>
  memorySource(SUITE_BYTES.slice().buffer, 'suite'),
);
byteSourceSuite('memorySource over a SharedArrayBuffer', async () => {
  const shared = new Uint8Array(new SharedArrayBuffer(SUITE_BYTES.byteLength));
  shared.set(SUITE_BYTES);
  return memorySource(shared.buffer, 'suite');
});
byteSourceSuite('fileSource', async () => fileSource(join(tmp(), 'suite.bin')));

describe('memorySource arguments', () => {
  it('anything but bytes or a buffer is INVALID_ARGUMENT (a number made a zero-filled "file" of that length)', () => {
    for (const bad of [
      42,
      -1,
      'abc',
      [1, 2, 3],
      new DataView(new ArrayBuffer(8)),
      new Uint16Array(4),
      null,
      {},
    ]) {
      let err: unknown;
      try {
        memorySource(bad as Uint8Array);
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(RasterIoError);
      expect((err as RasterIoError).code).toBe('INVALID_ARGUMENT');
      expect((err as RasterIoError).message).toMatch(
        /^memorySource: bytes must be a Uint8Array or an ArrayBuffer, got /,
      );
    }
    expect(() => memorySource(SUITE_BYTES, 7 as unknown as string)).toThrow(
      /memorySource: name must be a string/,
    );
    expect(memorySource(Buffer.from(SUITE_BYTES)).size).toBe(SUITE_BYTES.byteLength);
  });

  it('takes bytes and buffers from another realm (vm context), as the same bytes', async () => {
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext(
      '(n) => { const a = new Uint8Array(n); for (let i = 0; i < n; i++) a[i] = (i * 7) & 255; return a; }',
    )(64) as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false); // really another realm's class
    for (const bytes of [foreign, foreign.buffer]) {
      const src = memorySource(bytes);
      expect(src.size).toBe(64);
      expect([...(await src.read(8, 4))]).toEqual([56, 63, 70, 77]);
    }
  });
});
byteSourceSuite('httpSource', async () => httpSource(server.url('/files/suite.bin')));
byteSourceSuite('httpSource on a server that ignores Range (200)', async () =>
  httpSource(server.url('/norange/suite.bin')),
);
byteSourceSuite('blockCache(httpSource), 4 KiB blocks', async () =>
  blockCache(httpSource(server.url('/files/suite.bin')), { blockSize: 4096, maxBlocks: 8 }),
);
byteSourceSuite('blockCache(memorySource), default blocks', async () =>
  blockCache(memorySource(SUITE_BYTES)),
);

describe('fileSource specifics', () => {
  it('a missing file → FILE_NOT_FOUND, a folder → UNREADABLE_FILE, each naming the path', async () => {
    const missing = join(tmp(), 'nope.tif');
    const notFound = {
      name: 'RasterIoError',
      code: 'FILE_NOT_FOUND',
      message: expect.stringContaining(missing),
    };
    await expect(fileSource(missing).read(0, 4)).rejects.toMatchObject(notFound);
    await expect(fileSource(missing).readInto?.(0, new Uint8Array(4))).rejects.toMatchObject(notFound);
    await expect(readGeoTiffFile(missing)).rejects.toMatchObject(notFound);
    // a path through a regular file (ENOTDIR) is as missing
    await expect(readGeoTiffFile(join(tmp(), 'suite.bin', 'x.tif'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const folder = {
      code: 'UNREADABLE_FILE',
      message: `${tmp()}: cannot open for reading (not a regular file)`,
    };
    await expect(fileSource(tmp()).read(0, 4)).rejects.toMatchObject(folder);
    await expect(readGeoTiffFile(tmp())).rejects.toMatchObject(folder);
    // a path fs refuses outright (a NUL byte): the file's own error, the sidecar lookups beside it answer "none"
    await expect(readGeoTiffFile(`${join(tmp(), 'suite.bin')}\0.tif`)).rejects.toMatchObject({
      name: 'RasterIoError',
      code: 'UNREADABLE_FILE',
      message: expect.stringContaining('null bytes'),
    });
  });

  it('a file the system will not open (EACCES) → UNREADABLE_FILE naming the path, the error kept as cause', async () => {
    const path = join(tmp(), 'suite.bin');
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    const real = fsp.open;
    fsp.open = (async () => {
      throw denied;
    }) as typeof real;
    syncBuiltinESMExports();
    try {
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RasterIoError);
      expect(err).toMatchObject({
        code: 'UNREADABLE_FILE',
        message: `${path}: cannot open for reading (EACCES: permission denied, open '${path}')`,
        cause: denied,
      });
    } finally {
      fsp.open = real;
      syncBuiltinESMExports();
    }
  });

  it('a FIFO is refused as not a regular file, at once (opening it used to wait for a writer for ever)', () => {
    const fifo = join(tmp(), 'pipe.tif');
    execFileSync('mkfifo', [fifo]);
    // in a child: on the old code the open blocked a thread-pool thread that even process.exit() waits for
    const t0 = Date.now();
    const r = fifoOutcomesInChild(fifo);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const refused = {
      code: 'UNREADABLE_FILE',
      message: `${fifo}: cannot open for reading (not a regular file)`,
    };
    expect(r.outcomes).toEqual({ read: refused, file: refused });
  });

  it('the first read, made beside the fstat: exact bytes for small and large first reads, short past the end', async () => {
    const big = new Uint8Array(3 * 2 ** 20 + 5);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 255;
    const path = join(tmp(), 'big.bin');
    writeFileSync(path, big);
    const cases: [number, number][] = [
      [0, 16384], // a header block: read before the size is known
      [big.length - 10, 4096], // runs past the end: clipped to the size the fstat found
      [big.length + 7, 100], // wholly past the end
      [123, 2 * 2 ** 20], // larger than a first read made blind: waits for the size
    ];
    for (const [offset, length] of cases) {
      const want = big.subarray(Math.min(offset, big.length), Math.min(offset + length, big.length));
      const viaRead = fileSource(path);
      expect(Buffer.from(await viaRead.read(offset, length)).equals(want), `read ${offset}+${length}`).toBe(
        true,
      );
      expect(viaRead.size).toBe(big.length);
      await viaRead.close();
      const viaInto = fileSource(path);
      const target = new Uint8Array(length).fill(7);
      const n = await viaInto.readInto?.(offset, target);
      expect(n, `readInto ${offset}+${length}`).toBe(want.length);
      expect(Buffer.from(target.subarray(0, n)).equals(want)).toBe(true);
      await viaInto.close();
    }
  });

  it('a read the system fails (EIO) is UNREADABLE_FILE naming the file and the bytes, on the first read and later', async () => {
    const path = join(tmp(), 'suite.bin');
    const real = fsp.open;
    fsp.open = (async (...args: Parameters<typeof real>) => {
      const h = await real(...args);
      h.read = (async () => {
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      }) as typeof h.read;
      return h;
    }) as typeof real;
    syncBuiltinESMExports();
    try {
      for (const [offset, length] of [
        [0, 64],
        [0, 2 * 2 ** 20],
      ] as const) {
        const src = fileSource(path);
        const err = await src.read(offset, length).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RasterIoError);
        expect(err).toMatchObject({ code: 'UNREADABLE_FILE' });
        expect((err as Error).message).toMatch(
          new RegExp(`^${path}: reading bytes 0\\.\\.\\d+ failed \\(EIO`),
        );
        await src.close();
      }
      await expect(readGeoTiffFile(path)).rejects.toMatchObject({ code: 'UNREADABLE_FILE' });
    } finally {
      fsp.open = real;
      syncBuiltinESMExports();
    }
    // a file of size 0 whose read fails (/proc/self/mem) is read as empty, as before: nothing was to be read
    await expect(readGeoTiffFile('/proc/self/mem')).rejects.toMatchObject({ code: 'TRUNCATED' });
  });

  it('a character device is refused as not a regular file, its bytes never returned', async () => {
    const refused = {
      code: 'UNREADABLE_FILE',
      message: '/dev/zero: cannot open for reading (not a regular file)',
    };
    const src = fileSource('/dev/zero');
    await expect(src.read(0, 16)).rejects.toMatchObject(refused);
    await src.close();
    const into = fileSource('/dev/zero');
    const target = new Uint8Array(16).fill(9);
    await expect(into.readInto?.(0, target)).rejects.toMatchObject(refused);
    await into.close();
    await expect(readGeoTiffFile('/dev/zero')).rejects.toMatchObject(refused);
  });

  it('reads after close() fail with INVALID_ARGUMENT; close is idempotent', async () => {
    const src = fileSource(join(tmp(), 'suite.bin'));
    await src.read(0, 1);
    await src.close();
    await src.close();
    await expect(src.read(0, 4)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe("a caller's ByteSource that throws its own errors", () => {
  it('open and read fail with a RasterIoError naming the source and keeping the error as cause', async () => {
    const boom = new TypeError('boom');
    const failing: ByteSource = {
      name: 'custom-source',
      read: async () => {
        throw boom;
      },
    };
    const opened = await openGeoTiff(failing).catch((e: unknown) => e);
    expect(opened).toBeInstanceOf(RasterIoError);
    expect(opened).toMatchObject({ code: 'CORRUPT_TIFF', cause: boom });
    expect((opened as Error).message).toMatch(/^custom-source: unexpected failure opening the TIFF \(boom\)/);
    // a source that fails only once the header is in: the pixel reads
    const file = encodeGeoTiff(
      { width: 64, height: 64, dtype: 'uint8', bands: [new Uint8Array(64 * 64).fill(3)] },
      { compression: 'deflate' },
    );
    const header = memorySource(file, 'late-failing');
    let fail = false;
    const late: ByteSource = {
      name: 'late-failing',
      read: (o, l, signal) => (fail ? Promise.reject(new RangeError('late')) : header.read(o, l, signal)),
    };
    const tiff = await openGeoTiff(late);
    fail = true;
    const read = await readRaster(tiff).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(RasterIoError);
    expect((read as Error).message).toContain('late-failing');
  });
});

describe('fileSource readInto', () => {
  it('reads into memory the caller chooses (shared too), short at the end, checked like read', async () => {
    const src = fileSource(join(tmp(), 'suite.bin'));
    const shared = new Uint8Array(new SharedArrayBuffer(1000));
    expect(await src.readInto?.(123, shared)).toBe(1000);
    expect(Buffer.from(shared).equals(SUITE_BYTES.subarray(123, 1123))).toBe(true);
    const tail = new Uint8Array(64);
    expect(await src.readInto?.(SUITE_BYTES.length - 10, tail)).toBe(10);
    expect(Array.from(tail.subarray(0, 10))).toEqual(Array.from(SUITE_BYTES.subarray(-10)));
    expect(await src.readInto?.(SUITE_BYTES.length + 5, tail)).toBe(0);
    await expect(src.readInto?.(-1, tail)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const aborted = AbortSignal.abort();
    await expect(src.readInto?.(0, tail, aborted)).rejects.toMatchObject({ code: 'ABORTED' });
    await src.close();
    await expect(src.readInto?.(0, tail)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a closed source that never opened its file does not open it to read', async () => {
    const src = fileSource(join(tmp(), 'suite.bin'));
    await src.close();
    await expect(src.read(0, 4)).rejects.toMatchObject({ message: expect.stringContaining('after close()') });
  });
});

describe('blockCache specifics', () => {
  it('merges adjacent missing blocks into one read and serves repeats from the cache', async () => {
    const reads: [number, number][] = [];
    const base = memorySource(SUITE_BYTES);
    const counted = {
      ...base,
      name: 'counted',
      size: base.size,
      read: (o: number, l: number, s?: AbortSignal) => {
        reads.push([o, l]);
        return base.read(o, l, s);
      },
    };
    const cached = blockCache(counted, { blockSize: 1000, maxBlocks: 100 });
    await cached.read(1500, 3000); // blocks 1..4 → one read
    expect(reads).toEqual([[1000, 4000]]);
    await cached.read(2000, 100);
    expect(reads).toHaveLength(1);
    await Promise.all([cached.read(10_000, 10), cached.read(10_005, 10)]); // concurrent reads share one request
    expect(reads).toHaveLength(2);
  });
});

describe('blockCache options', () => {
  it('a blockSize or maxBlocks that is not a positive integer is INVALID_ARGUMENT naming it', async () => {
    // 0, 1e-9 and maxBlocks -1 looped for ever (synchronously) on the first read; -1 and NaN read nothing
    const cases: [object, string][] = [
      [{ blockSize: 0 }, 'options.blockSize must be a positive integer, got 0'],
      [{ blockSize: 1e-9 }, 'options.blockSize must be a positive integer, got 1e-9'],
      [{ blockSize: -1 }, 'options.blockSize must be a positive integer, got -1'],
      [{ blockSize: Number.NaN }, 'options.blockSize must be a positive integer, got NaN'],
      [{ blockSize: '4096' }, 'options.blockSize must be a positive integer, got "4096"'],
      [{ blockSize: 16, maxBlocks: -1 }, 'options.maxBlocks must be a positive integer, got -1'],
      [{ maxBlocks: 0 }, 'options.maxBlocks must be a positive integer, got 0'],
      [{ maxBlocks: 2.5 }, 'options.maxBlocks must be a positive integer, got 2.5'],
    ];
    for (const [options, message] of cases) {
      expect(() => blockCache(memorySource(SUITE_BYTES), options as BlockCacheOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `blockCache: ${message}` }),
      );
    }
    // undefined keeps the default; the source reads as before
    const ok = blockCache(memorySource(SUITE_BYTES), { blockSize: undefined, maxBlocks: 1 });
    expect(Buffer.from(await ok.read(5, 40)).equals(SUITE_BYTES.subarray(5, 45))).toBe(true);
  });

  it("openGeoTiff's headerCache is checked the same (a healthy file was refused as TRUNCATED)", async () => {
    const tif = encodeGeoTiff({ width: 4, height: 4, dtype: 'uint8', bands: [new Uint8Array(16).fill(3)] });
    for (const headerCache of [{ blockSize: -1 }, { blockSize: Number.NaN }, { maxBlocks: 'many' }]) {
      await expect(
        openGeoTiff(memorySource(tif), { headerCache: headerCache as BlockCacheOptions }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /^openGeoTiff: options\.headerCache\.(blockSize|maxBlocks) must be a positive integer, got /,
        ),
      });
    }
    const tiff = await openGeoTiff(memorySource(tif), { headerCache: { blockSize: 64 } });
    expect(Array.from((await readRaster(tiff)).bands[0] as Uint8Array)).toEqual(new Array(16).fill(3));
  });
});

describe('blockCache: readers sharing a block request, one aborting', () => {
  // Holds every range request until the test releases it; records whether the answer was sent or the client went
  // away first. No timers: each step waits for the event it needs (arrival, release, cancellation).
  let slow: Server;
  let slowUrl = '';
  const answers: ('sent' | 'cancelled')[] = [];
  let arrivals: (() => void)[] = [];
  let onCancelled: () => void = () => {};
  let release: () => void = () => {};
  let released = Promise.resolve();
  /** Resolves once `n` more requests have reached the server. */
  const arrived = (n: number) =>
    Promise.all(Array.from({ length: n }, () => new Promise<void>((r) => arrivals.push(r))));
  const hold = () => {
    released = new Promise<void>((r) => {
      release = r;
    });
  };
  beforeAll(async () => {
    slow = createServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') as RegExpExecArray;
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), SUITE_BYTES.length - 1)];
      res.on('close', () => {
        if (res.writableFinished) return;
        answers.push('cancelled');
        onCancelled();
      });
      void released.then(() => {
        if (res.destroyed) return;
        answers.push('sent');
        res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${SUITE_BYTES.length}` });
        res.end(SUITE_BYTES.subarray(a, b + 1));
      });
      arrivals.shift()?.();
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/f.bin`;
  });
  afterAll(() => new Promise<void>((resolve) => slow.close(() => resolve())));
  beforeEach(() => {
    answers.length = 0;
    arrivals = [];
    hold();
  });

  it('the readers that did not abort get their bytes from the one request', async () => {
    const src = httpSource(slowUrl);
    const cached = blockCache(src, { blockSize: 1000 });
    const [ctlA, ctlC] = [new AbortController(), new AbortController()];
    const bothArrived = arrived(2);
    const a = cached.read(100, 50, ctlA.signal);
    const b = cached.read(120, 50); // no signal
    const c = cached.read(900, 200, ctlC.signal); // blocks 0 and 1: shares block 0
    await bothArrived; // block 0 and block 1 are on the server, unanswered
    ctlA.abort();
    await expect(a).rejects.toMatchObject({ code: 'ABORTED' });
    release();
    expect(Array.from(await b)).toEqual(Array.from(SUITE_BYTES.subarray(120, 170)));
    expect(Array.from(await c)).toEqual(Array.from(SUITE_BYTES.subarray(900, 1100)));
    expect(src.requestCount).toBe(2); // block 0 once, block 1 once
    expect(answers).toEqual(['sent', 'sent']);
  });

  it('the request is cancelled once every reader waiting on it aborted, and the block is read afresh later', async () => {
    const src = httpSource(slowUrl);
    const cached = blockCache(src, { blockSize: 1000 });
    const [ctlA, ctlB] = [new AbortController(), new AbortController()];
    const oneArrived = arrived(1);
    const cancelled = new Promise<void>((r) => {
      onCancelled = r;
    });
    const a = cached.read(0, 10, ctlA.signal);
    const b = cached.read(5, 10, ctlB.signal);
    await oneArrived;
    ctlA.abort();
    ctlB.abort();
    await expect(a).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(b).rejects.toMatchObject({ code: 'ABORTED' });
    await cancelled; // the server saw the client go away (however long that took)
    expect(answers).toEqual(['cancelled']);
    release();
    expect(Array.from(await cached.read(0, 10))).toEqual(Array.from(SUITE_BYTES.subarray(0, 10)));
    expect(src.requestCount).toBe(2);
    expect(answers).toEqual(['cancelled', 'sent']);
  });
});
