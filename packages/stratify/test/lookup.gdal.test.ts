import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGeoTiff } from '@worldstrat/raster-io';
import { fileSource } from '@worldstrat/raster-io/node';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifiedPointsToCsv,
  classifiedPointsToTable,
  classifyPoints,
  LCCS_LABELS,
  openClassRaster,
  openClassRasterFile,
  openClassRasterPathOrUrl,
  StratifyError,
} from '../src/node.js';
import { requireTool } from './support/require-tool.js';

function hasGdalTranslate(): boolean {
  try {
    execFileSync('gdal_translate', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const gdalTests = requireTool('GDAL (gdal_translate)', hasGdalTranslate());

// --- test rasters, generated here -------------------------------------------------------------------------
// LCCS-like global grid in EPSG:4326: 0.5° pixels (720 × 360), uint8, tiled 256 + deflate (3 × 2 tiles).
const LCCS_CODES = Object.keys(LCCS_LABELS).map(Number);
const lccsAt = (row: number, col: number) => LCCS_CODES[(row * 7 + col * 3) % LCCS_CODES.length];
const LC_W = 720;
const LC_H = 360;
const lcData = new Uint8Array(LC_W * LC_H);
for (let r = 0; r < LC_H; r++) for (let c = 0; c < LC_W; c++) lcData[r * LC_W + c] = lccsAt(r, c);
const lcBytes = encodeGeoTiff(
  {
    width: LC_W,
    height: LC_H,
    dtype: 'uint8',
    bands: [lcData],
    noData: 0,
    geo: { epsg: 4326, transform: [-180, 0.5, 0, 90, 0, -0.5] },
  },
  { tiled: true, tileSize: 256, compression: 'deflate' },
);

// SMOD-like Mollweide grid (ESRI:54009): 100 km pixels over the whole projection plane, int16, NoData −200.
const MOLL = '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +ellps=WGS84 +datum=WGS84 +units=m +no_defs';
const SMOD_CODES = [10, 11, 12, 13, 21, 22, 23, 30];
const SM_W = 361;
const SM_H = 181;
const SM_X0 = -18_050_000;
const SM_Y0 = 9_050_000;
const smodAt = (row: number, col: number) =>
  (row + col) % 9 === 8 ? -200 : SMOD_CODES[(row * 5 + col) % SMOD_CODES.length];
const smData = new Int16Array(SM_W * SM_H);
for (let r = 0; r < SM_H; r++) for (let c = 0; c < SM_W; c++) smData[r * SM_W + c] = smodAt(r, c);
const smGeo = {
  epsg: 54009,
  transform: [SM_X0, 100_000, 0, SM_Y0, 0, -100_000] as [number, number, number, number, number, number],
};
const smBytes = encodeGeoTiff(
  { width: SM_W, height: SM_H, dtype: 'int16', bands: [smData], noData: -200, geo: smGeo },
  { tiled: true, tileSize: 256 },
);

// Points: cell centres plus random offsets inside cells (never on an edge).
const points = Array.from({ length: 400 }, (_, i) => {
  const lon = -179.7 + ((i * 37.3) % 359.4);
  const lat = -84.6 + ((i * 11.9) % 169.2);
  return { lon, lat };
});

function expectedLccs(p: { lon: number; lat: number }, compat = false) {
  const fc = (p.lon + 180) / 0.5;
  const fr = (90 - p.lat) / 0.5;
  const [r, c] = compat ? [Math.ceil(fr), Math.ceil(fc)] : [Math.floor(fr), Math.floor(fc)];
  return r < LC_H && c < LC_W ? lccsAt(r, c) : null;
}

function expectedSmod(p: { lon: number; lat: number }, compat = false) {
  const [x, y] = proj4('EPSG:4326', MOLL, [p.lon, p.lat]);
  const fc = (x - SM_X0) / 100_000;
  const fr = (SM_Y0 - y) / 100_000;
  const [r, c] = compat ? [Math.ceil(fr), Math.ceil(fc)] : [Math.floor(fr), Math.floor(fc)];
  return smodAt(r, c);
}

// --- a local HTTP server with Range support -------------------------------------------------------------
let server: Server;
let base = '';
let rangeRequests = 0;
const files = new Map<string, Uint8Array>([
  ['/lccs.tif', lcBytes],
  ['/smod.tif', smBytes],
]);
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)?$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'Content-Length': body.length }).end(Buffer.from(body));
      return;
    }
    rangeRequests++;
    const start = Number(m[1]);
    const end = Math.min(body.length - 1, m[2] ? Number(m[2]) : body.length - 1);
    res
      .writeHead(206, {
        'Content-Range': `bytes ${start}-${end}/${body.length}`,
        'Content-Length': end - start + 1,
        'Accept-Ranges': 'bytes',
      })
      .end(Buffer.from(body.subarray(start, end + 1)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'stratify-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('openClassRaster + lookup', () => {
  it('EPSG:4326 grid (local bytes): the containing pixel by default, upstream ceil with compat', async () => {
    const lc = await openClassRaster(lcBytes, { name: 'lccs.tif' });
    expect(lc.crs).toBe(4326);
    expect(await lc.lookup(points)).toEqual(points.map((p) => expectedLccs(p)));
    expect(await lc.lookup(points, { compat: true })).toEqual(points.map((p) => expectedLccs(p, true)));
    // compat = one row south and one column east of the containing pixel
    expect(await lc.lookup([{ lon: 0.25, lat: 0.25 }], { compat: true })).toEqual([lccsAt(180, 361)]);
    expect(await lc.lookup([{ lon: 0.25, lat: 0.25 }])).toEqual([lccsAt(179, 360)]);
    expect(lc.stats.blocksRead).toBe(6); // 3 × 2 tiles, each read once, then cached
    expect(lc.stats.cacheHits).toBeGreaterThan(0);
  });

  it('readLimits bound the block reads (TOO_LARGE naming the raster); a self-looping IFD chain is CORRUPT_TIFF', async () => {
    const small = await openClassRaster(lcBytes, { name: 'lccs.tif', readLimits: { maxBlockBytes: 1000 } });
    await expect(small.lookup(points)).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/lccs\.tif.*maxBlockBytes = 1000/),
    });
    const looped = lcBytes.slice();
    const view = new DataView(looped.buffer, looped.byteOffset, looped.byteLength);
    const ifd = view.getUint32(4, true);
    view.setUint32(ifd + 2 + 12 * view.getUint16(ifd, true), ifd, true);
    const t0 = performance.now();
    await expect(openClassRaster(looped, { name: 'looped.tif' })).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringContaining('looped.tif'),
    });
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('Mollweide ESRI:54009 grid: points are projected with proj4 before the pixel lookup', async () => {
    const sm = await openClassRaster(smBytes, { name: 'smod.tif' });
    expect(sm.crs).toBe('ESRI:54009');
    expect(sm.noData).toBe(-200);
    expect(await sm.lookup(points)).toEqual(points.map((p) => expectedSmod(p)));
    expect(await sm.lookup(points, { compat: true })).toEqual(points.map((p) => expectedSmod(p, true)));
  });

  it('remote COG over HTTP range requests on 127.0.0.1 gives the same answers, reading only needed tiles', async () => {
    const lc = await openClassRaster(`${base}/lccs.tif`);
    rangeRequests = 0;
    const europe = points.filter((p) => p.lon > -10 && p.lon < 30 && p.lat > 35 && p.lat < 60);
    expect(europe.length).toBeGreaterThan(0);
    expect(await lc.lookup(europe)).toEqual(europe.map((p) => expectedLccs(p)));
    expect(lc.stats.blocksRead).toBe(1);
    expect(rangeRequests).toBeGreaterThan(0);
    expect(rangeRequests).toBeLessThanOrEqual(2);
    const sm = await openClassRaster(`${base}/smod.tif`);
    expect(await sm.lookup(points)).toEqual(points.map((p) => expectedSmod(p)));
    await expect(openClassRaster(`${base}/missing.tif`)).rejects.toThrow(/404/);
  });

  it.runIf(gdalTests)(
    'GDAL-written Mollweide (user-defined CRS) is recognised as ESRI:54009; { crs } still works',
    async () => {
      const raw = join(dir, 'smod.tif');
      await writeFile(raw, smBytes);
      const gdal = join(dir, 'smod-gdal.tif');
      execFileSync('gdal_translate', [
        '-q',
        '-a_srs',
        MOLL,
        '-co',
        'TILED=YES',
        '-co',
        'COMPRESS=LZW',
        raw,
        gdal,
      ]);
      const auto = await openClassRaster(await fileSource(gdal));
      expect(auto.crs).toBe('ESRI:54009');
      expect(await auto.lookup(points.slice(0, 50))).toEqual(points.slice(0, 50).map((p) => expectedSmod(p)));
      await auto.close();
      const sm = await openClassRasterFile(gdal, { crs: 'ESRI:54009' });
      expect(await sm.lookup(points.slice(0, 50))).toEqual(points.slice(0, 50).map((p) => expectedSmod(p)));
      await sm.close();
      expect((await readFile(gdal)).length).toBeGreaterThan(0);
    },
  );

  it('points outside the raster give null, or POINT_OUTSIDE_RASTER on request', async () => {
    const regional = encodeGeoTiff({
      width: 10,
      height: 10,
      dtype: 'uint8',
      bands: [new Uint8Array(100).fill(190)],
      geo: { epsg: 4326, transform: [10, 0.1, 0, 50, 0, -0.1] },
    });
    const r = await openClassRaster(regional);
    expect(
      await r.lookup([
        { lon: 10.55, lat: 49.55 },
        { lon: 0, lat: 0 },
      ]),
    ).toEqual([190, null]);
    await expect(r.lookup([{ lon: 0, lat: 0 }], { outside: 'error' })).rejects.toThrow(
      /point 0 \(lon 0, lat 0\) falls outside/,
    );
  });

  it('refuses rasters without georeferencing and bad bands', async () => {
    const bare = encodeGeoTiff({ width: 4, height: 4, dtype: 'uint8', bands: [new Uint8Array(16)] });
    await expect(openClassRaster(bare)).rejects.toMatchObject({ code: 'NO_GEOREFERENCING' });
    await expect(openClassRaster(lcBytes, { band: 1 })).rejects.toThrow(/band 1 does not exist/);
  });
});

