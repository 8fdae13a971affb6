// A projected, user-defined CRS (as GDAL writes GHSL's Mollweide) must not be reported as its geographic base.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoTiff } from '@worldstrat/raster-io';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTool } from '../support/require-tool.js';

function hasGdal(): boolean {
  try {
    execFileSync('gdal_translate', ['--version']);
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'geokeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// GDAL is installed by .ci/run; without it there is nothing to generate the files with.
describe.runIf(requireTool('gdal_translate', hasGdal()))('user-defined projected CRS', () => {
  function makeTiff(name: string, srs: string): string {
    const raw = join(dir, `${name}.bin`);
    writeFileSync(raw, new Uint8Array(16).fill(7));
    writeFileSync(
      `${raw.slice(0, -4)}.hdr`,
      'ENVI\nsamples = 4\nlines = 4\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 1\ninterleave = bsq\nbyte order = 0\n',
    );
    const out = join(dir, `${name}.tif`);
    execFileSync('gdal_translate', [
      '-q',
      '-of',
      'GTiff',
      '-a_srs',
      srs,
      '-a_ullr',
      '-1000',
      '1000',
      '1000',
      '-1000',
      raw,
      out,
    ]);
    return out;
  }

  it('reports GHSL-style Mollweide as 54009', async () => {
    const file = makeTiff('moll', '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs');
    const tiff = await openGeoTiff(new Uint8Array(await readFile(file)));
    expect(tiff.levels[0]!.geo?.epsg).toBe(54009);
  });

  it('reports another user-defined projection as 0 (unknown), not 4326', async () => {
    const file = makeTiff('laea', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m +no_defs');
    const tiff = await openGeoTiff(new Uint8Array(await readFile(file)));
    expect(tiff.levels[0]!.geo?.epsg).toBe(0);
    expect(tiff.levels[0]!.geo?.transform[1]).toBe(500);
  });
});
