// Run the built `worldstrat` binary (dist/cli.js) in a child process, in a given working directory: what a
// user's shell does, including a kill -9 from outside.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (CI builds before testing). */
export const CLI_BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Result of a finished child. */
export interface SpawnedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Starts `node dist/cli.js <args>` in `cwd` (with `env` added to this process's environment); `done` resolves
 * when it has exited and its output is drained.
 */
export function spawnCli(
  args: string[],
  cwd: string,
  env?: Record<string, string>,
  nodeArgs: readonly string[] = [],
): { child: ChildProcess; done: Promise<SpawnedResult> } {
  const child = spawn(process.execPath, [...nodeArgs, CLI_BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const done = new Promise<SpawnedResult>((r) =>
    child.on('close', (code, signal) => r({ code, signal, out, err })),
  );
  return { child, done };
}