// An LCCS-like 1/360° grid over lon −180…−179, lat 89…90 whose value is row·360 + col, and points with two
// decimals: many lie exactly on pixel edges, where (x − x0)/w and GDAL's inverse geotransform round apart.
const EDGE_N = 360;
const edgeBytes = encodeGeoTiff(
  {
    width: EDGE_N,
    height: EDGE_N,
    dtype: 'uint32',
    bands: [Uint32Array.from({ length: EDGE_N * EDGE_N }, (_, i) => i)],
    geo: { epsg: 4326, transform: [-180, 1 / 360, 0, 90, 0, -1 / 360] },
  },
  { tiled: true, tileSize: 256 },
);
const edgePoints = Array.from({ length: 99 }, (_, k) => ({
  lon: -180 + (k + 1) / 100,
  lat: 90 - ((((k + 1) * 37) % 99) + 1) / 100,
}));
// rasterio 1.2 index(x, y, op=math.ceil) on edgePoints, from test/fixtures/rasterio-ceil-index.py
const RASTERIO_CEIL = [
  49324, 97208, 16931, 64815, 113059, 32422, 80666, 128549, 48273, 96156, 15880, 63764, 111647, 31371, 79254,
  127138, 46862, 94745, 14469, 62352, 110236, 29960, 77843, 126087, 45450, 93694, 13058, 61301, 109185, 28909,
  76792, 124676, 44399, 92283, 12006, 59890, 107774, 27497, 75381, 123264, 42988, 90872, 10595, 58479, 106722,
  26086, 74330, 122213, 41937, 89820, 9544, 57428, 105311, 25035, 72919, 120802, 40526, 88409, 8133, 56016,
  103900, 23624, 71507, 119751, 39114, 87358, 6722, 54965, 102849, 22572, 70456, 118340, 38063, 85947, 5670,
  53554, 101438, 21161, 69045, 117289, 36652, 84896, 4259, 52503, 100386, 20110, 67994, 115877, 35601, 83484,
  3208, 51092, 98975, 18699, 66582, 114466, 34190, 82073, 1797,
];

