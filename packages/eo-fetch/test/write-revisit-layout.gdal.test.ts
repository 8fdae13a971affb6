// The release layout written by writeRevisitLayout, checked with GDAL (what the training code reads through).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aoiBounds } from '@worldstrat/geo-sampling';
import type { BBox } from '@worldstrat/raster-io';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256File } from '../src/download/download-engine.node.js';
import { aoiGrid, lrRevisitPaths, type MatchedRevisit, writeRevisitLayout } from '../src/node.js';
import { hasGdal, requireTool } from './support/require-tool.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-fetch-gdal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const gdalinfo = (path: string) =>
  JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', path], { encoding: 'utf8' }));

// CI installs gdal-bin (.ci/run); there a missing gdalinfo fails instead of skipping
it.runIf(requireTool('GDAL (gdalinfo)', hasGdal))(
  'writes data, layers and metadata that GDAL reads as the release files',
  async () => {
    const bounds = aoiBounds(-47.93, -15.78, 2.5) as BBox;
    const aoi = { name: 'Landcover-9', bounds, areaKm2: 2.5 };
    const grid = aoiGrid(bounds);
    const n = grid.width * grid.height;
    const data = Array.from({ length: 12 }, (_, b) =>
      Float32Array.from({ length: n }, (_, i) => 0.01 * (b + 1) + (i % 7) * 1e-3),
    );
    const clm = Uint8Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const revisit: MatchedRevisit = {
      aoi: aoi.name,
      n: 3,
      entry: {
        id: 'S2A_X',
        source: 'Sentinel2',
        datetime: '2020-07-01T13:20:00.000Z',
        cloudCover: 4.5,
        geometry: { type: 'Polygon', coordinates: [] },
      },
      deltaDays: -2,
      rank: 4,
      areaKm2: 2.5,
      coverage: 1,
      targetDate: '2020-07-03',
    };
    const geo = { epsg: 4326, transform: grid.transform };
    const records = await writeRevisitLayout(dir, aoi, revisit, {
      level: 'L2A',
      data: { width: grid.width, height: grid.height, dtype: 'float32', bands: data, noData: 0, geo },
      layers: {
        CLM: { width: grid.width, height: grid.height, dtype: 'uint8', bands: [clm], noData: 255, geo },
      },
      metadata: { item_id: 'S2A_X' },
    });
    const p = lrRevisitPaths(aoi.name, 3, 'L2A');
    expect(records.map((r) => r.path)).toEqual([p.data, p.layer('CLM'), p.metadata].map((x) => join(dir, x)));
    for (const r of records) expect(await sha256File(r.path)).toBe(r.sha256);

    const info = gdalinfo(join(dir, p.data));
    expect(info.size).toEqual([grid.width, grid.height]);
    expect(info.bands).toHaveLength(12);
    expect(
      info.bands.every(
        (b: { type: string; noDataValue: number }) => b.type === 'Float32' && b.noDataValue === 0,
      ),
    ).toBe(true);
    expect(info.coordinateSystem.wkt).toContain('WGS 84');
    expect(info.geoTransform[0]).toBeCloseTo(bounds[0], 9);
    expect(info.geoTransform[3]).toBeCloseTo(bounds[3], 9);
    expect(info.geoTransform[0] + info.geoTransform[1] * grid.width).toBeCloseTo(bounds[2], 9);
    expect(info.bands[3].minimum).toBeCloseTo(0.04, 6);
    const clmInfo = gdalinfo(join(dir, p.layer('CLM')));
    expect(clmInfo.bands[0]).toMatchObject({ type: 'Byte', noDataValue: 255, minimum: 0, maximum: 1 });
    expect(JSON.parse(await readFile(join(dir, p.metadata), 'utf8'))).toEqual({
      cloud_cover: 4.5,
      target_date: '2020-07-03',
      delta: '-2',
      area: 2.5,
      datetime: '2020-07-01T13:20:00.000Z',
      item_id: 'S2A_X',
    });
  },
);
