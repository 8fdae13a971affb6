// `superresolve` from an AOI + date range, end to end against eo-fetch's local STAC API + COG server on
// 127.0.0.1 (real protocol: POST /search, HTTP range reads of tiled COGs): search → match → windowed download
// into the release layout → tiny SRCNN → SR GeoTIFF (re-read by GDAL) + PNG; resumed re-runs; typed errors.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  aoiGrid,
  aoiPixelSize,
  BAND_RESOLUTION_M,
  type CanonicalBand,
  earthSearch,
  L2A_BANDS,
} from '@worldstrat/eo-fetch';
import { aoiBounds } from '@worldstrat/geo-sampling';
import { encodeGeoTiff, transformCoords } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeItem, type StacServer, startStacServer } from '../../../eo-fetch/test/support/stac-server.js';
import { type SuperresolveOptions, superresolvePipeline } from '../../src/pipelines/superresolve.node.js';
import { maxAbsDiff, tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

const [LON, LAT] = [8.54, 47.37];
const EPSG = 32632;
const BBOX = [8.535, 47.365, 8.545, 47.372] as const;
/** id, day of June 2022, scene cloud %, reflectance offset (raster:bands) that marks the item's pixels. */
const ITEMS = [
  ['S2_10', 10, 30, -0.1],
  ['S2_12', 12, 5, -0.05],
  ['S2_25', 25, 50, 0],
] as const;
/** Reflectance of band `b` in item `id`: DN 2000 + 100·index, scale 1e-4, the item's offset. */
const reflectance = (id: string, b: CanonicalBand) =>
  (2000 + 100 * L2A_BANDS.indexOf(b as (typeof L2A_BANDS)[number])) * 1e-4 +
  ITEMS.find((i) => i[0] === id)![3];

let dir: string;
let cleanup: () => Promise<void>;
let stac: StacServer;
let weights: string;

/** A 4 × 4 km tiled COG in UTM 32N around the centre, constant DN per band (SCL: 4 = vegetation). */
function bandCog(band: CanonicalBand, cx: number, cy: number): Uint8Array {
  const X0 = Math.floor((cx - 2000) / 60) * 60;
  const Y0 = Math.ceil((cy + 2000) / 60) * 60;
  const res = BAND_RESOLUTION_M[band];
  const size = Math.ceil(4020 / res);
  const isScl = band === 'SCL';
  const data = isScl ? new Uint8Array(size * size) : new Uint16Array(size * size);
  data.fill(isScl ? 4 : 2000 + 100 * L2A_BANDS.indexOf(band as (typeof L2A_BANDS)[number]));
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

const cogReads = () => stac.requests.filter((r) => r.url.startsWith('/data/')).length;
const searches = () => stac.requests.filter((r) => r.url.startsWith('/search')).length;

function gdalinfo(path: string): {
  size: [number, number];
  geoTransform: number[];
  coordinateSystem: { wkt: string };
  bands: { type: string; computedMin?: number; computedMax?: number }[];
} {
  return JSON.parse(execFileSync('gdalinfo', ['-json', '-mm', path], { encoding: 'utf8' }));
}

/** PNG width and height from the IHDR chunk (after checking the signature). */
function pngSize(path: string): [number, number] {
  const b = readFileSync(path);
  expect([...b.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-sr-stac-'));
  stac = await startStacServer([]);
  const [[cx, cy]] = transformCoords(4326, EPSG, [[LON, LAT]]);
  for (const b of [...L2A_BANDS, 'SCL'] as CanonicalBand[])
    stac.files.set(`/data/${b}.tif`, bandCog(b, cx, cy));
  const itemBbox = [LON - 0.02, LAT - 0.015, LON + 0.02, LAT + 0.015];
  for (const [id, day, cloud, offset] of ITEMS)
    stac.items.push(
      makeItem(id, `2022-06-${day}T10:30:00Z`, cloud, itemBbox, {
        properties: { 's2:processing_baseline': '05.09', 's2:datatake_id': id },
        assets: Object.fromEntries(
          ([...L2A_BANDS, 'SCL'] as CanonicalBand[]).map((b) => [
            earthSearch.assetKeys[b]!,
            {
              href: `${stac.url}/data/${b}.tif`,
              type: 'image/tiff; application=geotiff; profile=cloud-optimized',
              ...(b === 'SCL' ? {} : { 'raster:bands': [{ scale: 1e-4, offset }] }),
            },
          ]),
        ),
      }),
    );
  // a tiny 2-revisit SRCNN (hidden 8): random but fixed weights
  const config = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8 });
  weights = join(dir, 'tiny-srcnn.safetensors');
  await writeFile(weights, stateDictToSafetensors(initStateDict(config, { seed: 5 }), config));
}, 60_000);
afterAll(async () => {
  await stac?.close();
  await cleanup?.();
});

const stacOptions = (out: string): SuperresolveOptions => ({
  aoi: { lon: LON, lat: LAT },
  dateRange: ['2022-06-01', '2022-06-30'],
  provider: { kind: 'stac', url: stac.url, provider: earthSearch },
  weights,
  out,
});

describe('superresolve from an AOI + date range via STAC', () => {
  it('point AOI: searches, downloads the best R revisits onto the AOI grid, writes a georeferenced SR GeoTIFF + PNG; a re-run downloads nothing', async () => {
    const out = join(dir, 'point', 'sr.tif');
    const stages = new Set<string>();
    const [s0, c0] = [searches(), cogReads()];
    const r = await superresolvePipeline.run(stacOptions(out), {
      onProgress: (p) => stages.add(p.stage),
    });
    expect(searches() - s0).toBe(1);
    expect(cogReads() - c0).toBeGreaterThan(2 * 13); // ≥ one range read per band and revisit
    for (const s of ['search L2A', 'download L2A', 'read', 'infer']) expect(stages).toContain(s);

    // the release geometry around the point, the middle of the window as target date (2022-06-15):
    // S2_12 (Δ3 d, 5 %) ranks first, S2_10 (Δ5 d, 30 %) second, S2_25 (Δ10 d, 50 %) is not needed (R = 2)
    const bounds = aoiBounds(LON, LAT, 2.5);
    const s = r.search!;
    expect(s.aoi.name).toBe('AOI_8.54000_47.37000');
    expect(s.aoi.bounds).toEqual(bounds);
    expect(s.targetDate).toBe('2022-06-15');
    expect([s.wanted, s.found, s.downloaded, s.skipped]).toEqual([2, 3, 2, 0]);
    expect(s.revisits.map((v) => [v.n, v.itemId, v.datetime])).toEqual([
      [1, 'S2_12', '2022-06-12T10:30:00.000Z'],
      [2, 'S2_10', '2022-06-10T10:30:00.000Z'],
    ]);
    expect(s.workDir).toBe(join(dir, 'point', 'sr-revisits'));
    const l2a = join(s.workDir, 'lr_dataset', s.aoi.name, 'L2A');
    expect(r.inputs).toEqual([
      join(l2a, `${s.aoi.name}-1-L2A_data.tiff`),
      join(l2a, `${s.aoi.name}-2-L2A_data.tiff`),
    ]);
    expect(existsSync(join(l2a, `${s.aoi.name}-1-CLM.tiff`))).toBe(true);
    expect(r.model).toEqual({ kind: 'srcnn', revisits: 2 });
    expect(r.used.sort()).toEqual([0, 1]);

    // downloaded revisits: the AOI's 10 m EPSG:4326 grid, reflectance of the right item in every band
    const [W, H] = aoiPixelSize(bounds);
    const grid = aoiGrid(bounds);
    for (const [k, id] of [
      [0, 'S2_12'],
      [1, 'S2_10'],
    ] as const) {
      const lr = await readGeoTiffFile(r.inputs[k]);
      expect([lr.width, lr.height, lr.bands.length, lr.geo?.epsg]).toEqual([W, H, 12, 4326]);
      for (let i = 0; i < 6; i++) expect(lr.geo!.transform[i]).toBeCloseTo(grid.transform[i], 12);
      for (const [bi, b] of L2A_BANDS.entries()) {
        const px = lr.bands[bi] as Float32Array;
        expect(px[0]).toBeCloseTo(reflectance(id, b), 5);
        expect(px[px.length - 1]).toBeCloseTo(reflectance(id, b), 5);
      }
    }

    // SR GeoTIFF as GDAL sees it: 3.12× the LR grid, WGS 84, same origin, same extent (± 1 SR pixel)
    expect([r.width, r.height]).toEqual([Math.round(W * 3.12), Math.round(H * 3.12)]);
    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = gdalinfo(out);
      expect([r.width, r.height]).toEqual(info.size);
      expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",4326\]\]$/);
      const gt = info.geoTransform;
      expect(gt[0]).toBeCloseTo(bounds[0], 9);
      expect(gt[3]).toBeCloseTo(bounds[3], 9);
      expect(Math.abs(gt[0] + gt[1] * info.size[0] - bounds[2])).toBeLessThan(gt[1]);
      expect(Math.abs(gt[3] + gt[5] * info.size[1] - bounds[1])).toBeLessThan(-gt[5]);
      expect(info.bands.map((b) => b.type)).toEqual(['Float32', 'Float32', 'Float32']);
      for (const b of info.bands) expect([b.computedMin, b.computedMax].every(Number.isFinite)).toBe(true);
    }
    expect(r.validFraction).toBe(1);
    const [pw, ph] = pngSize(r.quicklook!);
    expect(r.quicklook).toBe(join(dir, 'point', 'sr.png'));
    expect(pw / ph).toBeCloseTo(r.width / r.height, 1);

    // the same pixels as the local-file flow on the downloaded folder
    const local = await superresolvePipeline.run({
      inputs: [l2a],
      weights,
      out: join(dir, 'local.tif'),
    });
    expect(local.inputs).toEqual(r.inputs);
    const [a, b] = [await readGeoTiffFile(out), await readGeoTiffFile(join(dir, 'local.tif'))];
    for (let k = 0; k < 3; k++) expect(maxAbsDiff(a.bands[k], b.bands[k])).toBe(0);

    // re-run: the catalogue is asked again, but no COG byte is fetched; same acquisitions, same pixels
    const [s1, c1] = [searches(), cogReads()];
    const again = await superresolvePipeline.run(stacOptions(out));
    expect(searches() - s1).toBe(1);
    expect(cogReads() - c1).toBe(0);
    expect([again.search!.downloaded, again.search!.skipped]).toEqual([0, 2]);
    expect(again.search!.revisits.map((v) => v.itemId)).toEqual(['S2_12', 'S2_10']);
    const c = await readGeoTiffFile(out);
    for (let k = 0; k < 3; k++) expect(maxAbsDiff(c.bands[k], a.bands[k])).toBe(0);
  }, 60_000);

  it('reports unusable catalogue items and scenes without cloud cover in the search report and the log', async () => {
    const itemBbox = [LON - 0.02, LAT - 0.015, LON + 0.02, LAT + 0.015];
    const lots = makeItem('LOTS', '2022-06-15T10:30:00Z', 0, itemBbox, {
      properties: { 'eo:cloud_cover': 'lots' },
    });
    const absurd = makeItem('ABSURD', '2022-06-15T10:30:00Z', 0, [-500, -100, 500, 100]);
    const noCloud = makeItem('NOCLOUD', '2022-06-15T10:30:00Z', 0, itemBbox);
    delete (noCloud.properties as Record<string, unknown>)['eo:cloud_cover'];
    stac.items.push(lots, absurd, noCloud);
    try {
      const logs: string[] = [];
      const r = await superresolvePipeline.run(
        { ...stacOptions(join(dir, 'skips', 'sr.tif')), targetDate: '2022-06-15' },
        { log: (m) => logs.push(m) },
      );
      const s = r.search!;
      expect(s.invalidItems.map((x) => x.id).sort()).toEqual(['ABSURD', 'LOTS']);
      expect(s.unknownCloudCover).toEqual([{ id: 'NOCLOUD', excluded: false }]);
      // NOCLOUD is the closest to the target date but ranks after the scenes with a known cloud cover
      expect(s.revisits.map((v) => v.itemId)).toEqual(['S2_12', 'S2_10']);
      expect(
        logs.some((l) => /2 catalogue item\(s\) unusable and skipped: (ABSURD, LOTS|LOTS, ABSURD)/.test(l)),
      ).toBe(true);
      expect(logs.some((l) => l.includes('without cloud cover') && l.includes('NOCLOUD'))).toBe(true);
    } finally {
      stac.items.splice(stac.items.indexOf(lots), 3);
    }
  }, 60_000);

  it('CLI --bbox --dates --max-cloud --json: one matching revisit, SR over the box; re-run resumes', async () => {
    const out = join(dir, 'cli', 'box.tif');
    const work = join(dir, 'cli', 'work');
    const args = [
      '--json',
      'superresolve',
      '--bbox',
      BBOX.join(','),
      '--dates',
      '2022-06-01/2022-06-30',
      '--target-date',
      '2022-06-11',
      '--max-cloud',
      '20',
      '--stac-url',
      stac.url,
      '--provider',
      'earth-search',
      '--work-dir',
      work,
      '--weights',
      weights,
      '--out',
      out,
    ];
    const c0 = cogReads();
    const a = await cli(...args);
    expect(a.code, a.err).toBe(0);
    const ra = JSON.parse(a.out);
    expect(cogReads() - c0).toBeGreaterThan(13);
    // only S2_12 has ≤ 20 % cloud (the limit goes to the catalogue too): one revisit, repeated for R = 2
    expect(ra.search.found).toBe(1);
    expect(ra.search.revisits.map((v: { itemId: string }) => v.itemId)).toEqual(['S2_12']);
    expect([ra.search.downloaded, ra.search.skipped, ra.search.targetDate]).toEqual([1, 0, '2022-06-11']);
    expect(ra.search.aoi.bounds).toEqual([...BBOX]);
    expect(ra.search.provider).toBe(`STAC earth-search at ${stac.url}`);
    expect(ra.inputs).toEqual([
      join(work, 'lr_dataset', ra.search.aoi.name, 'L2A', `${ra.search.aoi.name}-1-L2A_data.tiff`),
    ]);
    const lr = await readGeoTiffFile(ra.inputs[0]);
    const [W, H] = aoiPixelSize([...BBOX]);
    expect([lr.width, lr.height]).toEqual([W, H]);
    expect((lr.bands[3] as Float32Array)[W * 5 + 7]).toBeCloseTo(reflectance('S2_12', 'B04'), 5);

    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = gdalinfo(out);
      expect(info.size).toEqual([Math.round(W * 3.12), Math.round(H * 3.12)]);
      expect(info.geoTransform[0]).toBeCloseTo(BBOX[0], 9);
      expect(info.geoTransform[3]).toBeCloseTo(BBOX[3], 9);
      expect(info.coordinateSystem.wkt).toContain('WGS 84');
    }
    expect(pngSize(out.replace(/\.tif$/, '.png'))[0]).toBeGreaterThan(0);

    const c1 = cogReads();
    const b = await cli(...args);
    expect(b.code, b.err).toBe(0);
    const rb = JSON.parse(b.out);
    expect(cogReads() - c1).toBe(0);
    expect([rb.search.downloaded, rb.search.skipped]).toEqual([0, 1]);
    // human output names the acquisitions
    const h = await cli(...args.slice(1));
    expect(h.code, h.err).toBe(0);
    expect(h.out).toMatch(/#1 {2}S2_12 {2}2022-06-12 {2}cloud 5%/);
  }, 60_000);

  it('no matching revisit, neither/both inputs, bad AOI or dates: typed errors, exit codes, no output', async () => {
    const out = join(dir, 'err', 'sr.tif');
    const common = ['--weights', weights, '--out', out, '--stac-url', stac.url];
    // a window with no acquisition → REVISITS_NOT_FOUND (exit 3), naming the AOI, dates and provider
    const none = await cli(
      'superresolve',
      '--aoi',
      `${LON},${LAT}`,
      '--dates',
      '2021-01-01/2021-01-31',
      ...common,
    );
    expect(none.code, none.err).toBe(3);
    expect(none.err).toContain('[REVISITS_NOT_FOUND]');
    for (const s of [
      'AOI_8.54000_47.37000',
      '2021-01-01',
      '2021-01-31',
      `STAC earth-search at ${stac.url}`,
      'widen',
    ])
      expect(none.err).toContain(s);
    await expect(superresolvePipeline.run({ ...stacOptions(out), maxCloudCover: 1 })).rejects.toMatchObject({
      code: 'REVISITS_NOT_FOUND',
      message: expect.stringContaining('cloud'),
    });
    expect(existsSync(out)).toBe(false);

    // Ctrl-C after the search: the download stops with ABORTED and no SR file appears
    const ctrl = new AbortController();
    const abortedOut = join(dir, 'aborted', 'sr.tif');
    await expect(
      superresolvePipeline.run(
        { ...stacOptions(abortedOut), aoi: { bbox: [...BBOX] } },
        {
          signal: ctrl.signal,
          onProgress: (p) => {
            if (p.stage === 'search L2A') ctrl.abort();
          },
        },
      ),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(abortedOut)).toBe(false);

    // both / neither
    const both = await cli(
      'superresolve',
      dir,
      '--aoi',
      `${LON},${LAT}`,
      '--dates',
      '2022-06-01/2022-06-30',
      ...common,
    );
    expect(both.code).toBe(2);
    expect(both.err).toContain('not both');
    const neither = await cli('superresolve', '--weights', weights, '--out', out);
    expect(neither.code).toBe(2);
    expect(neither.err).toContain('--aoi');
    await expect(superresolvePipeline.run({ ...stacOptions(out), inputs: [dir] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('not both'),
    });
    await expect(superresolvePipeline.run({ weights, out })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });

    // bad values name themselves
    const cases: [string[], string][] = [
      [['--aoi', '8.54'], '--aoi 8.54'],
      [['--aoi', '200,47', '--dates', '2022-06-01/2022-06-30'], 'longitude 200'],
      [['--bbox', '8.6,47.3,8.5,47.4', '--dates', '2022-06-01/2022-06-30'], 'minLon < maxLon'],
      [['--aoi', '8.54,47.37', '--dates', '2022-06-30'], '--dates 2022-06-30'],
      [['--aoi', '8.54,47.37', '--dates', '2022-02-30/2022-03-10'], '"2022-02-30"'],
      [['--aoi', '8.54,47.37', '--dates', '2022-06-30/2022-06-01'], 'ends before it starts'],
      [['--aoi', '8.54,47.37'], 'needs --dates'],
      [['--bbox', '7,46,9,48', '--dates', '2022-06-01/2022-06-30'], '≤ 2048 px'],
    ];
    for (const [extra, text] of cases) {
      const r = await cli('superresolve', ...extra, ...common);
      expect([r.code, r.err.includes(text)], `${extra.join(' ')}: ${r.err}`).toEqual([2, true]);
    }
    // `infer` still takes local files only
    const infer = await cli('infer', '--aoi', `${LON},${LAT}`, '--weights', weights, '--out', out);
    expect(infer.code).toBe(2);
    expect(readdirSync(dir).includes('err')).toBe(false);
  }, 60_000);
});