describe('lookup on exact pixel edges', () => {
  it.runIf(gdalTests)('the default pixel is the one gdallocationinfo reports', async () => {
    const file = join(dir, 'edge-grid.tif');
    await writeFile(file, edgeBytes);
    const gdal = execFileSync('gdallocationinfo', ['-valonly', '-geoloc', file], {
      input: edgePoints.map((p) => `${p.lon} ${p.lat}`).join('\n'),
    })
      .toString()
      .trim()
      .split('\n')
      .map(Number);
    const raster = await openClassRasterFile(file);
    try {
      const ours = await raster.lookup(edgePoints);
      expect(ours).toEqual(gdal);
      // (x − x0)/w put these columns one to the west (−179.9 → column 35.99999999999795 → 35, GDAL 36)
      const naive = edgePoints.map((p) => Math.floor((p.lon - -180) / (1 / 360)));
      expect(ours.filter((v, i) => (v as number) % EDGE_N !== naive[i]).length).toBeGreaterThan(0);
    } finally {
      await raster.close();
    }
  });

  it('compat reproduces rasterio 1.2 index(op=math.ceil) exactly, edges included', async () => {
    const raster = await openClassRaster(edgeBytes, { name: 'edge-grid.tif' });
    const ours = await raster.lookup(edgePoints, { compat: true });
    expect(ours).toEqual(RASTERIO_CEIL);
    // the former (x − x0)/w, rounded up
    const naive = edgePoints.map(
      (p) => Math.ceil((p.lat - 90) / (-1 / 360)) * EDGE_N + Math.ceil((p.lon - -180) / (1 / 360)),
    );
    expect(ours.filter((v, i) => v !== naive[i]).length).toBeGreaterThan(0);
  });
});

