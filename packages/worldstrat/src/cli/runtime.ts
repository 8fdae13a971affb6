// What every CLI command shares: config files, --json output, progress bars on stderr, Ctrl-C → abort.
import { readFileSync, statSync } from 'node:fs';
import { describeValue } from '@worldstrat/core';
import cliProgress from 'cli-progress';
import type { Command, Option } from 'commander';
import { WorldStratError } from '../errors.js';
import { checkOutputPaths } from '../internal/output-paths.node.js';
import { choiceOption, configListMode } from './options.js';

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

/** Largest config file read (it holds option values, not data). */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Merge a JSON config file into a command's options: file values apply to options the user did not pass on
 * the command line. The file may be flat (`{"seed": 3}`), sectioned by command (`{"synth": {"seed": 3}}`) or
 * both (flat values for every command, the command's section over them). A key that is neither an option of
 * the command nor a command name is an error, so a misspelt section is never silently ignored. File values go
 * through the option's own parser, so they are checked like command-line values.
 *
 * @param cmd - the commander command (to see which options came from the CLI).
 * @param opts - the parsed options.
 * @returns the merged options.
 * @throws {WorldStratError} `CONFIG_ERROR` when the file is missing, too large, not JSON, names unknown
 *   options or sections, or gives a value of the wrong type; `INVALID_ARGUMENT` when an option's parser
 *   rejects a value.
 */
export function applyConfig<T extends object>(cmd: Command, opts: T): T {
  const config: unknown = Reflect.get(opts, 'config');
  const path = typeof config === 'string' ? config : undefined;
  if (!path) return opts;
  const raw = readConfigFile(path);
  // `--quicklook <file>` and `--no-quicklook` share one attribute
  const byName = new Map<string, Option[]>();
  for (const o of cmd.options) byName.set(o.attributeName(), [...(byName.get(o.attributeName()) ?? []), o]);
  const sections = commandNames(cmd);
  const known = `known options: ${[...byName.keys()].join(', ')}`;
  const flat = Object.entries(raw).filter(([k, v]) => {
    if (byName.has(k)) return true;
    if (sections.has(k) && isSection(v)) return false; // a command's section (this one's is merged below)
    throw new WorldStratError(
      'CONFIG_ERROR',
      sections.has(k)
        ? `config file ${path}: "${k}" names a command section but is not an object of option values`
        : `config file ${path}: unknown option "${k}" for \`${cmd.name()}\` (and no command is named "${k}", so it is no section either); ${known}`,
    );
  });
  const own = raw[cmd.name()];
  const sectioned = isSection(own) ? Object.entries(own) : [];
  const merged: Record<string, unknown> = Object.fromEntries(Object.entries(opts));
  for (const [k, v] of [...flat, ...sectioned]) {
    const options = byName.get(k);
    if (!options)
      throw new WorldStratError(
        'CONFIG_ERROR',
        `config file ${path}: unknown option "${k}" in section "${cmd.name()}"; ${known}`,
      );
    if (cmd.getOptionValueSource(k) !== 'cli') merged[k] = configValue(path, k, options, v);
  }
  return merged as T;
}

/** A config section: a JSON object of option values. */
const isSection = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The names of every command and subcommand of the program `cmd` belongs to (the valid section keys). */
function commandNames(cmd: Command): Set<string> {
  let root = cmd;
  while (root.parent) root = root.parent;
  const names = new Set<string>();
  const walk = (c: Command) => {
    for (const sub of c.commands) {
      names.add(sub.name());
      walk(sub);
    }
  };
  walk(root);
  names.add(cmd.name());
  return names;
}

/**
 * The config file as a JSON object; a UTF-8 byte-order mark (Windows Notepad writes one) is skipped.
 *
 * @throws {WorldStratError} `CONFIG_ERROR` naming the file.
 */
function readConfigFile(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    const st = statSync(path);
    // A FIFO or device would block the read below (or never end).
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_CONFIG_BYTES)
      throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes; a config file holds option values only`);
    raw = parseConfigJson(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new WorldStratError('CONFIG_ERROR', `config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!isSection(raw))
    throw new WorldStratError('CONFIG_ERROR', `config file ${path} must hold a JSON object of option values`);
  return raw;
}

/**
 * The config text as JSON. JSON.parse's own message quotes the text, so a token file given as `--config` by
 * mistake would be printed (and logged) whole: the error says where, never what.
 */
function parseConfigJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /at position (\d+)/.exec((e as Error).message);
    if (!at) throw new Error('not valid JSON');
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new Error(`not valid JSON at line ${line}, column ${column}`);
  }
}

