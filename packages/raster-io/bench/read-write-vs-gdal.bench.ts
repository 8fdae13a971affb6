// Read/write speed vs GDAL on a WorldStrat-sized image: 4-band 1054×1054 uint16 (a SPOT PAN-sized tile).
// Each GDAL figure is the wall time of one gdal_translate process (start-up included, nothing subtracted);
// ours is the wall time of the same job in this process (file in → typed arrays / typed arrays → file).
// BENCH_REPS (default 5) sets the repetitions; the median is reported.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readGeoTiffFile, writeGeoTiff } from '../src/node.js';
import { HAS_GDAL } from '../test/support/gdal.js';
import { syntheticRaster } from '../test/support/synthetic.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'raster-io-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function time(fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function gdal(args: string[]): void {
  const r = spawnSync('gdal_translate', ['-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

it.skipIf(!HAS_GDAL)('read and write 4×1054×1054 uint16 vs gdal_translate', async () => {
  const raster = syntheticRaster('uint16', 1054, 1054, 4, 42);
  raster.geo = { epsg: 32633, transform: [500000, 1.5, 0, 4600000, 0, -1.5] };
  const src = join(dir, 'src.tif');
  await writeGeoTiff(src, raster);
  const files = {
    plain: join(dir, 'plain.tif'),
    'deflate+tiled': join(dir, 'deflate.tif'),
    'LZW+predictor': join(dir, 'lzw.tif'),
  };
  gdal(['-co', 'COMPRESS=NONE', src, files.plain]);
  gdal(['-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', src, files['deflate+tiled']]);
  gdal(['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', src, files['LZW+predictor']]);

  const lines: string[] = [
    `raster-io vs GDAL ${spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).stdout.trim()}, median of ${REPS}`,
  ];
  for (const [name, path] of Object.entries(files)) {
    const ours = await time(() => readGeoTiffFile(path));
    const theirs = await time(() => gdal(['-of', 'ENVI', path, join(dir, 'out.envi')]));
    lines.push(
      `read  ${name.padEnd(14)} ours ${ours.toFixed(1).padStart(7)} ms   gdal_translate -of ENVI ${theirs.toFixed(1).padStart(7)} ms   speed ratio ${(theirs / ours).toFixed(2)}× GDAL`,
    );
    expect((await readGeoTiffFile(path)).bands[3]).toEqual(raster.bands[3]);
  }
  const cogPath = join(dir, 'ours-cog.tif');
  const ours = await time(() =>
    writeGeoTiff(cogPath, raster, { cog: true, compression: 'deflate', tileSize: 256 }),
  );
  const gdalOut = join(dir, 'gdal-deflate.tif');
  const theirs = await time(() => gdal(['-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', src, gdalOut]));
  lines.push(
    `write tiled deflate COG ours ${ours.toFixed(1).padStart(7)} ms (${statSync(cogPath).size} B)   gdal_translate -co COMPRESS=DEFLATE -co TILED=YES ${theirs.toFixed(1).padStart(7)} ms (${statSync(gdalOut).size} B)   speed ratio ${(theirs / ours).toFixed(2)}× GDAL`,
  );
  const oursPixel = await time(() =>
    writeGeoTiff(cogPath, raster, { cog: true, compression: 'deflate', tileSize: 256, interleave: 'pixel' }),
  );
  lines.push(
    `write tiled deflate COG, pixel-interleaved ours ${oursPixel.toFixed(1).padStart(7)} ms (${statSync(cogPath).size} B)   speed ratio ${(theirs / oursPixel).toFixed(2)}× GDAL`,
  );
  const oursPred = await time(() =>
    writeGeoTiff(cogPath, raster, {
      cog: true,
      compression: 'deflate',
      predictor: true,
      overviews: [2, 4],
      tileSize: 256,
    }),
  );
  lines.push(
    `write COG + predictor + overviews [2,4] ours ${oursPred.toFixed(1)} ms (${statSync(cogPath).size} B) (no GDAL peer)`,
  );
  console.log(lines.join('\n'));
});
