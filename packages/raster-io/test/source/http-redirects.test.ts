// Redirected range reads: a COG behind a redirect (a signed-URL hop) is read, its auth headers stay on the
// origin they were given for, and loops or unusable Locations end in a typed error, bounded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchWithGuardedRedirects, HttpSourceError, httpSource, MAX_REDIRECTS } from '../../src/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface Host {
  url: string;
  routes: Map<string, Handler>;
  seen: { path: string; headers: IncomingMessage['headers'] }[];
  server: Server;
}

async function host(): Promise<Host> {
  const h = { routes: new Map<string, Handler>(), seen: [] } as unknown as Host;
  h.server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    h.seen.push({ path, headers: req.headers });
    const route = h.routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}`;
  return h;
}

const FILE = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
const SECRET = 'Bearer tok-SECRET-1';

/** Serves FILE with ranges. */
const ranged: Handler = (req, res) => {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (!m) return void res.writeHead(200, { 'content-length': FILE.length }).end(FILE);
  const a = Number(m[1]);
  const b = Math.min(Number(m[2]), FILE.length - 1);
  res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${FILE.length}`, 'content-length': b - a + 1 });
  res.end(FILE.subarray(a, b + 1));
};
const redirect =
  (status: number, location: string | null): Handler =>
  (_req, res) =>
    res.writeHead(status, location === null ? {} : { location }).end();

let a: Host;
let b: Host;
beforeAll(async () => {
  [a, b] = await Promise.all([host(), host()]);
});
afterAll(() => Promise.all([a, b].map((h) => new Promise((r) => h.server.close(r)))));
beforeEach(() => {
  for (const h of [a, b]) {
    h.routes.clear();
    h.seen.length = 0;
  }
});

describe('httpSource behind redirects', () => {
  it('reads through a same-origin and a cross-origin hop: auth kept on its origin, only Range goes on', async () => {
    b.routes.set('/signed/file.tif', ranged);
    a.routes.set('/file.tif', redirect(302, '/hop.tif'));
    a.routes.set('/hop.tif', redirect(307, `${b.url}/signed/file.tif`));
    const src = httpSource(`${a.url}/file.tif`, {
      headers: { authorization: SECRET, 'x-api-key': 'k-SECRET' },
    });
    expect(Array.from(await src.read(100, 50))).toEqual(Array.from(FILE.subarray(100, 150)));
    expect(a.seen.map((s) => [s.path, s.headers.authorization])).toEqual([
      ['/file.tif', SECRET],
      ['/hop.tif', SECRET],
    ]);
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]?.headers.authorization).toBeUndefined();
    expect(b.seen[0]?.headers['x-api-key']).toBeUndefined();
    expect(b.seen[0]?.headers.range).toBe('bytes=100-149');
  });

  it('a redirect loop, a non-http Location or none is an HttpSourceError naming the file, without the token', async () => {
    a.routes.set('/loop.tif', redirect(302, '/loop.tif'));
    a.routes.set('/file-scheme.tif', redirect(301, 'file:///etc/passwd'));
    a.routes.set('/nowhere.tif', redirect(308, null));
    for (const [path, why] of [
      ['/loop.tif', `more than ${MAX_REDIRECTS} redirects`],
      ['/file-scheme.tif', 'without a usable http(s) Location ("file:///etc/passwd")'],
      ['/nowhere.tif', 'without a usable http(s) Location (null)'],
    ]) {
      const src = httpSource(`${a.url}${path}?sig=SAS-SECRET`, { headers: { authorization: SECRET } });
      const err = await src.read(0, 10).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(HttpSourceError);
      expect((err as HttpSourceError).code, path).toBe('HTTP_ERROR');
      expect((err as HttpSourceError).message, path).toContain(why);
      expect((err as HttpSourceError).message).toContain(`${a.url}${path}`);
      expect((err as HttpSourceError).message).not.toMatch(/SECRET/);
    }
    expect(a.seen.filter((s) => s.path === '/loop.tif')).toHaveLength(MAX_REDIRECTS + 1);
  });

  it("a redirect target's credentials (userinfo, signature) never reach the error or its cause", async () => {
    const signed = `${b.url.replace('//', '//mirror-user:SECRET-PW@')}/signed.tif?X-Amz-Signature=SECRET-SIG`;
    a.routes.set('/to-userinfo.tif', redirect(302, signed));
    a.routes.set('/to-ftp.tif', redirect(302, 'ftp://u:SECRET-PW@x/f?sig=SECRET-SIG'));
    const expected: [string, string][] = [
      [
        '/to-userinfo.tif',
        `HTTP 302 from ${a.url}/to-userinfo.tif redirects to a URL with credentials in it (${b.url.replace('//', '//***@')}/signed.tif?X-Amz-Signature=***); not followed`,
      ],
      ['/to-ftp.tif', 'without a usable http(s) Location ("ftp://***@x/f?sig=***")'],
    ];
    for (const [path, why] of expected) {
      const src = httpSource(`${a.url}${path}`, { headers: { authorization: SECRET } });
      const err = await src.read(0, 10).catch((e: unknown) => e);
      expect(err, path).toMatchObject({ code: 'HTTP_ERROR' });
      expect((err as Error).message, path).toContain(why);
      expect(inspect(err, { depth: 10 }), path).not.toMatch(/SECRET/);
    }
    expect(b.seen).toHaveLength(0);
  });

  it('an error page at a signed redirect target that echoes its signature shows ***', async () => {
    b.routes.set('/signed.tif', (req, res) => {
      const sig = new URL(req.url ?? '/', b.url).searchParams.get('X-Amz-Signature');
      res.writeHead(403).end(`<SignatureProvided>${sig}</SignatureProvided>`);
    });
    a.routes.set('/file.tif', redirect(302, `${b.url}/signed.tif?X-Amz-Signature=SECRET-SIG`));
    for (const headers of [{ authorization: SECRET }, {}] as Record<string, string>[]) {
      const err = await httpSource(`${a.url}/file.tif`, { headers })
        .read(0, 10)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 403 });
      expect((err as Error).message).toContain('(<SignatureProvided>***</SignatureProvided>)');
    }
  });

  it('user:password@ becomes Basic auth on its own origin only; a cross-origin hop gets Range alone', async () => {
    b.routes.set('/mirror.tif', ranged);
    a.routes.set('/file.tif', redirect(302, `${b.url}/mirror.tif`));
    const src = httpSource(`${a.url.replace('//', '//alice:pw-SECRET@')}/file.tif`);
    expect(Array.from(await src.read(0, 5))).toEqual(Array.from(FILE.subarray(0, 5)));
    expect(a.seen[0]?.headers.authorization).toBe(`Basic ${btoa('alice:pw-SECRET')}`);
    expect(b.seen[0]?.headers.authorization).toBeUndefined();
    expect(b.seen[0]?.headers.range).toBe('bytes=0-4');
  });
});

