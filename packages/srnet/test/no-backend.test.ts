// Before any TF.js backend is registered (tfjs-core alone has none, and this file imports no backend package), the
// synchronous entry points that make tensors say what to do instead of TF.js's bare "No backend found in registry".
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  initStateDict,
  loadModel,
  modelFromStateDict,
  resolveModelConfig,
  SrnetError,
  saveModel,
  selectBackend,
} from '../src/index.js';

const small = resolveModelConfig({
  kind: 'srcnn',
  revisits: 2,
  inChannels: 3,
  hiddenChannels: 4,
  outputSize: [8, 8],
});

const thrown = (f: () => unknown): SrnetError => {
  try {
    f();
  } catch (e) {
    if (e instanceof SrnetError) return e;
    throw e;
  }
  throw new Error('expected an SrnetError');
};

describe('no TF.js backend registered yet', () => {
  it('createModel and modelFromStateDict are BACKEND_UNAVAILABLE naming selectBackend; after it they work', async () => {
    expect(tf.engine().backendNames()).toEqual([]); // otherwise this file tests nothing
    for (const [fn, call] of [
      ['createModel', () => createModel(small, { seed: 1 })],
      ['modelFromStateDict', () => modelFromStateDict(small, initStateDict(small, { seed: 1 }))],
    ] as const) {
      const err = thrown(call);
      expect(err.code).toBe('BACKEND_UNAVAILABLE');
      expect(err.message).toBe(
        `${fn}: no TF.js backend is registered yet; call \`await selectBackend('auto')\` (or name one: 'wasm', 'cpu', 'webgpu', …) first`,
      );
    }
    // argument errors still come first
    expect(thrown(() => createModel({ kind: 'nope' as never })).code).toBe('BAD_CONFIG');
    await selectBackend('cpu');
    const model = createModel(small, { seed: 1 });
    expect(model.config.kind).toBe('srcnn');
    // loadModel checks too, once the artifacts are read: save with cpu, then unregister it and load
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveModel(
      model,
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    tf.removeBackend('cpu');
    expect(tf.engine().backendNames()).toEqual([]);
    const err = await loadModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts)).catch((e: unknown) => e);
    expect((err as SrnetError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as SrnetError).message).toMatch(/^loadModel: no TF\.js backend is registered yet/);
    // selecting the unregistered backend again (its package stays imported, so it cannot register anew)
    const again = await selectBackend('cpu').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SrnetError);
    expect((again as SrnetError).code).toBe('BACKEND_UNAVAILABLE');
    expect((again as SrnetError).message).toBe(
      'backend cpu is not usable: cpu: unavailable: no "cpu" backend is registered',
    );
    await selectBackend('wasm');
    const loaded = await loadModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    expect(loaded.config).toEqual(model.config);
    loaded.dispose();
  });
});
