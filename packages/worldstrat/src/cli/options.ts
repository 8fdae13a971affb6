// The option parsers every command shares: numbers with explicit bounds, dates, coordinates and boxes. Each
// throws WorldStratError INVALID_ARGUMENT (exit 2) naming the flag and the offending value. They serve as
// commander argParsers and also run on values from --config files, so both sources are checked alike.
import type { BBox, RasterIoLimits } from '@worldstrat/raster-io';
import type { Command } from 'commander';
import { WorldStratError } from '../errors.js';

/** Largest point/AOI count a command accepts (sampling pools, draws): bounds memory and run time. */
export const MAX_POINTS = 1_000_000;
/** Largest seed (the PRNGs take non-negative safe integers). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** Most requests any command keeps in flight. */
export const MAX_CONCURRENCY = 64;

/** Inclusive bounds of a numeric option; `above` makes the lower bound exclusive. */
export interface NumberBounds {
  min?: number;
  max?: number;
  /** Value must be strictly greater than this (e.g. 0 for a rate). */
  above?: number;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the same set, without splitting a digit run two ways (quadratic).
const NUMBER_TEXT = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function invalid(flag: string, value: unknown, expected: string): WorldStratError {
  return new WorldStratError('INVALID_ARGUMENT', `--${flag} ${String(value)}: expected ${expected}`);
}

function rangeText(b: NumberBounds): string {
  const lo = b.above !== undefined ? `> ${b.above}` : b.min !== undefined ? `≥ ${b.min}` : '';
  const hi = b.max !== undefined ? `≤ ${b.max}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

function checkBounds(flag: string, value: unknown, n: number, what: string, b: NumberBounds): number {
  if (
    (b.min !== undefined && n < b.min) ||
    (b.max !== undefined && n > b.max) ||
    (b.above !== undefined && n <= b.above)
  )
    throw invalid(flag, value, `${what} ${rangeText(b)}`);
  return n;
}

/**
 * An integer option parser (decimal digits only: no '', '1.5', '1e3', '0x10', NaN).
 *
 * @param flag - option name without dashes (named in the error).
 * @param bounds - accepted range.
 * @returns a commander argParser.
 * @example
 * ```ts
 * cmd.option('--count <n>', 'points', intOption('count', { min: 1, max: MAX_POINTS }));
 * ```
 */
export function intOption(flag: string, bounds: NumberBounds) {
  return (v: string | number): number => {
    const text = String(v).trim();
    const n = Number(text);
    if (!INTEGER_TEXT.test(text) || !Number.isSafeInteger(n)) throw invalid(flag, v, 'an integer');
    return checkBounds(flag, v, n, 'an integer', bounds);
  };
}

/**
 * A finite number option parser (decimal or exponent notation; no '', NaN, Infinity, hex).
 *
 * @param flag - option name without dashes.
 * @param bounds - accepted range.
 * @returns a commander argParser.
 */
export function numberOption(flag: string, bounds: NumberBounds) {
  return (v: string | number): number => {
    const text = String(v).trim();
    const n = Number(text);
    if (!NUMBER_TEXT.test(text) || !Number.isFinite(n)) throw invalid(flag, v, 'a number');
    return checkBounds(flag, v, n, 'a number', bounds);
  };
}

/** `--seed`: a non-negative safe integer. */
export const seedOption = (flag = 'seed') => intOption(flag, { min: 0, max: MAX_SEED });
/** `--concurrency`: 1 … {@link MAX_CONCURRENCY}. */
export const concurrencyOption = (flag = 'concurrency') => intOption(flag, { min: 1, max: MAX_CONCURRENCY });
/** A cloud-cover percentage in [0, 100]. */
export const percentOption = (flag: string) => numberOption(flag, { min: 0, max: 100 });
/** An AOI area in km²: > 0 and at most 10 000 (a 100 km × 100 km box). */
export const areaOption = (flag = 'area') => numberOption(flag, { above: 0, max: 10_000 });

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Check a calendar date `YYYY-MM-DD` (a real day: no 2022-02-30).
 *
 * @param flag - option name without dashes.
 * @param v - the value.
 * @returns the date text.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the flag and value.
 */
export function parseDate(flag: string, v: unknown): string {
  const text = String(v).trim();
  const m = DATE_TEXT.exec(text);
  const ok =
    m !== null &&
    (() => {
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      return d.toISOString().slice(0, 10) === text && Number(m[1]) >= 1900;
    })();
  if (!ok)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--${flag} ${JSON.stringify(text)}: not a calendar date YYYY-MM-DD (e.g. 2022-06-01)`,
    );
  return text;
}

