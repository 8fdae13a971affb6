// Browser page: srnet forward pass of a .safetensors model on a chosen backend (wasm files from /wasm/).

import {
  type BackendName,
  createTfjsEngine,
  selectBackend,
  stateDictFromSafetensors,
} from '@worldstrat/srnet';
import { TINY_CONFIG, tinyInput, tinyStateDict } from './tiny-model.js';

const g = globalThis as Record<string, unknown>;

g.forward = async (backend: BackendName | 'auto', modelUrl: string, wasmPaths = '/wasm/') => {
  const selection = await selectBackend(backend, { wasmPaths });
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const { stateDict, config, extras } = stateDictFromSafetensors(bytes);
  const input = extras.input as { shape: number[]; data: Float32Array };
  const engine = await createTfjsEngine(config, stateDict);
  const out = await engine.predict({
    data: input.data,
    shape: input.shape as [number, number, number, number, number],
  });
  engine.dispose();
  return { selection, shape: out.shape, data: Array.from(out.data) };
};

g.forwardTiny = async (backend: BackendName) => {
  const selection = await selectBackend(backend);
  const engine = await createTfjsEngine(TINY_CONFIG, tinyStateDict());
  const out = await engine.predict(tinyInput());
  engine.dispose();
  return { selection, shape: out.shape, data: Array.from(out.data) };
};

g.selectOnly = async (backend: BackendName | 'auto', wasmPaths?: string) => {
  try {
    return await selectBackend(backend, wasmPaths === undefined ? {} : { wasmPaths });
  } catch (e) {
    return { error: String((e as Error).message), code: (e as { code?: string }).code };
  }
};

g.ready = true;
