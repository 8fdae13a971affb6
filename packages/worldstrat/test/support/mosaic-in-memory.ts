// The region mosaic as it was assembled before streaming: whole-mosaic accumulators in memory, one
// writeGeoTiff COG. Tests compare the streamed mosaic with it byte for byte.
import type { Raster } from '@worldstrat/raster-io';
import { readGeoTiffFile, writeGeoTiff } from '@worldstrat/raster-io/node';
import {
  featherWeight,
  type MosaicGrid,
  type MosaicWindow,
  overviewFactors,
} from '../../src/pipelines/region-mosaic.node.js';
import type { RegionPlan, RegionTile } from '../../src/pipelines/region-plan.js';

function accumulate(
  acc: Float32Array[],
  wsum: Float32Array,
  r: Raster,
  win: MosaicWindow,
  tile: RegionTile,
  plan: RegionPlan,
  g: MosaicGrid,
): void {
  const c = tile.core;
  const wx = Float32Array.from({ length: win.width }, (_, i) =>
    featherWeight((win.x + i + 0.5) / g.fx, c.x, c.x + c.width, plan.width, plan.overlapPx),
  );
  for (let j = 0; j < win.height; j++) {
    const wy = featherWeight((win.y + j + 0.5) / g.fy, c.y, c.y + c.height, plan.height, plan.overlapPx);
    if (wy === 0) continue;
    const row = (win.y + j) * g.width + win.x;
    for (let i = 0; i < win.width; i++) {
      const w = (wx[i] as number) * wy;
      if (w === 0) continue;
      let ok = true;
      for (const band of r.bands) if (Number.isNaN(band[j * win.width + i] as number)) ok = false;
      if (!ok) continue;
      for (const [b, band] of r.bands.entries())
        (acc[b] as Float32Array)[row + i] += w * (band[j * win.width + i] as number);
      wsum[row + i] += w;
    }
  }
}

/** Blend `tiles` (absolute paths, in plan order) into `out` the in-memory way; returns the bytes written. */
export async function mosaicInMemory(
  plan: RegionPlan,
  g: MosaicGrid,
  tiles: readonly { path: string; window: MosaicWindow }[],
  out: string,
): Promise<number> {
  const n = g.width * g.height;
  let acc: Float32Array[] = [];
  const wsum = new Float32Array(n);
  for (const [i, t] of tiles.entries()) {
    const r = await readGeoTiffFile(t.path);
    if (acc.length === 0) acc = r.bands.map(() => new Float32Array(n));
    accumulate(acc, wsum, r, t.window, plan.tiles[i] as RegionTile, plan, g);
  }
  for (let p = 0; p < n; p++) {
    const w = wsum[p] as number;
    for (const band of acc) band[p] = w > 0 ? (band[p] as number) / w : Number.NaN;
  }
  const overviews = overviewFactors(g.width, g.height);
  return writeGeoTiff(
    out,
    {
      width: g.width,
      height: g.height,
      dtype: 'float32',
      bands: acc,
      noData: Number.NaN,
      geo: { epsg: plan.epsg, transform: g.transform },
    },
    { cog: true, compression: 'deflate', predictor: true, ...(overviews.length ? { overviews } : {}) },
  );
}
