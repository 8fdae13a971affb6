import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Aoi,
  aoisToCsv,
  createAois,
  PARTNER_POI_PRESETS,
  readAoisFile,
  readPoisFile,
  tileAoi3x3,
  writeAoisFile,
} from '../src/node.js';
import { sharedPath } from './support.js';

describe('AOI files (node)', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads partner POIs from disk and writes/reads AOIs in CSV, GeoJSON and Arrow IPC atomically', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geo-sampling-'));
    const { pois } = await readPoisFile(
      sharedPath('data/amnesty_formatted.csv'),
      PARTNER_POI_PRESETS.amnesty,
    );
    const aois = createAois(pois, 22.5).flatMap(tileAoi3x3);
    expect(aois).toHaveLength(22 * 9);
    for (const name of ['aois.csv', 'aois.geojson', 'aois.arrow']) {
      await writeAoisFile(join(dir, name), aois);
      expect(await readAoisFile(join(dir, name))).toEqual(aois);
    }
    expect((await readdir(dir)).sort()).toEqual(['aois.arrow', 'aois.csv', 'aois.geojson']);
    await expect(writeAoisFile(join(dir, 'aois.txt'), aois)).rejects.toThrow(/\.csv, \.geojson or \.arrow/);
  });

  it('writes no AOI its readers would refuse, and every format keeps a name as written', async () => {
    dir ||= await mkdtemp(join(tmpdir(), 'geo-sampling-'));
    const ok = {
      name: 'a',
      lon: 1,
      lat: 1,
      bounds: [0.9, 0.9, 1.1, 1.1] as Aoi['bounds'],
      areaKm2: 1,
      source: 's',
    };
    const refused: [Aoi[], string, RegExp][] = [
      [[{ ...ok }, { ...ok, lon: 2 }], 'DUPLICATE_NAME', /aois\[1\]\.name 'a' repeats aois\[0\]/],
      [[{ ...ok, name: ' ' }], 'MISSING_NAME', /aois\[0\]\.name is blank/],
      [[{ ...ok, lon: 200 }], 'INVALID_LONGITUDE', /longitude 200 \(\w+: aois\[0\]\.lon\)/],
      [[{ ...ok, lat: Number.NaN }], 'INVALID_LATITUDE', /latitude NaN/],
      [[{ ...ok, areaKm2: 0 }], 'INVALID_AREA', /area 0 km²/],
      [[{ ...ok, bounds: [0, 2, 1, 1] }], 'INVALID_LATITUDE', /aois\[0\]\.bounds has minLat 2 > maxLat 1/],
      [
        [{ ...ok, bounds: [-180.5, 0, 1, 1] }],
        'INVALID_LONGITUDE',
        /aois\[0\]\.bounds\[0\] longitude -180\.5/,
      ],
    ];
    for (const ext of ['csv', 'geojson', 'arrow']) {
      const path = join(dir, `refused.${ext}`);
      for (const [aois, code, message] of refused)
        await expect(writeAoisFile(path, aois)).rejects.toMatchObject({
          code,
          message: expect.stringMatching(message),
        });
      await expect(readdir(dir)).resolves.not.toContain(`refused.${ext}`);
      // pandas, the GeoJSON and the Arrow readers keep spaces around a name; the CSV reader trimmed them
      const spaced = join(dir, `spaced.${ext}`);
      await writeAoisFile(spaced, [{ ...ok, name: ' a b ' }]);
      expect((await readAoisFile(spaced)).map((a) => a.name)).toEqual([' a b ']);
    }
  });
  it('names the file when a row has swapped longitudes, a lat-first header or a mixed line ending', async () => {
    dir ||= await mkdtemp(join(tmpdir(), 'geo-sampling-'));
    const swapped = join(dir, 'swapped-bounds.csv');
    await writeFile(
      swapped,
      'name,area,bounds\r\nLandcover-890848,2.5,"[32.26410775467313, 28.217118355378357, 32.24799957102034, 28.231385589972923]"\r\n',
    );
    await expect(readAoisFile(swapped)).rejects.toMatchObject({
      code: 'INVALID_LONGITUDE',
      row: 0,
      message: expect.stringMatching(
        /^'.*swapped-bounds\.csv': AOI CSV row 0 column bounds has minLon 32\.26410775467313 > maxLon/,
      ),
    });
    const sample = readFileSync(sharedPath('data/aoi-sample.csv'), 'utf8').split('\r\n');
    const latFirst = join(dir, 'lat-first.csv');
    await writeFile(latFirst, `${[sample[0].replace(',lon,lat,', ',lat,lon,'), sample[1]].join('\r\n')}\r\n`);
    await expect(readAoisFile(latFirst)).rejects.toMatchObject({
      code: 'INVALID_LONGITUDE',
      row: 0,
      message: expect.stringMatching(
        /^'.*lat-first\.csv': point lon 28\.22425197267564, lat 32\.25605366284673 .* lies outside its own bounds/,
      ),
    });
    const tiles = tileAoi3x3(createAois([{ name: 'ASMSpotter-1', lon: -55.25, lat: 4.99 }], 22.5)[0]);
    const lines = aoisToCsv(tiles).trimEnd().split('\n');
    const mixed = join(dir, 'tiles-crlf-lastlf.csv');
    await writeFile(mixed, `${lines.slice(0, -1).join('\r\n')}\r\n${lines.at(-1)}\n`);
    expect((await readAoisFile(mixed)).map((a) => a.parent)).toEqual(tiles.map(() => 'ASMSpotter-1'));
    const bomPois = join(dir, 'poi-bom.geojson');
    await writeFile(
      bomPois,
      '\uFEFF{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"p"}}]}',
    );
    expect((await readPoisFile(bomPois)).pois.map((p) => [p.name, p.lon, p.lat])).toEqual([['p', 1, 2]]);
  });
});
