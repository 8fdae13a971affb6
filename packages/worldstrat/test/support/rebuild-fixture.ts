// A small rebuild world for the queue tests and benchmark: eo-fetch's STAC API + COG test server with L2A band
// COGs around Zürich (UTM 32N), two acquisitions, and a 3-class land-cover raster written to `dir`. With
// `latencyMs`, every request goes through a local proxy that answers that much later (an I/O-bound service).
import { writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { BAND_RESOLUTION_M, type CanonicalBand, earthSearch, L2A_BANDS } from '@worldstrat/eo-fetch';
import { type BBox, encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { makeItem, type StacServer, startStacServer } from '../../../eo-fetch/test/support/stac-server.js';
import type { RebuildOptions } from '../../src/pipelines/rebuild.node.js';

const CENTRE = [8.54, 47.37] as const;
/** The sampling region (inside the band COGs). */
export const REGION: BBox = [8.52, 47.36, 8.56, 47.38];
const EPSG = 32632;
const allLand = { source: 'test: all land', isLand: () => true };

/** Three land-cover classes (west / north-east / south-east of the centre), so the draw spreads AOIs. */
function lccsRaster(): Uint8Array {
  const res = 0.0025;
  const [x0, y0, w, h] = [8.45, 47.45, 80, 60];
  const data = new Uint8Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const lon = x0 + (c + 0.5) * res;
      const lat = y0 - (r + 0.5) * res;
      data[r * w + c] = lon < CENTRE[0] ? 10 : lat >= CENTRE[1] ? 190 : 50;
    }
  return encodeGeoTiff(
    {
      width: w,
      height: h,
      dtype: 'uint8',
      bands: [data],
      noData: 0,
      geo: { epsg: 4326, transform: [x0, res, 0, y0, 0, -res] },
    },
    { tiled: true, tileSize: 256 },
  );
}

function bandCog(band: CanonicalBand, cx: number, cy: number): Uint8Array {
  const X0 = Math.floor((cx - 4000) / 60) * 60;
  const Y0 = Math.ceil((cy + 4000) / 60) * 60;
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(8040 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  const bi = L2A_BANDS.indexOf(band as (typeof L2A_BANDS)[number]);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) data[r * size + c] = isScl ? 4 : 1500 + 100 * bi + ((r * 7 + c * 3) % 97);
  return encodeGeoTiff(
    {
      width: size,
      height: size,
      dtype: isScl ? 'uint8' : 'uint16',
      bands: [data],
      noData: 0,
      geo: { epsg: EPSG, transform: [X0, res, 0, Y0, 0, -res] },
    },
    { cog: true, tileSize: 256, compression: 'none' },
  );
}

/** A proxy to `target` that holds every request `latencyMs` before forwarding it. */
async function startLatencyProxy(
  target: string,
  latencyMs: number,
): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((req, res) => {
    setTimeout(() => {
      const up = request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, latencyMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** The running fixture. */
export interface RebuildFixture {
  stac: StacServer;
  /** Base URL clients use (the proxy with `latencyMs`). */
  url: string;
  lccsPath: string;
  /** Rebuild options for `target` AOIs of 0.25 km², one revisit each, into `root`. */
  options(root: string, target?: number): RebuildOptions;
  close(): Promise<void>;
}

/** Starts the servers and writes the land-cover raster into `dir`. */
export async function startRebuildFixture(dir: string, latencyMs = 0): Promise<RebuildFixture> {
  const stac = await startStacServer([]);
  const proxy = latencyMs > 0 ? await startLatencyProxy(stac.url, latencyMs) : undefined;
  const url = proxy?.url ?? stac.url;
  const [[cx, cy]] = transformCoords(4326, EPSG, [[CENTRE[0], CENTRE[1]]]);
  for (const b of new Set([...L2A_BANDS, 'SCL'] as CanonicalBand[]))
    stac.files.set(`/data/${b}.tif`, bandCog(b, cx, cy));
  const lccsPath = join(dir, 'lccs.tif');
  await writeFile(lccsPath, lccsRaster());
  const bbox = [REGION[0] - 0.05, REGION[1] - 0.05, REGION[2] + 0.05, REGION[3] + 0.05];
  for (const [id, day, cloud] of [
    ['S2_10', 10, 30],
    ['S2_12', 12, 5],
  ] as const)
    stac.items.push(
      makeItem(id, `2022-06-${day}T10:30:00Z`, cloud, bbox, {
        properties: { 's2:processing_baseline': '05.09', 's2:datatake_id': id },
        assets: Object.fromEntries(
          ([...L2A_BANDS, 'SCL'] as CanonicalBand[]).map((b) => [
            earthSearch.assetKeys[b]!,
            {
              href: `${url}/data/${b}.tif`,
              type: 'image/tiff; application=geotiff; profile=cloud-optimized',
            },
          ]),
        ),
      }),
    );
  return {
    stac,
    url,
    lccsPath,
    options: (root, target = 20) => ({
      root,
      region: REGION,
      landMask: allLand,
      landcover: lccsPath,
      target,
      poolSize: 10 * target,
      seed: 3,
      areaKm2: 0.25,
      provider: { kind: 'stac', url, provider: earthSearch },
      dateRange: ['2022-06-01', '2022-06-30'],
      targetDate: '2022-06-10',
      nRevisits: 1,
      concurrency: 2,
    }),
    close: async () => {
      if (proxy) await new Promise((r) => proxy.server.close(r));
      await stac.close();
    },
  };
}
