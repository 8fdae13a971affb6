// A wasm backend that cannot start says why (the file it could not load), not "setBackend returned false"; auto
// then falls back to cpu and says so in `warning`. Own file: a failed wasm start cannot be undone in a process.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type SrnetError, selectBackend } from '../src/index.js';

describe('wasmPaths', () => {
  it('a missing wasm file is named in the error; auto lands on cpu with a warning', async () => {
    const wasmPaths = '/nonexistent-srnet-wasm/';
    const err = (await selectBackend('wasm', { wasmPaths }).catch((e) => e)) as SrnetError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain('wasm: unavailable: wasm backend failed to initialise from wasmPaths');
    expect(err.message).toMatch(/nonexistent-srnet-wasm\/tfjs-backend-wasm(-simd)?\.wasm/);
    expect(err.message).not.toContain('setBackend returned false');

    const sel = await selectBackend('auto', { wasmPaths });
    expect(sel.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.warning).toMatch(
      /^auto fell back to the slow pure-JavaScript cpu backend: .*wasm: unavailable/,
    );
    expect(sel.reason).toContain(sel.warning);
  });
});
