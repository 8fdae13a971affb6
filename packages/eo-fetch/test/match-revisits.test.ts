import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import {
  type CatalogueEntry,
  catalogueEntryFromStacItem,
  cloudFractionFromClm,
  cloudFractionFromScl,
  EoFetchError,
  matchRevisits,
  rerankByCloudFraction,
  revisitsToCsv,
  revisitsToTable,
} from '../src/index.js';
import { footprintCoverage, geodesicAreaKm2 } from '../src/matching/geodesic-area.js';
import { averageRanks, utcDay } from '../src/matching/match-revisits.js';
import { makeItem } from './support/stac-server.js';

const box = (b: number[]) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [b[0], b[1]],
      [b[2], b[1]],
      [b[2], b[3]],
      [b[0], b[3]],
      [b[0], b[1]],
    ],
  ],
});
const bounds = aoiBounds(8.54, 47.37, 2.5) as BBox; // a 2.5 km² WorldStrat box near Zürich
const tile = box([bounds[0] - 0.5, bounds[1] - 0.5, bounds[2] + 0.5, bounds[3] + 0.5]);
const entry = (
  id: string,
  datetime: string,
  cloudCover: number,
  extra: Partial<CatalogueEntry> = {},
): CatalogueEntry => ({
  id,
  source: 'Sentinel2',
  datetime,
  cloudCover,
  geometry: tile,
  platform: 'sentinel-2a',
  ...extra,
});

describe('geodesic coverage', () => {
  it('measures areas on the WGS-84 ellipsoid', () => {
    // GeographicLib reference: a 1°×1° cell at the equator is 12 308.778 km² on WGS-84
    expect(geodesicAreaKm2(box([0, 0, 1, 1]))).toBeCloseTo(12308.778, 2);
    // the released AOI boxes are 2.5 km² (to the accuracy of a lon/lat rectangle through 4 geodesic points)
    expect(geodesicAreaKm2(box(bounds))).toBeCloseTo(2.5, 2);
    // holes are subtracted
    const withHole = {
      type: 'Polygon' as const,
      coordinates: [box([0, 0, 1, 1]).coordinates[0], box([0.25, 0.25, 0.75, 0.75]).coordinates[0]],
    };
    expect(geodesicAreaKm2(withHole)).toBeCloseTo(
      12308.778 - geodesicAreaKm2(box([0.25, 0.25, 0.75, 0.75])),
      3,
    );
  });

  it('computes the covered fraction of an AOI, across the antimeridian too', () => {
    expect(footprintCoverage(tile, bounds).coverage).toBeCloseTo(1, 9);
    const midLon = (bounds[0] + bounds[2]) / 2;
    const half = footprintCoverage(box([bounds[0] - 1, bounds[1] - 1, midLon, bounds[3] + 1]), bounds);
    expect(half.coverage).toBeCloseTo(0.5, 3);
    expect(half.areaKm2).toBeCloseTo(1.25, 2);
    expect(footprintCoverage(box([0, 0, 1, 1]), bounds).coverage).toBe(0);
    const am: BBox = [179.99, -16.5, -179.99, -16.48];
    const both = {
      type: 'MultiPolygon' as const,
      coordinates: [box([179.5, -17, 180, -16]).coordinates, box([-180, -17, -179.5, -16]).coordinates],
    };
    expect(footprintCoverage(both, am).coverage).toBeCloseTo(1, 9);
    expect(footprintCoverage({ type: 'Polygon', coordinates: both.coordinates[0] }, am).coverage).toBeCloseTo(
      0.5,
      2,
    );
  });
});

