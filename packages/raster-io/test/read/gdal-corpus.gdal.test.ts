// A GDAL-written variant corpus: every COMPRESS × PREDICTOR for every dtype, with TILED, INTERLEAVE, BIGTIFF,
// band count (1/4/13), nodata and CRS cycled over it so that every value of every axis occurs, plus COGs,
// gdaladdo overviews and the codecs we do not decode. Our reader must return GDAL's pixels (bit for bit,
// overviews too), geotransform, CRS and nodata, or a typed error; our writer's COG of what we read must pass
// GDAL's COG validator with GDAL's checksums. GDAL is driven from ONE python process per phase.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, type DType, type Raster, readRaster } from '../../src/index.js';
import { bytesOf } from '../../src/internal/typed-array.js';
import { openGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const W = 37;
const H = 29;
const tmp = useTmpDir('raster-io-corpus-');

// Float32's is the common "-3.4e+38" that float32 cannot hold exactly; uint8's 300 is out of range (GDAL
// reports it as written and masks nothing).
const NODATA: Record<DType, number> = {
  uint8: 300,
  uint16: 0,
  int16: -9999,
  uint32: 4000000000,
  int32: -1,
  float32: -3.4e38,
  float64: Number.NaN,
};
const CRSS = [
  { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] },
  { epsg: 4326, transform: [14.5, 0.001, 0, 52.1, 0, -0.001] },
  { epsg: 54009, transform: [-1e6, 1000, 0, 5e6, 0, -1000] },
] as const;
const BAND_COUNTS = [1, 4, 13] as const;

interface Base {
  path: string;
  dtype: DType;
  bands: number;
  noData: boolean;
}
interface Variant {
  name: string;
  base: Base;
  format: 'GTiff' | 'COG';
  co: string[];
  addo?: 'AVERAGE' | 'NEAREST';
}

const bases: Base[] = [];
const variants: Variant[] = [];
const baseFor = (dtype: DType, bands: number): Base => {
  const path = `base-${dtype}-${bands}.tif`;
  let b = bases.find((x) => x.path === path);
  if (!b) {
    b = { path, dtype, bands, noData: bands !== 4 };
    bases.push(b);
  }
  return b;
};

