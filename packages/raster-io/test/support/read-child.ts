// Run test/support/read-child.mjs (the built dist) in a child Node with a small heap.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./read-child.mjs', import.meta.url));
const PKG = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildResult {
  ok: boolean;
  typed?: boolean;
  code?: string;
  type?: string;
  message?: string;
  ms: number;
  maxRssMB: number;
  /** On success: the blocks filled under `onCorruptBlock: 'fill'` (absent when the option was not set). */
  filledBlocks?: { index: number; code: string }[];
  /** Exit status and wall time of the child as seen from outside. */
  status: number | null;
  wallMs: number;
  stderr: string;
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Throws unless dist/ exists and is newer than src/ (the child runs the built package). */
export function assertDistFresh(): void {
  const dist = join(PKG, 'dist', 'node.js');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newestMtime(join(PKG, 'src'))) {
    throw new Error(
      'raster-io dist/ is missing or older than src/: run `pnpm --filter @worldstrat/raster-io build`',
    );
  }
}

/** Read `target` in a child with `--max-old-space-size=heapMB`; kills it after `killMs`. */
export function readInChild(
  target: string,
  options: object = {},
  { heapMB = 256, killMs = 20_000 } = {},
): Promise<ChildResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${heapMB}`, CHILD, target, JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      let parsed: Partial<ChildResult> = { ok: false, ms: Number.NaN, maxRssMB: Number.NaN };
      try {
        parsed = JSON.parse(line);
      } catch {}
      resolve({ ...(parsed as ChildResult), status, wallMs: Date.now() - t0, stderr: err.slice(-2000) });
    });
  });
}

/** How a FIFO read ends, from {@link fifoOutcomesInChild}: 'resolved', or the error's code and message. */
type FifoOutcome = 'resolved' | { code: string; message: string };

/**
 * `fileSource(fifo, options).read(0, 8)` and `readGeoTiffFile(fifo, options)` run in a child Node (the built dist),
 * killed after 20 s: an open that waited for a writer would hang a thread even `process.exit()` waits for.
 * Returns their outcomes, with the child's signal and status.
 */
export function fifoOutcomesInChild(
  fifo: string,
  options: object = {},
): {
  signal: NodeJS.Signals | null;
  status: number | null;
  outcomes?: { read: FifoOutcome; file: FifoOutcome };
} {
  assertDistFresh();
  const script =
    `const m = await import(${JSON.stringify(join(PKG, 'dist', 'node.js'))});\n` +
    `const outcome = (p) => p.then(() => 'resolved', (e) => ({ code: e.code, message: e.message }));\n` +
    `const options = ${JSON.stringify(options)};\n` +
    `const src = m.fileSource(${JSON.stringify(fifo)}, options);\n` +
    `const read = await outcome(src.read(0, 8));\n` +
    `await src.close();\n` +
    `const file = await outcome(m.readGeoTiffFile(${JSON.stringify(fifo)}, { ...options, signal: AbortSignal.timeout(60_000) }));\n` +
    `console.log(JSON.stringify({ read, file }));\n`;
  const { NODE_OPTIONS: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env,
  });
  return {
    signal: r.signal,
    status: r.status,
    ...(r.status === 0 ? { outcomes: JSON.parse(r.stdout) } : {}),
  };
}
