// Test support: a 127.0.0.1 HTTP server with byte ranges (`bytes=a-b`, `bytes=a-`, 206 + Content-Range), serving
// files at `/records/<id>/files/<name>` (Zenodo's shape) and counting requests per file, plus hostile modes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers range requests for a file. */
export type RangeMode =
  | 'ok'
  /** 200 with an endless body (a server that ignores Range on a 100 GB file). */
  | 'ignore-range'
  /** 206 whose Content-Range names other bytes than asked. */
  | 'wrong-content-range'
  /** 206 with the right headers and half the body. */
  | 'short-body'
  /** 206 with twice the bytes asked. */
  | 'long-body';

export interface RangeServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Files by path (`records/1/files/x.zip`). */
  files: Map<string, Uint8Array>;
  modes: Map<string, RangeMode>;
  /** Paths answered with a 302 to this URL. */
  redirects: Map<string, string>;
  /** Requests per path. */
  hits: Map<string, number>;
  /** Body bytes sent per path. */
  bytesServed: Map<string, number>;
  /** Every request's Authorization header, by path (credential scoping checks). */
  auth: Map<string, string[]>;
  /** Every request line as received (`GET /records/1/files/x.zip?token=t&download=1`), in order. */
  requests: string[];
  totalHits(): number;
  resetCounts(): void;
  close(): Promise<void>;
}

/** Start the server; add files to `files` under their path without the leading `/`. */
export async function startRangeServer(): Promise<RangeServer> {
  const state: RangeServer = {
    origin: '',
    files: new Map(),
    modes: new Map(),
    redirects: new Map(),
    hits: new Map(),
    bytesServed: new Map(),
    auth: new Map(),
    requests: [],
    totalHits: () => [...state.hits.values()].reduce((a, b) => a + b, 0),
    resetCounts: () => {
      state.hits.clear();
      state.bytesServed.clear();
      state.requests.length = 0;
    },
    close: async () => {},
  };
  const server = createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}`);
    const u = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
    const body = state.files.get(path);
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1);
    if (req.headers.authorization)
      state.auth.set(path, [...(state.auth.get(path) ?? []), req.headers.authorization]);
    const to = state.redirects.get(path);
    if (to) return void res.writeHead(302, { location: to }).end();
    if (!body) return void res.writeHead(404).end('not found');
    const served = (n: number) => state.bytesServed.set(path, (state.bytesServed.get(path) ?? 0) + n);
    const mode = state.modes.get(path) ?? 'ok';
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (mode === 'ignore-range') return void endless(res, served);
    if (!m) {
      res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes' });
      served(body.length);
      return void res.end(body);
    }
    const start = Number(m[1]);
    const stop = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
    if (start >= body.length)
      return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    let chunk = body.subarray(start, stop + 1);
    let shownStart = start;
    if (mode === 'wrong-content-range') shownStart = start + 1;
    if (mode === 'short-body') chunk = chunk.subarray(0, Math.max(1, chunk.length >> 1));
    if (mode === 'long-body') chunk = Buffer.concat([chunk, chunk]);
    res.writeHead(206, {
      'content-length': String(chunk.length),
      'content-range': `bytes ${shownStart}-${shownStart + (stop - start)}/${body.length}`,
    });
    served(chunk.length);
    res.end(chunk);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

/** A 200 answer that would go on for 100 GB; it stops when the client goes away. */
function endless(res: import('node:http').ServerResponse, served: (n: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const block = Buffer.alloc(1 << 16, 7);
  let sent = 0;
  const pump = () => {
    while (!res.destroyed && sent < 100 * 2 ** 30) {
      sent += block.length;
      served(block.length);
      if (!res.write(block)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => res.destroy());
  pump();
}
