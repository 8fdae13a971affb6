// The final resize when it shrinks (chips larger than outputSize / zoom): upstream's kornia Resize(antialias=True)
// blurs each shrinking axis with a Gaussian first. The TF.js model reproduces it in inference and training (checked
// against a naive float64 forward written from kornia's source), upscaling is untouched, and the ONNX engine, whose
// graph has a plain Resize, refuses such chips. Also the smallest chips PyTorch's reflect padding accepts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backends/select-backend.js';
import { SrnetError } from '../src/errors.js';
import { stateDictSpec } from '../src/models/architecture.js';
import { type ModelConfig, resolveModelConfig } from '../src/models/config.js';
import { initStateDict } from '../src/models/create-model.js';
import {
  antialiasKernel,
  bilinearMatrix,
  resizeBilinearDifferentiable,
  resizeMatrix,
} from '../src/models/ops.js';
import type { StateDict } from '../src/models/state-dict.js';
import { minimumChipSide } from '../src/models/validate-input.js';
import { modelFromStateDict } from '../src/models/weights.js';
import { createOnnxEngine } from '../src/onnx/onnx-engine.node.js';
import { createTfjsEngine } from '../src/tfjs-engine.js';
import { toleranceExcess } from './onnx/fixture-state-dict.js';
import { mulberry32, referenceForward } from './onnx/reference-forward.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Seeded weights under every key, aliases of shared modules included (the reference reads `fusion.0.*`). */
function weights(cfg: ModelConfig, seed: number): StateDict {
  const sd = initStateDict(cfg, { seed });
  for (const spec of stateDictSpec(cfg)) sd[spec.key] ??= sd[spec.canonical] as StateDict[string];
  return sd;
}

const small = (partial: Partial<ModelConfig>): ModelConfig =>
  resolveModelConfig({ kind: 'srcnn', revisits: 2, inChannels: 3, hiddenChannels: 8, ...partial });

function input(cfg: ModelConfig, b: number, h: number, w: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: b * cfg.revisits * cfg.inChannels * h * w }, () => rand() * 2 - 1);
}

/** TF.js engine output vs the float64 reference, sample by sample: the largest excess over abs + rel·|ref|. */
async function excessVsReference(cfg: ModelConfig, h: number, w: number, tol: number): Promise<number> {
  const sd = weights(cfg, 3);
  const engine = await createTfjsEngine(cfg, sd);
  const B = 2;
  const x = input(cfg, B, h, w, 11);
  const out = await engine.predict({ data: x, shape: [B, cfg.revisits, cfg.inChannels, h, w] });
  engine.dispose();
  const [oh, ow] = cfg.outputSize;
  expect(out.shape).toEqual([B, 1, cfg.outChannels, oh, ow]);
  const per = cfg.revisits * cfg.inChannels * h * w;
  const outPer = cfg.outChannels * oh * ow;
  let worst = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < B; b++) {
    const ref = referenceForward(cfg, sd, x.subarray(b * per, (b + 1) * per), h, w);
    const got = out.data.subarray(b * outPer, (b + 1) * outPer);
    worst = Math.max(worst, toleranceExcess(got, Float32Array.from(ref), tol, tol).excess);
  }
  return worst;
}

