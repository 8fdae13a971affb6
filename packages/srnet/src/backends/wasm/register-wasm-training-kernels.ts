// Registers srnet's wasm training kernels (explicit call; nothing registers itself on import).
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterWasmConfig } from './kernels/conv2d-backprop-filter.js';
import { createConv2dBackpropInputWasmConfig } from './kernels/conv2d-backprop-input.js';

let originalInput: tf.KernelConfig | undefined;
let registered = false;

/**
 * Register `Conv2DBackpropFilter` (wasm has none) and a fast stride-1 `Conv2DBackpropInput` on the 'wasm'
 * backend so conv nets train there. Idempotent. `selectBackend('wasm')` calls it.
 *
 * @returns the kernel names now provided by srnet
 * @example registerWasmTrainingKernels(); await tf.setBackend('wasm');
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
  const existing = tf.getKernelsForBackend('wasm');
  if (existing.some((k) => k.kernelName === 'Conv2DBackpropFilter')) {
    // A newer tfjs-backend-wasm ships its own; keep it.
  } else {
    tf.registerKernel(conv2dBackpropFilterWasmConfig);
  }
  originalInput = existing.find((k) => k.kernelName === 'Conv2DBackpropInput');
  if (originalInput) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(createConv2dBackpropInputWasmConfig(originalInput));
  registered = true;
  return ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
}

/** Undo {@link registerWasmTrainingKernels} (restores wasm's own Conv2DBackpropInput). */
export function unregisterWasmTrainingKernels(): void {
  if (!registered) return;
  const names = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
  if (names.includes('Conv2DBackpropFilter')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  if (originalInput) tf.registerKernel(originalInput);
  registered = false;
}
