// GDAL's PAM sidecar (`scene.tif.aux.xml`): GDAL keeps georeferencing and nodata there when it cannot write them
// into the file (PROFILE=GeoTIFF/BASELINE, CRSs GeoKeys cannot hold) and gives it priority over the file's own tags
// (GTIFF_GEOREF_SOURCES=PAM,INTERNAL,TABFILE,WORLDFILE). openGeoTiffFile reads it as gdalinfo does.
import { execFileSync } from 'node:child_process';
import { copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGeoTiff } from '../../src/index.js';
import { openGeoTiffFile, readGeoTiffFile } from '../../src/node.js';
import { epsgOfSrs, parsePam } from '../../src/read/pam.js';
import { MAX_PAM_BYTES } from '../../src/read/sidecars.node.js';
import { gdalinfoJson, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-pam-');

/** A GeoTIFF of ours: int16 (or float32), EPSG:32633, 10 m pixels, GDAL_NODATA when given. */
function source(
  name: string,
  options: { noData?: number; dtype?: 'int16' | 'float32'; bands?: number } = {},
): string {
  const r = syntheticRaster(options.dtype ?? 'int16', 37, 23, options.bands ?? 1, 3);
  r.geo = { epsg: 32633, transform: [500_000, 10, 0, 5_000_000, 0, -10] };
  if (options.noData !== undefined) r.noData = options.noData;
  const path = join(tmp(), name);
  writeFileSync(path, encodeGeoTiff(r, { compression: 'none' }));
  return path;
}

const run = (tool: string, args: string[]): void => {
  execFileSync(tool, ['-q', ...args], { stdio: 'pipe' });
};

/** What gdalinfo reports and what openGeoTiffFile reports, side by side. */
async function both(path: string): Promise<{ gdal: unknown; ours: unknown }> {
  const info = gdalinfoJson(path);
  const nd = info.bands[0]?.noDataValue;
  const tiff = await openGeoTiffFile(path);
  try {
    const level = tiff.levels[0];
    return {
      gdal: {
        gt: info.geoTransform ?? null,
        epsg: info.stac?.['proj:epsg'] ?? null,
        noData: nd === undefined ? null : Number(nd),
      },
      ours: {
        gt: level?.geo?.transform ?? null,
        epsg: level?.geo?.epsg || null,
        noData: level?.noData ?? null,
      },
    };
  } finally {
    await tiff.close();
  }
}

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('PAM sidecars, as GDAL reads them', () => {
  it('nodata, CRS and geotransform GDAL keeps only in the sidecar are read', async () => {
    const src = source('src.tif');
    const geotiff = join(tmp(), 'profile-geotiff.tif');
    run('gdal_translate', ['-co', 'PROFILE=GeoTIFF', '-a_nodata', '3', src, geotiff]);
    const baseline = join(tmp(), 'profile-baseline.tif');
    run('gdal_translate', ['-co', 'PROFILE=BASELINE', '-a_nodata', '3', src, baseline]);
    const equalEarth = join(tmp(), 'equal-earth.tif');
    run('gdalwarp', ['-t_srs', 'EPSG:8857', src, equalEarth]);
    const nan = join(tmp(), 'nan.tif');
    run('gdal_translate', ['-ot', 'Float32', '-co', 'PROFILE=GeoTIFF', '-a_nodata', 'nan', src, nan]);
    const tenth = join(tmp(), 'tenth.tif');
    run('gdal_translate', ['-ot', 'Float64', '-co', 'PROFILE=GeoTIFF', '-a_nodata', '0.1', src, tenth]);
    const want = {
      [geotiff]: { gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633, noData: 3 },
      [baseline]: { gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633, noData: 3 },
      [nan]: { gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633, noData: Number.NaN },
      [tenth]: { gt: [500_000, 10, 0, 5_000_000, 0, -10], epsg: 32633, noData: 0.1 },
    };
    for (const [path, expected] of Object.entries(want)) {
      const { gdal, ours } = await both(path);
      expect([path, ours]).toEqual([path, gdal]);
      expect([path, ours]).toEqual([path, expected]);
    }
    // the file's tags alone: no nodata (PROFILE=GeoTIFF) or nothing at all (BASELINE), as read before
    const { gdal, ours } = await both(equalEarth);
    expect(ours).toEqual(gdal);
    expect(ours).toMatchObject({ epsg: 8857 }); // was 0: the file's keys hold no code for Equal Earth
    expect((await readGeoTiffFile(equalEarth)).geo?.geoKeys).toBeUndefined();
  });

  it("wins over the file's own tags and world file, band by band for nodata", async () => {
    const src = source('over.tif', { noData: 3 });
    writeFileSync(join(tmp(), 'over.tfw'), '30\n0\n0\n-30\n15\n15\n');
    writeFileSync(
      `${src}.aux.xml`,
      '<PAMDataset>\n  <SRS dataAxisToSRSAxisMapping="1,2">EPSG:32634</SRS>\n  <GeoTransform> 6.0e+05, 2.0e+01, 0.0, 4.0e+06, 0.0, -2.0e+01</GeoTransform>\n  <PAMRasterBand band="1"><NoDataValue>5</NoDataValue></PAMRasterBand>\n</PAMDataset>\n',
    );
    const { gdal, ours } = await both(src);
    expect(ours).toEqual(gdal);
    expect(ours).toEqual({ gt: [600_000, 20, 0, 4_000_000, 0, -20], epsg: 32634, noData: 5 });
    const r = await readGeoTiffFile(src, { window: { x: 1, y: 2, width: 3, height: 4 } });
    expect(r.geo).toEqual({ epsg: 32634, transform: [600_020, 20, 0, 3_999_960, 0, -20] });
    expect(r.noData).toBe(5);

    // an SRS given as WKT (GDAL's own form) with its code at the root; one without a code is 0, no keys kept
    const wkt = source('wkt.tif');
    copyFileSync(join(tmp(), 'profile-baseline.tif.aux.xml'), `${wkt}.aux.xml`);
    expect((await both(wkt)).ours).toMatchObject({ epsg: 32633 });
    const laea = source('laea.tif');
    writeFileSync(
      `${laea}.aux.xml`,
      '<PAMDataset><SRS>+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m</SRS><GeoTransform>1,2,0,3,0,-2</GeoTransform></PAMDataset>',
    );
    const l = await both(laea);
    expect(l.ours).toEqual(l.gdal);
    expect(l.ours).toEqual({ gt: [1, 2, 0, 3, 0, -2], epsg: null, noData: null });
    expect((await readGeoTiffFile(laea)).geo).toEqual({ epsg: 0, transform: [1, 2, 0, 3, 0, -2] });
  });

  it('bands the sidecar gives different nodata are refused, naming the sidecar (one nodata per file here)', async () => {
    const src = source('bands.tif', { noData: 3, bands: 2 });
    writeFileSync(
      `${src}.aux.xml`,
      '<PAMDataset><PAMRasterBand band="2"><NoDataValue>5</NoDataValue></PAMRasterBand></PAMDataset>',
    );
    const info = gdalinfoJson(src);
    expect(info.bands.map((b) => b.noDataValue)).toEqual([3, 5]);
    await expect(openGeoTiffFile(src)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: `${src}.aux.xml: GDAL PAM sidecar gives band 1 nodata 3 and band 2 5 (a band it leaves out keeps the file's GDAL_NODATA); raster-io holds one nodata value per file, so the bands cannot be read with their own: give every band the same <NoDataValue> in the sidecar`,
    });
    writeFileSync(
      `${src}.aux.xml`,
      '<PAMDataset><PAMRasterBand band="1"><NoDataValue>5</NoDataValue></PAMRasterBand><PAMRasterBand band="2"><NoDataValue>5.0</NoDataValue></PAMRasterBand><PAMRasterBand band="3"><NoDataValue>9</NoDataValue></PAMRasterBand></PAMDataset>',
    );
    const tiff = await openGeoTiffFile(src);
    expect(tiff.levels[0]?.noData).toBe(5);
    await tiff.close();
  });

  it('a sidecar that is no well-formed XML, declares a DTD, or is too large is a typed error naming it', async () => {
    const bad: [string, string][] = [
      ['unclosed', '<PAMDataset><PAMRasterBand band="1"><NoDataValue>5</NoDataValue></PAMRasterBand>'],
      [
        'doctype',
        '<!DOCTYPE PAMDataset [<!ENTITY nd "7">]><PAMDataset><PAMRasterBand band="1"><NoDataValue>&nd;</NoDataValue></PAMRasterBand></PAMDataset>',
      ],
      ['mismatched', '<PAMDataset><SRS>EPSG:4326</GeoTransform></PAMDataset>'],
      ['bad-geotransform', '<PAMDataset><GeoTransform>1, 2, 0, 3, 0</GeoTransform></PAMDataset>'],
    ];
    for (const [name, xml] of bad) {
      const src = source(`${name}.tif`);
      writeFileSync(`${src}.aux.xml`, xml);
      const err = await openGeoTiffFile(src).catch((e: unknown) => e);
      expect([name, err]).toMatchObject([name, { code: 'CORRUPT_TIFF' }]);
      expect((err as Error).message.startsWith(`${src}.aux.xml: GDAL PAM sidecar`)).toBe(true);
    }
    const big = source('big.tif');
    writeFileSync(`${big}.aux.xml`, '<PAMDataset/>');
    truncateSync(`${big}.aux.xml`, MAX_PAM_BYTES + 1);
    await expect(openGeoTiffFile(big)).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: `${big}.aux.xml: GDAL PAM sidecar is ${MAX_PAM_BYTES + 1} bytes, more than the ${MAX_PAM_BYTES} read; move it away to read ${big} without it`,
    });
    // another root is no PAM (GDAL ignores it too): the file's own georeferencing
    const other = source('other-root.tif', { noData: 3 });
    writeFileSync(`${other}.aux.xml`, '<GDALMetadata><Item name="x">1</Item></GDALMetadata>');
    expect((await both(other)).ours).toEqual({
      gt: [500_000, 10, 0, 5_000_000, 0, -10],
      epsg: 32633,
      noData: 3,
    });
  });
});

