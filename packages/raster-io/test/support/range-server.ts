// A local HTTP server (127.0.0.1) for range-request tests: serves files with Range support and counts
// requests; special paths misbehave on purpose.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface RangeServer {
  url(path: string): string;
  /** Files served under /files/<name>. */
  files: Map<string, Uint8Array>;
  requests: { path: string; range?: string; acceptEncoding?: string }[];
  bytesSent: number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Paths: `/files/<name>` (Range → 206 + Content-Range, no Range → 200), `/norange/<name>` (ignores Range,
 * always 200 with the whole file), `/416/<name>` (always 416), `/missing` (404), `/hang` (never answers),
 * `/hang-body/<name>` (sends 206 headers and half the body, then stalls), `/capped/<name>` (answers at most 4096
 * bytes of any range: a valid 206 with the real total, as servers capping range sizes do), `/gzip/<name>` (206
 * answers gzip-encoded whatever Accept-Encoding says, Content-Length the encoded size), `/200range/<name>` (200
 * with only the bytes asked and their Content-Range), `/200range-bare/<name>` (200 with only the bytes asked).
 */
export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, Uint8Array>();
  const state = {
    requests: [] as { path: string; range?: string; acceptEncoding?: string }[],
    bytesSent: 0,
  };
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    const range = req.headers.range;
    const acceptEncoding = req.headers['accept-encoding'];
    state.requests.push({ path, range, ...(acceptEncoding === undefined ? {} : { acceptEncoding }) });
    const [, kind, name] = path.split('/') as [string, string, string | undefined];
    const file = name ? files.get(name) : undefined;
    const send = (status: number, headers: Record<string, string | number>, body?: Uint8Array) => {
      res.writeHead(status, headers);
      if (body) state.bytesSent += body.byteLength;
      res.end(body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined);
    };
    if (kind === 'hang') {
      hanging.add(res);
      return;
    }
    if (!file) return send(404, { 'content-type': 'text/plain' }, new TextEncoder().encode('no such file'));
    if (kind === '416') return send(416, { 'content-range': `bytes */${file.byteLength}` });
    if (kind === 'norange') return send(200, { 'content-length': file.byteLength }, file);
    if (!range) return send(200, { 'content-length': file.byteLength, 'accept-ranges': 'bytes' }, file);
    const m = /^bytes=(\d+)-(\d+)?$/.exec(range);
    if (!m) return send(416, { 'content-range': `bytes */${file.byteLength}` });
    const start = Number(m[1]);
    const end = Math.min(m[2] === undefined ? file.byteLength - 1 : Number(m[2]), file.byteLength - 1);
    if (start >= file.byteLength) return send(416, { 'content-range': `bytes */${file.byteLength}` });
    // /capped/: a server that answers at most 4096 bytes of any range (valid Content-Range, real total)
    const body = file.subarray(start, (kind === 'capped' ? Math.min(end, start + 4095) : end) + 1);
    if (kind === '200range' || kind === '200range-bare') {
      const cr = `bytes ${start}-${end}/${file.byteLength}`;
      return send(
        200,
        { 'content-length': body.byteLength, ...(kind === '200range' ? { 'content-range': cr } : {}) },
        body,
      );
    }
    if (kind === 'gzip') {
      const encoded = gzipSync(body);
      return send(
        206,
        {
          'content-range': `bytes ${start}-${end}/${file.byteLength}`,
          'content-length': encoded.byteLength,
          'content-encoding': 'gzip',
        },
        encoded,
      );
    }
    if (kind === 'hang-body') {
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${file.byteLength}`,
        'content-length': body.byteLength,
      });
      res.write(Buffer.from(body.subarray(0, body.byteLength >> 1)));
      hanging.add(res);
      return;
    }
    send(
      206,
      {
        'content-range': `bytes ${start}-${start + body.byteLength - 1}/${file.byteLength}`,
        'content-length': body.byteLength,
        'accept-ranges': 'bytes',
      },
      body,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    files,
    get requests() {
      return state.requests;
    },
    get bytesSent() {
      return state.bytesSent;
    },
    reset() {
      state.requests = [];
      state.bytesSent = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } as RangeServer;
}
