// Run test/support/read-child.mjs (the built dist) in a child Node with a small heap.
import { spawn } from 'node:child_process';
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
