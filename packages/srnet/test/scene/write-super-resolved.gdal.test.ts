import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../src/engine.js';
import { resolveModelConfig } from '../../src/models/config.js';
import { superResolveToFile, writeSuperResolvedGeoTiff } from '../../src/scene/write-super-resolved.node.js';
import { randomStateDict } from '../onnx/reference-forward.js';
import { requireTool } from '../support/require-tool.js';
import { makeRevisit, ramp, smallEngine, TEST_GEO } from './scene-helpers.js';

const hasGdal = (() => {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const gdalTests = requireTool('GDAL (gdalinfo)', hasGdal);

describe('superResolveToFile: georeferenced SR GeoTIFF', () => {
  let engine: InferenceEngine;
  let dir: string;
  const W = 80;
  const H = 55;
  // revisit 0 has a NaN block; every revisit lacks data in a second block → NaN (masked) in the output
  const scene = [0, 1].map((r) => {
    const rv = makeRevisit(W, H, ramp(r));
    for (const band of rv.bands)
      for (let y = 40; y < 50; y++) for (let x = 5; x < 15; x++) band[y * W + x] = Number.NaN;
    if (r === 0) for (const band of rv.bands) band[10 * W + 60] = Number.NaN;
    return rv;
  });

  beforeAll(async () => {
    engine = await smallEngine({ kind: 'srcnn', revisits: 2 });
    dir = mkdtempSync(join(tmpdir(), 'srnet-scene-'));
  });
  afterAll(() => {
    engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(gdalTests)(
    'gdalinfo -json: size × 3.12, same CRS, scaled geotransform, 3 Float32 bands, NaN nodata',
    async () => {
      const path = join(dir, 'sr.tif');
      const res = await superResolveToFile(scene, path, { engine, overlap: 25 });
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', path], { encoding: 'utf8' }));
      expect(info.size).toEqual([Math.round(W * 3.12), Math.round(H * 3.12)]);
      expect(info.coordinateSystem.wkt).toMatch(/UTM zone 33N/);
      expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",32633\]\]$/);
      const gt = info.geoTransform as number[];
      const expected = [500000, 10 / 3.12, 0, 4600000, 0, -10 / 3.12];
      for (const [i, v] of gt.entries()) expect(v).toBeCloseTo(expected[i] as number, 9);
      // the SR raster covers the LR extent (to the rounding of W·3.12 output pixels)
      const halfPx = 10 / 3.12 / 2;
      expect(
        Math.abs(info.cornerCoordinates.lowerRight[0] - (TEST_GEO.transform[0] + W * 10)),
      ).toBeLessThanOrEqual(halfPx);
      expect(
        Math.abs(info.cornerCoordinates.lowerRight[1] - (TEST_GEO.transform[3] - H * 10)),
      ).toBeLessThanOrEqual(halfPx);
      expect(info.bands).toHaveLength(3);
      for (const b of info.bands) {
        expect(b.type).toBe('Float32');
        expect(String(b.noDataValue).toLowerCase()).toBe('nan');
      }
      // values read back equal the in-memory result, NaN where masked
      const back = await readGeoTiffFile(path);
      expect(back.width).toBe(res.raster.width);
      let diff = 0;
      let nan = 0;
      for (const [i, band] of back.bands.entries()) {
        for (const [j, v] of (band as Float32Array).entries()) {
          const m = (res.raster.bands[i] as Float32Array)[j] as number;
          if (Number.isNaN(v) || Number.isNaN(m)) {
            if (Number.isNaN(v) !== Number.isNaN(m)) diff = Number.POSITIVE_INFINITY;
            else nan++;
          } else diff = Math.max(diff, Math.abs(v - m));
        }
      }
      expect(diff).toBe(0);
      expect(nan).toBeGreaterThan(3 * 900);
      expect(res.validMask.filter((v) => v === 0).length * 3).toBe(nan);
    },
  );

  it.runIf(gdalTests)(
    "compression: 'zstd' writes ZSTD with the floating-point predictor, read back unchanged",
    async () => {
      const path = join(dir, 'zstd.tif');
      const res = await superResolveToFile(scene, path, { engine, compression: 'zstd' });
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
      expect(info.metadata.IMAGE_STRUCTURE).toMatchObject({ COMPRESSION: 'ZSTD', PREDICTOR: '3' });
      const back = await readGeoTiffFile(path);
      for (const [i, band] of back.bands.entries()) {
        const a = Buffer.from(band.buffer, band.byteOffset, band.byteLength);
        const want = res.raster.bands[i] as Float32Array;
        expect(a.equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
      }
    },
  );

  it('accepts { engine: "onnx", config, stateDict } and gives the same file content as an engine instance', async () => {
    const config = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
    const a = await superResolveToFile(scene, join(dir, 'spec.tif'), {
      engine: { engine: 'onnx', config, stateDict: randomStateDict(config, 11), threads: 1 },
      overlap: 0,
    });
    const b = await superResolveToFile(scene, join(dir, 'inst.tif'), { engine, overlap: 0 });
    expect(readFileSync(join(dir, 'spec.tif')).equals(readFileSync(join(dir, 'inst.tif')))).toBe(true);
    expect(a.bytes).toBe(b.bytes);
  });

  it('an aborted run leaves no GeoTIFF and no temp file behind', async () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const path = join(sub, 'never.tif');
    const ac = new AbortController();
    const run = superResolveToFile(scene, path, {
      engine,
      batchSize: 1,
      signal: ac.signal,
      onProgress: (p) => p.stage === 'infer' && p.done >= 1 && ac.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('writes a PNG quicklook next to the GeoTIFF (RGBA: masked pixels transparent)', async () => {
    const path = join(dir, 'ql.tif');
    const png = join(dir, 'ql.png');
    await superResolveToFile(scene, path, { engine, quicklookPath: png });
    const bytes = readFileSync(png);
    expect(Array.from(bytes.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([Math.round(W * 3.12), Math.round(H * 3.12)]);
    expect(bytes[25]).toBe(6); // colour type RGBA: the all-missing block is transparent
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a quicklook path that is the GeoTIFF itself (.., symlinked folder) before any work', async () => {
    const sub = join(dir, 'same');
    mkdirSync(sub);
    symlinkSync(sub, join(dir, 'same-link'));
    let predicted = 0;
    const counting: InferenceEngine = {
      ...engine,
      predict: (input, o) => {
        predicted++;
        return engine.predict(input, o);
      },
    };
    const tif = join(sub, 'sr.tif');
    for (const quicklookPath of [join(sub, '..', 'same', 'sr.tif'), join(dir, 'same-link', 'sr.tif')]) {
      const run = superResolveToFile(scene, tif, { engine: counting, quicklookPath, tiling: 'chips' });
      await expect(run).rejects.toMatchObject({
        code: 'BAD_SCENE_OPTIONS',
        message: expect.stringContaining(`options.quicklookPath ${quicklookPath} is the GeoTIFF path ${tif}`),
      });
    }
    expect(predicted).toBe(0);
    expect(readdirSync(sub)).toEqual([]);
    // the writer alone refuses it too, leaving an existing GeoTIFF as it was
    await superResolveToFile(scene, tif, { engine, quicklookPath: join(sub, 'sr.png') });
    const before = readFileSync(tif);
    const result = await superResolveToFile(scene, join(dir, 'other.tif'), { engine });
    await expect(
      writeSuperResolvedGeoTiff(tif, result, { quicklookPath: join(dir, 'same-link', 'sr.tif') }),
    ).rejects.toMatchObject({ code: 'BAD_SCENE_OPTIONS' });
    expect(readFileSync(tif).equals(before)).toBe(true);
    expect(Array.from(before.subarray(0, 4))).toEqual([0x49, 0x49, 0x2a, 0x00]); // still a TIFF
  });

  it.runIf(gdalTests)('cog: true writes a tiled GeoTIFF with an internal overview', async () => {
    const path = join(dir, 'cog.tif');
    await superResolveToFile(scene, path, { engine, cog: true, overlap: 0 });
    const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
    expect([256, 512]).toContain(info.bands[0].block[0]);
    expect(info.bands[0].block[1]).toBe(info.bands[0].block[0]);
    expect(info.bands[0].overviews).toHaveLength(1);
    expect(info.bands[0].overviews[0].size).toEqual([
      Math.ceil(Math.round(W * 3.12) / 2),
      Math.ceil(Math.round(H * 3.12) / 2),
    ]);
  });
});
