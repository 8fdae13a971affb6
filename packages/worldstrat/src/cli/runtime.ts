// What every CLI command shares: config files, --json output, progress bars on stderr, Ctrl-C → abort.
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { WorldStratError } from '../errors.js';

/** Options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  quiet?: boolean;
}

/** Per-run services handed to a command's action. */
export interface CliRuntime {
  /** Fires on Ctrl-C (SIGINT/SIGTERM); libraries stop at the next check and leave no partial file. */
  signal: AbortSignal;
  /** Progress callback for library `onProgress` options (renders a bar on a TTY, nothing with --json). */
  onProgress: (p: { stage: string; done: number; total: number }) => void;
  /** Human-readable line on stderr (suppressed by --quiet and --json). */
  info: (message: string) => void;
  /** Finish: print `result` as JSON (--json) or `text` for humans. */
  done: (result: unknown, text?: string) => void;
  json: boolean;
}

/** Streams a command writes to (replaceable in tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

/**
 * Merge a JSON config file into a command's options: file values apply to options the user did not pass on
 * the command line. The file may be flat (`{"seed": 3}`) or sectioned by command (`{"synth": {"seed": 3}}`).
 *
 * @param cmd - the commander command (to see which options came from the CLI).
 * @param opts - the parsed options.
 * @returns the merged options.
 * @throws {WorldStratError} `CONFIG_ERROR` when the file is missing, not JSON, or names unknown options.
 */
export function applyConfig<T extends Record<string, unknown>>(cmd: Command, opts: T): T {
  const path = opts.config as string | undefined;
  if (!path) return opts;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new WorldStratError('CONFIG_ERROR', `config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WorldStratError('CONFIG_ERROR', `config file ${path} must hold a JSON object of option values`);
  }
  const section = (raw as Record<string, unknown>)[cmd.name()];
  const values = (typeof section === 'object' && section !== null ? section : raw) as Record<string, unknown>;
  const known = new Set(cmd.options.map((o) => o.attributeName()));
  const merged: Record<string, unknown> = { ...opts };
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && !known.has(k)) continue; // another command's section
    if (!known.has(k)) {
      throw new WorldStratError(
        'CONFIG_ERROR',
        `config file ${path}: unknown option "${k}" for \`${cmd.name()}\`; known: ${[...known].join(', ')}`,
      );
    }
    if (cmd.getOptionValueSource(k) !== 'cli') merged[k] = v;
  }
  return merged as T;
}

/**
 * Create the runtime of one command run.
 *
 * @param global - --json / --quiet.
 * @param io - output streams.
 * @returns the runtime and a `dispose()` that removes the signal handlers and stops bars.
 */
export function createRuntime(global: GlobalOptions, io: CliIo): CliRuntime & { dispose: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr(
      `\n${sig}: stopping (finished files are kept, nothing half-written is left); press Ctrl-C again to force\n`,
    );
    controller.abort(new WorldStratError('ABORTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const json = Boolean(global.json);
  const showBars = io.isTTY && !json && !global.quiet;
  let bar: cliProgress.SingleBar | null = null;
  let barStage = '';
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    signal: controller.signal,
    json,
    onProgress: ({ stage, done, total }) => {
      if (!showBars) return;
      if (!bar || barStage !== stage) {
        stopBar();
        barStage = stage;
        bar = new cliProgress.SingleBar(
          {
            format: `${stage.padEnd(12)} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.setTotal(total);
      bar.update(done);
      if (done >= total) stopBar();
    },
    info: (m) => {
      if (!json && !global.quiet) io.stderr(`${m}\n`);
    },
    done: (result, text) => {
      stopBar();
      if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else if (text) io.stdout(`${text}\n`);
    },
    dispose: () => {
      stopBar();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Parse an integer option value (commander argParser). */
export function parseIntOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n))
      throw new WorldStratError('INVALID_ARGUMENT', `--${name} ${v}: expected an integer`);
    return n;
  };
}

/** TF.js backends the training commands accept (`--backend`). */
export const CLI_BACKENDS = ['auto', 'wasm', 'webgpu', 'tfjs-node-gpu', 'cpu'] as const;

/** Parse `--backend <name>` (commander argParser): one of {@link CLI_BACKENDS}. */
export function parseBackendOption(v: string): (typeof CLI_BACKENDS)[number] {
  if (!(CLI_BACKENDS as readonly string[]).includes(v))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--backend ${v}: expected one of ${CLI_BACKENDS.join(', ')}`,
    );
  return v as (typeof CLI_BACKENDS)[number];
}

/** Parse `--workers <n|auto>` (commander argParser): a positive integer or 'auto'. */
export function parseWorkersOption(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new WorldStratError('INVALID_ARGUMENT', `--workers ${v}: expected a positive integer or 'auto'`);
  return n;
}

/** Parse a number option value (commander argParser). */
export function parseNumberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n))
      throw new WorldStratError('INVALID_ARGUMENT', `--${name} ${v}: expected a number`);
    return n;
  };
}

/** Runs one command action with config merging, a runtime, and error → exit-code mapping. */
export type CliRunner = (
  cmd: Command,
  action: (opts: Record<string, unknown>, rt: CliRuntime) => Promise<void>,
) => Promise<void>;
