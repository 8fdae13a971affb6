// Region super-resolution fixture (tests and bench): eo-fetch's local STAC API + COG server on 127.0.0.1 with
// two June 2022 Sentinel-2 L2A items over an 8 × 8 km UTM 32N scene around (8.54, 47.37) whose bands are DN
// planes, and a small SRCNN weights file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BAND_RESOLUTION_M, type CanonicalBand, earthSearch, L2A_BANDS } from '@worldstrat/eo-fetch';
import { encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { makeItem, type StacServer, startStacServer } from '../../../eo-fetch/test/support/stac-server.js';
import type { RegionSuperresolveOptions } from '../../src/pipelines/region-superresolve.node.js';

export const [REGION_LON, REGION_LAT] = [8.54, 47.37];
export const REGION_EPSG = 32632;

/** A running fixture. */
export interface RegionFixture {
  stac: StacServer;
  weights: string;
  /** Options of a region run over `region` writing `<dir>/<name>/mosaic.tif`. */
  options(
    name: string,
    region: [number, number, number, number],
    tileSizePx: number,
  ): RegionSuperresolveOptions;
  close(): Promise<void>;
}

/** An 8 × 8 km tiled COG around the centre, a DN plane per band (SCL: 4 = vegetation). */
function bandCog(band: CanonicalBand, cx: number, cy: number): Uint8Array {
  const X0 = Math.floor((cx - 4000) / 60) * 60;
  const Y0 = Math.ceil((cy + 4000) / 60) * 60;
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(8040 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  const base = 2000 + 100 * L2A_BANDS.indexOf(band as (typeof L2A_BANDS)[number]);
  // a plane, 0.2 DN a metre east and south (exact integers at pixel centres): resampling keeps it exactly
  for (let j = 0; j < size; j++)
    for (let i = 0; i < size; i++)
      data[j * size + i] = isScl ? 4 : base + ((2 * i + 1 + 2 * j + 1) * res) / 10;
  return encodeGeoTiff(
    {
      width: size,
      height: size,
      dtype: isScl ? 'uint8' : 'uint16',
      bands: [data],
      noData: 0,
      geo: { epsg: REGION_EPSG, transform: [X0, res, 0, Y0, 0, -res] },
    },
    { cog: true, tileSize: 256, compression: 'none' },
  );
}

/**
 * Start the fixture in `dir`.
 *
 * @param dir - folder for the weights and outputs.
 * @param hiddenChannels - SRCNN width (8: fast tests; larger makes SR tiles CPU-bound).
 */
export async function startRegionFixture(dir: string, hiddenChannels = 8): Promise<RegionFixture> {
  const stac = await startStacServer([]);
  const [[cx, cy]] = transformCoords(4326, REGION_EPSG, [[REGION_LON, REGION_LAT]]);
  for (const b of [...L2A_BANDS, 'SCL'] as CanonicalBand[])
    stac.files.set(`/data/${b}.tif`, bandCog(b, cx, cy));
  const [lon, lat] = [REGION_LON, REGION_LAT];
  const itemBbox = [lon - 0.045, lat - 0.03, lon + 0.045, lat + 0.03];
  for (const [id, day, cloud] of [
    ['S2_10', 10, 30],
    ['S2_12', 12, 5],
  ] as const)
    stac.items.push(
      makeItem(id, `2022-06-${day}T10:30:00Z`, cloud, itemBbox, {
        properties: { 's2:processing_baseline': '05.09', 's2:datatake_id': id },
        assets: Object.fromEntries(
          ([...L2A_BANDS, 'SCL'] as CanonicalBand[]).map((b) => [
            earthSearch.assetKeys[b]!,
            {
              href: `${stac.url}/data/${b}.tif`,
              type: 'image/tiff; application=geotiff; profile=cloud-optimized',
              ...(b === 'SCL' ? {} : { 'raster:bands': [{ scale: 1e-4, offset: -0.1 }] }),
            },
          ]),
        ),
      }),
    );
  const config = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels });
  const weights = join(dir, `srcnn-${hiddenChannels}.safetensors`);
  await writeFile(weights, stateDictToSafetensors(initStateDict(config, { seed: 5 }), config));
  return {
    stac,
    weights,
    options: (name, region, tileSizePx) => ({
      region,
      dateRange: ['2022-06-01', '2022-06-30'],
      provider: { kind: 'stac', url: stac.url, provider: earthSearch },
      weights,
      out: join(dir, name, 'mosaic.tif'),
      tileSizePx,
      tileOverlapPx: 50,
      overlap: 0, // srnet chips side by side: every tile's chips are the single run's
    }),
    close: () => stac.close(),
  };
}
