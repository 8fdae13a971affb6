// Training checkpoints as one safetensors file: weights (PyTorch names and layout, prefix `model.`), Adam
// moments (`optim.m.` / `optim.v.`), and metadata (config, step, epoch, batch, RNG state, best validation loss).

import { setMember } from '@worldstrat/core';
import { encodeSafetensors, readSafetensors, type SafetensorsTensor } from '@worldstrat/raster-io';
import { SrnetError } from '../errors.js';
import {
  argumentError,
  checkNumber,
  checkObject,
  checkOptionalString,
  checkOptions,
  isArrayLike,
  isRecord,
} from '../internal/check-arguments.js';
import type { RandomState } from '../internal/random.js';
import { showValue } from '../internal/show-value.js';
import type { ModelConfig } from '../models/config.js';
import { modelConfigFromJson } from '../models/config-json.js';
import type { StateDict } from '../models/state-dict.js';
import type { AdamConfig } from './adam.js';
import { checkAdamConfig } from './adam-config.js';

/** Format tag stored in `__metadata__.format`. */
export const CHECKPOINT_FORMAT = 'worldstrat-srnet-checkpoint/1';

/**
 * Largest step, epoch or batch count a checkpoint holds (and train's counting options take): 2^52, so a run
 * resumed from it can add as many steps again and every count stays an exact integer (2^53 − 1 + 1 is not).
 */
export const MAX_TRAINING_COUNT = 2 ** 52;

/** Everything needed to resume training exactly. */
export interface TrainingCheckpoint {
  config: ModelConfig;
  /** Model weights, PyTorch layout, unique keys. */
  weights: StateDict;
  /** Adam first/second moments per trainable key (PyTorch layout), and the optimiser step. */
  optimizer: { config: AdamConfig; step: number; m: StateDict; v: StateDict };
  /** Optimiser steps done. */
  step: number;
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  /** Dropout RNG state. */
  rngState: RandomState;
  /** Best validation loss so far (Infinity if none). */
  bestValidationLoss: number;
  /** Free-form extras (e.g. the run's options). */
  extra?: Record<string, string>;
}

/**
 * Encode a checkpoint as safetensors bytes.
 *
 * @example const bytes = encodeCheckpoint(ckpt); await writeFileAtomic('last.safetensors', bytes);
 */
export function encodeCheckpoint(ckpt: TrainingCheckpoint): Uint8Array {
  const fn = 'encodeCheckpoint';
  const code = 'BAD_CHECKPOINT';
  checkObject(fn, 'checkpoint', ckpt, code);
  checkObject(fn, 'checkpoint.config', ckpt.config, code);
  checkObject(fn, 'checkpoint.optimizer', ckpt.optimizer, code);
  if (ckpt.extra !== undefined) checkObject(fn, 'checkpoint.extra', ckpt.extra, code);
  const tensors: Record<string, SafetensorsTensor> = {};
  const put = (prefix: string, name: string, sd: StateDict) => {
    for (const [k, t] of Object.entries(checkObject<StateDict>(fn, name, sd, code))) {
      if (!isRecord(t) || !isArrayLike(t.shape))
        argumentError(fn, `${name}["${k}"]`, 'a { shape, data } tensor', t, code);
      checkFiniteData(fn, `${name}["${k}"]`, t.data);
      tensors[prefix + k] = { dtype: 'F32', shape: Array.from(t.shape), data: t.data };
    }
  };
  put('model.', 'checkpoint.weights', ckpt.weights);
  put('optim.m.', 'checkpoint.optimizer.m', ckpt.optimizer.m);
  put('optim.v.', 'checkpoint.optimizer.v', ckpt.optimizer.v);
  checkCheckpointMembers(fn, ckpt);
  try {
    return encodeCheckpointTensors(ckpt, tensors);
  } catch (cause) {
    // a tensor raster-io cannot write, or a member JSON cannot (a BigInt, a cycle)
    throw new SrnetError(
      'BAD_CHECKPOINT',
      `${fn}: ${(cause as Error)?.message ?? showValue(cause)}`,
      {},
      { cause },
    );
  }
}

/**
 * What decodeCheckpoint checks, checked before writing: counts in 0..{@link MAX_TRAINING_COUNT}, a finite best loss
 * (or Infinity), Adam settings train() accepts, four 32-bit RNG words.
 */
