// The `worldstrat` command-line program: commander wiring, shared options, error → exit code.
import { Command, CommanderError, type Option } from 'commander';
import { version } from '../../package.json';
import { argumentError, isPlainObject } from '../internal/check-arguments.js';
import { registerAois } from './commands/aois.js';
import { registerBenchmark } from './commands/benchmark.js';
import { registerDemo } from './commands/demo.js';
import { registerDownloadRelease } from './commands/download-release.js';
import { registerEval } from './commands/eval.js';
import { registerFetch } from './commands/fetch.js';
import { registerInfer } from './commands/infer.js';
import { registerPlot } from './commands/plot.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerSample } from './commands/sample.js';
import { registerSearch } from './commands/search.js';
import { registerSplit } from './commands/split.js';
import { registerStatus } from './commands/status.js';
import { registerStratify } from './commands/stratify.js';
import { registerSuperresolve } from './commands/superresolve.js';
import { registerSynth } from './commands/synth.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { SecretScrubber } from './redact.js';
import {
  applyConfig,
  type CliIo,
  type CliRunner,
  type CliRuntime,
  checkArgumentText,
  checkOutputsNotEmpty,
  checkOutputsSpareConfig,
  checkRequiredOptions,
  createRuntime,
} from './runtime.js';

const EXIT_HELP = `
Exit codes: 0 ok · 1 unexpected error (a bug) · 2 bad arguments/config · 3 input not found · 4 bad data
(layout, unreadable file) · 5 write failed · 6 network/service failure · 130 interrupted (Ctrl-C; finished
files are kept, none half-written).
Every command takes --json (machine-readable result on stdout) and --config <file.json> (option values,
required ones included; flags given on the command line win). --verbose or WORLDSTRAT_DEBUG=1 adds the
stack trace of an unexpected error.`;

/** Stack traces of unexpected errors only on request. */
const debugRequested = (global: { verbose?: boolean }) =>
  Boolean(global.verbose) || process.env.WORLDSTRAT_DEBUG === '1';

/**
 * The one line printed for a failed command. Errors of our packages keep their message; anything else is a
 * bug and gets one clean line (its first line) that says how to see the stack.
 */
function errorLine(prefix: string, err: unknown, exitCode: number): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
    name?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (exitCode !== EXIT_CODES.UNEXPECTED) return `${prefix}: ${code ? `[${code}] ` : ''}${message}`;
  const first = message.split('\n').find((l) => l.trim() !== '') ?? '';
  const kind = typeof e.name === 'string' ? e.name : typeof err;
  return `${prefix}: unexpected error (${kind}${code ? ` ${code}` : ''}): ${first.trim()}; rerun with --verbose or WORLDSTRAT_DEBUG=1 for the stack trace`;
}

/** The JSON printed on stdout for a failed command with --json. */
function errorJson(err: unknown, exitCode: number): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
    name?: unknown;
  };
  return `${JSON.stringify(
    {
      error: {
        code: typeof e.code === 'string' ? e.code : 'UNEXPECTED',
        name: typeof e.name === 'string' ? e.name : undefined,
        message: typeof e.message === 'string' ? e.message : String(err),
        exitCode,
      },
    },
    null,
    2,
  )}\n`;
}

/**
 * Build the CLI program. `io` and `exit` are injectable so tests can run commands in-process.
 *
 * @param io - output streams (default: process stdout/stderr).
 * @param exit - called with the exit code after a command (default: sets `process.exitCode`).
 * @param secrets - what output is scrubbed of (runCli seeds it from argv and the environment); config file
 *   credentials are added as they are read.
 * @returns the commander program; call `parseAsync(argv)`.
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'worldstrat', 'synth', 'data/synthetic', '--aois', '4']);
 * ```
 */
