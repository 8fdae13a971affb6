// The synchronous entry points that make tensors cannot choose a backend themselves (selectBackend imports one),
// and TF.js alone answers a missing one with a bare "No backend found in registry".
import * as tf from '@tensorflow/tfjs-core';
import { SrnetError } from '../errors.js';

/**
 * Throws unless some TF.js backend is registered (by {@link selectBackend} or an imported backend package).
 *
 * @throws SrnetError `BACKEND_UNAVAILABLE` saying to call `selectBackend` first.
 */
export function requireBackend(fn: string): void {
  if (tf.engine().backendNames().length > 0) return;
  throw new SrnetError(
    'BACKEND_UNAVAILABLE',
    `${fn}: no TF.js backend is registered yet; call \`await selectBackend('auto')\` (or name one: 'wasm', 'cpu', 'webgpu', …) first`,
  );
}
