// warpGeoTiff over HTTP range requests (local 127.0.0.1 server): only the covering tiles are fetched.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeGeoTiff,
  httpSource,
  openGeoTiff,
  type Raster,
  transformCoords,
  warpGeoTiff,
} from '../../src/index.js';

// 2048×2048 uint16 at 10 m in UTM 31N, 256-px tiles, COG layout with overviews: ~8 MB uncompressed.
const w = 2048;
const band = new Uint16Array(w * w);
for (let i = 0; i < band.length; i++) band[i] = ((i % w) * 31 + Math.floor(i / w) * 17) % 4096;
const raster: Raster = {
  width: w,
  height: w,
  dtype: 'uint16',
  bands: [band],
  noData: 0,
  geo: { epsg: 32631, transform: [600000, 10, 0, 5400000, 0, -10] },
};
const cog = encodeGeoTiff(raster, { cog: true, tileSize: 256, overviews: [2, 4] });

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'Content-Length': cog.length });
      res.end(Buffer.from(cog));
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), cog.length - 1);
    res.writeHead(206, {
      'Content-Range': `bytes ${start}-${end}/${cog.length}`,
      'Content-Length': end - start + 1,
    });
    res.end(Buffer.from(cog.subarray(start, end + 1)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('warpGeoTiff over HTTP', () => {
  it('warps a small UTM 32N chip of a remote COG with a few range requests and equals the in-memory result', async () => {
    const src = httpSource(`${base}/cog.tif`);
    const tiff = await openGeoTiff(src);
    const [[x, y]] = transformCoords(32631, 32632, [[610000, 5390000]]) as [[number, number]];
    const grid = {
      epsg: 32632,
      transform: [Math.round(x), 10, 0, Math.round(y), 0, -10] as [
        number,
        number,
        number,
        number,
        number,
        number,
      ],
      width: 50,
      height: 50,
    };
    const before = { requests: src.requestCount, bytes: src.bytesReceived };
    const remote = await warpGeoTiff(tiff, grid, { method: 'bilinear' });
    const local = await warpGeoTiff(await openGeoTiff(cog), grid, { method: 'bilinear' });
    expect(Array.from(remote.bands[0] as Uint16Array)).toEqual(Array.from(local.bands[0] as Uint16Array));
    expect(new Set(remote.bands[0] as Uint16Array).size).toBeGreaterThan(100); // real data, not all no-data
    const bytes = src.bytesReceived - before.bytes;
    expect(src.requestCount - before.requests).toBeLessThanOrEqual(4);
    expect(bytes).toBeLessThan(cog.length / 10); // ≤ 4 of 64 full-resolution tiles
  });
});
