// Example (srnet): super-resolve a whole georeferenced scene (8 Sentinel-2-like revisits) into an SR GeoTIFF +
// PNG quicklook. The revisits come from the synthetic generator; the weights are seeded random (pass a
// converted WorldStrat checkpoint to get real super-resolution: stateDictFromSafetensors(bytes)).
// Run after `pnpm build`: node examples/super-resolve.mjs [outDir]
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { initStateDict } from '@worldstrat/srnet';
import { superResolveToFile } from '@worldstrat/srnet/node';
import { natCompare } from '@worldstrat/stratify';
import { generateSyntheticDataset } from 'worldstrat/node';

export async function main({
  out = 'out/examples/super-resolve',
  hrSize = 1054,
  hidden = 32,
  engine = 'tfjs',
} = {}) {
  const root = join(out, 'dataset');
  const [aoi] = (
    await generateSyntheticDataset(root, { aois: 1, revisits: 8, hrSize, seed: 5, overwrite: true })
  ).aois;
  const dir = join(root, 'lr_dataset', aoi.name, 'L2A');
  const files = (await readdir(dir)).filter((f) => f.endsWith('-L2A_data.tiff')).sort(natCompare);
  const scene = [];
  for (const f of files) scene.push(await readGeoTiffFile(join(dir, f)));
  const config = { kind: 'highresnet', revisits: 8, hiddenChannels: hidden };
  const t0 = performance.now();
  const res = await superResolveToFile(scene, join(out, `${aoi.name}-sr.tif`), {
    engine: { engine, config, stateDict: initStateDict(config, { seed: 1 }), backend: 'cpu' },
    quicklookPath: join(out, `${aoi.name}-sr.png`),
  });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${aoi.name}: ${scene.length} revisits of ${scene[0].width}×${scene[0].height} → SR ${res.raster.width}×${res.raster.height} (${res.raster.bands.length} bands) in ${s} s`,
  );
  console.log(
    `wrote ${join(out, `${aoi.name}-sr.tif`)} (${res.bytes} bytes, EPSG:${res.raster.geo?.epsg}) and the PNG quicklook`,
  );
  return {
    width: res.raster.width,
    height: res.raster.height,
    bands: res.raster.bands.length,
    epsg: res.raster.geo?.epsg,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ out: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