describe('final resize: kornia antialiasing when it shrinks', () => {
  it("antialiasKernel is kornia's Gaussian: none when an axis does not shrink, σ = (in/out − 1)/2", () => {
    expect(antialiasKernel(100, 156)).toBeNull();
    expect(antialiasKernel(156, 156)).toBeNull();
    // 312 → 156: σ = 0.5, 3 taps e^{-2} : 1 : e^{-2}, normalised
    const g2 = antialiasKernel(312, 156) as Float32Array;
    const e = Math.exp(-2);
    for (const [i, v] of [e, 1, e].entries()) expect(g2[i]).toBeCloseTo(v / (1 + 2 * e), 7);
    expect(g2).toHaveLength(3);
    // 500 → 100: σ = 2, int(max(8, 3)) = 8 → 9 taps
    const g5 = antialiasKernel(500, 100) as Float32Array;
    expect(g5).toHaveLength(9);
    expect(g5[4]).toBeCloseTo(
      1 / [-4, -3, -2, -1, 0, 1, 2, 3, 4].reduce((s, x) => s + Math.exp(-(x * x) / 8), 0),
      6,
    );
    // a shrinking resize matrix still sums to 1 per row (reflect border keeps the weight)
    const m = resizeMatrix(37, 11);
    for (let o = 0; o < 11; o++) {
      let s = 0;
      for (let j = 0; j < 37; j++) s += m[o * 37 + j] as number;
      expect(s).toBeCloseTo(1, 6);
    }
  });

  const shrinking: [string, Partial<ModelConfig>, number, number][] = [
    ['both axes by 2 (20×20 chips → 40 → 20)', { outputSize: [20, 20] }, 20, 20],
    ['a non-integer factor (18 → 36 → 23 and 15 → 30 → 17)', { outputSize: [23, 17] }, 18, 15],
    ['one axis shrinks, the other grows (24 → 48 → 9; 6 → 12 → 29)', { outputSize: [9, 29] }, 24, 6],
    [
      'HighResNet, zoom 3, 3×3 SR kernels, factor 4.5 (7-tap Gaussian)',
      {
        kind: 'highresnet',
        revisits: 3,
        zoomFactor: 3,
        srKernelSize: 3,
        hiddenChannels: 18,
        outputSize: [8, 10],
      },
      12,
      15,
    ],
  ];
  for (const [label, partial, h, w] of shrinking) {
    it(`TF.js matches the antialiased reference: ${label}`, async () => {
      expect(await excessVsReference(small(partial), h, w, 1e-5)).toBeLessThanOrEqual(0);
    });
  }

  it('without the blur the same chips would be far off the reference (the test can tell)', async () => {
    const cfg = small({ outputSize: [20, 20] });
    const sd = weights(cfg, 3);
    const model = modelFromStateDict(cfg, sd);
    const x = input(cfg, 1, 20, 20, 11);
    const plain = tf.tidy(() => {
      const nhwc = tf.transpose(tf.tensor5d(x, [1, 2, 3, 20, 20]), [0, 1, 3, 4, 2]) as tf.Tensor5D;
      const un = model.forward(nhwc, { resize: false });
      return tf.transpose(tf.image.resizeBilinear(un, [20, 20], false, true), [0, 3, 1, 2]);
    });
    const ref = referenceForward(cfg, sd, x, 20, 20);
    const got = (await plain.data()) as Float32Array;
    plain.dispose();
    model.dispose();
    expect(toleranceExcess(got, Float32Array.from(ref), 1e-5, 1e-5).excess).toBeGreaterThan(1e-3);
  });

  it('training mode (dropout 0) gives the eval output, and the resize gradient is the transposed matrices', async () => {
    const cfg = small({ outputSize: [13, 9], dropout: 0 });
    const model = modelFromStateDict(cfg, weights(cfg, 3));
    const x = tf.tensor5d(input(cfg, 2, 10, 12, 5), [2, 2, 10, 12, 3]);
    const evalOut = (await model.forward(x).data()) as Float32Array;
    const trainOut = (await model.forward(x, { training: true }).data()) as Float32Array;
    expect(toleranceExcess(trainOut, evalOut, 1e-6, 1e-6).excess).toBeLessThanOrEqual(0);
    // d/dx sum(r ⊙ resize(x)) = Myᵀ r Mx per channel, with the blur folded into My and Mx
    const [h, w, oh, ow] = [20, 24, 13, 9];
    const rand = mulberry32(8);
    const xs = tf.tensor4d(
      Float32Array.from({ length: h * w }, () => rand()),
      [1, h, w, 1],
    );
    const r = Float32Array.from({ length: oh * ow }, () => rand() - 0.5);
    const grad = tf.grad((t: tf.Tensor) =>
      tf.sum(
        tf.mul(resizeBilinearDifferentiable(t as tf.Tensor4D, [oh, ow]), tf.tensor4d(r, [1, oh, ow, 1])),
      ),
    )(xs);
    const g = (await grad.data()) as Float32Array;
    const my = resizeMatrix(h, oh);
    const mx = resizeMatrix(w, ow);
    const expected = new Float64Array(h * w);
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let y = 0; y < h; y++)
          for (let xx = 0; xx < w; xx++)
            expected[y * w + xx] +=
              (my[i * h + y] as number) * (r[i * ow + j] as number) * (mx[j * w + xx] as number);
    expect(toleranceExcess(g, Float32Array.from(expected), 1e-6, 1e-5).excess).toBeLessThanOrEqual(0);
    tf.dispose([x, xs, grad]);
    model.dispose();
  });

  it('upscaling is untouched: the fused bilinear resize, bit for bit', async () => {
    const cfg = small({ outputSize: [31, 35] });
    const model = modelFromStateDict(cfg, weights(cfg, 3));
    const x = tf.tensor5d(input(cfg, 1, 9, 11, 5), [1, 2, 9, 11, 3]);
    const full = await model.forward(x).data();
    const plain = await tf.image
      .resizeBilinear(model.forward(x, { resize: false }), [31, 35], false, true)
      .data();
    expect(Array.from(full)).toEqual(Array.from(plain));
    expect(resizeMatrix(18, 31)).toEqual(bilinearMatrix(18, 31)); // the training path: no blur either
    expect(antialiasKernel(22, 35)).toBeNull();
    x.dispose();
    model.dispose();
  });

  it('the ONNX engine refuses chips whose resize would shrink, naming the file; unresized output still runs', async () => {
    const cfg = small({ outputSize: [20, 20] });
    const sd = weights(cfg, 3);
    const onnx = await createOnnxEngine(
      { config: cfg, stateDict: sd },
      { intraOpNumThreads: 1, name: 'm.onnx' },
    );
    const err = await onnx
      .predict({ data: input(cfg, 1, 11, 10, 1), shape: [1, 2, 3, 11, 10] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(SrnetError);
    expect(err.code).toBe('BAD_INPUT_SHAPE');
    expect(err.message).toMatch(/^m\.onnx: input chips 11×10 give 22×20 px before the final resize to 20×20/);
    expect(err.message).toContain('at most 10×10 LR px');
    const un = await onnx.predictUnresized?.({ data: input(cfg, 1, 11, 10, 1), shape: [1, 2, 3, 11, 10] });
    expect(un?.shape).toEqual([1, 1, 3, 22, 20]);
    const ok = await onnx.predict({ data: input(cfg, 1, 10, 10, 1), shape: [1, 2, 3, 10, 10] });
    expect(ok.shape).toEqual([1, 1, 3, 20, 20]);
    onnx.dispose();
  });
});

describe('smallest chips: what PyTorch reflect padding accepts (pad < size)', () => {
  it('minimumChipSide follows the pads of the LR convs and of the SR convs after the shuffle', () => {
    expect(minimumChipSide(small({}))).toBe(2); // 3×3 convs pad 1 px
    expect(minimumChipSide(small({ kernelSize: 1 }))).toBe(1);
    expect(minimumChipSide(small({ kernelSize: 5 }))).toBe(3);
    expect(minimumChipSide(small({ kernelSize: 1, srKernelSize: 5 }))).toBe(2); // 2 px on a 2× map: 2 LR px
    expect(minimumChipSide(small({ kernelSize: 1, srKernelSize: 7, zoomFactor: 3, hiddenChannels: 9 }))).toBe(
      2,
    );
  });

  it('2×2 chips run on both engines and match the reference; 1×1 chips are refused naming the minimum', async () => {
    const cfg = small({ outputSize: [6, 6] });
    expect(await excessVsReference(cfg, 2, 2, 1e-5)).toBeLessThanOrEqual(0);
    const sd = weights(cfg, 3);
    const onnx = await createOnnxEngine({ config: cfg, stateDict: sd }, { intraOpNumThreads: 1 });
    const x = input(cfg, 1, 2, 2, 11);
    const out = await onnx.predict({ data: x, shape: [1, 2, 3, 2, 2] });
    const ref = referenceForward(cfg, sd, x, 2, 2);
    expect(toleranceExcess(out.data, Float32Array.from(ref), 1e-5, 1e-5).excess).toBeLessThanOrEqual(0);
    const tfjs = await createTfjsEngine(cfg, sd);
    for (const engine of [onnx, tfjs]) {
      const err = await engine
        .predict({ data: input(cfg, 1, 1, 2, 1), shape: [1, 2, 3, 1, 2] })
        .catch((e) => e);
      expect(err.code, engine.name).toBe('BAD_INPUT_SHAPE');
      expect(err.message, engine.name).toMatch(/chips are 1×2; .* needs at least 2×2, as in PyTorch/);
    }
    onnx.dispose();
    tfjs.dispose();
    // 5×5 convs pad 2 px: 3×3 chips run, 2×2 do not
    const wide = small({ kernelSize: 5, outputSize: [6, 6] });
    expect(await excessVsReference(wide, 3, 3, 1e-5)).toBeLessThanOrEqual(0);
    const eng = await createTfjsEngine(wide, weights(wide, 1));
    const err = await eng.predict({ data: input(wide, 1, 2, 2, 1), shape: [1, 2, 3, 2, 2] }).catch((e) => e);
    expect(err.message).toContain('needs at least 3×3');
    eng.dispose();
  });
});
