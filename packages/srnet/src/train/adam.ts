// Adam with PyTorch semantics (torch.optim.Adam): classic L2 weight decay added to the gradient (not AdamW),
// bias-corrected moments, eps added to √v̂. State is exportable for exact resume.
import * as tf from '@tensorflow/tfjs-core';
import { checkNumber } from '../internal/check-arguments.js';
import { checkAdamConfig } from './adam-config.js';

/** Hyper-parameters of {@link PyTorchAdam}. */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Upstream's optimiser settings: lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight decay 1e-4. */
export const WORLDSTRAT_ADAM: AdamConfig = Object.freeze({
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 1e-4,
});

/** Adam over a fixed list of variables. */
export class PyTorchAdam {
  /** Number of updates done (PyTorch's `state['step']`). */
  step = 0;
  readonly m: tf.Variable[];
  readonly v: tf.Variable[];

  constructor(
    readonly variables: tf.Variable[],
    readonly config: AdamConfig,
  ) {
    checkAdamConfig('PyTorchAdam', 'config', config);
    this.m = variables.map((p) => zeroVariable(p));
    this.v = variables.map((p) => zeroVariable(p));
  }

  /**
   * One update. `grads[i]` belongs to `variables[i]`; `lr` overrides the configured rate (scheduler).
   * p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps), with g ← g + wd·p.
   */
  apply(grads: tf.Tensor[], lr = this.config.lr): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.variables.forEach((p, i) => {
        let g = grads[i] as tf.Tensor;
        if (weightDecay !== 0) g = tf.add(g, tf.mul(p, weightDecay));
        const m = this.m[i] as tf.Variable;
        const v = this.v[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    });
  }

  /** Free the moment buffers. */
  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/** A zero variable shaped like `p`; the initial tensor is released (the variable keeps its data). */
function zeroVariable(p: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(p);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

/**
 * CosineAnnealingWarmRestarts (T_mult = 1) learning rate for an epoch: η_min + (η0 − η_min)(1 + cos(π·(e mod T0)/T0))/2.
 *
 * @example cosineWarmRestartsLr(1e-4, 14, 300) // 9.946e-5
 */
export function cosineWarmRestartsLr(baseLr: number, epoch: number, t0: number, etaMin = 0): number {
  const fn = 'cosineWarmRestartsLr';
  checkNumber(fn, 'baseLr', baseLr, 'BAD_CONFIG');
  checkNumber(fn, 'epoch', epoch, 'BAD_CONFIG', { min: 0 });
  checkNumber(fn, 't0', t0, 'BAD_CONFIG', { min: Number.MIN_VALUE });
  checkNumber(fn, 'etaMin', etaMin, 'BAD_CONFIG');
  const t = epoch % t0;
  return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * t) / t0))) / 2;
}

/**
 * Half-cosine decay per step, no restarts: η0·(1 + cos(π·min(step, steps)/steps))/2 (η0 at step 0, 0 at `steps`).
 *
 * @param baseLr - η0.
 * @param step - optimiser steps taken so far.
 * @param steps - length of the decay.
 * @returns the rate for the next step.
 * @example cosineDecayLr(5e-3, 60, 120) // 2.5e-3
 */
export function cosineDecayLr(baseLr: number, step: number, steps: number): number {
  checkNumber('cosineDecayLr', 'baseLr', baseLr, 'BAD_CONFIG');
  checkNumber('cosineDecayLr', 'step', step, 'BAD_CONFIG', { min: 0 });
  checkNumber('cosineDecayLr', 'steps', steps, 'BAD_CONFIG', { min: Number.MIN_VALUE });
  return (baseLr * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps))) / 2;
}
