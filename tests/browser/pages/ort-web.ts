// Browser page: a third-party SR model (ONNX + MLM descriptor, both fetched) super-resolves a synthetic scene
// on onnxruntime-web (wasm files from /ort/), through the same whole-scene inference as Node.
import {
  createOnnxWebEngine,
  createWebDescriptorEngine,
  descriptorSceneOptions,
  parseMlmDescriptor,
  superResolve,
} from '@worldstrat/srnet';
import { descriptorScene } from './tiny-descriptor.js';

const g = globalThis as Record<string, unknown>;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

g.srWithDescriptor = async (descriptorUrl: string, w: number, h: number, wasmPaths: string) => {
  try {
    const descriptor = parseMlmDescriptor(await (await fetch(descriptorUrl)).text(), descriptorUrl);
    const onnxUrl = new URL(descriptor.modelHref ?? '', new URL(descriptorUrl, location.href)).href;
    const engine = await createWebDescriptorEngine(descriptor, await fetchBytes(onnxUrl), { wasmPaths });
    const scene = descriptorScene(w, h);
    try {
      const { raster, tiling } = await superResolve(scene, {
        engine,
        ...descriptorSceneOptions(engine, scene),
        overlap: 4,
      });
      return {
        tiling,
        width: raster.width,
        height: raster.height,
        transform: raster.geo?.transform,
        bands: raster.bands.map((b) => Array.from(b)),
      };
    } finally {
      engine.dispose();
    }
  } catch (e) {
    return { error: String((e as Error).message), code: (e as { code?: string }).code };
  }
};

/** srnet's own ONNX engine on ORT web: one predict of a seeded input (shape checks shared with Node). */
g.predictOnnx = async (onnxUrl: string, input: number[], shape: number[], wasmPaths: string) => {
  try {
    const engine = await createOnnxWebEngine(await fetchBytes(onnxUrl), { wasmPaths });
    try {
      const out = await engine.predict({
        data: Float32Array.from(input),
        shape: shape as [number, number, number, number, number],
      });
      const bad = await engine.predict({ data: new Float32Array(3), shape: [1, 1, 3, 1, 1] }).then(
        () => 'accepted',
        (e: { code?: string }) => e.code,
      );
      // an interior tile runs on the zero-padded graph (the engine switches sessions), then an edge tile again
      const tile = {
        data: Float32Array.from(input),
        shape: shape as [number, number, number, number, number],
      };
      const interior = await engine.predictUnresized?.(tile, { interior: true });
      const edge = await engine.predictUnresized?.(tile);
      return {
        shape: out.shape,
        data: Array.from(out.data),
        unresized: !!engine.predictUnresized,
        bad,
        interior: interior ? Array.from(interior.data) : null,
        edge: edge ? Array.from(edge.data) : null,
      };
    } finally {
      engine.dispose();
    }
  } catch (e) {
    return { error: String((e as Error).message), code: (e as { code?: string }).code };
  }
};

g.ready = true;
