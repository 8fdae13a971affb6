// Region plan units: the UTM grid of the centre (also across a zone boundary), chip-aligned overlapping tiles,
// feathering weights that sum to 1, GeoJSON regions and their typed errors.
import { describe, expect, it } from 'vitest';
import { featherWeight } from '../src/pipelines/region-mosaic.node.js';
import { planRegion, regionFromGeoJson } from '../src/pipelines/region-plan.js';

describe('planRegion', () => {
  it('grid in the centre UTM zone, snapped to 10 m, sides rounded up to the alignment; tiles cover it with padding', () => {
    const p = planRegion([8.5, 47.35, 8.56, 47.39], { tileSizePx: 200, overlapPx: 100, alignPx: 50 });
    expect(p.epsg).toBe(32632);
    expect(p.transform[0] % 10).toBe(0);
    expect(p.transform[3] % 10).toBe(0);
    expect(p.width % 50).toBe(0);
    expect(p.height % 50).toBe(0);
    expect(p.width).toBeGreaterThanOrEqual(450); // ≈ 4.5 km wide
    const cover = new Uint8Array(p.width * p.height);
    for (const t of p.tiles) {
      for (let y = t.core.y; y < t.core.y + t.core.height; y++)
        for (let x = t.core.x; x < t.core.x + t.core.width; x++) cover[y * p.width + x]++;
      expect(t.padded.x).toBe(Math.max(0, t.core.x - 100));
      expect(t.padded.x + t.padded.width).toBe(Math.min(p.width, t.core.x + t.core.width + 100));
      if (t.col === 0) expect(t.bbox[0]).toBeLessThan(8.5);
    }
    expect(cover.every((c) => c === 1)).toBe(true);
  });

  it('a region across the 6°E zone boundary is one grid in the centre zone (32N for a centre at 6.01°E)', () => {
    const p = planRegion([5.95, 47, 6.07, 47.05]);
    expect(p.epsg).toBe(32632);
    expect(p.width).toBeGreaterThan(880); // ≈ 9.1 km
  });

  it('typed refusals: too large, bad box, misaligned tiles', () => {
    expect(() => planRegion([5, 45, 7, 47])).toThrow(expect.objectContaining({ code: 'REGION_TOO_LARGE' }));
    // Beyond the old 1024 px side (the mosaic is streamed now), refused only by the explicit limits.
    const wide = planRegion([8.3, 47.2, 8.6, 47.4]);
    expect(wide.width).toBeGreaterThan(2200);
    expect(() => planRegion([8.3, 47.2, 8.6, 47.4], { maxPixels: 2000 * 2000 })).toThrow(
      expect.objectContaining({
        code: 'REGION_TOO_LARGE',
        message: expect.stringContaining('4000000 px in all'),
      }),
    );
    expect(() => planRegion([8.3, 47.2, 8.6, 47.4], { maxSidePx: 1024 })).toThrow(
      expect.objectContaining({
        code: 'REGION_TOO_LARGE',
        message: expect.stringContaining('1024 px a side'),
      }),
    );
    expect(() => planRegion([8.3, 47.2, 8.6, 47.4], { maxPixels: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => planRegion([8.6, 47, 8.5, 47.1])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => planRegion([8.5, 47, 8.6, 47.1], { tileSizePx: 64, alignPx: 50 })).toThrow(
      /multiples of 50/,
    );
    expect(() => planRegion([8.5, 47, 8.6, 47.1], { overlapPx: 300, tileSizePx: 200 })).toThrow(/overlap/);
  });

  it('an overlap below one chip with more than one tile is refused (seams); 0 stays fine for a single tile', () => {
    const R: [number, number, number, number] = [8.53, 47.365, 8.55, 47.375]; // 200 × 150 LR px at 50 px alignment
    expect(() => planRegion(R, { tileSizePx: 50, overlapPx: 0, alignPx: 50 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /^tile overlap 0 LR px is below one chip \(50 px\) with 12 tiles: .*seam/,
        ),
      }),
    );
    expect(planRegion(R, { tileSizePx: 50, overlapPx: 50, alignPx: 50 }).tiles).toHaveLength(12);
    const single = planRegion(R, { tileSizePx: 200, overlapPx: 0, alignPx: 50 });
    expect([single.tiles.length, single.overlapPx]).toEqual([1, 0]);
  });
});

describe('featherWeight', () => {
  it('neighbouring tiles sum to 1 across the seam; 1 in the core; 0 in the outer half of the padding', () => {
    const [O, seam, size] = [100, 200, 600];
    for (let u = 100.5; u < 300; u += 1) {
      const a = featherWeight(u, 0, seam, size, O);
      const b = featherWeight(u, seam, 400, size, O);
      expect(a + b).toBeCloseTo(1, 12);
    }
    expect(featherWeight(120, 0, seam, size, O)).toBe(1);
    expect(featherWeight(seam + 50.5, 0, seam, size, O)).toBe(0);
    expect(featherWeight(0.5, 0, seam, size, O)).toBe(1); // region border: no ramp
    expect(featherWeight(seam - 0.5, 0, seam, size, 0)).toBe(1);
    expect(featherWeight(seam + 0.5, 0, seam, size, 0)).toBe(0);
  });
});

describe('regionFromGeoJson', () => {
  it('the envelope of a FeatureCollection of polygons', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [8.5, 47.3],
                [8.6, 47.3],
                [8.55, 47.4],
                [8.5, 47.3],
              ],
            ],
          },
        },
        { type: 'Feature', geometry: { type: 'Point', coordinates: [8.45, 47.35] } },
      ],
    };
    expect(regionFromGeoJson(JSON.stringify(fc), 'r.geojson')).toEqual([8.45, 47.3, 8.6, 47.4]);
  });

  it('typed errors naming the file and place', () => {
    const err = (t: string) => {
      try {
        regionFromGeoJson(t, 'bad.geojson');
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('no error');
    };
    expect(err('{')).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('bad.geojson is not JSON'),
    });
    expect(err('{"type":"Polygon","coordinates":[[[200,1],[1,2]]]}').message).toContain(
      '$.coordinates[0][0]',
    );
    expect(err('{"type":"FeatureCollection","features":[]}').message).toContain('no coordinates');
    expect(err('{"foo":1}').message).toContain('no GeoJSON "type"');
    let deep = '[8.5,47]';
    for (let i = 0; i < 10; i++) deep = `[${deep}]`;
    expect(err(`{"type":"Polygon","coordinates":${deep}}`).message).toContain('nested too deep');
    // Features inside features, 5 000 deep: a typed refusal, not a stack overflow (was a RangeError).
    let nested = '{"type":"Point","coordinates":[8.5,47]}';
    for (let i = 0; i < 5000; i++) nested = `{"type":"Feature","geometry":${nested}}`;
    expect(err(nested)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('nested more than 32 deep at $.geometry.geometry'),
    });
    // 30 levels (collections of features of collections) still read.
    let ok = '{"type":"Point","coordinates":[8.5,47]}';
    for (let i = 0; i < 15; i++)
      ok = `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":${ok}}]}`;
    expect(regionFromGeoJson(ok, 'ok.geojson')).toEqual([8.5, 47, 8.5, 47]);
  });
});
