// Our writer's overviews are bit-identical to gdaladdo's: every dtype, odd and even sizes (partial-pixel
// weights, GDAL's factor-2 shortcut), nodata (masking, nodata at the type's limits), NaN, several bands,
// pixel-interleaved sources, three cascaded levels. GDAL builds and reads its overviews in one python batch.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, type DType, type Raster } from '../../src/index.js';
import { writeGeoTiff } from '../../src/node.js';
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
  if (mode.startsWith('nodata')) {
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
  const modes = ['plain', 'nodata', 'nodata-limit', ...(float ? ['nan', 'nodata-nan'] : []), 'nearest'];
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
