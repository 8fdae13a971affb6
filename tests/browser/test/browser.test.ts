// raster-io, metrics and srnet bundled by esbuild and run in headless Chromium: results equal Node's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registeredMetrics } from '@worldstrat/metrics';
import { encodeGeoTiff, openGeoTiff, readRaster } from '@worldstrat/raster-io';
import { createTfjsEngine, selectBackend, stateDictFromSafetensors } from '@worldstrat/srnet';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_CONFIG, tinyInput, tinyStateDict } from '../pages/tiny-model.js';
import { bundlePages, openPage, removeDir, requireChromium, serve, sharedDir } from './support/harness.js';

const exe = requireChromium();
const MODEL = 'srcnn-r1.safetensors';

describe.skipIf(!exe)('in headless Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const modelBytes = new Uint8Array(readFileSync(join(sharedDir, 'fixtures', 'parity', MODEL)));

  beforeAll(async () => {
    dir = await bundlePages(['libs.ts', 'srnet.ts']);
    server = await serve(dir, { [`/fixtures/${MODEL}`]: modelBytes });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) removeDir(dir);
  });

  describe('raster-io and metrics', () => {
    beforeAll(async () => {
      ({ browser, page, errors } = await openPage(exe as string, server.url, 'libs'));
    });
    afterAll(() => browser.close());

    it('GeoTIFF: the browser decodes what Node encodes and Node + GDAL read what the browser encodes', async () => {
      const w = 37;
      const h = 29;
      const source = [0, 1].map((b) =>
        Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 0.01 + b) * 1000),
      );
      const fromNode = encodeGeoTiff(
        {
          width: w,
          height: h,
          dtype: 'float32',
          bands: source,
          noData: -9999,
          geo: { epsg: 32633, transform: [500000, 10, 0, 4000000, 0, -10] },
        },
        { compression: 'deflate', predictor: true },
      );
      const r = (await page.evaluate(
        (bytes) =>
          (globalThis as unknown as { geotiffRoundTrip(b: number[]): unknown }).geotiffRoundTrip(bytes),
        Array.from(fromNode),
      )) as {
        encoded: number[];
        ownDecoded: { width: number; height: number; bands: number[][] };
        nodeDecoded: { width: number; height: number; bands: number[][] };
      };
      const want = source.map((b) => Array.from(b));
      expect(r.nodeDecoded).toEqual({ width: w, height: h, bands: want });
      expect(r.ownDecoded.bands).toEqual(want);
      const fromBrowser = Uint8Array.from(r.encoded);
      const back = await readRaster(await openGeoTiff(fromBrowser));
      expect(back.bands.map((b) => Array.from(b))).toEqual(want);
      // GDAL reads the browser's file to the same values.
      const tmp = mkdtempSync(join(tmpdir(), 'worldstrat-browser-'));
      try {
        writeFileSync(join(tmp, 'b.tif'), fromBrowser);
        const py = `from osgeo import gdal; import json,sys; d=gdal.Open(sys.argv[1]); print(json.dumps([d.GetRasterBand(i+1).ReadAsArray().ravel().tolist() for i in range(d.RasterCount)]+[d.GetGeoTransform(), d.GetRasterBand(1).GetNoDataValue()]))`;
        const out = JSON.parse(
          execFileSync('/usr/bin/python3', ['-c', py, join(tmp, 'b.tif')], { encoding: 'utf8' }),
        );
        expect(out.slice(0, 2)).toEqual(want);
        expect(out[2]).toEqual([500000, 10, 0, 4000000, 0, -10]);
        expect(out[3]).toBe(-9999);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      expect(errors).toEqual([]);
    });

    it('pixel-interleaved 4-band uint16 and 3-band uint8 GeoTIFFs (deflate + predictor 2) decode in the browser (the WebAssembly split of pixel-interleaved blocks)', async () => {
      const w = 83;
      const h = 37;
      for (const [dtype, n, max] of [
        ['uint16', 4, 65536],
        ['uint8', 3, 256],
      ] as const) {
        const bands = Array.from({ length: n }, (_, b) => {
          const values = Array.from({ length: w * h }, (_, i) => (i * (131 + 17 * b) + b * 7919) % max);
          return dtype === 'uint16' ? Uint16Array.from(values) : Uint8Array.from(values);
        });
        const bytes = encodeGeoTiff(
          { width: w, height: h, dtype, bands },
          { compression: 'deflate', predictor: true, interleave: 'pixel', tiled: true, tileSize: 256 },
        );
        const r = (await page.evaluate(
          (b) => (globalThis as unknown as { decodeTiff(b: number[]): unknown }).decodeTiff(b),
          Array.from(bytes),
        )) as { width: number; height: number; bands: number[][] };
        expect([r.width, r.height]).toEqual([w, h]);
        expect(r.bands).toEqual(bands.map((b) => Array.from(b)));
      }
      expect(errors).toEqual([]);
    });

    it("a JPEG (YCbCr) GeoTIFF written by GDAL decodes in the browser to GDAL's pixels", async () => {
      const w = 70;
      const h = 45;
      const bands = [0, 1, 2].map((b) =>
        Uint8Array.from({ length: w * h }, (_, i) => (((i % w) * 3 + Math.floor(i / w) * (b + 2)) * 7) % 256),
      );
      const tmp = mkdtempSync(join(tmpdir(), 'worldstrat-browser-jpeg-'));
      try {
        writeFileSync(join(tmp, 'src.tif'), encodeGeoTiff({ width: w, height: h, dtype: 'uint8', bands }));
        execFileSync('gdal_translate', [
          '-q',
          ...['-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=YCBCR', '-co', 'TILED=YES'],
          ...['-co', 'BLOCKXSIZE=32', '-co', 'BLOCKYSIZE=32', join(tmp, 'src.tif'), join(tmp, 'jpeg.tif')],
        ]);
        const py = `from osgeo import gdal; import json,sys; d=gdal.Open(sys.argv[1]); print(json.dumps([d.GetRasterBand(i+1).ReadAsArray().ravel().tolist() for i in range(d.RasterCount)]))`;
        const gdal = JSON.parse(
          execFileSync('/usr/bin/python3', ['-c', py, join(tmp, 'jpeg.tif')], { encoding: 'utf8' }),
        ) as number[][];
        const r = (await page.evaluate(
          (bytes) => (globalThis as unknown as { decodeTiff(b: number[]): unknown }).decodeTiff(bytes),
          Array.from(readFileSync(join(tmp, 'jpeg.tif'))),
        )) as { width: number; height: number; bands: number[][] };
        expect([r.width, r.height]).toEqual([w, h]);
        expect(r.bands).toEqual(gdal);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      expect(errors).toEqual([]);
    });

    it("a LERC_DEFLATE GeoTIFF (uint16, 2 bands, tiles) written by GDAL decodes in the browser to GDAL's pixels", async () => {
      const w = 61;
      const h = 40;
      const bands = [0, 1].map((b) =>
        Uint16Array.from({ length: w * h }, (_, i) => (i * (37 + b * 11)) % 4099),
      );
      const tmp = mkdtempSync(join(tmpdir(), 'worldstrat-browser-lerc-'));
      try {
        writeFileSync(join(tmp, 'src.tif'), encodeGeoTiff({ width: w, height: h, dtype: 'uint16', bands }));
        execFileSync('gdal_translate', [
          '-q',
          ...[
            '-co',
            'COMPRESS=LERC_DEFLATE',
            '-co',
            'TILED=YES',
            '-co',
            'BLOCKXSIZE=32',
            '-co',
            'BLOCKYSIZE=32',
          ],
          ...[join(tmp, 'src.tif'), join(tmp, 'lerc.tif')],
        ]);
        const r = (await page.evaluate(
          (bytes) => (globalThis as unknown as { decodeTiff(b: number[]): unknown }).decodeTiff(bytes),
          Array.from(readFileSync(join(tmp, 'lerc.tif'))),
        )) as { width: number; height: number; bands: number[][] };
        expect([r.width, r.height]).toEqual([w, h]);
        expect(r.bands).toEqual(bands.map((b) => Array.from(b)));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      expect(errors).toEqual([]);
    });

    it('registered metrics in the browser equal Node bit for bit', async () => {
      const shape = [2, 3, 32, 32];
      const n = shape.reduce((a, b) => a * b, 1);
      const target = Array.from({ length: n }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.013));
      const pred = target.map((v, i) => v + 0.05 * Math.cos(i * 0.7));
      const inBrowser = await page.evaluate(
        ([p, t, s]) => (globalThis as unknown as { metrics(...a: unknown[]): unknown }).metrics(p, t, s),
        [pred, target, shape] as const,
      );
      const inNode = registeredMetrics(Float32Array.from(pred), Float32Array.from(target), shape, {
        mode: 'centered',
      });
      expect(inBrowser).toEqual(JSON.parse(JSON.stringify(inNode)));
      expect((inNode[0] as { psnr: number }).psnr).toBeGreaterThan(20);
    });
  });

  describe('srnet', () => {
    let node: { shape: number[]; data: Float32Array };
    beforeAll(async () => {
      ({ browser, page, errors } = await openPage(exe as string, server.url, 'srnet'));
      await selectBackend('wasm');
      const { stateDict, config, extras } = stateDictFromSafetensors(modelBytes);
      const input = extras.input as { shape: number[]; data: Float32Array };
      const engine = await createTfjsEngine(config, stateDict);
      node = await engine.predict({
        data: input.data,
        shape: input.shape as [number, number, number, number, number],
      });
      engine.dispose();
    });
    afterAll(() => browser.close());

    const forward = (backend: string, wasmPaths?: string) =>
      page.evaluate(
        ([b, m, w]) => (globalThis as unknown as { forward(...a: unknown[]): unknown }).forward(b, m, w),
        [backend, `/fixtures/${MODEL}`, wasmPaths ?? '/wasm/'] as const,
      ) as Promise<{ selection: { backend: string; reason: string }; shape: number[]; data: number[] }>;

    // wasm runs the same kernels as Node's wasm: 1e-5 absolute. WebGL (SwiftShader here) computes in float32
    // shaders with another summation order: 1e-4 + 1e-4·|x|.
    it.each([
      ['wasm', 1e-5, 0],
      ['webgl', 1e-4, 1e-4],
    ] as const)('forward on %s equals Node (wasm) within %s + %s|x|', async (backend, abs, rel) => {
      const r = await forward(backend);
      expect(r.selection.backend).toBe(backend);
      expect(r.selection.reason).not.toContain('Node');
      expect(r.shape).toEqual(node.shape);
      let worst = 0;
      r.data.forEach((v, i) => {
        const want = node.data[i] as number;
        worst = Math.max(worst, Math.abs(v - want) - (abs + rel * Math.abs(want)));
      });
      expect(worst).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    });

    it('auto tries no Node-only backend and never lands on cpu silently', async () => {
      const sel = (await page.evaluate(() =>
        (globalThis as unknown as { selectOnly(b: string): unknown }).selectOnly('auto'),
      )) as { backend: string; attempts: { backend: string; reason: string }[]; warning?: string };
      expect(sel.attempts.map((a) => a.backend)).not.toContain('tfjs-node-gpu');
      if (sel.backend === 'cpu') expect(sel.warning).toMatch(/fell back/);
      for (const a of sel.attempts) expect(a.reason).not.toMatch(/in Node|npm install webgpu/);
    });
  });
});