export function createProgram(
  io: CliIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
  },
  exit: (code: number) => void = (code) => {
    process.exitCode = code;
  },
  secrets: SecretScrubber = new SecretScrubber(),
): Command {
  checkCliIo('createProgram', io);
  if (typeof exit !== 'function') throw argumentError('createProgram', 'exit', 'a function', exit);
  if (!(secrets instanceof SecretScrubber))
    throw argumentError('createProgram', 'secrets', 'a SecretScrubber', secrets);
  io = secrets.wrap(io);
  const program = new Command('worldstrat');
  program
    .description(
      'WorldStrat toolbox: rebuild a WorldStrat-style dataset (sample, stratify, search, fetch) and train, score and run multi-frame super-resolution',
    )
    .version(version)
    .option('--json', 'print the result as JSON on stdout')
    .option('--quiet', 'no progress bars or notes')
    .option('--verbose', 'print the stack trace of an unexpected error (also WORLDSTRAT_DEBUG=1)')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  // required options are checked after the config file is merged (it may supply them)
  const requiredOf = new Map<Command, Option[]>();
  const run: CliRunner = async <O extends object>(
    cmd: Command,
    action: (opts: O, rt: CliRuntime) => Promise<void>,
  ) => {
    const global = program.opts() as { json?: boolean; quiet?: boolean; verbose?: boolean };
    const rt = createRuntime(global, io);
    const name = cmd.parent && cmd.parent !== program ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
    try {
      const opts = applyConfig(cmd, cmd.opts<O>());
      secrets.addFromValue(opts);
      checkRequiredOptions(requiredOf.get(cmd) ?? [], opts);
      checkOutputsNotEmpty(opts);
      checkArgumentText(cmd, opts);
      await checkOutputsSpareConfig(opts);
      await action(opts, rt);
      exit(EXIT_CODES.OK);
    } catch (err) {
      const code = exitCodeFor(err);
      if (global.json) io.stdout(errorJson(err, code));
      else {
        io.stderr(`${errorLine(`worldstrat ${name}`, err, code)}\n`);
        if (code === EXIT_CODES.UNEXPECTED && debugRequested(global) && err instanceof Error && err.stack)
          io.stderr(`${err.stack}\n`);
      }
      exit(code);
    } finally {
      rt.dispose();
    }
  };

  for (const register of [
    registerSynth,
    registerSample,
    registerAois,
    registerSplit,
    registerPlot,
    registerDownloadRelease,
    registerRebuild,
    registerStratify,
    registerSearch,
    registerFetch,
    registerDemo,
    registerBenchmark,
    registerTrain,
    registerEval,
    registerInfer,
    registerSuperresolve,
    registerWorker,
    registerStatus,
  ])
    register(program, run);
  const deferRequired = (cmd: Command) => {
    const required = cmd.options.filter((o) => o.mandatory);
    for (const o of required) {
      o.makeOptionMandatory(false);
      if (!o.description.includes('(required)')) o.description = `(required) ${o.description}`;
    }
    requiredOf.set(cmd, required);
  };
  for (const cmd of program.commands) {
    deferRequired(cmd);
    if (cmd.commands.length === 0 && !cmd.options.some((o) => o.long === '--config'))
      cmd.option('--config <file>', 'JSON file of option values');
    cmd.addHelpText('after', EXIT_HELP);
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of cmd.commands) {
      deferRequired(sub);
      if (!sub.options.some((o) => o.long === '--config'))
        sub.option('--config <file>', 'JSON file of option values');
      sub.exitOverride();
      sub.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    }
  }
  return program;
}

/**
 * Run the CLI with `argv` (as `process.argv`) and resolve with the exit code. Never rejects: every failure
 * becomes an exit code and one line on stderr (or a JSON error with --json), scrubbed of the run's secrets.
 *
 * @param argv - full argv including node and script.
 * @param io - output streams.
 * @returns the exit code.
 * @throws WorldStratError `INVALID_ARGUMENT`, before anything runs, when `argv` is not an array of strings or `io`
 *   lacks `stdout`/`stderr` functions and a boolean `isTTY`.
 */
export async function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string'))
    throw argumentError('runCli', 'argv', 'an array of strings (as process.argv)', argv);
  if (io !== undefined) checkCliIo('runCli', io);
  const secrets = new SecretScrubber();
  secrets.addFromEnv(process.env);
  for (const a of argv) secrets.addFromText(a);
  const stderr = (t: string) => (io?.stderr ?? ((x: string) => process.stderr.write(x)))(secrets.scrub(t));
  const stdout = (t: string) => (io?.stdout ?? ((x: string) => process.stdout.write(x)))(secrets.scrub(t));
  let code = 0;
  let program: Command | undefined;
  try {
    program = createProgram(
      io,
      (c) => {
        code = c;
      },
      secrets,
    );
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; usage errors 2 (commander printed them; --json also gets them on stdout)
      if (err.exitCode === 0) return 0;
      if ((program?.opts() as { json?: boolean } | undefined)?.json) stdout(errorJson(err, EXIT_CODES.USAGE));
      return EXIT_CODES.USAGE;
    }
    // thrown before a command's action ran (an option parser rejected a value)
    const exitCode = exitCodeFor(err);
    const global = (program?.opts() ?? {}) as { json?: boolean; verbose?: boolean };
    if (global.json) stdout(errorJson(err, exitCode));
    else {
      stderr(`${errorLine('worldstrat', err, exitCode)}\n`);
      if (exitCode === EXIT_CODES.UNEXPECTED && debugRequested(global) && err instanceof Error && err.stack)
        stderr(`${err.stack}\n`);
    }
    return exitCode;
  }
  return code;
}

/** An injected {@link CliIo}: two output functions and whether stderr is a terminal. */
function checkCliIo(fn: string, io: unknown): void {
  const ok =
    isPlainObject(io) &&
    typeof io.stdout === 'function' &&
    typeof io.stderr === 'function' &&
    typeof io.isTTY === 'boolean';
  if (!ok)
    throw argumentError(fn, 'io', 'an object with stdout and stderr functions and a boolean isTTY', io);
}
