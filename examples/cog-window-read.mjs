// Example (raster-io): write a Cloud-Optimized GeoTIFF, serve it over HTTP with Range support on 127.0.0.1,
// and read a window and an overview through HTTP range requests (only the needed tiles are fetched).
// Run after `pnpm build`: node examples/cog-window-read.mjs [outDir]

import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { httpSource, openGeoTiff, readRaster } from '@worldstrat/raster-io';
import { writeGeoTiff } from '@worldstrat/raster-io/node';

export async function main({ out = 'out/examples/cog-window-read', size = 1024 } = {}) {
  await mkdir(out, { recursive: true });
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) data[y * size + x] = Math.sin(x / 40) * Math.cos(y / 55) + y / size;
  const path = join(out, 'scene.cog.tif');
  await writeGeoTiff(
    path,
    {
      width: size,
      height: size,
      dtype: 'float32',
      bands: [data],
      geo: { epsg: 32631, transform: [500000, 10, 0, 5000000, 0, -10] },
    },
    { cog: true, tiled: true, tileSize: 256, compression: 'deflate', predictor: true, overviews: [2, 4] },
  );
  const bytes = await readFile(path);
  let requested = 0;
  const server = createServer((req, res) => {
    const m = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': bytes.length, 'accept-ranges': 'bytes' });
      res.end(bytes);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(bytes.length - 1, m[2] ? Number(m[2]) : bytes.length - 1);
    requested += end - start + 1;
    res.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${bytes.length}`,
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
    });
    res.end(bytes.subarray(start, end + 1));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/scene.cog.tif`;
    const tiff = await openGeoTiff(httpSource(url));
    const window = await readRaster(tiff, { window: { x: 300, y: 300, width: 128, height: 128 } });
    const overview = await readRaster(tiff, { level: 2 });
    const direct = data[(300 + 5) * size + 300 + 7];
    console.log(
      `COG ${bytes.length} bytes, levels ${tiff.levels.map((l) => `${l.width}×${l.height}`).join(', ')}`,
    );
    console.log(
      `window 128×128 at (300,300): value[5][7] = ${window.bands[0][5 * 128 + 7].toFixed(6)} (written ${direct.toFixed(6)}); origin ${window.geo?.transform[0]}, ${window.geo?.transform[3]}`,
    );
    console.log(
      `overview ×4: ${overview.width}×${overview.height}; fetched ${requested} bytes of ${bytes.length} over HTTP ranges`,
    );
    await tiff.close();
    return {
      levels: tiff.levels.length,
      fetched: requested,
      total: bytes.length,
      value: window.bands[0][5 * 128 + 7],
      expected: direct,
    };
  } finally {
    server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ out: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
