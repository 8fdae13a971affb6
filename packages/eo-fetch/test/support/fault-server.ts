// A 127.0.0.1 HTTP server that serves deterministic bytes per path and injects scripted faults, one script step
// per request: status codes (with Retry-After), resets mid-body, truncated bodies, lying Content-Length, slowness.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'ok'; delayMs?: number; trickleMs?: number } // trickle: body in 8 chunks, trickleMs apart
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'reset' } // headers + half the body, then a TCP RST
  | { kind: 'truncate' } // headers with the full Content-Length, half the body, then a clean FIN
  | { kind: 'short-length' } // Content-Length smaller than the file: a consistent but short 200
  | { kind: 'stall'; ms: number } // headers, a little body, then silence for `ms`
  | { kind: 'stall-headers'; ms: number } // headers, then silence for `ms`
  | { kind: 'silent'; ms: number } // nothing at all (not even headers) for `ms`
  | { kind: 'slow-error'; status: number; bytes: number; chunkMs: number } // an error body trickled in 1 KiB chunks
  | { kind: 'echo'; status: number } // an error whose body echoes the request's headers and URL (a careless server)
  | { kind: 'short-range' }; // a 206 whose Content-Range promises more bytes than the body has (cut, clean FIN)

/** Deterministic content of `path` (size from the path: /f/<n>-<bytes>). */
export function contentFor(path: string): Buffer {
  const m = /-(\d+)(?:\.\w+)?$/.exec(path);
  const size = m ? Number(m[1]) : 1000;
  const out = Buffer.alloc(size);
  let h = 2166136261;
  for (const c of path) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  for (let i = 0; i < size; i++) {
    h = Math.imul(h ^ i, 16777619) >>> 0;
    out[i] = h & 0xff;
  }
  return out;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface FaultServer {
  url: string;
  /** Requests per path. */
  hits: Map<string, number>;
  /** Request timestamps per path (ms). */
  times: Map<string, number[]>;
  /** Request headers of the last request per path. */
  headers: Map<string, IncomingMessage['headers']>;
  /** Highest number of requests in flight at once. */
  maxInFlight: number;
  /** Scripts: the i-th request of a path gets script[i] (then `ok`). */
  scripts: Map<string, Fault[]>;
  close(): Promise<void>;
}

export async function startFaultServer(defaultLatencyMs = 0, defaultTrickleMs = 0): Promise<FaultServer> {
  const state = {
    hits: new Map<string, number>(),
    times: new Map<string, number[]>(),
    scripts: new Map<string, Fault[]>(),
    headers: new Map<string, IncomingMessage['headers']>(),
    maxInFlight: 0,
  };
  let inFlight = 0;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const n = state.hits.get(path) ?? 0;
    state.hits.set(path, n + 1);
    state.times.set(path, [...(state.times.get(path) ?? []), Date.now()]);
    state.headers.set(path, req.headers);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const fault: Fault = state.scripts.get(path)?.[n] ?? { kind: 'ok' };
    const body = contentFor(path);
    const half = body.subarray(0, body.length >> 1);
    const sock = res.socket!;
    const rawHead = (len: number) =>
      `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${len}\r\nConnection: close\r\n\r\n`;
    switch (fault.kind) {
      case 'ok': {
        const send = () => {
          const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
          if (range && Number(range[1]) < body.length) {
            // resume support: serve the tail as 206 (what the engine's ranged resume relies on)
            const start = Number(range[1]);
            res.writeHead(206, {
              'content-type': 'application/octet-stream',
              'content-length': body.length - start,
              'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
            });
            return void res.end(body.subarray(start));
          }
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
          const trickle = fault.trickleMs ?? defaultTrickleMs;
          if (!trickle) return void res.end(body);
          const step = Math.ceil(body.length / 8);
          let off = 0;
          const next = () => {
            if (res.destroyed) return;
            const chunk = body.subarray(off, off + step);
            off += step;
            if (off >= body.length) res.end(chunk);
            else res.write(chunk, () => setTimeout(next, trickle));
          };
          next();
        };
        const d = fault.delayMs ?? defaultLatencyMs;
        if (d > 0) setTimeout(send, d);
        else send();
        return;
      }
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
        res.end(`injected ${fault.status}`);
        return;
      case 'reset':
        sock.write(rawHead(body.length));
        sock.write(half, () => setTimeout(() => sock.resetAndDestroy(), 5));
        return;
      case 'truncate':
        sock.write(rawHead(body.length));
        sock.end(half);
        return;
      case 'short-length':
        sock.write(rawHead(half.length));
        sock.end(half);
        return;
      case 'stall-headers':
      case 'silent': {
        if (fault.kind === 'stall-headers') sock.write(rawHead(body.length));
        const t = setTimeout(() => sock.destroy(), fault.ms);
        sock.on('close', () => clearTimeout(t));
        return;
      }
      case 'slow-error': {
        res.writeHead(fault.status, { 'content-type': 'text/html', 'content-length': fault.bytes });
        let sent = 0;
        const next = () => {
          if (res.destroyed) return;
          const n = Math.min(1024, fault.bytes - sent);
          sent += n;
          if (sent >= fault.bytes) res.end('x'.repeat(n));
          else res.write('x'.repeat(n), () => setTimeout(next, fault.chunkMs));
        };
        next();
        return;
      }
      case 'echo':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'denied', url: req.url, headers: req.headers }));
        return;
      case 'short-range': {
        const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
        const start = m ? Number(m[1]) : 0;
        const end = m?.[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
        const len = end - start + 1;
        sock.write(
          `HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Length: ${len}\r\nContent-Range: bytes ${start}-${end}/${body.length}\r\nConnection: close\r\n\r\n`,
        );
        sock.end(body.subarray(start, start + (len >> 1)));
        return;
      }
      case 'stall': {
        sock.write(rawHead(body.length));
        sock.write(body.subarray(0, 10));
        const t = setTimeout(() => sock.destroy(), fault.ms);
        sock.on('close', () => clearTimeout(t));
        return;
      }
    }
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    get times() {
      return state.times;
    },
    get headers() {
      return state.headers;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    scripts: state.scripts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
