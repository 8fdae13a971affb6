// srnet's wasm Conv2DBackpropFilter / stride-1 Conv2DBackpropInput vs the cpu backend's kernels (≤ 1e-4).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/index.js';

type Case = {
  x: [number, number, number, number];
  k: [number, number, number, number];
  s: number;
  pad: 'same' | 'valid' | number;
};
const CASES: Case[] = [
  { x: [2, 9, 11, 3], k: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [1, 8, 8, 5], k: [3, 3, 5, 2], s: 1, pad: 'valid' },
  { x: [2, 10, 9, 4], k: [1, 1, 4, 6], s: 1, pad: 'valid' },
  { x: [1, 12, 12, 2], k: [5, 5, 2, 3], s: 1, pad: 2 },
  { x: [2, 11, 10, 3], k: [3, 3, 3, 4], s: 2, pad: 'same' },
  { x: [1, 13, 13, 2], k: [3, 3, 2, 2], s: 2, pad: 'valid' },
  { x: [1, 14, 15, 3], k: [4, 4, 3, 2], s: 3, pad: 'same' },
];

function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  });
}

async function grads(c: Case): Promise<{ dx: Float32Array; dw: Float32Array }> {
  const x = tf.tensor4d(
    data(
      c.x.reduce((a, b) => a * b),
      1,
    ),
    c.x,
  );
  const w = tf.tensor4d(
    data(
      c.k.reduce((a, b) => a * b),
      2,
    ),
    c.k,
  );
  const f = (a: tf.Tensor4D, b: tf.Tensor4D) =>
    tf.sum(tf.mul(tf.conv2d(a, b, c.s, c.pad), tf.cos(tf.conv2d(a, b, c.s, c.pad))));
  const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
  const out = {
    dx: (await (gx as tf.Tensor).data()) as Float32Array,
    dw: (await (gw as tf.Tensor).data()) as Float32Array,
  };
  tf.dispose([x, w, gx as tf.Tensor, gw as tf.Tensor]);
  return out;
}

describe('wasm training kernels', () => {
  it.each(CASES)('gradients match cpu: %j', async (c) => {
    await selectBackend('cpu');
    const ref = await grads(c);
    await selectBackend('wasm');
    const names = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
    expect(names).toContain('Conv2DBackpropFilter');
    const got = await grads(c);
    const maxDiff = (a: Float32Array, b: Float32Array) =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
    expect(got.dx.length).toBe(ref.dx.length);
    expect(maxDiff(got.dx, ref.dx)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(got.dw, ref.dw)).toBeLessThanOrEqual(1e-4);
    expect(ref.dw.some((v) => v !== 0)).toBe(true);
  });
});
