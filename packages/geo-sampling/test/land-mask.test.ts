import { createRequire } from 'node:module';
import { booleanPointInPolygon } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { feature } from 'topojson-client';
import { describe, expect, it } from 'vitest';
import {
  createLandMask,
  createRng,
  GeoSamplingError,
  isLand,
  landMaskFromRaster,
  loadLandMask,
  samplePointsOnLand,
  samplePointsOnSphere,
} from '../src/index.js';
import { samplePointsOnLandSync } from '../src/sphere/sample-points-on-land.js';

const require = createRequire(import.meta.url);

describe('embedded land mask (Natural Earth 1:10m)', () => {
  it('classifies well-known places, counts lakes as land and drops Null Island', async () => {
    expect(() => isLand(0, 0)).toThrow(/loadLandMask/);
    const mask = await loadLandMask();
    const cases: [string, number, number, boolean][] = [
      ['Paris', 2.35, 48.85, true],
      ['Null Island (Gulf of Guinea)', 0, 0, false],
      ['Lake Superior (lake = land)', -87.5, 47.6, true],
      ['Lake Victoria (lake = land)', 33, -1, true],
      ['mid Pacific', -150, 0, false],
      ['South Pole (Antarctica)', 0, -90, true],
      ['near South Pole', 123, -89.5, true],
      ['Ross Sea', -170, -75, false],
      ['North Pole (ocean)', 0, 90, false],
      ['Chukotka, west of ±180°', -175, 66, true],
      ['Wrangel Island, east of ±180°', 179.5, 71.2, true],
      ['Viti Levu (Fiji)', 178, -17.8, true],
      ['Bering Sea', 180, 58, false],
      ['Greenland', -40, 72, true],
      ['Sahara', 10, 23, true],
    ];
    for (const [name, lon, lat, expected] of cases)
      expect([name, mask.isLand(lon, lat)]).toEqual([name, expected]);
    expect(isLand(2.35, 48.85)).toBe(true);
    expect(mask.cellKind(2.35, 48.85)).toBe('land');
    expect(mask.cellKind(-150, 0)).toBe('water');
    // A transect across the Atlantic coast of France: water, then coastline cells, then land.
    const kinds = Array.from({ length: 301 }, (_, i) => mask.cellKind(-3 + i * 0.01, 46.5));
    expect(kinds[0]).toBe('water');
    expect(kinds.at(-1)).toBe('land');
    expect(kinds).toContain('coast');
    expect(mask.stats.mixedCells).toBeGreaterThan(1000);
    expect(mask.stats.mixedCells).toBeLessThan(mask.stats.totalCells / 50);
  });

  it('covers ≈ 29 % of the sphere (Natural Earth land incl. Antarctica and lakes)', async () => {
    const mask = await loadLandMask();
    const pts = samplePointsOnSphere(200_000, { seed: 11 });
    const frac = pts.filter((p) => mask.isLand(p.lon, p.lat)).length / pts.length;
    expect(frac).toBeGreaterThan(0.28);
    expect(frac).toBeLessThan(0.3);
  });

  it('equals an exact point-in-polygon test on the 1:110m polygons, even on a coarse grid', () => {
    const topo = require('world-atlas/land-110m.json');
    const land = feature(topo, topo.objects.land) as unknown as { features: Feature<MultiPolygon>[] };
    const coarse = createLandMask(topo, { cellsPerDegree: 2 });
    const fine = createLandMask(topo, { cellsPerDegree: 30 });
    // turf works in the plane, so keep the polygons that do not cross ±180° (this drops Eurasia, Antarctica,
    // Fiji) and compare over the Americas between 60°S and 60°N, where only planar polygons exist.
    const planar = land.features[0].geometry.coordinates.filter((poly) =>
      poly.every((ring) => ring.every((p, i) => i === 0 || Math.abs(p[0] - ring[i - 1][0]) < 180)),
    );
    const planarFeature: Feature<MultiPolygon> = {
      type: 'Feature',
      properties: {},
      geometry: { type: 'MultiPolygon', coordinates: planar },
    };
    const rng = createRng(99);
    let disagreements = 0;
    let landHits = 0;
    for (let i = 0; i < 20000; i++) {
      const lon = 150 * rng.next() - 170;
      const lat = 120 * rng.next() - 60;
      const ours = coarse.isLand(lon, lat);
      if (ours !== booleanPointInPolygon([lon, lat], planarFeature)) disagreements++;
      if (ours) landHits++;
    }
    expect(disagreements).toBe(0);
    expect(landHits).toBeGreaterThan(3000);
    // Over the whole globe the 0.5° and 2′ grids give the same answers (the exact fallback is grid-independent).
    let gridDisagreements = 0;
    for (let i = 0; i < 20000; i++) {
      const lon = 360 * rng.next() - 180;
      const lat = (Math.asin(2 * rng.next() - 1) * 180) / Math.PI;
      if (coarse.isLand(lon, lat) !== fine.isLand(lon, lat)) gridDisagreements++;
    }
    expect(gridDisagreements).toBe(0);
  });

  it('handles spherical rings: antimeridian crossings and a ring around the South Pole', () => {
    // A ring crossing ±180° (drawn d3-style: consecutive vertices jump from 170 to -170) and an open
    // "Antarctica" ring around the pole at -70°.
    const cross: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [170, 10],
          [-170, 10],
          [-170, 20],
          [170, 20],
          [170, 10],
        ],
      ],
    };
    const antarctica: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [-180, -70],
          [-90, -70],
          [0, -70],
          [90, -70],
          [179, -70],
          [-180, -70],
        ],
      ],
    };
    const mask = createLandMask(
      { type: 'MultiPolygon', coordinates: [cross.coordinates, antarctica.coordinates] },
      { cellsPerDegree: 4 },
    );
    expect(mask.isLand(175, 15)).toBe(true);
    expect(mask.isLand(-175, 15)).toBe(true);
    expect(mask.isLand(180, 15)).toBe(true);
    expect(mask.isLand(0, 15)).toBe(false);
    expect(mask.isLand(160, 15)).toBe(false);
    expect(mask.isLand(-160, 15)).toBe(false);
    expect(mask.isLand(45, -80)).toBe(true);
    expect(mask.isLand(-135, -89.99)).toBe(true);
    expect(mask.isLand(45, -60)).toBe(false);
  });

  it('rejects bad coordinates and non-polygon input with typed errors', async () => {
    const mask = await loadLandMask();
    expect(() => mask.isLand(Number.NaN, 0)).toThrow(GeoSamplingError);
    expect(() => mask.isLand(0, -91)).toThrow(/latitude -91/);
    expect(() => mask.isLand(181, 0)).toThrow(/longitude 181/);
    expect(() =>
      createLandMask({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [0, 0] } }),
    ).toThrow(/\(Multi\)Polygon/);
    expect(() => createLandMask({ type: 'Polygon', coordinates: [] }, { cellsPerDegree: 0 })).toThrow(
      /cellsPerDegree/,
    );
  });
});