DTYPES.forEach((dtype, di) => {
  const float = dtype === 'float32' || dtype === 'float64';
  const combos: [string, number][] = [
    ['NONE', 1],
    ['PACKBITS', 1],
    ['DEFLATE', 1],
    ['DEFLATE', 2],
    ['LZW', 1],
    ['LZW', 2],
    ...(float
      ? ([
          ['DEFLATE', 3],
          ['LZW', 3],
        ] as [string, number][])
      : []),
    ['ZSTD', 1],
    ['ZSTD', 2],
    ['LZMA', 2],
    ...(float ? ([['ZSTD', 3]] as [string, number][]) : []),
  ];
  combos.forEach(([compress, predictor], k) => {
    const bands = BAND_COUNTS[(k + di) % 3] as number;
    const tiled = (k + di) % 2 === 0;
    const interleave = (Math.floor(k / 2) + di) % 2 === 0 ? 'PIXEL' : 'BAND';
    const bigtiff = (k + 2 * di) % 4 === 0;
    const co = [
      `COMPRESS=${compress}`,
      `PREDICTOR=${predictor}`,
      `INTERLEAVE=${interleave}`,
      `BIGTIFF=${bigtiff ? 'YES' : 'NO'}`,
      ...(tiled ? ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'] : ['BLOCKYSIZE=5']),
    ];
    if (compress === 'NONE' || compress === 'PACKBITS') co.splice(1, 1);
    variants.push({
      name: `${dtype}-${bands}b-${compress}-p${predictor}-${tiled ? 'tiled' : 'strips'}-${interleave}${bigtiff ? '-bigtiff' : ''}`,
      base: baseFor(dtype, bands),
      format: 'GTiff',
      co,
    });
  });
  variants.push({
    name: `${dtype}-cog`,
    base: baseFor(dtype, BAND_COUNTS[di % 3] as number),
    format: 'COG',
    co: ['COMPRESS=DEFLATE', `PREDICTOR=${float ? 3 : 2}`, 'OVERVIEW_COUNT=2', 'RESAMPLING=NEAREST'],
  });
  if (dtype === 'uint16' || dtype === 'float32')
    variants.push({
      name: `${dtype}-cog-zstd`,
      base: baseFor(dtype, 4),
      format: 'COG',
      co: [
        'COMPRESS=ZSTD',
        `PREDICTOR=${float ? 3 : 2}`,
        'LEVEL=15',
        'OVERVIEW_COUNT=2',
        'RESAMPLING=AVERAGE',
      ],
    });
  variants.push({
    name: `${dtype}-gdaladdo-average`,
    base: baseFor(dtype, 1),
    format: 'GTiff',
    co: ['COMPRESS=LZW', 'TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'],
    addo: 'AVERAGE',
  });
});
// JPEG (8-bit): GDAL reads it through libjpeg, whose IDCT, chroma upsampling and YCbCr tables ours follow.
for (const [tag, bands, co, format] of [
  ['1b-tiled', 1, ['TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'], 'GTiff'],
  ['3b-YCbCr-strips', 3, ['PHOTOMETRIC=YCBCR', 'BLOCKYSIZE=16'], 'GTiff'],
  [
    '3b-YCbCr-q95-tiled',
    3,
    ['PHOTOMETRIC=YCBCR', 'JPEG_QUALITY=95', 'TILED=YES', 'BLOCKXSIZE=32', 'BLOCKYSIZE=16'],
    'GTiff',
  ],
  [
    '4b-PIXEL-tables-per-tile',
    4,
    ['JPEGTABLESMODE=0', 'TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'],
    'GTiff',
  ],
  ['13b-BAND-optimized-huffman', 13, ['INTERLEAVE=BAND', 'JPEGTABLESMODE=3', 'BLOCKYSIZE=8'], 'GTiff'],
  ['3b-cog', 3, ['OVERVIEW_COUNT=2', 'BLOCKSIZE=16'], 'COG'],
] as const) {
  variants.push({
    name: `uint8-${tag}-JPEG`,
    base: baseFor('uint8', bands),
    format,
    co: ['COMPRESS=JPEG', ...co],
  });
}
// LERC (Esri's decoder behind our header and mask checks; test/read/lerc.gdal.test.ts has the rest).
for (const [compress, dtype, bands] of [
  ['LERC', 'float32', 1],
  ['LERC_DEFLATE', 'float64', 1],
  ['LERC_ZSTD', 'uint16', 4],
] as const) {
  variants.push({
    name: `${dtype}-${compress}`,
    base: baseFor(dtype, bands),
    format: 'GTiff',
    co: [`COMPRESS=${compress}`],
  });
}
// WEBP (libwebp, GDAL's decoder; test/read/webp.gdal.test.ts has the rest): lossless RGBA, lossy RGB COG.
variants.push(
  {
    name: 'uint8-WEBP',
    base: baseFor('uint8', 4),
    format: 'GTiff',
    co: ['COMPRESS=WEBP', 'WEBP_LOSSLESS=YES'],
  },
  {
    name: 'uint8-WEBP-cog',
    base: baseFor('uint8', 3),
    format: 'COG',
    co: ['COMPRESS=WEBP', 'QUALITY=60', 'BLOCKSIZE=16', 'OVERVIEW_COUNT=2'],
  },
);

function baseRaster(b: Base, i: number): Raster {
  const r = syntheticRaster(b.dtype, W, H, b.bands, 11 + i);
  const crs = CRSS[i % 3] as (typeof CRSS)[number];
  r.geo = { epsg: crs.epsg, transform: [...crs.transform] };
  if (b.noData) {
    r.noData = NODATA[b.dtype];
    for (const band of r.bands) {
      for (let x = 0; x < 5; x++) band[x] = r.noData;
      if (b.dtype.startsWith('float')) for (let x = 5; x < 8; x++) band[W + x] = Number.NaN;
    }
  }
  return r;
}

const parseNoData = (s: string | null): number | null =>
  s === null
    ? null
    : s === 'nan'
      ? Number.NaN
      : s === 'inf'
        ? Infinity
        : s === '-inf'
          ? -Infinity
          : Number(s);

const CORPUS = 'GDAL variant corpus [slow: writes and reads back every GDAL variant with python3-gdal]';
describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(CORPUS, () => {
  let gdal: Record<string, GdalFile> = {};
  const path = (name: string): string => join(tmp(), `${name}.tif`);

  beforeAll(async () => {
    for (const [i, b] of bases.entries()) await writeGeoTiff(join(tmp(), b.path), baseRaster(b, i));
    gdal = runGdalBatch(
      tmp(),
      {
        create: variants.map((v) => ({
          path: path(v.name),
          base: join(tmp(), v.base.path),
          format: v.format,
          co: v.co,
          addo: v.addo,
        })),
        describe: [...variants.map((v) => path(v.name)), ...bases.map((b) => join(tmp(), b.path))],
      },
      'corpus',
    );
  }, 120_000);

  it('covers every value of every axis', () => {
    const names = variants.map((v) => v.name).join(' ');
    for (const dtype of DTYPES) expect(names).toContain(`${dtype}-`);
    for (const s of [
      'NONE',
      'PACKBITS',
      'DEFLATE',
      'LZW',
      '-p2',
      '-p3',
      'tiled',
      'strips',
      'PIXEL',
      'BAND',
      'bigtiff',
      'cog',
      'JPEG',
    ])
      expect(names).toContain(s);
    for (const n of BAND_COUNTS) expect(names).toContain(`-${n}b-`);
    expect(variants.length).toBeGreaterThan(60);
  });

  it('reads every supported variant (and our own base files) exactly as GDAL does', async () => {
    const files = [
      ...variants.map((v) => ({ name: v.name, file: path(v.name) })),
      ...bases.map((b) => ({ name: b.path, file: join(tmp(), b.path) })),
    ];
    const failures: string[] = [];
    for (const { name, file } of files) {
      const ref = gdal[file] as GdalFile;
      const tiff = await openGeoTiffFile(file);
      try {
        const full = tiff.levels[0];
        if (!full) throw new Error('no levels');
        const problems: string[] = [];
        if (full.width !== ref.size[0] || full.height !== ref.size[1]) problems.push('size');
        if (JSON.stringify(full.geo?.transform ?? null) !== JSON.stringify(ref.gt))
          problems.push('geotransform');
        const epsg = full.geo?.epsg;
        const wantEpsg = ref.epsg ? Number(ref.epsg) : ref.proj4?.includes('+proj=moll') ? 54009 : 0;
        if (epsg !== wantEpsg) problems.push(`crs ${epsg} vs ${wantEpsg}`);
        const nd = parseNoData(ref.bands[0]?.nodata ?? null);
        if (!Object.is(full.noData, nd)) problems.push(`nodata ${full.noData} vs ${nd}`);
        if (tiff.levels.length !== (ref.bands[0]?.levels.length ?? 0)) problems.push('overview count');
        for (let li = 0; li < tiff.levels.length; li++) {
          const r = await readRaster(tiff, { level: li });
          // again into arrays holding garbage: every pixel must be written (or filled) by the read
          const into = r.bands.map((b) => {
            const dirty = b.slice();
            new Uint8Array(dirty.buffer).fill(0xa5);
            return dirty;
          });
          const again = await readRaster(tiff, { level: li, into });
          for (const [bi, band] of r.bands.entries()) {
            const want = Buffer.from(ref.bands[bi]?.levels[li]?.data ?? '', 'base64');
            if (!Buffer.from(bytesOf(band)).equals(want)) problems.push(`pixels band ${bi} level ${li}`);
            if (!Buffer.from(bytesOf(again.bands[bi] as typeof band)).equals(want))
              problems.push(`pixels read into band ${bi} level ${li}`);
          }
        }
        if (problems.length > 0) failures.push(`${name}: ${problems.slice(0, 4).join(', ')}`);
      } finally {
        await tiff.close();
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('float32 nodata "-3.4e+38" equals the pixels that hold it, as in GDAL', async () => {
    const file = join(tmp(), (bases.find((b) => b.dtype === 'float32' && b.noData) as Base).path);
    expect(readFileSync(file).includes('-3.4e+38')).toBe(true); // the text real files carry
    const tiff = await openGeoTiffFile(file);
    const r = await readRaster(tiff);
    await tiff.close();
    expect(r.noData).toBe(Math.fround(-3.4e38));
    expect((r.bands[0] as Float32Array).filter((v) => v === r.noData).length).toBe(5);
  });

  it('our COG of a raster read from each base (every dtype × band count): GDAL checksums, CRS, nodata, valid COG', async () => {
    const written: [string, string][] = [];
    const seen = new Set<Base>();
    // One variant per base keeps the GDAL batch short; the alternation makes it a different layout per base.
    const sample = variants.filter((x, i) => i % 2 === 0 && !seen.has(x.base) && seen.add(x.base));
    expect(sample.length).toBeGreaterThanOrEqual(bases.length - 2);
    for (const v of sample) {
      const tiff = await openGeoTiffFile(path(v.name));
      const r = await readRaster(tiff);
      await tiff.close();
      const out = join(tmp(), `ours-${v.name}.tif`);
      await writeGeoTiff(out, r, { cog: true, compression: 'deflate', predictor: true, overviews: [2] });
      written.push([path(v.name), out]);
    }
    const ours = runGdalBatch(
      tmp(),
      { describe: written.map(([, o]) => o), validate: written.map(([, o]) => o) },
      'ours',
    );
    const failures: string[] = [];
    for (const [src, out] of written) {
      const a = gdal[src] as GdalFile;
      const b = ours[out] as GdalFile;
      const problems: string[] = [];
      if (JSON.stringify(b.bands.map((x) => x.checksum)) !== JSON.stringify(a.bands.map((x) => x.checksum)))
        problems.push('checksums');
      if (b.proj4 !== a.proj4) problems.push(`crs ${b.proj4} vs ${a.proj4}`);
      if (JSON.stringify(b.gt) !== JSON.stringify(a.gt)) problems.push('geotransform');
      if (b.bands[0]?.nodata !== a.bands[0]?.nodata)
        problems.push(`nodata ${b.bands[0]?.nodata} vs ${a.bands[0]?.nodata}`);
      if ((b.cog_errors ?? ['not validated']).length > 0) problems.push(`COG: ${b.cog_errors?.join('; ')}`);
      if (problems.length > 0) failures.push(`${src}: ${problems.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
