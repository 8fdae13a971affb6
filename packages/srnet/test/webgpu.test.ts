// The WebGPU path (the WGSL kernels a real GPU runs) on a Dawn adapter: in CI Mesa lavapipe, a software Vulkan
// device. PyTorch forward parity, every parameter gradient of the gradient-check fixture, training tracking wasm
// with checkpoints resumed across backends, no tensor leak and no synchronous read. Configs are tiny: lavapipe
// is slow. Under CI a missing adapter fails (test/support/require-webgpu.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointSink, TrainBatch } from '../src/index.js';
import {
  createModel,
  createTfjsEngine,
  decodeCheckpoint,
  modelFromStateDict,
  SeededRandom,
  selectBackend,
  stateDictFromSafetensors,
  train,
} from '../src/index.js';
import { disposeLossKernels } from '../src/losses/registered-loss.js';
import { toNhwcRevisits } from '../src/tfjs-engine.js';
import { compareClose, fixtureBytes } from './support/fixtures.js';
import { requireWebgpu } from './support/require-webgpu.js';
import { syntheticBatch } from './support/synthetic.js';

const gpu = await requireWebgpu();

/** Counts synchronous reads (Tensor.dataSync/arraySync and the backend's readSync) while installed. */
function syncReadSpy() {
  const calls: string[] = [];
  const restore: Array<() => void> = [];
  const wrap = (obj: Record<string, unknown>, key: string, label: string) => {
    const orig = obj[key] as (...a: unknown[]) => unknown;
    obj[key] = function (this: unknown, ...a: unknown[]) {
      calls.push(label);
      return orig.apply(this, a);
    };
    restore.push(() => {
      obj[key] = orig;
    });
  };
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  wrap(proto, 'dataSync', 'Tensor.dataSync');
  wrap(proto, 'arraySync', 'Tensor.arraySync');
  wrap(tf.engine() as unknown as Record<string, unknown>, 'readSync', 'engine.readSync');
  return {
    calls,
    restore: () => {
      for (const r of restore.reverse()) r();
    },
  };
}

/** The first `n` samples (leading axis) of a fixture tensor; all of it when `n` is undefined. */
function firstSamples(t: { shape: number[]; data: Float32Array }, n: number | undefined) {
  if (n === undefined) return t;
  const per = t.data.length / (t.shape[0] as number);
  return { shape: [n, ...t.shape.slice(1)], data: t.data.subarray(0, n * per) };
}