describe('landMaskFromRaster', () => {
  // 4×2 global raster of 90° pixels: land only in the pixel [0°, 90°) × (0°, 90°].
  const raster = {
    width: 4,
    height: 2,
    dtype: 'uint8' as const,
    bands: [Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 255])],
    noData: 255,
    geo: {
      epsg: 4326,
      transform: [-180, 90, 0, 90, 0, -90] as [number, number, number, number, number, number],
    },
  };

  it('looks up the containing pixel; nonzero non-nodata is land by default, or the given codes', () => {
    const mask = landMaskFromRaster(raster);
    expect(mask.isLand(45, 45)).toBe(true);
    expect(mask.isLand(-45, 45)).toBe(false);
    expect(mask.isLand(135, -45)).toBe(false); // nodata
    const codes = landMaskFromRaster(raster, { land: [255] });
    expect(codes.isLand(135, -45)).toBe(true);
    expect(codes.isLand(45, 45)).toBe(false);
  });

  it('drives rejection sampling (all points land in the land pixel) and stops with NO_LAND_FOUND', () => {
    const pts = samplePointsOnLandSync(500, landMaskFromRaster(raster), { seed: 3 });
    expect(pts.every((p) => p.lon >= 0 && p.lon < 90 && p.lat > 0)).toBe(true);
    const empty = { ...raster, bands: [new Uint8Array(8)] };
    expect(() =>
      samplePointsOnLandSync(1, landMaskFromRaster(empty), { seed: 1, maxRejectionsInARow: 1000 }),
    ).toThrow(/no land/);
  });

  it('refuses rasters without georeferencing or in another CRS', () => {
    expect(() => landMaskFromRaster({ ...raster, geo: undefined })).toThrow(/no georeferencing/);
    expect(() => landMaskFromRaster({ ...raster, geo: { ...raster.geo, epsg: 3857 } })).toThrow(/EPSG:3857/);
    expect(() => landMaskFromRaster(raster, { band: 2 })).toThrow(/band 2/);
  });
});

