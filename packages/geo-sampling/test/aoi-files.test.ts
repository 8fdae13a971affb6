import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
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
});
