// examples/browser end to end: built with Vite, served on 127.0.0.1, the bundled synthetic sample super-resolved
// in headless Chromium on wasm; the SR output equals the same model run in Node, the downloadable GeoTIFF decodes
// to it, and the registered scores equal Node's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registeredMetrics } from '@worldstrat/metrics';
import { openGeoTiff, readRaster } from '@worldstrat/raster-io';
import { createTfjsEngine, selectBackend, stateDictFromSafetensors } from '@worldstrat/srnet';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticSample } from '../../../examples/browser/src/sample.js';
import { CHROMIUM_ARGS, removeDir, requireChromium, serve } from './support/harness.js';

const exe = requireChromium();
const exampleDir = fileURLToPath(new URL('../../../examples/browser/', import.meta.url));

describe.skipIf(!exe)('examples/browser page', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'worldstrat-browser-'));
  afterAll(() => removeDir(outDir));

  it('super-resolves the sample in Chromium like Node does and offers the SR GeoTIFF', async () => {
    await build({
      root: exampleDir,
      configFile: join(exampleDir, 'vite.config.ts'),
      build: { outDir, emptyOutDir: true },
      logLevel: 'error',
    });
    const server = await serve(outDir);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: exe as string,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${server.url}/index.html`);
      await page.click('#sample');
      await page.selectOption('#backend', 'wasm');
      await page.click('#run');
      await page.waitForFunction(
        () => {
          const g = globalThis as { __worldstrat?: unknown; __worldstratError?: string };
          return g.__worldstrat !== undefined || g.__worldstratError !== undefined;
        },
        undefined,
        { timeout: 90_000 },
      );
      const r = (await page.evaluate(() => {
        const g = globalThis as unknown as {
          __worldstrat?: {
            selection: { backend: string };
            sr: { width: number; height: number; bands: Float32Array[] };
            geotiff: Uint8Array;
            scores?: unknown;
          };
          __worldstratError?: string;
        };
        const w = g.__worldstrat;
        return {
          error: g.__worldstratError,
          backend: w?.selection.backend,
          width: w?.sr.width,
          height: w?.sr.height,
          bands: w?.sr.bands.map((b) => Array.from(b)),
          geotiff: w ? Array.from(w.geotiff) : [],
          scores: w?.scores,
          progress: (document.getElementById('progress') as HTMLProgressElement).value,
          download: (document.getElementById('download') as HTMLAnchorElement).href,
        };
      })) as {
        error?: string;
        backend: string;
        width: number;
        height: number;
        bands: number[][];
        geotiff: number[];
        scores: { psnr: number };
        progress: number;
        download: string;
      };
      expect(r.error).toBeUndefined();
      expect(errors).toEqual([]);
      expect(r.backend).toBe('wasm');
      expect(r.progress).toBe(1);
      expect(r.download).toMatch(/^blob:/);

      // Node: the same sample and model on wasm.
      const sample = syntheticSample();
      await selectBackend('wasm');
      const { stateDict, config } = stateDictFromSafetensors(sample.model);
      const lr = await Promise.all(sample.revisits.map(async (b) => readRaster(await openGeoTiff(b))));
      const n = 16 * 16;
      const data = new Float32Array(4 * 3 * n);
      for (const [i, ras] of lr.entries())
        for (const [c, b] of ras.bands.entries()) data.set(b as Float32Array, (i * 3 + c) * n);
      const engine = await createTfjsEngine(config, stateDict);
      const node = await engine.predict({ data, shape: [1, 4, 3, 16, 16] });
      engine.dispose();
      expect([r.width, r.height]).toEqual([32, 32]);
      const flat = r.bands.flat();
      expect(flat).toHaveLength(node.data.length);
      const maxDiff = flat.reduce((m, v, i) => Math.max(m, Math.abs(v - (node.data[i] as number))), 0);
      expect(maxDiff).toBeLessThanOrEqual(1e-5); // same wasm kernels
      expect(new Set(flat.slice(0, 64)).size).toBeGreaterThan(10); // a real image, not a constant

      const tif = await readRaster(await openGeoTiff(Uint8Array.from(r.geotiff)));
      expect(tif.bands.map((b) => Array.from(b))).toEqual(r.bands);
      expect(tif.geo?.transform).toEqual([500000, 5, 0, 4000000, 0, -5]);

      const hr = await readRaster(await openGeoTiff(sample.hr));
      const target = new Float32Array(3 * 32 * 32);
      hr.bands.forEach((b, k) => {
        target.set(b as Float32Array, k * 32 * 32);
      });
      const want = registeredMetrics(node.data, target, [1, 3, 32, 32])[0] as { psnr: number };
      expect(r.scores.psnr).toBeCloseTo(want.psnr, 4);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
