import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Aoi,
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
});
