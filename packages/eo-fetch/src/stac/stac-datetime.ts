// STAC `datetime` parameters normalised the way pystac-client does: partial dates widen to the whole
// year/month/day, naive datetimes are UTC, open ends are `..`, and every bound is RFC 3339 UTC.
import { EoFetchError } from '../errors.js';
import type { StacDatetime } from './stac-types.js';

const PARTIAL =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?)?)?)?$/;

function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** `[start, end]` in ms of one bound as written (a year, a month, a day, or an instant). */
function parseBound(text: string, whole: string): [number, number] {
  const m = PARTIAL.exec(text.trim());
  const bad = (why: string) =>
    new EoFetchError(
      'INVALID_ARGUMENT',
      `datetime ${JSON.stringify(whole)}: ${why}; use YYYY, YYYY-MM, YYYY-MM-DD or RFC 3339, with / between bounds and .. for an open end`,
    );
  if (!m) throw bad(`${JSON.stringify(text)} is not a date`);
  const [, y, mo, d, hh, mi, ss, frac, tz] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 1 || month > 12)) throw bad(`month ${mo} is out of range`);
  if (day !== undefined) {
    const last = new Date(Date.UTC(year, month!, 0)).getUTCDate();
    if (day < 1 || day > last) throw bad(`day ${d} is out of range`);
  }
  if (hh !== undefined) {
    if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 60)
      throw bad(`time ${hh}:${mi}:${ss} is out of range`);
    const t = Date.parse(`${y}-${mo}-${d}T${hh}:${mi}:${ss}${frac ?? ''}${tz ? tz.toUpperCase() : 'Z'}`);
    if (Number.isNaN(t)) throw bad(`${JSON.stringify(text)} is not a valid instant`);
    return [t, t];
  }
  if (month === undefined) return [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1) - 1000];
  if (day === undefined) return [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1) - 1000];
  return [Date.UTC(year, month - 1, day), Date.UTC(year, month - 1, day + 1) - 1000];
}

function boundMs(b: Date | string | null | undefined, which: 0 | 1, whole: string): number | null {
  if (b === null || b === undefined || b === '' || b === '..') return null;
  if (b instanceof Date) {
    if (Number.isNaN(b.getTime()))
      throw new EoFetchError('INVALID_ARGUMENT', 'datetime holds an invalid Date');
    return b.getTime();
  }
  if (typeof b !== 'string')
    throw new EoFetchError(
      'INVALID_ARGUMENT',
      `datetime bound ${String(b)} must be a string, a Date or null`,
    );
  return parseBound(b, whole)[which];
}

/**
 * Formats a datetime parameter as pystac-client does.
 * A single partial date becomes the interval it names
 * (`2022` → `2022-01-01T00:00:00Z/2022-12-31T23:59:59Z`), a single instant stays an instant, the start of a
 * range takes the start of its period and the end its end, naive datetimes are UTC, open ends are `..`.
 *
 * @param dt - string (`a`, `a/b`, `../b`), Date, or `[start, end]` with null for open ends
 * @returns the STAC `datetime` string
 * @throws {@link EoFetchError} `INVALID_ARGUMENT` for unparseable bounds or start after end
 * @example
 * ```ts
 * formatStacDatetime('2022-06'); // '2022-06-01T00:00:00Z/2022-06-30T23:59:59Z'
 * formatStacDatetime([new Date('2017-01-01T00:00:00Z'), null]); // '2017-01-01T00:00:00Z/..'
 * ```
 */
export function formatStacDatetime(dt: StacDatetime): string {
  // an invalid Date's toISOString() throws a RangeError: it is refused as a bound below
  const whole =
    dt instanceof Date
      ? Number.isNaN(dt.getTime())
        ? 'Invalid Date'
        : dt.toISOString()
      : Array.isArray(dt)
        ? dt.join('/')
        : String(dt);
  let start: number | null;
  let end: number | null;
  if (Array.isArray(dt)) {
    if (dt.length !== 2)
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `datetime range must have 2 bounds, got ${(dt as unknown[]).length}`,
      );
    start = boundMs(dt[0], 0, whole);
    end = boundMs(dt[1], 1, whole);
  } else if (dt instanceof Date) {
    return rfc3339(boundMs(dt, 0, whole)!);
  } else if (typeof dt === 'string') {
    const parts = dt.split('/');
    if (parts.length > 2)
      throw new EoFetchError('INVALID_ARGUMENT', `datetime ${JSON.stringify(dt)} has more than one /`);
    if (parts.length === 1) {
      if (dt.trim() === '..' || dt.trim() === '')
        throw new EoFetchError('INVALID_ARGUMENT', `datetime ${JSON.stringify(dt)} names no time at all`);
      const [a, b] = parseBound(dt, whole);
      return a === b ? rfc3339(a) : `${rfc3339(a)}/${rfc3339(b)}`;
    }
    start = boundMs(parts[0], 0, whole);
    end = boundMs(parts[1], 1, whole);
  } else throw new EoFetchError('INVALID_ARGUMENT', `datetime must be a string, a Date or a range`);
  if (start !== null && end !== null && start > end)
    throw new EoFetchError('INVALID_ARGUMENT', `datetime ${JSON.stringify(whole)} starts after it ends`);
  return `${start === null ? '..' : rfc3339(start)}/${end === null ? '..' : rfc3339(end)}`;
}
