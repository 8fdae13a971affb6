// GeoKeyDirectories that name the same params over and over, and the limits libgeotiff (GDAL's GeoKey reader) puts
// on them: GDAL-written files whose directory is patched, read by GDAL and by us. libgeotiff points each key into
// the params; we do the same (copying only what a CRS reads), so the EPSG code is GDAL's, fast and small, however
// many keys name the same values. Past libgeotiff's limits (250 keys, 1000 GeoDoubleParams, params libtiff drops
// for their 16-bit count, ASCII params whose 16-bit length wraps) GDAL ignores the directory, and so do we.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GeoBlock, openGeoTiff } from '../../src/index.js';
import { gdalTranslate, PYTHON_GDAL } from '../support/gdal.js';
import { runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-geokeys-limits-');
const SHORT = 3;
const ASCII = 2;
const DOUBLE = 12;

/** A 4×4 byte GeoTIFF written by gdal_translate with CRS `srs` (classic, little-endian). */
function gdalTiff(name: string, srs: string): Uint8Array {
  const raw = join(tmp(), `${name}.bin`);
  writeFileSync(raw, new Uint8Array(16).fill(7));
  writeFileSync(
    join(tmp(), `${name}.hdr`),
    'ENVI\nsamples = 4\nlines = 4\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 1\ninterleave = bsq\nbyte order = 0\n',
  );
  const out = join(tmp(), `${name}.tif`);
  gdalTranslate([
    '-of',
    'GTiff',
    '-a_srs',
    srs,
    '-a_ullr',
    '500000',
    '4000040',
    '500040',
    '4000000',
    raw,
    out,
  ]);
  return new Uint8Array(readFileSync(out));
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The entry's value field (4 bytes: the value itself or its offset). */
  field: Uint8Array;
}

/** IFD 0 of a classic little-endian TIFF: its entries and where it is. */
function ifd0(bytes: Uint8Array): { entries: Map<number, Entry>; at: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = v.getUint32(4, true);
  const entries = new Map<number, Entry>();
  for (let i = 0; i < v.getUint16(at, true); i++) {
    const e = at + 2 + 12 * i;
    const tag = v.getUint16(e, true);
    entries.set(tag, {
      tag,
      type: v.getUint16(e + 2, true),
      count: v.getUint32(e + 4, true),
      field: bytes.slice(e + 8, e + 12),
    });
  }
  return { entries, at };
}

/** The values of IFD 0's GeoKeyDirectory and GeoAsciiParams (GDAL writes both out of line). */
function geoTags(bytes: Uint8Array): { directory: number[]; ascii: string } {
  const { entries } = ifd0(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dir = entries.get(34735) as Entry;
  const dirAt = new DataView(dir.field.buffer).getUint32(0, true);
  const directory = Array.from({ length: dir.count }, (_, i) => v.getUint16(dirAt + 2 * i, true));
  const text = entries.get(34737) as Entry;
  const textAt = new DataView(text.field.buffer).getUint32(0, true);
  const ascii = Buffer.from(bytes.subarray(textAt, textAt + text.count - 1)).toString('latin1');
  return { directory, ascii };
}

/**
 * `bytes` with IFD 0 written again after them, its GeoKeyDirectory, GeoDoubleParams and GeoAsciiParams replaced
 * (the params only where given: GDAL's stay otherwise), every other entry as GDAL wrote it.
 */
function withGeoTags(
  bytes: Uint8Array,
  tags: { directory: number[]; doubles?: number[]; ascii?: string },
): Uint8Array {
  const { entries } = ifd0(bytes);
  const values: Uint8Array[] = [];
  let end = bytes.length + (bytes.length & 1);
  const put = (tag: number, type: number, count: number, data: Uint8Array) => {
    const field = new Uint8Array(4);
    if (data.length <= 4) field.set(data);
    else {
      new DataView(field.buffer).setUint32(0, end, true);
      values.push(data);
      end += data.length + (data.length & 1);
      if (data.length & 1) values.push(new Uint8Array(1));
    }
    entries.set(tag, { tag, type, count, field });
  };
  const directory = new Uint8Array(2 * tags.directory.length);
  const d = new DataView(directory.buffer);
  tags.directory.forEach((x, i) => {
    d.setUint16(2 * i, x, true);
  });
  put(34735, SHORT, tags.directory.length, directory);
  if (tags.doubles) {
    const doubles = new Uint8Array(8 * tags.doubles.length);
    const f = new DataView(doubles.buffer);
    tags.doubles.forEach((x, i) => {
      f.setFloat64(8 * i, x, true);
    });
    put(34736, DOUBLE, tags.doubles.length, doubles);
  }
  if (tags.ascii !== undefined) {
    const text = Buffer.from(`${tags.ascii}\0`, 'latin1');
    put(34737, ASCII, text.length, new Uint8Array(text));
  }
  const sorted = [...entries.values()].sort((a, b) => a.tag - b.tag);
  const ifd = new Uint8Array(2 + 12 * sorted.length + 4);
  const w = new DataView(ifd.buffer);
  w.setUint16(0, sorted.length, true);
  sorted.forEach((e, i) => {
    w.setUint16(2 + 12 * i, e.tag, true);
    w.setUint16(4 + 12 * i, e.type, true);
    w.setUint32(6 + 12 * i, e.count, true);
    ifd.set(e.field, 10 + 12 * i);
  });
  const out = new Uint8Array(end + ifd.length);
  out.set(bytes);
  let at = bytes.length + (bytes.length & 1);
  for (const chunk of values) {
    out.set(chunk, at);
    at += chunk.length;
  }
  out.set(ifd, end);
  new DataView(out.buffer).setUint32(4, end, true); // the file's first IFD is the new one
  return out;
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'GeoKeys naming the same params',
  () => {
    it('give the EPSG code GDAL gives, in bounded time and memory', async () => {
      const utm = gdalTiff('utm', 'EPSG:32633');
      const laea = gdalTiff('laea', '+proj=laea +lat_0=10 +lon_0=20 +datum=WGS84 +units=m +no_defs');
      const { directory, ascii } = geoTags(utm);
      const own = directory.slice(4); // GDAL's keys: model, raster type, citations, units, ProjectedCSType 32633
      /** GDAL's keys and `n` more (ids 5000...) at `location, count, offset`, declared as `declared` keys. */
      const keys = (n: number, key: (k: number) => number[], declared = own.length / 4 + n) => [
        1,
        1,
        0,
        declared,
        ...own,
        ...Array.from({ length: n }, (_, k) => [5000 + k, ...key(k)]).flat(),
      ];
      const free = 250 - own.length / 4; // keys libgeotiff still reads beside GDAL's
      const doubles = (n: number) => Array.from({ length: n }, (_, i) => i / 4);
      const zeros = (n: number) => new Array<number>(n).fill(0);
      const padded = (n: number) => ascii + 'x'.repeat(n - ascii.length);
      const laeaKeys = geoTags(laea);
      const laeaDoubles = (() => {
        const { entries } = ifd0(laea);
        const e = entries.get(34736) as Entry;
        const at = new DataView(e.field.buffer).getUint32(0, true);
        const v = new DataView(laea.buffer, laea.byteOffset);
        return Array.from({ length: e.count }, (_, i) => v.getFloat64(at + 8 * i, true));
      })();
      const laeaOwn = laeaKeys.directory.slice(4);
      const cases: [string, Uint8Array, number | null][] = [
        ['base', utm, 32633],
        // every extra key names all 1000 doubles (libgeotiff's most), or a different tail of them
        [
          'shared-doubles',
          withGeoTags(utm, { directory: keys(free, () => [34736, 1000, 0]), doubles: doubles(1000) }),
          32633,
        ],
        [
          'overlapping-doubles',
          withGeoTags(utm, { directory: keys(free, (k) => [34736, 1000 - k, k]), doubles: doubles(1000) }),
          32633,
        ],
        // every extra key names all 65 534 ASCII characters (GDAL's citations first)
        [
          'shared-ascii',
          withGeoTags(utm, { directory: keys(free, () => [34737, 65534, 0]), ascii: padded(65534) }),
          32633,
        ],
        // the directory commit 55be136 measured (548 MB when copied): 1024 keys each naming all 65 535 doubles
        [
          '1024-keys-65535-doubles',
          withGeoTags(utm, {
            directory: keys(1024 - own.length / 4, () => [34736, 65535, 0]),
            doubles: doubles(65535),
          }),
          null,
        ],
        // libgeotiff's limits: 250 keys read, 251 refused; 1000 doubles read, 1001 refused
        ['250-keys', withGeoTags(utm, { directory: keys(free, (k) => [0, 1, k]) }), 32633],
        ['251-keys', withGeoTags(utm, { directory: keys(free + 1, (k) => [0, 1, k]) }), null],
        ['1001-doubles', withGeoTags(utm, { directory: keys(0, () => []), doubles: doubles(1001) }), null],
        // libtiff drops GeoDoubleParams of 65 536 values (16-bit count): absent, refused only by a key naming them
        ['65536-doubles', withGeoTags(utm, { directory: keys(0, () => []), doubles: doubles(65536) }), 32633],
        [
          '65536-doubles-named',
          withGeoTags(utm, { directory: keys(1, () => [34736, 1, 0]), doubles: doubles(65536) }),
          null,
        ],
        // a GeoKeyDirectory of 65 535 SHORTs (GDAL's keys, then zeros) is read; one of 65 536 is dropped
        [
          '65535-shorts',
          withGeoTags(utm, { directory: [...keys(0, () => []), ...zeros(65535 - directory.length)] }),
          32633,
        ],
        [
          '65536-shorts',
          withGeoTags(utm, { directory: [...keys(0, () => []), ...zeros(65536 - directory.length)] }),
          null,
        ],
        // GeoAsciiParams' length + NUL counted in 16 bits: 65 535 characters leave none for GDAL's citations
        ['65535-ascii', withGeoTags(utm, { directory: keys(0, () => []), ascii: padded(65535) }), null],
        // GDAL's citations padded to 65 536 + n characters: the first n + 1 are read, the citations among them
        [
          'wrapped-ascii',
          withGeoTags(utm, { directory: keys(0, () => []), ascii: padded(65536 + ascii.length + 1) }),
          32633,
        ],
        // a user-defined CRS (no EPSG code) with 200 more keys, each naming all 1000 doubles (GDAL's first)
        [
          'laea-shared-doubles',
          withGeoTags(laea, {
            directory: [
              1,
              1,
              0,
              laeaOwn.length / 4 + 200,
              ...laeaOwn,
              ...Array.from({ length: 200 }, (_, k) => [5000 + k, 34736, 1000, 0]).flat(),
            ],
            doubles: [...laeaDoubles, ...doubles(1000 - laeaDoubles.length)],
          }),
          null,
        ],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `${name}-patched.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'geokeys-limits');

      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const ours: (GeoBlock | undefined)[] = [];
      for (const [name, bytes] of cases) ours.push((await openGeoTiff(bytes, { name })).levels[0]?.geo);
      const ms = performance.now() - t0;
      const mb = (process.memoryUsage().rss - rss0) / 2 ** 20;

      const summary = cases.map(([name], i) => {
        const g = gdal[paths[i] as string]?.epsg;
        return [name, ours[i]?.epsg || null, g === null || g === undefined ? null : Number(g)];
      });
      // ours equals GDAL's everywhere, and both are what the case says
      expect(summary).toEqual(cases.map(([name, , want]) => [name, want, want]));
      // the transform stays where the keys are refused
      for (const geo of ours) expect(geo?.transform).toEqual([500000, 10, 0, 4000040, 0, -10]);
      // the user-defined CRS keeps its keys (to write them back): the 200 extra ones as well, 1000 doubles each
      const kept = ours.at(-1)?.geoKeys ?? {};
      expect(Object.keys(kept)).toHaveLength(laeaOwn.length / 4 + 200);
      expect((kept[5199] as number[]).length).toBe(1000);
      // bounded: copying every key's values (1024 × 65 535 doubles, 250 × 65 534 characters) took seconds and 0.5 GiB
      expect(ms).toBeLessThan(3000);
      expect(mb).toBeLessThan(100);
    });

    it('a key stored in the GeoKeyDirectory itself is checked against its length, as libgeotiff checks it', async () => {
      // libgeotiff (geo_new.c) refuses the whole directory when such a key's offset + count passes the tag's
      // count (GDAL: "GeoTIFF tags apparently corrupt, they are being ignored"); it does not read the value
      const utm = gdalTiff('utm-short', 'EPSG:32633');
      const own = geoTags(utm).directory.slice(4);
      const zeros = (n: number) => new Array<number>(n).fill(0);
      /** GDAL's keys and key 5000 at `offset, count` in the directory, `pad` zeros after the keys. */
      const withShortKey = (offset: (length: number) => number, count: number, pad = 0) => {
        const length = 4 + own.length + 4 + pad;
        return withGeoTags(utm, {
          directory: [1, 1, 0, own.length / 4 + 1, ...own, 5000, 34735, count, offset(length), ...zeros(pad)],
        });
      };
      const cases: [string, Uint8Array, number | null][] = [
        ['short-last-value', withShortKey((n) => n - 1, 1), 32633],
        ['short-none-at-end', withShortKey((n) => n, 0), 32633],
        ['short-whole-directory', withShortKey(() => 0, own.length + 8), 32633],
        // the tag's count decides, not the keys: values after the last key are inside
        ['short-in-padding', withShortKey((n) => n - 8, 8, 8), 32633],
        ['short-one-past', withShortKey((n) => n, 1), null],
        ['short-two-from-last', withShortKey((n) => n - 1, 2), null],
        ['short-none-past-end', withShortKey((n) => n + 1, 0), null],
        ['short-whole-plus-one', withShortKey(() => 0, own.length + 9), null],
        ['short-65535-at-65535', withShortKey(() => 65535, 65535), null],
      ];
      const paths = cases.map(([name, bytes]) => {
        const path = join(tmp(), `${name}-patched.tif`);
        writeFileSync(path, bytes);
        return path;
      });
      const gdal = runGdalBatch(tmp(), { describe: paths }, 'geokeys-short-location');
      const summary: [string, number | null, number | null][] = [];
      for (const [i, [name, bytes]] of cases.entries()) {
        const geo = (await openGeoTiff(bytes, { name })).levels[0]?.geo;
        // the transform stays where the keys are refused
        expect(geo?.transform, name).toEqual([500000, 10, 0, 4000040, 0, -10]);
        const g = gdal[paths[i] as string]?.epsg;
        summary.push([name, geo?.epsg || null, g === null || g === undefined ? null : Number(g)]);
      }
      expect(summary).toEqual(cases.map(([name, , want]) => [name, want, want]));
    });
  },
);
