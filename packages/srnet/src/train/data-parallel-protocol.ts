// Messages between the data-parallel coordinator and its worker threads. One request at a time per worker; every
// request gets exactly one reply (or an error reply). Float32Array buffers are transferred, not copied.
import type { RegistrationMode } from '@worldstrat/metrics';
import type { ModelConfig } from '../models/config.js';
import type { AdamConfig } from './adam.js';
import type { ReplicaState, SampleArrays } from './replica.js';

/** Replica state as sent to a worker at start: moments are absent for a fresh run (Adam starts at zero). */
export type InitialState = Omit<ReplicaState, 'm' | 'v'> & Partial<Pick<ReplicaState, 'm' | 'v'>>;

/** Requests the coordinator sends. */
export type WorkerRequest =
  | {
      type: 'init';
      config: ModelConfig;
      adam: AdamConfig;
      backend: 'wasm' | 'cpu';
      state: InitialState;
    }
  | {
      type: 'gradients';
      samples: SampleArrays;
      seeds: Uint32Array;
      mode: RegistrationMode;
      micro: number | 'auto';
      budget: number;
      totalBatch: number;
      step: number;
    }
  | { type: 'apply'; grads: Float32Array[]; lr: number; step: number }
  | { type: 'snapshot' };

/** Replies a worker posts. */
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'gradients'; grads: Float32Array[]; loss: number; microBatchSize: number }
  | { type: 'applied'; numTensors: number }
  | { type: 'snapshot'; state: ReplicaState }
  | { type: 'error'; code?: string; name?: string; message: string };

/** The ArrayBuffers behind `arrays`, each once, for a transfer list. */
export function buffersOf(arrays: Iterable<ArrayBufferView>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

/** `a` itself when it owns its whole buffer (so it can be transferred), else a copy that does. */
export function ownBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer
    ? a
    : a.slice();
}