const WEBGPU = 'webgpu backend (software adapter in CI) [slow: TF.js WebGPU kernels on a software adapter]';
describe.skipIf(!gpu)(WEBGPU, () => {
  let spy: ReturnType<typeof syncReadSpy>;
  beforeEach(() => {
    spy = syncReadSpy();
  });
  afterEach(() => {
    spy.restore();
    expect(spy.calls, 'synchronous reads').toEqual([]);
  });
  afterAll(() => tf.disposeVariables());

  it('reports the adapter it runs on; the sync-read spy catches a dataSync', () => {
    const t = tf.tensor1d([1, 2]);
    t.dataSync();
    t.dispose();
    expect(spy.calls).toContain('Tensor.dataSync');
    spy.calls.length = 0;
    expect(gpu?.backend).toBe('webgpu');
    expect(gpu?.reason).toMatch(/adapter: .+; reads must be async/);
  });

  // The same tolerance as the cpu/wasm parity tests: |ours − torch| ≤ 1e-4 + 1e-5·|torch|.
  it.each(['srcnn-r1', 'srcnn-r8', 'highresnet-r8'])(
    '%s matches PyTorch within 1e-4 + 1e-5|x| without leaking tensors',
    async (name) => {
      await selectBackend('webgpu', { acceptSoftwareGpu: true });
      const { stateDict, config, extras } = stateDictFromSafetensors(fixtureBytes(`${name}.safetensors`));
      // HighRes-net on lavapipe is slow: its check uses the first sample of the batch (samples are independent).
      const samples = name === 'highresnet-r8' ? 1 : undefined;
      const input = firstSamples(extras.input as { shape: number[]; data: Float32Array }, samples);
      const expected = firstSamples(extras.output as { shape: number[]; data: Float32Array }, samples);
      const engine = await createTfjsEngine(config, stateDict);
      const before = tf.memory().numTensors;
      const out = await engine.predict({
        data: input.data,
        shape: input.shape as [number, number, number, number, number],
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.getBackend()).toBe('webgpu');
      expect(out.shape).toEqual(expected.shape);
      const { worst, maxAbs } = compareClose(out.data, expected.data, 1e-4, 1e-5);
      expect(maxAbs).toBeGreaterThan(0); // computed, not copied
      expect(worst).toBeLessThanOrEqual(0);
      engine.dispose();
    },
    300_000,
  );

  it('every parameter gradient of the PyTorch gradient-check fixture matches (≤ 1e-4 of its max)', async () => {
    await selectBackend('webgpu', { acceptSoftwareGpu: true });
    const bytes = new Uint8Array(
      readFileSync(fileURLToPath(new URL('./fixtures/gradcheck-highresnet.safetensors', import.meta.url))),
    );
    const { stateDict, config, extras } = stateDictFromSafetensors(bytes, {
      config: { outputSize: [14, 14], dropout: 0 },
    });
    const model = modelFromStateDict(config, stateDict);
    const inp = extras.input as { shape: number[]; data: Float32Array };
    const tgt = extras.target as { shape: number[]; data: Float32Array };
    const x = toNhwcRevisits(inp.data, inp.shape);
    const y = tf.transpose(
      tf.tensor4d(tgt.data, tgt.shape as [number, number, number, number]),
      [0, 2, 3, 1],
    );
    const before = tf.memory().numTensors;
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.square(tf.sub(model.forward(x, { training: true, rng: new SeededRandom(0) }), y)),
        ) as tf.Scalar,
      vars,
    );
    const wantLoss = (extras.loss?.data as Float32Array)[0] as number;
    expect(Math.abs(((await value.data())[0] as number) - wantLoss)).toBeLessThan(1e-5 * Math.abs(wantLoss));
    const used = model.specs.filter((s) => s.used);
    expect(used.length).toBe(vars.length);
    expect(used.length).toBeGreaterThan(10);
    for (let i = 0; i < used.length; i++) {
      const s = used[i]!;
      const g = grads[vars[i]!.name]!;
      const t = s.kind === 'conv' ? tf.transpose(g, [3, 2, 0, 1]) : g;
      const got = (await t.data()) as Float32Array;
      if (t !== g) t.dispose();
      const want = extras[`grad.${s.key}`]?.data as Float32Array;
      expect(got.length, s.key).toBe(want.length);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = got.reduce((m, v, k) => Math.max(m, Math.abs(v - (want[k] as number))), 0);
      expect(diff, s.key).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  }, 300_000);

  // Training tolerance: float32 kernels on two backends round differently and Adam divides by √v, so tiny
  // gradients amplify the difference; after 4 Adam steps (lr 3e-3) losses agree to 1e-4 relative and every weight
  // to 1e-3 of that parameter's largest magnitude (+1e-6).
  describe('training tracks wasm from the same seed; checkpoints resume across backends', () => {
    const TASK = { b: 2, r: 2, c: 3, lr: 8, noise: 0.2 };
    const CFG = {
      kind: 'srcnn' as const,
      revisits: 2,
      inChannels: 3,
      outChannels: 3,
      hiddenChannels: 4,
      outputSize: [16, 16] as [number, number],
    };
    const data = (e: number): TrainBatch[] => [0, 1].map((i) => syntheticBatch(40 * e + i, TASK));
    const opts = { train: data, epochs: 2, optimizer: { lr: 3e-3 }, seed: 7, mode: 'centered' } as const;
    const LOSS_REL = 1e-4;
    const WEIGHT_REL = 1e-3;

    const run = async (backend: 'wasm' | 'webgpu', extra: Partial<Parameters<typeof train>[1]> = {}) => {
      await selectBackend(backend, { acceptSoftwareGpu: true });
      disposeLossKernels();
      const before = tf.memory().numTensors;
      const model = createModel(CFG, { seed: 11 });
      const r = await train(model, { ...opts, ...extra });
      const weights = await Promise.all(
        model.trainableVariables().map(async (v) => (await v.data()) as Float32Array),
      );
      model.dispose();
      disposeLossKernels(); // the registered loss caches its shift kernels per backend
      expect(tf.memory().numTensors, `${backend} tensors after training`).toBe(before);
      return { losses: r.losses.map((l) => l.loss), steps: r.losses.map((l) => l.step), weights };
    };
    const expectClose = (a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>) => {
      expect(a.steps).toEqual(b.steps);
      a.losses.forEach((l, i) => {
        expect(Math.abs(l - (b.losses[i] as number))).toBeLessThanOrEqual(
          LOSS_REL * Math.abs(b.losses[i] as number),
        );
      });
      expect(a.weights).toHaveLength(b.weights.length);
      a.weights.forEach((w, i) => {
        const ref = b.weights[i] as Float32Array;
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const { worst, maxAbs } = compareClose(w, ref, WEIGHT_REL * scale + 1e-6, 0);
        expect(worst, `parameter ${i}: max |Δ| ${maxAbs} of max |w| ${scale}`).toBeLessThanOrEqual(0);
      });
    };

    it('4 steps on webgpu equal 4 steps on wasm; a webgpu checkpoint resumes on wasm and back', async () => {
      const wasm = await run('wasm');
      const webgpu = await run('webgpu');
      expect(wasm.losses).toHaveLength(4);
      expect(new Set(wasm.losses).size).toBe(4); // the weights really move
      expectClose(webgpu, wasm);

      const sink: CheckpointSink & { saved: Uint8Array[] } = {
        saved: [],
        async save(bytes) {
          sink.saved.push(bytes);
        },
      };
      await run('webgpu', { maxSteps: 2, checkpoint: { sink, every: 2 } });
      const fromGpu = sink.saved.at(-1) as Uint8Array;
      expect(decodeCheckpoint(fromGpu).step).toBe(2);
      const resumedOnWasm = await run('wasm', { resume: fromGpu });
      expect(resumedOnWasm.steps).toEqual([3, 4]);
      expectClose(resumedOnWasm, { ...wasm, steps: [3, 4], losses: wasm.losses.slice(2) });

      sink.saved.length = 0;
      await run('wasm', { maxSteps: 2, checkpoint: { sink, every: 2 } });
      const resumedOnGpu = await run('webgpu', { resume: sink.saved.at(-1) as Uint8Array });
      expectClose(resumedOnGpu, { ...wasm, steps: [3, 4], losses: wasm.losses.slice(2) });
    }, 300_000);
  });
});
