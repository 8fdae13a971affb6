import { landMaskFromRaster, type SamplePoint } from '@worldstrat/geo-sampling';
import { describe, expect, it } from 'vitest';
import {
  classifiedPointsToCsv,
  classifiedPointsToTable,
  landPointTopUp,
  stratifiedDraw,
} from '../src/index.js';

describe('classified point tables', () => {
  const rows = [
    {
      id: 5,
      lon: 1.5,
      lat: 2.5,
      landcover_id: 40,
      LCCS: 'Mosaic natural vegetation (tree, shrub, herbaceous cover) (>50%) / cropland (<50%)',
      IPCC: 'Agriculture' as const,
      SMOD_id: 11,
      SMOD: 'Rural: Very Low Dens',
    },
    { lon: -1, lat: 0, landcover_id: null, LCCS: null, IPCC: null, SMOD_id: null, SMOD: null },
  ];

  it("writes upstream's sampled_points.csv layout with quoting and empty nulls", () => {
    const lines = classifiedPointsToCsv(rows).trim().split('\n');
    expect(lines[0]).toBe(',lon,lat,landcover_id,LCCS,IPCC,SMOD_id,SMOD');
    expect(lines[1]).toBe(
      '5,1.5,2.5,40,"Mosaic natural vegetation (tree, shrub, herbaceous cover) (>50%) / cropland (<50%)",Agriculture,11,Rural: Very Low Dens',
    );
    expect(lines[2]).toBe('1,-1,0,,,,,');
  });

  it('builds an Arrow table with nullable class columns', () => {
    const t = classifiedPointsToTable(rows);
    expect(t.numRows).toBe(2);
    expect(t.getChild('id')?.toArray()).toEqual(Int32Array.from([5, 1]));
    expect(t.getChild('landcover_id')?.get(1)).toBeNull();
    expect(t.getChild('IPCC')?.get(0)).toBe('Agriculture');
  });
});

describe('classified point tables refuse values their columns cannot hold', () => {
  const ok = {
    id: 1,
    lon: 1,
    lat: 2,
    landcover_id: 190,
    LCCS: 'Urban areas',
    IPCC: 'Settlement' as const,
    SMOD_id: 30,
    SMOD: 'Urban: Centre',
  };
  // Before, Arrow's int32 columns wrapped 2^31 + 5 to −2147483643 and 3e9 to −1294967296, truncated 12.7 to
  // class 12 and wrote NaN as 0; the CSV printed NaN.
  it.each([
    [
      'id',
      2 ** 31 + 5,
      'rows[1].id must be an integer in [-2^31, 2^31 - 1] (an int32 column) or null, got 2147483653',
    ],
    [
      'landcover_id',
      3e9,
      'rows[1].landcover_id must be an integer in [-2^31, 2^31 - 1] (an int32 column) or null, got 3000000000',
    ],
    [
      'landcover_id',
      12.7,
      'rows[1].landcover_id must be an integer in [-2^31, 2^31 - 1] (an int32 column) or null, got 12.7',
    ],
    [
      'SMOD_id',
      Number.NaN,
      'rows[1].SMOD_id must be an integer in [-2^31, 2^31 - 1] (an int32 column) or null, got NaN',
    ],
    ['lon', Number.POSITIVE_INFINITY, 'rows[1].lon must be a finite number, got Infinity'],
  ])('%s = %s is INVALID_ARGUMENT naming the row, in Arrow and CSV', (key, value, message) => {
    const rows = [ok, { ...ok, [key]: value }];
    for (const [fn, write] of [
      ['classifiedPointsToTable', classifiedPointsToTable],
      ['classifiedPointsToCsv', classifiedPointsToCsv],
    ] as const) {
      expect(() => write(rows)).toThrow(
        expect.objectContaining({
          name: 'StratifyError',
          code: 'INVALID_ARGUMENT',
          message: `${fn}: ${message}`,
        }),
      );
    }
  });

  it('keeps the int32 limits and nulls as they are', () => {
    const rows = [
      { ...ok, id: 2 ** 31 - 1, landcover_id: -(2 ** 31) },
      { ...ok, id: undefined, landcover_id: null, SMOD_id: null },
    ];
    const t = classifiedPointsToTable(rows);
    expect([...(t.getChild('id') ?? [])]).toEqual([2 ** 31 - 1, 1]);
    expect([...(t.getChild('landcover_id') ?? [])]).toEqual([-(2 ** 31), null]);
    expect([...(t.getChild('SMOD_id') ?? [])]).toEqual([30, null]);
    expect(classifiedPointsToCsv(rows).split('\n')[2]).toBe('1,1,2,,Urban areas,Settlement,,Urban: Centre');
  });
});

describe('landPointTopUp', () => {
  it('samples and classifies fresh land points until a short class is filled, with unique ids', async () => {
    // Land = the northern hemisphere of a 2-pixel mask; class "North" = lat > 60° (≈ 13 % of that land).
    const mask = landMaskFromRaster({
      width: 1,
      height: 2,
      dtype: 'uint8',
      bands: [Uint8Array.from([1, 0])],
      geo: { epsg: 4326, transform: [-180, 360, 0, 90, 0, -90] },
    });
    const classify = (pts: SamplePoint[]) => pts.map((p) => ({ ...p, cls: p.lat > 60 ? 'North' : 'South' }));
    const pool = classify([{ id: 0, lon: 0, lat: 70 }]);
    const topUp = landPointTopUp(classify, { seed: 9, firstId: 1, mask, minBatch: 10, pointsPerMissing: 2 });
    const { rows, toppedUp } = await stratifiedDraw(pool, (r) => r.cls, [{ class: 'North', count: 25 }], {
      seed: 1,
      topUp,
    });
    expect(rows).toHaveLength(25);
    expect(rows.every((r) => r.lat > 60)).toBe(true);
    expect(toppedUp).toBeGreaterThan(24);
    expect(new Set(rows.map((r) => r.id)).size).toBe(25);
  });

  it('a huge shortfall samples at most maxBatch points a round; bad batch options are INVALID_ARGUMENT', async () => {
    const sizes: number[] = [];
    const topUp = landPointTopUp(
      (pts: SamplePoint[]) => {
        sizes.push(pts.length);
        return [];
      },
      { seed: 3, firstId: 0, maxBatch: 50, minBatch: 10 },
    );
    await topUp('North', 1e12, 1); // 20 · 1e12 points asked for before the cap
    await topUp('North', 1, 1);
    expect(sizes).toEqual([50, 20]);
    for (const bad of [
      { maxBatch: 0 },
      { minBatch: 1.5 },
      { pointsPerMissing: '20' },
      { minBatch: 9, maxBatch: 8 },
    ])
      expect(() => landPointTopUp(() => [], { seed: 1, firstId: 0, ...(bad as object) })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^landPointTopUp: /),
        }),
      );
  });
});
