// World files next to TIFFs without a geotransform of their own (ArcGIS, QGIS and scanners write TIFF + TFW):
// openGeoTiffFile takes the same transform GDAL takes, from the same sidecar, or none where GDAL has none.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGeoTiff } from '../../src/index.js';
import { openGeoTiffFile } from '../../src/node.js';
import { parseWorldFile } from '../../src/read/world-file.node.js';
import { gdalTranslate, HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { fromRepr, type GdalResult, gdalBatch } from '../support/gdal-compare.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-world-file-');
const NORTH_UP = '10\n0\n0\n-10\n500005\n4099995\n';

/** A case: the TIFF's name, whether it has its own transform, and its sidecar files (name → text). */
interface Case {
  tiff: string;
  georeferenced?: boolean;
  sidecars: Record<string, string>;
}

const CASES: Record<string, Case> = {
  tfw: { tiff: 'scene.tif', sidecars: { 'scene.tfw': NORTH_UP } },
  'rotated-crlf-blank-lines': {
    tiff: 'scene.tif',
    sidecars: { 'scene.tfw': '\r\n 9.5 \r\n0.5\r\n\r\n0.25\r\n-9.5\r\n 300000.25\r\n5000000.75\r\n' },
  },
  'upper-case-tfw': { tiff: 'scene.tif', sidecars: { 'scene.TFW': NORTH_UP } },
  tifw: { tiff: 'scene.tif', sidecars: { 'scene.tifw': NORTH_UP } },
  wld: { tiff: 'scene.tif', sidecars: { 'scene.wld': NORTH_UP } },
  'tiff-extension-tfw': { tiff: 'scene.tiff', sidecars: { 'scene.tfw': NORTH_UP } },
  'tfw-before-tifw': {
    tiff: 'scene.tif',
    sidecars: { 'scene.tifw': NORTH_UP, 'scene.tfw': '20\n0\n0\n-20\n1000\n2000\n' },
  },
  'broken-tfw-then-wld': {
    tiff: 'scene.tif',
    sidecars: { 'scene.tfw': '10\n0\n0\n-10\n500005\n', 'scene.wld': '30\n0\n0\n-30\n10\n20\n' },
  },
  'comma-decimals-and-junk': {
    tiff: 'scene.tif',
    sidecars: { 'scene.tfw': '10,5\n0\n0\n-10,5 m\n500005.5xyz\n4099995\n' },
  },
  'zero-pixel-size': { tiff: 'scene.tif', sidecars: { 'scene.tfw': '0\n0\n0\n-10\n500005\n4099995\n' } },
  'long-line-ends-reading': {
    tiff: 'scene.tif',
    sidecars: { 'scene.tfw': `10\n0\n${'0'.repeat(120)}\n0\n-10\n500005\n4099995\n` },
  },
  'own-transform-wins': { tiff: 'scene.tif', georeferenced: true, sidecars: { 'scene.tfw': NORTH_UP } },
};

describe.runIf(
  requireTool('GDAL (gdalinfo)', HAS_GDAL) && requireTool('python3-gdal', PYTHON_GDAL !== undefined),
)('world files, as GDAL reads them', () => {
  const paths: Record<string, string> = {};
  let gdal: Map<string, GdalResult>;

  beforeAll(() => {
    for (const [name, c] of Object.entries(CASES)) {
      const dir = join(tmp(), name);
      mkdirSync(dir);
      const r = syntheticRaster('uint16', 7, 5, 1, 3);
      if (c.georeferenced) r.geo = { transform: [600_000, 30, 0, 4_000_000, 0, -30], epsg: 32633 };
      paths[name] = join(dir, c.tiff);
      writeFileSync(paths[name], encodeGeoTiff(r, { compression: 'none' }));
      for (const [file, text] of Object.entries(c.sidecars)) writeFileSync(join(dir, file), text);
    }
    // A CRS without a transform (GDAL writes the keys alone), then the world file gives the transform
    const dir = join(tmp(), 'crs-keys-only');
    mkdirSync(dir);
    paths['crs-keys-only'] = join(dir, 'scene.tif');
    gdalTranslate(['-a_srs', 'EPSG:32633', paths.tfw as string, paths['crs-keys-only']]);
    writeFileSync(join(dir, 'scene.tfw'), NORTH_UP);
    gdal = gdalBatch(Object.values(paths));
  });

  it.each([...Object.keys(CASES), 'crs-keys-only'])(
    '%s: the geotransform and EPSG GDAL reports',
    async (name) => {
      const path = paths[name] as string;
      const g = gdal.get(path) as GdalResult;
      expect(g.ok, JSON.stringify(g)).toBe(true);
      const tiff = await openGeoTiffFile(path);
      try {
        const geo = tiff.levels[0]?.geo;
        expect(geo?.transform ?? null).toEqual(g.gt ? g.gt.map(fromRepr) : null);
        if (g.epsg) expect(geo?.epsg).toBe(Number(g.epsg));
      } finally {
        await tiff.close();
      }
    },
  );

  it('the cases exercise what they are named for', async () => {
    const gt = (name: string) => gdal.get(paths[name] as string)?.gt?.map(fromRepr) ?? null;
    expect(gt('tfw')).toEqual([500000, 10, 0, 4100000, 0, -10]);
    for (const name of ['upper-case-tfw', 'tifw', 'wld', 'tiff-extension-tfw', 'crs-keys-only'])
      expect(gt(name), name).toEqual([500000, 10, 0, 4100000, 0, -10]);
    expect(gt('rotated-crlf-blank-lines')).toEqual([299995.375, 9.5, 0.25, 5000005.25, 0.5, -9.5]);
    expect(gt('comma-decimals-and-junk')).toEqual([500000.25, 10.5, 0, 4100000.25, 0, -10.5]);
    expect(gt('tfw-before-tifw')?.[1]).toBe(20);
    expect(gt('broken-tfw-then-wld')?.[1]).toBe(30);
    expect(gt('zero-pixel-size')).toBeNull();
    expect(gt('long-line-ends-reading')).toBeNull();
    expect(gt('own-transform-wins')).toEqual([600000, 30, 0, 4000000, 0, -30]);
    expect(gdal.get(paths['crs-keys-only'] as string)?.epsg).toBe('32633');
  });
});

describe('parseWorldFile', () => {
  it("reads GDAL's six numbers into a corner-based geotransform", () => {
    expect(parseWorldFile(NORTH_UP)).toEqual([500000, 10, 0, 4100000, 0, -10]);
    expect(parseWorldFile('1\n0\n0\n1\n0\n')).toBeUndefined();
    expect(parseWorldFile('')).toBeUndefined();
  });
});
