// Our writer's overviews are bit-identical to gdaladdo's: every dtype, odd and even sizes (partial-pixel
// weights, GDAL's factor-2 shortcut), nodata (masking, nodata at the type's limits), NaN, several bands,
// pixel-interleaved sources, three cascaded levels. GDAL builds and reads its overviews in one python batch.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, type DType, type Raster, type RasterArray } from '../../src/index.js';
import { createCogWriter, writeGeoTiff } from '../../src/node.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { type GdalFile, runGdalBatch } from '../support/gdal-batch.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-ovr-');

// Ordinary nodata values and ones at the type's limits (GDAL replaces averages that land on nodata).
const NODATA: Record<DType, [number, number]> = {
  uint8: [255, 0],
  uint16: [0, 65535],
  int16: [-9999, 32767],
  uint32: [0, 4294967295],
  int32: [-1, 2147483647],
  float32: [-3.5, 0],
  float64: [-3.5, Number.NaN],
};

// Fractional nodata on integer bands: GDAL's mask truncates it to the type (0.5 masks the 0s of a uint8 band;
// they used to be averaged in).
const FRACTIONAL_NODATA: Partial<Record<DType, number>> = {
  uint8: 0.5,
  uint16: 2.7,
  int16: -1.5,
  uint32: 1.5,
  int32: -0.5,
};

interface Case {
  name: string;
  raster: Raster;
  interleave: 'band' | 'pixel';
  method: 'average' | 'nearest';
}

function makeCase(dtype: DType, w: number, h: number, mode: string, k: number): Case {
  const bands = k % 3 === 0 ? 3 : 1;
  const r = syntheticRaster(dtype, w, h, bands, 7 + k);
  // 32-bit integers: odd low digits, so float32 rounding of the work values shows.
  if (dtype === 'int32' || dtype === 'uint32')
    for (const b of r.bands) for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) + (i % 7);
  if (mode === 'nodata-fraction') {
    const nd = FRACTIONAL_NODATA[dtype] as number;
    r.noData = nd;
    for (const b of r.bands)
      for (let i = 0; i < b.length; i += 3) b[i] = i % 2 ? Math.trunc(nd) : Math.round(nd);
  } else if (mode.startsWith('nodata')) {
    const nd = NODATA[dtype][mode === 'nodata-limit' ? 1 : 0];
    r.noData = nd;
    for (const b of r.bands) for (let i = 0; i < b.length; i += 5) b[i] = nd;
  }
  if (mode.includes('nan')) for (const b of r.bands) for (let i = 1; i < b.length; i += 7) b[i] = Number.NaN;
  return {
    name: `${dtype}-${w}x${h}-${mode}-${bands}b`,
    raster: r,
    interleave: k % 2 === 0 ? 'pixel' : 'band',
    method: mode === 'nearest' ? 'nearest' : 'average',
  };
}

