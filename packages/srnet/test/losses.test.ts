// Registered loss as TF ops vs the upstream values in losses.safetensors (tolerances from the fixtures README),
// vs @worldstrat/metrics in 'centered' mode, and gradient properties (flow through the bias correction).
import * as tf from '@tensorflow/tfjs';
import { registeredMetrics } from '@worldstrat/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredLoss, selectBackend } from '../src/index.js';
import { disposeLossKernels } from '../src/losses/registered-loss.js';
import { readFixture } from './support/fixtures.js';

const fx = readFixture('losses.safetensors').tensors;
const arr = (k: string) => fx[k]?.data as Float32Array;
const nhwc = (k: string) =>
  tf.tidy(() =>
    tf.transpose(tf.tensor4d(arr(k), fx[k]?.shape as [number, number, number, number]), [0, 2, 3, 1]),
  ) as tf.Tensor4D;

function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  abs: number,
  rel: number,
  what: string,
) {
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    expect(Math.abs(g - w), `${what}[${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(abs + rel * Math.abs(w));
  }
}

describe.each(['wasm', 'cpu'] as const)('registered loss on %s', (backend) => {
  beforeAll(async () => {
    disposeLossKernels();
    await selectBackend(backend);
  });

  // all six pairs on wasm; on the (slow) cpu backend the exact-shift pair and the model-output pair.
  it.each(backend === 'wasm' ? [0, 1, 2, 3, 4, 5] : [2, 5])(
    'pair %i matches upstream LitModel.loss',
    async (k) => {
      const p = nhwc(`pair${k}.prediction`);
      const t = nhwc(`pair${k}.target`);
      const r = registeredLoss(p, t, { mode: 'worldstrat' });
      expect(Array.from(await r.shiftIndex.data())).toEqual(
        Array.from(fx[`pair${k}.shift_index`]?.data as Int32Array),
      );
      expectClose(await r.perSample.mse.data(), arr(`pair${k}.mse`), 1e-9, 1e-5, 'mse');
      expectClose(await r.perSample.mae.data(), arr(`pair${k}.mae`), 1e-9, 1e-5, 'mae');
      expectClose(await r.perSample.ssimLoss.data(), arr(`pair${k}.ssim_loss`), 1e-6, 1e-5, 'ssim_loss');
      expectClose(await r.perSample.psnr.data(), arr(`pair${k}.psnr`), 1e-4, 1e-5, 'psnr');
      expectClose(await r.perSample.loss.data(), arr(`pair${k}.loss`), 1e-6, 1e-5, 'loss');
      // the whole search: MSE of every kernel, (81, B) in the fixture
      const all = await r.mseAllShifts.data();
      const want = arr(`pair${k}.mse_all_shifts`);
      const b = 2;
      const got = new Float32Array(81 * b);
      for (let s = 0; s < 81; s++) for (let j = 0; j < b; j++) got[s * b + j] = all[j * 81 + s] as number;
      expectClose(got, want, 1e-8, 1e-5, 'mse_all_shifts');
      tf.dispose([p, t, r.loss, r.shiftIndex, r.mseAllShifts, ...Object.values(r.perSample)]);
    },
  );
});

describe('registered loss: centered mode and gradients (wasm)', () => {
  beforeAll(async () => {
    disposeLossKernels();
    await selectBackend('wasm');
  });

  it("'centered' mode agrees with @worldstrat/metrics registeredMetrics", async () => {
    const pred = arr('pair3.prediction');
    const target = arr('pair3.target');
    const ref: {
      shiftIndex: number;
      mse: number;
      ssimLoss: number;
      loss: number;
      shift: [number, number];
    }[] = registeredMetrics(pred, target, [2, 3, 156, 156], { mode: 'centered' });
    const r = tf.tidy(() => {
      const o = registeredLoss(nhwc('pair3.prediction'), nhwc('pair3.target'), { mode: 'centered' });
      return [o.shiftIndex, o.perSample.mse, o.perSample.ssimLoss, o.perSample.loss];
    });
    const [idx, mse, ssim, loss] = await Promise.all(r.map((t) => t.data()));
    expect(Array.from(idx as Int32Array)).toEqual(ref.map((s) => s.shiftIndex));
    expectClose(
      mse as Float32Array,
      ref.map((s) => s.mse),
      1e-9,
      1e-5,
      'mse',
    );
    expectClose(
      ssim as Float32Array,
      ref.map((s) => s.ssimLoss),
      1e-6,
      1e-5,
      'ssim',
    );
    expectClose(
      loss as Float32Array,
      ref.map((s) => s.loss),
      1e-6,
      1e-5,
      'loss',
    );
    // a prediction displaced by 0 px scores ~0 only in centered mode
    expect(ref[0]?.shift).toBeDefined();
    tf.dispose(r);
  });

  it('gradients flow through the bias correction and match finite differences', async () => {
    const H = 24;
    const b = 1;
    const c = 3;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    const y = tf.tensor4d(
      Float32Array.from({ length: b * H * H * c }, () => rand()),
      [b, H, H, c],
    );
    const x0 = Float32Array.from({ length: b * H * H * c }, () => rand());
    const x = tf.variable(tf.tensor4d(x0, [b, H, H, c]));
    const f = () => registeredLoss(x as unknown as tf.Tensor4D, y).loss;
    const { grads } = tf.variableGrads(f, [x]);
    const g = (await (grads[x.name] as tf.Tensor).data()) as Float32Array;
    // Loss is invariant to a per-channel constant added to ŷ (bias correction), so Σ_{h,w} ∂L/∂ŷ = 0 per channel.
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      let sa = 0;
      for (let i = ch; i < g.length; i += c) {
        s += g[i] as number;
        sa += Math.abs(g[i] as number);
      }
      expect(sa).toBeGreaterThan(0);
      expect(Math.abs(s)).toBeLessThan(1e-5 * sa + 1e-9);
    }
    // central finite differences at a few interior pixels (float32: eps 1e-2, loose 5% tolerance)
    for (const idx of [(5 * H + 7) * c + 0, (12 * H + 12) * c + 1, (17 * H + 9) * c + 2]) {
      const eps = 1e-2;
      const at = async (delta: number) => {
        const xx = Float32Array.from(x0);
        xx[idx] = (xx[idx] as number) + delta;
        const l = tf.tidy(() => registeredLoss(tf.tensor4d(xx, [b, H, H, c]), y).loss);
        const v = (await l.data())[0] as number;
        l.dispose();
        return v;
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      expect(Math.abs(fd - (g[idx] as number))).toBeLessThan(0.05 * Math.abs(g[idx] as number) + 2e-5);
    }
    tf.dispose([y, x, grads[x.name] as tf.Tensor]);
  });
});
