import { describe, expect, it } from 'vitest';
import { CoreError, formatIsoDay, parseIsoDay, parseIsoTime } from '../src/index.js';

describe('parseIsoDay', () => {
  it('returns the UTC midnight of a YYYY-MM-DD day', () => {
    expect(parseIsoDay('2021-03-22')).toBe(Date.UTC(2021, 2, 22));
    expect(parseIsoDay(' 2024-02-29 ')).toBe(Date.UTC(2024, 1, 29));
    expect(formatIsoDay(parseIsoDay('2022-06-01'))).toBe('2022-06-01');
  });

  it('rejects days that are not on the calendar (Date.parse rolls them over)', () => {
    expect(Date.parse('2021-02-30T00:00:00Z')).toBe(Date.UTC(2021, 2, 2));
    for (const bad of ['2021-02-30', '2023-02-29', '2021-13-01', '2021-00-10', '2021-04-31']) {
      expect(() => parseIsoDay(bad)).toThrowError(expect.objectContaining({ code: 'INVALID_DATE' }));
      expect(() => parseIsoDay(bad)).toThrow(/is not a calendar date/);
    }
  });

  it('reads the years 0001–0099 as written (Date.UTC took them for 1901–1999) and formats them back', () => {
    for (const day of ['0001-01-01', '0050-02-28', '0099-12-31', '0004-02-29']) {
      const ms = parseIsoDay(day);
      expect([day, new Date(ms).toISOString().slice(0, 10)]).toEqual([day, day]);
      expect(formatIsoDay(ms)).toBe(day);
      expect(parseIsoTime(`${day}T12:00:00Z`)).toBe(ms + 12 * 3600_000);
    }
    expect(() => parseIsoDay('0003-02-29')).toThrow(/is not a calendar date/);
  });

  it('rejects other formats with a typed error naming the value', () => {
    for (const bad of ['22/03/2021', '2021-3-22', '20210322', '', 'yesterday']) {
      expect(() => parseIsoDay(bad, { what: 'start date' })).toThrowError(CoreError);
      expect(() => parseIsoDay(bad, { what: 'start date' })).toThrow(`start date ${JSON.stringify(bad)}`);
    }
    expect(() => parseIsoDay(42 as unknown as string)).toThrowError(CoreError);
  });

  it('takes a time only with allowTime, converting zoned times to the UTC day', () => {
    expect(() => parseIsoDay('2021-03-22T10:30:00Z')).toThrowError(CoreError);
    expect(parseIsoDay('2021-03-22T10:30:00Z', { allowTime: true })).toBe(Date.UTC(2021, 2, 22));
    expect(parseIsoDay('2021-03-22 23:30', { allowTime: true })).toBe(Date.UTC(2021, 2, 22));
    expect(parseIsoDay('2021-03-22T23:30:00-02:00', { allowTime: true })).toBe(Date.UTC(2021, 2, 23));
    expect(parseIsoDay('2021-03-22T00:30:00.123+01:00', { allowTime: true })).toBe(Date.UTC(2021, 2, 21));
    expect(() => parseIsoDay('2021-03-22T25:00:00Z', { allowTime: true })).toThrow(/invalid time of day/);
    expect(() => parseIsoDay('2021-02-30T10:00:00Z', { allowTime: true })).toThrow(/not a calendar date/);
  });
});

describe('parseIsoTime', () => {
  it('reads a day as its UTC midnight and a time without a zone as UTC, whatever the machine time zone', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata'; // +05:30: Date.parse takes '2021-03-22T10:30:00' as 05:00Z here
    try {
      expect(Date.parse('2021-03-22T10:30:00')).toBe(Date.UTC(2021, 2, 22, 5, 0));
      expect(parseIsoTime('2021-03-22T10:30:00')).toBe(Date.UTC(2021, 2, 22, 10, 30));
      expect(parseIsoTime('2021-03-22 10:30')).toBe(Date.UTC(2021, 2, 22, 10, 30));
      expect(parseIsoTime('2021-03-22T10:30:00.250+01:00')).toBe(Date.UTC(2021, 2, 22, 9, 30, 0, 250));
      expect(parseIsoTime('2021-03-22')).toBe(Date.UTC(2021, 2, 22));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('refuses what parseIsoDay refuses, naming the value', () => {
    for (const bad of [
      '2021/03/22 10:30',
      'March 22, 2021',
      '2021-02-30T10:00:00Z',
      '2021-03-22T24:00:00Z',
      '0',
    ]) {
      expect(() => parseIsoTime(bad, { what: 'acquisition' })).toThrow(CoreError);
      expect(() => parseIsoTime(bad, { what: 'acquisition' })).toThrow(`acquisition "${bad}"`);
    }
  });
});

describe('formatIsoDay: times without a YYYY-MM-DD day', () => {
  it('refuses non-finite times and years past 9999 (toISOString wrote "+010000-01") as INVALID_DATE', () => {
    expect(formatIsoDay(253_402_300_799_999)).toBe('9999-12-31');
    expect(formatIsoDay(-62_167_219_200_000)).toBe('0000-01-01');
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      253_402_300_800_000,
      -62_167_219_200_001,
      8.64e15,
    ]) {
      let err: unknown;
      try {
        formatIsoDay(bad);
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('INVALID_DATE');
      expect((err as CoreError).message).toContain('is not a day of the years 0000–9999');
    }
  });
});
