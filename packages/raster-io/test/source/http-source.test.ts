// httpSource against a local server: errors are typed and name the URL, hangs become TIMEOUT, and a COG
// window read fetches only the tiles it needs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeGeoTiff,
  HttpSourceError,
  httpSource,
  openGeoTiff,
  RasterIoError,
  readRaster,
} from '../../src/index.js';
import { NODE_CODECS } from '../../src/node.js';
import { bandMismatches } from '../support/compare.js';
import { type RangeServer, startRangeServer } from '../support/range-server.js';
import { rng, syntheticRaster } from '../support/synthetic.js';

let server: RangeServer;
// 2048×2048 uint16, 2 bands, 256-px deflate tiles (noisy, so tiles are large) plus overviews: ~14 MB.
const big = syntheticRaster('uint16', 2048, 2048, 2, 11);
{
  const next = rng(5);
  for (const b of big.bands)
    for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) ^ Math.floor(next() * 4096);
}
big.geo = { epsg: 32631, transform: [600000, 10, 0, 5400000, 0, -10] };
const cog = encodeGeoTiff(big, {
  cog: true,
  tileSize: 256,
  compression: 'deflate',
  overviews: [2, 4, 8],
  codecs: NODE_CODECS,
});

beforeAll(async () => {
  server = await startRangeServer();
  server.files.set('cog.tif', cog);
  server.files.set('small.bin', new Uint8Array(1000));
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('httpSource maxWholeFileBytes', () => {
  it('a server that ignores Range (200) is refused past the limit, and served from memory within it', async () => {
    const url = server.url('/norange/cog.tif');
    const err = await httpSource(url, { maxWholeFileBytes: 4096 })
      .read(0, 100)
      .catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('RANGE_REQUEST_FAILED');
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/ignored Range \(HTTP 200\) and sends more than 4096 bytes/);
    const small = httpSource(server.url('/norange/small.bin'), { maxWholeFileBytes: 4096 });
    expect((await small.read(10, 20)).byteLength).toBe(20);
    expect(small.size).toBe(1000);
  });
});

describe('httpSource options are checked when the source is made', () => {
  it('a bad timeoutMs, maxWholeFileBytes, fetch, headers or redactUrl is INVALID_ARGUMENT naming the redacted URL', async () => {
    // timeoutMs NaN/-1/Infinity/"10000" made every read throw Node's RangeError or TypeError; a NaN or text
    // maxWholeFileBytes removed the whole-file cap
    const url = server.url('/norange/cog.tif?token=s3cr3t');
    const shown = server.url('/norange/cog.tif?token=***');
    const cases: [object, string][] = [
      [{ timeoutMs: Number.NaN }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got NaN'],
      [{ timeoutMs: -1 }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got -1'],
      [{ timeoutMs: 0 }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got 0'],
      [
        { timeoutMs: Number.POSITIVE_INFINITY },
        'timeoutMs must be an integer 1..4294967295 (milliseconds), got Infinity',
      ],
      [{ timeoutMs: '10000' }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got "10000"'],
      [{ timeoutMs: 2 ** 33 }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got 8589934592'],
      [{ timeoutMs: 1.5 }, 'timeoutMs must be an integer 1..4294967295 (milliseconds), got 1.5'],
      [
        { maxWholeFileBytes: Number.NaN },
        'maxWholeFileBytes must be a number >= 0 (bytes; Infinity for no cap), got NaN',
      ],
      [
        { maxWholeFileBytes: 'oops' },
        'maxWholeFileBytes must be a number >= 0 (bytes; Infinity for no cap), got "oops"',
      ],
      [
        { maxWholeFileBytes: -1 },
        'maxWholeFileBytes must be a number >= 0 (bytes; Infinity for no cap), got -1',
      ],
      [{ fetch: 'fetch' }, 'fetch must be a function, got "fetch"'],
      [
        { headers: 'Authorization: x' },
        'headers must be a plain object of header names to string values (for a Headers instance: Object.fromEntries(headers)), got "Authorization: x"',
      ],
      [{ headers: { 'x-count': 3 } }, 'headers["x-count"] must be a string, got 3'],
    ];
    for (const [options, message] of cases) {
      let err: unknown;
      try {
        httpSource(url, options as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(options)).toBeInstanceOf(RasterIoError);
      expect(err).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: `${shown}: httpSource options.${message}`,
      });
    }
    // a Headers instance has no own entries: its Authorization was dropped without a word
    expect(() => httpSource(url, { headers: new Headers({ Authorization: 'Bearer t' }) as never })).toThrow(
      /headers must be a plain object .*\(for a Headers instance: Object\.fromEntries\(headers\)\), got /,
    );
    expect(() => httpSource(url, { redactUrl: 'no' as never })).toThrow(
      `${shown}: httpSource options.redactUrl must be a function, got "no"`,
    );
    // undefined keeps the defaults; Infinity is no cap at all
    const src = httpSource(server.url('/norange/small.bin'), {
      timeoutMs: undefined,
      maxWholeFileBytes: Number.POSITIVE_INFINITY,
    });
    expect((await src.read(10, 20)).byteLength).toBe(20);
    expect(server.requests.length).toBe(1);
  });
});

describe('httpSource against a server that caps its ranges', () => {
  it('a short 206 with a valid Content-Range is followed up for the rest: the COG reads whole', async () => {
    // it was passed on as a short read, i.e. the end of the file: readRaster then said TRUNCATED
    const url = server.url('/capped/cog.tif');
    const src = httpSource(url);
    const part = await src.read(5000, 12_000);
    expect(src.size).toBe(cog.byteLength);
    expect(Buffer.from(part).equals(Buffer.from(cog.subarray(5000, 17_000)))).toBe(true);
    expect(server.requests.map((r) => r.range)).toEqual([
      'bytes=5000-16999',
      'bytes=9096-16999',
      'bytes=13192-16999',
    ]);
    // the end of the file is still a short read, without asking past it
    server.reset();
    expect((await src.read(cog.byteLength - 10, 100)).byteLength).toBe(10);
    expect(server.requests.map((r) => r.range)).toEqual([
      `bytes=${cog.byteLength - 10}-${cog.byteLength - 1}`,
    ]);
    const tiff = await openGeoTiff(httpSource(url), { codecs: NODE_CODECS });
    const r = await readRaster(tiff, { window: { x: 256, y: 512, width: 300, height: 200 } });
    const want = await readRaster(await openGeoTiff(cog, { codecs: NODE_CODECS }), {
      window: { x: 256, y: 512, width: 300, height: 200 },
    });
    expect(bandMismatches(r.bands, want.bands)).toBe(0);
  });

  it('a read the server answers in more than 257 short parts is RANGE_REQUEST_FAILED, not endless', async () => {
    const err = await httpSource(server.url('/capped/cog.tif'))
      .read(0, 2_000_000)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'RANGE_REQUEST_FAILED',
      message: `${server.url('/capped/cog.tif')}: the server answered bytes=0-1999999 in more than 257 short parts (${257 * 4096} bytes so far); refusing to go on`,
    });
    expect(server.requests.length).toBe(257);
  });
});

describe('httpSource against a server that content-encodes its 206 answers', () => {
  it('asks for identity and reads a gzip answer by its decoded length, also where gzip makes a range longer', async () => {
    // incompressible tiles gzip longer than the range: the encoded Content-Length was compared with the range
    // asked and the answer refused ("the 206 body is longer"), while compressible headers read
    const url = server.url('/gzip/cog.tif');
    const tiff = await openGeoTiff(httpSource(url), { codecs: NODE_CODECS });
    const win = { x: 256, y: 512, width: 300, height: 200 };
    const r = await readRaster(tiff, { window: win });
    const want = await readRaster(await openGeoTiff(cog, { codecs: NODE_CODECS }), { window: win });
    expect(bandMismatches(r.bands, want.bands)).toBe(0);
    expect(server.requests.length).toBeGreaterThan(1);
    // (fetch itself adds identity to a request with Range; a fetch that does not gets it from us)
    const tokens = server.requests.map((q) => new Set(q.acceptEncoding?.split(/,\s*/)));
    expect(tokens.every((t) => t.size === 1 && t.has('identity'))).toBe(true);
    // a noisy range the server's gzip makes longer than it is reads whole and exact
    const src = httpSource(url);
    const noisy = await src.read(cog.byteLength - 70_000, 60_000);
    expect(
      Buffer.from(noisy).equals(Buffer.from(cog.subarray(cog.byteLength - 70_000, cog.byteLength - 10_000))),
    ).toBe(true);
  });
});

describe('httpSource Accept-Encoding', () => {
  it('each range request asks for identity (to a fetch that does not add it), unless the caller gave one', async () => {
    const sent: Record<string, string>[] = [];
    const spy: typeof fetch = (input, init) => {
      sent.push({ ...(init?.headers as Record<string, string>) });
      return fetch(input, init);
    };
    await httpSource(server.url('/files/small.bin'), { fetch: spy }).read(0, 10);
    await httpSource(server.url('/files/small.bin'), {
      fetch: spy,
      headers: { 'accept-encoding': 'br' },
    }).read(0, 10);
    expect(sent.map((h) => [h['Accept-Encoding'], h['accept-encoding']])).toEqual([
      ['identity', undefined],
      [undefined, 'br'],
    ]);
  });
});

describe('httpSource against a server that answers ranges with 200 and only the bytes asked', () => {
  it('with a Content-Range giving the file size: RANGE_REQUEST_FAILED saying the 200 body is shorter than the file', async () => {
    // the body was taken for the whole file, and the first tile read failed TRUNCATED: "the file ends at ..."
    const url = server.url('/200range/cog.tif');
    const err = await openGeoTiff(httpSource(url), { codecs: NODE_CODECS }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'RANGE_REQUEST_FAILED',
      message: `${url}: the server answered HTTP 200 to bytes=0-16383 with 16384 bytes, but its Content-Range gives the file as ${cog.byteLength} bytes: a 200 body shorter than the file (the server sends ranges without 206), which cannot be taken for the whole file; refusing the answer`,
    });
  });

  it('without one: a read past that body is TRUNCATED saying the server may answer ranges with 200', async () => {
    const url = server.url('/200range-bare/cog.tif');
    const tiff = await openGeoTiff(httpSource(url), { codecs: NODE_CODECS });
    const err = await readRaster(tiff, { window: { x: 0, y: 0, width: 256, height: 256 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RasterIoError);
    expect((err as RasterIoError).code).toBe('TRUNCATED');
    const message = (err as RasterIoError).message;
    expect(message.startsWith(`${url}: bytes=`)).toBe(true);
    expect(message).toContain(
      ' lie past the 16384 bytes the server sent with HTTP 200 to bytes=0-16383, exactly the bytes asked: the server answers ranges with 200 and a body shorter than the file (no 206, no Content-Range), or the file ends there',
    );
    // a server sending the whole file with 200 is still served from memory
    const whole = httpSource(server.url('/norange/small.bin'));
    expect((await whole.read(990, 20)).byteLength).toBe(10);
  });
});

describe('httpSource errors', () => {
  it('404 → HttpSourceError HTTP_ERROR naming the URL and status', async () => {
    const url = server.url('/missing');
    const err = await httpSource(url)
      .read(0, 100)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 404, url });
    expect(err.message).toContain(url);
    expect(err.message).toContain('404');
    await expect(openGeoTiff(httpSource(url))).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 404 });
  });

  it('416 on a COG → RANGE_REQUEST_FAILED naming the URL', async () => {
    const url = server.url('/416/cog.tif');
    const err = await openGeoTiff(httpSource(url)).catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err).toMatchObject({ code: 'RANGE_REQUEST_FAILED', status: 416 });
    expect(err.message).toContain(url);
  });

  it('a server that never answers → TIMEOUT within the limit, not a hang', async () => {
    const t0 = performance.now();
    const err = await httpSource(server.url('/hang'), { timeoutMs: 300 })
      .read(0, 10)
      .catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain('/hang');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a body that stalls half-way → TIMEOUT', async () => {
    const err = await httpSource(server.url('/hang-body/cog.tif'), { timeoutMs: 300 })
      .read(0, 100_000)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
  });

  it('aborting a pending request → ABORTED (caller signal and source signal)', async () => {
    const ctl = new AbortController();
    const pending = httpSource(server.url('/hang'), { timeoutMs: 10_000 }).read(0, 10, ctl.signal);
    setTimeout(() => ctl.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    const ctl2 = new AbortController();
    const pending2 = httpSource(server.url('/hang'), { timeoutMs: 10_000, signal: ctl2.signal }).read(0, 10);
    setTimeout(() => ctl2.abort(), 50);
    await expect(pending2).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('connection refused → HTTP_ERROR with the cause', async () => {
    const err = await httpSource('http://127.0.0.1:9/x.tif', { timeoutMs: 2000 })
      .read(0, 10)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err.code).toBe('HTTP_ERROR');
  });

  it('rejects non-http URLs', () => {
    expect(() => httpSource('/tmp/x.tif')).toThrow(/not an http\(s\) URL/);
  });

  it('sends the configured headers', async () => {
    let seen: Headers | undefined;
    const fetchSpy: typeof fetch = async (input, init) => {
      seen = new Headers(init?.headers);
      return fetch(input, init);
    };
    await httpSource(server.url('/files/small.bin'), {
      headers: { Authorization: 'Bearer t' },
      fetch: fetchSpy,
    }).read(0, 10);
    expect(seen?.get('authorization')).toBe('Bearer t');
    expect(seen?.get('range')).toBe('bytes=0-9');
  });
});

describe('COG over HTTP', () => {
  it('a 256×256 window reads the headers plus one tile per band, not the file', async () => {
    const src = httpSource(server.url('/files/cog.tif'));
    const tiff = await openGeoTiff(src);
    const headerRequests = src.requestCount;
    expect(tiff.levels.map((l) => l.width)).toEqual([2048, 1024, 512, 256]);
    const before = src.bytesReceived;
    const r = await readRaster(tiff, { window: { x: 512, y: 768, width: 256, height: 256 } });
    const tileRequests = src.requestCount - headerRequests;
    const tileBytes = src.bytesReceived - before;
    // 2 bands → 2 tiles, at most 2 requests (they are far apart in a band-sequential file), each ≈ 1/64 of a band
    expect(tileRequests).toBeLessThanOrEqual(2);
    expect(tileBytes).toBeLessThan(cog.byteLength / 20);
    expect(headerRequests).toBeLessThanOrEqual(4);
    expect(src.bytesReceived).toBeLessThan(cog.byteLength / 10);
    expect(server.requests.every((q) => q.range?.startsWith('bytes='))).toBe(true);
    // and the pixels are right
    const expected = big.bands.map((b) => {
      const out = new Uint16Array(256 * 256);
      for (let y = 0; y < 256; y++)
        out.set((b as Uint16Array).subarray((768 + y) * 2048 + 512, (768 + y) * 2048 + 768), y * 256);
      return out;
    });
    expect(bandMismatches(r.bands, expected)).toBe(0);
    expect(r.geo?.transform).toEqual([600000 + 512 * 10, 10, 0, 5400000 - 768 * 10, 0, -10]);
  });

  it('an unaligned window spanning 4 tiles of one band makes one merged request for the adjacent pair', async () => {
    const src = httpSource(server.url('/files/cog.tif'));
    const tiff = await openGeoTiff(src);
    const n0 = src.requestCount;
    const r = await readRaster(tiff, { window: { x: 200, y: 200, width: 100, height: 100 }, bands: [1] });
    // tiles (0,0),(1,0) are adjacent in the file, as are (0,1),(1,1): 2 requests, not 4
    expect(src.requestCount - n0).toBe(2);
    expect((r.bands[0] as Uint16Array)[0]).toBe((big.bands[1] as Uint16Array)[200 * 2048 + 200]);
  });

  it('reads an overview level with the smallest transfer', async () => {
    const src = httpSource(server.url('/files/cog.tif'));
    const tiff = await openGeoTiff(src);
    const r = await readRaster(tiff, { level: 3 });
    expect([r.width, r.height]).toEqual([256, 256]);
    expect(r.geo?.transform).toEqual([600000, 80, 0, 5400000, 0, -80]);
    expect(src.bytesReceived).toBeLessThan(cog.byteLength / 30);
  });
});

describe('request concurrency', () => {
  it('readRaster keeps at most `concurrency` range requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slowFetch: typeof fetch = async (input, init) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const src = httpSource(server.url('/files/cog.tif'), { fetch: slowFetch });
    const tiff = await openGeoTiff(src, { codecs: NODE_CODECS });
    peak = 0;
    // a column of tiles: 8 tile rows × 2 bands, none adjacent in the file → 16 separate reads
    const r = await readRaster(tiff, { window: { x: 0, y: 0, width: 10, height: 2048 }, concurrency: 3 });
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expect(r.height).toBe(2048);
  });
});