describe('classifyPoints', () => {
  it("adds upstream's landcover_id, LCCS, IPCC, SMOD_id, SMOD columns", async () => {
    const lc = await openClassRaster(lcBytes);
    const sm = await openClassRaster(smBytes);
    const rows = await classifyPoints(
      points.slice(0, 60).map((p, i) => ({ ...p, name: `P-${i}` })),
      { landcover: lc, smod: sm },
    );
    for (const [i, row] of rows.entries()) {
      const code = expectedLccs(points[i]) as number;
      expect(row.name).toBe(`P-${i}`);
      expect(row.landcover_id).toBe(code);
      expect(row.LCCS).toBe(LCCS_LABELS[code]);
      expect(row.SMOD_id).toBe(expectedSmod(points[i]));
    }
    expect(rows.some((r) => r.SMOD === 'Unknown')).toBe(true);
    expect(new Set(rows.map((r) => r.IPCC)).size).toBeGreaterThan(4);
  });

  it('uses the WorldCover legend on request and rejects unknown codes naming the point', async () => {
    const wc = encodeGeoTiff({
      width: 2,
      height: 1,
      dtype: 'uint8',
      bands: [Uint8Array.from([95, 17])],
      geo: { epsg: 4326, transform: [0, 1, 0, 1, 0, -1] },
    });
    const r = await openClassRaster(wc);
    const [a] = await classifyPoints([{ lon: 0.5, lat: 0.5 }], {
      landcover: r,
      landcoverLegend: 'worldcover',
    });
    expect(a).toMatchObject({
      landcover_id: 95,
      LCCS: 'Mangroves',
      IPCC: 'Forest',
      SMOD_id: null,
      SMOD: null,
    });
    await expect(
      classifyPoints([{ lon: 1.5, lat: 0.5 }], { landcover: r, landcoverLegend: 'worldcover' }),
    ).rejects.toThrow(/point 0 .* code 17 is not in the legend/);
    const [b] = await classifyPoints([{ lon: 1.5, lat: 0.5 }], {
      landcover: r,
      landcoverLegend: 'worldcover',
      unknownClass: 'null',
    });
    expect(b).toMatchObject({ landcover_id: 17, LCCS: null, IPCC: null });
    await expect(classifyPoints([{ lon: 1.5, lat: 0.5 }], { landcover: r })).rejects.toBeInstanceOf(
      StratifyError,
    );
  });
});

describe('float land-cover rasters', () => {
  // A float32 land-cover GeoTIFF with NaN NoData: pixels NaN, 12.7 (stored 12.699999809265137), 190.
  const floatLc = encodeGeoTiff({
    width: 3,
    height: 1,
    dtype: 'float32',
    bands: [Float32Array.from([Number.NaN, 12.7, 190])],
    noData: Number.NaN,
    geo: { epsg: 4326, transform: [10, 0.1, 0, 24, 0, -0.1] },
  });
  const at = [0, 1, 2].map((i) => ({ id: i, lon: 10.05 + i / 10, lat: 23.95 }));

  it('NaN is no class (null, never NaN or 0) and 12.7 an unknown class (never class 12)', async () => {
    const lc = await openClassRaster(floatLc, { name: 'lcfloat.tif' });
    const rows = await classifyPoints(at, { landcover: lc, unknownClass: 'null' });
    expect(rows.map((r) => [r.landcover_id, r.LCCS, r.IPCC])).toEqual([
      [null, null, null],
      [null, null, null],
      [190, 'Urban areas', 'Settlement'],
    ]);
    expect([...(classifiedPointsToTable(rows).getChild('landcover_id') ?? [])]).toEqual([null, null, 190]);
    expect(classifiedPointsToCsv(rows).split('\n').slice(1, 3)).toEqual([
      '0,10.05,23.95,,,,,',
      '1,10.15,23.95,,,,,',
    ]);
    await expect(classifyPoints(at, { landcover: lc })).rejects.toMatchObject({
      code: 'UNKNOWN_CLASS',
      message: expect.stringMatching(
        /^point 1 \(lon 10\.15, lat 23\.95\): LCCS code 12\.699999809265137 is not in the legend/,
      ),
    });
  });

  it('a NaN SMOD pixel keeps upstream label "None" with a null code', async () => {
    const sm = await openClassRaster(floatLc, { name: 'smod-float.tif' });
    const [row] = await classifyPoints([at[0]], { smod: sm });
    expect([row.SMOD_id, row.SMOD]).toEqual([null, 'None']);
  });
});

