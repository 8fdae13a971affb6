// Georeferencing tags stored with a field type libtiff does not convert (an UNDEFINED ModelTiepoint, an ASCII
// ModelPixelScale or GeoKeyDirectory) are dropped by libtiff, so GDAL sees no such tag. We read them as absent
// too: geotiff.js would hand their bytes on as numbers, a transform or CRS no other reader sees.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { epsgTables } from '../../src/crs/epsg-geokeys.js';
import { encodeGeoTiff, openGeoTiff } from '../../src/index.js';
import { TYPE_SIZE } from '../../src/read/ifd-walk.js';
import { gdalTranslate, PYTHON_GDAL } from '../support/gdal.js';
import { runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { patchTagEntry } from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-geo-tag-types-');
const UNDEFINED = 7;
const ASCII = 2;

/** A georeferenced little-endian classic TIFF (EPSG:32633, 10 m pixels). */
function baseTiff(): Uint8Array {
  const r = syntheticRaster('uint16', 8, 6, 1, 3);
  r.geo = { transform: [500_000, 10, 0, 4_100_000, 0, -10], epsg: 32633 };
  return encodeGeoTiff(r, { compression: 'none' });
}

/** Re-type tag `tag` of IFD 0 as `type` (1-byte values), keeping its bytes: the count becomes its byte size. */
function retype(bytes: Uint8Array, tag: number, type: number): Uint8Array {
  return patchTagEntry(bytes, tag, (v, at) => {
    const size = TYPE_SIZE[v.getUint16(at + 2, true)] as number;
    v.setUint16(at + 2, type, true);
    v.setUint32(at + 4, v.getUint32(at + 4, true) * size, true);
  });
}

/** Re-type tag `tag` of IFD 0 as `type` of `size`-byte values, keeping its bytes (IFD 13: 4, IFD8 18: 8). */
function retypeWords(bytes: Uint8Array, tag: number, type: number, size: number): Uint8Array {
  return patchTagEntry(bytes, tag, (v, at) => {
    const old = TYPE_SIZE[v.getUint16(at + 2, true)] as number;
    v.setUint16(at + 2, type, true);
    v.setUint32(at + 4, (v.getUint32(at + 4, true) * old) / size, true);
  });
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'geo tags of a type libtiff drops',
  () => {
    it('are read as absent, as GDAL reads them (the base file keeps its transform and EPSG on both sides)', async () => {
      const cases: [string, Uint8Array][] = [
        ['base', baseTiff()],
        ['tiepoint-undefined', retype(baseTiff(), 33922, UNDEFINED)],
        ['scale-ascii', retype(baseTiff(), 33550, ASCII)],
        ['geokeys-undefined', retype(baseTiff(), 34735, UNDEFINED)],
        // IFD offsets are numbers to geotiff.js but not to libtiff's double reader: a DOUBLE → IFD bit flip
        ['scale-ifd', retypeWords(baseTiff(), 33550, 13, 4)],
        ['tiepoint-ifd8', retypeWords(baseTiff(), 33922, 18, 8)],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `${name}.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'geo-tag-types');
      const ours = await Promise.all(cases.map(([name, bytes]) => openGeoTiff(bytes, { name })));
      const summary = (i: number) => {
        const geo = ours[i]?.levels[0]?.geo;
        const g = gdal[paths[i] as string];
        return {
          ours: geo ? { gt: geo.transform, epsg: geo.epsg || null } : null,
          gdal: g?.gt ? { gt: g.gt, epsg: g.epsg === null ? null : Number(g.epsg) } : null,
        };
      };
      expect(summary(0)).toEqual({
        ours: { gt: [500_000, 10, 0, 4_100_000, 0, -10], epsg: 32633 },
        gdal: { gt: [500_000, 10, 0, 4_100_000, 0, -10], epsg: 32633 },
      });
      // a tiepoint or scale libtiff drops: no transform at all on either side
      expect(summary(1)).toEqual({ ours: null, gdal: null });
      expect(summary(2)).toEqual({ ours: null, gdal: null });
      // a GeoKeyDirectory libtiff drops: the transform stays, the CRS goes
      expect(summary(4)).toEqual({ ours: null, gdal: null });
      expect(summary(5)).toEqual({ ours: null, gdal: null });
      expect(summary(3).ours?.gt).toEqual(summary(3).gdal?.gt);
      expect(summary(3).ours?.epsg ?? null).toBe(null);
      expect(gdal[paths[3] as string]?.epsg ?? null).toBe(null);
    });
  },
);

/**
 * Tag `tag` of IFD 0 (DOUBLE values stored out of line) re-stored as RATIONAL (5) or SRATIONAL (10) of the same
 * values: both take 8 bytes a value, so each double becomes numerator / denominator in place.
 */
function asRational(bytes: Uint8Array, tag: number, type: 5 | 10): Uint8Array {
  return patchTagEntry(bytes, tag, (v, at) => {
    v.setUint16(at + 2, type, true);
    const count = v.getUint32(at + 4, true);
    const values = v.getUint32(at + 8, true);
    for (let i = 0; i < count; i++) {
      const x = v.getFloat64(values + 8 * i, true);
      const den = [1, 2, 4, 8, 10, 100, 1000].find((d) => Number.isInteger(x * d)) as number;
      if (type === 5) v.setUint32(values + 8 * i, x * den, true);
      else v.setInt32(values + 8 * i, x * den, true);
      v.setUint32(values + 8 * i + 4, den, true);
    }
  });
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'geo tags stored as RATIONAL or SRATIONAL, which libtiff converts to doubles',
  () => {
    it('give the transform GDAL gives (geotiff.js reads every other value of a RATIONAL array)', async () => {
      const raster = (transform: [number, number, number, number, number, number]) => {
        const r = syntheticRaster('uint16', 8, 6, 1, 3);
        r.geo = { transform, epsg: 32633 };
        return encodeGeoTiff(r, { compression: 'none' });
      };
      const plain = raster([500_000, 10, 0, 4_100_000, 0, -10]);
      const halves = raster([500_000.5, 2.5, 0, 4_100_000.5, 0, -2.5]);
      const rotated = raster([500_000, 10, 2, 4_100_000, 1, -10]);
      const cases: [string, Uint8Array][] = [
        ['scale-rational', asRational(plain, 33550, 5)],
        ['tiepoint-rational', asRational(plain, 33922, 5)],
        ['both-srational-halves', asRational(asRational(halves, 33550, 10), 33922, 10)],
        ['transformation-srational', asRational(rotated, 34264, 10)],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `${name}.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'geo-tag-rational');
      const want: Record<string, number[]> = {
        'scale-rational': [500_000, 10, 0, 4_100_000, 0, -10],
        'tiepoint-rational': [500_000, 10, 0, 4_100_000, 0, -10],
        'both-srational-halves': [500_000.5, 2.5, 0, 4_100_000.5, 0, -2.5],
        'transformation-srational': [500_000, 10, 2, 4_100_000, 1, -10],
      };
      for (const [i, [name, bytes]] of cases.entries()) {
        expect([name, gdal[paths[i] as string]?.gt]).toEqual([name, want[name]]);
        const geo = (await openGeoTiff(bytes, { name })).levels[0]?.geo;
        expect([name, geo?.transform, geo?.epsg]).toEqual([name, want[name], 32633]);
      }
    });

    it('GeoDoubleParams as RATIONAL: the keys read their doubles', async () => {
      const r = syntheticRaster('uint16', 8, 6, 1, 3);
      // a user-defined CRS whose keys take doubles (2.5 and 40, stored in GeoDoubleParams)
      r.geo = {
        transform: [0, 1, 0, 0, 0, -1],
        epsg: 0,
        geoKeys: { 1024: 1, 1025: 1, 3072: 32767, 3082: [2.5], 3083: [40] },
      };
      const bytes = asRational(encodeGeoTiff(r, { compression: 'none' }), 34736, 5);
      const keys = (await openGeoTiff(bytes)).levels[0]?.geo?.geoKeys;
      expect([keys?.[3082], keys?.[3083]]).toEqual([[2.5], [40]]);
    });
  },
);

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'ASCII GeoKeys running past GeoAsciiParams',
  () => {
    it('are cut at the end as libgeotiff cuts them (the directory and its PixelIsPoint stay); one starting past the end drops the directory', async () => {
      // a GDAL PixelIsPoint file (EPSG:32633): its tiepoint is a pixel centre, read half a pixel up-left
      const src = join(tmp(), 'src.tif');
      const r = syntheticRaster('uint16', 8, 6, 1, 3);
      r.geo = { transform: [500_000, 10, 0, 4_100_000, 0, -10], epsg: 32633 };
      writeFileSync(src, encodeGeoTiff(r, { compression: 'none' }));
      const point = join(tmp(), 'point.tif');
      gdalTranslate(['-mo', 'AREA_OR_POINT=Point', src, point]);
      const base = new Uint8Array(readFileSync(point));
      // GeogCitationGeoKey (2049) → [count, offset] rewritten in the GeoKeyDirectory
      const citation = (count: number, offset: number): Uint8Array =>
        patchGeoKey(base, 2049, { count, value: offset });
      const cases: [string, Uint8Array][] = [
        ['base', base],
        ['count-past-the-end', citation(65535, 22)],
        ['start-inside-run-past', citation(30, 25)],
        ['start-past-the-end', citation(7, 200)],
        // GeoAsciiParams stored as BYTE: libtiff reads it as the same text
        ['ascii-params-as-bytes', retype(base, 34737, 1)],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `${name}.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'ascii-geokeys');
      for (const [i, [name, bytes]] of cases.entries()) {
        const geo = (await openGeoTiff(bytes, { name })).levels[0]?.geo;
        const g = gdal[paths[i] as string];
        expect([name, geo?.transform, geo?.epsg || null]).toEqual([
          name,
          g?.gt,
          g?.epsg === null ? null : Number(g?.epsg),
        ]);
      }
      // not vacuous: the cut keys keep the shifted transform, the refused directory loses it
      expect(gdal[paths[1] as string]?.gt).toEqual(gdal[paths[0] as string]?.gt);
      expect(gdal[paths[3] as string]?.gt).not.toEqual(gdal[paths[0] as string]?.gt);
      expect(gdal[paths[3] as string]?.epsg ?? null).toBe(null);
      expect(gdal[paths[4] as string]?.epsg).toBe('32633');
      expect(gdal[paths[4] as string]?.gt).toEqual(gdal[paths[0] as string]?.gt);
    });
  },
);

/**
 * Rewrite GeoKey `key` of IFD 0's GeoKeyDirectory (a little-endian classic TIFF): its id, count and/or value (or
 * offset into the params tag).
 */
function patchGeoKey(
  bytes: Uint8Array,
  key: number,
  patch: { id?: number; count?: number; value?: number },
): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const ifd = v.getUint32(4, true);
  for (let i = 0; i < v.getUint16(ifd, true); i++) {
    const e = ifd + 2 + 12 * i;
    if (v.getUint16(e, true) !== 34735) continue;
    const keys = v.getUint32(e + 8, true);
    for (let k = 4; k < v.getUint32(e + 4, true); k += 4) {
      if (v.getUint16(keys + 2 * k, true) !== key) continue;
      if (patch.id !== undefined) v.setUint16(keys + 2 * k, patch.id, true);
      if (patch.count !== undefined) v.setUint16(keys + 2 * (k + 2), patch.count, true);
      if (patch.value !== undefined) v.setUint16(keys + 2 * (k + 3), patch.value, true);
      return out;
    }
  }
  throw new Error(`no GeoKey ${key}`);
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'GTModelTypeGeoKey decides which key names the CRS, as in GDAL',
  () => {
    it('projected, user-defined or absent: the projected CRS; geographic: its base; geocentric and unknown: none', async () => {
      const MODEL = 1024;
      const cases: [string, Uint8Array, number | null][] = [
        ['projected', baseTiff(), 32633],
        ['user-defined', patchGeoKey(baseTiff(), MODEL, { value: 32767 }), 32633],
        ['absent', patchGeoKey(baseTiff(), MODEL, { id: 1023 }), 32633],
        ['geographic', patchGeoKey(baseTiff(), MODEL, { value: 2 }), 4326],
        ['geocentric', patchGeoKey(baseTiff(), MODEL, { value: 3 }), null],
        ['zero', patchGeoKey(baseTiff(), MODEL, { value: 0 }), null],
        ['unknown', patchGeoKey(baseTiff(), MODEL, { value: 9 }), null],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `model-${name}.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'model-type');
      for (const [i, [name, bytes, want]] of cases.entries()) {
        const g = gdal[paths[i] as string];
        expect([name, g?.epsg === null ? null : Number(g?.epsg)]).toEqual([name, want]);
        const geo = (await openGeoTiff(bytes, { name })).levels[0]?.geo;
        expect([name, geo?.epsg || null]).toEqual([name, want]);
        expect(geo?.transform, name).toEqual(g?.gt);
      }
    });
  },
);

