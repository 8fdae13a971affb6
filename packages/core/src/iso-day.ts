import { describeValue } from './describe-value.js';
import { CoreError } from './errors.js';
import { checkOptions, checkString } from './internal/check-arguments.js';

const DAY_MS = 86_400_000;
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Options of {@link parseIsoDay}. */
export interface ParseIsoDayOptions {
  /** Also accept a time after the day (`2021-03-22T10:30:00Z`; no zone = UTC); default false. */
  allowTime?: boolean;
  /** What the value is, for the error message (default `date`). */
  what?: string;
}

/**
 * Parses an ISO-8601 calendar day strictly: `YYYY-MM-DD` with a real month and day (no `2021-02-30`, no
 * day-first guessing), optionally followed by a time and zone. A time with a zone is converted to UTC first.
 * @param value the text.
 * @param options `allowTime`, `what`.
 * @returns the UTC calendar day as ms since the epoch (midnight).
 * @throws CoreError `INVALID_DATE` naming the value.
 * @example
 * parseIsoDay('2021-03-22'); // 1616371200000
 * parseIsoDay('2021-03-22T23:30:00-02:00', { allowTime: true }); // the 23rd, 1616457600000
 */
export function parseIsoDay(value: string, options?: ParseIsoDayOptions): number {
  const o = checkOptions('parseIsoDay', options);
  const what = o.what === undefined ? 'date' : checkString('parseIsoDay', 'options.what', o.what);
  return Math.floor(isoTimeMs(value, what, o.allowTime === true) / DAY_MS) * DAY_MS;
}

/** Options of {@link parseIsoTime}. */
export interface ParseIsoTimeOptions {
  /** What the value is, for the error message (default `time`). */
  what?: string;
}

/**
 * Parses an ISO-8601 day or date-time strictly, as {@link parseIsoDay} reads it, to its instant: a day is its
 * UTC midnight and a time without a zone is UTC (`Date.parse` takes such a time as the machine's local time, and
 * guesses at any other text, `2022/06/01` included).
 * @param value the text.
 * @param options `what`.
 * @returns ms since the epoch.
 * @throws CoreError `INVALID_DATE` naming the value.
 * @example
 * parseIsoTime('2021-03-22T10:30:00'); // 1616409000000, whatever the machine's time zone
 */
export function parseIsoTime(value: string, options?: ParseIsoTimeOptions): number {
  const o = checkOptions('parseIsoTime', options);
  const what = o.what === undefined ? 'time' : checkString('parseIsoTime', 'options.what', o.what);
  return isoTimeMs(value, what, true);
}

/** The instant of an ISO day (or, with `allowTime`, date-time; no zone = UTC), or `INVALID_DATE`. */
function isoTimeMs(value: string, what: string, allowTime: boolean): number {
  const v = typeof value === 'string' ? value.trim() : '';
  const m = ISO_DATE.exec(v);
  const bad = (why: string) =>
    new CoreError(
      'INVALID_DATE',
      `${what} ${describeValue(value)} ${why}; write it as YYYY-MM-DD, e.g. 2022-06-01`,
    );
  if (!m || (m[4] !== undefined && !allowTime)) throw bad('is not an ISO-8601 day');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, not Date.UTC, which reads the years 0–99 as 1900–1999
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  const midnight = check.getTime();
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    throw bad('is not a calendar date');
  if (m[4] === undefined) return midnight;
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) throw bad('has an invalid time of day');
  const t = Date.parse(/Z|[+-]\d{2}:?\d{2}$/.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);
  if (Number.isNaN(t)) throw bad('has an invalid time zone');
  return t;
}

/** First and last ms of the years 0000–9999, the days `YYYY-MM-DD` can write. */
const FIRST_DAY_MS = -62_167_219_200_000;
const LAST_DAY_END_MS = 253_402_300_800_000;

/**
 * Formats ms since the epoch as the UTC day `YYYY-MM-DD`.
 * @param ms time value.
 * @returns the UTC calendar day.
 * @throws CoreError `INVALID_DATE` for a time that is not a finite number in the years 0000–9999 (later years
 *   have no `YYYY-MM-DD` form: `toISOString` writes them `+010000-…`).
 * @example
 * formatIsoDay(1616371200000); // '2021-03-22'
 */
export function formatIsoDay(ms: number): string {
  if (typeof ms !== 'number' || !(ms >= FIRST_DAY_MS && ms < LAST_DAY_END_MS))
    throw new CoreError('INVALID_DATE', `time ${describeValue(ms)} is not a day of the years 0000–9999`);
  return new Date(ms).toISOString().slice(0, 10);
}
