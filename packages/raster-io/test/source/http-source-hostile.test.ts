// httpSource against servers that change how they answer mid-way (206 then 200 of only the bytes asked, empty or
// impossible Content-Ranges, a 416 naming another size) and that echo credentials in the places a message quotes:
// the reason phrase, an unusable redirect Location.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpSource } from '../../src/index.js';

const FILE = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) & 0xff);
type Handler = (req: IncomingMessage, res: ServerResponse, n: number, range: [number, number]) => void;

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server answering each request with `handle` (its count from 1 and the range asked). */
async function serve(handle: Handler): Promise<string> {
  let n = 0;
  server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') ?? ['', '0', String(FILE.length - 1)];
    handle(req, res, ++n, [Number(m[1]), Number(m[2])]);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.tif`;
}

const partial = (res: ServerResponse, [a, b]: [number, number]) => {
  res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${FILE.length}` });
  res.end(FILE.subarray(a, b + 1));
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );

describe('httpSource: answers that change shape mid-way', () => {
  it('a 200 holding only the bytes asked, after 206 answers gave the size, is RANGE_REQUEST_FAILED (was taken for the whole file)', async () => {
    const url = await serve((_req, res, n, range) => {
      if (n === 1) return partial(res, range);
      res.writeHead(200);
      res.end(FILE.subarray(range[0], range[1] + 1));
    });
    const s = httpSource(url);
    expect(Array.from(await s.read(0, 16))).toEqual(Array.from(FILE.subarray(0, 16)));
    const err = await failure(s.read(200, 100));
    expect(err?.code).toBe('RANGE_REQUEST_FAILED');
    expect(err?.message).toContain(
      'HTTP 200 and 100 bytes after its 206 answers gave the file as 100000 bytes',
    );
    expect(s.size).toBe(FILE.length);
  });

  it('a first 200 of bytes that end before the offset asked is TRUNCATED and not kept as the file', async () => {
    const url = await serve((_req, res, n, range) => {
      if (n === 1) {
        res.writeHead(200);
        return res.end(FILE.subarray(range[0], range[1] + 1));
      }
      partial(res, range);
    });
    const s = httpSource(url);
    expect((await failure(s.read(200, 100)))?.code).toBe('TRUNCATED');
    // the next read asks again, and gets the file's own first bytes
    expect(Array.from(await s.read(0, 16))).toEqual(Array.from(FILE.subarray(0, 16)));
  });

  it('an empty or impossible Content-Range, and a 416 naming another size, are refused', async () => {
    const cases: [string, Handler, RegExp][] = [
      [
        'bytes 100-99/100000 with no body',
        (_q, res) => {
          res.writeHead(206, { 'content-range': 'bytes 100-99/100000' });
          res.end();
        },
        /no byte range of the file/,
      ],
      [
        'a 416 giving another size',
        (_q, res) => {
          res.writeHead(416, { 'content-range': 'bytes */40000' });
          res.end();
        },
        /the file changed between range requests \(100000 bytes, now 40000 bytes\)/,
      ],
    ];
    for (const [label, handle, message] of cases) {
      const url = await serve((req, res, n, range) =>
        n === 1 ? partial(res, range) : handle(req, res, n, range),
      );
      const s = httpSource(url);
      await s.read(0, 16);
      const err = await failure(s.read(100, 1000));
      expect(err?.message, label).toMatch(message);
      expect(s.size, label).toBe(FILE.length);
      await new Promise((r) => server?.close(r));
    }
    // a first answer whose range ends past the total it gives
    const url = await serve((_q, res) => {
      res.writeHead(206, { 'content-range': 'bytes 0-999/10' });
      res.end(FILE.subarray(0, 1000));
    });
    const s = httpSource(url);
    expect((await failure(s.read(0, 1000)))?.message).toMatch(
      /"bytes 0-999\/10", which is no byte range of the file/,
    );
    expect(s.size).toBeUndefined();
  });
});

describe('httpSource: credentials echoed where messages quote the server', () => {
  const TOKEN = 'Bearer sekrit-TOKEN-123';
  it('in the reason phrase of an error answer', async () => {
    const url = await serve((req, res) => {
      res.writeHead(429, `Slow down ${req.headers.authorization}`);
      res.end();
    });
    const err = await failure(httpSource(url, { headers: { Authorization: TOKEN } }).read(0, 16));
    expect(err?.message).toContain('HTTP 429 Slow down ***');
    expect(`${err?.message} ${err?.stack}`).not.toContain('sekrit-TOKEN-123');
  });

  it('in an unusable redirect Location', async () => {
    const url = await serve((req, res) => {
      res.writeHead(302, { location: `ftp://x/${req.headers.authorization}` });
      res.end();
    });
    const err = await failure(httpSource(url, { headers: { Authorization: TOKEN } }).read(0, 16));
    expect(err?.message).toContain('without a usable http(s) Location');
    expect(`${err?.message} ${err?.stack}`).not.toContain('sekrit-TOKEN-123');
  });
});
