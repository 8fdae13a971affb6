// Example (geo-sampling + stratify): sample land points, classify them in a land-cover raster, rebalance the
// classes with a cube root, draw a stratified subset, build 2.5 km² AOIs, and plot before/after.
// Run after `pnpm build`: node examples/sample-and-stratify.mjs [outDir]
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAois, loadLandMask, samplePointsOnLand } from '@worldstrat/geo-sampling';
import { writeAoisFile } from '@worldstrat/geo-sampling/node';
import { encodeGeoTiff } from '@worldstrat/raster-io';
import {
  classCounts,
  classifyPoints,
  openClassRaster,
  rebalance,
  stratifiedDraw,
} from '@worldstrat/stratify';
import { classDistributionSvg, worldMapSvg, writePlot } from 'worldstrat/node';

/** A toy 1°-per-pixel LCCS map (EPSG:4326): classes by latitude band, a few "urban" cells. */
function toyLandcover() {
  const width = 360;
  const height = 180;
  const data = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) {
    const lat = 89.5 - r;
    for (let c = 0; c < width; c++) {
      const a = Math.abs(lat);
      let code = a < 12 ? 50 : a < 30 ? 200 : a < 50 ? 10 : a < 65 ? 70 : 220;
      if ((r * 7 + c * 13) % 97 === 0) code = 190; // scattered urban cells
      if (a >= 12 && a < 30 && c % 9 === 0) code = 130; // grassland strips
      data[r * width + c] = code;
    }
  }
  return {
    width,
    height,
    dtype: 'uint8',
    bands: [data],
    geo: { epsg: 4326, transform: [-180, 1, 0, 90, 0, -1] },
  };
}

export async function main({
  out = 'out/examples/sample-and-stratify',
  count = 2000,
  target = 60,
  seed = 1,
  landScale = '10m',
} = {}) {
  await mkdir(out, { recursive: true });
  const points = await samplePointsOnLand(count, { seed, mask: await loadLandMask({ scale: landScale }) });
  const landcover = await openClassRaster(encodeGeoTiff(toyLandcover()));
  const classified = await classifyPoints(points, { landcover, unknownClass: 'null' });
  const before = classCounts(classified.map((p) => p.IPCC));
  const allocation = rebalance(before, target, { weight: Math.cbrt });
  const { rows } = await stratifiedDraw(classified, (p) => p.IPCC, allocation, {
    seed,
    onShortfall: 'report',
  });
  const aois = createAois(
    rows.map((p) => ({ name: `Example-${p.id}`, lon: p.lon, lat: p.lat, source: 'Example' })),
    2.5,
  );
  await writeAoisFile(join(out, 'aois.geojson'), aois);
  const toRecord = (cc) => Object.fromEntries(cc.map((c) => [String(c.class), c.count]));
  await writePlot(
    join(out, 'distribution'),
    classDistributionSvg(
      [
        { name: 'Sampled', counts: toRecord(before) },
        { name: 'Rebalanced', counts: toRecord(allocation) },
      ],
      { title: 'IPCC classes before / after cube-root rebalancing' },
    ),
  );
  await writePlot(
    join(out, 'aoi-map'),
    worldMapSvg(
      rows.map((p) => ({ lon: p.lon, lat: p.lat, label: p.IPCC ?? 'None' })),
      { title: 'Drawn AOIs by IPCC class' },
    ),
  );
  console.log(
    `sampled ${points.length} land points; classes: ${before.map((c) => `${c.class} ${c.count}`).join(', ')}`,
  );
  console.log(
    `rebalanced to ${target}: ${allocation.map((c) => `${c.class} ${c.count}`).join(', ')}; drew ${rows.length}; AOIs → ${join(out, 'aois.geojson')}`,
  );
  return { points: points.length, drawn: rows.length, aois: aois.length, allocation };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ out: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