const GENERATOR = fileURLToPath(new URL('../../../../scripts/generate-epsg-tables.py', import.meta.url));

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'a projected CRS key GDAL reads as another code',
  () => {
    it('deprecated CRSs as their one replacement, compound CRSs as their horizontal part, no code where GDAL reports none, as GDAL; geographic keys as GDAL reads them', async () => {
      const PCS = 3072;
      const GCS = 2048;
      const VERTICAL = 4096;
      const projected = (code: number) => patchGeoKey(baseTiff(), PCS, { value: code });
      const lonLat = (epsg: number) => {
        const r = syntheticRaster('uint16', 8, 6, 1, 4);
        r.geo = { transform: [14, 0.01, 0, 52, 0, -0.01], epsg };
        return encodeGeoTiff(r, { compression: 'none' });
      };
      const geographic = (code: number) => patchGeoKey(lonLat(4326), GCS, { value: code });
      const cases: [string, Uint8Array, number | null][] = [
        ['old-pseudo-mercator', projected(3785), 3857],
        ['old-equidistant-cylindrical', projected(32663), 4087],
        ['geodetic-deprecated-as-projected', projected(4140), 4617],
        ['world-mercator-plus-egm2008', projected(6871), 3395],
        ['wgs84-plus-egm2008', projected(9518), 4326],
        ['deprecated-with-two-replacements', projected(2191), 2191],
        ['current', projected(32633), 32633],
        // Deprecated for a wrong unit (metres, now US feet as EPSG:6128): GDAL keeps the key's own definition.
        ['deprecated-unit-change', projected(3356), null],
        ['vertical-code-as-projected', projected(5614), null],
        ['geographic-deprecated', geographic(4140), 4140],
        ['geographic-deprecated-3d-as-2d', geographic(4329), 4979],
        ['geographic-3d-as-gdal-writes-it', lonLat(4979), 4979],
        ['geographic-3d-deprecated-pair', patchGeoKey(lonLat(4979), VERTICAL, { value: 4329 }), 4979],
        ['geographic-3d-of-another-datum', patchGeoKey(lonLat(4979), VERTICAL, { value: 4937 }), 4326],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `read-as-${name}.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'epsg-read-as');
      for (const [i, [name, bytes, want]] of cases.entries()) {
        const code = gdal[paths[i] as string]?.epsg;
        expect([name, code === null ? null : Number(code)]).toEqual([name, want]);
        const geo = (await openGeoTiff(bytes, { name })).levels[0]?.geo;
        expect([name, geo?.epsg || null]).toEqual([name, want]);
      }
    });

    it("the committed tables are what this machine's GDAL and PROJ give (scripts/generate-epsg-tables.py)", () => {
      const r = spawnSync(PYTHON_GDAL as string, [GENERATOR, '--json'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as Record<string, number[][] | number[]>;
      const t = epsgTables();
      expect(want.projectedReadAs?.length).toBeGreaterThan(500);
      expect([...t.projectedReadAs]).toEqual(want.projectedReadAs);
      expect([...t.geographicReadAs]).toEqual(want.geographicReadAs);
      expect([...t.geographic]).toEqual(want.geographic);
      expect([...t.notHorizontal]).toEqual(want.notHorizontal);
      const rows = (want.withVertical as number[][]).map(([code, h, v]) => [code, [h, v]]);
      expect([...t.withVertical]).toEqual(rows);
      const reads = (want.withVertical as number[][]).filter((row) => row.length === 4);
      expect(reads.length).toBeGreaterThan(200);
      for (const [, h, v, read] of reads) expect(t.geographic3dReadAs.get(`${h}:${v}`)).toBe(read);
    });
  },
);
