// Worker-thread entry of the data-parallel trainer (built to dist/train/data-parallel-worker.node.js): one model
// replica and one Adam on its own wasm (or cpu) backend. It computes the gradients of its shard and applies the
// summed gradients the coordinator sends back, so every replica takes the same step and stays bit-identical.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backends/select-backend.js';
import { SrnetError } from '../errors.js';
import type { SrModel } from '../models/sr-model.js';
import type { StateDict } from '../models/state-dict.js';
import { modelFromStateDict } from '../models/weights.js';
import { PyTorchAdam } from './adam.js';
import { buffersOf, ownBuffer, type WorkerReply, type WorkerRequest } from './data-parallel-protocol.js';
import { fitMicroBatch, isOutOfMemory } from './memory.js';
import { checkFiniteWeights, restoreReplica, shardGradients, snapshotReplica } from './replica.js';
import { outOfMemoryError } from './train.js';

const port = parentPort;
if (!port)
  throw new Error('data-parallel-worker.node.js must run as a worker thread (see trainDataParallel)');

interface Replica {
  model: SrModel;
  adam: PyTorchAdam;
  vars: tf.Variable[];
}
let replica: Replica | undefined;

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(reply, transfer);
}

function ready(): Replica {
  if (!replica) throw new SrnetError('TRAINING_WORKER_FAILED', 'worker received a request before init');
  return replica;
}

async function init(m: Extract<WorkerRequest, { type: 'init' }>): Promise<WorkerReply> {
  const sel = await selectBackend(m.backend);
  const model = modelFromStateDict(m.config, m.state.weights);
  const vars = model.trainableVariables();
  const adam = new PyTorchAdam(vars, m.adam);
  if (m.state.m && m.state.v) restoreReplica(model, adam, m.state as Parameters<typeof restoreReplica>[2]);
  else adam.step = m.state.step;
  replica = { model, adam, vars };
  return { type: 'ready', backend: sel.tfBackend };
}

async function gradients(m: Extract<WorkerRequest, { type: 'gradients' }>): Promise<WorkerReply> {
  const { model, vars } = ready();
  const n = m.samples.lr.shape[0];
  const chip: [number, number] = [m.samples.lr.shape[3], m.samples.lr.shape[4]];
  const mb = m.micro === 'auto' ? fitMicroBatch(model.config, chip, n, m.budget, tf.getBackend()) : m.micro;
  try {
    const { grads, loss } = await shardGradients(model, vars, m.samples, m.seeds, m.mode, mb, m.totalBatch);
    const arrays: Float32Array[] = [];
    for (const g of grads) arrays.push(ownBuffer((await g.data()) as Float32Array));
    tf.dispose(grads);
    return { type: 'gradients', grads: arrays, loss, microBatchSize: Math.min(n, mb) };
  } catch (err) {
    throw isOutOfMemory(err) ? outOfMemoryError(err, model.config, chip, n, mb, m.budget, m.step) : err;
  }
}

async function apply(m: Extract<WorkerRequest, { type: 'apply' }>): Promise<WorkerReply> {
  const { model, adam, vars } = ready();
  if (m.grads.length !== vars.length)
    throw new SrnetError(
      'TRAINING_WORKER_FAILED',
      `apply got ${m.grads.length} gradients for ${vars.length} variables`,
    );
  const grads = vars.map((v, i) => tf.tensor(m.grads[i] as Float32Array, v.shape, 'float32'));
  try {
    adam.apply(grads, m.lr);
  } finally {
    tf.dispose(grads);
  }
  // replicas are bit-identical, so every worker sees a divergence; the coordinator reports worker 0's
  await checkFiniteWeights(model, vars, m.step + 1);
  return { type: 'applied', numTensors: tf.memory().numTensors };
}

async function handle(m: WorkerRequest): Promise<void> {
  switch (m.type) {
    case 'init':
      return post(await init(m));
    case 'gradients': {
      const r = await gradients(m);
      return post(r, r.type === 'gradients' ? buffersOf(r.grads) : []);
    }
    case 'apply':
      return post(await apply(m));
    case 'snapshot': {
      const r = ready();
      const state = await snapshotReplica(r.model, r.adam);
      const arrays = (sd: StateDict) => Object.values(sd).map((t) => t.data);
      return post(
        { type: 'snapshot', state },
        buffersOf([...arrays(state.weights), ...arrays(state.m), ...arrays(state.v)]),
      );
    }
  }
}

// Requests arrive one at a time, but chain them anyway so a reply never overtakes an earlier one.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  queue = queue.then(() =>
    handle(m).catch((e: unknown) => {
      const err = e as { code?: unknown; name?: string; message?: string };
      post({
        type: 'error',
        ...(typeof err?.code === 'string' ? { code: err.code } : {}),
        ...(err?.name ? { name: err.name } : {}),
        message: err?.message ?? String(e),
      });
    }),
  );
});