function checkCheckpointMembers(fn: string, ckpt: TrainingCheckpoint): void {
  const count = { integer: true, min: 0, max: MAX_TRAINING_COUNT };
  checkNumber(fn, 'checkpoint.step', ckpt.step, 'BAD_CHECKPOINT', count);
  checkNumber(fn, 'checkpoint.epoch', ckpt.epoch, 'BAD_CHECKPOINT', count);
  checkNumber(fn, 'checkpoint.batchInEpoch', ckpt.batchInEpoch, 'BAD_CHECKPOINT', count);
  checkNumber(fn, 'checkpoint.optimizer.step', ckpt.optimizer.step, 'BAD_CHECKPOINT', count);
  if (ckpt.bestValidationLoss !== Number.POSITIVE_INFINITY)
    checkNumber(fn, 'checkpoint.bestValidationLoss', ckpt.bestValidationLoss, 'BAD_CHECKPOINT');
  checkAdamConfig(fn, 'checkpoint.optimizer.config', ckpt.optimizer.config, false, 'BAD_CHECKPOINT');
  const r = ckpt.rngState as unknown;
  if (!Array.isArray(r) || r.length !== 4 || !r.every(isRngWord))
    argumentError(fn, 'checkpoint.rngState', 'four 32-bit integers', r, 'BAD_CHECKPOINT');
}

/** A word of sfc32's state, signed or not as it leaves them. */
function isRngWord(w: unknown): boolean {
  return Number.isInteger(w) && (w as number) >= -(2 ** 31) && (w as number) < 2 ** 32;
}

/** A NaN/±Inf weight or moment would write a file decodeCheckpoint refuses (and a diverged run to resume). */
function checkFiniteData(fn: string, name: string, data: unknown): void {
  if (!isArrayLike(data)) return; // raster-io names a missing or odd array
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0)
      throw new SrnetError(
        'NON_FINITE_WEIGHTS',
        `${fn}: ${name} holds ${v} at flat index ${i}; nothing was encoded`,
        {
          tensor: name,
          index: i,
        },
      );
  }
}

function encodeCheckpointTensors(
  ckpt: TrainingCheckpoint,
  tensors: Record<string, SafetensorsTensor>,
): Uint8Array {
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    model_config: JSON.stringify(ckpt.config),
    optimizer: JSON.stringify({ ...ckpt.optimizer.config, step: ckpt.optimizer.step }),
    step: String(ckpt.step),
    epoch: String(ckpt.epoch),
    batch_in_epoch: String(ckpt.batchInEpoch),
    rng_state: JSON.stringify(ckpt.rngState),
    best_validation_loss: String(ckpt.bestValidationLoss),
    ...(ckpt.extra ? { extra: JSON.stringify(ckpt.extra) } : {}),
  });
}

/**
 * Decode checkpoint bytes written by {@link encodeCheckpoint}. Every tensor must be F32 and finite (a NaN
 * weight or moment would resume into a diverged run).
 *
 * @param bytes - the checkpoint file
 * @param options - `name`: the file the bytes came from, named in every error (default `'<bytes>'`)
 * @throws SrnetError `BAD_CHECKPOINT` when the file is not an srnet checkpoint or a `__metadata__` member is
 *   missing, malformed or out of range (the message names it), `BAD_SAFETENSORS` for a
 *   corrupt container, `WEIGHTS_DTYPE_MISMATCH`, `NON_FINITE_WEIGHTS`
 */
export function decodeCheckpoint(bytes: Uint8Array, options: { name?: string } = {}): TrainingCheckpoint {
  const o = checkOptions('decodeCheckpoint', options, 'BAD_CHECKPOINT');
  const name = checkOptionalString('decodeCheckpoint', 'options.name', o.name, 'BAD_CHECKPOINT') ?? '<bytes>';
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes, { name });
  } catch (cause) {
    throw new SrnetError('BAD_SAFETENSORS', (cause as Error).message, { file: name }, { cause });
  }
  const { tensors, metadata } = parsed;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new SrnetError(
      'BAD_CHECKPOINT',
      `${name}: not an srnet training checkpoint (format ${JSON.stringify(metadata.format)}, expected ${CHECKPOINT_FORMAT}); for plain weights use stateDictFromSafetensors`,
      { file: name },
    );
  }
  checkCheckpointTensors(tensors, name);
  const take = (prefix: string): StateDict => {
    const out: StateDict = {};
    for (const [k, t] of Object.entries(tensors)) {
      if (k.startsWith(prefix))
        out[k.slice(prefix.length)] = { shape: t.shape, data: t.data as Float32Array };
    }
    return out;
  };
  const meta = new CheckpointMetadata(metadata, name);
  const { step: optStep, ...optConfig } = meta.optimizer();
  return {
    config: meta.config(),
    weights: take('model.'),
    optimizer: { config: optConfig, step: optStep, m: take('optim.m.'), v: take('optim.v.') },
    step: meta.count('step'),
    epoch: meta.count('epoch'),
    batchInEpoch: meta.count('batch_in_epoch'),
    rngState: meta.rngState(),
    bestValidationLoss: meta.loss('best_validation_loss'),
    ...(metadata.extra !== undefined ? { extra: meta.extra() } : {}),
  };
}

