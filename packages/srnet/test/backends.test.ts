// Backend selection reports what it tried and why; explicit requests fail with a typed, explained error.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/index.js';

describe('selectBackend', () => {
  it('auto picks the first usable backend and explains every attempt', async () => {
    const sel = await selectBackend('auto');
    expect(['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu']).toContain(sel.backend);
    expect(sel.attempts.find((a) => a.backend === 'webgl')?.available ?? false).toBe(false);
    expect(sel.attempts.length).toBeGreaterThan(0);
    for (const a of sel.attempts) expect(a.reason.length).toBeGreaterThan(10);
    const gpuAttempt = sel.attempts.find((a) => a.backend === 'tfjs-node-gpu');
    expect(gpuAttempt).toBeDefined();
    if (!gpuAttempt?.available) expect(gpuAttempt?.reason).toMatch(/unavailable|CPU/);
    expect(sel.tfBackend).toBe(tf.getBackend());
    expect(sel.reason).toContain(sel.backend);
  });

  it('explicit wasm registers srnet training kernels; webgl in Node says it needs a browser', async () => {
    const w = await selectBackend('wasm');
    expect(w.tfBackend).toBe('wasm');
    expect(w.reason).toContain('single thread in Node');
    expect(tf.getKernelsForBackend('wasm').some((k) => k.kernelName === 'Conv2DBackpropFilter')).toBe(true);
    const gl = await selectBackend('webgl').catch((e) => e);
    expect(gl).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(gl.message).toContain('webgl: unavailable: WebGL needs a browser (not Node)');
  });

  it('unknown names are rejected', async () => {
    await expect(selectBackend('opengl' as 'cpu')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
