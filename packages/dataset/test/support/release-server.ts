// Test support for download-release: build .tar.gz archives with tar-stream + zlib, and serve files from a
// 127.0.0.1 HTTP server that can cut a transfer mid-body or serve corrupted bytes, recording every request.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** A member of a test archive. */
export interface Member {
  name: string;
  data?: Uint8Array;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  /** PAX records written before the member's header. */
  pax?: Record<string, string>;
}

/** Pack members into .tar.gz bytes. */
export async function tarGz(members: readonly Member[]): Promise<Uint8Array> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((res, rej) => {
    p.on('end', () => res());
    p.on('error', rej);
  });
  for (const m of members) {
    await new Promise<void>((res, rej) => {
      const header = {
        name: m.name,
        type: m.type ?? 'file',
        ...(m.linkname ? { linkname: m.linkname } : {}),
        ...(m.pax ? { pax: m.pax } : {}),
        ...(m.type === 'directory' || m.type === 'symlink' || m.type === 'link'
          ? {}
          : { size: m.data?.length ?? 0 }),
      };
      p.entry(
        header,
        m.type === 'file' || !m.type ? Buffer.from(m.data ?? new Uint8Array()) : undefined,
        (err) => (err ? rej(err) : res()),
      );
    });
  }
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** All files under `dir` as archive members named `<prefix><relative path>`. */
export async function membersOf(
  dir: string,
  prefix: string,
  rename?: (rel: string) => string,
): Promise<Member[]> {
  const out: Member[] = [];
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const rel = relative(dir, p).split('\\').join('/');
        out.push({ name: `${prefix}${rename ? rename(rel) : rel}`, data: await readFile(p) });
      }
    }
  };
  await walk(dir);
  return out;
}

export const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** How the server misbehaves for one file. */
export type Misbehaviour =
  | { kind: 'cut'; afterBytes: number; times: number }
  | { kind: 'corrupt' }
  | { kind: 'status'; status: number } // every request answers this error
  | { kind: 'reset' } // headers, a third of the body, then a TCP reset; every request
  | { kind: 'echo'; status: number } // an error page quoting the request's URL and headers (a careless server)
  | { kind: 'stall'; times: number }; // headers, then silence (until the client gives up), `times` requests

export interface ReleaseServer {
  url: string;
  files: Map<string, Uint8Array>;
  faults: Map<string, Misbehaviour>;
  /** GET requests per file name. */
  hits: Map<string, number>;
  /** Range headers received per file name. */
  ranges: Map<string, string[]>;
  /** Body bytes sent per file name. */
  bytesServed: Map<string, number>;
  /** Every request as received: its request line (`GET /files/x?download=1`) and Authorization header. */
  requests: { line: string; authorization?: string }[];
  /** Trickle every full (200) body in this many chunks, `ms` apart (slow server; default off). */
  trickle?: { chunks: number; ms: number };
  close(): Promise<void>;
}

/** Serve `files` at `/files/<name>` (query strings ignored). */
export async function startReleaseServer(): Promise<ReleaseServer> {
  const state: ReleaseServer = {
    url: '',
    files: new Map(),
    faults: new Map(),
    hits: new Map(),
    ranges: new Map(),
    bytesServed: new Map(),
    requests: [],
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const { authorization } = req.headers;
    state.requests.push({ line: `${req.method} ${req.url}`, ...(authorization ? { authorization } : {}) });
    const u = new URL(req.url ?? '/', 'http://x');
    const name = decodeURIComponent(u.pathname.replace(/^\/files\//, ''));
    const body = state.files.get(name);
    if (!u.pathname.startsWith('/files/') || !body) {
      res.writeHead(404).end('not found');
      return;
    }
    state.hits.set(name, (state.hits.get(name) ?? 0) + 1);
    const fault = state.faults.get(name);
    if (fault?.kind === 'status') return void res.writeHead(fault.status).end(`injected ${fault.status}`);
    if (fault?.kind === 'echo')
      return void res
        .writeHead(fault.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'denied', url: req.url, headers: req.headers }));
    const served = (n: number) => state.bytesServed.set(name, (state.bytesServed.get(name) ?? 0) + n);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && fault?.kind !== 'corrupt' && fault?.kind !== 'reset') {
      state.ranges.set(name, [...(state.ranges.get(name) ?? []), req.headers.range!]);
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length - start),
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      served(body.length - start);
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
    });
    if (fault?.kind === 'cut' && fault.times > 0) {
      fault.times--;
      served(fault.afterBytes);
      res.write(body.subarray(0, fault.afterBytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    if (fault?.kind === 'stall' && fault.times > 0) {
      fault.times--;
      res.flushHeaders();
      return;
    }
    if (fault?.kind === 'reset') {
      res.write(body.subarray(0, Math.floor(body.length / 3)), () =>
        setTimeout(() => res.socket?.resetAndDestroy(), 10),
      );
      return;
    }
    if (fault?.kind === 'corrupt') {
      const bad = Buffer.from(body);
      bad[bad.length >> 1] ^= 0xff;
      served(bad.length);
      res.end(bad);
      return;
    }
    served(body.length);
    const t = state.trickle;
    if (!t) return void res.end(body);
    const step = Math.ceil(body.length / t.chunks);
    let off = 0;
    const next = () => {
      if (res.destroyed) return;
      const chunk = body.subarray(off, off + step);
      off += step;
      if (off >= body.length) res.end(chunk);
      else res.write(chunk, () => setTimeout(next, t.ms));
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