/** Reads the checkpoint's `__metadata__` members, each checked; errors name the file and the member. */
class CheckpointMetadata {
  constructor(
    private readonly metadata: Record<string, string>,
    private readonly file: string,
  ) {}

  fail(where: string, message: string): never {
    throw new SrnetError('BAD_CHECKPOINT', `${this.file}: __metadata__.${where} ${message}`, {
      file: this.file,
      where: `__metadata__.${where}`,
    });
  }

  text(key: string): string {
    const v = this.metadata[key];
    if (typeof v !== 'string' || !Object.hasOwn(this.metadata, key)) this.fail(key, 'is missing');
    return v;
  }

  json(key: string): unknown {
    const text = this.text(key);
    try {
      return JSON.parse(text);
    } catch (cause) {
      return this.fail(key, `is not JSON (${(cause as Error).message}): ${showValue(text)}`);
    }
  }

  config(): ModelConfig {
    return modelConfigFromJson(this.json('model_config'), (where, message) =>
      this.fail(where ? `model_config.${where}` : 'model_config', message),
    );
  }

  /** A count written by `String(n)`: decimal digits only (Number() would take '', ' 1', '0x10', '1e3'). */
  count(key: string): number {
    const text = this.text(key);
    const n = Number(text);
    if (!/^\d{1,16}$/.test(text) || !(n <= MAX_TRAINING_COUNT))
      this.fail(key, `= ${showValue(text)}; expected a whole number in 0..${MAX_TRAINING_COUNT}`);
    return n;
  }

  /** A loss: a finite number, or `Infinity` for "none yet". */
  loss(key: string): number {
    const text = this.text(key);
    if (text === 'Infinity') return Number.POSITIVE_INFINITY;
    const n = Number(text);
    // one optional fraction group: `\d+\.?\d*` splits a digit run two ways and backtracks quadratically
    if (!/^-?(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text) || !Number.isFinite(n))
      this.fail(key, `= ${showValue(text)}; expected a finite number or Infinity`);
    return n;
  }

  optimizer(): AdamConfig & { step: number } {
    const o = this.json('optimizer');
    if (o === null || typeof o !== 'object' || Array.isArray(o))
      this.fail(
        'optimizer',
        `= ${showValue(o)}; expected an object with lr, beta1, beta2, eps, weightDecay, step`,
      );
    const doc = o as Record<string, unknown>;
    const number = (key: string, ok: (v: number) => boolean, expected: string): number => {
      const v = doc[key];
      if (typeof v !== 'number' || !ok(v))
        this.fail(`optimizer.${key}`, `= ${showValue(v)}; expected ${expected}`);
      return v;
    };
    const rate = (v: number) => v >= 0 && Number.isFinite(v);
    const beta = (v: number) => v >= 0 && v < 1;
    return {
      lr: number('lr', rate, 'a finite number ≥ 0'),
      beta1: number('beta1', beta, 'a number in [0, 1)'),
      beta2: number('beta2', beta, 'a number in [0, 1)'),
      eps: number('eps', (v) => v > 0 && Number.isFinite(v), 'a finite number > 0'),
      weightDecay: number('weightDecay', rate, 'a finite number ≥ 0'),
      step: number(
        'step',
        (v) => Number.isInteger(v) && v >= 0 && v <= MAX_TRAINING_COUNT,
        `a whole number in 0..${MAX_TRAINING_COUNT}`,
      ),
    };
  }

  /** Four 32-bit words, signed or not as sfc32 leaves them (SeededRandom would silently wrap anything else). */
  rngState(): RandomState {
    const v = this.json('rng_state');
    if (!Array.isArray(v) || v.length !== 4 || !v.every(isRngWord))
      this.fail('rng_state', `= ${showValue(v)}; expected four 32-bit integers`);
    return [v[0], v[1], v[2], v[3]];
  }

  extra(): Record<string, string> {
    const v = this.json('extra');
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail('extra', `= ${showValue(v)}; expected an object of strings`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x !== 'string') this.fail(`extra.${k}`, `= ${showValue(x)}; expected a string`);
      setMember(out, k, x);
    }
    return out;
  }
}

/** Checkpoints hold float32 tensors only, all finite. */
function checkCheckpointTensors(tensors: Record<string, SafetensorsTensor>, name: string): void {
  for (const [key, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32')
      throw new SrnetError(
        'WEIGHTS_DTYPE_MISMATCH',
        `${name}: checkpoint tensor "${key}" is ${t.dtype}; srnet checkpoints hold F32 tensors only`,
        { file: name, tensor: key, dtype: t.dtype, expected: 'F32' },
      );
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      if (v - v !== 0)
        throw new SrnetError(
          'NON_FINITE_WEIGHTS',
          `${name}: checkpoint tensor "${key}" holds ${v} at flat index ${i}; resume from an earlier checkpoint`,
          { file: name, tensor: key, index: i },
        );
    }
  }
}
