// srnet's TF.js backends and ONNX Runtime are peer dependencies: when one is not installed, the caller gets a
// typed BACKEND_UNAVAILABLE error naming the package and the install command, never a bare module error.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import {
  createModel,
  createOnnxWebEngine,
  createTfjsEngine,
  createWebDescriptorEngine,
  exportOnnx,
  initStateDict,
  PyTorchAdam,
  parseMlmDescriptor,
  resolveModelConfig,
  SeededRandom,
  type SrnetError,
  selectBackend,
  trainStep,
  WORLDSTRAT_ADAM,
} from '../src/index.js';
import { createOnnxEngine } from '../src/node.js';

// What Node says when a package is absent (the mocks replace the installed ones for this file only).
const { notFound } = vi.hoisted(() => ({
  notFound: (pkg: string) => () => {
    throw Object.assign(new Error(`Cannot find package '${pkg}' imported from srnet`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
  },
}));
vi.mock('@tensorflow/tfjs-backend-cpu', notFound('@tensorflow/tfjs-backend-cpu'));
vi.mock('onnxruntime-node', notFound('onnxruntime-node'));
vi.mock('onnxruntime-web/wasm', notFound('onnxruntime-web'));

const small = resolveModelConfig({
  kind: 'srcnn',
  revisits: 2,
  inChannels: 3,
  hiddenChannels: 4,
  outputSize: [8, 8],
});

describe('missing peer dependencies', () => {
  it('a TF.js engine created before any backend is chosen selects wasm itself (tfjs-core alone has none)', async () => {
    expect(tf.engine().backendNames()).toEqual([]);
    const engine = await createTfjsEngine(small, initStateDict(small));
    expect(engine.backend?.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const out = await engine.predict({
      data: new Float32Array(2 * 3 * 4 * 4).fill(0.1),
      shape: [1, 2, 3, 4, 4],
    });
    expect(out.shape).toEqual([1, 1, 3, 8, 8]);
    expect(out.data.every(Number.isFinite)).toBe(true);
    engine.dispose();
  });

  it('trains without the @tensorflow/tfjs umbrella: srnet registers the gradients itself', async () => {
    await selectBackend('wasm');
    const model = createModel({ ...small, outputSize: [16, 16] }, { seed: 0 }); // the loss needs ≥ 13×13
    const vars = model.trainableVariables();
    const adam = new PyTorchAdam(vars, WORLDSTRAT_ADAM);
    const lr = {
      data: new Float32Array(2 * 3 * 4 * 4).fill(0.2),
      shape: [1, 2, 3, 4, 4] as [number, number, number, number, number],
    };
    const hr = {
      data: new Float32Array(3 * 16 * 16).fill(0.3),
      shape: [1, 3, 16, 16] as [number, number, number, number],
    };
    const before = vars[0]?.dataSync().slice();
    const loss = await trainStep(model, adam, vars, { lr, hr }, new SeededRandom(0), 1e-3, 'worldstrat');
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(Array.from(vars[0]?.dataSync() ?? [])).not.toEqual(Array.from(before ?? []));
    model.dispose();
  });

  it('cpu: BACKEND_UNAVAILABLE naming @tensorflow/tfjs-backend-cpu and how to install it', async () => {
    const err = (await selectBackend('cpu').catch((e) => e)) as SrnetError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain('@tensorflow/tfjs-backend-cpu is not installed');
    expect(err.message).toContain('npm install @tensorflow/tfjs-backend-cpu@4.22.0');
  });

  it('webgpu: the attempt says how to install the optional webgpu package', async () => {
    const load = async (s: string) => notFound(s)();
    const err = (await selectBackend('webgpu', { importModule: load }).catch((e) => e)) as SrnetError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    // A browser-like navigator.gpu would skip the package; Node has none.
    expect(err.message).toContain('npm install webgpu@0.6.2');
  });

  it('onnx: BACKEND_UNAVAILABLE with the install command that skips the CUDA download', async () => {
    const err = (await createOnnxEngine({ config: small, stateDict: initStateDict(small) }).catch(
      (e) => e,
    )) as SrnetError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0');
  });

  it('onnxruntime-web: BACKEND_UNAVAILABLE with the install command, for the ONNX and descriptor web engines', async () => {
    const onnx = exportOnnx(small, initStateDict(small));
    const err = (await createOnnxWebEngine(onnx, { wasmPaths: '/ort/' }).catch((e) => e)) as SrnetError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain('onnxruntime-web could not be loaded');
    expect(err.message).toContain('npm install onnxruntime-web@1.30.0');
    const descriptor = parseMlmDescriptor(
      {
        properties: {
          'mlm:name': 'srnet-srcnn',
          'mlm:input': [
            {
              name: 'lr',
              bands: ['B02', 'B03', 'B04'],
              input: {
                shape: [-1, 2, 3, 4, 4],
                dim_order: ['batch', 'time', 'bands', 'height', 'width'],
                data_type: 'float32',
              },
              value_scaling: [{ type: 'scale', value: 10000 }],
            },
          ],
          'mlm:output': [
            {
              name: 'sr',
              result: {
                shape: [-1, 1, 3, 8, 8],
                dim_order: ['batch', 'time', 'channel', 'height', 'width'],
                data_type: 'float32',
              },
            },
          ],
        },
      },
      'srcnn.json',
    );
    const viaDescriptor = (await createWebDescriptorEngine(descriptor, onnx).catch((e) => e)) as SrnetError;
    expect(viaDescriptor.code).toBe('BACKEND_UNAVAILABLE');
    expect(viaDescriptor.message).toContain('onnxruntime-web could not be loaded');
  });

  it('onnxruntime-web options are checked before loading: malformed wasmPaths or numThreads', async () => {
    const onnx = exportOnnx(small, initStateDict(small));
    await expect(createOnnxWebEngine(onnx, { wasmPaths: '/ort' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining("wasmPaths must be a URL prefix ending in '/'"),
    });
    await expect(createOnnxWebEngine(onnx, { numThreads: 0 })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('numThreads must be an integer in 1..64, got 0'),
    });
  });
});