const CASES: Case[] = [];
DTYPES.forEach((dtype, di) => {
  const float = dtype.startsWith('float');
  const modes = [
    'plain',
    'nodata',
    'nodata-limit',
    ...(float ? ['nan', 'nodata-nan'] : ['nodata-fraction']),
    'nearest',
  ];
  modes.forEach((mode, mi) => {
    const [w, h] = [
      [37, 29],
      [40, 30],
      [101, 67],
    ][(di + mi) % 3] as [number, number];
    CASES.push(makeCase(dtype, w, h, mode, di * 7 + mi));
  });
});

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'writer overviews equal gdaladdo',
  () => {
    let gdal: Record<string, GdalFile> = {};
    const ours = (c: Case) => join(tmp(), `ours-${c.name}.tif`);
    const theirs = (c: Case) => join(tmp(), `gdal-${c.name}.tif`);

    beforeAll(async () => {
      for (const c of CASES) {
        await writeGeoTiff(ours(c), c.raster, {
          tiled: true,
          overviews: [2, 4, 8],
          overviewResampling: c.method,
          interleave: c.interleave,
        });
        await writeGeoTiff(theirs(c), c.raster, { interleave: c.interleave });
      }
      gdal = runGdalBatch(
        tmp(),
        {
          addo: CASES.map((c) => ({ path: theirs(c), method: c.method.toUpperCase(), factors: [2, 4, 8] })),
          describe: CASES.flatMap((c) => [ours(c), theirs(c)]),
        },
        'ovr',
      );
    }, 120_000);

    it('covers every dtype with nodata, NaN and nearest', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(7 * 4);
    });

    it('every overview pixel of every case is bit-identical', () => {
      const failures: string[] = [];
      for (const c of CASES) {
        const a = gdal[ours(c)] as GdalFile;
        const b = gdal[theirs(c)] as GdalFile;
        for (const [bi, band] of b.bands.entries()) {
          expect(band.levels.length, c.name).toBe(4);
          for (let li = 1; li < band.levels.length; li++) {
            if (a.bands[bi]?.levels[li]?.data !== band.levels[li]?.data)
              failures.push(`${c.name} band ${bi} level ${li}`);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  },
);

// Narrow images: on single-band and pixel-interleaved files gdaladdo computes a level from the previous one only
// when that one is wider (GDALRegenerateOverviewsMultiBand), else from full resolution; band-interleaved files
// cascade 'average' regardless. Its level list skips a second 1 × 1 level and factors an existing level "has".
interface NarrowCase {
  name: string;
  raster: Raster;
  factors: number[];
  method: 'average' | 'nearest';
  interleave: 'band' | 'pixel';
  /** Written by the streaming COG writer instead of writeGeoTiff. */
  cog?: boolean;
}

function narrow(
  dtype: DType,
  w: number,
  h: number,
  bands: number,
  factors: number[],
  o: Partial<NarrowCase> = {},
): NarrowCase {
  const method = o.method ?? 'average';
  const interleave = o.interleave ?? 'band';
  return {
    name: `${dtype}-${w}x${h}-${bands}b-${method}-${interleave}-${factors.join('.')}${o.cog ? '-cog' : ''}`,
    raster: syntheticRaster(dtype, w, h, bands, w * 31 + h),
    factors,
    method,
    interleave,
    ...(o.cog ? { cog: true } : {}),
  };
}

const NARROW: NarrowCase[] = [
  ...[1, 2, 3, 4].map((w) => narrow('uint16', w, 99, 1, [2, 4, 8])),
  narrow('uint8', 7, 700, 1, [4, 5, 6]), // 2-pixel-wide levels after a 2-pixel-wide one: from full resolution
  narrow('uint16', 3, 99, 1, [2, 4, 8], { method: 'nearest' }),
  narrow('uint8', 3, 99, 3, [2, 4, 8], { interleave: 'pixel' }),
  narrow('int16', 3, 99, 3, [2, 4, 8], { method: 'nearest', interleave: 'pixel' }),
  narrow('uint8', 3, 99, 3, [2, 4, 8]), // band-interleaved 'average' cascades even so
  narrow('float32', 99, 3, 1, [2, 4, 8]), // 1-pixel-high levels cascade: only the width counts
  narrow('uint16', 3, 99, 1, [2, 4, 8], { cog: true }),
];

/** Level sizes gdaladdo makes (checked against GDAL 3.6 on 3000 random sizes and factor lists). */
const LEVEL_LISTS: [number, number, number[], [number, number][]][] = [
  [1, 1, [2, 4, 8, 16, 32], [[1, 1]]],
  [
    3,
    3,
    [2, 4, 8],
    [
      [2, 2],
      [1, 1],
    ],
  ],
  [7, 7, [2, 3], [[4, 4]]], // factor 3 (3 × 3) counts as the 4 × 4 level's factor 2
  [
    9,
    17,
    [10, 11, 17, 18],
    [
      [1, 2],
      [1, 1],
    ],
  ],
  [2, 1, [2, 3, 4], [[1, 1]]],
];

async function writeNarrow(path: string, c: NarrowCase): Promise<void> {
  const r = c.raster;
  if (!c.cog) {
    await writeGeoTiff(path, r, {
      tiled: true,
      overviews: c.factors,
      overviewResampling: c.method,
      interleave: c.interleave,
    });
    return;
  }
  const w = await createCogWriter(path, {
    width: r.width,
    height: r.height,
    bands: r.bands.length,
    dtype: r.dtype,
    overviews: c.factors,
    overviewResampling: c.method,
    interleave: c.interleave,
  });
  for (let y = 0; y < r.height; y += 10) {
    const n = Math.min(10, r.height - y);
    await w.writeRows(
      y,
      r.bands.map((b) => b.slice(y * r.width, (y + n) * r.width) as RasterArray),
    );
  }
  await w.close();
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'narrow images: overview levels and pixels equal gdaladdo',
  () => {
    let gdal: Record<string, GdalFile> = {};
    const ours = (name: string) => join(tmp(), `narrow-ours-${name}.tif`);
    const theirs = (name: string) => join(tmp(), `narrow-gdal-${name}.tif`);
    const listName = ([w, h, f]: (typeof LEVEL_LISTS)[number]) => `list-${w}x${h}-${f.join('.')}`;

    beforeAll(async () => {
      for (const c of NARROW) {
        await writeNarrow(ours(c.name), c);
        await writeGeoTiff(theirs(c.name), c.raster, { interleave: c.interleave });
      }
      for (const l of LEVEL_LISTS) {
        const r = syntheticRaster('uint8', l[0], l[1], 1);
        await writeGeoTiff(ours(listName(l)), r, { overviews: l[2] });
        await writeGeoTiff(theirs(listName(l)), r);
      }
      const addo = [
        ...NARROW.map((c) => ({ path: theirs(c.name), method: c.method.toUpperCase(), factors: c.factors })),
        ...LEVEL_LISTS.map((l) => ({ path: theirs(listName(l)), method: 'AVERAGE', factors: l[2] })),
      ];
      const names = [...NARROW.map((c) => c.name), ...LEVEL_LISTS.map(listName)];
      gdal = runGdalBatch(tmp(), { addo, describe: names.flatMap((n) => [ours(n), theirs(n)]) }, 'narrow');
    }, 120_000);

    it('every overview pixel of every narrow case is bit-identical', () => {
      const failures: string[] = [];
      for (const c of NARROW) {
        const a = gdal[ours(c.name)] as GdalFile;
        const b = gdal[theirs(c.name)] as GdalFile;
        for (const [bi, band] of b.bands.entries()) {
          expect(
            a.bands[bi]?.levels.map((l) => l.size),
            c.name,
          ).toEqual(band.levels.map((l) => l.size));
          for (let li = 1; li < band.levels.length; li++)
            if (a.bands[bi]?.levels[li]?.data !== band.levels[li]?.data)
              failures.push(`${c.name} band ${bi} level ${li}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('makes the levels gdaladdo makes: one 1 × 1 level, none for a factor an earlier level has', () => {
      for (const l of LEVEL_LISTS) {
        const sizes = (f: GdalFile) => (f.bands[0]?.levels ?? []).slice(1).map((v) => v.size);
        expect(sizes(gdal[theirs(listName(l))] as GdalFile), listName(l)).toEqual(l[3]);
        expect(sizes(gdal[ours(listName(l))] as GdalFile), listName(l)).toEqual(l[3]);
      }
    });

    it('fills a level gdaladdo leaves unfilled (its factor, measured along x, matches no factor asked for)', async () => {
      // 1 × 3 with [2]: GDAL 3.6 makes the 1 × 2 level but never computes it (zeros); ours holds its averages.
      const r: Raster = { width: 1, height: 3, dtype: 'float32', bands: [Float32Array.of(10, 17, 24)] };
      await writeGeoTiff(ours('unfilled'), r, { overviews: [2] });
      await writeGeoTiff(theirs('unfilled'), r);
      const out = runGdalBatch(
        tmp(),
        {
          addo: [{ path: theirs('unfilled'), method: 'AVERAGE', factors: [2] }],
          describe: [ours('unfilled'), theirs('unfilled')],
        },
        'unfilled',
      );
      const level = (f: string) => {
        const b = Buffer.from(out[f]?.bands[0]?.levels[1]?.data ?? '', 'base64');
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      };
      expect(Array.from(level(theirs('unfilled')))).toEqual([0, 0]);
      // [0, 1.5) and [1.5, 3): 10 + 17/2 and 17/2 + 24, over 1.5
      expect(Array.from(level(ours('unfilled')))).toEqual([Math.fround(18.5 / 1.5), Math.fround(32.5 / 1.5)]);
    });
  },
);
