// A bare EPSG code is written as GDAL writes it: the kind of CRS decides the keys, not the block the code sits in
// (4087 is projected, 6318 geographic), geographic 3D and compound CRSs carry their vertical part, and CRSs with no
// horizontal georeferencing are refused. GDAL then reads each file as the CRS it reads from its own file.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { epsgTables } from '../../src/crs/epsg-geokeys.js';
import { encodeGeoTiff, openGeoTiff, type Raster } from '../../src/index.js';
import { readGeoTiffFile } from '../../src/node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-epsg-geokeys-');

const lonLatRaster = (epsg: number): Raster => ({
  width: 2,
  height: 2,
  dtype: 'uint8',
  bands: [new Uint8Array([1, 2, 3, 4])],
  geo: { epsg, transform: [10, 0.5, 0, 50, 0, -0.5] },
});

// For each code: GDAL writes its own file, then reads both; prints what it reads and any warning on ours.
const COMPARE = `
import json, sys
from osgeo import gdal, osr
gdal.UseExceptions()
gdal.PushErrorHandler('CPLQuietErrorHandler')
out = {}
for code, ours in json.load(open(sys.argv[1])):
    srs = osr.SpatialReference(); srs.ImportFromEPSG(code)
    own = ours + '.gdal.tif'
    ds = gdal.GetDriverByName('GTiff').Create(own, 2, 2, 1)
    ds.SetGeoTransform([10, 0.5, 0, 50, 0, -0.5]); ds.SetSpatialRef(srs); ds = None
    want = gdal.Open(own).GetSpatialRef()
    gdal.ErrorReset()
    got = gdal.Open(ours).GetSpatialRef()
    out[str(code)] = {
        'warning': gdal.GetLastErrorMsg(),
        'same': bool(got.IsSame(want, ['CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS'])),
        'code': got.GetAuthorityCode(None), 'gdalCode': want.GetAuthorityCode(None),
        'geographic': bool(got.IsGeographic()), 'gdalGeographic': bool(want.IsGeographic()),
        'gdalFile': own,
    }
json.dump(out, open(sys.argv[2], 'w'))
`;

function compareWithGdal(codes: number[]): Record<string, Record<string, unknown>> {
  const jobs = codes.map((code) => {
    const path = join(tmp(), `ours-${code}.tif`);
    writeFileSync(path, encodeGeoTiff(lonLatRaster(code), { compression: 'none' }));
    return [code, path];
  });
  const job = join(tmp(), 'job.json');
  const out = join(tmp(), 'out.json');
  writeFileSync(job, JSON.stringify(jobs));
  const r = spawnSync(PYTHON_GDAL as string, ['-c', COMPARE, job, out], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8'));
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'EPSG codes written as GDAL writes them',
  () => {
    it('geographic, projected, geographic 3D and compound codes: GDAL reads our file as the CRS of its own, without a warning', async () => {
      const { withVertical } = epsgTables();
      const chosen = [
        // projected codes in the 4001–4999 block (once written as geographic; GDAL warned about 4087)
        4087, 4038, 4026, 4390, 4463,
        // geographic codes outside it
        6318, 7844, 9057, 8860, 3824, 20041,
        // the usual ones
        4326, 4269, 4258, 32633, 3857, 2193, 3035,
      ];
      const codes = [...chosen, ...withVertical.keys()];
      const gdal = compareWithGdal(codes);
      for (const code of codes) {
        const g = gdal[String(code)] as Record<string, unknown>;
        expect([code, g.warning, g.same, g.code, g.geographic]).toEqual([
          code,
          '',
          true,
          g.gdalCode,
          g.gdalGeographic,
        ]);
        // Our reader reads our file as it reads GDAL's own.
        const ours = await readGeoTiffFile(join(tmp(), `ours-${code}.tif`));
        const theirs = await readGeoTiffFile(g.gdalFile as string);
        expect([code, ours.geo?.epsg]).toEqual([code, theirs.geo?.epsg]);
      }
      // The 4001–4999 projected codes and the geographic ones outside it, read back by us as the code written.
      for (const code of chosen) {
        const geo = (await openGeoTiff(encodeGeoTiff(lonLatRaster(code)))).levels[0]?.geo;
        expect([code, geo?.epsg]).toEqual([code, code]);
      }
    });

    it('geographic 3D and compound codes keep their vertical part through our reader and writer', async () => {
      for (const code of [4979, 7843, 5498, 9518, 6871]) {
        const first = await openGeoTiff(encodeGeoTiff(lonLatRaster(code)));
        const geo = first.levels[0]?.geo;
        expect(geo?.geoKeys?.[4096]).toBe(epsgTables().withVertical.get(code)?.[1]);
        const again = await openGeoTiff(encodeGeoTiff({ ...lonLatRaster(code), geo }));
        expect(again.levels[0]?.geo).toEqual(geo);
      }
    });
  },
);

describe('EPSG codes with no horizontal georeferencing', () => {
  it.each([
    ['geocentric WGS 84', 4978],
    ['EGM96 height', 5773],
    ['EGM2008 height', 3855],
  ])('%s (EPSG:%i) is refused: UNSUPPORTED_CRS', (_, code) => {
    expect(() => encodeGeoTiff(lonLatRaster(code))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CRS', message: expect.stringContaining(`EPSG:${code}`) }),
    );
  });

  it('a code newer than the registry is written as projected', async () => {
    const geo = (await openGeoTiff(encodeGeoTiff(lonLatRaster(32000)))).levels[0]?.geo;
    expect(geo?.epsg).toBe(32000);
  });
});