describe('sampling', () => {
  it('samples on the sphere reproducibly, uniformly in area, with sequential ids', () => {
    const a = samplePointsOnSphere(50_000, { seed: 4, firstId: 10 });
    const b = samplePointsOnSphere(50_000, { seed: 4, firstId: 10 });
    expect(b).toEqual(a);
    expect(a.map((p) => p.id).slice(0, 3)).toEqual([10, 11, 12]);
    expect(new Set(a.map((p) => p.id)).size).toBe(a.length);
    expect(a.every((p) => p.lon >= -180 && p.lon < 180 && p.lat >= -90 && p.lat <= 90)).toBe(true);
    // Equal-area: |lat| < 30° holds half of the sphere's area.
    const band = a.filter((p) => Math.abs(p.lat) < 30).length / a.length;
    expect(Math.abs(band - 0.5)).toBeLessThan(0.01);
  });

  it('samples on land reproducibly: every point is land, ids unique and sequential, progress reported', async () => {
    const progress: number[] = [];
    const pts = await samplePointsOnLand(2000, { seed: 2024, onProgress: (p) => progress.push(p.done) });
    const again = await samplePointsOnLand(2000, { seed: 2024 });
    expect(again).toEqual(pts);
    const mask = await loadLandMask();
    expect(pts.every((p) => mask.isLand(p.lon, p.lat))).toBe(true);
    expect(pts.map((p) => p.id)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(progress.at(-1)).toBe(2000);
    const other = await samplePointsOnLand(5, { seed: 2025 });
    expect(other[0]).not.toEqual(pts[0]);
  });

  it('honours AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(samplePointsOnLand(10, { seed: 1, signal: ac.signal })).rejects.toThrow(/aborted/);
  });

  it('an abort while one point is being redrawn ends the rejection loop (looked at every 65 536 misses)', () => {
    // Before: the signal was looked at between points only, so a mask without land and a large
    // maxRejectionsInARow kept drawing after the abort. The mask gives up after 2 million draws so that the old
    // code fails here instead of running for hours.
    const ac = new AbortController();
    let draws = 0;
    const water = {
      source: 'all water',
      isLand: () => {
        if (++draws === 1000) ac.abort();
        if (draws > 2_000_000) throw new Error('still drawing 2 000 000 misses after the abort');
        return false;
      },
    };
    const options = { seed: 1, signal: ac.signal, maxRejectionsInARow: Number.MAX_SAFE_INTEGER };
    let err: unknown;
    try {
      samplePointsOnLandSync(1, water, options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GeoSamplingError);
    expect((err as GeoSamplingError).code).toBe('ABORTED');
    expect(draws).toBe(65_536);
  });
});
