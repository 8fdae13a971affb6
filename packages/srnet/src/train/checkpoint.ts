// Training checkpoints as one safetensors file: weights (PyTorch names and layout, prefix `model.`), Adam
// moments (`optim.m.` / `optim.v.`), and metadata (config, step, epoch, batch, RNG state, best validation loss).

import { encodeSafetensors, readSafetensors, type SafetensorsTensor } from '@worldstrat/raster-io';
import { SrnetError } from '../errors.js';
import type { RandomState } from '../internal/random.js';
import type { ModelConfig } from '../models/config.js';
import type { StateDict } from '../models/state-dict.js';
import type { AdamConfig } from './adam.js';

/** Format tag stored in `__metadata__.format`. */
export const CHECKPOINT_FORMAT = 'worldstrat-srnet-checkpoint/1';

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
  const tensors: Record<string, SafetensorsTensor> = {};
  const put = (prefix: string, sd: StateDict) => {
    for (const [k, t] of Object.entries(sd))
      tensors[prefix + k] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  };
  put('model.', ckpt.weights);
  put('optim.m.', ckpt.optimizer.m);
  put('optim.v.', ckpt.optimizer.v);
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
 * @throws SrnetError `BAD_CHECKPOINT` when the file is not an srnet checkpoint, `BAD_SAFETENSORS` for a
 *   corrupt container, `WEIGHTS_DTYPE_MISMATCH`, `NON_FINITE_WEIGHTS`
 */
export function decodeCheckpoint(bytes: Uint8Array, options: { name?: string } = {}): TrainingCheckpoint {
  const name = options.name ?? '<bytes>';
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
  try {
    const opt = JSON.parse(metadata.optimizer as string) as AdamConfig & { step: number };
    const { step: optStep, ...optConfig } = opt;
    return {
      config: JSON.parse(metadata.model_config as string),
      weights: take('model.'),
      optimizer: { config: optConfig, step: optStep, m: take('optim.m.'), v: take('optim.v.') },
      step: Number(metadata.step),
      epoch: Number(metadata.epoch),
      batchInEpoch: Number(metadata.batch_in_epoch),
      rngState: JSON.parse(metadata.rng_state as string),
      bestValidationLoss: Number(metadata.best_validation_loss),
      ...(metadata.extra ? { extra: JSON.parse(metadata.extra) } : {}),
    };
  } catch (cause) {
    throw new SrnetError(
      'BAD_CHECKPOINT',
      `${name}: checkpoint metadata is corrupt (could not parse optimizer/model_config/rng_state)`,
      { file: name },
      { cause },
    );
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
