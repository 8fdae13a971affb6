// Replays request/response pairs on 127.0.0.1: each route answers a fixture file (with `{{BASE}}` replaced by
// the server's URL) or a handler's JSON. Every request is recorded with its headers for assertions.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface ReplayRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: IncomingMessage['headers'];
}

export interface ReplayRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Extra condition (query or body), first matching route wins. */
  when?: (req: ReplayRequest) => boolean;
  /** Fixture file under test/fixtures/stac. */
  file?: string;
  /** Or a handler: status and JSON body. */
  reply?: (req: ReplayRequest, base: string) => { status?: number; body: unknown };
}

export interface ReplayServer {
  url: string;
  requests: ReplayRequest[];
  routes: ReplayRoute[];
  close(): Promise<void>;
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'stac');

/** Reads a fixture with `{{BASE}}` replaced. */
export function fixture(file: string, base = 'https://example.test'): any {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8').replaceAll('{{BASE}}', base));
}

/** JSON bodies parsed; forms (the OAuth token request) kept as text. */
function parseBody(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startReplayServer(routes: ReplayRoute[] = []): Promise<ReplayServer> {
  const state: ReplayServer = { url: '', requests: [], routes, close: async () => {} };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', state.url);
    const rec: ReplayRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: u.pathname,
      query: u.searchParams,
      body: parseBody(raw),
      headers: req.headers,
    };
    state.requests.push(rec);
    const route = state.routes.find(
      (r) => r.method === rec.method && r.path === rec.path && (!r.when || r.when(rec)),
    );
    let status = 404;
    let body: unknown = { code: 'NotFound', description: `no route ${rec.method} ${rec.path}` };
    if (route?.file) {
      status = 200;
      body = fixture(route.file, state.url);
    } else if (route?.reply) {
      const r = route.reply(rec, state.url);
      status = r.status ?? 200;
      body = r.body;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ description: String(err) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