describe('the PAM reader', () => {
  it('takes what GDAL writes: statistics and other elements are skipped, hex nodata is exact', () => {
    const xml = `<?xml version="1.0"?>
<!-- written by GDAL -->
<PAMDataset>
  <SRS dataAxisToSRSAxisMapping="2,1">GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]],CS[ellipsoidal,2],AXIS["latitude",north],AXIS["longitude",east],ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",4326]]</SRS>
  <GeoTransform>1.0e+01,1.0e-01,0,5.0e+01,0,-1.0e-01</GeoTransform>
  <Metadata><MDI key="AREA_OR_POINT">Area</MDI></Metadata>
  <PAMRasterBand band="1">
    <NoDataValue le_hex_equiv="9A9999999999B93F">1.00000000000000E-01</NoDataValue>
    <Histograms><HistItem><HistCounts>1|2|3</HistCounts></HistItem></Histograms>
    <Metadata><MDI key="STATISTICS_MAXIMUM">7</MDI></Metadata>
  </PAMRasterBand>
  <PAMRasterBand band="2"><NoDataValue>-inf</NoDataValue></PAMRasterBand>
  <PAMRasterBand band="0"><NoDataValue>9</NoDataValue></PAMRasterBand>
</PAMDataset>`;
    const pam = parsePam(xml, 'x.tif.aux.xml');
    expect(pam).toEqual({
      name: 'x.tif.aux.xml',
      transform: [10, 0.1, 0, 50, 0, -0.1],
      epsg: 4326,
      noData: new Map([
        [1, 0.1],
        [2, -Infinity],
      ]),
    });
    expect(parsePam('<PAMDataset><SRS> </SRS></PAMDataset>', 'x')).toEqual({ name: 'x', noData: new Map() });
  });

  it('reads the EPSG code of the SRS forms GDAL writes, and 0 for any other', () => {
    expect(epsgOfSrs('EPSG:32634')).toBe(32634);
    expect(epsgOfSrs('urn:ogc:def:crs:EPSG::3857')).toBe(3857);
    expect(epsgOfSrs('ESRI:54009')).toBe(54009);
    expect(epsgOfSrs('ESRI:53009')).toBe(0);
    expect(epsgOfSrs('PROJCS["x",GEOGCS["y"],AUTHORITY["EPSG","2056"]]')).toBe(2056);
    // the code must be the root's: a base CRS's code names another CRS
    expect(epsgOfSrs('PROJCS["x",GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]],PROJECTION["Mollweide"]]')).toBe(
      0,
    );
    expect(epsgOfSrs('BOUNDCRS[SOURCECRS[PROJCRS["x",ID["EPSG",32633]]],TARGETCRS[GEOGCRS["WGS 84"]]]')).toBe(
      0,
    );
    expect(epsgOfSrs('+proj=utm +zone=33 +datum=WGS84')).toBe(0);
    expect(epsgOfSrs('PROJCS["unbalanced"')).toBe(0);
  });
});