describe.skipIf(!exe)('wasm start failure in Chromium', () => {
  it('names the URL that was not found', async () => {
    const dir = await bundlePages(['srnet.ts']);
    const server = await serve(dir);
    const { browser, page } = await openPage(exe as string, server.url, 'srnet');
    try {
      const r = (await page.evaluate(() =>
        (globalThis as unknown as { selectOnly(b: string, w: string): unknown }).selectOnly(
          'wasm',
          '/missing-wasm/',
        ),
      )) as { error: string; code: string };
      expect(r.code).toBe('BACKEND_UNAVAILABLE');
      expect(r.error).toMatch(
        /not loadable: http:\/\/127\.0\.0\.1:\d+\/missing-wasm\/tfjs-backend-wasm[-a-z]*\.wasm → HTTP 404/,
      );
      expect(r.error).not.toContain('setBackend returned false');
      console.log('wasm 404 reported as:', r.error);
    } finally {
      await browser.close();
      await server.close();
      removeDir(dir);
    }
  });
});

// Chromium exposes WebGPU on its SwiftShader adapter with --enable-unsafe-webgpu (pages on 127.0.0.1 are secure
// contexts). When this Chromium offers no adapter the test skips with the reason.
describe.skipIf(!exe)('webgpu in Chromium', () => {
  // A tiny model: SwiftShader's WebGPU is far slower than lavapipe (the fixtures run on webgpu in srnet's tests).
  it('a tiny SRCNN on webgpu equals Node (wasm) within 1e-4 + 1e-4|x|', async (ctx) => {
    const dir = await bundlePages(['srnet.ts']);
    const server = await serve(dir);
    const { browser, page, errors } = await openPage(exe as string, server.url, 'srnet', [
      '--enable-unsafe-webgpu',
    ]);
    try {
      const sel = (await page.evaluate(() =>
        (globalThis as unknown as { selectOnly(b: string): unknown }).selectOnly('webgpu'),
      )) as { backend?: string; error?: string };
      if (sel.error) {
        console.warn(`skipping webgpu in Chromium: ${sel.error}`);
        ctx.skip();
      }
      const r = (await page.evaluate(() =>
        (globalThis as unknown as { forwardTiny(b: string): unknown }).forwardTiny('webgpu'),
      )) as { selection: { backend: string }; data: number[] };
      expect(r.selection.backend).toBe('webgpu');
      await selectBackend('wasm');
      const engine = await createTfjsEngine(TINY_CONFIG, tinyStateDict());
      const node = await engine.predict(tinyInput());
      engine.dispose();
      expect(r.data).toHaveLength(node.data.length);
      let worst = 0;
      r.data.forEach((v, i) => {
        const want = node.data[i] as number;
        worst = Math.max(worst, Math.abs(v - want) - (1e-4 + 1e-4 * Math.abs(want)));
      });
      expect(worst).toBeLessThanOrEqual(0);
      expect(new Set(r.data).size).toBeGreaterThan(10);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
      removeDir(dir);
    }
  });
});
