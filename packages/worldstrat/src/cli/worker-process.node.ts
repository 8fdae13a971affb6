// `worldstrat worker` runs its jobs in a child Node process started with V8's `--single-threaded-gc`.
// Workers are deployed one per core and their tiles are CPU-bound: V8's default parallel and concurrent collector
// threads (four per process) then only take CPU from the other workers. On the 2-core region benchmark two
// workers ran 1.79× as fast as one with them and 1.99× without (README). V8 reads the flag only at start-up
// (Node refuses it in NODE_OPTIONS, and setting it at run time crashes), hence the child. The parent only waits:
// it forwards SIGINT/SIGTERM/SIGHUP, and the child kills itself when the parent dies (kill -9 included), so a
// killed worker never leaves a process that goes on taking jobs. `--gc parallel` keeps one process with V8's
// default collector.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Set in the child's environment: it is the worker itself and must not start another child. */
const CHILD_ENV = 'WORLDSTRAT_WORKER_CHILD';
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The worker's `--gc` choice in raw arguments (after the command name), if given. */
export function workerGcChoice(args: readonly string[]): string | undefined {
  let choice: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    if (a === '--gc') choice = args[i + 1];
    else if (a.startsWith('--gc=')) choice = a.slice('--gc='.length);
  }
  return choice;
}

/** Whether this invocation should start the worker as a child under `--single-threaded-gc`. */
function needsChild(argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (argv[2] !== 'worker' || env[CHILD_ENV] === '1') return false;
  const args = argv.slice(3);
  if (args.includes('--help') || args.includes('-h')) return false;
  if (workerGcChoice(args) === 'parallel') return false;
  return !execArgv.includes('--single-threaded-gc');
}

/**
 * Starts `worldstrat worker …` again as a child process under `--single-threaded-gc` and resolves with its exit
 * code (128 + the signal number when a signal ended it), or returns null when this process is to run the command
 * itself: another command, `--help`, `--gc parallel`, the flag already set, or this process is that child.
 *
 * @param argv - `process.argv` of the `worldstrat` binary.
 * @returns the child's exit code, or null.
 */
export function runWorkerInChildProcess(argv: readonly string[]): Promise<number> | null {
  if (!needsChild(argv, process.execArgv, process.env)) return null;
  const child = spawn(process.execPath, ['--single-threaded-gc', ...process.execArgv, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
    // its own process group: a terminal's Ctrl-C reaches the child once, through the parent
    detached: process.platform !== 'win32',
  });
  const forward = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  return new Promise((resolve) => {
    const done = (code: number) => {
      for (const sig of FORWARDED) process.off(sig, forward);
      resolve(code);
    };
    child.once('error', (err) => {
      process.stderr.write(`worldstrat worker: cannot start the worker process: ${err.message}\n`);
      done(1);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}

/**
 * In the worker's child process: exit at once (SIGKILL, as if killed with the parent) when the parent is gone,
 * and never stay alive for the parent's channel alone. No-op in any other process.
 */
export function exitWithParentWorker(): void {
  if (process.env[CHILD_ENV] !== '1' || typeof process.send !== 'function') return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