describe('rasters in other CRSs and ranges', () => {
  it('a CRS without a projection definition is UNKNOWN_CRS at open, naming the raster (was: at lookup, unnamed)', async () => {
    const laea = encodeGeoTiff({
      width: 4,
      height: 4,
      dtype: 'uint8',
      bands: [new Uint8Array(16)],
      geo: { epsg: 3035, transform: [4_000_000, 1000, 0, 3_000_000, 0, -1000] },
    });
    const err = await openClassRaster(laea, { name: 'laea.tif' }).catch((e) => e);
    expect(err).toBeInstanceOf(StratifyError);
    expect(err.code).toBe('UNKNOWN_CRS');
    expect(err.message).toMatch(
      /^laea\.tif: its CRS EPSG:3035 has no projection definition, so points cannot be projected onto it; register one with registerProjection/,
    );
  });

  it('a 0…360° EPSG:4326 raster is read with the longitude wrapped (was refused as "not degrees")', async () => {
    // 170…190° × −5…10°, 0.5° pixels, value = row·100 + col, as GDAL reads lon + 360 for lon < 170
    const ll360 = encodeGeoTiff({
      width: 40,
      height: 30,
      dtype: 'uint16',
      bands: [Uint16Array.from({ length: 1200 }, (_, i) => Math.floor(i / 40) * 100 + (i % 40))],
      geo: { epsg: 4326, transform: [170, 0.5, 0, 10, 0, -0.5] },
    });
    const r = await openClassRaster(ll360, { name: 'll360.tif' });
    const got = await r.lookup([
      { lon: 179.9, lat: 5 },
      { lon: -179.9, lat: 5 },
      { lon: -175.2, lat: 1 },
      { lon: 0, lat: 0 },
    ]);
    expect(got).toEqual([1019, 1020, 1829, null]);
  });

  it('a metre grid labelled EPSG:4326 is refused with an accurate message', async () => {
    const moll = encodeGeoTiff({
      width: 4,
      height: 4,
      dtype: 'uint8',
      bands: [new Uint8Array(16)],
      geo: { epsg: 4326, transform: [SM_X0, 100_000, 0, SM_Y0, 0, -100_000] },
    });
    await expect(openClassRaster(moll, { name: 'moll-as-4326.tif' })).rejects.toMatchObject({
      code: 'UNKNOWN_CRS',
      message: expect.stringMatching(
        /^moll-as-4326\.tif: the file reports EPSG:4326 but spans x -18050000…-17650000, y 8650000…9050000, which are not longitude\/latitude degrees \(x within -180…360, y within -90…90\); pass the raster's real CRS as \{ crs \}/,
      ),
    });
  });
});

describe('openClassRasterPathOrUrl', () => {
  it('opens a local path or an http(s) URL alike; a missing file is RASTER_NOT_FOUND naming it', async () => {
    const file = join(dir, 'lccs-local.tif');
    await writeFile(file, lcBytes);
    const sample = points.slice(0, 40);
    for (const ref of [file, `${base}/lccs.tif`]) {
      const lc = await openClassRasterPathOrUrl(ref);
      try {
        expect(lc.crs).toBe(4326);
        expect(await lc.lookup(sample)).toEqual(sample.map((p) => expectedLccs(p)));
      } finally {
        await lc.close();
      }
    }
    const missing = join(dir, 'nope.tif');
    const err = await openClassRasterPathOrUrl(missing).catch((e) => e);
    expect(err).toBeInstanceOf(StratifyError);
    expect(err).toMatchObject({ code: 'RASTER_NOT_FOUND' });
    expect(err.message).toContain(missing);
  });

  it('a folder is INVALID_ARGUMENT saying so (was RASTER_NOT_FOUND "does not exist")', async () => {
    const err = await openClassRasterPathOrUrl(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StratifyError);
    expect([err.code, err.message]).toEqual([
      'INVALID_ARGUMENT',
      `classification raster ${dir} is a folder; pass a GeoTIFF file or an http(s) URL`,
    ]);
  });
});