/** A config file value checked against its option: flags take booleans, valued options go through the parser. */
function configValue(path: string, name: string, options: readonly Option[], v: unknown): unknown {
  const where = `config file ${path}: "${name}"`;
  const valued = options.find((o) => o.required || o.optional);
  if (typeof v === 'boolean') {
    if (valued && options.every((o) => o.required || o.optional))
      throw new WorldStratError('CONFIG_ERROR', `${where} needs a value, not ${v}`);
    return v;
  }
  if (!valued)
    throw new WorldStratError(
      'CONFIG_ERROR',
      `${where} is a flag; give true or false, not ${describeValue(v)}`,
    );
  if (typeof v === 'string' || typeof v === 'number') {
    // variadic options collect into arrays; a single value counts as one item
    if (valued.variadic) return [String(v)];
    return valued.parseArg ? valued.parseArg(String(v), undefined) : String(v);
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    const items = v.map(String);
    if (valued.variadic) return items;
    const parse = (text: string, prev?: unknown) => (valued.parseArg ? valued.parseArg(text, prev) : text);
    switch (configListMode(valued.parseArg)) {
      case 'items':
        return v; // boxes, points and date ranges: the command parses the list
      case 'comma':
        return parse(items.join(','));
      case 'repeat': {
        let acc: unknown;
        for (const x of items) acc = parse(x, acc);
        return acc;
      }
      default:
        throw new WorldStratError(
          'CONFIG_ERROR',
          `${where} takes one value (${valued.flags}); give a string or number, not the list ${describeValue(v)}`,
        );
    }
  }
  throw new WorldStratError(
    'CONFIG_ERROR',
    `${where}: expected a string, number or list, got ${describeValue(v)}`,
  );
}

/**
 * Check the command's required options after the config file was merged (commander's own check would run
 * before the file is read, so required options are declared to commander as optional; see the program).
 *
 * @param required - the options commander was told are required.
 * @param opts - the merged option values.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the first missing option.
 */
export function checkRequiredOptions(required: readonly Option[], opts: object): void {
  for (const o of required)
    if (Reflect.get(opts, o.attributeName()) === undefined)
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `required option '${o.flags}' not specified (give it on the command line or in the --config file)`,
      );
}

/** Options that name where a command writes. */
const OUTPUT_OPTIONS = ['out', 'quicklook', 'workDir'] as const;

/**
 * Refuse an empty or blank output path: it would resolve to the working directory (`rename x -> ''` fails as
 * ENOENT, `plot map` writes hidden `.svg`/`.png` files there) instead of being a usage error.
 *
 * @param opts - the merged option values.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the option.
 */
export function checkOutputsNotEmpty(opts: object): void {
  for (const k of OUTPUT_OPTIONS) {
    const v: unknown = Reflect.get(opts, k);
    if (typeof v === 'string' && v.trim() === '') {
      const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new WorldStratError('INVALID_ARGUMENT', `${flag} must not be empty; give a file or folder path`);
    }
  }
}

/**
 * Refuse what no path or value on a command line can hold, before any work: a blank positional argument (`synth
 * '   '` wrote a dataset into a folder named by three spaces) and a NUL byte anywhere (the file system refused it
 * only once the work was done, as a write failure).
 *
 * @param cmd - the command, for its positional arguments.
 * @param opts - the merged option values.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the argument or option.
 */
export function checkArgumentText(cmd: Command, opts: object): void {
  cmd.registeredArguments.forEach((arg, i) => {
    const values: unknown[] = [cmd.processedArgs[i]].flat();
    for (const v of values) {
      if (typeof v !== 'string') continue;
      if (v.trim() === '')
        throw new WorldStratError('INVALID_ARGUMENT', `<${arg.name()}> must not be empty; give a path`);
      if (v.includes('\0'))
        throw new WorldStratError(
          'INVALID_ARGUMENT',
          `<${arg.name()}> holds a NUL byte: ${describeValue(v)}`,
        );
    }
  });
  for (const [key, value] of Object.entries(opts)) {
    const values: unknown[] = [value].flat();
    const bad = values.find((v): v is string => typeof v === 'string' && v.includes('\0'));
    if (bad === undefined) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new WorldStratError('INVALID_ARGUMENT', `${flag} holds a NUL byte: ${describeValue(bad)}`);
  }
}

/**
 * Check that `--out` / `--quicklook` do not name the `--config` file the options came from: every write is an
 * atomic rename, so the config would be replaced by the command's output.
 *
 * @param opts - the merged option values.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming both paths.
 */
export async function checkOutputsSpareConfig(opts: object): Promise<void> {
  const config: unknown = Reflect.get(opts, 'config');
  if (typeof config !== 'string') return;
  const outputs = ['out', 'quicklook'].flatMap((k) => {
    const v: unknown = Reflect.get(opts, k);
    return typeof v === 'string' ? [{ path: v, what: `--${k}` }] : [];
  });
  await checkOutputPaths(outputs, [{ path: config, what: 'config file' }]);
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

/** TF.js backends the training commands accept (`--backend`). */
export const CLI_BACKENDS = ['auto', 'wasm', 'webgpu', 'tfjs-node-gpu', 'cpu'] as const;

/** Parse `--backend <name>` (commander argParser): one of {@link CLI_BACKENDS}. */
export const parseBackendOption = choiceOption('backend', CLI_BACKENDS);

/** Options every command has once the program wired it (see the program's `--config`). */
export interface CommandOptions {
  /** JSON file of option values (merged before the action runs). */
  config?: string;
}

/**
 * Runs one command action with config merging, a runtime, and error → exit-code mapping. `O` is the command's
 * options interface: commander's parsers and the config merge (which runs file values through the same
 * parsers) produce exactly those types.
 */
export type CliRunner = <O extends object = Record<string, unknown>>(
  cmd: Command,
  action: (opts: O, rt: CliRuntime) => Promise<void>,
) => Promise<void>;