/** A `YYYY-MM-DD` option parser (commander argParser). */
export const dateOption = (flag: string) => (v: string) => parseDate(flag, v);

/**
 * Check that a date window is in order.
 *
 * @param from - start (`YYYY-MM-DD`), named `--fromFlag`.
 * @param to - end.
 * @param flags - the option names for the message.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when `from` is after `to`.
 */
export function checkDateOrder(from: string, to: string, flags = ['--from', '--to']): void {
  if (from > to)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${flags[0]} ${from} is after ${flags[1]} ${to}: the window ends before it starts`,
    );
}

/**
 * Parse `START/END` (`--dates 2022-06-01/2022-06-30`; a `[start, end]` array from a config file).
 *
 * @param v - the value.
 * @param flag - option name without dashes.
 * @returns `[start, end]`, both valid dates, start ≤ end.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the value.
 */
export function parseDateRange(v: unknown, flag = 'dates'): [string, string] {
  const parts = Array.isArray(v) ? v.map(String) : String(v).split('/');
  if (parts.length !== 2 || parts.some((p) => p.trim() === ''))
    throw invalid(flag, v, 'START/END as YYYY-MM-DD/YYYY-MM-DD, e.g. 2022-06-01/2022-06-30');
  const [from, to] = parts.map((p) => parseDate(flag, p.trim()));
  checkDateOrder(from, to, [`--${flag} start`, 'end']);
  return [from, to];
}

function parseNumberList(v: unknown, flag: string, count: number, expected: string): number[] {
  const parts = Array.isArray(v) ? v : String(v).split(',');
  const nums = parts.map((p) => {
    const text = String(p).trim();
    return NUMBER_TEXT.test(text) ? Number(text) : Number.NaN;
  });
  if (nums.length !== count || nums.some((x) => !Number.isFinite(x))) throw invalid(flag, v, expected);
  return nums;
}

function checkLonLat(flag: string, v: unknown, lon: number, lat: number): void {
  const bad =
    lon < -180 || lon > 180
      ? `longitude ${lon} is not in [-180, 180]`
      : lat < -90 || lat > 90
        ? `latitude ${lat} is not in [-90, 90]`
        : '';
  if (bad) throw new WorldStratError('INVALID_ARGUMENT', `--${flag} ${String(v)}: ${bad}`);
}

/**
 * Parse a lon/lat box `minLon,minLat,maxLon,maxLat` (or a 4-number array from a config file).
 *
 * @param v - the value.
 * @param flag - option name without dashes.
 * @returns the box; min < max on both axes, coordinates in range.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the value.
 */
export function parseBBox(v: unknown, flag = 'bbox'): BBox {
  const expected = 'minLon,minLat,maxLon,maxLat in degrees';
  const [w, s, e, n] = parseNumberList(v, flag, 4, expected);
  checkLonLat(flag, v, w, s);
  checkLonLat(flag, v, e, n);
  if (w >= e || s >= n)
    throw invalid(flag, v, `${expected} with minLon < maxLon and minLat < maxLat (an inverted box)`);
  return [w, s, e, n];
}

/**
 * Parse a point `lon,lat` (or a `[lon, lat]` array from a config file).
 *
 * @param v - the value.
 * @param flag - option name without dashes.
 * @returns the point, in range.
 * @throws {WorldStratError} `INVALID_ARGUMENT` naming the value.
 */
export function parseLonLat(v: unknown, flag = 'aoi'): { lon: number; lat: number } {
  const expected = `lon,lat in degrees, e.g. --${flag} 8.54,47.37 (negative: --${flag}=-15.79,12.43)`;
  const [lon, lat] = parseNumberList(v, flag, 2, expected);
  checkLonLat(flag, v, lon, lat);
  return { lon, lat };
}

/**
 * Parse a choice option.
 *
 * @param flag - option name without dashes.
 * @param choices - the accepted values.
 * @returns a commander argParser.
 */
export function choiceOption<const T extends string>(flag: string, choices: readonly T[]) {
  return (v: string): T => {
    if (!(choices as readonly string[]).includes(v)) throw invalid(flag, v, `one of ${choices.join(', ')}`);
    return v as T;
  };
}

/**
 * A file path option with a `--no-<flag>` twin (e.g. `--quicklook <file.png>` / `--no-quicklook`). Options take
 * no boolean values here, so `true` / `false` are refused rather than taken as file names.
 *
 * @param flag - option name without dashes.
 * @param expected - what the value is (`'a PNG file path'`).
 * @returns a commander argParser.
 */
export function pathOption(flag: string, expected: string) {
  return (v: string): string => {
    if (/^(true|false)$/i.test(String(v).trim()))
      throw invalid(
        flag,
        v,
        `${expected}; to skip it give --no-${flag}, for the default leave --${flag} out`,
      );
    return String(v);
  };
}

/**
 * How `--config` may give an option as a JSON list. An option without a mode refuses a list (CONFIG_ERROR):
 * passing one on to a command that expects text would fail there untyped.
 * - `items`: the command parses text or a list (boxes, points, date ranges), so the list is passed through;
 * - `comma`: a comma-separated value (`--stages a,b`): the items are joined with ',';
 * - `repeat`: a repeatable option whose parser collects: the items are fed to it one by one.
 */
export type ConfigListMode = 'items' | 'comma' | 'repeat';

const CONFIG_LIST_MODES = new WeakMap<object, ConfigListMode>();

function withListMode<F extends object>(parser: F, mode: ConfigListMode): F {
  CONFIG_LIST_MODES.set(parser, mode);
  return parser;
}

/**
 * The {@link ConfigListMode} of an option's parser.
 *
 * @param parser - a commander argParser (`Option.parseArg`).
 * @returns its mode, or undefined when a list is refused.
 */
export function configListMode(parser: unknown): ConfigListMode | undefined {
  return typeof parser === 'function' ? CONFIG_LIST_MODES.get(parser) : undefined;
}

/** argParser of an option the command parses itself from text or a `--config` list (`--bbox`, `--dates`). */
export const listValueOption = () => withListMode((v: string): string => v, 'items');

/** argParser of a comma-separated option (`--stages a,b`): a `--config` list is joined with ','. */
export const commaListOption = () => withListMode((v: string): string => v, 'comma');

/** argParser of a repeatable option (`--md5 a=… --md5 b=…`): collects the values; a `--config` list too. */
export const repeatableOption = () =>
  withListMode((v: string, prev: string[] = []): string[] => [...prev, v], 'repeat');

/** `--workers <n|auto>`: 1 … 256 or 'auto'. */
export function parseWorkersOption(v: string | number): number | 'auto' {
  if (v === 'auto') return 'auto';
  const text = String(v).trim();
  const n = Number(text);
  if (!INTEGER_TEXT.test(text) || n < 1 || n > 256)
    throw invalid('workers', v, "a positive integer or 'auto'");
  return n;
}

/** The read limits the CLI exposes: option flag → {@link RasterIoLimits} key. */
const READ_LIMIT_FLAGS = [
  ['max-pixels', 'maxPixels', 'samples one GeoTIFF read may return (width × height × bands)'],
  ['max-block-bytes', 'maxBlockBytes', 'bytes of one GeoTIFF tile or strip, stored or decoded'],
  ['max-decoded-bytes', 'maxDecodedBytes', 'decoded bytes of all the blocks one GeoTIFF read touches'],
] as const;

/** The options {@link addReadLimitOptions} declares (a config file may give them as text). */
export interface ReadLimitOptions {
  maxPixels?: number | string;
  maxBlockBytes?: number | string;
  maxDecodedBytes?: number | string;
}

/**
 * Declare `--max-pixels`, `--max-block-bytes`, `--max-decoded-bytes` (GeoTIFF read limits; raster-io defaults
 * when absent) on a command that reads GeoTIFFs.
 *
 * @param cmd - the command.
 * @returns the same command.
 */
export function addReadLimitOptions(cmd: Command): Command {
  for (const [flag, , help] of READ_LIMIT_FLAGS)
    cmd.option(`--${flag} <n>`, help, intOption(flag, { min: 1, max: Number.MAX_SAFE_INTEGER }));
  return cmd;
}

/**
 * The read limits given on the command line, for a pipeline's `readLimits` option.
 *
 * @param o - the parsed options.
 * @returns the limits set, or undefined when none was.
 */
export function readLimitsFrom(o: ReadLimitOptions): Partial<RasterIoLimits> | undefined {
  const limits: Partial<RasterIoLimits> = {};
  for (const [flag, key] of READ_LIMIT_FLAGS) {
    // Values from --config files bypass commander's argParser, so parse them here too.
    const v = o[key];
    if (v !== undefined) limits[key] = intOption(flag, { min: 1, max: Number.MAX_SAFE_INTEGER })(String(v));
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}