describe('fetchWithGuardedRedirects', () => {
  const fail = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('refuses a secret body redirected to another origin before sending it; a 303 turns a POST into a GET', async () => {
    a.routes.set('/token', redirect(307, `${b.url}/token`));
    const err = await fetchWithGuardedRedirects(
      fetch,
      `${a.url}/token`,
      { method: 'POST', body: 'client_secret=SECRET', headers: { 'content-type': 'text/plain' } },
      { secretBody: true, what: 'token request', fail },
    ).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('CREDENTIAL_SCOPE');
    expect((err as Error).message).toContain(
      `token request: ${a.url}/token redirected to another origin (${b.url})`,
    );
    expect(b.seen).toHaveLength(0);
    b.routes.set('/done', (req, res) => res.writeHead(200).end(req.method));
    a.routes.set('/search', redirect(303, `${b.url}/done`));
    const res = await fetchWithGuardedRedirects(
      fetch,
      `${a.url}/search`,
      { method: 'POST', body: '{"q":1}', headers: { 'content-type': 'application/json', 'x-api-key': 'k' } },
      { fail },
    );
    expect(await res.text()).toBe('GET');
    expect(b.seen[0]?.headers['content-type']).toBeUndefined();
    expect(b.seen[0]?.headers['x-api-key']).toBeUndefined();
  });

  it("redirect: 'follow' (fetch's own default, often written out) is guarded too; 'manual' hands the 3xx back", async () => {
    b.routes.set('/data', (req, res) => res.writeHead(200).end(String(req.headers['x-api-key'] ?? 'none')));
    a.routes.set('/data', redirect(302, `${b.url}/data`));
    const followed = await fetchWithGuardedRedirects(
      fetch,
      `${a.url}/data`,
      { headers: { 'x-api-key': 'KEY-SECRET' }, redirect: 'follow' },
      { fail },
    );
    expect(await followed.text()).toBe('none');
    expect(b.seen.map((r) => r.headers['x-api-key'])).toEqual([undefined]);
    const manual = await fetchWithGuardedRedirects(
      fetch,
      `${a.url}/data`,
      { headers: { 'x-api-key': 'KEY-SECRET' }, redirect: 'manual' },
      { fail },
    );
    expect(manual.status).toBe(302);
    await manual.body?.cancel();
    expect(b.seen).toHaveLength(1);
  });

  it('headers as a Headers instance or pairs are INVALID_ARGUMENT (they went out unguarded: no own keys to see)', async () => {
    a.routes.set('/data', redirect(302, `${b.url}/data`));
    for (const headers of [new Headers({ 'x-api-key': 'K4' }), [['x-api-key', 'K4']]]) {
      const err = await fetchWithGuardedRedirects(fetch, `${a.url}/data`, { headers } as never, {
        fail,
      }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toContain(
        'fetchWithGuardedRedirects: init.headers must be a plain object',
      );
    }
    expect(a.seen.filter((r) => r.path === '/data')).toHaveLength(0);
    expect(b.seen).toHaveLength(0);
  });
});
