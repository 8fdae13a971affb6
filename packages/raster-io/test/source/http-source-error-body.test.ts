// httpSource error answers from hostile servers: the body read for the message is bounded in bytes and time
// (a trickling or endless error page cannot hang a read), and secrets in the URL never reach the message.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSourceError, httpSource } from '../../src/index.js';
import { redactText } from '../../src/internal/redact-url.js';
import { ERROR_BODY_LIMIT } from '../../src/source/http-source.js';

let server: Server;
let base = '';
const open = new Set<ServerResponse>();
const sent = new Map<string, number>();
const KIB = new Uint8Array(1024).fill(0x61);

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    open.add(res);
    res.on('close', () => open.delete(res));
    sent.set(path, 0);
    const count = (n: number) => sent.set(path, (sent.get(path) ?? 0) + n);
    if (path === '/trickle') {
      // 50 KiB error page, 1 KiB every 100 ms: longer than the body time cap.
      res.writeHead(503, { 'content-type': 'text/html' });
      let left = 50;
      const t = setInterval(() => {
        if (res.destroyed || left-- === 0) {
          clearInterval(t);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(KIB);
        count(1024);
      }, 100);
      return;
    }
    if (path === '/endless') {
      // An error body that never ends, as fast as the socket takes it.
      res.writeHead(500, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!res.destroyed && res.write(KIB)) count(1024);
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    if (path === '/echo') {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`denied for ${base}${req.url}`);
      return;
    }
    if (path === '/echo-path') {
      // As Azure/S3 XML errors do: the path+query (XML-escaped) and the signature on its own, decoded.
      const sig = new URL(req.url ?? '/', 'http://x').searchParams.get('sig');
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<E><D>no match for ${req.url?.replace(/&/g, '&amp;')}</D><S>${sig}</S></E>`);
      return;
    }
    if (path === '/echo-auth') {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`bad credentials: ${req.headers.authorization} / key ${req.headers['x-api-key']}`);
      return;
    }
    if (path === '/basic') {
      // Serves bytes only to alice with her password, as Basic auth.
      const ok = req.headers.authorization === `Basic ${Buffer.from('alice:SECRET-PW é').toString('base64')}`;
      if (!ok) return void res.writeHead(401).end(`who is ${req.headers.authorization}?`);
      res.writeHead(206, { 'content-range': 'bytes 0-3/10', 'content-length': 4 });
      res.end(Buffer.from([1, 2, 3, 4]));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of open) r.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('httpSource error bodies', () => {
  it('a trickled 50 KiB error page → HttpSourceError within the body time cap', async () => {
    const err = await httpSource(`${base}/trickle`, { timeoutMs: 15_000 })
      .read(0, 100)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 503 });
    expect(err.message).toContain('503');
    expect(err.message).toContain('aaaa');
    // The time cap, shown without a clock: the server had not finished its page (1 KiB / 100 ms) when we gave up.
    expect(sent.get('/trickle')).toBeLessThan(50 * 1024);
  });

  it('an endless error body → HttpSourceError after at most ~64 KiB read', async () => {
    let pulled = 0; // body bytes the source actually took from the response
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = res.body?.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, ctl) {
            pulled += chunk.byteLength;
            ctl.enqueue(chunk);
          },
        }),
      );
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    const err = await httpSource(`${base}/endless`, { timeoutMs: 15_000, fetch: counting })
      .read(0, 100)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 500 });
    expect(pulled).toBeGreaterThanOrEqual(ERROR_BODY_LIMIT); // stopped by the byte cap…
    expect(pulled).toBeLessThan(ERROR_BODY_LIMIT + 256 * 1024); // …not by reading on (a few chunks of read-ahead)
    expect(err.message.length).toBeLessThan(1_000);
  });

  it('redacting an error page costs linear time: runs of letters or `;` took 2 s per 64 KiB (quadratic scans)', () => {
    // 256 KiB each: the quadratic scans took 16–35 s here; linear ones take milliseconds
    for (const page of [
      'a'.repeat(1 << 18),
      ';'.repeat(1 << 18),
      ';a'.repeat(1 << 17),
      'ab1-'.repeat(1 << 16),
    ]) {
      const t0 = performance.now();
      expect(redactText(page)).toBe(page);
      expect([page.slice(0, 4), performance.now() - t0 < 2_000]).toEqual([page.slice(0, 4), true]);
    }
    // still redacted: userinfo behind a scheme past 32 characters, a secret name after `&amp;` or `;;`, and one
    // after a plain value (a value ends at `;`: `a=1;token=t` had kept the token)
    expect(redactText(`${'s'.repeat(40)}://me:pw@host/x?a=1;token=t&amp;sig=abc;;key=k&k=v`)).toBe(
      `${'s'.repeat(40)}://***@host/x?a=1;token=***&amp;sig=***;;key=***&k=v`,
    );
  });

  it('token query params are redacted in the message, the name and an echoing error page', async () => {
    const url = `${base}/echo?x-amz-signature=SECRET1&token=SECRET2&page=3`;
    const src = httpSource(url);
    const err = await src.read(0, 100).catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err.status).toBe(403);
    expect(err.message).toContain('page=3');
    expect(err.message).toContain('token=***');
    expect(`${err.message} ${err.url} ${src.name}`).not.toMatch(/SECRET/);
  });

  it('secrets an error page echoes on their own (path+query, a decoded signature, auth headers) → ***', async () => {
    const err = await httpSource(`${base}/echo-path?sv=2022&sig=SECRET%2BSIG&page=3`)
      .read(0, 100)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err.status).toBe(403);
    expect(err.message).toContain(
      '(<E><D>no match for /echo-path?sv=2022&amp;sig=***&amp;page=3</D><S>***</S></E>)',
    );
    const headers = { Authorization: 'Bearer SECRET-TOKEN', 'X-Api-Key': 'SECRET-KEY' };
    const err2 = await httpSource(`${base}/echo-auth`, { headers })
      .read(0, 100)
      .catch((e) => e);
    expect(err2).toMatchObject({ code: 'HTTP_ERROR', status: 401 });
    expect(err2.message).toContain('(bad credentials: *** / key ***)');
  });

  it('user:password@ in the URL is sent as Basic auth (UTF-8) and never printed', async () => {
    const src = httpSource(`http://alice:SECRET-PW%20%C3%A9@${base.slice('http://'.length)}/basic`);
    expect(Array.from(await src.read(0, 4))).toEqual([1, 2, 3, 4]);
    expect(src.name).toBe(`http://***@${base.slice('http://'.length)}/basic`);
    const wrong = httpSource(`http://alice:SECRET-WRONG@${base.slice('http://'.length)}/basic`);
    const err = await wrong.read(0, 4).catch((e) => e);
    expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 401 });
    expect(err.message).toContain('(who is ***?)');
    expect(inspect(err)).not.toContain('SECRET');
  });

  it('a fetch error quoting the URL and token is redacted in the message and its whole cause chain', async () => {
    const leaky: typeof fetch = async (input, init) => {
      const auth = (init?.headers as Record<string, string>).Authorization;
      throw new TypeError(`cannot fetch ${input} as ${auth}`, {
        cause: Object.assign(new Error(`socket for ${input}`), { code: 'ESOCK', cause: `${auth}` }),
      });
    };
    const url = `http://bob:SECRET-PW@127.0.0.1:1/x.tif?sig=SECRET-SIG&page=3`;
    const err = await httpSource(url, { fetch: leaky })
      .read(0, 10)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(err.message).toBe(
      'http://***@127.0.0.1:1/x.tif?sig=***&page=3: request failed (cannot fetch http://***@127.0.0.1:1/x.tif?sig=***&page=3 as ***)',
    );
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.cause.name).toBe('TypeError');
    expect(err.cause.cause).toMatchObject({
      code: 'ESOCK',
      message: 'socket for http://***@127.0.0.1:1/x.tif?sig=***&page=3',
      cause: '***',
    });
    expect(inspect(err, { depth: 10 })).not.toContain('SECRET');
  });

  it('userinfo is redacted even when fetch refuses the URL', async () => {
    const src = httpSource(`http://alice:hunter2@127.0.0.1:1/x.tif`);
    const err = await src.read(0, 100).catch((e) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect(`${err.message} ${err.url} ${src.name}`).not.toContain('hunter2');
    expect(err.message).toContain('***@127.0.0.1');
  });

  it('a caller-supplied redactUrl is used', async () => {
    const src = httpSource(`${base}/echo?p=1`, { redactUrl: () => 'scene.tif' });
    const err = await src.read(0, 10).catch((e) => e);
    expect(err.message.startsWith('scene.tif: HTTP 403')).toBe(true);
    expect(err.message).not.toContain('127.0.0.1');
  });
});
