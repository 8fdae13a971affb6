// The `worldstrat` command-line program: commander wiring, shared options, error → exit code.
import { Command, CommanderError } from 'commander';
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
import { registerStratify } from './commands/stratify.js';
import { registerSuperresolve } from './commands/superresolve.js';
import { registerSynth } from './commands/synth.js';
import { registerTrain } from './commands/train.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { applyConfig, type CliIo, type CliRunner, createRuntime } from './runtime.js';

const EXIT_HELP = `
Exit codes: 0 ok · 1 unexpected error · 2 bad arguments/config · 3 input not found · 4 bad data (layout,
unreadable file) · 5 write failed · 6 network/service failure · 130 interrupted (Ctrl-C; finished files
are kept, none half-written).
Every command takes --json (machine-readable result on stdout) and --config <file.json> (option values;
flags given on the command line win).`;

/**
 * Build the CLI program. `io` and `exit` are injectable so tests can run commands in-process.
 *
 * @param io - output streams (default: process stdout/stderr).
 * @param exit - called with the exit code after a command (default: sets `process.exitCode`).
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
): Command {
  const program = new Command('worldstrat');
  program
    .description(
      'WorldStrat toolbox: synthetic data, sampling, AOIs, splits, plots (and pipelines as they land)',
    )
    .version('0.1.0')
    .option('--json', 'print the result as JSON on stdout')
    .option('--quiet', 'no progress bars or notes')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const run: CliRunner = async (cmd, action) => {
    const global = program.opts() as { json?: boolean; quiet?: boolean };
    const rt = createRuntime(global, io);
    try {
      const opts = applyConfig(cmd, cmd.opts());
      await action(opts, rt);
      exit(EXIT_CODES.OK);
    } catch (err) {
      const code = exitCodeFor(err);
      const e = err as { code?: string; message?: string; name?: string };
      if (global.json) {
        io.stdout(
          `${JSON.stringify({ error: { code: e.code ?? 'UNEXPECTED', name: e.name, message: e.message } }, null, 2)}\n`,
        );
      } else {
        io.stderr(`worldstrat ${cmd.name()}: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
        if (code === EXIT_CODES.UNEXPECTED && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
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
  ])
    register(program, run);
  for (const cmd of program.commands) {
    if (cmd.commands.length === 0 && !cmd.options.some((o) => o.long === '--config'))
      cmd.option('--config <file>', 'JSON file of option values');
    cmd.addHelpText('after', EXIT_HELP);
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of cmd.commands) {
      if (!sub.options.some((o) => o.long === '--config'))
        sub.option('--config <file>', 'JSON file of option values');
      sub.exitOverride();
      sub.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    }
  }
  return program;
}

/**
 * Run the CLI with `argv` (as `process.argv`) and resolve with the exit code.
 *
 * @param argv - full argv including node and script.
 * @param io - output streams.
 * @returns the exit code.
 */
export async function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; usage errors 2.
      return err.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    }
    const msg = err instanceof Error ? err.message : String(err);
    (io?.stderr ?? ((t: string) => process.stderr.write(t)))(`worldstrat: ${msg}\n`);
    return exitCodeFor(err);
  }
  return code;
}