describe('matchRevisits', () => {
  const aoi = { name: 'Landcover-1', bounds };
  // |Δ| ranks: A1 B2.5 C2.5 D4 E5; cloud ranks: B1.5 D1.5 C3 A4 E5; sums: A5 B4 C5.5 D5.5 E10
  const entries = [
    entry('A', '2021-03-21T10:20:00Z', 50),
    entry('B', '2021-03-22T10:30:00Z', 0),
    entry('C', '2021-03-20T10:40:00Z', 10),
    entry('D', '2021-03-26T10:50:00Z', 0),
    entry('E', '2021-03-11T23:59:59Z', 90),
  ];

  it('ranks by rank(|Δdays|) + rank(cloud) with average ties, breaks ties by |Δ|, numbers 1..N', () => {
    const r = matchRevisits([aoi], entries, { targetDate: '2021-03-21', nRevisits: 16 });
    const got = r.byAoi.get(aoi.name)!;
    expect(got.map((x) => [x.n, x.entry.id, x.rank, x.deltaDays])).toEqual([
      [1, 'B', 4, 1],
      [2, 'A', 5, 0],
      [3, 'C', 5.5, -1],
      [4, 'D', 5.5, 5],
      [5, 'E', 10, -10],
    ]);
    expect(got[0]).toMatchObject({ areaKm2: 2.5, targetDate: '2021-03-21' });
    expect(r.shortfalls).toEqual([{ aoi: aoi.name, found: 5, wanted: 16 }]);
    const top3 = matchRevisits([aoi], entries, {
      targetDate: new Date('2021-03-21T18:00:00Z'),
      nRevisits: 3,
    });
    expect(top3.revisits.map((x) => x.entry.id)).toEqual(['B', 'A', 'C']);
    expect(top3.shortfalls).toEqual([]);
    // the order does not depend on the input order
    const shuffled = matchRevisits([aoi], [...entries].reverse(), { targetDate: '2021-03-21' });
    expect(shuffled.revisits.map((x) => x.entry.id)).toEqual(['B', 'A', 'C', 'D', 'E']);
    // a single candidate gets rank 1 (upstream)
    expect(matchRevisits([aoi], [entries[3]], { targetDate: '2021-03-21' }).revisits[0].rank).toBe(1);
    // SPOT: one revisit
    expect(
      matchRevisits([aoi], entries, { targetDate: '2021-03-21', nRevisits: 1 }).revisits.map(
        (x) => x.entry.id,
      ),
    ).toEqual(['B']);
  });

  it('drops footprints that do not cover the AOI and applies hard limits', () => {
    const partial = entry('P', '2021-03-21T10:00:00Z', 0, {
      geometry: box([bounds[0] + 0.001, bounds[1] - 1, bounds[2] + 1, bounds[3] + 1]),
    });
    const r = matchRevisits([aoi], [...entries, partial], {
      targetDate: '2021-03-21',
      maxCloudCover: 50,
      maxDeltaDays: 4,
    });
    expect(r.revisits.map((x) => x.entry.id)).toEqual(['B', 'A', 'C']);
    expect(r.notCovering.get(aoi.name)).toBe(1);
  });

  it("keeps a footprint when round(area ∩ AOI, 2 dp) > 0.999 × the AOI's area, as upstream (spec §11)", () => {
    // the reviewer's cases: a 2.5 km² AOI at 45°N with a strip cut off its west side
    const b = aoiBounds(10, 45, 2.5) as BBox;
    const cutBy = (covered: number) =>
      entry(`cut-${covered}`, '2021-03-21T10:00:00Z', 0, {
        geometry: box([b[0] + (1 - covered) * (b[2] - b[0]), 44, 11, 46]),
      });
    const kept = (covered: number, areaKm2?: number) => {
      const a = { name: 'A', bounds: b, ...(areaKm2 !== undefined ? { areaKm2 } : {}) };
      try {
        const r = matchRevisits([a], [cutBy(covered)], { targetDate: '2021-03-21' });
        return r.revisits.map((x) => x.areaKm2);
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    // ∩ = 2.49625 and 2.49525 km² → 2.50 > 2.4975: kept (the unrounded fraction is below 0.999)
    expect(kept(0.9985, 2.5)).toEqual([2.5]);
    expect(kept(0.9981, 2.5)).toEqual([2.5]);
    expect(kept(0.9981)).toEqual([2.5]); // no areaKm2: the box's own geodesic area (2.5000 km²)
    // ∩ = 2.4925 km² → 2.49: dropped
    expect(kept(0.997, 2.5)).toBe('NO_MATCHES');
    expect(kept(0.9995, 2.5)).toEqual([2.5]);
    // a box smaller than its nominal area (a 3×3 tile near the pole) is still kept when fully covered
    const polar = aoiBounds(10, 85, 2.49) as BBox;
    const full = entry('full', '2021-03-21T10:00:00Z', 0, { geometry: box([0, 84, 20, 86]) });
    const polarAoi = { name: 'P', bounds: polar, areaKm2: 2.5 };
    expect(matchRevisits([polarAoi], [full], { targetDate: '2021-03-21' }).revisits).toHaveLength(1);
  });

  it('drops same-datatake duplicates from overlapping tiles and reports them', () => {
    const dupes = [
      entry('T32TMT', '2021-03-21T10:30:00Z', 40, { datatakeId: 'GS2A_20210321T103021_030000_N03.00' }),
      entry('T32TMS', '2021-03-21T10:30:04Z', 20, { datatakeId: 'GS2A_20210321T103021_030000_N03.00' }),
      entry('S2B-near', '2021-03-24T10:30:00Z', 5, { platform: 'sentinel-2b' }),
      entry('S2B-near-2', '2021-03-24T10:30:03Z', 7, { platform: 'sentinel-2b' }),
      entry('S2A-other', '2021-03-24T10:30:02Z', 9, { platform: 'sentinel-2a' }),
    ];
    const r = matchRevisits([aoi], dupes, { targetDate: '2021-03-21' });
    expect(r.revisits.map((x) => x.entry.id).sort()).toEqual(['S2A-other', 'S2B-near', 'T32TMS']);
    expect(r.duplicates).toEqual([
      { aoi: aoi.name, kept: 'S2B-near', dropped: 'S2B-near-2', reason: 'same-time' },
      { aoi: aoi.name, kept: 'T32TMS', dropped: 'T32TMT', reason: 'datatake-id' },
    ]);
    const upstreamLike = matchRevisits([aoi], dupes, { targetDate: '2021-03-21', dropDuplicates: false });
    expect(upstreamLike.revisits).toHaveLength(5);
  });

  it('reads entry times strictly and without a zone as UTC, whatever the machine time zone', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo'; // Date.parse read a zone-less time as local time: 9 h off here
    try {
      const mixed = [
        entry('S2B-near', '2021-03-24T10:30:00Z', 5, { platform: 'sentinel-2b' }),
        entry('S2B-near-2', '2021-03-24T10:30:03', 7, { platform: 'sentinel-2b' }),
        entry('slashed', '2021/03/22 10:30:00', 0), // Date.parse took it; the day it is ranked by did not
        entry('no-day', '2021-02-30T10:30:00Z', 0),
      ];
      const r = matchRevisits([aoi], mixed, { targetDate: '2021-03-21' });
      expect(r.revisits.map((x) => x.entry.id)).toEqual(['S2B-near']);
      expect(r.duplicates).toEqual([
        { aoi: aoi.name, kept: 'S2B-near', dropped: 'S2B-near-2', reason: 'same-time' },
      ]);
      expect(r.invalid).toEqual([
        { aoi: aoi.name, id: 'slashed', reason: 'datetime "2021/03/22 10:30:00" is not ISO-8601' },
        { aoi: aoi.name, id: 'no-day', reason: 'datetime "2021-02-30T10:30:00Z" is not ISO-8601' },
      ]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('uses per-AOI target dates and catalogues, and validates its inputs', () => {
    const other = { name: 'UNHCR-2', bounds, targetDate: '2021-03-26' };
    const r = matchRevisits(
      [aoi, other],
      new Map([
        [aoi.name, entries],
        [other.name, entries],
      ]),
      {
        targetDate: '2021-03-21',
        nRevisits: 1,
      },
    );
    expect(r.byAoi.get('UNHCR-2')![0].entry.id).toBe('D');
    expect(r.byAoi.get(aoi.name)![0].entry.id).toBe('B');
    expect(() => matchRevisits([aoi], entries, { targetDate: '22-03-2022' })).toThrow(/ISO-8601/);
    expect(() => matchRevisits([aoi], entries)).toThrow(/targetDate/);
    expect(() => matchRevisits([aoi, aoi], entries, { targetDate: '2021-03-21' })).toThrow(/not unique/);
    expect(() => matchRevisits([aoi], [], { targetDate: '2021-03-21' })).toThrow(
      expect.objectContaining({ code: 'NO_MATCHES' }),
    );
    expect(utcDay('2021-03-21T23:59:59+00:00')).toBe(Date.UTC(2021, 2, 21));
    expect(averageRanks([10, 20, 10, 5])).toEqual([2.5, 4, 2.5, 1]);
  });

  it('re-ranks by the measured cloud fraction and renumbers', () => {
    const r = matchRevisits([aoi], entries.slice(0, 3), { targetDate: '2021-03-21' }); // B, A, C
    const measured = new Map([
      ['B', 0.9],
      ['A', 0.0],
      ['C', 0.5],
    ]);
    const rr = rerankByCloudFraction(r, (x) => measured.get(x.entry.id));
    // |Δ| ranks A1 B2.5 C2.5; measured cloud ranks A1 C2 B3 → A2, C4.5, B5.5
    expect(rr.byAoi.get(aoi.name)!.map((x) => [x.n, x.entry.id, x.rank])).toEqual([
      [1, 'A', 2],
      [2, 'C', 4.5],
      [3, 'B', 5.5],
    ]);
    expect(r.byAoi.get(aoi.name)![0].entry.id).toBe('B'); // input untouched
  });

  it('exports the selection as an arrow table and CSV with upstream column names', () => {
    const r = matchRevisits([{ ...aoi, name: 'AOI, "quoted"' }], entries, {
      targetDate: '2021-03-21',
      nRevisits: 2,
    });
    const t = revisitsToTable(r.revisits);
    expect(t.numRows).toBe(2);
    expect(t.schema.fields.map((f) => f.name)).toEqual([
      'name',
      'n',
      'product_id',
      'source',
      'datetime',
      'cloud_cover',
      'area',
      'delta',
      'rank',
      'target_date',
      'coverage',
    ]);
    expect(t.getChild('product_id')!.toArray()).toEqual(['B', 'A']);
    expect(Array.from(t.getChild('delta')!.toArray() as Int32Array)).toEqual([1, 0]);
    const csv = revisitsToCsv(r.revisits).split('\n');
    expect(csv[0]).toBe('name,n,product_id,source,datetime,cloud_cover,area,delta,rank,target_date,coverage');
    expect(csv[1]).toMatch(/^"AOI, ""quoted""",1,B,Sentinel2,2021-03-22T10:30:00Z,0,2.5,1,4,2021-03-21,/);
  });

  it('a revisit whose column has the wrong type is INVALID_ARGUMENT naming it (was written as [object Object], a TypeError or truncated)', () => {
    const r = matchRevisits([aoi], entries, { targetDate: '2021-03-21', nRevisits: 2 }).revisits;
    const cases: [string, (x: Record<string, unknown>) => void][] = [
      ['revisits[1].n', (x) => Object.assign(x, { n: { n: 1 } })],
      ['revisits[1].n', (x) => Object.assign(x, { n: 1.5 })],
      ['revisits[1].coverage', (x) => Object.assign(x, { coverage: { toString: 'x', valueOf: 1 } })],
      ['revisits[1].aoi', (x) => Object.assign(x, { aoi: 7 })],
      ['revisits[1].entry.datetime', (x) => Object.assign(x.entry as object, { datetime: { x: 1 } })],
      ['revisits[1].entry.cloudCover', (x) => Object.assign(x.entry as object, { cloudCover: [3] })],
    ];
    for (const [where, spoil] of cases) {
      const bad = r.map((v) => ({ ...v, entry: { ...v.entry } })) as unknown as Record<string, unknown>[];
      spoil(bad[1] as Record<string, unknown>);
      for (const write of [revisitsToCsv, revisitsToTable]) {
        let err: unknown;
        try {
          write(bad as never);
        } catch (e) {
          err = e;
        }
        expect(err, `${write.name} ${where}`).toBeInstanceOf(EoFetchError);
        expect((err as EoFetchError).code).toBe('INVALID_ARGUMENT');
        expect((err as EoFetchError).message).toContain(where);
      }
    }
    // unknown cloud cover (null) is a valid row
    const unknown = r.map((v) => ({ ...v, entry: { ...v.entry, cloudCover: null } }));
    expect(revisitsToCsv(unknown).split('\n')).toHaveLength(4);
  });

  it('measures cloud fractions from SCL and CLM masks, ignoring no-data', () => {
    expect(cloudFractionFromScl(Uint8Array.from([0, 0, 4, 5, 8, 9, 10, 3]))).toBeCloseTo(4 / 6);
    expect(cloudFractionFromScl(Uint8Array.from([0, 0]))).toBeUndefined();
    expect(cloudFractionFromClm(Uint8Array.from([0, 1, 255, 1]))).toBeCloseTo(2 / 3);
  });

  it('builds catalogue entries from STAC items', () => {
    const item = makeItem('S2A_X', '2021-03-21T10:30:21.024Z', 12.5, [8, 47, 9, 48], {
      properties: { 's2:datatake_id': 'GS2A_X', 'sat:relative_orbit': 108, platform: 'Sentinel-2A' },
    });
    expect(catalogueEntryFromStacItem(item)).toMatchObject({
      id: 'S2A_X',
      source: 'Sentinel2',
      datetime: '2021-03-21T10:30:21.024Z',
      cloudCover: 12.5,
      datatakeId: 'GS2A_X',
      platform: 'sentinel-2a',
      relativeOrbit: 108,
    });
    expect(() => catalogueEntryFromStacItem({ ...item, geometry: null })).toThrow(/footprint/);
  });
});
