// What a training replica does, shared by the in-thread trainer and the data-parallel workers: per-sample dropout
// streams, the gradient of the batch-mean loss over (micro-)batches, the optimiser state in PyTorch layout for
// checkpoints, and its restore.
import * as tf from '@tensorflow/tfjs-core';
import type { RegistrationMode } from '@worldstrat/metrics';
import { SrnetError } from '../errors.js';
import { SeededRandom } from '../internal/random.js';
import { registeredLoss } from '../losses/registered-loss.js';
import { checkStateDict } from '../models/architecture.js';
import type { SrModel } from '../models/sr-model.js';
import type { StateDict, StateTensor } from '../models/state-dict.js';
import { exportStateDict, loadStateDict } from '../models/weights.js';
import { toNhwcRevisits } from '../tfjs-engine.js';
import type { PyTorchAdam } from './adam.js';

/** Row-major LR revisits `(B, R, C, h, w)` and HR targets `(B, C', H, W)` of some samples. */
export interface SampleArrays {
  lr: { data: Float32Array; shape: [number, number, number, number, number] };
  hr: { data: Float32Array; shape: [number, number, number, number] };
}

/** Weights, Adam moments (PyTorch layout) and the optimiser step: what a checkpoint stores of a replica. */
export interface ReplicaState {
  weights: StateDict;
  m: StateDict;
  v: StateDict;
  step: number;
}

/**
 * One dropout seed per sample of a batch, drawn from the run's RNG: the RNG advances by exactly B draws per step
 * however the batch is split, and each sample's masks come from its own stream.
 */
export function drawSampleSeeds(rng: SeededRandom, batch: number): Uint32Array {
  const seeds = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) seeds[i] = rng.nextUint32();
  return seeds;
}

/** Slice samples [start, start+n) of a row-major array whose first axis is the batch. */
export function sliceSamples<T extends number[]>(
  d: { data: Float32Array; shape: T },
  start: number,
  n: number,
): { data: Float32Array; shape: T } {
  const per = d.data.length / (d.shape[0] as number);
  return { data: d.data.subarray(start * per, (start + n) * per), shape: [n, ...d.shape.slice(1)] as T };
}

let gradients: Promise<unknown> | undefined;
/** TF.js gradients are registered on first training use: importing srnet registers nothing. */
export function ensureGradients(): Promise<unknown> {
  gradients ??= import('../internal/register-gradients.js');
  return gradients;
}

/**
 * Gradients of the batch-mean loss restricted to `samples`, scaled by `samples / totalBatch`, accumulated over
 * micro-batches of `microBatchSize` in order (exactly the whole-batch gradient when `samples` is the whole batch).
 * Summing the results of contiguous shards in order gives the gradient of the whole batch.
 *
 * @param seeds - one dropout seed per sample of `samples` (see {@link drawSampleSeeds})
 * @returns one tensor per variable (caller disposes) and the shard's weighted loss
 */
export async function shardGradients(
  model: SrModel,
  vars: tf.Variable[],
  samples: SampleArrays,
  seeds: Uint32Array,
  mode: RegistrationMode,
  microBatchSize: number,
  totalBatch: number,
): Promise<{ grads: tf.Tensor[]; loss: number }> {
  await ensureGradients();
  const b = samples.lr.shape[0];
  const mb = Math.max(1, Math.min(b, Math.floor(microBatchSize)));
  let sums: tf.Tensor[] | null = null;
  let loss = 0;
  try {
    for (let start = 0; start < b; start += mb) {
      const n = Math.min(mb, b - start);
      const lrPart = sliceSamples(samples.lr, start, n);
      const hrPart = sliceSamples(samples.hr, start, n);
      const rngs = Array.from(seeds.subarray(start, start + n), (s) => new SeededRandom(s));
      const side: tf.Tensor[] = [];
      const x = toNhwcRevisits(lrPart.data, lrPart.shape);
      const y = tf.tidy(
        () => tf.transpose(tf.tensor4d(hrPart.data, hrPart.shape), [0, 2, 3, 1]) as tf.Tensor4D,
      );
      const { value, grads } = tf.variableGrads(() => {
        const r = registeredLoss(model.forward(x, { training: true, rng: rngs }), y, { mode });
        side.push(r.shiftIndex, r.mseAllShifts);
        return r.loss;
      }, vars);
      const w = n / totalBatch;
      const prev: tf.Tensor[] | null = sums;
      sums = tf.tidy(() =>
        vars.map((v, i) => {
          const g = w === 1 ? (grads[v.name] as tf.Tensor).clone() : tf.mul(grads[v.name] as tf.Tensor, w);
          return prev ? tf.add(prev[i] as tf.Tensor, g) : g;
        }),
      );
      if (prev) tf.dispose(prev);
      loss += w * ((await value.data())[0] as number);
      tf.dispose([x, y, value, ...side, ...Object.values(grads)]);
    }
  } catch (err) {
    if (sums) tf.dispose(sums);
    throw err;
  }
  return { grads: sums as tf.Tensor[], loss };
}

/**
 * Checks every trainable weight is finite after an optimiser update: one reduction per variable and one read of a
 * small vector per step (x − x is 0 for a finite x and NaN for NaN/±Inf, so the sum never overflows). A diverged
 * step must stop the run before a checkpoint or the caller's model takes its weights.
 *
 * @param step - the global step just done (1-based), named in the error
 * @throws SrnetError `NON_FINITE_WEIGHTS` naming the step and the weight
 */
