// Third-party SR models in the browser: an MLM descriptor + ONNX file written here, run by srnet's whole-scene
// inference on onnxruntime-web (wasm) in headless Chromium, equal the same descriptor engine on
// onnxruntime-node; and srnet's own ONNX engine on ORT web equals Node's.
import { exportOnnx, initStateDict, parseMlmDescriptor, superResolve } from '@worldstrat/srnet';
import { createDescriptorEngine, createOnnxEngine, descriptorSceneOptions } from '@worldstrat/srnet/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DESCRIPTOR_CONFIG,
  DESCRIPTOR_SCALES,
  descriptorScene,
  tinyDescriptorItem,
} from '../pages/tiny-descriptor.js';
import { bundlePages, openPage, removeDir, requireChromium, serve } from './support/harness.js';

const exe = requireChromium();
const W = 40;
const H = 40;

function worstDiff(got: readonly number[], want: Float32Array): number {
  expect(got).toHaveLength(want.length);
  let worst = 0;
  got.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - (want[i] as number)));
  });
  return worst;
}

describe.skipIf(!exe)('ONNX Runtime Web in headless Chromium', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const onnx = exportOnnx(DESCRIPTOR_CONFIG, initStateDict(DESCRIPTOR_CONFIG, { seed: 7 }));
  const item = tinyDescriptorItem('./tiny-srcnn-x3.onnx');

  beforeAll(async () => {
    dir = await bundlePages(['ort-web.ts']);
    server = await serve(dir, {
      '/fixtures/tiny-srcnn-x3.onnx': onnx,
      '/fixtures/tiny-srcnn-x3.json': new TextEncoder().encode(JSON.stringify(item)),
    });
    ({ browser, page, errors } = await openPage(exe as string, server.url, 'ort-web'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) removeDir(dir);
  });

  it('a described model super-resolves a scene in the browser like onnxruntime-node (1e-4 in model units)', async () => {
    const r = (await page.evaluate(
      ([u, w, h, p]) =>
        (globalThis as unknown as { srWithDescriptor(...a: unknown[]): unknown }).srWithDescriptor(
          u,
          w,
          h,
          p,
        ),
      ['/fixtures/tiny-srcnn-x3.json', W, H, '/ort/'] as const,
    )) as {
      error?: string;
      tiling: string;
      width: number;
      height: number;
      transform: number[];
      bands: number[][];
    };
    expect(r.error).toBeUndefined();
    const descriptor = parseMlmDescriptor(item, 'tiny-srcnn-x3.json');
    const engine = await createDescriptorEngine(descriptor, onnx, { intraOpNumThreads: 1 });
    const scene = descriptorScene(W, H);
    const node = await superResolve(scene, { engine, ...descriptorSceneOptions(engine, scene), overlap: 4 });
    engine.dispose();
    expect([r.width, r.height, r.bands.length, r.tiling]).toEqual([120, 120, 4, 'chips']);
    expect(r.transform).toEqual(node.raster.geo?.transform);
    for (let b = 0; b < 4; b++) {
      const want = node.raster.bands[b] as Float32Array;
      // Outputs are in DN (model output · scale + offset), where float32 spacing alone is ~1e-4: compare the
      // difference in model units.
      const modelUnits = worstDiff(r.bands[b] as number[], want) / (DESCRIPTOR_SCALES[b] as number);
      expect(modelUnits, `band ${b}`).toBeLessThanOrEqual(1e-4);
      // Real output in input units (DN), not zeros or model units.
      expect(new Set(r.bands[b]).size).toBeGreaterThan(1000);
      expect(Math.max(...(r.bands[b] as number[]).map(Math.abs))).toBeGreaterThan(50);
    }
    expect(errors).toEqual([]);
  });

  it("srnet's ONNX engine on ORT web equals onnxruntime-node and rejects an input of another band count with BAD_BANDS, as the TF.js engine does", async () => {
    const input = Array.from({ length: 2 * 4 * 16 * 16 }, (_, i) => 0.3 * Math.sin(i * 0.17));
    const shape = [2, 1, 4, 16, 16];
    const r = (await page.evaluate(
      ([u, i, s, p]) =>
        (globalThis as unknown as { predictOnnx(...a: unknown[]): unknown }).predictOnnx(u, i, s, p),
      ['/fixtures/tiny-srcnn-x3.onnx', input, shape, '/ort/'] as const,
    )) as {
      error?: string;
      shape: number[];
      data: number[];
      unresized: boolean;
      bad: string;
      interior: number[] | null;
      edge: number[] | null;
    };
    expect(r.error).toBeUndefined();
    const engine = await createOnnxEngine(onnx, { intraOpNumThreads: 1 });
    const tile = { data: Float32Array.from(input), shape: shape as [number, number, number, number, number] };
    const node = await engine.predict(tile);
    const nodeInterior = await engine.predictUnresized?.(tile, { interior: true });
    const nodeEdge = await engine.predictUnresized?.(tile);
    engine.dispose();
    // the zero-padded graph for interior tiles runs in the browser too, and equals Node's; it differs from the
    // graph as exported only at the tile border (the engine switched sessions and back)
    if (!r.interior || !r.edge || !nodeInterior || !nodeEdge) throw new Error('no unresized output');
    expect(worstDiff(r.interior, nodeInterior.data)).toBeLessThanOrEqual(1e-4);
    expect(worstDiff(r.edge, nodeEdge.data)).toBeLessThanOrEqual(1e-4);
    expect(worstDiff(r.interior, Float32Array.from(r.edge))).toBeGreaterThan(1e-3);
    expect(r.shape).toEqual([2, 1, 4, 48, 48]);
    expect(r.shape).toEqual(node.shape);
    expect(worstDiff(r.data, node.data)).toBeLessThanOrEqual(1e-4);
    expect(new Set(r.data).size).toBeGreaterThan(1000);
    expect(r.unresized).toBe(true);
    expect(r.bad).toBe('BAD_BANDS');
    expect(errors).toEqual([]);
  });

  it('names the wasm URL prefix when the ORT wasm files are not served there (typed error, no hang)', async () => {
    // A fresh page: ORT reads wasmPaths once, when its first session starts.
    const second = await openPage(exe as string, server.url, 'ort-web');
    try {
      const r = (await second.page.evaluate(
        ([u, w, h, p]) =>
          (globalThis as unknown as { srWithDescriptor(...a: unknown[]): unknown }).srWithDescriptor(
            u,
            w,
            h,
            p,
          ),
        ['/fixtures/tiny-srcnn-x3.json', W, H, '/missing-ort/'] as const,
      )) as { error?: string; code?: string };
      console.log('ORT web with missing wasm files reported as:', r.error);
      expect(r.code).toBe('BACKEND_UNAVAILABLE');
      expect(r.error).toContain('/missing-ort/');
    } finally {
      await second.browser.close();
    }
  });
});
