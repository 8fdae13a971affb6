// CRSs without a plain EPSG code survive read → write: GHSL's Mollweide (reported as 54009), other
// user-defined projections (their GeoKeys are carried), and codes GeoTIFF cannot store fail loudly.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGeoTiff, type Raster } from '../../src/index.js';
import { openGeoTiffFile, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { gdalinfoJson, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-crs-');

function gdalCreate(name: string, srs: string, extra: string[] = []): string {
  const out = join(tmp(), name);
  execFileSync('gdal_create', [
    '-q',
    '-of',
    'GTiff',
    '-outsize',
    '6',
    '4',
    '-burn',
    '7',
    '-a_srs',
    srs,
    '-a_ullr',
    '-3000',
    '2000',
    '3000',
    '-2000',
    ...extra,
    out,
  ]);
  return out;
}

const proj4Of = (path: string): string =>
  execFileSync('gdalsrsinfo', ['-o', 'proj4', path], { encoding: 'utf8' }).trim();

/** The bytes of a tag of IFD 0 of a classic little-endian TIFF (GDAL's and ours), or undefined. */
function tagBytes(path: string, tag: number): Buffer | undefined {
  const b = readFileSync(path);
  const ifd = b.readUInt32LE(4);
  const size: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8 };
  for (let i = 0; i < b.readUInt16LE(ifd); i++) {
    const e = ifd + 2 + 12 * i;
    if (b.readUInt16LE(e) !== tag) continue;
    const n = b.readUInt32LE(e + 4) * (size[b.readUInt16LE(e + 2)] ?? 1);
    const at = n <= 4 ? e + 8 : b.readUInt32LE(e + 8);
    return b.subarray(at, at + n);
  }
  return undefined;
}

const tiny = (): Raster => ({ width: 2, height: 2, dtype: 'uint8', bands: [new Uint8Array([1, 2, 3, 4])] });

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))('CRS round trips through GDAL', () => {
  it('writes epsg 54009 as a CRS GDAL names World_Mollweide (not EPSG:-11527)', async () => {
    const path = join(tmp(), 'moll-54009.tif');
    await writeGeoTiff(path, { ...tiny(), geo: { epsg: 54009, transform: [-1000, 500, 0, 1000, 0, -500] } });
    expect(proj4Of(path)).toBe('+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs');
    const info = gdalinfoJson(path) as { stac?: { 'proj:projjson'?: { name?: string } } };
    expect(info.stac?.['proj:projjson']?.name).toBe('World_Mollweide');
    expect((await readGeoTiffFile(path)).geo?.epsg).toBe(54009);
  });

  it.each([
    ['GHSL-style Mollweide', '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs', 54009],
    ['ESRI:54009', 'ESRI:54009', 54009],
    ['user-defined Lambert azimuthal equal-area', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m', 0],
    [
      'user-defined Albers',
      '+proj=aea +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96 +datum=NAD83 +units=m',
      0,
    ],
    ['EPSG:32633', 'EPSG:32633', 32633],
    ['compound UTM 33N + EGM96 height', 'EPSG:32633+5773', 32633],
  ])('%s read by us and written back is the same CRS for GDAL', async (label, srs, epsg) => {
    const src = gdalCreate(`${label.replace(/\W+/g, '-')}.tif`, srs);
    const r = await readGeoTiffFile(src);
    expect(r.geo?.epsg).toBe(epsg);
    const out = join(tmp(), `rt-${label.replace(/\W+/g, '-')}.tif`);
    await writeGeoTiff(out, r, { tiled: true, overviews: [2] });
    expect(proj4Of(out)).toBe(proj4Of(src));
    expect(gdalinfoJson(out).geoTransform).toEqual(gdalinfoJson(src).geoTransform);
    expect((await readGeoTiffFile(out)).geo).toEqual(r.geo);
  });

  it("GDAL's '|'-structured citations are written back as GDAL wrote them, byte for byte", async () => {
    // every '|' inside a value became a space: GDAL then read "unknown Datum = Unknown based on..." as the CRS
    // name, datum " = unknown Datum..." and a spheroid and prime meridian named after slices of it
    const src = gdalCreate('intl-towgs84.tif', '+proj=longlat +ellps=intl +towgs84=-87,-98,-121 +no_defs');
    const r = await readGeoTiffFile(src);
    expect(r.geo?.geoKeys?.[2049]).toBe(
      'GCS Name = unknown|Datum = Unknown based on International 1924 (Hayford 1909, 1910) ellipsoid using towgs84=-87,-98,-121|Ellipsoid = International 1924 (Hayford 1909, 1910)|Primem = Greenwich|',
    );
    const out = join(tmp(), 'rt-intl-towgs84.tif');
    await writeGeoTiff(out, r);
    expect(tagBytes(out, 34737)?.toString('latin1')).toBe(tagBytes(src, 34737)?.toString('latin1'));
    expect(tagBytes(out, 34735)).toEqual(tagBytes(src, 34735));
    const wkt = (path: string) => execFileSync('gdalsrsinfo', ['-o', 'wkt1', path], { encoding: 'utf8' });
    expect(wkt(out)).toBe(wkt(src));
    expect(wkt(out)).toContain(
      'DATUM["Unknown based on International 1924 (Hayford 1909, 1910) ellipsoid using towgs84=-87,-98,-121"',
    );
  });

  it('keys that store 54009 as an EPSG code (older writers: GDAL reads EPSG:-11527) are replaced by Mollweide keys', async () => {
    const path = join(tmp(), 'moll-old-keys.tif');
    await writeGeoTiff(path, {
      ...tiny(),
      geo: {
        epsg: 54009,
        transform: [-1000, 500, 0, 1000, 0, -500],
        geoKeys: { 1024: 1, 1025: 1, 3072: 54009 },
      },
    });
    expect(proj4Of(path)).toBe('+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs');
  });

  it('a PixelIsPoint user-defined CRS keeps its georeferencing (the half-pixel shift is applied once)', async () => {
    const src = gdalCreate('point.tif', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m');
    const point = join(tmp(), 'point-is-point.tif');
    execFileSync('gdal_translate', ['-q', '-mo', 'AREA_OR_POINT=Point', src, point]);
    const r = await readGeoTiffFile(point);
    const out = join(tmp(), 'rt-point.tif');
    await writeGeoTiff(out, r);
    expect(gdalinfoJson(out).geoTransform).toEqual(gdalinfoJson(point).geoTransform);
    expect(proj4Of(out)).toBe(proj4Of(point));
  });

  it('keys that no longer describe epsg are ignored; codes GeoTIFF cannot store throw UNSUPPORTED_CRS', async () => {
    const src = gdalCreate('laea-stale.tif', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m');
    const r = await readGeoTiffFile(src);
    const reprojected = join(tmp(), 'stale.tif');
    await writeGeoTiff(reprojected, { ...r, geo: { ...(r.geo as NonNullable<Raster['geo']>), epsg: 32633 } });
    expect(gdalinfoJson(reprojected).stac?.['proj:epsg']).toBe(32633);

    const robinson = {
      ...tiny(),
      geo: {
        epsg: 54030,
        transform: [0, 1, 0, 0, 0, -1] as [number, number, number, number, number, number],
      },
    };
    expect(() => encodeGeoTiff(robinson)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CRS' }));
    expect(() => encodeGeoTiff(robinson)).toThrow(/54030/);
    const badKeys = { ...robinson, geo: { ...robinson.geo, epsg: 0, geoKeys: { 1024: 1.5 } } };
    expect(() => encodeGeoTiff(badKeys)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('overviews and windows keep the file CRS keys', async () => {
    const src = gdalCreate('laea-ovr.tif', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m');
    const out = join(tmp(), 'laea-ovr-ours.tif');
    await writeGeoTiff(out, await readGeoTiffFile(src), { tiled: true, overviews: [2] });
    const tiff = await openGeoTiffFile(out);
    expect(tiff.levels[1]?.geo?.geoKeys).toEqual(tiff.levels[0]?.geo?.geoKeys);
    await tiff.close();
    const win = await readGeoTiffFile(out, { window: { x: 1, y: 1, width: 2, height: 2 } });
    const winPath = join(tmp(), 'laea-win.tif');
    await writeGeoTiff(winPath, win);
    expect(proj4Of(winPath)).toBe(proj4Of(src));
  });
});
