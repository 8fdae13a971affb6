// Building blocks: PyTorch PixelShuffle order, reflect padding (values and the gradient tf.mirrorPad gets wrong),
// seeded dropout (PyTorch scaling, reproducible), and a full-model gradient check wasm vs cpu.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  modelFromStateDict,
  registeredLoss,
  SeededRandom,
  selectBackend,
  stateDictFromSafetensors,
} from '../src/index.js';
import { dropout, pixelShuffle, reflectPad } from '../src/models/ops.js';
import { toNhwcRevisits } from '../src/tfjs-engine.js';

describe('ops', () => {
  it('pixelShuffle follows PyTorch: out[b, c, 2h+i, 2w+j] = in[b, 4c + 2i + j, h, w]', async () => {
    await selectBackend('cpu');
    const [B, H, W, C] = [2, 3, 4, 2];
    const x = tf.tensor4d(
      Float32Array.from({ length: B * H * W * C * 4 }, (_, i) => i),
      [B, H, W, C * 4],
    );
    const y = (await pixelShuffle(x, 2).array()) as number[][][][];
    const xa = (await x.array()) as number[][][][];
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++)
            for (let i = 0; i < 2; i++)
              for (let j = 0; j < 2; j++)
                expect(y[b]![2 * h + i]![2 * w + j]![c]).toBe(xa[b]![h]![w]![4 * c + 2 * i + j]);
  });

  it('differentiable reflect pad equals mirrorPad and has the exact gradient', async () => {
    await selectBackend('cpu');
    const x = tf.tensor4d(
      Float32Array.from({ length: 1 * 5 * 4 * 1 }, (_, i) => i * 0.5 - 3),
      [1, 5, 4, 1],
    );
    expect(Array.from(await reflectPad(x, 1, true).data())).toEqual(
      Array.from(await reflectPad(x, 1, false).data()),
    );
    // d/dx Σ padded = how often each input pixel appears in the padded image.
    const g = (await tf
      .grad((t: tf.Tensor) => tf.sum(reflectPad(t as tf.Tensor4D, 1, true)))(x)
      .data()) as Float32Array;
    const count = (n: number, i: number) => 1 + (i === 1 ? 1 : 0) + (i === n - 2 ? 1 : 0);
    const want = [];
    for (let h = 0; h < 5; h++) for (let w = 0; w < 4; w++) want.push(count(5, h) * count(4, w));
    expect(Array.from(g)).toEqual(want);
  });

  it('dropout: PyTorch scaling, reproducible from the RNG state', async () => {
    await selectBackend('cpu');
    const x = tf.ones([1, 20, 20, 10]) as tf.Tensor4D;
    const a = (await dropout(x, 0.5, new SeededRandom(1)).data()) as Float32Array;
    const b = (await dropout(x, 0.5, new SeededRandom(1)).data()) as Float32Array;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Set(a)).toEqual(new Set([0, 2]));
    const kept = a.filter((v) => v > 0).length / a.length;
    expect(kept).toBeGreaterThan(0.45);
    expect(kept).toBeLessThan(0.55);
  });

  it('dropout with one RNG per sample: the mask of a sample does not depend on the rest of its batch', async () => {
    await selectBackend('cpu');
    // 2 samples × 3 rows each (e.g. revisits folded into the batch axis)
    const whole = (await dropout(tf.ones([6, 4, 4, 2]) as tf.Tensor4D, 0.5, [
      new SeededRandom(7),
      new SeededRandom(8),
    ]).data()) as Float32Array;
    const alone = (await dropout(tf.ones([3, 4, 4, 2]) as tf.Tensor4D, 0.5, [
      new SeededRandom(8),
    ]).data()) as Float32Array;
    expect(Array.from(whole.subarray(96))).toEqual(Array.from(alone));
    expect(Array.from(whole.subarray(0, 96))).not.toEqual(Array.from(alone));
    expect(() =>
      dropout(tf.ones([5, 2, 2, 1]) as tf.Tensor4D, 0.5, [new SeededRandom(1), new SeededRandom(2)]),
    ).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
  });

  it('training-mode gradients of a whole HighResNet agree between wasm and cpu (≤ 1e-4 relative to max)', async () => {
    const grads = async (backend: 'cpu' | 'wasm') => {
      await selectBackend(backend);
      const model = createModel(
        { kind: 'highresnet', revisits: 3, inChannels: 2, hiddenChannels: 8, outputSize: [16, 16] },
        { seed: 2 },
      );
      const x = tf.tensor5d(
        Float32Array.from({ length: 2 * 3 * 8 * 8 * 2 }, (_, i) => Math.sin(i * 0.37)),
        [2, 3, 8, 8, 2],
      );
      const y = tf.tensor4d(
        Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => 0.5 + 0.3 * Math.cos(i * 0.11)),
        [2, 16, 16, 3],
      );
      const side: tf.Tensor[] = [];
      const { grads: g } = tf.variableGrads(() => {
        const r = registeredLoss(model.forward(x, { training: true, rng: new SeededRandom(4) }), y);
        side.push(r.shiftIndex, r.mseAllShifts);
        return r.loss;
      }, model.trainableVariables());
      const out = await Promise.all(
        model.specs
          .filter((s) => s.used)
          .map(async (_s, i) => (await (Object.values(g)[i] as tf.Tensor).data()) as Float32Array),
      );
      tf.dispose([x, y, ...side, ...Object.values(g)]);
      model.dispose();
      return out;
    };
    const c = await grads('cpu');
    const w = await grads('wasm');
    expect(w).toHaveLength(c.length);
    c.forEach((gc, i) => {
      const gw = w[i] as Float32Array;
      const scale = gc.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = gc.reduce((m, v, k) => Math.max(m, Math.abs(v - (gw[k] as number))), 0);
      expect(diff).toBeLessThanOrEqual(1e-4 * scale + 1e-7);
    });
  });

  // PyTorch float64 autograd of the same tiny HighResNet (test/fixtures/make-gradcheck.py). This caught two TF.js
  // gradient bugs: tf.mirrorPad's gradient and ResizeBilinearGrad ignoring halfPixelCenters.
  it.each(['cpu', 'wasm'] as const)(
    'training-mode gradients match PyTorch autograd on %s',
    async (backend) => {
      await selectBackend(backend);
      const bytes = new Uint8Array(
        readFileSync(fileURLToPath(new URL('./fixtures/gradcheck-highresnet.safetensors', import.meta.url))),
      );
      const { stateDict, config, extras } = stateDictFromSafetensors(bytes, {
        config: { outputSize: [14, 14], dropout: 0 },
      });
      expect([config.kind, config.revisits, config.hiddenChannels]).toEqual(['highresnet', 3, 4]);
      const model = modelFromStateDict(config, stateDict);
      const inp = extras.input as { shape: number[]; data: Float32Array };
      const tgt = extras.target as { shape: number[]; data: Float32Array };
      const x = toNhwcRevisits(inp.data, inp.shape);
      const y = tf.transpose(
        tf.tensor4d(tgt.data, tgt.shape as [number, number, number, number]),
        [0, 2, 3, 1],
      );
      const vars = model.trainableVariables();
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(
            tf.square(tf.sub(model.forward(x, { training: true, rng: new SeededRandom(0) }), y)),
          ) as tf.Scalar,
        vars,
      );
      const wantLoss = (extras.loss?.data as Float32Array)[0] as number;
      expect(Math.abs(((await value.data())[0] as number) - wantLoss)).toBeLessThan(
        1e-5 * Math.abs(wantLoss),
      );
      const used = model.specs.filter((s) => s.used);
      for (let i = 0; i < used.length; i++) {
        const s = used[i]!;
        const g = grads[vars[i]!.name]!;
        const t = s.kind === 'conv' ? tf.transpose(g, [3, 2, 0, 1]) : g;
        const got = (await t.data()) as Float32Array;
        const want = extras[`grad.${s.key}`]?.data as Float32Array;
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const diff = got.reduce((m, v, k) => Math.max(m, Math.abs(v - (want[k] as number))), 0);
        expect(diff, s.key).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      }
      tf.dispose([x, y, value, ...Object.values(grads)]);
      model.dispose();
    },
  );
});
