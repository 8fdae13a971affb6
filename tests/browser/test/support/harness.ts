// Headless Chromium harness: bundles a page entry with esbuild (code splitting, so each backend is its own
// chunk), serves it with the TF.js wasm files from a static server on 127.0.0.1, and drives Debian's chromium
// through playwright-core with the network off (only 127.0.0.1 resolves). Under CI a missing chromium fails;
// on a developer machine the tests skip with the reason printed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const pagesDir = join(here, '..', '..', 'pages');
/** The shared fixtures folder (beside the repository checkout), as the srnet parity tests locate it. */
export const sharedDir = join(here, '..', '..', '..', '..', '..', 'shared');

/** Chromium's executable: $CHROMIUM_PATH, else `chromium` on PATH. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH)
    return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
        encoding: 'utf8',
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Whether browser tests run: true when chromium exists; throws under CI when it does not. */
export function requireChromium(): string | undefined {
  const exe = findChromium();
  if (exe) return exe;
  if (process.env.CI)
    throw new Error(
      'chromium is required when CI is set but is not installed (apt-get install chromium, see .ci/run)',
    );
  console.warn('skipping browser tests: chromium is not installed here (CI requires it)');
  return undefined;
}

/** Flags that keep Chromium off the network and give WebGL a software device in headless mode. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-sync',
  '--no-first-run',
  '--no-pings',
  '--metrics-recording-only',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

const require = createRequire(import.meta.url);
/** The folder holding @tensorflow/tfjs-backend-wasm's .wasm files. */
export const tfjsWasmDir = dirname(
  require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);

/** The folder holding onnxruntime-web's .wasm files (its dist/), served at `/ort/`. */
export const ortWasmDir = dirname(require.resolve('onnxruntime-web'));

/** Bundles `entries` (paths under pages/) into a fresh folder; returns it. */
export async function bundlePages(entries: string[]): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), 'worldstrat-browser-'));
  await build({
    entryPoints: entries.map((e) => join(pagesDir, e)),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir,
    logLevel: 'error',
  });
  return outdir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * A static server on 127.0.0.1: `/wasm/*` from TF.js, `/ort/*` from onnxruntime-web, `/fixtures/*` from extra
 * files, the rest from `root`.
 */
export async function serve(
  root: string,
  extra: Record<string, Uint8Array> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const body = extra[path];
    if (body) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      return;
    }
    const prefix = ['/wasm/', '/ort/'].find((p) => path.startsWith(p));
    const base = prefix === '/wasm/' ? tfjsWasmDir : prefix === '/ort/' ? ortWasmDir : root;
    const rel = prefix ? path.slice(prefix.length) : path.slice(1) || 'index.html';
    const file = normalize(join(base, rel));
    if (extname(path) === '.html' && !existsSync(file)) {
      // Any missing page.html loads page.js (the bundled entry of the same name).
      const js = `.${path.slice(0, -'.html'.length)}.js`;
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><script type="module" src="${js}"></script>`);
      return;
    }
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Launches headless chromium and opens `url`/`name`.html, which loads the bundled `name`.js. */
export async function openPage(
  exe: string,
  url: string,
  name: string,
  extraArgs: string[] = [],
): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  const browser = await chromium.launch({
    executablePath: exe,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  await page.goto(`${url}/${name}.html`);
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true, undefined, {
    timeout: 60_000,
  });
  return { browser, page, errors };
}

/** Removes a folder this run created. */
export function removeDir(dir: string): void {
  if (dir.includes('worldstrat-browser-')) rmSync(dir, { recursive: true, force: true });
}
