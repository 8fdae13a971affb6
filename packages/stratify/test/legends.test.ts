import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  IPCC_CLASSES,
  LCCS_LABELS,
  LCCS_TO_IPCC,
  lccsLabel,
  SMOD_LABELS,
  StratifyError,
  smodLabel,
  WORLDCOVER_LABELS,
  WORLDCOVER_TO_IPCC,
} from '../src/index.js';
import { ipccForLccs } from '../src/legends/lccs.js';
import { ipccForWorldCover } from '../src/legends/worldcover.js';
import { readShared } from './support.js';

describe('legends', () => {
  it('agree with the LCCS / IPCC / SMOD columns of every row of aoi-sample.csv', () => {
    const rows = Papa.parse<Record<string, string>>(readShared('data/aoi-sample.csv'), {
      header: true,
      skipEmptyLines: true,
    }).data;
    expect(rows).toHaveLength(60);
    for (const r of rows) {
      const lccs = Number(r.LCCS);
      const smod = Number(r.SMOD);
      expect([r.name, lccsLabel(lccs)]).toEqual([r.name, r['LCCS Class']]);
      // The release stores the IPCC label "None" as an empty cell (pandas null handling).
      expect([r.name, ipccForLccs(lccs)]).toEqual([r.name, r.IPCC === '' ? 'None' : r.IPCC]);
      expect([r.name, smodLabel(smod)]).toEqual([r.name, r['SMOD Class']]);
    }
  });

  it('keeps the exact upstream strings (U+2010 hyphens) and fixes the missing class 151', () => {
    expect(LCCS_LABELS[20]).toBe('Cropland, irrigated or post\u2010flooding');
    expect(LCCS_LABELS[62]).toContain('15\u201040%');
    expect(lccsLabel(151)).toBe('Sparse tree (<15%)');
    expect(ipccForLccs(151)).toBe('Other');
    expect(ipccForLccs(220)).toBe('None');
    expect(ipccForLccs(0)).toBe('None');
    // every LCCS id has a label and an IPCC class, and vice versa
    expect(Object.keys(LCCS_LABELS).sort()).toEqual(Object.keys(LCCS_TO_IPCC).sort());
    expect(new Set(Object.values(LCCS_TO_IPCC))).toEqual(new Set(IPCC_CLASSES));
    expect(Object.keys(LCCS_LABELS)).toHaveLength(38);
  });

  it('has the SMOD legend with NoData −200 and NaN → None', () => {
    expect(SMOD_LABELS[-200]).toBe('Unknown');
    expect(smodLabel(Number.NaN)).toBe('None');
    expect(smodLabel(30)).toBe('Urban: Centre');
    expect(Object.keys(SMOD_LABELS)).toHaveLength(10);
  });

  it('maps every WorldCover class to an IPCC class', () => {
    expect(Object.keys(WORLDCOVER_LABELS).sort()).toEqual(Object.keys(WORLDCOVER_TO_IPCC).sort());
    expect(ipccForWorldCover(50)).toBe('Settlement');
    expect(ipccForWorldCover(95)).toBe('Forest');
    expect(ipccForWorldCover(70)).toBe('None');
  });

  it('throws UNKNOWN_CLASS naming the code', () => {
    for (const fn of [
      () => lccsLabel(13),
      () => ipccForLccs(999),
      () => smodLabel(14),
      () => ipccForWorldCover(15),
    ]) {
      try {
        fn();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(StratifyError);
        expect((err as StratifyError).code).toBe('UNKNOWN_CLASS');
        expect((err as Error).message).toMatch(/\d+/);
      }
    }
  });
});