export async function checkFiniteWeights(model: SrModel, vars: tf.Variable[], step: number): Promise<void> {
  const flags = tf.tidy(() => tf.stack(vars.map((v) => tf.sum(tf.sub(v, v)))));
  const sums = (await flags.data()) as Float32Array;
  flags.dispose();
  const bad = sums.findIndex((x) => x !== 0);
  if (bad < 0) return;
  const data = (await (vars[bad] as tf.Variable).data()) as Float32Array;
  const at = data.findIndex((x) => !Number.isFinite(x));
  const key = model.specs.filter((s) => s.used)[bad]?.key ?? (vars[bad] as tf.Variable).name;
  throw new SrnetError(
    'NON_FINITE_WEIGHTS',
    `training step ${step} made weight "${key}" ${data[at]} (flat index ${at}, TF.js layout): the run diverged; lower options.optimizer.lr; no checkpoint is written from this step, so the last one stays good`,
    { step, tensor: key, index: at },
  );
}

/** The model's weights (unique keys) and Adam's moments in PyTorch layout, for a checkpoint. */
export async function snapshotReplica(model: SrModel, adam: PyTorchAdam): Promise<ReplicaState> {
  const full = await exportStateDict(model);
  const weights: StateDict = {};
  for (const s of model.specs) weights[s.key] = full[s.key] as StateDict[string];
  const used = model.specs.filter((s) => s.used);
  const read = async (vars: tf.Variable[]): Promise<StateDict> => {
    const out: StateDict = {};
    for (let i = 0; i < used.length; i++) {
      const s = used[i] as (typeof used)[number];
      const t = tf.tidy(() =>
        s.kind === 'conv'
          ? tf.transpose(vars[i] as tf.Variable, [3, 2, 0, 1])
          : (vars[i] as tf.Variable).clone(),
      );
      out[s.key] = { shape: [...s.shape], data: Float32Array.from((await t.data()) as Float32Array) };
      t.dispose();
    }
    return out;
  };
  return { weights, m: await read(adam.m), v: await read(adam.v), step: adam.step };
}

/**
 * Checks a checkpoint's state fits `model` before anything is assigned: the weights as `checkStateDict` does, and
 * one Adam moment per trainable parameter with that parameter's PyTorch shape and value count. A failed resume
 * must leave the caller's model and optimiser as they were.
 *
 * @param source - the checkpoint file, named in every error
 * @throws SrnetError `BAD_CHECKPOINT` naming the file and the moment tensor (`optim.m.<key>` / `optim.v.<key>`),
 *   or `checkStateDict`'s errors naming the file
 */
export function checkReplicaState(model: SrModel, state: ReplicaState, source = '<bytes>'): void {
  checkStateDict(state.weights, model.config, source);
  const used = model.specs.filter((s) => s.used);
  for (const [prefix, sd] of [
    ['optim.m.', state.m],
    ['optim.v.', state.v],
  ] as const) {
    for (const s of used) {
      const problem = momentProblem(sd[s.key], s.shape, prefix === 'optim.v.');
      if (problem)
        throw new SrnetError('BAD_CHECKPOINT', `${source}: ${prefix}${s.key} ${problem}`, {
          file: source,
          tensor: `${prefix}${s.key}`,
        });
    }
  }
}

/** What is wrong with one Adam moment tensor (undefined when it fits `shape`). */
function momentProblem(
  t: StateTensor | undefined,
  shape: readonly number[],
  squares: boolean,
): string | undefined {
  if (!t) return 'is missing (the checkpoint lacks this optimizer state)';
  if (!Array.isArray(t.shape) || t.shape.join() !== shape.join())
    return `has shape [${Array.isArray(t.shape) ? t.shape.join(',') : String(t.shape)}], expected [${shape.join(',')}]`;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!(t.data instanceof Float32Array) || t.data.length !== n)
    return `holds ${(t.data as { length?: unknown } | undefined)?.length ?? 'no'} values in ${arrayName(t.data)}, expected a Float32Array of ${n}`;
  // Adam's second moment averages squared gradients: a negative one makes the next step's sqrt NaN in every weight
  if (squares) {
    const at = t.data.findIndex((v) => v < 0);
    if (at >= 0)
      return `holds ${t.data[at]} at flat index ${at}; a second moment (a mean of squares) is never negative`;
  }
  return undefined;
}

function arrayName(d: unknown): string {
  return (d as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof d;
}

/** Assign checked moments (PyTorch layout) to Adam's variables. */
function restoreMoments(model: SrModel, vars: tf.Variable[], sd: StateDict): void {
  const used = model.specs.filter((s) => s.used);
  used.forEach((s, i) => {
    const t = sd[s.key] as StateTensor;
    tf.tidy(() => {
      const x = tf.tensor(t.data, t.shape);
      (vars[i] as tf.Variable).assign(s.kind === 'conv' ? tf.transpose(x, [2, 3, 1, 0]) : x);
    });
  });
}

/**
 * Load a checkpoint's weights and optimiser state into a model and its Adam: everything is checked first
 * ({@link checkReplicaState}), so a bad checkpoint changes nothing.
 */
export function restoreReplica(
  model: SrModel,
  adam: PyTorchAdam,
  state: ReplicaState,
  source?: string,
): void {
  checkReplicaState(model, state, source);
  loadStateDict(model, state.weights);
  restoreMoments(model, adam.m, state.m);
  restoreMoments(model, adam.v, state.v);
  adam.step = state.step;
}
