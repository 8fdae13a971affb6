// The streaming COG writer's files read by real GDAL (COG validator, checksums equal to the same pixels written
// in memory), and its memory bound: an 8192 × 8192 float32 image (256 MiB raw) streamed in a child process
// with a small heap, peak RSS measured.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Raster } from '../../src/index.js';
import { createCogWriter, readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { gdalChecksums, gdalinfoJson, HAS_GDAL, PYTHON_GDAL, validateCog } from '../support/gdal.js';
import { assertDistFresh } from '../support/read-child.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster, writeRowsOf } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('cog-writer-gdal-');
const CHILD = fileURLToPath(new URL('../support/write-cog-child.mjs', import.meta.url));

describe.runIf(requireTool('GDAL (gdalinfo, python3-gdal)', HAS_GDAL && PYTHON_GDAL !== undefined))(
  'createCogWriter files in GDAL',
  () => {
    it('is a valid COG whose bands and overviews GDAL reads as written', async () => {
      const r: Raster = {
        ...syntheticRaster('float32', 1300, 900, 2, 11),
        noData: Number.NaN,
        geo: { epsg: 32631, transform: [400000, 2.5, 0, 5000000, 0, -2.5] },
      };
      (r.bands[1] as Float32Array).fill(Number.NaN, 0, 5000);
      const path = join(tmp(), 'stream.tif');
      const w = await createCogWriter(path, {
        width: r.width,
        height: r.height,
        bands: 2,
        dtype: 'float32',
        noData: Number.NaN,
        geo: r.geo,
        compression: 'deflate',
        predictor: true,
        overviews: [2, 4],
      });
      await writeRowsOf(w, r, 200);
      const v = validateCog(path);
      expect(v.output).not.toMatch(/error/i);
      expect(v.ok).toBe(true);
      const info = gdalinfoJson(path);
      expect(info.size).toEqual([1300, 900]);
      expect(info.stac?.['proj:epsg']).toBe(32631);
      expect(info.bands[0]?.block).toEqual([512, 512]);
      expect(info.bands[0]?.overviews?.map((o) => o.size)).toEqual([
        [650, 450],
        [325, 225],
      ]);
      // The same pixels written in memory as plain strips: GDAL's checksums agree.
      const plain = join(tmp(), 'plain.tif');
      await writeGeoTiff(plain, r);
      expect(gdalChecksums(path)).toEqual(gdalChecksums(plain));
    });
  },
);

interface ChildOut {
  ok: boolean;
  bytes?: number;
  code?: string;
  message?: string;
  maxRssMB: number;
}

function writeInChild(out: string, width: number, height: number): Promise<ChildOut> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=64', CHILD, out, String(width), String(height), '128'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`child exited ${status} without a result: ${stderr.slice(-2000)}`));
      }
    });
  });
}

describe('createCogWriter memory', () => {
  beforeAll(() => assertDistFresh());

  it('streams 8192 × 8192 float32 (256 MiB raw) with peak RSS far below the image and flat in its height', async () => {
    const dir = tmp();
    const small = await writeInChild(join(dir, 'small.tif'), 8192, 1024);
    const big = await writeInChild(join(dir, 'big.tif'), 8192, 8192);
    expect(small.ok, small.message).toBe(true);
    expect(big.ok, big.message).toBe(true);
    console.log(
      `peak RSS: 8192×1024 ${small.maxRssMB.toFixed(0)} MiB, 8192×8192 ${big.maxRssMB.toFixed(0)} MiB`,
    );
    // Eight times the rows (+224 MiB raw) may cost a little GC slack, not the image.
    expect(big.maxRssMB - small.maxRssMB).toBeLessThan(48);
    // Far below the image: holding it would take 256 MiB + Node's own ≈ 60. Peaks of 117–135 MiB on a quiet
    // machine, 157 in a clean-clone CI run with other suites beside it (GC runs later under load).
    expect(big.maxRssMB).toBeLessThan(0.75 * 256);
    // Pixels (x + 2y) read back from the far corner of full resolution.
    const path = join(dir, 'big.tif');
    const r = await readGeoTiffFile(path, { window: { x: 8000, y: 8100, width: 4, height: 2 } });
    expect(Array.from(r.bands[0] as Float32Array)).toEqual([
      8000 + 16200,
      8001 + 16200,
      8002 + 16200,
      8003 + 16200,
      8000 + 16202,
      8001 + 16202,
      8002 + 16202,
      8003 + 16202,
    ]);
    rmSync(path);
  }, 120_000);
});
