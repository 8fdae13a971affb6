// Example (eo-fetch): search a STAC API for Sentinel-2 L2A items over an AOI with a cloud filter, following
// `next` links page by page. By default it starts a tiny local STAC server (127.0.0.1) so it runs offline; pass
// a real endpoint to search it instead, e.g.
//   node examples/stac-search.mjs https://earth-search.aws.element84.com/v1
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { StacClient } from '@worldstrat/eo-fetch';
import { aoiBounds } from '@worldstrat/geo-sampling';

/** A local STAC API with 7 Sentinel-2 items served 3 per page (POST /search, body-merge `next` links). */
async function startLocalStac() {
  const items = Array.from({ length: 7 }, (_, i) => ({
    type: 'Feature',
    stac_version: '1.0.0',
    id: `S2B_31UDQ_202206${String(i + 1).padStart(2, '0')}_0_L2A`,
    collection: 'sentinel-2-l2a',
    bbox: [1.9, 48.3, 3.4, 49.3],
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [1.9, 48.3],
          [3.4, 48.3],
          [3.4, 49.3],
          [1.9, 49.3],
          [1.9, 48.3],
        ],
      ],
    },
    properties: {
      datetime: `2022-06-${String(i + 1).padStart(2, '0')}T10:56:19Z`,
      'eo:cloud_cover': (i * 13) % 60,
    },
    assets: {
      red: {
        href: `https://example.invalid/${i}/B04.tif`,
        type: 'image/tiff; application=geotiff; profile=cloud-optimized',
      },
    },
    links: [],
  }));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const params = body ? JSON.parse(body) : {};
      const maxCloud = params.query?.['eo:cloud_cover']?.lt ?? 101;
      const hits = items.filter((it) => it.properties['eo:cloud_cover'] < maxCloud);
      const start = params.token ? Number(params.token) : 0;
      const limit = params.limit ?? 3;
      const page = hits.slice(start, start + limit);
      const links =
        start + limit < hits.length
          ? [
              {
                rel: 'next',
                href: `http://${req.headers.host}/search`,
                method: 'POST',
                body: { token: String(start + limit) },
                merge: true,
              },
            ]
          : [];
      res.writeHead(200, { 'content-type': 'application/geo+json' });
      res.end(
        JSON.stringify({ type: 'FeatureCollection', features: page, links, numberMatched: hits.length }),
      );
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

export async function main({ endpoint } = {}) {
  const local = endpoint ? null : await startLocalStac();
  try {
    const client = new StacClient(endpoint ?? local.url);
    const bbox = aoiBounds(2.35, 48.85, 2.5); // a 2.5 km² WorldStrat-size box over Paris
    const items = await client.search(
      {
        collections: ['sentinel-2-l2a'],
        bbox,
        datetime: '2022-06-01T00:00:00Z/2022-06-30T23:59:59Z',
        query: { 'eo:cloud_cover': { lt: 40 } },
        limit: 3,
      },
      { maxItems: 20 },
    );
    for (const it of items)
      console.log(`${it.id}  ${it.properties.datetime}  cloud ${it.properties['eo:cloud_cover']}%`);
    console.log(`${items.length} items (cloud < 40 %) over [${bbox.map((v) => v.toFixed(4)).join(', ')}]`);
    return { items: items.length, ids: items.map((i) => i.id) };
  } finally {
    local?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main({ endpoint: process.argv[2] }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
